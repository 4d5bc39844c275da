//! `deskpulse check` end to end: the real binary against wiremock vendors (Zendesk, Intercom,
//! Freshdesk, answering their one probe with documented payloads, see
//! `fixtures/check/PROVENANCE.md`), a real SMTP server (mailin-embedded, plain or offering
//! STARTTLS) and a real SQLite file or Postgres database. Each item is one `ok`/`FAIL` line
//! saying what to fix; nothing is stored, sent or posted, and no secret is printed.

use crate::harness::{Env, text};
use deskpulse_storage::Store;
use deskpulse_storage::testing::TestDb;
use mailin_embedded::{Handler, Response, Server, SslConfig};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::Output;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ZD_TOKEN: &str = "zd-check-token-7f3a";
const IC_TOKEN: &str = "ic-check-token-29b1";
const FD_KEY: &str = "fd-check-key-c0de";
pub(crate) const SMTP_PASSWORD: &str = "smtp-check-pw-91e0";
/// The secret part of the Slack webhook URL.
const HOOK_SECRET: &str = "checkHookSecret0123456789";

fn secrets() -> [&'static str; 5] {
    [ZD_TOKEN, IC_TOKEN, FD_KEY, SMTP_PASSWORD, HOOK_SECRET]
}

fn vars(hook: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ZENDESK_API_TOKEN", ZD_TOKEN.to_owned()),
        ("INTERCOM_TOKEN", IC_TOKEN.to_owned()),
        ("FRESHDESK_API_KEY", FD_KEY.to_owned()),
        ("SMTP_PASSWORD", SMTP_PASSWORD.to_owned()),
        ("SLACK_WEBHOOK_URL", hook.to_owned()),
    ]
}

fn slack_hook() -> String {
    format!("https://hooks.slack.com/services/T0CHECK01/B0CHECK01/{HOOK_SECRET}")
}

fn fixture(rel: &str) -> Value {
    let p = format!("{}/e2e/fixtures/check/{rel}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("fixture")).expect("fixture JSON")
}

/// Zendesk answering the probe (one rating, `page[size]=1`) from its documented example.
async fn zendesk() -> MockServer {
    let server = MockServer::start().await;
    let doc = fixture("zendesk-docs/satisfaction_ratings.json");
    let first = doc["satisfaction_ratings"][0].clone();
    Mock::given(method("GET"))
        .and(path("/api/v2/satisfaction_ratings.json"))
        .and(query_param("page[size]", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "satisfaction_ratings": [first],
            "meta": {"has_more": true, "after_cursor": "xJ0ZW1faWQ", "before_cursor": "xJ0ZW1fa"},
            "links": {
                "next": "https://acme.zendesk.com/api/v2/satisfaction_ratings.json?page%5Bafter%5D=xJ0ZW1faWQ&page%5Bsize%5D=1",
                "prev": "https://acme.zendesk.com/api/v2/satisfaction_ratings.json?page%5Bbefore%5D=xJ0ZW1fa&page%5Bsize%5D=1"
            }
        })))
        .mount(&server)
        .await;
    server
}

async fn intercom() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/admins"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture(
            "intercom-openapi/descriptions_2.14__GET_admins__200.json",
        )))
        .mount(&server)
        .await;
    server
}

async fn freshdesk() -> MockServer {
    let server = MockServer::start().await;
    let agents = fixture("python-freshdesk/agents.json");
    Mock::given(method("GET"))
        .and(path("/api/v2/agents"))
        .and(query_param("per_page", "1"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([agents[0]])))
        .mount(&server)
        .await;
    server
}

/// Every request a fake vendor received.
async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

/// Accepts the test's login (any mechanism) and nothing else; records no mail.
#[derive(Clone)]
struct Quiet;
impl Handler for Quiet {
    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        login(user, password)
    }
    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        login(user, password)
    }
}

fn login(user: &str, password: &str) -> Response {
    if user == "kpi@example.com" && password == SMTP_PASSWORD {
        mailin_embedded::response::AUTH_OK
    } else {
        mailin_embedded::response::INVALID_CREDENTIALS
    }
}

