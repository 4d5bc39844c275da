//! Keeps lettre's own `tracing` events, which carry the SMTP password, away from the
//! application's subscriber, and passes on the part of them worth reading.
//!
//! lettre logs every line it writes (`Wrote: AUTH PLAIN <base64 of \0user\0password>`,
//! LOGIN's base64 user and password, the whole message) at DEBUG under the `lettre::…`
//! targets. Filtering those targets is the application's business and the user's choice
//! (`RUST_LOG=trace` enables them), so it cannot be what protects the password. Instead
//! [`quiet`] polls lettre's future with a subscriber of ours as the thread's current
//! dispatcher: a scoped default takes precedence over the global one, so for the duration
//! of each poll lettre's events go to [`Capture`] and nowhere else. `Capture` keeps only
//! the server's replies and the server's description (never a line we wrote), and `quiet`
//! re-emits them, redacted by [`Redactor`], through the application's subscriber as DEBUG
//! events of `deskpulse_digest::delivery::smtp`.
//!
//! This holds as long as lettre logs only from inside the future it returns, which is the
//! case without its `pool` feature (the pool's background tasks would escape the scope; the
//! workspace does not enable it).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// Every form of the SMTP password that lettre puts on the wire (and so into its log lines
/// and, were a server to echo it, into a reply or an error): the password itself, the PLAIN
/// response in base64 (with and without an authorization identity) and LOGIN's base64
/// password. Forms are unpadded base64: they match padded text too.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// Longest first, so a form containing another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    pub(crate) fn new(username: &str, password: &str) -> Self {
        let b64 = |s: &str| STANDARD_NO_PAD.encode(s);
        let mut secrets = vec![
            password.to_owned(),
            b64(password),
            b64(&format!("\0{username}\0{password}")),
            b64(&format!("{username}\0{password}")),
            b64(&format!("{username}\0{username}\0{password}")),
            format!("{username}\0{password}"),
        ];
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// `text` with every form of the password replaced by `[REDACTED]`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "[REDACTED]");
            }
        }
        out
    }
}

/// Runs `fut` (lettre calls) so that lettre's events reach no subscriber but ours, and
/// re-emits the server's replies, redacted, as they come (after each poll).
pub(crate) async fn quiet<F: Future>(fut: F, redactor: &Redactor) -> F::Output {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let capture = Dispatch::new(Capture {
        lines: Arc::clone(&lines),
    });
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        let out = tracing::dispatcher::with_default(&capture, || fut.as_mut().poll(cx));
        let taken = std::mem::take(&mut *lines.lock().unwrap_or_else(PoisonError::into_inner));
        for line in taken {
            tracing::debug!(target: "deskpulse_digest::delivery::smtp", "{}", redactor.redact(&line));
        }
        out
    })
    .await
}

/// The subscriber lettre's events go to (see the module docs). It records nothing but the
/// lines worth passing on.
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
}

/// What of lettre's log is passed on: the server's replies (`<< 250 …`) and its description
/// after EHLO. Never `Wrote: …` (our commands, AUTH included, and the message itself) nor the
/// AUTH challenge lines.
fn passed_on(message: &str) -> bool {
    message.starts_with("<< ")
        || message.starts_with("server ")
        || message == "connection encrypted"
}

impl Subscriber for Capture {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && metadata.target().starts_with("lettre")
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::DEBUG)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // `enabled` refuses spans; an id is still owed if one is created regardless.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = MessageField(None);
        event.record(&mut message);
        if let Some(m) = message.0.filter(|m| passed_on(m)) {
            self.lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(m);
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

struct MessageField(Option<String>);

impl Visit for MessageField {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_the_password_is_redacted() {
        let r = Redactor::new("kpi@example.com", "s3cret-pass");
        // PLAIN as lettre writes it: base64 of "\0user\0password", padded.
        let plain =
            base64::engine::general_purpose::STANDARD.encode("\0kpi@example.com\0s3cret-pass");
        let login = base64::engine::general_purpose::STANDARD.encode("s3cret-pass");
        for line in [
            format!("Wrote: AUTH PLAIN {plain}\\r\\n"),
            format!("Wrote: {login}\\r\\n"),
            "<< 535 bad password s3cret-pass".to_owned(),
        ] {
            let out = r.redact(&line);
            assert!(out.contains("[REDACTED]"), "{out}");
            assert!(!out.contains("s3cret-pass") && !out.contains(plain.trim_end_matches('=')));
            assert!(!out.contains(login.trim_end_matches('=')), "{out}");
        }
        assert_eq!(r.redact("<< 250 OK"), "<< 250 OK");
        assert_eq!(Redactor::default().redact("<< 250 OK"), "<< 250 OK");
    }

    #[test]
    fn only_server_replies_are_passed_on() {
        assert!(passed_on("<< 250-mx.test offers extensions:\\r\\n"));
        assert!(passed_on("connection encrypted"));
        assert!(!passed_on("Wrote: AUTH PLAIN AGt..."));
        assert!(!passed_on("Wrote: MAIL FROM:<kpi@example.com>\\r\\n"));
        assert!(!passed_on("auth decoded challenge: Password:"));
    }
}
