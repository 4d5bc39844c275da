//! The `[[sources]]` keys of a Zendesk source, and their validation.

use chrono::NaiveDate;
use deskpulse_connector::settings::{present, present_secret};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;

/// Settings of one Zendesk source (`kind = "zendesk"`). `Debug` shows no secret: the two
/// tokens are [`Secret`]s.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZendeskSettings {
    /// `acme` for `https://acme.zendesk.com`.
    #[serde(default)]
    pub subdomain: Option<String>,
    /// The agent the API token belongs to (Basic auth `{email}/token:{api_token}`).
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub api_token: Option<Secret>,
    /// An OAuth access token, sent as `Bearer`; instead of `email` + `api_token`.
    #[serde(default)]
    pub oauth_token: Option<Secret>,
    /// Replaces `https://{subdomain}.zendesk.com` for every request and every next-page URL.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Where the first sync starts (UTC midnight); default: the whole history.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Records per page where the endpoint takes a size (exports up to 1000, lists up to 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// The plan's API limit; the default is the smallest plan's. 0 = no client-side limit.
    #[serde(default = "default_rpm")]
    pub requests_per_minute: u32,
    /// Zendesk's own limit on the incremental exports. 0 = no client-side limit.
    #[serde(default = "default_incremental_rpm")]
    pub incremental_requests_per_minute: u32,
    /// How far back before its bookmark each sync re-reads satisfaction ratings. Zendesk does
    /// not document whether the list's `start_time` compares when a survey was offered or
    /// when it was answered; a customer can answer (or change the answer) until the ticket
    /// closes, at most 28 days after it was solved, so the default re-reads 28 days.
    #[serde(default = "default_ratings_lookback_days")]
    pub ratings_lookback_days: u32,
    /// Zendesk user ids that are bots, not people: the user an admin chose as an AI agent's
    /// sender, third-party bots added as users, integration users. Zendesk's users export
    /// has no bot flag; the system user (`-1`) is always a bot.
    #[serde(default)]
    pub bot_user_ids: Vec<i64>,
}

fn default_ratings_lookback_days() -> u32 {
    28
}

fn default_rpm() -> u32 {
    200
}
fn default_incremental_rpm() -> u32 {
    10
}

impl Default for ZendeskSettings {
    fn default() -> Self {
        Self {
            subdomain: None,
            email: None,
            api_token: None,
            oauth_token: None,
            base_url: None,
            start_date: None,
            page_size: None,
            requests_per_minute: default_rpm(),
            incremental_requests_per_minute: default_incremental_rpm(),
            ratings_lookback_days: default_ratings_lookback_days(),
            bot_user_ids: Vec::new(),
        }
    }
}

/// The keys a `[[sources]]` entry of kind `zendesk` may have (besides the common ones).
pub fn settings_keys() -> &'static [&'static str] {
    &[
        "subdomain",
        "email",
        "api_token",
        "oauth_token",
        "base_url",
        "start_date",
        "page_size",
        "requests_per_minute",
        "incremental_requests_per_minute",
        "ratings_lookback_days",
        "bot_user_ids",
    ]
}

/// The largest `per_page` the incremental exports accept.
pub(crate) const MAX_EXPORT_PAGE: u32 = 1000;

pub(crate) fn invalid(msg: impl Into<String>) -> ConnectorError {
    ConnectorError::Settings(msg.into())
}

impl ZendeskSettings {
    /// The base URL every request goes to.
    pub(crate) fn resolved_base_url(&self) -> Result<url::Url, ConnectorError> {
        if let Some(raw) = present(&self.base_url) {
            let url = url::Url::parse(raw).map_err(|e| {
                invalid(format!(
                    "`base_url` is not a URL ({e}): write it like `https://acme.zendesk.com` or `http://127.0.0.1:8080`"
                ))
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid(
                    "`base_url` must start with `http://` or `https://`",
                ));
            }
            return Ok(url);
        }
        let Some(sub) = present(&self.subdomain) else {
            return Err(invalid(
                "set `subdomain` (the `acme` of acme.zendesk.com), or `base_url`",
            ));
        };
        if !sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(invalid(format!(
                "`subdomain` must be only the account name (`acme` for https://acme.zendesk.com), got {sub:?}"
            )));
        }
        url::Url::parse(&format!("https://{}.zendesk.com", sub.to_ascii_lowercase()))
            .map_err(|e| invalid(format!("`subdomain` gives no valid URL: {e}")))
    }

    /// The credentials, from `email` + `api_token` or `oauth_token` (exactly one of them).
    pub(crate) fn auth(&self) -> Result<deskpulse_connector::http::Auth, ConnectorError> {
        use deskpulse_connector::http::Auth;
        let email = present(&self.email);
        let token = present_secret(&self.api_token);
        let oauth = present_secret(&self.oauth_token);
        match (email, token, oauth) {
            (_, Some(_), Some(_)) => Err(invalid(
                "set either `email` and `api_token`, or `oauth_token`, not both kinds of credentials",
            )),
            (None, None, Some(oauth)) => Ok(Auth::Bearer(oauth.clone())),
            (Some(_), None, Some(_)) => Err(invalid(
                "`email` is only used with `api_token`: remove it to use `oauth_token`",
            )),
            (Some(email), Some(token), None) => Ok(Auth::Basic {
                username: format!("{email}/token"),
                password: token.clone(),
            }),
            (None, Some(_), None) => Err(invalid(
                "set `email` (the agent the `api_token` belongs to)",
            )),
            (Some(_), None, None) => Err(invalid(
                "set `api_token` (Admin Center → Apps and integrations → Zendesk API), or `oauth_token`",
            )),
            (None, None, None) => Err(invalid("set `email` and `api_token`, or `oauth_token`")),
        }
    }

    pub(crate) fn validated_page_size(&self) -> Result<Option<u32>, ConnectorError> {
        match self.page_size {
            Some(n) if n == 0 || n > MAX_EXPORT_PAGE => Err(invalid(format!(
                "`page_size` must be between 1 and {MAX_EXPORT_PAGE}, got {n}"
            ))),
            other => Ok(other),
        }
    }

    /// The first sync's `start_time` (unix seconds).
    pub(crate) fn start_time(&self) -> i64 {
        self.start_date
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc().timestamp())
            .unwrap_or(0)
            .max(0)
    }
}
