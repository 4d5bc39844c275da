//! Helpers for connector settings, so every connector validates the same keys the same way
//! and every message names the key to fix (see [`ConnectorError::settings`]):
//! - [`present`], [`present_secret`]: a key written but left blank counts as not set;
//! - [`base_url`], [`url()`], [`account_url`]: http(s) only, a host, no credentials, query or
//!   fragment, the trailing slash of a path prefix dropped;
//! - [`KeyOrToken`]: a user and an API key (Basic) or an OAuth token (Bearer), exactly one;
//! - [`page_size`], [`bounded`]: numbers within the API's range;
//! - [`start_date`] / [`StartDate`]: RFC 3339 or `YYYY-MM-DD` (UTC midnight);
//! - [`duration`]: `"24h"`, `"30m"`, `"0s"` (humantime);
//! - [`keys_of`]: the keys of a settings struct, read from its serde derive (no macro);
//! - [`from_value`]: a settings struct from the JSON the CLI hands over, scalars read as the
//!   field asks (a numeric token is text, `"50"` is a number), errors naming the key path.

use crate::auth::Auth;
use crate::{ConnectorError, Secret};
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use url::Url;

mod lenient;

/// The trimmed value of an optional string setting, `None` when absent or blank.
pub fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// An optional secret setting, `None` when absent or blank.
pub fn present_secret(s: &Option<Secret>) -> Option<&Secret> {
    s.as_ref().filter(|s| !s.expose().trim().is_empty())
}

