//! Issue 12 (hardening): no secret reaches a terminal, a log, a stored run record or another
//! user's eyes — checked on the real binary, at `RUST_LOG=trace -vv`, for every encoding a
//! secret travels in (as written, base64 of `user:secret`, percent-encoded) — and a new SQLite
//! file survives many processes opening it at once.

use crate::check::{SMTP_PASSWORD, smtp_section, start_smtp};
use crate::credentials::{base64, base64_basic};
use crate::harness::{BIN, Env, poll_until, text};
use deskpulse_storage::Store;
use std::process::{Output, Stdio};
use std::time::Duration;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Trace everything, through both knobs.
const TRACE: (&str, &str) = ("RUST_LOG", "trace");
const VV: &str = "-vv";

/// `s` with every byte outside the unreserved set percent-encoded, as in a URL or form body.
fn percent_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every form of `secret` that must not appear: as is, percent-encoded, and base64 of
/// `user:secret` for each user name it is sent with.
fn forms(secret: &str, users: &[&str]) -> Vec<String> {
    let mut out = vec![secret.to_owned(), percent_encoded(secret)];
    out.extend(users.iter().map(|u| base64_basic(u, secret)));
    out.sort();
    out.dedup();
    out
}

fn assert_nowhere(what: &str, haystack: &str, forms: &[String]) {
    for f in forms {
        assert!(
            !haystack.contains(f.as_str()),
            "{what} holds a secret ({f:?}):\n{haystack}"
        );
    }
}

fn assert_output_clean(what: &str, out: &Output, forms: &[String]) {
    assert_nowhere(&format!("{what}: stdout"), &text(&out.stdout), forms);
    assert_nowhere(&format!("{what}: stderr"), &text(&out.stderr), forms);
}

// ---- 1. database passwords ----

/// The password of a Postgres URL never shows, in any of the forms libpq accepts it: user
/// info, `?password=`, `sslpassword=` (a client key's passphrase: the driver would log it
/// when it meets it) and `passfile=`; in either scheme; whichever command fails to open it.
#[tokio::test]
async fn a_database_password_is_masked_by_every_command_in_every_form() {
    const PW: &str = "Db-Pa55/w0rd!";
    let enc = percent_encoded(PW);
    // Port 1 on the loopback: nothing listens, the connection is refused at once.
    let urls = [
        format!("postgres://deskpulse:{enc}@127.0.0.1:1/kpis"),
        format!("postgresql://deskpulse:{enc}@127.0.0.1:1/kpis?sslmode=disable"),
        format!("postgres://deskpulse@127.0.0.1:1/kpis?password={enc}"),
        format!("postgresql://deskpulse@127.0.0.1:1/kpis?sslpassword={enc}&passfile=/tmp/{enc}"),
    ];
    let secret_forms = forms(PW, &["deskpulse"]);
    for url in &urls {
        let env = Env::new();
        env.write_config(&format!(
            "[database]\nurl = \"{url}\"\n\n[[teams]]\nname = \"support\"\nsources = [\"zd\"]\n\n\
             [[sources]]\nname = \"zd\"\nkind = \"zendesk\"\nsubdomain = \"acme\"\n\
             email = \"a@example.com\"\napi_token = \"t0ken-unused\"\n"
        ));
        for args in [
            vec![VV, "status"],
            vec![VV, "sync"],
            vec![VV, "report"],
            vec![VV, "run"],
        ] {
            let out = env.run(&args, &[TRACE]).await;
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?} {url}: {stderr}");
            assert!(
                stderr.contains("127.0.0.1:1"),
                "{args:?}: the error should still name the server: {stderr}"
            );
            assert_output_clean(&format!("{args:?} on {url}"), &out, &secret_forms);
        }
        // `init` writes its starter file; the URL comes from the environment.
        let fresh = Env::new();
        let out = fresh
            .run(&[VV, "init"], &[TRACE, ("DESKPULSE__DATABASE__URL", url)])
            .await;
        assert_eq!(out.status.code(), Some(1), "init: {}", text(&out.stderr));
        assert_output_clean(&format!("init on {url}"), &out, &secret_forms);
    }
}

