//! Each stream on the documented payloads: the page's counters, comments with the page's
//! first reply (others' replies are no answer, hidden comments are deleted, the page's own
//! comments are left out), nested edges followed page by page, recommendations, the
//! production-host next links rebuilt on the mock, and Graph's error answers.

use crate::common::*;
use deskpulse_connector::{Connector as _, ConnectorError};
use deskpulse_connector_facebook_page::{FacebookPageSettings, POST_FIELDS, RATING_FIELDS};
use deskpulse_model::{InteractionKind, SocialMetric};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn mount(server: &MockServer, p: String, extra: &[(&str, &str)], body: serde_json::Value) {
    let mut m = Mock::given(method("GET"))
        .and(path(p))
        .and(query_param("access_token", TOKEN));
    for (k, v) in extra {
        m = m.and(query_param(*k, *v));
    }
    m.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_page_gives_followers_and_likes() {
    let server = MockServer::start().await;
    mount(
        &server,
        page_path(),
        &[("fields", "followers_count,fan_count")],
        fixture("constructed_page_fields.json"),
    )
    .await;
    let recs = records(&read_ok(&connector(&server), "page", None).await);
    let stats: Vec<_> = recs.iter().filter_map(|r| r.as_social_stat()).collect();
    assert_eq!(stats.len(), 2);
    assert_eq!(stats[0].metric, SocialMetric::Followers);
    assert_eq!(stats[0].value, 51377.0);
    assert_eq!(stats[1].metric, SocialMetric::Likes);
    assert_eq!(stats[1].value, 48210.0);
    for s in stats {
        assert_eq!(s.platform, "facebook_page");
        assert_eq!(s.account, PAGE);
        assert_eq!(s.observed_at, now(), "observed by the client's clock");
    }
}

#[tokio::test]
async fn a_new_pages_experience_page_has_no_likes() {
    let server = MockServer::start().await;
    let mut body = fixture("constructed_page_fields.json");
    body.as_object_mut().unwrap().remove("fan_count");
    mount(&server, page_path(), &[], body).await;
    let recs = records(&read_ok(&connector(&server), "page", None).await);
    let metrics: Vec<_> = recs
        .iter()
        .filter_map(|r| r.as_social_stat())
        .map(|s| s.metric)
        .collect();
    assert_eq!(metrics, [SocialMetric::Followers], "no made-up likes");
}

/// The posts fixture, then the page its production `paging.next` names (rebuilt on the
/// mock, our token instead of the one in the link), which ends the list.
async fn mount_posts(server: &MockServer) {
    mount(
        server,
        posts_path(),
        &[
            ("fields", POST_FIELDS),
            ("since", &since()),
            ("limit", "100"),
        ],
        fixture("constructed_page_posts.json"),
    )
    .await;
    mount(
        server,
        posts_path(),
        &[("after", "QVFIUlBPU1RTMg"), ("since", "1762300800")],
        json!({"data": [], "paging": {"cursors": {"before": "QVFIUlBPU1RTMg", "after": "QVFIUlBPU1RTMg"}}}),
    )
    .await;
}

#[tokio::test]
async fn comments_carry_the_pages_first_reply_only() {
    let server = MockServer::start().await;
    mount_posts(&server).await;
    let c = connector(&server);
    let batches = read_ok(&c, "comments", None).await;
    assert_eq!(batches.len(), 2, "two pages of posts");
    let got = interactions(&records(&batches));
    let ids: Vec<_> = got.iter().map(|i| i.external_id.as_str()).collect();
    // The page's own comment (…041) is no interaction.
    assert_eq!(
        ids,
        [
            "900000000000001_800000000000011",
            "900000000000001_800000000000021",
            "900000000000001_800000000000031"
        ]
    );
    let [answered, by_others, hidden] = &got[..] else {
        unreachable!()
    };
    assert_eq!(answered.kind, InteractionKind::Comment);
    assert_eq!(answered.platform, "facebook_page");
    assert_eq!(answered.account, PAGE);
    assert_eq!(answered.created_at, at("2026-11-10T11:00:00Z"));
    assert_eq!(answered.author_id.as_deref(), Some("7012345678900011"));
    assert_eq!(answered.positive, None);
    // Sam replied at 11:10 (not the page); the page at 11:30 and 12:00: the first counts.
    assert_eq!(answered.replied_at, Some(at("2026-11-10T11:30:00Z")));
    assert!(!answered.deleted);
    assert_eq!(
        by_others.replied_at, None,
        "a reply by another user is no answer"
    );
    assert!(hidden.deleted, "is_hidden → deleted");
    assert_eq!(hidden.replied_at, None);
    // The checkpoints: the next page without any token, then a finished pass.
    let cps: Vec<_> = batches
        .iter()
        .map(|b| b.checkpoint.value().clone())
        .collect();
    let next = cps[0]["next"].as_str().unwrap();
    assert!(next.starts_with(&posts_path()), "{next}");
    assert!(next.contains("after=QVFIUlBPU1RTMg"), "{next}");
    assert!(!next.contains("access_token"), "{next}");
    assert_eq!(cps[1], json!({}));
    // No comment text anywhere in what was read.
    let shown = format!("{:?}", records(&batches));
    for text in [
        "order #4411",
        "Norway",
        "Buy followers",
        "Winter sale",
        "ships today",
    ] {
        assert!(!shown.contains(text), "{text} kept");
    }
}

#[tokio::test]
async fn a_resumed_pass_goes_on_at_its_next_page() {
    let server = MockServer::start().await;
    mount_posts(&server).await;
    let c = connector(&server);
    let batches = read_ok(&c, "comments", None).await;
    let again = read_ok(&c, "comments", Some(batches[0].checkpoint.clone())).await;
    assert_eq!(again.len(), 1);
    assert!(records(&again).is_empty());
}

#[tokio::test]
async fn long_nested_edges_are_followed_to_their_end() {
    let server = MockServer::start().await;
    let prod = |after: &str| {
        format!(
            "https://graph.facebook.com/v21.0/900000000000009_800000000000091/comments?limit=1&after={after}"
        )
    };
    let posts = json!({"data": [{
        "id": "112233445566778_900000000000009",
        "created_time": "2026-11-12T08:00:00+0000",
        "comments": {
            "data": [{
                "id": "900000000000009_800000000000091",
                "from": {"id": "7012345678900091"},
                "created_time": "2026-11-12T09:00:00+0000",
                "is_hidden": false,
                "comments": {
                    "data": [{"from": {"id": "7012345678900092"}, "created_time": "2026-11-12T09:01:00+0000"}],
                    "paging": {"cursors": {"after": "R1"}, "next": prod("R1")}
                }
            }],
            "paging": {"cursors": {"after": "C1"}, "next": "https://graph.facebook.com/v21.0/112233445566778_900000000000009/comments?limit=1&after=C1"}
        }
    }]});
    mount(&server, posts_path(), &[("since", &since())], posts).await;
    // The reply edge's second page: the page's answer.
    mount(
        &server,
        "/v21.0/900000000000009_800000000000091/comments".into(),
        &[("after", "R1")],
        json!({"data": [{"from": {"id": PAGE}, "created_time": "2026-11-12T10:00:00+0000"}], "paging": {"cursors": {"after": "R2"}}}),
    )
    .await;
    // The post's comments, second page: another customer comment without replies.
    mount(
        &server,
        "/v21.0/112233445566778_900000000000009/comments".into(),
        &[("after", "C1")],
        json!({"data": [{"id": "900000000000009_800000000000095", "from": {"id": "7012345678900095"}, "created_time": "2026-11-12T11:00:00+0000", "is_hidden": false}], "paging": {"cursors": {"after": "C2"}}}),
    )
    .await;
    let got = interactions(&records(
        &read_ok(&connector(&server), "comments", None).await,
    ));
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].replied_at, Some(at("2026-11-12T10:00:00Z")));
    assert_eq!(got[1].external_id, "900000000000009_800000000000095");
    assert_eq!(got[1].replied_at, None);
}

