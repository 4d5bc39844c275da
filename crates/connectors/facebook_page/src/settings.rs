//! The `[[sources]]` keys of a Facebook Page source and their validation (the SDK's settings
//! helpers, so every message names the key to fix). What the keys mean for the API is in the
//! crate docs; here is only what makes a value acceptable.

use chrono::Duration;
use deskpulse_connector::settings::{self, present, present_secret};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;
use url::Url;

/// The Graph API host (the reference's examples, `https://graph.facebook.com/v{N}/…`).
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";

/// The Graph API version asked for by default: the one the reference's recorded example
/// links name (`v21.0`), the last before the Recommendation node's v22.0 deprecation.
pub const DEFAULT_API_VERSION: &str = "v21.0";

/// The Graph API's largest `limit` on the edges read here.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The client-side pace by default: a Page token falls under the Pages Business Use Case
/// limit of 4 800 calls × engaged users per 24 hours, an app or user token under the
/// platform limit of 200 × users per hour; 200 an hour is within both with one user.
pub const DEFAULT_REQUESTS_PER_HOUR: u32 = 200;

/// How far back each sync re-reads the page's posts, by default.
pub const DEFAULT_RESCAN_DAYS: u32 = 7;

/// The longest `rescan_days` accepted: the window is read whole every sync.
const MAX_RESCAN_DAYS: u32 = 93;

/// Settings of one Facebook Page source (`kind = "facebook_page"`). `Debug` shows no
/// secret: `access_token` is a [`Secret`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FacebookPageSettings {
    /// The Page's numeric id (`GET /me/accounts` lists it with its token).
    pub page_id: Option<String>,
    /// A Page access token, sent as the `access_token` query parameter.
    pub access_token: Option<Secret>,
    /// Replaces `https://graph.facebook.com` for every request and next page.
    pub base_url: Option<String>,
    /// The Graph API version (`v21.0`), the first path segment of every request.
    pub api_version: Option<String>,
    /// How many days of the page's posts each sync reads (1 to 93; default 7).
    pub rescan_days: u32,
    /// Items per page (`limit`, 1 to 100; default 100).
    pub page_size: Option<u32>,
    /// The client-side pace; 0 = none.
    pub requests_per_hour: u32,
    /// Whether to read the `recommendations` stream (default true); Facebook deprecated
    /// recommendations from Graph v22.0.
    pub read_recommendations: bool,
}

impl Default for FacebookPageSettings {
    fn default() -> Self {
        Self {
            page_id: None,
            access_token: None,
            base_url: None,
            api_version: None,
            rescan_days: DEFAULT_RESCAN_DAYS,
            page_size: None,
            requests_per_hour: DEFAULT_REQUESTS_PER_HOUR,
            read_recommendations: true,
        }
    }
}

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub base_url: Url,
    pub page_id: String,
    pub token: Secret,
    pub version: String,
    pub rescan: Duration,
    pub page_size: u32,
}

impl FacebookPageSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let page_id = present(&self.page_id).ok_or_else(|| {
            ConnectorError::settings(
                "page_id",
                "is not set: set the Page's numeric id (`GET /me/accounts` lists your Pages with their ids and tokens)",
            )
        })?;
        // It is a path segment and what the page's own comments are told apart by
        // (`from.id`): Graph ids are digits, a vanity name would never match `from.id`.
        if !page_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(ConnectorError::settings(
                "page_id",
                format!(
                    "must be the Page's numeric id (such as `112233445566778`), not its name, got {page_id:?}"
                ),
            ));
        }
        let token = present_secret(&self.access_token).cloned().ok_or_else(|| {
            ConnectorError::settings(
                "access_token",
                "is not set: set a Page access token with `pages_read_engagement` and `pages_read_user_content` (`GET /me/accounts` gives it)",
            )
        })?;
        let version = present(&self.api_version).unwrap_or(DEFAULT_API_VERSION);
        if !is_version(version) {
            return Err(ConnectorError::settings(
                "api_version",
                format!(
                    "must be a Graph API version such as `{DEFAULT_API_VERSION}`, got {version:?}"
                ),
            ));
        }
        let rescan_days = settings::bounded("rescan_days", self.rescan_days, 1, MAX_RESCAN_DAYS)?;
        Ok(Valid {
            base_url: settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?,
            page_id: page_id.to_owned(),
            token,
            version: version.to_owned(),
            rescan: Duration::days(i64::from(rescan_days)),
            page_size: settings::page_size(self.page_size, MAX_PAGE_SIZE, "page_size")?,
        })
    }
}

/// `v` + digits + `.` + digits.
fn is_version(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    digits(major) && digits(minor)
}
