//! The normalized records a connector emits. No message bodies are stored (privacy by
//! design); review texts are public but untrusted and must be escaped wherever shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Every normalized record a connector can emit, one variant per kind of fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Ticket(Ticket),
    Message(Message),
    StatusChange(StatusChange),
    Agent(Agent),
    Rating(Rating),
    Review(Review),
    /// A review platform's own overall rating and review count, as a sync saw them.
    RatingSnapshot(RatingSnapshot),
    SocialStat(SocialStat),
    /// A customer's public comment, mention or recommendation on a brand's social account.
    SocialInteraction(SocialInteraction),
    Customer(Customer),
    /// The complete status history of one ticket: replaces what is stored for it.
    StatusHistory(StatusHistory),
    /// The vendor's own per-ticket figures, kept only to reconcile ours with them.
    VendorMetrics(VendorMetrics),
    /// A page of a sweep over every ticket id the vendor still lists (finds deletions).
    TicketRoster(TicketRoster),
}

/// The kind of a [`Record`], for counting and progress lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    Ticket,
    Message,
    StatusChange,
    Agent,
    Rating,
    Review,
    RatingSnapshot,
    SocialStat,
    SocialInteraction,
    Customer,
    StatusHistory,
    VendorMetrics,
    TicketRoster,
}

impl Record {
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Ticket(_) => RecordKind::Ticket,
            Record::Message(_) => RecordKind::Message,
            Record::StatusChange(_) => RecordKind::StatusChange,
            Record::Agent(_) => RecordKind::Agent,
            Record::Rating(_) => RecordKind::Rating,
            Record::Review(_) => RecordKind::Review,
            Record::RatingSnapshot(_) => RecordKind::RatingSnapshot,
            Record::SocialStat(_) => RecordKind::SocialStat,
            Record::SocialInteraction(_) => RecordKind::SocialInteraction,
            Record::Customer(_) => RecordKind::Customer,
            Record::StatusHistory(_) => RecordKind::StatusHistory,
            Record::VendorMetrics(_) => RecordKind::VendorMetrics,
            Record::TicketRoster(_) => RecordKind::TicketRoster,
        }
    }

    /// What identifies the record in its table, prefixed by its kind (`ticket:42`,
    /// `status_history:42` for a ticket's history, `roster:` with the sweep's start): how
    /// tests list what a page gave, in order.
    pub fn key(&self) -> String {
        let (kind, id) = match self {
            Record::Ticket(t) => ("ticket", t.external_id.clone()),
            Record::Message(m) => ("message", m.external_id.clone()),
            Record::StatusChange(c) => ("status_change", c.external_id.clone()),
            Record::Agent(a) => ("agent", a.external_id.clone()),
            Record::Rating(r) => ("rating", r.external_id.clone()),
            Record::Review(r) => ("review", format!("{}/{}", r.platform, r.external_id)),
            Record::RatingSnapshot(r) => (
                "rating_snapshot",
                format!("{}/{}/{}", r.platform, r.account, r.day()),
            ),
            Record::SocialStat(s) => (
                "social_stat",
                format!(
                    "{}/{}/{}",
                    s.platform,
                    s.account,
                    s.observed_at.to_rfc3339()
                ),
            ),
            Record::SocialInteraction(i) => (
                "social_interaction",
                format!("{}/{}", i.platform, i.external_id),
            ),
            Record::Customer(c) => ("customer", c.external_id.clone()),
            Record::StatusHistory(h) => ("status_history", h.ticket_id.clone()),
            Record::VendorMetrics(v) => ("vendor_metrics", v.ticket_id.clone()),
            Record::TicketRoster(r) => ("roster", r.sweep_started_at.to_rfc3339()),
        };
        format!("{kind}:{id}")
    }
}

/// `Record::as_ticket(&r) -> Option<&Ticket>` and the like: one accessor per variant, so a
/// list of records is filtered with `records.iter().filter_map(Record::as_ticket)`.
macro_rules! accessors {
    ($($name:ident => $variant:ident($ty:ty)),+ $(,)?) => {
        impl Record {
            $(
                #[doc = concat!("The [`", stringify!($ty), "`] this record is, if it is one.")]
                pub fn $name(&self) -> Option<&$ty> {
                    match self {
                        Record::$variant(x) => Some(x),
                        _ => None,
                    }
                }
            )+
        }
    };
}

