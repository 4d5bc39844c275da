//! Passes and the rescan window: a brand reply posted days later updates the stored
//! mention on the next sync; a pass resumes at its `pagination_token` with its own window; a
//! refused token restarts the pass; `start_date` and an old bookmark set where a pass starts.

use crate::common::*;
use deskpulse_connector::Checkpoint;
use deskpulse_connector_x::XSettings;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_late_brand_reply_updates_the_mention_on_the_next_sync() {
    let server = MockServer::start().await;
    let m1 = post("m1", C1, "2026-11-12T10:00:00.000Z", None);
    serve_window(&server, WINDOW, vec![m1.clone()], vec![]).await;
    let first = read_ok(&connector(&server), "mentions", None).await;
    assert_eq!(replies(&records(&first)), vec![("m1".to_owned(), None)]);
    let cp = first.last().unwrap().checkpoint.clone();
    assert_eq!(
        cp.value(),
        &json!({"newest": "2026-11-12T10:00:00Z", "seen": {"m1": "2026-11-12T10:00:00Z"}})
    );

    // Three days later the brand answers. The next pass starts at min(newest, now − 7 d)
    // = min(11-12 10:00, 11-09 12:00) = 11-09 12:00, so m1 is read again with the reply.
    server.reset().await;
    let later = at("2026-11-16T12:00:00Z");
    let window = "2026-11-09T12:00:00Z";
    serve_window(
        &server,
        window,
        vec![m1],
        vec![brand_post("b1", "2026-11-15T08:00:00.000Z", Some("m1"))],
    )
    .await;
    let c = connector_at(settings(&server), later);
    let second = read_ok(&c, "mentions", Some(cp)).await;
    let got = mentions(&records(&second));
    assert_eq!(got.len(), 1, "the whole record again");
    assert_eq!(got[0].replied_at, Some(at("2026-11-15T08:00:00Z")));
    assert_eq!(got[0].author_id.as_deref(), Some(C1));
    assert_eq!(
        second.last().unwrap().checkpoint.value(),
        &json!({"newest": "2026-11-12T10:00:00Z", "seen": {"m1": "2026-11-12T10:00:00Z"}}),
        "the bookmark never moves backwards"
    );
}

#[tokio::test]
async fn an_old_bookmark_starts_the_pass_at_the_bookmark() {
    // The newest mention read is older than the rescan window: the pass starts there, so
    // nothing since is skipped.
    let server = MockServer::start().await;
    let start = "2026-10-01T08:00:00Z";
    mount_mentions(&server, start, None, page(vec![], None)).await;
    let cp = Checkpoint::new(json!({"newest": start}));
    let batches = read_ok(&connector(&server), "mentions", Some(cp)).await;
    assert_eq!(
        batches.last().unwrap().checkpoint.value(),
        &json!({"newest": start})
    );
}

#[tokio::test]
async fn the_first_pass_starts_at_start_date() {
    let server = MockServer::start().await;
    mount_mentions(&server, "2026-11-01T00:00:00Z", None, page(vec![], None)).await;
    let s: XSettings = serde_json::from_value(json!({
        "user_id": BRAND, "bearer_token": TOKEN, "base_url": server.uri(),
        "start_date": "2026-11-01",
    }))
    .unwrap();
    read_ok(&connector_at(s, now()), "mentions", None).await;
}

