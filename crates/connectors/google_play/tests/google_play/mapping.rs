//! The `reviews` stream on documented payloads: every mapped field, both layouts of a
//! timestamp, replies and their absence, the rating snapshot, paging, the empty window, and
//! what is refused.

use crate::common::*;
use deskpulse_connector::prelude::*;
use deskpulse_connector::testkit::{
    assert_malformed, assert_resumes_exactly_mid_pass, checkpoints, read, read_ok, records,
};
use deskpulse_connector_google_play::ReviewsCheckpoint;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Google's own example (the reply-to-reviews guide): the last page of the pass.
fn guide_example_page() -> serde_json::Value {
    json!({"reviews": [{
        "reviewId": "12345678",
        "authorName": "Jane Bloggs",
        "comments": [{"userComment": {
            "text": "This is the best app ever!",
            "lastModified": {"seconds": "1443676826", "nanos": 713000000},
            "starRating": 5
        }}]
    }]})
}

fn reviews_of(batches: &[Batch]) -> Vec<Review> {
    records(batches)
        .iter()
        .filter_map(Record::as_review)
        .cloned()
        .collect()
}

#[tokio::test]
async fn maps_the_documented_reviews_with_their_reply_and_snapshot() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_page(&server, None, fixture("constructed_reviews_list.json")).await;
    mount_page(&server, Some("AKEA5Rs3example"), guide_example_page()).await;
    let c = connector(&server);
    let batches = read_ok(&c, "reviews", None).await;

    assert_eq!(batches.len(), 2);
    // The snapshot comes once, with the pass's first page.
    let snaps: Vec<RatingSnapshot> = records(&batches)
        .iter()
        .filter_map(Record::as_rating_snapshot)
        .cloned()
        .collect();
    assert_eq!(
        snaps,
        vec![RatingSnapshot {
            platform: "google_play".into(),
            account: PACKAGE.into(),
            overall_rating: None,
            total_reviews: None,
            coverage: ReviewCoverage::RecentWindow,
            observed_at: now(),
        }]
    );
    assert!(batches[0].records[0].as_rating_snapshot().is_some());
    assert!(batches[1].records.iter().all(|r| r.as_review().is_some()));

    let reviews = reviews_of(&batches);
    assert_eq!(
        reviews[0],
        Review {
            platform: "google_play".into(),
            external_id: "gp:AOqpTOH1example_review_id_0001".into(),
            rating: 2.0,
            title: None,
            // As given: the tab before it separates an (empty) title from the body.
            text: Some("\tApp logs me out every time I open it".into()),
            author_name: None,
            // userComment.lastModified: 1721725200 s + 412 000 000 ns.
            created_at: at("2024-07-23T09:00:00.412Z"),
            reply_text: Some(
                "Hi Kate, 5.4.2 (rolling out now) fixes the logout bug. Sorry!".into()
            ),
            // developerComment.lastModified: 1721790000 s.
            replied_at: Some(at("2024-07-24T03:00:00Z")),
            url: None,
        }
    );
    // Google's guide example: no reply.
    assert_eq!(
        reviews[1],
        Review {
            platform: "google_play".into(),
            external_id: "12345678".into(),
            rating: 5.0,
            title: None,
            text: Some("This is the best app ever!".into()),
            author_name: None,
            created_at: at("2015-10-01T05:20:26.713Z"),
            reply_text: None,
            replied_at: None,
            url: None,
        }
    );
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"token": "AKEA5Rs3example"}), json!({})]
    );
    let typed: ReviewsCheckpoint =
        serde_json::from_value(checkpoints(&batches)[0].clone()).unwrap();
    assert_eq!(typed.token.as_deref(), Some("AKEA5Rs3example"));
    // maxResults is the page size (default 100); no translation unless asked.
    let first = &server.received_requests().await.unwrap()[1];
    let q: Vec<(String, String)> = first.url.query_pairs().into_owned().collect();
    assert_eq!(q, vec![("maxResults".to_owned(), "100".to_owned())]);
    assert_resumes_exactly_mid_pass(&c, "reviews", &batches).await;
}

