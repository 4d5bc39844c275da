//! The `[[sources]]` keys of an Intercom source, validated with the SDK's settings helpers
//! (every message names the key to fix).

use deskpulse_connector::settings::{self, StartDate, present, present_secret};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;

/// Settings of one Intercom source (`kind = "intercom"`); a key left out takes its value
/// from [`Default`]. `Debug` shows no secret: the token is a [`Secret`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntercomSettings {
    /// An access token of the workspace's app (Developer Hub → your app → Authentication),
    /// sent as `Authorization: Bearer …`. It needs read access to conversations and admins.
    pub access_token: Option<Secret>,
    /// Where the workspace is hosted: `us` (default, `https://api.intercom.io`), `eu`
    /// (`https://api.eu.intercom.io`) or `au` (`https://api.au.intercom.io`).
    pub region: Option<String>,
    /// Replaces the regional host for every request and every next page.
    pub base_url: Option<String>,
    /// Where the first sync starts (`"2024-03-01"` is UTC midnight, or RFC 3339); default:
    /// the whole history.
    pub start_date: Option<StartDate>,
    /// Conversations per search page (Intercom: at most 150; default 150).
    pub page_size: Option<u32>,
    /// Client-side limit for every request. Intercom allows 10 000 a minute per app (and
    /// 25 000 per workspace), enforced in 10-second windows. 0 = no client-side limit.
    pub requests_per_minute: u32,
    /// How many conversations of a search page are fetched at once for their parts
    /// (Intercom has no bulk endpoint for parts). 1–16, default 4.
    pub parts_concurrency: u32,
    /// How far before the bookmark each resumed sync searches again, for conversations the
    /// search index had not caught up with. Default 5; 0 = only the bookmark's second.
    pub lookback_minutes: u32,
    /// How often the `ticket_roster` stream sweeps every conversation id Intercom still
    /// lists, to find conversations deleted (or merged away) since they were synced: Intercom's
    /// search never reports a deletion. A duration like `"24h"`, `"6h"` or `"30m"` (default
    /// `"24h"`); `"0s"` sweeps on every sync. A sweep costs one search request per
    /// `page_size` (150) conversations of the workspace's whole history.
    pub roster_every: String,
}

impl Default for IntercomSettings {
    fn default() -> Self {
        Self {
            access_token: None,
            region: None,
            base_url: None,
            start_date: None,
            page_size: None,
            requests_per_minute: 10_000,
            parts_concurrency: 4,
            lookback_minutes: 5,
            roster_every: "24h".to_owned(),
        }
    }
}

/// The largest `pagination.per_page` the search accepts.
const MAX_SEARCH_PAGE: u32 = 150;
const MAX_PARTS_CONCURRENCY: u32 = 16;

/// The settings as the connector uses them.
pub(crate) struct Valid {
    pub base_url: url::Url,
    pub token: Secret,
    pub page_size: u32,
    pub parts_concurrency: usize,
    pub roster_every: chrono::Duration,
    /// The first sync's lower bound on `updated_at` (unix seconds, never negative).
    pub start_time: i64,
    /// Seconds searched again before the bookmark on every resumed sync.
    pub lookback: i64,
}

impl IntercomSettings {
    pub(crate) fn validate(&self) -> Result<Valid, ConnectorError> {
        let token = present_secret(&self.access_token).cloned().ok_or_else(|| {
            ConnectorError::settings(
                "access_token",
                "is not set: copy it from Intercom's Developer Hub → your app → Authentication, e.g. `access_token = \"${INTERCOM_ACCESS_TOKEN}\"`",
            )
        })?;
        let parts = settings::bounded(
            "parts_concurrency",
            self.parts_concurrency,
            1,
            MAX_PARTS_CONCURRENCY,
        )?;
        // `base_url` replaces the region (whatever it says).
        let regional = match present(&self.base_url) {
            Some(_) => None,
            None => Some(self.regional_host()?),
        };
        Ok(Valid {
            base_url: settings::base_url(&self.base_url, regional, "https://api.intercom.io")?,
            token,
            page_size: settings::page_size(self.page_size, MAX_SEARCH_PAGE, "page_size")?,
            parts_concurrency: parts as usize,
            roster_every: settings::duration("roster_every", &self.roster_every)?,
            start_time: self.start_date.map_or(0, |d| d.unix()),
            lookback: i64::from(self.lookback_minutes) * 60,
        })
    }

    /// The host of the workspace's region.
    fn regional_host(&self) -> Result<&'static str, ConnectorError> {
        match present(&self.region)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("us") => Ok("https://api.intercom.io"),
            Some("eu") => Ok("https://api.eu.intercom.io"),
            Some("au") => Ok("https://api.au.intercom.io"),
            Some(other) => Err(ConnectorError::settings(
                "region",
                format!(
                    "must be `us`, `eu` or `au` (where the workspace is hosted), got {other:?}"
                ),
            )),
        }
    }
}
