//! Auth schemes against wiremock token endpoints and APIs, on a manual clock (no sleeps).

use super::*;
use crate::clock::ManualClock;
use crate::http::{HttpClient, HttpSettings, RetryPolicy};
use crate::jwt::tests::{ASC_P8, GOOGLE_KEY_FILE};
use std::sync::atomic::{AtomicUsize, Ordering};
use wiremock::matchers::{body_string_contains, header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        max_retry_after: Duration::from_secs(1),
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-03-01T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn client(base: &str, auth: Auth, clock: &Clock) -> HttpClient {
    let mut s = HttpSettings::new(Url::parse(base).unwrap(), auth);
    s.retry = fast();
    HttpClient::new(s).unwrap().with_clock(clock.clone())
}

#[derive(Deserialize, Debug)]
struct Doc {
    #[allow(dead_code)]
    ok: bool,
}

/// A token endpoint answering `access-1`, `access-2`, … (Help Scout's documented answer:
/// `{"token_type": "bearer", "access_token": "…", "expires_in": 172800}`).
struct Tokens {
    n: Arc<AtomicUsize>,
    expires_in: serde_json::Value,
}
impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.n.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "bearer",
            "access_token": format!("access-token-number-{i}"),
            "expires_in": self.expires_in,
        }))
    }
}

async fn api_accepting(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path("/v2/users"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .with_priority(1)
        .mount(server)
        .await;
}

async fn api_refusing_the_rest(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v2/users"))
        .respond_with(ResponseTemplate::new(401).set_body_string("{\"error\":\"invalid_token\"}"))
        .with_priority(10)
        .mount(server)
        .await;
}

#[tokio::test]
async fn client_credentials_token_is_fetched_once_cached_and_renewed_before_it_expires() {
    let server = MockServer::start().await;
    let n = Arc::new(AtomicUsize::new(0));
    // Help Scout: POST /v2/oauth2/token, grant_type=client_credentials (JSON accepted).
    Mock::given(method("POST"))
        .and(path("/v2/oauth2/token"))
        .and(body_string_contains(
            "\"grant_type\":\"client_credentials\"",
        ))
        .and(body_string_contains("\"client_id\":\"app-id-123\""))
        .respond_with(Tokens {
            n: n.clone(),
            expires_in: serde_json::json!(172800),
        })
        .mount(&server)
        .await;
    api_accepting(&server, "access-token-number-1").await;
    api_accepting(&server, "access-token-number-2").await;
    api_refusing_the_rest(&server).await;
    let token_url = Url::parse(&format!("{}/v2/oauth2/token", server.uri())).unwrap();
    let provider = ClientCredentials::new(token_url, "app-id-123", Secret::new("app-secret-456"))
        .client_auth(ClientAuth::JsonBody);
    let (clock, manual) = ManualClock::at(t0());
    let c = client(&server.uri(), Auth::Token(TokenAuth::new(provider)), &clock);
    for _ in 0..3 {
        let _: Doc = c.get_json("default", "/v2/users", &[]).await.unwrap();
    }
    assert_eq!(n.load(Ordering::SeqCst), 1, "one token for three requests");
    // Two days less five minutes later the token is renewed before use.
    manual.advance(chrono::Duration::seconds(172800 - 300));
    let _: Doc = c.get_json("default", "/v2/users", &[]).await.unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 2);
    // A clone (another stream of the source) shares the cache.
    let _: Doc = c
        .clone()
        .get_json("default", "/v2/users", &[])
        .await
        .unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 2);
    // The tokens are secrets of the client: scrubbed from any text.
    assert_eq!(c.scrub("got access-token-number-2"), "got [REDACTED]");
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_a_second_401_is_unauthorized() {
    let server = MockServer::start().await;
    let n = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_secret=the-client-secret"))
        .respond_with(Tokens {
            n: n.clone(),
            expires_in: serde_json::json!(3600),
        })
        .mount(&server)
        .await;
    // Token 1 was revoked early; token 2 works.
    api_accepting(&server, "access-token-number-2").await;
    api_refusing_the_rest(&server).await;
    let (clock, _) = ManualClock::at(t0());
    let provider = ClientCredentials::new(
        Url::parse(&format!("{}/oauth/token", server.uri())).unwrap(),
        "cid",
        Secret::new("the-client-secret"),
    );
    let c = client(&server.uri(), Auth::Token(TokenAuth::new(provider)), &clock);
    let _: Doc = c.get_json("default", "/v2/users", &[]).await.unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 2);

    // An API that refuses every token: one renewal, then Unauthorized, not a loop.
    let server = MockServer::start().await;
    let n = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .respond_with(Tokens {
            n: n.clone(),
            expires_in: serde_json::json!(3600),
        })
        .mount(&server)
        .await;
    api_refusing_the_rest(&server).await;
    let provider = ClientCredentials::new(
        Url::parse(&format!("{}/oauth/token", server.uri())).unwrap(),
        "cid",
        Secret::new("the-client-secret"),
    );
    let c = client(&server.uri(), Auth::Token(TokenAuth::new(provider)), &clock);
    let e = c
        .get_json::<Doc>("default", "/v2/users", &[])
        .await
        .unwrap_err();
    assert!(e.is_unauthorized(), "{e}");
    assert_eq!(n.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_token_endpoint_refusing_the_client_is_unauthorized_and_quotes_no_secret() {
    let server = MockServer::start().await;
    // RFC 6749 §5.2: 400 with `invalid_client`; this one echoes what it got.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            "{\"error\":\"invalid_client\",\"error_description\":\"bad secret the-client-secret\"}",
        ))
        .mount(&server)
        .await;
    let (clock, _) = ManualClock::at(t0());
    let provider = ClientCredentials::new(
        Url::parse(&format!("{}/oauth/token", server.uri())).unwrap(),
        "cid",
        Secret::new("the-client-secret"),
    );
    let c = client(&server.uri(), Auth::Token(TokenAuth::new(provider)), &clock);
    let e = c
        .get_json::<Doc>("default", "/v2/users", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(e, ConnectorError::Unauthorized { status: 400, .. }),
        "{e:?}"
    );
    assert!(!format!("{e} {e:?}").contains("the-client-secret"));
}

