//! A hand-built week of Zendesk data (ISO week 2026-W46 of a Berlin team), served by wiremock
//! in pages of two records, shaped like Zendesk's documented responses:
//! `incremental/users/cursor.json` and `incremental/tickets/cursor.json` (cursor exports with
//! `after_cursor` / `end_of_stream`, from any `start_time`), Export Search Results
//! (`status<solved updated<…`) for a first sync's window, `incremental/ticket_events.json?include=comment_events`
//! (time-based: `end_time` / `next_page` / `end_of_stream`, the boundary event repeated on the
//! next page as Zendesk does), and `satisfaction_ratings.json` (cursor pagination with
//! `meta.has_more` / `meta.after_cursor` / `links.next`). Every "next" URL points at the
//! production host `https://acme.zendesk.com`, as the real API's do: the connector must stay
//! on its configured `base_url`.
//!
//! The traps, and where they are:
//! * T2 is created Sunday 23:30 UTC = Monday 00:30 in Berlin: inside the week. T3 is created
//!   Sunday 22:30 UTC = Sunday 23:30 Berlin: the week before. T9 at Sunday 23:30 UTC one week
//!   later is Monday in Berlin: after the week.
//! * T1 has an internal note (08:10) before its first public reply (08:40).
//! * T2 has a run of two customer messages (23:30, 23:40) before the reply (00:30).
//! * T4 is deleted. T5 is opened by an agent (outbound). T6 is solved, reopened, solved again.
//! * T7's first reply comes after the week has ended. T8 is never answered.
//! * T10 is answered by a trigger (bot) and solved by an automation.
//! * Survey 50002 was offered and never answered; 50004 was answered after the week.
//! * The very first request is answered 429 with `Retry-After: 1`.

mod responders;

use chrono::{DateTime, Utc};
use responders::{AnyStart, CursorExport, RatingsList, SearchExport};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const PROD: &str = "https://acme.zendesk.com";
pub const ALICE: i64 = 9001;
pub const BOB: i64 = 9002;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339 time")
}

fn unix(s: &str) -> i64 {
    t(s).timestamp()
}

fn users() -> Vec<Value> {
    let u = |id: i64, name: &str, role: &str, at: &str| {
        json!({"id": id, "url": format!("{PROD}/api/v2/users/{id}.json"), "name": name,
               "email": format!("user{id}@example.com"), "role": role, "role_type": null,
               "active": true, "suspended": false, "created_at": at, "updated_at": at,
               "time_zone": "Berlin", "iana_time_zone": "Europe/Berlin"})
    };
    vec![
        u(8001, "Carol Customer", "end-user", "2026-10-01T10:00:00Z"),
        u(ALICE, "Alice Agent", "agent", "2026-10-01T11:00:00Z"),
        u(8002, "Dan Customer", "end-user", "2026-10-02T10:00:00Z"),
        u(BOB, "Bob Admin", "admin", "2026-10-02T11:00:00Z"),
        u(8003, "Erin Customer", "end-user", "2026-10-03T10:00:00Z"),
    ]
}

struct T {
    id: i64,
    created: &'static str,
    status: &'static str,
    channel: &'static str,
    requester: i64,
    submitter: i64,
    assignee: Option<i64>,
}

