//! `deskpulse digest` end to end: the golden Zendesk week synced by the real binary, then
//! the digest delivered to a real SMTP server (mailin-embedded on 127.0.0.1, the message
//! parsed with mail-parser) and to a wiremock Slack webhook, once per (team, period,
//! channel) — on SQLite and on Postgres; the HTML preview, hostile names, and the exit code
//! of an e-mail channel without `[smtp]`.

use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use deskpulse_model::{Agent, Batch, Checkpoint, Rating, RatingKind, RatingScale, Record};
use deskpulse_storage::DeliveryClaim;
use deskpulse_storage::testing::TestDb;
use mail_parser::{MessageParser, MimeHeaders};
use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::harness::{Env, text, zendesk_config};
use crate::zendesk_week;

const TOKEN: &str = "zd-digest-token-51c2";
const HOOK: &str = "/services/T0001/B0001/digestHookSecret";
pub(crate) const VARS: [(&str, &str); 1] = [("ZENDESK_API_TOKEN", TOKEN)];

/// One received mail: (envelope from, envelope to, raw message).
pub(crate) type Mail = (String, Vec<String>, Vec<u8>);

/// What the SMTP server received.
#[derive(Clone, Default)]
pub(crate) struct Inbox {
    mails: Arc<Mutex<Vec<Mail>>>,
    current: Arc<Mutex<Mail>>,
}

impl Inbox {
    pub(crate) fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

impl Handler for Inbox {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        *self.current.lock().unwrap() = (from.to_owned(), to.to_vec(), Vec::new());
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.lock().unwrap().2.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let mail = std::mem::take(&mut *self.current.lock().unwrap());
        self.mails.lock().unwrap().push(mail);
        response::OK
    }
}

/// A real SMTP server on a free loopback port; it runs until the test binary exits.
pub(crate) fn start_smtp() -> (u16, Inbox) {
    let inbox = Inbox::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = Server::new(inbox.clone());
    server
        .with_name("mx.test")
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_num_threads(2)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (port, inbox)
}

pub(crate) async fn start_slack() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    server
}

/// The golden week's config with an e-mail and a Slack channel, and `[smtp]` when given.
pub(crate) fn config(db_url: &str, zendesk: &str, smtp_port: Option<u16>, slack: &str) -> String {
    let channels = format!(
        "[[teams.channels]]\nkind = \"email\"\nto = [\"lead@example.com\", \"Ops <ops@example.com>\"]\n\n\
         [[teams.channels]]\nkind = \"slack\"\nname = \"team-slack\"\nwebhook_url = \"{slack}{HOOK}\"\n\n"
    );
    let base = zendesk_config(db_url, zendesk, "Europe/Berlin");
    assert!(base.contains("sources = [\"zd\"]\n"));
    let mut text = base.replacen(
        "sources = [\"zd\"]\n",
        &format!("sources = [\"zd\"]\n\n{channels}"),
        1,
    );
    if let Some(port) = smtp_port {
        text.push_str(&format!(
            "\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"deskpulse <kpi@example.com>\"\n"
        ));
    }
    text
}

