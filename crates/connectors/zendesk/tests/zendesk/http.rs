//! Auth headers, the base URL, 429s, 401s and what reaches the logs.

use crate::common::*;
use crate::tickets::{EP, mount_tickets, page};
use deskpulse_connector::testkit;
use deskpulse_connector::{ConnectorError, Secret};
use deskpulse_connector_zendesk::{ZendeskConnector, ZendeskSettings};
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{header, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn basic_value() -> String {
    testkit::basic_auth_header(&format!("{EMAIL}/token"), TOKEN)
}

#[test]
fn basic_value_is_the_documented_one() {
    // `agent@example.com/token:zd-Api-T0ken-6wGh3kq9`, base64.
    assert_eq!(
        basic_value(),
        "Basic YWdlbnRAZXhhbXBsZS5jb20vdG9rZW46emQtQXBpLVQwa2VuLTZ3R2gza3E5"
    );
}

#[tokio::test]
async fn basic_auth_header_is_exact() {
    let server = MockServer::start().await;
    Mock::given(path(EP))
        .and(header("authorization", basic_value().as_str()))
        .respond_with(page(json!([]), "c", true))
        .expect(1)
        .mount(&server)
        .await;
    read_ok(&connector(&server), "tickets", None).await;
}

#[tokio::test]
async fn bearer_with_oauth_token() {
    let server = MockServer::start().await;
    Mock::given(path(EP))
        .and(header("authorization", "Bearer oauth-abc123"))
        .respond_with(page(json!([]), "c", true))
        .expect(1)
        .mount(&server)
        .await;
    let s = ZendeskSettings {
        email: None,
        api_token: None,
        oauth_token: Some(Secret::new("oauth-abc123")),
        ..settings(&server)
    };
    let c = ZendeskConnector::new(s)
        .unwrap()
        .with_retry_policy(fast_retry());
    read_ok(&c, "tickets", None).await;
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/proxy/zendesk{EP}")))
        .and(query_param("start_time", "0"))
        .respond_with(page(json!([]), "c1", false))
        .mount(&server)
        .await;
    Mock::given(path(format!("/proxy/zendesk{EP}")))
        .and(query_param("cursor", "c1"))
        .respond_with(page(json!([]), "c2", true))
        .mount(&server)
        .await;
    let s = ZendeskSettings {
        base_url: Some(format!("{}/proxy/zendesk/", server.uri())),
        ..settings(&server)
    };
    let c = ZendeskConnector::new(s)
        .unwrap()
        .with_retry_policy(fast_retry());
    assert_eq!(
        c.base_url().as_str(),
        format!("{}/proxy/zendesk/", server.uri())
    );
    assert_eq!(read_ok(&c, "tickets", None).await.len(), 2);
}

#[tokio::test]
async fn waits_out_429_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path(EP))
        .and(query_param("cursor", "t1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_tickets(&server).await;
    let c = connector(&server);
    let started = Instant::now();
    let batches = read_ok(&c, "tickets", None).await;
    assert_eq!(batches.len(), 4);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "the 429 was not waited out"
    );
}

#[tokio::test]
async fn unauthorized_is_immediate_and_clear() {
    let server = MockServer::start().await;
    Mock::given(path(EP))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": "Couldn't authenticate you"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "tickets", None).await;
    assert!(batches.is_empty());
    let err = err.unwrap();
    assert!(
        matches!(&err, ConnectorError::Unauthorized { status: 401, endpoint } if endpoint == EP),
        "{err:?}"
    );
    assert!(err.is_unauthorized());
}

#[tokio::test]
async fn the_token_never_reaches_trace_logs() {
    // The kit's global TRACE subscriber (one per test binary).
    let logs = testkit::captured_logs();

    let server = MockServer::start().await;
    Mock::given(path(EP))
        .and(query_param("cursor", "t1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_tickets(&server).await;
    Mock::given(path("/api/v2/satisfaction_ratings.json"))
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
    for text in [logs.as_str(), &format!("{err} {err:?} {c:?}")] {
        assert!(!text.contains(TOKEN), "the API token leaked");
        assert!(!text.contains(b64), "the Basic credentials leaked");
    }
}
