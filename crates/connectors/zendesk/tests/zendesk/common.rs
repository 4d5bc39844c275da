//! Helpers shared by the Zendesk wiremock tests.

use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Record;
use deskpulse_connector::Secret;
use deskpulse_connector::http::RetryPolicy;
use deskpulse_connector::testkit;
pub use deskpulse_connector::testkit::{checkpoints, read, read_ok, records};
use deskpulse_connector_zendesk::{ZendeskConnector, ZendeskSettings};
use serde_json::Value;
use std::time::Duration;
use wiremock::MockServer;

pub const EMAIL: &str = "agent@example.com";
pub const TOKEN: &str = "zd-Api-T0ken-6wGh3kq9";
/// The production host recorded payloads point at; the connector must never go there.
pub const PROD: &str = "https://acme.zendesk.com";

/// The kit's fast retries, with `Retry-After` honoured up to 3 s.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retry_after: Duration::from_secs(3),
        ..testkit::fast_retry()
    }
}

pub fn settings(server: &MockServer) -> ZendeskSettings {
    ZendeskSettings {
        subdomain: Some("acme".into()),
        email: Some(EMAIL.into()),
        api_token: Some(Secret::new(TOKEN)),
        base_url: Some(server.uri()),
        // The mock is not rate limited; keep the tests fast.
        requests_per_minute: 0,
        incremental_requests_per_minute: 0,
        ..ZendeskSettings::default()
    }
}

pub fn connector(server: &MockServer) -> ZendeskConnector {
    connector_with(server, |_| {})
}

/// A connector on `server` with the test settings, changed by `change`.
pub fn connector_with(
    server: &MockServer,
    change: impl FnOnce(&mut ZendeskSettings),
) -> ZendeskConnector {
    let mut s = settings(server);
    change(&mut s);
    ZendeskConnector::new(s)
        .unwrap()
        .with_retry_policy(fast_retry())
}

pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/go-zendesk/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A documented Zendesk example from `tests/fixtures/zendesk-docs/` (see PROVENANCE.md).
pub fn doc_fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/zendesk-docs/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub fn ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| match r {
            Record::Ticket(t) => t.external_id.clone(),
            Record::Message(m) => m.external_id.clone(),
            Record::StatusChange(s) => s.external_id.clone(),
            Record::Agent(a) => a.external_id.clone(),
            Record::Rating(r) => r.external_id.clone(),
            Record::VendorMetrics(v) => format!("metrics:{}", v.ticket_id),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}