accessors! {
    as_ticket => Ticket(Ticket),
    as_message => Message(Message),
    as_status_change => StatusChange(StatusChange),
    as_agent => Agent(Agent),
    as_rating => Rating(Rating),
    as_review => Review(Review),
    as_rating_snapshot => RatingSnapshot(RatingSnapshot),
    as_social_stat => SocialStat(SocialStat),
    as_social_interaction => SocialInteraction(SocialInteraction),
    as_customer => Customer(Customer),
    as_status_history => StatusHistory(StatusHistory),
    as_vendor_metrics => VendorMetrics(VendorMetrics),
    as_ticket_roster => TicketRoster(TicketRoster),
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($s => Ok($name::$variant),)+ other => Err(format!(
                    "unknown {} {other:?} (expected one of: {})", stringify!($name),
                    [$($s),+].join(", "))) }
            }
        }
    };
}

string_enum!(
    /// How the customer reached the team.
    Channel { Email = "email", Chat = "chat", Phone = "phone", Social = "social", Web = "web", Api = "api", Other = "other" }
);
string_enum!(
    /// A ticket's status, mapped from each vendor's own vocabulary. Spam, deleted and merged
    /// tickets are kept (so a later sync can see them change) but excluded from every KPI.
    TicketStatus { New = "new", Open = "open", Pending = "pending", OnHold = "on_hold", Solved = "solved", Closed = "closed", Deleted = "deleted", Spam = "spam", Merged = "merged" }
);
string_enum!(
    /// Who wrote a message or made a change.
    ///
    /// `Unknown` means the connector could not tell from the record itself (Zendesk comments
    /// carry only an `author_id`): it is resolved when facts are read, an author that is a
    /// stored [`Agent`] of the same source being an agent (or a bot, if the agent is one) and
    /// anyone else the customer.
    AuthorKind { Customer = "customer", Agent = "agent", Bot = "bot", System = "system", Unknown = "unknown" }
);
string_enum!(
    /// The survey a rating answers.
    RatingKind { Csat = "csat", Nps = "nps", Ces = "ces" }
);
string_enum!(
    /// How much of a platform's reviews its API lets a connector read, declared by the
    /// connector and shown next to the platform's numbers: `full` (every review, so counts
    /// and means are the platform's), `recent_window` (only recent reviews: Google Play's
    /// last week; history is what our own syncs kept), `aggregate_sample` (the platform's
    /// overall rating and count plus a few excerpts: Yelp, Google Places; the excerpts'
    /// mean is not the business's rating).
    ReviewCoverage { Full = "full", RecentWindow = "recent_window", AggregateSample = "aggregate_sample" }
);
string_enum!(
    /// What a customer did in public on a brand's social account.
    InteractionKind { Comment = "comment", Mention = "mention", Recommendation = "recommendation" }
);
string_enum!(
    /// What a social statistic counts.
    SocialMetric { Followers = "followers", Likes = "likes", Mentions = "mentions", Interactions = "interactions" }
);

impl TicketStatus {
    /// Solved or closed: the work is done.
    pub fn is_solved(self) -> bool {
        matches!(self, TicketStatus::Solved | TicketStatus::Closed)
    }
    /// Spam, deleted and merged tickets count nowhere.
    pub fn is_excluded(self) -> bool {
        matches!(
            self,
            TicketStatus::Deleted | TicketStatus::Spam | TicketStatus::Merged
        )
    }
}

/// A support ticket (conversation). Times are UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub external_id: String,
    pub channel: Channel,
    pub status: TicketStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// First time the ticket was solved, when the API says so directly. Connectors that emit
    /// [`StatusChange`] history may leave the three solve fields empty: history wins.
    pub first_solved_at: Option<DateTime<Utc>>,
    /// Last time the ticket was solved, if it is solved now.
    pub final_solved_at: Option<DateTime<Utc>>,
    /// How often the ticket was reopened after a solve, when the API says so directly.
    pub reopens: Option<u32>,
    /// Whether an agent opened the ticket (outbound), when the API says so directly; when
    /// `None`, the author of the ticket's first message decides.
    pub opened_by_agent: Option<bool>,
    /// The vendor's id of the requester: pseudonymous, never an e-mail address.
    pub requester_id: Option<String>,
    pub assignee_id: Option<String>,
    pub group_id: Option<String>,
    pub tags: Vec<String>,
    pub priority: Option<String>,
}

