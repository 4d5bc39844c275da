//! `deskpulse reconcile`, end to end: a fake vendor serves a small hand-made week in its
//! documented payload shapes (see `fixtures/reconcile/PROVENANCE.md`), the real binary syncs it
//! into SQLite and Postgres, and `reconcile --period 2026-W46` must equal values computed by
//! hand: per KPI our (n, median) or (n, value), the vendor's, the tickets that agree, and the
//! ticket ids under each reason.
//!
//! The vendor's figures are written by hand from the vendor's own documented definitions
//! (cited at each ticket), never copied from ours: where the definitions agree the ticket
//! agrees, and a difference is only ever one the vendor really produces.
//!
//! Reminders of `deskpulse_metrics::reconcile`: a ticket counts in a KPI when either side has
//! a value and it is in the period (first response: created in it; first resolution: our or
//! the vendor's first solve in it; resolution, one-touch and reopen rate: our or the vendor's
//! final solve in it); durations agree within 60 s, rates exactly; `agree.share` is over every
//! counted ticket; medians are R-7 (the mean of the two middle values for an even n).

use std::collections::BTreeMap;

use crate::harness::{Env, text};
use deskpulse_storage::testing::TestDb;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PERIOD: &str = "2026-W46";

// ---------------------------------------------------------------------------------------
// Running the binary and reading its answer
// ---------------------------------------------------------------------------------------

