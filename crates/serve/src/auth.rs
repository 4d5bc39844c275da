//! Who may read: every route but `/healthz` passes [`Authenticator::allows`] when `[serve]
//! auth` is set.
//!
//! * A **token** is accepted as `Authorization: Bearer TOKEN` (Prometheus, scripts), or as
//!   the password of HTTP Basic authentication with any user name (what a browser's login
//!   prompt sends). Both sides are hashed with SHA-256 and the digests compared in constant
//!   time, so the comparison leaks nothing about the token.
//! * A **user and Argon2 hash**: HTTP Basic, verified with Argon2 off the async workers. A
//!   browser sends the same credentials with every request, and Argon2 is slow by design,
//!   so the SHA-256 digests of the last few verified `user:password` pairs are remembered
//!   (in memory only) and checked first; one verification runs at a time, so a flood of
//!   wrong passwords queues instead of eating every core.
//!
//! Nothing here logs a header, a token, a password or a hash.

use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::settings::Auth;

/// Verified `user:password` digests kept.
const REMEMBERED: usize = 16;

pub(crate) struct Authenticator {
    auth: Option<Auth>,
    /// SHA-256 of the token, when the auth is a token.
    token_digest: Option<[u8; 32]>,
    verified: Mutex<Vec<[u8; 32]>>,
    argon: Semaphore,
}

impl Authenticator {
    pub(crate) fn new(auth: Option<Auth>) -> Authenticator {
        let token_digest = auth.as_ref().and_then(Auth::expose_token).map(sha256);
        Authenticator {
            auth,
            token_digest,
            verified: Mutex::new(Vec::new()),
            argon: Semaphore::new(1),
        }
    }

    /// Whether the request's credentials are good (always, without `[serve] auth`).
    pub(crate) async fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(auth) = &self.auth else {
            return true;
        };
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        match auth {
            Auth::Token(_) => {
                let presented = match scheme(value, "Bearer") {
                    Some(t) => t.trim().to_owned(),
                    None => match basic(value) {
                        Some((_, password)) => password,
                        None => return false,
                    },
                };
                self.token_digest
                    .is_some_and(|want| same(&want, &sha256(&presented)))
            }
            Auth::Password { user, hash } => {
                let Some((u, password)) = basic(value) else {
                    return false;
                };
                let pair = sha256(&format!("{u}:{password}"));
                if self.remembered(&pair) {
                    return true;
                }
                if !same(&sha256(&u), &sha256(user)) {
                    return false;
                }
                let ok = self.verify(hash.expose_secret().to_owned(), password).await;
                if ok {
                    self.remember(pair);
                }
                ok
            }
        }
    }

    /// The `WWW-Authenticate` challenges of a 401: Basic, so a browser asks for a login, and
    /// Bearer for a token.
    pub(crate) fn challenges(&self) -> Vec<HeaderValue> {
        let mut out = vec![HeaderValue::from_static(
            "Basic realm=\"deskpulse\", charset=\"UTF-8\"",
        )];
        if matches!(self.auth, Some(Auth::Token(_))) {
            out.push(HeaderValue::from_static("Bearer realm=\"deskpulse\""));
        }
        out
    }

    async fn verify(&self, hash: String, password: String) -> bool {
        let Ok(_permit) = self.argon.acquire().await else {
            return false;
        };
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|h| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false)
    }

    fn remembered(&self, pair: &[u8; 32]) -> bool {
        self.verified
            .lock()
            .map(|v| v.iter().any(|d| same(d, pair)))
            .unwrap_or(false)
    }

    fn remember(&self, pair: [u8; 32]) {
        if let Ok(mut v) = self.verified.lock() {
            if v.len() >= REMEMBERED {
                v.remove(0);
            }
            v.push(pair);
        }
    }
}

fn sha256(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Constant-time equality of two digests.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The credentials after `SCHEME ` (the scheme compared ignoring case).
fn scheme<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    let (s, rest) = value.split_once(' ')?;
    s.eq_ignore_ascii_case(name).then_some(rest)
}

/// `(user, password)` of an HTTP Basic `Authorization` value.
fn basic(value: &str) -> Option<(String, String)> {
    let encoded = scheme(value, "Basic")?.trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::hash_password;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    fn basic_header(user: &str, pw: &str) -> String {
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"));
        format!("Basic {b}")
    }

    #[tokio::test]
    async fn token_as_bearer_or_basic_password() {
        let a = Authenticator::new(Some(Auth::token("tok-0123456789abcdef").unwrap()));
        assert!(a.allows(&headers("Bearer tok-0123456789abcdef")).await);
        assert!(a.allows(&headers("bearer tok-0123456789abcdef")).await);
        assert!(
            a.allows(&headers(&basic_header("anyone", "tok-0123456789abcdef")))
                .await
        );
        assert!(!a.allows(&headers("Bearer tok-0123456789abcdeX")).await);
        assert!(!a.allows(&HeaderMap::new()).await);
        assert!(!a.allows(&headers("Token tok-0123456789abcdef")).await);
    }

    #[tokio::test]
    async fn user_and_argon2_hash() {
        let hash = hash_password("correct horse").unwrap();
        let a = Authenticator::new(Some(Auth::password("lead", &hash).unwrap()));
        assert!(
            a.allows(&headers(&basic_header("lead", "correct horse")))
                .await
        );
        // Remembered: the same pair again, without Argon2.
        assert!(
            a.allows(&headers(&basic_header("lead", "correct horse")))
                .await
        );
        assert!(!a.allows(&headers(&basic_header("lead", "wrong"))).await);
        assert!(
            !a.allows(&headers(&basic_header("other", "correct horse")))
                .await
        );
        assert!(!a.allows(&headers("Bearer correct horse")).await);
    }

    #[tokio::test]
    async fn no_auth_allows_everything() {
        let a = Authenticator::new(None);
        assert!(a.allows(&HeaderMap::new()).await);
    }
}