pub(crate) async fn sync(env: &Env) {
    let out = env.run(&["sync"], &VARS).await;
    assert!(
        out.status.success(),
        "sync failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

pub(crate) async fn run_ok(env: &Env, args: &[&str]) -> String {
    let out = env.run(args, &VARS).await;
    assert!(
        out.status.success(),
        "{args:?} failed ({:?}): {}{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

pub(crate) async fn slack_posts(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("Slack payload is JSON"))
        .collect()
}

/// Every text of a Block Kit message.
pub(crate) fn slack_texts(v: &Value) -> Vec<String> {
    let mut out = vec![v["text"].as_str().unwrap_or_default().to_owned()];
    for b in v["blocks"].as_array().expect("blocks") {
        if let Some(t) = b["text"]["text"].as_str() {
            out.push(t.to_owned());
        }
        for f in b["fields"].as_array().into_iter().flatten() {
            out.push(f["text"].as_str().unwrap().to_owned());
        }
        for e in b["elements"].as_array().into_iter().flatten() {
            out.push(e["text"].as_str().unwrap().to_owned());
        }
    }
    out
}

/// The KPI figure right after `label` in the text digest (`  Tickets created   7  …`).
fn text_figure<'a>(text: &'a str, label: &str) -> &'a str {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in\n{text}"));
    line[line.find(label).unwrap() + label.len()..]
        .split_whitespace()
        .next()
        .unwrap()
}

fn check_mail(mail: &Mail) {
    let (env_from, env_to, raw) = mail;
    assert_eq!(env_from, "kpi@example.com");
    assert_eq!(env_to, &["lead@example.com", "ops@example.com"]);
    let m = MessageParser::default()
        .parse(raw)
        .expect("a parseable message");
    let subject = m.subject().expect("Subject");
    assert!(
        subject.contains("support") && subject.contains("2026-W46"),
        "{subject}"
    );
    assert_eq!(
        m.from().unwrap().first().unwrap().address(),
        Some("kpi@example.com")
    );
    assert!(m.date().is_some() && m.message_id().is_some());
    assert_eq!(
        m.content_type().unwrap().c_subtype.as_deref(),
        Some("alternative")
    );
    let body = m.body_text(0).expect("a text part");
    let html = m.body_html(0).expect("an HTML part");
    // Ticket volume 7, solved 6, backlog 2 (see golden.rs for the hand computation).
    assert_eq!(text_figure(&body, "Tickets created"), "7", "{body}");
    assert_eq!(text_figure(&body, "Tickets solved"), "6", "{body}");
    assert_eq!(text_figure(&body, "Backlog at end"), "2", "{body}");
    assert!(body.contains("Alice Agent"), "{body}");
    let at = html.find("Tickets created").expect("volume in the HTML");
    assert!(
        html[at..].contains(">7</div>"),
        "volume 7 in the HTML: {}",
        &html[at..(at + 600).min(html.len())]
    );
    assert!(html.contains("Alice Agent"));
    let images: Vec<_> = m
        .attachments()
        .filter(|a| a.content_type().is_some_and(|c| c.ctype() == "image"))
        .collect();
    assert!(!images.is_empty(), "no inline chart");
    for img in images {
        let cid = img.content_id().expect("Content-ID");
        assert!(
            html.contains(&format!("src=\"cid:{cid}\"")),
            "the HTML does not reference {cid}"
        );
        assert_eq!(img.content_type().unwrap().subtype(), Some("png"));
        assert_eq!(&img.contents()[..8], b"\x89PNG\r\n\x1a\n");
        assert!(
            img.content_disposition()
                .is_some_and(|d| d.ctype() == "inline")
        );
    }
}

fn check_slack(v: &Value) {
    let texts = slack_texts(v);
    assert!(
        texts[0].contains("support") && texts[0].contains("2026-W46"),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("*Tickets created*\n7 ")
            || t.starts_with("*Tickets created*\n7\n")
            || t == "*Tickets created*\n7"),
        "no volume 7 in {texts:?}"
    );
    let blocks = v["blocks"].as_array().unwrap();
    assert!(!blocks.is_empty() && blocks.len() <= 50);
    assert!(texts.iter().all(|t| t.chars().count() <= 3000));
}