/// `init` prints the database it created: with its password masked.
#[tokio::test]
async fn init_prints_the_database_url_masked() {
    let Some(db) = deskpulse_storage::testing::TestDb::postgres().await else {
        return;
    };
    const PW: &str = "Init-Pa55w0rd";
    // The test server trusts local connections, so a password in the URL is never asked
    // for: the database is created all the same, and the URL still holds a password.
    let base = db.url().to_owned();
    for url in [
        base.replacen("://postgres@", &format!("://postgres:{PW}@"), 1),
        format!("{base}?password={PW}"),
    ] {
        assert!(url.contains(PW), "{url}");
        let env = Env::new();
        let out = env
            .run(&[VV, "init"], &[TRACE, ("DESKPULSE__DATABASE__URL", &url)])
            .await;
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "init: {}", text(&out.stderr));
        assert!(
            stdout.contains("created the database postgres://"),
            "{stdout}"
        );
        assert!(stdout.contains("****"), "{stdout}");
        assert_output_clean("init", &out, &forms(PW, &["postgres"]));
        for args in [[VV, "status"], [VV, "report"]] {
            let out = env
                .run(&args, &[TRACE, ("DESKPULSE__DATABASE__URL", &url)])
                .await;
            assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
            assert_output_clean(&format!("{args:?}"), &out, &forms(PW, &["postgres"]));
        }
    }
    db.cleanup().await;
}

// ---- 3. vendor error bodies ----

/// A helpdesk behind a misconfigured API gateway: every request is answered 400 with the
/// request's `Authorization` header in the body, and with every other one the gateway has
/// seen (its recent request log). The second part is what the SDK cannot scrub: the client
/// of one source does not know another source's token; only the CLI, fed every configured
/// secret, does.
#[derive(Default)]
struct EchoAuthorization {
    seen: std::sync::Mutex<Vec<String>>,
}

impl Respond for EchoAuthorization {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if !seen.contains(&auth) {
            seen.push(auth.clone());
        }
        let others: Vec<&String> = seen.iter().filter(|a| **a != auth).collect();
        ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "InvalidRequest",
            "recent": others,
            "description": format!("you sent Authorization: {auth}"),
        }))
    }
}

const API_TOKEN: &str = "zd-API-token-7f3c9a41";
const OAUTH_TOKEN: &str = "zd-OAUTH-token-2b8e5d07";

fn echo_config(db_url: &str, base_url: &str) -> String {
    format!(
        r#"[database]
url = "{db_url}"

[daemon]
tick = "1s"

[[sources]]
name = "zd_basic"
kind = "zendesk"
sync_every = "1h"
subdomain = "acme"
email = "agent@example.com"
api_token = "${{ZD_API_TOKEN}}"
base_url = "{base_url}"
requests_per_minute = 0
incremental_requests_per_minute = 0

[[sources]]
name = "zd_bearer"
kind = "zendesk"
sync_every = "1h"
subdomain = "acme"
oauth_token = "{OAUTH_TOKEN}"
base_url = "{base_url}"
requests_per_minute = 0
incremental_requests_per_minute = 0
"#
    )
}

fn token_forms() -> Vec<String> {
    let mut f = forms(API_TOKEN, &["agent@example.com/token"]);
    f.extend(forms(OAUTH_TOKEN, &[]));
    f
}

