//! The `[[sources]]` keys of a Zendesk source and their validation.

use deskpulse_connector::ConnectorFactory;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Secret;
use deskpulse_connector::testkit::{SettingsCases, debug_hiding, every_key, settings_of};
use deskpulse_connector_zendesk::{Zendesk, ZendeskConnector, ZendeskSettings};
use serde_json::{Value, json};

fn valid() -> Value {
    json!({"subdomain": "acme", "email": "a@acme.com", "api_token": "tok"})
}

fn basic() -> ZendeskSettings {
    settings_of::<Zendesk>(valid())
}

#[test]
fn defaults_and_every_key() {
    let s = every_key::<Zendesk>(json!({
        "subdomain": "acme", "email": "a@example.com", "api_token": "tok", "oauth_token": null,
        "base_url": "http://127.0.0.1:1", "start_date": "2024-01-01", "page_size": 500,
        "requests_per_minute": 400, "incremental_requests_per_minute": 30,
        "search_export_requests_per_minute": 50, "ratings_lookback_days": 7, "bot_user_ids": [-1, 35436]
    }));
    assert_eq!(
        (
            s.requests_per_minute,
            s.incremental_requests_per_minute,
            s.page_size
        ),
        (400, 30, Some(500))
    );
    let d = settings_of::<Zendesk>(json!({"subdomain": "acme"}));
    assert_eq!(
        (d.requests_per_minute, d.incremental_requests_per_minute),
        (200, 10)
    );
    // Export Search Results: "rate-limited to 100 requests per minute per account".
    assert_eq!(
        (
            d.search_export_requests_per_minute,
            s.search_export_requests_per_minute
        ),
        (100, 50)
    );
    // Solved tickets close at the latest 28 days after the solve; ratings can change until then.
    assert_eq!(d.ratings_lookback_days, 28);
    assert!(d.bot_user_ids.is_empty());
    assert_eq!(
        (s.ratings_lookback_days, s.bot_user_ids),
        (7, vec![-1, 35436])
    );
}

#[test]
fn default_base_url_is_the_subdomain() {
    let c = ZendeskConnector::new(basic()).unwrap();
    assert_eq!(c.base_url().as_str(), "https://acme.zendesk.com/");
}

#[test]
fn messages_name_the_key_and_the_fix() {
    SettingsCases::new(&Zendesk, valid())
        .required(&["subdomain"])
        .saying(&["set `subdomain`"])
        .bad("subdomain", &[json!("acme.zendesk.com")])
        .bad_settings(json!({"subdomain": "acme"}), "api_token")
        .saying(&["set `email` and `api_token`, or `oauth_token`"])
        .required(&["email"])
        .saying(&["set `email`"])
        .required(&["api_token"])
        .saying(&["set `api_token`"])
        .bad("oauth_token", &[json!("o")])
        .saying(&["not both"])
        .range("page_size", 1, 1000)
        .check();
}

#[test]
fn debug_never_shows_secrets() {
    let s = ZendeskSettings {
        oauth_token: Some(Secret::new("oauth-zzz")),
        api_token: Some(Secret::new("api-yyy")),
        ..basic()
    };
    let c = ZendeskConnector::new(basic()).unwrap();
    debug_hiding(&[&s], &["oauth-zzz", "api-yyy"]);
    debug_hiding(&[&c], &["tok\""]);
}

/// The keys `deskpulse connectors` lists (the kind's declaration is the conformance kit's).
#[test]
fn settings_keys_are_the_settings_structs_keys() {
    assert_eq!(
        <Zendesk as ConnectorFactory>::settings_keys(),
        [
            "subdomain",
            "email",
            "api_token",
            "oauth_token",
            "base_url",
            "start_date",
            "page_size",
            "requests_per_minute",
            "incremental_requests_per_minute",
            "search_export_requests_per_minute",
            "ratings_lookback_days",
            "bot_user_ids",
        ]
    );
}

/// `start_date` is a date (UTC midnight) or an RFC 3339 time; anything else names the key.
#[test]
fn start_date_is_a_date_or_an_rfc3339_time() {
    for raw in [
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        "2024-01-01T01:00:00+01:00",
    ] {
        let s: ZendeskSettings =
            serde_json::from_value(json!({"subdomain": "acme", "start_date": raw})).unwrap();
        assert_eq!(s.start_date.unwrap().unix(), 1704067200, "{raw}");
    }
    let e =
        serde_json::from_value::<ZendeskSettings>(json!({"start_date": "01/02/2024"})).unwrap_err();
    assert!(e.to_string().contains("2024-03-01"), "{e}");
}
