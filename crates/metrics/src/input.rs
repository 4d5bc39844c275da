//! What storage hands the metrics: the facts of the tickets, agents and ratings that can
//! matter to a period. Storage chooses the candidates (see `deskpulse-storage`); metrics
//! decides what counts, so every KPI definition lives in this crate alone.

use chrono::{DateTime, Utc};
use deskpulse_model::{
    Agent, Message, Rating, RatingSnapshot, Review, SocialInteraction, SocialStat, StatusChange,
    Ticket,
};

use crate::facts::TicketFacts;

pub use crate::hours::BusinessHours;

/// A ticket with everything that happened on it, from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketInput {
    pub source: String,
    pub ticket: Ticket,
    /// The ticket's messages, any order. Authors may be `AuthorKind::Unknown`: they are
    /// resolved against `ReportInput::agents` of the same source.
    pub messages: Vec<Message>,
    /// The ticket's status history, any order (empty when the API gives none).
    pub status_changes: Vec<StatusChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentInput {
    pub source: String,
    pub agent: Agent,
}

/// A survey answer: from a helpdesk (`source` = its name) or imported from a CSV
/// (`source` = e.g. `"import:surveys"`); every kind (CSAT, NPS, CES) goes here.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingInput {
    pub source: String,
    pub rating: Rating,
    /// The source of the ticket the rating is about, when it is not `source` itself: an
    /// imported survey that names a helpdesk ticket (`None`: the rating's own source). A
    /// rating of an excluded ticket counts nowhere, and one without an agent counts for
    /// the ticket's assignee — storage fills `agent_id` from it.
    pub ticket_source: Option<String>,
}

impl RatingInput {
    /// The source whose ticket `rating.ticket_id` names.
    pub fn ticket_source(&self) -> &str {
        self.ticket_source.as_deref().unwrap_or(&self.source)
    }
}

/// The keyed e-mail hash of a ticket requester, so tickets can be joined to orders. Kept
/// apart from [`TicketInput`] because it belongs to the person, not to each ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequesterInput {
    pub source: String,
    /// `Ticket::requester_id` of that source.
    pub requester_id: String,
    /// HMAC of the normalized e-mail address, the same key as [`OrderInput::customer_hash`].
    pub email_hash: String,
}

/// An imported order (`import orders`).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderInput {
    pub order_id: String,
    pub customer_hash: String,
    pub created_at: DateTime<Utc>,
    pub amount: f64,
    pub currency: String,
}

/// One imported subscription (`import customers`); a customer may have several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionInput {
    pub customer_id: String,
    pub started_at: DateTime<Utc>,
    /// `None` while active. The subscription covers `[started_at, ended_at)`.
    pub ended_at: Option<DateTime<Utc>>,
}

/// An imported monthly figure (`import costs` / `import revenue`). Several rows of the same
/// month and currency add up (cost items).
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyAmount {
    /// `(year, month 1–12)`, a calendar month in the team's time zone.
    pub month: (i32, u32),
    pub amount: f64,
    pub currency: String,
}

/// A public review, from the review source named `source`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewInput {
    pub source: String,
    pub review: Review,
}

/// A review platform's daily overall figures, from the review source named `source`.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingSnapshotInput {
    pub source: String,
    pub snapshot: RatingSnapshot,
}

/// A customer's public comment, mention or recommendation, from the social source named
/// `source` (`author_id` is storage's keyed hash).
#[derive(Debug, Clone, PartialEq)]
pub struct SocialInteractionInput {
    pub source: String,
    pub interaction: SocialInteraction,
}

/// One observation of a social counter, from the social source named `source`.
#[derive(Debug, Clone, PartialEq)]
pub struct SocialInput {
    pub source: String,
    pub stat: SocialStat,
}

/// How many tickets were open (in the backlog) at instant `at`, counted by storage over the
/// [`OpenSpan`](crate::OpenSpan)s of the tickets whose facts it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacklogCount {
    pub at: DateTime<Utc>,
    pub open: u64,
}

