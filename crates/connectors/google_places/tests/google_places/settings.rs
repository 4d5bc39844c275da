//! Settings: what a `[[sources]]` entry may say, the kind's declaration, and errors that
//! name the key to fix.

use crate::common::*;
use deskpulse_connector::registry::check_kind;
use deskpulse_connector::testkit::SettingsCases;
use deskpulse_connector::{ConnectorFactory, ConnectorKind, HttpConnector as _, Secret};
use deskpulse_connector_google_places::{
    Api, GooglePlaces, GooglePlacesConnector, GooglePlacesSettings,
};
use deskpulse_model::ReviewCoverage;
use serde_json::json;

fn valid() -> GooglePlacesSettings {
    GooglePlacesSettings {
        place_id: Some(SYDNEY.into()),
        api_key: Some(Secret::new(API_KEY)),
        ..GooglePlacesSettings::default()
    }
}

#[test]
fn the_kind_is_well_declared() {
    assert_eq!(check_kind(&GooglePlaces), Vec::<String>::new());
    assert_eq!(GooglePlaces::KIND, "google_places");
    assert_eq!(
        GooglePlaces::COVERAGE,
        Some(ReviewCoverage::AggregateSample)
    );
    assert_eq!(
        GooglePlaces.coverage(),
        Some(ReviewCoverage::AggregateSample)
    );
    let streams: Vec<&str> = GooglePlaces::STREAMS.iter().map(|s| s.name).collect();
    assert_eq!(streams, ["place"]);
    assert_eq!(GooglePlaces.probe_stream(), "place");
    assert!(GooglePlaces::LIMITS.is_empty());
}

#[test]
fn every_key_deserializes_and_only_api_key_is_secret() {
    let all = json!({
        "place_id": SYDNEY, "api_key": "k", "api": "legacy",
        "base_url": "http://127.0.0.1:1", "language": "en", "requests_per_minute": 10
    });
    let mut given: Vec<&str> = all
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut known = <GooglePlaces as ConnectorFactory>::settings_keys().to_vec();
    given.sort_unstable();
    known.sort_unstable();
    assert_eq!(given, known);
    let s: GooglePlacesSettings = serde_json::from_value(all).unwrap();
    assert_eq!(s.requests_per_minute, 10);
    assert_eq!(GooglePlaces.secret_keys(), vec!["api_key"]);
    let shown = format!("{:?}", valid());
    assert!(!shown.contains(API_KEY), "{shown}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
}

#[test]
fn defaults_follow_the_api() {
    let new = GooglePlacesConnector::new(valid()).unwrap();
    assert_eq!(new.api(), Api::New);
    assert_eq!(new.base_url().as_str(), "https://places.googleapis.com/");
    let legacy = GooglePlacesConnector::new(GooglePlacesSettings {
        api: Some("Legacy".into()),
        ..valid()
    })
    .unwrap();
    assert_eq!(legacy.api(), Api::Legacy);
    assert_eq!(legacy.base_url().as_str(), "https://maps.googleapis.com/");
    assert_eq!(GooglePlacesSettings::default().requests_per_minute, 60);
}

#[test]
fn each_bad_setting_names_its_key() {
    SettingsCases::new(
        &GooglePlaces,
        json!({"place_id": SYDNEY, "api_key": API_KEY}),
    )
    .required(&["place_id", "api_key"])
    .bad("place_id", &[json!("https://maps.google.com/?cid=1")])
    .saying(&["must be a Place ID"])
    .bad("place_id", &[json!("a/b")])
    .bad("api", &[json!("v2")])
    .saying(&["must be \"new\""])
    .bad("language", &[json!("en US")])
    .saying(&["must be"])
    .unknown(&["apikey"])
    .check();
}
