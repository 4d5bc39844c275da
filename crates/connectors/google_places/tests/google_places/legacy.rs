//! The legacy Place Details: the request (key in the query, fields, language), the recorded
//! answers mapped field by field, derived review ids, and every documented `status`.

use crate::common::*;
use deskpulse_connector::ConnectorError;
use deskpulse_connector::testkit::{assert_malformed, captured_logs, checkpoints};
use deskpulse_model::{RatingSnapshot, Review, ReviewCoverage};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DETAILS: &str = "/maps/api/place/details/json";

/// A server that answers only the documented request for `place_id`.
async fn documented_server(place_id: &str, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DETAILS))
        .and(query_param("place_id", place_id))
        .and(query_param("fields", "rating,user_ratings_total,reviews"))
        .and(query_param("key", API_KEY))
        .and(query_param_is_missing("language"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1..)
        .mount(&server)
        .await;
    server
}

/// A review as stored: only its derived id, stars and time.
fn stored(id: &str, rating: f64, created: &str) -> Review {
    Review {
        platform: "google_places".into(),
        external_id: id.into(),
        rating,
        title: None,
        text: None,
        author_name: None,
        created_at: at(created),
        reply_text: None,
        replied_at: None,
        url: None,
    }
}

#[tokio::test]
async fn the_recorded_quay_answer_is_a_snapshot_and_five_reviews() {
    let server = documented_server(QUAY, json(QUAY_DETAILS)).await;
    let (batches, err) = read_place(&connector(&server, "legacy", QUAY)).await;
    assert!(err.is_none(), "{err:?}");
    // The checkpoint holds when the place was read: never the key of the query.
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"observed_at": "2026-11-12T08:00:00Z"})]
    );
    let records: Vec<_> = batches.into_iter().flat_map(|b| b.records).collect();
    // `result.rating` 4.1, `result.user_ratings_total` 273.
    assert_eq!(
        snapshot(&records),
        RatingSnapshot {
            platform: "google_places".into(),
            account: QUAY.into(),
            overall_rating: Some(4.1),
            total_reviews: Some(273),
            coverage: ReviewCoverage::AggregateSample,
            observed_at: now(),
        }
    );
    // `rating` and `time` (unix seconds) of each review, converted by hand (e.g. 1441848853 =
    // 2015-09-10T01:34:13Z); ids: "legacy-" + the first 32 hex digits of SHA-256 over
    // "{place_id}\n{author_url}\n{time}", computed outside the connector (Python hashlib).
    assert_eq!(
        reviews(&records),
        vec![
            stored(
                "legacy-ad7a40e8a824f4cb7c1d7201bd0c56f7",
                3.0,
                "2015-09-10T01:34:13Z"
            ),
            stored(
                "legacy-a1cfe72dc97016c6ed29be6104e26214",
                5.0,
                "2015-08-12T05:46:43Z"
            ),
            stored(
                "legacy-78848574107ddb301d23cf21f992b110",
                2.0,
                "2015-07-27T01:30:10Z"
            ),
            stored(
                "legacy-9d05d2b26865b5eb2a428b6383b31a07",
                1.0,
                "2015-07-24T22:37:46Z"
            ),
            stored(
                "legacy-f113f27e818b9025cff3d17d4c034d3c",
                2.0,
                "2015-07-06T10:47:03Z"
            ),
        ]
    );
    let all = format!("{records:?}");
    for content in ["Rachel Lewis", "plus.google.com", "disappointing", "Quay"] {
        assert!(!all.contains(content), "{content} stored: {all}");
    }
}

#[tokio::test]
async fn the_redacted_answer_with_translation_fields_maps_too() {
    let server = documented_server(SYDNEY, json(REDACTED_DETAILS)).await;
    let records = place_records(&connector(&server, "legacy", SYDNEY)).await;
    let s = snapshot(&records);
    // `rating: 4` (an integer in JSON), `user_ratings_total: 973`.
    assert_eq!((s.overall_rating, s.total_reviews), (Some(4.0), Some(973)));
    // One review: 1 star, time 1675722932 = 2023-02-06T22:35:32Z, author_url
    // "http://google.com/".
    assert_eq!(
        reviews(&records),
        vec![stored(
            "legacy-d8895e03d2ab3402ab82b5c75de955a2",
            1.0,
            "2023-02-06T22:35:32Z"
        )]
    );
}

#[tokio::test]
async fn derived_ids_are_stable_across_syncs() {
    let server = documented_server(QUAY, json(QUAY_DETAILS)).await;
    let c = connector(&server, "legacy", QUAY);
    let first = reviews(&place_records(&c).await);
    let second = reviews(&place_records(&c).await);
    assert_eq!(first, second);
    let mut ids: Vec<&str> = first.iter().map(|r| r.external_id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "distinct ids");
}

