//! The documented payloads (`tests/fixtures/constructed_*.json`) through both endpoints:
//! every mapped field of the snapshot and of each review, the reply and its absence, the
//! business-user token exchange, and the documented alternatives (naive times, absent
//! optional fields).

use crate::common::*;
use deskpulse_connector::testkit::basic_auth_header;
use deskpulse_connector::{ConnectorError, Record};
use deskpulse_model::{RatingSnapshot, ReviewCoverage};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn the_business_unit_is_one_snapshot_of_the_displayed_stars_and_the_total() {
    let server = MockServer::start().await;
    serve_business_unit(&server).await;
    let batches = read_ok(&connector(&server), "business_unit", None).await;
    // score.stars 4.5 (not trustScore 4.3), numberOfReviews.total 1843.
    assert_eq!(
        records(&batches),
        vec![Record::RatingSnapshot(RatingSnapshot {
            platform: "trustpilot".into(),
            account: BU.into(),
            overall_rating: Some(4.5),
            total_reviews: Some(1843),
            coverage: ReviewCoverage::Full,
            observed_at: now(),
        })]
    );
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"observed_at": "2026-11-13T12:00:00Z"})]
    );
}

#[tokio::test]
async fn the_public_page_maps_every_field_and_its_links_are_not_followed() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        &public_reviews(),
        1,
        100,
        fixture("constructed_public_reviews_page.json"),
    )
    .await;
    let batches = read_ok(&connector(&server), "reviews", None).await;
    let got = reviews(&records(&batches));
    assert_eq!(got.len(), 2);
    let r = &got[0];
    assert_eq!(r.platform, "trustpilot");
    assert_eq!(r.external_id, "66a0f1c2e3d4b5a6c7d8e9f0");
    assert_eq!(r.rating, 1.0);
    assert_eq!(r.title.as_deref(), Some("Parcel never arrived"));
    assert_eq!(
        r.text.as_deref(),
        Some(
            "Order #10442 shows delivered but nothing came. Two emails to support, no answer after 5 days."
        )
    );
    assert_eq!(r.author_name, None, "authors are never stored");
    assert_eq!(r.created_at, at("2024-07-24T09:12:03Z"));
    assert_eq!(
        r.reply_text.as_deref(),
        Some(
            "Hi Hannah, sorry about this - we have opened a claim with the courier and emailed you a replacement option."
        )
    );
    assert_eq!(r.replied_at, Some(at("2024-07-24T15:40:11Z")));
    assert_eq!(r.url, None);
    let r = &got[1];
    assert_eq!(r.external_id, "66a0e9b7c1d2e3f4a5b6c7d8");
    assert_eq!(r.rating, 5.0);
    assert_eq!(r.title.as_deref(), Some("Fast delivery"));
    assert_eq!(
        r.text.as_deref(),
        Some("Tent arrived next day, well packed.")
    );
    assert_eq!(r.created_at, at("2024-07-24T08:55:47Z"));
    // `companyReply: null`: not answered.
    assert_eq!((r.reply_text.as_deref(), r.replied_at), (None, None));
    // Two reviews on a page of 100: the last page, one request, the `next-page` link on
    // the production host never followed.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"bookmark": "2024-07-24T09:12:03Z"})]
    );
}