#[tokio::test]
async fn trustpilot_refresh_token_with_basic_client_auth_rotates_and_reports_the_new_one() {
    // developers.trustpilot.com: `Authorization: Basic base64(API_KEY:API_SECRET)`, form body,
    // answer `{ access_token, refresh_token, expires_in: "359999" }` (seconds as text).
    let server = MockServer::start().await;
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "tp-api-key:tp-api-secret"
        )
    );
    Mock::given(method("POST"))
        .and(path("/v1/oauth/oauth-business-users-for-applications/refresh"))
        .and(header("authorization", basic.as_str()))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=refresh-one-aaaa"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tp-access-token-1", "refresh_token": "refresh-two-bbbb", "expires_in": "359999"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("refresh_token=refresh-two-bbbb"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tp-access-token-2", "refresh_token": "refresh-two-bbbb", "expires_in": "359999"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    let rotated = Arc::new(Mutex::new(Vec::new()));
    let seen = rotated.clone();
    let provider = RefreshToken::new(
        Url::parse(&format!(
            "{}/v1/oauth/oauth-business-users-for-applications/refresh",
            server.uri()
        ))
        .unwrap(),
        "tp-api-key",
        Some(Secret::new("tp-api-secret")),
        Secret::new("refresh-one-aaaa"),
    )
    .client_auth(ClientAuth::Basic)
    .on_rotate(move |t| seen.lock().unwrap().push(t.expose().to_owned()));
    let handle = provider.current_refresh_token();
    let (clock, manual) = ManualClock::at(t0());
    let c = client(&server.uri(), Auth::Token(TokenAuth::new(provider)), &clock);
    let _: Doc = c
        .get_json("default", "/v1/private/business-units/x/reviews", &[])
        .await
        .unwrap();
    assert_eq!(
        *rotated.lock().unwrap(),
        vec!["refresh-two-bbbb".to_owned()]
    );
    assert_eq!(handle.get().expose(), "refresh-two-bbbb");
    // 100 hours later the next access token is asked for with the rotated refresh token.
    manual.advance(chrono::Duration::hours(100));
    let _: Doc = c
        .get_json("default", "/v1/private/business-units/x/reviews", &[])
        .await
        .unwrap();
    assert_eq!(
        rotated.lock().unwrap().len(),
        1,
        "the same refresh token again is no rotation"
    );
    assert!(!format!("{handle:?}").contains("refresh-"));
}

