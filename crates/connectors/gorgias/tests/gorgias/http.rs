//! Gorgias's two ways to authenticate: Basic `{email}:{api_key}` and an OAuth2 app's
//! `Bearer` token. (429s, 5xx, 401/403 and secrets in logs: the conformance kit.)

use crate::common::*;
use crate::tickets::{EP, page};
use deskpulse_connector::Secret;
use deskpulse_connector::testkit;
use deskpulse_connector_gorgias::GorgiasSettings;
use serde_json::json;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer};

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
