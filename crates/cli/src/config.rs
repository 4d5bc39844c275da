//! Configuration: DESIGN's stable TOML keys, typed and validated once at start.
//!
//! The file is found by `--config PATH`, else `$DESKPULSE_CONFIG`, else `./deskpulse.toml`;
//! `DESKPULSE__SECTION__KEY` environment variables override it; `${ENV_VAR}` in any string
//! is replaced by that variable. Unknown keys, bad values and unset variables are errors
//! that name the key and say how to fix it — and never print a secret's value: secret keys
//! take any scalar as text ([`lenient`]), syntax errors quote nothing ([`tree`]), and every
//! error's text goes through [`secrets::Secrets::scrub`] with the secrets the file holds.

use chrono::{NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use deskpulse_connector::Secret;
use deskpulse_metrics::BusinessHours;
use deskpulse_model::SourceName;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod lenient;
pub mod secrets;
mod tree;

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
    pub teams: Vec<TeamSettings>,
    pub sources: Vec<SourceSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    #[serde(default = "default_db_url")]
    pub url: DatabaseUrl,
}

fn default_db_url() -> DatabaseUrl {
    DatabaseUrl::new("sqlite://deskpulse.db")
}

/// `[database] url`: it may carry a password (`postgres://user:secret@host/db`,
/// `?password=…`, `?sslpassword=…`), so `Display` and `Debug` show it masked
/// (`postgres://user:****@host/db`). [`DatabaseUrl::expose`] gives the URL to open.
///
/// It dereferences to `str` so `Store::open(&settings.database.url)` reads as before;
/// prefer `expose()` in new code, which says what it does.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        DatabaseUrl(url.into())
    }
    /// The URL itself, password included: for opening the database, never for printing.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The URL with every form of its password masked.
    pub fn masked(&self) -> String {
        deskpulse_storage::StorageError::mask_url(&self.0)
    }
}

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.masked())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(DatabaseUrl)
    }
}

/// `[daemon]`: how `deskpulse run` works (all optional).
#[derive(Debug, Clone, Default)]
pub struct DaemonSettings {
    /// How often the daemon wakes to see what is due (default 15 s).
    pub tick: Option<Duration>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileDaemon {
    tick: Option<String>,
}

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

#[derive(Debug, Clone)]
pub struct TeamSettings {
    pub name: String,
    pub timezone: Tz,
    pub sources: Vec<SourceName>,
    pub digest_schedule: String,
    pub complaint_tags: Vec<String>,
    pub count_bot_replies: bool,
    pub business_hours: Option<BusinessHours>,
    pub targets: deskpulse_metrics::Targets,
    pub channels: Vec<ChannelSettings>,
    /// KPIs the team's sources cannot support, from their connectors' declarations.
    pub limits: Vec<deskpulse_metrics::SourceLimit>,
    /// The kind of each of the team's sources (`zendesk-main` → `zendesk`).
    pub source_kinds: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub enum ChannelSettings {
    Email { name: String, to: Vec<String> },
    Slack { name: String, webhook_url: Secret },
}

/// A `[[sources]]` entry: the keys every source has, and the rest for its connector.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    pub name: SourceName,
    pub kind: String,
    pub sync_every: Duration,
    /// The most pages one stream may read in one sync: a vendor that pages for ever (a
    /// cursor going round, an `end_time` creeping a second a page) fails the stream instead
    /// of keeping the source from ever syncing again.
    pub max_pages: u64,
    /// The kind-specific keys, handed to the connector's own settings type.
    pub settings: KindSettings,
    /// Where this source sits in the file, for error messages (`sources[0]`).
    pub key: String,
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
        let key_err = |(key, detail): (String, String)| ConfigError::Key {
            path: path.to_owned(),
            key,
            detail,
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
            .and_then(|()| deserialize_at::<FileSettings>(&tree, "").map_err(key_err))
            .and_then(|file| validate(path, file));
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
        s
    }

