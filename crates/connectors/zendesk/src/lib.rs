//! deskpulse connector for Zendesk Support.
//!
//! Reads only Zendesk's bulk incremental endpoints (never one request per ticket):
//! the cursor exports of users and tickets (with `metric_sets` side-loaded), the time-based
//! ticket events export with `comment_events` (both ticket exports with
//! `support_type_scope=all`), and the satisfaction ratings list. Every
//! request and every next page goes to the configured base URL; the incremental exports
//! share their own rate limit (Zendesk allows 10 requests a minute there).

mod api;
#[doc(hidden)]
pub mod fuzzing;
mod settings;
mod streams;

pub use settings::{ZendeskSettings, settings_keys};

use deskpulse_connector::http::{HttpClient, HttpSettings, RetryPolicy};
use deskpulse_connector::{BatchStream, Checkpoint, Connector, ConnectorError, StreamSpec};

/// The `kind` of a Zendesk source.
pub const KIND: &str = "zendesk";

/// Rate-limit group of the incremental exports.
pub(crate) const INCREMENTAL: &str = "incremental";
/// Rate-limit group of every other endpoint (the plan's limit).
pub(crate) const DEFAULT: &str = "default";

/// The streams, in the order a sync reads them (agents first, so authors resolve).
pub const STREAMS: &[StreamSpec] = &[
    StreamSpec {
        name: "users",
        description: "agents and admins; end-users as customers (id and an e-mail that storage keeps only as a keyed hash)",
    },
    StreamSpec {
        name: "tickets",
        description: "tickets (AI-agent-only ones too) with status, channel, assignee, tags; solve fallbacks from metric sets; the vendor's own first reply, resolution, reopen and reply figures from each metric set, for reconcile",
    },
    StreamSpec {
        name: "ticket_events",
        description: "comments (author, public or internal; no bodies) and status changes",
    },
    StreamSpec {
        name: "satisfaction_ratings",
        description: "CSAT answers (good/bad), dated when the customer answered; offered surveys are skipped",
    },
];

/// A configured Zendesk source.
#[derive(Debug)]
pub struct ZendeskConnector {
    http: HttpClient,
    start_time: i64,
    page_size: Option<u32>,
    ratings_lookback: i64,
    bot_user_ids: Vec<i64>,
}

impl ZendeskConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: ZendeskSettings) -> Result<Self, ConnectorError> {
        let base_url = settings.resolved_base_url()?;
        let auth = settings.auth()?;
        let page_size = settings.validated_page_size()?;
        let mut http_settings = HttpSettings::new(base_url, auth);
        http_settings.user_agent = concat!("deskpulse-zendesk/", env!("CARGO_PKG_VERSION")).into();
        let http = HttpClient::new(http_settings)?
            .with_rate_limit(DEFAULT, settings.requests_per_minute)
            .with_rate_limit(INCREMENTAL, settings.incremental_requests_per_minute);
        Ok(Self {
            http,
            start_time: settings.start_time(),
            page_size,
            ratings_lookback: i64::from(settings.ratings_lookback_days) * 86_400,
            bot_user_ids: settings.bot_user_ids,
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.http = self.http.with_retry_policy(retry);
        self
    }

    /// The base URL every request goes to.
    pub fn base_url(&self) -> &url::Url {
        self.http.base_url()
    }
}

impl Connector for ZendeskConnector {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }

    fn read<'a>(&'a self, stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        let ctx = streams::Ctx {
            http: &self.http,
            start_time: self.start_time,
            page_size: self.page_size,
            ratings_lookback: self.ratings_lookback,
            bot_user_ids: &self.bot_user_ids,
        };
        match stream {
            "users" => streams::users(ctx, from),
            "tickets" => streams::tickets(ctx, from),
            "ticket_events" => streams::ticket_events(ctx, from),
            "satisfaction_ratings" => streams::satisfaction_ratings(ctx, from),
            other => {
                let err = ConnectorError::unknown_stream(other, STREAMS);
                Box::pin(futures::stream::once(async move { Err(err) }))
            }
        }
    }
}
