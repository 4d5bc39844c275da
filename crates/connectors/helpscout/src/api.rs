//! Help Scout's Mailbox API 2.0 payloads, as documented (HAL pages, conversations with
//! embedded threads, users), and their mapping onto the model. Only the fields the model
//! needs are read: thread bodies, subjects, previews and customer names are never
//! deserialized.

use chrono::{DateTime, Utc};
use deskpulse_model::{
    Agent, AuthorKind, Channel, Customer, Message, Rating, RatingKind, RatingScale, Record,
    StatusChange, StatusHistory, Ticket, TicketStatus,
};
use serde::Deserialize;

/// A HAL page: `_embedded` (absent when the page is empty) and `page`. The `_links` are
/// not read: Help Scout drops the query from them, so the next request is rebuilt.
#[derive(Deserialize)]
pub(crate) struct HalPage<E> {
    #[serde(rename = "_embedded")]
    pub(crate) embedded: Option<E>,
    pub(crate) page: PageInfo,
}

#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    pub(crate) total_elements: u64,
    pub(crate) total_pages: u64,
    pub(crate) number: u64,
}

/// The `_embedded` of List Conversations: whole conversations (the export, `embed=threads`)
/// or the sweep's [`ListedConversation`]s.
#[derive(Deserialize)]
pub(crate) struct ConversationList<C> {
    pub(crate) conversations: Vec<C>,
}

pub(crate) type Conversations = ConversationList<Conversation>;
pub(crate) type ListedConversations = ConversationList<ListedConversation>;

impl<C> HalPage<ConversationList<C>> {
    /// The page's conversations: none when `_embedded` is absent (an empty result).
    pub(crate) fn conversations(&mut self) -> Vec<C> {
        self.embedded
            .take()
            .map(|e| e.conversations)
            .unwrap_or_default()
    }
}

/// The `_embedded` of `GET /v2/users` (`users`) or of `GET /v3/system-users`
/// (`system_users`: AI agents, which `GET /v2/users` leaves out).
#[derive(Deserialize)]
pub(crate) struct UsersEmbedded {
    pub(crate) users: Option<Vec<User>>,
    pub(crate) system_users: Option<Vec<User>>,
}

/// One conversation of the id sweep: only what the sweep needs (the list sends the whole
/// conversation without its threads; nothing else is deserialized).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListedConversation {
    pub(crate) id: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) state: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Person {
    id: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Read only on `primaryCustomer` (storage keeps a keyed hash of it, never the address).
    email: Option<String>,
    /// Help Scout's own SDK test payloads put a thread's `createdAt` here.
    created_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Default)]
struct Source {
    #[serde(rename = "type")]
    kind: Option<String>,
    via: Option<String>,
}

#[derive(Deserialize)]
struct Tag {
    tag: String,
}

#[derive(Deserialize)]
struct Waiting {
    time: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Default)]
