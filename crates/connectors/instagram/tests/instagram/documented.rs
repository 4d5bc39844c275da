//! The documented and recorded payloads, field by field: the account in both layouts, the
//! recorded media page, and the documented comments page with a reply that names the account
//! only by `username`.

use crate::common::*;
use deskpulse_connector::prelude::{InteractionKind, SocialMetric};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_documented_account_gives_followers_now() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(account_path()))
        .and(query_param("access_token", TOKEN))
        .and(query_param(
            "fields",
            "followers_count,follows_count,media_count,username",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("constructed_ig_user.json")))
        .expect(1)
        .mount(&server)
        .await;
    let recs = records(&read_ok(&connector(&server), "account", None).await);
    assert_eq!(recs.len(), 1, "{recs:?}");
    let s = recs[0].as_social_stat().expect("a social stat");
    assert_eq!(s.platform, "instagram");
    assert_eq!(s.account, IG);
    assert_eq!(s.metric, SocialMetric::Followers);
    // followers_count; follows_count (312) and media_count (1480) map to nothing.
    assert_eq!(s.value, 84213.0);
    assert_eq!(s.observed_at, now());
}

#[tokio::test]
async fn the_recorded_account_inside_data_is_read_too() {
    let server = MockServer::start().await;
    mount(&server, &account_path(), None, fixture("users.json")).await;
    let recs = records(&read_ok(&connector(&server), "account", None).await);
    let s = recs[0].as_social_stat().unwrap();
    assert_eq!(s.value, 1230.0);
}

#[tokio::test]
async fn an_account_without_followers_count_is_an_error_naming_it() {
    let server = MockServer::start().await;
    mount(
        &server,
        &account_path(),
        None,
        json!({"id": IG, "username": USERNAME}),
    )
    .await;
    let (_, err) = read(&connector(&server), "account", None).await;
    let err = err.expect("no followers is an error").to_string();
    assert!(err.contains("followers_count"), "{err}");
}

#[tokio::test]
async fn the_recorded_media_page_without_comments_asks_for_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(media_path()))
        .and(query_param(
            "fields",
            "id,timestamp,comments_count,username",
        ))
        .and(query_param("limit", "2"))
        .and(query_param("access_token", TOKEN))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("media_for_general_media.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    // `comments_count` 0: no comments request (none is mounted: it would fail the read), and
    // no `paging.next`: the end.
    let batches = read_ok(&connector(&server), "comments", None).await;
    assert_eq!(batches.len(), 1);
    assert!(records(&batches).is_empty());
    assert_eq!(batches[0].checkpoint.value(), &json!({}));
}

/// The documented comments page on a medium of the account: the customer's comment, the
/// account's reply carrying only `username`, and a `paging.next` on graph.facebook.com whose
/// `after` is asked for on the mock server.
#[tokio::test]
async fn the_documented_comments_page_maps_every_field() {
    let server = MockServer::start().await;
    let media = "17895695668004550";
    serve_media(&server, vec![medium(media, "2024-07-23T10:00:00+0000", 2)]).await;
    Mock::given(method("GET"))
        .and(path(comments_path(media)))
        .and(query_param(
            "fields",
            "id,timestamp,username,from{id,username},user,hidden,replies{id,timestamp,username,from{id,username},user}",
        ))
        .and(query_param("access_token", TOKEN))
        .and(wiremock::matchers::query_param_is_missing("after"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("constructed_media_comments.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount(
        &server,
        &comments_path(media),
        Some("QVFIUnlJ"),
        json!({"data": [], "paging": {"cursors": {"before": "QVFIUnlJ", "after": "QVFIUnlJ"}}}),
    )
    .await;
    let recs = records(&read_ok(&connector(&server), "comments", None).await);
    let got = interactions(&recs);
    assert_eq!(got.len(), 1, "{got:?}");
    let i = &got[0];
    assert_eq!(i.platform, "instagram");
    assert_eq!(i.account, IG);
    assert_eq!(i.external_id, "17858893269000001");
    assert_eq!(i.kind, InteractionKind::Comment);
    assert_eq!(i.created_at, t("2024-07-23T12:01:44Z"));
    assert_eq!(i.author_id.as_deref(), Some("17841401111111111"));
    assert_eq!(i.positive, None);
    // The reply by `exampleoutdoor` (the username of the account's media).
    assert_eq!(i.replied_at, Some(t("2024-07-23T13:20:05Z")));
    assert!(!i.deleted);
    // No text anywhere in what is emitted.
    let shown = format!("{recs:?}");
    assert!(
        !shown.contains("waiting") && !shown.contains("sorry"),
        "{shown}"
    );
}
