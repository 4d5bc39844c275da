//! The `[[sources]]` keys of a X source, and their validation (the SDK's settings
//! helpers: every message names the key to fix).

use deskpulse_connector::prelude::*;
use deskpulse_connector::settings;
use serde::Deserialize;

/// The vendor's API host, used when `base_url` is not set.
pub const DEFAULT_BASE_URL: &str = "https://api.x.example";

/// The largest page the list endpoint accepts.
const MAX_PAGE: u32 = 100;

/// Settings of one X source (`kind = "x"`). `Debug` shows no secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct XSettings {
    /// The API token, sent as `Authorization: Bearer …`.
    pub api_token: Option<Secret>,
    /// Replaces the vendor's API host for every request (tests, proxies).
    pub base_url: Option<String>,
    /// Where the first sync starts (`2024-03-01` is UTC midnight; RFC 3339 too); default:
    /// the whole history.
    pub start_date: Option<StartDate>,
    /// Records per page (1 to 100; default 100).
    pub page_size: Option<u32>,
    /// The plan's API limit; 0 = no client-side limit (a 429 is still waited out).
    pub requests_per_minute: u32,
}

impl Default for XSettings {
    fn default() -> Self {
        Self {
            api_token: None,
            base_url: None,
            start_date: None,
            page_size: None,
            requests_per_minute: 60,
        }
    }
}

/// The keys a `[[sources]]` entry of kind `x` may have (besides the common ones), read
/// from the serde derive of [`XSettings`].
pub fn settings_keys() -> &'static [&'static str] {
    settings::keys_of::<XSettings>()
}

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub base_url: url::Url,
    pub token: Secret,
    pub start_time: i64,
    pub page_size: u32,
}

impl XSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let token = present_secret(&self.api_token)
            .cloned()
            .ok_or_else(|| ConnectorError::settings("api_token", "is not set"))?;
        Ok(Valid {
            base_url: settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?,
            token,
            start_time: self.start_date.as_ref().map_or(0, StartDate::unix).max(0),
            page_size: settings::page_size(self.page_size, MAX_PAGE, "page_size")?,
        })
    }
}
