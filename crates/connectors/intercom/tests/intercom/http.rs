//! The auth header, the base URL, 429s, 401s and what reaches the logs.

use crate::common::*;
use deskpulse_connector::ConnectorError;
use deskpulse_connector_intercom::IntercomSettings;
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn one_conversation() -> Vec<serde_json::Value> {
    vec![
        with_parts(
            conversation("1", 1000, 2000, "open"),
            vec![part("11", "comment", 1100, "admin", "991267466")],
        ),
        conversation("2", 1000, 2001, "open"),
        conversation("3", 1000, 2002, "open"),
    ]
}

#[tokio::test]
async fn bearer_token_on_every_request() {
    let server = MockServer::start().await;
    // Requests without the exact header find no mock (404) and fail the sync.
    let auth = format!("Bearer {TOKEN}");
    let fake = Fake::new(one_conversation());
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .and(header("authorization", auth.as_str()))
        .respond_with(fake.clone())
        .expect(2)
        .mount(&server)
        .await;
    let f = fake.clone();
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex("^/conversations/[^/]+$"))
        .and(header("authorization", auth.as_str()))
        .respond_with(move |req: &wiremock::Request| f.get(req))
        .expect(3)
        .mount(&server)
        .await;
    let batches = read_ok(&connector(&server), "conversations", None).await;
    assert_eq!(ticket_ids(&records(&batches)), ["1", "2", "3"]);
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/proxy/intercom{SEARCH}")))
        .respond_with(Fake::new(vec![]))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector_with(IntercomSettings {
        base_url: Some(format!("{}/proxy/intercom/", server.uri())),
        ..settings(&server)
    });
    assert_eq!(
        c.base_url().as_str(),
        format!("{}/proxy/intercom/", server.uri())
    );
    assert_eq!(read_ok(&c, "conversations", None).await.len(), 1);
}

#[tokio::test]
async fn waits_out_429_until_x_ratelimit_reset() {
    let server = MockServer::start().await;
    let reset = chrono::Utc::now().timestamp() + 2;
    // Intercom's 429: no Retry-After, the window's end in X-RateLimit-Reset (unix seconds).
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Limit", "167")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.to_string().as_str())
                .set_body_json(json!({
                    "type": "error.list",
                    "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 167 in 10_seconds"}]
                })),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Fake::new(one_conversation()).mount(&server).await;
    let started = Instant::now();
    let batches = read_ok(&connector(&server), "conversations", None).await;
    assert_eq!(ticket_ids(&records(&batches)), ["1", "2", "3"]);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the 429 was not waited out ({:?})",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_on_a_conversation_is_waited_out_too() {
    let server = MockServer::start().await;
    let reset = chrono::Utc::now().timestamp() + 2;
    Mock::given(method("GET"))
        .and(path("/conversations/2"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Reset", reset.to_string().as_str()),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Fake::new(one_conversation()).mount(&server).await;
    let started = Instant::now();
    let batches = read_ok(&connector(&server), "conversations", None).await;
    assert_eq!(ticket_ids(&records(&batches)), ["1", "2", "3"]);
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn unauthorized_is_immediate_and_clear() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "type": "error.list",
            "request_id": "b3a4",
            "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/admins"))
        .respond_with(ResponseTemplate::new(403))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector(&server);
    let (batches, err) = read(&c, "conversations", None).await;
    assert!(batches.is_empty());
    let err = err.unwrap();
    assert!(
        matches!(&err, ConnectorError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    let (_, err) = read(&c, "admins", None).await;
    assert!(
        matches!(err, Some(ConnectorError::Unauthorized { status: 403, .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_token_never_reaches_trace_logs() {
    // The kit's capture: one global TRACE subscriber for the whole test binary.
    let capture = deskpulse_connector::testkit::captured_logs();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/conversations/1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Fake::new(one_conversation()).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/admins"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let c = connector(&server);
    read_ok(&c, "conversations", None).await;
    let (_, err) = read(&c, "admins", None).await;
    let err = err.unwrap();

    let logs = capture.text().unwrap();
    assert!(
        logs.contains("http_request") && logs.contains("retrying"),
        "{logs}"
    );
    let settings_debug = format!("{:?}", settings(&server));
    for text in [
        logs.as_str(),
        &format!("{err} {err:?} {c:?}"),
        &settings_debug,
    ] {
        assert!(!text.contains(TOKEN), "the access token leaked");
        assert!(
            !text.contains("Secret-Access-Token"),
            "part of the token leaked"
        );
    }
}

/// Every request pins the API version the mapping was written against.
#[tokio::test]
async fn requests_pin_the_api_version() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/admins"))
        .and(wiremock::matchers::header(
            "Intercom-Version",
            deskpulse_connector_intercom::API_VERSION,
        ))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "type": "admin.list",
                "admins": [{"type": "admin", "id": "991", "name": "Ann", "email": "ann@example.com",
                            "away_mode_enabled": false, "away_mode_reassign": false,
                            "has_inbox_seat": true, "team_ids": []}]
            })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = connector(&server);
    let batches = read_ok(&c, "admins", None).await;
    assert_eq!(records(&batches).len(), 1);
}
