//! Slack incoming webhooks. The webhook URL is a secret: only its host is logged or named in
//! an error.
//!
//! # Retried only when the post provably did not arrive
//!
//! An incoming webhook is not idempotent: a post that Slack accepted and whose answer was
//! lost (a timeout, a connection that broke after the request went out, a 5xx from a proxy
//! or from Slack after it posted) would be posted twice by a retry, in a channel everybody
//! reads. So a post is retried only when it cannot have arrived:
//!
//! * the connection could not be established (refused, DNS, TLS handshake, connect
//!   timeout), so no byte of the request was sent;
//! * Slack answered 429: it rate-limited the post instead of posting it; the wait is its
//!   `Retry-After` (capped by [`RetryPolicy::max_retry_after`]), else the backoff.
//!
//! A timeout or a broken connection after connecting, and any 5xx, end the post at once with
//! [`DeliveryError::Uncertain`]: the digest may or may not be in the channel, and
//! [`send_once`](super::send_once) keeps the delivery claim in "sending", so it is not
//! posted again without `--force`. Any other 4xx is Slack refusing the post: a plain error
//! (nothing was posted; the claim is released).
//!
//! This is why the webhook does not post through the connector SDK's `HttpClient`, whose
//! `post_json` retries 5xx and timeouts (right for reading an API, wrong here).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use deskpulse_connector::Secret;
use deskpulse_connector::http::RetryPolicy;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use url::Url;

use super::DeliveryError;
use crate::slack::{SlackMessage, check_limits};

/// Waits between two attempts; `tokio::time::sleep` unless a test drives it.
type Wait = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The per-request timeout unless [`SlackWebhook::with_timeout`] sets another.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Connecting may take at most this long (or the request timeout, if shorter): a connect
/// timeout is a failure that provably sent nothing, so it is retried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A Slack incoming webhook.
#[derive(Clone)]
pub struct SlackWebhook {
    client: reqwest::Client,
    /// The whole webhook URL: its path is the secret, so it is never logged or printed.
    url: Url,
    /// `host` or `host:port`: what logs and errors name instead of the URL.
    host: String,
    retry: RetryPolicy,
    timeout: Duration,
    wait: Wait,
}

impl std::fmt::Debug for SlackWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackWebhook")
            .field("host", &self.host)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
enum Attempt {
    Posted,
    /// Provably not posted, worth another attempt (after `server_wait` if Slack asked).
    Retry {
        reason: String,
        server_wait: Option<Duration>,
    },
    /// Provably not posted, and another attempt would not help.
    Refused(DeliveryError),
    /// Maybe posted.
    Uncertain(String),
}

impl SlackWebhook {
    /// `webhook_url` must be https (http only towards a loopback address, for tests).
    pub fn new(webhook_url: &Secret) -> Result<Self, DeliveryError> {
        Self::with_retry_policy(webhook_url, RetryPolicy::default())
    }

