//! Places API (New): the request (path, key header, field mask, language) and the mapping of
//! the documented Place resource, field by field, and each way an answer can be wrong.

use crate::common::*;
use deskpulse_connector::testkit::{assert_malformed, checkpoints, read};
use deskpulse_connector::{Checkpoint, ConnectorError};
use deskpulse_model::{RatingSnapshot, Review, ReviewCoverage};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PLACE_PATH: &str = "/v1/places/ChIJN1t_tDeuEmsRUsoyG83frY4";
const REVIEW_NAME: &str =
    "places/ChIJN1t_tDeuEmsRUsoyG83frY4/reviews/ChZDSUhNMG9nS0VJQ0FnSUR4aGZ1VVp3EAE";

/// A server that answers only the documented request: the place's path, the key in
/// `X-Goog-Api-Key`, the field mask, and no key in the query.
async fn documented_server(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PLACE_PATH))
        .and(header("X-Goog-Api-Key", API_KEY))
        // The whole header value, as sent (wiremock's `header` splits values at commas).
        .and(|req: &Request| {
            req.headers
                .get("X-Goog-FieldMask")
                .is_some_and(|v| v.as_bytes() == b"rating,userRatingCount,reviews")
        })
        .and(query_param_is_missing("key"))
        .and(query_param_is_missing("languageCode"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    server
}

/// The documented place with its reviews replaced by `reviews`.
fn place_with(reviews: Value) -> Value {
    let mut p = json(NEW_PLACE);
    p["reviews"] = reviews;
    p
}

fn review(name: &str, rating: Value, publish_time: &str) -> Value {
    let mut r = json(NEW_PLACE)["reviews"][0].clone();
    r["name"] = json!(name);
    r["rating"] = rating;
    r["publishTime"] = json!(publish_time);
    r
}

#[tokio::test]
async fn the_documented_place_is_a_snapshot_and_a_review_of_stars_and_time() {
    let server = documented_server(json(NEW_PLACE)).await;
    let c = connector(&server, "new", SYDNEY);
    let (batches, err) = read_place(&c).await;
    assert!(err.is_none(), "{err:?}");
    let records: Vec<_> = batches.iter().flat_map(|b| b.records.clone()).collect();
    // `rating` 4.4 and `userRatingCount` 612 of the fixture; the account is the Place ID.
    assert_eq!(
        snapshot(&records),
        RatingSnapshot {
            platform: "google_places".into(),
            account: SYDNEY.into(),
            overall_rating: Some(4.4),
            total_reviews: Some(612),
            coverage: ReviewCoverage::AggregateSample,
            observed_at: now(),
        }
    );
    // The one review: its resource name is its id, 2 stars, published
    // 2024-07-23T17:04:55.120436Z. Its text, author and links are Google's Content and are
    // not stored; Places gives no owner reply.
    assert_eq!(
        reviews(&records),
        vec![Review {
            platform: "google_places".into(),
            external_id: REVIEW_NAME.into(),
            rating: 2.0,
            title: None,
            text: None,
            author_name: None,
            created_at: at("2024-07-23T17:04:55.120436Z"),
            reply_text: None,
            replied_at: None,
            url: None,
        }]
    );
    assert_eq!(records.len(), 2);
    // The checkpoint says when the place was read, nothing of its content.
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"observed_at": "2026-11-12T08:00:00Z"})]
    );
}

#[tokio::test]
async fn no_text_author_or_link_of_the_review_reaches_a_record() {
    let server = documented_server(json(NEW_PLACE)).await;
    let records = place_records(&connector(&server, "new", SYDNEY)).await;
    let all = format!("{records:?}");
    for content in [
        "Click & collect",
        "Priya Shah",
        "maps/contrib",
        "lh3.googleusercontent",
        "flagContentUri",
        "a week ago",
        "google.com/maps/reviews",
    ] {
        assert!(!all.contains(content), "{content} stored: {all}");
    }
}

#[tokio::test]
async fn language_is_sent_as_language_code() {
    let server = MockServer::start().await;
    Mock::given(path(PLACE_PATH))
        .and(query_param("languageCode", "pt-BR"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json(NEW_PLACE)))
        .expect(1)
        .mount(&server)
        .await;
    let mut s = settings_at(&server.uri(), "new", SYDNEY, API_KEY);
    s.language = Some("pt-BR".into());
    let records = place_records(&connector_with(s, now())).await;
    assert_eq!(reviews(&records).len(), 1);
}

