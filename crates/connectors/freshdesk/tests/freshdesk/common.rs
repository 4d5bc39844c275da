use deskpulse_connector::Secret;
use deskpulse_connector::http::RetryPolicy;
use deskpulse_connector::{Batch, Checkpoint, Connector, ConnectorError, Record};
use deskpulse_connector_freshdesk::{FreshdeskConnector, FreshdeskSettings};
use futures::StreamExt;
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::{path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const KEY: &str = "fd-ApiKey-9Xq2LmZ7wR";
pub const TICKETS: &str = "/api/v2/tickets";
pub const AGENTS: &str = "/api/v2/agents";
pub const RATINGS: &str = "/api/v2/surveys/satisfaction_ratings";
pub const EPOCH: &str = "1970-01-01T00:00:00Z";

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(3),
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

/// Every batch until the end of the stream, or the batches before the first error and it.
pub async fn read(
    c: &FreshdeskConnector,
    stream: &str,
    from: Option<Checkpoint>,
) -> (Vec<Batch>, Option<ConnectorError>) {
    let mut pages = c.read(stream, from);
    let mut out = Vec::new();
    while let Some(item) = pages.next().await {
        match item {
            Ok(b) => out.push(b),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

pub async fn read_ok(c: &FreshdeskConnector, stream: &str, from: Option<Checkpoint>) -> Vec<Batch> {
    let (batches, err) = read(c, stream, from).await;
    if let Some(e) = err {
        panic!(
            "{stream}: unexpected error after {} batches: {e}",
            batches.len()
        );
    }
    batches
}

pub fn records(batches: &[Batch]) -> Vec<Record> {
    batches.iter().flat_map(|b| b.records.clone()).collect()
}

pub fn checkpoints(batches: &[Batch]) -> Vec<Value> {
    batches
        .iter()
        .map(|b| b.checkpoint.value().clone())
        .collect()
}

/// Resuming from the checkpoint of every batch but the last yields exactly the records of
/// the batches after it. (The last checkpoint starts the next sync.)
pub async fn assert_resumes_exactly(c: &FreshdeskConnector, stream: &str, batches: &[Batch]) {
    for (i, b) in batches
        .iter()
        .enumerate()
        .take(batches.len().saturating_sub(1))
    {
        let resumed = read_ok(c, stream, Some(b.checkpoint.clone())).await;
        assert_eq!(
            records(&resumed),
            records(&batches[i + 1..]),
            "{stream}: resuming from checkpoint {} of batch {i}",
            b.checkpoint.value()
        );
    }
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
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}
