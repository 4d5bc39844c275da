//! Zendesk payload fidelity, end to end (issue 11, gaps 6 and 7 of
//! `notes/issue11-payloads.md`): the real binary syncs a fake Zendesk that behaves as Zendesk
//! documents, and `deskpulse report --format json` must give figures computed by hand.
//!
//! Pinned here:
//! * a satisfaction rating counts in the week the customer *answered* it (`updated_at`), not
//!   the week the survey was offered (`created_at`), also when the answer arrives after a
//!   sync has already read the survey as only `offered`;
//! * every request of the ticket exports (tickets cursor export and ticket-events export,
//!   first *and* follow-up pages) asks for `support_type_scope=all`, so a ticket an AI agent
//!   handled alone (Zendesk leaves it out under the default scope `agent`) counts in the
//!   report, as an automated resolution.
//!
//! Payload provenance (shapes, re-dated; ids and times are this file's):
//! * users and tickets cursor exports, the ticket-events export with `include=comment_events`
//!   (status children in the export's layout, comment children in the `comment_events`
//!   side-load's documented shape) and the satisfaction-ratings cursor envelope: as
//!   `zendesk_week.rs` serves them (developer.zendesk.com/api-reference/ticketing/
//!   ticket-management/incremental_exports and …/satisfaction_ratings; see its header);
//! * ratings: the two ratings of the "200 OK" example of List Satisfaction Ratings
//!   (`fixtures/check/zendesk-docs/satisfaction_ratings.json`, copied from
//!   `crates/connectors/zendesk/tests/fixtures/zendesk-docs/`): 120447, created 2012-02-01
//!   and updated (answered) 2012-02-02, is the late answer; 35436, created = updated, is
//!   the answer given at once;
//! * `support_type_scope`: documented on the ticket exports and the ticket-events export
//!   with values `all`, `agent`, `ai_agent`, default `agent` (helpdesk-apis.md §2.2;
//!   AI-agent-only tickets: support.zendesk.com/hc/en-us/articles/9204149016346). The fake
//!   applies the scope as documented: without `all`, the AI agent's ticket and its events
//!   are not served;
//! * the AI agent's reply: a public comment by Zendesk's system user (`author_id` -1), the
//!   default sender of AI agent replies on e-mail, web form and API tickets
//!   (support.zendesk.com/hc/en-us/articles/9985221852954, as `crates/connectors/zendesk/
//!   src/api.rs` cites it), and its solve an update by the system user.

use std::sync::{Arc, Mutex};

use crate::harness::{Env, text};
use deskpulse_storage::testing::TestDb;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PROD: &str = "https://acme.zendesk.com";
const ALICE: i64 = 9101;
/// Zendesk's system user: AI agents reply as it, automations update as it.
const SYSTEM: i64 = -1;
/// Z301, a ticket Alice handled.
const HUMAN: i64 = 301;
/// Z302, a ticket an AI agent handled alone.
const AI_ONLY: i64 = 302;
/// Z303, another ticket Alice handled, earlier in the week.
const EARLY: i64 = 303;

fn unix(s: &str) -> i64 {
    s.parse::<chrono::DateTime<chrono::Utc>>()
        .expect("RFC 3339 time")
        .timestamp()
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_json(body)
}

fn query(req: &Request) -> std::collections::HashMap<String, String> {
    req.url.query_pairs().into_owned().collect()
}

/// Whether a request's `support_type_scope` lets a ticket through: Zendesk's default is
/// `agent` (tickets a human agent worked on), `ai_agent` the AI agent's alone, `all` both.
fn in_scope(req: &Request, ai_only: bool) -> bool {
    match query(req).get("support_type_scope").map(String::as_str) {
        Some("all") => true,
        Some("ai_agent") => ai_only,
        _ => !ai_only,
    }
}

