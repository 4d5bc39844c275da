//! Zendesk's payloads, as documented, and their mapping onto the model. Only the fields the
//! model needs are read; bodies and e-mail addresses are never deserialized.

use chrono::{DateTime, Utc};
use deskpulse_model::{
    Agent, AuthorKind, Channel, Customer, Message, Rating, RatingKind, RatingScale, Record,
    StatusChange, Ticket, TicketStatus,
};
use serde::Deserialize;
use serde_json::Value;

/// Zendesk's user id for "the system" (automations, some triggers).
const SYSTEM_USER: i64 = -1;

/// A page of a cursor-based incremental export (`…/cursor.json`).
pub(crate) trait CursorPage: serde::de::DeserializeOwned + Send {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>, bool);
}

#[derive(Deserialize)]
pub(crate) struct UsersPage {
    users: Vec<User>,
    #[serde(default)]
    after_cursor: Option<String>,
    end_of_stream: bool,
}

impl CursorPage for UsersPage {
    type Item = User;
    fn into_parts(self) -> (Vec<User>, Option<String>, bool) {
        (self.users, self.after_cursor, self.end_of_stream)
    }
}

#[derive(Deserialize)]
pub(crate) struct TicketsPage {
    tickets: Vec<ZTicket>,
    #[serde(default)]
    after_cursor: Option<String>,
    end_of_stream: bool,
}

impl CursorPage for TicketsPage {
    type Item = ZTicket;
    fn into_parts(self) -> (Vec<ZTicket>, Option<String>, bool) {
        (self.tickets, self.after_cursor, self.end_of_stream)
    }
}

#[derive(Deserialize)]
pub(crate) struct User {
    id: i64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// Agents and admins become agents. End-users become customers with nothing but their id and
/// e-mail address, which storage turns into a keyed hash (to join tickets to orders) and
/// never keeps; their names are not read.
pub(crate) fn map_user(u: User) -> Result<Option<Record>, String> {
    Ok(Some(match u.role.as_deref() {
        Some("agent" | "admin") => Record::Agent(Agent {
            external_id: u.id.to_string(),
            name: u.name.unwrap_or_default(),
            is_bot: false,
        }),
        _ => Record::Customer(Customer {
            external_id: u.id.to_string(),
            email: u.email.filter(|e| !e.trim().is_empty()),
        }),
    }))
}

#[derive(Deserialize)]
pub(crate) struct ZTicket {
    id: i64,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(default)]
    via: Option<Value>,
    #[serde(default)]
    requester_id: Option<i64>,
    #[serde(default)]
    assignee_id: Option<i64>,
    #[serde(default)]
    group_id: Option<i64>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    metric_set: Option<MetricSet>,
}

#[derive(Deserialize)]
struct MetricSet {
    #[serde(default)]
    solved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    reopens: Option<u32>,
}

pub(crate) fn map_status(s: &str) -> Result<TicketStatus, String> {
    Ok(match s {
        "new" => TicketStatus::New,
        "open" => TicketStatus::Open,
        "pending" => TicketStatus::Pending,
        "hold" => TicketStatus::OnHold,
        "solved" => TicketStatus::Solved,
        "closed" => TicketStatus::Closed,
        "deleted" => TicketStatus::Deleted,
        other => return Err(format!("unknown ticket status {other:?}")),
    })
}

/// `via.channel` onto the model's channels
/// (developer.zendesk.com/documentation/ticketing/reference-guides/via-types).
pub(crate) fn map_channel(channel: Option<&str>) -> Channel {
    match channel.unwrap_or_default() {
        "email" => Channel::Email,
        "web" | "web_form" | "web_widget" => Channel::Web,
        "chat" | "native_messaging" | "messaging" | "chat_transcript" => Channel::Chat,
        "voice" | "phone_call_inbound" | "phone_call_outbound" | "voicemail" => Channel::Phone,
        "api" => Channel::Api,
        "twitter"
        | "twitter_dm"
        | "twitter_favorite"
        | "facebook"
        | "facebook_post"
        | "facebook_message"
        | "instagram_dm"
        | "whatsapp"
        | "line"
        | "wechat"
        | "viber"
        | "telegram"
        | "kakaotalk"
        | "google_business_messages"
        | "apple_business_chat"
        | "sms" => Channel::Social,
        _ => Channel::Other,
    }
}

fn via_channel(via: &Option<Value>) -> Option<&str> {
    via.as_ref()?.get("channel")?.as_str()
}

pub(crate) fn map_ticket(t: ZTicket) -> Result<Option<Record>, String> {
    let raw_status = map_status(&t.status).map_err(|e| format!("ticket {}: {e}", t.id))?;
    let tags = t.tags.unwrap_or_default();
    let status = if tags.iter().any(|tag| tag == "closed_by_merge") {
        TicketStatus::Merged
    } else {
        raw_status
    };
    // Fallbacks only: the status history (ticket_events) is authoritative.
    let (final_solved_at, reopens) = match &t.metric_set {
        Some(m) => (m.solved_at.filter(|_| raw_status.is_solved()), m.reopens),
        None => (None, None),
    };
    Ok(Some(Record::Ticket(Ticket {
        external_id: t.id.to_string(),
        channel: map_channel(via_channel(&t.via)),
        status,
        created_at: t.created_at,
        updated_at: t.updated_at,
        first_solved_at: None,
        final_solved_at,
        reopens,
        opened_by_agent: None,
        requester_id: t.requester_id.map(|v| v.to_string()),
        assignee_id: t.assignee_id.map(|v| v.to_string()),
        group_id: t.group_id.map(|v| v.to_string()),
        tags,
        priority: t.priority,
    })))
}