const TICKETS: &[T] = &[
    T {
        id: 1,
        created: "2026-11-09T08:00:00Z",
        status: "solved",
        channel: "email",
        requester: 8001,
        submitter: 8001,
        assignee: Some(ALICE),
    },
    T {
        id: 2,
        created: "2026-11-08T23:30:00Z",
        status: "solved",
        channel: "chat",
        requester: 8002,
        submitter: 8002,
        assignee: Some(BOB),
    },
    T {
        id: 3,
        created: "2026-11-08T22:30:00Z",
        status: "solved",
        channel: "web",
        requester: 8003,
        submitter: 8003,
        assignee: Some(ALICE),
    },
    T {
        id: 4,
        created: "2026-11-10T10:00:00Z",
        status: "deleted",
        channel: "email",
        requester: 8001,
        submitter: 8001,
        assignee: Some(BOB),
    },
    T {
        id: 5,
        created: "2026-11-10T12:00:00Z",
        status: "solved",
        channel: "email",
        requester: 8002,
        submitter: ALICE,
        assignee: Some(ALICE),
    },
    T {
        id: 6,
        created: "2026-11-10T09:00:00Z",
        status: "solved",
        channel: "email",
        requester: 8003,
        submitter: 8003,
        assignee: Some(BOB),
    },
    T {
        id: 7,
        created: "2026-11-15T20:00:00Z",
        status: "open",
        channel: "email",
        requester: 8001,
        submitter: 8001,
        assignee: Some(ALICE),
    },
    T {
        id: 8,
        created: "2026-11-12T15:00:00Z",
        status: "new",
        channel: "web",
        requester: 8002,
        submitter: 8002,
        assignee: None,
    },
    T {
        id: 9,
        created: "2026-11-15T23:30:00Z",
        status: "new",
        channel: "email",
        requester: 8003,
        submitter: 8003,
        assignee: None,
    },
    T {
        id: 10,
        created: "2026-11-13T10:00:00Z",
        status: "solved",
        channel: "web",
        requester: 8001,
        submitter: 8001,
        assignee: None,
    },
];

/// One audit: when, by whom, and its child events.
struct Audit {
    ticket: i64,
    at: &'static str,
    updater: i64,
    children: Vec<Value>,
}

fn comment(id: i64, author: i64, public: bool, at: &str) -> Value {
    json!({"id": id, "type": "Comment", "event_type": "Comment", "author_id": author,
           "body": "(body text)", "html_body": "<p>(body text)</p>", "public": public,
           "attachments": [], "created_at": at,
           "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": null}}})
}

fn trigger_comment(id: i64, at: &str) -> Value {
    json!({"id": id, "type": "Comment", "event_type": "Comment", "author_id": -1,
           "body": "(auto reply)", "html_body": "<p>(auto reply)</p>", "public": true,
           "attachments": [], "created_at": at,
           "via": {"channel": "rule", "source": {"from": {"id": 360001, "title": "Auto-answer FAQ"}, "to": {}, "rel": "trigger"}}})
}

/// A status child event as the incremental ticket-events export documents it: the changed
/// field is its own key (developer.zendesk.com, Incremental Ticket Event Export; the issue 11
/// payload), not the audits API's `field_name`/`value`.
fn created(id: i64, status: &str) -> Value {
    json!({"id": id, "via": "Web form", "via_reference_id": null, "status": status, "event_type": "Create"})
}

fn change(id: i64, from: &str, to: &str) -> Value {
    json!({"id": id, "via": "Web form", "via_reference_id": null, "status": to,
           "event_type": "Change", "previous_value": from})
}

