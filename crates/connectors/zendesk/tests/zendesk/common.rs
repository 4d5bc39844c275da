use deskpulse_connector::Secret;
use deskpulse_connector::http::RetryPolicy;
use deskpulse_connector::{Batch, Checkpoint, Connector, ConnectorError, Record};
use deskpulse_connector_zendesk::{ZendeskConnector, ZendeskSettings};
use futures::StreamExt;
use serde_json::Value;
use std::time::Duration;
use wiremock::MockServer;

pub const EMAIL: &str = "agent@example.com";
pub const TOKEN: &str = "zd-Api-T0ken-6wGh3kq9";
/// The production host recorded payloads point at; the connector must never go there.
pub const PROD: &str = "https://acme.zendesk.com";

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(3),
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
    ZendeskConnector::new(settings(server))
        .unwrap()
        .with_retry_policy(fast_retry())
}

/// Every batch until the end of the stream, or the batches before the first error and it.
pub async fn read(
    c: &ZendeskConnector,
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

pub async fn read_ok(c: &ZendeskConnector, stream: &str, from: Option<Checkpoint>) -> Vec<Batch> {
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

/// Resuming from each batch's checkpoint yields exactly the records of the batches after it.
pub async fn assert_resumes_exactly(c: &ZendeskConnector, stream: &str, batches: &[Batch]) {
    for (i, b) in batches.iter().enumerate() {
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
        "{}/tests/fixtures/go-zendesk/{name}",
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
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}
