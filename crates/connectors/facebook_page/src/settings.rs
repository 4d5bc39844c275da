//! The `[[sources]]` keys of a Facebook Page source. The Graph keys and their checks are
//! the SDK's (`meta_graph`), so every message names the key to fix; what the keys mean for
//! the API is in the crate docs.

use crate::FacebookPage;
use deskpulse_connector::meta_graph::{
    DEFAULT_REQUESTS_PER_HOUR, DEFAULT_RESCAN_DAYS, GraphSource, Keys, Node,
};
use deskpulse_connector::prelude::HttpClient;
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;

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

impl FacebookPageSettings {
    /// The Page's Graph source and client, every key checked.
    pub(crate) fn graph(&self) -> Result<(GraphSource, HttpClient), ConnectorError> {
        GraphSource::new::<FacebookPage>(Keys {
            node: Node {
                key: "page_id",
                value: &self.page_id,
                what: "the Page's numeric id",
                example: "112233445566778",
                not: "its name",
                found: "`GET /me/accounts` lists your Pages with their ids and tokens",
            },
            access_token: &self.access_token,
            token: "a Page access token with `pages_read_engagement` and `pages_read_user_content` (`GET /me/accounts` gives it)",
            base_url: &self.base_url,
            api_version: &self.api_version,
            rescan_days: self.rescan_days,
            // The window counts back from now: a day at least.
            min_rescan_days: 1,
            page_size: self.page_size,
            requests_per_hour: self.requests_per_hour,
        })
    }
}
