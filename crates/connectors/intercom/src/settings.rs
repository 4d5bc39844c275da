//! The `[[sources]]` keys of an Intercom source, and their validation.

use chrono::NaiveDate;
use deskpulse_connector::settings::present;
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;

/// Settings of one Intercom source (`kind = "intercom"`). `Debug` shows no secret: the
/// token is a [`Secret`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntercomSettings {
    /// An access token of the workspace's app (Developer Hub → your app → Authentication),
    /// sent as `Authorization: Bearer …`. It needs read access to conversations and admins.
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// Where the workspace is hosted: `us` (default, `https://api.intercom.io`), `eu`
    /// (`https://api.eu.intercom.io`) or `au` (`https://api.au.intercom.io`).
    #[serde(default)]
    pub region: Option<String>,
    /// Replaces the regional host for every request and every next page.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Where the first sync starts (UTC midnight); default: the whole history.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Conversations per search page (Intercom: at most 150; default 150).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Client-side limit for every request. Intercom allows 10 000 a minute per app (and
    /// 25 000 per workspace), enforced in 10-second windows. 0 = no client-side limit.
    #[serde(default = "default_rpm")]
    pub requests_per_minute: u32,
    /// How many conversations of a search page are fetched at once for their parts
    /// (Intercom has no bulk endpoint for parts). 1–16, default 4.
    #[serde(default = "default_parts_concurrency")]
    pub parts_concurrency: u32,
    /// How far before the bookmark each resumed sync searches again, for conversations the
    /// search index had not caught up with. Default 5; 0 = only the bookmark's second.
    #[serde(default = "default_lookback_minutes")]
    pub lookback_minutes: u32,
    /// How often the `ticket_roster` stream sweeps every conversation id Intercom still
    /// lists, to find conversations deleted (or merged away) since they were synced: Intercom's
    /// search never reports a deletion. A duration like `"24h"`, `"6h"` or `"30m"` (default
    /// `"24h"`); `"0s"` sweeps on every sync. A sweep costs one search request per
    /// `page_size` (150) conversations of the workspace's whole history.
    #[serde(default = "default_roster_every")]
    pub roster_every: String,
}

fn default_rpm() -> u32 {
    10_000
}
fn default_parts_concurrency() -> u32 {
    4
}
fn default_lookback_minutes() -> u32 {
    5
}
fn default_roster_every() -> String {
    "24h".to_owned()
}

impl Default for IntercomSettings {
    fn default() -> Self {
        Self {
            access_token: None,
            region: None,
            base_url: None,
            start_date: None,
            page_size: None,
            requests_per_minute: default_rpm(),
            parts_concurrency: default_parts_concurrency(),
            lookback_minutes: default_lookback_minutes(),
            roster_every: default_roster_every(),
        }
    }
}

/// The keys a `[[sources]]` entry of kind `intercom` may have (besides the common ones).
pub fn settings_keys() -> &'static [&'static str] {
    &[
        "access_token",
        "region",
        "base_url",
        "start_date",
        "page_size",
        "requests_per_minute",
        "parts_concurrency",
        "lookback_minutes",
        "roster_every",
    ]
}

/// The largest `pagination.per_page` the search accepts.
pub(crate) const MAX_SEARCH_PAGE: u32 = 150;
pub(crate) const MAX_PARTS_CONCURRENCY: u32 = 16;

pub(crate) fn invalid(msg: impl Into<String>) -> ConnectorError {
    ConnectorError::Settings(msg.into())
}

impl IntercomSettings {
    /// The base URL every request goes to.
    pub(crate) fn resolved_base_url(&self) -> Result<url::Url, ConnectorError> {
        if let Some(raw) = present(&self.base_url) {
            let url = url::Url::parse(raw).map_err(|e| {
                invalid(format!(
                    "`base_url` is not a URL ({e}): write it like `https://api.intercom.io` or `http://127.0.0.1:8080`"
                ))
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid(
                    "`base_url` must start with `http://` or `https://`",
                ));
            }
            return Ok(url);
        }
        let host = match present(&self.region)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("us") => "https://api.intercom.io",
            Some("eu") => "https://api.eu.intercom.io",
            Some("au") => "https://api.au.intercom.io",
            Some(other) => {
                return Err(invalid(format!(
                    "`region` must be `us`, `eu` or `au` (where the workspace is hosted), got {other:?}"
                )));
            }
        };
        url::Url::parse(host).map_err(|e| invalid(format!("`region` gives no valid URL: {e}")))
    }

    pub(crate) fn token(&self) -> Result<Secret, ConnectorError> {
        match &self.access_token {
            Some(t) if !t.expose().trim().is_empty() => Ok(t.clone()),
            _ => Err(invalid(
                "set `access_token` (Intercom Developer Hub → your app → Authentication), e.g. `access_token = \"${INTERCOM_ACCESS_TOKEN}\"`",
            )),
        }
    }

    pub(crate) fn validated_page_size(&self) -> Result<u32, ConnectorError> {
        match self.page_size {
            None => Ok(MAX_SEARCH_PAGE),
            Some(n) if n == 0 || n > MAX_SEARCH_PAGE => Err(invalid(format!(
                "`page_size` must be between 1 and {MAX_SEARCH_PAGE} (Intercom's search limit), got {n}"
            ))),
            Some(n) => Ok(n),
        }
    }

    pub(crate) fn validated_parts_concurrency(&self) -> Result<usize, ConnectorError> {
        match self.parts_concurrency {
            n @ 1..=MAX_PARTS_CONCURRENCY => Ok(n as usize),
            n => Err(invalid(format!(
                "`parts_concurrency` must be between 1 and {MAX_PARTS_CONCURRENCY}, got {n}"
            ))),
        }
    }

    /// `roster_every` as a duration; zero sweeps on every sync.
    pub(crate) fn validated_roster_every(&self) -> Result<chrono::Duration, ConnectorError> {
        let raw = self.roster_every.trim();
        let d = humantime::parse_duration(raw).map_err(|e| {
            invalid(format!(
                "`roster_every` is not a duration ({e}): write it like \"24h\", \"6h\" or \"30m\" (\"0s\" sweeps on every sync), got {raw:?}"
            ))
        })?;
        chrono::Duration::from_std(d).map_err(|_| {
            invalid(format!(
                "`roster_every` {raw:?} is too long: give at most a few years, e.g. \"24h\""
            ))
        })
    }

    /// The first sync's lower bound on `updated_at` (unix seconds).
    pub(crate) fn start_time(&self) -> i64 {
        self.start_date
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc().timestamp())
            .unwrap_or(0)
            .max(0)
    }
}
