//! Zendesk's two auth schemes, as its docs spell them: Basic `{email}/token:{api_token}`
//! and Bearer with an OAuth access token.

use crate::common::*;
use crate::tickets::page;
use deskpulse_connector::Secret;
use deskpulse_connector::testkit;
use deskpulse_connector_zendesk::ZendeskSettings;
use serde_json::json;
use wiremock::MockServer;
use wiremock::matchers::header;

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

/// Each scheme's `Authorization` value, exactly.
#[tokio::test]
async fn each_scheme_sends_its_documented_header() {
    let token_auth: fn(&mut ZendeskSettings) = |_| {};
    let oauth: fn(&mut ZendeskSettings) = |s| {
        s.email = None;
        s.api_token = None;
        s.oauth_token = Some(Secret::new("oauth-abc123"));
    };
    for (value, change) in [
        (basic_value(), token_auth),
        ("Bearer oauth-abc123".to_string(), oauth),
    ] {
        let server = MockServer::start().await;
        given(TICKETS, &[])
            .and(header("authorization", value.as_str()))
            .respond_with(page(json!([]), "c", true))
            .expect(1)
            .mount(&server)
            .await;
        read_ok(&connector_with(&server, change), "tickets", None).await;
    }
}
