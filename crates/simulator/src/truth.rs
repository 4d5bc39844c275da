//! Ground truth: what really happened in the generated account, recorded by the generator as
//! it built each ticket (never parsed back from the JSON it serves, never computed by the
//! metrics crate).

use chrono::{DateTime, Utc};
use deskpulse_model::{AuthorKind, Channel, TicketStatus};

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
    /// Customer, human agent, bot (trigger reply) or system (merge note is by an agent).
    pub author_kind: AuthorKind,
    /// Zendesk user id; `-1` for triggers and automations.
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
}

impl TrueTicket {
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

/// One satisfaction rating record.
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
    /// The record's `created_at` in the API: the answer time if answered, else the offer time.
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
    /// Every rating record, answered or only offered, by created_at.
    pub ratings: Vec<TrueRating>,
    /// Number of end-users (customers).
    pub customers: usize,
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
    pub fn ticket(&self, id: i64) -> Option<&TrueTicket> {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        self.tickets.get(i).filter(|t| t.id == id)
    }
}