#[tokio::test]
async fn an_author_name_is_the_id_source_without_an_author_url() {
    let mut body = json(QUAY_DETAILS);
    body["result"]["reviews"] = json!([{"author_name": "Ben P", "rating": 2, "time": 1436179623}]);
    let server = documented_server(QUAY, body).await;
    let got = reviews(&place_records(&connector(&server, "legacy", QUAY)).await);
    // SHA-256 of "ChIJ02qnq0KuEmsRHUJF4zo1x4I\nBen P\n1436179623" (Python hashlib).
    assert_eq!(
        got[0].external_id,
        "legacy-30ba8b6fc2c0618723a32033fc465174"
    );
}

#[tokio::test]
async fn language_is_sent_as_language() {
    let server = MockServer::start().await;
    Mock::given(path(DETAILS))
        .and(query_param("language", "de"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json(QUAY_DETAILS)))
        .expect(1)
        .mount(&server)
        .await;
    let mut s = settings_at(&server.uri(), "legacy", QUAY, API_KEY);
    s.language = Some("de".into());
    assert_eq!(
        reviews(&place_records(&connector_with(s, now())).await).len(),
        5
    );
}

fn status(status: &str, message: Option<&str>) -> Value {
    let mut v = json!({"html_attributions": [], "status": status});
    if let Some(m) = message {
        v["error_message"] = json!(m);
    }
    v
}

#[tokio::test]
async fn request_denied_is_unauthorized_naming_api_key() {
    let server = answering(
        200,
        status("REQUEST_DENIED", Some("The provided API key is invalid.")),
    )
    .await;
    let err = place_error(&connector(&server, "legacy", QUAY)).await;
    assert!(err.is_unauthorized(), "{err:?}");
    let text = err.to_string();
    for part in [
        "REQUEST_DENIED",
        "The provided API key is invalid.",
        "`api_key`",
    ] {
        assert!(text.contains(part), "{text}");
    }
}

#[tokio::test]
async fn a_refused_place_is_an_error_naming_place_id_and_the_status() {
    for s in ["NOT_FOUND", "ZERO_RESULTS", "INVALID_REQUEST"] {
        let server = answering(200, status(s, None)).await;
        let err = place_error(&connector(&server, "legacy", QUAY)).await;
        assert_eq!(err.setting_key(), Some("place_id"), "{err}");
        assert!(err.to_string().contains(s), "{err}");
    }
}

#[tokio::test]
async fn quota_and_server_statuses_are_errors_naming_them() {
    for s in ["OVER_QUERY_LIMIT", "UNKNOWN_ERROR"] {
        let server = answering(
            200,
            status(
                s,
                Some("You have exceeded your daily request quota for this API."),
            ),
        )
        .await;
        let err = place_error(&connector(&server, "legacy", QUAY)).await;
        match &err {
            ConnectorError::Http { detail, .. } => assert!(detail.contains(s), "{detail}"),
            other => panic!("{s}: expected an HTTP error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_unknown_status_or_an_ok_without_result_is_malformed() {
    let server = answering(200, status("MAYBE", None)).await;
    let (_, err) = read_place(&connector(&server, "legacy", QUAY)).await;
    assert_malformed(&err, DETAILS, "unknown status \"MAYBE\"");
    let server = answering(200, status("OK", None)).await;
    let (_, err) = read_place(&connector(&server, "legacy", QUAY)).await;
    assert_malformed(&err, DETAILS, "status OK but no `result`");
}

#[tokio::test]
async fn a_counted_place_without_reviews_or_a_bad_review_is_malformed() {
    let mut body = json(QUAY_DETAILS);
    body["result"].as_object_mut().unwrap().remove("reviews");
    let server = answering(200, body).await;
    let (_, err) = read_place(&connector(&server, "legacy", QUAY)).await;
    assert_malformed(&err, DETAILS, "counts 273 ratings (`user_ratings_total`)");

    for (review, says) in [
        (
            json!({"author_name": "A", "rating": 0, "time": 1436179623}),
            "outside Google's 1–5 stars",
        ),
        (
            json!({"author_name": "A", "time": 1436179623}),
            "has no `rating`",
        ),
        (
            json!({"author_name": "A", "rating": 3}),
            "review 1 of the answer has no `time`",
        ),
        (
            json!({"rating": 3, "time": 1436179623}),
            "neither `author_url` nor `author_name`",
        ),
    ] {
        let mut body = json(QUAY_DETAILS);
        body["result"]["reviews"] = json!([review]);
        let server = answering(200, body).await;
        let (_, err) = read_place(&connector(&server, "legacy", QUAY)).await;
        assert_malformed(&err, DETAILS, says);
    }
}

#[tokio::test]
async fn the_key_in_the_query_is_in_no_error_or_log_line() {
    let logs = captured_logs();
    // A server that echoes the key back in its message, as some proxies do.
    let echo = format!("The provided API key {API_KEY} is invalid.");
    let server = answering(200, status("REQUEST_DENIED", Some(&echo))).await;
    let err = place_error(&connector(&server, "legacy", QUAY)).await;
    assert!(!err.to_string().contains(API_KEY), "{err}");
    assert!(!format!("{err:?}").contains(API_KEY), "{err:?}");
    let text = logs.text().expect("the kit's log capture is installed");
    assert!(text.contains(DETAILS), "the request was logged at TRACE");
    assert!(!text.contains(API_KEY), "the key reached a log line");
}
