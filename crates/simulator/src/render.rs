//! Zendesk JSON shapes of the generated records, serialized straight from the compact records
//! (borrowing, no intermediate `serde_json::Value`).

use std::fmt;

use chrono::{Datelike, Timelike};
use serde::{Serialize, Serializer};

use deskpulse_model::AuthorKind;

use crate::generate::{ZAudit, ZEvent, ZRating, ZTicket, ZUser, ts, word};
use crate::truth::{TrueTicket, VendorMinutes};

/// A unix time rendered as `2026-11-09T08:00:00Z`.
#[derive(Clone, Copy)]
pub(crate) struct Rfc(pub i64);

impl Serialize for Rfc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&RfcDisplay(self.0))
    }
}

struct RfcDisplay(i64);

impl fmt::Display for RfcDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = ts(self.0);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

#[derive(Serialize)]
pub(crate) struct Empty {}

#[derive(Serialize)]
#[serde(untagged)]
enum ViaFrom {
    Empty(Empty),
    Rule { id: i64, title: &'static str },
}

#[derive(Serialize)]
struct Source {
    from: ViaFrom,
    to: Empty,
    rel: Option<&'static str>,
}

#[derive(Serialize)]
struct Via {
    channel: &'static str,
    source: Source,
}

impl Via {
    fn plain(channel: &'static str) -> Via {
        Via {
            channel,
            source: Source {
                from: ViaFrom::Empty(Empty {}),
                to: Empty {},
                rel: None,
            },
        }
    }
}

#[derive(Serialize)]
pub(crate) struct UserJson<'a> {
    id: i64,
    url: String,
    name: &'a str,
    email: String,
    role: &'static str,
    role_type: Option<i64>,
    active: bool,
    suspended: bool,
    created_at: Rfc,
    updated_at: Rfc,
    time_zone: &'static str,
    iana_time_zone: &'static str,
}

pub(crate) fn user<'a>(u: &'a ZUser, base: &str) -> UserJson<'a> {
    UserJson {
        id: u.id,
        url: format!("{base}/api/v2/users/{}.json", u.id),
        name: &u.name,
        email: format!("user{}@example.com", u.id),
        role: u.role,
        role_type: None,
        active: true,
        suspended: false,
        created_at: Rfc(u.created_at),
        updated_at: Rfc(u.updated_at),
        time_zone: "UTC",
        iana_time_zone: "Etc/UTC",
    }
}

#[derive(Serialize)]
struct Minutes {
    calendar: Option<i64>,
    business: Option<i64>,
}

impl From<VendorMinutes> for Minutes {
    fn from(m: VendorMinutes) -> Self {
        Minutes {
            calendar: m.calendar,
            business: m.business,
        }
    }
}

/// The Ticket Metrics object (developer.zendesk.com/api-reference/ticketing/tickets/
/// ticket_metrics/), field for field; the values are the ground truth's vendor values.
#[derive(Serialize)]
struct MetricSet {
    url: String,
    id: i64,
    ticket_id: i64,
    created_at: Rfc,
    updated_at: Rfc,
    group_stations: u32,
    assignee_stations: u32,
    reopens: u32,
    replies: u32,
    assignee_updated_at: Option<Rfc>,
    requester_updated_at: Option<Rfc>,
    status_updated_at: Rfc,
    initially_assigned_at: Option<Rfc>,
    assigned_at: Option<Rfc>,
    solved_at: Option<Rfc>,
    latest_comment_added_at: Rfc,
    reply_time_in_minutes: Minutes,
    first_resolution_time_in_minutes: Minutes,
    full_resolution_time_in_minutes: Minutes,
    agent_wait_time_in_minutes: Minutes,
    requester_wait_time_in_minutes: Minutes,
    on_hold_time_in_minutes: Minutes,
    custom_status_updated_at: Rfc,
}

