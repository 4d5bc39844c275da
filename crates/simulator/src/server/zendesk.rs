//! Zendesk's endpoints: the cursor exports of users and tickets, the time-based export of
//! ticket events, and satisfaction ratings, paged over the dataset's pre-sorted vectors (the
//! guard in `server.rs` has already counted, authenticated, rate-limited and drawn faults).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::{EVENTS, RATINGS, Repeat, Shared, TICKETS, USERS, error, json_response};
use crate::render;

type Params = Query<HashMap<String, String>>;

/// `(timestamp, id)` as an opaque cursor, shaped like Zendesk's (`"1576613539.0||467|"`).
pub(super) fn encode_cursor(ts: i64, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{ts}.0||{id}|"))
}

pub(super) fn decode_cursor(c: &str) -> Option<(i64, i64)> {
    let raw = URL_SAFE_NO_PAD
        .decode(c.trim_end_matches('='))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())?;
    let (ts, rest) = raw.split_once(".0||")?;
    let id = rest.strip_suffix('|')?;
    Some((ts.parse().ok()?, id.parse().ok()?))
}

/// `support_type_scope` of the incremental exports: `agent` (the default) and `all` list every
/// ticket of the account, `ai_agent` the tickets only an AI agent handled, of which the
/// simulator has none. `Some(false)`: serve nothing; `None`: not a documented value.
fn agent_scope(p: &HashMap<String, String>) -> Option<bool> {
    match p.get("support_type_scope").map(String::as_str) {
        None | Some("agent" | "all") => Some(true),
        Some("ai_agent") => Some(false),
        Some(_) => None,
    }
}

fn bad_scope() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "InvalidValue",
        "support_type_scope must be one of all, agent, ai_agent",
    )
}

pub(super) fn bad_param(description: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "InvalidPaginationParameter",
        description,
    )
}

fn page_size(p: &HashMap<String, String>, key: &str, default: usize, cap: usize) -> usize {
    p.get(key)
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(default)
        .clamp(1, cap)
}

/// A page of a cursor-based export: exactly the documented fields (`after_cursor`,
/// `after_url`, `before_cursor`, `before_url`, `end_of_stream` and the records; no `count`).
#[derive(Serialize)]
struct CursorPage<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    users: Option<Vec<T>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tickets: Option<Vec<T>>,
    after_cursor: String,
    after_url: String,
    before_cursor: Option<String>,
    before_url: Option<String>,
    end_of_stream: bool,
}