    pub fn team(&self, name: Option<&str>) -> Result<&TeamSettings, String> {
        match name {
            Some(n) => self.teams.iter().find(|t| t.name == n).ok_or_else(|| {
                format!(
                    "no team named {n:?} in {} (teams: {})",
                    self.path.display(),
                    self.teams
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
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
                    many.iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
        }
    }

    pub fn source(&self, name: &str) -> Option<&SourceSettings> {
        self.sources.iter().find(|s| s.name.as_str() == name)
    }
}

/// Deserializes `v` into `T`, reporting the full key path (`teams[0].timezone`) on error.
/// Scalars are read as the type each key asks for: a number given to a secret (or any text
/// key) is its text, a string given to a number is parsed (see [`lenient`]).
pub fn deserialize_at<T: serde::de::DeserializeOwned>(
    v: &Value,
    prefix: &str,
) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(lenient::Lenient(v)).map_err(|e| {
        let inner = e.path().to_string();
        let key = match (prefix.is_empty(), inner == ".") {
            (true, _) => inner,
            (false, true) => prefix.to_owned(),
            (false, false) => format!("{prefix}.{inner}"),
        };
        (key, e.into_inner().to_string())
    })
}

/// Replaces `${VAR}` in every string; an unset variable names the key that needed it.
fn substitute_env(
    v: &mut Value,
    key: &str,
    env: &[(String, String)],
) -> Result<(), (String, String)> {
    match v {
        Value::String(s) if s.contains("${") => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${") {
                out.push_str(&rest[..i]);
                let after = &rest[i + 2..];
                let j = after.find('}').ok_or_else(|| {
                    (
                        key.to_owned(),
                        "unclosed `${` (write `${VAR_NAME}`)".to_owned(),
                    )
                })?;
                let var = &after[..j];
                let val = env.iter().find(|(k, _)| k == var).map(|(_, v)| v.as_str());
                match val {
                    Some(x) => out.push_str(x),
                    None => {
                        return Err((
                            key.to_owned(),
                            format!(
                                "environment variable {var} is not set: export {var}=… before running deskpulse, or write the value in the file"
                            ),
                        ));
                    }
                }
                rest = &after[j + 1..];
            }
            out.push_str(rest);
            *s = out;
        }
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

impl SourceSettings {
    /// The values of this source's secret keys ([`secrets::is_secret_key`]).
    pub fn secrets(&self) -> Secrets {
        let mut s = Secrets::default();
        if let Some(map) = self.settings.0.as_object() {
            for (k, v) in map {
                if secrets::is_secret_key(k)
                    && let Some(text) = scalar_text(v)
                {
                    s.add(&text);
                }
            }
        }
        s
    }
}

/// A scalar as the text a secret key reads it as.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every secret-looking value anywhere in the raw tree — under a secret key's name wherever it
/// sits (a misplaced or misspelled section included) and the database URL's password — to
/// scrub the text of a configuration error.
fn tree_secrets(tree: &Value) -> Secrets {
    fn walk(v: &Value, parent: &str, out: &mut Secrets) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    if let Some(text) = scalar_text(child) {
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

/// The kind-specific keys of a source. They hold credentials, so `Debug` shows key names only.
#[derive(Clone)]
pub struct KindSettings(pub Value);

impl std::fmt::Debug for KindSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&String> = self
            .0
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        write!(f, "KindSettings {{ keys: {keys:?} }}")
    }
}

// ---- the file's shape (serde), before validation ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    #[serde(default = "default_database")]
    database: DatabaseSettings,
    smtp: Option<SmtpSettings>,
    #[serde(default)]
    daemon: FileDaemon,
    #[serde(default)]
    teams: Vec<FileTeam>,
    #[serde(default)]
    sources: Vec<serde_json::Map<String, Value>>,
}
fn default_database() -> DatabaseSettings {
    DatabaseSettings {
        url: default_db_url(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTeam {
    name: String,
    #[serde(default = "default_tz")]
    timezone: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default = "default_schedule")]
    digest_schedule: String,
    #[serde(default = "default_complaint_tags")]
    complaint_tags: Vec<String>,
    #[serde(default)]
    count_bot_replies: bool,
    business_hours: Option<FileBusinessHours>,
    #[serde(default)]
    targets: FileTargets,
    #[serde(default)]
    channels: Vec<FileChannel>,
}
/// DESIGN's documented default; `complaint_tags = []` turns tag-based complaints off.
fn default_complaint_tags() -> Vec<String> {
    vec!["complaint".to_owned()]
}

fn default_tz() -> String {
    "UTC".into()
}
fn default_schedule() -> String {
    "0 0 8 * * Mon".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBusinessHours {
    days: String,
    start: String,
    end: String,
    #[serde(default)]
    holidays: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileTargets {
    first_response_time: Option<String>,
    resolution_time: Option<String>,
    csat: Option<f64>,
    cost_ratio: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileChannel {
    kind: String,
    name: Option<String>,
    to: Option<Vec<String>>,
    webhook_url: Option<Secret>,
}

fn validate(path: &Path, mut f: FileSettings) -> Result<Settings, ConfigError> {
    let err = |key: String, detail: String| ConfigError::Key {
        path: path.to_owned(),
        key,
        detail,
    };

    if let Some(smtp) = &mut f.smtp
        && let Some(file) = &smtp.ca_file
    {
        let pem = std::fs::read_to_string(file).map_err(|e| {
            err(
                "smtp.ca_file".into(),
                format!("cannot read {}: {e}", file.display()),
            )
        })?;
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(err(
                "smtp.ca_file".into(),
                format!("{} holds no PEM certificate", file.display()),
            ));
        }
        smtp.ca_pem = Some(pem);
    }
    if let Some(smtp) = &f.smtp {
        let local = matches!(smtp.host.as_str(), "localhost" | "127.0.0.1" | "::1");
        if smtp.security == SmtpSecurity::None && !local {
            return Err(err(
                "smtp.security".into(),
                format!(
                    "\"none\" sends mail and password in clear text and is allowed only towards localhost, not {:?}: use \"starttls\" or \"tls\"",
                    smtp.host
                ),
            ));
        }
    }

    let mut sources = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, mut table) in f.sources.into_iter().enumerate() {
        let key = format!("sources[{i}]");
        let name_v = table.remove("name").ok_or_else(|| {
            err(
                format!("{key}.name"),
                "missing: every source needs a name".into(),
            )
        })?;
        let name_s = name_v
            .as_str()
            .ok_or_else(|| err(format!("{key}.name"), "must be a string".into()))?;
        let name =
            SourceName::parse(name_s).map_err(|e| err(format!("{key}.name"), e.to_string()))?;
        if !seen.insert(name.clone()) {
            return Err(err(
                format!("{key}.name"),
                format!("{name} is used by two sources: names must be unique"),
            ));
        }
        let kind_v = table.remove("kind").ok_or_else(|| {
            err(
                format!("{key}.kind"),
                format!(
                    "missing: one of {}",
                    crate::connectors::kind_names().join(", ")
                ),
            )
        })?;
        let kind = kind_v.as_str().unwrap_or_default().to_owned();
        if crate::connectors::find(&kind).is_none() {
            return Err(err(
                format!("{key}.kind"),
                format!(
                    "unknown connector kind {kind:?} (known: {})",
                    crate::connectors::kind_names().join(", ")
                ),
            ));
        }
        let sync_every = match table.remove("sync_every") {
            None => Duration::from_secs(15 * 60),
            Some(v) => parse_duration(v.as_str().unwrap_or_default())
                .map_err(|d| err(format!("{key}.sync_every"), d))?,
        };
        let max_pages = match table.remove("max_pages") {
            None => deskpulse_connector::bounds::DEFAULT_MAX_PAGES,
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    err(
                        format!("{key}.max_pages"),
                        format!("{v} is not a whole number of pages of at least 1"),
                    )
                })?,
        };
        sources.push(SourceSettings {
            name,
            kind,
            sync_every,
            max_pages,
            settings: KindSettings(Value::Object(table)),
            key,
        });
    }

    let mut teams = Vec::new();
    let mut team_names = BTreeSet::new();
    for (i, t) in f.teams.into_iter().enumerate() {
        let key = format!("teams[{i}]");
        if t.name.trim().is_empty() {
            return Err(err(format!("{key}.name"), "must not be empty".into()));
        }
        if !team_names.insert(t.name.clone()) {
            return Err(err(
                format!("{key}.name"),
                format!("{:?} is used by two teams: names must be unique", t.name),
            ));
        }
        let timezone: Tz = t.timezone.parse().map_err(|_| {
            err(
                format!("{key}.timezone"),
                format!("unknown time zone {:?}: use an IANA name such as \"Europe/Berlin\" or \"America/New_York\"", t.timezone),
            )
        })?;
        let mut team_sources = Vec::new();
        for (j, s) in t.sources.iter().enumerate() {
            if !sources
                .iter()
                .any(|x: &SourceSettings| x.name.as_str() == s)
            {
                return Err(err(
                    format!("{key}.sources[{j}]"),
                    format!("no [[sources]] entry is named {s:?}: add one or remove the name"),
                ));
            }
            team_sources.push(
                SourceName::parse(s)
                    .map_err(|e| err(format!("{key}.sources[{j}]"), e.to_string()))?,
            );
        }
        let fields = t.digest_schedule.split_whitespace().count();
        if fields != 6 {
            return Err(err(
                format!("{key}.digest_schedule"),
                format!(
                    "{:?} has {fields} fields; write a cron with seconds: \"sec min hour day-of-month month day-of-week\", e.g. \"0 0 8 * * Mon\"",
                    t.digest_schedule
                ),
            ));
        }
        let business_hours = match t.business_hours {
            None => None,
            Some(b) => Some(
                parse_business_hours(&b)
                    .map_err(|(k, d)| err(format!("{key}.business_hours.{k}"), d))?,
            ),
        };
        let mut targets = deskpulse_metrics::Targets::default();
        if let Some(s) = &t.targets.first_response_time {
            targets.first_response_seconds = parse_duration(s)
                .map_err(|d| err(format!("{key}.targets.first_response_time"), d))?
                .as_secs() as i64;
        }
        if let Some(s) = &t.targets.resolution_time {
            targets.resolution_seconds = parse_duration(s)
                .map_err(|d| err(format!("{key}.targets.resolution_time"), d))?
                .as_secs() as i64;
        }
        for (name, v, slot) in [
            ("csat", t.targets.csat, &mut targets.csat),
            ("cost_ratio", t.targets.cost_ratio, &mut targets.cost_ratio),
        ] {
            if let Some(v) = v {
                if !(0.0..=1.0).contains(&v) {
                    return Err(err(
                        format!("{key}.targets.{name}"),
                        format!("{v} is not a fraction between 0 and 1 (write 0.9 for 90 %)"),
                    ));
                }
                *slot = v;
            }
        }
        let mut channels = Vec::new();
        for (j, c) in t.channels.into_iter().enumerate() {
            let ck = format!("{key}.channels[{j}]");
            let name = c.name.clone().unwrap_or_else(|| c.kind.clone());
            match c.kind.as_str() {
                "email" => {
                    let to = c.to.filter(|v| !v.is_empty()).ok_or_else(|| {
                        err(
                            format!("{ck}.to"),
                            "an email channel needs `to = [\"someone@example.com\"]`".into(),
                        )
                    })?;
                    for a in &to {
                        if !a.contains('@') {
                            return Err(err(
                                format!("{ck}.to"),
                                format!("{a:?} is not an e-mail address"),
                            ));
                        }
                    }
                    if c.webhook_url.is_some() {
                        return Err(err(
                            format!("{ck}.webhook_url"),
                            "belongs to slack channels, not email".into(),
                        ));
                    }
                    channels.push(ChannelSettings::Email { name, to });
                }
                "slack" => {
                    let webhook_url = c.webhook_url.ok_or_else(|| err(format!("{ck}.webhook_url"), "a slack channel needs `webhook_url` (an incoming-webhook URL, e.g. \"${SLACK_WEBHOOK_URL}\")".into()))?;
                    if !(webhook_url.expose().starts_with("https://")
                        || webhook_url.expose().starts_with("http://"))
                    {
                        return Err(err(
                            format!("{ck}.webhook_url"),
                            "must be an http(s) URL".into(),
                        ));
                    }
                    if c.to.is_some() {
                        return Err(err(
                            format!("{ck}.to"),
                            "belongs to email channels, not slack".into(),
                        ));
                    }
                    channels.push(ChannelSettings::Slack { name, webhook_url });
                }
                other => {
                    return Err(err(
                        format!("{ck}.kind"),
                        format!("unknown channel kind {other:?} (use \"email\" or \"slack\")"),
                    ));
                }
            }
        }
        let limits = team_sources
            .iter()
            .filter_map(|name| sources.iter().find(|s| &s.name == name))
            .flat_map(|s| {
                let declared = crate::connectors::find(&s.kind).map_or(&[][..], |k| k.limits);
                declared.iter().map(|l| deskpulse_metrics::SourceLimit {
                    source: s.name.to_string(),
                    kpi: l.kpi.to_owned(),
                    reason: l.reason.to_owned(),
                })
            })
            .collect();
        let source_kinds = team_sources
            .iter()
            .filter_map(|name| sources.iter().find(|s| &s.name == name))
            .map(|s| (s.name.to_string(), s.kind.clone()))
            .collect();
        teams.push(TeamSettings {
            limits,
            source_kinds,
            name: t.name,
            timezone,
            sources: team_sources,
            digest_schedule: t.digest_schedule,
            complaint_tags: t.complaint_tags,
            count_bot_replies: t.count_bot_replies,
            business_hours,
            targets,
            channels,
        });
    }

    // Build every connector once now, so a bad kind-specific key fails at start, named.
    for s in &sources {
        crate::connectors::build(s).map_err(|(k, d)| err(k, d))?;
    }

    let daemon = DaemonSettings {
        tick: match &f.daemon.tick {
            None => None,
            Some(t) => Some(parse_duration(t).map_err(|d| err("daemon.tick".into(), d))?),
        },
    };
    Ok(Settings {
        path: path.to_owned(),
        database: f.database,
        daemon,
        smtp: f.smtp,
        teams,
        sources,
    })
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

fn parse_business_hours(b: &FileBusinessHours) -> Result<BusinessHours, (String, String)> {
    let day = |s: &str| -> Result<Weekday, (String, String)> {
        s.trim().parse::<Weekday>().map_err(|_| {
            (
                "days".to_owned(),
                format!("{s:?} is not a weekday (Mon, Tue, …)"),
            )
        })
    };
    let mut days = Vec::new();
    for part in b.days.split(',') {
        match part.split_once('-') {
            Some((a, z)) => {
                let (mut d, z) = (day(a)?, day(z)?);
                days.push(d);
                while d != z {
                    d = d.succ();
                    days.push(d);
                }
            }
            None => days.push(day(part)?),
        }
    }
    // "24:00" closes at the end of the day (round-the-clock support is 00:00–24:00).
    let time = |k: &str, s: &str| {
        if k == "end" && s.trim() == "24:00" {
            return Ok(NaiveTime::MIN);
        }
        NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| {
            (
                k.to_owned(),
                format!("{s:?} is not a time of day like \"09:00\" (or \"24:00\" for an end at midnight)"),
            )
        })
    };
    let (start, end) = (time("start", &b.start)?, time("end", &b.end)?);
    // An end before the start is a night shift (22:00–06:00 closes the next morning); an end
    // equal to the start other than midnight is almost surely a typo.
    if end == start && start != NaiveTime::MIN {
        return Err((
            "end".into(),
            format!(
                "{} is the same time as start {}; for round-the-clock support write start = \"00:00\", end = \"24:00\"",
                b.end, b.start
            ),
        ));
    }
    let mut holidays = Vec::new();
    for (i, h) in b.holidays.iter().enumerate() {
        holidays.push(NaiveDate::parse_from_str(h, "%Y-%m-%d").map_err(|_| {
            (
                format!("holidays[{i}]"),
                format!("{h:?} is not a date like \"2026-12-25\""),
            )
        })?);
    }
    Ok(BusinessHours {
        days,
        start,
        end,
        holidays,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, env: &[(&str, &str)]) -> Result<Settings, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::parse(Path::new("test.toml"), text, &env).map_err(|e| e.to_string())
    }

    const ZD: &str = r#"
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

    #[test]
    fn the_shipped_default_config_loads() {
        let text = include_str!("../../../config/default.toml");
        let s = parse(text, &[]).unwrap();
        assert_eq!(s.database.url.expose(), "sqlite://deskpulse.db");
        assert_eq!(s.teams.len(), 1);
    }

    #[test]
    fn secrets_come_from_the_environment() {
        let s = parse(ZD, &[("ZD_TOKEN", "tok")]).unwrap();
        assert_eq!(s.sources[0].settings.0["api_token"], "tok");
        assert!(
            !format!("{s:?}").contains("tok\""),
            "Debug must not show the token"
        );
        assert_eq!(s.teams[0].timezone, chrono_tz::Europe::Berlin);
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
    fn unknown_keys_are_named() {
        let e = parse("[database]\nurl = \"sqlite://x.db\"\nurll = 1\n", &[]).unwrap_err();
        assert!(e.contains("database") && e.contains("urll"), "{e}");
        let e = parse("[[teams]]\nname = \"a\"\ntimezon = \"UTC\"\n", &[]).unwrap_err();
        assert!(e.contains("teams[0]") && e.contains("timezon"), "{e}");
        let e = parse(&ZD.replace("subdomain", "subdomian"), &[("ZD_TOKEN", "t")]).unwrap_err();
        assert!(e.contains("sources[0]") && e.contains("subdomian"), "{e}");
        let e = parse("[smtpp]\nhost = \"x\"\n", &[]).unwrap_err();
        assert!(e.contains("smtpp"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let e = parse(
            &ZD.replace("Europe/Berlin", "Europe/Berln"),
            &[("ZD_TOKEN", "t")],
        )
        .unwrap_err();
        assert!(
            e.contains("`teams[0].timezone`") && e.contains("Europe/Berln"),
            "{e}"
        );
        let e = parse(
            &ZD.replace("kind = \"zendesk\"", "kind = \"zendeks\""),
            &[("ZD_TOKEN", "t")],
        )
        .unwrap_err();
        assert!(
            e.contains("`sources[0].kind`") && e.contains("zendesk"),
            "{e}"
        );
        let e = parse(
            &ZD.replace("sources = [\"zd\"]", "sources = [\"nope\"]"),
            &[("ZD_TOKEN", "t")],
        )
        .unwrap_err();
        assert!(e.contains("`teams[0].sources[0]`"), "{e}");
        let e = parse(
            &format!("{ZD}sync_every = \"soon\"\n"),
            &[("ZD_TOKEN", "t")],
        )
        .unwrap_err();
        assert!(e.contains("`sources[0].sync_every`"), "{e}");
        let e = parse(
            "[smtp]\nhost = \"mail.example.com\"\nsecurity = \"none\"\nfrom = \"a@b.c\"\n",
            &[],
        )
        .unwrap_err();
        assert!(e.contains("`smtp.security`"), "{e}");
        let e = parse("[[teams]]\nname = \"a\"\ntargets = { csat = 90 }\n", &[]).unwrap_err();
        assert!(e.contains("`teams[0].targets.csat`"), "{e}");
        let e = parse("[[teams]]\nname = \"a\"\nbusiness_hours = { days = \"Mon-Fry\", start = \"09:00\", end = \"17:00\" }\n", &[]).unwrap_err();
        assert!(e.contains("`teams[0].business_hours.days`"), "{e}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = parse(
            ZD,
            &[
                ("ZD_TOKEN", "t"),
                ("DESKPULSE__DATABASE__URL", "postgres://u@h/db"),
            ],
        )
        .unwrap();
        assert_eq!(s.database.url.expose(), "postgres://u@h/db");
    }

    #[test]
    fn business_hours_and_targets() {
        let s = parse(
            "[[teams]]\nname = \"a\"\nbusiness_hours = { days = \"Mon-Fri\", start = \"09:00\", end = \"17:00\", holidays = [\"2026-12-25\"] }\ntargets = { first_response_time = \"2h\", csat = 0.8 }\n",
            &[],
        )
        .unwrap();
        let b = s.teams[0].business_hours.as_ref().unwrap();
        assert_eq!(b.days.len(), 5);
        assert_eq!(s.teams[0].targets.first_response_seconds, 7200);
        assert_eq!(s.teams[0].targets.resolution_seconds, 8 * 3600);
        assert_eq!(s.teams[0].targets.csat, 0.8);
    }

    #[test]
    fn night_shifts_and_round_the_clock_support_are_business_hours() {
        let hours = |start: &str, end: &str| {
            parse(
                &format!("[[teams]]\nname = \"a\"\nbusiness_hours = {{ days = \"Mon-Sun\", start = \"{start}\", end = \"{end}\" }}\n"),
                &[],
            )
            .map(|s| {
                let b = s.teams[0].business_hours.clone().unwrap();
                (b.start, b.end)
            })
        };
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        // 22:00–06:00 closes the next morning; the metrics read end <= start that way.
        assert_eq!(hours("22:00", "06:00").unwrap(), (t("22:00"), t("06:00")));
        // 24/7: midnight to midnight, a full day (no minute lost at 23:59).
        assert_eq!(hours("00:00", "24:00").unwrap(), (t("00:00"), t("00:00")));
        assert_eq!(hours("00:00", "00:00").unwrap(), (t("00:00"), t("00:00")));
        let e = hours("09:00", "09:00").unwrap_err();
        assert!(
            e.contains("`teams[0].business_hours.end`") && e.contains("24:00"),
            "{e}"
        );
        let e = hours("24:00", "08:00").unwrap_err();
        assert!(e.contains("`teams[0].business_hours.start`"), "{e}");
    }

    #[test]
    fn complaint_tags_default_to_complaint() {
        let s = parse("[[teams]]\nname = \"a\"\n", &[]).unwrap();
        assert_eq!(s.teams[0].complaint_tags, ["complaint"]);
        let s = parse("[[teams]]\nname = \"a\"\ncomplaint_tags = []\n", &[]).unwrap();
        assert!(s.teams[0].complaint_tags.is_empty());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let s = parse(
            &format!(
                "{ZD}\n[[teams.channels]]\nkind = \"slack\"\nwebhook_url = \"https://hooks.slack.test/T/B/secretpath\"\n"
            ),
            &[("ZD_TOKEN", "tok-123")],
        );
        // the channel lands on the last team table; only the Debug output matters here
        let dbg = format!("{:?}", s.map(|s| s.teams).unwrap_or_default());
        assert!(!dbg.contains("secretpath"), "{dbg}");
    }
}

#[cfg(test)]
mod secret_handling {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Settings, String> {
        Settings::parse(Path::new("test.toml"), text, &env(vars)).map_err(|e| e.to_string())
    }

    const ZD_NUMERIC: &str = r#"
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

    const SMTP: &str =
        "[smtp]\nhost = \"mail.example.com\"\nusername = \"kpi\"\nfrom = \"kpi@example.com\"\n";

    /// A numeric token is a valid token, from the file or from the environment, and it stays
    /// exactly as written (no float rounding, no lost leading zeros).
    #[test]
    fn a_numeric_or_boolean_secret_is_read_as_its_text() {
        let s = parse(ZD_NUMERIC, &[]).unwrap();
        assert_eq!(s.sources[0].settings.0["api_token"], 1234567890987i64);
        assert!(crate::connectors::build(&s.sources[0]).is_ok());

        let big = ZD_NUMERIC.replace("1234567890987", "98765431234567890123456");
        let s = parse(&big, &[]).unwrap();
        assert_eq!(
            s.sources[0].secrets().scrub("98765431234567890123456"),
            secrets::REDACTED
        );

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

        // An environment override reaches a [[sources]] entry by its index.
        let s = parse(
            &ZD_NUMERIC.replace("api_token = 1234567890987", ""),
            &[("DESKPULSE__SOURCES__0__API_TOKEN", "00777")],
        )
        .unwrap();
        assert_eq!(s.sources[0].settings.0["api_token"], "00777");
        // And numbers from the environment are still numbers where a number is meant.
        let s = parse(SMTP, &[("DESKPULSE__SMTP__PORT", "2525")]).unwrap();
        assert_eq!(s.smtp.unwrap().port, 2525);
    }

    /// No configuration error prints a secret: not a type error, not a syntax error quoting
    /// the line, not a connector's complaint, not an unknown key next to one.
    #[test]
    fn no_configuration_error_prints_a_secret() {
        const SECRET: &str = "9876543123456";
        let zd = ZD_NUMERIC.replace("1234567890987", SECRET);
        let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
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
            // Errors elsewhere while secrets are set, from the file and the environment.
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
        ];
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

    #[test]
    fn the_database_url_is_masked_when_shown() {
        for url in [
            "postgres://u:Pw-9f3e1@h/db",
            "postgresql://u@h/db?password=Pw-9f3e1",
            "postgres://u@h/db?sslpassword=Pw-9f3e1",
        ] {
            let s = parse("", &[("DESKPULSE__DATABASE__URL", url)]).unwrap();
            assert_eq!(s.database.url.expose(), url);
            let shown = format!("{} {:?} {s:?}", s.database.url, s.database.url);
            assert!(!shown.contains("Pw-9f3e1"), "{shown}");
            assert!(shown.contains("****"), "{shown}");
        }
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

    /// `is_secret_key` names exactly the `[[sources]]` keys each connector reads as a
    /// `Secret`: a key set to a marker whose `Debug` hides the marker is a `Secret` field.
    #[test]
    fn secret_keys_match_the_connectors_settings_types() {
        fn probe<T: serde::de::DeserializeOwned + std::fmt::Debug>(kind: &str, keys: &[&str]) {
            for key in keys {
                let marker = format!("marker-{key}-value");
                let v = serde_json::json!({ *key: marker });
                let Ok(settings) = deserialize_at::<T>(&v, "") else {
                    continue; // not a text key (a number, a date, a list)
                };
                let hidden = !format!("{settings:?}").contains(&marker);
                assert_eq!(
                    secrets::is_secret_key(key),
                    hidden,
                    "{kind}.{key}: is_secret_key disagrees with the settings type"
                );
            }
        }
        probe::<deskpulse_connector_zendesk::ZendeskSettings>(
            "zendesk",
            deskpulse_connector_zendesk::settings_keys(),
        );
        probe::<deskpulse_connector_helpscout::HelpScoutSettings>(
            "helpscout",
            deskpulse_connector_helpscout::settings_keys(),
        );
        probe::<deskpulse_connector_gorgias::GorgiasSettings>(
            "gorgias",
            deskpulse_connector_gorgias::settings_keys(),
        );
        probe::<deskpulse_connector_freshdesk::FreshdeskSettings>(
            "freshdesk",
            deskpulse_connector_freshdesk::settings_keys(),
        );
        probe::<deskpulse_connector_intercom::IntercomSettings>(
            "intercom",
            deskpulse_connector_intercom::settings_keys(),
        );
        // A new connector kind must be probed here too.
        assert_eq!(
            crate::connectors::kind_names(),
            ["zendesk", "helpscout", "gorgias", "freshdesk", "intercom"]
        );
    }
}

#[cfg(test)]
mod documented_examples {
    use super::*;

    /// Every commented `[[sources]]` block of `config/default.toml`, uncommented, parses — so
    /// the documentation of each connector's keys cannot drift from what the code accepts.
    #[test]
    fn every_commented_source_example_parses() {
        let text = include_str!("../../../config/default.toml");
        let mut blocks: Vec<String> = Vec::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if line.trim() == "# [[sources]]" {
                if let Some(b) = current.take() {
                    blocks.push(b);
                }
                current = Some(String::from("[[sources]]\n"));
            } else if let Some(b) = current.as_mut() {
                match line.strip_prefix("# ") {
                    // `# # key = …` lines are optional keys: they stay comments.
                    Some(rest) if !rest.starts_with('#') => {
                        b.push_str(rest);
                        b.push('\n');
                    }
                    Some(_) => {}
                    None => blocks.push(current.take().unwrap_or_default()),
                }
            }
        }
        blocks.extend(current);
        assert!(
            blocks.len() >= 5,
            "expected an example per connector kind, found {}",
            blocks.len()
        );
        let mut kinds = Vec::new();
        for block in &blocks {
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("name = "))
                .map(|n| n.trim_matches('"').to_owned())
                .unwrap_or_else(|| panic!("example without a name:\n{block}"));
            let doc = format!("[[teams]]\nname = \"t\"\nsources = [\"{name}\"]\n\n{block}");
            // Every ${VAR} the examples use, set to something plausible.
            let env: Vec<(String, String)> = [
                "ZENDESK_API_TOKEN",
                "HELPSCOUT_APP_ID",
                "HELPSCOUT_APP_SECRET",
                "GORGIAS_API_KEY",
                "FRESHDESK_API_KEY",
                "INTERCOM_ACCESS_TOKEN",
            ]
            .iter()
            .map(|k| (k.to_string(), "example-secret".to_string()))
            .collect();
            let s = Settings::parse(Path::new("default.toml"), &doc, &env)
                .unwrap_or_else(|e| panic!("the documented example does not parse: {e}\n{block}"));
            kinds.push(s.sources[0].kind.clone());
        }
        for k in crate::connectors::kind_names() {
            assert!(
                kinds.iter().any(|x| x == k),
                "config/default.toml documents no `{k}` source"
            );
        }
    }
}