fn users() -> Vec<Value> {
    let u = |id: i64, name: &str, role: &str| {
        json!({"id": id, "url": format!("{PROD}/api/v2/users/{id}.json"), "name": name,
               "email": format!("user{id}@example.com"), "role": role, "role_type": null,
               "active": true, "suspended": false, "created_at": "2026-10-01T10:00:00Z",
               "updated_at": "2026-10-01T10:00:00Z", "time_zone": "UTC", "iana_time_zone": "Etc/UTC"})
    };
    vec![
        u(8301, "(a customer)", "end-user"),
        u(8302, "(a customer)", "end-user"),
        u(8303, "(a customer)", "end-user"),
        u(ALICE, "Alice Agent", "agent"),
    ]
}

/// A ticket of the cursor export (`zendesk_week.rs`'s shape), solved at `solved_at`.
fn ticket(id: i64, created: &str, solved_at: &str, requester: i64, assignee: Option<i64>) -> Value {
    json!({
        "url": format!("{PROD}/api/v2/tickets/{id}.json"), "id": id, "external_id": null,
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": null}},
        "created_at": created, "updated_at": solved_at, "generated_timestamp": unix(solved_at),
        "type": null, "subject": "(subject)", "raw_subject": "(subject)", "description": "(description)",
        "priority": "normal", "status": "solved", "recipient": null,
        "requester_id": requester, "submitter_id": requester, "assignee_id": assignee,
        "organization_id": null, "group_id": 360004077472i64, "tags": [], "custom_fields": [],
        "satisfaction_rating": null, "is_public": true, "brand_id": 360002256672i64,
        "metric_set": {"id": 7000 + id, "ticket_id": id, "reopens": 0, "replies": 1,
                       "solved_at": solved_at, "created_at": created, "updated_at": solved_at}
    })
}

fn comment(id: i64, author: i64, at: &str) -> Value {
    json!({"id": id, "type": "Comment", "event_type": "Comment", "author_id": author,
           "body": "(body text)", "html_body": "<p>(body text)</p>", "public": true,
           "attachments": [], "created_at": at,
           "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": null}}})
}

fn created(id: i64) -> Value {
    json!({"id": id, "via": "Web form", "via_reference_id": null, "status": "new", "event_type": "Create"})
}

fn change(id: i64, from: &str, to: &str) -> Value {
    json!({"id": id, "via": "Web form", "via_reference_id": null, "status": to,
           "event_type": "Change", "previous_value": from})
}

/// An update of the ticket-events export.
fn audit(id: i64, ticket: i64, at: &str, updater: i64, children: Vec<Value>) -> Value {
    json!({"id": id, "ticket_id": ticket, "timestamp": unix(at), "created_at": at,
           "updater_id": updater, "via": "Web form", "via_reference_id": null,
           "event_type": "Audit", "child_events": children})
}

/// The week (UTC team; 2026-W46 = [2026-11-09T00:00Z, 2026-11-16T00:00Z)):
/// * Z303: the customer writes Mon 11-09 09:00, Alice answers 09:20 and solves it 09:40.
/// * Z301: the customer writes Sun 11-15 08:00, Alice answers 08:30 and solves it 10:00.
/// * Z302: the customer writes Sun 11-15 12:00; the AI agent answers 12:01 and solves it
///   12:05; no human ever touches it.
///
/// With two records a page, the AI agent's ticket and updates come last, on follow-up pages
/// only: a follow-up request without `support_type_scope=all` loses them.
fn tickets() -> Vec<(bool, Value)> {
    vec![
        (
            false,
            ticket(
                EARLY,
                "2026-11-09T09:00:00Z",
                "2026-11-09T09:40:00Z",
                8303,
                Some(ALICE),
            ),
        ),
        (
            false,
            ticket(
                HUMAN,
                "2026-11-15T08:00:00Z",
                "2026-11-15T10:00:00Z",
                8301,
                Some(ALICE),
            ),
        ),
        (
            true,
            ticket(
                AI_ONLY,
                "2026-11-15T12:00:00Z",
                "2026-11-15T12:05:00Z",
                8302,
                None,
            ),
        ),
    ]
}

