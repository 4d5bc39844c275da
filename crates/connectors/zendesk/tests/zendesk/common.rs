//! Helpers shared by the Zendesk wiremock tests.

pub use crate::pages::*;
use chrono::{DateTime, Utc};
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Record;
use deskpulse_connector::testkit;
pub use deskpulse_connector::testkit::{checkpoints, read, read_ok, records};
use deskpulse_connector_zendesk::{Zendesk, ZendeskConnector, ZendeskSettings};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, Respond, ResponseTemplate};

pub const EMAIL: &str = "agent@example.com";
pub const TOKEN: &str = "zd-Api-T0ken-6wGh3kq9";

pub fn connector(server: &MockServer) -> ZendeskConnector {
    connector_with(server, |_| {})
}

/// A connector on `server` with the test settings, changed by `change`, and the kit's fast
/// retries.
pub fn connector_with(
    server: &MockServer,
    change: impl FnOnce(&mut ZendeskSettings),
) -> ZendeskConnector {
    // The mock is not rate limited (the rates 0 keep the tests fast).
    let mut s = testkit::settings_of::<Zendesk>(json!({
        "subdomain": "acme", "email": EMAIL, "api_token": TOKEN, "base_url": server.uri(),
        "requests_per_minute": 0, "incremental_requests_per_minute": 0
    }));
    change(&mut s);
    ZendeskConnector::new(s)
        .unwrap()
        .with_retry_policy(testkit::fast_retry())
}

/// A recorded go-zendesk payload from `tests/fixtures/go-zendesk/`.
pub fn fixture(name: &str) -> Value {
    json_file("go-zendesk", name)
}

/// A documented Zendesk example from `tests/fixtures/zendesk-docs/` (see PROVENANCE.md).
pub fn doc_fixture(name: &str) -> Value {
    json_file("zendesk-docs", name)
}

/// What a test expects, whole (`tests/fixtures/expected/`).
pub fn expected(name: &str) -> Value {
    json_file("expected", name)
}

fn json_file(dir: &str, name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A GET of `ep` with every pair of `query` (other parameters may be there too).
pub fn given(ep: &str, query: &[(&str, &str)]) -> MockBuilder {
    query
        .iter()
        .fold(Mock::given(method("GET")).and(path(ep)), |m, (k, v)| {
            m.and(query_param(*k, *v))
        })
}

/// [`given`] answered with `response`; mount it, `.expect(1)` it first where it must be
/// asked exactly once.
pub fn get(ep: &str, query: &[(&str, &str)], response: impl Respond + 'static) -> Mock {
    given(ep, query).respond_with(response)
}

/// The records of `stream` when `ep` answers one last page, `response`, asked for once; the
/// connector's settings changed by `change`.
pub async fn records_of_one_page(
    stream: &str,
    ep: &str,
    response: ResponseTemplate,
    change: impl FnOnce(&mut ZendeskSettings),
) -> Vec<Record> {
    let server = MockServer::start().await;
    get(ep, &[], response).expect(1).mount(&server).await;
    records(&read_ok(&connector_with(&server, change), stream, None).await)
}

/// A 200 answer with `body`.
pub fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A page of a cursor export (users, tickets).
pub fn export_page(key: &str, ep: &str, items: Value, after: &str, eos: bool) -> ResponseTemplate {
    ok(cursor_body(key, ep, items, after, eos))
}

/// A page of the time-based ticket events export.
pub fn events_page(events: Value, end_time: i64, eos: bool) -> ResponseTemplate {
    ok(events_body(events, end_time, eos))
}

/// The last (only) page of the satisfaction ratings list.
pub fn ratings_page(ratings: Value) -> ResponseTemplate {
    ok(ratings_body(ratings, None))
}
