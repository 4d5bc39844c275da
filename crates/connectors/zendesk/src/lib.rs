//! deskpulse connector for Zendesk Support.
//!
//! Reads only Zendesk's bulk incremental endpoints (never one request per ticket):
//! the cursor exports of users and tickets (with `metric_sets` side-loaded), the time-based
//! ticket events export with `comment_events` (both ticket exports with
//! `support_type_scope=all`), and the satisfaction ratings list; and, in a first sync's
//! recent window only, the unsolved tickets the tickets export from the window's start leaves
//! out (`window`). Every request and every next
//! page goes to the configured base URL; the incremental exports share their own rate budget
//! (Zendesk allows 10 requests a minute there), Export Search Results has its own (100).
//!
//! The kind is declared once, by [`Zendesk`] ([`ConnectorFactory`]); [`STREAMS`] is its
//! value, for the bench until it reads the factory.

mod api;
#[doc(hidden)]
pub mod fuzzing;
mod settings;
mod streams;
mod window;

pub use settings::ZendeskSettings;
pub use streams::{ExportCheckpoint, StartTimeCheckpoint};

use deskpulse_connector::prelude::*;
use streams::{DEFAULT, Export, INCREMENTAL, Ratings, TicketEvents};

/// The Zendesk connector kind.
pub struct Zendesk;

impl ConnectorFactory for Zendesk {
    const KIND: &'static str = "zendesk";
    const DESCRIPTION: &'static str =
        "Zendesk Support: incremental ticket, ticket-event and user exports, satisfaction ratings";
    /// In the order a sync reads them (agents first, so authors resolve).
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec::new(
            "users",
            "agents and admins; end-users as customers (id and an e-mail that storage keeps only as a keyed hash)",
        ),
        StreamSpec::new(
            "tickets",
            "tickets (AI-agent-only ones too) with status, channel, assignee, tags; solve fallbacks from metric sets; the vendor's own first reply, resolution, reopen and reply figures from each metric set, for reconcile",
        ),
        StreamSpec::new(
            "ticket_events",
            "comments (author, public or internal; no bodies) and status changes",
        ),
        StreamSpec::new(
            "satisfaction_ratings",
            "CSAT answers (good/bad), dated when the customer answered; offered surveys are skipped",
        ),
    ];
    /// `deskpulse check` probes the satisfaction ratings list: one request on the plan-wide
    /// budget of 700/min (the incremental exports have 10/min, which a running daemon needs);
    /// admins only, like the exports.
    const PROBE_STREAM: Option<&'static str> = Some("satisfaction_ratings");
    build_from!(ZendeskSettings => ZendeskConnector::new);
}

/// The streams ([`Zendesk`]'s).
pub const STREAMS: &[StreamSpec] = Zendesk::STREAMS;

const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

/// The incremental exports' windows: `per_minute` a minute, at most the documented 10 at
/// once. Above 10 (a plan with more, or a simulator's sped-up minute) the window shortens
/// and the rate is kept: 30 → 10 every 20 s, never a burst Zendesk does not document.
fn export_windows(per_minute: u32) -> Option<RateBudget> {
    const DOCUMENTED: u32 = 10;
    let burst = per_minute.min(DOCUMENTED);
    RateBudget::window(burst, MINUTE * burst / per_minute.max(1))
}

#[test]
fn the_exports_burst_at_most_the_documented_10_and_keep_the_rate() {
    let w = |n, secs| RateBudget::window(n, std::time::Duration::from_secs(secs));
    assert_eq!(export_windows(10), w(10, 60));
    assert_eq!(export_windows(5), w(5, 60));
    assert_eq!(export_windows(30), w(10, 20));
    assert_eq!(export_windows(600), w(10, 1));
    assert_eq!(export_windows(0), None);
}

/// A configured Zendesk source.
#[derive(Debug)]
pub struct ZendeskConnector {
    pub(crate) http: HttpClient,
    pub(crate) start_time: i64,
    pub(crate) page_size: Option<u32>,
    /// Seconds of satisfaction ratings re-read before the bookmark on every resumed sync.
    pub(crate) ratings_lookback: i64,
    /// Users to treat as bots (AI agent senders, third-party bots, integrations).
    pub(crate) bot_user_ids: Vec<i64>,
}

