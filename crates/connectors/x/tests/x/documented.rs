//! The documented pages, field by field: the followers snapshot, an unknown account, the
//! mentions joined with the brand's replies (brand vs third-party replies, the brand's own
//! posts and retweets left out, edits, the earliest reply), paging on `next_token`, an empty
//! page, and tweepy's recorded pages without the requested fields.

use crate::common::*;
use deskpulse_connector::{ConnectorError, Record};
use deskpulse_model::{InteractionKind, SocialMetric};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_user_gives_one_followers_snapshot_from_public_metrics() {
    let server = MockServer::start().await;
    mount_user(&server, fixture("constructed_user_public_metrics.json")).await;
    let batches = read_ok(&connector(&server), "user", None).await;
    let recs = records(&batches);
    assert_eq!(
        recs.len(),
        1,
        "followers only: the other counters are not our metrics"
    );
    let Record::SocialStat(s) = &recs[0] else {
        panic!("{recs:?}")
    };
    assert_eq!(s.platform, "x");
    assert_eq!(s.account, BRAND);
    assert_eq!(s.metric, SocialMetric::Followers);
    // `followers_count`, not `like_count` (4210: posts the account liked).
    assert_eq!(s.value, 23410.0);
    assert_eq!(s.observed_at, now());
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"observed_at": "2026-11-13T12:00:00Z"})]
    );
}

#[tokio::test]
async fn an_account_x_does_not_know_is_an_error_naming_user_id() {
    let server = MockServer::start().await;
    mount_user(&server, fixture("constructed_user_not_found.json")).await;
    let (batches, err) = read(&connector(&server), "user", None).await;
    assert!(batches.is_empty());
    let err = err.expect("no user, no snapshot");
    assert!(matches!(err, ConnectorError::Malformed { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("`user_id`"), "{text}");
    assert!(text.contains("Could not find user"), "{text}");
}

/// The documented mentions page (then an empty one) and the brand's posts page.
async fn mount_documented(server: &MockServer) {
    let token = "7140dibdnow9c7btw452z5ykgkkamyrlpm3wtkbatuqo6";
    mount_mentions(
        server,
        WINDOW,
        None,
        fixture("constructed_mentions_page.json"),
    )
    .await;
    mount_mentions(
        server,
        WINDOW,
        Some(token),
        fixture("constructed_empty_page.json"),
    )
    .await;
    mount_tweets(
        server,
        WINDOW,
        None,
        fixture("constructed_user_tweets_page.json"),
    )
    .await;
}

#[tokio::test]
async fn documented_mentions_map_every_field_with_the_brands_first_reply() {
    let server = MockServer::start().await;
    mount_documented(&server).await;
    let batches = read_ok(&connector(&server), "mentions", None).await;
    assert_eq!(batches.len(), 2, "two mention pages: next_token, then none");
    let got = mentions(&records(&batches));
    // 305: no reply. 304 (an edit of 301): kept under 301, answered by the brand's 403.
    // 303: the brand's own post, left out. 302: answered by 303 (the brand's 401 only quotes
    // it). 300: a retweet, left out.
    let ids: Vec<&str> = got.iter().map(|m| m.external_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "1856000000000000305",
            "1856000000000000301",
            "1856000000000000302"
        ]
    );
    for m in &got {
        assert_eq!(m.platform, "x");
        assert_eq!(m.account, BRAND);
        assert_eq!(m.kind, InteractionKind::Mention);
        assert_eq!(m.positive, None);
        assert!(!m.deleted);
    }
    assert_eq!(got[0].created_at, at("2026-11-12T09:01:12Z"));
    assert_eq!(got[0].author_id.as_deref(), Some("2900000000000000011"));
    assert_eq!(got[0].replied_at, None);
    assert_eq!(got[1].created_at, at("2026-11-11T14:10:00Z"));
    assert_eq!(got[1].author_id.as_deref(), Some("2900000000000000012"));
    assert_eq!(got[1].replied_at, Some(at("2026-11-11T15:40:00Z")));
    assert_eq!(got[2].created_at, at("2026-11-10T08:30:00Z"));
    assert_eq!(got[2].author_id.as_deref(), Some("2900000000000000013"));
    assert_eq!(got[2].replied_at, Some(at("2026-11-11T10:00:00Z")));
    // Mid-pass: the window, the next token, the newest post seen, the mentions read (id and
    // time: no author, no text) and the posts given; after: the newest and the pass's
    // mentions, against which the next pass finds deleted ones.
    let ids = json!({"1856000000000000301": "2026-11-11T14:10:00Z",
        "1856000000000000302": "2026-11-10T08:30:00Z", "1856000000000000305": "2026-11-12T09:01:12Z"});
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"start_time": "2026-11-06T12:00:00Z", "pagination_token": "7140dibdnow9c7btw452z5ykgkkamyrlpm3wtkbatuqo6",
                "newest": "2026-11-12T09:01:12Z", "read": ids, "count": 5}),
            json!({"newest": "2026-11-12T09:01:12Z", "seen": ids}),
        ]
    );
    // The brand's posts were read once for the pass, not once per page.
    let tweets_reads = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == tweets_path())
        .count();
    assert_eq!(tweets_reads, 1);
}

