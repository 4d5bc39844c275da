//! SMTP through lettre (rustls with aws-lc-rs, the one TLS provider of the workspace).

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deskpulse_connector::Secret;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use tracing::Instrument;

use super::DeliveryError;
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
    /// Per SMTP command.
    pub timeout: Duration,
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

/// A connection setup to one SMTP server (connections are opened per send).
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    port: u16,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("host", &self.host)
            .field("port", &self.port)
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

impl SmtpSender {
    pub fn new(s: &SmtpSettings) -> Result<Self, DeliveryError> {
        let host = s.host.trim();
        if host.is_empty() {
            return Err(DeliveryError::Settings("`smtp.host` is empty".into()));
        }
        let from = mailbox("`smtp.from`", &s.from)?;
        let smtp_err = |e: lettre::transport::smtp::Error| {
            DeliveryError::Settings(format!("`smtp.host` {host:?}: {e}"))
        };
        let builder = match s.security {
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(smtp_err)?
            }
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(smtp_err)?
            }
            SmtpSecurity::None => {
                if !is_loopback(host) {
                    return Err(DeliveryError::Settings(format!(
                        "`smtp.security = \"none\"` sends the password and the digest in clear text: it is only allowed towards localhost, not {host:?}; use \"starttls\" (port 587) or \"tls\" (port 465)"
                    )));
                }
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            }
        };
        let mut builder = builder.port(s.port).timeout(Some(s.timeout));
        match (&s.username, &s.password) {
            (Some(u), Some(p)) => {
                builder = builder.credentials(Credentials::new(u.clone(), p.expose().to_owned()));
            }
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
            (None, None) => {}
        }
        Ok(SmtpSender {
            transport: builder.build(),
            from,
            host: host.to_owned(),
            port: s.port,
        })
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends a built message.
    pub async fn send(&self, message: Message) -> Result<(), DeliveryError> {
        let recipients = message.envelope().to().len();
        let span =
            tracing::info_span!("smtp_send", host = %self.host, port = self.port, recipients);
        self.transport
            .send(message)
            .instrument(span)
            .await
            .map(|_| ())
            .map_err(|e| DeliveryError::Smtp {
                host: self.host.clone(),
                port: self.port,
                detail: describe(&e),
            })
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
        out.push_str(": ");
        out.push_str(&s.to_string());
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