struct ConversationEmbedded {
    #[serde(default)]
    threads: Vec<Thread>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Conversation {
    pub(crate) id: i64,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: String,
    state: Option<String>,
    mailbox_id: Option<i64>,
    assignee: Option<Person>,
    created_by: Option<Person>,
    created_at: DateTime<Utc>,
    closed_by: Option<i64>,
    /// The user who closed it, with the `type` that tells an AI agent (`system_user`, v3)
    /// from a person (`user`; v2 says `user` for both).
    closed_by_user: Option<Person>,
    closed_at: Option<DateTime<Utc>>,
    user_updated_at: Option<DateTime<Utc>>,
    customer_waiting_since: Option<Waiting>,
    source: Option<Source>,
    #[serde(default)]
    tags: Vec<Tag>,
    primary_customer: Option<Person>,
    #[serde(rename = "_embedded")]
    embedded: Option<ConversationEmbedded>,
}

#[derive(Deserialize)]
struct ThreadRating {
    rating: String,
    comments: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Thread {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
    status: Option<String>,
    state: Option<String>,
    source: Option<Source>,
    created_by: Option<Person>,
    /// Required: see [`Thread::at`].
    created_at: Option<DateTime<Utc>>,
    rating: Option<ThreadRating>,
}

impl Thread {
    /// When the thread was created: its `createdAt`, or, in the shape of Help Scout's PHP
    /// SDK test payloads, `createdBy.createdAt`.
    fn at(&self) -> Option<DateTime<Utc>> {
        self.created_at
            .or_else(|| self.created_by.as_ref().and_then(|p| p.created_at))
    }
}

/// Conversation `status` (with `state`) onto the model. `closed` is reopenable (a customer
/// reply makes it active again), so it is `Solved`, not the final `Closed`.
pub(crate) fn map_status(
    status: &str,
    state: Option<&str>,
) -> Result<Option<TicketStatus>, String> {
    match state {
        Some("deleted") => return Ok(Some(TicketStatus::Deleted)),
        // An unsent draft is no ticket yet.
        Some("draft") => return Ok(None),
        _ => {}
    }
    Ok(Some(match status {
        "active" | "open" => TicketStatus::Open,
        "pending" => TicketStatus::Pending,
        "closed" => TicketStatus::Solved,
        "spam" => TicketStatus::Spam,
        other => return Err(format!("unknown conversation status {other:?}")),
    }))
}

/// A thread's `status` (the conversation's status it set; `nochange` when it set none).
fn thread_status(status: Option<&str>) -> Option<TicketStatus> {
    match status? {
        "active" | "open" => Some(TicketStatus::Open),
        "pending" => Some(TicketStatus::Pending),
        "closed" => Some(TicketStatus::Solved),
        "spam" => Some(TicketStatus::Spam),
        _ => None,
    }
}

/// Conversation `type` (email/chat/phone), refined by `source.type` for email-type ones.
pub(crate) fn map_channel(kind: Option<&str>, source: Option<&str>) -> Channel {
    match kind {
        Some("chat") => return Channel::Chat,
        Some("phone") => return Channel::Phone,
        _ => {}
    }
    match source {
        Some("chat" | "beacon-chat" | "beaconchat") => Channel::Chat,
        Some("phone") => Channel::Phone,
        Some("web" | "form" | "beacon" | "beacon-v2" | "beacon-v2-form") => Channel::Web,
        Some("api") => Channel::Api,
        Some("email" | "emailfwd" | "notification") | None => Channel::Email,
        Some(_) if kind == Some("email") => Channel::Email,
        Some(_) => Channel::Other,
    }
}

/// Who wrote a thread. A `customer` thread is the customer's words even when an agent
/// entered it for them (`createdBy.type = user`); otherwise `createdBy.type`: customer /
/// user (v2 reports AI system users as users; v3's `system_user` is a bot); a thread sent
/// by a workflow (`source.type = workflows`) is an automation.
fn author_kind(
    created_by: Option<&Person>,
    source: Option<&Source>,
    thread_type: &str,
) -> AuthorKind {
    let via_workflow = source.and_then(|s| s.kind.as_deref()) == Some("workflows");
    if thread_type == "customer" {
        return AuthorKind::Customer;
    }
    match created_by.and_then(|p| p.kind.as_deref()) {
        Some("customer") => AuthorKind::Customer,
        Some("system_user") => AuthorKind::Bot,
        Some("user") if via_workflow => AuthorKind::Bot,
        Some("user") => AuthorKind::Agent,
        _ if via_workflow => AuthorKind::Bot,
        _ => AuthorKind::Unknown,
    }
}

/// Whether a thread of this type is a message, and whether it is public.
fn message_visibility(thread_type: &str) -> Option<bool> {
    match thread_type {
        "customer" | "message" | "chat" | "phone" | "forwardchild" | "beaconchat" => Some(true),
        "note" | "forwardparent" => Some(false),
        // `lineitem` (status changes, assignments, workflows) and anything new: no message.
        _ => None,
    }
}

/// What a rating value says.
#[derive(Debug, PartialEq)]
enum RatingValue {
    Score(f64),
    /// `unknown`: the Ratings endpoint's value for a rating without an answer.
    NotGiven,
    Unrecognized,
}

/// A rating onto 1–5: great 5, ok 3, not good 1. Help Scout counts `ok` as neither good nor
/// bad; on 1–5 it sits in the middle band, so only `great` is "satisfied" (≥ 4).
///
/// Help Scout spells the values three ways: thread ratings and the reports use `great` /
/// `ok` / `not-good`, `GET /v2/ratings/{id}` documents `great` / `okay` / `not_good` /
/// `unknown`, and webhooks `Great` / `Okay` / `Bad`. All are accepted, case-insensitively.
fn rating_value(r: &str) -> RatingValue {
    match r.trim().to_ascii_lowercase().as_str() {
        "great" => RatingValue::Score(5.0),
        "ok" | "okay" => RatingValue::Score(3.0),
        "not-good" | "not_good" | "notgood" | "bad" => RatingValue::Score(1.0),
        "unknown" | "" => RatingValue::NotGiven,
        _ => RatingValue::Unrecognized,
    }
}

fn id_of(p: &Option<Person>) -> Option<String> {
    p.as_ref()
        .and_then(|p| p.id)
        .filter(|&i| i > 0)
        .map(|i| i.to_string())
}

impl Conversation {
    /// The latest of the conversation's own timestamps: a lower bound of its `modifiedAt`
    /// (which v2 sorts and filters by but does not return), so a safe bookmark.
    pub(crate) fn touched_at(&self) -> DateTime<Utc> {
        let threads = self
            .embedded
            .as_ref()
            .and_then(|e| e.threads.iter().filter_map(Thread::at).max());
        [
            Some(self.created_at),
            self.closed_at,
            self.user_updated_at,
            self.customer_waiting_since.as_ref().and_then(|w| w.time),
            threads,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.created_at)
    }
}

/// Who closed the conversation, by `closedByUser.type` (`closedBy` alone is only an id).
fn closer_kind(closed_by_user: Option<&Person>) -> AuthorKind {
    match closed_by_user.and_then(|p| p.kind.as_deref()) {
        Some("user") => AuthorKind::Agent,
        Some("system_user") => AuthorKind::Bot,
        // No object (older payloads, the SDK's): the id alone, resolved against the agents.
        _ => AuthorKind::Unknown,
    }
}

/// One conversation: its ticket, customer, messages, ratings and its whole status history
/// (one [`StatusHistory`], empty when nothing tells a change), which storage puts in place
/// of whatever an earlier read of the conversation said.
///
/// The history is synthesized: a thread's `status` is the conversation status that thread
/// set (`nochange` when it set none), and a close that no embedded thread records comes from
/// the conversation's `closedAt`. Change ids are the thread ids (stable across reads) and,
/// for that close, `{conversation}-closed-{closedAt as unix seconds}` (stable while the
/// close is). Drafts (`state: draft`) are no ticket yet and yield nothing.
pub(crate) fn map_conversation(c: Conversation) -> Result<Vec<Record>, String> {
    let id = c.id;
    let Some(status) =
        map_status(&c.status, c.state.as_deref()).map_err(|e| format!("conversation {id}: {e}"))?
    else {
        return Ok(Vec::new());
    };
    let ticket_id = id.to_string();
    let updated_at = c.touched_at();
    let mut threads = Vec::new();
    for t in c.embedded.map(|e| e.threads).unwrap_or_default() {
        let at = t
            .at()
            .ok_or_else(|| format!("conversation {id}: thread {} has no `createdAt`", t.id))?;
        threads.push((at, t));
    }
    threads.sort_by_key(|(at, t)| (*at, t.id));
    let assignee_id = id_of(&c.assignee);
    let mut out = Vec::new();

    let requester_id = id_of(&c.primary_customer);
    if let (Some(cid), Some(p)) = (&requester_id, &c.primary_customer) {
        out.push(Record::Customer(Customer {
            external_id: cid.clone(),
            email: p.email.clone().filter(|e| !e.trim().is_empty()),
        }));
    }

    let mut changes = Vec::new();
    let mut last: Option<TicketStatus> = None;
    for (at, t) in &threads {
        let at = *at;
        // Unsent (a draft) or held by collision detection (under review): not said yet.
        if matches!(t.state.as_deref(), Some("draft" | "underreview")) {
            continue;
        }
        let author = author_kind(t.created_by.as_ref(), t.source.as_ref(), &t.kind);
        if let Some(public) = message_visibility(&t.kind) {
            out.push(Record::Message(Message {
                external_id: t.id.to_string(),
                ticket_id: ticket_id.clone(),
                author_kind: author,
                author_id: id_of(&t.created_by),
                public,
                created_at: at,
            }));
        }
        if let Some(to) = thread_status(t.status.as_deref())
            && last != Some(to)
        {
            let by = match author {
                // Line items are the system's record of someone's action; a workflow's is
                // the system's own.
                AuthorKind::Bot if t.kind == "lineitem" => AuthorKind::System,
                k => k,
            };
            changes.push(StatusChange {
                external_id: t.id.to_string(),
                ticket_id: ticket_id.clone(),
                from: last,
                to,
                author_kind: by,
                author_id: id_of(&t.created_by),
                at,
            });
            last = Some(to);
        }
        if let Some(r) = &t.rating {
            match rating_value(&r.rating) {
                RatingValue::Score(score) => out.push(Record::Rating(Rating {
                    external_id: t.id.to_string(),
                    kind: RatingKind::Csat,
                    score,
                    scale: RatingScale::ONE_TO_FIVE,
                    ticket_id: Some(ticket_id.clone()),
                    agent_id: match author {
                        AuthorKind::Agent | AuthorKind::Bot => id_of(&t.created_by),
                        _ => assignee_id.clone(),
                    },
                    comment: r.comments.clone().filter(|c| !c.trim().is_empty()),
                    // The thread rating carries no time of its own: the rated reply's.
                    created_at: at,
                })),
                RatingValue::NotGiven => {}
                RatingValue::Unrecognized => tracing::warn!(
                    thread = t.id,
                    rating = r.rating.as_str(),
                    "skipping a thread rating with a value Help Scout does not document"
                ),
            }
        }
    }
    // A close the threads did not record (no line item embedded): the conversation's own
    // `closedAt` completes the history, so a closed conversation is never left unsolved.
    if status == TicketStatus::Solved
        && last != Some(TicketStatus::Solved)
        && let Some(at) = c.closed_at
    {
        changes.push(StatusChange {
            external_id: format!("{id}-closed-{}", at.timestamp()),
            ticket_id: ticket_id.clone(),
            from: last,
            to: TicketStatus::Solved,
            author_kind: closer_kind(c.closed_by_user.as_ref()),
            author_id: c
                .closed_by
                .filter(|&b| b > 0)
                .map(|b| b.to_string())
                .or_else(|| id_of(&c.closed_by_user)),
            at,
        });
    }
    out.push(Record::StatusHistory(StatusHistory {
        ticket_id: ticket_id.clone(),
        changes,
    }));

    let source = c.source.unwrap_or_default();
    // With threads, the first message's author decides (a `customer` thread an agent entered
    // for the customer is inbound, although the conversation's `createdBy` is that agent).
    // Without them, the conversation's `createdBy.type` (else `source.via`) tells.
    let opened_by_agent = if threads.is_empty() {
        match c.created_by.as_ref().and_then(|p| p.kind.as_deref()) {
            Some("user" | "system_user") => Some(true),
            Some("customer") => Some(false),
            _ => match source.via.as_deref() {
                Some("user") => Some(true),
                Some("customer") => Some(false),
                _ => None,
            },
        }
    } else {
        None
    };
    out.insert(
        0,
        Record::Ticket(Ticket {
            external_id: ticket_id,
            channel: map_channel(c.kind.as_deref(), source.kind.as_deref()),
            status,
            created_at: c.created_at,
            updated_at,
            first_solved_at: None,
            // Fallback only: the status history above is authoritative.
            final_solved_at: c.closed_at.filter(|_| status.is_solved()),
            reopens: None,
            opened_by_agent,
            requester_id,
            assignee_id,
            group_id: c.mailbox_id.map(|m| m.to_string()),
            tags: c.tags.into_iter().map(|t| t.tag).collect(),
            priority: None,
        }),
    );
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    pub(crate) id: i64,
    first_name: Option<String>,
    last_name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    pub(crate) updated_at: Option<DateTime<Utc>>,
}

/// A Help Scout user (an agent). `system_user` accounts (AI) are bots.
pub(crate) fn map_user(u: User) -> Record {
    let name = [u.first_name.as_deref(), u.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Record::Agent(Agent {
        external_id: u.id.to_string(),
        name,
        is_bot: u.kind.as_deref() == Some("system_user"),
    })
}