fn audits() -> Vec<Audit> {
    let a = |ticket, at, updater, children| Audit {
        ticket,
        at,
        updater,
        children,
    };
    let mut v = vec![
        // T1: internal note before the first public reply.
        a(
            1,
            "2026-11-09T08:00:00Z",
            8001,
            vec![
                created(10001, "new"),
                comment(10002, 8001, true, "2026-11-09T08:00:00Z"),
            ],
        ),
        a(
            1,
            "2026-11-09T08:10:00Z",
            ALICE,
            vec![comment(10003, ALICE, false, "2026-11-09T08:10:00Z")],
        ),
        a(
            1,
            "2026-11-09T08:40:00Z",
            ALICE,
            vec![
                comment(10004, ALICE, true, "2026-11-09T08:40:00Z"),
                change(10005, "new", "open"),
            ],
        ),
        a(
            1,
            "2026-11-09T09:00:00Z",
            ALICE,
            vec![change(10006, "open", "solved")],
        ),
        // T2: Monday 00:30 in Berlin; two customer messages before the reply.
        a(
            2,
            "2026-11-08T23:30:00Z",
            8002,
            vec![
                created(20001, "new"),
                comment(20002, 8002, true, "2026-11-08T23:30:00Z"),
            ],
        ),
        a(
            2,
            "2026-11-08T23:40:00Z",
            8002,
            vec![comment(20003, 8002, true, "2026-11-08T23:40:00Z")],
        ),
        a(
            2,
            "2026-11-09T00:30:00Z",
            BOB,
            vec![
                comment(20004, BOB, true, "2026-11-09T00:30:00Z"),
                change(20005, "new", "open"),
            ],
        ),
        a(
            2,
            "2026-11-09T01:00:00Z",
            8002,
            vec![comment(20006, 8002, true, "2026-11-09T01:00:00Z")],
        ),
        a(
            2,
            "2026-11-09T01:30:00Z",
            BOB,
            vec![comment(20007, BOB, true, "2026-11-09T01:30:00Z")],
        ),
        a(
            2,
            "2026-11-09T02:00:00Z",
            BOB,
            vec![change(20008, "open", "solved")],
        ),
        // T3: created the week before (Sunday 23:30 Berlin), answered and solved in the week.
        a(
            3,
            "2026-11-08T22:30:00Z",
            8003,
            vec![
                created(30001, "new"),
                comment(30002, 8003, true, "2026-11-08T22:30:00Z"),
            ],
        ),
        a(
            3,
            "2026-11-09T07:00:00Z",
            ALICE,
            vec![
                comment(30003, ALICE, true, "2026-11-09T07:00:00Z"),
                change(30004, "new", "open"),
            ],
        ),
        a(
            3,
            "2026-11-09T07:05:00Z",
            ALICE,
            vec![change(30005, "open", "solved")],
        ),
        // T4: deleted.
        a(
            4,
            "2026-11-10T10:00:00Z",
            8001,
            vec![
                created(40001, "new"),
                comment(40002, 8001, true, "2026-11-10T10:00:00Z"),
            ],
        ),
        a(
            4,
            "2026-11-10T10:30:00Z",
            BOB,
            vec![comment(40003, BOB, true, "2026-11-10T10:30:00Z")],
        ),
        a(
            4,
            "2026-11-10T11:00:00Z",
            BOB,
            vec![change(40004, "new", "deleted")],
        ),
        // T5: outbound, opened by Alice.
        a(
            5,
            "2026-11-10T12:00:00Z",
            ALICE,
            vec![
                created(50001, "open"),
                comment(50002, ALICE, true, "2026-11-10T12:00:00Z"),
            ],
        ),
        a(
            5,
            "2026-11-10T13:00:00Z",
            8002,
            vec![comment(50003, 8002, true, "2026-11-10T13:00:00Z")],
        ),
        a(
            5,
            "2026-11-10T14:00:00Z",
            ALICE,
            vec![comment(50004, ALICE, true, "2026-11-10T14:00:00Z")],
        ),
        a(
            5,
            "2026-11-10T14:30:00Z",
            ALICE,
            vec![change(50005, "open", "solved")],
        ),
        // T6: solved, reopened by the customer, solved again without another reply.
        a(
            6,
            "2026-11-10T09:00:00Z",
            8003,
            vec![
                created(60001, "new"),
                comment(60002, 8003, true, "2026-11-10T09:00:00Z"),
            ],
        ),
        a(
            6,
            "2026-11-10T09:30:00Z",
            BOB,
            vec![
                comment(60003, BOB, true, "2026-11-10T09:30:00Z"),
                change(60004, "new", "open"),
            ],
        ),
        a(
            6,
            "2026-11-10T10:00:00Z",
            BOB,
            vec![change(60005, "open", "solved")],
        ),
        a(
            6,
            "2026-11-11T08:00:00Z",
            8003,
            vec![
                comment(60006, 8003, true, "2026-11-11T08:00:00Z"),
                change(60007, "solved", "open"),
            ],
        ),
        a(
            6,
            "2026-11-11T10:00:00Z",
            BOB,
            vec![change(60008, "open", "solved")],
        ),
        // T7: first reply after the week ended.
        a(
            7,
            "2026-11-15T20:00:00Z",
            8001,
            vec![
                created(70001, "new"),
                comment(70002, 8001, true, "2026-11-15T20:00:00Z"),
            ],
        ),
        a(
            7,
            "2026-11-16T08:00:00Z",
            ALICE,
            vec![
                comment(70003, ALICE, true, "2026-11-16T08:00:00Z"),
                change(70004, "new", "open"),
            ],
        ),
        // T8: never answered.
        a(
            8,
            "2026-11-12T15:00:00Z",
            8002,
            vec![
                created(80001, "new"),
                comment(80002, 8002, true, "2026-11-12T15:00:00Z"),
            ],
        ),
        // T9: Monday 00:30 Berlin of the next week.
        a(
            9,
            "2026-11-15T23:30:00Z",
            8003,
            vec![
                created(90001, "new"),
                comment(90002, 8003, true, "2026-11-15T23:30:00Z"),
            ],
        ),
        // T10: a trigger answers, an automation solves.
        a(
            10,
            "2026-11-13T10:00:00Z",
            8001,
            vec![
                created(100001, "new"),
                comment(100002, 8001, true, "2026-11-13T10:00:00Z"),
            ],
        ),
        a(
            10,
            "2026-11-13T10:01:00Z",
            -1,
            vec![trigger_comment(100003, "2026-11-13T10:01:00Z")],
        ),
        a(
            10,
            "2026-11-13T10:05:00Z",
            -1,
            vec![change(100004, "new", "solved")],
        ),
    ];
    v.sort_by_key(|a| (t(a.at), a.ticket));
    v
}

