//! The `[[sources]]` keys of a Freshdesk source, and their validation (the SDK's
//! `settings` helpers: every message names the key to fix).

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use deskpulse_connector::settings;

/// Settings of one Freshdesk source (`kind = "freshdesk"`). `Debug` shows no secret: the API
/// key is a [`Secret`]. A key left out takes its value from [`Default`], where every
/// default is written once.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreshdeskSettings {
    /// `acme` for `https://acme.freshdesk.com` (the full host `acme.freshdesk.com` works too).
    pub domain: Option<String>,
    /// The API key of an agent (Profile settings → View API key); sent as Basic `{api_key}:X`.
    pub api_key: Option<Secret>,
    /// Replaces `https://{domain}.freshdesk.com` for every request.
    pub base_url: Option<String>,
    /// Where the first sync starts (`2024-03-01` is UTC midnight, or RFC 3339); default: the
    /// whole history. Freshdesk returns only the last 30 days when no `updated_since` is
    /// sent, so one is always sent.
    pub start_date: Option<StartDate>,
    /// Records per page (`per_page`, 1–100; default 100).
    pub page_size: Option<u32>,
    /// The account's API limit per minute, shared by every app and key of the account. The
    /// default, 50, is the smallest current plan's (3000 an hour). 0 = no client-side limit.
    pub requests_per_minute: u32,
    /// Freshdesk's own sub-limit on the ticket list (20 a minute on the smallest plans).
    /// 0 = no client-side limit.
    pub ticket_list_requests_per_minute: u32,
    /// How far back each resumed sync re-reads satisfaction ratings (they can be edited).
    pub ratings_lookback_days: u32,
    /// How many tickets' conversations are fetched at once (1–10; default 4).
    pub conversation_concurrency: u32,
}

impl Default for FreshdeskSettings {
    fn default() -> Self {
        Self {
            domain: None,
            api_key: None,
            base_url: None,
            start_date: None,
            page_size: None,
            requests_per_minute: 50,
            ticket_list_requests_per_minute: 20,
            ratings_lookback_days: 14,
            conversation_concurrency: 4,
        }
    }
}

/// The largest `per_page` Freshdesk accepts.
const MAX_PAGE: u32 = 100;

/// What the connector runs on, validated.
pub(crate) struct Validated {
    pub base_url: url::Url,
    pub auth: Auth,
    pub start: DateTime<Utc>,
    pub page_size: u32,
    pub ratings_lookback: chrono::Duration,
    pub concurrency: usize,
}

impl FreshdeskSettings {
    pub(crate) fn validate(&self) -> Result<Validated, ConnectorError> {
        Ok(Validated {
            base_url: self.base_url()?,
            auth: self.auth()?,
            start: self
                .start_date
                .map_or(DateTime::UNIX_EPOCH, |d| d.at())
                .max(DateTime::UNIX_EPOCH),
            page_size: settings::page_size(self.page_size, MAX_PAGE, "page_size")?,
            ratings_lookback: chrono::Duration::days(i64::from(self.ratings_lookback_days)),
            concurrency: settings::bounded(
                "conversation_concurrency",
                self.conversation_concurrency,
                1,
                10,
            )? as usize,
        })
    }

    fn base_url(&self) -> Result<url::Url, ConnectorError> {
        if let Some(raw) = present(&self.base_url) {
            return settings::url("base_url", raw, "https://acme.freshdesk.com");
        }
        match present(&self.domain) {
            Some(domain) => settings::account_url("domain", domain, "freshdesk.com", true),
            None => Err(ConnectorError::settings(
                "domain",
                "is not set: write the `acme` of acme.freshdesk.com, or set `base_url`",
            )),
        }
    }

    /// Basic auth with the API key as user name and `X` as password (Freshdesk's convention).
    fn auth(&self) -> Result<Auth, ConnectorError> {
        match present_secret(&self.api_key) {
            Some(key) => Ok(Auth::Basic {
                username: key.expose().trim().to_owned(),
                password: Secret::new("X"),
            }),
            None => Err(ConnectorError::settings(
                "api_key",
                "is not set: Freshdesk → profile picture → Profile settings → View API key",
            )),
        }
    }
}
