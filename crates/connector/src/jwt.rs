//! JSON Web Tokens signed with the workspace's one crypto provider, aws-lc-rs (the one rustls
//! and reqwest use: no `ring` beside it). Compact JWS (RFC 7515): base64url of the header,
//! `.`, base64url of the claims, `.`, base64url of the signature. ES256's signature is the
//! fixed 64-byte `r‖s` (RFC 7518 §3.4), which aws-lc-rs's `*_FIXED_SIGNING` gives as is;
//! RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (§3.3), deterministic.
//!
//! Keys come as PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`: Apple's `.p8`, a Google key
//! file's `private_key`), read with rustls-pki-types. Errors say what is wrong with a key,
//! never show it.

use crate::{ConnectorError, Secret};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use std::fmt;

/// A private key a JWT is signed with.
pub enum JwtKey {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JwtKey::Es256(_) => "JwtKey::Es256([REDACTED])",
            JwtKey::Rs256(_) => "JwtKey::Rs256([REDACTED])",
        })
    }
}

fn pkcs8(pem: &Secret, what: &str) -> Result<PrivatePkcs8KeyDer<'static>, ConnectorError> {
    PrivatePkcs8KeyDer::from_pem_slice(pem.expose().trim().as_bytes()).map_err(|_| {
        ConnectorError::Settings(format!(
            "the {what} private key is not a PEM PKCS#8 key: paste the whole file, from `-----BEGIN PRIVATE KEY-----` to `-----END PRIVATE KEY-----`"
        ))
    })
}

impl JwtKey {
    /// A P-256 key (ES256), from PEM PKCS#8.
    pub fn es256_pem(pem: &Secret) -> Result<Self, ConnectorError> {
        let der = pkcs8(pem, "ES256 (P-256)")?;
        EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            der.secret_pkcs8_der(),
        )
        .map(JwtKey::Es256)
        .map_err(|_| {
            ConnectorError::Settings(
                "the private key is not a P-256 (ES256) key: App Store Connect's `.p8` keys are"
                    .into(),
            )
        })
    }

    /// An RSA key (RS256), from PEM PKCS#8.
    pub fn rs256_pem(pem: &Secret) -> Result<Self, ConnectorError> {
        let der = pkcs8(pem, "RS256 (RSA)")?;
        RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map(JwtKey::Rs256)
            .map_err(|_| {
                ConnectorError::Settings("the private key is not an RSA (RS256) key".into())
            })
    }

    fn alg(&self) -> &'static str {
        match self {
            JwtKey::Es256(_) => "ES256",
            JwtKey::Rs256(_) => "RS256",
        }
    }

    /// The public key's bytes (ES256: the uncompressed point; RS256: PKCS#1 DER), for
    /// verifying in tests.
    pub fn public_key(&self) -> Vec<u8> {
        match self {
            JwtKey::Es256(k) => k.public_key().as_ref().to_vec(),
            JwtKey::Rs256(k) => k.public_key().as_ref().to_vec(),
        }
    }
}

/// Signs `claims` as a compact JWS with `key`; `kid` goes into the header when given.
pub fn sign_jwt(
    key: &JwtKey,
    kid: Option<&str>,
    claims: &serde_json::Value,
) -> Result<String, ConnectorError> {
    let mut header = serde_json::json!({ "alg": key.alg(), "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = serde_json::json!(kid);
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let rng = SystemRandom::new();
    let sig = match key {
        JwtKey::Es256(k) => k
            .sign(&rng, signing_input.as_bytes())
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| ConnectorError::Settings("signing the ES256 token failed".into()))?,
        JwtKey::Rs256(k) => {
            let mut out = vec![0u8; k.public_modulus_len()];
            k.sign(
                &signature::RSA_PKCS1_SHA256,
                &rng,
                signing_input.as_bytes(),
                &mut out,
            )
            .map_err(|_| ConnectorError::Settings("signing the RS256 token failed".into()))?;
            out
        }
    };
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

#[cfg(test)]
pub(crate) mod tests;
