//! Settings: every error names the key to fix, the token stays out of `Debug`, the kind is
//! well declared, and `base_url` (with a path prefix) carries every request.

use crate::common::*;
use deskpulse_connector::registry::{ConnectorKind as _, check_kind};
use deskpulse_connector::testkit::SettingsCases;
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
    SettingsCases::new(&X, json!({"user_id": BRAND, "bearer_token": "t"}))
        .required(&["user_id", "bearer_token"])
        .bad(
            "user_id",
            &[
                json!("@exampleoutdoor"),
                json!("../2/tweets"),
                json!("12345678901234567890"),
            ],
        )
        .range("max_results", 5, 100)
        .range("rescan_days", 0, 90)
        .good("mentions_requests_per_15_minutes", json!(0))
        .check();
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
