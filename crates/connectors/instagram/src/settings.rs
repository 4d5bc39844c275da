//! The `[[sources]]` keys of an Instagram source and their validation (the SDK's settings
//! helpers, so every message names the key to fix). What the keys mean for the API is in the
//! crate docs; here is only what makes a value acceptable.

use chrono::Duration;
use deskpulse_connector::settings::{self, present, present_secret};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;
use url::Url;

/// The Graph API host of the Instagram API with Facebook Login (reference §1.6). The
/// Instagram API with Instagram Login answers the same paths on `https://graph.instagram.com`.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";

/// The Graph API version asked for by default: the one the reference's example links name
/// (`v21.0`). Meta keeps a version for about two years: set a current one in `api_version`.
pub const DEFAULT_API_VERSION: &str = "v21.0";

/// The Graph API's largest `limit` on the edges read here.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The client-side pace by default: a user token falls under Meta's platform limit of
/// 200 calls × users per hour, Instagram's business use case limit is larger (4 800 ×
/// impressions per 24 hours); 200 an hour is within both with one user.
pub const DEFAULT_REQUESTS_PER_HOUR: u32 = 200;

/// How many days before the newest medium each sync reads the account's media again.
pub const DEFAULT_RESCAN_DAYS: u32 = 7;

/// The longest `rescan_days` accepted: every medium of the window costs a request a sync.
const MAX_RESCAN_DAYS: u32 = 93;

/// Settings of one Instagram source (`kind = "instagram"`). `Debug` shows no secret:
/// `access_token` is a [`Secret`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstagramSettings {
    /// The professional account's IG user id (numeric; `GET /{page-id}?fields=instagram_business_account`
    /// gives it with Facebook Login, `GET /me?fields=user_id` with Instagram Login).
    pub ig_user_id: Option<String>,
    /// A user access token with the comment permissions, sent as the `access_token` query
    /// parameter.
    pub access_token: Option<Secret>,
    /// Replaces `https://graph.facebook.com` for every request
    /// (`https://graph.instagram.com` for Instagram Login; tests, proxies).
    pub base_url: Option<String>,
    /// The Graph API version (`v21.0`), the first path segment of every request.
    pub api_version: Option<String>,
    /// How many days of media before the newest each sync reads again (0 to 93; default 7).
    pub rescan_days: u32,
    /// Items per page (`limit`, 1 to 100; default 100).
    pub page_size: Option<u32>,
    /// The client-side pace; 0 = none.
    pub requests_per_hour: u32,
}

impl Default for InstagramSettings {
    fn default() -> Self {
        Self {
            ig_user_id: None,
            access_token: None,
            base_url: None,
            api_version: None,
            rescan_days: DEFAULT_RESCAN_DAYS,
            page_size: None,
            requests_per_hour: DEFAULT_REQUESTS_PER_HOUR,
        }
    }
}

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub base_url: Url,
    pub ig_user_id: String,
    pub access_token: Secret,
    pub api_version: String,
    pub rescan: Duration,
    pub page_size: u32,
}

impl InstagramSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let ig_user_id = present(&self.ig_user_id).ok_or_else(|| {
            ConnectorError::settings(
                "ig_user_id",
                "is not set: set the professional account's IG user id (`GET /{page-id}?fields=instagram_business_account` gives it)",
            )
        })?;
        // It becomes a path segment, and Meta's ids are digits.
        if !ig_user_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(ConnectorError::settings(
                "ig_user_id",
                format!(
                    "must be the numeric IG user id (such as `17841400000000000`), not a username: got {ig_user_id:?}"
                ),
            ));
        }
        let access_token = present_secret(&self.access_token).cloned().ok_or_else(|| {
            ConnectorError::settings(
                "access_token",
                "is not set: set a user access token with instagram_basic and instagram_manage_comments (Facebook Login) or instagram_business_basic and instagram_business_manage_comments (Instagram Login)",
            )
        })?;
        let api_version = match present(&self.api_version) {
            None => DEFAULT_API_VERSION.to_owned(),
            Some(v) if is_version(v) => v.to_owned(),
            Some(v) => {
                return Err(ConnectorError::settings(
                    "api_version",
                    format!("must look like `v21.0`, got {v:?}"),
                ));
            }
        };
        let rescan_days = settings::bounded("rescan_days", self.rescan_days, 0, MAX_RESCAN_DAYS)?;
        Ok(Valid {
            base_url: settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?,
            ig_user_id: ig_user_id.to_owned(),
            access_token,
            api_version,
            rescan: Duration::days(i64::from(rescan_days)),
            page_size: settings::page_size(self.page_size, MAX_PAGE_SIZE, "page_size")?,
        })
    }
}

/// `v` followed by digits, a dot and digits (`v21.0`).
fn is_version(v: &str) -> bool {
    v.strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.chars().all(|c| c.is_ascii_digit())
                && minor.chars().all(|c| c.is_ascii_digit())
        })
}