/// A URL setting: `raw` parsed as an absolute `http(s)` URL with a host, no user name or
/// password, no query or fragment; a path prefix loses its trailing slash
/// (`http://h/zendesk/` → `http://h/zendesk`). `example` shows the vendor's form in the
/// message (`https://acme.zendesk.com`).
pub fn url(key: &str, raw: &str, example: &str) -> Result<Url, ConnectorError> {
    let raw = raw.trim();
    let mut url = Url::parse(raw).map_err(|e| {
        ConnectorError::settings(
            key,
            format!("is not a URL ({e}): write it like `{example}` or `http://127.0.0.1:8080`"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConnectorError::settings(
            key,
            "must start with `http://` or `https://`",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConnectorError::settings(
            key,
            format!("has no host: write it like `{example}`"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in a URL end up in logs and error messages sooner or later.
        return Err(ConnectorError::settings(
            key,
            "must not contain a user name or password: use the connector's credential settings",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConnectorError::settings(
            key,
            "must not have a query string or fragment",
        ));
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    if trimmed.len() + 1 < url.path().len() || (!trimmed.is_empty() && url.path().ends_with('/')) {
        url.set_path(if trimmed.is_empty() { "/" } else { &trimmed });
    }
    Ok(url)
}

/// The `base_url` setting: `raw` when set (see [`url()`]), else `default` (the vendor's host,
/// itself checked), else an error asking for it.
pub fn base_url(
    raw: &Option<String>,
    default: Option<&str>,
    example: &str,
) -> Result<Url, ConnectorError> {
    match (present(raw), default) {
        (Some(r), _) => url("base_url", r, example),
        (None, Some(d)) => url("base_url", d, example),
        (None, None) => Err(ConnectorError::settings(
            "base_url",
            format!("is not set: write it like `{example}`"),
        )),
    }
}

/// `https://{account}.{parent}` from an account-name setting (`subdomain = "acme"` →
/// `https://acme.zendesk.com`): letters, digits and `-` only, lower-cased. With
/// `allow_host`, a full host under any domain is taken as it is (`acme.freshdesk.com`).
pub fn account_url(
    key: &str,
    account: &str,
    parent: &str,
    allow_host: bool,
) -> Result<Url, ConnectorError> {
    let account = account.trim().to_ascii_lowercase();
    let host = if allow_host && account.contains('.') {
        account.clone()
    } else {
        format!("{account}.{parent}")
    };
    let label_ok =
        |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let valid = if allow_host {
        host.split('.').all(label_ok)
    } else {
        label_ok(&account)
    };
    if !valid {
        return Err(ConnectorError::settings(
            key,
            format!(
                "must be only the account name (`acme` for https://acme.{parent}){}, got {account:?}",
                if allow_host { " or its host" } else { "" }
            ),
        ));
    }
    Url::parse(&format!("https://{host}"))
        .map_err(|e| ConnectorError::settings(key, format!("gives no valid URL: {e}")))
}

/// The credentials of a vendor that takes either a user and an API key (sent as Basic auth) or
/// an OAuth token (sent as Bearer), never both kinds: each is `(key, value)`, and for the user
/// and the key also what to tell when it is missing (after "is not set: "). The other messages
/// are the same for every vendor, so the kinds cannot drift apart in what they accept.
pub struct KeyOrToken<'a> {
    pub user: (&'static str, &'a Option<String>, &'static str),
    pub key: (&'static str, &'a Option<Secret>, &'static str),
    pub token: (&'static str, &'a Option<Secret>),
}

impl KeyOrToken<'_> {
    /// Basic auth with `username(user)` and the key, or Bearer with the token; an error names
    /// the key to fix (a user set beside the token is refused: it would be silently unused).
    pub fn auth(&self, username: impl FnOnce(&str) -> String) -> Result<Auth, ConnectorError> {
        let ((user_key, user, user_hint), (key_key, key, key_hint)) = (self.user, self.key);
        let token_key = self.token.0;
        let unset =
            |key: &str, hint: &str| ConnectorError::settings(key, format!("is not set: {hint}"));
        match (
            present(user),
            present_secret(key),
            present_secret(self.token.1),
        ) {
            (_, Some(_), Some(_)) => Err(ConnectorError::settings(
                token_key,
                format!(
                    "and `{key_key}` are both set: set either `{user_key}` and `{key_key}`, or `{token_key}`, not both kinds of credentials"
                ),
            )),
            (None, None, Some(token)) => Ok(Auth::Bearer(token.clone())),
            (Some(_), None, Some(_)) => Err(ConnectorError::settings(
                user_key,
                format!("is only used with `{key_key}`: remove it to use `{token_key}`"),
            )),
            (Some(user), Some(key), None) => Ok(Auth::Basic {
                username: username(user),
                password: key.clone(),
            }),
            (None, Some(_), None) => Err(unset(user_key, user_hint)),
            (Some(_), None, None) => Err(unset(key_key, key_hint)),
            (None, None, None) => Err(unset(
                key_key,
                &format!("set `{user_key}` and `{key_key}`, or `{token_key}`"),
            )),
        }
    }
}

/// A page size: `value`, or `max` when unset; 0 or more than `max` (the API's ceiling) is an
/// error naming `key`.
pub fn page_size(value: Option<u32>, max: u32, key: &str) -> Result<u32, ConnectorError> {
    match value {
        None => Ok(max),
        Some(n) => bounded(key, n, 1, max),
    }
}

/// `value` within `min..=max`, or an error naming `key` and the range.
pub fn bounded(key: &str, value: u32, min: u32, max: u32) -> Result<u32, ConnectorError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ConnectorError::settings(
            key,
            format!("must be between {min} and {max}, got {value}"),
        ))
    }
}

/// A start date: RFC 3339 (`2024-03-01T08:00:00Z`, any offset) or a date (`2024-03-01`, UTC
/// midnight). Blank is `None`.
pub fn start_date(raw: Option<&str>, key: &str) -> Result<Option<DateTime<Utc>>, ConnectorError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    parse_start(raw)
        .map(Some)
        .ok_or_else(|| ConnectorError::settings(key, format!("{}", StartDateError(raw))))
}

fn parse_start(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

struct StartDateError<'a>(&'a str);
impl std::fmt::Display for StartDateError<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "is not a date: write it like \"2024-03-01\" (UTC midnight) or \"2024-03-01T08:00:00Z\", got {:?}",
            self.0
        )
    }
}

/// A start-date setting as a serde field (`pub start_date: Option<StartDate>`): reads
/// `"2024-03-01"` or RFC 3339. Before 1970 counts as 1970 in [`StartDate::unix`], the
/// vendors' epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StartDate(pub DateTime<Utc>);

impl StartDate {
    pub fn at(&self) -> DateTime<Utc> {
        self.0
    }
    /// Unix seconds, never negative.
    pub fn unix(&self) -> i64 {
        self.0.timestamp().max(0)
    }
}

impl<'de> serde::Deserialize<'de> for StartDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StartDate;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date like \"2024-03-01\" or \"2024-03-01T08:00:00Z\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StartDate, E> {
                parse_start(v.trim())
                    .map(StartDate)
                    .ok_or_else(|| E::custom(StartDateError(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A duration setting (`"24h"`, `"6h"`, `"30m"`, `"0s"`, `"7days"`), as chrono's type.
pub fn duration(key: &str, raw: &str) -> Result<chrono::Duration, ConnectorError> {
    let raw = raw.trim();
    let d = humantime::parse_duration(raw).map_err(|e| {
        ConnectorError::settings(
            key,
            format!(
                "= {raw:?} is not a duration ({e}): write it like \"24h\", \"6h\", \"30m\" or \"0s\""
            ),
        )
    })?;
    chrono::Duration::from_std(d).map_err(|_| {
        ConnectorError::settings(
            key,
            format!("= {raw:?} is too long: write at most a few years, like \"7days\""),
        )
    })
}

/// The keys of a settings struct, in declaration order, as its serde derive names them
/// (`rename`s applied): read by asking the derive which fields it expects, so the list
/// cannot drift from the struct. Empty for a type that is not a plain struct (a
/// `#[serde(flatten)]` field makes serde read a map, and names nothing).
pub fn keys_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut found: &'static [&'static str] = &[];
    let _ = T::deserialize(KeysProbe(&mut found));
    found
}

/// A deserializer that records the fields a struct's derive asks for, then stops.
struct KeysProbe<'a>(&'a mut &'static [&'static str]);

