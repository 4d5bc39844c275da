//! Freshdesk's Basic `{api_key}:X`, and a 429 or 403 on the conversations fan-out (the
//! conformance kit checks 429s, 5xx, 401/403 and logs on the list pages).

use crate::common::*;
use crate::tickets::mount_tickets;
use deskpulse_connector::ConnectorError;
use serde_json::json;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn basic_auth_header_is_exact() {
    let server = MockServer::start().await;
    // `{api_key}:X`, base64.
    Mock::given(path(AGENTS))
        .and(header(
            "authorization",
            "Basic ZmQtQXBpS2V5LTlYcTJMbVo3d1I6WA==",
        ))
        .respond_with(json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    read_ok(&connector(&server), "agents", None).await;
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
    // The kit checks that a `Retry-After` is waited for; here: the fan-out retries at all.
    let recs = records(&read_ok(&connector(&server), "tickets", None).await);
    assert!(recs.iter().any(|r| r.key() == "message:101"));
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
