//! Settings: every error names the key to fix, none quotes the key file; the kind's
//! declaration; nothing secret in `Debug`.

use crate::common::*;
use deskpulse_connector::ConnectorFactory;
use deskpulse_connector::prelude::*;
use deskpulse_connector::registry::check_kind;
use deskpulse_connector::testkit::{SettingsCases, settings_error};
use deskpulse_connector_google_play::{
    DEFAULT_REQUESTS_PER_HOUR, GooglePlay, GooglePlayConnector, GooglePlaySettings,
};
use serde_json::{Value, json};

fn from_json(v: Value) -> Result<GooglePlayConnector, ConnectorError> {
    let s: GooglePlaySettings = serde_json::from_value(v).expect("settings JSON");
    GooglePlayConnector::new(s)
}

fn valid() -> Value {
    json!({"package_name": PACKAGE, "service_account_path": key_path()})
}

fn with(key: &str, value: Value) -> Value {
    let mut v = valid();
    v[key] = value;
    v
}

#[test]
fn valid_settings_build_with_the_documented_defaults() {
    let c = from_json(valid()).unwrap();
    assert_eq!(c.package_name(), PACKAGE);
    assert_eq!(
        c.base_url().as_str(),
        "https://androidpublisher.googleapis.com/"
    );
    assert_eq!(GooglePlaySettings::default().requests_per_hour, 200);
    assert_eq!(DEFAULT_REQUESTS_PER_HOUR, 200);
    assert_eq!(
        <GooglePlay as ConnectorFactory>::settings_keys(),
        [
            "package_name",
            "service_account_path",
            "base_url",
            "token_url",
            "page_size",
            "requests_per_hour",
            "translation_language"
        ]
    );
}

#[test]
fn settings_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let mut key: Value = serde_json::from_str(&key_file()).unwrap();
    let no_email = {
        let mut k = key.clone();
        k.as_object_mut().unwrap().remove("client_email");
        file("no_email.json", &k.to_string())
    };
    let user_key = {
        let mut k = key.clone();
        k["type"] = json!("authorized_user");
        file("user.json", &k.to_string())
    };
    key["private_key"] =
        json!("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    let bad_pem = file("bad_pem.json", &key.to_string());
    SettingsCases::new(&GooglePlay, valid())
        .required(&["package_name", "service_account_path"])
        .bad(
            "package_name",
            &[json!("com.example/../x"), json!("1com.example")],
        )
        .bad(
            "service_account_path",
            &[
                json!("/nonexistent/key.json"),
                json!(file("text.json", "not json")),
                json!(no_email),
                json!(user_key),
                json!(bad_pem),
            ],
        )
        .range("page_size", 1, 100)
        .bad("translation_language", &[json!("en; DROP")])
        .unknown(&["nope"])
        .never_showing(&[&key_line()])
        .check();
}

#[test]
fn a_broken_key_file_is_never_quoted() {
    // A key file cut short in the middle of the private key: the message says where, not what.
    let dir = tempfile::tempdir().unwrap();
    let text = key_file();
    let cut = text.find(&key_line()).unwrap() + 40;
    let p = dir.path().join("cut.json");
    std::fs::write(&p, &text[..cut]).unwrap();
    let msg = settings_error(from_json(with(
        "service_account_path",
        json!(p.display().to_string()),
    )));
    assert!(msg.contains("service_account_path"), "{msg}");
    assert!(!msg.contains(&key_line()[..40]), "{msg}");
}

#[test]
fn the_kind_is_well_declared_with_its_coverage() {
    assert_eq!(check_kind(&GooglePlay), Vec::<String>::new());
    assert_eq!(GooglePlay.coverage(), Some(ReviewCoverage::RecentWindow));
    assert_eq!(GooglePlay.probe_stream(), "reviews");
    // The CLI's path: lenient JSON, a numeric text read as a number.
    let built = GooglePlay.build(&json!({
        "package_name": PACKAGE, "service_account_path": key_path(), "page_size": "50"
    }));
    assert!(built.is_ok());
    let err = GooglePlay
        .build(&json!({"package_name": PACKAGE}))
        .err()
        .expect("an error");
    assert_eq!(err.key, "service_account_path");
}

#[test]
fn the_hourly_quota_is_an_even_rate_budget() {
    // 200 GET an hour per app: one request every 18 s, no burst; token requests apart.
    let c = from_json(valid()).unwrap();
    let b = c.http().budgets().budget("default").expect("a budget");
    assert_eq!(
        Some(b),
        RateBudget::new(200, std::time::Duration::from_secs(3600), 1)
    );
    assert_eq!(b.interval(), std::time::Duration::from_secs(18));
    let c = from_json(with("requests_per_hour", json!(0))).unwrap();
    assert_eq!(c.http().budgets().budget("default"), None);
}

#[test]
fn no_secret_shows_in_debug() {
    let c = from_json(valid()).unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains(&key_line()), "{shown}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    let s: GooglePlaySettings = serde_json::from_value(valid()).unwrap();
    assert!(!format!("{s:?}").contains(&key_line()));
}