    /// [`SlackWebhook::new`] with another retry policy (attempts and waits for the failures
    /// that are retried at all: see the module docs).
    pub fn with_retry_policy(
        webhook_url: &Secret,
        retry: RetryPolicy,
    ) -> Result<Self, DeliveryError> {
        // Never put the URL (or the parser's view of it) in an error: it is the secret.
        let url = Url::parse(webhook_url.expose())
            .map_err(|_| DeliveryError::Settings("the Slack `webhook_url` is not a URL".into()))?;
        let host = url
            .host_str()
            .ok_or_else(|| DeliveryError::Settings("the Slack `webhook_url` has no host".into()))?
            .to_owned();
        let loopback = super::smtp::is_loopback(&host);
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(DeliveryError::Settings(format!(
                    "the Slack `webhook_url` must be https (host {host})"
                )));
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(DeliveryError::Settings(format!(
                "the Slack `webhook_url` must not contain a user name or password (host {host})"
            )));
        }
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        let retry = RetryPolicy {
            max_attempts: retry.max_attempts.max(1),
            ..retry
        };
        Ok(SlackWebhook {
            client: client(DEFAULT_TIMEOUT)?,
            url,
            host,
            retry,
            timeout: DEFAULT_TIMEOUT,
            wait: Arc::new(|d| Box::pin(tokio::time::sleep(d))),
        })
    }

    /// Sets how long one request may take, answer included (default 30 s). When it runs
    /// out after the connection was made, the post is [`DeliveryError::Uncertain`].
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, DeliveryError> {
        self.client = client(timeout)?;
        self.timeout = timeout;
        Ok(self)
    }

    /// Replaces how the webhook waits before a retry (default: `tokio::time::sleep` of the
    /// backoff or of Slack's `Retry-After`). Tests pass a function that records the wait and
    /// returns when the test says so, instead of letting the clock run.
    pub fn with_wait<F, Fut>(mut self, wait: F) -> Self
    where
        F: Fn(Duration) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.wait = Arc::new(move |d| Box::pin(wait(d)));
        self
    }

    /// Posts `message` (checked against Block Kit limits first); see the module docs for
    /// what is retried and what ends as [`DeliveryError::Uncertain`].
    pub async fn post(&self, message: &SlackMessage) -> Result<(), DeliveryError> {
        check_limits(message)
            .map_err(|e| DeliveryError::Slack(format!("the message breaks Slack's limits: {e}")))?;
        let body = serde_json::to_vec(message).map_err(|e| {
            DeliveryError::Slack(format!("cannot serialize the Slack message: {e}"))
        })?;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let span = tracing::info_span!("slack_post", host = %self.host, attempt);
            let outcome = tracing::Instrument::instrument(self.attempt(&body), span).await;
            let (reason, server_wait) = match outcome {
                Attempt::Posted => {
                    tracing::info!(host = %self.host, attempt, "Slack accepted the digest");
                    return Ok(());
                }
                Attempt::Refused(e) => return Err(e),
                Attempt::Uncertain(detail) => {
                    return Err(DeliveryError::Uncertain {
                        channel: format!("Slack webhook ({})", self.host),
                        detail,
                    });
                }
                Attempt::Retry {
                    reason,
                    server_wait,
                } => (reason, server_wait),
            };
            if attempt >= self.retry.max_attempts {
                return Err(DeliveryError::Slack(format!(
                    "{reason} (after {attempt} attempt(s); nothing was posted, the next run tries again)"
                )));
            }
            let wait = match server_wait {
                Some(w) => w.min(self.retry.max_retry_after),
                None => self.backoff(attempt),
            };
            tracing::warn!(
                host = %self.host,
                attempt,
                wait_ms = wait.as_millis() as u64,
                %reason,
                "Slack webhook post not delivered; retrying"
            );
            (self.wait)(wait).await;
        }
    }

    /// The wait after failed attempt `attempt` (1-based): the base delay doubling up to the
    /// maximum. No jitter: one client posting once a week has nobody to spread out from.
    fn backoff(&self, attempt: u32) -> Duration {
        self.retry
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.retry.max_delay)
    }

    async fn attempt(&self, body: &[u8]) -> Attempt {
        let sent = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            // The connector (DNS, TCP, TLS, connect timeout) failed: not a byte of the
            // request went out.
            Err(e) if e.is_connect() => {
                return Attempt::Retry {
                    reason: format!("cannot connect to {}: {}", self.host, describe(&e)),
                    server_wait: None,
                };
            }
            Err(e) if e.is_timeout() => {
                return Attempt::Uncertain(format!(
                    "no answer from {} within {} s",
                    self.host,
                    self.timeout.as_secs_f64()
                ));
            }
            Err(e) => {
                return Attempt::Uncertain(format!(
                    "the connection to {} broke while posting: {}",
                    self.host,
                    describe(&e)
                ));
            }
        };
        let status = resp.status();
        tracing::debug!(status = status.as_u16(), "Slack webhook answer");
        if status.is_success() {
            // Slack posted it; the body ("ok") adds nothing and a failure to read it
            // changes nothing.
            return Attempt::Posted;
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let server_wait = retry_after(resp.headers(), chrono::Utc::now());
            return Attempt::Retry {
                reason: format!("HTTP 429 from {} (rate limited)", self.host),
                server_wait,
            };
        }
        let detail = body_excerpt(resp).await;
        if status.is_server_error() {
            return Attempt::Uncertain(format!(
                "HTTP {} from {}{}",
                status.as_u16(),
                self.host,
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                }
            ));
        }
        Attempt::Refused(refused(status.as_u16(), &self.host, &detail))
    }
}

fn client(timeout: Duration) -> Result<reqwest::Client, DeliveryError> {
    reqwest::Client::builder()
        .user_agent(concat!("deskpulse/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        // Slack does not redirect webhooks; following one would send the digest elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| DeliveryError::Settings(format!("cannot build the HTTP client: {e}")))
}

/// The error for a status that says Slack did not post the message (3xx, 4xx other than 429).
fn refused(status: u16, host: &str, detail: &str) -> DeliveryError {
    let hint = match (status, detail) {
        (401 | 403, _) => {
            " — the webhook was revoked or the token is wrong; create a new incoming webhook and update `webhook_url`"
        }
        (_, "no_service" | "no_team" | "channel_not_found" | "channel_is_archived") => {
            " — the webhook or its channel is gone; create a new incoming webhook"
        }
        (_, "invalid_payload" | "invalid_blocks") => {
            " — Slack rejected the message (a bug in deskpulse: please report it)"
        }
        (300..=399, _) => " — Slack webhooks do not redirect: check `webhook_url`",
        _ => "",
    };
    DeliveryError::Slack(format!(
        "HTTP {status} from {host}: {}{hint}",
        if detail.is_empty() {
            "(no body)"
        } else {
            detail
        }
    ))
}

/// The start of an error body (Slack explains a refusal there: `invalid_blocks`).
async fn body_excerpt(resp: reqwest::Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    let text = text.trim();
    let mut end = text.len().min(300);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// A 429's `Retry-After`: seconds or an HTTP-date.
fn retry_after(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return Some(if secs.is_finite() && secs > 0.0 {
            Duration::from_secs_f64(secs.min(1e9))
        } else {
            Duration::ZERO
        });
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let ms = (at.with_timezone(&chrono::Utc) - now)
        .num_milliseconds()
        .max(0);
    Some(Duration::from_millis(ms as u64))
}

/// A reqwest error by its causes only: its own message names the URL, which is the secret.
fn describe(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        "request failed".to_owned()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-16T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "30".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        h.insert(
            RETRY_AFTER,
            "Mon, 16 Nov 2026 08:00:05 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(5)));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
