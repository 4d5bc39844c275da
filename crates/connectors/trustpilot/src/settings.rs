//! The `[[sources]]` keys of a Trustpilot source and their validation (the SDK's settings
//! helpers, so every message names the key to fix). What the keys mean for the API is in the
//! crate docs; here is only what makes a value acceptable.

use chrono::{DateTime, Duration, Utc};
use deskpulse_connector::auth::{Auth, ClientAuth, RefreshToken, TokenAuth};
use deskpulse_connector::settings::{self, StartDate, present, present_secret};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;
use url::Url;

/// Trustpilot's API root (the docs' examples and airbyte's `url_base`).
pub const DEFAULT_BASE_URL: &str = "https://api.trustpilot.com/v1";

/// The business-user token refresh endpoint, under the base URL (Trustpilot's authentication
/// docs: `POST {base}/oauth/oauth-business-users-for-applications/refresh`).
pub const TOKEN_PATH: &str = "/oauth/oauth-business-users-for-applications/refresh";

/// The largest `perPage` the reviews endpoints accept (docs: 1..100).
pub const MAX_PAGE_SIZE: u32 = 100;

/// Trustpilot's published guidance is "at most 833 calls per 5 minutes or 10 000 per hour"
/// (developers.trustpilot.com/rate-limiting): both are 166.6… a minute, so 166 keeps under
/// either, evenly spaced.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 166;

/// How far back each sync re-reads reviews for new replies and edits, by default.
pub const DEFAULT_RESCAN_DAYS: u32 = 30;

/// The longest `rescan_days` accepted: a re-read of more than a year each sync is a full
/// sync in disguise (use `--full`).
const MAX_RESCAN_DAYS: u32 = 366;

/// Settings of one Trustpilot source (`kind = "trustpilot"`). `Debug` shows no secret:
/// `api_key`, `client_id`, `client_secret` and `refresh_token` are [`Secret`]s (a
/// Trustpilot `client_id` is an API key).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustpilotSettings {
    /// The business unit whose reviews are read (Trustpilot's id, as
    /// `GET /business-units/find?name=example.com` gives it).
    pub business_unit_id: Option<String>,
    /// The application's API key, sent as the `apikey` header to the public endpoints.
    pub api_key: Option<Secret>,
    /// Replaces `https://api.trustpilot.com/v1` for every request (the token request too,
    /// unless `token_url` is set).
    pub base_url: Option<String>,
    /// Reviews per page (`perPage`, 1 to 100; default 100).
    pub page_size: Option<u32>,
    /// Reviews created before it are not read (`2024-03-01` is UTC midnight; RFC 3339 too).
    pub start_date: Option<StartDate>,
    /// The client-side pace; 0 = none (a 429 is still waited out).
    pub requests_per_minute: u32,
    /// How many days before the newest review already stored each sync reads again, for
    /// replies and edits to recent reviews (0 to 366; default 30).
    pub rescan_days: u32,
    /// Business-user OAuth (all three, or none): the application's API key…
    pub client_id: Option<Secret>,
    /// … its API secret …
    pub client_secret: Option<Secret>,
    /// … and a business user's refresh token. With them, reviews come from the private
    /// endpoint.
    pub refresh_token: Option<Secret>,
    /// Where the refresh token is exchanged; default
    /// `{base_url}/oauth/oauth-business-users-for-applications/refresh`.
    pub token_url: Option<String>,
}

impl Default for TrustpilotSettings {
    fn default() -> Self {
        Self {
            business_unit_id: None,
            api_key: None,
            base_url: None,
            page_size: None,
            start_date: None,
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
            rescan_days: DEFAULT_RESCAN_DAYS,
            client_id: None,
            client_secret: None,
            refresh_token: None,
            token_url: None,
        }
    }
}

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub base_url: Url,
    pub business_unit_id: String,
    pub api_key: Secret,
    /// The business-user token flow, when the OAuth keys are set.
    pub oauth: Option<Oauth>,
    pub page_size: u32,
    pub start: Option<DateTime<Utc>>,
    pub rescan: Duration,
}

/// The business-user OAuth of a source: the token flow and the secrets its client must
/// scrub besides the tokens.
pub(crate) struct Oauth {
    pub auth: Auth,
    pub client_id: Secret,
}

