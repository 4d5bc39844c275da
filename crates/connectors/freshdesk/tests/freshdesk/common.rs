//! Shared builders: the connector against a mock server, and pages shaped like Freshdesk's
//! documented responses.

pub use crate::shared::*;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::testkit;
pub use deskpulse_connector::testkit::{
    assert_malformed, assert_resumes_exactly_mid_pass, checkpoints, read, read_ok, records,
};
use deskpulse_connector::{Batch, Record};
use deskpulse_connector_freshdesk::{FreshdeskConnector, FreshdeskSettings};
use deskpulse_model::{Message, TicketStatus};
use serde_json::{Value, json};
use wiremock::matchers::{path, path_regex, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const KEY: &str = "fd-ApiKey-9Xq2LmZ7wR";

/// The test settings against `server`.
pub fn settings(server: &MockServer) -> FreshdeskSettings {
    settings_at(server.uri(), KEY)
}

pub fn connector(server: &MockServer) -> FreshdeskConnector {
    connector_of(settings(server))
}

/// The connector on other settings, with the kit's fast retries.
pub fn connector_of(settings: FreshdeskSettings) -> FreshdeskConnector {
    FreshdeskConnector::new(settings)
        .unwrap()
        .with_retry_policy(testkit::fast_retry())
}

pub fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

pub fn json(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// `GET at` with the `query` parameters (others allowed) answers `body`.
pub async fn serve(server: &MockServer, at: &str, query: &[(&str, &str)], body: Value) {
    let mock = query
        .iter()
        .fold(Mock::given(path(at)), |m, (name, value)| {
            m.and(query_param(*name, *value))
        });
    mock.respond_with(json(body)).mount(server).await;
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
    let at = format!("{TICKETS}/{ticket_id}/conversations");
    serve(server, &at, &[], list).await;
}

/// One page of the default list, asked for `updated_since` and `page`.
pub async fn mount_all(server: &MockServer, since: &str, page: u32, body: Value) {
    Mock::given(path(TICKETS))
        .and(query_param("updated_since", since))
        .and(query_param("page", page.to_string()))
        .and(query_param("order_by", "updated_at"))
        .and(query_param("order_type", "asc"))
        .and(query_param("include", "stats,requester"))
        .and(query_param("per_page", "2"))
        .and(query_param_is_missing("filter"))
        .respond_with(json(body))
        .mount(server)
        .await;
}

pub async fn mount_filter(server: &MockServer, filter: &str, since: &str, page: u32, body: Value) {
    let page = page.to_string();
    let query = [
        ("filter", filter),
        ("updated_since", since),
        ("page", &page),
    ];
    serve(server, TICKETS, &query, body).await;
}

/// The spam and deleted passes empty from `since`, and no conversations: for tests about
/// the default pass.
pub async fn mount_quiet_passes(server: &MockServer, since: &str) {
    mount_filter(server, "spam", since, 1, json!([])).await;
    mount_filter(server, "deleted", since, 1, json!([])).await;
    mount_no_conversations(server).await;
}

/// What `batches` gave, in order, as [`Record::key`]s (`ticket:7`, `message:101`, …).
pub fn keys(batches: &[Batch]) -> Vec<String> {
    records(batches).iter().map(Record::key).collect()
}

/// The conversations' messages, in order: every message but the tickets' opening ones
/// (`description-{id}`).
pub fn conversation_messages(records: &[Record]) -> Vec<Message> {
    let mut messages = of(records, Record::as_message);
    messages.retain(|m| !m.external_id.starts_with("description-"));
    messages
}

/// The records of one kind, in order: `of(&records, Record::as_vendor_metrics)`.
pub fn of<T: Clone>(records: &[Record], kind: fn(&Record) -> Option<&T>) -> Vec<T> {
    records.iter().filter_map(kind).cloned().collect()
}

/// Each ticket's id and status, in order.
pub fn statuses(records: &[Record]) -> Vec<(String, TicketStatus)> {
    records
        .iter()
        .filter_map(Record::as_ticket)
        .map(|t| (t.external_id.clone(), t.status))
        .collect()
}
