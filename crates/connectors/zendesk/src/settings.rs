//! The `[[sources]]` keys of a Zendesk source, and their validation (with the SDK's
//! helpers, so every message starts with the key to fix).

use deskpulse_connector::prelude::*;
use deskpulse_connector::settings;
use serde::Deserialize;
use url::Url;

/// Settings of one Zendesk source (`kind = "zendesk"`). `Debug` shows no secret: the two
/// tokens are [`Secret`]s. A key left out takes its value from [`Default`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZendeskSettings {
    /// `acme` for `https://acme.zendesk.com`.
    pub subdomain: Option<String>,
    /// The agent the API token belongs to (Basic auth `{email}/token:{api_token}`).
    pub email: Option<String>,
    pub api_token: Option<Secret>,
    /// An OAuth access token, sent as `Bearer`; instead of `email` + `api_token`.
    pub oauth_token: Option<Secret>,
    /// Replaces `https://{subdomain}.zendesk.com` for every request and every next-page URL.
    pub base_url: Option<String>,
    /// Where the first sync starts (`"2024-03-01"` is UTC midnight, or RFC 3339); default:
    /// the whole history.
    pub start_date: Option<StartDate>,
    /// Records per page where the endpoint takes a size (exports up to 1000, lists up to 100).
    pub page_size: Option<u32>,
    /// The plan's API limit; the default is the smallest plan's. 0 = no client-side limit.
    pub requests_per_minute: u32,
    /// Zendesk's own limit on the incremental exports. 0 = no client-side limit.
    pub incremental_requests_per_minute: u32,
    /// Zendesk's own limit on Export Search Results, which a first sync reads for the
    /// unsolved tickets its recent window would leave out. 0 = no client-side limit.
    pub search_export_requests_per_minute: u32,
    /// How far back before its bookmark each sync re-reads satisfaction ratings. Zendesk does
    /// not document whether the list's `start_time` compares when a survey was offered or
    /// when it was answered; a customer can answer (or change the answer) until the ticket
    /// closes, at most 28 days after it was solved, so the default re-reads 28 days.
    pub ratings_lookback_days: u32,
    /// Zendesk user ids that are bots, not people: the user an admin chose as an AI agent's
    /// sender, third-party bots added as users, integration users. Zendesk's users export
    /// has no bot flag; the system user (`-1`) is always a bot.
    pub bot_user_ids: Vec<i64>,
}

impl Default for ZendeskSettings {
    fn default() -> Self {
        Self {
            subdomain: None,
            email: None,
            api_token: None,
            oauth_token: None,
            base_url: None,
            start_date: None,
            page_size: None,
            requests_per_minute: 200,
            incremental_requests_per_minute: 10,
            search_export_requests_per_minute: 100,
            ratings_lookback_days: 28,
            bot_user_ids: Vec::new(),
        }
    }
}

/// The largest `per_page` the incremental exports accept.
pub(crate) const MAX_EXPORT_PAGE: u32 = 1000;

impl ZendeskSettings {
    /// The base URL every request goes to: `base_url`, else `https://{subdomain}.zendesk.com`.
    pub(crate) fn resolved_base_url(&self) -> Result<Url, ConnectorError> {
        const EXAMPLE: &str = "https://acme.zendesk.com";
        if present(&self.base_url).is_some() {
            return settings::base_url(&self.base_url, None, EXAMPLE);
        }
        match present(&self.subdomain) {
            Some(sub) => settings::account_url("subdomain", sub, "zendesk.com", false),
            None => Err(ConnectorError::settings(
                "subdomain",
                "is not set: set `subdomain` (the `acme` of acme.zendesk.com), or `base_url`",
            )),
        }
    }

    /// The credentials, from `email` + `api_token` or `oauth_token` (exactly one of them).
    pub(crate) fn auth(&self) -> Result<Auth, ConnectorError> {
        settings::KeyOrToken {
            user: ("email", &self.email, "set `email` (the agent the `api_token` belongs to)"),
            key: (
                "api_token",
                &self.api_token,
                "set `api_token` (Admin Center → Apps and integrations → Zendesk API), or `oauth_token`",
            ),
            token: ("oauth_token", &self.oauth_token),
        }
        .auth(|email| format!("{email}/token"))
    }

    /// The `per_page` to ask for, when set (1..=1000; the lists take at most 100 of it).
    pub(crate) fn validated_page_size(&self) -> Result<Option<u32>, ConnectorError> {
        self.page_size
            .map(|n| settings::bounded("page_size", n, 1, MAX_EXPORT_PAGE))
            .transpose()
    }

    /// The first sync's `start_time` (unix seconds, never negative).
    pub(crate) fn start_time(&self) -> i64 {
        self.start_date.map_or(0, |d| d.unix())
    }
}
