//! What the tests share: the ids and credentials, the connector built against a mock server
//! with a pinned clock, Google's token exchange, the reviews list's mocks, review and page
//! builders shaped like the v4 reference, and the fixture files.

use chrono::{DateTime, Utc};
use deskpulse_connector::http::RetryPolicy;
use deskpulse_connector::testkit::under_test;
use deskpulse_connector::{Secret, testkit};
use deskpulse_connector_google_business_profile::{
    GoogleBusinessProfileConnector, GoogleBusinessProfileSettings,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Match, Mock, MockBuilder, MockServer, Request, ResponseTemplate};

pub const ACCOUNT: &str = "108345521976543210987";
pub const LOCATION: &str = "4471862208765432109";
pub const REVIEWS: &str =
    "/v4/accounts/108345521976543210987/locations/4471862208765432109/reviews";
pub const TOKEN_PATH: &str = "/oauth2/token";
pub const CLIENT_ID: &str = "81234567890-gbp.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "GOCSPX-cl1ent-S3cret-Zq9";
/// Google's refresh tokens start with `1//`: the form encoding must carry it intact.
pub const REFRESH_TOKEN: &str = "1//0gRefresh-T0ken-xYz7Qw";
pub const ACCESS_TOKEN: &str = "ya29.a0AccessT0ken-first-4f1c";
/// The `nextPageToken` of the reference's example page.
pub const PAGE2_TOKEN: &str = "CiAKGjBpNDd2Nmp2Zk1DRWdWa2tLMFhNN3dZEAIaAA";

/// The pinned "now": after every fixture time, inside the golden week 2026-W46.
pub fn now() -> DateTime<Utc> {
    "2026-11-15T12:00:00Z".parse().unwrap()
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn fast_retry() -> RetryPolicy {
    testkit::fast_retry()
}

/// Settings against `server`: API and token endpoint both on it, no client-side limit.
pub fn settings(server: &MockServer) -> GoogleBusinessProfileSettings {
    GoogleBusinessProfileSettings {
        account_id: Some(ACCOUNT.into()),
        location_id: Some(LOCATION.into()),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(Secret::new(CLIENT_SECRET)),
        refresh_token: Some(Secret::new(REFRESH_TOKEN)),
        token_url: Some(format!("{}{TOKEN_PATH}", server.uri())),
        base_url: Some(server.uri()),
        requests_per_minute: 0,
        ..GoogleBusinessProfileSettings::default()
    }
}

pub fn connector(server: &MockServer) -> GoogleBusinessProfileConnector {
    connector_with(settings(server))
}

/// The connector of `s`, with fast retries and the clock pinned at [`now`].
pub fn connector_with(s: GoogleBusinessProfileSettings) -> GoogleBusinessProfileConnector {
    under_test(GoogleBusinessProfileConnector::new(s), now())
}

/// A form body (`application/x-www-form-urlencoded`) holding every pair.
pub struct FormHas(pub Vec<(&'static str, &'static str)>);

impl Match for FormHas {
    fn matches(&self, req: &Request) -> bool {
        let got: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        self.0
            .iter()
            .all(|(k, v)| got.iter().any(|(gk, gv)| gk == k && gv == v))
    }
}

/// Google's token endpoint for the refresh-token grant (RFC 6749 §6, as Google's OAuth 2.0
/// guide sends it: client id and secret in the form), answering `access`.
pub fn token_mock(access: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(FormHas(vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", REFRESH_TOKEN),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ]))
        .respond_with(token_answer(access))
}

/// Google's answer to a refresh: an access token for an hour, no new refresh token.
pub fn token_answer(access: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access,
        "expires_in": 3599,
        "scope": "https://www.googleapis.com/auth/business.manage",
        "token_type": "Bearer",
    }))
}

pub async fn mount_token(server: &MockServer) {
    token_mock(ACCESS_TOKEN).mount(server).await;
}

/// The reviews list as the connector asks for it: 50 a page, newest update first, and the
/// page token (`None`: the first page, without one).
pub fn list(token: Option<&str>) -> MockBuilder {
    let m = Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(query_param("pageSize", "50"))
        .and(query_param("orderBy", "updateTime desc"));
    match token {
        Some(t) => m.and(query_param("pageToken", t)),
        None => m.and(query_param_is_missing("pageToken")),
    }
}

pub fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A fixture file of `tests/fixtures/google_business_profile/`.
pub fn fixture(name: &str) -> Value {
    let file = format!(
        "{}/tests/fixtures/google_business_profile/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

/// A review of the documented shape: `id`, `stars` (`"ONE"` … `"FIVE"`), written at
/// `created`, last modified at `updated`, with an owner reply last edited at `reply` if given.
pub fn review(id: &str, stars: &str, created: &str, updated: &str, reply: Option<&str>) -> Value {
    let mut v = json!({
        "name": format!("accounts/{ACCOUNT}/locations/{LOCATION}/reviews/{id}"),
        "reviewId": id,
        "reviewer": {"displayName": "A Google user", "isAnonymous": true},
        "starRating": stars,
        "comment": format!("Review {id}"),
        "createTime": created,
        "updateTime": updated,
    });
    if let Some(r) = reply {
        v["reviewReply"] = json!({"comment": format!("Reply to {id}"), "updateTime": r});
    }
    v
}

/// A list page: `reviews`, the location's figures, and the next page's token if any.
pub fn page(reviews: Vec<Value>, average: f64, total: u64, next: Option<&str>) -> Value {
    let mut v = json!({"reviews": reviews, "averageRating": average, "totalReviewCount": total});
    if let Some(n) = next {
        v["nextPageToken"] = json!(n);
    }
    v
}
