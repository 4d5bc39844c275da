//! The auth header, the API version pin, and Intercom's 429s waited out by the connector's
//! clock.

use crate::common::*;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector_intercom::Clock;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn one_conversation() -> Vec<serde_json::Value> {
    vec![
        with_parts(
            conversation("1", 1000, 2000, "open"),
            vec![part("11", "comment", 1100, "admin", "991267466")],
        ),
        conversation("2", 1000, 2001, "open"),
        conversation("3", 1000, 2002, "open"),
    ]
}

/// A connector on a clock standing at `NOW` (2025-11-14T06:00:00Z), its requests under a
/// path prefix of their own: this test's log lines name it, and no other test's do.
const NOW: i64 = 1_763_100_000;

fn on_clock(server: &MockServer, prefix: &str) -> deskpulse_connector_intercom::IntercomConnector {
    connector_with(settings_at(format!("{}/{prefix}", server.uri()), TOKEN))
        .with_clock(Clock::fixed(at(NOW)))
}

/// Intercom's 429 (developers.intercom.com, "Rate limiting"): no `Retry-After`, the
/// window's end in `X-RateLimit-Reset` (unix seconds), error code `rate_limit_exceeded`.
fn rate_limited(reset: i64) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("X-RateLimit-Limit", "167")
        .insert_header("X-RateLimit-Remaining", "0")
        .insert_header("X-RateLimit-Reset", reset.to_string().as_str())
        .set_body_json(json!({
            "type": "error.list",
            "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 167 in 10_seconds"}]
        }))
}

/// The waits (ms) the client logged before retrying a request to `endpoint`.
fn logged_waits(logs: &str, endpoint: &str) -> Vec<String> {
    logs.lines()
        .filter(|l| l.contains("retrying") && l.contains(endpoint))
        .filter_map(|l| l.split("wait_ms=").nth(1))
        .map(|w| w.split_whitespace().next().unwrap_or_default().to_owned())
        .collect()
}

/// Syncs `conversations` on a clock standing at `NOW`, with `verb limited` (under `prefix`)
/// answering Intercom's 429 once; the waits (ms) the client logged for that request.
async fn waits_logged_for(prefix: &str, verb: &str, limited: &str) -> Vec<String> {
    let logs = deskpulse_connector::testkit::captured_logs();
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .and(path(format!("/{prefix}{limited}")))
        .respond_with(rate_limited(NOW + 1))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Fake::new(one_conversation())
        .mount_under(&server, &format!("/{prefix}"))
        .await;
    let batches = read_ok(&on_clock(&server, prefix), "conversations", None).await;
    assert_eq!(ticket_ids(&records(&batches)), ["1", "2", "3"]);
    logged_waits(&logs.text().unwrap(), &format!("/{prefix}{limited}"))
}

/// The wait is the reset minus the connector's clock, to the second: a second by the
/// injected clock, while the wall clock (past the reset long ago) would have asked for none.
#[tokio::test]
async fn waits_out_429_until_x_ratelimit_reset() {
    assert_eq!(
        waits_logged_for("reset-on-search", "POST", SEARCH).await,
        ["1000"]
    );
}

#[tokio::test]
async fn a_429_on_a_conversation_is_waited_out_too() {
    assert_eq!(
        waits_logged_for("reset-on-conversation", "GET", "/conversations/2").await,
        ["1000"]
    );
}

/// Every request pins the API version the mapping was written against, and sends the token
/// as Intercom's `Authorization: Bearer …` (that every request carries the token at all is
/// the conformance kit's clean run, which matches the secret).
#[tokio::test]
async fn requests_pin_the_api_version_and_send_a_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(path("/admins"))
        .and(header(
            "Intercom-Version",
            deskpulse_connector_intercom::API_VERSION,
        ))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "admin.list",
            "admins": [{"type": "admin", "id": "991", "name": "Ann", "email": "ann@example.com",
                        "away_mode_enabled": false, "away_mode_reassign": false,
                        "has_inbox_seat": true, "team_ids": []}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector(&server);
    let batches = read_ok(&c, "admins", None).await;
    assert_eq!(records(&batches).len(), 1);
}