/// A page of the time-based ticket events export.
#[derive(Deserialize)]
pub(crate) struct TicketEventsPage {
    pub(crate) ticket_events: Vec<TicketEvent>,
    #[serde(default)]
    pub(crate) end_time: Option<i64>,
    pub(crate) end_of_stream: bool,
}

#[derive(Deserialize)]
pub(crate) struct TicketEvent {
    id: i64,
    ticket_id: i64,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    updater_id: Option<i64>,
    #[serde(default)]
    child_events: Vec<ChildEvent>,
}

/// A child event. Zendesk sends both `event_type` and `type` on comments, so neither is an
/// alias of the other (serde would reject the duplicate).
#[derive(Deserialize)]
struct ChildEvent {
    id: i64,
    #[serde(default)]
    event_type: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    author_id: Option<i64>,
    #[serde(default)]
    public: Option<bool>,
    /// An object here, unlike the parent's string `via`.
    #[serde(default)]
    via: Option<Value>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    field_name: Option<String>,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    previous_value: Option<Value>,
}

fn status_value(v: &Option<Value>, what: &str, child: i64) -> Result<Option<TicketStatus>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => map_status(s)
            .map(Some)
            .map_err(|e| format!("event {child}: {e}")),
        Some(other) => Err(format!(
            "event {child}: `{what}` of a status change is not a string: {other}"
        )),
    }
}

/// Messages and status changes of one audit. Other child events (tags, notifications,
/// satisfaction, …) are not facts the KPIs use.
pub(crate) fn map_ticket_event(e: TicketEvent) -> Result<Vec<Record>, String> {
    let at = e
        .created_at
        .or_else(|| e.timestamp.and_then(|t| DateTime::from_timestamp(t, 0)))
        .ok_or_else(|| {
            format!(
                "ticket event {} has neither `created_at` nor `timestamp`",
                e.id
            )
        })?;
    let ticket_id = e.ticket_id.to_string();
    let mut out = Vec::new();
    for c in e.child_events {
        let kind = c
            .event_type
            .as_deref()
            .or(c.kind.as_deref())
            .unwrap_or_default();
        match kind {
            "Comment" => {
                let public = c
                    .public
                    .ok_or_else(|| format!("comment event {} has no `public` flag", c.id))?;
                let author_kind = if via_channel(&c.via) == Some("rule") {
                    AuthorKind::Bot
                } else if c.author_id == Some(SYSTEM_USER) {
                    AuthorKind::System
                } else {
                    AuthorKind::Unknown
                };
                out.push(Record::Message(Message {
                    external_id: c.id.to_string(),
                    ticket_id: ticket_id.clone(),
                    author_kind,
                    author_id: c.author_id.map(|a| a.to_string()),
                    public,
                    created_at: c.created_at.unwrap_or(at),
                }));
            }
            "Change" | "Create" if c.field_name.as_deref() == Some("status") => {
                let Some(to) = status_value(&c.value, "value", c.id)? else {
                    return Err(format!("status event {} has no `value`", c.id));
                };
                let from = if kind == "Create" {
                    None
                } else {
                    status_value(&c.previous_value, "previous_value", c.id)?
                };
                // Automations act as user -1; triggers (via `rule`) act on someone's update.
                let automated =
                    e.updater_id == Some(SYSTEM_USER) || via_channel(&c.via) == Some("rule");
                out.push(Record::StatusChange(StatusChange {
                    external_id: c.id.to_string(),
                    ticket_id: ticket_id.clone(),
                    from,
                    to,
                    author_kind: if automated {
                        AuthorKind::System
                    } else {
                        AuthorKind::Unknown
                    },
                    author_id: e.updater_id.map(|u| u.to_string()),
                    at,
                }));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A page of the satisfaction ratings list (cursor pagination).
#[derive(Deserialize)]
pub(crate) struct RatingsPage {
    pub(crate) satisfaction_ratings: Vec<ZRating>,
    pub(crate) meta: ListMeta,
}

#[derive(Deserialize)]
pub(crate) struct ListMeta {
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) after_cursor: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ZRating {
    id: i64,
    score: String,
    #[serde(default)]
    ticket_id: Option<i64>,
    #[serde(default)]
    assignee_id: Option<i64>,
    #[serde(default)]
    comment: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
}

/// `good` → 1, `bad` → 0; an offered (or never offered) survey is no response.
pub(crate) fn map_rating(r: ZRating) -> Option<Record> {
    let score = match r.score.as_str() {
        "good" => 1.0,
        "bad" => 0.0,
        "offered" | "unoffered" => return None,
        other => {
            tracing::warn!(
                rating = r.id,
                score = other,
                "skipping a satisfaction rating with an unknown score"
            );
            return None;
        }
    };
    Some(Record::Rating(Rating {
        external_id: r.id.to_string(),
        kind: RatingKind::Csat,
        score,
        scale: RatingScale::BINARY,
        ticket_id: r.ticket_id.map(|t| t.to_string()),
        agent_id: r.assignee_id.map(|a| a.to_string()),
        comment: r.comment.filter(|c| !c.trim().is_empty()),
        created_at: r.created_at,
    }))
}
