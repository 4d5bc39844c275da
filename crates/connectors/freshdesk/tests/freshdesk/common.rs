//! Shared builders: the connector against a mock server, and pages shaped like Freshdesk's
//! documented responses.

use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Record;
use deskpulse_connector::Secret;
use deskpulse_connector::http::RetryPolicy;
use deskpulse_connector::testkit;
pub use deskpulse_connector::testkit::{
    assert_resumes_exactly_mid_pass, checkpoints, read, read_ok, records,
};
use deskpulse_connector_freshdesk::{FreshdeskConnector, FreshdeskSettings};
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::{path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const KEY: &str = "fd-ApiKey-9Xq2LmZ7wR";
pub const TICKETS: &str = "/api/v2/tickets";
pub const AGENTS: &str = "/api/v2/agents";
pub const RATINGS: &str = "/api/v2/surveys/satisfaction_ratings";
pub const EPOCH: &str = "1970-01-01T00:00:00Z";

/// The kit's fast retries, with `Retry-After` honoured up to 3 s.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retry_after: Duration::from_secs(3),
        ..testkit::fast_retry()
    }
}

/// Page size 2, so a few records make several pages.
pub fn settings(server: &MockServer) -> FreshdeskSettings {
    FreshdeskSettings {
        domain: Some("acme".into()),
        api_key: Some(Secret::new(KEY)),
        base_url: Some(server.uri()),
        page_size: Some(2),
        // The mock is not rate limited; keep the tests fast.
        requests_per_minute: 0,
        ticket_list_requests_per_minute: 0,
        ..FreshdeskSettings::default()
    }
}

pub fn connector(server: &MockServer) -> FreshdeskConnector {
    FreshdeskConnector::new(settings(server))
        .unwrap()
        .with_retry_policy(fast_retry())
}

pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/python-freshdesk/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The `data` of every Airbyte recorded record of `stream`.
pub fn airbyte(stream: &str) -> Vec<Value> {
    let path = format!(
        "{}/tests/fixtures/airbyte-integration/expected_records.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["stream"] == stream)
        .map(|r| r["data"].clone())
        .collect()
}

/// A recorded ticket (Airbyte's #22: pending, phone, answered) with a new id and times.
pub fn ticket(id: i64, created_at: &str, updated_at: &str) -> Value {
    let mut t = airbyte("tickets")
        .into_iter()
        .find(|t| t["id"] == 22)
        .unwrap();
    t["id"] = id.into();
    t["created_at"] = created_at.into();
    t["updated_at"] = updated_at.into();
    t
}

/// A recorded public agent reply (Airbyte's conversation 67105086049) with new ids and time.
pub fn reply(id: i64, ticket_id: i64, created_at: &str) -> Value {
    let mut c = airbyte("conversations")
        .into_iter()
        .find(|c| c["id"] == 67105086049_i64)
        .unwrap();
    c["id"] = id.into();
    c["ticket_id"] = ticket_id.into();
    c["created_at"] = created_at.into();
    c["updated_at"] = created_at.into();
    c
}

pub fn json(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// Every ticket's conversations: none, unless a more specific mock says otherwise.
pub async fn mount_no_conversations(server: &MockServer) {
    Mock::given(path_regex(r"^/api/v2/tickets/\d+/conversations$"))
        .respond_with(json(Value::Array(vec![])))
        .with_priority(10)
        .mount(server)
        .await;
}

pub async fn mount_conversations(server: &MockServer, ticket_id: i64, list: Value) {
    Mock::given(path(format!("{TICKETS}/{ticket_id}/conversations")))
        .respond_with(json(list))
        .mount(server)
        .await;
}

pub fn ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| match r {
            Record::Ticket(t) => format!("T{}", t.external_id),
            Record::Message(m) => format!("M{}", m.external_id),
            Record::Agent(a) => format!("A{}", a.external_id),
            Record::Rating(r) => format!("R{}", r.external_id),
            Record::Customer(c) => format!("C{}", c.external_id),
            Record::VendorMetrics(v) => format!("V{}", v.ticket_id),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}
