//! Settings: keys, defaults, validation messages, no secret in `Debug`.

use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Secret;
use deskpulse_connector::registry::{ConnectorFactory, ConnectorKind};
use deskpulse_connector::testkit::{SettingsCases, debug_hiding, every_key, settings_of};
use deskpulse_connector_freshdesk::{Freshdesk, FreshdeskConnector, FreshdeskSettings};
use serde_json::{Value, json};

fn valid_json() -> Value {
    json!({"domain": "acme", "api_key": "k"})
}

fn valid() -> FreshdeskSettings {
    settings_of::<Freshdesk>(valid_json())
}

#[test]
fn deserializes_every_key() {
    // Every key listed is a key the struct takes, and these nine are the keys listed.
    let s = every_key::<Freshdesk>(json!({
        "domain": "acme",
        "api_key": "k",
        "base_url": "http://127.0.0.1:9",
        "start_date": "2026-01-01",
        "page_size": 50,
        "requests_per_minute": 100,
        "ticket_list_requests_per_minute": 40,
        "ratings_lookback_days": 7,
        "conversation_concurrency": 2
    }));
    assert_eq!(s.page_size, Some(50));
}

#[test]
fn defaults_are_the_vendors() {
    // What a `[[sources]]` entry that leaves the keys out gets.
    let s = settings_of::<Freshdesk>(json!({}));
    assert_eq!(s.requests_per_minute, 50);
    assert_eq!(s.ticket_list_requests_per_minute, 20);
    assert_eq!(s.ratings_lookback_days, 14);
    assert_eq!(s.conversation_concurrency, 4);
    assert_eq!(Freshdesk::KIND, "freshdesk");
    let names: Vec<&str> = Freshdesk::STREAMS.iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["agents", "tickets", "satisfaction_ratings"]);
}

#[test]
fn domain_or_host_gives_the_vendor_url() {
    let c = FreshdeskConnector::new(valid()).unwrap();
    assert_eq!(c.base_url().as_str(), "https://acme.freshdesk.com/");
    let c = FreshdeskConnector::new(FreshdeskSettings {
        domain: Some("Acme.Freshdesk.com".into()),
        ..valid()
    })
    .unwrap();
    assert_eq!(c.base_url().as_str(), "https://acme.freshdesk.com/");
}

#[test]
fn validation_errors_name_the_key_and_the_fix() {
    SettingsCases::new(&Freshdesk, valid_json())
        .required(&["domain"])
        .saying(&["`base_url`"])
        .required(&["api_key"])
        .saying(&["API key"])
        .bad("domain", &[json!("https://acme.freshdesk.com")])
        .range("page_size", 1, 100)
        .saying(&["100"])
        .bad("conversation_concurrency", &[json!(0)])
        .check();
}

#[test]
fn debug_never_shows_the_key() {
    let s = FreshdeskSettings {
        api_key: Some(Secret::new("super-secret-key-123")),
        ..valid()
    };
    let c = FreshdeskConnector::new(s.clone()).unwrap();
    let text = debug_hiding(&[&s, &c], &["super-secret-key-123"]);
    assert!(text.contains("[REDACTED]"), "{text}");
}

#[test]
fn the_kind_builds_from_the_clis_json_and_names_a_bad_key() {
    // Environment overrides arrive as text: `"50"` is a number where one is wanted.
    let c = Freshdesk
        .build(&json!({"domain": "acme", "api_key": "k", "page_size": "50", "start_date": "2026-01-01T08:00:00Z"}))
        .unwrap();
    assert_eq!(c.kind(), "freshdesk");
    let err = Freshdesk
        .build(&json!({"domain": "acme", "api_key": "k", "page_size": 0}))
        .err()
        .unwrap();
    assert_eq!(err.key, "page_size");
    let err = Freshdesk
        .build(&json!({"domain": "acme", "api_key": "k", "start_date": "March"}))
        .err()
        .unwrap();
    assert_eq!(err.key, "start_date");
}
