//! The access token (a query parameter) in no error and no log line, even when Graph quotes
//! the request back, and never in a checkpoint.

use crate::common::*;
use deskpulse_connector::testkit::captured_logs;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_graph_error_quoting_the_token_shows_no_token() {
    let logs = captured_logs();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(media_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {
                "message": format!("Invalid OAuth access token - Cannot parse access token {TOKEN}"),
                "type": "OAuthException", "code": 190,
                "fbtrace_id": "AbC",
            },
        })))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "comments", None).await;
    let err = err.expect("a 400 ends the read");
    let shown = format!("{err} {err:?} {}", logs.text().unwrap());
    assert!(!shown.contains(TOKEN), "the token is shown: {shown}");
}

#[tokio::test]
async fn checkpoints_hold_no_token() {
    let server = MockServer::start().await;
    mount(
        &server,
        &media_path(),
        None,
        list(
            vec![medium("m1", "2026-11-12T10:00:00+0000", 0)],
            Some("NEXT"),
        ),
    )
    .await;
    mount(
        &server,
        &media_path(),
        Some("NEXT"),
        list(vec![medium("m0", "2026-11-12T09:00:00+0000", 0)], None),
    )
    .await;
    let batches = read_ok(&connector(&server), "comments", None).await;
    for b in &batches {
        let cp = b.checkpoint.value().to_string();
        assert!(!cp.contains(TOKEN) && !cp.contains("VENDOR-TOKEN"), "{cp}");
    }
    // Every request carried the token as the `access_token` parameter.
    for r in server.received_requests().await.unwrap() {
        assert!(
            r.url
                .query_pairs()
                .any(|(k, v)| k == "access_token" && v == TOKEN),
            "{}",
            r.url.path()
        );
    }
}
