//! What the tests share: the credentials, the connector built against a mock server, the
//! documented token exchange, Help Scout-shaped conversations, threads and HAL pages, the
//! mocks of the lists they answer (export, users), a one-page export read, and a sync into a
//! store.

use chrono::{DateTime, Utc};
use deskpulse_connector::Record;
use deskpulse_connector::http::RetryPolicy;
use deskpulse_connector::testkit;
use deskpulse_connector::testkit::under_test;
pub use deskpulse_connector::testkit::{
    assert_resumes_exactly, checkpoints, read, read_ok, records,
};
use deskpulse_connector::{
    CheckpointStore, Connector, NoProgress, StreamOutcome, SyncOptions, sync_stream,
};
use deskpulse_connector_helpscout::{HelpScout, HelpScoutConnector, HelpScoutSettings};
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{body_json, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

pub const CLIENT_ID: &str = "hs-app-id-4Qk2";
pub const CLIENT_SECRET: &str = "hs-App-S3cret-9zXw";
pub const TOKEN: &str = "2C9KDIKjc4ck0cokpIR2tR5cIrgw2pzA";
/// The production host Help Scout's links point at; the connector must never go there.
pub const PROD: &str = "https://api.helpscout.net";
pub const CONVERSATIONS: &str = "/v2/conversations";
pub const USERS: &str = "/v2/users";
pub const TOKEN_PATH: &str = "/v2/oauth2/token";

/// The kit's fast retries, with `Retry-After` honoured up to 3 s.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retry_after: Duration::from_secs(3),
        ..testkit::fast_retry()
    }
}

pub fn settings(server: &MockServer) -> HelpScoutSettings {
    // The mock is not rate limited (`requests_per_minute` 0 keeps the tests fast).
    testkit::settings_of::<HelpScout>(json!({
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "base_url": server.uri(),
        "requests_per_minute": 0, "lookback_minutes": 10
    }))
}

/// The fixtures are dated up to November 2026: the clock is pinned after them, so no
/// bookmark is ahead of it whatever the machine's date.
pub fn connector(server: &MockServer) -> HelpScoutConnector {
    connector_with(settings(server))
}

/// The connector of `s`, with the kit's fast retries and the clock pinned as above.
pub fn connector_with(s: HelpScoutSettings) -> HelpScoutConnector {
    under_test(
        HelpScoutConnector::new(s),
        "2026-12-01T00:00:00Z".parse().unwrap(),
    )
}

/// The documented client-credentials exchange: the exact JSON body, Help Scout's answer.
pub fn token_mock(token: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_json(json!({
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        })))
        .respond_with(token_answer(token))
}

/// Help Scout's answer to a token request: `token`, valid two days.
pub fn token_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "bearer", "access_token": token, "expires_in": 172800
    }))
}

pub async fn mount_token(server: &MockServer) {
    token_mock(TOKEN).mount(server).await;
}

/// A mock server answering the token request, as most tests start.
pub async fn token_server() -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    server
}

/// The JSON file `name` of `tests/fixtures/{dir}`.
fn json_fixture(dir: &str, name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A test payload of Help Scout's PHP SDK (`tests/fixtures/helpscout-api-php`).
pub fn fixture(name: &str) -> Value {
    json_fixture("helpscout-api-php", name)
}

/// The golden week's data (`tests/fixtures/golden`).
pub fn golden_fixture(name: &str) -> Value {
    json_fixture("golden", name)
}

/// A response example of Help Scout's documentation (`tests/fixtures/helpscout-docs`).
pub fn doc_fixture(name: &str) -> Value {
    json_fixture("helpscout-docs", name)
}

pub const SYSTEM_USERS: &str = "/v3/system-users";

/// The export's `status=spam` pass finding nothing, whatever its `modifiedSince`.
pub async fn mount_no_spam(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(CONVERSATIONS))
        .and(wiremock::matchers::query_param("status", "spam"))
        .and(wiremock::matchers::query_param("sortField", "modifiedAt"))
        .respond_with(empty_page())
        .mount(server)
        .await;
}

