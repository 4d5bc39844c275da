//! Settings: every error names the key to fix, secrets stay out of `Debug`, the kind is
//! well declared, and `base_url` / `api_version` carry every request.

use crate::common::*;
use deskpulse_connector::registry::{ConnectorKind as _, check_kind};
use deskpulse_connector::testkit::settings_error;
use deskpulse_connector::{ConnectorFactory as _, HttpConnector as _};
use deskpulse_connector_facebook_page::{
    DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_REQUESTS_PER_HOUR, DEFAULT_RESCAN_DAYS,
    FacebookPage, FacebookPageConnector, FacebookPageSettings,
};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn the_kind_is_well_declared() {
    assert_eq!(check_kind(&FacebookPage), Vec::<String>::new());
    let streams: Vec<_> = FacebookPage::STREAMS.iter().map(|s| s.name).collect();
    assert_eq!(streams, ["page", "comments", "recommendations"]);
    assert_eq!(FacebookPage.secret_keys(), ["access_token"]);
    assert_eq!(FacebookPage::COVERAGE, None);
}

#[test]
fn the_defaults_are_documented() {
    let s = FacebookPageSettings::default();
    assert_eq!(s.rescan_days, DEFAULT_RESCAN_DAYS);
    assert_eq!(DEFAULT_RESCAN_DAYS, 7);
    assert_eq!(s.requests_per_hour, DEFAULT_REQUESTS_PER_HOUR);
    assert!(s.read_recommendations);
    assert_eq!(DEFAULT_API_VERSION, "v21.0");
    let c = FacebookPageConnector::new(FacebookPageSettings {
        page_id: Some(PAGE.into()),
        access_token: Some(deskpulse_connector::Secret::new(TOKEN)),
        ..s
    })
    .unwrap();
    assert_eq!(c.base_url().as_str(), format!("{DEFAULT_BASE_URL}/"));
}

fn built(
    v: serde_json::Value,
) -> Result<FacebookPageConnector, deskpulse_connector::ConnectorError> {
    let s: FacebookPageSettings = serde_json::from_value(v).unwrap();
    FacebookPageConnector::new(s)
}

#[test]
fn settings_errors_name_the_key() {
    let ok = json!({"page_id": PAGE, "access_token": TOKEN});
    assert!(built(ok.clone()).is_ok());
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
        (without("page_id"), "page_id"),
        (with("page_id", json!(" ")), "page_id"),
        (with("page_id", json!("ExampleOutdoorStore")), "page_id"),
        (with("page_id", json!("1/../me")), "page_id"),
        (without("access_token"), "access_token"),
        (with("access_token", json!("")), "access_token"),
        (with("api_version", json!("21")), "api_version"),
        (with("api_version", json!("v21.0/x")), "api_version"),
        (with("page_size", json!(0)), "page_size"),
        (with("page_size", json!(101)), "page_size"),
        (with("rescan_days", json!(0)), "rescan_days"),
        (with("rescan_days", json!(94)), "rescan_days"),
        (with("base_url", json!("ftp://h")), "base_url"),
    ] {
        let err = settings_error(built(s.clone()));
        assert!(err.contains(&format!("`{key}`")), "{s}: {err}");
    }
    let unknown: Result<FacebookPageSettings, _> =
        serde_json::from_value(with("page_token", json!("x")));
    assert!(unknown.unwrap_err().to_string().contains("page_token"));
}

#[test]
fn the_token_is_hidden_in_debug() {
    let s: FacebookPageSettings =
        serde_json::from_value(json!({"page_id": PAGE, "access_token": TOKEN})).unwrap();
    assert!(!format!("{s:?}").contains(TOKEN));
    let c = FacebookPageConnector::new(s).unwrap();
    assert!(!format!("{c:?}").contains(TOKEN));
}

#[tokio::test]
async fn base_url_prefix_and_api_version_carry_every_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/graph/v19.0/{PAGE}")))
        .and(query_param("access_token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"followers_count": 3})))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector_at(
        FacebookPageSettings {
            base_url: Some(format!("{}/graph/", server.uri())),
            api_version: Some("v19.0".into()),
            ..settings(&server)
        },
        now(),
    );
    assert_eq!(records(&read_ok(&c, "page", None).await).len(), 1);
}