/// The SDK scrubs secrets from vendor errors; the CLI scrubs again with every configured
/// secret before printing, logging or storing. Neither `sync` nor the daemon's run record
/// nor `status` holds the token, in Basic or Bearer form, even when the vendor echoes it.
#[tokio::test]
async fn an_error_body_echoing_the_token_is_scrubbed_from_terminal_log_run_record_and_status() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(EchoAuthorization::default())
        .mount(&server)
        .await;
    let env = Env::new();
    env.write_config(&echo_config(&env.sqlite_url(), &server.uri()));
    let vars = [("ZD_API_TOKEN", API_TOKEN), TRACE];
    let secrets = token_forms();

    // The echo really carries the credentials: otherwise this test proves nothing.
    let out = env.run(&[VV, "sync"], &vars).await;
    let received = server.received_requests().await.unwrap_or_default();
    let sent: Vec<String> = received
        .iter()
        .filter_map(|r| {
            r.headers
                .get("authorization")?
                .to_str()
                .ok()
                .map(str::to_owned)
        })
        .collect();
    assert!(
        sent.iter()
            .any(|a| a.contains(&base64_basic("agent@example.com/token", API_TOKEN)))
            && sent.iter().any(|a| a.contains(OAUTH_TOKEN)),
        "the fake saw {sent:?}"
    );

    // 1. The terminal (and the trace log on stderr).
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("source zd_basic") && stderr.contains("source zd_bearer"),
        "each source's failure is reported: {stderr}"
    );
    assert!(stderr.contains("HTTP 400"), "{stderr}");
    assert_output_clean("sync", &out, &secrets);

    // 2. The daemon: its log, and the error text it stores in each run record.
    let log = env.dir.path().join("daemon.log");
    let mut cmd = tokio::process::Command::new(BIN);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("DESKPULSE")) {
        cmd.env_remove(k);
    }
    let mut daemon = cmd
        .args([VV, "run"])
        .current_dir(env.dir.path())
        .env("ZD_API_TOKEN", API_TOKEN)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn deskpulse run");
    let store = Store::open(&env.sqlite_url()).await.expect("store");
    let mut records = Vec::new();
    // Polling with a generous deadline: the first sync of each source is due at once.
    for job in ["sync:zd_basic", "sync:zd_bearer"] {
        let finished = poll_until(Duration::from_secs(120), || async {
            let runs = store.recent_runs(job, 5).await.expect("runs");
            runs.into_iter().find(|r| r.finished_at.is_some())
        })
        .await;
        records.push(finished.unwrap_or_else(|| {
            panic!(
                "{job}: no finished run; daemon log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        }));
    }
    // While the daemon holds the database open, its WAL and shared-memory files exist: they
    // are as private as the database (they hold the same data).
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let path = env.dir.path().join(format!("deskpulse.db{suffix}"));
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "deskpulse.db{suffix}");
    }
    stop(&mut daemon).await;
    for r in &records {
        let error = r.error.as_deref().unwrap_or_default();
        assert!(error.contains("HTTP 400"), "{}: {error}", r.job);
        assert_nowhere(&format!("run record {}", r.job), error, &secrets);
    }
    // Every text column of the run records, not only `error`.
    assert_nowhere(
        "the runs table",
        &format!(
            "{:?}",
            store.recent_runs("sync:zd_basic", 50).await.expect("runs")
        ),
        &secrets,
    );
    assert_nowhere(
        "the daemon log",
        &std::fs::read_to_string(&log).expect("log"),
        &secrets,
    );

    // 3. `status` shows the stored errors, scrubbed.
    let out = env.run(&[VV, "status"], &vars).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("HTTP 400"), "{stdout}");
    assert_output_clean("status", &out, &secrets);
    store.close().await;
}

/// A run record written before the CLI scrubbed (or by a daemon configured differently)
/// still never shows a configured secret through `status`.
#[tokio::test]
async fn status_scrubs_a_stored_error_that_holds_a_secret() {
    let env = Env::new();
    env.write_config(&echo_config(&env.sqlite_url(), "http://127.0.0.1:1"));
    let store = Store::open(&env.sqlite_url()).await.expect("store");
    let slot = chrono::Utc::now() - chrono::Duration::minutes(5);
    assert!(
        store
            .claim_run("sync:zd_basic", slot, "old-daemon", slot)
            .await
            .expect("claim")
    );
    let basic = base64_basic("agent@example.com/token", API_TOKEN);
    let leaked = format!("HTTP 400: you sent Basic {basic} and Bearer {OAUTH_TOKEN}");
    store
        .finish_run(
            "sync:zd_basic",
            slot,
            "old-daemon",
            slot,
            &deskpulse_storage::RunEnd {
                outcome: deskpulse_storage::RunOutcome::Failed,
                records: None,
                error: Some(leaked),
            },
        )
        .await
        .expect("finish");
    store.close().await;
    let out = env
        .run(&[VV, "status"], &[("ZD_API_TOKEN", API_TOKEN), TRACE])
        .await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("HTTP 400: you sent Basic [REDACTED]"),
        "{stdout}"
    );
    assert_output_clean("status", &out, &token_forms());
}

