//! Zendesk JSON shapes of the generated records, serialized straight from the compact records
//! (borrowing, no intermediate `serde_json::Value`).

use std::fmt;

use chrono::{Datelike, Timelike};
use serde::{Serialize, Serializer};

use crate::generate::{ZAudit, ZEvent, ZRating, ZTicket, ZUser, ts, word};

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
enum From {
    Empty(Empty),
    Rule { id: i64, title: &'static str },
}

#[derive(Serialize)]
struct Source {
    from: From,
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
                from: From::Empty(Empty {}),
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

fn minutes(from: i64, to: Option<i64>) -> Minutes {
    Minutes {
        calendar: to.map(|t| (t - from) / 60),
        business: None,
    }
}

#[derive(Serialize)]
struct MetricSet {
    id: i64,
    ticket_id: i64,
    group_stations: u32,
    assignee_stations: u32,
    reopens: u32,
    replies: u32,
    assignee_updated_at: Option<Rfc>,
    requester_updated_at: Rfc,
    status_updated_at: Rfc,
    initially_assigned_at: Option<Rfc>,
    assigned_at: Option<Rfc>,
    solved_at: Option<Rfc>,
    latest_comment_added_at: Rfc,
    reply_time_in_minutes: Minutes,
    first_resolution_time_in_minutes: Minutes,
    full_resolution_time_in_minutes: Minutes,
    created_at: Rfc,
    updated_at: Rfc,
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

pub(crate) fn ticket<'a>(t: &'a ZTicket, base: &str, metrics: bool) -> TicketJson<'a> {
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
        metric_set: metrics.then(|| MetricSet {
            id: 7_000_000_000 + t.id,
            ticket_id: t.id,
            group_stations: 1,
            assignee_stations: u32::from(t.assignee.is_some()),
            reopens: t.reopens,
            replies: t.replies,
            assignee_updated_at: t.assigned_at.map(Rfc),
            requester_updated_at: Rfc(t.created_at),
            status_updated_at: Rfc(t.status_updated_at),
            initially_assigned_at: t.assigned_at.map(Rfc),
            assigned_at: t.assigned_at.map(Rfc),
            solved_at: t.solved_at.map(Rfc),
            latest_comment_added_at: Rfc(t.latest_comment_at),
            reply_time_in_minutes: minutes(t.created_at, t.first_reply_at),
            first_resolution_time_in_minutes: minutes(t.created_at, t.first_solved_at),
            full_resolution_time_in_minutes: minutes(t.created_at, t.solved_at),
            created_at: Rfc(t.created_at),
            updated_at: Rfc(t.updated_at),
        }),
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum ChildJson {
    Comment {
        id: i64,
        #[serde(rename = "type")]
        kind: &'static str,
        event_type: &'static str,
        author_id: i64,
        body: &'static str,
        html_body: &'static str,
        public: bool,
        attachments: [Empty; 0],
        audit_id: i64,
        created_at: Rfc,
        via: Via,
    },
    Create {
        id: i64,
        #[serde(rename = "type")]
        kind: &'static str,
        event_type: &'static str,
        field_name: &'static str,
        value: &'static str,
    },
    Change {
        id: i64,
        #[serde(rename = "type")]
        kind: &'static str,
        event_type: &'static str,
        field_name: &'static str,
        value: &'static str,
        previous_value: &'static str,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    comment_present: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment_public: Option<bool>,
    child_events: Vec<ChildJson>,
}

fn comment_text(author: i64, public: bool, channel: &str) -> (&'static str, &'static str) {
    match (author, public, channel) {
        (-1, _, _) => (
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

/// One audit; without `comment_events`, comments are left out and summarized by
/// `comment_present` / `comment_public`, as Zendesk does.
pub(crate) fn audit(a: &ZAudit, events: &[ZEvent], comments: bool) -> AuditJson {
    let children = events
        .get(a.children.start as usize..a.children.end as usize)
        .unwrap_or(&[]);
    let mut present = false;
    let mut public_comment = false;
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
                let channel = word(channel);
                let rel = trigger.then_some("trigger");
                present = true;
                public_comment |= public;
                if !comments {
                    continue;
                }
                let (body, html_body) = comment_text(author, public, channel);
                let from = if trigger {
                    From::Rule {
                        id: 360_001,
                        title: "Auto-answer FAQ",
                    }
                } else {
                    From::Empty(Empty {})
                };
                out.push(ChildJson::Comment {
                    id,
                    kind: "Comment",
                    event_type: "Comment",
                    author_id: author,
                    body,
                    html_body,
                    public,
                    attachments: [],
                    audit_id: a.id,
                    created_at: Rfc(a.at),
                    via: Via {
                        channel,
                        source: Source {
                            from,
                            to: Empty {},
                            rel,
                        },
                    },
                });
            }
            ZEvent::Create { id, value } => out.push(ChildJson::Create {
                id,
                kind: "Create",
                event_type: "Create",
                field_name: "status",
                value: word(value),
            }),
            ZEvent::Change {
                id,
                value,
                previous,
            } => out.push(ChildJson::Change {
                id,
                kind: "Change",
                event_type: "Change",
                field_name: "status",
                value: word(value),
                previous_value: word(previous),
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
        comment_present: (!comments).then_some(present),
        comment_public: (!comments).then_some(public_comment),
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
    created_at: Rfc,
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
        created_at: Rfc(r.created_at),
        updated_at: Rfc(r.updated_at),
    }
}
