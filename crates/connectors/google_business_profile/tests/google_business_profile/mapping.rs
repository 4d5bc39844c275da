//! Every mapped field, on the constructed fixture pages: both id layouts, replies (edited,
//! without text, absent), rating-only and empty comments, Google's translation blocks and
//! markup stored as given, offsets and nanoseconds in times, the rating snapshot and the
//! coverage; and what is refused (no rating, a lost `reviews` list).

use crate::common::*;
use deskpulse_connector::prelude::{RatingSnapshot, Review, ReviewCoverage};
use deskpulse_connector::testkit::{assert_malformed, checkpoints, read, read_ok, records};
use deskpulse_connector::{ConnectorFactory, Record};
use deskpulse_connector_google_business_profile::GoogleBusinessProfile;
use serde_json::json;
use wiremock::MockServer;

fn r(
    id: &str,
    rating: f64,
    text: Option<&str>,
    created: &str,
    reply: Option<(Option<&str>, &str)>,
) -> Record {
    Record::Review(Review {
        platform: "google_business_profile".into(),
        external_id: id.into(),
        rating,
        title: None,
        text: text.map(str::to_owned),
        author_name: None,
        created_at: at(created),
        reply_text: reply.and_then(|(t, _)| t.map(str::to_owned)),
        replied_at: reply.map(|(_, at_)| at(at_)),
        url: None,
    })
}

async fn two_fixture_pages() -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    list(None)
        .respond_with(ok(fixture("constructed_reviews_list.json")))
        .expect(1)
        .mount(&server)
        .await;
    list(Some(PAGE2_TOKEN))
        .respond_with(ok(fixture("constructed_reviews_list_page2.json")))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_fixture_pages_map_field_by_field() {
    let server = two_fixture_pages().await;
    let batches = read_ok(&connector(&server), "reviews", None).await;
    assert_eq!(batches.len(), 2);
    let translated = "Sehr freundliche Beratung, die Abholung hat aber etwas gedauert.\n\n(Translated by Google)\nVery friendly advice, but the pickup took a while.";
    let expected = vec![
        // Once per sync, from the first page: the location's own figures.
        Record::RatingSnapshot(RatingSnapshot {
            platform: "google_business_profile".into(),
            account: LOCATION.into(),
            overall_rating: Some(4.4),
            total_reviews: Some(612),
            coverage: ReviewCoverage::Full,
            observed_at: now(),
        }),
        r(
            "AbFvOqm1x2y3z4w5v6u7t8s9r0q",
            2.0,
            Some("Click & collect order was not ready at the promised time."),
            "2024-07-23T17:04:55.120Z",
            Some((
                Some(
                    "Sorry Priya - we've fixed the notification bug that caused this. Please ask for Sam next time.",
                ),
                "2024-07-24T08:31:02.008Z",
            )),
        ),
        // Rating-only (no `comment`), anonymous, never answered.
        r(
            "AbFvOqnA1B2C3D4E5F6G7H8I9J0",
            5.0,
            None,
            "2024-07-22T10:11:12Z",
            None,
        ),
        // The translation block is part of the text Google gives; the reply's time is its
        // last edit; nine fractional digits keep their nanoseconds.
        r(
            "AbFvOqkZ9y8x7w6v5u4t3s2r1q0",
            4.0,
            Some(translated),
            "2024-07-20T14:30:00.123456789Z",
            Some((
                Some("Danke, Jonas! <b>Wir arbeiten daran.</b>"),
                "2024-07-25T10:15:30.5Z",
            )),
        ),
        // Only `name`: the id is its last segment; an empty comment stays empty.
        r(
            "AbFvOqjK1L2M3N4O5P6Q7R8S9T0",
            1.0,
            Some(""),
            "2024-07-19T08:00:00Z",
            None,
        ),
        // Spaces and markup exactly as given; a reply with no `comment` is still a reply.
        r(
            "AbFvOqiQ1w2e3r4t5y6u7i8o9p0",
            3.0,
            Some("  Okay.   Parking was hard. <script>alert(1)</script>  "),
            "2024-07-18T12:00:00Z",
            Some((None, "2024-07-18T18:00:00Z")),
        ),
    ];
    assert_eq!(records(&batches), expected);
    // Mid-pass: the next page's token and the newest `updateTime` so far; at the end of the
    // pass: the bookmark alone (the `+02:00` update of page 2 is older than page 1's).
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"page_token": PAGE2_TOKEN, "bookmark": "2024-07-23T17:04:55.120Z"}),
            json!({"bookmark": "2024-07-23T17:04:55.120Z"}),
        ]
    );
}

