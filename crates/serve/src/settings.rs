//! What the server needs to start: where it listens and who may read it.
//!
//! **Safe by default.** The server listens on loopback (`127.0.0.1:8080`) unless told
//! otherwise, and [`ServeSettings::check`] refuses any other address without [`Auth`]: a
//! dashboard of a team's numbers is never reachable from the network by accident.

use std::net::SocketAddr;

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use secrecy::{ExposeSecret, SecretString};

/// Where `deskpulse serve` listens when nothing is configured.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The server's settings (the CLI builds them from `[serve]`).
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub listen: SocketAddr,
    /// Required when `listen` is not a loopback address.
    pub auth: Option<Auth>,
}

/// How clients prove they may read. `Debug` names the kind and the user, never the secret.
#[derive(Clone)]
pub enum Auth {
    /// `Authorization: Bearer TOKEN` (a browser may also send it as the password of HTTP
    /// Basic authentication, with any user name).
    Token(SecretString),
    /// HTTP Basic authentication of one user, checked against an Argon2 hash (a PHC string,
    /// `$argon2id$v=19$…`, as [`hash_password`] writes it).
    Password { user: String, hash: SecretString },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Token(_) => f.write_str("Auth::Token([REDACTED])"),
            Auth::Password { user, .. } => {
                write!(f, "Auth::Password {{ user: {user:?}, hash: [REDACTED] }}")
            }
        }
    }
}

impl Auth {
    /// A user with an Argon2 hash: the hash must be a PHC string of an Argon2 variant.
    pub fn password(user: &str, hash: &str) -> Result<Auth, String> {
        if user.is_empty() || user.contains(':') {
            return Err("the user name must be non-empty and hold no ':'".into());
        }
        let parsed = PasswordHash::new(hash).map_err(|_| {
            "is not an Argon2 PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`): make one with `deskpulse serve --hash-password`".to_owned()
        })?;
        if !parsed.algorithm.as_str().starts_with("argon2") {
            return Err(format!(
                "hashes with {}, not Argon2: make one with `deskpulse serve --hash-password`",
                parsed.algorithm
            ));
        }
        Ok(Auth::Password {
            user: user.to_owned(),
            hash: SecretString::from(hash.to_owned()),
        })
    }

    /// A bearer token; short tokens are refused (they are guessed, not stolen).
    pub fn token(token: &str) -> Result<Auth, String> {
        if token.chars().count() < MIN_TOKEN_CHARS {
            return Err(format!(
                "is shorter than {MIN_TOKEN_CHARS} characters: use a long random token, e.g. `openssl rand -hex 32`"
            ));
        }
        Ok(Auth::Token(SecretString::from(token.to_owned())))
    }

    pub(crate) fn expose_token(&self) -> Option<&str> {
        match self {
            Auth::Token(t) => Some(t.expose_secret()),
            Auth::Password { .. } => None,
        }
    }
}

/// The shortest bearer token accepted.
pub const MIN_TOKEN_CHARS: usize = 16;

/// Why the server did not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to listen on {listen} without authentication: that address is reachable from other machines. Either listen on loopback (`[serve] listen = \"127.0.0.1:8080\"`, the default, and put a reverse proxy in front), or set `[serve.auth] token = \"${{DESKPULSE_SERVE_TOKEN}}\"` (clients send `Authorization: Bearer …`) or `[serve.auth] user` and `hashed_password` (from `deskpulse serve --hash-password`); see docs/deployment.md"
    )]
    NeedsAuth { listen: SocketAddr },
    #[error("cannot listen on {listen}: {detail}")]
    Bind { listen: SocketAddr, detail: String },
    #[error("the server failed: {0}")]
    Io(String),
}

impl ServeSettings {
    /// Loopback on the default port, no authentication.
    pub fn loopback() -> ServeSettings {
        ServeSettings {
            listen: DEFAULT_LISTEN.parse().expect("a valid default address"),
            auth: None,
        }
    }

    /// Refuses a non-loopback address without authentication.
    pub fn check(&self) -> Result<(), ServeError> {
        if self.auth.is_none() && !self.listen.ip().is_loopback() {
            return Err(ServeError::NeedsAuth {
                listen: self.listen,
            });
        }
        Ok(())
    }
}

/// An Argon2id hash (default parameters, a random salt) of `password`, as a PHC string for
/// `[serve.auth] hashed_password`.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| format!("cannot make a salt: {e}"))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_needs_auth() {
        let mut s = ServeSettings::loopback();
        assert!(s.check().is_ok());
        s.listen = "[::1]:9000".parse().unwrap();
        assert!(s.check().is_ok());
        s.listen = "0.0.0.0:8080".parse().unwrap();
        let e = s.check().unwrap_err().to_string();
        assert!(
            e.contains("0.0.0.0:8080") && e.contains("[serve.auth]"),
            "{e}"
        );
        s.auth = Some(Auth::token("0123456789abcdef0123").unwrap());
        assert!(s.check().is_ok());
    }

    #[test]
    fn secrets_never_debug() {
        let t = Auth::token("very-secret-token-1234").unwrap();
        let h = hash_password("pw-123456").unwrap();
        let p = Auth::password("lead", &h).unwrap();
        let shown = format!("{t:?} {p:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains(&h),
            "{shown}"
        );
        assert!(shown.contains("lead"), "{shown}");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(Auth::token("short").is_err());
        assert!(Auth::password("lead", "plain-text").is_err());
        assert!(Auth::password("a:b", &hash_password("x").unwrap()).is_err());
        let h = hash_password("pw").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(Auth::password("lead", &h).is_ok());
    }
}
