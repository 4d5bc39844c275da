//! The `[[sources]]` keys of a Google Business Profile source, and their validation (with the
//! SDK's helpers, so every message names the key to fix).

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use deskpulse_connector::settings;
use serde::Deserialize;
use url::Url;

/// The My Business API host; the reviews list is `/v4/accounts/{a}/locations/{l}/reviews`
/// under it.
pub const DEFAULT_BASE_URL: &str = "https://mybusiness.googleapis.com";

/// Google's OAuth 2.0 token endpoint, where the refresh token is exchanged.
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

/// The largest `pageSize` the reviews list accepts (Google documents 50).
pub const MAX_PAGE_SIZE: u32 = 50;

/// The default of `rescan_days`.
pub const DEFAULT_RESCAN_DAYS: u32 = 30;

/// The longest rescan window accepted (ten years: anything longer is a typo).
const MAX_RESCAN_DAYS: u32 = 3650;

/// Settings of one Google Business Profile source (`kind = "google_business_profile"`).
/// `Debug` shows no secret: `client_secret` and `refresh_token` are [`Secret`]s. A key left
/// out takes its value of [`GoogleBusinessProfileSettings::default`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GoogleBusinessProfileSettings {
    /// The account that manages the location: its id (`108345521976543210987`) or its
    /// resource name (`accounts/108345521976543210987`).
    pub account_id: Option<String>,
    /// The verified location whose reviews are read: its id (`4471862208765432109`), its
    /// resource name (`locations/4471862208765432109`) or the full
    /// `accounts/{a}/locations/{l}` (whose account must then match `account_id`, or stands
    /// for it when `account_id` is unset).
    pub location_id: Option<String>,
    /// The OAuth 2.0 client id (Google Cloud console → Credentials).
    pub client_id: Option<String>,
    /// The OAuth 2.0 client secret.
    pub client_secret: Option<Secret>,
    /// A refresh token of the profile's owner or manager, granted the scope
    /// `https://www.googleapis.com/auth/business.manage`.
    pub refresh_token: Option<Secret>,
    /// Where the refresh token is exchanged for access tokens; default
    /// `https://oauth2.googleapis.com/token` (it does not follow `base_url`: Google's token
    /// endpoint is another host).
    pub token_url: Option<String>,
    /// Replaces `https://mybusiness.googleapis.com` for every API request (tests, proxies).
    pub base_url: Option<String>,
    /// Reviews per page, 1 to 50 (default 50, Google's maximum).
    pub page_size: Option<u32>,
    /// Reviews last updated before this are not read: `"2024-03-01"` (UTC midnight) or RFC
    /// 3339; default: every review.
    pub start_date: Option<StartDate>,
    /// Client-side limit, per minute; 0 = none (a 429 is still waited out).
    pub requests_per_minute: u32,
    /// How many days before the newest `updateTime` already stored an incremental sync reads
    /// again (reviews edited and replies written behind the bookmark).
    pub rescan_days: u32,
}

impl Default for GoogleBusinessProfileSettings {
    fn default() -> Self {
        Self {
            account_id: None,
            location_id: None,
            client_id: None,
            client_secret: None,
            refresh_token: None,
            token_url: None,
            base_url: None,
            page_size: None,
            start_date: None,
            // Google's usage-limits page: 300 QPM by default for each Business Profile API
            // it lists; the v4 reviews quota is not on it [unverified for v4].
            requests_per_minute: 300,
            rescan_days: DEFAULT_RESCAN_DAYS,
        }
    }
}

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub base_url: Url,
    pub auth: Auth,
    pub account_id: String,
    pub location_id: String,
    pub page_size: u32,
    pub start: Option<DateTime<Utc>>,
    pub rescan: chrono::Duration,
}

