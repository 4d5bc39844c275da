//! What the tests share: the brand account, the fixture files, X-shaped posts (the fields of
//! `constructed_mentions_page.json`), the connector built against a mock server with its
//! clock pinned, the mocks of the three endpoints, and the mentions of a read.

use chrono::{DateTime, Utc};
use deskpulse_connector::testkit::under_test;
pub use deskpulse_connector::testkit::{checkpoints, read, read_ok, records};
use deskpulse_connector::{Record, Secret};
use deskpulse_connector_x::{XConnector, XSettings};
use deskpulse_model::SocialInteraction;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The brand account.
pub const BRAND: &str = "1500000000000000001";
pub const TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAXq9-Bearer-Tk7Wc";

pub fn user_path() -> String {
    format!("/2/users/{BRAND}")
}
pub fn mentions_path() -> String {
    format!("/2/users/{BRAND}/mentions")
}
pub fn tweets_path() -> String {
    format!("/2/users/{BRAND}/tweets")
}

/// The clock the connectors run on: after every fixture date.
pub fn now() -> DateTime<Utc> {
    at("2026-11-13T12:00:00Z")
}

pub fn at(t: &str) -> DateTime<Utc> {
    t.parse().unwrap()
}

/// `now` − 7 days (the default rescan window), as X's `start_time`.
pub const WINDOW: &str = "2026-11-06T12:00:00Z";

/// Customers who mention the brand.
pub const C1: &str = "2900000000000000021";
pub const C2: &str = "2900000000000000022";

/// A fixture file of `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// A post with the fields of the documented mentions page; `replied_to` = the post it
/// answers.
pub fn post(id: &str, author: &str, created: &str, replied_to: Option<&str>) -> Value {
    let mut p = json!({
        "edit_history_tweet_ids": [id],
        "id": id,
        "text": format!("@exampleoutdoor secret text of {id}"),
        "author_id": author,
        "created_at": created,
        "conversation_id": replied_to.unwrap_or(id),
    });
    if let Some(r) = replied_to {
        p["referenced_tweets"] = json!([{"type": "replied_to", "id": r}]);
    }
    p
}

/// A brand post answering `to` (or none), as the brand's timeline lists it.
pub fn brand_post(id: &str, created: &str, to: Option<&str>) -> Value {
    let mut p = json!({
        "edit_history_tweet_ids": [id],
        "id": id,
        "text": format!("brand text of {id}"),
        "created_at": created,
    });
    if let Some(r) = to {
        p["referenced_tweets"] = json!([{"type": "replied_to", "id": r}]);
    }
    p
}

/// A timeline page as X answers it (`data` left out when empty, as X does).
pub fn page(posts: Vec<Value>, next: Option<&str>) -> Value {
    let mut meta = json!({"result_count": posts.len()});
    if let (Some(first), Some(last)) = (posts.first(), posts.last()) {
        meta["newest_id"] = first["id"].clone();
        meta["oldest_id"] = last["id"].clone();
    }
    if let Some(n) = next {
        meta["next_token"] = json!(n);
    }
    if posts.is_empty() {
        json!({"meta": meta})
    } else {
        json!({"data": posts, "meta": meta})
    }
}

pub fn settings(server: &MockServer) -> XSettings {
    XSettings {
        user_id: Some(BRAND.into()),
        bearer_token: Some(Secret::new(TOKEN)),
        base_url: Some(server.uri()),
        // The mock is not rate limited; keep the tests fast.
        user_requests_per_15_minutes: 0,
        mentions_requests_per_15_minutes: 0,
        tweets_requests_per_15_minutes: 0,
        ..XSettings::default()
    }
}

/// The connector of `s`, with the kit's fast retries and the clock pinned at `clock`.
pub fn connector_at(s: XSettings, clock: DateTime<Utc>) -> XConnector {
    under_test(XConnector::new(s), clock)
}

pub fn connector(server: &MockServer) -> XConnector {
    connector_at(settings(server), now())
}

/// `GET /2/users/{id}?user.fields=public_metrics` with the token → `body`.
pub async fn mount_user(server: &MockServer, body: Value) {
    Mock::given(method("GET"))
        .and(path(user_path()))
        .and(header("authorization", format!("Bearer {TOKEN}")))
        .and(query_param("user.fields", "public_metrics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A timeline page of `path_` for `start_time` and `token` (none: the first page) → `body`.
pub async fn mount_timeline(
    server: &MockServer,
    path_: &str,
    fields: &str,
    start_time: &str,
    token: Option<&str>,
    body: Value,
) {
    let m = Mock::given(method("GET"))
        .and(path(path_))
        .and(header("authorization", format!("Bearer {TOKEN}")))
        .and(query_param("tweet.fields", fields))
        .and(query_param("start_time", start_time))
        .and(query_param("max_results", "100"));
    let m = match token {
        Some(t) => m.and(query_param("pagination_token", t)),
        None => m.and(query_param_is_missing("pagination_token")),
    };
    m.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

pub const MENTION_FIELDS: &str = "author_id,created_at,conversation_id,referenced_tweets";
pub const REPLY_FIELDS: &str = "created_at,referenced_tweets";

pub async fn mount_mentions(server: &MockServer, start: &str, token: Option<&str>, body: Value) {
    mount_timeline(server, &mentions_path(), MENTION_FIELDS, start, token, body).await;
}

pub async fn mount_tweets(server: &MockServer, start: &str, token: Option<&str>, body: Value) {
    mount_timeline(server, &tweets_path(), REPLY_FIELDS, start, token, body).await;
}

/// The mentions since [`WINDOW`], in one page.
pub async fn serve_mentions(server: &MockServer, mentions: Vec<Value>) {
    mount_mentions(server, WINDOW, None, page(mentions, None)).await;
}

/// The window from `start` in one page each: the `mentions`, and the brand's posts.
pub async fn serve_window(
    server: &MockServer,
    start: &str,
    mentions: Vec<Value>,
    brand: Vec<Value>,
) {
    mount_mentions(server, start, None, page(mentions, None)).await;
    mount_tweets(server, start, None, page(brand, None)).await;
}

/// The mentions among `records`, in order.
pub fn mentions(records: &[Record]) -> Vec<SocialInteraction> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::SocialInteraction(i) => Some(i.clone()),
            _ => None,
        })
        .collect()
}

/// (id, replied_at) of each mention, in order.
pub fn replies(records: &[Record]) -> Vec<(String, Option<DateTime<Utc>>)> {
    mentions(records)
        .into_iter()
        .map(|m| (m.external_id, m.replied_at))
        .collect()
}
