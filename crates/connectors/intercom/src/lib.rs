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
//!
//! Rate limits: Intercom answers a 429 without `Retry-After`, with the window's end in
//! `X-RateLimit-Reset` (unix seconds), and sends `X-RateLimit-Remaining` on every response;
//! the SDK's client waits both out by the connector's [`Clock`].

mod api;
#[doc(hidden)]
pub mod fuzzing;
mod roster;
mod settings;
mod streams;

pub use deskpulse_connector::Clock;
pub use roster::RosterCheckpoint;
pub use settings::IntercomSettings;
pub use streams::{AdminsCheckpoint, ConversationsCheckpoint};

use deskpulse_connector::prelude::*;

/// The Intercom API version requests ask for (`Intercom-Version` header).
pub const API_VERSION: &str = "2.14";

/// The Intercom connector kind: what `deskpulse connectors` lists, and how a source is built.
pub struct Intercom;

impl ConnectorFactory for Intercom {
    const KIND: &'static str = "intercom";
    const DESCRIPTION: &'static str = "Intercom: conversations by updated_at (search) with their parts, conversation ratings, admins";
    /// The streams, in the order a sync reads them (admins first, so authors resolve; the
    /// roster last, after the conversations it judges were stored).
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec::new(
            "admins",
            "teammates as agents (Intercom's Operator/Fin bot accounts as bots); full refresh",
        ),
        StreamSpec::new(
            "conversations",
            "conversations with state, channel, assignee, tags; their parts as messages (no bodies; notes internal) and one status history each; requesters as customers; 1–5 conversation ratings; Intercom's own statistics for reconcile",
        ),
        StreamSpec::new(
            "ticket_roster",
            "every conversation id Intercom still lists (search by created_at), at most every `roster_every`: conversations deleted since they were synced drop out of every KPI",
        ),
    ];
    const UNRECONCILABLE: &'static [KpiLimit] = &[KpiLimit::new(
        "one_touch_resolution_rate",
        "Intercom's conversation statistics count no teammate replies (count_conversation_parts counts every part)",
    )];
    /// `deskpulse check` probes `GET /admins`: one request, no paging.
    const PROBE_STREAM: Option<&'static str> = Some("admins");
    build_from!(IntercomSettings => IntercomConnector::new);
}

/// A configured Intercom source.
#[derive(Debug)]
pub struct IntercomConnector {
    pub(crate) http: HttpClient,
    pub(crate) start_time: i64,
    pub(crate) page_size: u32,
    pub(crate) parts_concurrency: usize,
    /// Seconds searched again before the bookmark on every resumed sync.
    pub(crate) lookback: i64,
    /// The least time between two completed roster sweeps (zero: every sync).
    pub(crate) roster_every: chrono::Duration,
}

impl IntercomConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: IntercomSettings) -> Result<Self, ConnectorError> {
        let v = settings.validate()?;
        let mut http_settings =
            HttpSettings::for_kind::<Intercom>(v.base_url, Auth::Bearer(v.token));
        // Pin the API version the mapping was written against; without it Intercom answers
        // with the app's default version, which a workspace admin may change.
        http_settings
            .headers
            .push(("Intercom-Version", API_VERSION.to_owned()));
        // One group: Intercom's limit is per app and per workspace, not per endpoint.
        let budgets = RateBudgets::new().with(
            "default",
            RateBudget::per_minute(settings.requests_per_minute),
        );
        Ok(Self {
            http: HttpClient::new(http_settings)?.with_budgets(budgets),
            start_time: v.start_time,
            page_size: v.page_size,
            parts_concurrency: v.parts_concurrency,
            lookback: v.lookback,
            roster_every: v.roster_every,
        })
    }
}

impl HttpConnector for IntercomConnector {
    type Kind = Intercom;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        let http = &self.http;
        Some(match stream {
            "admins" => cursor_stream(http, streams::Admins, from),
            "conversations" => cursor_stream(http, streams::Conversations { c: self }, from),
            "ticket_roster" => roster::read(self, from),
            _ => return None,
        })
    }
}
