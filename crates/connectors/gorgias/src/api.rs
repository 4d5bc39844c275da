//! Gorgias's payloads, as documented (developers.gorgias.com: "The Ticket object", "The
//! TicketMessage object", "The SatisfactionSurvey object", "The User object", "Pagination"),
//! and their mapping onto the model. Only the fields the model needs are read: message
//! bodies, subjects and customer names are never deserialized.

use chrono::{DateTime, NaiveDateTime, Utc};
use deskpulse_connector::paginate::{CursorPage, More};
use deskpulse_model::{
    Agent, AuthorKind, Channel, Customer, Message, Rating, RatingKind, RatingScale, Record, Ticket,
    TicketStatus,
};
use serde::{Deserialize, Deserializer};

/// Gorgias writes UTC instants without an offset and with microseconds
/// (`2019-11-16T15:59:41.966927`); some payloads carry `+00:00` or `Z`. All are accepted.
pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Ok(t.with_timezone(&Utc));
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc());
        }
    }
    Err(format!("not an ISO-8601 time: {s:?}"))
}

/// The format bookmarks are written in: RFC 3339, UTC, microseconds.
pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn time<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    parse_time(&s).map_err(serde::de::Error::custom)
}

/// A missing, `null` or blank time is `None`. (A field of the payloads below that may be missing is
/// an `Option`: serde's derive reads a missing `Option` as `None`, except through
/// `deserialize_with`, which is why only the time fields say `default`.)
fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse_time(&s).map(Some).map_err(serde::de::Error::custom),
    }
}

/// A page of any list endpoint: `{"object": "list", "uri": …, "data": […], "meta":
/// {"prev_cursor": …, "next_cursor": …}}`. `data` and `meta` are required: a page without
/// them cannot be followed.
#[derive(Deserialize)]
pub(crate) struct ListPage<T> {
    pub(crate) data: Vec<T>,
    pub(crate) meta: ListMeta,
}

#[derive(Deserialize)]
pub(crate) struct ListMeta {
    /// `null` on the last page: Gorgias's end-of-stream signal.
    pub(crate) next_cursor: Option<String>,
}

impl<T> ListPage<T> {
    /// The page as the SDK's cursor paginator takes it: more pages while `next_cursor` is set.
    pub(crate) fn into_cursor_page(self) -> CursorPage<T> {
        CursorPage {
            items: self.data,
            next: self.meta.next_cursor,
            more: More::IfNext,
        }
    }
}

/// An item of a data feed: its stream and list endpoint, the field the feed is ordered by
/// (newest first) and that field's value, and its records.
pub(crate) trait FeedItem: serde::de::DeserializeOwned + Send + 'static {
    const STREAM: &'static str;
    const PATH: &'static str;
    /// The `order_by` field (asked `:desc`).
    const ORDER_FIELD: &'static str;
    fn feed_time(&self) -> DateTime<Utc>;
    fn map(self) -> Result<Vec<Record>, String>;
}

/// `feed_item!(Type, stream, path, order_field, mapping)`: the order field is named once,
/// as the `order_by` value and as the struct field read for the bookmark.
macro_rules! feed_item {
    ($t:ty, $stream:literal, $path:literal, $field:ident, $map:ident) => {
        impl FeedItem for $t {
            const STREAM: &'static str = $stream;
            const PATH: &'static str = $path;
            const ORDER_FIELD: &'static str = stringify!($field);
            fn feed_time(&self) -> DateTime<Utc> {
                self.$field
            }
            fn map(self) -> Result<Vec<Record>, String> {
                $map(self)
            }
        }
    };
}

#[derive(Deserialize)]
pub(crate) struct IdRef {
    pub(crate) id: i64,
}

impl IdRef {
    /// The id of the object, else the flat id newer payloads carry next to (or instead of) it.
    fn either(object: &Option<IdRef>, flat: Option<i64>) -> Option<String> {
        object
            .as_ref()
            .map(|o| o.id)
            .or(flat)
            .map(|id| id.to_string())
    }
}

