//! The `[[sources]]` keys of a Google Play source, and their validation: every message names
//! the key to fix, and none quotes the service account's key file (it holds a private key).

use deskpulse_connector::prelude::*;
use deskpulse_connector::settings::{self, present};
use serde::Deserialize;
use url::Url;

/// The Google Play Developer API's host, used when `base_url` is not set.
pub const DEFAULT_BASE_URL: &str = "https://androidpublisher.googleapis.com";

/// Reviews per page (`maxResults`). Google's reference documents the parameter without a
/// ceiling; 100 is ours, so one page stays small and a week of reviews takes few of the
/// 200 GET requests an hour the app is allowed.
pub const MAX_PAGE: u32 = 100;

/// The Reply to Reviews API's documented quota: 200 GET requests per hour per app.
pub const DEFAULT_REQUESTS_PER_HOUR: u32 = 200;

/// Settings of one Google Play source (`kind = "google_play"`). No field is a secret: the
/// private key stays in the file `service_account_path` names, read once when the connector
/// is built and kept as a [`Secret`] from then on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GooglePlaySettings {
    /// The app's package name (`com.example.app`): the app whose reviews are read.
    pub package_name: Option<String>,
    /// The path of the service account's JSON key file (Google Cloud console → IAM → Service
    /// accounts → Keys), an account given the "Reply to reviews" permission in Play Console.
    pub service_account_path: Option<String>,
    /// Replaces `https://androidpublisher.googleapis.com` for every API request (tests,
    /// proxies).
    pub base_url: Option<String>,
    /// Where the signed JWT is exchanged for an access token; default: the key file's
    /// `token_uri`, else `https://oauth2.googleapis.com/token`. The JWT's audience stays the
    /// key file's `token_uri`, as Google requires.
    pub token_url: Option<String>,
    /// Reviews per page (`maxResults`, 1 to 100; default 100).
    pub page_size: Option<u32>,
    /// The app's GET quota of the Reply to Reviews API (200 an hour by default), spent evenly
    /// over the hour; 0 = no client-side limit (a 429 is still waited out).
    pub requests_per_hour: u32,
    /// Asks Google to translate review texts into this language (`translationLanguage`,
    /// `en`, `de`, `pt_BR`); default: each review in its author's language.
    pub translation_language: Option<String>,
}

impl Default for GooglePlaySettings {
    fn default() -> Self {
        Self {
            package_name: None,
            service_account_path: None,
            base_url: None,
            token_url: None,
            page_size: None,
            requests_per_hour: DEFAULT_REQUESTS_PER_HOUR,
            translation_language: None,
        }
    }
}

/// What the connector is built from, every key checked.
pub(crate) struct Valid {
    pub base_url: Url,
    pub package_name: String,
    pub account: GoogleServiceAccount,
    pub page_size: u32,
    pub translation_language: Option<String>,
}

impl GooglePlaySettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let package_name = package_name(present(&self.package_name))?;
        let base_url =
            settings::base_url(&self.base_url, Some(DEFAULT_BASE_URL), DEFAULT_BASE_URL)?;
        let token_url = present(&self.token_url)
            .map(|raw| settings::url("token_url", raw, GOOGLE_TOKEN_URI))
            .transpose()?;
        let mut account = service_account(present(&self.service_account_path))?;
        if let Some(url) = token_url {
            account = account.token_url(url);
        }
        Ok(Valid {
            base_url,
            package_name,
            account,
            page_size: settings::page_size(self.page_size, MAX_PAGE, "page_size")?,
            translation_language: translation_language(present(&self.translation_language))?,
        })
    }
}

/// Google's token endpoint, the example of `token_url`.
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// A Java package name (`com.example.app`): dot-separated segments of ASCII letters, digits
/// and `_`, each starting with a letter. Checked because it becomes a path segment of every
/// request.
fn package_name(raw: Option<&str>) -> Result<String, ConnectorError> {
    let Some(name) = raw else {
        return Err(ConnectorError::settings(
            "package_name",
            "is not set: write the app's package name, like `com.example.app` (Play Console → the app → Dashboard)",
        ));
    };
    let segment_ok = |s: &str| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if name.split('.').all(segment_ok) {
        Ok(name.to_owned())
    } else {
        Err(ConnectorError::settings(
            "package_name",
            format!(
                "must be an Android package name like `com.example.app` (letters, digits and `_` in dot-separated parts, each starting with a letter), got {name:?}"
            ),
        ))
    }
}

/// The key file at `raw`, read now, parsed by the SDK. Errors name `service_account_path`
/// and the path, never the file's content.
fn service_account(raw: Option<&str>) -> Result<GoogleServiceAccount, ConnectorError> {
    let Some(path) = raw else {
        return Err(ConnectorError::settings(
            "service_account_path",
            "is not set: write the path of the service account's JSON key file (Google Cloud console → IAM → Service accounts → Keys → Add key → JSON)",
        ));
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConnectorError::settings(
            "service_account_path",
            format!("names a file that cannot be read ({path}: {e})"),
        )
    })?;
    // The SDK's messages say what is missing and never quote the key.
    GoogleServiceAccount::from_json(&Secret::new(text), ANDROID_PUBLISHER_SCOPE).map_err(|e| {
        let detail = match e {
            ConnectorError::Settings(m) => m,
            other => other.to_string(),
        };
        ConnectorError::settings(
            "service_account_path",
            format!("names a file that is not a usable service account key ({path}): {detail}"),
        )
    })
}

/// A language code (`en`, `pt_BR`, `zh-Hant`): letters, digits, `_` and `-`.
fn translation_language(raw: Option<&str>) -> Result<Option<String>, ConnectorError> {
    match raw {
        None => Ok(None),
        Some(code)
            if code.len() <= 35
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            Ok(Some(code.to_owned()))
        }
        Some(code) => Err(ConnectorError::settings(
            "translation_language",
            format!("must be a language code like `en` or `pt_BR`, got {code:?}"),
        )),
    }
}
