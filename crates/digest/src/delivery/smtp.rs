//! SMTP through lettre's connection API (rustls with aws-lc-rs, the one TLS provider of the
//! workspace).
//!
//! # Secrets never reach a log
//!
//! lettre, built with its `tracing` feature, logs every line it writes at DEBUG, the
//! `AUTH PLAIN <base64 of user\0password>` line and LOGIN's base64 user and password
//! included. A filter cannot be trusted to hide them: the application's filter is the
//! user's (`RUST_LOG=trace`, `-vv`). So every lettre call runs inside [`smtp_log::quiet`],
//! which makes a subscriber of our own the current one while lettre runs: lettre's events
//! reach it and no other, whatever the application installed. Of them, only the server's
//! replies (and the server's name and extensions) are passed on, redacted of any form of
//! the password, as DEBUG events of this module; our own span and events say host, port,
//! security, whether we authenticate, and the outcome.
//!
//! # Did it arrive?
//!
//! Each step (connect and EHLO, STARTTLS, AUTH) must finish within the settings' `timeout`,
//! the transaction (MAIL, RCPT, DATA and the message) within four times it. A failure
//! before the transaction, or a negative reply from the server, means the message was not
//! accepted: [`DeliveryError::Smtp`]. A timeout or a broken connection during the
//! transaction may come after the server took the message: [`DeliveryError::Uncertain`],
//! which [`send_once`](super::send_once) does not resend.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deskpulse_connector::Secret;
use lettre::Message;
use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use tracing::Instrument;

use super::DeliveryError;
use super::smtp_log::{Redactor, quiet};
use crate::escape::plain;
use crate::html::HtmlEmail;

/// How the SMTP connection is secured (`[smtp] security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS at all: only towards localhost / a loopback address.
    None,
}

impl std::str::FromStr for SmtpSecurity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "starttls" => Ok(SmtpSecurity::Starttls),
            "tls" => Ok(SmtpSecurity::Tls),
            "none" => Ok(SmtpSecurity::None),
            other => Err(format!(
                "unknown SMTP security {other:?} (expected one of: starttls, tls, none)"
            )),
        }
    }
}

impl SmtpSecurity {
    fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        }
    }
}

/// `[smtp]`: the server the e-mail digests go through.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Authenticate (PLAIN/LOGIN) when set; the password is then required.
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// `deskpulse <kpi@example.com>`.
    pub from: String,
    /// Per step: connect, STARTTLS, AUTH; the transaction gets four times it.
    pub timeout: Duration,
    /// PEM certificates of CAs trusted for this server besides the system's (a relay whose
    /// certificate a private CA signed). `None`: the system's trust store only.
    pub tls_ca_pem: Option<String>,
}

impl SmtpSettings {
    pub fn new(
        host: impl Into<String>,
        port: u16,
        security: SmtpSecurity,
        from: impl Into<String>,
    ) -> Self {
        SmtpSettings {
            host: host.into(),
            port,
            security,
            username: None,
            password: None,
            from: from.into(),
            timeout: Duration::from_secs(30),
            tls_ca_pem: None,
        }
    }
}

/// An e-mail channel of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChannel {
    pub to: Vec<String>,
}

pub(crate) fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A connection setup to one SMTP server (a connection is opened per send).
#[derive(Clone)]
pub struct SmtpSender {
    host: String,
    port: u16,
    security: SmtpSecurity,
    /// For `starttls` and `tls`.
    tls: Option<TlsParameters>,
    /// (username, password).
    credentials: Option<(String, Secret)>,
    redactor: Redactor,
    hello: ClientId,
    timeout: Duration,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("auth", &self.credentials.is_some())
            .finish_non_exhaustive()
    }
}

fn mailbox(what: &str, s: &str) -> Result<Mailbox, DeliveryError> {
    s.parse::<Mailbox>().map_err(|e| {
        DeliveryError::Settings(format!(
            "{what} {s:?} is not an e-mail address (`name <user@example.com>` or `user@example.com`): {e}"
        ))
    })
}

/// Why an exchange failed, and whether the server may have taken the message by then.
struct ExchangeFailure {
    /// The failure came during the transaction, in a way that does not prove the message
    /// was refused.
    uncertain: bool,
    detail: String,
}

impl ExchangeFailure {
    fn before(e: &lettre::transport::smtp::Error) -> Self {
        ExchangeFailure {
            uncertain: false,
            detail: describe(e),
        }
    }
    fn timeout(step: &str, limit: Duration, uncertain: bool) -> Self {
        ExchangeFailure {
            uncertain,
            detail: format!("{step}: no answer within {} s", limit.as_secs_f64()),
        }
    }
}