#[tokio::test]
async fn both_timestamp_layouts_and_missing_optional_fields_are_read() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let body = json!({"reviews": [
        // `seconds` as a JSON number, `nanos` left out (proto3 omits a zero), no text.
        {"reviewId": "r-num", "comments": [
            {"userComment": {"lastModified": {"seconds": 1763200000}, "starRating": 4}}
        ]},
        // A reply without a time: answered, with no reply time.
        {"reviewId": "r-reply", "comments": [
            {"userComment": {"text": "ok", "lastModified": {"seconds": "1763200000", "nanos": 5}, "starRating": 3}},
            {"developerComment": {"text": "thanks"}}
        ]},
        // Both union members in one comment object (the docs allow one; read both).
        {"reviewId": "r-both", "comments": [
            {"userComment": {"text": "meh", "lastModified": {"seconds": "1763200000"}, "starRating": 1},
             "developerComment": {"text": "sorry", "lastModified": {"seconds": "1763203600"}}}
        ]}
    ]});
    mount_page(&server, None, body).await;
    let reviews = reviews_of(&read_ok(&connector(&server), "reviews", None).await);
    let t = at("2025-11-15T09:46:40Z"); // 1763200000
    assert_eq!(reviews.len(), 3);
    assert_eq!(
        (reviews[0].rating, reviews[0].created_at, &reviews[0].text),
        (4.0, t, &None)
    );
    assert_eq!(
        (&reviews[0].reply_text, reviews[0].replied_at),
        (&None, None)
    );
    assert_eq!(reviews[1].created_at, t + chrono::Duration::nanoseconds(5));
    assert_eq!(
        (reviews[1].reply_text.as_deref(), reviews[1].replied_at),
        (Some("thanks"), None)
    );
    assert_eq!(
        (reviews[2].reply_text.as_deref(), reviews[2].replied_at),
        (Some("sorry"), Some(t + chrono::Duration::hours(1)))
    );
}

#[tokio::test]
async fn review_text_is_stored_exactly_as_given() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let text = "Title\t  <script>alert(1)</script> &amp; <!channel> \u{202e}évité 🙂  \n";
    serve_reviews(
        &server,
        vec![review(
            "r1",
            1,
            text,
            "2026-11-10T10:00:00Z",
            Some((" <b>hi</b> ", "2026-11-10T11:00:00Z")),
        )],
    )
    .await;
    let reviews = reviews_of(&read_ok(&connector(&server), "reviews", None).await);
    assert_eq!(reviews[0].text.as_deref(), Some(text));
    assert_eq!(reviews[0].reply_text.as_deref(), Some(" <b>hi</b> "));
}

#[tokio::test]
async fn an_empty_window_is_an_empty_object() {
    // googleapis/google-api-nodejs-client#589: an app without recent reviews is answered `{}`.
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_page(&server, None, json!({})).await;
    let batches = read_ok(&connector(&server), "reviews", None).await;
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].records.len(), 1, "only the snapshot");
    assert!(batches[0].records[0].as_rating_snapshot().is_some());
    assert_eq!(checkpoints(&batches), vec![json!({})]);
}

#[tokio::test]
async fn a_page_without_reviews_that_is_not_an_empty_window_is_malformed() {
    for (first, second) in [
        // A next page without `reviews`.
        (
            page(
                vec![review("r1", 5, "a", "2026-11-10T10:00:00Z", None)],
                Some("t2"),
            ),
            Some(json!({})),
        ),
        // A first page that points further but lists nothing.
        (json!({"tokenPagination": {"nextPageToken": "t2"}}), None),
        // A first page counting reviews it does not list.
        (json!({"pageInfo": {"totalResults": 3}}), None),
        // Something else altogether.
        (json!({"error_description": "x"}), None),
    ] {
        let server = MockServer::start().await;
        mount_token(&server).await;
        mount_page(&server, None, first.clone()).await;
        if let Some(s) = second {
            mount_page(&server, Some("t2"), s).await;
        }
        let (_, err) = read(&connector(&server), "reviews", None).await;
        assert_malformed(&err, REVIEWS, "no `reviews`");
    }
}

#[tokio::test]
async fn a_review_without_a_valid_rating_is_malformed_naming_it() {
    for stars in [json!(0), json!(6), json!(4.5), json!(null), json!("five")] {
        let server = MockServer::start().await;
        mount_token(&server).await;
        let mut r = review("gp:bad-rating", 3, "x", "2026-11-10T10:00:00Z", None);
        r["comments"][0]["userComment"]["starRating"] = stars.clone();
        serve_reviews(&server, vec![r]).await;
        let (batches, err) = read(&connector(&server), "reviews", None).await;
        assert!(batches.is_empty(), "{stars}");
        assert_malformed(
            &err,
            REVIEWS,
            "review gp:bad-rating has no `starRating` of 1 to 5",
        );
    }
    // A rating written as text (proto3 JSON parsers accept it) is read.
    let server = MockServer::start().await;
    mount_token(&server).await;
    let mut r = review("gp:text-rating", 3, "x", "2026-11-10T10:00:00Z", None);
    r["comments"][0]["userComment"]["starRating"] = json!("4");
    serve_reviews(&server, vec![r]).await;
    assert_eq!(
        reviews_of(&read_ok(&connector(&server), "reviews", None).await)[0].rating,
        4.0
    );
}

