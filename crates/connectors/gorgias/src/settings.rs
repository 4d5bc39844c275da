//! The `[[sources]]` keys of a Gorgias source, and their validation.

use chrono::NaiveDate;
use deskpulse_connector::settings::{present, present_secret};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;

/// Settings of one Gorgias source (`kind = "gorgias"`). `Debug` shows no secret: the API key
/// and the OAuth token are [`Secret`]s.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GorgiasSettings {
    /// `acme` for `https://acme.gorgias.com`.
    #[serde(default)]
    pub domain: Option<String>,
    /// The user the REST API key belongs to (Basic auth `{email}:{api_key}`).
    #[serde(default)]
    pub email: Option<String>,
    /// Settings → REST API → API key.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// An OAuth2 access token, sent as `Bearer`; instead of `email` + `api_key`.
    #[serde(default)]
    pub oauth_token: Option<Secret>,
    /// Replaces `https://{domain}.gorgias.com` for every request (tests, proxies).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Where the first sync starts (UTC midnight); default: the whole history.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Records per page (`limit`, 1–100; Gorgias's default is 30, we ask for 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Gorgias's leaky bucket: requests per 20 seconds (40 for API keys, 80 for OAuth2 apps).
    /// 0 = no client-side limit (a 429 is still waited out per its `Retry-after`).
    #[serde(default = "default_requests_per_20s")]
    pub requests_per_20_seconds: u32,
    /// How far back each sync re-reads satisfaction surveys. Gorgias lists surveys by creation
    /// time, and the customer scores them days later (`scored_datetime`): without a lookback
    /// those answers would sit behind the bookmark and never be read.
    #[serde(default = "default_surveys_lookback_days")]
    pub surveys_lookback_days: u32,
}

fn default_requests_per_20s() -> u32 {
    40
}

fn default_surveys_lookback_days() -> u32 {
    14
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
            requests_per_20_seconds: default_requests_per_20s(),
            surveys_lookback_days: default_surveys_lookback_days(),
        }
    }
}

/// The keys a `[[sources]]` entry of kind `gorgias` may have (besides the common ones).
pub fn settings_keys() -> &'static [&'static str] {
    &[
        "domain",
        "email",
        "api_key",
        "oauth_token",
        "base_url",
        "start_date",
        "page_size",
        "requests_per_20_seconds",
        "surveys_lookback_days",
    ]
}

/// The largest `limit` Gorgias accepts.
pub(crate) const MAX_PAGE: u32 = 100;

pub(crate) fn invalid(msg: impl Into<String>) -> ConnectorError {
    ConnectorError::Settings(msg.into())
}

impl GorgiasSettings {
    /// The base URL every request goes to.
    pub(crate) fn resolved_base_url(&self) -> Result<url::Url, ConnectorError> {
        if let Some(raw) = present(&self.base_url) {
            let url = url::Url::parse(raw).map_err(|e| {
                invalid(format!(
                    "`base_url` is not a URL ({e}): write it like `https://acme.gorgias.com` or `http://127.0.0.1:8080`"
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
                "set `domain` (the `acme` of acme.gorgias.com), or `base_url`",
            ));
        };
        if !domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(invalid(format!(
                "`domain` must be only the account name (`acme` for https://acme.gorgias.com), got {domain:?}"
            )));
        }
        url::Url::parse(&format!(
            "https://{}.gorgias.com",
            domain.to_ascii_lowercase()
        ))
        .map_err(|e| invalid(format!("`domain` gives no valid URL: {e}")))
    }

    /// The credentials, from `email` + `api_key` or `oauth_token` (exactly one of them).
    pub(crate) fn auth(&self) -> Result<deskpulse_connector::http::Auth, ConnectorError> {
        use deskpulse_connector::http::Auth;
        let email = present(&self.email);
        let key = present_secret(&self.api_key);
        let oauth = present_secret(&self.oauth_token);
        match (email, key, oauth) {
            (_, Some(_), Some(_)) => Err(invalid(
                "set either `email` and `api_key`, or `oauth_token`, not both kinds of credentials",
            )),
            (None, None, Some(oauth)) => Ok(Auth::Bearer(oauth.clone())),
            (Some(_), None, Some(_)) => Err(invalid(
                "`email` is only used with `api_key`: remove it to use `oauth_token`",
            )),
            (Some(email), Some(key), None) => Ok(Auth::Basic {
                username: email.to_owned(),
                password: key.clone(),
            }),
            (None, Some(_), None) => Err(invalid(
                "set `email` (the Gorgias user the `api_key` belongs to)",
            )),
            (Some(_), None, None) => Err(invalid(
                "set `api_key` (Gorgias: Settings → REST API), or `oauth_token`",
            )),
            (None, None, None) => Err(invalid("set `email` and `api_key`, or `oauth_token`")),
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

    /// Where the first sync starts, if the settings bound it.
    pub(crate) fn start(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.start_date
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc())
    }
}
