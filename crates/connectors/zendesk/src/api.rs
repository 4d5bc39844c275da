//! Zendesk's payloads, as documented, and their mapping onto the model. Only the fields the
//! model needs are read; bodies and e-mail addresses of end-users are never kept.
//!
//! Sources for the shapes (see `tests/fixtures/PROVENANCE.md` for the payloads the tests use):
//! - tickets and metric sets: developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports
//!   and …/tickets/ticket_metrics (`reply_time_in_seconds`: "only available for Messaging tickets");
//! - ticket events: …/incremental_exports#incremental-ticket-event-export. The export describes
//!   a field change with the field as its own key (`"status": "solved"`, plus `previous_value`
//!   on a `Change`), while the Ticket Audits API (and some proxies that serve audits through
//!   the export) use `"field_name": "status", "value": …`; both are read;
//! - via: …/reference-guides/via-object-reference and …/via-types (`channel` is a via type
//!   string or a via id integer);
//! - satisfaction ratings: …/ticket-management/satisfaction_ratings.

use chrono::{DateTime, Utc};
use deskpulse_model::{
    Agent, AuthorKind, Channel, Customer, Message, Rating, RatingKind, RatingScale, Record,
    StatusChange, Ticket, TicketStatus, VendorDuration, VendorMetrics,
};
use serde::Deserialize;
use serde_json::Value;

/// Zendesk's "system user" (shown as "Zendesk"): automations act as it, and AI agents reply
/// as it on e-mail, web form and API tickets unless an admin picks another sender
/// (support.zendesk.com/hc/en-us/articles/9985221852954).
pub(crate) const SYSTEM_USER: i64 = -1;

/// A page of a cursor export, its records under the export's own key: `users` on
/// `…/users/cursor.json` ([`UsersPage`]), `tickets` on `…/tickets/cursor.json`
/// ([`TicketsPage`]). A page with the other export's key is malformed: a ticket read as a
/// user would parse (both have an `id`) and count as a customer.
pub(crate) struct ExportPage<T> {
    pub(crate) items: Vec<T>,
    pub(crate) after_cursor: Option<String>,
    pub(crate) end_of_stream: bool,
}

#[derive(Deserialize)]
pub(crate) struct UsersPage {
    users: Vec<User>,
    after_cursor: Option<String>,
    end_of_stream: bool,
}

#[derive(Deserialize)]
pub(crate) struct TicketsPage {
    tickets: Vec<ZTicket>,
    after_cursor: Option<String>,
    end_of_stream: bool,
}

impl From<UsersPage> for ExportPage<User> {
    fn from(p: UsersPage) -> Self {
        ExportPage {
            items: p.users,
            after_cursor: p.after_cursor,
            end_of_stream: p.end_of_stream,
        }
    }
}