#[tokio::test]
async fn a_review_without_id_user_comment_or_time_is_malformed() {
    let cases = [
        (json!({"comments": []}), "a review without `reviewId`"),
        (
            json!({"reviewId": "gp:x", "comments": [{"developerComment": {"text": "hi"}}]}),
            "review gp:x has no `userComment`",
        ),
        (
            json!({"reviewId": "gp:x", "comments": [{"userComment": {"starRating": 5}}]}),
            "review gp:x's `userComment` has no `lastModified`",
        ),
        (
            json!({"reviewId": "gp:x", "comments": [{"userComment": {"starRating": 5, "lastModified": {"seconds": "soon"}}}]}),
            "review gp:x's `userComment.lastModified` has `seconds` that are not a whole number",
        ),
        (
            json!({"reviewId": "gp:x", "comments": [
                {"userComment": {"starRating": 5, "lastModified": {"seconds": "1"}}},
                {"developerComment": {"text": "a", "lastModified": {"seconds": "1", "nanos": 2000000000u64}}}
            ]}),
            "review gp:x's `developerComment.lastModified` has `nanos` outside 0..1e9",
        ),
    ];
    for (r, detail) in cases {
        let server = MockServer::start().await;
        mount_token(&server).await;
        serve_reviews(&server, vec![r]).await;
        let (_, err) = read(&connector(&server), "reviews", None).await;
        assert_malformed(&err, REVIEWS, detail);
    }
}

#[tokio::test]
async fn page_size_and_translation_language_are_sent() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(query_param("maxResults", "20"))
        .and(query_param("translationLanguage", "de"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let mut s = settings(&server.uri());
    s.page_size = Some(20);
    s.translation_language = Some("de".into());
    read_ok(&build(s), "reviews", None).await;
}

#[tokio::test]
async fn a_refused_stored_page_token_restarts_the_window() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(query_param("token", "expired"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": {"code": 400, "message": "Invalid pagination token", "status": "INVALID_ARGUMENT"}}),
        ))
        .mount(&server)
        .await;
    serve_reviews(
        &server,
        vec![review("r1", 5, "a", "2026-11-10T10:00:00Z", None)],
    )
    .await;
    let from = Checkpoint::of(&ReviewsCheckpoint {
        token: Some("expired".into()),
    });
    let batches = read_ok(&connector(&server), "reviews", Some(from)).await;
    assert_eq!(reviews_of(&batches).len(), 1);
    // A restarted pass is a first page: the snapshot comes with it.
    assert!(batches[0].records[0].as_rating_snapshot().is_some());
}

#[tokio::test]
async fn a_resumed_pass_reads_on_from_its_token_without_a_snapshot() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_page(
        &server,
        Some("p2"),
        page(
            vec![review("r2", 4, "b", "2026-11-10T10:00:00Z", None)],
            None,
        ),
    )
    .await;
    let from = Checkpoint::of(&ReviewsCheckpoint {
        token: Some("p2".into()),
    });
    let batches = read_ok(&connector(&server), "reviews", Some(from)).await;
    let keys: Vec<String> = records(&batches).iter().map(Record::key).collect();
    assert_eq!(keys, vec!["review:google_play/r2".to_owned()]);
}

#[tokio::test]
async fn base_url_with_a_path_prefix_is_honoured_for_every_page() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let prefixed = format!("/proxy{REVIEWS}");
    Mock::given(method("GET"))
        .and(path(prefixed.as_str()))
        .and(wiremock::matchers::query_param_is_missing("token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            vec![review("r1", 5, "a", "2026-11-10T10:00:00Z", None)],
            Some("p2"),
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(prefixed.as_str()))
        .and(query_param("token", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            vec![review("r2", 4, "b", "2026-11-09T10:00:00Z", None)],
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let mut s = settings(&server.uri());
    s.base_url = Some(format!("{}/proxy/", server.uri()));
    let batches = read_ok(&build(s), "reviews", None).await;
    assert_eq!(reviews_of(&batches).len(), 2);
}