#[tokio::test]
async fn new_is_the_default_api_and_a_resource_name_is_a_place_id() {
    let server = documented_server(json(NEW_PLACE)).await;
    let mut s = settings_at(
        &server.uri(),
        "new",
        "places/ChIJN1t_tDeuEmsRUsoyG83frY4",
        API_KEY,
    );
    s.api = None;
    let records = place_records(&connector_with(s, now())).await;
    assert_eq!(snapshot(&records).account, SYDNEY);
}

#[tokio::test]
async fn a_place_nobody_rated_is_a_snapshot_without_figures() {
    // Google leaves out fields without a value: no `rating`, `userRatingCount`, `reviews`.
    let server = documented_server(json!({})).await;
    let records = place_records(&connector(&server, "new", SYDNEY)).await;
    assert_eq!(records.len(), 1);
    let s = snapshot(&records);
    assert_eq!((s.overall_rating, s.total_reviews), (None, None));
    assert_eq!(s.coverage, ReviewCoverage::AggregateSample);
}

#[tokio::test]
async fn an_empty_review_list_is_no_review() {
    let server = documented_server(place_with(json!([]))).await;
    let records = place_records(&connector(&server, "new", SYDNEY)).await;
    assert_eq!(records.len(), 1);
    assert_eq!(snapshot(&records).total_reviews, Some(612));
}

#[tokio::test]
async fn five_reviews_keep_their_stars_and_times() {
    let names: Vec<String> = (1..=5)
        .map(|i| format!("places/{SYDNEY}/reviews/r{i}"))
        .collect();
    let list = json!([
        review(&names[0], json!(1), "2026-11-10T09:00:00Z"),
        review(&names[1], json!(2.0), "2026-11-10T10:00:00.5Z"),
        review(&names[2], json!(3), "2026-11-10T11:00:00+01:00"),
        review(&names[3], json!(4), "2026-11-10T12:00:00Z"),
        review(&names[4], json!(5), "2026-11-10T13:00:00Z"),
    ]);
    let server = documented_server(place_with(list)).await;
    let got = reviews(&place_records(&connector(&server, "new", SYDNEY)).await);
    let summary: Vec<(String, f64, String)> = got
        .iter()
        .map(|r| (r.external_id.clone(), r.rating, r.created_at.to_rfc3339()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (names[0].clone(), 1.0, "2026-11-10T09:00:00+00:00".into()),
            (
                names[1].clone(),
                2.0,
                "2026-11-10T10:00:00.500+00:00".into()
            ),
            // +01:00 is 10:00 UTC.
            (names[2].clone(), 3.0, "2026-11-10T10:00:00+00:00".into()),
            (names[3].clone(), 4.0, "2026-11-10T12:00:00+00:00".into()),
            (names[4].clone(), 5.0, "2026-11-10T13:00:00+00:00".into()),
        ]
    );
}

#[tokio::test]
async fn a_counted_place_without_its_review_list_is_malformed() {
    let mut p = json(NEW_PLACE);
    p.as_object_mut().unwrap().remove("reviews");
    let server = documented_server(p).await;
    let (_, err) = read_place(&connector(&server, "new", SYDNEY)).await;
    assert_malformed(
        &err,
        PLACE_PATH,
        "no `reviews` although the place counts 612 ratings",
    );
}

#[tokio::test]
async fn a_review_without_valid_stars_is_malformed_naming_it() {
    for (rating, says) in [
        (Value::Null, "has no `rating`"),
        (json!(0), "outside Google's 1–5 stars"),
        (json!(5.5), "outside Google's 1–5 stars"),
    ] {
        let mut r = review("places/x/reviews/bad1", rating, "2026-11-10T09:00:00Z");
        if r["rating"].is_null() {
            r.as_object_mut().unwrap().remove("rating");
        }
        let server = documented_server(place_with(json!([r]))).await;
        let (_, err) = read_place(&connector(&server, "new", SYDNEY)).await;
        assert_malformed(&err, PLACE_PATH, "review places/x/reviews/bad1");
        assert_malformed(&err, PLACE_PATH, says);
    }
}