async fn send_once_then_force(db_url: &str) {
    let (zendesk, _) = zendesk_week::start().await;
    let (port, inbox) = start_smtp();
    let slack = start_slack().await;
    let env = Env::new();
    env.write_config(&config(db_url, &zendesk.uri(), Some(port), &slack.uri()));
    sync(&env).await;
    let send = ["digest", "send", "--period", "2026-W46"];

    // A dry run renders and says where it would go; nothing is sent or recorded.
    let out = run_ok(&env, &[&send[..], &["--dry-run"]].concat()).await;
    assert!(
        out.contains("email (e-mail to lead@example.com, Ops <ops@example.com>): would send")
            && out.contains("team-slack (Slack webhook): would send"),
        "{out}"
    );
    assert!(inbox.mails().is_empty() && slack_posts(&slack).await.is_empty());

    // First send: one mail, one Slack post.
    let out = run_ok(&env, &send).await;
    assert!(
        out.contains("email (e-mail to lead@example.com, Ops <ops@example.com>): sent\n")
            && out.contains("team-slack (Slack webhook): sent\n"),
        "{out}"
    );
    let mails = inbox.mails();
    assert_eq!(mails.len(), 1);
    check_mail(&mails[0]);
    let posts = slack_posts(&slack).await;
    assert_eq!(posts.len(), 1);
    check_slack(&posts[0]);

    // Again: nothing is delivered, and the output says so.
    let out = run_ok(&env, &send).await;
    assert_eq!(
        out.matches("already sent on 20").count(),
        2,
        "expected both channels already sent: {out}"
    );
    assert!(out.contains("(use --force to send again)"), "{out}");
    assert_eq!(inbox.mails().len(), 1);
    assert_eq!(slack_posts(&slack).await.len(), 1);
    let out = run_ok(&env, &[&send[..], &["--dry-run"]].concat()).await;
    assert!(out.contains("would skip: already sent on"), "{out}");

    // --force delivers again; --channel limits it to one channel.
    let out = run_ok(&env, &[&send[..], &["--force"]].concat()).await;
    assert_eq!(out.matches(": sent\n").count(), 2, "{out}");
    assert_eq!(inbox.mails().len(), 2);
    check_mail(&inbox.mails()[1]);
    assert_eq!(slack_posts(&slack).await.len(), 2);
    let out = run_ok(
        &env,
        &[&send[..], &["--force", "--channel", "team-slack"]].concat(),
    )
    .await;
    assert_eq!(out.trim(), "team-slack (Slack webhook): sent", "{out}");
    assert_eq!(inbox.mails().len(), 2);
    assert_eq!(slack_posts(&slack).await.len(), 3);

    // Another period is another delivery.
    let out = run_ok(
        &env,
        &[
            "digest",
            "send",
            "--period",
            "2026-W47",
            "--channel",
            "email",
        ],
    )
    .await;
    assert!(out.ends_with(": sent\n"), "{out}");
    assert_eq!(inbox.mails().len(), 3);

    // A run that died between the send and the log write left its claim "sending": the
    // next run reports it and sends nothing (at most once); --force sends.
    let store = deskpulse_storage::Store::open(db_url).await.unwrap();
    assert!(matches!(
        store
            .claim_delivery("support", "2026-W45", "team-slack", false)
            .await
            .unwrap(),
        DeliveryClaim::Acquired { .. }
    ));
    store.close().await;
    let w45 = [
        "digest",
        "send",
        "--period",
        "2026-W45",
        "--channel",
        "team-slack",
    ];
    let out = run_ok(&env, &w45).await;
    assert!(
        out.starts_with("team-slack (Slack webhook): in progress since 20")
            && out.contains(
                "(a previous send may have died after sending; check the channel, then --force)"
            ),
        "{out}"
    );
    assert_eq!(slack_posts(&slack).await.len(), 3);
    let out = run_ok(&env, &[&w45[..], &["--force"]].concat()).await;
    assert_eq!(out, "team-slack (Slack webhook): sent\n");
    assert_eq!(slack_posts(&slack).await.len(), 4);

    // An unknown channel is a usage error.
    let out = env
        .run(&[&send[..], &["--channel", "nope"]].concat(), &VARS)
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("team-slack"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_is_sent_once_and_forced_again_on_sqlite() {
    let db = TestDb::sqlite();
    send_once_then_force(db.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_is_sent_once_and_forced_again_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    send_once_then_force(db.url()).await;
    db.cleanup().await;
}

/// A failing channel: exit 1, the other channel still sent, and the failed one is retried
/// by the next run (its claim was released).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_channel_exits_1_and_is_retried() {
    let db = TestDb::sqlite();
    let (zendesk, _) = zendesk_week::start().await;
    let (port, inbox) = start_smtp();
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&slack)
        .await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack)
        .await;
    let env = Env::new();
    env.write_config(&config(db.url(), &zendesk.uri(), Some(port), &slack.uri()));
    sync(&env).await;
    let send = ["digest", "send", "--period", "2026-W46"];
    let out = env.run(&send, &VARS).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("): sent\n"), "{stdout}");
    assert!(
        stdout.contains("team-slack (Slack webhook): failed: ") && stdout.contains("404"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("digestHookSecret"),
        "the webhook URL leaked"
    );
    assert!(
        text(&out.stderr).contains("1 of 2 channel(s): team-slack"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(inbox.mails().len(), 1);
    let out = run_ok(&env, &send).await;
    assert!(
        out.contains("already sent on") && out.contains("team-slack (Slack webhook): sent"),
        "{out}"
    );
    assert_eq!(inbox.mails().len(), 1);
}

/// An agent name and a survey comment full of markup stay inert in the HTML and Slack
/// previews; the HTML preview is a file with its charts next to it and nothing remote.
#[tokio::test]
async fn previews_are_self_contained_and_escape_hostile_text() {
    let db = TestDb::sqlite();
    let (zendesk, _) = zendesk_week::start().await;
    let env = Env::new();
    env.write_config(&config(
        db.url(),
        &zendesk.uri(),
        None,
        "http://127.0.0.1:9",
    ));
    sync(&env).await;

    // Rename Alice and add a commented survey answer, as a later sync could.
    const HOSTILE: &str =
        "<script>alert(1)</script><img src=x onerror=alert(2)> <!channel> <@U123> & Co";
    let store = db.open().await;
    let at: DateTime<Utc> = "2026-11-10T10:00:00Z".parse().unwrap();
    let batch = Batch {
        records: vec![
            Record::Agent(Agent {
                external_id: zendesk_week::ALICE.to_string(),
                name: HOSTILE.into(),
                is_bot: false,
            }),
            Record::Rating(Rating {
                external_id: "hostile-1".into(),
                kind: RatingKind::Csat,
                score: 1.0,
                scale: RatingScale::ONE_TO_FIVE,
                ticket_id: Some("1".into()),
                agent_id: Some(zendesk_week::ALICE.to_string()),
                comment: Some(format!("comment {HOSTILE}")),
                created_at: at,
            }),
        ],
        checkpoint: Checkpoint::new(serde_json::json!(1)),
    };
    store
        .commit_batch("zd", "test-hostile", &batch)
        .await
        .unwrap();
    store.close().await;

    // HTML to a directory: digest.html and its charts, nothing remote, nothing executable.
    let out_dir = env.dir.path().join("preview");
    let out = run_ok(
        &env,
        &[
            "digest",
            "preview",
            "--period",
            "2026-W46",
            "--format",
            "html",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    )
    .await;
    let file = out_dir.join("digest.html");
    assert!(out.contains(file.to_str().unwrap()), "{out}");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "the name is shown, escaped"
    );
    assert!(
        html.contains("comment &#60;script&#62;") || html.contains("comment &lt;script&gt;"),
        "the survey comment is shown, escaped"
    );
    for bad in [
        "<script",
        "<img src=x",
        "onerror=alert(2)>",
        "<!channel>",
        "<@U123>",
    ] {
        assert!(!html.contains(bad), "{bad:?} is live in the HTML");
    }
    assert!(
        !html.contains("cid:"),
        "cid: references left in the preview"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the preview refers to something remote"
    );
    check_local_images(&html, &out_dir);

    // Without --out the HTML goes to stdout with cid: references (as in the e-mail).
    let stdout = run_ok(
        &env,
        &[
            "digest", "preview", "--period", "2026-W46", "--format", "html",
        ],
    )
    .await;
    assert!(stdout.contains("src=\"cid:") && !stdout.contains("<script"));

    // Slack: no mention, no link, no raw markup.
    let stdout = run_ok(
        &env,
        &[
            "digest", "preview", "--period", "2026-W46", "--format", "slack",
        ],
    )
    .await;
    let v: Value = serde_json::from_str(&stdout).expect("Block Kit JSON");
    let texts = slack_texts(&v).join("\n");
    assert!(texts.contains("&lt;script&gt;"), "{texts}");
    for bad in ["<script", "<!channel>", "<@U123>", "<img"] {
        assert!(!texts.contains(bad), "{bad:?} is live in Slack: {texts}");
    }

    // Text to a file.
    let txt = env.dir.path().join("digest.txt");
    run_ok(
        &env,
        &[
            "digest",
            "preview",
            "--period",
            "2026-W46",
            "--out",
            txt.to_str().unwrap(),
        ],
    )
    .await;
    let body = std::fs::read_to_string(&txt).unwrap();
    assert_eq!(text_figure(&body, "Tickets created"), "7", "{body}");
}

/// Every `src="…"` of the HTML is a PNG file in `dir`.
fn check_local_images(html: &str, dir: &Path) {
    let mut n = 0;
    for part in html.split("src=\"").skip(1) {
        let src = &part[..part.find('"').unwrap()];
        assert!(
            !src.contains('/') && src.ends_with(".png"),
            "unexpected image source {src:?}"
        );
        let bytes = std::fs::read(dir.join(src)).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        n += 1;
    }
    assert!(n > 0, "no chart in the preview");
}

#[tokio::test]
async fn an_email_channel_without_smtp_is_a_usage_error() {
    let env = Env::new();
    env.write_config(&config(
        &env.sqlite_url(),
        "http://127.0.0.1:9",
        None,
        "http://127.0.0.1:9",
    ));
    let out = env
        .run(&["digest", "send", "--period", "2026-W46"], &VARS)
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("[smtp]") && err.contains("email"), "{err}");
    // The Slack channel alone needs no [smtp]: it fails only at the network (nothing listens).
    let out = env
        .run(
            &[
                "digest",
                "send",
                "--period",
                "2026-W46",
                "--channel",
                "team-slack",
                "--dry-run",
            ],
            &VARS,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Two channels with one name would share one delivery-log entry: refused.
    env.write_config(
        &config(
            &env.sqlite_url(),
            "http://127.0.0.1:9",
            Some(25),
            "http://127.0.0.1:9",
        )
        .replace("name = \"team-slack\"\n", "name = \"email\"\n"),
    );
    let out = env
        .run(&["digest", "send", "--period", "2026-W46"], &VARS)
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("two channels named \"email\""),
        "{}",
        text(&out.stderr)
    );
}
