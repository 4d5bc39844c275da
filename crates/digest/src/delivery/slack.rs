//! Slack incoming webhooks through the SDK's [`HttpClient`] (rate limit, retries on 429 and
//! 5xx, a clear error on other 4xx). The webhook URL is a secret: only its host is logged.

use std::time::Duration;

use deskpulse_connector::http::{Auth, HttpClient, HttpSettings, RetryPolicy};
use deskpulse_connector::{ConnectorError, Secret};
use url::Url;

use super::DeliveryError;
use crate::slack::{SlackMessage, check_limits};

/// A Slack incoming webhook.
#[derive(Clone)]
pub struct SlackWebhook {
    client: HttpClient,
    url: Secret,
}

impl std::fmt::Debug for SlackWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackWebhook")
            .field("host", &self.client.base_url().host_str())
            .finish_non_exhaustive()
    }
}

impl SlackWebhook {
    /// `webhook_url` must be https (http only towards a loopback address, for tests).
    pub fn new(webhook_url: &Secret) -> Result<Self, DeliveryError> {
        Self::with_retry_policy(webhook_url, RetryPolicy::default())
    }

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
        let mut origin = url.clone();
        origin.set_path("/");
        origin.set_query(None);
        origin.set_fragment(None);
        let _ = origin.set_username("");
        let _ = origin.set_password(None);
        let mut settings = HttpSettings::new(origin, Auth::None);
        settings.timeout = Duration::from_secs(30);
        settings.retry = retry;
        let client =
            HttpClient::new(settings).map_err(|e| DeliveryError::Settings(e.to_string()))?;
        Ok(SlackWebhook {
            client,
            url: webhook_url.clone(),
        })
    }

    /// Posts `message` (checked against Block Kit limits first).
    pub async fn post(&self, message: &SlackMessage) -> Result<(), DeliveryError> {
        check_limits(message)
            .map_err(|e| DeliveryError::Slack(format!("the message breaks Slack's limits: {e}")))?;
        match self
            .client
            .post_json("slack", self.url.expose(), message)
            .await
        {
            Ok(_) => Ok(()),
            Err(ConnectorError::Unauthorized { status, endpoint }) => {
                Err(DeliveryError::Slack(format!(
                    "HTTP {status} from {endpoint}: the webhook was revoked or the token is wrong; create a new incoming webhook and update `webhook_url`"
                )))
            }
            Err(ConnectorError::Http {
                status,
                endpoint,
                attempts,
                detail,
            }) if (400..500).contains(&status) => Err(DeliveryError::Slack(format!(
                "HTTP {status} from {endpoint} after {attempts} attempt(s): {}{}",
                if detail.is_empty() {
                    "(no body)"
                } else {
                    &detail
                },
                match detail.as_str() {
                    "no_service" | "no_team" | "channel_not_found" | "channel_is_archived" =>
                        " — the webhook or its channel is gone; create a new incoming webhook",
                    "invalid_payload" | "invalid_blocks" =>
                        " — Slack rejected the message (a bug in deskpulse: please report it)",
                    _ => "",
                }
            ))),
            Err(e) => Err(DeliveryError::Slack(e.to_string())),
        }
    }
}