/// One message on a ticket: who wrote it, when, public or internal. Never its body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub external_id: String,
    pub ticket_id: String,
    pub author_kind: AuthorKind,
    pub author_id: Option<String>,
    /// `false` for internal notes, which are never replies.
    pub public: bool,
    pub created_at: DateTime<Utc>,
}

/// A status transition of a ticket; the history gives first and final solve and reopens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    pub external_id: String,
    pub ticket_id: String,
    pub from: Option<TicketStatus>,
    pub to: TicketStatus,
    pub author_kind: AuthorKind,
    pub author_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// The whole status history of one ticket, as a connector that *synthesizes* history (from
/// threads, parts or the ticket's own fields) sees it now. Storage replaces every stored
/// status change of the ticket with `changes`, so a history that a later read tells
/// differently (a close no longer shown, a synthetic change renamed) leaves no stale rows
/// behind. An empty `changes` clears the ticket's history (its own solve fields then count).
/// Connectors whose API serves history as an append-only log (Zendesk's ticket events)
/// emit plain [`StatusChange`]s instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusHistory {
    pub ticket_id: String,
    /// Every change belongs to `ticket_id`.
    pub changes: Vec<StatusChange>,
}

/// A duration the vendor computed itself, in calendar and (where it keeps business hours)
/// business seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorDuration {
    pub calendar_seconds: Option<i64>,
    pub business_seconds: Option<i64>,
}

impl VendorDuration {
    pub const NONE: VendorDuration = VendorDuration {
        calendar_seconds: None,
        business_seconds: None,
    };
    /// A calendar duration only.
    pub fn calendar(seconds: Option<i64>) -> Self {
        VendorDuration {
            calendar_seconds: seconds,
            business_seconds: None,
        }
    }
}

/// The vendor's own figures for one ticket (Zendesk's metric set, Freshdesk's `stats`,
/// Intercom's conversation `statistics`), normalized to seconds after the ticket's creation.
/// Never used by a KPI: `deskpulse reconcile` puts them next to ours. `None` means the
/// vendor gives no value (not yet replied, not solved, or not a figure it keeps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorMetrics {
    pub ticket_id: String,
    /// The ticket's `updated_at` when these were read: an older version never replaces a
    /// newer one.
    pub updated_at: DateTime<Utc>,
    /// Creation to the vendor's first (agent) reply.
    pub first_response: VendorDuration,
    /// Creation to the vendor's first solve.
    pub first_resolution: VendorDuration,
    /// Creation to the vendor's latest solve, while the ticket is solved.
    pub full_resolution: VendorDuration,
    /// Times the vendor says the ticket was reopened. Freshdesk keeps only the last
    /// reopen (`reopened_at`): 1 when set, 0 otherwise.
    pub reopens: Option<u32>,
    /// Public agent replies, as the vendor counts them.
    pub replies: Option<u32>,
}

/// One page of a sweep over every ticket id the vendor still lists, for APIs that never
/// report a deletion or a merge (Help Scout, Intercom): a ticket that vanished from the
/// vendor's lists is found by its absence. When the page with `complete` commits, storage
/// treats every stored ticket of the source created before `listed_before` and absent from
/// every page of the sweep as deleted, and a ticket a previous sweep missed but this one
/// lists as present again. A sweep's pages share `sweep_started_at`; a sweep with another
/// value starts over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRoster {
    pub sweep_started_at: DateTime<Utc>,
    /// Tickets created from here on are not judged (the vendor's lists may lag).
    pub listed_before: DateTime<Utc>,
    pub ids: Vec<String>,
    /// The last page: the sweep is complete.
    pub complete: bool,
}

/// A customer (a ticket's requester) as the helpdesk knows them. The e-mail address never
/// reaches the database: storage keeps only its keyed hash (HMAC with the install's secret),
/// enough to join tickets to orders, not enough to read it back.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub external_id: String,
    pub email: Option<String>,
}