#[test]
fn the_coverage_is_full() {
    assert_eq!(GoogleBusinessProfile::COVERAGE, Some(ReviewCoverage::Full));
}

#[tokio::test]
async fn an_unspecified_star_rating_is_malformed_naming_the_review() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    list(None)
        .respond_with(ok(fixture("constructed_unspecified_rating.json")))
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "reviews", None).await;
    assert!(batches.is_empty());
    assert_malformed(&err, REVIEWS, "AbFvOqhU0n5p3c1f1e2d");
    assert_malformed(&err, REVIEWS, "STAR_RATING_UNSPECIFIED");
}

#[tokio::test]
async fn a_missing_or_unknown_star_rating_is_malformed_too() {
    for stars in [json!(null), json!("SIX")] {
        let server = MockServer::start().await;
        mount_token(&server).await;
        let mut rv = review(
            "rv-1",
            "ONE",
            "2026-11-01T10:00:00Z",
            "2026-11-01T10:00:00Z",
            None,
        );
        rv["starRating"] = stars.clone();
        list(None)
            .respond_with(ok(page(vec![rv], 3.0, 1, None)))
            .mount(&server)
            .await;
        let (_, err) = read(&connector(&server), "reviews", None).await;
        assert_malformed(&err, REVIEWS, "review rv-1");
    }
}

#[tokio::test]
async fn a_review_without_create_time_or_any_id_is_malformed() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let mut rv = review(
        "rv-2",
        "TWO",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:00Z",
        None,
    );
    rv.as_object_mut().unwrap().remove("createTime");
    list(None)
        .respond_with(ok(page(vec![rv], 3.0, 1, None)))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "reviews", None).await;
    assert_malformed(&err, REVIEWS, "review rv-2: no `createTime`");

    let server = MockServer::start().await;
    mount_token(&server).await;
    let mut rv = review(
        "rv-3",
        "TWO",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:00Z",
        None,
    );
    rv.as_object_mut().unwrap().remove("reviewId");
    rv.as_object_mut().unwrap().remove("name");
    list(None)
        .respond_with(ok(page(vec![rv], 3.0, 1, None)))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "reviews", None).await;
    assert_malformed(&err, REVIEWS, "neither `reviewId` nor a `name`");
}

/// Google leaves empty lists and zero numbers out of its JSON: a location without reviews
/// answers `{}`, which is one snapshot with no figures (not a rating of 0).
#[tokio::test]
async fn a_location_without_reviews_gives_an_empty_snapshot() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    list(None).respond_with(ok(json!({}))).mount(&server).await;
    let batches = read_ok(&connector(&server), "reviews", None).await;
    assert_eq!(
        records(&batches),
        vec![Record::RatingSnapshot(RatingSnapshot {
            platform: "google_business_profile".into(),
            account: LOCATION.into(),
            overall_rating: None,
            total_reviews: None,
            coverage: ReviewCoverage::Full,
            observed_at: now(),
        })]
    );
}

/// A page that says the location has reviews but carries no `reviews` list lost it: ending
/// the pass there would drop every later review without a word.
#[tokio::test]
async fn a_page_without_its_reviews_list_is_malformed() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    list(None)
        .respond_with(ok(
            json!({"averageRating": 4.4, "totalReviewCount": 612, "nextPageToken": "x"}),
        ))
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "reviews", None).await;
    assert!(batches.is_empty());
    assert_malformed(&err, REVIEWS, "no `reviews` list");
}

#[tokio::test]
async fn an_average_rating_off_the_scale_is_malformed() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    list(None)
        .respond_with(ok(page(vec![], 7.5, 3, None)))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "reviews", None).await;
    assert_malformed(&err, REVIEWS, "`averageRating` 7.5");
}

/// An `updateTime` ahead of the clock would become a bookmark past every later change.
#[tokio::test]
async fn an_update_time_in_the_future_is_malformed() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let rv = review(
        "rv-4",
        "FIVE",
        "2026-11-01T10:00:00Z",
        "2027-01-01T00:00:00Z",
        None,
    );
    list(None)
        .respond_with(ok(page(vec![rv], 4.0, 1, None)))
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "reviews", None).await;
    assert!(batches.is_empty());
    assert_malformed(&err, REVIEWS, "updateTime");
}
