//! A first sync's recent window on the tickets export: the unsolved tickets an export from
//! the window's start leaves out are read first, from Export Search Results (its own rate
//! budget), then the export from the window's start; a checkpoint of the exports says how far
//! it got, so a backfill knows where the window begins. Users stay whole. Payloads:
//! PROVENANCE.md.

use crate::common::*;
use deskpulse_connector::{Checkpoint, Connector, ConnectorError, Record};
use serde_json::{Value, json};
use wiremock::matchers::{query_param, query_param_is_missing};
use wiremock::{MockServer, ResponseTemplate};

const SEARCH: &str = "/api/v2/search/export";
/// 2024-03-01T10:00:00Z.
const WINDOW: i64 = 1_709_287_200;
const UNSOLVED_BEFORE: &str = "status<solved updated<2024-03-01T10:00:00Z";

/// The documented Export Search Results page (one open ticket, more to come), and its last
/// page: the same ticket example as ticket 35437, `pending`.
fn search_pages() -> (Value, Value) {
    let first = doc_fixture("search_export_tickets.json");
    let mut last = first.clone();
    last["results"][0]["id"] = json!(35437);
    last["results"][0]["status"] = json!("pending");
    last["meta"] = json!({"after_cursor": "ZW5k", "before_cursor": null, "has_more": false});
    last["links"]["next"] = Value::Null;
    (first, last)
}

fn ticket_ids(batches: &[deskpulse_connector::Batch]) -> Vec<String> {
    records(batches)
        .into_iter()
        .filter_map(|r| match r {
            Record::Ticket(t) => Some(t.external_id),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_tickets_window_reads_the_unsolved_tickets_updated_before_it_then_the_export() {
    let server = MockServer::start().await;
    let (first, last) = search_pages();
    let after = first["meta"]["after_cursor"].as_str().unwrap().to_owned();
    let search = [
        ("query", UNSOLVED_BEFORE),
        ("filter[type]", "ticket"),
        ("page[size]", "1000"),
    ];
    given(SEARCH, &search)
        .and(query_param_is_missing("page[after]"))
        .respond_with(ok(first))
        .expect(1)
        .mount(&server)
        .await;
    given(SEARCH, &search)
        .and(query_param("page[after]", after.as_str()))
        .respond_with(ok(last))
        .expect(1)
        .mount(&server)
        .await;
    let mut recent = ticket(9, "solved", "email", &[]);
    recent["updated_at"] = json!("2024-03-03T10:00:00Z");
    get(
        TICKETS,
        &[
            ("start_time", &WINDOW.to_string()),
            ("include", "metric_sets"),
        ],
        export_page("tickets", TICKETS, json!([recent]), "t1", true),
    )
    .expect(1)
    .mount(&server)
    .await;
    let c = connector(&server);
    let w = t("2024-03-01T10:00:00Z");
    let start = c.start_at("tickets", w).unwrap();
    assert_eq!(start.value(), &json!({"before_window": WINDOW}));
    // Users stay whole: the window's figures need every agent and every requester.
    assert_eq!(c.start_at("users", w), None);
    let batches = read_ok(&c, "tickets", Some(start)).await;
    assert_eq!(ticket_ids(&batches), ["35436", "35437", "9"]);
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"before_window": WINDOW, "after": after}),
            json!({"start_time": WINDOW}),
            json!({"cursor": "t1", "reached": ts("2024-03-03T10:00:00Z")}),
        ]
    );
}

