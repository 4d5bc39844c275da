//! deskpulse connector for Freshdesk.
//!
//! Reads the ticket list by `updated_since` (oldest update first, with `stats` and the
//! requester side-loaded), in three passes (default, `filter=spam`, `filter=deleted`); the
//! conversations of each page's tickets (Freshdesk has no bulk endpoint for them: the
//! fan-out is bounded by the page and committed with it); the agents; and the satisfaction
//! ratings by `created_since`. Every request goes to the configured base URL. The ticket
//! list has its own rate budget besides the account's per-minute one; a 429 is waited out
//! for its `Retry-After`.
//!
//! Mapping onto the model:
//!
//! | Freshdesk | model |
//! |---|---|
//! | `status` 2 Open / 3 Pending / 4 Resolved / 5 Closed / ≥ 6 custom | open / pending / solved / closed / on hold |
//! | `spam: true` or the `filter=spam` pass | spam |
//! | `deleted: true` or the `filter=deleted` pass | deleted |
//! | `source` 1 Email, 10 Outbound Email | email (10 also `opened_by_agent`) |
//! | `source` 2 Portal, 4 Forum, 9 Feedback Widget | web |
//! | `source` 3 Phone | phone |
//! | `source` 5 Twitter, 6 Facebook, 13 WhatsApp | social |
//! | `source` 7 Chat, 8 MobiHelp, 12 Bot | chat |
//! | any other `source` (11 Ecommerce, …) | other |
//! | `stats.resolved_at` (else `closed_at`), when solved now | final solve |
//! | the same, when `stats.reopened_at` is empty | first solve |
//! | `stats.reopened_at` set | 1 reopen (Freshdesk keeps only the last) |
//! | `stats` | a `VendorMetrics` next to the ticket (first response, resolutions, reopen), for `deskpulse reconcile` |
//! | the description | opening message `description-{id}`, by the requester (by an agent on Outbound Email) |
//! | conversation `incoming: true` | customer |
//! | `incoming: false` with `auto_response`, `automation_id` or `automation_type_id` | bot |
//! | any other `incoming: false` | agent (even a deleted agent, whom Freshdesk turns into a contact) |
//! | `private: true` | internal (not public) |
//! | conversation `source` 6 (survey feedback) | skipped: it is the rating's comment |
//! | conversations answer 404 and the ticket is gone or `deleted: true` | the ticket is deleted |
//! | `ratings.default_question` 103 / 102 / 101 / 100 / -101 / -102 / -103 | 5 / 4.5 / 4 / 3 / 2 / 1.5 / 1 of 1–5 (positive / neutral / negative as in Freshdesk's CSAT) |
//!
//! A Bot-source ticket (`source` 12) is a chat: the bot handed the customer's request over,
//! so its opening message is still the requester's; which of its conversations a bot wrote
//! is told by the automation fields, as on any ticket.
//!
//! Paging is the SDK's page-number paginator on every stream (the `streams` module says
//! why not the `Link` header): a page shorter than `per_page` is the last. The ticket list
//! and the ratings serve at most 300 pages of one query: the default ticket pass restarts
//! at page 1 from the last `updated_at` read after every full page, so it never gets near
//! the cap; the ratings start a new `created_since` window there.

mod api;
mod conversations;
#[doc(hidden)]
pub mod fuzzing;
mod settings;
mod streams;

pub use settings::FreshdeskSettings;
pub use streams::{AgentsPos, RatingsPos, TicketsPos};

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;

/// The Freshdesk connector kind: declared once, listed by the CLI.
pub struct Freshdesk;

impl ConnectorFactory for Freshdesk {
    const KIND: &'static str = "freshdesk";
    const DESCRIPTION: &'static str = "Freshdesk: tickets by updated_since with stats (plus spam/deleted passes) and their conversations, agents, satisfaction ratings";
    /// In the order a sync reads them (agents first, so authors resolve).
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec::new(
            "agents",
            "agents (support, field, collaborators); Freshdesk lists no bot accounts",
        ),
        StreamSpec::new(
            "tickets",
            "tickets by updated_since with stats (status, channel, assignee, tags, solve and reopen from stats), spam and deleted passes, requesters as customers (id and e-mail hash), and each ticket's conversations (author, public or note; no bodies)",
        ),
        StreamSpec::new(
            "satisfaction_ratings",
            "CSAT answers to the survey's overall question (103…-103 onto 1–5)",
        ),
    ];
    const UNRECONCILABLE: &'static [KpiLimit] = &[KpiLimit::new(
        "one_touch_resolution_rate",
        "Freshdesk's ticket stats count no replies",
    )];
    /// `deskpulse check` probes the agents list (`per_page=1`).
    const PROBE_STREAM: Option<&'static str> = Some("agents");
    build_from!(FreshdeskSettings => FreshdeskConnector::new);
}

/// Rate budget of the ticket list (Freshdesk's own sub-limit).
pub(crate) const TICKET_LIST: &str = "ticket_list";

/// A configured Freshdesk source.
#[derive(Debug)]
pub struct FreshdeskConnector {
    http: HttpClient,
    start: DateTime<Utc>,
    page_size: u32,
    ratings_lookback: chrono::Duration,
    concurrency: usize,
}

impl FreshdeskConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: FreshdeskSettings) -> Result<Self, ConnectorError> {
        let v = settings.validate()?;
        let budgets = RateBudgets::new()
            .with(
                "default",
                RateBudget::per_minute(settings.requests_per_minute),
            )
            .with(
                TICKET_LIST,
                RateBudget::per_minute(settings.ticket_list_requests_per_minute),
            );
        let http_settings = HttpSettings::for_kind::<Freshdesk>(v.base_url, v.auth);
        Ok(Self {
            http: HttpClient::new(http_settings)?.with_budgets(budgets),
            start: v.start,
            page_size: v.page_size,
            ratings_lookback: v.ratings_lookback,
            concurrency: v.concurrency,
        })
    }
}

impl HttpConnector for FreshdeskConnector {
    type Kind = Freshdesk;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        let http = &self.http;
        Some(match stream {
            "agents" => page_number_stream(http, streams::Agents { c: self }, from),
            "tickets" => page_number_stream(http, streams::Tickets { c: self }, from),
            "satisfaction_ratings" => page_number_stream(http, streams::Ratings { c: self }, from),
            _ => return None,
        })
    }
}