fn events() -> Vec<(bool, Value)> {
    let human = |ticket: i64, customer: i64, times: [&str; 3]| {
        let c = ticket * 1000;
        vec![
            (
                false,
                audit(
                    c + 901,
                    ticket,
                    times[0],
                    customer,
                    vec![created(c + 1), comment(c + 2, customer, times[0])],
                ),
            ),
            (
                false,
                audit(
                    c + 902,
                    ticket,
                    times[1],
                    ALICE,
                    vec![
                        comment(c + 3, ALICE, times[1]),
                        change(c + 4, "new", "open"),
                    ],
                ),
            ),
            (
                false,
                audit(
                    c + 903,
                    ticket,
                    times[2],
                    ALICE,
                    vec![change(c + 5, "open", "solved")],
                ),
            ),
        ]
    };
    let mut v = human(
        EARLY,
        8303,
        [
            "2026-11-09T09:00:00Z",
            "2026-11-09T09:20:00Z",
            "2026-11-09T09:40:00Z",
        ],
    );
    v.extend(human(
        HUMAN,
        8301,
        [
            "2026-11-15T08:00:00Z",
            "2026-11-15T08:30:00Z",
            "2026-11-15T10:00:00Z",
        ],
    ));
    let c = AI_ONLY * 1000;
    v.extend([
        (
            true,
            audit(
                c + 901,
                AI_ONLY,
                "2026-11-15T12:00:00Z",
                8302,
                vec![created(c + 1), comment(c + 2, 8302, "2026-11-15T12:00:00Z")],
            ),
        ),
        (
            true,
            audit(
                c + 902,
                AI_ONLY,
                "2026-11-15T12:01:00Z",
                SYSTEM,
                vec![comment(c + 3, SYSTEM, "2026-11-15T12:01:00Z")],
            ),
        ),
        (
            true,
            audit(
                c + 903,
                AI_ONLY,
                "2026-11-15T12:05:00Z",
                SYSTEM,
                vec![change(c + 4, "new", "solved")],
            ),
        ),
    ]);
    v
}

/// The tickets cursor export: `per_page` tickets a page in `generated_timestamp` order, the
/// cursor `c{offset}` naming where the next page starts; tickets outside the request's
/// `support_type_scope` are not there.
struct TicketsExport;

impl Respond for TicketsExport {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let q = query(req);
        let per_page: usize = q
            .get("per_page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1000);
        let offset: usize = q
            .get("cursor")
            .and_then(|c| c.strip_prefix('c'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let all: Vec<Value> = tickets()
            .into_iter()
            .filter(|(ai, _)| in_scope(req, *ai))
            .map(|(_, t)| t)
            .collect();
        let page: Vec<Value> = all.iter().skip(offset).take(per_page).cloned().collect();
        let next = offset + page.len();
        let p = "/api/v2/incremental/tickets/cursor.json";
        ok(json!({
            "tickets": page, "after_cursor": format!("c{next}"),
            "after_url": format!("{PROD}{p}?cursor=c{next}"),
            "before_cursor": null, "before_url": null, "end_of_stream": next >= all.len(),
        }))
    }
}

/// The time-based ticket-events export: updates with `timestamp >= start_time`, `per_page`
/// a page; `end_time` is the page's last update (so it comes again first on the next page,
/// as Zendesk does), `end_of_stream` when nothing follows it.
struct EventsExport;

impl Respond for EventsExport {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let q = query(req);
        let start: i64 = q
            .get("start_time")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let per_page: usize = q
            .get("per_page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1000);
        let all: Vec<Value> = events()
            .into_iter()
            .filter(|(ai, e)| in_scope(req, *ai) && e["timestamp"].as_i64().unwrap() >= start)
            .map(|(_, e)| e)
            .collect();
        let page: Vec<Value> = all.iter().take(per_page).cloned().collect();
        let end_time = page
            .last()
            .map_or(start, |e| e["timestamp"].as_i64().unwrap());
        let p = "/api/v2/incremental/ticket_events.json";
        ok(json!({
            "ticket_events": page, "count": page.len(), "end_of_stream": page.len() == all.len(),
            "end_time": end_time,
            "next_page": format!("{PROD}{p}?include=comment_events&start_time={end_time}"),
        }))
    }
}

/// `satisfaction_ratings.json`: the account's ratings with `created_at >= start_time`
/// (the stricter of the two readings of the documented filter, as `zendesk_week.rs` serves
/// it), oldest offer first, on one page.
#[derive(Clone)]
struct Ratings(Arc<Mutex<Vec<Value>>>);

impl Respond for Ratings {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let start: i64 = query(req)
            .get("start_time")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut page: Vec<Value> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|r| unix(r["created_at"].as_str().unwrap()) >= start)
            .cloned()
            .collect();
        page.sort_by_key(|r| unix(r["created_at"].as_str().unwrap()));
        ok(json!({
            "satisfaction_ratings": page,
            "meta": {"has_more": false, "after_cursor": "r-end", "before_cursor": "r-start"},
            "links": {"next": null, "prev": null},
        }))
    }
}

