//! deskpulse connector for Intercom.
//!
//! Conversations come from `POST /conversations/search` filtered on `updated_at` and sorted
//! by it, paged with `pagination.starting_after`. Intercom has **no bulk endpoint for
//! conversation parts** (messages, notes, open/close/snooze events): they come only with
//! `GET /conversations/{id}` (its 500 most recent parts). So each search page fans out to one
//! request per conversation on that page — bounded (`parts_concurrency` at once), and
//! checkpointed together with the page, so a restart never repeats more than one page.
//! Teammates come from `GET /admins`. Every request and every next page goes to the
//! configured base URL.
//!
//! Not sent: the `Intercom-Version` header (the SDK's client has no per-connector headers
//! yet), so the app's default API version (Developer Hub) applies. The fields read here are
//! those of the 2.14 OpenAPI examples and of Airbyte's recordings (made with 2.9/2.10); ids
//! are accepted as strings or numbers, since versions and examples differ there.

mod api;
mod settings;
mod streams;

pub use settings::{IntercomSettings, settings_keys};

use deskpulse_connector::http::{Auth, HttpClient, HttpSettings, RetryPolicy};
use deskpulse_connector::{BatchStream, Checkpoint, Connector, ConnectorError, StreamSpec};

/// The `kind` of an Intercom source.
/// The Intercom API version requests ask for (`Intercom-Version` header).
pub const API_VERSION: &str = "2.11";

pub const KIND: &str = "intercom";

/// The one rate-limit group: Intercom's limit is per app and per workspace, not per endpoint.
pub(crate) const DEFAULT: &str = "default";

/// The streams, in the order a sync reads them (admins first, so authors resolve).
pub const STREAMS: &[StreamSpec] = &[
    StreamSpec {
        name: "admins",
        description: "teammates as agents (Intercom's Operator/Fin bot accounts as bots); full refresh",
    },
    StreamSpec {
        name: "conversations",
        description: "conversations with state, channel, assignee, tags; their parts as messages (no bodies; notes internal) and status changes; requesters as customers; 1–5 conversation ratings",
    },
];

/// A configured Intercom source.
#[derive(Debug)]
pub struct IntercomConnector {
    http: HttpClient,
    start_time: i64,
    page_size: u32,
    parts_concurrency: usize,
    lookback: i64,
}

impl IntercomConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: IntercomSettings) -> Result<Self, ConnectorError> {
        let base_url = settings.resolved_base_url()?;
        let token = settings.token()?;
        let page_size = settings.validated_page_size()?;
        let parts_concurrency = settings.validated_parts_concurrency()?;
        let mut http_settings = HttpSettings::new(base_url, Auth::Bearer(token));
        // Pin the API version the mapping was written against; without it Intercom answers
        // with the app's default version, which a workspace admin may change.
        http_settings
            .headers
            .push(("Intercom-Version", API_VERSION.to_owned()));
        http_settings.user_agent = concat!("deskpulse-intercom/", env!("CARGO_PKG_VERSION")).into();
        let http =
            HttpClient::new(http_settings)?.with_rate_limit(DEFAULT, settings.requests_per_minute);
        Ok(Self {
            http,
            start_time: settings.start_time(),
            page_size,
            parts_concurrency,
            lookback: i64::from(settings.lookback_minutes) * 60,
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

impl Connector for IntercomConnector {
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
            parts_concurrency: self.parts_concurrency,
            lookback: self.lookback,
        };
        match stream {
            "admins" => streams::admins(ctx, from),
            "conversations" => streams::conversations(ctx, from),
            other => {
                let err = ConnectorError::unknown_stream(other, STREAMS);
                Box::pin(futures::stream::once(async move { Err(err) }))
            }
        }
    }
}
