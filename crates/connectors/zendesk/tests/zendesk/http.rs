//! Zendesk's two auth schemes, as its docs spell them: Basic `{email}/token:{api_token}`
//! and Bearer with an OAuth access token.

use crate::common::*;
use crate::tickets::{EP, page};
use deskpulse_connector::Secret;
use deskpulse_connector::testkit;
use serde_json::json;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer};

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
    let c = connector_with(&server, |s| {
        s.email = None;
        s.api_token = None;
        s.oauth_token = Some(Secret::new("oauth-abc123"));
    });
    read_ok(&c, "tickets", None).await;
}