/// The digest crate's test CA, which signed the STARTTLS server's certificate.
fn test_ca() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/digest/tests/fixtures/tls/ca.pem"
    )
    .to_owned()
}

/// A real SMTP server on a free loopback port: plain, or offering STARTTLS (with the digest
/// crate's test certificate). It runs until the test binary exits.
pub(crate) fn start_smtp(starttls: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ssl = if starttls {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../crates/digest/tests/fixtures/tls"
        );
        SslConfig::Trusted {
            cert_path: format!("{dir}/server.pem"),
            key_path: format!("{dir}/server.key"),
            chain_path: format!("{dir}/ca.pem"),
        }
    } else {
        SslConfig::None
    };
    let mut server = Server::new(Quiet);
    server
        .with_name("mx.test")
        .with_ssl(ssl)
        .unwrap()
        // Offered only on an encrypted connection (mailin's rule).
        .with_auth(mailin_embedded::AuthMechanism::Plain)
        .with_num_threads(2)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    port
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Vendors {
    zd: String,
    ic: String,
    fd: String,
}

pub(crate) fn smtp_section(port: u16, security: &str, login: bool) -> String {
    let login = if login {
        "username = \"kpi@example.com\"\npassword = \"${SMTP_PASSWORD}\"\n"
    } else {
        ""
    };
    format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\n{login}\
         from = \"deskpulse <kpi@example.com>\"\nca_file = \"{}\"\n",
        test_ca()
    )
}

fn config(db: &str, v: &Vendors, smtp: &str) -> String {
    format!(
        r#"[database]
url = "{db}"

{smtp}
[[teams]]
name = "support"
timezone = "Europe/Berlin"
sources = ["zd", "ic", "fd"]

[[teams.channels]]
kind = "email"
to = ["lead@example.com"]

[[teams.channels]]
kind = "slack"
name = "alerts"
webhook_url = "${{SLACK_WEBHOOK_URL}}"

[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "agent@example.com"
api_token = "${{ZENDESK_API_TOKEN}}"
base_url = "{zd}"

[[sources]]
name = "ic"
kind = "intercom"
access_token = "${{INTERCOM_TOKEN}}"
base_url = "{ic}"

[[sources]]
name = "fd"
kind = "freshdesk"
domain = "acme"
api_key = "${{FRESHDESK_API_KEY}}"
base_url = "{fd}"
"#,
        zd = v.zd,
        ic = v.ic,
        fd = v.fd
    )
}

async fn check(env: &Env, hook: &str) -> (Output, String, String) {
    let vars = vars(hook);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = env.run(&["check"], &vars).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    for s in secrets() {
        assert!(
            !stdout.contains(s) && !stderr.contains(s),
            "a secret was printed:\n{stdout}{stderr}"
        );
    }
    (out, stdout, stderr)
}

/// The line about `item` (it starts with `ok` or `FAIL` and names the item).
#[track_caller]
fn line<'a>(stdout: &'a str, item: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.contains(item))
        .unwrap_or_else(|| panic!("no line about {item:?}:\n{stdout}"))
}

/// Creates the database, as `init` or a first sync would.
async fn create_db(url: &str) {
    Store::open(url)
        .await
        .expect("create the database")
        .close()
        .await;
}