async fn sync(env: &Env) {
    let out = env.run(&["sync"], &[]).await;
    assert!(
        out.status.success(),
        "sync failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

async fn reconcile_json(env: &Env, extra: &[&str]) -> Value {
    let mut args = vec!["reconcile", "--format", "json", "--period", PERIOD];
    args.extend_from_slice(extra);
    let out = env.run(&args, &[]).await;
    assert!(
        out.status.success(),
        "reconcile {args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("reconcile JSON: {e}\n{}", text(&out.stdout)))
}

async fn reconcile_text(env: &Env, extra: &[&str]) -> String {
    let mut args = vec!["reconcile", "--format", "text", "--period", PERIOD];
    args.extend_from_slice(extra);
    let out = env.run(&args, &[]).await;
    assert!(
        out.status.success(),
        "reconcile {args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// One side of a KPI: `n` and the median (durations) or the share (rates).
type Side = (u64, f64);

/// What one KPI must say: ours, the vendor's, (agreeing tickets, their share), and the
/// tickets under each reason (every reason not listed must have none).
struct Want<'a> {
    ours: Side,
    vendor: Side,
    agree: (u64, f64),
    reasons: &'a [(&'a str, &'a [&'a str])],
}

fn close_enough(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[track_caller]
fn check_kpi(r: &Value, kpi: &str, want: Want<'_>) {
    let k = &r["kpis"][kpi];
    assert!(k.is_object(), "no KPI {kpi} in {r:#}");
    let field = if kpi.ends_with("_rate") {
        "value"
    } else {
        "median_seconds"
    };
    for (side, (n, figure)) in [("ours", want.ours), ("vendor", want.vendor)] {
        let got_n = k[side]["n"].as_u64();
        let got = k[side][field].as_f64();
        assert!(
            got_n == Some(n) && got.is_some_and(|g| close_enough(g, figure)),
            "{kpi}.{side}: got n {got_n:?}, {field} {got:?}; want n {n}, {field} {figure}\n{k:#}"
        );
    }
    let (n, share) = want.agree;
    let (got_n, got_share) = (k["agree"]["n"].as_u64(), k["agree"]["share"].as_f64());
    assert!(
        got_n == Some(n) && got_share.is_some_and(|s| close_enough(s, share)),
        "{kpi}.agree: got {got_n:?} / {got_share:?}; want {n} / {share}\n{k:#}"
    );
    let got: BTreeMap<String, Vec<String>> = k["reasons"]
        .as_object()
        .unwrap_or_else(|| panic!("{kpi}: no reasons in {k:#}"))
        .iter()
        .filter(|(_, t)| t["count"].as_u64() != Some(0))
        .map(|(reason, t)| {
            let ids: Vec<String> = t["tickets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(
                t["count"].as_u64(),
                Some(ids.len() as u64),
                "{kpi}.{reason}: count and ids differ"
            );
            (reason.clone(), ids)
        })
        .collect();
    let expected: BTreeMap<String, Vec<String>> = want
        .reasons
        .iter()
        .map(|(reason, ids)| {
            (
                (*reason).to_owned(),
                ids.iter().map(|i| (*i).to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(got, expected, "{kpi}: tickets by reason");
}

/// A KPI line of the text output, in `render_text`'s layout.
fn kpi_line(label: &str, ours: &str, vendor: &str, agree: &str) -> String {
    format!("  {label:<18}{ours:>18}{vendor:>18}  {agree}")
}

#[track_caller]
fn has_line(out: &str, line: &str) {
    assert!(
        out.lines().any(|l| l == line),
        "no line {line:?} in:\n{out}"
    );
}

fn fixture(name: &str) -> Value {
    let p = format!(
        "{}/e2e/fixtures/reconcile/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_json(body)
}

fn unix(s: &str) -> i64 {
    s.parse::<chrono::DateTime<chrono::Utc>>()
        .expect("RFC 3339 time")
        .timestamp()
}

// ---------------------------------------------------------------------------------------
// Zendesk
// ---------------------------------------------------------------------------------------

mod zendesk {
    //! A fake Zendesk serving the reconcile week: the users and tickets cursor exports (one
    //! page each, `end_of_stream`), the ticket-events export with `include=comment_events` in
    //! its documented layout (the changed field as its own key), and an empty satisfaction
    //! ratings list; shapes as `zendesk_week.rs` serves them.

    use super::*;

    pub const PROD: &str = "https://acme.zendesk.com";
    pub const ALICE: i64 = 9201;
    pub const BOB: i64 = 9202;
    /// Zendesk's system user: automations and triggers update tickets as it.
    const SYSTEM: i64 = -1;

    /// A duration of the metric set, in whole minutes; `None` = not reached yet.
    pub fn minutes(calendar: Option<i64>, business: Option<i64>) -> Value {
        json!({"calendar": calendar, "business": business})
    }

    pub fn both(calendar: i64, business: i64) -> Value {
        minutes(Some(calendar), Some(business))
    }

    pub fn none() -> Value {
        minutes(None, None)
    }

    /// One ticket of the export with its metric set (Ticket Metrics' keys).
    pub struct Ticket {
        pub id: i64,
        pub created: &'static str,
        pub status: &'static str,
        pub channel: &'static str,
        pub requester: i64,
        pub submitter: i64,
        pub assignee: Option<i64>,
        pub tags: &'static [&'static str],
        pub reply: Value,
        pub first_resolution: Value,
        pub full_resolution: Value,
        pub reopens: u32,
        pub replies: u32,
        pub solved_at: Option<&'static str>,
    }

    /// One ticket update of the ticket-events export.
    pub struct Audit {
        pub ticket: i64,
        pub at: &'static str,
        pub updater: i64,
        pub children: Vec<Value>,
    }

    pub fn audit(ticket: i64, at: &'static str, updater: i64, children: Vec<Value>) -> Audit {
        Audit {
            ticket,
            at,
            updater,
            children,
        }
    }

    /// A comment child event (the `comment_events` side-load's documented shape).
    pub fn comment(id: i64, author: i64, public: bool, at: &str) -> Value {
        json!({"id": id, "type": "Comment", "event_type": "Comment", "author_id": author,
               "body": "(body text)", "html_body": "<p>(body text)</p>", "public": public,
               "attachments": [], "created_at": at,
               "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": null}}})
    }

    /// A trigger's public comment. Zendesk shows a trigger's comment "as if added by the
    /// current assignee; if the ticket is unassigned, it is attributed to the system user"
    /// (support.zendesk.com/hc/zh-cn/articles/6191477770906, as the simulator cites it): so
    /// `author` is the assignee, and the comment's via is the rule (via reference).
    pub fn trigger_comment(id: i64, author: i64, at: &str) -> Value {
        json!({"id": id, "type": "Comment", "event_type": "Comment", "author_id": author,
               "body": "(auto reply)", "html_body": "<p>(auto reply)</p>", "public": true,
               "attachments": [], "created_at": at,
               "via": {"channel": "rule", "source": {"from": {"id": 360001, "title": "Auto-answer FAQ"}, "to": {}, "rel": "trigger"}}})
    }

    pub fn created(id: i64, status: &str) -> Value {
        json!({"id": id, "via": "Web form", "via_reference_id": null, "status": status, "event_type": "Create"})
    }

    pub fn change(id: i64, from: &str, to: &str) -> Value {
        json!({"id": id, "via": "Web form", "via_reference_id": null, "status": to,
               "event_type": "Change", "previous_value": from})
    }

    fn users() -> Vec<Value> {
        let u = |id: i64, name: &str, role: &str| {
            json!({"id": id, "url": format!("{PROD}/api/v2/users/{id}.json"), "name": name,
                   "email": format!("user{id}@example.com"), "role": role, "role_type": null,
                   "active": true, "suspended": false, "created_at": "2026-10-01T10:00:00Z",
                   "updated_at": "2026-10-01T10:00:00Z", "time_zone": "Berlin",
                   "iana_time_zone": "Europe/Berlin"})
        };
        let mut v: Vec<Value> = (201..=209)
            .map(|n| u(8000 + n, "(a customer)", "end-user"))
            .collect();
        v.push(u(ALICE, "Alice Agent", "agent"));
        v.push(u(BOB, "Bob Admin", "admin"));
        v
    }

    fn ticket_json(tk: &Ticket, audits: &[Audit]) -> Value {
        let updated = audits
            .iter()
            .filter(|a| a.ticket == tk.id)
            .map(|a| a.at)
            .max_by_key(|s| unix(s))
            .unwrap_or(tk.created);
        json!({
            "url": format!("{PROD}/api/v2/tickets/{}.json", tk.id), "id": tk.id, "external_id": null,
            "via": {"channel": tk.channel, "source": {"from": {}, "to": {}, "rel": null}},
            "created_at": tk.created, "updated_at": updated, "generated_timestamp": unix(updated),
            "type": null, "subject": "(subject)", "raw_subject": "(subject)", "description": "(description)",
            "priority": "normal", "status": tk.status, "recipient": null,
            "requester_id": tk.requester, "submitter_id": tk.submitter, "assignee_id": tk.assignee,
            "organization_id": null, "group_id": 360004077472i64, "tags": tk.tags, "custom_fields": [],
            "satisfaction_rating": null, "is_public": true, "brand_id": 360002256672i64,
            "metric_set": {
                "id": 7000 + tk.id, "ticket_id": tk.id, "created_at": tk.created, "updated_at": updated,
                "reopens": tk.reopens, "replies": tk.replies,
                "reply_time_in_minutes": tk.reply,
                "first_resolution_time_in_minutes": tk.first_resolution,
                "full_resolution_time_in_minutes": tk.full_resolution,
                "solved_at": tk.solved_at,
            }
        })
    }

    fn audit_json(a: &Audit, id: i64) -> Value {
        let via = if a.updater == SYSTEM {
            "Rule"
        } else {
            "Web form"
        };
        json!({"id": id, "ticket_id": a.ticket, "timestamp": unix(a.at), "created_at": a.at,
               "updater_id": a.updater, "via": via, "via_reference_id": null,
               "event_type": "Audit", "child_events": a.children})
    }

    /// Starts a fake Zendesk serving `tickets` and their `audits`.
    pub async fn start(tickets: &[Ticket], mut audits: Vec<Audit>) -> MockServer {
        let server = MockServer::start().await;
        audits.sort_by_key(|a| (unix(a.at), a.ticket));
        let cursor_page = |key: &str, records: Vec<Value>, resource: &str| {
            json!({
                key: records,
                "after_cursor": format!("{resource}-end"),
                "after_url": format!("{PROD}/api/v2/incremental/{resource}/cursor.json?cursor={resource}-end"),
                "before_cursor": null, "before_url": null, "end_of_stream": true,
            })
        };
        Mock::given(method("GET"))
            .and(path("/api/v2/incremental/users/cursor.json"))
            .respond_with(ok(cursor_page("users", users(), "users")))
            .mount(&server)
            .await;
        let mut ts: Vec<&Ticket> = tickets.iter().collect();
        ts.sort_by_key(|t| {
            (
                ticket_json(t, &audits)["generated_timestamp"]
                    .as_i64()
                    .unwrap(),
                t.id,
            )
        });
        let tickets: Vec<Value> = ts.into_iter().map(|t| ticket_json(t, &audits)).collect();
        Mock::given(method("GET"))
            .and(path("/api/v2/incremental/tickets/cursor.json"))
            .respond_with(ok(cursor_page("tickets", tickets, "tickets")))
            .mount(&server)
            .await;
        let events: Vec<Value> = audits
            .iter()
            .enumerate()
            .map(|(i, a)| audit_json(a, 990_000 + i as i64))
            .collect();
        let end_time = events
            .last()
            .and_then(|e| e["timestamp"].as_i64())
            .unwrap_or(0);
        let p = "/api/v2/incremental/ticket_events.json";
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ok(json!({
                "ticket_events": events, "count": events.len(), "end_of_stream": true,
                "end_time": end_time,
                "next_page": format!("{PROD}{p}?include=comment_events&start_time={end_time}"),
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v2/satisfaction_ratings.json"))
            .respond_with(ok(json!({
                "satisfaction_ratings": [],
                "meta": {"has_more": false, "after_cursor": null, "before_cursor": null},
                "links": {"next": null, "prev": null},
            })))
            .mount(&server)
            .await;
        server
    }

    /// Z201: answered at 08:40:30 (Zendesk keeps whole minutes: 40), solved at 10:00.
    pub fn plain() -> (Ticket, Vec<Audit>) {
        (
            Ticket {
                id: 201,
                created: "2026-11-09T08:00:00Z",
                status: "solved",
                channel: "email",
                requester: 8201,
                submitter: 8201,
                assignee: Some(ALICE),
                tags: &[],
                // 08:00 → 08:40:30 is 40.5 min; Zendesk gives whole minutes (rounded down,
                // the simulator's reading): 40. Berlin 09:00–09:40:30 is in business hours.
                reply: both(40, 40),
                // 08:00 → 10:00 = 120 min, all in business hours.
                first_resolution: both(120, 120),
                full_resolution: both(120, 120),
                reopens: 0,
                replies: 1,
                solved_at: Some("2026-11-09T10:00:00Z"),
            },
            vec![
                audit(
                    201,
                    "2026-11-09T08:00:00Z",
                    8201,
                    vec![
                        created(201_001, "new"),
                        comment(201_002, 8201, true, "2026-11-09T08:00:00Z"),
                    ],
                ),
                audit(
                    201,
                    "2026-11-09T08:40:30Z",
                    ALICE,
                    vec![
                        comment(201_003, ALICE, true, "2026-11-09T08:40:30Z"),
                        change(201_004, "new", "open"),
                    ],
                ),
                audit(
                    201,
                    "2026-11-09T10:00:00Z",
                    ALICE,
                    vec![change(201_005, "open", "solved")],
                ),
            ],
        )
    }

    /// The reconcile week (Berlin W46 = [2026-11-08T23:00Z, 2026-11-15T23:00Z)); times are UTC,
    /// Berlin is UTC+1. The account's schedule is the team's business hours, Mon–Fri
    /// 09:00–17:00 Berlin.
    ///
    /// Zendesk's rules ("About native Support time duration metrics",
    /// support.zendesk.com/hc/en-us/articles/4408834848154): first reply time ends at "the
    /// first public agent reply", and "if the ticket is created by an agent and the first
    /// comment is public the second timestamp shifts to the second public agent comment";
    /// first resolution at "the first time the ticket status is set to solved" ("if the
    /// unsolved ticket is set to closed by a business rule or API, this event is considered
    /// as the second timestamp"); full resolution at the latest solve. `reopens`: "total
    /// number of times the ticket was reopened"; `replies`: "the number of public replies
    /// added to a ticket by an agent" (Ticket Metrics API).
    pub fn week() -> (Vec<Ticket>, Vec<Audit>) {
        let (z201, mut audits) = plain();
        let tickets = vec![
            z201,
            // Z202: an internal note at 09:10, the public reply at 09:50, solved 11:00.
            // Zendesk's first reply is the first *public* agent comment: 50 min (the note is
            // no reply), as ours.
            Ticket {
                id: 202,
                created: "2026-11-09T09:00:00Z",
                status: "solved",
                channel: "web",
                requester: 8202,
                submitter: 8202,
                assignee: Some(ALICE),
                tags: &[],
                reply: both(50, 50),
                first_resolution: both(120, 120),
                full_resolution: both(120, 120),
                reopens: 0,
                replies: 1,
                solved_at: Some("2026-11-09T11:00:00Z"),
            },
            // Z203: outbound: Alice opens it with a public comment at 12:00, the customer
            // answers at 13:00, Alice replies at 14:00, solves at 14:30. Zendesk's first reply
            // shifts to the second public agent comment: 14:00 = 120 min. Its replies: the
            // opening comment is no reply (as the simulator reads Zendesk), 1.
            Ticket {
                id: 203,
                created: "2026-11-10T12:00:00Z",
                status: "solved",
                channel: "email",
                requester: 8203,
                submitter: ALICE,
                assignee: Some(ALICE),
                tags: &[],
                reply: both(120, 120),
                first_resolution: both(150, 150),
                full_resolution: both(150, 150),
                reopens: 0,
                replies: 1,
                solved_at: Some("2026-11-10T14:30:00Z"),
            },
            // Z204: a trigger answers at 09:01, as the assignee Bob; Bob replies at 10:00 and
            // solves at 10:30. Zendesk counts the trigger's comment as Bob's: first reply
            // 1 min, replies 2.
            Ticket {
                id: 204,
                created: "2026-11-10T09:00:00Z",
                status: "solved",
                channel: "web",
                requester: 8204,
                submitter: 8204,
                assignee: Some(BOB),
                tags: &[],
                reply: both(1, 1),
                first_resolution: both(90, 90),
                full_resolution: both(90, 90),
                reopens: 0,
                replies: 2,
                solved_at: Some("2026-11-10T10:30:00Z"),
            },
            // Z205: answered 09:30, solved Wed 10:00, reopened by the customer Thu 08:00,
            // answered Thu 09:00, solved again Thu 10:00. Zendesk: first reply 30 min; first
            // resolution at the first solve, 60 min; full resolution at the latest, Wed 09:00
            // → Thu 10:00 = 25 h = 1500 min (business: Wed 10:00–17:00 + Thu 09:00–11:00
            // Berlin = 9 h = 540 min); reopens 1; replies 2.
            Ticket {
                id: 205,
                created: "2026-11-11T09:00:00Z",
                status: "solved",
                channel: "email",
                requester: 8205,
                submitter: 8205,
                assignee: Some(ALICE),
                tags: &[],
                reply: both(30, 30),
                first_resolution: both(60, 60),
                full_resolution: both(1500, 540),
                reopens: 1,
                replies: 2,
                solved_at: Some("2026-11-12T10:00:00Z"),
            },
            // Z206: created Fri 17:30 Berlin (after hours), answered 21:30 Berlin, solved Sat
            // 10:00Z. Calendar 4 h = 240 min and 17.5 h = 1050 min; business 0 and 0 (no
            // business hour in between).
            Ticket {
                id: 206,
                created: "2026-11-13T16:30:00Z",
                status: "solved",
                channel: "email",
                requester: 8206,
                submitter: 8206,
                assignee: Some(BOB),
                tags: &[],
                reply: both(240, 0),
                first_resolution: both(1050, 0),
                full_resolution: both(1050, 0),
                reopens: 0,
                replies: 1,
                solved_at: Some("2026-11-14T10:00:00Z"),
            },
            // Z207: answered 10:20, then merged into another ticket at 11:00: Zendesk closes
            // it (tag `closed_by_merge`) and keeps its metric set; closing an unsolved ticket
            // is its resolution: 60 min. First reply 20 min, replies 1.
            Ticket {
                id: 207,
                created: "2026-11-12T10:00:00Z",
                status: "closed",
                channel: "email",
                requester: 8207,
                submitter: 8207,
                assignee: Some(ALICE),
                tags: &["closed_by_merge"],
                reply: both(20, 20),
                first_resolution: both(60, 60),
                full_resolution: both(60, 60),
                reopens: 0,
                replies: 1,
                solved_at: Some("2026-11-12T11:00:00Z"),
            },
            // Z209: created Sun 21:00 Berlin (the week before), answered Mon 07:00Z, solved
            // Mon 08:00Z: 660 and 720 min (business 0: before Mon 09:00 Berlin).
            Ticket {
                id: 209,
                created: "2026-11-08T20:00:00Z",
                status: "solved",
                channel: "web",
                requester: 8209,
                submitter: 8209,
                assignee: Some(ALICE),
                tags: &[],
                reply: both(660, 0),
                first_resolution: both(720, 0),
                full_resolution: both(720, 0),
                reopens: 0,
                replies: 1,
                solved_at: Some("2026-11-09T08:00:00Z"),
            },
        ];
        audits.extend([
            audit(
                202,
                "2026-11-09T09:00:00Z",
                8202,
                vec![
                    created(202_001, "new"),
                    comment(202_002, 8202, true, "2026-11-09T09:00:00Z"),
                ],
            ),
            audit(
                202,
                "2026-11-09T09:10:00Z",
                ALICE,
                vec![comment(202_003, ALICE, false, "2026-11-09T09:10:00Z")],
            ),
            audit(
                202,
                "2026-11-09T09:50:00Z",
                ALICE,
                vec![
                    comment(202_004, ALICE, true, "2026-11-09T09:50:00Z"),
                    change(202_005, "new", "open"),
                ],
            ),
            audit(
                202,
                "2026-11-09T11:00:00Z",
                ALICE,
                vec![change(202_006, "open", "solved")],
            ),
            audit(
                203,
                "2026-11-10T12:00:00Z",
                ALICE,
                vec![
                    created(203_001, "open"),
                    comment(203_002, ALICE, true, "2026-11-10T12:00:00Z"),
                ],
            ),
            audit(
                203,
                "2026-11-10T13:00:00Z",
                8203,
                vec![comment(203_003, 8203, true, "2026-11-10T13:00:00Z")],
            ),
            audit(
                203,
                "2026-11-10T14:00:00Z",
                ALICE,
                vec![comment(203_004, ALICE, true, "2026-11-10T14:00:00Z")],
            ),
            audit(
                203,
                "2026-11-10T14:30:00Z",
                ALICE,
                vec![change(203_005, "open", "solved")],
            ),
            audit(
                204,
                "2026-11-10T09:00:00Z",
                8204,
                vec![
                    created(204_001, "new"),
                    comment(204_002, 8204, true, "2026-11-10T09:00:00Z"),
                ],
            ),
            audit(
                204,
                "2026-11-10T09:01:00Z",
                SYSTEM,
                vec![trigger_comment(204_003, BOB, "2026-11-10T09:01:00Z")],
            ),
            audit(
                204,
                "2026-11-10T10:00:00Z",
                BOB,
                vec![
                    comment(204_004, BOB, true, "2026-11-10T10:00:00Z"),
                    change(204_005, "new", "open"),
                ],
            ),
            audit(
                204,
                "2026-11-10T10:30:00Z",
                BOB,
                vec![change(204_006, "open", "solved")],
            ),
            audit(
                205,
                "2026-11-11T09:00:00Z",
                8205,
                vec![
                    created(205_001, "new"),
                    comment(205_002, 8205, true, "2026-11-11T09:00:00Z"),
                ],
            ),
            audit(
                205,
                "2026-11-11T09:30:00Z",
                ALICE,
                vec![
                    comment(205_003, ALICE, true, "2026-11-11T09:30:00Z"),
                    change(205_004, "new", "open"),
                ],
            ),
            audit(
                205,
                "2026-11-11T10:00:00Z",
                ALICE,
                vec![change(205_005, "open", "solved")],
            ),
            audit(
                205,
                "2026-11-12T08:00:00Z",
                8205,
                vec![
                    comment(205_006, 8205, true, "2026-11-12T08:00:00Z"),
                    change(205_007, "solved", "open"),
                ],
            ),
            audit(
                205,
                "2026-11-12T09:00:00Z",
                ALICE,
                vec![comment(205_008, ALICE, true, "2026-11-12T09:00:00Z")],
            ),
            audit(
                205,
                "2026-11-12T10:00:00Z",
                ALICE,
                vec![change(205_009, "open", "solved")],
            ),
            audit(
                206,
                "2026-11-13T16:30:00Z",
                8206,
                vec![
                    created(206_001, "new"),
                    comment(206_002, 8206, true, "2026-11-13T16:30:00Z"),
                ],
            ),
            audit(
                206,
                "2026-11-13T20:30:00Z",
                BOB,
                vec![
                    comment(206_003, BOB, true, "2026-11-13T20:30:00Z"),
                    change(206_004, "new", "open"),
                ],
            ),
            audit(
                206,
                "2026-11-14T10:00:00Z",
                BOB,
                vec![change(206_005, "open", "solved")],
            ),
            audit(
                207,
                "2026-11-12T10:00:00Z",
                8207,
                vec![
                    created(207_001, "new"),
                    comment(207_002, 8207, true, "2026-11-12T10:00:00Z"),
                ],
            ),
            audit(
                207,
                "2026-11-12T10:20:00Z",
                ALICE,
                vec![
                    comment(207_003, ALICE, true, "2026-11-12T10:20:00Z"),
                    change(207_004, "new", "open"),
                ],
            ),
            // The merge: Zendesk's private note on the merged ticket, and the close.
            audit(
                207,
                "2026-11-12T11:00:00Z",
                ALICE,
                vec![
                    comment(207_005, ALICE, false, "2026-11-12T11:00:00Z"),
                    change(207_006, "open", "closed"),
                ],
            ),
            audit(
                209,
                "2026-11-08T20:00:00Z",
                8209,
                vec![
                    created(209_001, "new"),
                    comment(209_002, 8209, true, "2026-11-08T20:00:00Z"),
                ],
            ),
            audit(
                209,
                "2026-11-09T07:00:00Z",
                ALICE,
                vec![
                    comment(209_003, ALICE, true, "2026-11-09T07:00:00Z"),
                    change(209_004, "new", "open"),
                ],
            ),
            audit(
                209,
                "2026-11-09T08:00:00Z",
                ALICE,
                vec![change(209_005, "open", "solved")],
            ),
        ]);
        (tickets, audits)
    }

    /// Z208: answered by Bob at 13:15 (15 min), then deleted at 14:00. "Deleting a ticket will
    /// also delete any ticket_audit, ticket_metric or ticket_comment records associated with
    /// that ticket" (singer-io/tap-zendesk PR #149, citing Zendesk's "Deleting tickets",
    /// support.zendesk.com/hc/en-us/articles/4408883872538; Stitch's Zendesk docs likewise:
    /// the metrics of a deleted ticket answer `RecordNotFound`). The export here still carries
    /// the metric set the ticket had (the worst case, and what the simulator serves): a figure
    /// Zendesk no longer keeps, so it is nobody's.
    pub fn deleted() -> (Ticket, Vec<Audit>) {
        (
            Ticket {
                id: 208,
                created: "2026-11-12T13:00:00Z",
                status: "deleted",
                channel: "email",
                requester: 8208,
                submitter: 8208,
                assignee: Some(BOB),
                tags: &[],
                reply: both(15, 15),
                first_resolution: none(),
                full_resolution: none(),
                reopens: 0,
                replies: 1,
                solved_at: None,
            },
            vec![
                audit(
                    208,
                    "2026-11-12T13:00:00Z",
                    8208,
                    vec![
                        created(208_001, "new"),
                        comment(208_002, 8208, true, "2026-11-12T13:00:00Z"),
                    ],
                ),
                audit(
                    208,
                    "2026-11-12T13:15:00Z",
                    BOB,
                    vec![
                        comment(208_003, BOB, true, "2026-11-12T13:15:00Z"),
                        change(208_004, "new", "open"),
                    ],
                ),
                audit(
                    208,
                    "2026-11-12T14:00:00Z",
                    BOB,
                    vec![change(208_005, "open", "deleted")],
                ),
            ],
        )
    }

    /// One Berlin team with business hours, on one Zendesk source `zd`.
    pub fn config(db: &str, base_url: &str) -> String {
        format!(
            r#"[database]
url = "{db}"

[[teams]]
name = "support"
timezone = "Europe/Berlin"
sources = ["zd"]
business_hours = {{ days = "Mon-Fri", start = "09:00", end = "17:00" }}

[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "agent@example.com"
api_token = "zd-reconcile-token"
base_url = "{base_url}"
requests_per_minute = 6000
incremental_requests_per_minute = 6000
# The exports' payloads are what this file pins: one pass (the recent window's lists
# are tests/e2e/window.rs's and the connector's).
first_window = "off"
"#
        )
    }
}

async fn zendesk_week(db_url: &str) {
    let (tickets, audits) = zendesk::week();
    let server = zendesk::start(&tickets, audits).await;
    let env = Env::new();
    env.write_config(&zendesk::config(db_url, &server.uri()));
    sync(&env).await;
    let r = reconcile_json(&env, &[]).await;
    assert_eq!(r["source"], "zd", "{r:#}");
    assert_eq!(r["period"]["label"], PERIOD);
    assert_eq!(r["period"]["timezone"], "Europe/Berlin");
    assert_eq!(r["unsupported"], json!({}), "Zendesk has every figure");

    // First response: tickets created in [11-08T23:00Z, 11-15T23:00Z): Z201–Z207 (not Z209).
    //   Z201 ours 08:00 → 08:40:30 = 2430 s; Zendesk 40 min = 2400 s: |30| < 60, agree.
    //   Z202 ours 3000 (the 09:10 note is no reply); Zendesk 50 min = 3000: agree.
    //   Z203 ours none (outbound); Zendesk 120 min = 7200: outbound.
    //   Z204 ours 10:00 = 3600 (the trigger is a bot); Zendesk 1 min = 60, the trigger's
    //        comment at 09:01 = created + 60 s: bot_or_automation_reply.
    //   Z205 ours 1800; Zendesk 30 min = 1800: agree.
    //   Z206 ours 16:30 → 20:30 = 14400; Zendesk calendar 240 min = 14400 (its business 0 is
    //        not what is compared): agree.
    //   Z207 ours none (merged); Zendesk 20 min = 1200: merged_or_deleted.
    // Ours [2430, 3000, 3600, 1800, 14400] → sorted 1800 2430 3000 3600 14400: median 3000.
    // Zendesk [2400, 3000, 7200, 60, 1800, 14400, 1200] → sorted 60 1200 1800 2400 3000
    // 7200 14400: median 2400. Agree: Z201 Z202 Z205 Z206 = 4 of 7.
    check_kpi(
        &r,
        "first_response_time",
        Want {
            ours: (5, 3000.0),
            vendor: (7, 2400.0),
            agree: (4, 4.0 / 7.0),
            reasons: &[
                ("merged_or_deleted", &["207"]),
                ("outbound", &["203"]),
                ("bot_or_automation_reply", &["204"]),
            ],
        },
    );

    // First resolution: first solve in the week on either side.
    //   Z201 10:00 − 08:00 = 7200 (Zendesk 120 min); Z202 09:00 → 11:00 = 7200 (120);
    //   Z203 12:00 → 14:30 = 9000 (150); Z204 09:00 → 10:30 = 5400 (90); Z205 the first
    //   solve, Wed 10:00 = 3600 (60); Z206 Fri 16:30 → Sat 10:00 = 63000 (1050); Z209 Sun
    //   20:00 → Mon 08:00 = 43200 (720): all agree. Z207: ours none (merged), Zendesk's
    //   close at 11:00 = 3600: merged_or_deleted.
    // Ours sorted 3600 5400 7200 7200 9000 43200 63000: median 7200. Zendesk adds 3600:
    // 3600 3600 5400 7200 7200 9000 43200 63000: median (7200 + 7200) / 2 = 7200. 7 of 8.
    check_kpi(
        &r,
        "first_resolution_time",
        Want {
            ours: (7, 7200.0),
            vendor: (8, 7200.0),
            agree: (7, 7.0 / 8.0),
            reasons: &[("merged_or_deleted", &["207"])],
        },
    );

    // Resolution: as above but Z205's final solve, Thu 10:00 = 90000 (Zendesk 1500 min =
    // 90000, agree: Zendesk also ends it at the latest solve).
    // Ours sorted 5400 7200 7200 9000 43200 63000 90000: median 9000. Zendesk adds Z207's
    // 3600: 3600 5400 7200 7200 9000 43200 63000 90000: median (7200 + 9000) / 2 = 8100.
    check_kpi(
        &r,
        "resolution_time",
        Want {
            ours: (7, 9000.0),
            vendor: (8, 8100.0),
            agree: (7, 7.0 / 8.0),
            reasons: &[("merged_or_deleted", &["207"])],
        },
    );

    // One-touch (solved in the week; one public human reply after the opening):
    //   ours  Z201 1, Z202 1, Z203 1 (its opening is no reply), Z204 1 (the trigger is a
    //   bot), Z205 0 (2 replies), Z206 1, Z209 1 → 6/7;
    //   Zendesk (replies == 1) Z201 1, Z202 1, Z203 1, Z204 0 (replies 2: the trigger's
    //   comment counts as Bob's), Z205 0, Z206 1, Z207 1, Z209 1 → 6/8 = 0.75.
    // Agree: all but Z204 (bot_or_automation_reply) and Z207 (merged) = 6 of 8.
    check_kpi(
        &r,
        "one_touch_resolution_rate",
        Want {
            ours: (7, 6.0 / 7.0),
            vendor: (8, 0.75),
            agree: (6, 0.75),
            reasons: &[
                ("merged_or_deleted", &["207"]),
                ("bot_or_automation_reply", &["204"]),
            ],
        },
    );

    // Reopen rate: Z205 reopened on both sides (Zendesk reopens 1); ours 1/7, Zendesk 1/8
    // (Z207's reopens 0). Every ticket but the merged Z207 agrees: 7 of 8.
    check_kpi(
        &r,
        "reopen_rate",
        Want {
            ours: (7, 1.0 / 7.0),
            vendor: (8, 1.0 / 8.0),
            agree: (7, 7.0 / 8.0),
            reasons: &[("merged_or_deleted", &["207"])],
        },
    );

    // The text format renders the same figures: medians as 50m (3000 s), 40m (2400 s),
    // 2h 00m (7200 s), 2h 30m (9000 s), 2h 15m (8100 s); shares rounded.
    let out = reconcile_text(&env, &[]).await;
    has_line(
        &out,
        "zd — 2026-W46 (Europe/Berlin): our KPIs next to the vendor's own, for the same tickets",
    );
    has_line(
        &out,
        &kpi_line("First response", "5  50m", "7  40m", "57% (4 tickets)"),
    );
    has_line(
        &out,
        "       1 × tickets the team opened (we leave them out): 203",
    );
    has_line(&out, "       1 × bot or automation replies: 204");
    has_line(
        &out,
        "       1 × merged, deleted or spam tickets (we count them nowhere): 207",
    );
    has_line(
        &out,
        &kpi_line("Resolution", "7  2h 30m", "8  2h 15m", "88% (7 tickets)"),
    );
    has_line(
        &out,
        &kpi_line("One-touch", "7  86%", "8  75%", "75% (6 tickets)"),
    );
}

#[tokio::test]
async fn zendesk_week_reconciles_with_zendesks_metric_sets_on_sqlite() {
    let db = TestDb::sqlite();
    zendesk_week(db.url()).await;
}

#[tokio::test]
async fn zendesk_week_reconciles_with_zendesks_metric_sets_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    zendesk_week(db.url()).await;
    db.cleanup().await;
}

/// A deleted Zendesk ticket counts on neither side: we exclude it, and Zendesk deletes its
/// ticket metrics with it (see `zendesk::deleted`), so a metric set the export may still
/// carry is no vendor figure either. It must appear nowhere in the reconcile, not even under
/// `merged_or_deleted` (that reason is for figures the vendor still reports, as Z207's).
async fn zendesk_deleted(db_url: &str) {
    let (z201, mut audits) = zendesk::plain();
    let (z208, more) = zendesk::deleted();
    audits.extend(more);
    let server = zendesk::start(&[z201, z208], audits).await;
    let env = Env::new();
    env.write_config(&zendesk::config(db_url, &server.uri()));
    sync(&env).await;
    // Both tickets were synced: the deleted one is stored (and excluded), not missed.
    let store = deskpulse_storage::Store::open(db_url).await.unwrap();
    let counts = store.counts().await.unwrap();
    store.close().await;
    assert_eq!(counts["tickets"], 2, "{counts:?}");

    let r = reconcile_json(&env, &[]).await;
    // Only Z201 is left, on both sides: first reply 2430 s vs Zendesk's 40 min = 2400 s
    // (within 60 s), first and full resolution 7200 vs 120 min, one public reply (one-touch
    // 1 = Zendesk's replies 1), never reopened (0 = reopens 0): each KPI 1 of 1 agreeing.
    let one = |figure: f64| Want {
        ours: (1, figure),
        vendor: (1, figure),
        agree: (1, 1.0),
        reasons: &[],
    };
    check_kpi(
        &r,
        "first_response_time",
        Want {
            vendor: (1, 2400.0),
            ..one(2430.0)
        },
    );
    check_kpi(&r, "first_resolution_time", one(7200.0));
    check_kpi(&r, "resolution_time", one(7200.0));
    check_kpi(&r, "one_touch_resolution_rate", one(1.0));
    check_kpi(&r, "reopen_rate", one(0.0));
    assert!(
        !r.to_string().contains("\"208\""),
        "the deleted ticket appears in {r:#}"
    );
}

#[tokio::test]
async fn zendesk_deleted_ticket_counts_on_neither_side_as_zendesk_deletes_its_metrics_on_sqlite() {
    let db = TestDb::sqlite();
    zendesk_deleted(db.url()).await;
}

#[tokio::test]
async fn zendesk_deleted_ticket_counts_on_neither_side_as_zendesk_deletes_its_metrics_on_postgres()
{
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    zendesk_deleted(db.url()).await;
    db.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// Freshdesk
// ---------------------------------------------------------------------------------------

mod freshdesk {
    //! A fake Freshdesk: the ticket list (`include=stats,requester`, oldest update first, the
    //! default pass and the `filter=spam` / `filter=deleted` passes), each ticket's
    //! conversations, the agents, and no satisfaction ratings. Objects are Airbyte's recorded
    //! ones (`fixtures/reconcile/freshdesk/`) with new ids, times and `stats`.

    use super::*;

    pub const ALICE: i64 = 900;
    pub const BOB: i64 = 901;

    fn recorded(stream: &str, id: i64) -> Value {
        let p = format!(
            "{}/e2e/fixtures/reconcile/freshdesk/expected_records.jsonl",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|r| r["stream"] == stream && r["data"]["id"] == id)
            .unwrap_or_else(|| panic!("no {stream} {id} in {p}"))["data"]
            .clone()
    }

    /// The documented `stats` keys, all set: `null` unless given.
    fn stats(given: &[(&str, &str)]) -> Value {
        let mut s = json!({
            "agent_responded_at": null, "requester_responded_at": null,
            "first_responded_at": null, "status_updated_at": null, "reopened_at": null,
            "resolved_at": null, "closed_at": null, "pending_since": null
        });
        for (k, v) in given {
            assert!(s.get(*k).is_some(), "not a stats key: {k}");
            s[*k] = json!(v);
        }
        s
    }

    /// Recorded ticket 22 with a new id, `source`, `status`, times, agent and `stats`.
    #[allow(clippy::too_many_arguments)]
    fn ticket(
        id: i64,
        source: i64,
        status: i64,
        created: &str,
        updated: &str,
        responder: i64,
        st: &[(&str, &str)],
    ) -> Value {
        let mut t = recorded("tickets", 22);
        let requester = 5000 + id;
        t["id"] = id.into();
        t["source"] = source.into();
        t["status"] = status.into();
        t["created_at"] = created.into();
        t["updated_at"] = updated.into();
        t["responder_id"] = responder.into();
        t["requester_id"] = requester.into();
        t["requester"]["id"] = requester.into();
        t["requester"]["email"] = format!("c{requester}@example.com").into();
        t["stats"] = stats(st);
        t
    }

    /// Recorded reply 67105086049 re-dated; `incoming` (the customer's side), `private`
    /// (a note) and `source` (0 reply, 2 note) as given.
    fn conv(
        id: i64,
        ticket: i64,
        at: &str,
        user: i64,
        incoming: bool,
        private: bool,
        source: i64,
    ) -> Value {
        let mut c = recorded("conversations", 67105086049);
        c["id"] = id.into();
        c["ticket_id"] = ticket.into();
        c["created_at"] = at.into();
        c["updated_at"] = at.into();
        c["user_id"] = user.into();
        c["incoming"] = incoming.into();
        c["private"] = private.into();
        c["source"] = source.into();
        c
    }

    fn reply(id: i64, ticket: i64, at: &str, agent: i64) -> Value {
        conv(id, ticket, at, agent, false, false, 0)
    }

    fn customer(id: i64, ticket: i64, at: &str) -> Value {
        conv(id, ticket, at, 5000 + ticket, true, false, 0)
    }

    /// The week (UTC team: W46 = [2026-11-09, 2026-11-16)). Freshdesk's `stats` by its own
    /// definitions: `first_responded_at` is the agent's first response to the requester —
    /// "Replies and Public notes are considered responses" (support.freshdesk.com, "Support
    /// metrics in Freshdesk Analytics", article 50000000041), "when you add a private note
    /// to a ticket it is not considered a first response" (Freshworks community answer,
    /// "How exactly reports are calculated"); an Outbound Email's own message is no response
    /// (Airbyte's recorded Outbound Email tickets 21 and 23 have `first_responded_at: null`),
    /// so its first response is the agent's reply to the customer's answer. `resolved_at`
    /// and `reopened_at` keep only the latest resolve and reopen (recorded ticket 1 of
    /// python-freshdesk: an open ticket still carrying an old `resolved_at`).
    fn week() -> (Vec<Value>, Vec<Value>, Vec<(i64, Value)>) {
        let all = vec![
            // F301: email, Alice replies 09:30, resolved 11:00.
            ticket(
                301,
                1,
                4,
                "2026-11-09T09:00:00Z",
                "2026-11-09T11:00:00Z",
                ALICE,
                &[
                    ("agent_responded_at", "2026-11-09T09:30:00Z"),
                    ("first_responded_at", "2026-11-09T09:30:00Z"),
                    ("status_updated_at", "2026-11-09T11:00:00Z"),
                    ("resolved_at", "2026-11-09T11:00:00Z"),
                ],
            ),
            // F302: portal; a private note 10:05 (no response), the reply 10:45; resolved 12:00.
            ticket(
                302,
                2,
                4,
                "2026-11-09T10:00:00Z",
                "2026-11-09T12:00:00Z",
                ALICE,
                &[
                    ("agent_responded_at", "2026-11-09T10:45:00Z"),
                    ("first_responded_at", "2026-11-09T10:45:00Z"),
                    ("status_updated_at", "2026-11-09T12:00:00Z"),
                    ("resolved_at", "2026-11-09T12:00:00Z"),
                ],
            ),
            // F303: email; Bob's public note at 09:20 is the first response, his reply 10:00;
            // resolved 12:00.
            ticket(
                303,
                1,
                4,
                "2026-11-10T09:00:00Z",
                "2026-11-10T12:00:00Z",
                BOB,
                &[
                    ("agent_responded_at", "2026-11-10T10:00:00Z"),
                    ("first_responded_at", "2026-11-10T09:20:00Z"),
                    ("status_updated_at", "2026-11-10T12:00:00Z"),
                    ("resolved_at", "2026-11-10T12:00:00Z"),
                ],
            ),
            // F304: Outbound Email by Alice at 12:00; the customer answers 13:00, Alice
            // replies 13:30 (Freshdesk's first response), resolved 14:00.
            ticket(
                304,
                10,
                4,
                "2026-11-10T12:00:00Z",
                "2026-11-10T14:00:00Z",
                ALICE,
                &[
                    ("agent_responded_at", "2026-11-10T13:30:00Z"),
                    ("requester_responded_at", "2026-11-10T13:00:00Z"),
                    ("first_responded_at", "2026-11-10T13:30:00Z"),
                    ("status_updated_at", "2026-11-10T14:00:00Z"),
                    ("resolved_at", "2026-11-10T14:00:00Z"),
                ],
            ),
            // F305: chat; Bob replies 08:30, resolved Wed 09:00; the customer writes Thu
            // 09:00 (reopened), Bob replies 09:30, resolved again Thu 10:00: Freshdesk keeps
            // that last `resolved_at` and the reopen.
            ticket(
                305,
                7,
                4,
                "2026-11-11T08:00:00Z",
                "2026-11-12T10:00:00Z",
                BOB,
                &[
                    ("agent_responded_at", "2026-11-12T09:30:00Z"),
                    ("requester_responded_at", "2026-11-12T09:00:00Z"),
                    ("first_responded_at", "2026-11-11T08:30:00Z"),
                    ("status_updated_at", "2026-11-12T10:00:00Z"),
                    ("reopened_at", "2026-11-12T09:00:00Z"),
                    ("resolved_at", "2026-11-12T10:00:00Z"),
                ],
            ),
            // F306: email; Alice replies 08:10, resolved 09:00; the customer writes Fri 10:00
            // and it is open again, its old `resolved_at` left in place.
            ticket(
                306,
                1,
                2,
                "2026-11-12T08:00:00Z",
                "2026-11-13T10:00:00Z",
                ALICE,
                &[
                    ("agent_responded_at", "2026-11-12T08:10:00Z"),
                    ("requester_responded_at", "2026-11-13T10:00:00Z"),
                    ("first_responded_at", "2026-11-12T08:10:00Z"),
                    ("status_updated_at", "2026-11-13T10:00:00Z"),
                    ("reopened_at", "2026-11-13T10:00:00Z"),
                    ("resolved_at", "2026-11-12T09:00:00Z"),
                ],
            ),
            // F308: created the week before, answered then, resolved Mon 10:00.
            ticket(
                308,
                1,
                4,
                "2026-11-05T09:00:00Z",
                "2026-11-09T10:00:00Z",
                BOB,
                &[
                    ("agent_responded_at", "2026-11-05T10:00:00Z"),
                    ("first_responded_at", "2026-11-05T10:00:00Z"),
                    ("status_updated_at", "2026-11-09T10:00:00Z"),
                    ("resolved_at", "2026-11-09T10:00:00Z"),
                ],
            ),
        ];
        // F307: answered 07:15, resolved 08:00, then moved to the trash: the `filter=deleted`
        // pass lists it, `stats` and all.
        let mut f307 = ticket(
            307,
            1,
            4,
            "2026-11-13T07:00:00Z",
            "2026-11-13T09:00:00Z",
            ALICE,
            &[
                ("agent_responded_at", "2026-11-13T07:15:00Z"),
                ("first_responded_at", "2026-11-13T07:15:00Z"),
                ("status_updated_at", "2026-11-13T08:00:00Z"),
                ("resolved_at", "2026-11-13T08:00:00Z"),
            ],
        );
        f307["deleted"] = true.into();
        let convs = vec![
            (
                301,
                json!([reply(30101, 301, "2026-11-09T09:30:00Z", ALICE)]),
            ),
            (
                302,
                json!([
                    conv(30201, 302, "2026-11-09T10:05:00Z", ALICE, false, true, 2),
                    reply(30202, 302, "2026-11-09T10:45:00Z", ALICE),
                ]),
            ),
            (
                303,
                json!([
                    conv(30301, 303, "2026-11-10T09:20:00Z", BOB, false, false, 2),
                    reply(30302, 303, "2026-11-10T10:00:00Z", BOB),
                ]),
            ),
            (
                304,
                json!([
                    customer(30401, 304, "2026-11-10T13:00:00Z"),
                    reply(30402, 304, "2026-11-10T13:30:00Z", ALICE),
                ]),
            ),
            (
                305,
                json!([
                    reply(30501, 305, "2026-11-11T08:30:00Z", BOB),
                    customer(30502, 305, "2026-11-12T09:00:00Z"),
                    reply(30503, 305, "2026-11-12T09:30:00Z", BOB),
                ]),
            ),
            (
                306,
                json!([
                    reply(30601, 306, "2026-11-12T08:10:00Z", ALICE),
                    customer(30602, 306, "2026-11-13T10:00:00Z"),
                ]),
            ),
            (308, json!([reply(30801, 308, "2026-11-05T10:00:00Z", BOB)])),
        ];
        (all, vec![f307], convs)
    }

    /// The ticket list: the pass named by `filter` (none: the default one), tickets updated
    /// since `updated_since`, oldest update first, one page.
    struct TicketList {
        all: Vec<Value>,
        deleted: Vec<Value>,
    }

    impl Respond for TicketList {
        fn respond(&self, req: &Request) -> ResponseTemplate {
            let q: std::collections::HashMap<String, String> =
                req.url.query_pairs().into_owned().collect();
            let Some(since) = q.get("updated_since").map(|s| unix(s)) else {
                return ResponseTemplate::new(400)
                    .set_body_json(json!({"description": "Validation failed", "errors": [{"field": "updated_since", "message": "missing", "code": "missing_field"}]}));
            };
            if q.get("page").is_some_and(|p| p != "1") {
                return ok(json!([]));
            }
            let pass = match q.get("filter").map(String::as_str) {
                None => &self.all,
                Some("deleted") => &self.deleted,
                Some(_) => return ok(json!([])),
            };
            let mut page: Vec<Value> = pass
                .iter()
                .filter(|t| unix(t["updated_at"].as_str().unwrap()) >= since)
                .cloned()
                .collect();
            page.sort_by_key(|t| unix(t["updated_at"].as_str().unwrap()));
            ok(Value::Array(page))
        }
    }

    pub async fn start() -> MockServer {
        let server = MockServer::start().await;
        let (all, deleted, convs) = week();
        let mut agents = vec![
            recorded("agents", 67013469919),
            recorded("agents", 67013469930),
        ];
        agents[0]["id"] = ALICE.into();
        agents[0]["contact"]["name"] = "Alice Agent".into();
        agents[1]["id"] = BOB.into();
        agents[1]["contact"]["name"] = "Bob Agent".into();
        Mock::given(path("/api/v2/agents"))
            .respond_with(ok(Value::Array(agents)))
            .mount(&server)
            .await;
        Mock::given(path("/api/v2/tickets"))
            .respond_with(TicketList { all, deleted })
            .mount(&server)
            .await;
        for (ticket, list) in convs {
            Mock::given(path(format!("/api/v2/tickets/{ticket}/conversations")))
                .respond_with(ok(list))
                .mount(&server)
                .await;
        }
        Mock::given(path_regex(r"^/api/v2/tickets/\d+/conversations$"))
            .respond_with(ok(json!([])))
            .with_priority(10)
            .mount(&server)
            .await;
        Mock::given(path("/api/v2/surveys/satisfaction_ratings"))
            .respond_with(ok(json!([])))
            .mount(&server)
            .await;
        server
    }

    pub fn config(db: &str, base_url: &str) -> String {
        format!(
            r#"[database]
url = "{db}"

[[teams]]
name = "support"
timezone = "UTC"
sources = ["fd"]

[[sources]]
name = "fd"
kind = "freshdesk"
domain = "acme"
api_key = "fd-reconcile-key"
base_url = "{base_url}"
requests_per_minute = 0
ticket_list_requests_per_minute = 0
"#
        )
    }
}

async fn freshdesk_week(db_url: &str) {
    let server = freshdesk::start().await;
    let env = Env::new();
    env.write_config(&freshdesk::config(db_url, &server.uri()));
    sync(&env).await;
    let r = reconcile_json(&env, &[]).await;
    assert_eq!(r["source"], "fd", "{r:#}");
    // Freshdesk's stats count no replies: one-touch is not reconciled, and says why.
    assert_eq!(
        r["unsupported"],
        json!({"one_touch_resolution_rate": "Freshdesk's ticket stats count no replies"})
    );

    // First response (created in [11-09, 11-16) UTC: F301–F307; F308 was created before):
    //   F301 1800 / 1800; F302 2700 / 2700 (the note is no response on either side);
    //   F303 1200 / 1200 (Bob's public note: a response for Freshdesk and a public reply of
    //   ours); F305 1800 / 1800; F306 600 / 600: agree.
    //   F304 ours none (Outbound Email); Freshdesk 12:00 → 13:30 = 5400: outbound.
    //   F307 ours none (deleted); Freshdesk 07:00 → 07:15 = 900: merged_or_deleted.
    // Ours sorted 600 1200 1800 1800 2700: median 1800. Freshdesk sorted 600 900 1200 1800
    // 1800 2700 5400: median 1800. Agree 5 of 7.
    check_kpi(
        &r,
        "first_response_time",
        Want {
            ours: (5, 1800.0),
            vendor: (7, 1800.0),
            agree: (5, 5.0 / 7.0),
            reasons: &[("merged_or_deleted", &["307"]), ("outbound", &["304"])],
        },
    );

    // First resolution: F301 09:00 → 11:00 = 7200; F302 10:00 → 12:00 = 7200; F303 09:00 →
    // 12:00 = 10800; F304 12:00 → 14:00 = 7200; F308 11-05 09:00 → 11-09 10:00 = 4 d 1 h =
    // 349200: both sides, agree. F305 and F306 were reopened: Freshdesk keeps only the last
    // resolve, so neither side knows their first resolution (not counted). F307: ours none
    // (deleted), Freshdesk 07:00 → 08:00 = 3600: merged_or_deleted.
    // Ours sorted 7200 7200 7200 10800 349200: median 7200. Freshdesk sorted 3600 7200 7200
    // 7200 10800 349200: median 7200. Agree 5 of 6.
    check_kpi(
        &r,
        "first_resolution_time",
        Want {
            ours: (5, 7200.0),
            vendor: (6, 7200.0),
            agree: (5, 5.0 / 6.0),
            reasons: &[("merged_or_deleted", &["307"])],
        },
    );

    // Resolution: F301 7200, F302 7200, F303 10800, F304 7200, F305 its last `resolved_at`
    // after the reopen, 11-11 08:00 → 11-12 10:00 = 26 h = 93600 (the same instant on both
    // sides), F308 349200: agree. F306 is open again: its old `resolved_at` is no
    // resolution on either side (not counted). F307: Freshdesk 3600, ours none.
    // Ours sorted 7200 7200 7200 10800 93600 349200: median (7200 + 10800) / 2 = 9000.
    // Freshdesk sorted 3600 7200 7200 7200 10800 93600 349200: median 7200. Agree 6 of 7.
    check_kpi(
        &r,
        "resolution_time",
        Want {
            ours: (6, 9000.0),
            vendor: (7, 7200.0),
            agree: (6, 6.0 / 7.0),
            reasons: &[("merged_or_deleted", &["307"])],
        },
    );

    // Reopen rate (resolved in the week): F305 reopened (`reopened_at` on both sides) of
    // F301–F305, F308: ours 1/6; Freshdesk also counts F307 (not reopened): 1/7. All but
    // F307 agree: 6 of 7.
    check_kpi(
        &r,
        "reopen_rate",
        Want {
            ours: (6, 1.0 / 6.0),
            vendor: (7, 1.0 / 7.0),
            agree: (6, 6.0 / 7.0),
            reasons: &[("merged_or_deleted", &["307"])],
        },
    );

    let out = reconcile_text(&env, &[]).await;
    has_line(
        &out,
        "fd — 2026-W46 (UTC): our KPIs next to the vendor's own, for the same tickets",
    );
    // Medians 1800 s = 30m; 5/7 = 71%.
    has_line(
        &out,
        &kpi_line("First response", "5  30m", "7  30m", "71% (5 tickets)"),
    );
    has_line(
        &out,
        "       1 × tickets the team opened (we leave them out): 304",
    );
    has_line(
        &out,
        "  One-touch         not reconciled: Freshdesk's ticket stats count no replies",
    );
}

#[tokio::test]
async fn freshdesk_week_reconciles_with_freshdesks_stats_on_sqlite() {
    let db = TestDb::sqlite();
    freshdesk_week(db.url()).await;
}

#[tokio::test]
async fn freshdesk_week_reconciles_with_freshdesks_stats_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    freshdesk_week(db.url()).await;
    db.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// Intercom
// ---------------------------------------------------------------------------------------

pub(crate) mod intercom {
    //! A fake Intercom: `POST /conversations/search` (the `updated_at` query, and the roster's
    //! `created_at` query, in the documented `conversation.list` envelope), `GET
    //! /conversations/{id}` (404 in the documented `error.list` for a conversation deleted
    //! after the search found it) and `GET /admins`. Conversations are the OpenAPI 2.14
    //! "conversation found" example re-dated (`fixtures/reconcile/intercom/`).

    use super::*;

    /// Monday 2026-11-09 00:00 UTC: the start of ISO week 2026-W46.
    const MON: i64 = 1_794_182_400;
    pub const ALICE: &str = "991000001";
    /// Intercom's Operator (its rule-based "Simple automations" bot), listed among the
    /// admins with an `operator+…@intercom.io` address.
    pub const OPERATOR: &str = "991000009";

    /// `day` days after Monday, at `h:m` UTC.
    pub fn t(day: i64, h: i64, m: i64) -> i64 {
        MON + day * 86_400 + h * 3600 + m * 60
    }

    fn example() -> Value {
        fixture("intercom/descriptions_2.14__GET_conversations_id__200_conversation_found.json")
    }

    fn author(kind: &str) -> Value {
        match kind {
            "alice" => {
                json!({"type": "admin", "id": ALICE, "name": "Alice Agent", "email": "alice@example.com"})
            }
            "operator" => {
                json!({"type": "admin", "id": OPERATOR, "name": "Operator", "email": "operator+abcd1234@intercom.io"})
            }
            // The example's Fin author (part 3), marked as an AI agent's answer.
            "fin" => {
                json!({"type": "bot", "id": "278", "name": "Fin", "email": "operator+abcd1234@intercom.io",
                            "from_ai_agent": true, "is_ai_answer": true})
            }
            user => {
                json!({"type": "user", "id": format!("contact-{user}"), "name": "Jane Customer",
                           "email": format!("jane{user}@example.com")})
            }
        }
    }

    /// A part: the example's first part with a new type, time and author; only messages
    /// (comments, notes) keep a body, as in Intercom's examples.
    fn part(id: &str, part_type: &str, at: i64, who: &str) -> Value {
        let mut p = example()["conversation_parts"]["conversation_parts"][0].clone();
        if !matches!(part_type, "comment" | "note") {
            p["body"] = Value::Null;
        }
        p["id"] = json!(id);
        p["part_type"] = json!(part_type);
        p["created_at"] = json!(at);
        p["updated_at"] = json!(at);
        p["notified_at"] = json!(at);
        p["assigned_to"] = Value::Null;
        p["tags"] = json!([]);
        p["author"] = author(who);
        p
    }

    /// `conversation_statistics` with every documented key: `null` unless given.
    pub(crate) fn statistics(given: &[(&str, i64)], parts: usize) -> Value {
        let mut s = json!({
            "type": "conversation_statistics", "time_to_assignment": null,
            "time_to_admin_reply": null, "time_to_first_close": null, "time_to_last_close": null,
            "median_time_to_reply": null, "first_contact_reply_at": null,
            "first_assignment_at": null, "first_admin_reply_at": null, "first_close_at": null,
            "last_assignment_at": null, "last_assignment_admin_reply_at": null,
            "last_contact_reply_at": null, "last_admin_reply_at": null, "last_close_at": null,
            "last_closed_by_id": null, "count_reopens": 0, "count_assignments": 0,
            "count_conversation_parts": parts
        });
        for (k, v) in given {
            assert!(s.get(*k).is_some(), "not a statistics key: {k}");
            s[*k] = json!(v);
        }
        s
    }

    /// A conversation: opened by `opener` (a customer, or Alice for an outbound one),
    /// assigned to Alice, with its parts and Intercom's statistics.
    fn conv(
        id: &str,
        created: i64,
        state: &str,
        opener: &str,
        parts: Vec<Value>,
        stats: &[(&str, i64)],
    ) -> Value {
        let mut c = example();
        let updated = parts
            .iter()
            .map(|p| p["created_at"].as_i64().unwrap())
            .max()
            .unwrap_or(created)
            + 60;
        c["id"] = json!(id);
        c["created_at"] = json!(created);
        c["updated_at"] = json!(updated);
        c["state"] = json!(state);
        c["open"] = json!(state != "closed");
        c["source"]["id"] = json!(format!("9{id}"));
        c["source"]["type"] = json!("conversation");
        c["source"]["delivered_as"] = json!(if opener == "alice" {
            "admin_initiated"
        } else {
            "customer_initiated"
        });
        c["source"]["author"] = author(if opener == "alice" { "alice" } else { id });
        c["contacts"]["contacts"] =
            json!([{"type": "contact", "id": format!("contact-{id}"), "external_id": "70"}]);
        c["admin_assignee_id"] = json!(ALICE.parse::<i64>().unwrap());
        c["team_assignee_id"] = Value::Null;
        c["tags"]["tags"] = json!([]);
        c["statistics"] = statistics(stats, parts.len());
        c["conversation_parts"]["total_count"] = json!(parts.len());
        c["conversation_parts"]["conversation_parts"] = Value::Array(parts);
        c
    }

    /// The week (UTC team). Intercom's statistics by its "Reporting metrics for REST API and
    /// CSV exports" (intercom.com/help/en/articles/6762778): `first_contact_reply_at` is the
    /// customer's first text part, and every other timestamp is taken after it;
    /// `first_admin_reply_at` is "the first visible human admin conversation part" (a note is
    /// not visible; "human admin" excludes only parts by Simple automations — Intercom's
    /// rule-based bot, the Operator — and the Facebook and GitHub bots, so Fin's answer
    /// counts); `first_close_at` / `last_close_at` are the first / last close (after the
    /// first contact reply); `count_reopens` is the "number of reopens after
    /// first_contact_reply_at" (OpenAPI `conversation_statistics`); the `time_to_*` figures
    /// "subtract out of business hours" and run from `first_contact_reply_at`. Workspace
    /// office hours: Mon–Fri 09:00–17:00 UTC.
    fn week() -> (Vec<Value>, Vec<&'static str>) {
        let c = vec![
            // I401: Alice answers after 30 min, closes after 1 h.
            conv(
                "401",
                t(0, 9, 0),
                "closed",
                "user",
                vec![
                    part("40101", "comment", t(0, 9, 30), "alice"),
                    part("40102", "close", t(0, 10, 0), "alice"),
                ],
                &[
                    ("first_contact_reply_at", t(0, 9, 0)),
                    ("first_admin_reply_at", t(0, 9, 30)),
                    ("time_to_admin_reply", 1800),
                    ("first_close_at", t(0, 10, 0)),
                    ("last_close_at", t(0, 10, 0)),
                    ("time_to_first_close", 3600),
                    ("time_to_last_close", 3600),
                ],
            ),
            // I402: Fin answers at 11:01, Alice at 11:30, closes 12:00. Intercom's first admin
            // reply is Fin's: 60 s.
            conv(
                "402",
                t(0, 11, 0),
                "closed",
                "user",
                vec![
                    part("40201", "comment", t(0, 11, 1), "fin"),
                    part("40202", "comment", t(0, 11, 30), "alice"),
                    part("40203", "close", t(0, 12, 0), "alice"),
                ],
                &[
                    ("first_contact_reply_at", t(0, 11, 0)),
                    ("first_admin_reply_at", t(0, 11, 1)),
                    ("time_to_admin_reply", 60),
                    ("first_close_at", t(0, 12, 0)),
                    ("last_close_at", t(0, 12, 0)),
                    ("time_to_first_close", 3600),
                    ("time_to_last_close", 3600),
                ],
            ),
            // I403: the Operator answers at 09:02 (not a human admin part), Alice at 09:40,
            // closes 10:00.
            conv(
                "403",
                t(1, 9, 0),
                "closed",
                "user",
                vec![
                    part("40301", "comment", t(1, 9, 2), "operator"),
                    part("40302", "comment", t(1, 9, 40), "alice"),
                    part("40303", "close", t(1, 10, 0), "alice"),
                ],
                &[
                    ("first_contact_reply_at", t(1, 9, 0)),
                    ("first_admin_reply_at", t(1, 9, 40)),
                    ("time_to_admin_reply", 2400),
                    ("first_close_at", t(1, 10, 0)),
                    ("last_close_at", t(1, 10, 0)),
                    ("time_to_first_close", 3600),
                    ("time_to_last_close", 3600),
                ],
            ),
            // I404: Alice's note at 12:05 (not visible), her reply at 12:45, close 13:00.
            conv(
                "404",
                t(1, 12, 0),
                "closed",
                "user",
                vec![
                    part("40401", "note", t(1, 12, 5), "alice"),
                    part("40402", "comment", t(1, 12, 45), "alice"),
                    part("40403", "close", t(1, 13, 0), "alice"),
                ],
                &[
                    ("first_contact_reply_at", t(1, 12, 0)),
                    ("first_admin_reply_at", t(1, 12, 45)),
                    ("time_to_admin_reply", 2700),
                    ("first_close_at", t(1, 13, 0)),
                    ("last_close_at", t(1, 13, 0)),
                    ("time_to_first_close", 3600),
                    ("time_to_last_close", 3600),
                ],
            ),
            // I405: outbound: Alice writes at 09:00, the customer answers 10:00 (the first
            // contact reply), Alice replies 10:30, closes 11:00.
            conv(
                "405",
                t(2, 9, 0),
                "closed",
                "alice",
                vec![
                    part("40501", "comment", t(2, 10, 0), "405"),
                    part("40502", "comment", t(2, 10, 30), "alice"),
                    part("40503", "close", t(2, 11, 0), "alice"),
                ],
                &[
                    ("first_contact_reply_at", t(2, 10, 0)),
                    ("first_admin_reply_at", t(2, 10, 30)),
                    ("time_to_admin_reply", 1800),
                    ("first_close_at", t(2, 11, 0)),
                    ("last_close_at", t(2, 11, 0)),
                    ("time_to_first_close", 3600),
                    ("time_to_last_close", 3600),
                ],
            ),
            // I406: outbound: Alice writes Wed 14:00 and closes it at 14:01, reopens it at
            // 14:30 with a follow-up at 14:31; the customer answers Thu 09:00 (the first
            // contact reply), Alice replies 09:30 and closes 10:00. Intercom: first admin
            // reply Thu 09:30; first close after the first contact reply Thu 10:00; no
            // reopen after it (count_reopens 0).
            conv(
                "406",
                t(2, 14, 0),
                "closed",
                "alice",
                vec![
                    part("40601", "close", t(2, 14, 1), "alice"),
                    part("40602", "open", t(2, 14, 30), "alice"),
                    part("40603", "comment", t(2, 14, 31), "alice"),
                    part("40604", "comment", t(3, 9, 0), "406"),
                    part("40605", "comment", t(3, 9, 30), "alice"),
                    part("40606", "close", t(3, 10, 0), "alice"),
                ],
                &[
                    ("first_contact_reply_at", t(3, 9, 0)),
                    ("first_admin_reply_at", t(3, 9, 30)),
                    ("time_to_admin_reply", 1800),
                    ("first_close_at", t(3, 10, 0)),
                    ("last_close_at", t(3, 10, 0)),
                    ("time_to_first_close", 3600),
                    ("time_to_last_close", 3600),
                    ("count_reopens", 0),
                ],
            ),
            // I407: Alice answers 11:20, closes 12:00; the customer writes Fri 09:00 (reopens
            // it), Alice replies 09:30 and closes 10:00: first close 3600, last close 23 h =
            // 82800, one reopen. Business: Thu 11:00–17:00 + Fri 09:00–10:00 = 7 h = 25200.
            conv(
                "407",
                t(3, 11, 0),
                "closed",
                "user",
                vec![
                    part("40701", "comment", t(3, 11, 20), "alice"),
                    part("40702", "close", t(3, 12, 0), "alice"),
                    part("40703", "comment", t(4, 9, 0), "407"),
                    part("40704", "comment", t(4, 9, 30), "alice"),
                    part("40705", "close", t(4, 10, 0), "alice"),
                ],
                &[
                    ("first_contact_reply_at", t(3, 11, 0)),
                    ("first_admin_reply_at", t(3, 11, 20)),
                    ("time_to_admin_reply", 1200),
                    ("first_close_at", t(3, 12, 0)),
                    ("last_close_at", t(4, 10, 0)),
                    ("time_to_first_close", 3600),
                    ("time_to_last_close", 25_200),
                    ("count_reopens", 1),
                ],
            ),
            // I408: created Fri 16:00, answered next Monday 09:30: calendar 2 d 17 h 30 min =
            // 235800; in office hours Fri 16:00–17:00 + Mon 09:00–09:30 = 5400. Still open.
            conv(
                "408",
                t(4, 16, 0),
                "open",
                "user",
                vec![part("40801", "comment", t(7, 9, 30), "alice")],
                &[
                    ("first_contact_reply_at", t(4, 16, 0)),
                    ("first_admin_reply_at", t(7, 9, 30)),
                    ("time_to_admin_reply", 5400),
                ],
            ),
            // I409: Alice answers Sat 10:05 (300 s after creation; Saturday: no office hours);
            // deleted after the search found it (404).
            conv(
                "409",
                t(5, 10, 0),
                "open",
                "user",
                vec![part("40901", "comment", t(5, 10, 5), "alice")],
                &[
                    ("first_contact_reply_at", t(5, 10, 0)),
                    ("first_admin_reply_at", t(5, 10, 5)),
                    ("time_to_admin_reply", 0),
                ],
            ),
            // I410: created the Sunday before at 20:00; Alice answers Mon 08:00 and closes
            // Mon 09:00 (13 h = 46800).
            conv(
                "410",
                t(-1, 20, 0),
                "closed",
                "user",
                vec![
                    part("41001", "comment", t(0, 8, 0), "alice"),
                    part("41002", "close", t(0, 9, 0), "alice"),
                ],
                &[
                    ("first_contact_reply_at", t(-1, 20, 0)),
                    ("first_admin_reply_at", t(0, 8, 0)),
                    ("time_to_admin_reply", 0),
                    ("first_close_at", t(0, 9, 0)),
                    ("last_close_at", t(0, 9, 0)),
                    ("time_to_first_close", 0),
                    ("time_to_last_close", 0),
                ],
            ),
        ];
        (c, vec!["409"])
    }

    /// The fake workspace.
    #[derive(Clone)]
    struct Fake {
        conversations: Vec<Value>,
        deleted: Vec<&'static str>,
    }

    impl Fake {
        fn get(&self, req: &Request) -> ResponseTemplate {
            let id = req.url.path().rsplit('/').next().unwrap_or_default();
            match self.conversations.iter().find(|c| c["id"] == id) {
                Some(c) if !self.deleted.contains(&id) => ok(c.clone()),
                _ => ResponseTemplate::new(404).set_body_json(json!({
                    "type": "error.list",
                    "request_id": "8c288c4f-b699-4209-9de4-064398f02785",
                    "errors": [{"code": "not_found", "message": "Resource Not Found"}]
                })),
            }
        }

        /// Both searches the connector sends, answered on one page (fewer hits than
        /// `per_page`): `updated_at >= T` by `updated_at`, or the roster's `created_at < T`
        /// by `created_at` (without the deleted conversation, gone from the search by then).
        fn search(&self, body: &Value) -> ResponseTemplate {
            let q = &body["query"];
            let roster = q["field"] == "created_at";
            let field = if roster { "created_at" } else { "updated_at" };
            // The roster's `created_at < T`, or the sync's `updated_at > T OR = T`.
            let bound = if roster {
                q["value"].as_i64()
            } else {
                q["value"][0]["value"].as_i64()
            }
            .unwrap_or(0);
            let keep = |c: &Value| {
                let at = c[field].as_i64().unwrap();
                if roster {
                    at < bound && !self.deleted.contains(&c["id"].as_str().unwrap())
                } else {
                    at >= bound
                }
            };
            let per_page = body["pagination"]["per_page"].as_u64().unwrap_or(150);
            let mut hits: Vec<Value> = self
                .conversations
                .iter()
                .filter(|c| keep(c))
                .map(|c| {
                    let mut c = c.clone();
                    // The search returns conversations without their parts.
                    c.as_object_mut().unwrap().remove("conversation_parts");
                    c
                })
                .collect();
            assert!(hits.len() as u64 <= per_page, "one page is enough here");
            hits.sort_by_key(|c| {
                (
                    c[field].as_i64().unwrap(),
                    c["id"].as_str().unwrap().to_owned(),
                )
            });
            ok(json!({
                "type": "conversation.list",
                "pages": {"type": "pages", "page": 1, "per_page": per_page, "total_pages": 1},
                "total_count": hits.len(),
                "conversations": hits,
            }))
        }
    }

    impl Respond for Fake {
        fn respond(&self, req: &Request) -> ResponseTemplate {
            match serde_json::from_slice::<Value>(&req.body) {
                Ok(body) => self.search(&body),
                Err(_) => ResponseTemplate::new(400).set_body_json(json!({
                    "type": "error.list",
                    "errors": [{"code": "parameter_invalid", "message": "body is not JSON"}]
                })),
            }
        }
    }

    pub async fn start() -> MockServer {
        let server = MockServer::start().await;
        let (conversations, deleted) = week();
        let fake = Fake {
            conversations,
            deleted,
        };
        Mock::given(method("POST"))
            .and(path("/conversations/search"))
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/conversations/[^/]+$"))
            .respond_with(move |req: &Request| fake.get(req))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/admins"))
            .respond_with(ok(json!({"type": "admin.list", "admins": [
                {"type": "admin", "id": ALICE, "name": "Alice Agent", "email": "alice@example.com",
                 "away_mode_enabled": false, "away_mode_reassign": false, "has_inbox_seat": true, "team_ids": []},
                {"type": "admin", "id": OPERATOR, "name": "Operator", "email": "operator+abcd1234@intercom.io",
                 "away_mode_enabled": false, "away_mode_reassign": false, "has_inbox_seat": false, "team_ids": []}
            ]})))
            .mount(&server)
            .await;
        server
    }

    pub fn config(db: &str, base_url: &str) -> String {
        format!(
            r#"[database]
url = "{db}"

[[teams]]
name = "support"
timezone = "UTC"
sources = ["ic"]

[[sources]]
name = "ic"
kind = "intercom"
access_token = "ic-reconcile-token"
base_url = "{base_url}"
requests_per_minute = 0
"#
        )
    }
}

async fn intercom_week(db_url: &str) {
    let server = intercom::start().await;
    let env = Env::new();
    env.write_config(&intercom::config(db_url, &server.uri()));
    sync(&env).await;
    let r = reconcile_json(&env, &[]).await;
    assert_eq!(r["source"], "ic", "{r:#}");
    assert_eq!(
        r["unsupported"],
        json!({"one_touch_resolution_rate": "Intercom's conversation statistics count no teammate replies (count_conversation_parts counts every part)"})
    );

    // First response (created in [11-09, 11-16) UTC: I401–I409; I410 was created before):
    //   I401 1800 / 1800; I403 2400 / 2400 (the Operator is a bot on both sides); I404 2700 /
    //   2700 (the note counts on neither); I407 1200 / 1200; I408 235800 / 235800 (the
    //   calendar figure is compared, not the office-hours 5400): agree.
    //   I402 ours 11:30 = 1800; Intercom Fin's 11:01 = 60: bot_or_automation_reply.
    //   I405 ours none (outbound); Intercom 09:00 → 10:30 = 5400: outbound.
    //   I406 ours none (outbound); Intercom Wed 14:00 → Thu 09:30 = 70200: outbound.
    //   I409 ours none (deleted); Intercom 300: merged_or_deleted.
    // Ours sorted 1200 1800 1800 2400 2700 235800: median (1800 + 2400) / 2 = 2100.
    // Intercom sorted 60 300 1200 1800 2400 2700 5400 70200 235800: median 2400. 5 of 9.
    check_kpi(
        &r,
        "first_response_time",
        Want {
            ours: (6, 2100.0),
            vendor: (9, 2400.0),
            agree: (5, 5.0 / 9.0),
            reasons: &[
                ("merged_or_deleted", &["409"]),
                ("outbound", &["405", "406"]),
                ("bot_or_automation_reply", &["402"]),
            ],
        },
    );

    // First resolution: I401 I402 I403 I404 I407 3600 / 3600, I405 7200 / 7200, I410 Sun
    // 20:00 → Mon 09:00 = 46800 / 46800: agree. I406: ours its first close, 14:00 → 14:01 =
    // 60; Intercom's first close after the customer's first reply, Thu 10:00 = 72000: the
    // ticket was reopened, so `reopened`. I408, I409: never closed.
    // Ours sorted 60 3600 ×5 7200 46800: median 3600. Intercom sorted 3600 ×5 7200 46800
    // 72000: median 3600. Agree 7 of 8.
    check_kpi(
        &r,
        "first_resolution_time",
        Want {
            ours: (8, 3600.0),
            vendor: (8, 3600.0),
            agree: (7, 7.0 / 8.0),
            reasons: &[("reopened", &["406"])],
        },
    );

    // Resolution (`last_close_at`, while closed): I401–I404 3600, I405 7200, I406 72000,
    // I407 the close after its reopen, 82800, I410 46800: the same last close on both sides.
    // Sorted 3600 3600 3600 3600 7200 46800 72000 82800: median (3600 + 7200) / 2 = 5400.
    check_kpi(
        &r,
        "resolution_time",
        Want {
            ours: (8, 5400.0),
            vendor: (8, 5400.0),
            agree: (8, 1.0),
            reasons: &[],
        },
    );

    // Reopen rate (closed in the week: I401–I407, I410): ours I406 (closed, reopened by
    // Alice before the customer answered) and I407 (reopened by the customer) = 2/8;
    // Intercom counts reopens after the first contact reply only: I407 = 1/8. I406
    // disagrees: `reopened`. Agree 7 of 8.
    check_kpi(
        &r,
        "reopen_rate",
        Want {
            ours: (8, 0.25),
            vendor: (8, 0.125),
            agree: (7, 7.0 / 8.0),
            reasons: &[("reopened", &["406"])],
        },
    );

    let out = reconcile_text(&env, &[]).await;
    has_line(
        &out,
        "ic — 2026-W46 (UTC): our KPIs next to the vendor's own, for the same tickets",
    );
    // Medians 2100 s = 35m, 2400 s = 40m; 5/9 = 56%; 12.5% and 87.5% print rounded to
    // even, as Rust's formatting does: 12%, 88%.
    has_line(
        &out,
        &kpi_line("First response", "6  35m", "9  40m", "56% (5 tickets)"),
    );
    has_line(
        &out,
        "       2 × tickets the team opened (we leave them out): 405, 406",
    );
    has_line(&out, "       1 × reopened tickets: 406");
    has_line(
        &out,
        &kpi_line("Reopened", "8  25%", "8  12%", "88% (7 tickets)"),
    );
    has_line(
        &out,
        "  One-touch         not reconciled: Intercom's conversation statistics count no teammate replies (count_conversation_parts counts every part)",
    );
}

#[tokio::test]
async fn intercom_week_reconciles_with_intercoms_statistics_on_sqlite() {
    let db = TestDb::sqlite();
    intercom_week(db.url()).await;
}

#[tokio::test]
async fn intercom_week_reconciles_with_intercoms_statistics_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    intercom_week(db.url()).await;
    db.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// Sources that cannot be reconciled, and sources of another team
// ---------------------------------------------------------------------------------------

/// A Gorgias account with one answered ticket, shaped as in `teams.rs` (Gorgias's documented
/// list envelope `object`/`uri`/`data`/`meta.next_cursor`; naive UTC times).
async fn gorgias() -> MockServer {
    let server = MockServer::start().await;
    let list = |uri: &str, data: Value| {
        ok(json!({"object": "list", "uri": uri, "data": data,
                  "meta": {"prev_cursor": null, "next_cursor": null}}))
    };
    Mock::given(path("/api/users"))
        .respond_with(list("/api/users", json!([
            {"id": 7, "name": "Steve Gorgias", "email": "steve@acme.com", "role": {"name": "agent"},
             "active": true, "created_datetime": "2026-01-01T00:00:00",
             "updated_datetime": "2026-01-01T00:00:00"}
        ])))
        .mount(&server)
        .await;
    Mock::given(path("/api/tickets"))
        .respond_with(list("/api/tickets", json!([{
            "id": 1, "uri": "/api/tickets/1/", "external_id": null, "language": "en",
            "status": "closed", "priority": "normal", "channel": "email", "via": "email",
            "from_agent": false, "spam": false,
            "customer": {"id": 1001, "email": "customer1@example.com", "name": "Pat Doe"},
            "assignee_user": {"id": 7, "email": "steve@acme.com", "name": "Steve"}, "assignee_team": null,
            "subject": "(subject)", "tags": [], "messages_count": 2,
            "created_datetime": "2026-11-10T10:00:00", "opened_datetime": "2026-11-10T10:00:00",
            "last_received_message_datetime": "2026-11-10T10:00:00",
            "last_message_datetime": "2026-11-10T10:30:00",
            "updated_datetime": "2026-11-10T12:00:00", "closed_datetime": "2026-11-10T12:00:00",
            "snooze_datetime": null, "trashed_datetime": null
        }])))
        .mount(&server)
        .await;
    let message = |id: i64, from_agent: bool, sender: i64, at: &str| {
        json!({
            "id": id, "uri": format!("/api/tickets/1/messages/{id}/"), "ticket_id": 1,
            "public": true, "channel": "email", "via": if from_agent { "helpdesk" } else { "email" },
            "source": {"type": "email"}, "sender": {"id": sender, "email": "x@example.com", "name": "X"},
            "rule_id": null, "from_agent": from_agent, "integration_id": null,
            "body_text": "(body)", "created_datetime": at, "sent_datetime": at,
            "failed_datetime": null, "deleted_datetime": null, "opened_datetime": null
        })
    };
    Mock::given(path("/api/messages"))
        .respond_with(list(
            "/api/messages",
            json!([
                message(12, true, 7, "2026-11-10T10:30:00"),
                message(11, false, 1001, "2026-11-10T10:00:00"),
            ]),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/api/satisfaction-surveys"))
        .respond_with(list("/api/satisfaction-surveys", json!([])))
        .mount(&server)
        .await;
    server
}

/// Three teams: `support` on Zendesk, `shop` on Gorgias, `everyone` on both.
fn two_helpdesks_config(db: &str, zendesk: &str, gorgias: &str) -> String {
    format!(
        r#"[database]
url = "{db}"

[[teams]]
name = "support"
timezone = "UTC"
sources = ["zd"]

[[teams]]
name = "shop"
timezone = "UTC"
sources = ["gg"]

[[teams]]
name = "everyone"
timezone = "UTC"
sources = ["zd", "gg"]

[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "agent@example.com"
api_token = "zd-token"
base_url = "{zendesk}"
requests_per_minute = 6000
incremental_requests_per_minute = 6000
# One pass: this test is about reconcile, not the recent window's lists.
first_window = "off"

[[sources]]
name = "gg"
kind = "gorgias"
domain = "acme"
email = "agent@example.com"
api_key = "gg-key"
base_url = "{gorgias}"
"#
    )
}

const GORGIAS_WHY: &str =
    "Gorgias' API gives no per-ticket figures (its statistics API gives aggregates only)";

async fn unreconcilable_and_foreign_sources(db_url: &str) {
    let (tickets, audits) = zendesk::week();
    let zd = zendesk::start(&tickets, audits).await;
    let gg = gorgias().await;
    let env = Env::new();
    env.write_config(&two_helpdesks_config(db_url, &zd.uri(), &gg.uri()));
    sync(&env).await;

    // Another team's source is a usage error (exit 2) that names the team's own sources.
    let out = env
        .run(
            &[
                "reconcile",
                "--team",
                "support",
                "--source",
                "gg",
                "--period",
                PERIOD,
            ],
            &[],
        )
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(r#"--source "gg" is not a source of team "support" (its sources: zd)"#),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));

    // Gorgias keeps no per-ticket figures: every KPI says "not reconciled" and why.
    let out = reconcile_text(&env, &["--team", "shop"]).await;
    has_line(
        &out,
        "gg — 2026-W46 (UTC): our KPIs next to the vendor's own, for the same tickets",
    );
    for label in [
        "First response",
        "First resolution",
        "Resolution",
        "One-touch",
        "Reopened",
    ] {
        has_line(&out, &format!("  {label:<18}not reconciled: {GORGIAS_WHY}"));
    }
    let r = reconcile_json(&env, &["--team", "shop"]).await;
    assert_eq!(r["source"], "gg", "{r:#}");
    assert_eq!(
        r["unsupported"],
        json!({
            "first_response_time": GORGIAS_WHY,
            "first_resolution_time": GORGIAS_WHY,
            "resolution_time": GORGIAS_WHY,
            "one_touch_resolution_rate": GORGIAS_WHY,
            "reopen_rate": GORGIAS_WHY,
        })
    );

    // A team with both: an array, one object per source in the configuration's order;
    // Zendesk's is reconciled.
    let both = reconcile_json(&env, &["--team", "everyone"]).await;
    let both = both
        .as_array()
        .unwrap_or_else(|| panic!("an array: {both:#}"));
    assert_eq!(both.len(), 2);
    assert_eq!(both[0]["source"], "zd");
    assert_eq!(both[0]["unsupported"], json!({}));
    assert_eq!(both[1]["source"], "gg");
    assert_eq!(both[1]["unsupported"], r["unsupported"]);
}

#[tokio::test]
async fn gorgias_is_not_reconciled_and_another_teams_source_is_a_usage_error_on_sqlite() {
    let db = TestDb::sqlite();
    unreconcilable_and_foreign_sources(db.url()).await;
}

#[tokio::test]
async fn gorgias_is_not_reconciled_and_another_teams_source_is_a_usage_error_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    unreconcilable_and_foreign_sources(db.url()).await;
    db.cleanup().await;
}
