//! Settings: what a `[[sources]]` entry may say, and errors that name the key to fix.

use deskpulse_connector::ConnectorFactory;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Secret;
use deskpulse_connector::testkit::{SettingsCases, debug_hiding, every_key, settings_of};
use deskpulse_connector_helpscout::{
    DEFAULT_BASE_URL, HelpScout, HelpScoutConnector, HelpScoutSettings,
};
use serde_json::{Value, json};

fn err_of(s: HelpScoutSettings) -> String {
    deskpulse_connector::testkit::settings_error(HelpScoutConnector::new(s))
}

fn valid() -> Value {
    json!({"client_id": "id", "client_secret": "s3cret-value"})
}

fn client() -> HelpScoutSettings {
    settings_of::<HelpScout>(valid())
}

#[test]
fn defaults_and_keys() {
    let c = HelpScoutConnector::new(client()).unwrap();
    assert_eq!(c.base_url().as_str(), format!("{DEFAULT_BASE_URL}/"));
    let d = HelpScoutSettings::default();
    assert_eq!((d.requests_per_minute, d.lookback_minutes), (200, 10));
    assert_eq!(HelpScout::KIND, "helpscout");
    assert_eq!(
        HelpScout::STREAMS
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>(),
        ["users", "conversations", "ticket_roster"]
    );
    assert_eq!(d.roster_every, "24h");
}

#[test]
fn every_key_deserializes() {
    let s = every_key::<HelpScout>(json!({
        "client_id": "id", "client_secret": "s", "access_token": "t", "base_url": "http://127.0.0.1:1",
        "token_url": "http://127.0.0.1:1/t", "start_date": "2026-01-01",
        "requests_per_minute": 400, "lookback_minutes": 5, "roster_every": "6h"
    }));
    assert_eq!(s.requests_per_minute, 400);
}

#[test]
fn errors_name_the_keys() {
    SettingsCases::new(&HelpScout, valid())
        .bad_settings(json!({}), "")
        .saying(&["`client_id` and `client_secret`"])
        .required(&["client_secret"])
        .saying(&["set `client_secret`"])
        .required(&["client_id"])
        .saying(&["set `client_id`"])
        .bad("access_token", &[json!("t")])
        .saying(&["not both"])
        .bad("base_url", &[json!("api.helpscout.net")])
        .bad("token_url", &[json!("ftp://x/token")])
        .bad("base_url", &[json!("https://user:pw@api.helpscout.net")])
        .saying(&["user name or password"])
        .check();
}

#[test]
fn debug_never_shows_secrets() {
    let s = HelpScoutSettings {
        client_secret: Some(Secret::new("s3cret-value")),
        ..HelpScoutSettings::default()
    };
    let t = HelpScoutSettings {
        client_id: None,
        client_secret: None,
        access_token: Some(Secret::new("tok-value")),
        ..HelpScoutSettings::default()
    };
    let (c, d) = (
        HelpScoutConnector::new(client()),
        HelpScoutConnector::new(t.clone()),
    );
    debug_hiding(
        &[&s, &t, &c.unwrap(), &d.unwrap()],
        &["s3cret-value", "tok-value"],
    );
}

#[test]
fn roster_every_takes_a_humantime_duration_and_names_itself_when_wrong() {
    for ok in ["24h", "6h 30m", "0s", "7days"] {
        let s = HelpScoutSettings {
            roster_every: ok.into(),
            ..client()
        };
        assert!(HelpScoutConnector::new(s).is_ok(), "{ok}");
    }
    for bad in ["daily", "24", "-1h", ""] {
        let s = HelpScoutSettings {
            roster_every: bad.into(),
            ..client()
        };
        let err = err_of(s);
        assert!(
            err.contains("`roster_every`") && err.contains("24h"),
            "{bad}: {err}"
        );
    }
}

/// Help Scout's Reports API gives aggregates only: nothing per conversation to reconcile.
#[test]
fn help_scout_declares_why_nothing_can_be_reconciled() {
    let why = deskpulse_connector_helpscout::NOT_RECONCILABLE;
    assert!(
        why.contains("aggregates") && why.contains("per-conversation"),
        "{why}"
    );
}

/// The keys `deskpulse connectors` lists are the settings struct's own (read from its serde
/// derive), and the same as the list earlier versions spelled out by hand.
#[test]
fn settings_keys_are_the_settings_struct_keys() {
    assert_eq!(
        <HelpScout as ConnectorFactory>::settings_keys(),
        deskpulse_connector::settings::keys_of::<HelpScoutSettings>()
    );
    assert_eq!(
        <HelpScout as ConnectorFactory>::settings_keys(),
        [
            "client_id",
            "client_secret",
            "access_token",
            "base_url",
            "token_url",
            "start_date",
            "requests_per_minute",
            "lookback_minutes",
            "roster_every",
        ]
    );
}

/// Every KPI `deskpulse reconcile` compares is declared unreconcilable, for the one reason.
#[test]
fn every_reconciled_kpi_is_declared_unreconcilable() {
    use deskpulse_connector::{ConnectorFactory, KpiLimit};
    use deskpulse_connector_helpscout::{HelpScout, NOT_RECONCILABLE};
    assert_eq!(
        HelpScout::UNRECONCILABLE,
        KpiLimit::none_reconcilable(NOT_RECONCILABLE)
    );
    assert!(HelpScout::LIMITS.is_empty());
}