fn audit_json(a: &Audit, id: i64) -> Value {
    let via = if a.updater == -1 { "Rule" } else { "Web form" };
    json!({"id": id, "ticket_id": a.ticket, "timestamp": unix(a.at), "created_at": a.at,
           "updater_id": a.updater, "via": via, "via_reference_id": null,
           "event_type": "Audit", "child_events": a.children})
}

fn ticket_json(tk: &T, all: &[Audit]) -> Value {
    let mine: Vec<&Audit> = all.iter().filter(|a| a.ticket == tk.id).collect();
    let updated = mine
        .iter()
        .map(|a| a.at)
        .max_by_key(|s| t(s))
        .unwrap_or(tk.created);
    let solves: Vec<&str> = mine
        .iter()
        .filter(|a| a.children.iter().any(|c| c["status"] == "solved"))
        .map(|a| a.at)
        .collect();
    let reopens = mine
        .iter()
        .filter(|a| a.children.iter().any(|c| c["previous_value"] == "solved"))
        .count();
    let mut tags = vec![json!("demo")];
    if tk.id == 6 {
        tags.push(json!("complaint"));
    }
    json!({
        "url": format!("{PROD}/api/v2/tickets/{}.json", tk.id), "id": tk.id, "external_id": null,
        "via": {"channel": tk.channel, "source": {"from": {}, "to": {}, "rel": null}},
        "created_at": tk.created, "updated_at": updated, "generated_timestamp": unix(updated),
        "type": null, "subject": "(subject)", "raw_subject": "(subject)", "description": "(description)",
        "priority": "normal", "status": tk.status, "recipient": null,
        "requester_id": tk.requester, "submitter_id": tk.submitter, "assignee_id": tk.assignee,
        "organization_id": null, "group_id": 360004077472i64, "tags": tags, "custom_fields": [],
        "satisfaction_rating": null, "is_public": true, "brand_id": 360002256672i64,
        "metric_set": {
            "id": 7000 + tk.id, "ticket_id": tk.id, "reopens": reopens, "replies": 0,
            "solved_at": if tk.status == "solved" { solves.last().map(|s| json!(s)).unwrap_or(Value::Null) } else { Value::Null },
            "created_at": tk.created, "updated_at": updated
        }
    })
}

fn ratings() -> Vec<Value> {
    let r = |id: i64, ticket: i64, score: &str, at: &str, assignee: i64, comment: Option<&str>| {
        json!({"url": format!("{PROD}/api/v2/satisfaction_ratings/{id}.json"), "id": id,
               "assignee_id": assignee, "group_id": 360004077472i64, "requester_id": 8001,
               "ticket_id": ticket, "score": score, "comment": comment, "reason": null,
               "created_at": at, "updated_at": at})
    };
    vec![
        r(50002, 2, "offered", "2026-11-09T03:00:00Z", BOB, None),
        r(
            50001,
            1,
            "good",
            "2026-11-09T10:00:00Z",
            ALICE,
            Some("Quick and kind"),
        ),
        r(
            50003,
            6,
            "bad",
            "2026-11-11T12:00:00Z",
            BOB,
            Some("Had to write twice"),
        ),
        r(50004, 3, "good", "2026-11-16T09:00:00Z", ALICE, None),
    ]
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .insert_header("x-rate-limit", "700")
        .insert_header("x-rate-limit-remaining", "699")
        .set_body_json(body)
}

