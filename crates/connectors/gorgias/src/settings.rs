//! The `[[sources]]` keys of a Gorgias source, and their validation (the SDK's settings
//! helpers: every message names the key to fix).

use deskpulse_connector::prelude::*;
use deskpulse_connector::settings;
use serde::Deserialize;

/// Settings of one Gorgias source (`kind = "gorgias"`). `Debug` shows no secret: the API key
/// and the OAuth token are [`Secret`]s. A key left out takes its value from [`Default`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GorgiasSettings {
    /// `acme` for `https://acme.gorgias.com`.
    pub domain: Option<String>,
    /// The user the REST API key belongs to (Basic auth `{email}:{api_key}`).
    pub email: Option<String>,
    /// Settings → REST API → API key.
    pub api_key: Option<Secret>,
    /// An OAuth2 access token, sent as `Bearer`; instead of `email` + `api_key`.
    pub oauth_token: Option<Secret>,
    /// Replaces `https://{domain}.gorgias.com` for every request (tests, proxies).
    pub base_url: Option<String>,
    /// Where the first sync starts (`2024-03-01` is UTC midnight; RFC 3339 too); default:
    /// the whole history.
    pub start_date: Option<StartDate>,
    /// Records per page (`limit`, 1–100; Gorgias's default is 30, we ask for 100).
    pub page_size: Option<u32>,
    /// Gorgias's leaky bucket: requests per 20 seconds (40 for API keys, 80 for OAuth2 apps).
    /// 0 = no client-side limit (a 429 is still waited out per its `Retry-after`).
    pub requests_per_20_seconds: u32,
    /// How far back each sync re-reads satisfaction surveys. Gorgias lists surveys by creation
    /// time, and the customer scores them days later (`scored_datetime`): without a lookback
    /// those answers would sit behind the bookmark and never be read.
    pub surveys_lookback_days: u32,
}

impl Default for GorgiasSettings {
    fn default() -> Self {
        Self {
            domain: None,
            email: None,
            api_key: None,
            oauth_token: None,
            base_url: None,
            start_date: None,
            page_size: None,
            requests_per_20_seconds: 40,
            surveys_lookback_days: 14,
        }
    }
}

/// The largest `limit` Gorgias accepts.
pub(crate) const MAX_PAGE: u32 = 100;

impl GorgiasSettings {
    /// The base URL every request goes to: `base_url`, else `https://{domain}.gorgias.com`.
    pub(crate) fn resolved_base_url(&self) -> Result<url::Url, ConnectorError> {
        if let Some(raw) = present(&self.base_url) {
            return settings::url("base_url", raw, "https://acme.gorgias.com");
        }
        match present(&self.domain) {
            Some(domain) => settings::account_url("domain", domain, "gorgias.com", false),
            None => Err(ConnectorError::settings(
                "domain",
                "is not set: write the `acme` of acme.gorgias.com (or set `base_url`)",
            )),
        }
    }

    /// The credentials, from `email` + `api_key` or `oauth_token` (exactly one of them).
    pub(crate) fn auth(&self) -> Result<Auth, ConnectorError> {
        settings::KeyOrToken {
            user: (
                "email",
                &self.email,
                "write the Gorgias user the `api_key` belongs to",
            ),
            key: (
                "api_key",
                &self.api_key,
                "write the key of Gorgias's Settings → REST API (or set `oauth_token`)",
            ),
            token: ("oauth_token", &self.oauth_token),
        }
        .auth(str::to_owned)
    }

    pub(crate) fn validated_page_size(&self) -> Result<u32, ConnectorError> {
        settings::page_size(self.page_size, MAX_PAGE, "page_size")
    }
}
