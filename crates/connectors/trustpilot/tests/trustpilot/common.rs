//! What the tests share: the credentials, the fixture files, Trustpilot-shaped reviews (the
//! fields of `constructed_public_reviews_page.json`), the connector built against a mock
//! server (public, or private with business-user OAuth), the mocks of the endpoints, and the
//! reviews of a read.

use deskpulse_connector::Clock;
use deskpulse_connector::Record;
use deskpulse_connector::Secret;
use deskpulse_connector::testkit;
pub use deskpulse_connector::testkit::{checkpoints, read, read_ok, records};
use deskpulse_connector_trustpilot::{TrustpilotConnector, TrustpilotSettings};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

pub const BU: &str = "5f1e7c0b2a9d4b0001a1b2c3";
pub const API_KEY: &str = "tp-ApiKey-7Hq2wXz";
pub const API_SECRET: &str = "tp-ApiS3cret-Lm9v";
pub const REFRESH: &str = "tp-Refresh-Rk4Tz8Qa";
pub const ACCESS: &str = "tp-Access-Jx2Wc5Ne";
/// Where the public reviews live (on the mock server, which stands for `…/v1`).
pub fn public_reviews() -> String {
    format!("/business-units/{BU}/reviews")
}
pub fn private_reviews() -> String {
    format!("/private/business-units/{BU}/reviews")
}
pub const TOKEN_PATH: &str = "/oauth/oauth-business-users-for-applications/refresh";

/// The clock the connectors run on: after every fixture date.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-13T12:00:00Z".parse().unwrap()
}

/// A fixture file of `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// `GET /business-units/{BU}`: add the conditions and the answer.
pub fn business_unit() -> MockBuilder {
    Mock::given(method("GET")).and(path(format!("/business-units/{BU}")))
}

/// The documented business unit (`constructed_business_unit.json`), as Trustpilot answers it.
pub fn documented_business_unit() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(fixture("constructed_business_unit.json"))
}

/// The documented business unit, asked for once, with the API key.
pub async fn serve_business_unit(server: &MockServer) {
    business_unit()
        .and(header("apikey", API_KEY))
        .respond_with(documented_business_unit())
        .expect(1)
        .mount(server)
        .await;
}

/// A review with the fields of the public fixture page; `reply` = (text, createdAt).
pub fn review(id: &str, stars: i64, created: &str, reply: Option<(&str, &str)>) -> Value {
    json!({
        "id": id,
        "consumer": {"id": format!("c-{id}"), "displayName": "Someone", "displayLocation": null, "numberOfReviews": 1},
        "businessUnit": {"id": BU, "identifyingName": "exampleoutdoor.com", "displayName": "Example Outdoor Store"},
        "stars": stars,
        "title": format!("Title of {id}"),
        "text": format!("Text of {id}"),
        "language": "en",
        "location": null,
        "createdAt": created,
        "experiencedAt": created,
        "updatedAt": null,
        "companyReply": reply.map(|(text, at)| json!({"text": text, "createdAt": at, "updatedAt": null})),
        "isVerified": true,
        "numberOfLikes": 0,
        "status": "active",
        "countsTowardsTrustScore": true,
    })
}

/// A reviews page as Trustpilot answers it (with its production-host `links`).
pub fn page(reviews: Vec<Value>) -> Value {
    json!({
        "links": [{"href": format!("https://api.trustpilot.com/v1/business-units/{BU}/reviews?page=99"), "method": "GET", "rel": "next-page"}],
        "reviews": reviews,
    })
}

pub fn settings(server: &MockServer) -> TrustpilotSettings {
    TrustpilotSettings {
        business_unit_id: Some(BU.into()),
        api_key: Some(Secret::new(API_KEY)),
        base_url: Some(server.uri()),
        // The mock is not rate limited; keep the tests fast.
        requests_per_minute: 0,
        ..TrustpilotSettings::default()
    }
}

/// `settings` with business-user OAuth (the private endpoint).
pub fn private_settings(server: &MockServer) -> TrustpilotSettings {
    TrustpilotSettings {
        client_id: Some(Secret::new(API_KEY)),
        client_secret: Some(Secret::new(API_SECRET)),
        refresh_token: Some(Secret::new(REFRESH)),
        ..settings(server)
    }
}

/// The connector of `s`, with the kit's fast retries and the clock pinned at [`now`].
pub fn connector_with(s: TrustpilotSettings) -> TrustpilotConnector {
    TrustpilotConnector::new(s)
        .unwrap()
        .with_retry_policy(testkit::fast_retry())
        .with_clock(Clock::fixed(now()))
}

pub fn connector(server: &MockServer) -> TrustpilotConnector {
    connector_with(settings(server))
}

/// `GET path?page=n&perPage=per&orderBy=createdat.desc` with the API key → `body`.
pub async fn mount_page(server: &MockServer, path_: &str, n: u64, per: u32, body: Value) {
    Mock::given(method("GET"))
        .and(path(path_))
        .and(query_param("page", n.to_string()))
        .and(query_param("perPage", per.to_string()))
        .and(query_param("orderBy", "createdat.desc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// The public reviews pages 1, 2, … of `pages`, asked with the API key.
pub async fn mount_public(server: &MockServer, per: u32, pages: Vec<Vec<Value>>) {
    for (i, p) in pages.into_iter().enumerate() {
        Mock::given(method("GET"))
            .and(path(public_reviews()))
            .and(header("apikey", API_KEY))
            .and(query_param("page", (i + 1).to_string()))
            .and(query_param("perPage", per.to_string()))
            .and(query_param("orderBy", "createdat.desc"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(p)))
            .mount(server)
            .await;
    }
}

/// Trustpilot's token answer (`expires_in` as text, as its docs show it).
pub fn token_answer(access: &str, refresh: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": "359999",
    }))
}

/// The reviews among `records`, in order.
pub fn reviews(records: &[Record]) -> Vec<deskpulse_model::Review> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Review(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// The ids of the reviews among `records`, in order.
pub fn ids(records: &[Record]) -> Vec<String> {
    reviews(records)
        .into_iter()
        .map(|r| r.external_id)
        .collect()
}
