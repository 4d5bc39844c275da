//! Settings: every error names the key to fix, secrets stay out of `Debug`, the kind is
//! well declared, and `base_url` / `api_version` carry every request.

use crate::common::*;
use deskpulse_connector::registry::{ConnectorKind as _, check_kind};
use deskpulse_connector::testkit::SettingsCases;
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

#[test]
fn settings_errors_name_the_key() {
    SettingsCases::new(
        &FacebookPage,
        json!({"page_id": PAGE, "access_token": TOKEN}),
    )
    .required(&["page_id", "access_token"])
    .bad("page_id", &[json!("ExampleOutdoorStore"), json!("1/../me")])
    .bad("api_version", &[json!("21"), json!("v21.0/x")])
    .range("page_size", 1, 100)
    .range("rescan_days", 1, 93)
    .unknown(&["page_token"])
    .check();
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
