//! The `[[sources]]` keys of an Instagram source. The Graph keys and their checks are the
//! SDK's (`meta_graph`), so every message names the key to fix; what the keys mean for the
//! API is in the crate docs.

use crate::Instagram;
use deskpulse_connector::meta_graph::{
    DEFAULT_REQUESTS_PER_HOUR, DEFAULT_RESCAN_DAYS, GraphSource, Keys, Node,
};
use deskpulse_connector::prelude::HttpClient;
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;

/// Settings of one Instagram source (`kind = "instagram"`). `Debug` shows no secret:
/// `access_token` is a [`Secret`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstagramSettings {
    /// The professional account's IG user id (numeric; `GET /{page-id}?fields=instagram_business_account`
    /// gives it with Facebook Login, `GET /me?fields=user_id` with Instagram Login).
    pub ig_user_id: Option<String>,
    /// A user access token with the comment permissions, sent as the `access_token` query
    /// parameter.
    pub access_token: Option<Secret>,
    /// Replaces `https://graph.facebook.com` for every request
    /// (`https://graph.instagram.com` for Instagram Login; tests, proxies).
    pub base_url: Option<String>,
    /// The Graph API version (`v21.0`), the first path segment of every request.
    pub api_version: Option<String>,
    /// How many days of media before the newest each sync reads again (0 to 93; default 7).
    pub rescan_days: u32,
    /// Items per page (`limit`, 1 to 100; default 100).
    pub page_size: Option<u32>,
    /// The client-side pace; 0 = none.
    pub requests_per_hour: u32,
}

impl Default for InstagramSettings {
    fn default() -> Self {
        Self {
            ig_user_id: None,
            access_token: None,
            base_url: None,
            api_version: None,
            rescan_days: DEFAULT_RESCAN_DAYS,
            page_size: None,
            requests_per_hour: DEFAULT_REQUESTS_PER_HOUR,
        }
    }
}

impl InstagramSettings {
    /// The account's Graph source and client, every key checked.
    pub(crate) fn graph(&self) -> Result<(GraphSource, HttpClient), ConnectorError> {
        GraphSource::new::<Instagram>(Keys {
            node: Node {
                key: "ig_user_id",
                value: &self.ig_user_id,
                what: "the professional account's numeric IG user id",
                example: "17841400000000000",
                not: "a username",
                found: "`GET /{page-id}?fields=instagram_business_account` gives it",
            },
            access_token: &self.access_token,
            token: "a user access token with instagram_basic and instagram_manage_comments (Facebook Login) or instagram_business_basic and instagram_business_manage_comments (Instagram Login)",
            base_url: &self.base_url,
            api_version: &self.api_version,
            rescan_days: self.rescan_days,
            // The window counts back from the newest medium: 0 reads that day's alone.
            min_rescan_days: 0,
            page_size: self.page_size,
            requests_per_hour: self.requests_per_hour,
        })
    }
}