/// The metric set of a ticket: Zendesk's values from the ground truth, timestamps from the
/// record and the history.
fn metric_set(t: &ZTicket, tt: &TrueTicket, base: &str) -> MetricSet {
    let id = 7_000_000_000 + t.id;
    let v = &tt.vendor;
    // Last update by the requester / by the assignee: a comment or a status change.
    let last_by = |pred: &dyn Fn(i64, AuthorKind) -> bool| {
        let m = tt
            .messages
            .iter()
            .filter(|m| pred(m.author_id, m.author_kind))
            .map(|m| m.at);
        let x = tt
            .transitions
            .iter()
            .filter(|x| pred(x.by_id, x.by_kind))
            .map(|x| x.at);
        m.chain(x).max().map(|at| Rfc(at.timestamp()))
    };
    let requester = tt.requester;
    let assignee = t.assignee;
    MetricSet {
        url: format!("{base}/api/v2/ticket_metrics/{id}.json"),
        id,
        ticket_id: t.id,
        created_at: Rfc(t.created_at),
        updated_at: Rfc(t.updated_at),
        group_stations: 1,
        assignee_stations: u32::from(t.assignee.is_some()),
        reopens: v.reopens,
        replies: v.replies,
        assignee_updated_at: last_by(&|id, kind| Some(id) == assignee && kind == AuthorKind::Agent),
        requester_updated_at: last_by(&|id, _| id == requester),
        status_updated_at: Rfc(t.status_updated_at),
        initially_assigned_at: t.assigned_at.map(Rfc),
        assigned_at: t.assigned_at.map(Rfc),
        solved_at: v.solved_at.map(|at| Rfc(at.timestamp())),
        latest_comment_added_at: Rfc(t.latest_comment_at),
        reply_time_in_minutes: v.reply_time_in_minutes.into(),
        first_resolution_time_in_minutes: v.first_resolution_time_in_minutes.into(),
        full_resolution_time_in_minutes: v.full_resolution_time_in_minutes.into(),
        agent_wait_time_in_minutes: v.agent_wait_time_in_minutes.into(),
        requester_wait_time_in_minutes: v.requester_wait_time_in_minutes.into(),
        on_hold_time_in_minutes: v.on_hold_time_in_minutes.into(),
        custom_status_updated_at: Rfc(t.status_updated_at),
    }
}

#[derive(Serialize)]
struct RatingRef {
    id: i64,
    score: &'static str,
    comment: Option<&'static str>,
}

#[derive(Serialize)]
pub(crate) struct TicketJson<'a> {
    url: String,
    id: i64,
    external_id: Option<String>,
    via: Via,
    created_at: Rfc,
    updated_at: Rfc,
    generated_timestamp: i64,
    #[serde(rename = "type")]
    kind: Option<&'static str>,
    subject: String,
    raw_subject: String,
    description: &'static str,
    priority: &'static str,
    status: &'static str,
    recipient: Option<String>,
    requester_id: i64,
    submitter_id: i64,
    assignee_id: Option<i64>,
    organization_id: Option<i64>,
    group_id: i64,
    tags: &'a [&'static str],
    custom_fields: [Empty; 0],
    satisfaction_rating: Option<RatingRef>,
    is_public: bool,
    brand_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_set: Option<MetricSet>,
}

/// A ticket; with `truth` (asked for with `include=metric_sets`), its `metric_set`.
pub(crate) fn ticket<'a>(t: &'a ZTicket, base: &str, truth: Option<&TrueTicket>) -> TicketJson<'a> {
    let subject = format!(
        "Question about {}",
        t.tags.first().copied().unwrap_or("help")
    );
    TicketJson {
        url: format!("{base}/api/v2/tickets/{}.json", t.id),
        id: t.id,
        external_id: None,
        via: Via::plain(t.channel),
        created_at: Rfc(t.created_at),
        updated_at: Rfc(t.updated_at),
        generated_timestamp: t.updated_at,
        kind: None,
        raw_subject: subject.clone(),
        subject,
        description: "Hello, I need help with my order.",
        priority: t.priority,
        status: t.status,
        recipient: None,
        requester_id: t.requester,
        submitter_id: t.submitter,
        assignee_id: t.assignee,
        organization_id: None,
        group_id: t.group,
        tags: &t.tags,
        custom_fields: [],
        satisfaction_rating: t
            .rating
            .map(|(id, score, comment)| RatingRef { id, score, comment }),
        is_public: true,
        brand_id: 360_002_256_672,
        // Zendesk deletes a ticket's metric record with the ticket ("Deleting tickets";
        // tap-zendesk PR #149: deleted tickets' metrics answer RecordNotFound).
        metric_set: truth
            .filter(|tt| tt.vendor_status != "deleted")
            .map(|tt| metric_set(t, tt, base)),
    }
}

/// A child event of the ticket-events export, in the export's own layout (not the audits
/// API's): a status change carries the field as its own key (`"status": "solved"`) with
/// `previous_value`, and the audit's `via` as a string; a sideloaded comment carries its own
/// `via` object. See the crate docs for the sources.
#[derive(Serialize)]
#[serde(untagged)]
enum ChildJson {
    Comment {
        id: i64,
        via: Via,
        via_reference_id: Option<i64>,
        #[serde(rename = "type")]
        kind: &'static str,
        author_id: i64,
        body: &'static str,
        html_body: &'static str,
        public: bool,
        attachments: [Empty; 0],
        audit_id: i64,
        created_at: Rfc,
        event_type: &'static str,
    },
    /// A comment without the `comment_events` sideload: only whether it is there and public.
    CommentSummary {
        id: i64,
        via: &'static str,
        via_reference_id: Option<i64>,
        comment_present: bool,
        comment_public: bool,
        event_type: &'static str,
    },
    Status {
        id: i64,
        via: &'static str,
        via_reference_id: Option<i64>,
        status: &'static str,
        event_type: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_value: Option<&'static str>,
    },
}

