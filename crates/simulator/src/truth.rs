//! Ground truth: what really happened in the generated account, recorded by the generator as
//! it built each ticket (never parsed back from the JSON it serves, never computed by the
//! metrics crate), with the figures Zendesk itself would report for each ticket and, for
//! each figure that differs from deskpulse's own, why.
//!
//! # Vendor values
//! [`TrueTicket::vendor`] is the ticket's metric set computed by Zendesk's definitions (see
//! [`ZendeskMetrics::from_history`]); the tickets export serves exactly these values.
//! [`TrueTicket::deskpulse_values`] are the same figures by deskpulse's definitions
//! (DESIGN.md, "KPI definitions"), and [`TrueTicket::vendor_differences`] lists every figure
//! on which the two disagree, each with a [`DifferenceReason`], so a reconcile can be
//! checked to explain every difference.

use chrono::{DateTime, Utc};
use deskpulse_model::{AuthorKind, Channel, Message, StatusChange, Ticket, TicketStatus};

use crate::config::BusinessHours;

/// Why a ticket counts nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exclusion {
    /// Deleted by an agent (Zendesk: `status: "deleted"`).
    Deleted,
    /// Marked as spam (Zendesk deletes it: `status: "deleted"` too).
    Spam,
    /// Merged into another ticket (Zendesk: closed with tag `closed_by_merge`).
    Merged,
}

/// One message (comment) of a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueMessage {
    /// Zendesk comment id.
    pub id: i64,
    /// Customer, human agent or bot (a trigger's reply; the merge note is by an agent).
    pub author_kind: AuthorKind,
    /// Zendesk user id. A trigger's comment is attributed the way Zendesk attributes it: to
    /// the ticket's assignee when it has one, else to the system user `-1` ([`crate::SYSTEM`]).
    /// So a bot message may carry an agent's id: Zendesk then counts it as that agent's
    /// reply, deskpulse (by `author_kind`) does not.
    pub author_id: i64,
    /// `false` for internal notes.
    pub public: bool,
    pub at: DateTime<Utc>,
}

/// One status transition of a ticket (the first one, from `None`, is the creation).
#[derive(Debug, Clone, PartialEq)]
pub struct TrueTransition {
    /// Zendesk `Create` / `Change` event id.
    pub id: i64,
    /// The vendor's status before, mapped (`hold` → `OnHold`, `deleted` → `Deleted`).
    pub from: Option<TicketStatus>,
    /// The vendor's status after, mapped as `from`. A merge is a transition to `Closed`.
    pub to: TicketStatus,
    /// Who made it: customer, agent, or system (automation, `by_id == -1`).
    pub by_kind: AuthorKind,
    pub by_id: i64,
    pub at: DateTime<Utc>,
}

/// A ticket as it really happened.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueTicket {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// Last change of the ticket (its last event or its rating).
    pub updated_at: DateTime<Utc>,
    pub channel: Channel,
    /// The status string the API shows (`new`, `open`, `pending`, `solved`, `closed`,
    /// `deleted`).
    pub vendor_status: &'static str,
    /// The status in our model: `Deleted` for deleted and spam tickets (Zendesk cannot tell
    /// them apart), `Merged` for merged ones, else the vendor status mapped.
    pub status: TicketStatus,
    pub excluded: Option<Exclusion>,
    /// Opened by an agent: submitter is the agent and the first message is the agent's.
    pub outbound: bool,
    /// A trigger answered it (a bot message).
    pub bot_answered: bool,
    /// An automation solved it.
    pub automation_solved: bool,
    pub requester: i64,
    pub submitter: i64,
    pub assignee: Option<i64>,
    pub group: i64,
    pub tags: Vec<&'static str>,
    /// Every comment, in time order.
    pub messages: Vec<TrueMessage>,
    /// Every status transition, in time order.
    pub transitions: Vec<TrueTransition>,
    /// First transition to solved.
    pub first_solved_at: Option<DateTime<Utc>>,
    /// Last transition to solved, when the ticket is solved or closed now.
    pub final_solved_at: Option<DateTime<Utc>>,
    /// Transitions out of solved into an unsolved status.
    pub reopens: u32,
    /// The metric set Zendesk reports for this ticket (served with `include=metric_sets`).
    pub vendor: ZendeskMetrics,
}

