//! The `[[sources]]` keys: defaults, errors naming the key to fix, the secret never in
//! `Debug`, and the registration the CLI lists (kind, streams, coverage).

use deskpulse_connector::registry::check_kind;
use deskpulse_connector::testkit::SettingsCases;
use deskpulse_connector::{ConnectorFactory, ConnectorKind, HttpConnector as _, Secret};
use deskpulse_connector_yelp::{DEFAULT_BASE_URL, Yelp, YelpConnector, YelpSettings};
use deskpulse_model::ReviewCoverage;
use serde_json::json;

fn valid() -> YelpSettings {
    YelpSettings {
        business_id: Some("yelp-san-francisco".into()),
        api_key: Some(Secret::new("key")),
        ..YelpSettings::default()
    }
}

#[test]
fn every_key_and_the_defaults() {
    assert_eq!(
        <Yelp as ConnectorFactory>::settings_keys(),
        [
            "business_id",
            "api_key",
            "base_url",
            "requests_per_minute",
            "locale"
        ]
    );
    let s: YelpSettings = serde_json::from_value(json!({
        "business_id": "4kMBvIEWPxWkWKFN__8SxQ", "api_key": "k", "base_url": "http://127.0.0.1:1",
        "requests_per_minute": 10, "locale": "fr_FR"
    }))
    .unwrap();
    assert_eq!(
        (s.requests_per_minute, s.locale.as_deref()),
        (10, Some("fr_FR"))
    );
    let d: YelpSettings = serde_json::from_value(json!({"business_id": "x"})).unwrap();
    assert_eq!(
        (d.requests_per_minute, d.locale, d.base_url),
        (60, None, None)
    );
    let c = YelpConnector::new(valid()).unwrap();
    assert_eq!(c.base_url().as_str(), "https://api.yelp.com/");
    assert_eq!(DEFAULT_BASE_URL, "https://api.yelp.com");
}

#[test]
fn errors_name_the_key_and_the_fix() {
    SettingsCases::new(
        &Yelp,
        json!({"business_id": "yelp-san-francisco", "api_key": "key"}),
    )
    .required(&["business_id", "api_key"])
    .bad(
        "business_id",
        &[json!("https://www.yelp.com/biz/yelp-san-francisco")],
    )
    .bad("business_id", &[json!("yelp san francisco")])
    .saying(&["after `/biz/`"])
    .bad("locale", &[json!("english"), json!("xx")])
    .bad("locale", &[json!("en-us")])
    .saying(&["like `en_US`"])
    .unknown(&["page_size"])
    .check();
}

#[test]
fn debug_never_shows_the_api_key() {
    let s = YelpSettings {
        api_key: Some(Secret::new("yelp-secret-77")),
        ..valid()
    };
    let d = format!("{s:?}");
    assert!(
        !d.contains("yelp-secret-77") && d.contains("REDACTED"),
        "{d}"
    );
    assert_eq!(Yelp.secret_keys(), ["api_key"]);
}

#[test]
fn the_kind_declares_streams_coverage_and_probe() {
    assert_eq!(check_kind(&Yelp), Vec::<String>::new());
    assert_eq!(Yelp::KIND, "yelp");
    assert_eq!(
        Yelp::STREAMS.iter().map(|s| s.name).collect::<Vec<_>>(),
        ["business", "reviews"]
    );
    assert_eq!(Yelp::COVERAGE, Some(ReviewCoverage::AggregateSample));
    assert_eq!(Yelp.coverage(), Some(ReviewCoverage::AggregateSample));
    assert_eq!(Yelp.probe_stream(), "business");
    // No tickets: no ticket KPI to declare unsupported or unreconcilable.
    assert!(Yelp::LIMITS.is_empty() && Yelp::UNRECONCILABLE.is_empty());
}

#[test]
fn the_registry_builds_from_the_cli_json_and_names_a_bad_key() {
    // Environment overrides arrive as text: `"30"` is still a number.
    let ok = Yelp.build(&json!({"business_id": "x", "api_key": "k", "requests_per_minute": "30"}));
    assert!(ok.is_ok(), "{:?}", ok.err());
    let Err(e) = Yelp.build(&json!({"api_key": "k"})) else {
        panic!("a source without business_id must be refused")
    };
    assert_eq!(e.key, "business_id");
    let Err(e) = Yelp.build(&json!({"business_id": "x", "api_key": "k", "locale": "xx"})) else {
        panic!("a bad locale must be refused")
    };
    assert_eq!(e.key, "locale");
}