async fn everything_in_place_passes(db: Option<&str>) {
    let env = Env::new();
    let url = db.map_or_else(|| env.sqlite_url(), str::to_owned);
    create_db(&url).await;
    let (zd, ic, fd) = (zendesk().await, intercom().await, freshdesk().await);
    let v = Vendors {
        zd: zd.uri(),
        ic: ic.uri(),
        fd: fd.uri(),
    };
    let smtp = smtp_section(start_smtp(false), "none", false);
    env.write_config(&config(&url, &v, &smtp));

    let (out, stdout, stderr) = check(&env, &slack_hook()).await;
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert!(lines.iter().all(|l| l.starts_with("ok    ")), "{stdout}");
    assert!(line(&stdout, "configuration").contains("1 team, 3 sources"));
    assert!(
        line(&stdout, "database").contains("schema up to date"),
        "{stdout}"
    );
    for source in [
        "source zd (zendesk)",
        "source ic (intercom)",
        "source fd (freshdesk)",
    ] {
        assert!(
            line(&stdout, source).contains("credentials accepted"),
            "{stdout}"
        );
    }
    assert!(line(&stdout, "satisfaction_ratings").contains("1 record"));
    assert!(
        line(&stdout, "smtp 127.0.0.1").contains("EHLO accepted"),
        "{stdout}"
    );
    let slack = line(&stdout, "slack channel alerts");
    assert!(
        slack.contains("hooks.slack.com") && slack.contains("not posted"),
        "{slack}"
    );

    // One request per vendor; nothing stored, no checkpoint moved.
    for server in [&zd, &ic, &fd] {
        assert_eq!(
            requests(server).await,
            1,
            "{:?}",
            server.received_requests().await
        );
    }
    let store = Store::open(&url).await.unwrap();
    let counts = store.counts().await.unwrap();
    assert!(counts.values().all(|n| *n == 0), "{counts:?}");
    store.close().await;
}

#[tokio::test]
async fn everything_in_place_passes_on_sqlite() {
    everything_in_place_passes(None).await;
}

#[tokio::test]
async fn everything_in_place_passes_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    everything_in_place_passes(Some(db.url())).await;
    db.cleanup().await;
}

/// Rejected credentials, a wrong endpoint and an SMTP server that cannot log in are failures
/// at run time (exit 1), each named with what to fix; the other items still pass.
#[tokio::test]
async fn failures_at_run_time_say_what_to_fix() {
    let env = Env::new();
    let url = env.sqlite_url();
    create_db(&url).await;
    let zd = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": "Couldn't authenticate you"})),
        )
        .mount(&zd)
        .await;
    // Freshdesk answers a path it does not have with 404 "Requested Resource not Found"
    // (documented without a body): here, a base_url pointing at a server without it.
    let fd = MockServer::start().await;
    let ic = intercom().await;
    let v = Vendors {
        zd: zd.uri(),
        ic: ic.uri(),
        fd: fd.uri(),
    };
    // mailin offers AUTH only on an encrypted connection: a login over "none" cannot work.
    let smtp = smtp_section(start_smtp(false), "none", true);
    env.write_config(&config(&url, &v, &smtp));

    let (out, stdout, stderr) = check(&env, &slack_hook()).await;
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let zd_line = line(&stdout, "source zd");
    assert!(zd_line.starts_with("FAIL  "), "{zd_line}");
    assert!(
        zd_line.contains("credentials were rejected (HTTP 401")
            && zd_line.contains("[[sources]] zd")
            && zd_line.contains("api_token"),
        "{zd_line}"
    );
    let fd_line = line(&stdout, "source fd");
    assert!(
        fd_line.starts_with("FAIL  ") && fd_line.contains("404") && fd_line.contains("base_url"),
        "{fd_line}"
    );
    assert!(line(&stdout, "source ic").starts_with("ok    "), "{stdout}");
    // The digest's own client tries to log in: the server offers no mechanism it has.
    let smtp_line = line(&stdout, "smtp 127.0.0.1");
    assert!(
        smtp_line.starts_with("FAIL  ") && smtp_line.contains("authentication"),
        "{smtp_line}"
    );
    assert!(line(&stdout, "slack channel alerts").starts_with("ok    "));
    assert!(stderr.contains("error: 3 of 7 checks failed"), "{stderr}");
    // Each probe is one request: a rejected token is not retried.
    assert_eq!(requests(&zd).await, 1);
}