/// The search's `after_cursor` "expires after one hour": a sync resumed on a refused one
/// starts the list again rather than failing (or skipping what it had not read).
#[tokio::test]
async fn a_resumed_search_whose_cursor_expired_starts_the_list_again() {
    let server = MockServer::start().await;
    let (_, last) = search_pages();
    given(SEARCH, &[("page[after]", "stale")])
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "InvalidPaginationParameter", "description": "cursor expired"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    given(SEARCH, &[("query", UNSOLVED_BEFORE)])
        .and(query_param_is_missing("page[after]"))
        .respond_with(ok(last))
        .expect(1)
        .mount(&server)
        .await;
    get(
        TICKETS,
        &[("start_time", &WINDOW.to_string())],
        export_page("tickets", TICKETS, json!([]), "t1", true),
    )
    .expect(1)
    .mount(&server)
    .await;
    let c = connector(&server);
    let from = Checkpoint::new(json!({"before_window": WINDOW, "after": "stale"}));
    let batches = read_ok(&c, "tickets", Some(from)).await;
    assert_eq!(ticket_ids(&batches), ["35437"]);
}

/// A ticket search that answers another object type is malformed: a user read as a ticket
/// would count as one.
#[tokio::test]
async fn a_search_result_that_is_not_a_ticket_is_malformed() {
    let server = MockServer::start().await;
    let (first, _) = search_pages();
    let mut wrong = first;
    wrong["results"][0]["result_type"] = json!("user");
    wrong["meta"]["has_more"] = json!(false);
    get(SEARCH, &[], ok(wrong)).mount(&server).await;
    let c = connector(&server);
    let from = Checkpoint::new(json!({"before_window": WINDOW}));
    let (batches, err) = read(&c, "tickets", Some(from)).await;
    assert!(batches.is_empty());
    let err = err.expect("a malformed page");
    assert!(
        matches!(&err, ConnectorError::Malformed { detail, .. } if detail.contains("\"user\"")),
        "{err}"
    );
}

/// The exports' checkpoints say how far they got: the latest `updated_at` read, which a
/// backfill compares with the window's start. A checkpoint of an earlier version (a cursor
/// alone) says nothing, and a `start_time` is its own instant.
#[tokio::test]
async fn an_export_checkpoint_says_how_far_it_got() {
    let server = MockServer::start().await;
    let mut a = ticket(1, "solved", "email", &[]);
    a["updated_at"] = json!("2024-01-05T00:00:00Z");
    let mut b = ticket(2, "solved", "email", &[]);
    b["updated_at"] = json!("2024-02-05T00:00:00Z");
    get(
        TICKETS,
        &[("start_time", "0")],
        export_page("tickets", TICKETS, json!([a]), "p1", false),
    )
    .mount(&server)
    .await;
    get(
        TICKETS,
        &[("cursor", "p1")],
        export_page("tickets", TICKETS, json!([b]), "p2", true),
    )
    .mount(&server)
    .await;
    let c = connector(&server);
    let batches = read_ok(&c, "tickets", None).await;
    let reached: Vec<_> = batches
        .iter()
        .map(|b| c.reached("tickets", &b.checkpoint))
        .collect();
    assert_eq!(
        reached,
        [
            Some(t("2024-01-05T00:00:00Z")),
            Some(t("2024-02-05T00:00:00Z"))
        ]
    );
    // Resumed from the first page's checkpoint, the second keeps counting from it.
    let resumed = read_ok(&c, "tickets", Some(batches[0].checkpoint.clone())).await;
    assert_eq!(
        checkpoints(&resumed),
        vec![json!({"cursor": "p2", "reached": ts("2024-02-05T00:00:00Z")})]
    );
    let old = Checkpoint::new(json!({"cursor": "p1"}));
    assert_eq!(c.reached("tickets", &old), None);
    let start = Checkpoint::new(json!({"start_time": WINDOW}));
    assert_eq!(
        c.reached("tickets", &start),
        Some(t("2024-03-01T10:00:00Z"))
    );
    // A window before the configured start is no window, for the lists as for the events.
    let later = connector_with(&server, |s| {
        s.start_date = Some(serde_json::from_value(json!("2024-03-02")).unwrap())
    });
    assert_eq!(later.start_at("tickets", t("2024-03-01T10:00:00Z")), None);
}