/// A KPI that the API behind `source` cannot support (Gorgias keeps no status history, so
/// it cannot tell a reopen): the source's tickets are left out of it, and the KPI says why.
/// `kpi` is the KPI's key in the report JSON; the supported ones are `reopen_rate`,
/// `first_contact_resolution_rate` and `first_resolution_time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLimit {
    pub source: String,
    pub kpi: String,
    pub reason: String,
}

/// The facts a report is computed from. Order does not matter. Everything here is taken
/// to be the team's: storage filters by the team's sources, metrics never looks further.
///
/// Tickets come in one of two forms, and a report may mix them (never the same ticket
/// twice): raw, with their messages and history ([`TicketInput`], derived here), or
/// already derived ([`TicketFacts`], as storage keeps them since ingest). Derived facts
/// carry no open spans; the backlog of the tickets they stand for comes as [`BacklogCount`]s.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportInput {
    /// Raw tickets: every ticket that can matter to the period (created in it, solved or
    /// replied to in it, or open at its end).
    pub tickets: Vec<TicketInput>,
    /// Derived tickets that are not excluded and were created, solved (finally) or replied
    /// to in the period (storage's choice: the open ones are in `backlog`).
    pub facts: Vec<TicketFacts>,
    /// Open derived tickets at the period's end (and at any other instant asked for).
    pub backlog: Vec<BacklogCount>,
    /// `(source, ticket id)` of spam, deleted or merged tickets that `ratings` refer to,
    /// when those tickets are not in `tickets` or `facts`.
    pub excluded_tickets: Vec<(String, String)>,
    /// Every agent of the team's sources (small: a team has tens or hundreds).
    pub agents: Vec<AgentInput>,
    pub ratings: Vec<RatingInput>,
    /// E-mail hashes of the requesters of `tickets` (for converted tickets).
    pub requesters: Vec<RequesterInput>,
    /// Orders created from the period's start to 5 days after its end.
    pub orders: Vec<OrderInput>,
    /// Every subscription that overlaps the period (or all of them).
    pub subscriptions: Vec<SubscriptionInput>,
    /// Support costs of the months the period touches.
    pub costs: Vec<MonthlyAmount>,
    /// Revenue of the months the period touches.
    pub revenue: Vec<MonthlyAmount>,
    /// Reviews created in the period (older ones are ignored).
    pub reviews: Vec<ReviewInput>,
    /// Social observations up to the period's end: at least the last one before the start
    /// and the last one before the end of each counter.
    pub social: Vec<SocialInput>,
    /// Rating snapshots before the period's end: at least the last one before the start
    /// and the last one before the end of each platform account.
    pub rating_snapshots: Vec<RatingSnapshotInput>,
    /// Social interactions created in the period.
    pub social_interactions: Vec<SocialInteractionInput>,
    /// KPIs the team's sources cannot support (declared by their connectors).
    pub limits: Vec<SourceLimit>,
}

/// The settings of a team that the KPIs depend on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeamConfig {
    pub name: String,
    /// Whether a bot's public reply counts as a first response / reply.
    pub count_bot_replies: bool,
    pub targets: Targets,
    /// Opening hours in the period's time zone; `None`: no business-time figures.
    pub business_hours: Option<BusinessHours>,
    /// A ticket carrying any of these tags (compared case-insensitively) is a complaint.
    pub complaint_tags: Vec<String>,
}

/// Targets a KPI is measured against (DESIGN's defaults in `Default`). Business-time
/// figures are measured against the same numbers, in business seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    pub first_response_seconds: i64,
    pub resolution_seconds: i64,
    pub csat: f64,
    pub cost_ratio: f64,
    /// Public response time target (`social_response_time`, default 1 h).
    pub social_response_seconds: i64,
    /// Public response rate target (`social_response_rate`, default 0.8).
    pub social_response_rate: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            first_response_seconds: 3600,
            resolution_seconds: 8 * 3600,
            csat: 0.9,
            cost_ratio: 0.10,
            social_response_seconds: 3600,
            social_response_rate: 0.8,
        }
    }
}
