//! Delivery: SMTP ([`SmtpSender`]) and Slack incoming webhooks ([`SlackWebhook`]), each send
//! guarded by a [`DeliveryLog`] through [`send_once`], so a (team, period, channel) is sent
//! once.
//!
//! # The delivery-log protocol (claim before send)
//!
//! 1. [`DeliveryLog::claim`] atomically records the key in state **sending** and returns a
//!    [`ClaimToken`] — or says the key is already **sent** (nothing to do) or already
//!    **sending** (another process is sending it, or one died while doing so). In storage
//!    this is an insert that conflicts on the unique key `(team, period, channel)`.
//! 2. The digest is sent.
//! 3. On success [`DeliveryLog::mark_sent`] moves the claim to **sent**. On a send error
//!    that proves nothing arrived (the server could not be reached, or refused the message)
//!    [`DeliveryLog::release`] deletes the claim so the next run tries again. On an error
//!    after which the digest **may or may not** have arrived
//!    ([`DeliveryError::may_have_been_delivered`]: a timeout or a broken connection after
//!    the message was sent, an HTTP 5xx from Slack) the claim is kept in **sending**, exactly
//!    like after a crash (below): not resent without `force`.
//!
//! `force` (`digest send --force`) claims the key whatever its state and sends again.
//!
//! # A crash between the send and the log write: at most once
//!
//! If the process dies after the message left but before `mark_sent` (or `mark_sent`
//! fails), the claim stays in **sending**, and a later run does **not** resend it: it
//! reports [`Delivery::InProgress`] with the claim's age, and only `--force` sends again.
//! The same holds for a crash *before* the send completed, which is the price: that digest
//! is missing until someone forces it.
//!
//! Why at-most-once for a weekly digest: a duplicate is visible to every recipient (a second
//! e-mail, a second Slack post in a shared channel) and teaches people to ignore the digest,
//! while a missing one is noticed by the one person who runs deskpulse, is reported by the
//! next `digest send` and `check` ("claimed N hours ago, never confirmed: `--force` to
//! resend"), and costs one command. The crash window itself is a few milliseconds a week, and
//! an unknown outcome needs a server failing exactly while it takes the message.
//! At-least-once would need the receivers to deduplicate, which neither Slack webhooks nor
//! mailboxes do.

mod slack;
mod smtp;
mod smtp_log;

use std::future::Future;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use slack::SlackWebhook;
pub use smtp::{EmailChannel, SmtpSecurity, SmtpSender, SmtpSettings, build_email};

/// What one delivery is: a team's digest of a period, to one named channel of the team.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryKey {
    pub team: String,
    /// `2026-W46`.
    pub period: String,
    /// The channel's name in the team's config (`email`, `slack`, or its own name).
    pub channel: String,
}

impl DeliveryKey {
    pub fn new(
        team: impl Into<String>,
        period: impl Into<String>,
        channel: impl Into<String>,
    ) -> Self {
        DeliveryKey {
            team: team.into(),
            period: period.into(),
            channel: channel.into(),
        }
    }
}

/// Identifies one claim, so a stale process cannot confirm or release a claim that a
/// `--force` has since taken over.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClaimToken(pub String);

/// What [`DeliveryLog::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours: send, then `mark_sent` or `release`.
    Acquired(ClaimToken),
    /// Already delivered.
    Sent { at: DateTime<Utc> },
    /// Claimed and never confirmed: another process is sending, or one died between the
    /// send and the log write. Not resent without `force` (at most once).
    Sending { since: DateTime<Utc> },
}

/// A storage error of the delivery log.
pub type LogError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where deliveries are recorded (storage implements it on SQLite and Postgres). See the
/// module docs for the protocol.
#[async_trait]
pub trait DeliveryLog: Send + Sync {
    /// Atomically claims `key`: records it as sending and returns [`Claim::Acquired`] if it
    /// was not recorded; otherwise returns its state. With `force`, takes the key over
    /// whatever its state (a new token; the old one becomes void).
    async fn claim(&self, key: &DeliveryKey, force: bool) -> Result<Claim, LogError>;
    /// Records the claimed key as sent. An error if `token` is not the key's current claim.
    async fn mark_sent(&self, key: &DeliveryKey, token: &ClaimToken) -> Result<(), LogError>;
    /// Forgets the claim (the send failed), so the next run tries again. A no-op if
    /// `token` is not the key's current claim.
    async fn release(&self, key: &DeliveryKey, token: &ClaimToken) -> Result<(), LogError>;
}

