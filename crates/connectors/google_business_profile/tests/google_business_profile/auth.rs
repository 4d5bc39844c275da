//! Google's OAuth 2.0 refresh-token grant against a wiremock token endpoint: the refresh
//! token (with the client id and secret) is what is sent, the access token is what the API
//! gets, a 401 renews it exactly once, an expired token is renewed by the clock, Google's
//! `invalid_grant` is `Unauthorized`, and none of the four credentials reaches a log line or
//! an error. The API host and the token endpoint are separate settings.

use crate::common::*;
use deskpulse_connector::clock::ManualClock;
use deskpulse_connector::testkit::{captured_logs, read, read_ok};
use deskpulse_connector::{ConnectorError, HttpConnector as _};
use deskpulse_connector_google_business_profile::{
    GoogleBusinessProfileConnector, GoogleBusinessProfileSettings,
};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECOND_TOKEN: &str = "ya29.a0AccessT0ken-second-88be";

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn one_review() -> serde_json::Value {
    page(
        vec![review(
            "rv-1",
            "FIVE",
            "2026-11-01T10:00:00Z",
            "2026-11-01T10:00:00Z",
            None,
        )],
        5.0,
        1,
        None,
    )
}

#[tokio::test]
async fn the_refresh_token_is_exchanged_once_and_the_access_token_sent() {
    let server = MockServer::start().await;
    // `token_mock` matches only the documented form: grant type, refresh token, client id
    // and secret.
    token_mock(ACCESS_TOKEN).expect(1).mount(&server).await;
    list(None)
        .and(header("authorization", bearer(ACCESS_TOKEN).as_str()))
        .respond_with(ok(one_review()))
        .expect(2)
        .mount(&server)
        .await;
    let c = connector(&server);
    // Two reads (two syncs of one run): one token, valid for the hour.
    read_ok(&c, "reviews", None).await;
    read_ok(&c, "reviews", None).await;
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_the_logs_carry_no_credential() {
    let logs = captured_logs();
    let server = MockServer::start().await;
    // The first access token was revoked: the API answers 401 to it.
    token_mock(ACCESS_TOKEN)
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    token_mock(SECOND_TOKEN).expect(1).mount(&server).await;
    list(None)
        .and(header("authorization", bearer(ACCESS_TOKEN).as_str()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    list(None)
        .and(header("authorization", bearer(SECOND_TOKEN).as_str()))
        .respond_with(ok(one_review()))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector(&server);
    read_ok(&c, "reviews", None).await;
    let text = logs.text().unwrap();
    // The capture sees the token flow (so the absence below means something).
    assert!(
        text.contains("fetching an access token"),
        "no token log line captured"
    );
    for credential in [REFRESH_TOKEN, CLIENT_SECRET, ACCESS_TOKEN, SECOND_TOKEN] {
        assert!(
            !text.contains(credential),
            "a log line carries a credential"
        );
    }
    // Nor does the connector's Debug.
    let shown = format!("{c:?}");
    for credential in [REFRESH_TOKEN, CLIENT_SECRET, ACCESS_TOKEN, SECOND_TOKEN] {
        assert!(!shown.contains(credential), "{shown}");
    }
}

#[tokio::test]
async fn a_second_401_is_unauthorized_after_one_refresh() {
    let server = MockServer::start().await;
    token_mock(ACCESS_TOKEN).expect(2).mount(&server).await;
    list(None)
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "reviews", None).await;
    assert!(batches.is_empty());
    assert!(
        matches!(err, Some(ConnectorError::Unauthorized { status: 401, .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_expired_token_is_renewed_by_the_clock() {
    let server = MockServer::start().await;
    token_mock(ACCESS_TOKEN)
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    token_mock(SECOND_TOKEN).expect(1).mount(&server).await;
    for token in [ACCESS_TOKEN, SECOND_TOKEN] {
        list(None)
            .and(header("authorization", bearer(token).as_str()))
            .respond_with(ok(one_review()))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (clock, hand) = ManualClock::at(now());
    let c = GoogleBusinessProfileConnector::new(settings(&server))
        .unwrap()
        .with_retry_policy(fast_retry())
        .with_clock(clock);
    read_ok(&c, "reviews", None).await;
    // Google's tokens live 3599 s; the SDK renews five minutes before.
    hand.advance(chrono::Duration::seconds(3599 - 299));
    read_ok(&c, "reviews", None).await;
}

/// The error of a read whose one token request Google answers `400` with `body`: it never
/// carries the refresh token or the client secret.
async fn token_refused(body: serde_json::Value) -> ConnectorError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let err = read(&connector(&server), "reviews", None).await.1.unwrap();
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains(REFRESH_TOKEN) && !shown.contains(CLIENT_SECRET),
        "{shown}"
    );
    err
}

/// Google answers a revoked or expired refresh token with `400 invalid_grant`: the
/// credentials' fault, reported as such, without the token in the error.
#[tokio::test]
async fn invalid_grant_is_unauthorized() {
    let err = token_refused(json!({
        "error": "invalid_grant", "error_description": "Token has been expired or revoked."
    }))
    .await;
    assert!(
        matches!(err, ConnectorError::Unauthorized { status: 400, .. }),
        "{err:?}"
    );
}

/// A token endpoint that echoes the form it got in its error: the error never carries the
/// refresh token or the client secret.
#[tokio::test]
async fn a_token_error_echoing_the_form_carries_no_secret() {
    let echoed = format!(
        "grant_type=refresh_token&refresh_token={REFRESH_TOKEN}&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
    );
    let err = token_refused(json!({
        "error": "invalid_request", "error_description": format!("cannot parse {echoed}")
    }))
    .await;
    assert!(err.to_string().contains("invalid_request"), "{err}");
}

/// `base_url` moves every API request (its path prefix kept); `token_url` moves the token
/// exchange, which stays on Google's OAuth host otherwise.
#[tokio::test]
async fn base_url_prefix_and_a_separate_token_url() {
    let api = MockServer::start().await;
    let oauth = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/custom/token"))
        .respond_with(token_answer(ACCESS_TOKEN))
        .expect(1)
        .mount(&oauth)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/proxy/gbp{REVIEWS}")))
        .and(header("authorization", bearer(ACCESS_TOKEN).as_str()))
        .respond_with(ok(one_review()))
        .expect(1)
        .mount(&api)
        .await;
    let s = GoogleBusinessProfileSettings {
        base_url: Some(format!("{}/proxy/gbp/", api.uri())),
        token_url: Some(format!("{}/custom/token", oauth.uri())),
        ..settings(&api)
    };
    let c = connector_with(s);
    assert_eq!(c.base_url().as_str(), format!("{}/proxy/gbp", api.uri()));
    read_ok(&c, "reviews", None).await;
}