#[tokio::test]
async fn a_place_rating_outside_the_stars_is_malformed() {
    let mut p = json(NEW_PLACE);
    p["rating"] = json!(7.5);
    let server = documented_server(p).await;
    let (_, err) = read_place(&connector(&server, "new", SYDNEY)).await;
    assert_malformed(&err, PLACE_PATH, "`rating` is 7.5");
}

#[tokio::test]
async fn a_review_without_a_time_or_an_id_is_malformed() {
    let mut no_time = review("places/x/reviews/t1", json!(4), "x");
    no_time.as_object_mut().unwrap().remove("publishTime");
    let bad_time = review("places/x/reviews/t2", json!(4), "last Tuesday");
    let mut no_name = review("", json!(4), "2026-11-10T09:00:00Z");
    no_name.as_object_mut().unwrap().remove("name");
    for (r, says) in [
        (no_time, "review places/x/reviews/t1 has no `publishTime`"),
        (
            bad_time,
            "review places/x/reviews/t2 has a `publishTime` that is no RFC 3339 time",
        ),
        (no_name, "review 1 of the answer has no `name`"),
    ] {
        let server = documented_server(place_with(json!([r]))).await;
        let (_, err) = read_place(&connector(&server, "new", SYDNEY)).await;
        assert_malformed(&err, PLACE_PATH, says);
    }
}

#[tokio::test]
async fn an_unknown_place_is_an_error_naming_place_id() {
    let server = answering(
        404,
        json!({"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}),
    )
    .await;
    let err = place_error(&connector(&server, "new", SYDNEY)).await;
    assert_eq!(err.setting_key(), Some("place_id"), "{err}");
    assert!(err.to_string().contains("NOT_FOUND"), "{err}");
}

#[tokio::test]
async fn an_invalid_key_is_unauthorized_naming_api_key() {
    // How Google's APIs refuse a key that does not exist: 400, not 401.
    let server = answering(
        400,
        json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                "domain": "googleapis.com", "metadata": {"service": "places.googleapis.com"}}]}}),
    )
    .await;
    let err = place_error(&connector(&server, "new", SYDNEY)).await;
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(err.to_string().contains("`api_key`"), "{err}");
    assert!(!err.to_string().contains(API_KEY), "{err}");
}

#[tokio::test]
async fn another_bad_request_says_what_to_check() {
    let server = answering(
        400,
        json!({"error": {"code": 400, "message": "Not a valid Place ID.", "status": "INVALID_ARGUMENT"}}),
    )
    .await;
    let err = place_error(&connector(&server, "new", SYDNEY)).await;
    match &err {
        ConnectorError::Http {
            status: 400,
            detail,
            ..
        } => {
            assert!(detail.contains("Not a valid Place ID"), "{detail}");
            assert!(detail.contains("`place_id`"), "{detail}");
        }
        other => panic!("expected HTTP 400, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_key_is_unauthorized() {
    for status in [401, 403] {
        let server = answering(
            status,
            json!({"error": {"code": status, "message": "denied", "status": "PERMISSION_DENIED"}}),
        )
        .await;
        let err = place_error(&connector(&server, "new", SYDNEY)).await;
        assert!(err.is_unauthorized(), "{err:?}");
    }
}

#[tokio::test]
async fn every_sync_reads_the_place_again_and_a_foreign_checkpoint_is_refused() {
    let server = MockServer::start().await;
    Mock::given(path(PLACE_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json(NEW_PLACE)))
        .expect(2)
        .mount(&server)
        .await;
    let c = connector(&server, "new", SYDNEY);
    let first = place_records(&c).await;
    let cp = Checkpoint::new(json!({"observed_at": "2026-11-11T08:00:00Z"}));
    let (again, err) = read(&c, "place", Some(cp)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(again[0].records, first, "the same place, read again");
    let (none, err) = read(&c, "place", Some(Checkpoint::new(json!({"cursor": "c1"})))).await;
    assert!(none.is_empty());
    let text = err
        .expect("a checkpoint this connector never writes")
        .to_string();
    assert!(text.contains("--full"), "{text}");
}
