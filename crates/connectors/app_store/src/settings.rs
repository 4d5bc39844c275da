//! The `[[sources]]` keys of an App Store Connect source, and their validation (the SDK's
//! settings helpers: every message names the key to fix). The API key's private key is read
//! from its `.p8` file here, once, when the connector is built; no message ever shows it.

use chrono::{DateTime, Duration, Utc};
use deskpulse_connector::prelude::*;
use deskpulse_connector::settings;
use serde::Deserialize;

/// Apple's API host, used when `base_url` is not set.
pub const DEFAULT_BASE_URL: &str = "https://api.appstoreconnect.apple.com";

/// The largest `limit` `GET /v1/apps/{id}/customerReviews` accepts (Apple's docs: 200).
pub const MAX_PAGE: u32 = 200;

/// Settings of one App Store Connect source (`kind = "app_store"`). `Debug` shows no secret:
/// the private key is only named by its path, and read at build time.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppStoreSettings {
    /// The API key's issuer id (App Store Connect → Users and Access → Integrations).
    pub issuer_id: Option<String>,
    /// The API key's id (`kid`; the `XXXXXXXXXX` of `AuthKey_XXXXXXXXXX.p8`).
    pub key_id: Option<String>,
    /// The path of the API key's `.p8` file (PEM PKCS#8 P-256 private key).
    pub private_key_path: Option<String>,
    /// The app's Apple ID (digits; App Store Connect → App Information → Apple ID).
    pub app_id: Option<String>,
    /// Replaces Apple's API host for every request, next pages included (tests, proxies).
    pub base_url: Option<String>,
    /// Reviews written before this are not read (`2024-03-01` is UTC midnight; RFC 3339
    /// too); default: the whole history.
    pub start_date: Option<StartDate>,
    /// Reviews per page (`limit`, 1 to 200; default 200).
    pub page_size: Option<u32>,
    /// Client-side limit; 0 = none (a 429 is still waited out). Apple allows an API key a
    /// rolling hourly budget (`X-Rate-Limit: user-hour-lim:3600`): 60 a minute keeps to it.
    pub requests_per_minute: u32,
    /// How many days before the newest review already stored each sync reads again, for
    /// responses written (or published) after the review was first read.
    pub rescan_days: u32,
}

impl Default for AppStoreSettings {
    fn default() -> Self {
        Self {
            issuer_id: None,
            key_id: None,
            private_key_path: None,
            app_id: None,
            base_url: None,
            start_date: None,
            page_size: None,
            requests_per_minute: 60,
            rescan_days: 30,
        }
    }
}

/// The longest rescan window accepted (ten years: longer is a typo).
const MAX_RESCAN_DAYS: u32 = 3650;

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub base_url: url::Url,
    pub key: AppStoreConnectKey,
    /// The `.p8` file's text, for the scrubber (it never goes into a request).
    pub pem: Secret,
    pub app_id: String,
    pub start: Option<DateTime<Utc>>,
    pub page_size: u32,
    pub rescan: Duration,
}

fn required<'a>(
    value: &'a Option<String>,
    key: &str,
    what: &str,
) -> Result<&'a str, ConnectorError> {
    present(value).ok_or_else(|| ConnectorError::settings(key, format_args!("is not set: {what}")))
}

impl AppStoreSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let app_id = required(
            &self.app_id,
            "app_id",
            "write the app's Apple ID (digits, App Store Connect → App Information)",
        )?;
        // It goes into the request path: digits only, so it cannot name another resource.
        if !app_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(ConnectorError::settings(
                "app_id",
                format_args!(
                    "must be the app's Apple ID, digits only (App Store Connect → App Information), got {app_id:?}"
                ),
            ));
        }
        let issuer_id = required(
            &self.issuer_id,
            "issuer_id",
            "write the API key's issuer id (App Store Connect → Users and Access → Integrations)",
        )?;
        let key_id = required(
            &self.key_id,
            "key_id",
            "write the API key's id (the `XXXXXXXXXX` of `AuthKey_XXXXXXXXXX.p8`)",
        )?;
        let path = required(
            &self.private_key_path,
            "private_key_path",
            "write the path of the API key's `.p8` file",
        )?;
        let pem = read_key_file(path)?;
        let key = AppStoreConnectKey::new(key_id, issuer_id, &pem).map_err(|e| {
            // The SDK's message says what is wrong with the key, never shows it.
            let detail = match e {
                ConnectorError::Settings(m) => m,
                other => other.to_string(),
            };
            ConnectorError::settings(
                "private_key_path",
                format_args!("{path:?} is not an App Store Connect API key: {detail}"),
            )
        })?;
        Ok(Valid {
            base_url: settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?,
            key,
            pem,
            app_id: app_id.to_owned(),
            start: self.start_date.as_ref().map(StartDate::at),
            page_size: settings::page_size(self.page_size, MAX_PAGE, "page_size")?,
            rescan: Duration::days(i64::from(settings::bounded(
                "rescan_days",
                self.rescan_days,
                0,
                MAX_RESCAN_DAYS,
            )?)),
        })
    }
}

/// The `.p8` file's text. The error names the path and the reason, never the content.
fn read_key_file(path: &str) -> Result<Secret, ConnectorError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Err(ConnectorError::settings(
            "private_key_path",
            format_args!("{path:?} is empty: download the API key's `.p8` file again"),
        )),
        Ok(text) => Ok(Secret::new(text)),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(ConnectorError::settings(
            "private_key_path",
            format_args!("{path:?} is not a text file: it must be the API key's `.p8` file (PEM)"),
        )),
        Err(e) => Err(ConnectorError::settings(
            "private_key_path",
            format_args!(
                "{path:?} cannot be read ({}): give the path of the API key's `.p8` file",
                e.kind()
            ),
        )),
    }
}
