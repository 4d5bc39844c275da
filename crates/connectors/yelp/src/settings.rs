//! The `[[sources]]` keys of a Yelp source, and their validation (the SDK's settings
//! helpers where they fit; every message names the key to fix).

use deskpulse_connector::prelude::*;
use deskpulse_connector::settings;
use serde::Deserialize;

/// Yelp's API host, used when `base_url` is not set (the paths carry the `/v3` prefix).
pub const DEFAULT_BASE_URL: &str = "https://api.yelp.com";

/// One request a second: Yelp throttles by queries per second (429
/// `TOO_MANY_REQUESTS_PER_SECOND`) without publishing the figure, and a sync makes two
/// requests, so pacing costs nothing.
const DEFAULT_REQUESTS_PER_MINUTE: u32 = 60;

/// Settings of one Yelp source (`kind = "yelp"`). `Debug` shows no secret: the API key is a
/// [`Secret`]. A key left out takes its value from [`Default`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct YelpSettings {
    /// The business: its Yelp id (`4kMBvIEWPxWkWKFN__8SxQ`) or its alias, the part after
    /// `/biz/` in its Yelp page's URL (`yelp-san-francisco`).
    pub business_id: Option<String>,
    /// The API key of a Yelp Places (Fusion) app, sent as `Authorization: Bearer …`.
    pub api_key: Option<Secret>,
    /// Replaces `https://api.yelp.com` for every request (tests, proxies).
    pub base_url: Option<String>,
    /// Client-side pace; 0 = no client-side limit (a 429 is still retried).
    pub requests_per_minute: u32,
    /// Yelp's `locale` parameter (`en_US`, `fr_FR`): the language of the business details
    /// and the language the review excerpts are filtered by. Default: Yelp's (`en_US`).
    pub locale: Option<String>,
}

impl Default for YelpSettings {
    fn default() -> Self {
        Self {
            business_id: None,
            api_key: None,
            base_url: None,
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
            locale: None,
        }
    }
}

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub base_url: url::Url,
    pub api_key: Secret,
    pub business_id: String,
    pub locale: Option<String>,
}

impl YelpSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let business_id = business_id(present(&self.business_id))?;
        let api_key = present_secret(&self.api_key).cloned().ok_or_else(|| {
            ConnectorError::settings(
                "api_key",
                "is not set: write the API key of your app at https://www.yelp.com/developers/v3/manage_app",
            )
        })?;
        let locale = present(&self.locale).map(locale).transpose()?;
        Ok(Valid {
            base_url: settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?,
            api_key,
            business_id,
            locale,
        })
    }
}

/// The business id or alias goes into the request path: it must be one path segment.
fn business_id(raw: Option<&str>) -> Result<String, ConnectorError> {
    const HOW: &str = "write the business's Yelp id or alias: the part after `/biz/` in its Yelp page's URL (`yelp-san-francisco` for https://www.yelp.com/biz/yelp-san-francisco)";
    let Some(raw) = raw else {
        return Err(ConnectorError::settings(
            "business_id",
            format!("is not set: {HOW}"),
        ));
    };
    let id = raw.trim();
    let bad = id
        .chars()
        .any(|c| matches!(c, '/' | '?' | '#' | '\\') || c.is_whitespace() || c.is_control());
    if bad {
        return Err(ConnectorError::settings(
            "business_id",
            format!(
                "{id:?} is not a Yelp business id or alias (no `/`, `?`, `#` or spaces): {HOW}"
            ),
        ));
    }
    Ok(id.to_owned())
}

/// `en_US`: a language (two or three letters), `_`, a country (two capitals).
fn locale(raw: &str) -> Result<String, ConnectorError> {
    let raw = raw.trim();
    let ok = raw.split_once('_').is_some_and(|(lang, country)| {
        (2..=3).contains(&lang.len())
            && lang.chars().all(|c| c.is_ascii_lowercase())
            && country.len() == 2
            && country.chars().all(|c| c.is_ascii_uppercase())
    });
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ConnectorError::settings(
            "locale",
            format!(
                "{raw:?} is not a Yelp locale: write a language, `_` and a country, like `en_US` or `fr_FR`"
            ),
        ))
    }
}