#[tokio::test]
async fn recommendations_are_positive_or_negative_with_the_pages_reply() {
    let server = MockServer::start().await;
    mount(
        &server,
        ratings_path(),
        &[("fields", RATING_FIELDS), ("limit", "100")],
        fixture("constructed_page_ratings.json"),
    )
    .await;
    // The fixture's `paging.next` (graph.facebook.com, `after=QVFIUmFaZA2RkZAUtU`), rebuilt.
    mount(
        &server,
        ratings_path(),
        &[("after", "QVFIUmFaZA2RkZAUtU"), ("limit", "25")],
        json!({"data": [
            {"created_time": "2024-07-20T08:00:00+0000", "recommendation_type": "positive",
             "reviewer": {"id": "7012345678905555"},
             "open_graph_story": {"id": "7012345678905555_998877665544000",
                "comments": {"data": [{"from": {"id": "7012345678906666"}, "created_time": "2024-07-20T09:00:00+0000"}]}}},
            {"created_time": "2017-03-01T10:00:00+0000", "reviewer": {"id": "7012345678907777"}}
        ], "paging": {"cursors": {"before": "QVFIUmFaZA2RkZAUtU", "after": "QVFIUmFaZA2RkZBBB"}}}),
    )
    .await;
    let batches = read_ok(&connector(&server), "recommendations", None).await;
    let got = interactions(&records(&batches));
    assert_eq!(got.len(), 3);
    let neg = &got[0];
    assert_eq!(neg.kind, InteractionKind::Recommendation);
    // The story id is `{reviewer}_{object}`: only the object part is the key.
    assert_eq!(neg.external_id, "998877665544332");
    assert_eq!(neg.positive, Some(false));
    assert_eq!(neg.created_at, at("2024-07-23T19:02:11Z"));
    assert_eq!(neg.author_id.as_deref(), Some("7012345678901234"));
    assert_eq!(neg.replied_at, Some(at("2024-07-24T07:15:40Z")));
    assert!(!neg.deleted);
    let pos = &got[1];
    assert_eq!(pos.external_id, "998877665544000");
    assert_eq!(pos.positive, Some(true));
    assert_eq!(
        pos.replied_at, None,
        "a comment by someone else is no reply"
    );
    // A pre-2018 item: no story (an id from the reviewer and time), no type.
    let legacy = &got[2];
    assert_eq!(legacy.external_id, "rating:1488362400");
    assert_eq!(legacy.positive, None);
    assert!(!format!("{got:?}").contains("refund"), "no review text");
}