/// Serves a cursor export (`users`, `tickets`) in pages of two, from any `start_time` or
/// cursor ([`CursorExport`]); returns the pages a read from the beginning takes.
async fn mount_cursor_export(
    server: &MockServer,
    resource: &'static str,
    key: &'static str,
    records: Vec<Value>,
) -> usize {
    let n = records.len().div_ceil(2);
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/incremental/{resource}/cursor.json")))
        .respond_with(CursorExport {
            resource,
            key,
            records,
        })
        .mount(server)
        .await;
    n
}

/// Serves the time-based ticket-event export: two new audits a page, each page after the
/// first repeating the previous page's last audit (same `end_time` boundary), as Zendesk does.
async fn mount_ticket_events(server: &MockServer) -> usize {
    let p = "/api/v2/incremental/ticket_events.json";
    let all = audits();
    let events: Vec<Value> = all
        .iter()
        .enumerate()
        .map(|(i, a)| audit_json(a, 900_000 + i as i64))
        .collect();
    // A first sync reads the recent window first (`first_window`): its `start_time` is an
    // instant of the real clock, not one of the pages' boundaries below: answered as Zendesk
    // answers any `start_time`, with the events from it on.
    Mock::given(method("GET"))
        .and(path(p))
        .and(query_param("include", "comment_events"))
        .respond_with(AnyStart(events.clone()))
        .with_priority(10)
        .mount(server)
        .await;
    let mut start = 0i64;
    let mut i = 0;
    let mut pages = 0;
    while i < events.len() {
        let mut page: Vec<Value> = Vec::new();
        if i > 0 {
            page.push(events[i - 1].clone()); // the boundary audit, again
        }
        page.extend(events[i..(i + 2).min(events.len())].iter().cloned());
        i = (i + 2).min(events.len());
        let end_time = page
            .last()
            .map(|e| e["timestamp"].as_i64().unwrap_or(0))
            .unwrap_or(start);
        let last = i == events.len();
        let body = json!({
            "ticket_events": page, "count": page.len(), "end_of_stream": last, "end_time": end_time,
            "next_page": format!("{PROD}{p}?include=comment_events&start_time={end_time}"),
        });
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("start_time", start.to_string()))
            .and(query_param("include", "comment_events"))
            .respond_with(ok(body))
            .mount(server)
            .await;
        pages += 1;
        if last {
            // The next sync starts at the last end_time and gets the boundary audit again.
            let again = vec![events[events.len() - 1].clone()];
            Mock::given(method("GET"))
                .and(path(p))
                .and(query_param("start_time", end_time.to_string()))
                .and(query_param("include", "comment_events"))
                .respond_with(ok(json!({"ticket_events": again, "count": 1, "end_of_stream": true,
                    "end_time": end_time, "next_page": format!("{PROD}{p}?include=comment_events&start_time={end_time}")})))
                .mount(server)
                .await;
        }
        start = end_time;
    }
    pages
}

/// Serves the ratings; returns the number of pages a first sync reads.
async fn mount_ratings(server: &MockServer) -> usize {
    let all = ratings();
    let n = all.len().div_ceil(2);
    Mock::given(method("GET"))
        .and(path("/api/v2/satisfaction_ratings.json"))
        .and(query_param("sort", "created_at"))
        .respond_with(RatingsList(all))
        .mount(server)
        .await;
    n
}

