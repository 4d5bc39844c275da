//! Known-answer and verification tests of JWT signing, on test-only keys made by OpenSSL
//! (see `tests/fixtures/keys/PROVENANCE.md`).

use super::*;
use crate::auth::{ANDROID_PUBLISHER_SCOPE, AppStoreConnectKey, GoogleServiceAccount};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
};
use chrono::{DateTime, Utc};

pub(crate) const ASC_P8: &str = include_str!("../../tests/fixtures/keys/asc_test_key.p8");
const ASC_PUB_HEX: &str = include_str!("../../tests/fixtures/keys/asc_test_key.pub.hex");
pub(crate) const GOOGLE_KEY_FILE: &str =
    include_str!("../../tests/fixtures/keys/google_service_account_test.json");
const GOOGLE_PUB: &[u8] =
    include_bytes!("../../tests/fixtures/keys/google_service_account_test.pub.pkcs1.der");
const GOOGLE_ASSERTION: &str =
    include_str!("../../tests/fixtures/keys/google_assertion_2024-03-01T08-00-00Z.jwt");

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The header and claims of a compact JWS, and the signature checked with `key`.
fn decode(
    token: &str,
    alg: &'static dyn signature::VerificationAlgorithm,
    key: &[u8],
) -> (serde_json::Value, serde_json::Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    UnparsedPublicKey::new(alg, key)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .expect("the signature verifies with the public key");
    let json = |p: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
    (json(parts[0]), json(parts[1]))
}

#[test]
fn app_store_connect_token_has_apples_header_and_claims_and_verifies_with_the_public_key() {
    // developer.apple.com/documentation/appstoreconnectapi/generating-tokens-for-api-requests:
    // header alg ES256, kid, typ JWT; payload iss (issuer id), iat, exp (≤ 20 minutes),
    // aud "appstoreconnect-v1".
    let key = AppStoreConnectKey::new(
        "2X9R4HXF34",
        "57246542-96fe-1a63-e053-0824d011072a",
        &Secret::new(ASC_P8),
    )
    .unwrap();
    let now = at("2024-03-01T08:00:00Z");
    let token = key.sign_at(now).unwrap();
    let (header, claims) = decode(token.expose(), &ECDSA_P256_SHA256_FIXED, &hex(ASC_PUB_HEX));
    assert_eq!(
        header,
        serde_json::json!({"alg": "ES256", "kid": "2X9R4HXF34", "typ": "JWT"})
    );
    assert_eq!(
        claims,
        serde_json::json!({
            "iss": "57246542-96fe-1a63-e053-0824d011072a",
            "iat": 1709280000,
            "exp": 1709280000 + 1200,
            "aud": "appstoreconnect-v1"
        })
    );
    // The signature is the fixed 64-byte r‖s JWS wants, not DER.
    let sig = URL_SAFE_NO_PAD
        .decode(token.expose().rsplit('.').next().unwrap())
        .unwrap();
    assert_eq!(sig.len(), 64);
    // A longer life than Apple allows is cut to 20 minutes.
    let long = AppStoreConnectKey::new("K", "I", &Secret::new(ASC_P8))
        .unwrap()
        .lifetime(std::time::Duration::from_secs(3600));
    let (_, claims) = decode(
        long.sign_at(now).unwrap().expose(),
        &ECDSA_P256_SHA256_FIXED,
        &hex(ASC_PUB_HEX),
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        1200
    );
}

#[test]
fn google_service_account_assertion_is_the_known_answer_openssl_computed() {
    let sa =
        GoogleServiceAccount::from_json(&Secret::new(GOOGLE_KEY_FILE), ANDROID_PUBLISHER_SCOPE)
            .unwrap();
    let token = sa.assertion_at(at("2024-03-01T08:00:00Z")).unwrap();
    assert_eq!(token.expose(), GOOGLE_ASSERTION.trim());
    let (header, claims) = decode(token.expose(), &RSA_PKCS1_2048_8192_SHA256, GOOGLE_PUB);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
    assert_eq!(claims["scope"], ANDROID_PUBLISHER_SCOPE);
}

#[test]
fn keys_that_are_not_what_the_scheme_needs_are_settings_errors_that_show_no_key() {
    let not_pem = Secret::new("MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg-not-a-key");
    let e = JwtKey::es256_pem(&not_pem).unwrap_err();
    assert!(e.to_string().contains("BEGIN PRIVATE KEY"), "{e}");
    assert!(!e.to_string().contains("not-a-key"), "{e}");
    // An RSA key where ES256 is needed, and the other way round.
    let rsa_pem: serde_json::Value = serde_json::from_str(GOOGLE_KEY_FILE).unwrap();
    let rsa_pem = Secret::new(rsa_pem["private_key"].as_str().unwrap());
    assert!(
        JwtKey::es256_pem(&rsa_pem)
            .unwrap_err()
            .to_string()
            .contains("P-256")
    );
    assert!(
        JwtKey::rs256_pem(&Secret::new(ASC_P8))
            .unwrap_err()
            .to_string()
            .contains("RSA")
    );
    // Debug shows which kind, never the key.
    assert_eq!(
        format!("{:?}", JwtKey::es256_pem(&Secret::new(ASC_P8)).unwrap()),
        "JwtKey::Es256([REDACTED])"
    );
}

#[test]
fn a_key_file_that_is_not_a_service_accounts_says_what_is_missing_and_never_quotes_it() {
    let e =
        GoogleServiceAccount::from_json(&Secret::new("{\"private_key\": \"-----BEGIN x\"}"), "s")
            .err()
            .unwrap();
    assert!(e.to_string().contains("client_email"), "{e}");
    assert!(!e.to_string().contains("BEGIN x"), "{e}");
    let e = GoogleServiceAccount::from_json(
        &Secret::new(GOOGLE_KEY_FILE.replace("service_account", "authorized_user")),
        "s",
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("service_account"), "{e}");
}
