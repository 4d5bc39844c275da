//! Configuration: DESIGN's stable TOML keys, typed and validated once at start.
//!
//! The file is found by `--config PATH`, else `$DESKPULSE_CONFIG`, else `./deskpulse.toml`;
//! `DESKPULSE__SECTION__KEY` environment variables override it; `${ENV_VAR}` in any string
//! is replaced by that variable. Unknown keys, bad values and unset variables are errors
//! that name the key and say how to fix it — and never print a secret's value: secret keys
//! take any scalar as text (the SDK's lenient settings reader), syntax errors quote nothing
//! (`config/tree.rs`), and every error's text goes through [`secrets::Secrets::scrub`] with
//! the secrets the file holds.
//!
//! This module is the loader: it reads the file, lays the overrides and `${VAR}`s over it,
//! and hands each section to the module that owns it — `database`, `smtp`, `daemon`,
//! `teams` (with its channels, business hours and targets) and `sources` — each with its
//! typed settings, its validation and its tests.

use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod daemon;
mod database;
pub mod secrets;
mod serve;
mod smtp;
mod sources;
mod teams;
#[cfg(test)]
mod testing;
mod tree;

pub use daemon::DaemonSettings;
pub use database::{DatabaseSettings, DatabaseUrl};
pub use serve::{ServeConfig, parse_listen};
pub use smtp::{SmtpSecurity, SmtpSettings};
pub use sources::{DEFAULT_MAX_BODY_MB, KindSettings, SourceSettings};
pub use teams::{ChannelSettings, DEFAULT_DIGEST_SCHEDULE, TeamSettings};

use secrets::Secrets;

pub const DEFAULT_PATH: &str = "deskpulse.toml";
pub const ENV_PATH: &str = "DESKPULSE_CONFIG";
pub const ENV_PREFIX: &str = "DESKPULSE";

/// A configuration problem: exit code 2, and a message naming the key and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no configuration file at {path}: run `deskpulse init` to write one, or pass --config PATH (or set {ENV_PATH})"
    )]
    Missing { path: PathBuf },
    #[error("cannot read configuration {path}: {detail}")]
    Unreadable { path: PathBuf, detail: String },
    /// The line is not quoted: it may hold a secret.
    #[error(
        "{path}:{line}:{column}: not valid TOML: {detail} (fix line {line}, column {column}; the line is not shown because it may hold a secret)"
    )]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        detail: String,
    },
    #[error("environment variable {var} {detail}")]
    Env { var: String, detail: String },
    #[error("{path}: `{key}`: {detail}")]
    Key {
        path: PathBuf,
        key: String,
        detail: String,
    },
}

impl ConfigError {
    /// The same error with every secret in `secrets` masked in its text.
    fn scrubbed(self, secrets: &Secrets) -> ConfigError {
        match self {
            ConfigError::Key { path, key, detail } => ConfigError::Key {
                path,
                key: secrets.scrub(&key),
                detail: secrets.scrub(&detail),
            },
            ConfigError::Unreadable { path, detail } => ConfigError::Unreadable {
                path,
                detail: secrets.scrub(&detail),
            },
            ConfigError::Syntax {
                path,
                line,
                column,
                detail,
            } => ConfigError::Syntax {
                path,
                line,
                column,
                detail: secrets.scrub(&detail),
            },
            ConfigError::Env { var, detail } => ConfigError::Env {
                var,
                detail: secrets.scrub(&detail),
            },
            e @ ConfigError::Missing { .. } => e,
        }
    }
}

/// A key whose value is wrong, as a section's validator reports it: the key's full path
/// (`teams[0].timezone`) and what is wrong. The loader adds the file's path
/// ([`ConfigError::Key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyError {
    pub(crate) key: String,
    pub(crate) detail: String,
}

impl KeyError {
    pub(crate) fn new(key: impl Into<String>, detail: impl Into<String>) -> KeyError {
        KeyError {
            key: key.into(),
            detail: detail.into(),
        }
    }
}