/// Rating 120447 of the documented example, re-dated: the survey of Z301 offered Sunday
/// 11-15 20:00 (W46), still unanswered (`offered`, `updated_at` = `created_at`), or answered
/// "good" on Monday 11-16 08:15 (W47).
fn late_rating(answered: bool) -> Value {
    let (score, updated) = if answered {
        ("good", "2026-11-16T08:15:00Z")
    } else {
        ("offered", "2026-11-15T20:00:00Z")
    };
    json!({"assignee_id": ALICE, "comment": if answered { json!("Awesome support!") } else { Value::Null },
           "created_at": "2026-11-15T20:00:00Z", "group_id": 44, "id": 120447,
           "requester_id": 8301, "score": score, "ticket_id": HUMAN, "updated_at": updated,
           "url": format!("{PROD}/api/v2/satisfaction_ratings/120447")})
}

/// Rating 35436 of the documented example, re-dated: Z302's survey, offered and answered
/// "bad" at once on Sunday 11-15 14:00 (W46; `created_at` = `updated_at`).
fn prompt_rating() -> Value {
    json!({"assignee_id": null, "comment": "Awesome support!", "created_at": "2026-11-15T14:00:00Z",
           "group_id": 44, "id": 35436, "requester_id": 8302, "score": "bad", "ticket_id": AI_ONLY,
           "updated_at": "2026-11-15T14:00:00Z",
           "url": format!("{PROD}/api/v2/satisfaction_ratings/35436")})
}