#[tokio::test]
async fn a_pass_resumes_at_its_pagination_token_with_its_own_window() {
    let server = MockServer::start().await;
    let start = "2026-11-05T00:00:00Z";
    mount_mentions(
        &server,
        start,
        Some("tok-2"),
        page(vec![post("m1", C1, "2026-11-06T10:00:00.000Z", None)], None),
    )
    .await;
    mount_tweets(
        &server,
        start,
        None,
        page(
            vec![brand_post("b1", "2026-11-06T10:05:00.000Z", Some("m1"))],
            None,
        ),
    )
    .await;
    let cp = Checkpoint::new(json!({
        "start_time": start, "pagination_token": "tok-2", "newest": "2026-11-12T09:00:00Z",
    }));
    let batches = read_ok(&connector(&server), "mentions", Some(cp)).await;
    assert_eq!(
        replies(&records(&batches)),
        vec![("m1".to_owned(), Some(at("2026-11-06T10:05:00Z")))]
    );
    assert_eq!(
        batches.last().unwrap().checkpoint.value(),
        &json!({"newest": "2026-11-12T09:00:00Z", "seen": {"m1": "2026-11-06T10:00:00Z"}})
    );
}

#[tokio::test]
async fn a_refused_stored_token_restarts_the_pass() {
    let server = MockServer::start().await;
    let start = "2026-11-05T00:00:00Z";
    Mock::given(method("GET"))
        .and(path(mentions_path()))
        .and(query_param("pagination_token", "expired"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errors": [{"parameters": {"pagination_token": ["expired"]}, "message": "The `pagination_token` query parameter value [expired] is not valid"}],
            "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request"
        })))
        .mount(&server)
        .await;
    mount_mentions(&server, start, None, page(vec![], None)).await;
    let cp = Checkpoint::new(json!({
        "start_time": start, "pagination_token": "expired", "newest": null,
    }));
    let batches = read_ok(&connector(&server), "mentions", Some(cp)).await;
    assert!(records(&batches).is_empty());
}

#[tokio::test]
async fn a_mention_no_longer_listed_inside_the_window_is_deleted() {
    let server = MockServer::start().await;
    // The last pass read m1 and m2 (both inside the window that starts at 11-06 12:00); X
    // now lists only m2: m1 was deleted. m0 is older than the window: not judged.
    serve_window(
        &server,
        WINDOW,
        vec![post("m2", C2, "2026-11-12T10:00:00.000Z", None)],
        vec![],
    )
    .await;
    let cp = Checkpoint::new(json!({
        "newest": "2026-11-12T10:00:00Z",
        "seen": {"m0": "2026-11-01T10:00:00Z", "m1": "2026-11-11T10:00:00Z", "m2": "2026-11-12T10:00:00Z"},
    }));
    let batches = read_ok(&connector(&server), "mentions", Some(cp)).await;
    let got = mentions(&records(&batches));
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].external_id, "m2");
    assert!(!got[0].deleted);
    assert_eq!(got[1].external_id, "m1");
    assert!(got[1].deleted);
    assert_eq!(got[1].created_at, at("2026-11-11T10:00:00Z"));
    assert_eq!(got[1].author_id, None, "the checkpoint keeps no author");
    assert_eq!(
        batches.last().unwrap().checkpoint.value(),
        &json!({"newest": "2026-11-12T10:00:00Z", "seen": {"m2": "2026-11-12T10:00:00Z"}})
    );
}

#[tokio::test]
async fn past_xs_800_mention_horizon_an_older_missing_mention_is_not_judged() {
    let server = MockServer::start().await;
    // A resumed pass that was given 800 posts already: X may list no more, so m1 (older than
    // the oldest mention read) may only have fallen off the horizon.
    mount_mentions(&server, WINDOW, Some("tok-9"), page(vec![], None)).await;
    let cp = Checkpoint::new(json!({
        "start_time": WINDOW, "pagination_token": "tok-9", "newest": "2026-11-12T10:00:00Z",
        "seen": {"m1": "2026-11-07T10:00:00Z", "m3": "2026-11-11T10:00:00Z"},
        "read": {"m2": "2026-11-10T10:00:00Z"}, "count": 800,
    }));
    let batches = read_ok(&connector(&server), "mentions", Some(cp)).await;
    let got = mentions(&records(&batches));
    // m3 is newer than the oldest read (m2): deleted; m1 is not judged.
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].external_id, "m3");
    assert!(got[0].deleted);
}