/// `GET /v3/system-users` answering the documented empty list (an account without AI agents).
pub async fn mount_no_system_users(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(SYSTEM_USERS))
        .respond_with(hal_page("system_users", vec![], 1, 0, 0))
        .mount(server)
        .await;
}

/// The status history a read emitted for `ticket`: (change id, from, to, author kind).
pub fn history(
    records: &[Record],
    ticket: &str,
) -> Vec<(
    String,
    Option<deskpulse_model::TicketStatus>,
    deskpulse_model::TicketStatus,
    deskpulse_model::AuthorKind,
)> {
    let found: Vec<_> = records
        .iter()
        .filter_map(Record::as_status_history)
        .filter(|h| h.ticket_id == ticket)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one status history for conversation {ticket}"
    );
    assert!(
        found[0].changes.iter().all(|c| c.ticket_id == ticket),
        "every change belongs to {ticket}"
    );
    found[0]
        .changes
        .iter()
        .map(|c| (c.external_id.clone(), c.from, c.to, c.author_kind))
        .collect()
}

/// A conversation shaped like `ConversationPayloads::conversation()` (every field Help Scout
/// sends, bodies and names included, so the connector is seen ignoring them).
pub fn conversation(id: i64, status: &str, created_at: &str, threads: Vec<Value>) -> Value {
    json!({
        "id": id, "number": 15000 + id, "threads": threads.len(), "type": "email",
        "folderId": 493, "status": status, "state": "published", "subject": "Need Help",
        "preview": "I'm having a hard time resolving this", "mailboxId": 85,
        "assignee": {"id": 256, "first": "Mr", "last": "Robot", "email": "none@nowhere.com"},
        "createdBy": {"id": 700 + id, "type": "customer", "email": format!("c{id}@acme.com")},
        "createdAt": created_at,
        "userUpdatedAt": created_at,
        "customerWaitingSince": {"time": created_at, "friendly": "20 hours ago", "latestReplyFrom": "customer"},
        "source": {"type": "email", "via": "customer"},
        "tags": [{"id": 9150, "color": "#929499", "tag": "vip"}],
        "cc": ["bear@normal.com"], "bcc": ["bear@secret.com"],
        "primaryCustomer": {"id": 700 + id, "first": "Vernon", "last": "Bear", "email": format!("c{id}@acme.com")},
        "customFields": [],
        "_links": {"self": {"href": format!("{PROD}/v2/conversations/{id}")}},
        "_embedded": {"threads": threads}
    })
}

/// A thread shaped like `ThreadPayloads::thread()`.
pub fn thread(id: i64, kind: &str, by: (&str, i64), status: &str, created_at: &str) -> Value {
    json!({
        "id": id, "type": kind, "status": status, "state": "published",
        "action": {"type": "default", "associatedEntities": {}},
        "body": "Need Help", "source": {"type": "email", "via": if by.0 == "customer" { "customer" } else { "user" }},
        "createdBy": {"id": by.1, "type": by.0, "first": "Jack", "last": "Sprout", "email": "bear@acme.com"},
        "assignedTo": {"id": 1234, "type": "team", "first": "Jack", "last": "Sprout", "email": "bear@acme.com"},
        "savedReplyId": 0, "to": ["bird@normal.com"], "cc": [], "bcc": [],
        "createdAt": created_at,
        "_embedded": {"attachments": []}
    })
}

/// A conversation as the list sends it without `embed=threads` (`ConversationPayloads`'s
/// shape, no `_embedded`).
pub fn listed(id: i64, status: &str, created_at: &str) -> Value {
    let mut c = conversation(id, status, created_at, vec![]);
    c.as_object_mut().unwrap().remove("_embedded");
    c
}

/// An active conversation with one customer thread.
pub fn simple(id: i64, at: &str) -> Value {
    let first = thread(id * 10, "customer", ("customer", 700 + id), "active", at);
    conversation(id, "active", at, vec![first])
}

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A GET of the export with every documented parameter, for `page` of `modifiedSince`.
pub fn export(since: Option<&str>, page: u64) -> MockBuilder {
    export_status("all", since, page)
}