/// The `(key, detail)` pairs of [`deserialize_at`] and the connectors' builders.
impl From<(String, String)> for KeyError {
    fn from((key, detail): (String, String)) -> KeyError {
        KeyError { key, detail }
    }
}

/// Where the configuration file is: the flag, else the environment, else the default.
pub fn locate(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_owned();
    }
    match std::env::var_os(ENV_PATH) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(DEFAULT_PATH),
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub path: PathBuf,
    pub database: DatabaseSettings,
    pub daemon: DaemonSettings,
    pub smtp: Option<SmtpSettings>,
    pub serve: ServeConfig,
    pub teams: Vec<TeamSettings>,
    pub sources: Vec<SourceSettings>,
}

impl Settings {
    /// Loads the file at `path`, applies `DESKPULSE__…` overrides, substitutes `${VAR}`s and
    /// validates every key. The secrets it holds are registered process-wide, so every log
    /// line and error printed from now on is scrubbed of them.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let settings = Self::load_with_env(path, &env)?;
        secrets::register(&settings.secrets());
        Ok(settings)
    }

    /// [`Settings::load`] with an explicit environment (tests stay hermetic); registers nothing.
    pub fn load_with_env(path: &Path, env: &[(String, String)]) -> Result<Settings, ConfigError> {
        if !path.exists() {
            return Err(ConfigError::Missing {
                path: path.to_owned(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        Self::parse(path, &text, env)
    }

    pub fn parse(
        path: &Path,
        text: &str,
        env: &[(String, String)],
    ) -> Result<Settings, ConfigError> {
        let key_err = |e: KeyError| ConfigError::Key {
            path: path.to_owned(),
            key: e.key,
            detail: e.detail,
        };
        let mut tree = tree::parse_toml(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            line: e.line,
            column: e.column,
            detail: e.message,
        })?;
        // From here on every error is scrubbed of the secrets the tree holds, whichever key
        // (or typo of a key) they sit under and whatever the check that failed.
        let result = tree::overlay_env(&mut tree, env)
            .map_err(|(var, detail)| ConfigError::Env { var, detail })
            .and_then(|()| substitute_env(&mut tree, "", env).map_err(key_err))
            .and_then(|()| deserialize_at::<FileSettings>(&tree, "").map_err(|e| key_err(e.into())))
            .and_then(|file| validate(path, file).map_err(key_err));
        result.map_err(|e| e.scrubbed(&tree_secrets(&tree)))
    }

    /// Every credential this configuration holds, for [`Secrets::scrub`].
    pub fn secrets(&self) -> Secrets {
        let mut s = Secrets::default();
        s.add_database_url(self.database.url.expose());
        if let Some(p) = self.smtp.as_ref().and_then(|m| m.password.as_ref()) {
            s.add(p.expose());
        }
        for team in &self.teams {
            for c in &team.channels {
                if let ChannelSettings::Slack { webhook_url, .. } = c {
                    s.add_webhook_url(webhook_url.expose());
                }
            }
        }
        for source in &self.sources {
            s.extend(&source.secrets());
        }
        for secret in &self.serve.secrets {
            s.add(secret.expose());
        }
        s
    }

    pub fn team(&self, name: Option<&str>) -> Result<&TeamSettings, String> {
        let names = || {
            self.teams
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match name {
            Some(n) => self.teams.iter().find(|t| t.name == n).ok_or_else(|| {
                format!(
                    "no team named {n:?} in {} (teams: {})",
                    self.path.display(),
                    names()
                )
            }),
            None => match self.teams.as_slice() {
                [only] => Ok(only),
                [] => Err(format!(
                    "{} has no [[teams]]: add one (see `deskpulse init`)",
                    self.path.display()
                )),
                many => Err(format!(
                    "{} has {} teams ({}): pass --team NAME",
                    self.path.display(),
                    many.len(),
                    names()
                )),
            },
        }
    }

    pub fn source(&self, name: &str) -> Option<&SourceSettings> {
        self.sources.iter().find(|s| s.name.as_str() == name)
    }
}

/// The file's shape (serde): each section as its module reads it, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    #[serde(default)]
    database: DatabaseSettings,
    smtp: Option<SmtpSettings>,
    #[serde(default)]
    daemon: daemon::FileDaemon,
    #[serde(default)]
    serve: serve::FileServe,
    #[serde(default)]
    teams: Vec<teams::FileTeam>,
    #[serde(default)]
    sources: Vec<serde_json::Map<String, Value>>,
}

/// Hands each section to its validator. The order is the order errors are found in: a file
/// with several mistakes reports the first of them.
fn validate(path: &Path, f: FileSettings) -> Result<Settings, KeyError> {
    let smtp = f.smtp.map(SmtpSettings::validate).transpose()?;
    let sources = sources::validate(f.sources)?;
    let teams = teams::validate(f.teams, &sources)?;
    // Every connector is built once now, so a bad kind-specific key fails at start, named.
    sources::build_connectors(&sources)?;
    let daemon = f.daemon.validate()?;
    let serve = f.serve.validate()?;
    Ok(Settings {
        path: path.to_owned(),
        database: f.database,
        daemon,
        smtp,
        serve,
        teams,
        sources,
    })
}

/// Deserializes `v` into `T`, reporting the full key path (`teams[0].timezone`) on error.
/// Scalars are read as the type each key asks for, as the connectors' settings are: a number
/// given to a secret (or any text key) is its text, a string given to a number is parsed
/// (`deskpulse_connector::settings::from_value`).
pub fn deserialize_at<T: serde::de::DeserializeOwned>(
    v: &Value,
    prefix: &str,
) -> Result<T, (String, String)> {
    deskpulse_connector::settings::from_value(v).map_err(|e| {
        let key = match (prefix.is_empty(), e.key.is_empty()) {
            (true, true) => ".".to_owned(),
            (true, false) => e.key,
            (false, true) => prefix.to_owned(),
            (false, false) => format!("{prefix}.{}", e.key),
        };
        (key, e.detail)
    })
}

/// Replaces `${VAR}` in every string; an unset variable names the key that needed it.
fn substitute_env(v: &mut Value, key: &str, env: &[(String, String)]) -> Result<(), KeyError> {
    match v {
        Value::String(s) if s.contains("${") => *s = substitute_in(s, key, env)?,
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute_env(item, &format!("{key}[{i}]"), env)?;
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                let sub = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                substitute_env(item, &sub, env)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `s` with each `${VAR}` replaced by its value in `env`.
fn substitute_in(s: &str, key: &str, env: &[(String, String)]) -> Result<String, KeyError> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let j = after
            .find('}')
            .ok_or_else(|| KeyError::new(key, "unclosed `${` (write `${VAR_NAME}`)"))?;
        let var = &after[..j];
        let val = env.iter().find(|(k, _)| k == var).map(|(_, v)| v.as_str());
        let Some(x) = val else {
            return Err(KeyError::new(
                key,
                format!(
                    "environment variable {var} is not set: export {var}=… before running deskpulse, or write the value in the file"
                ),
            ));
        };
        out.push_str(x);
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Every secret-looking value anywhere in the raw tree — under a secret key's name wherever it
/// sits (a misplaced or misspelled section included) and the database URL's password — to
/// scrub the text of a configuration error.
fn tree_secrets(tree: &Value) -> Secrets {
    fn walk(v: &Value, parent: &str, out: &mut Secrets) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    if let Some(text) = sources::scalar_text(child) {
                        if parent == "database" && k == "url" {
                            out.add_database_url(&text);
                        } else if k == "webhook_url" {
                            out.add_webhook_url(&text);
                        } else if secrets::is_secret_key(k) {
                            out.add(&text);
                        }
                    }
                    walk(child, k, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, parent, out)),
            _ => {}
        }
    }
    let mut out = Secrets::default();
    walk(tree, "", &mut out);
    out
}

/// `15m`, `1h`, `90s`, `1h 30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        format!("{s:?} is not a duration ({e}); write e.g. \"15m\", \"1h\" or \"90s\"")
    })?;
    if d.is_zero() {
        return Err(format!("{s:?} is zero; give a positive duration"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::testing::{SMTP, ZD, ZD_NUMERIC, parse};

    #[test]
    fn the_shipped_default_config_loads() {
        let text = include_str!("../../../config/default.toml");
        let s = parse(text, &[]).unwrap();
        assert_eq!(s.database.url.expose(), "sqlite://deskpulse.db");
        assert_eq!(s.teams.len(), 1);
    }

    #[test]
    fn an_unset_variable_names_the_key() {
        let e = parse(ZD, &[]).unwrap_err();
        assert!(
            e.contains("`sources[0].api_token`") && e.contains("ZD_TOKEN is not set"),
            "{e}"
        );
    }

    #[test]
    fn variables_are_substituted_inside_text_and_an_unclosed_one_is_named() {
        let s = parse(
            &ZD.replace("\"${ZD_TOKEN}\"", "\"pre-${ZD_TOKEN}-${ZD_TOKEN}-post\""),
            &[("ZD_TOKEN", "tok")],
        )
        .unwrap();
        assert_eq!(s.sources[0].settings.0["api_token"], "pre-tok-tok-post");
        let e = parse(&ZD.replace("${ZD_TOKEN}", "${ZD_TOKEN"), &[]).unwrap_err();
        assert!(
            e.contains("`sources[0].api_token`") && e.contains("unclosed `${`"),
            "{e}"
        );
    }

    /// A section the file does not know is named (each section names its own unknown keys).
    #[test]
    fn unknown_keys_are_named() {
        let e = parse("[smtpp]\nhost = \"x\"\n", &[]).unwrap_err();
        assert!(e.contains("smtpp"), "{e}");
    }

    /// A file and environment with an error next to a secret.
    type Case = (String, Vec<(&'static str, &'static str)>);

    const SECRET: &str = "9876543123456";

    /// TOML syntax errors on the secret's line and after it; a secret of the wrong shape.
    fn syntax_and_shape_cases(zd: &str) -> Vec<Case> {
        vec![
            // TOML syntax errors on the secret's own line, and after it.
            (
                zd.replace(
                    &format!("api_token = {SECRET}"),
                    &format!("api_token = \"{SECRET}"),
                ),
                vec![],
            ),
            (
                zd.replace(
                    &format!("api_token = {SECRET}"),
                    &format!("api_token = {SECRET}x"),
                ),
                vec![],
            ),
            (
                format!("{SMTP}password = \"{SECRET}\" # ok\nbroken line\n"),
                vec![],
            ),
            // A secret of the wrong shape.
            (
                zd.replace(
                    &format!("api_token = {SECRET}"),
                    &format!("api_token = [{SECRET}]"),
                ),
                vec![],
            ),
            (
                zd.replace(
                    &format!("api_token = {SECRET}"),
                    &format!("api_token = {{ v = {SECRET} }}"),
                ),
                vec![],
            ),
        ]
    }

    /// Errors elsewhere while secrets are set, from the file and the environment.
    fn errors_elsewhere_cases(zd: &str) -> Vec<Case> {
        vec![
            (format!("{zd}page_size = \"{SECRET}\"\n"), vec![]),
            (format!("{zd}start_date = \"{SECRET}\"\n"), vec![]),
            (zd.replace("api_token", "api_tokn"), vec![]),
            (zd.replace("subdomain = \"acme\"\n", ""), vec![]),
            (
                format!("{SMTP}port = \"x\"\n"),
                vec![("DESKPULSE__SMTP__PASSWORD", SECRET)],
            ),
            (
                SMTP.to_owned(),
                vec![("DESKPULSE__SMTP__PASSWORD__X", SECRET)],
            ),
            (
                SMTP.to_owned(),
                vec![
                    ("DESKPULSE__SMTP__PORT", SECRET),
                    ("DESKPULSE__SMTP__PASSWORD", SECRET),
                ],
            ),
            (
                format!("{SMTP}password = \"${{PW}}\"\nsecurity = \"nope\"\n"),
                vec![("PW", SECRET)],
            ),
            (
                format!("[database]\nurl = \"postgres://u:{SECRET}@h/db\"\npool = 1\n"),
                vec![],
            ),
            (
                "[database]\nurl = \"postgres://u@h/db\"\n".into(),
                vec![
                    (
                        "DESKPULSE__DATABASE__URL",
                        "postgres://u@h/db?password=9876543123456",
                    ),
                    ("DESKPULSE__DATABASE__X", "1"),
                ],
            ),
            (
                format!(
                    "[[teams]]\nname = \"t\"\n[[teams.channels]]\nkind = \"slack\"\nwebhook_url = \"ftp://hooks/{SECRET}\"\n"
                ),
                vec![],
            ),
            // A secret pasted into a key that is not a secret: the value must still not show
            // when it is also configured as one.
            (format!("{zd}subdomain = \"{SECRET}\"\n"), vec![]),
        ]
    }

    /// No configuration error prints a secret: not a type error, not a syntax error quoting
    /// the line, not a connector's complaint, not an unknown key next to one.
    #[test]
    fn no_configuration_error_prints_a_secret() {
        let zd = ZD_NUMERIC.replace("1234567890987", SECRET);
        let cases = syntax_and_shape_cases(&zd)
            .into_iter()
            .chain(errors_elsewhere_cases(&zd));
        for (text, vars) in cases {
            let e = parse(&text, &vars).expect_err(&text);
            for leak in [SECRET, "98765431", "OTg3NjU0MzEy"] {
                assert!(!e.contains(leak), "{text}\n{vars:?}\n→ {e}");
            }
        }
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let e = parse(&format!("{SMTP}password = \"hunter22\n"), &[]).unwrap_err();
        assert!(
            e.contains("test.toml:5:") && e.contains("not valid TOML"),
            "{e}"
        );
        assert!(!e.contains("hunter22") && !e.contains("password ="), "{e}");
    }

    /// Every place a credential is configured is a secret of the settings.
    #[test]
    fn settings_know_all_their_secrets() {
        let text = format!(
            "[database]\nurl = \"postgres://u:db-pass-1@h/db\"\n{SMTP}password = \"smtp-pass-2\"\n\
             [[teams]]\nname = \"t\"\nsources = [\"zd\"]\n\
             [[teams.channels]]\nkind = \"slack\"\nwebhook_url = \"https://hooks.slack.test/T1/B2/hook-3\"\n\
             [[sources]]\nname = \"zd\"\nkind = \"zendesk\"\nsubdomain = \"acme\"\nemail = \"a@example.com\"\napi_token = \"zd-token-4\"\n\
             [[sources]]\nname = \"hs\"\nkind = \"helpscout\"\nclient_id = \"app-id\"\nclient_secret = \"hs-secret-5\"\n"
        );
        let s = parse(&text, &[]).unwrap();
        let scrubbed = s.secrets().scrub(
            "db-pass-1 smtp-pass-2 https://hooks.slack.test/T1/B2/hook-3 zd-token-4 hs-secret-5 acme app-id",
        );
        assert_eq!(
            scrubbed,
            "[REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED] acme app-id"
        );
    }

    #[test]
    fn a_team_is_chosen_by_name_or_by_being_the_only_one() {
        let s = parse("[[teams]]\nname = \"a\"\n[[teams]]\nname = \"b\"\n", &[]).unwrap();
        assert_eq!(s.team(Some("b")).unwrap().name, "b");
        let e = s.team(Some("c")).unwrap_err();
        assert!(
            e.contains("no team named \"c\"") && e.contains("a, b"),
            "{e}"
        );
        let e = s.team(None).unwrap_err();
        assert!(e.contains("has 2 teams (a, b): pass --team NAME"), "{e}");
        let one = parse("[[teams]]\nname = \"a\"\n", &[]).unwrap();
        assert_eq!(one.team(None).unwrap().name, "a");
        let e = parse("", &[]).unwrap().team(None).unwrap_err();
        assert!(e.contains("has no [[teams]]"), "{e}");
    }
}