/// The slice a cursor export serves: `(first index, start-key cursor for empty pages)`.
fn cursor_start<K: Fn(usize) -> (i64, i64)>(
    len: usize,
    key: K,
    p: &HashMap<String, String>,
) -> Result<(usize, String), &'static str> {
    let part = |pred: &dyn Fn((i64, i64)) -> bool| {
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pred(key(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    if let Some(c) = p.get("cursor") {
        let k = decode_cursor(c).ok_or("cursor is invalid")?;
        Ok((part(&|x| x <= k), c.clone()))
    } else if let Some(st) = p.get("start_time") {
        let st: i64 = st
            .parse()
            .map_err(|_| "start_time must be a unix timestamp")?;
        Ok((
            part(&|x| x.0 < st),
            encode_cursor(st.saturating_sub(1), i64::MAX),
        ))
    } else {
        Err("start_time or cursor is required")
    }
}

fn next_url(base: &str, path: &str, first: (&str, &str), p: &HashMap<String, String>) -> String {
    let mut url = format!("{base}{path}?{}={}", first.0, first.1);
    for key in [
        "include",
        "per_page",
        "exclude_deleted",
        "support_type_scope",
    ] {
        if let Some(v) = p.get(key) {
            url.push_str(&format!("&{key}={}", v.replace(',', "%2C")));
        }
    }
    url
}

pub(super) async fn users(
    State(s): State<Arc<Shared>>,
    Query(p): Params,
    repeat: Option<axum::Extension<Repeat>>,
) -> Response {
    let recs = &s.data.users;
    let (start, empty_cursor) =
        match cursor_start(recs.len(), |i| (recs[i].updated_at, recs[i].id), &p) {
            Ok(x) => x,
            Err(e) => return bad_param(e),
        };
    let per = page_size(&p, "per_page", 1000, s.page_cap.min(1000));
    let end = (start + per).min(recs.len());
    let rep = repeat.map(|r| r.0.0).unwrap_or(0).min(start);
    let page: Vec<_> = recs[start - rep..end]
        .iter()
        .map(|u| render::user(u, &s.base))
        .collect();
    let after = if end > start {
        let l = &recs[end - 1];
        encode_cursor(l.updated_at, l.id)
    } else {
        empty_cursor
    };
    let body = CursorPage {
        users: Some(page),
        tickets: None,
        after_url: next_url(&s.base, USERS, ("cursor", &after), &p),
        after_cursor: after,
        before_cursor: None,
        before_url: None,
        end_of_stream: end == recs.len(),
    };
    json_response(&body, (rep > 0).then_some(Repeat(rep)))
}

pub(super) async fn tickets(
    State(s): State<Arc<Shared>>,
    Query(p): Params,
    repeat: Option<axum::Extension<Repeat>>,
) -> Response {
    let recs = &s.data.tickets;
    let (start, empty_cursor) =
        match cursor_start(recs.len(), |i| (recs[i].updated_at, recs[i].id), &p) {
            Ok(x) => x,
            Err(e) => return bad_param(e),
        };
    let per = page_size(&p, "per_page", 1000, s.page_cap.min(1000));
    let metrics = p
        .get("include")
        .is_some_and(|v| v.split(',').any(|x| x.trim() == "metric_sets"));
    let Some(in_scope) = agent_scope(&p) else {
        return bad_scope();
    };
    // Out of scope, the stream is empty: the page ends where it starts.
    let recs = if in_scope { &recs[..] } else { &recs[..0] };
    let start = start.min(recs.len());
    let exclude_deleted = p.get("exclude_deleted").is_some_and(|v| v == "true");
    let keep = |t: &crate::generate::ZTicket| !(exclude_deleted && t.status == "deleted");
    let truth = s.data.truth();
    let render = |t| render::ticket(t, &s.base, truth.ticket(t.id).filter(|_| metrics));
    let rep = repeat.map(|r| r.0.0).unwrap_or(0).min(start);
    let mut page: Vec<_> = recs[start - rep..start]
        .iter()
        .filter(|t| keep(t))
        .map(&render)
        .collect();
    let mut end = start;
    let mut taken = 0;
    while end < recs.len() && taken < per {
        if keep(&recs[end]) {
            page.push(render(&recs[end]));
            taken += 1;
        }
        end += 1;
    }
    let after = if end > start {
        let l = &recs[end - 1];
        encode_cursor(l.updated_at, l.id)
    } else {
        empty_cursor
    };
    let body = CursorPage {
        users: None,
        tickets: Some(page),
        after_url: next_url(&s.base, TICKETS, ("cursor", &after), &p),
        after_cursor: after,
        before_cursor: None,
        before_url: None,
        end_of_stream: end == recs.len(),
    };
    json_response(&body, (rep > 0).then_some(Repeat(rep)))
}

#[derive(Serialize)]
struct EventsPage {
    ticket_events: Vec<render::AuditJson>,
    count: usize,
    end_of_stream: bool,
    end_time: i64,
    next_page: String,
}

pub(super) async fn ticket_events(
    State(s): State<Arc<Shared>>,
    Query(p): Params,
    repeat: Option<axum::Extension<Repeat>>,
) -> Response {
    let Some(st) = p.get("start_time").and_then(|v| v.parse::<i64>().ok()) else {
        return bad_param("start_time is required (a unix timestamp)");
    };
    let audits = match agent_scope(&p) {
        Some(true) => &s.data.audits[..],
        Some(false) => &s.data.audits[..0],
        None => return bad_scope(),
    };
    let per = page_size(&p, "per_page", 1000, s.page_cap.min(1000));
    let comments = p
        .get("include")
        .is_some_and(|v| v.split(',').any(|x| x.trim() == "comment_events"));
    let start = audits.partition_point(|a| a.at < st);
    let mut end = (start + per).min(audits.len());
    let mut end_time = if end > start { audits[end - 1].at } else { st };
    if end > start && end < audits.len() && audits[start].at == audits[end - 1].at {
        // Every audit of this page shares one timestamp: serve the whole group (more than
        // per_page, as Zendesk does) and move past it, so paging always advances.
        let at = audits[start].at;
        end = start + audits[start..].partition_point(|a| a.at == at);
        end_time = if end < audits.len() { at + 1 } else { at };
    }
    let rep = repeat.map(|r| r.0.0).unwrap_or(0).min(start);
    let page: Vec<_> = audits[start - rep..end]
        .iter()
        .map(|a| render::audit(a, &s.data.events, comments))
        .collect();
    let body = EventsPage {
        count: page.len(),
        ticket_events: page,
        end_of_stream: end == audits.len(),
        end_time,
        next_page: next_url(&s.base, EVENTS, ("start_time", &end_time.to_string()), &p),
    };
    json_response(&body, (rep > 0).then_some(Repeat(rep)))
}

#[derive(Serialize)]
pub(super) struct Meta {
    pub(super) has_more: bool,
    pub(super) after_cursor: Option<String>,
    pub(super) before_cursor: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Links {
    pub(super) next: Option<String>,
    pub(super) prev: Option<String>,
}

#[derive(Serialize)]
struct RatingsPage {
    satisfaction_ratings: Vec<render::RatingJson>,
    meta: Meta,
    links: Links,
}

pub(super) async fn ratings(
    State(s): State<Arc<Shared>>,
    Query(p): Params,
    repeat: Option<axum::Extension<Repeat>>,
) -> Response {
    let recs = &s.data.ratings;
    let st = match p.get("start_time").map(|v| v.parse::<i64>()) {
        None => 0,
        Some(Ok(v)) => v,
        Some(Err(_)) => return bad_param("start_time must be a unix timestamp"),
    };
    if p.get("sort").is_some_and(|v| v != "created_at") {
        return bad_param("the simulator sorts by created_at only");
    }
    let size = page_size(&p, "page[size]", 100, s.page_cap.min(100));
    let key = |i: usize| (recs[i].created_at, recs[i].id);
    let lo = recs.partition_point(|r| r.created_at < st);
    let start = if let Some(a) = p.get("page[after]") {
        let Some(k) = decode_cursor(a) else {
            return bad_param("page[after] is invalid");
        };
        lo.max(recs.partition_point(|r| (r.created_at, r.id) <= k))
    } else if let Some(b) = p.get("page[before]") {
        let Some(k) = decode_cursor(b) else {
            return bad_param("page[before] is invalid");
        };
        let end = recs.partition_point(|r| (r.created_at, r.id) < k);
        lo.max(end.saturating_sub(size))
    } else {
        lo
    };
    let end = (start + size).min(recs.len());
    let end = match p.get("page[before]").and_then(|b| decode_cursor(b)) {
        Some(k) => end.min(recs.partition_point(|r| (r.created_at, r.id) < k)),
        None => end,
    };
    let end = end.max(start);
    let rep = repeat
        .map(|r| r.0.0)
        .unwrap_or(0)
        .min(start.saturating_sub(lo));
    let page: Vec<_> = recs[start - rep..end]
        .iter()
        .map(|r| render::rating(r, &s.base))
        .collect();
    let after = (end > start).then(|| {
        let (t, i) = key(end - 1);
        encode_cursor(t, i)
    });
    let before = (end > start).then(|| {
        let (t, i) = key(start);
        encode_cursor(t, i)
    });
    let has_more = end < recs.len();
    let link = |dir: &str, c: &str| {
        format!(
            "{}{RATINGS}?page%5B{dir}%5D={c}&page%5Bsize%5D={size}&sort=created_at&start_time={st}",
            s.base
        )
    };
    let body = RatingsPage {
        links: Links {
            next: match (&after, has_more) {
                (Some(a), true) => Some(link("after", a)),
                _ => None,
            },
            prev: match (&before, start > lo) {
                (Some(b), true) => Some(link("before", b)),
                _ => None,
            },
        },
        meta: Meta {
            has_more,
            after_cursor: after,
            before_cursor: before,
        },
        satisfaction_ratings: page,
    };
    json_response(&body, (rep > 0).then_some(Repeat(rep)))
}
