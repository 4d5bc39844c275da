//! Secrets of the business-user OAuth (API secret, refresh tokens, access tokens) in no
//! error and no log line, even when the token endpoint echoes the request; a rotated refresh
//! token is reported without being shown.

use crate::common::*;
use deskpulse_connector::testkit::captured_logs;
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_refused_refresh_token_is_unauthorized_and_no_secret_is_shown() {
    let logs = captured_logs();
    let server = MockServer::start().await;
    // A token endpoint that quotes what it was sent.
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "echo": format!("grant_type=refresh_token&refresh_token={REFRESH}&client_secret={API_SECRET}&client_id={API_KEY}"),
        })))
        .mount(&server)
        .await;
    let (_, err) = read(&connector_with(private_settings(&server)), "reviews", None).await;
    let err = err.expect("a refused refresh token ends the read");
    assert!(err.is_unauthorized(), "{err:?}");
    let shown = format!("{err} {err:?} {}", logs.text().unwrap());
    for secret in [REFRESH, API_SECRET, API_KEY] {
        assert!(!shown.contains(secret), "{secret} shown");
    }
}

#[tokio::test]
async fn a_rotated_refresh_token_is_reported_not_shown() {
    let logs = captured_logs();
    let server = MockServer::start().await;
    let rotated = "tp-Refresh-Rotated-Zq4";
    let access = "tp-Access-Rotation-Kk3";
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains(format!("refresh_token={REFRESH}")))
        .respond_with(token_answer(access, rotated))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(private_reviews()))
        .and(header("authorization", format!("Bearer {access}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server)
        .await;
    read_ok(&connector_with(private_settings(&server)), "reviews", None).await;
    let text = logs.text().unwrap();
    assert!(
        text.contains("new refresh token"),
        "the rotation is reported"
    );
    for secret in [rotated, access, REFRESH, API_SECRET] {
        assert!(!text.contains(secret), "{secret} in the logs");
    }
}
