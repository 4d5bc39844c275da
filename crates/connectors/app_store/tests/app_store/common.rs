//! What every test of the App Store Connect connector shares: the test key, settings and a
//! connector on a mock server with a pinned clock, the fixture files, and pages built in
//! Apple's documented shape (`customerReviews` in `data`, `customerReviewResponses` in
//! `included`, an absolute `links.next`, `meta.paging.total`).

use chrono::{DateTime, Utc};
use deskpulse_connector::testkit::under_test;
use deskpulse_connector_app_store::{AppStoreConnector, AppStoreSettings};
use serde_json::{Value, json};

pub const APP: &str = "1234567890";
pub const REVIEWS: &str = "/v1/apps/1234567890/customerReviews";
pub const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";
pub const KEY_ID: &str = "2X9R4HXF34";
/// Apple's host, as its next links name it.
pub const APPLE: &str = "https://api.appstoreconnect.apple.com";

/// The test-only `.p8` key (`tests/fixtures/keys/PROVENANCE.md`).
pub fn key_path() -> String {
    format!(
        "{}/tests/fixtures/keys/asc_test_key.p8",
        env!("CARGO_MANIFEST_DIR")
    )
}

pub fn key_pem() -> String {
    std::fs::read_to_string(key_path()).unwrap()
}

/// The test key's public point (uncompressed P-256), to verify signatures.
pub fn public_key() -> Vec<u8> {
    let hex = std::fs::read_to_string(format!(
        "{}/tests/fixtures/keys/asc_test_key.pub.hex",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let hex = hex.trim();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// A fixture file of `tests/fixtures`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Complete settings against `base_url`, with no client-side rate limit.
pub fn settings(base_url: &str) -> AppStoreSettings {
    AppStoreSettings {
        issuer_id: Some(ISSUER.into()),
        key_id: Some(KEY_ID.into()),
        private_key_path: Some(key_path()),
        app_id: Some(APP.into()),
        base_url: Some(base_url.into()),
        requests_per_minute: 0,
        ..AppStoreSettings::default()
    }
}

/// The time every test's clock stands at (after every fixture review).
pub const NOW: &str = "2024-08-01T12:00:00Z";

/// A connector from `s`, its clock pinned at `now`, retrying fast.
pub fn connector_with(s: AppStoreSettings, now: &str) -> AppStoreConnector {
    under_test(AppStoreConnector::new(s), at(now))
}

pub fn connector(base_url: &str) -> AppStoreConnector {
    connector_with(settings(base_url), NOW)
}

/// A response to a review: `(id, state, body, lastModifiedDate)`.
pub type Response<'a> = (&'a str, &'a str, &'a str, &'a str);

/// A `customerReviews` resource with `include=response`'s linkage (`data: null` without a
/// response), and its response resource for `included`.
pub fn review(
    id: &str,
    rating: i64,
    created: &str,
    response: Option<Response<'_>>,
) -> (Value, Option<Value>) {
    let linkage = response.map(|(rid, ..)| json!({"type": "customerReviewResponses", "id": rid}));
    let r = json!({
        "type": "customerReviews",
        "id": id,
        "attributes": {
            "rating": rating,
            "title": format!("title {id}"),
            "body": format!("body {id}"),
            "reviewerNickname": "someone",
            "createdDate": created,
            "territory": "USA"
        },
        "relationships": {"response": {
            "data": linkage,
            "links": {"self": format!("{APPLE}/v1/customerReviews/{id}/relationships/response")}
        }},
        "links": {"self": format!("{APPLE}/v1/customerReviews/{id}")}
    });
    let included = response.map(|(rid, state, body, modified)| {
        json!({
            "type": "customerReviewResponses",
            "id": rid,
            "attributes": {"responseBody": body, "lastModifiedDate": modified, "state": state},
            "links": {"self": format!("{APPLE}/v1/customerReviewResponses/{rid}")}
        })
    });
    (r, included)
}

/// A page of the list: its reviews (with their responses side-loaded), Apple's absolute
/// next link for `cursor` (none on the last page), and `meta.paging.total`.
pub fn page(reviews: Vec<(Value, Option<Value>)>, cursor: Option<&str>, total: u64) -> Value {
    let limit = 200;
    let (data, included): (Vec<Value>, Vec<Option<Value>>) = reviews.into_iter().unzip();
    let mut links = json!({"self": format!("{APPLE}{REVIEWS}?include=response&sort=-createdDate&limit={limit}")});
    if let Some(c) = cursor {
        links["next"] = json!(next_url(c));
    }
    json!({
        "data": data,
        "included": included.into_iter().flatten().collect::<Vec<_>>(),
        "links": links,
        "meta": {"paging": {"total": total, "limit": limit}}
    })
}

/// Apple's next link for `cursor` (on Apple's host: the connector rebases it).
pub fn next_url(cursor: &str) -> String {
    format!("{APPLE}{REVIEWS}?cursor={cursor}&include=response&sort=-createdDate&limit=200")
}
