//! Auth headers, the base URL, 429s, 5xx, 401/403 and what reaches the logs.

use crate::common::*;
use crate::tickets::{EP, mount_tickets, page};
use deskpulse_connector::testkit;
use deskpulse_connector::{ConnectorError, Secret};
use deskpulse_connector_gorgias::GorgiasSettings;
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{header, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn basic_value() -> String {
    testkit::basic_auth_header(EMAIL, API_KEY)
}

#[test]
fn basic_value_is_the_documented_one() {
    // `agent@acme.com:gorgias-K3y-9f8e7d6c5b4a`, base64 (username = e-mail, password = key).
    assert_eq!(
        basic_value(),
        "Basic YWdlbnRAYWNtZS5jb206Z29yZ2lhcy1LM3ktOWY4ZTdkNmM1YjRh"
    );
}

#[tokio::test]
async fn basic_auth_header_is_exact() {
    let server = MockServer::start().await;
    Mock::given(path(EP))
        .and(header("authorization", basic_value().as_str()))
        .respond_with(page(json!([]), None))
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
        .respond_with(page(json!([]), None))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector_with(GorgiasSettings {
        email: None,
        api_key: None,
        oauth_token: Some(Secret::new("oauth-abc123")),
        ..settings(&server)
    });
    read_ok(&c, "tickets", None).await;
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/proxy/gorgias{EP}")))
        .and(query_param("order_by", "updated_datetime:desc"))
        .and(wiremock::matchers::query_param_is_missing("cursor"))
        .respond_with(page(json!([]), Some("c1")))
        .mount(&server)
        .await;
    Mock::given(path(format!("/proxy/gorgias{EP}")))
        .and(query_param("cursor", "c1"))
        .respond_with(page(json!([]), None))
        .mount(&server)
        .await;
    let c = connector_with(GorgiasSettings {
        base_url: Some(format!("{}/proxy/gorgias/", server.uri())),
        ..settings(&server)
    });
    assert_eq!(
        c.base_url().as_str(),
        format!("{}/proxy/gorgias/", server.uri())
    );
    assert_eq!(read_ok(&c, "tickets", None).await.len(), 2);
}

#[tokio::test]
async fn waits_out_429_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path(EP))
        .and(query_param("cursor", "c2"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-after", "1")
                .insert_header("X-Gorgias-Account-Api-Call-Limit", "40/40")
                .set_body_json(json!({"error": {"msg": "Too many requests"}})),
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
    assert_eq!(batches.len(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "the 429 was not waited out"
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(path(EP))
        .respond_with(ResponseTemplate::new(502))
        .expect(3)
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "tickets", None).await;
    assert!(batches.is_empty());
    testkit::assert_http_error(&err, 502, 3);
}

#[tokio::test]
async fn unauthorized_and_forbidden_are_immediate_and_clear() {
    for status in [401u16, 403] {
        let server = MockServer::start().await;
        Mock::given(path(EP))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"error": {"msg": "Unauthorized"}})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let (batches, err) = read(&connector(&server), "tickets", None).await;
        assert!(batches.is_empty());
        let err = err.unwrap();
        assert!(
            matches!(&err, ConnectorError::Unauthorized { status: s, endpoint } if *s == status && endpoint == EP),
            "{err:?}"
        );
        assert!(err.is_unauthorized());
    }
}

#[tokio::test]
async fn the_api_key_never_reaches_trace_logs() {
    // The kit's global TRACE subscriber (one per test binary, shared with `conformance`).
    let logs = testkit::captured_logs();

    let server = MockServer::start().await;
    Mock::given(path(EP))
        .and(query_param("cursor", "c2"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_tickets(&server).await;
    Mock::given(path("/api/satisfaction-surveys"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let c = connector(&server);
    read_ok(&c, "tickets", None).await;
    let (_, err) = read(&c, "satisfaction_surveys", None).await;
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
        &settings_debug,
    ] {
        assert!(!text.contains(API_KEY), "the API key leaked");
        assert!(!text.contains(b64), "the Basic credentials leaked");
    }
}