impl GoogleBusinessProfileSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let (account_id, location_id) = self.ids()?;
        let base_url =
            settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?;
        let token_url = match present(&self.token_url) {
            Some(raw) => settings::url("token_url", raw, DEFAULT_TOKEN_URL)?,
            None => settings::url("token_url", DEFAULT_TOKEN_URL, DEFAULT_TOKEN_URL)?,
        };
        let client_id = present(&self.client_id).ok_or_else(|| {
            ConnectorError::settings(
                "client_id",
                "is not set: set the OAuth 2.0 client id the refresh token was granted to (Google Cloud console → APIs & Services → Credentials)",
            )
        })?;
        let client_secret = present_secret(&self.client_secret).ok_or_else(|| {
            ConnectorError::settings(
                "client_secret",
                "is not set: set the OAuth 2.0 client secret of `client_id`",
            )
        })?;
        let refresh_token = present_secret(&self.refresh_token).ok_or_else(|| {
            ConnectorError::settings(
                "refresh_token",
                "is not set: set a refresh token of the profile's owner or manager with the scope https://www.googleapis.com/auth/business.manage",
            )
        })?;
        // Google keeps a refresh token (it hands out no new one on refresh), so no
        // `on_rotate` is needed; client id and secret go in the form body, as Google's
        // OAuth 2.0 guide sends them.
        let flow = RefreshToken::new(
            token_url,
            client_id,
            Some(client_secret.clone()),
            refresh_token.clone(),
        );
        let rescan_days = settings::bounded("rescan_days", self.rescan_days, 0, MAX_RESCAN_DAYS)?;
        Ok(Valid {
            base_url,
            auth: Auth::Token(TokenAuth::new(flow)),
            account_id,
            location_id,
            page_size: settings::page_size(self.page_size, MAX_PAGE_SIZE, "page_size")?,
            start: self.start_date.map(|d| d.at()),
            rescan: chrono::Duration::days(i64::from(rescan_days)),
        })
    }

    /// `account_id` and `location_id` as bare ids, from any of the accepted spellings.
    fn ids(&self) -> Result<(String, String), ConnectorError> {
        let raw_location = present(&self.location_id).ok_or_else(|| {
            ConnectorError::settings(
                "location_id",
                "is not set: set the id of the verified location whose reviews to read (`4471862208765432109` or `locations/4471862208765432109`)",
            )
        })?;
        // A pasted resource name `accounts/{a}/locations/{l}` names both.
        let (from_location, raw_location) = match raw_location
            .strip_prefix("accounts/")
            .and_then(|rest| rest.split_once("/locations/"))
        {
            Some((a, l)) => (Some(bare_id("location_id", a, "accounts/")?), l),
            None => (None, raw_location),
        };
        let location = bare_id("location_id", raw_location, "locations/")?;
        let account = match (present(&self.account_id), from_location) {
            (Some(raw), None) => bare_id("account_id", raw, "accounts/")?,
            (Some(raw), Some(named)) => {
                let account = bare_id("account_id", raw, "accounts/")?;
                if account != named {
                    return Err(ConnectorError::settings(
                        "location_id",
                        format!(
                            "names the account `{named}`, but `account_id` is `{account}`: set one account"
                        ),
                    ));
                }
                account
            }
            (None, Some(named)) => named,
            (None, None) => {
                return Err(ConnectorError::settings(
                    "account_id",
                    "is not set: set the id of the account that manages the location (`108345521976543210987` or `accounts/108345521976543210987`)",
                ));
            }
        };
        Ok((account, location))
    }
}

/// A Google resource id from a setting: the bare id, or the id after `prefix` (`accounts/`,
/// `locations/`). Letters, digits, `-` and `_` only, so an id can never change the request's
/// path.
fn bare_id(key: &str, raw: &str, prefix: &str) -> Result<String, ConnectorError> {
    let raw = raw.trim();
    let id = raw
        .strip_prefix(prefix)
        .unwrap_or(raw)
        .trim_end_matches('/');
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(id.to_owned())
    } else {
        Err(ConnectorError::settings(
            key,
            format!("must be an id (`1234567890`) or `{prefix}1234567890`, got {raw:?}"),
        ))
    }
}
