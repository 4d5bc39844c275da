//! Shared builders: the fixtures, the connector against a mock server with a pinned clock,
//! and the mounting of one place answer.

use chrono::{DateTime, Utc};
use deskpulse_connector::testkit::read;
use deskpulse_connector::testkit::under_test;
use deskpulse_connector::{Batch, ConnectorError, Record, Secret};
use deskpulse_connector_google_places::{GooglePlacesConnector, GooglePlacesSettings};
use deskpulse_model::{RatingSnapshot, Review};
use serde_json::Value;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const API_KEY: &str = "AIzaSyPlaces-T3st-K3y_0123456789abcdef";

/// The Place ID of the documented New place and of the redacted legacy answer.
pub const SYDNEY: &str = "ChIJN1t_tDeuEmsRUsoyG83frY4";
/// The Place ID of the recorded Quay answer.
pub const QUAY: &str = "ChIJ02qnq0KuEmsRHUJF4zo1x4I";

pub const NEW_PLACE: &str = include_str!("../fixtures/constructed_place_details_new.json");
pub const QUAY_DETAILS: &str = include_str!("../fixtures/PlaceDetailsQuay.json");
pub const REDACTED_DETAILS: &str = include_str!("../fixtures/PlaceDetailsResponse.json");

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// When every test's sync happens (the connector's clock).
pub fn now() -> DateTime<Utc> {
    at("2026-11-12T08:00:00Z")
}

/// Settings for `api` ("new" / "legacy") and `place_id` against `base_url`.
pub fn settings_at(base_url: &str, api: &str, place_id: &str, key: &str) -> GooglePlacesSettings {
    GooglePlacesSettings {
        place_id: Some(place_id.into()),
        api_key: Some(Secret::new(key)),
        api: Some(api.into()),
        base_url: Some(base_url.into()),
        // The mock is not rate limited; keep the tests fast.
        requests_per_minute: 0,
        ..GooglePlacesSettings::default()
    }
}

pub fn connector_with(s: GooglePlacesSettings, clock: DateTime<Utc>) -> GooglePlacesConnector {
    under_test(GooglePlacesConnector::new(s), clock)
}

pub fn connector(server: &MockServer, api: &str, place_id: &str) -> GooglePlacesConnector {
    connector_with(settings_at(&server.uri(), api, place_id, API_KEY), now())
}

/// A server answering every GET with `status` and `body`.
pub async fn answering(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// The `place` stream of `c`, to its end.
pub async fn read_place(c: &GooglePlacesConnector) -> (Vec<Batch>, Option<ConnectorError>) {
    read(c, "place", None).await
}

/// The records of a read that must succeed.
pub async fn place_records(c: &GooglePlacesConnector) -> Vec<Record> {
    let (batches, err) = read_place(c).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(batches.len(), 1, "one request, one batch");
    batches.into_iter().flat_map(|b| b.records).collect()
}

/// The one snapshot among `records`.
pub fn snapshot(records: &[Record]) -> RatingSnapshot {
    let s: Vec<&RatingSnapshot> = records
        .iter()
        .filter_map(Record::as_rating_snapshot)
        .collect();
    assert_eq!(s.len(), 1, "{records:?}");
    s[0].clone()
}

/// The reviews among `records`, in order.
pub fn reviews(records: &[Record]) -> Vec<Review> {
    records
        .iter()
        .filter_map(Record::as_review)
        .cloned()
        .collect()
}

/// The error of a read that must fail after no batch.
pub async fn place_error(c: &GooglePlacesConnector) -> ConnectorError {
    let (batches, err) = read_place(c).await;
    assert!(batches.is_empty(), "{batches:?}");
    err.expect("the read must fail")
}
