//! Satisfaction ratings: the 103…-103 vocabulary onto 1–5, paging, lookback, resumes.

use crate::common::*;
use deskpulse_model::{Rating, RatingKind, RatingScale, Record};
use serde_json::{Value, json};
use wiremock::MockServer;

pub async fn mount_page(server: &MockServer, since: &str, page: u32, body: Value) {
    let page = page.to_string();
    let query = [("created_since", since), ("page", &page), ("per_page", "2")];
    serve(server, RATINGS, &query, body).await;
}

fn scores(records: &[Record]) -> Vec<(String, f64)> {
    records
        .iter()
        .map(|r| match r.as_rating() {
            Some(rating) => (rating.external_id.clone(), rating.score),
            None => panic!("{r:?}"),
        })
        .collect()
}

#[tokio::test]
async fn the_recorded_rating_maps_exactly() {
    let server = MockServer::start().await;
    mount_page(&server, EPOCH, 1, json!(airbyte("satisfaction_ratings"))).await;
    let batches = read_ok(&connector(&server), "satisfaction_ratings", None).await;
    assert_eq!(
        records(&batches),
        vec![Record::Rating(Rating {
            external_id: "67000499229".into(),
            kind: RatingKind::Csat,
            score: 5.0, // 103, "extremely happy"
            scale: RatingScale::ONE_TO_FIVE,
            ticket_id: Some("23".into()),
            agent_id: Some("67013469919".into()),
            comment: Some("test".into()),
            created_at: "2022-11-22T15:02:29Z".parse().unwrap(),
        })]
    );
}

#[tokio::test]
async fn every_answer_value_and_the_unanswered() {
    let server = MockServer::start().await;
    let t = "2026-11-02T10:00:00Z";
    let mut only_custom = rating(9, t, 103);
    only_custom["ratings"]
        .as_object_mut()
        .unwrap()
        .remove("default_question");
    for (page, [a, b]) in [
        (1, [103, 102]),
        (2, [101, 100]),
        (3, [-101, -102]),
        (4, [-103, 42]),
    ] {
        let ids = (2 * page - 1, 2 * page);
        let body = json!([rating(ids.0, t, a), rating(ids.1, t, b)]);
        mount_page(&server, EPOCH, page as u32, body).await;
    }
    mount_page(&server, EPOCH, 5, json!([only_custom])).await;
    let batches = read_ok(&connector(&server), "satisfaction_ratings", None).await;
    assert_eq!(batches.len(), 5);
    assert_eq!(
        scores(&records(&batches)),
        vec![
            ("1".into(), 5.0),
            ("2".into(), 4.5),
            ("3".into(), 4.0),
            ("4".into(), 3.0),
            ("5".into(), 2.0),
            ("6".into(), 1.5),
            ("7".into(), 1.0),
            // 42 is no answer value: skipped with a warning; a rating without the overall
            // question answers no CSAT question: skipped.
        ]
    );
}

#[tokio::test]
async fn checkpoints_resume_and_the_next_sync_looks_back() {
    let server = MockServer::start().await;
    let (a, b, c) = (
        "2026-11-02T10:00:00Z",
        "2026-11-20T10:00:00Z",
        "2026-11-10T10:00:00Z",
    );
    mount_page(
        &server,
        EPOCH,
        1,
        json!([rating(1, a, 103), rating(2, b, -103)]),
    )
    .await;
    mount_page(&server, EPOCH, 2, json!([rating(3, c, 100)])).await;
    let conn = connector(&server);
    let batches = read_ok(&conn, "satisfaction_ratings", None).await;
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"created_since": EPOCH, "page": 2, "bookmark": b}),
            // Done: 14 days (the default lookback) before the newest rating read.
            json!({"created_since": "2026-11-06T10:00:00Z", "page": 1, "bookmark": b}),
        ]
    );
    // The next sync re-reads the lookback window.
    mount_page(
        &server,
        "2026-11-06T10:00:00Z",
        1,
        json!([rating(3, c, 100), rating(2, b, -103)]),
    )
    .await;
    mount_page(&server, "2026-11-06T10:00:00Z", 2, json!([])).await;
    let next = read_ok(
        &conn,
        "satisfaction_ratings",
        Some(batches[1].checkpoint.clone()),
    )
    .await;
    assert_eq!(
        scores(&records(&next)),
        vec![("3".into(), 3.0), ("2".into(), 1.0)]
    );
    assert_eq!(next.last().unwrap().checkpoint, batches[1].checkpoint);
}

#[tokio::test]
async fn a_non_numeric_answer_is_malformed() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        EPOCH,
        1,
        json!([rating(1, "2026-11-02T10:00:00Z", json!({"x": 1}))]),
    )
    .await;
    let (batches, err) = read(&connector(&server), "satisfaction_ratings", None).await;
    assert!(batches.is_empty());
    assert_malformed(&err, RATINGS, "default_question");
}
