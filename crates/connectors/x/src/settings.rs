//! The `[[sources]]` keys of an X source and their validation (the SDK's settings helpers,
//! so every message names the key to fix). What the keys mean for the API is in the crate
//! docs; here is only what makes a value acceptable.

use chrono::{DateTime, Duration, Utc};
use deskpulse_connector::settings::{self, StartDate, present, present_secret};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;
use url::Url;

/// X's API host (docs.x.com examples: `https://api.x.com/2/…`; the `/2` is in each path).
pub const DEFAULT_BASE_URL: &str = "https://api.x.com";

/// `max_results` bounds of the mentions and posts timelines (X: 5 to 100, default 10).
pub const MIN_RESULTS: u32 = 5;
pub const MAX_RESULTS: u32 = 100;

/// X's published app-auth (Bearer) limits per 15 minutes: user lookup 300 (docs.x.com users
/// lookup comparison; `x-rate-limit-limit: 300` in tweepy's recording), mentions timeline
/// 450 (docs.x.com rate-limit table; `450` recorded), posts timeline 1500 (X's v2 timeline
/// docs; `1500` recorded). Plans may grant less: lower them to the plan's figures.
pub const DEFAULT_USER_REQUESTS: u32 = 300;
pub const DEFAULT_MENTIONS_REQUESTS: u32 = 450;
pub const DEFAULT_TWEETS_REQUESTS: u32 = 1500;

/// How many days of mentions each sync reads again for late brand replies, by default.
pub const DEFAULT_RESCAN_DAYS: u32 = 7;

/// The longest `rescan_days`: X keeps only the ~800 most recent mentions anyway, and each
/// re-read costs post reads.
const MAX_RESCAN_DAYS: u32 = 90;

/// Settings of one X source (`kind = "x"`). `Debug` shows no secret (`bearer_token` is a
/// [`Secret`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct XSettings {
    /// The brand account's numeric user id (`GET /2/users/by/username/{name}` gives it).
    pub user_id: Option<String>,
    /// The app's OAuth 2.0 Bearer token (app-only), sent as `Authorization: Bearer …`.
    pub bearer_token: Option<Secret>,
    /// Replaces `https://api.x.com` for every request (tests, proxies).
    pub base_url: Option<String>,
    /// Where the first sync's mentions start (`2026-11-01` is UTC midnight; RFC 3339 too);
    /// default: `rescan_days` before the first sync. Never before it on later syncs.
    pub start_date: Option<StartDate>,
    /// Mentions read again each sync for late brand replies (0 to 90 days; default 7).
    pub rescan_days: u32,
    /// `max_results` of both timelines (5 to 100; default 100).
    pub max_results: Option<u32>,
    /// Client-side pace of `GET /2/users/{id}` (0 = none; a 429 is still waited out).
    pub user_requests_per_15_minutes: u32,
    /// Client-side pace of `GET /2/users/{id}/mentions`.
    pub mentions_requests_per_15_minutes: u32,
    /// Client-side pace of `GET /2/users/{id}/tweets` (the brand's replies).
    pub tweets_requests_per_15_minutes: u32,
}

impl Default for XSettings {
    fn default() -> Self {
        Self {
            user_id: None,
            bearer_token: None,
            base_url: None,
            start_date: None,
            rescan_days: DEFAULT_RESCAN_DAYS,
            max_results: None,
            user_requests_per_15_minutes: DEFAULT_USER_REQUESTS,
            mentions_requests_per_15_minutes: DEFAULT_MENTIONS_REQUESTS,
            tweets_requests_per_15_minutes: DEFAULT_TWEETS_REQUESTS,
        }
    }
}

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub base_url: Url,
    pub user_id: String,
    pub token: Secret,
    pub start: Option<DateTime<Utc>>,
    pub rescan: Duration,
    pub max_results: u32,
}

impl XSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let user_id = present(&self.user_id).ok_or_else(|| {
            ConnectorError::settings(
                "user_id",
                "is not set: set the brand account's numeric user id (`GET /2/users/by/username/<handle>` gives it)",
            )
        })?;
        // It becomes a path segment, and X ids are 1 to 19 digits.
        if user_id.len() > 19 || !user_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(ConnectorError::settings(
                "user_id",
                format!(
                    "must be the account's numeric id (such as `2244994945`), not its @handle; got {user_id:?}"
                ),
            ));
        }
        let token = present_secret(&self.bearer_token).cloned().ok_or_else(|| {
            ConnectorError::settings(
                "bearer_token",
                "is not set: set the app's Bearer token (X developer console → your app → Keys and tokens)",
            )
        })?;
        let base_url =
            settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?;
        let max_results = match self.max_results {
            None => MAX_RESULTS,
            Some(n) => settings::bounded("max_results", n, MIN_RESULTS, MAX_RESULTS)?,
        };
        let rescan_days = settings::bounded("rescan_days", self.rescan_days, 0, MAX_RESCAN_DAYS)?;
        Ok(Valid {
            base_url,
            user_id: user_id.to_owned(),
            token,
            start: self.start_date.map(|d| d.at()),
            rescan: Duration::days(i64::from(rescan_days)),
            max_results,
        })
    }
}
