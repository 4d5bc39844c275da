//! The newest-first feed across syncs: a pass ends at its lower bound (the newest review
//! read minus `rescan_days`, or `start_date`), mid-pass checkpoints resume exactly, a
//! refused stored next link restarts the pass, and a response published after its review
//! was first read is picked up within the rescan window.

use crate::common::*;
use deskpulse_connector::prelude::*;
use deskpulse_connector::testkit::{read_ok, records};
use deskpulse_connector_app_store::ReviewsCheckpoint;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Mounts `first` as the first page and each `(cursor, page)` of `more`.
async fn serve(first: Value, more: Vec<(&str, Value)>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .mount(&server)
        .await;
    for (cursor, body) in more {
        Mock::given(method("GET"))
            .and(path(REVIEWS))
            .and(query_param("cursor", cursor))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    server
}

/// Three pages, newest first: July 22 and July 10; June 30 and June 5; May 1.
fn three_pages(pending: bool) -> (Value, Vec<(&'static str, Value)>) {
    let state = if pending {
        "PENDING_PUBLISH"
    } else {
        "PUBLISHED"
    };
    let p1 = page(
        vec![
            review("a", 5, "2024-07-22T10:00:00Z", None),
            review(
                "b",
                1,
                "2024-07-10T10:00:00Z",
                Some(("rb", state, "Fixed in 5.4", "2024-07-25T10:00:00Z")),
            ),
        ],
        Some("c2"),
        5,
    );
    let p2 = page(
        vec![
            review("c", 4, "2024-06-30T10:00:00Z", None),
            review("d", 2, "2024-06-05T10:00:00Z", None),
        ],
        Some("c3"),
        5,
    );
    let p3 = page(vec![review("e", 3, "2024-05-01T10:00:00Z", None)], None, 5);
    (p1, vec![("c2", p2), ("c3", p3)])
}

fn ids(batches: &[Batch]) -> Vec<String> {
    records(batches)
        .iter()
        .filter_map(Record::as_review)
        .map(|r| r.external_id.clone())
        .collect()
}

#[tokio::test]
async fn the_next_pass_rereads_the_rescan_window_and_stops_there() {
    let (p1, more) = three_pages(false);
    let server = serve(p1, more).await;
    let c = connector(&server.uri());
    let first = read_ok(&c, "customer_reviews", None).await;
    assert_eq!(ids(&first), ["a", "b", "c", "d", "e"]);
    let done = first.last().unwrap().checkpoint.clone();
    assert_eq!(done.value(), &json!({"bookmark": "2024-07-22T10:00:00Z"}));

    // Bound = July 22 − 30 days = June 22: page 2's June 5 review ends the pass (it and
    // everything older were read before); page 3 is never asked for.
    let before = server.received_requests().await.unwrap().len();
    let next = read_ok(&c, "customer_reviews", Some(done)).await;
    assert_eq!(ids(&next), ["a", "b", "c"]);
    let asked = server.received_requests().await.unwrap()[before..]
        .iter()
        .map(|r| r.url.query().unwrap_or("").to_owned())
        .collect::<Vec<_>>();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(asked[1].contains("cursor=c2"), "{asked:?}");
    // The bookmark never moves back.
    assert_eq!(
        next.last().unwrap().checkpoint.value(),
        &json!({"bookmark": "2024-07-22T10:00:00Z"})
    );
}

#[tokio::test]
async fn a_response_published_later_is_read_within_the_rescan_window() {
    let (p1, more) = three_pages(true);
    let server = serve(p1, more).await;
    let c = connector(&server.uri());
    let first = read_ok(&c, "customer_reviews", None).await;
    let b = |batches: &[Batch]| {
        records(batches)
            .iter()
            .filter_map(Record::as_review)
            .find(|r| r.external_id == "b")
            .cloned()
            .unwrap()
    };
    assert_eq!(b(&first).reply_text, None, "pending is no reply");
    // Apple publishes the response; the next sync re-reads July 10 (within 30 days).

    let (p1, more) = three_pages(false);
    let server2 = serve(p1, more).await;
    let c2 = connector(&server2.uri());
    let next = read_ok(
        &c2,
        "customer_reviews",
        Some(first.last().unwrap().checkpoint.clone()),
    )
    .await;
    assert_eq!(b(&next).reply_text.as_deref(), Some("Fixed in 5.4"));
    assert_eq!(b(&next).replied_at, Some(at("2024-07-25T10:00:00Z")));
}

#[tokio::test]
async fn rescan_days_zero_rereads_only_the_newest_review() {
    let (p1, more) = three_pages(false);
    let server = serve(p1, more).await;
    let mut s = settings(&server.uri());
    s.rescan_days = 0;
    let c = connector_with(s, NOW);
    let next = read_ok(
        &c,
        "customer_reviews",
        Some(Checkpoint::of(&json!({"bookmark": "2024-07-22T10:00:00Z"}))),
    )
    .await;
    assert_eq!(ids(&next), ["a"]);
}

#[tokio::test]
async fn start_date_ends_the_first_pass() {
    let (p1, more) = three_pages(false);
    let server = serve(p1, more).await;
    let mut s = settings(&server.uri());
    s.start_date = Some(serde_json::from_value(json!("2024-06-10")).unwrap());
    let c = connector_with(s, NOW);
    let batches = read_ok(&c, "customer_reviews", None).await;
    assert_eq!(ids(&batches), ["a", "b", "c"]);
    // The mid-pass checkpoint carries the pass's bound.
    assert_eq!(
        batches[0].checkpoint.value(),
        &json!({
            "next": format!("{REVIEWS}?cursor=c2&include=response&sort=-createdDate&limit=200"),
            "from": "2024-06-10T00:00:00Z",
            "bookmark": "2024-07-22T10:00:00Z"
        })
    );
}

#[tokio::test]
async fn every_mid_pass_checkpoint_resumes_exactly() {
    let (p1, more) = three_pages(false);
    let server = serve(p1, more).await;
    let c = connector(&server.uri());
    let batches = read_ok(&c, "customer_reviews", None).await;
    assert_eq!(batches.len(), 3);
    // Each resumed run's first page also carries the day's snapshot (one per run, the
    // same on a pinned clock): compare the reviews.
    for (i, b) in batches.iter().enumerate().take(2) {
        let resumed = read_ok(&c, "customer_reviews", Some(b.checkpoint.clone())).await;
        assert_eq!(ids(&resumed), ids(&batches[i + 1..]), "from batch {i}");
    }
}

#[tokio::test]
async fn a_refused_stored_next_link_restarts_the_pass_with_its_bound() {
    let (p1, more) = three_pages(false);
    let server = serve(p1, more).await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(query_param("cursor", "expired"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"errors": [{"status": "400", "code": "PARAMETER_ERROR.INVALID"}]}),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    let cp = ReviewsCheckpoint {
        next: Some(format!("{REVIEWS}?cursor=expired")),
        from: Some(at("2024-06-20T00:00:00Z")),
        bookmark: Some(at("2024-07-22T10:00:00Z")),
    };
    let c = connector(&server.uri());
    let batches = read_ok(&c, "customer_reviews", Some(Checkpoint::of(&cp))).await;
    assert_eq!(ids(&batches), ["a", "b", "c"]);
}

#[test]
fn checkpoints_read_what_they_write() {
    for v in [
        json!({}),
        json!({"bookmark": "2024-07-22T10:00:00Z"}),
        json!({"next": "/v1/apps/1/customerReviews?cursor=x", "bookmark": "2024-07-22T10:00:00Z"}),
        json!({"next": "/v1/apps/1/customerReviews?cursor=x", "from": "2024-06-10T00:00:00Z", "bookmark": "2024-07-22T10:00:00Z"}),
    ] {
        let cp: ReviewsCheckpoint = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&cp).unwrap(), v);
    }
}
