//! The `[[sources]]` keys of a Google Places source, and their validation (the SDK's settings
//! helpers where they fit; every message names the key to fix).

use deskpulse_connector::prelude::*;
use deskpulse_connector::settings;
use serde::Deserialize;
use url::Url;

/// The host of the Places API (New), used when `base_url` is not set and `api = "new"`.
pub const NEW_BASE_URL: &str = "https://places.googleapis.com";

/// The host of the legacy Places API, used when `base_url` is not set and `api = "legacy"`.
pub const LEGACY_BASE_URL: &str = "https://maps.googleapis.com";

/// The default of `requests_per_minute`: a sync makes one request, so this only spaces
/// syncs run back to back; Google's own per-project quota is far above it.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 60;

/// Settings of one Google Places source (`kind = "google_places"`). `Debug` shows no secret:
/// `api_key` is a [`Secret`]. A key left out takes its value of
/// [`GooglePlacesSettings::default`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GooglePlacesSettings {
    /// The Place ID of the place to follow (`ChIJN1t_tDeuEmsRUsoyG83frY4`; the resource name
    /// `places/ChIJ…` is accepted too). Required.
    pub place_id: Option<String>,
    /// A Google Cloud API key with the Places API (New) or the legacy Places API enabled.
    /// Sent as `X-Goog-Api-Key` (new) or as the `key` query parameter (legacy).
    pub api_key: Option<Secret>,
    /// Which API to read: `"new"` (default, Places API (New): `GET /v1/places/{place_id}`)
    /// or `"legacy"` (Place Details: `GET /maps/api/place/details/json`).
    pub api: Option<String>,
    /// Replaces the API host for every request (tests, proxies). Default: the host of `api`.
    pub base_url: Option<String>,
    /// The language Google answers in (`languageCode` / `language`, a BCP 47 tag such as
    /// `en` or `pt-BR`). Optional: Google picks one when unset.
    pub language: Option<String>,
    /// A client-side ceiling on requests per minute; 0 = none (a 429 is still waited out).
    pub requests_per_minute: u32,
}

impl Default for GooglePlacesSettings {
    fn default() -> Self {
        Self {
            place_id: None,
            api_key: None,
            api: None,
            base_url: None,
            language: None,
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
        }
    }
}

/// Which of Google's two documented layouts a source reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// Places API (New): `GET /v1/places/{place_id}` with `X-Goog-FieldMask`.
    New,
    /// The legacy Place Details: `GET /maps/api/place/details/json?place_id=…&key=…`.
    Legacy,
}

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub api: Api,
    pub base_url: Url,
    pub place_id: String,
    pub api_key: Secret,
    pub language: Option<String>,
}

impl GooglePlacesSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let api = match present(&self.api).map(str::to_ascii_lowercase).as_deref() {
            None | Some("new") => Api::New,
            Some("legacy") => Api::Legacy,
            Some(other) => {
                return Err(ConnectorError::settings(
                    "api",
                    format!(
                        "must be \"new\" (Places API (New)) or \"legacy\" (the legacy Place Details), got {other:?}"
                    ),
                ));
            }
        };
        let default = match api {
            Api::New => NEW_BASE_URL,
            Api::Legacy => LEGACY_BASE_URL,
        };
        let base_url = settings::base_url(&self.base_url, Some(default), default)?;
        let place_id = place_id(present(&self.place_id))?;
        let api_key = present_secret(&self.api_key).cloned().ok_or_else(|| {
            ConnectorError::settings(
                "api_key",
                "is not set: create an API key in the Google Cloud console (APIs & Services → Credentials) with the Places API enabled",
            )
        })?;
        let language = present(&self.language).map(language).transpose()?;
        Ok(Valid {
            api,
            base_url,
            place_id,
            api_key,
            language,
        })
    }
}

/// A Place ID goes into a URL path (new) or query (legacy): Google's IDs are letters, digits,
/// `-` and `_` (`ChIJN1t_tDeuEmsRUsoyG83frY4`), so anything else is a typo or a pasted URL.
fn place_id(raw: Option<&str>) -> Result<String, ConnectorError> {
    const EXAMPLE: &str =
        "a Place ID such as \"ChIJN1t_tDeuEmsRUsoyG83frY4\" (Google's Place ID Finder shows it)";
    let raw = raw.ok_or_else(|| {
        ConnectorError::settings("place_id", format!("is not set: set {EXAMPLE}"))
    })?;
    let id = raw.strip_prefix("places/").unwrap_or(raw);
    let ok = !id.is_empty()
        && id.len() <= 1024
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(ConnectorError::settings(
            "place_id",
            format!("must be {EXAMPLE}: letters, digits, `-` and `_` only, got {raw:?}"),
        ))
    }
}

/// A BCP 47 language tag as Google takes it (`en`, `pt-BR`, `zh-Hant`).
fn language(raw: &str) -> Result<String, ConnectorError> {
    let ok = raw.len() <= 35
        && raw
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ConnectorError::settings(
            "language",
            format!("must be a language code such as \"en\" or \"pt-BR\", got {raw:?}"),
        ))
    }
}