impl fmt::Debug for Customer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data stays out of logs.
        f.debug_struct("Customer")
            .field("external_id", &self.external_id)
            .field("email", &self.email.as_ref().map(|_| "[personal]"))
            .finish()
    }
}

/// A member of the support team (a human agent, or a bot account).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub external_id: String,
    /// Untrusted display text: escape it wherever it is shown.
    pub name: String,
    pub is_bot: bool,
}

/// The scale a rating was given on: `min..=max`. A good/bad answer is `0..=1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatingScale {
    pub min: f64,
    pub max: f64,
}

impl RatingScale {
    /// Good (1) or bad (0).
    pub const BINARY: RatingScale = RatingScale { min: 0.0, max: 1.0 };
    pub const ONE_TO_FIVE: RatingScale = RatingScale { min: 1.0, max: 5.0 };
    pub const ONE_TO_SEVEN: RatingScale = RatingScale { min: 1.0, max: 7.0 };
    pub const ZERO_TO_TEN: RatingScale = RatingScale {
        min: 0.0,
        max: 10.0,
    };
    pub fn is_binary(&self) -> bool {
        *self == Self::BINARY
    }
}

/// A survey answer (CSAT, NPS or CES). Surveys offered but not answered are not ratings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub external_id: String,
    pub kind: RatingKind,
    pub score: f64,
    pub scale: RatingScale,
    pub ticket_id: Option<String>,
    pub agent_id: Option<String>,
    /// Untrusted text.
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A public review of the business. All text is untrusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub platform: String,
    pub external_id: String,
    pub rating: f64,
    pub title: Option<String>,
    pub text: Option<String>,
    pub author_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub reply_text: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
}

/// What a review platform says of the business as a whole when a sync reads it: its own
/// overall rating and total review count (either may be missing: Google Play and App Store
/// Connect give no aggregate) and the connector's [`ReviewCoverage`]. Platforms keep no
/// history of these, so storage keeps one per platform, account and UTC day (a later sync
/// of the same day replaces it) and trends come from our own snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingSnapshot {
    pub platform: String,
    /// What the platform rates: a business unit, location, place or app id.
    pub account: String,
    pub overall_rating: Option<f64>,
    pub total_reviews: Option<u64>,
    pub coverage: ReviewCoverage,
    pub observed_at: DateTime<Utc>,
}

impl RatingSnapshot {
    /// The UTC day the snapshot stands for.
    pub fn day(&self) -> chrono::NaiveDate {
        self.observed_at.date_naive()
    }
}

/// One observation of a social account's counter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocialStat {
    pub platform: String,
    pub account: String,
    pub metric: SocialMetric,
    pub value: f64,
    pub observed_at: DateTime<Utc>,
}

/// A customer's public comment on a brand's post, mention of the brand, or recommendation
/// (Facebook's positive/negative rating of a page), and when the brand's own account first
/// replied to it. No text is kept (privacy by design): who (`author_id`, which storage keeps
/// only as a keyed hash), what kind, when, and whether and when the brand answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocialInteraction {
    pub platform: String,
    /// The brand's account it was made on or addressed to (page id, user id).
    pub account: String,
    pub external_id: String,
    pub kind: InteractionKind,
    pub created_at: DateTime<Utc>,
    /// The author's platform user id; storage keeps only its keyed hash. `None` where the
    /// platform does not say (or it is the brand itself: connectors do not emit those).
    pub author_id: Option<String>,
    /// For a recommendation: recommends (`true`) or not (`false`); `None` otherwise.
    pub positive: Option<bool>,
    /// The brand account's first reply to it, whenever it came (storage keeps the earliest
    /// time any sync saw).
    pub replied_at: Option<DateTime<Utc>>,
    /// The platform reports it deleted or hidden: it counts nowhere.
    pub deleted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn enums_round_trip_through_strings() {
        for s in TicketStatus::ALL {
            assert_eq!(s.as_str().parse::<TicketStatus>().unwrap(), *s);
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), *c);
        }
        assert!(
            "bogus"
                .parse::<AuthorKind>()
                .unwrap_err()
                .contains("customer")
        );
    }
}
