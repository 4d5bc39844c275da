//! What the Google Play tests share: the test key, the mock token endpoint, review payloads
//! in the documented `reviews.list` shape, and a connector pointed at a mock server.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use deskpulse_connector::testkit::under_test;
use deskpulse_connector_google_play::{GooglePlayConnector, GooglePlaySettings};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const PACKAGE: &str = "com.example.app";
pub const REVIEWS: &str = "/androidpublisher/v3/applications/com.example.app/reviews";
pub const TOKEN_PATH: &str = "/token";
/// What the mock token endpoint hands out.
pub const ACCESS_TOKEN: &str = "ya29.c.test-access-token-5d1e9b";

/// The test key file (its `token_uri` is Google's).
pub fn key_path() -> String {
    format!(
        "{}/tests/fixtures/keys/google_service_account_test.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

pub fn key_file() -> String {
    std::fs::read_to_string(key_path()).expect("the test key file")
}

/// A payload file of `tests/fixtures`.
pub fn fixture(name: &str) -> Value {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("fixture")).expect("fixture JSON")
}

/// The instant the tests' clock is pinned to (the snapshot's `observed_at`).
pub fn now() -> DateTime<Utc> {
    "2026-11-15T12:00:00Z".parse().unwrap()
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Settings for a mock server at `uri`: the test key, its grant sent to `{uri}/token`, no
/// client-side rate limit.
pub fn settings(uri: &str) -> GooglePlaySettings {
    GooglePlaySettings {
        package_name: Some(PACKAGE.into()),
        service_account_path: Some(key_path()),
        base_url: Some(uri.to_owned()),
        token_url: Some(format!("{uri}{TOKEN_PATH}")),
        requests_per_hour: 0,
        ..GooglePlaySettings::default()
    }
}

/// The connector for `settings`, with fast retries and the clock pinned at `now()`.
pub fn build(settings: GooglePlaySettings) -> GooglePlayConnector {
    under_test(GooglePlayConnector::new(settings), now())
}

pub fn connector(server: &MockServer) -> GooglePlayConnector {
    build(settings(&server.uri()))
}

/// The token endpoint's answer (RFC 6749 §5.1, as Google's token endpoint gives it).
pub fn token_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token, "expires_in": 3599, "token_type": "Bearer"
    }))
}

pub async fn mount_token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_answer(ACCESS_TOKEN))
        .mount(server)
        .await;
}

/// The private key's base64 body (a line of it is enough to recognise it).
pub fn key_line() -> String {
    let key: Value = serde_json::from_str(&key_file()).unwrap();
    key["private_key"]
        .as_str()
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned()
}

/// The one page of `reviews.list`: `reviews`.
pub async fn serve_reviews(server: &MockServer, reviews: Vec<Value>) {
    mount_page(server, None, page(reviews, None)).await;
}

/// Mounts one page of `reviews.list`: the first (no `token`) or the one of `token`, for
/// requests that carry the access token.
pub async fn mount_page(server: &MockServer, token: Option<&str>, body: Value) {
    let m = Mock::given(method("GET")).and(path(REVIEWS)).and(header(
        "authorization",
        format!("Bearer {ACCESS_TOKEN}").as_str(),
    ));
    let m = match token {
        Some(t) => m.and(query_param("token", t)),
        None => m.and(query_param_is_missing("token")),
    };
    m.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A `Timestamp` as Google writes it: `seconds` as text.
pub fn ts(at: &str) -> Value {
    let t: DateTime<Utc> = at.parse().unwrap();
    json!({"seconds": t.timestamp().to_string(), "nanos": t.timestamp_subsec_nanos()})
}

/// A review in the documented shape: the user's comment (`stars`, `text`, last modified
/// `modified`) and, optionally, the developer's reply `(text, last modified)`.
pub fn review(
    id: &str,
    stars: u8,
    text: &str,
    modified: &str,
    reply: Option<(&str, &str)>,
) -> Value {
    let mut comments = vec![json!({"userComment": {
        "text": text,
        "lastModified": ts(modified),
        "starRating": stars,
        "reviewerLanguage": "en",
        "device": "a54x",
        "androidOsVersion": 34,
        "appVersionCode": 50401,
        "appVersionName": "5.4.1",
        "thumbsUpCount": 0,
        "thumbsDownCount": 0
    }})];
    if let Some((reply, replied)) = reply {
        comments.push(json!({"developerComment": {"text": reply, "lastModified": ts(replied)}}));
    }
    json!({"reviewId": id, "authorName": "A User", "comments": comments})
}

/// A `reviews.list` page: `reviews`, and a next page token if there is one.
pub fn page(reviews: Vec<Value>, next: Option<&str>) -> Value {
    let mut p = json!({
        "reviews": reviews,
        "pageInfo": {"totalResults": 0, "resultPerPage": 100, "startIndex": 0}
    });
    p["pageInfo"]["totalResults"] = json!(p["reviews"].as_array().map_or(0, Vec::len));
    if let Some(t) = next {
        p["tokenPagination"] = json!({"nextPageToken": t});
    }
    p
}
