//! The mapping of `customer_reviews` on the constructed fixture pages (Apple's documented
//! shape): every field of a review, both layouts of `relationships.response`, published and
//! pending responses, missing optional fields, the snapshot and its coverage, the rebased
//! next link, and what a broken review is.

use crate::common::*;
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::prelude::*;
use deskpulse_connector::testkit::{assert_malformed, read, read_ok, records};
use deskpulse_connector_app_store::AppStore;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CURSOR: &str = "eyJvZmZzZXQiOiIyMDAifQ";

/// The fixture's two pages: page 1 (`constructed_customer_reviews.json`), then the page its
/// next link names (`constructed_doc_layout_last_page.json`).
async fn two_pages() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(query_param("limit", "200"))
        .and(query_param("sort", "-createdDate"))
        .and(query_param("include", "response"))
        .and(query_param_is_missing("cursor"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("constructed_customer_reviews.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The next link of page 1, on the mock server instead of Apple's host, as Apple wrote it.
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(query_param("cursor", CURSOR))
        .and(query_param("include", "response"))
        .and(query_param("sort", "-createdDate"))
        .and(query_param("limit", "200"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("constructed_doc_layout_last_page.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    server
}

fn reviews_of(batches: &[Batch]) -> Vec<Review> {
    records(batches)
        .iter()
        .filter_map(Record::as_review)
        .cloned()
        .collect()
}

#[tokio::test]
async fn maps_every_field_of_the_documented_pages() {
    let server = two_pages().await;
    let c = connector(&server.uri());
    let batches = read_ok(&c, "customer_reviews", None).await;
    assert_eq!(
        batches.len(),
        2,
        "one batch per page, ending where no next link is"
    );
    let reviews = reviews_of(&batches);
    assert_eq!(reviews.len(), 3);

    // Page 1: 2 stars, a PUBLISHED response (reply = its body, at its last modification).
    assert_eq!(
        reviews[0],
        Review {
            platform: "app_store".into(),
            external_id: "00000065-4c6b-0112-b0e2-4b2400000000".into(),
            rating: 2.0,
            title: Some("Checkout keeps failing".into()),
            text: Some("Apple Pay spins forever on the last step.".into()),
            author_name: None,
            // 08:19:36 at −07:00 is 15:19:36 UTC.
            created_at: at("2024-07-22T15:19:36Z"),
            reply_text: Some(
                "Thanks for flagging - version 5.4.1 fixes the Apple Pay timeout.".into()
            ),
            // `lastModifiedDate` 10:02:11 at −07:00: the last edit, as Apple gives no other.
            replied_at: Some(at("2024-07-23T17:02:11Z")),
            url: None,
        }
    );
    // Page 2, Apple's example layout: `relationships.response` with `links` only is no
    // reply; the untrusted text is kept exactly, spaces, markup and entities included.
    assert_eq!(
        reviews[1].external_id,
        "00000065-4c6b-0112-b0e2-4b2400000001"
    );
    assert_eq!(reviews[1].rating, 5.0);
    assert_eq!(
        reviews[1].title.as_deref(),
        Some("  Love the <b>new</b> widgets 🎉  ")
    );
    assert_eq!(
        reviews[1].text.as_deref(),
        Some("Works offline &amp; syncs later.\nFive stars.")
    );
    assert_eq!(reviews[1].created_at, at("2024-07-20T21:05:00Z"));
    assert_eq!(
        (reviews[1].reply_text.as_ref(), reviews[1].replied_at),
        (None, None)
    );
    // A null title and no body are absent, not empty; a PENDING_PUBLISH response is not
    // visible to customers yet: no reply.
    assert_eq!(reviews[2].rating, 4.0);
    assert_eq!(
        (reviews[2].title.as_ref(), reviews[2].text.as_ref()),
        (None, None)
    );
    assert_eq!(reviews[2].created_at, at("2024-07-19T13:00:00Z"));
    assert_eq!(
        (reviews[2].reply_text.as_ref(), reviews[2].replied_at),
        (None, None)
    );
    assert!(
        reviews
            .iter()
            .all(|r| r.author_name.is_none() && r.url.is_none())
    );

    // One snapshot per run, from the first page: no store-wide average in this API, the
    // written-review count of `meta.paging.total`, observed at the client's clock.
    let snaps: Vec<RatingSnapshot> = records(&batches)
        .iter()
        .filter_map(Record::as_rating_snapshot)
        .cloned()
        .collect();
    assert_eq!(
        snaps,
        vec![RatingSnapshot {
            platform: "app_store".into(),
            account: APP.into(),
            overall_rating: None,
            total_reviews: Some(3812),
            coverage: ReviewCoverage::Full,
            observed_at: at(NOW),
        }]
    );
    assert_eq!(AppStore::COVERAGE, Some(ReviewCoverage::Full));
    // The pass is over: its checkpoint is the newest `createdDate` read.
    assert_eq!(
        batches[1].checkpoint.value(),
        &json!({"bookmark": "2024-07-22T15:19:36Z"})
    );
    // Mid-pass: the next page on whatever host is configured, the bookmark so far.
    assert_eq!(
        batches[0].checkpoint.value(),
        &json!({
            "next": format!("{REVIEWS}?cursor={CURSOR}&include=response&sort=-createdDate&limit=200"),
            "bookmark": "2024-07-22T15:19:36Z"
        })
    );
}

/// One page holding `data` alone (no `included`, `links` or `meta`).
async fn one_page(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_page_without_included_links_or_meta_is_a_last_page_without_a_count() {
    let (r, _) = review("r1", 3, "2024-07-01T10:00:00Z", None);
    let server = one_page(json!({"data": [r]})).await;
    let batches = read_ok(&connector(&server.uri()), "customer_reviews", None).await;
    let recs = records(&batches);
    assert_eq!(recs.len(), 2);
    let snap = recs[0].as_rating_snapshot().unwrap();
    assert_eq!((snap.overall_rating, snap.total_reviews), (None, None));
    let review = recs[1].as_review().unwrap();
    assert_eq!(review.rating, 3.0);
    assert_eq!(review.reply_text, None);
}

#[tokio::test]
async fn a_review_without_a_valid_rating_is_malformed_naming_it() {
    for (rating, says) in [
        (json!(0), "not 1 to 5 stars"),
        (json!(6), "not 1 to 5 stars"),
        (json!("5"), "not 1 to 5 stars"),
        (Value::Null, "has no `rating`"),
    ] {
        let (mut r, _) = review("bad-1", 5, "2024-07-01T10:00:00Z", None);
        r["attributes"]["rating"] = rating;
        let server = one_page(json!({"data": [r]})).await;
        let (batches, err) = read(&connector(&server.uri()), "customer_reviews", None).await;
        assert!(batches.is_empty());
        assert_malformed(&err, REVIEWS, "bad-1");
        assert_malformed(&err, REVIEWS, says);
    }
    // No `rating` at all.
    let (mut r, _) = review("bad-2", 5, "2024-07-01T10:00:00Z", None);
    r["attributes"].as_object_mut().unwrap().remove("rating");
    let server = one_page(json!({"data": [r]})).await;
    let (_, err) = read(&connector(&server.uri()), "customer_reviews", None).await;
    assert_malformed(&err, REVIEWS, "review bad-2 has no `rating`");
}

#[tokio::test]
async fn a_bad_or_future_created_date_is_malformed_naming_the_review() {
    let (r, _) = review("d1", 5, "yesterday", None);
    let server = one_page(json!({"data": [r]})).await;
    let (_, err) = read(&connector(&server.uri()), "customer_reviews", None).await;
    assert_malformed(&err, REVIEWS, "review d1: `createdDate` \"yesterday\"");
    // Past the clock: it would become a bookmark ahead of reviews not written yet.
    let (r, _) = review("d2", 5, "2025-01-01T00:00:00Z", None);
    let server = one_page(json!({"data": [r]})).await;
    let (_, err) = read(&connector(&server.uri()), "customer_reviews", None).await;
    assert_malformed(&err, REVIEWS, "review d2");
}

#[tokio::test]
async fn a_linked_response_missing_from_included_is_malformed_not_unanswered() {
    let (r, _) = review(
        "r9",
        1,
        "2024-07-01T10:00:00Z",
        Some(("resp-9", "PUBLISHED", "sorry", "2024-07-02T10:00:00Z")),
    );
    let server = one_page(json!({"data": [r], "included": []})).await;
    let (_, err) = read(&connector(&server.uri()), "customer_reviews", None).await;
    assert_malformed(&err, REVIEWS, "review r9 links response resp-9");
}

#[tokio::test]
async fn a_published_response_without_a_date_is_answered_without_a_reply_time() {
    let (r, inc) = review(
        "r1",
        2,
        "2024-07-01T10:00:00Z",
        Some(("resp-1", "PUBLISHED", "We fixed it.", "")),
    );
    let mut inc = inc.unwrap();
    inc["attributes"]
        .as_object_mut()
        .unwrap()
        .remove("lastModifiedDate");
    let server = one_page(json!({"data": [r], "included": [inc]})).await;
    let batches = read_ok(&connector(&server.uri()), "customer_reviews", None).await;
    let review = reviews_of(&batches).remove(0);
    assert_eq!(review.reply_text.as_deref(), Some("We fixed it."));
    assert_eq!(review.replied_at, None);
}

#[tokio::test]
async fn requests_ask_for_the_newest_first_with_responses_and_the_page_size() {
    let (r, _) = review("r1", 3, "2024-07-01T10:00:00Z", None);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(query_param("limit", "50"))
        .and(query_param("sort", "-createdDate"))
        .and(query_param("include", "response"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![(r, None)], None, 1)))
        .expect(1)
        .mount(&server)
        .await;
    let mut s = settings(&server.uri());
    s.page_size = Some(50);
    read_ok(&connector_with(s, NOW), "customer_reviews", None).await;
}

#[tokio::test]
async fn dates_with_fractions_or_a_colon_less_offset_read_as_utc() {
    let server = one_page(json!({"data": [
        review("f1", 3, "2024-07-01T10:00:00.250Z", None).0,
        review("f2", 3, "2024-07-01T10:00:00-0700", None).0,
    ]}))
    .await;
    let batches = read_ok(&connector(&server.uri()), "customer_reviews", None).await;
    let times: Vec<_> = reviews_of(&batches).iter().map(|r| r.created_at).collect();
    assert_eq!(
        times,
        [at("2024-07-01T10:00:00.250Z"), at("2024-07-01T17:00:00Z")]
    );
}

#[tokio::test]
async fn next_links_are_rebased_under_a_base_url_with_a_path_prefix() {
    let server = MockServer::start().await;
    let prefixed = format!("/asc{REVIEWS}");
    let (r1, _) = review("p1", 5, "2024-07-02T10:00:00Z", None);
    let (r2, _) = review("p2", 4, "2024-07-01T10:00:00Z", None);
    Mock::given(method("GET"))
        .and(path(prefixed.as_str()))
        .and(query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            vec![(r1, None)],
            Some("n2"),
            2,
        )))
        .expect(1)
        .mount(&server)
        .await;
    // Apple's next link names its own host and no prefix: it is asked for under ours.
    Mock::given(method("GET"))
        .and(path(prefixed.as_str()))
        .and(query_param("cursor", "n2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![(r2, None)], None, 2)))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector(&format!("{}/asc", server.uri()));
    let batches = read_ok(&c, "customer_reviews", None).await;
    let ids: Vec<_> = reviews_of(&batches)
        .into_iter()
        .map(|r| r.external_id)
        .collect();
    assert_eq!(ids, ["p1", "p2"]);
}

#[tokio::test]
async fn a_blank_review_id_is_malformed() {
    let (r, _) = review(" ", 4, "2024-07-01T10:00:00Z", None);
    let server = one_page(json!({"data": [r]})).await;
    let (_, err) = read(&connector(&server.uri()), "customer_reviews", None).await;
    assert_malformed(&err, REVIEWS, "a review has a blank `id`");
}
