//! OAuth client credentials as Help Scout documents them, the base URL and token URL, Help
//! Scout's own rate-limit header and its token errors. 401/403 everywhere, 5xx and secrets in
//! logs are the conformance kit's (`conformance.rs`).

use crate::common::*;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::{ConnectorError, Secret};
use deskpulse_connector_helpscout::HelpScoutSettings;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn token_once_then_bearer_on_every_request() {
    let server = MockServer::start().await;
    mount_no_spam(&server).await;
    token_mock(TOKEN).expect(1).mount(&server).await;
    export(None, 1)
        .and(header("authorization", bearer(TOKEN).as_str()))
        .respond_with(empty_page())
        .expect(2)
        .mount(&server)
        .await;
    let c = connector(&server);
    read_ok(&c, "conversations", None).await;
    read_ok(&c, "conversations", None).await;
}

#[tokio::test]
async fn a_401_renews_the_token_once() {
    let server = MockServer::start().await;
    mount_no_spam(&server).await;
    // The first token was revoked: Help Scout answers 401 to it.
    token_mock("old-token")
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    token_mock(TOKEN).expect(1).mount(&server).await;
    export(None, 1)
        .and(header("authorization", bearer("old-token").as_str()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_token"})))
        .expect(1)
        .mount(&server)
        .await;
    export(None, 1)
        .and(header("authorization", bearer(TOKEN).as_str()))
        .respond_with(empty_page())
        .expect(1)
        .mount(&server)
        .await;
    read_ok(&connector(&server), "conversations", None).await;
}

#[tokio::test]
async fn an_invalid_client_400_is_unauthorized() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "conversations", None).await;
    assert!(
        matches!(err, Some(ConnectorError::Unauthorized { status: 400, .. })),
        "{err:?}"
    );
}

/// The two users lists, empty, each read once under `prefix` (with `authorization` if given).
async fn expect_no_users(server: &MockServer, prefix: &str, authorization: Option<&str>) {
    for (list, key) in [(USERS, "users"), (SYSTEM_USERS, "system_users")] {
        let m = Mock::given(path(format!("{prefix}{list}")));
        let m = match authorization {
            Some(a) => m.and(header("authorization", a)),
            None => m,
        };
        let page = hal_page(key, vec![], 1, 0, 0);
        m.respond_with(page).expect(1).mount(server).await;
    }
}

#[tokio::test]
async fn static_access_token_needs_no_token_request() {
    let server = MockServer::start().await;
    expect_no_users(&server, "", Some("Bearer pre-issued-abc")).await;
    let s = HelpScoutSettings {
        client_id: None,
        client_secret: None,
        access_token: Some(Secret::new("pre-issued-abc")),
        ..settings(&server)
    };
    let c = connector_with(s);
    read_ok(&c, "users", None).await;
}

#[tokio::test]
async fn base_url_prefix_and_token_url() {
    let server = MockServer::start().await;
    // The token URL follows `base_url`, prefix included.
    Mock::given(method("POST"))
        .and(path(format!("/proxy/helpscout{TOKEN_PATH}")))
        .respond_with(token_answer(TOKEN))
        .expect(1)
        .mount(&server)
        .await;
    expect_no_users(&server, "/proxy/helpscout", None).await;
    let s = HelpScoutSettings {
        base_url: Some(format!("{}/proxy/helpscout/", server.uri())),
        ..settings(&server)
    };
    let c = connector_with(s);
    // The SDK's `settings::base_url` keeps the prefix without its trailing slash.
    assert_eq!(
        c.base_url().as_str(),
        format!("{}/proxy/helpscout", server.uri())
    );
    read_ok(&c, "users", None).await;

    // Or anywhere `token_url` says.
    let other = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(token_answer(TOKEN))
        .expect(1)
        .mount(&other)
        .await;
    let data = MockServer::start().await;
    expect_no_users(&data, "", Some(&bearer(TOKEN))).await;
    let s = HelpScoutSettings {
        token_url: Some(format!("{}/auth/token", other.uri())),
        ..settings(&data)
    };
    let c = connector_with(s);
    read_ok(&c, "users", None).await;
}

/// Help Scout's 429 (developer.helpscout.com, "Rate limiting"): no `Retry-After`, the seconds
/// to wait in `X-RateLimit-Retry-After`. What is checked is the wait the client chose (its
/// log line), not how long the test took; the requests go under a path prefix of their own,
/// so this test's log lines name it and no other test's do.
#[tokio::test]
async fn waits_out_429_retry_after() {
    let logs = deskpulse_connector::testkit::captured_logs();
    let server = MockServer::start().await;
    let prefix = "/rate-limited";
    Mock::given(method("POST"))
        .and(path(format!("{prefix}{TOKEN_PATH}")))
        .respond_with(token_answer(TOKEN))
        .mount(&server)
        .await;
    let limited = format!("{prefix}{USERS}");
    Mock::given(path(limited.as_str()))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Limit-Minute", "200")
                .insert_header("X-RateLimit-Remaining-Minute", "0")
                .insert_header("X-RateLimit-Retry-After", "1"),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    expect_no_users(&server, prefix, None).await;
    let s = HelpScoutSettings {
        base_url: Some(format!("{}{prefix}", server.uri())),
        ..settings(&server)
    };
    read_ok(&connector_with(s), "users", None).await;
    let waits: Vec<String> = logs
        .text()
        .unwrap()
        .lines()
        .filter(|l| l.contains("retrying") && l.contains(limited.as_str()))
        .filter_map(|l| l.split("wait_ms=").nth(1))
        .map(|w| w.split_whitespace().next().unwrap_or_default().to_owned())
        .collect();
    // The header's second, not the kit's millisecond backoff nor the 3 s cap.
    assert_eq!(waits, ["1000"]);
}

/// A token endpoint that refuses the request (RFC 6749's `invalid_request`) and echoes the
/// JSON body it got, client secret included: the error the sync reports never carries it.
#[tokio::test]
async fn a_token_error_echoing_the_request_body_never_carries_the_client_secret() {
    let server = MockServer::start().await;
    let echoed = json!({
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET
    })
    .to_string();
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_request", "error_description": format!("cannot read {echoed}")
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "users", None).await;
    let err = err.unwrap();
    assert!(
        matches!(err, ConnectorError::Http { status: 400, .. }),
        "{err:?}"
    );
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("invalid_request"), "{shown}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
}
