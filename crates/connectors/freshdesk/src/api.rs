//! Freshdesk's payloads, as documented and recorded, and their mapping onto the model. Only
//! the fields the model needs are read: no bodies, no subjects, no customer names.

use chrono::{DateTime, Utc};
use deskpulse_model::{
    Agent, AuthorKind, Channel, Customer, Message, Rating, RatingKind, RatingScale, Record, Ticket,
    TicketStatus, VendorDuration, VendorMetrics,
};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Ticket `source`: Outbound Email (an agent wrote first).
pub(crate) const SOURCE_OUTBOUND_EMAIL: i64 = 10;
/// Conversation `source`: the comment a customer left with a satisfaction survey.
pub(crate) const CONVERSATION_SOURCE_FEEDBACK: i64 = 6;

/// Which list of tickets a page came from: the default list leaves out spam and deleted
/// tickets, which need their own `filter` passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Pass {
    All,
    Spam,
    Deleted,
}

impl Pass {
    pub(crate) fn filter(self) -> Option<&'static str> {
        match self {
            Pass::All => None,
            Pass::Spam => Some("spam"),
            Pass::Deleted => Some("deleted"),
        }
    }
    pub(crate) fn next(self) -> Option<Pass> {
        match self {
            Pass::All => Some(Pass::Spam),
            Pass::Spam => Some(Pass::Deleted),
            Pass::Deleted => None,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct FTicket {
    pub(crate) id: i64,
    status: i64,
    #[serde(default)]
    source: Option<i64>,
    #[serde(default)]
    spam: Option<bool>,
    #[serde(default)]
    deleted: Option<bool>,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    requester_id: Option<i64>,
    #[serde(default)]
    responder_id: Option<i64>,
    #[serde(default)]
    group_id: Option<i64>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    #[serde(default)]
    stats: Option<Stats>,
    /// Side-loaded with `include=requester`; only its id and e-mail are read.
    #[serde(default)]
    requester: Option<Requester>,
}

/// `stats` (with `include=stats`), as recorded: `agent_responded_at`,
/// `requester_responded_at`, `first_responded_at`, `status_updated_at`, `reopened_at`,
/// `resolved_at`, `closed_at`, `pending_since`. Only the ones deskpulse uses are read.
#[derive(Deserialize)]
struct Stats {
    #[serde(default)]
    first_responded_at: Option<DateTime<Utc>>,
    #[serde(default)]
    resolved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    reopened_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Requester {
    id: i64,
    #[serde(default)]
    email: Option<String>,
}

/// `status`: 2 Open, 3 Pending, 4 Resolved, 5 Closed; 6 and above are an account's custom
/// statuses ("Waiting on Customer", "Waiting on Third Party", …), which are neither open
/// work in the agents' queue nor solved: on hold.
pub(crate) fn map_status(code: i64) -> Result<TicketStatus, String> {
    Ok(match code {
        2 => TicketStatus::Open,
        3 => TicketStatus::Pending,
        4 => TicketStatus::Solved,
        5 => TicketStatus::Closed,
        n if n >= 6 => TicketStatus::OnHold,
        other => return Err(format!("unknown ticket status {other}")),
    })
}

/// `source` onto the model's channels: Email 1, Portal 2, Phone 3, Forum 4, Twitter 5,
/// Facebook 6, Chat 7, MobiHelp 8, Feedback Widget 9, Outbound Email 10, Ecommerce 11,
/// Bot 12, WhatsApp 13.
pub(crate) fn map_channel(source: Option<i64>) -> Channel {
    match source {
        Some(1 | 10) => Channel::Email,
        Some(2 | 4 | 9) => Channel::Web,
        Some(3) => Channel::Phone,
        Some(5 | 6 | 13) => Channel::Social,
        Some(7 | 8 | 12) => Channel::Chat,
        _ => Channel::Other,
    }
}

fn priority(p: Option<i64>) -> Option<String> {
    Some(
        match p? {
            1 => "low",
            2 => "medium",
            3 => "high",
            4 => "urgent",
            _ => return None,
        }
        .to_owned(),
    )
}

/// The ticket, its opening message and its requester.
///
/// Freshdesk gives no status history, only `stats`: the last `resolved_at`, `closed_at`
/// and the last `reopened_at`. So the final solve is `resolved_at` (else `closed_at`) when the
/// ticket is solved now; the first solve is known only when it was never reopened; a
/// `reopened_at` means at least one reopen.
///
/// The ticket's description is its opening message but is not among its conversations:
/// a message `description-{id}` stands for it (author the requester, or an agent on an
/// Outbound Email ticket), so the first agent reply counts as a reply.
///
/// Next to the ticket, its `stats` as Freshdesk's own figures ([`vendor_metrics`]).
pub(crate) fn map_ticket(t: FTicket, pass: Pass) -> Result<Vec<Record>, String> {
    let raw = map_status(t.status).map_err(|e| format!("ticket {}: {e}", t.id))?;
    let status = if pass == Pass::Deleted || t.deleted == Some(true) {
        TicketStatus::Deleted
    } else if pass == Pass::Spam || t.spam == Some(true) {
        TicketStatus::Spam
    } else {
        raw
    };
    let (resolved, closed, reopened) = match &t.stats {
        Some(s) => (s.resolved_at, s.closed_at, s.reopened_at),
        None => (None, None, None),
    };
    let final_solved_at = resolved.or(closed).filter(|_| raw.is_solved());
    let first_solved_at = final_solved_at.filter(|_| reopened.is_none());
    let reopens = t.stats.as_ref().map(|_| u32::from(reopened.is_some()));
    let outbound = t.source == Some(SOURCE_OUTBOUND_EMAIL);
    let id = t.id.to_string();
    let id_for_metrics = id.clone();
    let requester_id = t
        .requester_id
        .or(t.requester.as_ref().map(|r| r.id))
        .map(|r| r.to_string());
    let mut out = Vec::with_capacity(4);
    out.push(Record::Message(Message {
        external_id: format!("description-{id}"),
        ticket_id: id.clone(),
        author_kind: if outbound {
            AuthorKind::Agent
        } else {
            AuthorKind::Customer
        },
        author_id: if outbound { None } else { requester_id.clone() },
        public: true,
        created_at: t.created_at,
    }));
    if let Some(r) = t.requester {
        out.push(Record::Customer(Customer {
            external_id: r.id.to_string(),
            email: r.email.filter(|e| !e.trim().is_empty()),
        }));
    }
    out.push(Record::Ticket(Ticket {
        external_id: id,
        channel: map_channel(t.source),
        status,
        created_at: t.created_at,
        updated_at: t.updated_at,
        first_solved_at,
        final_solved_at,
        reopens,
        opened_by_agent: t.source.map(|_| outbound),
        requester_id,
        assignee_id: t.responder_id.map(|v| v.to_string()),
        group_id: t.group_id.map(|v| v.to_string()),
        tags: t.tags.unwrap_or_default(),
        priority: priority(t.priority),
    }));
    if let Some(stats) = &t.stats {
        out.push(Record::VendorMetrics(vendor_metrics(
            id_for_metrics,
            raw,
            t.created_at,
            t.updated_at,
            stats,
        )));
    }
    Ok(out)
}

/// Freshdesk's own figures for one ticket, from its `stats` instants (calendar seconds after
/// `created_at`; Freshdesk's business-hours figures are not in the API):
///
/// * first response: `first_responded_at`;
/// * full resolution: `resolved_at`, while the ticket is resolved or closed (a reopened
///   ticket keeps its old `resolved_at`, which is no longer a resolution);
/// * first resolution: the same, only when `reopened_at` is empty — Freshdesk keeps only
///   the last reopen, so after one the first resolution is gone;
/// * reopens: 1 when `reopened_at` is set, else 0 (no count is kept);
/// * replies: Freshdesk keeps no count.
fn vendor_metrics(
    ticket_id: String,
    raw_status: TicketStatus,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    stats: &Stats,
) -> VendorMetrics {
    let since = |t: Option<DateTime<Utc>>| t.map(|t| (t - created_at).num_seconds());
    let full = stats.resolved_at.filter(|_| raw_status.is_solved());
    VendorMetrics {
        ticket_id,
        updated_at,
        first_response: VendorDuration::calendar(since(stats.first_responded_at)),
        full_resolution: VendorDuration::calendar(since(full)),
        first_resolution: VendorDuration::calendar(since(
            full.filter(|_| stats.reopened_at.is_none()),
        )),
        reopens: Some(u32::from(stats.reopened_at.is_some())),
        replies: None,
    }
}

/// `GET /api/v2/tickets/{id}`, read only to tell a deleted ticket from a broken request:
/// a ticket in the trash still answers, with `deleted: true`.
#[derive(Deserialize)]
pub(crate) struct TicketCheck {
    #[serde(default)]
    pub(crate) deleted: Option<bool>,
}

#[derive(Deserialize)]
pub(crate) struct Conversation {
    id: i64,
    #[serde(default)]
    ticket_id: Option<i64>,
    incoming: bool,
    private: bool,
    #[serde(default)]
    user_id: Option<i64>,
    #[serde(default)]
    source: Option<i64>,
    #[serde(default)]
    auto_response: Option<bool>,
    #[serde(default)]
    automation_id: Option<i64>,
    #[serde(default)]
    automation_type_id: Option<i64>,
    created_at: DateTime<Utc>,
}

/// One conversation (reply or note) of ticket `ticket_id`.
///
/// * `incoming: true` → the customer (a customer's own auto-reply, such as an out-of-office
///   mail, stays the customer's);
/// * `incoming: false` sent by an automation (`auto_response`, `automation_id` or
///   `automation_type_id`) → bot;
/// * any other `incoming: false` → an agent, even when `user_id` is no longer one (a
///   deleted agent becomes a contact in Freshdesk).
///
/// `private: true` is an internal note. The survey-feedback conversation (`source` 6) is
/// the comment of a rating, not part of the exchange: skipped (the rating keeps it).
pub(crate) fn map_conversation(c: Conversation, ticket_id: i64) -> Result<Option<Record>, String> {
    if let Some(t) = c.ticket_id
        && t != ticket_id
    {
        return Err(format!(
            "conversation {} belongs to ticket {t}, listed under ticket {ticket_id}",
            c.id
        ));
    }
    if c.source == Some(CONVERSATION_SOURCE_FEEDBACK) {
        return Ok(None);
    }
    let automated = c.auto_response == Some(true)
        || c.automation_id.is_some()
        || c.automation_type_id.is_some();
    // `incoming` tells the side, whoever `user_id` is now: Freshdesk turns a deleted agent
    // into a contact, so their old replies would otherwise read as the customer's.
    let author_kind = if c.incoming {
        AuthorKind::Customer
    } else if automated {
        AuthorKind::Bot
    } else {
        AuthorKind::Agent
    };
    Ok(Some(Record::Message(Message {
        external_id: c.id.to_string(),
        ticket_id: ticket_id.to_string(),
        author_kind,
        author_id: c.user_id.map(|u| u.to_string()),
        public: !c.private,
        created_at: c.created_at,
    })))
}

#[derive(Deserialize)]
pub(crate) struct FAgent {
    id: i64,
    #[serde(default)]
    contact: Option<Contact>,
}

#[derive(Deserialize)]
struct Contact {
    #[serde(default)]
    name: Option<String>,
}

/// Agents (support, field agents and collaborators alike). Freshdesk lists no bot accounts
/// among its agents: automations send as the ticket's agent with `auto_response` or an
/// `automation_id` set, which marks the message instead.
pub(crate) fn map_agent(a: FAgent) -> Record {
    Record::Agent(Agent {
        external_id: a.id.to_string(),
        name: a.contact.and_then(|c| c.name).unwrap_or_default(),
        is_bot: false,
    })
}

#[derive(Deserialize)]
pub(crate) struct FRating {
    id: i64,
    #[serde(default)]
    ticket_id: Option<i64>,
    #[serde(default)]
    agent_id: Option<i64>,
    #[serde(default)]
    feedback: Option<String>,
    #[serde(default)]
    ratings: Option<Map<String, Value>>,
    pub(crate) created_at: DateTime<Utc>,
}

/// Freshdesk's answer values onto 1–5, by the sentiment Freshdesk gives them: 103 Extremely
/// happy → 5, 102 Very happy → 4.5, 101 Happy → 4, 100 Neutral → 3, -101 Unhappy → 2,
/// -102 Very unhappy → 1.5, -103 Extremely unhappy → 1.
///
/// A survey offers a subset of these values (its question's `accepted_ratings`: the recorded
/// 3-point survey offers `[103, 100, -103]`; wider scales add the values between), and
/// Freshdesk's CSAT is the share of positive answers (values above 100) whatever the
/// scale. Mapping each value to its place on its own survey's scale would move answers
/// across that line (on a 7-point survey, "Happy" 101 is 5 of 7, below the KPI's
/// "satisfied" at three quarters of the scale) and the CSAT would no longer match
/// Freshdesk's. By value, every positive answer is at least 4 of 5 (satisfied), neutral
/// is 3, every negative at most 2, on every survey.
pub(crate) fn score(value: i64) -> Option<f64> {
    Some(match value {
        103 => 5.0,
        102 => 4.5,
        101 => 4.0,
        100 => 3.0,
        -101 => 2.0,
        -102 => 1.5,
        -103 => 1.0,
        _ => return None,
    })
}

/// The answer to the survey's overall question (`ratings.default_question`); ratings
/// without one answer only custom questions and are no CSAT response.
pub(crate) fn map_rating(r: FRating) -> Result<Option<Record>, String> {
    let Some(answer) = r.ratings.as_ref().and_then(|m| m.get("default_question")) else {
        return Ok(None);
    };
    let value = match answer {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "rating {}: `ratings.default_question` is not a number: {answer}",
            r.id
        )
    })?;
    let Some(score) = score(value) else {
        tracing::warn!(
            rating = r.id,
            value,
            "skipping a satisfaction rating with an unknown value"
        );
        return Ok(None);
    };
    Ok(Some(Record::Rating(Rating {
        external_id: r.id.to_string(),
        kind: RatingKind::Csat,
        score,
        scale: RatingScale::ONE_TO_FIVE,
        ticket_id: r.ticket_id.map(|t| t.to_string()),
        agent_id: r.agent_id.map(|a| a.to_string()),
        comment: r.feedback.filter(|c| !c.trim().is_empty()),
        created_at: r.created_at,
    })))
}