#[tokio::test]
async fn google_service_account_posts_the_jwt_bearer_grant_and_uses_the_token() {
    // developers.google.com/identity/protocols/oauth2/service-account: POST the token URI,
    // grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<RS256 JWT>.
    let server = MockServer::start().await;
    let expected =
        include_str!("../../tests/fixtures/keys/google_assertion_2024-03-01T08-00-00Z.jwt").trim();
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
        ))
        .and(body_string_contains(
            format!("assertion={expected}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "ya29.google-access-token", "expires_in": 3599, "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/androidpublisher/v3/applications/com.example.app/reviews",
        ))
        .and(header("authorization", "Bearer ya29.google-access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(2)
        .mount(&server)
        .await;
    let sa =
        GoogleServiceAccount::from_json(&Secret::new(GOOGLE_KEY_FILE), ANDROID_PUBLISHER_SCOPE)
            .unwrap()
            .token_url(Url::parse(&format!("{}/token", server.uri())).unwrap());
    let (clock, _) = ManualClock::at(t0());
    let c = client(&server.uri(), Auth::Token(TokenAuth::new(sa)), &clock);
    for _ in 0..2 {
        let _: Doc = c
            .get_json(
                "default",
                "/androidpublisher/v3/applications/com.example.app/reviews",
                &[],
            )
            .await
            .unwrap();
    }
    assert_eq!(
        c.scrub(expected),
        "[REDACTED]",
        "the assertion is a secret too"
    );
}

#[tokio::test]
async fn app_store_connect_requests_carry_a_fresh_es256_jwt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/apps/682658836/customerReviews"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    let key = AppStoreConnectKey::new("2X9R4HXF34", "issuer-uuid", &Secret::new(ASC_P8)).unwrap();
    let (clock, manual) = ManualClock::at(t0());
    let c = client(&server.uri(), Auth::Token(TokenAuth::new(key)), &clock);
    let get = || c.get_json::<Doc>("default", "/v1/apps/682658836/customerReviews", &[]);
    get().await.unwrap();
    get().await.unwrap();
    manual.advance(chrono::Duration::minutes(16));
    get().await.unwrap();
    let tokens: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(tokens[0], tokens[1], "a token is reused while fresh");
    assert_ne!(
        tokens[1], tokens[2],
        "and signed again 5 minutes before its 20 run out"
    );
    let claims = |t: &str| -> serde_json::Value {
        let part = t.trim_start_matches("Bearer ").split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(claims(&tokens[0])["iat"], 1709280000);
    assert_eq!(claims(&tokens[2])["iat"], 1709280000 + 16 * 60);
}

#[tokio::test]
async fn api_keys_in_a_header_or_the_query_are_sent_and_never_echoed_in_errors() {
    let server = MockServer::start().await;
    // Trustpilot: `apikey: {key}` header (developers.trustpilot.com/authentication).
    Mock::given(method("GET"))
        .and(path("/v1/business-units/find"))
        .and(header("apikey", "tp-public-api-key-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    // Places legacy: `?key=…`, also on a next page; a 400 that echoes the URL.
    Mock::given(method("GET"))
        .and(path("/maps/api/place/details/json"))
        .and(query_param("key", "AIzaSy-places-key-456"))
        .and(query_param("place_id", "ChIJN1t_tDeuEmsRUsoyG83frY4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/maps/api/place/details/json"))
        .respond_with(|r: &Request| {
            ResponseTemplate::new(400).set_body_string(format!("bad request for {}", r.url))
        })
        .with_priority(10)
        .mount(&server)
        .await;
    let (clock, _) = ManualClock::at(t0());
    let c = client(
        &server.uri(),
        Auth::Header {
            name: "apikey".into(),
            value: Secret::new("tp-public-api-key-123"),
        },
        &clock,
    );
    let _: Doc = c
        .get_json(
            "default",
            "/v1/business-units/find",
            &[("name", "example.com".into())],
        )
        .await
        .unwrap();
    let q = client(
        &server.uri(),
        Auth::Query {
            name: "key".into(),
            value: Secret::new("AIzaSy-places-key-456"),
        },
        &clock,
    );
    let _: Doc = q
        .get_json(
            "default",
            "/maps/api/place/details/json",
            &[("place_id", "ChIJN1t_tDeuEmsRUsoyG83frY4".into())],
        )
        .await
        .unwrap();
    // A next URL that already carries the key gets it once.
    let next = format!(
        "{}/maps/api/place/details/json?place_id=ChIJN1t_tDeuEmsRUsoyG83frY4&key=AIzaSy-places-key-456",
        server.uri()
    );
    let _: Doc = q.get_json("default", &next, &[]).await.unwrap();
    let e = q
        .get_json::<Doc>(
            "default",
            "/maps/api/place/details/json",
            &[("place_id", "other".into())],
        )
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(!text.contains("AIzaSy-places-key-456"), "{text}");
    assert!(text.contains("[REDACTED]"), "{text}");
    let printed = format!(
        "{:?} {:?}",
        Auth::Query {
            name: "key".into(),
            value: Secret::new("AIzaSy-places-key-456")
        },
        q
    );
    assert!(!printed.contains("AIzaSy"), "{printed}");
}
