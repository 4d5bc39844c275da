//! Settings: defaults, every error names its key, unknown keys are refused, the token never
//! shows in `Debug`, and the kind's declaration.

use crate::common::*;
use deskpulse_connector::registry::check_kind;
use deskpulse_connector::testkit::SettingsCases;
use deskpulse_connector::{HttpConnector as _, Secret};
use deskpulse_connector_instagram::{Instagram, InstagramConnector, InstagramSettings};
use serde_json::json;

#[test]
fn the_kind_is_well_declared() {
    assert_eq!(check_kind(&Instagram), Vec::<String>::new());
}

#[test]
fn every_error_names_its_key() {
    SettingsCases::new(&Instagram, json!({"ig_user_id": IG, "access_token": "x"}))
        .required(&["ig_user_id", "access_token"])
        .bad("ig_user_id", &[json!("exampleoutdoor"), json!("1/../2")])
        .bad("api_version", &[json!("21.0"), json!("v21")])
        .range("page_size", 1, 100)
        .range("rescan_days", 0, 93)
        .unknown(&["access_tokn"])
        .check();
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
