//! Auth header, base URL, 429s, 401/403s and what reaches the logs.

use crate::common::*;
use crate::tickets::{T1, mount_tickets};
use deskpulse_connector::ConnectorError;
use deskpulse_connector::testkit;
use deskpulse_connector_freshdesk::{FreshdeskConnector, FreshdeskSettings};
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{header, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn basic_value() -> String {
    testkit::basic_auth_header(KEY, "X")
}

#[test]
fn basic_value_is_the_documented_one() {
    // `{api_key}:X`, base64.
    assert_eq!(basic_value(), "Basic ZmQtQXBpS2V5LTlYcTJMbVo3d1I6WA==");
}

#[tokio::test]
async fn basic_auth_header_is_exact() {
    let server = MockServer::start().await;
    Mock::given(path(AGENTS))
        .and(header("authorization", basic_value().as_str()))
        .respond_with(json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    read_ok(&connector(&server), "agents", None).await;
}

#[tokio::test]
async fn base_url_path_prefix_is_kept_for_every_request() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/proxy/freshdesk{TICKETS}")))
        .respond_with(json(json!([ticket(1, T1, T1)])))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(path(format!("/proxy/freshdesk{TICKETS}/1/conversations")))
        .respond_with(json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let s = FreshdeskSettings {
        base_url: Some(format!("{}/proxy/freshdesk/", server.uri())),
        ..settings(&server)
    };
    let c = FreshdeskConnector::new(s)
        .unwrap()
        .with_retry_policy(fast_retry());
    assert_eq!(
        c.base_url().as_str(),
        format!("{}/proxy/freshdesk/", server.uri())
    );
    assert_eq!(read_ok(&c, "tickets", None).await.len(), 3);
}

#[tokio::test]
async fn waits_out_429_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path(TICKETS))
        .and(query_param("updated_since", crate::tickets::T2))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .insert_header("X-RateLimit-Total", "50")
                .insert_header("X-RateLimit-Remaining", "0"),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_tickets(&server).await;
    let c = connector(&server);
    let started = Instant::now();
    let batches = read_ok(&c, "tickets", None).await;
    assert_eq!(batches.len(), 5);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "the 429 was not waited out"
    );
}

#[tokio::test]
async fn a_429_on_a_conversation_is_waited_out_too() {
    let server = MockServer::start().await;
    Mock::given(path(format!("{TICKETS}/1/conversations")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_tickets(&server).await;
    let started = Instant::now();
    let recs = records(&read_ok(&connector(&server), "tickets", None).await);
    assert!(ids(&recs).contains(&"M101".to_owned()));
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn unauthorized_is_immediate_and_clear() {
    let server = MockServer::start().await;
    Mock::given(path(TICKETS))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "tickets", None).await;
    assert!(batches.is_empty());
    let err = err.unwrap();
    assert!(
        matches!(&err, ConnectorError::Unauthorized { status: 401, endpoint } if endpoint == TICKETS),
        "{err:?}"
    );
    assert!(err.is_unauthorized());
}

#[tokio::test]
async fn forbidden_on_a_conversation_fails_the_page() {
    let server = MockServer::start().await;
    Mock::given(path(format!("{TICKETS}/2/conversations")))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"code": "access_denied", "message": "You are not authorized to perform this action."}),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    mount_tickets(&server).await;
    let (batches, err) = read(&connector(&server), "tickets", None).await;
    assert!(
        batches.is_empty(),
        "the page is not committed without its conversations"
    );
    assert!(matches!(
        err,
        Some(ConnectorError::Unauthorized { status: 403, .. })
    ));
}

#[tokio::test]
async fn the_api_key_never_reaches_trace_logs() {
    // The kit's global TRACE subscriber (one per test binary).
    let logs = testkit::captured_logs();

    let server = MockServer::start().await;
    Mock::given(path(TICKETS))
        .and(query_param("updated_since", crate::tickets::T2))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_tickets(&server).await;
    Mock::given(path(RATINGS))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let c = connector(&server);
    read_ok(&c, "tickets", None).await;
    let (_, err) = read(&c, "satisfaction_ratings", None).await;
    let err = err.unwrap();

    let logs = logs.text().unwrap();
    assert!(
        logs.contains("http_request") && logs.contains("retrying"),
        "{logs}"
    );
    let b64 = basic_value();
    let b64 = b64.trim_start_matches("Basic ");
    let settings_debug = format!("{:?}", settings(&server));
    for text in [
        logs.as_str(),
        &format!("{err} {err:?} {c:?}"),
        settings_debug.as_str(),
    ] {
        assert!(!text.contains(KEY), "the API key leaked");
        assert!(!text.contains(b64), "the Basic credentials leaked");
    }
}