#[tokio::test]
async fn the_private_page_is_read_with_a_business_user_token() {
    let server = MockServer::start().await;
    // Trustpilot's refresh: HTTP Basic API_KEY:API_SECRET, a form with the refresh token.
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header(
            "authorization",
            basic_auth_header(API_KEY, API_SECRET),
        ))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains(format!("refresh_token={REFRESH}")))
        .respond_with(token_answer(ACCESS, REFRESH))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(private_reviews()))
        .and(header("authorization", format!("Bearer {ACCESS}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("constructed_private_reviews_page.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = connector_with(private_settings(&server));
    assert!(c.reads_private_reviews());
    let got = reviews(&records(&read_ok(&c, "reviews", None).await));
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.external_id, "66a0f1c2e3d4b5a6c7d8e9f0");
    assert_eq!(r.rating, 1.0);
    assert_eq!(r.title.as_deref(), Some("Parcel never arrived"));
    assert_eq!(r.created_at, at("2024-07-24T09:12:03Z"));
    assert_eq!(r.replied_at, Some(at("2024-07-24T15:40:11Z")));
    assert!(r.reply_text.as_deref().unwrap().starts_with("Hi Hannah"));
    // The private fields (e-mail, order id) go nowhere.
    let all = format!("{got:?}");
    assert!(
        !all.contains("hannah@example.net") && !all.contains("Hannah P."),
        "{all}"
    );
}

#[tokio::test]
async fn with_oauth_the_business_unit_is_still_read_with_the_api_key() {
    let server = MockServer::start().await;
    serve_business_unit(&server).await;
    let c = connector_with(private_settings(&server));
    let got = records(&read_ok(&c, "business_unit", None).await);
    assert_eq!(got.len(), 1);
}

/// One review, answered at `reply`, read from a one-page public list.
async fn read_one(review: serde_json::Value) -> Result<Vec<Record>, ConnectorError> {
    let server = MockServer::start().await;
    mount_page(&server, &public_reviews(), 1, 100, page(vec![review])).await;
    match read(&connector(&server), "reviews", None).await {
        (b, None) => Ok(records(&b)),
        (_, Some(e)) => Err(e),
    }
}

#[tokio::test]
async fn naive_times_of_the_docs_are_utc_and_rfc3339_offsets_are_honoured() {
    let mut r = review(
        "r1",
        4,
        "2013-09-07T13:37:00",
        Some(("Thanks", "2013-09-08T08:00:00.500")),
    );
    let got = reviews(&read_one(r.clone()).await.unwrap());
    assert_eq!(got[0].created_at, at("2013-09-07T13:37:00Z"));
    assert_eq!(got[0].replied_at, Some(at("2013-09-08T08:00:00.500Z")));
    r["createdAt"] = json!("2024-07-24T11:12:03.250+02:00");
    let got = reviews(&read_one(r).await.unwrap());
    assert_eq!(got[0].created_at, at("2024-07-24T09:12:03.250Z"));
}

#[tokio::test]
async fn the_reply_time_is_its_first_publication_not_its_last_edit() {
    let mut r = review(
        "r1",
        2,
        "2024-07-24T09:00:00Z",
        Some(("Sorry", "2024-07-24T10:00:00Z")),
    );
    r["companyReply"]["updatedAt"] = json!("2024-07-30T10:00:00Z");
    r["updatedAt"] = json!("2024-07-25T10:00:00Z");
    let got = reviews(&read_one(r).await.unwrap());
    assert_eq!(got[0].replied_at, Some(at("2024-07-24T10:00:00Z")));
    assert_eq!(got[0].created_at, at("2024-07-24T09:00:00Z"));
}

#[tokio::test]
async fn absent_optional_fields_are_none_and_text_is_kept_exactly() {
    let r = json!({
        "id": "r1", "stars": 3, "createdAt": "2024-07-24T09:00:00Z",
        "title": "  <b>Spaces</b> &amp; tags ", "text": "line 1\n\tline 2  ",
    });
    let got = reviews(&read_one(r).await.unwrap());
    assert_eq!(got[0].title.as_deref(), Some("  <b>Spaces</b> &amp; tags "));
    assert_eq!(got[0].text.as_deref(), Some("line 1\n\tline 2  "));
    assert_eq!((got[0].reply_text.clone(), got[0].replied_at), (None, None));
    let r = json!({"id": "r2", "stars": 3, "createdAt": "2024-07-24T09:00:00Z", "title": null, "text": null, "companyReply": null, "updatedAt": null});
    let got = reviews(&read_one(r).await.unwrap());
    assert_eq!((got[0].title.clone(), got[0].text.clone()), (None, None));
}

#[tokio::test]
async fn a_rating_outside_one_to_five_is_an_error_naming_the_review() {
    for stars in [json!(0), json!(6), json!(4.5), json!(null), json!(-1)] {
        let mut r = review("bad-stars-1", 1, "2024-07-24T09:00:00Z", None);
        r["stars"] = stars.clone();
        match read_one(r).await {
            Err(ConnectorError::Malformed { detail, .. }) => {
                assert!(detail.contains("bad-stars-1"), "{stars}: {detail}")
            }
            other => panic!("{stars}: expected Malformed, got {other:?}"),
        }
    }
    let mut r = review("no-stars-2", 1, "2024-07-24T09:00:00Z", None);
    r.as_object_mut().unwrap().remove("stars");
    assert!(
        matches!(read_one(r).await, Err(ConnectorError::Malformed { detail, .. }) if detail.contains("no-stars-2"))
    );
}

#[tokio::test]
async fn an_unreadable_or_future_time_is_an_error_naming_the_review() {
    for (field, value) in [
        ("createdAt", "yesterday"),
        ("createdAt", "2027-01-01T00:00:00Z"),
        ("reply", "soon"),
    ] {
        let mut r = review(
            "odd-time-3",
            4,
            "2024-07-24T09:00:00Z",
            Some(("ok", "2024-07-25T09:00:00Z")),
        );
        if field == "reply" {
            r["companyReply"]["createdAt"] = json!(value);
        } else {
            r[field] = json!(value);
        }
        match read_one(r).await {
            Err(ConnectorError::Malformed { detail, .. }) => {
                assert!(detail.contains("odd-time-3"), "{value}: {detail}")
            }
            other => panic!("{value}: expected Malformed, got {other:?}"),
        }
    }
}

/// The business unit `bu`, read as the `business_unit` stream.
async fn read_business_unit(bu: serde_json::Value) -> Result<Vec<Record>, ConnectorError> {
    let server = MockServer::start().await;
    business_unit()
        .respond_with(ResponseTemplate::new(200).set_body_json(bu))
        .mount(&server)
        .await;
    match read(&connector(&server), "business_unit", None).await {
        (b, None) => Ok(records(&b)),
        (_, Some(e)) => Err(e),
    }
}

fn snapshot(records: &[Record]) -> (Option<f64>, Option<u64>) {
    match records {
        [Record::RatingSnapshot(s)] => (s.overall_rating, s.total_reviews),
        other => panic!("expected one snapshot, got {other:?}"),
    }
}

#[tokio::test]
async fn a_business_unit_without_a_figure_gives_none_never_a_made_up_zero() {
    let mut bu = fixture("constructed_business_unit.json");
    bu["numberOfReviews"] = json!({"total": 0, "oneStar": 0});
    bu["score"] = json!({"trustScore": 0, "stars": 0});
    assert_eq!(
        snapshot(&read_business_unit(bu).await.unwrap()),
        (None, Some(0))
    );
    let bu = json!({"id": BU, "score": {}, "numberOfReviews": {}});
    assert_eq!(
        snapshot(&read_business_unit(bu).await.unwrap()),
        (None, None)
    );
    // Stars outside 1–5, or no `score` at all: not the documented object.
    for bu in [
        json!({"id": BU, "score": {"stars": 7}, "numberOfReviews": {"total": 3}}),
        json!({"id": BU, "numberOfReviews": {"total": 3}}),
    ] {
        assert!(
            matches!(
                read_business_unit(bu.clone()).await,
                Err(ConnectorError::Malformed { .. })
            ),
            "{bu}"
        );
    }
}

#[tokio::test]
async fn a_rotated_refresh_token_is_used_for_the_next_refresh_of_the_run() {
    let server = MockServer::start().await;
    let rotated = "tp-Refresh-Rotated-2";
    for (refresh, access, next) in [
        (REFRESH, ACCESS, rotated),
        (rotated, "tp-Access-Second", rotated),
    ] {
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .and(body_string_contains(format!("refresh_token={refresh}")))
            .respond_with(token_answer(access, next))
            .expect(1)
            .mount(&server)
            .await;
    }
    // The first token is refused (revoked early): the SDK renews once, with the new
    // refresh token.
    Mock::given(method("GET"))
        .and(path(private_reviews()))
        .and(header("authorization", format!("Bearer {ACCESS}")))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(private_reviews()))
        .and(header("authorization", "Bearer tp-Access-Second"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![review(
            "r1",
            5,
            "2024-07-24T09:00:00Z",
            None,
        )])))
        .mount(&server)
        .await;
    let got = records(&read_ok(&connector_with(private_settings(&server)), "reviews", None).await);
    assert_eq!(ids(&got), ["r1"]);
}
