//! What the tests share: the page, its token, the fixture files, the connector built
//! against a mock server with its clock pinned, and the interactions of a read.

use chrono::{DateTime, Utc};
use deskpulse_connector::testkit::under_test;
pub use deskpulse_connector::testkit::{read, read_ok, records};
use deskpulse_connector::{Record, Secret};
use deskpulse_connector_facebook_page::{FacebookPageConnector, FacebookPageSettings};
use deskpulse_model::SocialInteraction;
use serde_json::Value;
use wiremock::MockServer;

/// The page of the fixtures.
pub const PAGE: &str = "112233445566778";
pub const TOKEN: &str = "EAAGm0PX4ZCpsBA-fb-Page-Tok3n";

pub fn page_path() -> String {
    format!("/v21.0/{PAGE}")
}
pub fn posts_path() -> String {
    format!("/v21.0/{PAGE}/posts")
}
pub fn ratings_path() -> String {
    format!("/v21.0/{PAGE}/ratings")
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The clock the connectors run on in the stream tests.
pub fn now() -> DateTime<Utc> {
    at("2026-11-13T12:00:00Z")
}

/// `since` of a pass at [`now`] with the default 7 days: 11-06 12:00.
pub fn since() -> String {
    (now() - chrono::Duration::days(7)).timestamp().to_string()
}

/// A fixture file of `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

pub fn settings(server: &MockServer) -> FacebookPageSettings {
    FacebookPageSettings {
        page_id: Some(PAGE.into()),
        access_token: Some(Secret::new(TOKEN)),
        base_url: Some(server.uri()),
        // The mock is not rate limited; keep the tests fast.
        requests_per_hour: 0,
        ..FacebookPageSettings::default()
    }
}

/// The connector of `s`, with the kit's fast retries and the clock pinned at `clock`.
pub fn connector_at(s: FacebookPageSettings, clock: DateTime<Utc>) -> FacebookPageConnector {
    under_test(FacebookPageConnector::new(s), clock)
}

pub fn connector(server: &MockServer) -> FacebookPageConnector {
    connector_at(settings(server), now())
}

/// The interactions among `records`, in order.
pub fn interactions(records: &[Record]) -> Vec<SocialInteraction> {
    records
        .iter()
        .filter_map(Record::as_social_interaction)
        .cloned()
        .collect()
}
