//! Settings: validation errors that name the key, defaults, secrets that never print.

use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Secret;
use deskpulse_connector::testkit::SettingsCases;
use deskpulse_connector_intercom::{Intercom, IntercomConnector, IntercomSettings};
use serde_json::json;

fn with_token() -> IntercomSettings {
    IntercomSettings {
        access_token: Some(Secret::new("tok")),
        ..IntercomSettings::default()
    }
}

#[test]
fn defaults_are_the_vendors() {
    let s = IntercomSettings::default();
    assert_eq!(s.requests_per_minute, 10_000);
    assert_eq!(s.parts_concurrency, 4);
    assert_eq!(s.lookback_minutes, 5);
    let c = IntercomConnector::new(with_token()).unwrap();
    assert_eq!(c.base_url().as_str(), "https://api.intercom.io/");
}

#[test]
fn regions() {
    for (region, host) in [
        ("eu", "https://api.eu.intercom.io/"),
        ("AU", "https://api.au.intercom.io/"),
        ("us", "https://api.intercom.io/"),
    ] {
        let c = IntercomConnector::new(IntercomSettings {
            region: Some(region.into()),
            ..with_token()
        })
        .unwrap();
        assert_eq!(c.base_url().as_str(), host);
    }
}

/// Each key set wrong on its own: the error names it (and, where it helps, the bound or
/// the value).
#[test]
fn errors_name_the_key() {
    SettingsCases::new(&Intercom, json!({"access_token": "tok"}))
        .required(&["access_token"])
        .range("page_size", 1, 150)
        .saying(&["150"])
        .bad("parts_concurrency", &[json!(0)])
        .bad("region", &[json!("mars")])
        .saying(&["mars"])
        .bad(
            "roster_every",
            &[json!("daily"), json!(""), json!("-1h"), json!("24")],
        )
        .saying(&["24h"])
        .check();
}

#[test]
fn secrets_are_hidden() {
    let s: IntercomSettings = serde_json::from_value(serde_json::json!({
        "access_token": "tok-very-secret",
        "region": "eu",
        "start_date": "2026-01-01",
        "page_size": 50
    }))
    .unwrap();
    let shown = format!("{s:?}");
    assert!(!shown.contains("tok-very-secret"), "{shown}");
    let c = IntercomConnector::new(s).unwrap();
    assert!(!format!("{c:?}").contains("tok-very-secret"));
}

/// `roster_every`: a humantime duration, `"24h"` by default, `"0s"` for every sync; anything
/// else names the key and how to write it.
#[test]
fn roster_every_is_a_duration() {
    assert_eq!(IntercomSettings::default().roster_every, "24h");
    let s: IntercomSettings = serde_json::from_value(serde_json::json!({
        "access_token": "tok"
    }))
    .unwrap();
    assert_eq!(s.roster_every, "24h", "the default when the key is absent");
    for ok in ["24h", "0s", "6h 30m", " 90m "] {
        IntercomConnector::new(IntercomSettings {
            roster_every: ok.into(),
            ..with_token()
        })
        .unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
    // Anything else names the key and how to write it: `errors_name_the_key`.
}

/// The declaration (its spelling, keys from the serde derive, unknown keys refused) is the
/// conformance kit's `kind` check; pinned here: the name, the streams in the order a sync
/// reads them (the roster last: it judges the conversations the sync stored before it), the
/// keys this kind has always had, what cannot be reconciled, and a build from the CLI's JSON
/// (a numeric token read as text).
#[test]
fn the_factory_is_the_one_declaration() {
    use deskpulse_connector::{ConnectorFactory, ConnectorKind};
    use deskpulse_connector_intercom::Intercom;
    assert_eq!(Intercom::KIND, "intercom");
    let names: Vec<_> = Intercom::STREAMS.iter().map(|s| s.name).collect();
    assert_eq!(names, ["admins", "conversations", "ticket_roster"]);
    assert_eq!(
        <Intercom as ConnectorFactory>::settings_keys(),
        [
            "access_token",
            "region",
            "base_url",
            "start_date",
            "page_size",
            "requests_per_minute",
            "parts_concurrency",
            "lookback_minutes",
            "roster_every",
        ]
    );
    assert_eq!(
        Intercom
            .unreconcilable()
            .iter()
            .map(|l| l.kpi)
            .collect::<Vec<_>>(),
        ["one_touch_resolution_rate"]
    );
    let c = Intercom
        .build(&serde_json::json!({"access_token": 12345, "page_size": "50", "region": "eu"}))
        .unwrap();
    assert_eq!(c.kind(), "intercom");
    let Err(e) = Intercom.build(&serde_json::json!({"access_token": "tok", "page_size": 0})) else {
        panic!("page_size 0 was accepted");
    };
    assert_eq!(e.key, "page_size");
}
