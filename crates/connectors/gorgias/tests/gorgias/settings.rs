//! The `[[sources]]` keys: defaults, errors naming the key to fix, secrets never in `Debug`,
//! and the registration the CLI lists (unknown keys refused: the conformance kit's `.kind`).

use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::testkit::{SettingsCases, debug_hiding, every_key, settings_of};
use deskpulse_connector::{ConnectorFactory, ConnectorKind, KpiLimit, Secret};
use deskpulse_connector_gorgias::{Gorgias, GorgiasConnector, GorgiasSettings};
use serde_json::{Value, json};

fn valid() -> Value {
    json!({"domain": "acme", "email": "a@acme.com", "api_key": "key"})
}

fn basic() -> GorgiasSettings {
    settings_of::<Gorgias>(valid())
}

#[test]
fn every_key_and_the_defaults() {
    // The keys `deskpulse connectors` lists (the CLI reads the crate's), in order.
    assert_eq!(
        <Gorgias as ConnectorFactory>::settings_keys(),
        [
            "domain",
            "email",
            "api_key",
            "oauth_token",
            "base_url",
            "start_date",
            "page_size",
            "requests_per_20_seconds",
            "surveys_lookback_days",
        ]
    );
    let s = every_key::<Gorgias>(json!({
        "domain": "acme", "email": "a@acme.com", "api_key": "key", "oauth_token": null,
        "base_url": "http://127.0.0.1:1", "start_date": "2024-01-01", "page_size": 50,
        "requests_per_20_seconds": 80, "surveys_lookback_days": 30
    }));
    assert_eq!(
        (
            s.requests_per_20_seconds,
            s.surveys_lookback_days,
            s.page_size
        ),
        (80, 30, Some(50))
    );
    let d = settings_of::<Gorgias>(json!({"domain": "acme"}));
    assert_eq!(
        (d.requests_per_20_seconds, d.surveys_lookback_days),
        (40, 14)
    );
}

#[test]
fn valid_settings_build_and_errors_name_the_key_and_the_fix() {
    let c = GorgiasConnector::new(GorgiasSettings {
        page_size: Some(100),
        ..basic()
    })
    .unwrap();
    assert_eq!(c.base_url().as_str(), "https://acme.gorgias.com/");
    SettingsCases::new(&Gorgias, valid())
        .required(&["domain", "email", "api_key"])
        .bad("domain", &[json!("acme.gorgias.com")])
        .saying(&["only the account name"])
        .bad("oauth_token", &[json!("t")])
        .saying(&["not both"])
        .range("page_size", 1, 100)
        .saying(&["between 1 and 100"])
        .check();
}

#[test]
fn debug_never_shows_secrets() {
    let s = GorgiasSettings {
        oauth_token: Some(Secret::new("oauth-secret-1")),
        api_key: Some(Secret::new("api-secret-2")),
        ..basic()
    };
    let d = debug_hiding(&[&s], &["oauth-secret-1", "api-secret-2"]);
    assert!(d.contains("REDACTED"));
}

#[test]
fn the_kind_declares_what_the_cli_lists() {
    // The declaration's well-formedness (names, descriptions, unknown keys refused) is the
    // conformance kit's `.kind` check; these are Gorgias's own choices.
    assert_eq!(Gorgias::KIND, "gorgias");
    assert_eq!(
        Gorgias::STREAMS.iter().map(|s| s.name).collect::<Vec<_>>(),
        ["users", "tickets", "messages", "satisfaction_surveys"]
    );
    // Reconcile compares per-ticket figures, and Gorgias gives none for any of its KPIs.
    let kpis: Vec<&str> = Gorgias::UNRECONCILABLE.iter().map(|l| l.kpi).collect();
    assert_eq!(kpis, KpiLimit::none_reconcilable("").map(|l| l.kpi));
    assert!(Gorgias::UNRECONCILABLE.iter().all(|l| {
        l.reason
            .starts_with("Gorgias' API gives no per-ticket figures")
    }));
}

#[test]
fn the_registry_builds_from_the_cli_json_and_names_a_bad_key() {
    // Environment overrides arrive as text: `"50"` is still a page size.
    let ok = Gorgias.build(
        &json!({"domain": "acme", "email": "a@acme.com", "api_key": "k", "page_size": "50"}),
    );
    assert!(ok.is_ok(), "{:?}", ok.err());
    let Err(e) = Gorgias
        .build(&json!({"domain": "acme", "email": "a@acme.com", "api_key": "k", "page_size": 0}))
    else {
        panic!("page_size 0 must be refused")
    };
    assert_eq!(e.key, "page_size");
}
