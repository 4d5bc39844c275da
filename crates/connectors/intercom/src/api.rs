//! Intercom's payloads and their mapping onto the model.
//!
//! Shapes follow Intercom's OpenAPI description (2.14 examples: `POST /conversations/search`,
//! `GET /conversations/{id}`, `GET /admins`) and Airbyte's recorded records of a real
//! workspace. Only the fields the model needs are read: of a part's body only whether it has
//! one (a state change that carries a message is a message too; the text is never kept),
//! and of a customer only the id and the e-mail address of a conversation's opener (which
//! storage keeps as a keyed hash) — never a name.
//!
//! Each conversation read gives its `Ticket`, the vendor's own figures (`VendorMetrics`,
//! from `statistics`) and exactly one `StatusHistory`: the whole history synthesized from
//! the parts, or an empty one when the parts cannot tell it (then the ticket's solve fields,
//! also from `statistics`, count). Not read: `ai_agent_participated` and `ai_agent` (the model
//! keeps no per-ticket AI flag; Fin's parts are told by their author's `from_ai_agent` /
//! `is_ai_answer`) and the parts' `state` (2.14 only).

use chrono::{DateTime, Utc};
use deskpulse_model::{
    Agent, AuthorKind, Channel, Customer, Message, Rating, RatingKind, RatingScale, Record,
    StatusChange, StatusHistory, Ticket, TicketStatus, VendorDuration, VendorMetrics,
};
use serde::{Deserialize, Deserializer};

/// An id that Intercom sends as a string (`"7288120839"`) or as a number (part ids in the
/// OpenAPI examples, `admin_assignee_id`, `team_assignee_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Id(pub(crate) String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            I(i64),
            U(u64),
        }
        Ok(Id(match Raw::deserialize(d)? {
            Raw::S(s) => s,
            Raw::I(i) => i.to_string(),
            Raw::U(u) => u.to_string(),
        }))
    }
}

/// The id, unless it is empty (Intercom sends `""` or `0` for "nobody" in a few places).
fn id_of(id: Option<&Id>) -> Option<String> {
    id.map(|i| i.0.trim())
        .filter(|s| !s.is_empty() && *s != "0")
        .map(str::to_owned)
}

/// Unix seconds → UTC.
pub(crate) fn ts(secs: i64, what: &str) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("`{what}` {secs} is not a time"))
}

/// An optional time: absent, `null` or `0` (Intercom's "not yet") is none; a value no time
/// can have is an error, never silently none.
fn ts_opt(secs: Option<i64>, what: &str) -> Result<Option<DateTime<Utc>>, String> {
    match secs.filter(|s| *s > 0) {
        None => Ok(None),
        Some(s) => ts(s, what).map(Some),
    }
}

/// A required id: Intercom's ids are never blank, and storage refuses an empty one.
fn required_id(id: &Id, what: &str) -> Result<String, String> {
    if id.0.trim().is_empty() {
        return Err(format!("{what} has an empty `id`"));
    }
    Ok(id.0.clone())
}

// ---------------------------------------------------------------------------------------
// Admins
// ---------------------------------------------------------------------------------------

/// `GET /admins`: `{"type": "admin.list", "admins": [...]}` (not paged).
#[derive(Deserialize)]
pub(crate) struct AdminList {
    pub(crate) admins: Vec<Admin>,
}

