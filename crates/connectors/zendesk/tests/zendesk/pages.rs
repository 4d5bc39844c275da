//! The JSON of Zendesk's list pages as the API serves them (next-page links on the production
//! host), shared by the wiremock tests and the conformance fixtures (tests/conformance.rs
//! includes this file by path).

use serde_json::{Value, json};

/// The production host recorded payloads point at; the connector must never go there.
pub const PROD: &str = "https://acme.zendesk.com";
pub const USERS: &str = "/api/v2/incremental/users/cursor.json";
pub const TICKETS: &str = "/api/v2/incremental/tickets/cursor.json";
pub const EVENTS: &str = "/api/v2/incremental/ticket_events.json";
pub const RATINGS: &str = "/api/v2/satisfaction_ratings.json";

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