#[derive(Deserialize)]
pub(crate) struct CustomerRef {
    id: i64,
    email: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Tag {
    name: String,
}

#[derive(Deserialize)]
pub(crate) struct GTicket {
    id: i64,
    status: String,
    channel: Option<String>,
    from_agent: Option<bool>,
    spam: Option<bool>,
    priority: Option<String>,
    customer: Option<CustomerRef>,
    assignee_user: Option<IdRef>,
    assignee_team: Option<IdRef>,
    /// Newer payloads also carry the ids flat.
    assignee_user_id: Option<i64>,
    assignee_team_id: Option<i64>,
    tags: Option<Vec<Tag>>,
    #[serde(deserialize_with = "time")]
    created_datetime: DateTime<Utc>,
    #[serde(deserialize_with = "time")]
    updated_datetime: DateTime<Utc>,
    #[serde(default, deserialize_with = "opt_time")]
    closed_datetime: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_time")]
    snooze_datetime: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_time")]
    trashed_datetime: Option<DateTime<Utc>>,
}

feed_item!(
    GTicket,
    "tickets",
    "/api/tickets",
    updated_datetime,
    map_ticket
);

/// `status` (`open` / `closed`), `spam`, `trashed_datetime` and `snooze_datetime` onto the
/// model's status. Spam and trash win over the status; a closed ticket snoozed until after
/// its last update is on hold (it comes back by itself), not solved.
pub(crate) fn map_status(t: &GTicket) -> Result<TicketStatus, String> {
    if t.spam == Some(true) {
        return Ok(TicketStatus::Spam);
    }
    if t.trashed_datetime.is_some() {
        return Ok(TicketStatus::Deleted);
    }
    Ok(match t.status.as_str() {
        "open" => TicketStatus::Open,
        "closed" if t.snooze_datetime.is_some_and(|s| s > t.updated_datetime) => {
            TicketStatus::OnHold
        }
        "closed" => TicketStatus::Closed,
        other => return Err(format!("ticket {}: unknown status {other:?}", t.id)),
    })
}

/// Gorgias's channel slugs onto the model's channels.
pub(crate) fn map_channel(channel: Option<&str>) -> Channel {
    match channel.unwrap_or_default() {
        "email" => Channel::Email,
        "chat" => Channel::Chat,
        "phone" | "aircall" => Channel::Phone,
        "api" => Channel::Api,
        "contact_form" | "contact-form" | "help-center" | "self_service" | "self-service" => {
            Channel::Web
        }
        "sms"
        | "whatsapp"
        | "facebook"
        | "facebook-mention"
        | "facebook-messenger"
        | "facebook-recommendations"
        | "instagram-ad-comment"
        | "instagram-comment"
        | "instagram-direct-message"
        | "instagram-mention"
        | "twitter"
        | "twitter-direct-message"
        | "tiktok-shop"
        | "google-business-messages"
        | "yotpo-review" => Channel::Social,
        _ => Channel::Other,
    }
}

/// A ticket, and its requester as a customer (id and e-mail address only: storage keeps the
/// address as a keyed hash; the name is never read).
pub(crate) fn map_ticket(t: GTicket) -> Result<Vec<Record>, String> {
    let status = map_status(&t)?;
    let mut out = Vec::with_capacity(2);
    if let Some(c) = &t.customer {
        out.push(Record::Customer(Customer {
            external_id: c.id.to_string(),
            email: c.email.clone().filter(|e| !e.trim().is_empty()),
        }));
    }
    let final_solved_at = if status.is_solved() {
        t.closed_datetime
    } else {
        None
    };
    out.push(Record::Ticket(Ticket {
        external_id: t.id.to_string(),
        channel: map_channel(t.channel.as_deref()),
        status,
        created_at: t.created_datetime,
        updated_at: t.updated_datetime,
        // The list gives only the last close; no status history (see the crate docs).
        first_solved_at: None,
        final_solved_at,
        reopens: None,
        // "Whether the first message of the ticket was sent by your company to a customer."
        opened_by_agent: t.from_agent,
        requester_id: t.customer.as_ref().map(|c| c.id.to_string()),
        assignee_id: IdRef::either(&t.assignee_user, t.assignee_user_id),
        group_id: IdRef::either(&t.assignee_team, t.assignee_team_id),
        tags: t
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|tag| tag.name)
            .collect(),
        priority: t.priority.filter(|p| !p.trim().is_empty()),
    }));
    Ok(out)
}

#[derive(Deserialize)]
pub(crate) struct GMessage {
    id: i64,
    ticket_id: i64,
    public: bool,
    from_agent: bool,
    channel: Option<String>,
    via: Option<String>,
    sender: Option<IdRef>,
    rule_id: Option<i64>,
    #[serde(deserialize_with = "time")]
    created_datetime: DateTime<Utc>,
    #[serde(default, deserialize_with = "opt_time")]
    sent_datetime: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_time")]
    failed_datetime: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_time")]
    deleted_datetime: Option<DateTime<Utc>>,
}

feed_item!(
    GMessage,
    "messages",
    "/api/messages",
    created_datetime,
    map_message
);

/// Who wrote a message: `from_agent: false` is the customer; `from_agent: true` is the
/// company — a bot when a rule sent it (`rule_id`, or `via` naming a rule or an automation),
/// else the agent `sender` (who becomes a bot at report time if that user is a bot account).
pub(crate) fn author_kind(m: &GMessage) -> AuthorKind {
    if !m.from_agent {
        return AuthorKind::Customer;
    }
    let automated_via = matches!(
        m.via.as_deref(),
        Some("rule" | "ai-agent" | "ai_agent" | "automation" | "self_service" | "self-service")
    );
    if m.rule_id.is_some() || automated_via {
        AuthorKind::Bot
    } else {
        AuthorKind::Agent
    }
}

