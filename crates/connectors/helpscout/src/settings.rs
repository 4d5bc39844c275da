//! The `[[sources]]` keys of a Help Scout source, and their validation.

use chrono::{DateTime, NaiveDate, Utc};
use deskpulse_connector::settings::{present, present_secret};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;

/// Help Scout's API host (Mailbox API 2.0 lives under `/v2/`).
pub const DEFAULT_BASE_URL: &str = "https://api.helpscout.net";

/// Settings of one Help Scout source (`kind = "helpscout"`). `Debug` shows no secret:
/// `client_secret` and `access_token` are [`Secret`]s.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpScoutSettings {
    /// The "App ID" of an OAuth2 app (Your Profile → My Apps), for the client-credentials flow.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The "App Secret" of that app.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// A pre-issued access token, instead of `client_id` + `client_secret` (it expires after
    /// two days and cannot be renewed by the connector: for tests and one-off syncs).
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// Replaces `https://api.helpscout.net` for every request (the token request included,
    /// unless `token_url` is set).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Where the client-credentials token is requested; default `{base_url}/v2/oauth2/token`.
    #[serde(default)]
    pub token_url: Option<String>,
    /// Where the first sync starts (UTC midnight, by modification time); default: everything.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// The plan's API limit (account-wide, per minute). 0 = no client-side limit.
    #[serde(default = "default_rpm")]
    pub requests_per_minute: u32,
    /// How far before the bookmark an incremental sync starts again: the bookmark is derived
    /// from the conversation's own timestamps, which can trail its server-side `modifiedAt`.
    #[serde(default = "default_lookback_minutes")]
    pub lookback_minutes: u32,
    /// How often the `ticket_roster` stream sweeps every conversation id Help Scout still
    /// lists, to find the deleted and merged ones its export never reports: a duration like
    /// `"24h"`, `"6h"` or `"30m"` (default `"24h"`; `"0s"` sweeps on every sync). A sweep
    /// costs one request per 25 conversations of the account.
    #[serde(default = "default_roster_every")]
    pub roster_every: String,
}

/// Help Scout's smallest documented plan limit (the legacy API's 200/min; plans above have
/// more) [unverified for current plans].
fn default_rpm() -> u32 {
    200
}

fn default_lookback_minutes() -> u32 {
    10
}

/// The default of `roster_every`.
pub const DEFAULT_ROSTER_EVERY: &str = "24h";

fn default_roster_every() -> String {
    DEFAULT_ROSTER_EVERY.to_owned()
}

impl Default for HelpScoutSettings {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            access_token: None,
            base_url: None,
            token_url: None,
            start_date: None,
            requests_per_minute: default_rpm(),
            lookback_minutes: default_lookback_minutes(),
            roster_every: default_roster_every(),
        }
    }
}

/// The keys a `[[sources]]` entry of kind `helpscout` may have (besides the common ones).
pub fn settings_keys() -> &'static [&'static str] {
    &[
        "client_id",
        "client_secret",
        "access_token",
        "base_url",
        "token_url",
        "start_date",
        "requests_per_minute",
        "lookback_minutes",
        "roster_every",
    ]
}

pub(crate) fn invalid(msg: impl Into<String>) -> ConnectorError {
    ConnectorError::Settings(msg.into())
}

/// How the connector authenticates.
#[derive(Clone, Debug)]
pub(crate) enum Credentials {
    /// A token given in the settings, used as is.
    Static(Secret),
    /// OAuth2 client credentials, exchanged for a token (and again on expiry or a 401).
    Client { id: String, secret: Secret },
}

fn parse_url(key: &str, raw: &str) -> Result<url::Url, ConnectorError> {
    let url = url::Url::parse(raw).map_err(|e| {
        invalid(format!(
            "`{key}` is not a URL ({e}): write it like `https://api.helpscout.net` or `http://127.0.0.1:8080`"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "`{key}` must start with `http://` or `https://`"
        )));
    }
    Ok(url)
}

impl HelpScoutSettings {
    /// The base URL every request goes to.
    pub(crate) fn resolved_base_url(&self) -> Result<url::Url, ConnectorError> {
        parse_url(
            "base_url",
            present(&self.base_url).unwrap_or(DEFAULT_BASE_URL),
        )
    }

    /// The token URL, if one was set.
    pub(crate) fn resolved_token_url(&self) -> Result<Option<url::Url>, ConnectorError> {
        present(&self.token_url)
            .map(|raw| parse_url("token_url", raw))
            .transpose()
    }

    /// `client_id` + `client_secret`, or `access_token` (exactly one kind).
    pub(crate) fn credentials(&self) -> Result<Credentials, ConnectorError> {
        let id = present(&self.client_id);
        let secret = present_secret(&self.client_secret);
        let token = present_secret(&self.access_token);
        match (id, secret, token) {
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => Err(invalid(
                "set either `client_id` and `client_secret`, or `access_token`, not both kinds of credentials",
            )),
            (None, None, Some(t)) => Ok(Credentials::Static(t.clone())),
            (Some(id), Some(secret), None) => Ok(Credentials::Client {
                id: id.to_owned(),
                secret: secret.clone(),
            }),
            (None, Some(_), None) => Err(invalid(
                "set `client_id` (the App ID of the Help Scout app the `client_secret` belongs to)",
            )),
            (Some(_), None, None) => Err(invalid(
                "set `client_secret` (the App Secret: Help Scout → Your Profile → My Apps)",
            )),
            (None, None, None) => Err(invalid(
                "set `client_id` and `client_secret` (Help Scout → Your Profile → My Apps → Create My App), or `access_token`",
            )),
        }
    }

    /// `roster_every` as a duration.
    pub(crate) fn roster_interval(&self) -> Result<chrono::Duration, ConnectorError> {
        let raw = self.roster_every.trim();
        let d = humantime::parse_duration(raw).map_err(|e| {
            invalid(format!(
                "`roster_every` = {raw:?} is not a duration ({e}): write it like \"24h\", \"6h\", \"30m\" or \"0s\""
            ))
        })?;
        chrono::Duration::from_std(d).map_err(|_| {
            invalid(format!(
                "`roster_every` = {raw:?} is too long: write at most a few days, like \"7days\""
            ))
        })
    }

    /// The first sync's `modifiedSince`, if `start_date` is set.
    pub(crate) fn start(&self) -> Option<DateTime<Utc>> {
        self.start_date
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc())
    }
}
