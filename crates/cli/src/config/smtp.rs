//! `[smtp]`: the relay e-mail digests go through. Optional: without it, e-mail channels
//! cannot send (Slack channels still can).

use super::KeyError;
use deskpulse_connector::Secret;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    Starttls,
    Tls,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default = "default_security")]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
    /// A PEM file of CA certificates to trust besides the system's (a relay behind a
    /// private CA); read at load.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The certificates of `ca_file`.
    #[serde(skip)]
    pub ca_pem: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_security() -> SmtpSecurity {
    SmtpSecurity::Starttls
}

impl SmtpSettings {
    /// Reads `ca_file` and refuses clear text towards anything but this machine.
    pub(super) fn validate(mut self) -> Result<SmtpSettings, KeyError> {
        if let Some(file) = &self.ca_file {
            let pem = std::fs::read_to_string(file).map_err(|e| {
                KeyError::new(
                    "smtp.ca_file",
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(KeyError::new(
                    "smtp.ca_file",
                    format!("{} holds no PEM certificate", file.display()),
                ));
            }
            self.ca_pem = Some(pem);
        }
        let local = matches!(self.host.as_str(), "localhost" | "127.0.0.1" | "::1");
        if self.security == SmtpSecurity::None && !local {
            return Err(KeyError::new(
                "smtp.security",
                format!(
                    "\"none\" sends mail and password in clear text and is allowed only towards localhost, not {:?}: use \"starttls\" or \"tls\"",
                    self.host
                ),
            ));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::{SMTP, parse};

    #[test]
    fn bad_values_are_named() {
        let e = parse(
            "[smtp]\nhost = \"mail.example.com\"\nsecurity = \"none\"\nfrom = \"a@b.c\"\n",
            &[],
        )
        .unwrap_err();
        assert!(e.contains("`smtp.security`"), "{e}");
    }

    /// Clear text is fine to a relay on this machine (a local MTA, a test server).
    #[test]
    fn no_security_is_allowed_towards_localhost() {
        let s = parse(
            "[smtp]\nhost = \"localhost\"\nport = 25\nsecurity = \"none\"\nfrom = \"a@b.c\"\n",
            &[],
        )
        .unwrap();
        let smtp = s.smtp.unwrap();
        assert_eq!(smtp.security, super::SmtpSecurity::None);
        assert_eq!(smtp.port, 25);
    }

    /// A numeric password is a valid password, from the file or from the environment, and it
    /// stays exactly as written (no float rounding, no lost leading zeros).
    #[test]
    fn a_numeric_or_boolean_secret_is_read_as_its_text() {
        for (value, want) in [
            ("98765431234", "98765431234"),
            ("00123456", "00123456"),
            ("1e3456", "1e3456"),
            ("true", "true"),
        ] {
            let s = parse(SMTP, &[("DESKPULSE__SMTP__PASSWORD", value)]).unwrap();
            let pw = s.smtp.as_ref().and_then(|m| m.password.as_ref()).unwrap();
            assert_eq!(pw.expose(), want);
        }
        let s = parse(&format!("{SMTP}password = 98765431234\n"), &[]).unwrap();
        let pw = s.smtp.as_ref().and_then(|m| m.password.as_ref()).unwrap();
        assert_eq!(pw.expose(), "98765431234");
        let s = parse(&format!("{SMTP}password = 1.50\n"), &[]).unwrap();
        let pw = s.smtp.as_ref().and_then(|m| m.password.as_ref()).unwrap();
        assert_eq!(pw.expose(), "1.50");
        // And numbers from the environment are still numbers where a number is meant.
        let s = parse(SMTP, &[("DESKPULSE__SMTP__PORT", "2525")]).unwrap();
        assert_eq!(s.smtp.unwrap().port, 2525);
    }

    /// `ca_file` is read once, at load: a missing file or one without a certificate is a
    /// configuration error naming the key, not a TLS failure at the first digest.
    #[test]
    fn the_ca_file_is_read_at_load_and_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let with = |file: &std::path::Path| {
            parse(
                &format!("{SMTP}ca_file = {:?}\n", file.display().to_string()),
                &[],
            )
        };
        let missing = dir.path().join("missing.pem");
        let e = with(&missing).unwrap_err();
        assert!(
            e.contains("`smtp.ca_file`") && e.contains("cannot read"),
            "{e}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = with(&empty).unwrap_err();
        assert!(
            e.contains("`smtp.ca_file`") && e.contains("holds no PEM certificate"),
            "{e}"
        );
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, pem).unwrap();
        let s = with(&ca).unwrap();
        assert_eq!(s.smtp.unwrap().ca_pem.as_deref(), Some(pem));
    }
}