/// A message, never its body. Deleted messages and messages that failed and were never sent
/// are not part of the conversation: skipped. Internal notes (`public: false`) are kept as
/// internal.
pub(crate) fn map_message(m: GMessage) -> Result<Vec<Record>, String> {
    if m.deleted_datetime.is_some() || (m.failed_datetime.is_some() && m.sent_datetime.is_none()) {
        return Ok(Vec::new());
    }
    let public = m.public && m.channel.as_deref() != Some("internal-note");
    Ok(vec![Record::Message(Message {
        external_id: m.id.to_string(),
        ticket_id: m.ticket_id.to_string(),
        author_kind: author_kind(&m),
        author_id: m.sender.as_ref().map(|s| s.id.to_string()),
        public,
        created_at: m.created_datetime,
    })])
}

#[derive(Deserialize)]
pub(crate) struct GSurvey {
    id: i64,
    ticket_id: Option<i64>,
    score: Option<f64>,
    body_text: Option<String>,
    #[serde(deserialize_with = "time")]
    created_datetime: DateTime<Utc>,
    #[serde(default, deserialize_with = "opt_time")]
    scored_datetime: Option<DateTime<Utc>>,
}

feed_item!(
    GSurvey,
    "satisfaction_surveys",
    "/api/satisfaction-surveys",
    created_datetime,
    map_survey
);

/// A scored survey is a CSAT answer on 1–5, dated when it was scored; a survey not (yet)
/// scored is no response and yields nothing.
pub(crate) fn map_survey(s: GSurvey) -> Result<Vec<Record>, String> {
    let Some(score) = s.score else {
        return Ok(Vec::new());
    };
    if !(1.0..=5.0).contains(&score) {
        tracing::warn!(
            survey = s.id,
            score,
            "skipping a satisfaction survey with a score outside 1–5"
        );
        return Ok(Vec::new());
    }
    Ok(vec![Record::Rating(Rating {
        external_id: s.id.to_string(),
        kind: RatingKind::Csat,
        score,
        scale: RatingScale::ONE_TO_FIVE,
        ticket_id: s.ticket_id.map(|t| t.to_string()),
        // Surveys name no agent; per-agent CSAT goes through the ticket's assignee.
        agent_id: None,
        comment: s.body_text.filter(|c| !c.trim().is_empty()),
        created_at: s.scored_datetime.unwrap_or(s.created_datetime),
    })])
}

#[derive(Deserialize)]
pub(crate) struct GUser {
    id: i64,
    name: Option<String>,
    firstname: Option<String>,
    lastname: Option<String>,
    role: Option<Role>,
}

#[derive(Deserialize)]
struct Role {
    name: Option<String>,
}

/// Users are the helpdesk's team (customers live under `/api/customers`): each is an agent,
/// a bot when its role says so (`bot`, or a role naming an AI agent).
pub(crate) fn map_user(u: GUser) -> Result<Vec<Record>, String> {
    let role = u
        .role
        .and_then(|r| r.name)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let is_bot = role == "bot" || role.contains("ai-agent") || role.contains("ai_agent");
    let name = match u.name.filter(|n| !n.trim().is_empty()) {
        Some(n) => n,
        None => [u.firstname, u.lastname]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    };
    Ok(vec![Record::Agent(Agent {
        external_id: u.id.to_string(),
        name,
        is_bot,
    })])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_time_form() {
        let want = DateTime::parse_from_rfc3339("2019-11-16T15:59:41.966927Z").unwrap();
        for s in [
            "2019-11-16T15:59:41.966927",
            "2019-11-16T15:59:41.966927+00:00",
            "2019-11-16 15:59:41.966927+00:00",
            "2019-11-16T15:59:41.966927Z",
        ] {
            assert_eq!(parse_time(s).unwrap(), want, "{s}");
        }
        assert_eq!(
            parse_time("2019-11-16T15:59:41+00:00").unwrap(),
            DateTime::parse_from_rfc3339("2019-11-16T15:59:41Z").unwrap()
        );
        assert_eq!(
            parse_time("2019-11-16T17:59:41.5+02:00").unwrap(),
            DateTime::parse_from_rfc3339("2019-11-16T15:59:41.5Z").unwrap()
        );
        assert!(parse_time("yesterday").is_err());
        let t = parse_time("2019-11-16T15:59:41.966927").unwrap();
        assert_eq!(parse_time(&format_time(t)).unwrap(), t);
    }
}
