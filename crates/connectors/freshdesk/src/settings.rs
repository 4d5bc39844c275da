//! The `[[sources]]` keys of a Freshdesk source, and their validation.

use chrono::{DateTime, NaiveDate, Utc};
use deskpulse_connector::settings::present;
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;

/// Settings of one Freshdesk source (`kind = "freshdesk"`). `Debug` shows no secret: the API
/// key is a [`Secret`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshdeskSettings {
    /// `acme` for `https://acme.freshdesk.com` (the full host `acme.freshdesk.com` works too).
    #[serde(default)]
    pub domain: Option<String>,
    /// The API key of an agent (Profile settings → View API key); sent as Basic `{api_key}:X`.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Replaces `https://{domain}.freshdesk.com` for every request.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Where the first sync starts (UTC midnight); default: the whole history. Freshdesk
    /// returns only the last 30 days when no `updated_since` is sent, so one is always sent.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Records per page (`per_page`, 1–100; default 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// The account's API limit per minute, shared by every app and key of the account. The
    /// default, 50, is the smallest current plan's (3000 an hour). 0 = no client-side limit.
    #[serde(default = "default_rpm")]
    pub requests_per_minute: u32,
    /// Freshdesk's own sub-limit on the ticket list (20 a minute on the smallest plans).
    /// 0 = no client-side limit.
    #[serde(default = "default_ticket_list_rpm")]
    pub ticket_list_requests_per_minute: u32,
    /// How far back each resumed sync re-reads satisfaction ratings (they can be edited).
    #[serde(default = "default_ratings_lookback_days")]
    pub ratings_lookback_days: u32,
    /// How many tickets' conversations are fetched at once (1–10; default 4).
    #[serde(default = "default_conversation_concurrency")]
    pub conversation_concurrency: u32,
}

fn default_rpm() -> u32 {
    50
}
fn default_ticket_list_rpm() -> u32 {
    20
}
fn default_ratings_lookback_days() -> u32 {
    14
}
fn default_conversation_concurrency() -> u32 {
    4
}

impl Default for FreshdeskSettings {
    fn default() -> Self {
        Self {
            domain: None,
            api_key: None,
            base_url: None,
            start_date: None,
            page_size: None,
            requests_per_minute: default_rpm(),
            ticket_list_requests_per_minute: default_ticket_list_rpm(),
            ratings_lookback_days: default_ratings_lookback_days(),
            conversation_concurrency: default_conversation_concurrency(),
        }
    }
}

/// The keys a `[[sources]]` entry of kind `freshdesk` may have (besides the common ones).
pub fn settings_keys() -> &'static [&'static str] {
    &[
        "domain",
        "api_key",
        "base_url",
        "start_date",
        "page_size",
        "requests_per_minute",
        "ticket_list_requests_per_minute",
        "ratings_lookback_days",
        "conversation_concurrency",
    ]
}

/// The largest `per_page` Freshdesk accepts.
pub(crate) const MAX_PAGE: u32 = 100;

pub(crate) fn invalid(msg: impl Into<String>) -> ConnectorError {
    ConnectorError::Settings(msg.into())
}

impl FreshdeskSettings {
    /// The base URL every request goes to.
    pub(crate) fn resolved_base_url(&self) -> Result<url::Url, ConnectorError> {
        if let Some(raw) = present(&self.base_url) {
            let url = url::Url::parse(raw).map_err(|e| {
                invalid(format!(
                    "`base_url` is not a URL ({e}): write it like `https://acme.freshdesk.com` or `http://127.0.0.1:8080`"
                ))
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid(
                    "`base_url` must start with `http://` or `https://`",
                ));
            }
            return Ok(url);
        }
        let Some(domain) = present(&self.domain) else {
            return Err(invalid(
                "set `domain` (the `acme` of acme.freshdesk.com), or `base_url`",
            ));
        };
        let domain = domain.to_ascii_lowercase();
        let host = if domain.contains('.') {
            domain
        } else {
            format!("{domain}.freshdesk.com")
        };
        let valid = host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if !valid {
            return Err(invalid(format!(
                "`domain` must be the account name (`acme` for https://acme.freshdesk.com) or its host, got {host:?}"
            )));
        }
        url::Url::parse(&format!("https://{host}"))
            .map_err(|e| invalid(format!("`domain` gives no valid URL: {e}")))
    }

    /// Basic auth with the API key as user name and `X` as password (Freshdesk's convention).
    pub(crate) fn auth(&self) -> Result<deskpulse_connector::http::Auth, ConnectorError> {
        match self
            .api_key
            .as_ref()
            .filter(|k| !k.expose().trim().is_empty())
        {
            Some(key) => Ok(deskpulse_connector::http::Auth::Basic {
                username: key.expose().trim().to_owned(),
                password: Secret::new("X"),
            }),
            None => Err(invalid(
                "set `api_key` (Freshdesk → profile picture → Profile settings → View API key)",
            )),
        }
    }

    pub(crate) fn validated_page_size(&self) -> Result<u32, ConnectorError> {
        match self.page_size {
            Some(n) if n == 0 || n > MAX_PAGE => Err(invalid(format!(
                "`page_size` must be between 1 and {MAX_PAGE}, got {n}"
            ))),
            Some(n) => Ok(n),
            None => Ok(MAX_PAGE),
        }
    }

    pub(crate) fn validated_concurrency(&self) -> Result<usize, ConnectorError> {
        match self.conversation_concurrency {
            n @ 1..=10 => Ok(n as usize),
            n => Err(invalid(format!(
                "`conversation_concurrency` must be between 1 and 10, got {n}"
            ))),
        }
    }

    /// The first sync's `updated_since` (UTC midnight of `start_date`, else the epoch).
    pub(crate) fn start(&self) -> DateTime<Utc> {
        self.start_date
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc())
            .unwrap_or(DateTime::UNIX_EPOCH)
            .max(DateTime::UNIX_EPOCH)
    }
}
