//! The `reviews` stream on excerpts shaped as Yelp's reference documents them: every field
//! mapped, the reviewer never read, replies never made up, Pacific times, and every bad
//! rating, id or time an error naming the review.

use crate::common::*;
use deskpulse_connector::ConnectorError;
use deskpulse_connector::testkit::{checkpoints, read, read_ok, records};
use deskpulse_model::{Record, Review};
use serde_json::{Value, json};
use wiremock::MockServer;

async fn serving(page: Value) -> MockServer {
    let server = MockServer::start().await;
    mount_json(&server, &reviews_path(ALIAS), page).await;
    server
}

fn page(reviews: Vec<Value>) -> Value {
    json!({"reviews": reviews, "total": 214, "possible_languages": ["en"]})
}

/// A review as Yelp documents it, with `user` filled.
fn excerpt(id: &str, rating: Value, time_created: &str) -> Value {
    json!({
        "id": id,
        "url": format!("https://www.yelp.com/biz/example?hrid={id}"),
        "text": "Fine.",
        "rating": rating,
        "time_created": time_created,
        "user": {"id": "u1", "profile_url": "https://www.yelp.com/user_details?userid=u1",
                 "image_url": null, "name": "Someone P."},
    })
}

fn reviews_of(batches: &[deskpulse_connector::Batch]) -> Vec<Review> {
    records(batches)
        .into_iter()
        .map(|r| match r {
            Record::Review(r) => r,
            other => panic!("expected reviews only, got {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn the_documented_excerpt_maps_every_field() {
    let server = serving(constructed_reviews()).await;
    let batches = read_ok(&connector(&server), "reviews", None).await;
    assert_eq!(
        reviews_of(&batches),
        [Review {
            platform: "yelp".into(),
            external_id: "xAG4O7l-t1ubbwVAlPnDKg".into(),
            rating: 4.0,
            title: None,
            // An excerpt: Yelp cut it ("…sorted it..."), and it is stored as given.
            text: Some(
                "Staff helped me swap a tent that arrived with a broken pole. Took two visits but they sorted it..."
                    .into()
            ),
            // `user.name` is "Ella A.": personal data, never read.
            author_name: None,
            // "2024-07-21 16:42:09" Pacific, in July daylight time (UTC−7).
            created_at: utc("2024-07-21T23:42:09Z"),
            // The REST API gives no owner replies.
            reply_text: None,
            replied_at: None,
            url: Some(
                "https://www.yelp.com/biz/example-outdoor-store-san-francisco?adjust_creative=abc&hrid=xAG4O7l-t1ubbwVAlPnDKg&utm_campaign=yelp_api_v3&utm_medium=api_v3_business_reviews&utm_source=abc"
                    .into()
            ),
        }]
    );
    assert_eq!(checkpoints(&batches), [json!({"business_id": ALIAS})]);
    assert!(
        !format!("{batches:?}").contains("Ella"),
        "the reviewer's name reaches no record"
    );
}

#[tokio::test]
async fn three_excerpts_with_optional_fields_missing_and_untrusted_text_kept_verbatim() {
    let hostile = "  <b>Awful</b> &amp; \"late\" <!channel>\n\tnever again  ";
    let mut a = excerpt("a1", json!(1), "2026-01-15 08:00:00");
    a["text"] = json!(hostile);
    let mut b = excerpt("b2", json!(5), "2026-06-01 23:59:59");
    b["text"] = Value::Null;
    b.as_object_mut().unwrap().remove("url");
    let mut c = excerpt("c3", json!(3.0), "2026-03-08 02:15:00");
    c.as_object_mut().unwrap().remove("text");
    c.as_object_mut().unwrap().remove("user");
    let server = serving(page(vec![a, b, c])).await;
    let got = reviews_of(&read_ok(&connector(&server), "reviews", None).await);
    let brief: Vec<_> = got
        .iter()
        .map(|r| {
            (
                r.external_id.as_str(),
                r.rating,
                r.text.as_deref(),
                r.url.is_some(),
                r.created_at,
            )
        })
        .collect();
    assert_eq!(
        brief,
        [
            // January: PST, UTC−8.
            ("a1", 1.0, Some(hostile), true, utc("2026-01-15T16:00:00Z")),
            // June: PDT, UTC−7 (past midnight UTC: the next day).
            ("b2", 5.0, None, false, utc("2026-06-02T06:59:59Z")),
            // 2026-03-08 02:15 is skipped by daylight saving in Pacific time: read as PST.
            ("c3", 3.0, None, true, utc("2026-03-08T10:15:00Z")),
        ]
    );
    assert!(got.iter().all(|r| r.author_name.is_none()
        && r.reply_text.is_none()
        && r.replied_at.is_none()
        && r.title.is_none()));
}

#[tokio::test]
async fn a_time_with_an_offset_is_read_as_it_says() {
    let server = serving(page(vec![excerpt(
        "t1",
        json!(2),
        "2026-11-10T09:30:00-08:00",
    )]))
    .await;
    let got = reviews_of(&read_ok(&connector(&server), "reviews", None).await);
    assert_eq!(got[0].created_at, utc("2026-11-10T17:30:00Z"));
}

#[tokio::test]
async fn a_business_without_excerpts_gives_an_empty_batch() {
    let server = serving(json!({"reviews": [], "total": 0, "possible_languages": []})).await;
    let batches = read_ok(&connector(&server), "reviews", None).await;
    assert_eq!(batches.len(), 1, "the read still checkpoints");
    assert!(records(&batches).is_empty());
}

fn malformed(err: &Option<ConnectorError>) -> String {
    match err {
        Some(e @ ConnectorError::Malformed { .. }) => e.to_string(),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_rating_that_is_no_star_is_malformed_naming_the_review() {
    for bad in [
        json!(0),
        json!(6),
        json!(-3),
        json!("4"),
        Value::Null,
        json!(4.0001 + 1.0),
    ] {
        let server = serving(page(vec![
            excerpt("ok1", json!(4), "2026-11-10 10:00:00"),
            excerpt("bad7", bad.clone(), "2026-11-10 10:00:00"),
        ]))
        .await;
        let (batches, err) = read(&connector(&server), "reviews", None).await;
        assert!(batches.is_empty(), "{bad}: nothing of the page is kept");
        let m = malformed(&err);
        assert!(m.contains("bad7") && m.contains("rating"), "{bad}: {m}");
    }
    let mut missing = excerpt("bad8", json!(1), "2026-11-10 10:00:00");
    missing.as_object_mut().unwrap().remove("rating");
    let server = serving(page(vec![missing])).await;
    let m = malformed(&read(&connector(&server), "reviews", None).await.1);
    assert!(m.contains("bad8") && m.contains("rating"), "{m}");
}

#[tokio::test]
async fn a_bad_or_missing_time_is_malformed_naming_the_review() {
    for bad in [
        json!("2026-11-10"),
        json!("10/11/2026 10:00"),
        json!(1731232800),
        Value::Null,
    ] {
        let mut r = excerpt("t9", json!(3), "");
        r["time_created"] = bad.clone();
        let server = serving(page(vec![r])).await;
        let (_, err) = read(&connector(&server), "reviews", None).await;
        let m = match &err {
            // A number where Yelp documents text is no page of the documented shape.
            Some(ConnectorError::Malformed { .. }) if bad.is_number() => continue,
            _ => malformed(&err),
        };
        assert!(m.contains("t9") && m.contains("time_created"), "{bad}: {m}");
    }
}

#[tokio::test]
async fn a_review_without_an_id_is_malformed() {
    for id in [Value::Null, json!(""), json!("  ")] {
        let mut r = excerpt("x", json!(3), "2026-11-10 10:00:00");
        r["id"] = id.clone();
        let server = serving(page(vec![r])).await;
        let m = malformed(&read(&connector(&server), "reviews", None).await.1);
        assert!(m.contains("no `id`"), "{id}: {m}");
    }
}