#[derive(Deserialize)]
pub(crate) struct Admin {
    id: Id,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// Intercom's own bot teammates ("Operator", "Fin") are listed among the admins with an
/// `operator+…@intercom.io` address (seen in Airbyte's recorded admins and the OpenAPI
/// examples): they are bots, so their replies never count as human replies.
fn is_intercom_bot(email: Option<&str>) -> bool {
    email.is_some_and(|e| {
        let e = e.trim().to_ascii_lowercase();
        e.starts_with("operator+") && e.ends_with("@intercom.io")
    })
}

pub(crate) fn map_admin(a: Admin) -> Result<Record, String> {
    Ok(Record::Agent(Agent {
        is_bot: is_intercom_bot(a.email.as_deref()),
        external_id: required_id(&a.id, "an admin")?,
        name: a.name.unwrap_or_default(),
    }))
}

// ---------------------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------------------

/// A page of `POST /conversations/search`:
/// `{"type": "conversation.list", "pages": {"type": "pages", "page", "per_page",
/// "total_pages", "next": {"per_page", "starting_after"}}, "total_count", "conversations"}`
/// (OpenAPI `cursor_pages`; the pagination guide's example has `"next": {"page",
/// "starting_after"}` and a string `per_page`: only `starting_after` is read). `pages.next`
/// is absent on the last page. The roster sweep reads the same search (sorted by
/// `created_at`) as a `SearchPage<RosterItem>`: the search has no field selection, so whole
/// conversations come back and only their ids are read.
#[derive(Deserialize)]
pub(crate) struct SearchPage<T = Conversation> {
    pub(crate) conversations: Vec<T>,
    pub(crate) pages: Pages,
}

#[derive(Deserialize)]
pub(crate) struct Pages {
    #[serde(default)]
    pub(crate) next: Option<NextPage>,
}

#[derive(Deserialize)]
pub(crate) struct NextPage {
    #[serde(default)]
    pub(crate) starting_after: Option<String>,
}

/// A conversation of the roster sweep: its id only.
#[derive(Deserialize)]
pub(crate) struct RosterItem {
    pub(crate) id: Id,
}

/// A conversation, as the search returns it (without parts) and as
/// `GET /conversations/{id}` returns it (with `conversation_parts`).
#[derive(Deserialize)]
pub(crate) struct Conversation {
    pub(crate) id: Id,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    open: Option<bool>,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    contacts: Option<Contacts>,
    #[serde(default)]
    admin_assignee_id: Option<Id>,
    #[serde(default)]
    team_assignee_id: Option<Id>,
    /// Older API versions: `{"type": "admin", "id": …}`.
    #[serde(default)]
    assignee: Option<Ref>,
    #[serde(default)]
    tags: Option<Tags>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    statistics: Option<Statistics>,
    #[serde(default)]
    conversation_rating: Option<ConversationRating>,
    #[serde(default)]
    pub(crate) conversation_parts: Option<PartList>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    delivered_as: Option<String>,
    #[serde(default)]
    author: Option<Author>,
}

#[derive(Deserialize)]
pub(crate) struct Author {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: Option<Id>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    from_ai_agent: Option<bool>,
    #[serde(default)]
    is_ai_answer: Option<bool>,
}

#[derive(Deserialize)]
struct Ref {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: Option<Id>,
}

impl Ref {
    /// The id when the reference is a teammate: `type` `admin`, or no type at all (older
    /// versions' `assignee`).
    fn admin_id(&self) -> Option<String> {
        if self.kind.as_deref().is_some_and(|k| k != "admin") {
            return None;
        }
        id_of(self.id.as_ref())
    }
}

/// The lists inside `contacts`, `tags` and `conversation_parts` are required: an object
/// without its list is a broken page, not an empty list.
#[derive(Deserialize)]
struct Contacts {
    contacts: Vec<Ref>,
}

#[derive(Deserialize)]
struct Tags {
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
struct Tag {
    name: String,
}

/// `statistics` (OpenAPI `conversation_statistics`; `null` until Intercom computed them).
/// The `*_at` times are unix seconds; per Intercom's "Reporting metrics for REST API and
/// CSV exports" article they are all taken *after* `first_contact_reply_at`, and
/// `first_admin_reply_at` is the first visible reply of a teammate; the article excludes only
/// the rule-based bot (Operator) and Facebook and GitHub bots, so Fin's answers count.
/// The `time_to_*` durations "subtract out of business hours" (the workspace's office hours)
/// and run from `first_contact_reply_at`.
#[derive(Deserialize)]
struct Statistics {
    #[serde(default)]
    first_contact_reply_at: Option<i64>,
    #[serde(default)]
    first_admin_reply_at: Option<i64>,
    #[serde(default)]
    first_close_at: Option<i64>,
    #[serde(default)]
    last_close_at: Option<i64>,
    #[serde(default)]
    time_to_admin_reply: Option<i64>,
    #[serde(default)]
    time_to_first_close: Option<i64>,
    #[serde(default)]
    time_to_last_close: Option<i64>,
    #[serde(default)]
    count_reopens: Option<u32>,
}

/// `conversation_rating`: `created_at` is documented as the time the rating was *requested*,
/// `updated_at` (2.12+) as the time it was last updated, i.e. answered or changed.
#[derive(Deserialize)]
struct ConversationRating {
    #[serde(default)]
    rating: Option<f64>,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    updated_at: Option<i64>,
    /// A `reference` (`{type, id}`): the teammate rated, when `type` is `admin`.
    #[serde(default)]
    teammate: Option<Ref>,
}

#[derive(Deserialize)]
pub(crate) struct PartList {
    pub(crate) conversation_parts: Vec<Part>,
    #[serde(default)]
    pub(crate) total_count: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct Part {
    id: Id,
    part_type: String,
    created_at: i64,
    #[serde(default)]
    author: Option<Author>,
    /// Whether the part carries a message (`body` non-empty); the text itself is dropped
    /// as soon as it is read.
    #[serde(default, rename = "body", deserialize_with = "has_text")]
    has_body: bool,
}

fn has_text<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<String>::deserialize(d)?.is_some_and(|s| !s.trim().is_empty()))
}

/// Intercom returns at most this many parts, the most recent ones (`GET
/// /conversations/{id}`: "Hard limit of 500 parts").
const MAX_PARTS: usize = 500;

/// `state` onto the model. Intercom has no pending/on-hold: a snoozed conversation waits
/// for a time (or the customer), like a pending ticket. `closed` can be reopened (by a
/// customer's reply or a teammate), so it is `solved`, not the final `closed`.
pub(crate) fn map_state(state: Option<&str>, open: Option<bool>) -> Result<TicketStatus, String> {
    Ok(match (state, open) {
        (Some("open"), _) => TicketStatus::Open,
        (Some("snoozed"), _) => TicketStatus::Pending,
        (Some("closed"), _) => TicketStatus::Solved,
        (Some(other), _) => return Err(format!("unknown conversation state {other:?}")),
        (None, Some(true)) => TicketStatus::Open,
        (None, Some(false)) => TicketStatus::Solved,
        (None, None) => return Err("neither `state` nor `open`".into()),
    })
}

/// `source.type` onto the model's channels (the search's documented values: conversation,
/// email, facebook, instagram, phone_call, phone_switch, push, sms, twitter, whatsapp).
pub(crate) fn map_channel(source_type: Option<&str>) -> Channel {
    match source_type.unwrap_or_default() {
        // The Messenger.
        "conversation" | "chat" => Channel::Chat,
        "email" => Channel::Email,
        "phone_call" | "phone_switch" | "call" => Channel::Phone,
        "facebook" | "instagram" | "twitter" | "whatsapp" | "sms" => Channel::Social,
        "api" => Channel::Api,
        _ => Channel::Other,
    }
}

/// `author.type` onto the model: user, lead and contact are customers; admin is an agent
/// (an admin that is really one of Intercom's bots is resolved through its `Agent` record,
/// see [`map_admin`]); bot is a bot, and so is any part marked `from_ai_agent` or
/// `is_ai_answer` (Fin); team is a message sent as the team by a workflow or campaign.
/// No author (or an unknown type) stays `Unknown`, resolved against the agents later.
pub(crate) fn author_kind(a: Option<&Author>) -> AuthorKind {
    let Some(a) = a else {
        return AuthorKind::Unknown;
    };
    if a.from_ai_agent == Some(true) || a.is_ai_answer == Some(true) {
        return AuthorKind::Bot;
    }
    match a.kind.as_deref() {
        Some("user" | "lead" | "contact") => AuthorKind::Customer,
        Some("admin") => AuthorKind::Agent,
        Some("bot" | "team") => AuthorKind::Bot,
        _ => AuthorKind::Unknown,
    }
}

/// `source.delivered_as`: who started the conversation.
fn opened_by_agent(delivered_as: Option<&str>) -> Option<bool> {
    match delivered_as? {
        "customer_initiated" => Some(false),
        "admin_initiated" | "campaigns_initiated" | "operator_initiated" | "automated" => {
            Some(true)
        }
        _ => None,
    }
}

/// What a part does to the conversation's state, if anything.
fn part_status(part_type: &str) -> Option<TicketStatus> {
    Some(match part_type {
        "close" => TicketStatus::Solved,
        "open"
        | "note_and_reopen"
        | "assign_and_reopen"
        | "unsnoozed"
        | "timer_unsnooze"
        | "assign_and_unsnooze" => TicketStatus::Open,
        "snoozed" => TicketStatus::Pending,
        _ => return None,
    })
}

/// Whether a part is a message, and whether it is public. Notes are internal. A state
/// change can carry a message too: OpenAPI 2.14's examples show an admin closing with
/// `"body": "<p>Goodbye :)</p>"` (`close`; the close request's body is "a message ... to
/// provide additional context to the user") and a customer's reply to a closed
/// conversation recorded as an `open` part with the reply as its body. An assignment's
/// optional body "appears as note" (Intercom API 1.0 reference, assigning a conversation).
fn part_message(part_type: &str, has_body: bool) -> Option<bool> {
    match part_type {
        "comment" | "quick_reply" => Some(true),
        "note" | "note_and_reopen" => Some(false),
        "open" | "close" if has_body => Some(true),
        "assignment" | "assign_and_reopen" | "assign_and_unsnooze" if has_body => Some(false),
        _ => None,
    }
}

/// Maps one conversation. `deleted` when `GET /conversations/{id}` answered 404 (it was
/// found by the search, then deleted): the ticket is kept with status `deleted`.
///
/// Gives, in order: the customers, the ticket, its [`VendorMetrics`], its rating, its
/// messages, and exactly one [`StatusHistory`].
pub(crate) fn map_conversation(c: Conversation, deleted: bool) -> Result<Vec<Record>, String> {
    let conv_id = required_id(&c.id, "a conversation")?;
    let ctx = |e: String| format!("conversation {conv_id}: {e}");
    let state = map_state(c.state.as_deref(), c.open).map_err(ctx)?;
    let created_at = ts(c.created_at, "created_at").map_err(ctx)?;
    let updated_at = ts(c.updated_at, "updated_at").map_err(ctx)?;
    let source = c.source.as_ref();
    let opener = source.and_then(|s| s.author.as_ref());
    let opener_is_customer = author_kind(opener) == AuthorKind::Customer;

    let mut out = Vec::new();

    // Customers: ids only, plus the opener's e-mail (hashed by storage). Never names.
    let mut customer_ids: Vec<String> = Vec::new();
    if opener_is_customer && let Some(id) = id_of(opener.and_then(|a| a.id.as_ref())) {
        out.push(Record::Customer(Customer {
            external_id: id.clone(),
            email: opener
                .and_then(|a| a.email.as_deref())
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
        }));
        customer_ids.push(id);
    }
    for contact in c.contacts.iter().flat_map(|l| &l.contacts) {
        if let Some(id) = id_of(contact.id.as_ref())
            && !customer_ids.contains(&id)
        {
            out.push(Record::Customer(Customer {
                external_id: id.clone(),
                email: None,
            }));
            customer_ids.push(id);
        }
    }

    let stats = c.statistics.as_ref();
    let solved_now = state.is_solved();
    let assignee_id =
        id_of(c.admin_assignee_id.as_ref()).or_else(|| c.assignee.as_ref()?.admin_id());
    out.push(Record::Ticket(Ticket {
        external_id: conv_id.clone(),
        channel: map_channel(source.and_then(|s| s.kind.as_deref())),
        status: if deleted {
            TicketStatus::Deleted
        } else {
            state
        },
        created_at,
        updated_at,
        // Fallbacks: the status history from the parts wins where there is one.
        first_solved_at: ts_opt(
            stats.and_then(|s| s.first_close_at),
            "statistics.first_close_at",
        )
        .map_err(ctx)?,
        final_solved_at: ts_opt(
            stats.and_then(|s| s.last_close_at),
            "statistics.last_close_at",
        )
        .map_err(ctx)?
        .filter(|_| solved_now),
        reopens: stats.and_then(|s| s.count_reopens),
        opened_by_agent: opened_by_agent(source.and_then(|s| s.delivered_as.as_deref())),
        requester_id: customer_ids.first().cloned(),
        assignee_id: assignee_id.clone(),
        group_id: id_of(c.team_assignee_id.as_ref()),
        tags: c
            .tags
            .map(|t| t.tags.into_iter().map(|t| t.name).collect())
            .unwrap_or_default(),
        priority: c.priority.filter(|p| p == "priority"),
    }));
    out.push(Record::VendorMetrics(
        vendor_metrics(&conv_id, c.created_at, updated_at, stats, solved_now).map_err(ctx)?,
    ));

    // The rating: 1–5; a survey sent but not answered has no `rating` and is no response.
    if let Some(r) = c.conversation_rating
        && let Some(score) = r.rating
    {
        if !(1.0..=5.0).contains(&score) {
            return Err(ctx(format!("conversation_rating {score} is not 1–5")));
        }
        // `created_at` is when the rating was *requested*. The part that records the
        // customer's answer dates the response when the parts include it; else the rating's
        // `updated_at` (its last change: the answer, or a remark added to it).
        let answered = c.conversation_parts.as_ref().and_then(|l| {
            l.conversation_parts
                .iter()
                .filter(|p| p.part_type == "conversation_rating_changed")
                .map(|p| p.created_at)
                .max()
        });
        let at = answered
            .or(r.updated_at.filter(|t| *t > 0))
            .or(r.created_at)
            .ok_or_else(
                || ctx("conversation_rating has a rating but no `created_at`".to_owned()),
            )?;
        // The teammate is a `reference`: only an admin is an agent (the 2.11 reference's
        // example shows `{"type": "contact", ...}` there); otherwise the assignee is.
        let teammate = r.teammate.as_ref().and_then(Ref::admin_id);
        out.push(Record::Rating(Rating {
            external_id: conv_id.clone(),
            kind: RatingKind::Csat,
            score,
            scale: RatingScale::ONE_TO_FIVE,
            ticket_id: Some(conv_id.clone()),
            agent_id: teammate.or(assignee_id),
            comment: r.remark.filter(|s| !s.trim().is_empty()),
            created_at: ts(at, "conversation_rating.created_at").map_err(ctx)?,
        }));
    }

    let history = |changes: Vec<StatusChange>| {
        Record::StatusHistory(StatusHistory {
            ticket_id: conv_id.clone(),
            changes,
        })
    };
    if deleted {
        out.push(history(Vec::new()));
        return Ok(out);
    }

    // The opening message (the conversation's `source`): never a reply, whoever wrote it.
    if let Some(s) = source {
        out.push(Record::Message(Message {
            external_id: format!("{conv_id}-source"),
            ticket_id: conv_id.clone(),
            author_kind: author_kind(s.author.as_ref()),
            author_id: id_of(s.author.as_ref().and_then(|a| a.id.as_ref())),
            public: true,
            created_at,
        }));
    }

    let Some(list) = c.conversation_parts else {
        out.push(history(Vec::new()));
        return Ok(out);
    };
    // Intercom returns at most the 500 most recent parts. A truncated history would give
    // wrong solve times: then the statistics above are used instead.
    let complete = match list.total_count {
        Some(n) => n <= list.conversation_parts.len() as u64,
        None => list.conversation_parts.len() < MAX_PARTS,
    };
    let mut parts = list.conversation_parts;
    parts.sort_by_key(|p| p.created_at);
    let mut changes = Vec::new();
    let mut solved = false;
    for p in parts {
        let at = ts(p.created_at, "conversation_parts[].created_at").map_err(ctx)?;
        let kind = author_kind(p.author.as_ref());
        let author_id = id_of(p.author.as_ref().and_then(|a| a.id.as_ref()));
        let status = part_status(&p.part_type);
        let message = part_message(&p.part_type, p.has_body);
        // Only a part that becomes a record needs its id.
        let part_id = if message.is_some() || status.is_some() {
            required_id(&p.id, "a conversation part").map_err(ctx)?
        } else {
            String::new()
        };
        if let Some(public) = message {
            out.push(Record::Message(Message {
                external_id: part_id.clone(),
                ticket_id: conv_id.clone(),
                author_kind: kind,
                author_id: author_id.clone(),
                public,
                created_at: at,
            }));
            // A customer's reply reopens a closed conversation; recorded as a `comment`
            // (rather than an `open` part, which is its own change) it has no change of its
            // own, so one is made.
            if solved && status.is_none() && kind == AuthorKind::Customer && public {
                changes.push(StatusChange {
                    external_id: format!("{part_id}-reopen"),
                    ticket_id: conv_id.clone(),
                    from: Some(TicketStatus::Solved),
                    to: TicketStatus::Open,
                    author_kind: kind,
                    author_id: author_id.clone(),
                    at,
                });
                solved = false;
            }
        }
        if let Some(to) = status {
            changes.push(StatusChange {
                external_id: part_id,
                ticket_id: conv_id.clone(),
                from: None,
                to,
                author_kind: kind,
                author_id,
                at,
            });
            solved = to.is_solved();
        }
    }
    // History that ends in another state than the conversation's is incomplete (parts cut
    // off, or a close without a part): the statistics are the better source then, and the
    // empty history clears what an earlier read stored.
    if complete && solved == solved_now {
        out.push(history(changes));
    } else {
        if !changes.is_empty() {
            tracing::debug!(
                conversation = %conv_id,
                complete,
                "status history from parts dropped; using the conversation's statistics"
            );
        }
        out.push(history(Vec::new()));
    }
    Ok(out)
}

/// The conversation's `statistics` as the vendor's own figures, in seconds after its
/// creation.
///
/// Calendar seconds come from the timestamps (`first_admin_reply_at`, `first_close_at`,
/// `last_close_at` minus `created_at`). Business seconds come from the `time_to_*`
/// durations, which subtract out-of-office hours but start at `first_contact_reply_at`, not
/// at the creation: they are kept only where the two coincide (the customer opened the
/// conversation). For an outbound conversation they measure from the customer's first
/// answer, which is not a figure of the same kind, so business stays `None` there. The
/// latest solve counts only while the conversation is closed. `replies` stays `None`: the
/// statistics count all parts (`count_conversation_parts`), not the teammates' replies.
fn vendor_metrics(
    conv_id: &str,
    created_at: i64,
    updated_at: DateTime<Utc>,
    stats: Option<&Statistics>,
    solved_now: bool,
) -> Result<VendorMetrics, String> {
    let mut out = VendorMetrics {
        ticket_id: conv_id.to_owned(),
        updated_at,
        first_response: VendorDuration::NONE,
        first_resolution: VendorDuration::NONE,
        full_resolution: VendorDuration::NONE,
        reopens: None,
        replies: None,
    };
    let Some(s) = stats else {
        return Ok(out);
    };
    let from_creation = s.first_contact_reply_at == Some(created_at);
    let duration = |what: &str, at: Option<i64>, office_hours: Option<i64>| {
        // A time no instant can have is an error (and the difference cannot overflow).
        let calendar = ts_opt(at, &format!("statistics.{what}"))?
            .map(|t| t.timestamp().saturating_sub(created_at));
        let business = office_hours.filter(|_| from_creation);
        let valid = |v: Option<i64>, field: &str| match v {
            Some(n) if n < 0 => {
                tracing::warn!(conversation = %conv_id, field, value = n, "statistics before the conversation's creation: left out");
                None
            }
            v => v,
        };
        Ok::<_, String>(VendorDuration {
            calendar_seconds: valid(calendar, what),
            business_seconds: valid(business, what),
        })
    };
    out.first_response = duration(
        "first_admin_reply_at",
        s.first_admin_reply_at,
        s.time_to_admin_reply,
    )?;
    out.first_resolution = duration("first_close_at", s.first_close_at, s.time_to_first_close)?;
    if solved_now {
        out.full_resolution = duration("last_close_at", s.last_close_at, s.time_to_last_close)?;
    }
    out.reopens = s.count_reopens;
    Ok(out)
}