/// SIGTERM, then wait for the exit (a deadline, not a bound: the daemon stops within its
/// grace period, far below it).
async fn stop(child: &mut tokio::process::Child) {
    let pid = child.id().expect("pid").to_string();
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -TERM {pid}");
    let status = tokio::time::timeout(Duration::from_secs(120), child.wait())
        .await
        .expect("the daemon stops after SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status:?}");
}

// ---- 4. file modes ----

/// `init` creates the configuration (where credentials go) and the database (which holds the
/// key that hashes customer e-mails) readable by their owner only.
#[cfg(unix)]
#[tokio::test]
async fn init_creates_the_configuration_and_the_database_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let out = env.run(&["init"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mode = |name: &str| {
        std::fs::metadata(env.dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("deskpulse.toml"), 0o600);
    assert_eq!(mode("deskpulse.db"), 0o600);
    for side in ["deskpulse.db-wal", "deskpulse.db-shm"] {
        if env.dir.path().join(side).exists() {
            assert_eq!(mode(side), 0o600, "{side}");
        }
    }
    // `--force` rewrites the file and leaves a mode the user chose alone.
    std::fs::set_permissions(env.config_path(), std::fs::Permissions::from_mode(0o640))
        .expect("chmod");
    let out = env.run(&["init", "--force"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode("deskpulse.toml"), 0o640);
}

// ---- 5. many processes, one new SQLite file ----

/// Twenty `deskpulse status` processes on a database that does not exist yet all succeed,
/// round after round (before the migration lock, 8 of 15 tries failed with "migration 1:
/// table tickets already exists").
#[tokio::test]
async fn twenty_processes_opening_a_new_sqlite_file_at_once_all_succeed() {
    for round in 0..3 {
        let env = Env::new();
        env.write_config(&format!("[database]\nurl = \"{}\"\n", env.sqlite_url()));
        let children: Vec<_> = (0..20)
            .map(|_| {
                let mut cmd = tokio::process::Command::new(BIN);
                for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("DESKPULSE")) {
                    cmd.env_remove(k);
                }
                cmd.arg("status")
                    .current_dir(env.dir.path())
                    .env_remove("RUST_LOG")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()
                    .expect("spawn deskpulse status")
            })
            .collect();
        for (i, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().await.expect("wait");
            assert!(
                out.status.success(),
                "round {round}, process {i}: {:?}\n{}",
                out.status,
                text(&out.stderr)
            );
        }
    }
}

// ---- the SMTP password at trace ----

/// `digest send` at `RUST_LOG=trace -vv`, logging in over STARTTLS with AUTH PLAIN to a real
/// SMTP server: the password is in no output, in no form (before issue 12 lettre's
/// `Wrote: AUTH PLAIN <base64 of \0user\0password>` went to the log). The send itself
/// succeeds, so the login really happened.
#[tokio::test]
async fn digest_send_at_trace_logs_no_form_of_the_smtp_password() {
    let env = Env::new();
    let url = env.sqlite_url();
    let port = start_smtp(true);
    env.write_config(&format!(
        "[database]\nurl = \"{url}\"\n\n{}\n[[teams]]\nname = \"support\"\n\n\
         [[teams.channels]]\nkind = \"email\"\nto = [\"lead@example.com\"]\n",
        smtp_section(port, "starttls", true)
    ));
    let user = "kpi@example.com";
    let mut forms = forms(SMTP_PASSWORD, &[]);
    forms.push(base64(format!("\0{user}\0{SMTP_PASSWORD}").as_bytes()));
    forms.push(base64(format!("{user}\0{SMTP_PASSWORD}").as_bytes()));
    forms.push(base64(SMTP_PASSWORD.as_bytes()));
    let out = env
        .run(
            &[VV, "digest", "send", "--period", "2026-W46"],
            &[("SMTP_PASSWORD", SMTP_PASSWORD), TRACE],
        )
        .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}{stderr}", text(&out.stdout));
    // The trace really shows the SMTP exchange (else this proves nothing).
    assert!(
        stderr.contains("AUTH"),
        "no SMTP exchange in the trace:\n{stderr}"
    );
    assert_output_clean("digest send -vv at trace", &out, &forms);
}
