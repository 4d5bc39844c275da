//! The `[[sources]]` keys: defaults, errors naming the key to fix, the secret never in
//! `Debug`, and the registration the CLI lists (kind, streams, coverage).

use deskpulse_connector::registry::check_kind;
use deskpulse_connector::{ConnectorFactory, ConnectorKind, HttpConnector as _, Secret, testkit};
use deskpulse_connector_yelp::{
    DEFAULT_BASE_URL, Yelp, YelpConnector, YelpSettings, settings_keys,
};
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
    assert_eq!(settings_keys(), <Yelp as ConnectorFactory>::settings_keys());
    assert_eq!(
        settings_keys(),
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
    type Change = fn(&mut YelpSettings);
    let cases: [(Change, &str); 10] = [
        (|s| s.business_id = None, "`business_id` is not set"),
        (
            |s| s.business_id = Some("  ".into()),
            "`business_id` is not set",
        ),
        (
            |s| s.business_id = Some("https://www.yelp.com/biz/yelp-san-francisco".into()),
            "`business_id`",
        ),
        (
            |s| s.business_id = Some("yelp san francisco".into()),
            "after `/biz/`",
        ),
        (|s| s.api_key = None, "`api_key` is not set"),
        (|s| s.api_key = Some(Secret::new(" ")), "`api_key`"),
        (|s| s.base_url = Some("not a url".into()), "`base_url`"),
        (|s| s.base_url = Some("ftp://h".into()), "`base_url`"),
        (|s| s.locale = Some("english".into()), "`locale`"),
        (|s| s.locale = Some("en-us".into()), "like `en_US`"),
    ];
    for (change, needle) in cases {
        let mut s = valid();
        change(&mut s);
        let shown = format!("{s:?}");
        let m = testkit::settings_error(YelpConnector::new(s));
        assert!(m.contains(needle), "{needle}: {shown}: {m}");
    }
    // Unknown keys are refused, naming the key.
    let e = serde_json::from_value::<YelpSettings>(json!({"business_id": "x", "page_size": 3}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("page_size"), "{e}");
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
