//! Settings: defaults, every error names its key, unknown keys are refused, the token never
//! shows in `Debug`, and the kind's declaration.

use crate::common::*;
use deskpulse_connector::registry::check_kind;
use deskpulse_connector::testkit::settings_error;
use deskpulse_connector::{HttpConnector as _, Secret};
use deskpulse_connector_instagram::{Instagram, InstagramConnector, InstagramSettings};
use serde_json::json;

#[test]
fn the_kind_is_well_declared() {
    assert_eq!(check_kind(&Instagram), Vec::<String>::new());
}

#[test]
fn unknown_keys_are_refused() {
    let bad: Result<InstagramSettings, _> =
        serde_json::from_value(json!({"ig_user_id": "1", "access_tokn": "x"}));
    assert!(bad.unwrap_err().to_string().contains("access_tokn"));
}

#[test]
fn every_error_names_its_key() {
    let ok = json!({"ig_user_id": IG, "access_token": "x"});
    let with = |k: &str, v: serde_json::Value| {
        let mut s = ok.clone();
        s[k] = v;
        s
    };
    for (s, key) in [
        (json!({"access_token": "x"}), "ig_user_id"),
        (with("ig_user_id", json!("  ")), "ig_user_id"),
        (with("ig_user_id", json!("exampleoutdoor")), "ig_user_id"),
        (with("ig_user_id", json!("1/../2")), "ig_user_id"),
        (json!({"ig_user_id": IG}), "access_token"),
        (with("access_token", json!("")), "access_token"),
        (with("api_version", json!("21.0")), "api_version"),
        (with("api_version", json!("v21")), "api_version"),
        (with("base_url", json!("ftp://h")), "base_url"),
        (with("page_size", json!(0)), "page_size"),
        (with("page_size", json!(101)), "page_size"),
        (with("rescan_days", json!(94)), "rescan_days"),
    ] {
        let s: InstagramSettings = serde_json::from_value(s).unwrap();
        let err = settings_error(InstagramConnector::new(s));
        assert!(err.contains(key), "{key}: {err}");
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let s = InstagramSettings::default();
    assert_eq!(s.rescan_days, 7);
    assert_eq!(s.requests_per_hour, 200);
    let c = InstagramConnector::new(InstagramSettings {
        ig_user_id: Some(IG.into()),
        access_token: Some(Secret::new(TOKEN)),
        ..s
    })
    .unwrap();
    assert_eq!(c.base_url().as_str(), "https://graph.facebook.com/");
    // Instagram Login's host, and a version, are accepted.
    let c = InstagramConnector::new(InstagramSettings {
        ig_user_id: Some(IG.into()),
        access_token: Some(Secret::new(TOKEN)),
        base_url: Some("https://graph.instagram.com".into()),
        api_version: Some("v25.0".into()),
        rescan_days: 0,
        ..InstagramSettings::default()
    });
    assert!(c.is_ok());
}

#[test]
fn the_token_is_hidden_in_debug() {
    let s = InstagramSettings {
        ig_user_id: Some(IG.into()),
        access_token: Some(Secret::new(TOKEN)),
        ..InstagramSettings::default()
    };
    assert!(!format!("{s:?}").contains(TOKEN));
    let c = InstagramConnector::new(s).unwrap();
    assert!(!format!("{c:?}").contains(TOKEN));
}