/// The same, for the `status=spam` pass.
pub fn export_status(status: &str, since: Option<&str>, page: u64) -> MockBuilder {
    let m = list_conversations(status, "modifiedAt", page).and(query_param("embed", "threads"));
    match since {
        Some(s) => m.and(query_param("modifiedSince", s)),
        None => m.and(query_param_is_missing("modifiedSince")),
    }
}

/// The records of one export whose only page (page 1 of `status=all`) is `page`.
pub async fn read_export(page: ResponseTemplate) -> Vec<Record> {
    let server = token_server().await;
    mount_no_spam(&server).await;
    serve(&server, export(None, 1), page).await;
    records(&read_ok(&connector(&server), "conversations", None).await)
}

/// List Conversations: `GET /v2/conversations?status=…&sortField=…&sortOrder=asc&page=N`.
pub fn list_conversations(status: &str, sort_field: &str, page: u64) -> MockBuilder {
    get(CONVERSATIONS, Some(page))
        .and(query_param("status", status))
        .and(query_param("sortField", sort_field))
        .and(query_param("sortOrder", "asc"))
}

/// `GET path`, of page `page` if given (of any page otherwise).
pub fn get(p: &str, page: Option<u64>) -> MockBuilder {
    let m = Mock::given(method("GET")).and(path(p));
    match page {
        Some(n) => m.and(query_param("page", n.to_string())),
        None => m,
    }
}

/// A response example of Help Scout's documentation, as Help Scout answers it.
pub fn doc_response(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(doc_fixture(name))
}

/// `m` answering `page`, mounted on `server`.
pub async fn serve(server: &MockServer, m: MockBuilder, page: ResponseTemplate) {
    m.respond_with(page).mount(server).await;
}

/// One stream synced into `store` as `deskpulse sync` does it (default options).
pub async fn sync<S: CheckpointStore>(
    c: &dyn Connector,
    source: &str,
    stream: &str,
    store: &S,
) -> StreamOutcome {
    let opts = SyncOptions::default();
    sync_stream(c, source, stream, store, &opts, &NoProgress)
        .await
        .unwrap()
}

/// A HAL page of conversations (`_embedded` left out when there are none, like Help Scout),
/// with `_links` on the production host and without the query, like Help Scout's.
pub fn conv_page(
    convs: Vec<Value>,
    number: u64,
    total_pages: u64,
    total_elements: u64,
) -> ResponseTemplate {
    hal_page("conversations", convs, number, total_pages, total_elements)
}

/// Help Scout's answer to a list of conversations that finds none.
pub fn empty_page() -> ResponseTemplate {
    conv_page(vec![], 1, 0, 0)
}

pub fn hal_page(
    key: &str,
    items: Vec<Value>,
    number: u64,
    total_pages: u64,
    total_elements: u64,
) -> ResponseTemplate {
    let body = hal_body(key, items, number, total_pages, total_elements);
    ResponseTemplate::new(200).set_body_json(body)
}

/// The JSON of a HAL page, as `hal_page` answers it.
pub fn hal_body(
    key: &str,
    items: Vec<Value>,
    number: u64,
    total_pages: u64,
    total_elements: u64,
) -> Value {
    let mut body = json!({
        "page": {"size": 25, "totalElements": total_elements, "totalPages": total_pages, "number": number},
        "_links": {
            "self": {"href": format!("{PROD}/v2/{key}")},
            "next": {"href": format!("{PROD}/v2/{key}?page={}", number + 1)},
            "first": {"href": format!("{PROD}/v2/{key}?page=1")},
            "last": {"href": format!("{PROD}/v2/{key}?page={total_pages}")},
            "page": {"href": format!("{PROD}/v2/{key}{{?page}}"), "templated": true}
        }
    });
    if !items.is_empty() {
        body["_embedded"] = json!({ key: items });
    }
    body
}

/// A person agent, as the users stream emits one.
pub fn agent(id: &str, name: &str) -> Record {
    Record::Agent(deskpulse_model::Agent {
        external_id: id.into(),
        name: name.into(),
        is_bot: false,
    })
}

/// The AI agent of the documented `GET /v3/system-users` example, as a bot.
pub fn ai_agent() -> Record {
    Record::Agent(deskpulse_model::Agent {
        external_id: "155250".into(),
        name: "AI Agent".into(),
        is_bot: true,
    })
}