#[derive(Debug)]
struct Stop;
impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("keys probed")
    }
}
impl std::error::Error for Stop {}
impl de::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for KeysProbe<'_> {
    type Error = Stop;
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = fields;
        Err(Stop)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Why a settings value could not be read: the key path inside the kind-specific settings
/// (`page_size`, `bot_user_ids[2]`; empty for the whole table) and what is wrong. The CLI
/// prefixes its own path (`sources[0].`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{detail}", if key.is_empty() { String::new() } else { format!("`{key}`: ") })]
pub struct SettingsError {
    pub key: String,
    pub detail: String,
}

impl SettingsError {
    /// The error of a connector's constructor: the key its message names first (see
    /// [`ConnectorError::setting_key`]), else the whole table.
    pub fn from_connector(err: &ConnectorError) -> Self {
        Self {
            key: err.setting_key().unwrap_or_default().to_owned(),
            detail: match err {
                ConnectorError::Settings(m) => m.clone(),
                other => other.to_string(),
            },
        }
    }
}

/// A settings struct from the kind-specific JSON the CLI hands over. Scalars are read as the
/// field asks: a number or boolean where text is wanted is its text (a numeric API token is
/// a token, and serde's "invalid type: integer `98765…`" would print it), text where a
/// number or boolean is wanted is parsed (environment overrides are text). Errors carry the
/// key path; a text field (every secret) never fails on a scalar's type, so no error quotes
/// a credential.
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, SettingsError> {
    serde_path_to_error::deserialize(lenient::Lenient(value)).map_err(|e| {
        let key = e.path().to_string();
        SettingsError {
            key: if key == "." { String::new() } else { key },
            detail: e.into_inner().to_string(),
        }
    })
}

#[cfg(test)]
mod tests;
