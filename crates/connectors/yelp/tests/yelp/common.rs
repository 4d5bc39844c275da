//! What every test module builds on: the fixture files, settings aimed at a mock server, a
//! connector with a pinned clock, and the Yelp paths.

use chrono::{DateTime, Utc};
use deskpulse_connector::Secret;
use deskpulse_connector::testkit::under_test;
use deskpulse_connector_yelp::{YelpConnector, YelpSettings};
use serde_json::Value;
use wiremock::MockServer;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

/// The business of the recorded fixture, by its alias (what a user copies from the page's
/// URL) and by Yelp's id (what the details answer).
pub const ALIAS: &str = "yelp-san-francisco";
pub const BUSINESS_ID: &str = "4kMBvIEWPxWkWKFN__8SxQ";
pub const API_KEY: &str = "yelp-test-key-9f2c";

pub fn business_path(id: &str) -> String {
    format!("/v3/businesses/{id}")
}

pub fn reviews_path(id: &str) -> String {
    format!("/v3/businesses/{id}/reviews")
}

/// A fixture file under `tests/fixtures/`, parsed.
pub fn fixture(rel: &str) -> Value {
    let file = format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Yelp's recorded business details (Yelp/yelp-python's test data).
pub fn recorded_business() -> Value {
    fixture("yelp-python/business_lookup_yelp_san_francisco.json")
}

/// The review excerpts shaped as Yelp documents them.
pub fn constructed_reviews() -> Value {
    fixture("constructed/constructed_business_reviews.json")
}

pub fn settings_at(base_url: &str, api_key: &str) -> YelpSettings {
    YelpSettings {
        business_id: Some(ALIAS.into()),
        api_key: Some(Secret::new(api_key)),
        base_url: Some(base_url.into()),
        requests_per_minute: 0,
        ..YelpSettings::default()
    }
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

/// The instant every test connector's clock shows.
pub fn now() -> DateTime<Utc> {
    utc("2026-11-13T12:00:00Z")
}

/// A connector built from `settings`, its clock pinned at `at`, with fast retries.
pub fn connector_with(settings: YelpSettings, at: DateTime<Utc>) -> YelpConnector {
    under_test(YelpConnector::new(settings), at)
}

/// The default test connector on `server`.
pub fn connector(server: &MockServer) -> YelpConnector {
    connector_with(settings_at(&server.uri(), API_KEY), now())
}

/// Answers `GET path` carrying the API key as a Bearer token with `body`.
pub async fn mount_json(server: &MockServer, p: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(p))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// Answers `GET path` with `status` and Yelp's error body `{"error": {code, description}}`.
pub async fn mount_error(server: &MockServer, p: &str, status: u16, code: &str, description: &str) {
    let body = serde_json::json!({"error": {"code": code, "description": description}});
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}
