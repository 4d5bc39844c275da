//! Settings: every error names the key to fix, the accepted spellings of the ids (bare,
//! `accounts/…`, `locations/…`, the full resource name) reach the request path, unknown keys
//! are refused, secrets never show in `Debug`, and the kind's declaration is well formed.

use crate::common::*;
use deskpulse_connector::ConnectorFactory;
use deskpulse_connector::registry::{ConnectorKind, check_kind};
use deskpulse_connector::testkit::{SettingsCases, read_ok};
use deskpulse_connector_google_business_profile::{
    GoogleBusinessProfile, GoogleBusinessProfileConnector, GoogleBusinessProfileSettings,
};
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::MockServer;
use wiremock::matchers::{method, path};

/// The settings of the docs' example, as the CLI hands them over (JSON).
fn complete() -> Value {
    json!({
        "account_id": ACCOUNT, "location_id": LOCATION, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN,
    })
}

fn with(changes: Value) -> GoogleBusinessProfileSettings {
    let mut v = complete();
    for (k, x) in changes.as_object().unwrap() {
        if x.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = x.clone();
        }
    }
    serde_json::from_value(v).unwrap()
}

#[test]
fn the_kind_is_well_declared() {
    assert_eq!(check_kind(&GoogleBusinessProfile), Vec::<String>::new());
    assert_eq!(GoogleBusinessProfile.probe_stream(), "reviews");
    assert_eq!(
        <GoogleBusinessProfile as ConnectorFactory>::settings_keys(),
        [
            "account_id",
            "location_id",
            "client_id",
            "client_secret",
            "refresh_token",
            "token_url",
            "base_url",
            "page_size",
            "start_date",
            "requests_per_minute",
            "rescan_days",
        ]
    );
}

#[test]
fn the_example_settings_build() {
    GoogleBusinessProfileConnector::new(with(json!({}))).unwrap();
}

#[test]
fn every_error_names_the_key_to_fix() {
    SettingsCases::new(&GoogleBusinessProfile, complete())
        .required(&[
            "account_id",
            "location_id",
            "client_id",
            "client_secret",
            "refresh_token",
        ])
        .range("page_size", 1, 50)
        .range("rescan_days", 0, 3650)
        .bad(
            "base_url",
            &[json!("https://mybusiness.googleapis.com?key=1")],
        )
        // An id that could change the request's path, or another resource's name.
        .bad("location_id", &[json!("../../admin"), json!("locations/")])
        .bad(
            "account_id",
            &[json!("accounts/1/locations/2"), json!("1 2")],
        )
        // A full resource name whose account is not `account_id`.
        .bad(
            "location_id",
            &[json!("accounts/999/locations/4471862208765432109")],
        )
        .bad("start_date", &[json!("yesterday")])
        .unknown(&["acount_id"])
        .check();
}

#[test]
fn secrets_never_show_in_debug() {
    let s = with(json!({}));
    let shown = format!("{s:?}");
    assert!(
        !shown.contains(CLIENT_SECRET) && !shown.contains(REFRESH_TOKEN),
        "{shown}"
    );
    let c = GoogleBusinessProfileConnector::new(s).unwrap();
    let shown = format!("{c:?}");
    assert!(
        !shown.contains(CLIENT_SECRET) && !shown.contains(REFRESH_TOKEN),
        "{shown}"
    );
    assert_eq!(
        GoogleBusinessProfile.secret_keys(),
        ["client_secret", "refresh_token"]
    );
}

/// Each accepted spelling of the ids reads the same list.
#[tokio::test]
async fn pasted_resource_names_are_accepted() {
    for (account, location) in [
        (
            Some("accounts/108345521976543210987"),
            "locations/4471862208765432109",
        ),
        (Some(ACCOUNT), " 4471862208765432109 "),
        (
            None,
            "accounts/108345521976543210987/locations/4471862208765432109",
        ),
        (
            Some(ACCOUNT),
            "accounts/108345521976543210987/locations/4471862208765432109",
        ),
    ] {
        let server = MockServer::start().await;
        mount_token(&server).await;
        Mock::given(method("GET"))
            .and(path(REVIEWS))
            .respond_with(ok(json!({})))
            .expect(1)
            .mount(&server)
            .await;
        let s = GoogleBusinessProfileSettings {
            account_id: account.map(str::to_owned),
            location_id: Some(location.into()),
            ..settings(&server)
        };
        read_ok(&connector_with(s), "reviews", None).await;
    }
}

/// `page_size` is what `pageSize` asks for.
#[tokio::test]
async fn page_size_is_sent() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(wiremock::matchers::query_param("pageSize", "7"))
        .respond_with(ok(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let s = GoogleBusinessProfileSettings {
        page_size: Some(7),
        ..settings(&server)
    };
    read_ok(&connector_with(s), "reviews", None).await;
}
