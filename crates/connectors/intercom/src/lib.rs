//! deskpulse connector for Intercom.
//!
//! Conversations come from `POST /conversations/search` filtered on `updated_at` and sorted
//! by it, paged with `pagination.starting_after`. Intercom has **no bulk endpoint for
//! conversation parts** (messages, notes, open/close/snooze events): they come only with
//! `GET /conversations/{id}` (its 500 most recent parts). So each search page fans out to one
//! request per conversation on that page — bounded (`parts_concurrency` at once), and
//! checkpointed together with the page, so a restart never repeats more than one page.
//! Each conversation gives its ticket, the vendor's own figures from its `statistics`
//! (`VendorMetrics`, for `deskpulse reconcile`) and one `StatusHistory` that replaces what an
//! earlier read stored. Teammates come from `GET /admins`.
//!
//! Intercom never reports a deletion: a deleted conversation leaves the search and answers
//! 404. One found by the search and gone by the time its parts are fetched is kept as
//! `deleted`; every other one is found by the `ticket_roster` stream, a sweep over every id
//! the search still lists (at most every `roster_every`), whose absence storage reads as a
//! deletion. Every request and every next page goes to the configured base URL.
//!
//! Every request sends `Intercom-Version: 2.14`, the version whose OpenAPI description and
//! examples the mapping follows (Airbyte's recordings, made with 2.9/2.10, read the same);
//! ids are accepted as strings or numbers, since versions and examples differ there.

mod api;
#[doc(hidden)]
pub mod fuzzing;
mod settings;
mod streams;

pub use settings::{IntercomSettings, settings_keys};

use chrono::{DateTime, Utc};
use deskpulse_connector::http::{Auth, HttpClient, HttpSettings, RetryPolicy};
use deskpulse_connector::{BatchStream, Checkpoint, Connector, ConnectorError, StreamSpec};
use std::fmt;
use std::sync::Arc;

/// The Intercom API version requests ask for (`Intercom-Version` header).
pub const API_VERSION: &str = "2.14";

/// The `kind` of an Intercom source.
pub const KIND: &str = "intercom";

/// The one rate-limit group: Intercom's limit is per app and per workspace, not per endpoint.
pub(crate) const DEFAULT: &str = "default";

/// The streams, in the order a sync reads them (admins first, so authors resolve; the
/// roster last, after the conversations it judges were stored).
pub const STREAMS: &[StreamSpec] = &[
    StreamSpec {
        name: "admins",
        description: "teammates as agents (Intercom's Operator/Fin bot accounts as bots); full refresh",
    },
    StreamSpec {
        name: "conversations",
        description: "conversations with state, channel, assignee, tags; their parts as messages (no bodies; notes internal) and one status history each; requesters as customers; 1–5 conversation ratings; Intercom's own statistics for reconcile",
    },
    StreamSpec {
        name: "ticket_roster",
        description: "every conversation id Intercom still lists (search by created_at), at most every `roster_every`: conversations deleted since they were synced drop out of every KPI",
    },
];

/// Where the connector reads the current time: whether a roster sweep is due, and when a
/// sweep starts. [`Clock::system`] unless a test injects another.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Clock(Arc::new(Utc::now))
    }
    /// Always `at`.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock(Arc::new(move || at))
    }
    /// Whatever `now` returns.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// A configured Intercom source.
#[derive(Debug)]
pub struct IntercomConnector {
    http: HttpClient,
    start_time: i64,
    page_size: u32,
    parts_concurrency: usize,
    lookback: i64,
    roster_every: chrono::Duration,
    clock: Clock,
}

impl IntercomConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: IntercomSettings) -> Result<Self, ConnectorError> {
        let base_url = settings.resolved_base_url()?;
        let token = settings.token()?;
        let page_size = settings.validated_page_size()?;
        let parts_concurrency = settings.validated_parts_concurrency()?;
        let roster_every = settings.validated_roster_every()?;
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
            roster_every,
            clock: Clock::system(),
        })
    }

    /// Replaces the clock (tests: a sweep's start and interval without the wall clock).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
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
            roster_every: self.roster_every,
            clock: &self.clock,
        };
        match stream {
            "admins" => streams::admins(ctx, from),
            "conversations" => streams::conversations(ctx, from),
            "ticket_roster" => streams::ticket_roster(ctx, from),
            other => {
                let err = ConnectorError::unknown_stream(other, STREAMS);
                Box::pin(futures::stream::once(async move { Err(err) }))
            }
        }
    }
}
