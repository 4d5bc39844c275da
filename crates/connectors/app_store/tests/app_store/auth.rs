//! The API key on the wire: every request carries `Authorization: Bearer <JWT>`, an ES256
//! token with Apple's header and claims (developer.apple.com/documentation/appstoreconnectapi/
//! generating-tokens-for-api-requests), verified here with the test key's public half; a
//! rejected token is `Unauthorized` and neither it nor the key is in the error.

use crate::common::*;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use deskpulse_connector::testkit::{read, read_ok};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The header and claims of a compact JWS whose signature the test key's public half
/// verifies.
fn verified(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS");
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key())
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .expect("signed with the configured key");
    let json = |p: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
    (json(parts[0]), json(parts[1]))
}

#[tokio::test]
async fn every_request_carries_an_es256_jwt_with_apples_header_and_claims() {
    let server = MockServer::start().await;
    let (r, _) = review("r1", 4, "2024-07-01T10:00:00Z", None);
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![(r, None)], None, 1)))
        .mount(&server)
        .await;
    read_ok(&connector(&server.uri()), "customer_reviews", None).await;
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let auth = requests[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    let token = auth.strip_prefix("Bearer ").expect("a bearer token");
    let (header, claims) = verified(token);
    assert_eq!(header, json!({"alg": "ES256", "kid": KEY_ID, "typ": "JWT"}));
    // Signed at the client's clock, for Apple's longest life: 20 minutes.
    let iat = at(NOW).timestamp();
    assert_eq!(
        claims,
        json!({"iss": ISSUER, "iat": iat, "exp": iat + 1200, "aud": "appstoreconnect-v1"})
    );
}

#[tokio::test]
async fn a_rejected_token_is_unauthorized_and_shows_neither_token_nor_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"errors": [{
            "status": "401", "code": "NOT_AUTHORIZED",
            "title": "Authentication credentials are missing or invalid."
        }]})))
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server.uri()), "customer_reviews", None).await;
    assert!(batches.is_empty());
    let err = err.expect("an error");
    assert!(err.is_unauthorized(), "{err:?}");
    // A new token once (the first might have been revoked), then the key's fault.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let shown = format!("{err} {err:?}");
    for r in &requests {
        let token = r.headers.get("authorization").unwrap().to_str().unwrap();
        let token = token.strip_prefix("Bearer ").unwrap();
        assert!(!shown.contains(token), "{shown}");
        for part in token.split('.') {
            assert!(!shown.contains(part), "{shown}");
        }
    }
    let pem = key_pem();
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!shown.contains(line), "{shown}");
    }
}