impl From<TicketsPage> for ExportPage<ZTicket> {
    fn from(p: TicketsPage) -> Self {
        ExportPage {
            items: p.tickets,
            after_cursor: p.after_cursor,
            end_of_stream: p.end_of_stream,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct User {
    id: i64,
    name: Option<String>,
    role: Option<String>,
    email: Option<String>,
    /// How far an export page reached (the exports order by it); absent is tolerated, as
    /// the mapping needs nothing of it.
    #[serde(default)]
    pub(crate) updated_at: Option<DateTime<Utc>>,
}

/// A page of Export Search Results with `filter[type]=ticket`: `results` (each a ticket with
/// `result_type` "ticket"), `meta` (`has_more`, `after_cursor`) and `links`
/// (developer.zendesk.com/api-reference/ticketing/ticket-management/search/#export-search-results).
#[derive(Deserialize)]
pub(crate) struct SearchExportPage {
    pub(crate) results: Vec<SearchTicket>,
    pub(crate) meta: ListMeta,
}

#[derive(Deserialize)]
pub(crate) struct SearchTicket {
    pub(crate) result_type: Option<String>,
    #[serde(flatten)]
    pub(crate) ticket: ZTicket,
}

/// Agents and admins become agents. End-users become customers with nothing but their id and
/// e-mail address, which storage turns into a keyed hash (to join tickets to orders) and
/// never keeps; their names are not read.
///
/// Bots: the users export has no bot flag (`role` is end-user/agent/admin, `role_type` 0–5
/// are agent kinds), and Zendesk QA itself asks admins to mark bot users by hand
/// (support.zendesk.com/hc/en-us/articles/8071540887450). So a user is a bot when it is the
/// system user (`-1`, the default sender of AI agent replies) or one of `bot_user_ids` (the
/// user an admin chose as an AI agent's sender, a third-party bot, an integration's user),
/// whatever its role: a bot listed as an end-user must not count as a customer.
pub(crate) fn map_user(u: User, bot_user_ids: &[i64]) -> Result<Vec<Record>, String> {
    let is_bot = u.id == SYSTEM_USER || bot_user_ids.contains(&u.id);
    let team = matches!(u.role.as_deref(), Some("agent" | "admin"));
    Ok(vec![if is_bot || team {
        Record::Agent(Agent {
            external_id: u.id.to_string(),
            name: u.name.unwrap_or_default(),
            is_bot,
        })
    } else {
        Record::Customer(Customer {
            external_id: u.id.to_string(),
            email: u.email.filter(|e| !e.trim().is_empty()),
        })
    }])
}

#[derive(Deserialize)]
pub(crate) struct ZTicket {
    pub(crate) id: i64,
    status: String,
    created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    via: Option<Value>,
    requester_id: Option<i64>,
    assignee_id: Option<i64>,
    group_id: Option<i64>,
    tags: Option<Vec<String>>,
    priority: Option<String>,
    metric_set: Option<MetricSet>,
}

/// A ticket's metric set (`include=metric_sets`), the same object as Ticket Metrics.
#[derive(Deserialize)]
struct MetricSet {
    solved_at: Option<DateTime<Utc>>,
    reopens: Option<u32>,
    replies: Option<u32>,
    reply_time_in_minutes: Option<Minutes>,
    /// Calendar seconds only, and only on messaging tickets; finer than the minutes.
    reply_time_in_seconds: Option<Seconds>,
    first_resolution_time_in_minutes: Option<Minutes>,
    full_resolution_time_in_minutes: Option<Minutes>,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct Minutes {
    calendar: Option<i64>,
    business: Option<i64>,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct Seconds {
    calendar: Option<i64>,
}

impl Minutes {
    fn seconds(m: Option<Minutes>) -> VendorDuration {
        let m = m.unwrap_or_default();
        VendorDuration {
            calendar_seconds: m.calendar.map(|v| v.saturating_mul(60)),
            business_seconds: m.business.map(|v| v.saturating_mul(60)),
        }
    }
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

/// A via's channel as a via type. `channel` may be the via type (`"mail"`) or its via id
/// (`4`): the ids of the channels the model tells apart are translated.
fn via_type(via: Option<&Value>) -> Option<&str> {
    match via?.get("channel")? {
        Value::String(s) => Some(s.as_str()),
        Value::Number(n) => Some(match n.as_i64()? {
            0 => "web_form",
            4 => "mail",
            5 => "web_service",
            8 => "rule",
            17 => "dropbox",
            29 => "chat",
            30 => "twitter",
            33 => "voicemail",
            34 => "phone_call_inbound",
            35 => "phone_call_outbound",
            38 => "facebook_post",
            _ => return None,
        }),
        _ => None,
    }
}

/// Whether an event was made by a business rule (trigger or automation). Comments and the
/// audits carry a via object (`"channel": "rule"` or via id 8, `source.rel` "trigger" or
/// "automation"); the export's field-change children carry the via's name as a string.
fn via_is_rule(via: Option<&Value>) -> bool {
    match via {
        Some(Value::String(s)) => {
            let s = s.trim().to_ascii_lowercase();
            matches!(
                s.as_str(),
                "rule" | "trigger" | "automation" | "trigger, automation"
            )
        }
        other => via_type(other) == Some("rule"),
    }
}

/// `via.channel` onto the model's channels
/// (developer.zendesk.com/documentation/ticketing/reference-guides/via-types: a ticket's
/// channel is either the via type, e.g. `mail`, `web_service`, or the "ticket created by"
/// name, e.g. `email`, `api`).
pub(crate) fn map_channel(channel: Option<&str>) -> Channel {
    match channel.unwrap_or_default() {
        "email" | "mail" => Channel::Email,
        "web" | "web_form" | "web_widget" | "dropbox" => Channel::Web,
        "chat" | "native_messaging" | "messaging" | "chat_transcript" => Channel::Chat,
        "voice" | "phone_call_inbound" | "phone_call_outbound" | "voicemail" => Channel::Phone,
        "api" | "web_service" => Channel::Api,
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
        | "text_message"
        | "sms" => Channel::Social,
        _ => Channel::Other,
    }
}

/// A ticket of the tickets export and, when it carries a metric set, the vendor's own
/// figures for it (for `deskpulse reconcile`; never used by a KPI). A deleted ticket counts
/// nowhere, so it gets no vendor figures.
pub(crate) fn map_ticket(t: ZTicket) -> Result<Vec<Record>, String> {
    let raw_status = map_status(&t.status).map_err(|e| format!("ticket {}: {e}", t.id))?;
    let tags = t.tags.unwrap_or_default();
    // A merged (source) ticket is closed with the tag `closed_by_merge`.
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
    let external_id = t.id.to_string();
    let vendor = t
        .metric_set
        .as_ref()
        .filter(|_| raw_status != TicketStatus::Deleted)
        .map(|m| {
            let mut first_response = Minutes::seconds(m.reply_time_in_minutes);
            if let Some(secs) = m.reply_time_in_seconds.and_then(|s| s.calendar) {
                first_response.calendar_seconds = Some(secs);
            }
            Record::VendorMetrics(VendorMetrics {
                ticket_id: external_id.clone(),
                updated_at: t.updated_at,
                first_response,
                first_resolution: Minutes::seconds(m.first_resolution_time_in_minutes),
                full_resolution: Minutes::seconds(m.full_resolution_time_in_minutes),
                reopens: m.reopens,
                replies: m.replies,
            })
        });
    let mut out = vec![Record::Ticket(Ticket {
        external_id,
        channel: map_channel(via_type(t.via.as_ref())),
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
    })];
    out.extend(vendor);
    Ok(out)
}

/// A page of the time-based ticket events export.
#[derive(Deserialize)]
pub(crate) struct TicketEventsPage {
    pub(crate) ticket_events: Vec<TicketEvent>,
    pub(crate) end_time: Option<i64>,
    pub(crate) end_of_stream: bool,
}

/// One ticket update.
#[derive(Deserialize)]
pub(crate) struct TicketEvent {
    id: i64,
    ticket_id: i64,
    timestamp: Option<i64>,
    created_at: Option<DateTime<Utc>>,
    updater_id: Option<i64>,
    /// The update's via: a via name string in the export, an object in the audits. A child
    /// has its own via only "if it's different from the via object of the audit"
    /// (developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference).
    via: Option<Value>,
    #[serde(default)]
    child_events: Vec<Child>,
}

/// One child of a ticket update, as far as a fact needs it. The export names a changed field
/// by using it as a key, so the set of keys is open: the keys read here are kept as JSON
/// values (a `null` stays a present `null`, as in a plain map), and every other key (comment
/// bodies, attachments, other fields' values) is skipped without being allocated.
#[derive(Deserialize)]
struct Child {
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    event_type: Option<Value>,
    #[serde(default, rename = "type", deserialize_with = "present")]
    kind: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    via: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    public: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    author_id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    created_at: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    field_name: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    value: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    previous_value: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    status: Option<Value>,
}

/// A key that is there, `null` included (`Option<Value>` alone would read `null` as absent).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn status_value(
    v: Option<&Value>,
    what: &str,
    child: &str,
) -> Result<Option<TicketStatus>, String> {
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

/// A child's kind. Comments carry both `event_type` and `type`; the export's field changes
/// carry `event_type`, the audits' `type`; Zendesk's oldest documented export example
/// carries neither (a bare `{"via": …, "status": "solved"}`).
fn child_kind(c: &Child) -> &str {
    c.event_type
        .as_ref()
        .and_then(Value::as_str)
        .or_else(|| c.kind.as_ref().and_then(Value::as_str))
        .unwrap_or_default()
}

/// The new and previous status of a field-change child, in either layout:
/// the audits' `{"field_name": "status", "value": …, "previous_value": …}`, or the export's
/// `{"status": …, "previous_value": …}`. `None` when the child changes another field.
fn status_change_of(c: &Child) -> Option<(Option<&Value>, Option<&Value>)> {
    match &c.field_name {
        Some(field) if field.as_str() == Some("status") => {
            Some((c.value.as_ref(), c.previous_value.as_ref()))
        }
        Some(_) => None,
        None => c
            .status
            .as_ref()
            .map(|to| (Some(to), c.previous_value.as_ref())),
    }
}

/// Messages and status changes of one ticket update. Other child events (tags, priority,
/// notifications, satisfaction, …) are not facts the KPIs use.
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
    for c in &e.child_events {
        let kind = child_kind(c);
        let child_id = c.id.as_ref().and_then(Value::as_i64);
        let via = c.via.as_ref().or(e.via.as_ref());
        match kind {
            "Comment" => {
                let id = child_id.ok_or_else(|| {
                    format!("a comment event of ticket event {} has no `id`", e.id)
                })?;
                let public = c
                    .public
                    .as_ref()
                    .and_then(Value::as_bool)
                    .ok_or_else(|| format!("comment event {id} has no `public` flag"))?;
                let author_id = c.author_id.as_ref().and_then(Value::as_i64);
                let created_at = match &c.created_at {
                    None | Some(Value::Null) => at,
                    Some(v) => v
                        .as_str()
                        .and_then(|s| s.parse::<DateTime<Utc>>().ok())
                        .ok_or_else(|| {
                            format!("comment event {id}: `created_at` is not a timestamp: {v}")
                        })?,
                };
                // A rule's comment is an automated reply. The system user writes the replies
                // of AI agents on e-mail, web form and API tickets (public), and system notes
                // (internal).
                let author_kind = if via_is_rule(via) {
                    AuthorKind::Bot
                } else if author_id == Some(SYSTEM_USER) {
                    if public {
                        AuthorKind::Bot
                    } else {
                        AuthorKind::System
                    }
                } else {
                    AuthorKind::Unknown
                };
                out.push(Record::Message(Message {
                    external_id: id.to_string(),
                    ticket_id: ticket_id.clone(),
                    author_kind,
                    author_id: author_id.map(|a| a.to_string()),
                    public,
                    created_at,
                }));
            }
            "Create" | "Change" | "" => {
                let Some((to, from)) = status_change_of(c) else {
                    continue;
                };
                // One status change per update: the update's id names it when the child has
                // none (the oldest documented layout).
                let external_id = child_id
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| format!("{}-status", e.id));
                let Some(to) = status_value(to, "value", &external_id)? else {
                    return Err(format!("status event {external_id} has no new status"));
                };
                let from = if kind == "Create" {
                    None
                } else {
                    status_value(from, "previous_value", &external_id)?
                };
                // Automations act as the system user; triggers act within someone's update.
                let automated = e.updater_id == Some(SYSTEM_USER) || via_is_rule(via);
                out.push(Record::StatusChange(StatusChange {
                    external_id,
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

/// The timestamp an update is exported under (`timestamp`, else `created_at`).
pub(crate) fn event_second(e: &TicketEvent) -> Option<i64> {
    e.timestamp.or_else(|| e.created_at.map(|t| t.timestamp()))
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
    pub(crate) after_cursor: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ZRating {
    pub(crate) id: i64,
    score: String,
    ticket_id: Option<i64>,
    assignee_id: Option<i64>,
    comment: Option<String>,
    /// When the survey was offered (the rating record was created).
    created_at: DateTime<Utc>,
    /// When the rating last changed: the customer's answer, or a later change of it.
    updated_at: Option<DateTime<Utc>>,
}

impl ZRating {
    /// When the customer answered (or last changed the answer); an offered survey's
    /// `updated_at` is its offer time.
    pub(crate) fn answered_at(&self) -> DateTime<Utc> {
        self.updated_at
            .unwrap_or(self.created_at)
            .max(self.created_at)
    }
}

/// `good` → 1, `bad` → 0, dated when the customer answered (`updated_at`): a survey offered
/// on Friday and answered on Monday counts in Monday's week. An offered (or never offered)
/// survey is no response.
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
    let created_at = r.answered_at();
    Some(Record::Rating(Rating {
        external_id: r.id.to_string(),
        kind: RatingKind::Csat,
        score,
        scale: RatingScale::BINARY,
        ticket_id: r.ticket_id.map(|t| t.to_string()),
        agent_id: r.assignee_id.map(|a| a.to_string()),
        comment: r.comment.filter(|c| !c.trim().is_empty()),
        created_at,
    }))
}