/// What [`send_once`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Skipped: delivered before.
    AlreadySent {
        at: DateTime<Utc>,
    },
    /// Skipped: claimed at `since` and never confirmed (see the module docs).
    InProgress {
        since: DateTime<Utc>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The message was sent, or may have been, and what became of it is unknown (a timeout
    /// or a broken connection after sending, a 5xx): retrying could deliver it twice, so
    /// it is not retried, and [`send_once`] keeps the claim in "sending".
    #[error(
        "{channel}: {detail}; the digest may or may not have been delivered, so it is not resent automatically: check the channel, and if it is missing send it again with `deskpulse digest send --force`"
    )]
    Uncertain {
        /// `Slack webhook (hooks.slack.com)`, `SMTP delivery to smtp.example.com:587`.
        channel: String,
        detail: String,
    },
    /// The settings cannot work; the message says which and how to fix it.
    #[error("invalid delivery settings: {0}")]
    Settings(String),
    #[error("cannot build the e-mail: {0}")]
    Message(String),
    #[error("SMTP delivery to {host}:{port} failed: {detail}")]
    Smtp {
        host: String,
        port: u16,
        detail: String,
    },
    #[error("Slack webhook delivery failed: {0}")]
    Slack(String),
    #[error("cannot render the digest: {0}")]
    Render(#[from] crate::RenderError),
    #[error("delivery log: {0}")]
    Log(LogError),
    /// Sent, but the log could not record it: the claim stays "sending" and is not resent
    /// automatically.
    #[error(
        "the digest was sent but the delivery log could not record it ({0}); it will not be resent automatically"
    )]
    SentNotRecorded(LogError),
}

impl DeliveryError {
    /// Whether the digest may have reached its recipients despite this error; if so,
    /// sending again could deliver it twice.
    pub fn may_have_been_delivered(&self) -> bool {
        matches!(
            self,
            DeliveryError::Uncertain { .. } | DeliveryError::SentNotRecorded(_)
        )
    }
}

/// Sends at most once per key: claims `key`, runs `send`, records the outcome (see the
/// module docs). A failed send releases the claim and returns its error, unless the error
/// says the digest may have been delivered: then the claim stays "sending".
pub async fn send_once<F, Fut>(
    log: &dyn DeliveryLog,
    key: &DeliveryKey,
    force: bool,
    send: F,
) -> Result<Delivery, DeliveryError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), DeliveryError>>,
{
    let token = match log.claim(key, force).await.map_err(DeliveryError::Log)? {
        Claim::Acquired(token) => token,
        Claim::Sent { at } => {
            tracing::info!(team = %key.team, period = %key.period, channel = %key.channel, %at, "digest already sent; skipping");
            return Ok(Delivery::AlreadySent { at });
        }
        Claim::Sending { since } => {
            tracing::warn!(
                team = %key.team, period = %key.period, channel = %key.channel, %since,
                "digest claimed but never confirmed (a crash during the send, or another process sending now); not resending without --force"
            );
            return Ok(Delivery::InProgress { since });
        }
    };
    match send().await {
        Ok(()) => {
            log.mark_sent(key, &token)
                .await
                .map_err(DeliveryError::SentNotRecorded)?;
            tracing::info!(team = %key.team, period = %key.period, channel = %key.channel, "digest sent");
            Ok(Delivery::Sent)
        }
        Err(e) if e.may_have_been_delivered() => {
            tracing::warn!(
                team = %key.team, period = %key.period, channel = %key.channel, error = %e,
                "digest delivery outcome unknown; the claim stays \"sending\" and is not resent without --force"
            );
            Err(e)
        }
        Err(e) => {
            if let Err(le) = log.release(key, &token).await {
                tracing::error!(error = %le, "cannot release the delivery claim after a failed send");
            }
            Err(e)
        }
    }
}
