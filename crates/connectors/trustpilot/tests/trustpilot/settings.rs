//! Settings: every error names the key to fix, the OAuth keys come all three or not at all,
//! secrets stay out of `Debug`, the kind is well declared, and `base_url` / `token_url`
//! carry every request.

use crate::common::*;
use deskpulse_connector::registry::{ConnectorKind as _, check_kind};
use deskpulse_connector::testkit::{SettingsCases, settings_error};
use deskpulse_connector::{ConnectorFactory as _, Secret};
use deskpulse_connector_trustpilot::{Trustpilot, TrustpilotConnector, TrustpilotSettings};
use deskpulse_model::ReviewCoverage;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn the_kind_is_well_declared_with_full_coverage() {
    assert_eq!(check_kind(&Trustpilot), Vec::<String>::new());
    assert_eq!(Trustpilot::COVERAGE, Some(ReviewCoverage::Full));
    assert_eq!(Trustpilot.coverage(), Some(ReviewCoverage::Full));
    let streams: Vec<_> = Trustpilot::STREAMS.iter().map(|s| s.name).collect();
    assert_eq!(streams, ["business_unit", "reviews"]);
    let mut secret = Trustpilot.secret_keys();
    secret.sort_unstable();
    assert_eq!(
        secret,
        ["api_key", "client_id", "client_secret", "refresh_token"]
    );
}

fn built(v: serde_json::Value) -> Result<TrustpilotConnector, deskpulse_connector::ConnectorError> {
    let s: TrustpilotSettings = serde_json::from_value(v).unwrap();
    TrustpilotConnector::new(s)
}

#[test]
fn settings_errors_name_the_key() {
    SettingsCases::new(&Trustpilot, json!({"business_unit_id": BU, "api_key": "k"}))
        .required(&["business_unit_id", "api_key"])
        .bad("business_unit_id", &[json!("../admin")])
        .range("page_size", 1, 100)
        .range("rescan_days", 0, 366)
        .bad("token_url", &[json!("https://auth.example/refresh")])
        .check();
}

#[test]
fn an_incomplete_oauth_triple_names_the_missing_key() {
    let base = json!({"business_unit_id": BU, "api_key": "k",
        "client_id": "id", "client_secret": "secret", "refresh_token": "refresh"});
    assert!(built(base.clone()).unwrap().reads_private_reviews());
    for missing in ["client_id", "client_secret", "refresh_token"] {
        let mut s = base.clone();
        s.as_object_mut().unwrap().remove(missing);
        let err = settings_error(built(s));
        assert!(
            err.starts_with(&format!("invalid settings: `{missing}`")),
            "{missing}: {err}"
        );
    }
    let only_one = json!({"business_unit_id": BU, "api_key": "k", "refresh_token": "r"});
    assert!(settings_error(built(only_one)).contains("`client_id`"));
    assert!(
        !built(json!({"business_unit_id": BU, "api_key": "k"}))
            .unwrap()
            .reads_private_reviews()
    );
}

#[test]
fn secrets_are_hidden_from_debug() {
    let s = TrustpilotSettings {
        business_unit_id: Some(BU.into()),
        api_key: Some(Secret::new(API_KEY)),
        client_id: Some(Secret::new("client-id-Zz9")),
        client_secret: Some(Secret::new(API_SECRET)),
        refresh_token: Some(Secret::new(REFRESH)),
        ..TrustpilotSettings::default()
    };
    let shown = format!("{s:?} {:?}", TrustpilotConnector::new(s.clone()).unwrap());
    for secret in [API_KEY, "client-id-Zz9", API_SECRET, REFRESH] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[test]
fn the_defaults_follow_the_docs() {
    let s = TrustpilotSettings::default();
    // 833 per 5 minutes = 166.6 a minute; 10 000 an hour = 166.7 a minute.
    assert_eq!(s.requests_per_minute, 166);
    assert_eq!(s.rescan_days, 30);
    let c = built(json!({"business_unit_id": BU, "api_key": "k"})).unwrap();
    assert_eq!(c.base_url().as_str(), "https://api.trustpilot.com/v1");
}

#[tokio::test]
async fn the_token_request_goes_to_base_url_unless_token_url_is_set() {
    // Under a path prefix, as `…/v1` is: the refresh path is appended to it.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1{TOKEN_PATH}")))
        .respond_with(token_answer(ACCESS, REFRESH))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1{}", private_reviews())))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .expect(1)
        .mount(&server)
        .await;
    let s = TrustpilotSettings {
        base_url: Some(format!("{}/v1", server.uri())),
        ..private_settings(&server)
    };
    read_ok(&connector_with(s), "reviews", None).await;

    let other = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/custom/refresh"))
        .respond_with(token_answer(ACCESS, REFRESH))
        .expect(1)
        .mount(&other)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(private_reviews()))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .expect(1)
        .mount(&server)
        .await;
    let s = TrustpilotSettings {
        token_url: Some(format!("{}/custom/refresh", other.uri())),
        ..private_settings(&server)
    };
    read_ok(&connector_with(s), "reviews", None).await;
}
