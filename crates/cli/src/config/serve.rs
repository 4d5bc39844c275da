//! `[serve]`: the dashboard, JSON API and `/metrics` of `deskpulse serve` — and of
//! `deskpulse run` when `listen` is set (all optional).
//!
//! ```toml
//! [serve]
//! listen = "127.0.0.1:8080"
//! [serve.auth]
//! token = "${DESKPULSE_SERVE_TOKEN}"
//! ```
//!
//! Whether an address needs `auth` is checked when a server starts (a `[serve]` mistake of
//! that kind does not stop `report` or `sync`); the shape of the keys is checked at load.

use super::KeyError;
use deskpulse_connector::Secret;
use deskpulse_serve::Auth;
use serde::Deserialize;
use std::net::{Ipv4Addr, SocketAddr};

#[derive(Debug, Clone, Default)]
pub struct ServeConfig {
    /// `[serve] listen`: where `deskpulse serve` listens (default
    /// [`deskpulse_serve::DEFAULT_LISTEN`]); when set, `deskpulse run` serves too.
    pub listen: Option<SocketAddr>,
    pub auth: Option<Auth>,
    /// The configured credentials, for [`Secrets`](super::secrets::Secrets).
    pub(crate) secrets: Vec<Secret>,
}

/// `[serve]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileServe {
    listen: Option<String>,
    auth: Option<FileAuth>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAuth {
    token: Option<Secret>,
    user: Option<String>,
    hashed_password: Option<Secret>,
}

const HOW: &str = "give either `token` (a long random string; clients send `Authorization: Bearer …`) or `user` and `hashed_password` (from `deskpulse serve --hash-password`)";

/// `ADDRESS:PORT`; `localhost:PORT` is loopback.
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Some(port) = s.strip_prefix("localhost:") {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{s:?}: the port is not a number from 0 to 65535"))?;
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    s.parse().map_err(|_| {
        format!(
            "{s:?} is not an address and port: write e.g. \"127.0.0.1:8080\" (this machine only), \"0.0.0.0:8080\" (every interface; needs [serve.auth]) or \"[::1]:8080\""
        )
    })
}

impl FileServe {
    pub(super) fn validate(self) -> Result<ServeConfig, KeyError> {
        let listen = self
            .listen
            .as_deref()
            .map(parse_listen)
            .transpose()
            .map_err(|d| KeyError::new("serve.listen", d))?;
        let mut secrets = Vec::new();
        let auth = match self.auth {
            None => None,
            Some(a) => {
                secrets.extend(a.token.clone());
                secrets.extend(a.hashed_password.clone());
                Some(match (a.token, a.user, a.hashed_password) {
                    (Some(t), None, None) => {
                        Auth::token(t.expose()).map_err(|d| KeyError::new("serve.auth.token", d))?
                    }
                    (None, Some(u), Some(h)) => Auth::password(&u, h.expose())
                        .map_err(|d| KeyError::new("serve.auth.hashed_password", d))?,
                    (None, Some(_), None) => {
                        return Err(KeyError::new(
                            "serve.auth.hashed_password",
                            format!("missing next to `user`: {HOW}"),
                        ));
                    }
                    (None, None, Some(_)) => {
                        return Err(KeyError::new(
                            "serve.auth.user",
                            format!("missing next to `hashed_password`: {HOW}"),
                        ));
                    }
                    (None, None, None) => {
                        return Err(KeyError::new("serve.auth", format!("is empty: {HOW}")));
                    }
                    (Some(_), _, _) => {
                        return Err(KeyError::new(
                            "serve.auth",
                            format!("has both a token and a user: {HOW}"),
                        ));
                    }
                })
            }
        };
        Ok(ServeConfig {
            listen,
            auth,
            secrets,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::parse;

    /// The `[serve]` examples of `config/default.toml`, uncommented, load.
    #[test]
    fn the_documented_serve_examples_load() {
        let text = include_str!("../../../../config/default.toml");
        let mut blocks: Vec<String> = Vec::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("# ") else {
                blocks.extend(current.take());
                continue;
            };
            if rest.starts_with("[serve") {
                if rest.starts_with("[serve]") {
                    blocks.extend(current.take());
                }
                let c = current.get_or_insert_with(String::new);
                c.push_str(rest.split('#').next().unwrap_or_default().trim());
                c.push('\n');
            } else if let Some(c) = current.as_mut() {
                // `# # key = …` lines are alternatives: they stay comments.
                if !rest.starts_with('#') {
                    c.push_str(rest);
                    c.push('\n');
                }
            }
        }
        blocks.extend(current);
        assert!(
            !blocks.is_empty(),
            "config/default.toml documents no [serve]"
        );
        for b in &blocks {
            let s = parse(b, &[("DESKPULSE_SERVE_TOKEN", "a-long-random-serve-token")])
                .unwrap_or_else(|e| panic!("{e}\n{b}"));
            assert!(s.serve.listen.is_some(), "{b}");
        }
    }

    #[test]
    fn listen_and_auth_are_checked_and_named() {
        let s = parse("[serve]\nlisten = \"localhost:9000\"\n", &[]).unwrap();
        assert_eq!(s.serve.listen.unwrap().to_string(), "127.0.0.1:9000");
        assert!(s.serve.auth.is_none());
        assert!(parse("", &[]).unwrap().serve.listen.is_none());
        for (text, key) in [
            ("[serve]\nlisten = \"everywhere\"\n", "`serve.listen`"),
            ("[serve.auth]\ntoken = \"short\"\n", "`serve.auth.token`"),
            (
                "[serve.auth]\nuser = \"lead\"\n",
                "`serve.auth.hashed_password`",
            ),
            (
                "[serve.auth]\nuser = \"lead\"\nhashed_password = \"plain\"\n",
                "`serve.auth.hashed_password`",
            ),
            ("[serve.auth]\n", "`serve.auth`"),
            ("[serve]\nlisen = \"x\"\n", "lisen"),
        ] {
            let e = parse(text, &[]).unwrap_err();
            assert!(e.contains(key), "{text} → {e}");
        }
    }

    #[test]
    fn the_token_and_hash_are_secrets_never_shown() {
        let hash = deskpulse_serve::hash_password("pw-1").unwrap();
        let text = format!(
            "[serve]\nlisten = \"0.0.0.0:8080\"\n[serve.auth]\nuser = \"lead\"\nhashed_password = \"{hash}\"\n"
        );
        let s = parse(&text, &[]).unwrap();
        assert_eq!(s.secrets().scrub(&hash), "[REDACTED]");
        assert!(!format!("{s:?}").contains(&hash));
        let s = parse("[serve.auth]\ntoken = \"tok-0123456789abcdefgh\"\n", &[]).unwrap();
        assert_eq!(
            s.secrets().scrub("x tok-0123456789abcdefgh"),
            "x [REDACTED]"
        );
        assert!(!format!("{s:?}").contains("tok-0123456789abcdefgh"));
        // A mistake next to the token does not print it.
        let e = parse(
            "[serve.auth]\ntoken = \"tok-0123456789abcdefgh\"\nuser = \"x\"\n",
            &[],
        )
        .unwrap_err();
        assert!(!e.contains("tok-0123456789abcdefgh"), "{e}");
    }
}