/// Starts a fake Zendesk serving the week; returns it with the number of pages one clean
/// sync reads (the 429 aside).
pub async fn start() -> (MockServer, usize) {
    let server = MockServer::start().await;
    // The very first request (users, first page) is rate-limited once.
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/users/cursor.json"))
        .and(query_param("start_time", "0"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"error": "APIRateLimitExceeded"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let mut pages = mount_cursor_export(&server, "users", "users", users()).await;
    let all = audits();
    let tickets: Vec<Value> = {
        let mut ts: Vec<&T> = TICKETS.iter().collect();
        let upd = |tk: &T| {
            ticket_json(tk, &all)["updated_at"]
                .as_str()
                .map(t)
                .unwrap_or_else(|| t(tk.created))
        };
        ts.sort_by_key(|tk| (upd(tk), tk.id));
        ts.into_iter().map(|tk| ticket_json(tk, &all)).collect()
    };
    // A first sync's recent window reads the unsolved tickets last updated before it here.
    Mock::given(method("GET"))
        .and(path("/api/v2/search/export"))
        .respond_with(SearchExport(tickets.clone()))
        .mount(&server)
        .await;
    pages += mount_cursor_export(&server, "tickets", "tickets", tickets).await;
    pages += mount_ticket_events(&server).await;
    pages += mount_ratings(&server).await;
    (server, pages)
}

/// What a later sync finds changed in the week: tickets 11 and 12, created in W46 (an
/// import, or tickets created late: the exports return them only now), each first answered
/// 20 h after it was opened, and T1 deleted (`status: "deleted"`, as the cursor export
/// returns deleted tickets). Mounted over [`start`]'s mocks (they outrank them), answering
/// the exports resumed from the first sync's checkpoints; users and ratings are unchanged.
pub async fn mount_late_changes(server: &MockServer) {
    let late = |id: i64, created: &'static str| T {
        id,
        created,
        status: "open",
        channel: "email",
        requester: 8002,
        submitter: 8002,
        assignee: Some(BOB),
    };
    // Each opened by the customer and first answered by Bob 20 h later.
    let audits: Vec<Audit> = [(11, "2026-11-10T09:00:00Z", "2026-11-11T05:00:00Z")]
        .into_iter()
        .chain([(12, "2026-11-11T09:00:00Z", "2026-11-12T05:00:00Z")])
        .flat_map(
            |(ticket, opened, answered): (i64, &'static str, &'static str)| {
                let id = ticket * 1000;
                [
                    Audit {
                        ticket,
                        at: opened,
                        updater: 8002,
                        children: vec![created(id + 1, "new"), comment(id + 2, 8002, true, opened)],
                    },
                    Audit {
                        ticket,
                        at: answered,
                        updater: BOB,
                        children: vec![
                            comment(id + 3, BOB, true, answered),
                            change(id + 4, "new", "open"),
                        ],
                    },
                ]
            },
        )
        .collect();
    let mut deleted = ticket_json(&TICKETS[0], &self::audits());
    deleted["status"] = json!("deleted");
    deleted["updated_at"] = json!("2026-11-20T10:00:00Z");
    deleted["generated_timestamp"] = json!(unix("2026-11-20T10:00:00Z"));
    let tickets = vec![
        ticket_json(&late(11, "2026-11-10T09:00:00Z"), &audits),
        ticket_json(&late(12, "2026-11-11T09:00:00Z"), &audits),
        deleted,
    ];
    let p = "/api/v2/incremental/tickets/cursor.json";
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ok(json!({
            "tickets": tickets, "after_cursor": "tickets-late",
            "after_url": format!("{PROD}{p}?cursor=tickets-late"),
            "before_cursor": null, "before_url": null, "end_of_stream": true,
        })))
        .with_priority(1)
        .mount(server)
        .await;
    let events: Vec<Value> = audits
        .iter()
        .enumerate()
        .map(|(i, a)| audit_json(a, 990_000 + i as i64))
        .collect();
    let end_time = unix("2026-11-20T10:00:00Z");
    let p = "/api/v2/incremental/ticket_events.json";
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ok(json!({
            "ticket_events": events, "count": events.len(), "end_of_stream": true,
            "end_time": end_time,
            "next_page": format!("{PROD}{p}?include=comment_events&start_time={end_time}"),
        })))
        .with_priority(1)
        .mount(server)
        .await;
}
