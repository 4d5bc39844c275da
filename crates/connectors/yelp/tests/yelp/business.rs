//! The `business` stream on Yelp's recorded business details: one rating snapshot with the
//! platform's own figures, Yelp's id as the account, the aggregate-sample coverage and the
//! client's clock as the observation time.

use crate::common::*;
use deskpulse_connector::testkit::{checkpoints, read, read_ok, records};
use deskpulse_connector::{Checkpoint, CheckpointExt as _, ConnectorError};
use deskpulse_model::{RatingSnapshot, Record, ReviewCoverage};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn snapshot(rating: Option<f64>, total: Option<u64>) -> Record {
    Record::RatingSnapshot(RatingSnapshot {
        platform: "yelp".into(),
        account: BUSINESS_ID.into(),
        overall_rating: rating,
        total_reviews: total,
        coverage: ReviewCoverage::AggregateSample,
        observed_at: now(),
    })
}

async fn serving(business: Value) -> MockServer {
    let server = MockServer::start().await;
    mount_json(&server, &business_path(ALIAS), business).await;
    server
}

#[tokio::test]
async fn the_recorded_business_becomes_one_snapshot_of_yelps_own_figures() {
    let server = serving(recorded_business()).await;
    let batches = read_ok(&connector(&server), "business", None).await;
    // The recording: "rating": 2.0, "review_count": 8422, "id": "4kMBvIEWPxWkWKFN__8SxQ"
    // (asked for by its alias).
    assert_eq!(records(&batches), [snapshot(Some(2.0), Some(8422))]);
    assert_eq!(checkpoints(&batches), [json!({"business_id": ALIAS})]);
    // One request, with the key as a Bearer token (the mock requires it) and no query.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.query(), None);
}

#[tokio::test]
async fn a_business_configured_by_id_keeps_the_same_account() {
    let server = MockServer::start().await;
    mount_json(&server, &business_path(BUSINESS_ID), recorded_business()).await;
    let mut s = settings_at(&server.uri(), API_KEY);
    s.business_id = Some(BUSINESS_ID.into());
    let batches = read_ok(&connector_with(s, now()), "business", None).await;
    assert_eq!(records(&batches), [snapshot(Some(2.0), Some(8422))]);
}

#[tokio::test]
async fn the_locale_is_passed_to_both_endpoints() {
    let server = MockServer::start().await;
    for (p, body) in [
        (business_path(ALIAS), recorded_business()),
        (reviews_path(ALIAS), constructed_reviews()),
    ] {
        Mock::given(method("GET"))
            .and(path(p.as_str()))
            .and(query_param("locale", "fr_FR"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    let mut s = settings_at(&server.uri(), API_KEY);
    s.locale = Some("fr_FR".into());
    let c = connector_with(s, now());
    assert_eq!(records(&read_ok(&c, "business", None).await).len(), 1);
    assert_eq!(records(&read_ok(&c, "reviews", None).await).len(), 1);
}

#[tokio::test]
async fn an_alias_with_accents_is_sent_percent_encoded() {
    // Yelp aliases carry the business's name, accents included (yelp.fr/biz/…).
    let server = MockServer::start().await;
    mount_json(
        &server,
        "/v3/businesses/empreinte-h%C3%B4tel-orl%C3%A9ans-2",
        recorded_business(),
    )
    .await;
    let mut s = settings_at(&server.uri(), API_KEY);
    s.business_id = Some("empreinte-hôtel-orléans-2".into());
    let batches = read_ok(&connector_with(s, now()), "business", None).await;
    assert_eq!(records(&batches).len(), 1);
}

#[tokio::test]
async fn a_resumed_read_reads_the_business_again() {
    // Yelp keeps no history to resume into: every sync takes today's figures.
    let server = serving(recorded_business()).await;
    let c = connector(&server);
    let first = read_ok(&c, "business", None).await;
    let again = read_ok(&c, "business", Some(first[0].checkpoint.clone())).await;
    assert_eq!(records(&again), records(&first));
    // A checkpoint naming another business (the setting changed) reads the configured one.
    let other = Checkpoint::of(&json!({"business_id": "somewhere-else"}));
    assert_eq!(
        records(&read_ok(&c, "business", Some(other)).await),
        records(&first)
    );
}

#[tokio::test]
async fn missing_figures_are_none_never_zero() {
    let mut b = recorded_business();
    b.as_object_mut().unwrap().remove("rating");
    b.as_object_mut().unwrap().remove("review_count");
    let server = serving(b).await;
    let batches = read_ok(&connector(&server), "business", None).await;
    assert_eq!(records(&batches), [snapshot(None, None)]);

    // A business nobody has reviewed: no rating, a count of 0.
    let mut b = recorded_business();
    b["rating"] = json!(0);
    b["review_count"] = json!(0);
    let server = serving(b).await;
    let batches = read_ok(&connector(&server), "business", None).await;
    assert_eq!(records(&batches), [snapshot(None, Some(0))]);
}

#[tokio::test]
async fn a_half_star_rating_is_kept_as_given() {
    let mut b = recorded_business();
    b["rating"] = json!(4.5);
    let server = serving(b).await;
    let batches = read_ok(&connector(&server), "business", None).await;
    assert_eq!(records(&batches), [snapshot(Some(4.5), Some(8422))]);
}

fn malformed(err: &Option<ConnectorError>) -> String {
    match err {
        Some(e @ ConnectorError::Malformed { .. }) => e.to_string(),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_rating_off_the_scale_is_malformed_naming_the_business() {
    for bad in [json!(0), json!(5.5), json!(-1)] {
        let mut b = recorded_business();
        b["rating"] = bad.clone();
        let server = serving(b).await;
        let (batches, err) = read(&connector(&server), "business", None).await;
        assert!(batches.is_empty(), "{bad}");
        let m = malformed(&err);
        assert!(
            m.contains(BUSINESS_ID) && m.contains("rating"),
            "{bad}: {m}"
        );
    }
}

#[tokio::test]
async fn an_answer_that_is_no_business_is_malformed() {
    let no_categories = {
        let mut b = recorded_business();
        b.as_object_mut().unwrap().remove("categories");
        b
    };
    let blank_id = {
        let mut b = recorded_business();
        b["id"] = json!(" ");
        b
    };
    for body in [
        json!({}),
        json!({"businesses": []}),
        no_categories,
        blank_id,
    ] {
        let server = serving(body.clone()).await;
        let (batches, err) = read(&connector(&server), "business", None).await;
        assert!(batches.is_empty(), "{body}");
        malformed(&err);
    }
}
