//! The `[[sources]]` keys of a Help Scout source, and their validation (with the SDK's
//! helpers, so every message names the key to fix).

use chrono::{DateTime, Utc};
use deskpulse_connector::auth::{Auth, ClientAuth, ClientCredentials, TokenAuth};
use deskpulse_connector::settings::{self, StartDate, present, present_secret};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;
use url::Url;

/// Help Scout's API host (Mailbox API 2.0 lives under `/v2/`).
pub const DEFAULT_BASE_URL: &str = "https://api.helpscout.net";

/// Where the client-credentials token is asked for, under the base URL.
const TOKEN_PATH: &str = "/v2/oauth2/token";

/// Settings of one Help Scout source (`kind = "helpscout"`). `Debug` shows no secret:
/// `client_secret` and `access_token` are [`Secret`]s. A key left out takes its value of
/// [`HelpScoutSettings::default`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HelpScoutSettings {
    /// The "App ID" of an OAuth2 app (Your Profile → My Apps), for the client-credentials flow.
    pub client_id: Option<String>,
    /// The "App Secret" of that app.
    pub client_secret: Option<Secret>,
    /// A pre-issued access token, instead of `client_id` + `client_secret` (it expires after
    /// two days and cannot be renewed by the connector: for tests and one-off syncs).
    pub access_token: Option<Secret>,
    /// Replaces `https://api.helpscout.net` for every request (the token request included,
    /// unless `token_url` is set).
    pub base_url: Option<String>,
    /// Where the client-credentials token is requested; default `{base_url}/v2/oauth2/token`.
    pub token_url: Option<String>,
    /// Where the first sync starts, by modification time: `"2024-03-01"` (UTC midnight) or
    /// RFC 3339; default: everything.
    pub start_date: Option<StartDate>,
    /// The plan's API limit (account-wide, per minute). 0 = no client-side limit.
    pub requests_per_minute: u32,
    /// How far before the bookmark an incremental sync starts again: the bookmark is derived
    /// from the conversation's own timestamps, which can trail its server-side `modifiedAt`.
    pub lookback_minutes: u32,
    /// How often the `ticket_roster` stream sweeps every conversation id Help Scout still
    /// lists, to find the deleted and merged ones its export never reports: a duration like
    /// `"24h"`, `"6h"` or `"30m"` (default `"24h"`; `"0s"` sweeps on every sync). A sweep
    /// costs one request per 25 conversations of the account.
    pub roster_every: String,
}

/// The default of `roster_every`.
pub const DEFAULT_ROSTER_EVERY: &str = "24h";

impl Default for HelpScoutSettings {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            access_token: None,
            base_url: None,
            token_url: None,
            start_date: None,
            // Help Scout's smallest documented plan limit (the legacy API's 200/min; plans
            // above have more) [unverified for current plans].
            requests_per_minute: 200,
            lookback_minutes: 10,
            roster_every: DEFAULT_ROSTER_EVERY.to_owned(),
        }
    }
}

impl HelpScoutSettings {
    /// The base URL every request goes to.
    pub(crate) fn base_url(&self) -> Result<Url, ConnectorError> {
        settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)
    }

    /// `token_url`, or `/v2/oauth2/token` under `base` (its path prefix kept).
    fn token_url(&self, base: &Url) -> Result<Url, ConnectorError> {
        if let Some(raw) = present(&self.token_url) {
            return settings::url(
                "token_url",
                raw,
                "https://api.helpscout.net/v2/oauth2/token",
            );
        }
        let mut url = base.clone();
        url.set_path(&format!(
            "{}{TOKEN_PATH}",
            base.path().trim_end_matches('/')
        ));
        Ok(url)
    }

    /// How requests authenticate: `client_id` + `client_secret` exchanged for a token (Help
    /// Scout's client-credentials flow; its docs accept the token request as JSON, form or
    /// query, and this connector has always sent JSON), or a pre-issued `access_token`.
    pub(crate) fn auth(&self, base: &Url) -> Result<Auth, ConnectorError> {
        let id = present(&self.client_id);
        let secret = present_secret(&self.client_secret);
        let token = present_secret(&self.access_token);
        let token_url = self.token_url(base)?;
        match (id, secret, token) {
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => Err(ConnectorError::settings(
                "access_token",
                "is set together with `client_id` or `client_secret`: set either `client_id` and `client_secret`, or `access_token`, not both kinds of credentials",
            )),
            (None, None, Some(t)) => Ok(Auth::Bearer(t.clone())),
            (Some(id), Some(secret), None) => {
                let flow = ClientCredentials::new(token_url, id, secret.clone())
                    .client_auth(ClientAuth::JsonBody);
                Ok(Auth::Token(TokenAuth::new(flow)))
            }
            (None, Some(_), None) => Err(ConnectorError::settings(
                "client_id",
                "is not set: set `client_id` (the App ID of the Help Scout app the `client_secret` belongs to)",
            )),
            (Some(_), None, None) => Err(ConnectorError::settings(
                "client_secret",
                "is not set: set `client_secret` (the App Secret: Help Scout → Your Profile → My Apps)",
            )),
            (None, None, None) => Err(ConnectorError::Settings(
                "set `client_id` and `client_secret` (Help Scout → Your Profile → My Apps → Create My App), or `access_token`".into(),
            )),
        }
    }

    /// The first sync's `modifiedSince`, if `start_date` is set.
    pub(crate) fn start(&self) -> Option<DateTime<Utc>> {
        self.start_date.map(|d| d.at())
    }
}
