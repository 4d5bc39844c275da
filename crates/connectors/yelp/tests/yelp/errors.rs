//! Yelp's error answers (`{"error": {"code", "description"}}`, as Yelp's API returns them):
//! the ones a user can fix are said in words naming the setting; the rest stay the SDK's.

use crate::common::*;
use deskpulse_connector::ConnectorError;
use deskpulse_connector::testkit::{assert_http_error, read};
use wiremock::MockServer;

async fn error_of(
    stream: &str,
    p: &str,
    status: u16,
    code: &str,
    description: &str,
) -> ConnectorError {
    let server = MockServer::start().await;
    mount_error(&server, p, status, code, description).await;
    let (batches, err) = read(&connector(&server), stream, None).await;
    assert!(batches.is_empty());
    err.expect("an error")
}

fn names_business_id(err: &ConnectorError) -> String {
    assert!(
        matches!(err, ConnectorError::Settings(_)),
        "expected a settings error, got {err:?}"
    );
    assert_eq!(err.setting_key(), Some("business_id"), "{err}");
    let m = err.to_string();
    assert!(m.contains(ALIAS) && m.contains("/biz/"), "{m}");
    m
}

#[tokio::test]
async fn a_business_yelp_does_not_know_is_an_error_naming_business_id() {
    let p = business_path(ALIAS);
    let e = error_of(
        "business",
        &p,
        404,
        "BUSINESS_NOT_FOUND",
        "The requested business could not be found.",
    )
    .await;
    let m = names_business_id(&e);
    assert!(
        m.contains("BUSINESS_NOT_FOUND"),
        "Yelp's own words are quoted: {m}"
    );
    // Yelp's generic 404 for an unknown id or alias (Yelp/yelp-fusion#308) says the same.
    let e = error_of(
        "business",
        &p,
        404,
        "NOT_FOUND",
        "Resource could not be found.",
    )
    .await;
    names_business_id(&e);
}

#[tokio::test]
async fn business_not_found_on_the_reviews_names_business_id_too() {
    for status in [400, 404] {
        let e = error_of(
            "reviews",
            &reviews_path(ALIAS),
            status,
            "BUSINESS_NOT_FOUND",
            "The requested business could not be found.",
        )
        .await;
        names_business_id(&e);
    }
}

#[tokio::test]
async fn a_404_on_the_reviews_says_the_plan_may_lack_excerpts() {
    // Yelp's answer to keys whose plan has no review excerpts (Yelp/yelp-fusion#702).
    let e = error_of(
        "reviews",
        &reviews_path(ALIAS),
        404,
        "NOT_FOUND",
        "Resource could not be found.",
    )
    .await;
    let m = e.to_string();
    assert_http_error(&Some(e), 404, 1);
    assert!(
        m.contains("NOT_FOUND") && m.contains("plan") && m.contains("`business_id`"),
        "{m}"
    );
}

#[tokio::test]
async fn the_daily_limit_is_named_as_such_after_the_retries() {
    let e = error_of(
        "business",
        &business_path(ALIAS),
        429,
        "ACCESS_LIMIT_REACHED",
        "You've reached the access limit for this client.",
    )
    .await;
    // fast_retry: 3 attempts, then given up.
    let m = e.to_string();
    assert_http_error(&Some(e), 429, 3);
    assert!(m.contains("midnight UTC"), "{m}");
}

#[tokio::test]
async fn other_errors_stay_as_the_sdk_reports_them() {
    // 403 is rejected credentials to the SDK, which keeps no body: Yelp's
    // BUSINESS_UNAVAILABLE (a business without recommended reviews) reads the same.
    let e = error_of(
        "business",
        &business_path(ALIAS),
        403,
        "BUSINESS_UNAVAILABLE",
        "We may not be able to provide details for certain businesses.",
    )
    .await;
    assert!(e.is_unauthorized(), "{e:?}");
    let e = error_of(
        "reviews",
        &reviews_path(ALIAS),
        401,
        "TOKEN_INVALID",
        "Invalid access token",
    )
    .await;
    assert!(e.is_unauthorized(), "{e:?}");
    let e = error_of(
        "reviews",
        &reviews_path(ALIAS),
        400,
        "VALIDATION_ERROR",
        "is invalid",
    )
    .await;
    assert!(!e.to_string().contains("plan"), "{e}");
    assert_http_error(&Some(e), 400, 1);
    let e = error_of(
        "business",
        &business_path(ALIAS),
        500,
        "INTERNAL_ERROR",
        "Something went wrong",
    )
    .await;
    assert_http_error(&Some(e), 500, 3);
}