impl TrustpilotSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let business_unit_id = present(&self.business_unit_id).ok_or_else(|| {
            ConnectorError::settings(
                "business_unit_id",
                "is not set: set the business unit id (`GET /business-units/find?name=<your domain>` gives it)",
            )
        })?;
        // It becomes a path segment: nothing that could leave it.
        if !business_unit_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConnectorError::settings(
                "business_unit_id",
                format!(
                    "must be letters and digits (a Trustpilot id such as `5f1e7c0b2a9d4b0001a1b2c3`), got {business_unit_id:?}"
                ),
            ));
        }
        let api_key = present_secret(&self.api_key).cloned().ok_or_else(|| {
            ConnectorError::settings(
                "api_key",
                "is not set: set the application's API key (Trustpilot Business → Integrations → Developers → APIs)",
            )
        })?;
        let base_url =
            settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?;
        let page_size = settings::page_size(self.page_size, MAX_PAGE_SIZE, "page_size")?;
        let rescan_days = settings::bounded("rescan_days", self.rescan_days, 0, MAX_RESCAN_DAYS)?;
        let oauth = self.oauth(&base_url)?;
        Ok(Valid {
            base_url,
            business_unit_id: business_unit_id.to_owned(),
            api_key,
            oauth,
            page_size,
            start: self.start_date.map(|d| d.at()),
            rescan: Duration::days(i64::from(rescan_days)),
        })
    }

    /// `token_url`, or the refresh path under `base` (its `/v1` prefix kept).
    fn token_url(&self, base: &Url) -> Result<Url, ConnectorError> {
        if let Some(raw) = present(&self.token_url) {
            return settings::url(
                "token_url",
                raw,
                "https://api.trustpilot.com/v1/oauth/oauth-business-users-for-applications/refresh",
            );
        }
        let mut url = base.clone();
        url.set_path(&format!(
            "{}{TOKEN_PATH}",
            base.path().trim_end_matches('/')
        ));
        Ok(url)
    }

    /// The business-user token flow: all of `client_id`, `client_secret`, `refresh_token`,
    /// or none of them. Trustpilot authenticates the client to its token endpoint with HTTP
    /// Basic `API_KEY:API_SECRET` and takes `grant_type=refresh_token&refresh_token=…` as a
    /// form.
    fn oauth(&self, base: &Url) -> Result<Option<Oauth>, ConnectorError> {
        let id = present_secret(&self.client_id);
        let secret = present_secret(&self.client_secret);
        let refresh = present_secret(&self.refresh_token);
        let (id, secret, refresh) = match (id, secret, refresh) {
            (None, None, None) => {
                if present(&self.token_url).is_some() {
                    return Err(ConnectorError::settings(
                        "token_url",
                        "is set but the business-user OAuth keys are not: set `client_id`, `client_secret` and `refresh_token`, or remove `token_url`",
                    ));
                }
                return Ok(None);
            }
            (Some(i), Some(s), Some(r)) => (i, s, r),
            (i, s, _) => {
                let missing = if i.is_none() {
                    "client_id"
                } else if s.is_none() {
                    "client_secret"
                } else {
                    "refresh_token"
                };
                return Err(ConnectorError::settings(
                    missing,
                    "is not set: business-user OAuth (the private reviews endpoint) needs all of `client_id` (the API key), `client_secret` (the API secret) and `refresh_token`; set it, or remove the other two to read the public endpoint",
                ));
            }
        };
        let token_url = self.token_url(base)?;
        let flow = RefreshToken::new(
            token_url,
            id.expose(),
            Some(secret.clone()),
            refresh.clone(),
        )
        .client_auth(ClientAuth::Basic)
        .on_rotate(|_| {
            // The new token stays in use for this run; deskpulse has no place to keep it
            // for the next one (settings are the operator's), so say what to do.
            tracing::warn!(
                "Trustpilot handed out a new refresh token; deskpulse keeps it for this sync only. \
                 If a later sync is refused, issue a new refresh token and set `refresh_token`"
            );
        });
        Ok(Some(Oauth {
            auth: Auth::Token(TokenAuth::new(flow)),
            client_id: id.clone(),
        }))
    }
}