impl TrueTicket {
    /// The ticket, its messages and its status changes as a perfect sync stores them: what
    /// tests hand to the metrics crate to learn what deskpulse should compute.
    pub fn records(&self) -> (Ticket, Vec<Message>, Vec<StatusChange>) {
        let ticket = Ticket {
            external_id: self.id.to_string(),
            channel: self.channel,
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            first_solved_at: self.first_solved_at,
            final_solved_at: self.final_solved_at,
            reopens: Some(self.reopens),
            opened_by_agent: None,
            requester_id: Some(self.requester.to_string()),
            assignee_id: self.assignee.map(|a| a.to_string()),
            group_id: Some(self.group.to_string()),
            tags: self.tags.iter().map(|s| s.to_string()).collect(),
            priority: None,
        };
        let messages = self
            .messages
            .iter()
            .map(|m| Message {
                external_id: m.id.to_string(),
                ticket_id: self.id.to_string(),
                author_kind: m.author_kind,
                author_id: Some(m.author_id.to_string()),
                public: m.public,
                created_at: m.at,
            })
            .collect();
        let status_changes = self
            .transitions
            .iter()
            .map(|x| StatusChange {
                external_id: x.id.to_string(),
                ticket_id: self.id.to_string(),
                from: x.from,
                to: x.to,
                author_kind: x.by_kind,
                author_id: Some(x.by_id.to_string()),
                at: x.at,
            })
            .collect();
        (ticket, messages, status_changes)
    }

    /// Public replies by human agents (not the opening message of an outbound ticket).
    pub fn public_agent_replies(&self) -> usize {
        self.messages
            .iter()
            .skip(1)
            .filter(|m| m.public && m.author_kind == AuthorKind::Agent)
            .count()
    }

    /// The first public human-agent reply (never the opening message).
    pub fn first_agent_reply_at(&self) -> Option<DateTime<Utc>> {
        self.messages
            .iter()
            .skip(1)
            .find(|m| m.public && m.author_kind == AuthorKind::Agent)
            .map(|m| m.at)
    }

    /// This ticket's figures by deskpulse's definitions, in the units of
    /// [`VendorDifference`]: seconds for durations, counts otherwise.
    pub fn deskpulse_values(&self) -> DeskpulseValues {
        crate::vendor::deskpulse_values(self)
    }

    /// Every figure of [`TrueTicket::vendor`] that differs from deskpulse's own, with why.
    /// Empty when the two agree on everything. Derived from the recorded history and
    /// vendor values, so it holds for hand-built tickets as well as generated ones.
    pub fn vendor_differences(&self) -> Vec<VendorDifference> {
        crate::vendor::differences(self)
    }
}

/// A duration as Zendesk's metric set gives it: whole minutes on the calendar clock and on
/// the account's business-hours schedule. `None` (JSON `null`) until the events that end it
/// have happened, or when there is no schedule for `business`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct VendorMinutes {
    pub calendar: Option<i64>,
    pub business: Option<i64>,
}

/// Zendesk's metric set (`metric_set` of the tickets export, the Ticket Metrics API) for one
/// ticket, computed from its history by Zendesk's documented definitions; see
/// [`ZendeskMetrics::from_history`] for each rule and its source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ZendeskMetrics {
    /// Creation to the first public comment by an agent user after the opening comment.
    pub reply_time_in_minutes: VendorMinutes,
    /// Creation to the first solve (or close of an unsolved ticket).
    pub first_resolution_time_in_minutes: VendorMinutes,
    /// Creation to the latest solve, while the ticket is solved or closed.
    pub full_resolution_time_in_minutes: VendorMinutes,
    /// Time spent pending, over the spans already ended by a status change.
    pub agent_wait_time_in_minutes: VendorMinutes,
    /// Time spent new, open or on hold, over the spans already ended by a status change.
    pub requester_wait_time_in_minutes: VendorMinutes,
    /// Time spent on hold, over the spans already ended by a status change (0 when none).
    pub on_hold_time_in_minutes: VendorMinutes,
    /// Changes from solved back to an unsolved status.
    pub reopens: u32,
    /// Public comments by agent users after the opening comment.
    pub replies: u32,
    /// The latest solve while the ticket is solved or closed.
    pub solved_at: Option<DateTime<Utc>>,
}

