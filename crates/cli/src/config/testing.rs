//! What the configuration's tests share: parsing a text with a hermetic environment, and the
//! small files most of them start from.

use super::Settings;
use std::path::Path;

/// `text` as the file `test.toml` with exactly `env` as the environment; the error as shown.
pub(crate) fn parse(text: &str, env: &[(&str, &str)]) -> Result<Settings, String> {
    Settings::parse(Path::new("test.toml"), text, &owned(env)).map_err(|e| e.to_string())
}

pub(crate) fn owned(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A team on one Zendesk source whose token comes from `${ZD_TOKEN}`.
pub(crate) const ZD: &str = r#"
[[teams]]
name = "support"
timezone = "Europe/Berlin"
sources = ["zd"]
[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "a@example.com"
api_token = "${ZD_TOKEN}"
"#;

/// A team on one Zendesk source whose token is written as a number.
pub(crate) const ZD_NUMERIC: &str = r#"
[[teams]]
name = "support"
sources = ["zd"]
[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "a@example.com"
api_token = 1234567890987
"#;

/// An `[smtp]` section without a password.
pub(crate) const SMTP: &str =
    "[smtp]\nhost = \"mail.example.com\"\nusername = \"kpi\"\nfrom = \"kpi@example.com\"\n";
