//! Settings: every error names the key to fix, the token stays out of `Debug`, the kind is
//! well declared, and `base_url` (with a path prefix) carries every request.

use crate::common::*;
use deskpulse_connector::registry::{ConnectorKind as _, check_kind};
use deskpulse_connector::testkit::settings_error;
use deskpulse_connector::{ConnectorFactory as _, Secret};
use deskpulse_connector_x::{X, XConnector, XSettings};
use serde_json::json;
use wiremock::MockServer;

#[test]
fn the_kind_is_well_declared() {
    assert_eq!(check_kind(&X), Vec::<String>::new());
    let streams: Vec<_> = X::STREAMS.iter().map(|s| s.name).collect();
    assert_eq!(streams, ["user", "mentions"]);
    assert_eq!(X.secret_keys(), ["bearer_token"]);
    assert_eq!(X::COVERAGE, None);
}

fn built(v: serde_json::Value) -> Result<XConnector, deskpulse_connector::ConnectorError> {
    let s: XSettings = serde_json::from_value(v).unwrap();
    XConnector::new(s)
}

#[test]
fn settings_errors_name_the_key() {
    let ok = json!({"user_id": BRAND, "bearer_token": "t"});
    let with = |k: &str, v: serde_json::Value| {
        let mut s = ok.clone();
        s[k] = v;
        s
    };
    let without = |k: &str| {
        let mut s = ok.clone();
        s.as_object_mut().unwrap().remove(k);
        s
    };
    for (s, key) in [
        (without("user_id"), "user_id"),
        (with("user_id", json!("  ")), "user_id"),
        (with("user_id", json!("@exampleoutdoor")), "user_id"),
        (with("user_id", json!("../2/tweets")), "user_id"),
        (with("user_id", json!("12345678901234567890")), "user_id"),
        (without("bearer_token"), "bearer_token"),
        (with("bearer_token", json!("")), "bearer_token"),
        (with("max_results", json!(4)), "max_results"),
        (with("max_results", json!(101)), "max_results"),
        (with("rescan_days", json!(91)), "rescan_days"),
        (with("base_url", json!("ftp://h")), "base_url"),
    ] {
        let err = settings_error(built(s.clone()));
        assert!(err.contains(&format!("`{key}`")), "{s}: {err}");
    }
    assert!(built(ok.clone()).is_ok());
    assert!(built(with("max_results", json!(5))).is_ok());
    assert!(built(with("rescan_days", json!(0))).is_ok());
    assert!(built(with("mentions_requests_per_15_minutes", json!(0))).is_ok());
    let unknown: Result<XSettings, _> = serde_json::from_value(with("userid", json!("1")));
    assert!(unknown.is_err(), "a typo is refused");
}

#[test]
fn the_token_is_not_in_debug() {
    let s = XSettings {
        user_id: Some(BRAND.into()),
        bearer_token: Some(Secret::new(TOKEN)),
        ..XSettings::default()
    };
    assert!(!format!("{s:?}").contains(TOKEN));
    let c = XConnector::new(s).unwrap();
    assert!(!format!("{c:?}").contains(TOKEN));
}

#[test]
fn defaults_follow_the_docs() {
    let s = XSettings::default();
    assert_eq!(s.rescan_days, 7);
    assert_eq!(s.user_requests_per_15_minutes, 300);
    assert_eq!(s.mentions_requests_per_15_minutes, 450);
    assert_eq!(s.tweets_requests_per_15_minutes, 1500);
    use deskpulse_connector::HttpConnector as _;
    let c = built(json!({"user_id": BRAND, "bearer_token": "t"})).unwrap();
    assert_eq!(c.base_url().as_str(), "https://api.x.com/");
}

#[tokio::test]
async fn base_url_with_a_path_prefix_carries_every_request() {
    let server = MockServer::start().await;
    // A proxy at /x-proxy: every request goes under it.
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, ResponseTemplate};
    Mock::given(method("GET"))
        .and(path_regex("^/x-proxy/2/users/1500000000000000001$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("constructed_user_public_metrics.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let s = XSettings {
        base_url: Some(format!("{}/x-proxy", server.uri())),
        ..settings(&server)
    };
    read_ok(&connector_at(s, now()), "user", None).await;
}
