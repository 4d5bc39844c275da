//! Gorgias's two ways to authenticate: Basic `{email}:{api_key}` and an OAuth2 app's
//! `Bearer` token. (429s, 5xx, 401/403 and secrets in logs: the conformance kit.)

use crate::common::*;
use crate::tickets::{EP, page};
use deskpulse_connector::Secret;
use deskpulse_connector::testkit;
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

/// Each scheme's `Authorization` value, exactly: Basic with the e-mail as the username, or
/// an OAuth2 app's token as `Bearer`.
#[tokio::test]
async fn each_scheme_sends_its_header() {
    for (value, oauth) in [
        (basic_value(), None),
        ("Bearer oauth-abc123".to_string(), Some("oauth-abc123")),
    ] {
        let server = MockServer::start().await;
        Mock::given(path(EP))
            .and(header("authorization", value.as_str()))
            .respond_with(page(json!([]), None))
            .expect(1)
            .mount(&server)
            .await;
        let mut s = settings(&server);
        if let Some(token) = oauth {
            (s.email, s.api_key) = (None, None);
            s.oauth_token = Some(Secret::new(token));
        }
        read_ok(&connector_with(s), "tickets", None).await;
    }
}