impl ZendeskConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: ZendeskSettings) -> Result<Self, ConnectorError> {
        let base_url = settings.resolved_base_url()?;
        let auth = settings.auth()?;
        let page_size = settings.validated_page_size()?;
        // Zendesk counts requests per minute, the exports' 10 "identically" (the Incremental
        // Exports reference): a minute's budget may go at once. The list endpoints' answers
        // (`ratelimit-remaining` / `-reset`) let the account's budget go faster still.
        let budgets = RateBudgets::new()
            .with(
                DEFAULT,
                RateBudget::window(settings.requests_per_minute, MINUTE),
            )
            .with(
                INCREMENTAL,
                export_windows(settings.incremental_requests_per_minute),
            )
            .with(
                window::SEARCH_EXPORT,
                RateBudget::window(settings.search_export_requests_per_minute, MINUTE),
            );
        let http_settings = HttpSettings::for_kind::<Zendesk>(base_url, auth);
        Ok(Self {
            http: HttpClient::new(http_settings)?.with_budgets(budgets),
            start_time: settings.start_time(),
            page_size,
            ratings_lookback: i64::from(settings.ratings_lookback_days) * 86_400,
            bot_user_ids: settings.bot_user_ids,
        })
    }
}

impl HttpConnector for ZendeskConnector {
    type Kind = Zendesk;

    http_client_field!(http);

    /// The incremental exports leave out items changed within the last minute (Zendesk,
    /// "Using the Incremental Export API"; ../shared/reference/helpdesk-apis.md), so a run
    /// that started at `t` has them complete through `t - 1 min`.
    fn settle(&self, stream: &str) -> std::time::Duration {
        match stream {
            "users" | "tickets" | "ticket_events" => std::time::Duration::from_secs(60),
            _ => std::time::Duration::ZERO,
        }
    }

    /// The ticket events export (most of a first sync's pages, a dozen events a ticket, on
    /// the exports' 10 requests a minute) begins at its `start_time`: events are immutable,
    /// so the history before the window is exactly what a backfill from the configured start
    /// up to the window adds. The tickets export gives each ticket once, at its last update:
    /// its window first reads the unsolved tickets an export from the window's start leaves
    /// out, which the backlog counts ([`window`]). Users stay whole (the window needs every
    /// agent, and its tickets' requesters, whenever they were last updated).
    fn start_at(&self, stream: &str, at: chrono::DateTime<chrono::Utc>) -> Option<Checkpoint> {
        let start_time = at.timestamp();
        if start_time <= self.start_time {
            return None;
        }
        match stream {
            "ticket_events" => Some(Checkpoint::of(&StartTimeCheckpoint { start_time })),
            "tickets" => Some(Checkpoint::of(&ExportCheckpoint::Prelude {
                before_window: start_time,
                after: None,
            })),
            _ => None,
        }
    }

    /// The ticket events checkpoint is the next `start_time`: every event before it is read.
    /// The cursor exports' is the latest `updated_at` read ([`ExportCheckpoint::reached`]).
    fn reached(
        &self,
        stream: &str,
        checkpoint: &Checkpoint,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let at = match stream {
            "ticket_events" => {
                checkpoint
                    .parse_for::<StartTimeCheckpoint>(stream)
                    .ok()?
                    .start_time
            }
            "users" | "tickets" => checkpoint
                .parse_for::<ExportCheckpoint>(stream)
                .ok()?
                .reached()?,
            _ => return None,
        };
        chrono::DateTime::from_timestamp(at, 0)
    }

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        let http = &self.http;
        Some(match stream {
            "users" => cursor_stream(http, Export::<api::User>::new(self), from),
            "tickets" => window::tickets(self, from),
            "ticket_events" => time_window_stream(http, TicketEvents { c: self }, from),
            "satisfaction_ratings" => cursor_stream(http, Ratings { c: self }, from),
            _ => return None,
        })
    }
}
