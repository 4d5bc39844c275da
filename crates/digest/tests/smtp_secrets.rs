//! The SMTP password never reaches a log line, whatever the application's filter (issue 12:
//! lettre's `tracing` feature logged `Wrote: AUTH PLAIN <base64 of \0user\0password>`).
//!
//! Its own test binary, because it installs a **global** `tracing` subscriber that records
//! every event and span of every target at TRACE (`EnvFilter::new("trace")`, as
//! `RUST_LOG=trace` or `-vv` would), like the deskpulse binary does. Each test then runs a
//! real SMTP exchange with AUTH (mailin-embedded, STARTTLS then PLAIN or LOGIN, on a
//! multi-thread runtime so lettre's future moves between threads) and asserts that no form
//! of its password is anywhere in everything logged, and that the log is not empty of SMTP
//! either: our span and the server's replies are there.

#[path = "digest/fixtures.rs"]
mod fixtures;
#[path = "common/smtp_server.rs"]
mod smtp_server;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use deskpulse_connector::Secret;
use deskpulse_digest::delivery::{
    DeliveryError, EmailChannel, SmtpSecurity, SmtpSender, SmtpSettings,
};
use deskpulse_digest::{Digest, DigestInput, RenderedDigest};
use smtp_server::{AuthMechanism, TEST_CA_PEM, start_with_auth};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Everything the global subscriber wrote.
fn log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buf);
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("trace"))
            .with_span_events(FmtSpan::FULL)
            .with_ansi(false)
            .with_writer(move || Sink(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        buf
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logged() -> String {
    String::from_utf8_lossy(&log().lock().unwrap()).into_owned()
}

/// Every form of `user`/`password` that must never be logged: the password, the PLAIN
/// response (RFC 4616: `[authzid] NUL authcid NUL passwd`) in base64 with and without the
/// leading NUL, LOGIN's base64 user name and password (each sent alone), with and without
/// padding, and the pair itself.
fn forbidden(user: &str, password: &str) -> Vec<String> {
    let mut out = vec![password.to_owned(), format!("{user}\0{password}")];
    for raw in [
        format!("\0{user}\0{password}"),
        format!("{user}\0{password}"),
        user.to_owned(),
        password.to_owned(),
    ] {
        out.push(STANDARD.encode(&raw));
        out.push(STANDARD_NO_PAD.encode(&raw));
    }
    out
}

fn assert_no_secret(haystack: &str, user: &str, password: &str, what: &str) {
    for f in forbidden(user, password) {
        assert!(
            !haystack.contains(&f),
            "{what} contains a form of the SMTP password: {f:?}"
        );
    }
}

/// The standard sample digest of the main test binary.
fn rendered() -> RenderedDigest {
    let s = fixtures::sample(false);
    let d = Digest::build(&DigestInput {
        report: &s.report,
        history: &s.history,
        reviews: &s.reviews,
        ratings: &s.ratings,
    });
    RenderedDigest::render(&d).unwrap()
}

fn settings(port: u16, user: &str, password: &str) -> SmtpSettings {
    let mut s = SmtpSettings::new(
        "127.0.0.1",
        port,
        SmtpSecurity::Starttls,
        "deskpulse <kpi@example.com>",
    );
    s.username = Some(user.to_owned());
    s.password = Some(Secret::new(password));
    s.tls_ca_pem = Some(TEST_CA_PEM.to_owned());
    s
}

fn to() -> EmailChannel {
    EmailChannel {
        to: vec!["lead@example.com".into()],
    }
}

/// Sends the digest through a server that offers only `mechanism` and accepts `user` /
/// `password`, and checks the log: our span with the port, the server's replies, and no
/// form of the password.
async fn authenticated_send_logs_no_secret(mechanism: AuthMechanism, name: &str) {
    let _ = log();
    let user = format!("digest-bot-{name}");
    let password = format!("Pa55:{name}:w0rd-only-in-this-test");
    let (port, inbox) = start_with_auth(mechanism, &user, &password);
    let sender = SmtpSender::new(&settings(port, &user, &password)).unwrap();
    let r = rendered();
    sender
        .send_digest(&r.subject, &r.text, &r.html, &to())
        .await
        .unwrap();

    // The exchange really authenticated, with this mechanism and these credentials.
    assert_eq!(
        *inbox.logins.lock().unwrap(),
        [(name, user.clone(), password.clone())]
    );
    assert_eq!(inbox.mails.lock().unwrap().len(), 1);

    let log = logged();
    assert_no_secret(&log, &user, &password, "the log");
    // Not vacuous: the SMTP exchange is in the log, our span and the server's replies
    // (which lettre logs at DEBUG, passed on by the sender), the AUTH success included.
    assert!(
        log.contains("smtp_send") && log.contains(&format!("port={port}")),
        "our span is not in the log"
    );
    assert!(log.contains("security=\"starttls\"") && log.contains("auth=true"));
    assert!(
        log.contains("<< 235 Authentication succeeded"),
        "the server's replies are not in the log"
    );
    assert!(log.contains("the SMTP server accepted the digest"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_plain_over_starttls_logs_no_form_of_the_password_at_trace() {
    authenticated_send_logs_no_secret(AuthMechanism::Plain, "PLAIN").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_login_over_starttls_logs_no_form_of_the_password_at_trace() {
    authenticated_send_logs_no_secret(AuthMechanism::Login, "LOGIN").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_password_is_a_clear_error_and_no_log_line_holds_it() {
    let _ = log();
    let user = "digest-bot-refused";
    let password = "Wr0ng-pa55word-of-the-refusal-test";
    let (port, inbox) = start_with_auth(AuthMechanism::Plain, user, "the-right-one");
    let sender = SmtpSender::new(&settings(port, user, password)).unwrap();
    let r = rendered();
    let e = sender
        .send_digest(&r.subject, &r.text, &r.html, &to())
        .await
        .unwrap_err();
    assert_eq!(inbox.logins.lock().unwrap().len(), 1, "AUTH was sent");
    assert!(inbox.mails.lock().unwrap().is_empty());
    // The server refused the login: nothing was sent, the next run may try again.
    assert!(matches!(e, DeliveryError::Smtp { .. }), "{e:?}");
    assert!(!e.may_have_been_delivered());
    let msg = e.to_string();
    assert!(
        msg.contains("535") && msg.contains("Invalid credentials"),
        "{msg}"
    );
    assert_no_secret(&msg, user, password, "the error");
    assert_no_secret(&format!("{e:?}"), user, password, "the error's Debug");
    assert_no_secret(&format!("{sender:?}"), user, password, "the sender's Debug");
    let log = logged();
    assert_no_secret(&log, user, password, "the log");
    assert!(
        log.contains("<< 535 Invalid credentials"),
        "the refusal is in the log"
    );
}

/// `deskpulse check`'s probe: the whole handshake of a send — connect, EHLO, STARTTLS,
/// AUTH — and no mail transaction; a refused login is a clear error without the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_logs_in_over_starttls_and_sends_nothing() {
    let _ = log();
    let user = "digest-bot-verify";
    let password = "Ver1fy-pa55word-only-in-this-test";
    let (port, inbox) = start_with_auth(AuthMechanism::Plain, user, password);
    SmtpSender::new(&settings(port, user, password))
        .unwrap()
        .verify()
        .await
        .unwrap();
    assert_eq!(
        *inbox.logins.lock().unwrap(),
        [("PLAIN", user.to_owned(), password.to_owned())],
        "the login went through STARTTLS and AUTH"
    );
    assert!(inbox.mails.lock().unwrap().is_empty(), "nothing was sent");

    let wrong = "Wr0ng-verify-pa55word";
    let e = SmtpSender::new(&settings(port, user, wrong))
        .unwrap()
        .verify()
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("535"), "{msg}");
    assert_no_secret(&msg, user, wrong, "the error");
    assert_no_secret(&logged(), user, wrong, "the log");
    assert!(inbox.mails.lock().unwrap().is_empty());
}
