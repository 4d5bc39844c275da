//! Settings: every error names the key to fix; the private key file is read at build time
//! and no message, nor any `Debug`, shows the key; the kind is well declared.

use crate::common::*;
use deskpulse_connector::ConnectorFactory;
use deskpulse_connector::ConnectorKind as _;
use deskpulse_connector::registry::check_kind;
use deskpulse_connector::settings::from_value;
use deskpulse_connector::testkit::{SettingsCases, settings_error};
use deskpulse_connector_app_store::{AppStore, AppStoreConnector, AppStoreSettings};
use serde_json::json;
use std::io::Write as _;

fn error_of(s: AppStoreSettings) -> String {
    settings_error(AppStoreConnector::new(s))
}

/// A file holding `text`, kept while the test runs.
fn file_with(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn assert_hides_key(msg: &str) {
    for line in key_pem().lines().filter(|l| !l.starts_with("-----")) {
        assert!(!msg.contains(line), "{msg}");
    }
}

#[test]
fn every_error_names_its_key() {
    let valid = json!({
        "issuer_id": ISSUER, "key_id": KEY_ID, "private_key_path": key_path(), "app_id": APP,
    });
    SettingsCases::new(&AppStore, valid)
        .required(&["app_id", "issuer_id", "key_id", "private_key_path"])
        .bad("app_id", &[json!("com.example.app"), json!("123/../456")])
        .range("page_size", 1, 200)
        .range("rescan_days", 0, 3650)
        .check();
}

#[test]
fn a_missing_empty_or_wrong_key_file_names_private_key_path_and_never_shows_the_key() {
    let with_path = |p: &str| AppStoreSettings {
        private_key_path: Some(p.into()),
        ..settings("http://127.0.0.1:9")
    };
    let msg = error_of(with_path("/nonexistent/AuthKey_X.p8"));
    assert!(
        msg.contains("`private_key_path`") && msg.contains("cannot be read"),
        "{msg}"
    );
    assert!(msg.contains("/nonexistent/AuthKey_X.p8"), "{msg}");

    let empty = file_with("\n");
    let msg = error_of(with_path(empty.path().to_str().unwrap()));
    assert!(
        msg.contains("`private_key_path`") && msg.contains("is empty"),
        "{msg}"
    );

    // Not PEM: the PEM's body without its armour.
    let body: String = key_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let not_pem = file_with(&body);
    let msg = error_of(with_path(not_pem.path().to_str().unwrap()));
    assert!(
        msg.contains("`private_key_path`") && msg.contains("BEGIN PRIVATE KEY"),
        "{msg}"
    );
    assert_hides_key(&msg);
    assert!(!msg.contains(&body[..20]), "{msg}");

    // A directory is no key file either.
    let dir = tempfile::tempdir().unwrap();
    let msg = error_of(with_path(dir.path().to_str().unwrap()));
    assert!(msg.contains("`private_key_path`"), "{msg}");
}

#[test]
fn a_truncated_pem_names_private_key_path_and_hides_its_content() {
    // Armoured, but not a whole PKCS#8 key (a file cut short).
    let rsa = "-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEAu1SU1LfVLPHCozMx\n-----END PRIVATE KEY-----\n";
    let f = file_with(rsa);
    let msg = error_of(AppStoreSettings {
        private_key_path: Some(f.path().to_str().unwrap().into()),
        ..settings("http://127.0.0.1:9")
    });
    assert!(msg.contains("`private_key_path`"), "{msg}");
    assert!(!msg.contains("MIIBVAIBADAN"), "{msg}");
}

#[test]
fn settings_read_from_config_json_reject_unknown_keys_and_hide_secrets() {
    let s: AppStoreSettings = from_value(&json!({
        "issuer_id": ISSUER, "key_id": KEY_ID, "private_key_path": key_path(),
        "app_id": 1234567890u64, "page_size": "100", "rescan_days": 14
    }))
    .unwrap();
    assert_eq!(s.app_id.as_deref(), Some(APP));
    assert_eq!(
        (s.page_size, s.rescan_days, s.requests_per_minute),
        (Some(100), 14, 60)
    );
    let err =
        from_value::<AppStoreSettings>(&json!({"app_id": "1", "private_key": "x"})).unwrap_err();
    assert!(err.to_string().contains("private_key"), "{err}");
    // The connector's Debug shows no key and no token.
    let c = AppStoreConnector::new(settings("http://127.0.0.1:9")).unwrap();
    assert_hides_key(&format!("{c:?}"));
}

#[test]
fn the_kind_is_well_declared() {
    assert_eq!(check_kind(&AppStore), Vec::<String>::new());
    assert_eq!(
        <AppStore as ConnectorFactory>::settings_keys(),
        [
            "issuer_id",
            "key_id",
            "private_key_path",
            "app_id",
            "base_url",
            "start_date",
            "page_size",
            "requests_per_minute",
            "rescan_days"
        ]
    );
    assert_eq!(AppStore.streams()[0].name, "customer_reviews");
}