impl ZendeskMetrics {
    /// Zendesk's figures for `ticket`'s history (its `messages`, `transitions`, `created_at`
    /// and `outbound`; `vendor` is not read), business values on `hours`.
    ///
    /// The rules, from Zendesk's "About native Support time duration metrics"
    /// (support.zendesk.com/hc/en-us/articles/4408834848154) unless said otherwise:
    /// * First reply time: "the duration between ticket creation and the first public agent
    ///   reply"; "if the ticket is created by an agent and the first comment is public the
    ///   second timestamp shifts to the second public agent comment". The opening comment
    ///   therefore never ends it; private comments never do. A trigger's comment counts when
    ///   Zendesk attributes it to an agent: comments added by triggers "appear … as if added
    ///   by the current assignee; if the ticket is unassigned, they are attributed to the
    ///   system user" (support.zendesk.com/hc/zh-cn/articles/6191477770906, translated), and
    ///   the system user (`-1`) is no agent.
    /// * First resolution time: to "the first time the ticket status is set to solved"; "if
    ///   the unsolved ticket is set to closed by a business rule or API, this event is
    ///   considered as the second timestamp" (a merge closes the merged ticket).
    /// * Full resolution time and `solved_at`: to the latest such solve, `null` while the
    ///   ticket is unsolved again (as in a recorded metric set with `reopens: 1`, status
    ///   `open`, `full_resolution_time_in_minutes: null`, `solved_at: null`; see
    ///   `/work/shared/reference/helpdesk-apis.md` §2.7).
    /// * `reopens`: "total number of times the ticket was reopened", `replies`: "the number
    ///   of public replies added to a ticket by an agent" (developer.zendesk.com Ticket
    ///   Metrics API); the opening comment is no reply.
    /// * Wait times: "multi-event metrics … added to a running total as the ticket statuses
    ///   change" (support.zendesk.com/hc/en-us/articles/5654110765338): requester wait over
    ///   new, open and on-hold, agent wait over pending, on-hold over on-hold; only spans a
    ///   status change has ended count, and a running total that never started is `null`
    ///   (on-hold starts at 0, as in Zendesk's documented metric set).
    /// * Minutes: whole minutes, rounded down. Zendesk does not document its rounding; this
    ///   is the simulator's choice, and any difference under a minute it causes is reported
    ///   as [`DifferenceReason::Rounding`].
    /// * Merged tickets keep the metric set their history gave them (a merge closes them).
    ///   Deleted (and spam, which Zendesk shows as deleted) tickets have none: Zendesk
    ///   deletes a ticket's metric record with the ticket, so the export serves no
    ///   `metric_set` for them and [`TrueTicket::vendor_differences`] lists nothing.
    pub fn from_history(ticket: &TrueTicket, hours: Option<&BusinessHours>) -> ZendeskMetrics {
        crate::vendor::zendesk_metrics(ticket, hours)
    }
}

/// A ticket's figures by deskpulse's definitions (DESIGN.md, "KPI definitions", with bot
/// replies excluded as by default). Durations in seconds after creation. Everything is `None`
/// for deleted, spam and merged tickets, which count nowhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DeskpulseValues {
    /// Creation to the first public human-agent reply after the opening message; `None` for
    /// outbound tickets and while nobody has replied.
    pub first_response: Option<i64>,
    /// Creation to the first solve (a change into solved or closed from an unsolved status).
    pub first_resolution: Option<i64>,
    /// Creation to the final solve, while the ticket is solved or closed.
    pub full_resolution: Option<i64>,
    /// Changes from solved or closed back to an unsolved status.
    pub reopens: Option<u32>,
    /// Public human-agent messages after the opening one.
    pub replies: Option<u32>,
}

/// The clock a duration is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Clock {
    Calendar,
    Business,
}