#[tokio::test]
async fn an_unknown_recommendation_type_is_an_error_naming_it() {
    let server = MockServer::start().await;
    mount(
        &server,
        ratings_path(),
        &[],
        json!({"data": [{"created_time": "2024-07-20T08:00:00+0000", "recommendation_type": "meh"}]}),
    )
    .await;
    let (_, err) = read(&connector(&server), "recommendations", None).await;
    let err = err.unwrap().to_string();
    assert!(
        err.contains("recommendation_type") && err.contains("meh"),
        "{err}"
    );
}

#[tokio::test]
async fn a_deprecated_recommendations_edge_says_how_to_turn_it_off() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ratings_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#12) This endpoint is deprecated for versions v22.0 and higher",
            "type": "OAuthException", "code": 12, "fbtrace_id": "AbCdEf"}})))
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "recommendations", None).await;
    assert!(batches.is_empty());
    let msg = err.unwrap().to_string();
    assert!(msg.contains("stream `recommendations`"), "{msg}");
    assert!(msg.contains("read_recommendations = false"), "{msg}");
    assert!(
        msg.contains("(#12)"),
        "Facebook's own words are kept: {msg}"
    );
}

#[tokio::test]
async fn recommendations_can_be_turned_off() {
    let server = MockServer::start().await;
    let c = connector_at(
        FacebookPageSettings {
            read_recommendations: false,
            ..settings(&server)
        },
        now(),
    );
    let batches = read_ok(&c, "recommendations", None).await;
    assert!(batches.is_empty());
    assert!(server.received_requests().await.unwrap().is_empty());
    assert!(c.streams().iter().any(|s| s.name == "recommendations"));
}

#[tokio::test]
async fn an_expired_token_is_unauthorized() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(page_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Error validating access token: Session has expired",
            "type": "OAuthException", "code": 190, "error_subcode": 463}})))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "page", None).await;
    assert!(
        matches!(err, Some(ConnectorError::Unauthorized { status: 400, .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn another_graph_error_stays_an_http_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(posts_path()))
        .and(query_param_is_missing("after"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#100) Unsupported get request", "type": "GraphMethodException", "code": 100}})))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "comments", None).await;
    let msg = err.unwrap().to_string();
    assert!(
        msg.contains("HTTP 400") && !msg.contains("read_recommendations"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_comment_without_from_is_a_customers_without_author() {
    let server = MockServer::start().await;
    let posts = json!({"data": [{
        "id": "112233445566778_900000000000008",
        "created_time": "2026-11-12T08:00:00+0000",
        "comments": {"data": [{
            "id": "900000000000008_800000000000081",
            "created_time": "2026-11-12T09:00:00+0000"
        }]}
    }]});
    mount(&server, posts_path(), &[("since", &since())], posts).await;
    let got = interactions(&records(
        &read_ok(&connector(&server), "comments", None).await,
    ));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].author_id, None);
    assert_eq!(got[0].replied_at, None);
    assert!(!got[0].deleted, "no `is_hidden`: not hidden");
}

#[tokio::test]
async fn a_missing_ratings_edge_also_says_how_to_turn_it_off() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ratings_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#100) Tried accessing nonexisting field (ratings) on node type (Page)",
            "type": "OAuthException", "code": 100}})))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "recommendations", None).await;
    let msg = err.unwrap().to_string();
    assert!(msg.contains("read_recommendations = false"), "{msg}");
}
