//! deskpulse connector for Gorgias.
//!
//! Gorgias's REST API has no "changed since" filter on its lists, but every list pages with a
//! cursor (`limit` ≤ 100, `meta.next_cursor`) and orders by time. So tickets
//! (`GET /api/tickets?order_by=updated_datetime:desc`), messages
//! (`GET /api/messages?order_by=created_datetime:desc`) and satisfaction surveys
//! (`GET /api/satisfaction-surveys?order_by=created_datetime:desc`) are read as data feeds,
//! newest first until the bookmark, in bulk (never one request per ticket); the team comes
//! from `GET /api/users`. The paginators and their checkpoints are in `src/streams.rs`.
//!
//! Every request goes to the configured base URL (the cursor is a token, so no vendor URL is
//! ever followed). Gorgias limits an API key to a leaky bucket of 40 requests per 20 seconds:
//! the source's rate budget keeps to it (`requests_per_20_seconds`), the SDK reads Gorgias'
//! `X-Gorgias-Account-Api-Call-Limit` header on every response, and a 429 is waited out for
//! as long as its `Retry-after` says.
//!
//! What the lists do not give: a status history. A ticket is `open` or `closed`, with the
//! time of its *last* close (`closed_datetime`), which is its final solve. Whether it was
//! closed before and reopened, and when it was first closed, Gorgias does not keep on the
//! ticket (the Events API has `ticket-closed` events, but its reopen vocabulary is not
//! documented well enough to build a history that could otherwise mark open tickets
//! solved). So the connector leaves `first_solved_at` and `reopens` empty — never a
//! `reopens: 0` or a first solve copied from the last close, which would read as "solved
//! at first contact, never reopened" — and declares the KPIs that need them in
//! [`Gorgias`]'s `LIMITS`: the report leaves Gorgias tickets out of those, and says why.
//! Nor do the lists give merges (not distinguishable in the documented ticket payload) or
//! the agent a survey rates (the documented survey object names none: per-agent CSAT
//! follows the ticket's assignee). A closed ticket snoozed until after its last update is
//! on hold: Gorgias reopens it when the snooze ends.

mod api;
#[doc(hidden)]
pub mod fuzzing;
mod settings;
mod streams;

pub use settings::GorgiasSettings;
pub use streams::{FeedCheckpoint, UsersCheckpoint};

use chrono::{DateTime, Duration, Utc};
use deskpulse_connector::prelude::*;
use streams::{FEED_OVERLAP_SECONDS, Feed, Users};

/// The Gorgias connector kind: what it is, what it reads, and how it is built.
pub struct Gorgias;

impl ConnectorFactory for Gorgias {
    const KIND: &'static str = "gorgias";
    const DESCRIPTION: &'static str =
        "Gorgias: tickets, messages and satisfaction surveys as cursor-paged data feeds, users";
    /// In the order a sync reads them (users first, so authors resolve).
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec::new(
            "users",
            "the team: agents, and bot accounts as bots (the whole list on every sync)",
        ),
        StreamSpec::new(
            "tickets",
            "tickets by last update with status (spam, trashed), channel, assignee, team, tags, opened by agent; requesters as customers (id and an e-mail that storage keeps only as a keyed hash)",
        ),
        StreamSpec::new(
            "messages",
            "messages by creation: customer, agent or bot (rule), public or internal note; no bodies",
        ),
        StreamSpec::new(
            "satisfaction_surveys",
            "CSAT answers (score 1–5, dated when scored) with a lookback for late answers; unanswered surveys are skipped",
        ),
    ];
    /// Each needs to know whether, or when, a ticket was solved before its last close, and
    /// Gorgias keeps only the last close.
    const LIMITS: &'static [KpiLimit] = &[
        KpiLimit::new(
            "reopen_rate",
            "Gorgias keeps no status history, only each ticket's last close, so it cannot tell whether a ticket was ever reopened.",
        ),
        KpiLimit::new(
            "first_contact_resolution_rate",
            "Gorgias keeps no status history, so it cannot tell whether a ticket stayed solved after its first close or was reopened.",
        ),
        KpiLimit::new(
            "first_resolution_time",
            "Gorgias records only when a ticket was last closed, not when it was first closed.",
        ),
    ];
    /// Every KPI `deskpulse reconcile` compares: Gorgias gives no per-ticket figures.
    const UNRECONCILABLE: &'static [KpiLimit] = &KpiLimit::none_reconcilable(
        "Gorgias' API gives no per-ticket figures (its statistics API gives aggregates only)",
    );
    /// `deskpulse check` probes the users list (`limit=1`).
    const PROBE_STREAM: Option<&'static str> = Some("users");
    build_from!(GorgiasSettings => GorgiasConnector::new);
}

/// Gorgias's leaky bucket drains over this window (`requests_per_20_seconds`).
const BUCKET_WINDOW: std::time::Duration = std::time::Duration::from_secs(20);

/// A configured Gorgias source.
#[derive(Debug)]
pub struct GorgiasConnector {
    pub(crate) http: HttpClient,
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) page_size: u32,
    surveys_lookback: Duration,
}

impl GorgiasConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: GorgiasSettings) -> Result<Self, ConnectorError> {
        let base_url = settings.resolved_base_url()?;
        let auth = settings.auth()?;
        let page_size = settings.validated_page_size()?;
        let http_settings = HttpSettings::for_kind::<Gorgias>(base_url, auth);
        // A full bucket at once, then one request every 20 s / n.
        let budgets = RateBudgets::new().with(
            "default",
            RateBudget::leaky_bucket(settings.requests_per_20_seconds, BUCKET_WINDOW),
        );
        let http = HttpClient::new(http_settings)?.with_budgets(budgets);
        Ok(Self {
            http,
            start: settings.start_date.map(|d| d.at()),
            page_size,
            surveys_lookback: Duration::days(i64::from(settings.surveys_lookback_days)),
        })
    }
}

impl HttpConnector for GorgiasConnector {
    type Kind = Gorgias;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        let overlap = Duration::seconds(FEED_OVERLAP_SECONDS);
        let http = &self.http;
        Some(match stream {
            "users" => cursor_stream(http, Users { c: self }, from),
            "tickets" => cursor_stream(http, Feed::<api::GTicket>::new(self, overlap), from),
            "messages" => cursor_stream(http, Feed::<api::GMessage>::new(self, overlap), from),
            "satisfaction_surveys" => cursor_stream(
                http,
                Feed::<api::GSurvey>::new(self, self.surveys_lookback),
                from,
            ),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connector(n: u32) -> GorgiasConnector {
        GorgiasConnector::new(GorgiasSettings {
            domain: Some("acme".into()),
            email: Some("a@acme.com".into()),
            api_key: Some(Secret::new("k")),
            requests_per_20_seconds: n,
            ..GorgiasSettings::default()
        })
        .unwrap()
    }

    #[test]
    fn the_leaky_bucket_lets_40_through_then_one_every_half_second() {
        let budget = connector(40).http.budgets().budget("default").unwrap();
        assert_eq!(budget.burst.get(), 40, "the full bucket at once");
        assert_eq!(budget.interval(), std::time::Duration::from_millis(500));
        assert!(
            connector(0).http.budgets().budget("default").is_none(),
            "0 = no client-side limit"
        );
    }
}
