//! The service account's JWT bearer grant (developers.google.com/identity/protocols/oauth2/service-account):
//! the token request, its assertion (against a known answer computed by OpenSSL), the
//! access token on every request, and one renewal after a 401.

use crate::common::*;
use base64::Engine as _;
use deskpulse_connector::testkit::{fast_retry, read, read_ok};
use deskpulse_connector::{Clock, ConnectorError, HttpConnector as _};
use deskpulse_connector_google_play::GooglePlayConnector;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GRANT: &str = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";

/// The assertion OpenSSL computed for the test key at 2024-03-01T08:00:00Z.
fn known_assertion() -> String {
    let p = format!(
        "{}/tests/fixtures/keys/google_assertion_2024-03-01T08-00-00Z.jwt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(p).unwrap().trim().to_owned()
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn decode_part(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

#[tokio::test]
async fn the_grant_carries_the_known_assertion_and_its_token_every_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains(GRANT))
        .and(body_string_contains(
            format!("assertion={}", known_assertion()).as_str(),
        ))
        .respond_with(token_answer(ACCESS_TOKEN))
        .expect(1)
        .mount(&server)
        .await;
    mount_page(
        &server,
        None,
        page(
            vec![review("r1", 5, "a", "2024-02-28T10:00:00Z", None)],
            Some("p2"),
        ),
    )
    .await;
    mount_page(
        &server,
        Some("p2"),
        page(
            vec![review("r2", 4, "b", "2024-02-27T10:00:00Z", None)],
            None,
        ),
    )
    .await;
    // The key file's `token_uri` is Google's, so the JWT's audience is Google's endpoint
    // even though `token_url` sends the grant to the mock server.
    let c = GooglePlayConnector::new(settings(&server.uri()))
        .unwrap()
        .with_retry_policy(fast_retry())
        .with_clock(Clock::fixed(at("2024-03-01T08:00:00Z")));
    let batches = read_ok(&c, "reviews", None).await;
    assert_eq!(batches.len(), 2, "one token for both pages");
}

#[tokio::test]
async fn the_assertion_names_the_client_the_scope_and_the_key_files_token_uri() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_page(&server, None, json!({})).await;
    // A key file whose `token_uri` is the mock server, and no `token_url`: the grant goes
    // there, and it is the JWT's audience.
    let dir = tempfile::tempdir().unwrap();
    let mut key: Value = serde_json::from_str(&key_file()).unwrap();
    let token_url = format!("{}{TOKEN_PATH}", server.uri());
    key["token_uri"] = json!(token_url);
    let key_path = dir.path().join("key.json");
    std::fs::write(&key_path, key.to_string()).unwrap();
    let mut s = settings(&server.uri());
    s.service_account_path = Some(key_path.display().to_string());
    s.token_url = None;
    read_ok(&build(s), "reviews", None).await;

    let requests = server.received_requests().await.unwrap();
    let grant = requests
        .iter()
        .find(|r| r.url.path() == TOKEN_PATH)
        .expect("a token request");
    let f = form(&grant.body);
    let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["grant_type", "assertion"]);
    assert_eq!(f[0].1, "urn:ietf:params:oauth:grant-type:jwt-bearer");
    let parts: Vec<&str> = f[1].1.split('.').collect();
    assert_eq!(parts.len(), 3, "a signed JWT");
    assert_eq!(decode_part(parts[0]), json!({"alg": "RS256", "typ": "JWT"}));
    let now = now().timestamp();
    assert_eq!(
        decode_part(parts[1]),
        json!({
            "iss": "deskpulse-play@deskpulse-test.iam.gserviceaccount.com",
            "scope": "https://www.googleapis.com/auth/androidpublisher",
            "aud": token_url,
            "iat": now,
            "exp": now + 3600,
        })
    );
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_goes_on() {
    let server = MockServer::start().await;
    // The first token is revoked early; the second works.
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_answer("ya29.revoked-token-0001"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_answer(ACCESS_TOKEN))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(header("authorization", "Bearer ya29.revoked-token-0001"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": 401, "status": "UNAUTHENTICATED"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    serve_reviews(
        &server,
        vec![review("r1", 5, "a", "2026-11-10T10:00:00Z", None)],
    )
    .await;
    let batches = read_ok(&connector(&server), "reviews", None).await;
    assert_eq!(batches.len(), 1);
}

#[tokio::test]
async fn a_second_401_is_unauthorized_after_one_renewal() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_answer(ACCESS_TOKEN))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "reviews", None).await;
    assert!(batches.is_empty());
    assert!(
        matches!(err, Some(ConnectorError::Unauthorized { status: 401, .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refused_grant_or_a_missing_permission_is_unauthorized() {
    // Google answers a grant it refuses with 400 `invalid_grant` (RFC 6749 §5.2).
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
        ))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "reviews", None).await;
    assert!(
        matches!(err, Some(ConnectorError::Unauthorized { .. })),
        "{err:?}"
    );
    // A service account without the "Reply to reviews" permission: 403.
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": 403, "status": "PERMISSION_DENIED",
            "message": "The caller does not have permission"
        }})))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "reviews", None).await;
    assert!(
        matches!(err, Some(ConnectorError::Unauthorized { status: 403, .. })),
        "{err:?}"
    );
}