impl SmtpSender {
    pub fn new(s: &SmtpSettings) -> Result<Self, DeliveryError> {
        let host = s.host.trim();
        if host.is_empty() {
            return Err(DeliveryError::Settings("`smtp.host` is empty".into()));
        }
        let from = mailbox("`smtp.from`", &s.from)?;
        let tls = match s.security {
            SmtpSecurity::Starttls | SmtpSecurity::Tls => {
                let mut builder = TlsParameters::builder(host.to_owned());
                if let Some(pem) = &s.tls_ca_pem {
                    let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| {
                        DeliveryError::Settings(format!(
                            "the SMTP CA certificates are not PEM certificates: {e}"
                        ))
                    })?;
                    builder = builder.add_root_certificate(cert);
                }
                Some(
                    builder.build().map_err(|e| {
                        DeliveryError::Settings(format!("`smtp.host` {host:?}: {e}"))
                    })?,
                )
            }
            SmtpSecurity::None => {
                if !is_loopback(host) {
                    return Err(DeliveryError::Settings(format!(
                        "`smtp.security = \"none\"` sends the password and the digest in clear text: it is only allowed towards localhost, not {host:?}; use \"starttls\" (port 587) or \"tls\" (port 465)"
                    )));
                }
                None
            }
        };
        let credentials = match (&s.username, &s.password) {
            (Some(u), Some(p)) => Some((u.clone(), p.clone())),
            (Some(_), None) => {
                return Err(DeliveryError::Settings(
                    "`smtp.username` is set but `smtp.password` is not".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(DeliveryError::Settings(
                    "`smtp.password` is set but `smtp.username` is not".into(),
                ));
            }
            (None, None) => None,
        };
        let redactor = match &credentials {
            Some((u, p)) => Redactor::new(u, p.expose()),
            None => Redactor::default(),
        };
        Ok(SmtpSender {
            host: host.to_owned(),
            port: s.port,
            security: s.security,
            tls,
            credentials,
            redactor,
            hello: ClientId::default(),
            timeout: s.timeout,
            from,
        })
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends a built message (see the module docs for what an error says about delivery).
    pub async fn send(&self, message: Message) -> Result<(), DeliveryError> {
        let envelope = message.envelope().clone();
        let raw = message.formatted();
        let span = tracing::info_span!(
            "smtp_send",
            host = %self.host,
            port = self.port,
            security = self.security.as_str(),
            auth = self.credentials.is_some(),
            recipients = envelope.to().len(),
        );
        async {
            tracing::debug!(bytes = raw.len(), "sending the digest e-mail");
            match quiet(self.exchange(&envelope, &raw), &self.redactor).await {
                Ok(reply) => {
                    tracing::info!(reply = %reply.code(), "the SMTP server accepted the digest");
                    Ok(())
                }
                Err(f) => {
                    let detail = self.redactor.redact(&f.detail);
                    tracing::warn!(
                        error = %detail,
                        may_have_been_delivered = f.uncertain,
                        "SMTP delivery failed"
                    );
                    Err(if f.uncertain {
                        DeliveryError::Uncertain {
                            channel: format!("SMTP delivery to {}:{}", self.host, self.port),
                            detail,
                        }
                    } else {
                        DeliveryError::Smtp {
                            host: self.host.clone(),
                            port: self.port,
                            detail,
                        }
                    })
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Connects, says EHLO, upgrades to TLS (`tls`, or STARTTLS when configured), logs in
    /// when credentials are set, and says QUIT: everything a send does but the mail
    /// transaction (`deskpulse check`). Nothing is sent; errors are redacted like a send's.
    pub async fn verify(&self) -> Result<(), DeliveryError> {
        let span = tracing::info_span!(
            "smtp_verify",
            host = %self.host,
            port = self.port,
            security = self.security.as_str(),
            auth = self.credentials.is_some(),
        );
        async {
            match quiet(self.handshake(), &self.redactor).await {
                Ok(mut conn) => {
                    let _ = tokio::time::timeout(self.timeout, conn.quit()).await;
                    Ok(())
                }
                Err(f) => Err(DeliveryError::Smtp {
                    host: self.host.clone(),
                    port: self.port,
                    detail: self.redactor.redact(&f.detail),
                }),
            }
        }
        .instrument(span)
        .await
    }

    /// Connect, STARTTLS and AUTH, each within the timeout. Runs inside [`quiet`].
    async fn handshake(&self) -> Result<AsyncSmtpConnection, ExchangeFailure> {
        let step = self.timeout;
        let wrapper = match self.security {
            SmtpSecurity::Tls => self.tls.clone(),
            _ => None,
        };
        let mut conn = tokio::time::timeout(
            step,
            AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(step),
                &self.hello,
                wrapper,
                None,
            ),
        )
        .await
        .map_err(|_| ExchangeFailure::timeout("connecting", step, false))?
        .map_err(|e| ExchangeFailure::before(&e))?;
        if let (SmtpSecurity::Starttls, Some(tls)) = (self.security, &self.tls) {
            tokio::time::timeout(step, conn.starttls(tls.clone(), &self.hello))
                .await
                .map_err(|_| ExchangeFailure::timeout("STARTTLS", step, false))?
                .map_err(|e| ExchangeFailure::before(&e))?;
        }
        if let Some((user, password)) = &self.credentials {
            let credentials = Credentials::new(user.clone(), password.expose().to_owned());
            tokio::time::timeout(step, conn.auth(DEFAULT_MECHANISMS, &credentials))
                .await
                .map_err(|_| ExchangeFailure::timeout("authenticating", step, false))?
                .map_err(|e| ExchangeFailure::before(&e))?;
        }
        Ok(conn)
    }

    /// The handshake, then the transaction. Runs inside [`quiet`]: no event of ours here
    /// (it would not reach the application's subscriber).
    async fn exchange(&self, envelope: &Envelope, raw: &[u8]) -> Result<Response, ExchangeFailure> {
        let step = self.timeout;
        let mut conn = self.handshake().await?;
        let limit = step.saturating_mul(4);
        let reply = tokio::time::timeout(limit, conn.send(envelope, raw))
            .await
            .map_err(|_| ExchangeFailure::timeout("sending the message", limit, true))?
            .map_err(|e| ExchangeFailure {
                // A negative reply is the server refusing (the message, or an earlier
                // command); a client error is lettre refusing before writing. Anything
                // else (the connection broke, a garbled reply) may follow the server
                // taking the message.
                uncertain: !(e.is_permanent() || e.is_transient() || e.is_client()),
                detail: describe(&e),
            })?;
        // QUIT is a courtesy: the message is accepted whatever happens to it.
        let _ = tokio::time::timeout(step, conn.quit()).await;
        Ok(reply)
    }

    /// Builds the digest e-mail (see [`build_email`]) and sends it.
    pub async fn send_digest(
        &self,
        subject: &str,
        text: &str,
        html: &HtmlEmail,
        to: &EmailChannel,
    ) -> Result<(), DeliveryError> {
        let message = build_email(&self.from, to, subject, text, html)?;
        self.send(message).await
    }
}

fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        // lettre's own message already ends with its source's.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// The multipart/alternative digest e-mail: a text/plain part, then a multipart/related
/// holding the text/html part and each chart as an inline image/png part whose Content-ID
/// the HTML references with `cid:`. Date and MIME-Version are set by lettre; the
/// Message-ID is `<…@domain of From>`.
pub fn build_email(
    from: &Mailbox,
    to: &EmailChannel,
    subject: &str,
    text: &str,
    html: &HtmlEmail,
) -> Result<Message, DeliveryError> {
    if to.to.is_empty() {
        return Err(DeliveryError::Settings(
            "the e-mail channel has no `to` address".into(),
        ));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let message_id = format!(
        "<deskpulse.{:x}.{:x}.{}@{}>",
        now.as_nanos(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        from.email.domain()
    );
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(plain(subject))
        .message_id(Some(message_id))
        .user_agent(concat!("deskpulse/", env!("CARGO_PKG_VERSION")).to_owned());
    for addr in &to.to {
        builder = builder.to(mailbox("the `to` address", addr)?);
    }
    let png = ContentType::parse("image/png").map_err(|e| DeliveryError::Message(e.to_string()))?;
    let mut related = MultiPart::related().singlepart(SinglePart::html(html.html.clone()));
    for img in &html.images {
        related = related.singlepart(
            Attachment::new_inline_with_name(img.content_id.clone(), img.filename.clone())
                .body(img.png.clone(), png.clone()),
        );
    }
    let body = MultiPart::alternative()
        .singlepart(SinglePart::plain(text.to_owned()))
        .multipart(related);
    builder
        .multipart(body)
        .map_err(|e| DeliveryError::Message(e.to_string()))
}
