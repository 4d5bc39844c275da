//! Settings: every error names the key to fix, the OAuth keys come all three or not at all,
//! secrets stay out of `Debug`, the kind is well declared, and `base_url` / `token_url`
//! carry every request.

use crate::common::*;
use deskpulse_connector::registry::{ConnectorKind as _, check_kind};
use deskpulse_connector::testkit::settings_error;
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
    let ok = json!({"business_unit_id": BU, "api_key": "k"});
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
        (without("business_unit_id"), "business_unit_id"),
        (with("business_unit_id", json!("  ")), "business_unit_id"),
        (
            with("business_unit_id", json!("../admin")),
            "business_unit_id",
        ),
        (without("api_key"), "api_key"),
        (with("api_key", json!("")), "api_key"),
        (with("page_size", json!(0)), "page_size"),
        (with("page_size", json!(101)), "page_size"),
        (with("rescan_days", json!(400)), "rescan_days"),
        (with("base_url", json!("ftp://h")), "base_url"),
        (
            with("token_url", json!("https://auth.example/refresh")),
            "token_url",
        ),
    ] {
        let err = settings_error(built(s.clone()));
        assert!(err.contains(&format!("`{key}`")), "{s}: {err}");
    }
    assert!(built(ok.clone()).is_ok());
    assert!(built(with("page_size", json!(100))).is_ok());
    assert!(built(with("rescan_days", json!(0))).is_ok());
    let unknown: Result<TrustpilotSettings, _> = serde_json::from_value(with("apikey", json!("x")));
    assert!(unknown.is_err(), "a typo is refused");
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
