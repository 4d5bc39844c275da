//! The JSON of Zendesk's list pages as the API serves them (next-page links on the production
//! host) and of the records on them, shared by the wiremock tests and the conformance
//! fixtures (tests/conformance.rs includes this file by path).

use serde_json::{Value, json};

/// The production host recorded payloads point at; the connector must never go there.
pub const PROD: &str = "https://acme.zendesk.com";
pub const USERS: &str = "/api/v2/incremental/users/cursor.json";
pub const TICKETS: &str = "/api/v2/incremental/tickets/cursor.json";
pub const EVENTS: &str = "/api/v2/incremental/ticket_events.json";
pub const RATINGS: &str = "/api/v2/satisfaction_ratings.json";

/// Unix seconds of an RFC 3339 time (Zendesk's `timestamp`, `start_time`, `end_time`).
pub fn ts(s: &str) -> i64 {
    s.parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        .timestamp()
}

/// A page of a cursor export (users, tickets): `key` holds the records.
pub fn cursor_body(key: &str, ep: &str, items: Value, after: &str, eos: bool) -> Value {
    json!({
        key: items,
        "after_cursor": after,
        "after_url": format!("{PROD}{ep}?cursor={after}"),
        "before_cursor": null,
        "before_url": null,
        "end_of_stream": eos,
    })
}

/// A page of the time-based ticket events export.
pub fn events_body(events: Value, end_time: i64, eos: bool) -> Value {
    json!({
        "ticket_events": events, "count": events.as_array().map_or(0, Vec::len),
        "end_of_stream": eos, "end_time": end_time,
        "next_page": if eos { Value::Null } else {
            json!(format!("{PROD}{EVENTS}?start_time={end_time}&include=comment_events"))
        },
    })
}

/// A page of the satisfaction ratings list; `after`: the cursor of the next page, if any.
pub fn ratings_body(ratings: Value, after: Option<&str>) -> Value {
    json!({
        "satisfaction_ratings": ratings,
        "meta": {"has_more": after.is_some(), "after_cursor": after, "before_cursor": null},
        "links": {"next": after.map(|a| format!("{PROD}{RATINGS}?page[after]={a}")), "prev": null},
    })
}

/// A ticket of the export, without a side-loaded metric set.
pub fn ticket(id: u64, status: &str, channel: &str, tags: &[&str]) -> Value {
    json!({
        "url": format!("{PROD}/api/v2/tickets/{id}.json"),
        "id": id, "external_id": null,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": null}},
        "created_at": "2024-03-01T09:00:00Z", "updated_at": "2024-03-02T10:00:00Z",
        "generated_timestamp": 1709373600,
        "type": "question", "subject": "Subject", "description": "Body", "priority": "high",
        "status": status, "requester_id": 20978392, "submitter_id": 20978392,
        "assignee_id": null, "organization_id": null, "group_id": null,
        "tags": tags, "custom_fields": [], "satisfaction_rating": null,
    })
}

/// A comment of the `comment_events`, with a body the connector must never keep.
pub fn comment(id: u64, author: i64, public: bool, channel: &str) -> Value {
    json!({
        "id": id, "event_type": "Comment", "type": "Comment", "author_id": author, "public": public,
        "body": "secret body text", "html_body": "<p>secret body text</p>", "attachments": [],
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": if channel == "rule" { json!("trigger") } else { Value::Null }}},
        "audit_id": 1, "created_at": "2024-03-01T09:00:00Z"
    })
}

/// A status change in the export's layout: the field is its own key, `via` is the via's name
/// and a rule's id is in `via_reference_id` (see tests/fixtures/PROVENANCE.md).
pub fn status(id: u64, kind: &str, from: Option<&str>, to: &str, via: &str) -> Value {
    let reference = if via == "Rule" {
        json!(360001)
    } else {
        Value::Null
    };
    let mut v = json!({
        "id": id, "via": via, "via_reference_id": reference, "status": to, "event_type": kind,
    });
    if let Some(f) = from {
        v["previous_value"] = json!(f);
    }
    v
}

/// One ticket update of the export, its changes as `children`.
pub fn audit(id: u64, ticket: u64, updater: i64, at: &str, ts: i64, children: Vec<Value>) -> Value {
    json!({
        "id": id, "ticket_id": ticket, "timestamp": ts, "created_at": at, "updater_id": updater,
        "via": "Web form", "via_reference_id": null, "event_type": "Audit", "system": {},
        "merged_ticket_ids": [], "child_events": children,
    })
}

/// A rating offered at `created` and answered (or changed) at `updated`.
pub fn rating(id: u64, score: &str, created: &str, updated: &str, comment: Option<&str>) -> Value {
    json!({
        "url": format!("{PROD}/api/v2/satisfaction_ratings/{id}.json"),
        "id": id, "assignee_id": 235323, "group_id": 98738, "requester_id": 20978392,
        "ticket_id": id + 1000, "score": score, "comment": comment,
        "reason": "The issue was resolved quickly", "reason_id": 123,
        "created_at": created, "updated_at": updated
    })
}