/// A configuration item that fails makes the exit code 2: the file itself, an e-mail
/// channel without `[smtp]`, a webhook URL that is not an incoming webhook.
#[tokio::test]
async fn configuration_failures_exit_2() {
    let env = Env::new();
    let url = env.sqlite_url();
    create_db(&url).await;
    // Kept alive to the end: a dropped server goes back to wiremock's pool, to another test.
    let (zd, ic, fd) = (zendesk().await, intercom().await, freshdesk().await);
    let v = Vendors {
        zd: zd.uri(),
        ic: ic.uri(),
        fd: fd.uri(),
    };
    let port = start_smtp(false);

    env.write_config("[database]\nurll = \"sqlite://x.db\"\n");
    let (out, stdout, stderr) = check(&env, &slack_hook()).await;
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("FAIL  configuration") && stdout.contains("urll"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");

    env.write_config(&config(&url, &v, ""));
    let (out, stdout, stderr) = check(&env, &slack_hook()).await;
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    let l = line(&stdout, "configuration");
    assert!(l.starts_with("FAIL  ") && l.contains("[smtp]"), "{l}");

    env.write_config(&config(&url, &v, &smtp_section(port, "none", false)));
    let truncated = "https://hooks.slack.com/services/T0CHECK01/B0CHECK01";
    let (out, stdout, stderr) = check(&env, truncated).await;
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    let l = line(&stdout, "slack channel alerts");
    assert!(
        l.starts_with("FAIL  ") && l.contains("not an incoming-webhook URL"),
        "{l}"
    );
    assert!(!stdout.contains("T0CHECK01"), "{stdout}");
    // Everything else passed.
    assert_eq!(stdout.lines().filter(|l| l.starts_with("FAIL")).count(), 1);
}

/// `starttls`: the digest's own SMTP client connects, upgrades to TLS (trusting the test CA
/// through `ca_file`) and logs in, and sends nothing; a wrong password, a server without
/// STARTTLS and a port nobody listens on each fail with what to check.
#[tokio::test]
async fn smtp_security_is_checked_without_sending() {
    let env = Env::new();
    let url = env.sqlite_url();
    create_db(&url).await;
    let team = "[[teams]]\nname = \"support\"\n\n[[teams.channels]]\nkind = \"email\"\nto = [\"lead@example.com\"]\n";
    let write = |smtp: String| {
        env.write_config(&format!("[database]\nurl = \"{url}\"\n\n{smtp}\n{team}"));
    };

    let tls_port = start_smtp(true);
    write(smtp_section(tls_port, "starttls", true));
    let (out, stdout, stderr) = check(&env, &slack_hook()).await;
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let l = line(&stdout, "smtp 127.0.0.1");
    assert!(
        l.starts_with("ok    ") && l.contains("STARTTLS done") && l.contains("logged in"),
        "{l}"
    );
    assert!(l.contains("nothing sent"), "{l}");

    // The same server refuses another password: the 535 is named, the password is not.
    let wrong = [("SMTP_PASSWORD", "not-the-password-7c2")];
    env.write_config(&format!(
        "[database]\nurl = \"{url}\"\n\n{}\n{team}",
        smtp_section(tls_port, "starttls", true)
    ));
    let out = env.run(&["check"], &wrong).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let l = line(&stdout, "smtp 127.0.0.1");
    assert!(l.starts_with("FAIL  ") && l.contains("535"), "{l}");
    assert!(
        !stdout.contains("not-the-password-7c2")
            && !text(&out.stderr).contains("not-the-password-7c2")
    );

    write(smtp_section(start_smtp(false), "starttls", true));
    let (out, stdout, _) = check(&env, &slack_hook()).await;
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let l = line(&stdout, "smtp 127.0.0.1");
    assert!(l.starts_with("FAIL  ") && l.contains("STARTTLS"), "{l}");

    write(smtp_section(closed_port(), "none", false));
    let (out, stdout, _) = check(&env, &slack_hook()).await;
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let l = line(&stdout, "smtp 127.0.0.1");
    assert!(l.starts_with("FAIL  ") && l.contains("smtp.port"), "{l}");
}

/// A SQLite file that does not exist is a failure that says how to create it, and check
/// does not create it.
#[tokio::test]
async fn a_missing_database_is_named_and_not_created() {
    let env = Env::new();
    let url = env.sqlite_url();
    env.write_config(&format!("[database]\nurl = \"{url}\"\n"));
    let (out, stdout, stderr) = check(&env, &slack_hook()).await;
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let l = line(&stdout, "database");
    assert!(
        l.starts_with("FAIL  ") && l.contains("does not exist") && l.contains("deskpulse init"),
        "{l}"
    );
    assert!(!env.dir.path().join("deskpulse.db").exists());
}