/// A figure of Zendesk's metric set that deskpulse has a definition for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VendorField {
    /// `reply_time_in_minutes`, against deskpulse's first response time.
    ReplyTime(Clock),
    /// `first_resolution_time_in_minutes`, against deskpulse's first-resolution time.
    FirstResolutionTime(Clock),
    /// `full_resolution_time_in_minutes`, against deskpulse's resolution time.
    FullResolutionTime(Clock),
    /// `reopens`.
    Reopens,
    /// `replies`, against deskpulse's public human-agent replies.
    Replies,
}

impl VendorField {
    /// The field's path in Zendesk's metric set, e.g. `reply_time_in_minutes.business`.
    pub fn as_str(self) -> &'static str {
        use Clock::{Business, Calendar};
        match self {
            VendorField::ReplyTime(Calendar) => "reply_time_in_minutes.calendar",
            VendorField::ReplyTime(Business) => "reply_time_in_minutes.business",
            VendorField::FirstResolutionTime(Calendar) => {
                "first_resolution_time_in_minutes.calendar"
            }
            VendorField::FirstResolutionTime(Business) => {
                "first_resolution_time_in_minutes.business"
            }
            VendorField::FullResolutionTime(Calendar) => "full_resolution_time_in_minutes.calendar",
            VendorField::FullResolutionTime(Business) => "full_resolution_time_in_minutes.business",
            VendorField::Reopens => "reopens",
            VendorField::Replies => "replies",
        }
    }
}

/// Why a vendor figure differs from deskpulse's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DifferenceReason {
    /// The ticket was opened by an agent: deskpulse leaves it out of first response time,
    /// Zendesk times it to the second public agent comment.
    Outbound,
    /// Zendesk counted a trigger's or automation's public comment as an agent's reply
    /// (attributed to the assignee); deskpulse counts human replies only.
    BotOrAutomationReply,
    /// Zendesk counted an internal note where deskpulse counts public replies only. Never
    /// produced by the generator: Zendesk's documented rules ignore private comments except
    /// on tickets shared through a private sharing agreement, which it does not model.
    InternalNote,
    /// A business-hours figure against deskpulse's calendar one.
    BusinessVsCalendar,
    /// A reopen made the two count different solves or reopens. Never produced by the
    /// generator: Zendesk, like deskpulse, ends first resolution at the first solve and full
    /// resolution at the latest one, has no full resolution while the ticket is unsolved
    /// again, and counts a change from solved back to unsolved as a reopen.
    Reopened,
    /// A deleted, spam or merged ticket: deskpulse counts it nowhere, Zendesk keeps its
    /// metric set.
    MergedOrDeleted,
    /// The two end the duration at different events. Never produced by the generator: the
    /// one case Zendesk documents (closing an unsolved ticket counts as its resolution) is
    /// also a solve for deskpulse.
    VendorCountsDifferentEvent,
    /// Same events, but Zendesk gives whole minutes and deskpulse keeps seconds.
    Rounding,
}

impl DifferenceReason {
    /// The reason as a word: `outbound`, `bot_or_automation_reply`, `internal_note`,
    /// `business_vs_calendar`, `reopened`, `merged_or_deleted`,
    /// `vendor_counts_different_event`, `rounding`.
    pub fn as_str(self) -> &'static str {
        match self {
            DifferenceReason::Outbound => "outbound",
            DifferenceReason::BotOrAutomationReply => "bot_or_automation_reply",
            DifferenceReason::InternalNote => "internal_note",
            DifferenceReason::BusinessVsCalendar => "business_vs_calendar",
            DifferenceReason::Reopened => "reopened",
            DifferenceReason::MergedOrDeleted => "merged_or_deleted",
            DifferenceReason::VendorCountsDifferentEvent => "vendor_counts_different_event",
            DifferenceReason::Rounding => "rounding",
        }
    }
}

/// One figure on which Zendesk and deskpulse disagree for a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VendorDifference {
    pub field: VendorField,
    /// Deskpulse's value: seconds for durations (the calendar value, also against a business
    /// field, as deskpulse's definitions are calendar time), a count otherwise.
    pub ours: Option<i64>,
    /// Zendesk's value in the same unit: minutes × 60 for durations.
    pub vendor: Option<i64>,
    /// Why they differ. `None` would be a difference the simulator cannot explain; the
    /// generator's tests check that it never records one.
    pub reason: Option<DifferenceReason>,
}