#[tokio::test]
async fn a_reply_by_someone_other_than_the_brand_is_not_an_answer() {
    let server = MockServer::start().await;
    // m1 is answered only by another customer (c2), whose reply mentions the brand too; the
    // brand's timeline holds no reply to m1.
    serve_window(
        &server,
        WINDOW,
        vec![
            post("m2", C2, "2026-11-12T11:00:00.000Z", Some("m1")),
            post("m1", C1, "2026-11-12T10:00:00.000Z", None),
        ],
        vec![brand_post("b1", "2026-11-12T10:30:00.000Z", None)],
    )
    .await;
    let batches = read_ok(&connector(&server), "mentions", None).await;
    assert_eq!(
        replies(&records(&batches)),
        vec![("m2".to_owned(), None), ("m1".to_owned(), None)]
    );
}

#[tokio::test]
async fn the_earliest_brand_reply_counts_across_pages_of_the_brands_posts() {
    let server = MockServer::start().await;
    serve_mentions(
        &server,
        vec![post("m1", C1, "2026-11-10T10:00:00.000Z", None)],
    )
    .await;
    // Newest first: a second reply on page 1, the first one on page 2.
    mount_tweets(
        &server,
        WINDOW,
        None,
        page(
            vec![brand_post("b2", "2026-11-11T09:00:00.000Z", Some("m1"))],
            Some("tok-b"),
        ),
    )
    .await;
    mount_tweets(
        &server,
        WINDOW,
        Some("tok-b"),
        page(
            vec![brand_post("b1", "2026-11-10T10:20:00.000Z", Some("m1"))],
            None,
        ),
    )
    .await;
    let batches = read_ok(&connector(&server), "mentions", None).await;
    assert_eq!(
        replies(&records(&batches)),
        vec![("m1".to_owned(), Some(at("2026-11-10T10:20:00Z")))]
    );
}

#[tokio::test]
async fn an_empty_window_reads_no_brand_posts() {
    let server = MockServer::start().await;
    mount_mentions(
        &server,
        WINDOW,
        None,
        fixture("constructed_empty_page.json"),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(tweets_path()))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let batches = read_ok(&connector(&server), "mentions", None).await;
    assert!(records(&batches).is_empty());
    assert_eq!(checkpoints(&batches), vec![json!({"newest": null})]);
}

#[tokio::test]
async fn recorded_pages_without_the_requested_fields_are_errors() {
    let server = MockServer::start().await;
    // tweepy's recording: default fields only (no `author_id`, no `created_at`).
    mount_mentions(&server, WINDOW, None, fixture("tweepy_users_mentions.json")).await;
    let (batches, err) = read(&connector(&server), "mentions", None).await;
    assert!(batches.is_empty());
    let err = err.expect("a mention without a time is an error");
    assert!(matches!(err, ConnectorError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("`created_at`"), "{err}");

    // The brand's recorded posts, the same.
    let server = MockServer::start().await;
    serve_mentions(
        &server,
        vec![post("m1", C1, "2026-11-10T10:00:00.000Z", None)],
    )
    .await;
    mount_tweets(&server, WINDOW, None, fixture("tweepy_users_tweets.json")).await;
    let (_, err) = read(&connector(&server), "mentions", None).await;
    let err = err.expect("a brand post without a time is an error");
    assert!(err.to_string().contains("`created_at`"), "{err}");
    assert!(err.to_string().contains("/tweets"), "{err}");
}

#[tokio::test]
async fn a_page_claiming_results_without_data_is_malformed() {
    let server = MockServer::start().await;
    mount_mentions(
        &server,
        WINDOW,
        None,
        json!({"meta": {"result_count": 3, "next_token": "x"}}),
    )
    .await;
    let (_, err) = read(&connector(&server), "mentions", None).await;
    let err = err.expect("an error");
    assert!(err.to_string().contains("no `data`"), "{err}");
}

#[tokio::test]
async fn a_mention_dated_in_the_future_is_an_error_not_a_bookmark() {
    let server = MockServer::start().await;
    serve_mentions(
        &server,
        vec![post("m1", C1, "2027-01-01T00:00:00.000Z", None)],
    )
    .await;
    let (batches, err) = read(&connector(&server), "mentions", None).await;
    assert!(batches.is_empty());
    assert!(err.is_some());
}