/// Starts the fake Zendesk; the ratings are the returned handle's to change.
async fn start() -> (MockServer, Arc<Mutex<Vec<Value>>>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/users/cursor.json"))
        .respond_with(ok(json!({
            "users": users(), "after_cursor": "u-end",
            "after_url": format!("{PROD}/api/v2/incremental/users/cursor.json?cursor=u-end"),
            "before_cursor": null, "before_url": null, "end_of_stream": true,
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/tickets/cursor.json"))
        .respond_with(TicketsExport)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/ticket_events.json"))
        .respond_with(EventsExport)
        .mount(&server)
        .await;
    let ratings = Arc::new(Mutex::new(vec![late_rating(false), prompt_rating()]));
    Mock::given(method("GET"))
        .and(path("/api/v2/satisfaction_ratings.json"))
        .respond_with(Ratings(ratings.clone()))
        .mount(&server)
        .await;
    (server, ratings)
}

/// One UTC team on the fake; two records a page (`per_page=2`) on both ticket exports.
fn config(db: &str, base_url: &str) -> String {
    format!(
        r#"[database]
url = "{db}"

[[teams]]
name = "support"
timezone = "UTC"
sources = ["zd"]

[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "agent@example.com"
api_token = "zd-fidelity-token"
base_url = "{base_url}"
page_size = 2
requests_per_minute = 6000
incremental_requests_per_minute = 6000
# The exports' payloads are what this file pins: one pass (the recent window's lists
# are tests/e2e/window.rs's and the connector's).
first_window = "off"
"#
    )
}

async fn sync(env: &Env) {
    let out = env.run(&["sync"], &[]).await;
    assert!(
        out.status.success(),
        "sync failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

async fn report(env: &Env, period: &str) -> Value {
    let out = env
        .run(&["report", "--period", period, "--format", "json"], &[])
        .await;
    assert!(
        out.status.success(),
        "report {period}: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("report JSON")
}

#[track_caller]
fn csat(r: &Value, n: u64, value: Option<f64>) {
    let k = &r["kpis"]["csat"];
    assert_eq!(k["n"].as_u64(), Some(n), "{}: {k}", r["period"]["label"]);
    assert_eq!(k["value"].as_f64(), value, "{}: {k}", r["period"]["label"]);
}

async fn csat_lands_in_the_week_it_was_answered(db_url: &str) {
    let (server, ratings) = start().await;
    let env = Env::new();
    env.write_config(&config(db_url, &server.uri()));

    // First sync: survey 120447 is only offered (Sunday, W46); 35436 was answered "bad" at
    // once (Sunday 14:00, W46). An offered survey is no response: W46 has 35436 alone, 0/1.
    sync(&env).await;
    csat(&report(&env, "2026-W46").await, 1, Some(0.0));

    // Monday 08:15 (W47) the customer answers 120447 "good"; Zendesk updates the rating
    // (`updated_at`) and keeps `created_at`, the offer. The next sync reads it again (its
    // bookmark was the offer's `updated_at`, and it re-reads 28 days before that).
    *ratings.lock().unwrap() = vec![late_rating(true), prompt_rating()];
    sync(&env).await;
    // W46 = [11-09, 11-16): still 35436 alone: n 1, satisfied 0/1 = 0.0. Dated by its offer
    // (Sunday 20:00), 120447 would land here too: n 2, 1/2 = 0.5.
    let w46 = report(&env, "2026-W46").await;
    csat(&w46, 1, Some(0.0));
    // Alice (Z301's and Z303's assignee, both solved in W46) has no W46 response: 35436 is
    // about Z302, which nobody is assigned. 120447 dated by its offer would give her n 1.
    let alice = w46["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == "zd:9101"))
        .unwrap_or_else(|| panic!("no row for Alice: {:#}", w46["agents"]));
    assert_eq!(alice["solved"], 2, "{alice}");
    assert_eq!(alice["csat"]["n"], 0, "{alice}");
    // W47 = [11-16, 11-23): 120447 answered Monday 08:15, "good": n 1, 1/1 = 1.0. Dated by
    // its offer, W47 would have no response at all (n 0, null).
    let w47 = report(&env, "2026-W47").await;
    csat(&w47, 1, Some(1.0));
    // Z301 was solved in W46, so W47 has no agent row for Alice: the answer counts in the
    // team's CSAT of the week it was given.
    assert_eq!(
        w47["kpis"]["solved"]["value"], 0,
        "{}",
        w47["kpis"]["solved"]
    );
}

#[tokio::test]
async fn zendesk_csat_answered_the_week_after_the_offer_counts_in_the_answer_week_on_sqlite() {
    let db = TestDb::sqlite();
    csat_lands_in_the_week_it_was_answered(db.url()).await;
}

#[tokio::test]
async fn zendesk_csat_answered_the_week_after_the_offer_counts_in_the_answer_week_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    csat_lands_in_the_week_it_was_answered(db.url()).await;
    db.cleanup().await;
}

async fn ai_agent_tickets_count(db_url: &str) {
    let (server, _) = start().await;
    let env = Env::new();
    env.write_config(&config(db_url, &server.uri()));
    sync(&env).await;

    // Every request of both ticket exports asked for `support_type_scope=all`: two records
    // a page, the tickets export takes two pages (`start_time=0`, then `cursor=c2`), the
    // ticket-events export five (`start_time` 0, then each page's `end_time`). The
    // follow-up pages are the ones a client most easily builds without it.
    let requests = server.received_requests().await.expect("request recording");
    let mut asked = std::collections::BTreeMap::<&str, (usize, usize)>::new();
    for req in &requests {
        let p = req.url.path();
        let export = if p.ends_with("/tickets/cursor.json") {
            "tickets"
        } else if p.ends_with("/ticket_events.json") {
            "ticket_events"
        } else {
            continue;
        };
        let q = query(req);
        let follow_up = q.contains_key("cursor") || q.get("start_time").is_some_and(|s| s != "0");
        assert_eq!(
            q.get("support_type_scope").map(String::as_str),
            Some("all"),
            "{export} request without support_type_scope=all: {}",
            req.url
        );
        let e = asked.entry(export).or_default();
        e.0 += 1;
        e.1 += usize::from(follow_up);
    }
    for export in ["tickets", "ticket_events"] {
        let (all, follow_ups) = asked.get(export).copied().unwrap_or_default();
        assert!(
            all >= 2 && follow_ups >= 1,
            "{export}: {all} requests, {follow_ups} follow-up pages: {asked:?}"
        );
    }

    // W46 (UTC, [11-09, 11-16)), by hand:
    let r = report(&env, "2026-W46").await;
    let k = &r["kpis"];
    // Volume: Z303 (Mon), Z301 and Z302 (Sun) = 3. Under Zendesk's default scope (or a
    // follow-up page without `all`) Z302 would be missing: 2.
    assert_eq!(k["ticket_volume"]["value"], 3, "{}", k["ticket_volume"]);
    // Solved: Z303 Mon 09:40, Z301 Sun 10:00, Z302 Sun 12:05 = 3.
    assert_eq!(k["solved"]["value"], 3, "{}", k["solved"]);
    // Automated resolution: Z302 has no human reply, a bot reply (the system user's public
    // comment) and was solved by the system user: 1 of 3 solved.
    assert_eq!(k["automated_resolution_rate"]["n"], 3);
    assert_eq!(
        k["automated_resolution_rate"]["value"].as_f64(),
        Some(1.0 / 3.0)
    );
    // First response (bot replies do not count by default): Z303 09:00 → 09:20 = 1200 s,
    // Z301 08:00 → 08:30 = 1800 s; Z302 had only the AI agent's reply. n 2, median (R-7)
    // (1200 + 1800) / 2 = 1500.
    assert_eq!(
        k["first_response_time"]["n"], 2,
        "{}",
        k["first_response_time"]
    );
    assert_eq!(
        k["first_response_time"]["median_seconds"].as_f64(),
        Some(1500.0)
    );
    // Resolution: Z303 09:00 → 09:40 = 2400, Z301 08:00 → 10:00 = 7200, Z302 12:00 → 12:05
    // = 300. Sorted 300 2400 7200: median 2400.
    assert_eq!(k["resolution_time"]["n"], 3, "{}", k["resolution_time"]);
    assert_eq!(
        k["resolution_time"]["median_seconds"].as_f64(),
        Some(2400.0)
    );
    // One-touch (exactly one human reply): Z303 and Z301 yes, Z302 none: 2/3.
    assert_eq!(
        k["one_touch_resolution_rate"]["value"].as_f64(),
        Some(2.0 / 3.0)
    );
}

#[tokio::test]
async fn zendesk_ai_agent_only_ticket_counts_as_every_export_page_asks_support_type_scope_all_on_sqlite()
 {
    let db = TestDb::sqlite();
    ai_agent_tickets_count(db.url()).await;
}

#[tokio::test]
async fn zendesk_ai_agent_only_ticket_counts_as_every_export_page_asks_support_type_scope_all_on_postgres()
 {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    ai_agent_tickets_count(db.url()).await;
    db.cleanup().await;
}