/// A human agent (or admin).
#[derive(Debug, Clone, PartialEq)]
pub struct TrueAgent {
    pub id: i64,
    pub name: String,
    /// `agent` or `admin`.
    pub role: &'static str,
}

/// A CSAT survey answer, or a survey only offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrueScore {
    Good,
    Bad,
    /// Offered and never answered: no response.
    Offered,
}

/// One satisfaction rating record. Zendesk creates the record when it offers the survey
/// (`score: "offered"`) and updates it when the customer answers: the API's `created_at` is
/// [`TrueRating::offered_at`], its `updated_at` the answer time (the offer time while
/// unanswered), which is [`TrueRating::created_at`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrueRating {
    pub id: i64,
    pub ticket_id: i64,
    pub assignee: Option<i64>,
    pub requester: i64,
    pub score: TrueScore,
    pub comment: Option<&'static str>,
    /// When the survey was sent.
    pub offered_at: DateTime<Utc>,
    /// When it was answered, if it was.
    pub answered_at: Option<DateTime<Utc>>,
    /// When the response counts (DESIGN: CSAT counts "responses received in the period"): the
    /// answer time if answered, else the offer time. In the API this is the record's
    /// `updated_at`, not its `created_at` (which is `offered_at`).
    pub created_at: DateTime<Utc>,
}

impl TrueRating {
    pub fn answered(&self) -> bool {
        self.score != TrueScore::Offered
    }
}

/// What the generated account really holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroundTruth {
    /// Every ticket, by id (ids are 1, 2, 3, ... in creation order).
    pub tickets: Vec<TrueTicket>,
    pub agents: Vec<TrueAgent>,
    /// Every rating record, answered or only offered, in the API's order: by
    /// `(offered_at, id)` (the API's `created_at`); ids ascend in that order too.
    pub ratings: Vec<TrueRating>,
    /// Number of end-users (customers).
    pub customers: usize,
    /// Every Trustpilot review, then every Google Business Profile review, each platform's in
    /// creation order (see [`crate::TrueReview`] and [`GroundTruth::review_kpis`]).
    pub reviews: Vec<crate::TrueReview>,
    /// The Facebook Page's and the X account's activity and counters (see
    /// [`GroundTruth::public_response`]).
    pub social: crate::SocialTruth,
}

impl GroundTruth {
    /// All tickets, deleted, spam and merged ones included.
    pub fn ticket_count(&self) -> usize {
        self.tickets.len()
    }
    /// Tickets that count in KPIs (not deleted, spam or merged).
    pub fn included_tickets(&self) -> impl Iterator<Item = &TrueTicket> {
        self.tickets.iter().filter(|t| t.excluded.is_none())
    }
    /// All comments of all tickets.
    pub fn comment_count(&self) -> usize {
        self.tickets.iter().map(|t| t.messages.len()).sum()
    }
    /// All status transitions (creations included) of all tickets.
    pub fn status_change_count(&self) -> usize {
        self.tickets.iter().map(|t| t.transitions.len()).sum()
    }
    /// Rating records (answered or offered).
    pub fn rating_count(&self) -> usize {
        self.ratings.len()
    }
    /// Answered surveys (good or bad).
    pub fn ratings_answered(&self) -> usize {
        self.ratings.iter().filter(|r| r.answered()).count()
    }
    /// Users of the account: customers and agents.
    pub fn user_count(&self) -> usize {
        self.customers + self.agents.len()
    }
    /// Every figure of Zendesk's metric sets that differs from deskpulse's own, with its
    /// ticket id and reason ([`TrueTicket::vendor_differences`] of every ticket): what a
    /// reconcile of the synced vendor values must explain.
    pub fn vendor_differences(&self) -> impl Iterator<Item = (i64, VendorDifference)> + '_ {
        self.tickets
            .iter()
            .flat_map(|t| t.vendor_differences().into_iter().map(move |d| (t.id, d)))
    }

    pub fn ticket(&self, id: i64) -> Option<&TrueTicket> {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        self.tickets.get(i).filter(|t| t.id == id)
    }
}