#[derive(Serialize)]
pub(crate) struct AuditJson {
    id: i64,
    ticket_id: i64,
    timestamp: i64,
    created_at: Rfc,
    updater_id: i64,
    via: &'static str,
    via_reference_id: Option<i64>,
    event_type: &'static str,
    child_events: Vec<ChildJson>,
}

fn comment_text(trigger: bool, public: bool, channel: &str) -> (&'static str, &'static str) {
    match (trigger, public, channel) {
        (true, _, _) => (
            "Thanks for reaching out! These articles may answer your question.",
            "<p>Thanks for reaching out! These articles may answer your question.</p>",
        ),
        (_, false, "merge") => (
            "This request was closed and merged into another request.",
            "<p>This request was closed and merged into another request.</p>",
        ),
        (_, false, _) => (
            "Internal note: checking with the team.",
            "<p>Internal note: checking with the team.</p>",
        ),
        _ => ("(message text)", "<p>(message text)</p>"),
    }
}

/// One audit; without `comment_events`, a comment is only summarized by `comment_present` /
/// `comment_public` in the child events, as Zendesk documents.
pub(crate) fn audit(a: &ZAudit, events: &[ZEvent], comments: bool) -> AuditJson {
    let children = events
        .get(a.children.start as usize..a.children.end as usize)
        .unwrap_or(&[]);
    let mut out = Vec::with_capacity(children.len());
    for e in children {
        match *e {
            ZEvent::Comment {
                id,
                author,
                public,
                channel,
                trigger,
            } => {
                if !comments {
                    out.push(ChildJson::CommentSummary {
                        id,
                        via: a.via,
                        via_reference_id: None,
                        comment_present: true,
                        comment_public: public,
                        event_type: "Comment",
                    });
                    continue;
                }
                let channel = word(channel);
                let (body, html_body) = comment_text(trigger, public, channel);
                let from = if trigger {
                    ViaFrom::Rule {
                        id: 360_001,
                        title: "Auto-answer FAQ",
                    }
                } else {
                    ViaFrom::Empty(Empty {})
                };
                out.push(ChildJson::Comment {
                    id,
                    via: Via {
                        channel,
                        source: Source {
                            from,
                            to: Empty {},
                            rel: trigger.then_some("trigger"),
                        },
                    },
                    via_reference_id: None,
                    kind: "Comment",
                    author_id: author,
                    body,
                    html_body,
                    public,
                    attachments: [],
                    audit_id: a.id,
                    created_at: Rfc(a.at),
                    event_type: "Comment",
                });
            }
            ZEvent::Create { id, value } => out.push(ChildJson::Status {
                id,
                via: a.via,
                via_reference_id: None,
                status: word(value),
                event_type: "Create",
                previous_value: None,
            }),
            ZEvent::Change {
                id,
                value,
                previous,
            } => out.push(ChildJson::Status {
                id,
                via: a.via,
                via_reference_id: None,
                status: word(value),
                event_type: "Change",
                previous_value: Some(word(previous)),
            }),
        }
    }
    AuditJson {
        id: a.id,
        ticket_id: a.ticket_id,
        timestamp: a.at,
        created_at: Rfc(a.at),
        updater_id: a.updater,
        via: a.via,
        via_reference_id: None,
        event_type: "Audit",
        child_events: out,
    }
}

#[derive(Serialize)]
pub(crate) struct RatingJson {
    url: String,
    id: i64,
    assignee_id: Option<i64>,
    group_id: i64,
    requester_id: i64,
    ticket_id: i64,
    score: &'static str,
    comment: Option<&'static str>,
    reason: Option<&'static str>,
    reason_id: Option<i64>,
    /// When the survey was offered (the record is created then).
    created_at: Rfc,
    /// When the customer answered (the offer time while unanswered).
    updated_at: Rfc,
}

pub(crate) fn rating(r: &ZRating, base: &str) -> RatingJson {
    RatingJson {
        url: format!("{base}/api/v2/satisfaction_ratings/{}.json", r.id),
        id: r.id,
        assignee_id: r.assignee,
        group_id: r.group,
        requester_id: r.requester,
        ticket_id: r.ticket_id,
        score: r.score,
        comment: r.comment,
        reason: None,
        reason_id: None,
        created_at: Rfc(r.created_at),
        updated_at: Rfc(r.updated_at),
    }
}
