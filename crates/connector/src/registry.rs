//! Registration: a connector crate says once what it is (kind, description, streams,
//! settings, KPI limits, what cannot be reconciled) and how to build it, and the CLI lists
//! it in one line.
//!
//! ```text
//! // crates/connectors/acme/src/lib.rs
//! pub struct Acme;
//! impl ConnectorFactory for Acme {
//!     const KIND: &'static str = "acme";
//!     const DESCRIPTION: &'static str = "Acme Helpdesk: tickets by updated_since, agents";
//!     const STREAMS: &'static [StreamSpec] = &[/* … */];
//!     // type Settings = AcmeSettings (serde, deny_unknown_fields), built by AcmeConnector::new
//!     build_from!(AcmeSettings => AcmeConnector::new);
//! }
//! // the connector itself: its client, and its streams by name (kind(), streams(),
//! // with_retry_policy(), with_clock() and base_url() come with the trait)
//! impl HttpConnector for AcmeConnector {
//!     type Kind = Acme;
//!     http_client_field!(http); // http() and http_mut()
//!     fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
//!         Some(match stream {
//!             "tickets" => page_number_stream(&self.http, Tickets { c: self }, from),
//!             _ => return None,
//!         })
//!     }
//! }
//!
//! // crates/cli/src/connectors.rs
//! pub const KINDS: &[&dyn ConnectorKind] = &[
//!     &deskpulse_connector_zendesk::Zendesk,
//!     &deskpulse_connector_acme::Acme,
//! ];
//! let connector = kind.build(&source.settings.0).map_err(|e| (format!("{}.{}", source.key, e.key), e.detail))?;
//! ```
//!
//! The settings keys come from the settings type's serde derive ([`keys_of`]), so the list
//! `deskpulse connectors` prints cannot drift from the struct; [`check_kind`] (run by each
//! crate's tests) checks the rest of the declaration.
//!
//! A connector that reads through one [`HttpClient`] implements [`HttpConnector`] instead of
//! [`Connector`]: it names its factory, hands over its client and opens its streams by name;
//! `kind()`, `streams()`, the unknown-stream error, `with_retry_policy`, `with_clock` and
//! `base_url` are the SDK's.

use crate::clock::Clock;
use crate::http::{HttpClient, HttpSettings, RetryPolicy};
use crate::paginate::failed;
use crate::settings::{SettingsError, from_value, keys_of};
use crate::{BatchStream, Checkpoint, Connector, ConnectorError, KpiLimit, StreamSpec};
use chrono::{DateTime, Utc};
use deskpulse_model::ReviewCoverage;
use serde::de::DeserializeOwned;
use url::Url;

/// What a connector crate implements once, on a unit struct named after the vendor.
pub trait ConnectorFactory: Send + Sync + 'static {
    /// As written in `[[sources]] kind = "…"`: lowercase letters, digits, `_`.
    const KIND: &'static str;
    /// One line for `deskpulse connectors`: the vendor and what is read.
    const DESCRIPTION: &'static str;
    /// The streams, in the order a sync reads them.
    const STREAMS: &'static [StreamSpec];
    /// KPIs the vendor's API cannot support honestly (reports leave its tickets out of them).
    const LIMITS: &'static [KpiLimit] = &[];
    /// KPIs `deskpulse reconcile` cannot compare (the vendor keeps no per-ticket figure).
    const UNRECONCILABLE: &'static [KpiLimit] = &[];
    /// The stream whose first page `deskpulse check` reads to test the credentials: the
    /// cheapest authenticated call that needs the permission a sync needs. Default: the
    /// first stream.
    const PROBE_STREAM: Option<&'static str> = None;
    /// For a review platform: how much of its reviews the API lets the connector read
    /// (`deskpulse connectors` lists it; each `RatingSnapshot` the connector emits carries
    /// it into reports). `None` for a helpdesk.
    const COVERAGE: Option<ReviewCoverage> = None;
    /// The kind-specific settings (serde, `deny_unknown_fields`).
    type Settings: DeserializeOwned + std::fmt::Debug;

    /// Builds the connector; a bad setting is [`ConnectorError::settings`] naming its key.
    fn build(settings: Self::Settings) -> Result<Box<dyn Connector>, ConnectorError>;

    /// The settings keys (default: the serde derive's fields, see [`keys_of`]).
    fn settings_keys() -> &'static [&'static str] {
        keys_of::<Self::Settings>()
    }
}

/// A connector that reads through one [`HttpClient`], declared by its kind's
/// [`ConnectorFactory`]: every such type is a [`Connector`] whose `kind()` and `streams()`
/// are the factory's `KIND` and `STREAMS`, and a stream name it does not open is
/// [`ConnectorError::UnknownStream`] listing them. The builder methods change the client
/// that every stream reads with.
pub trait HttpConnector: Send + Sync + Sized {
    /// The kind this connector is a source of.
    type Kind: ConnectorFactory;

    /// The client every request of every stream goes through.
    fn http(&self) -> &HttpClient;
    fn http_mut(&mut self) -> &mut HttpClient;

    /// Reads `stream` from `from` (see [`Connector::read`]); `None` for a name that is not
    /// one of the kind's streams.
    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a>;

    /// See [`Connector::settle`]: zero unless the vendor documents a delay.
    fn settle(&self, _stream: &str) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// See [`Connector::start_at`]: `None` unless the stream can begin at an instant.
    fn start_at(&self, _stream: &str, _at: DateTime<Utc>) -> Option<Checkpoint> {
        None
    }

    /// See [`Connector::reached`]: `None` unless a checkpoint tells its instant.
    fn reached(&self, _stream: &str, _checkpoint: &Checkpoint) -> Option<DateTime<Utc>> {
        None
    }

    /// Replaces the retry policy (tests use short delays; the conformance kit's `Target`
    /// carries one).
    fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        let http = self.http().clone().with_retry_policy(retry);
        *self.http_mut() = http;
        self
    }

    /// Replaces the clock that bookmarks are checked against, schedules are read by and a
    /// server's `Retry-After` date or rate-limit reset is waited out by (tests pin it).
    fn with_clock(mut self, clock: Clock) -> Self {
        let http = self.http().clone().with_clock(clock);
        *self.http_mut() = http;
        self
    }

    /// The base URL every request goes to.
    fn base_url(&self) -> &Url {
        self.http().base_url()
    }

    /// The connector's clock (its client's).
    fn clock(&self) -> &Clock {
        self.http().clock()
    }
}

/// What [`HttpConnector::read_stream`] returns: the stream, or `None` for a name the kind
/// does not declare (the SDK answers that with the unknown-stream error).
pub type Opened<'a> = Option<BatchStream<'a>>;

/// Inside `impl ConnectorFactory for …`: the settings type and `build` as the connector's
/// constructor (`build_from!(AcmeSettings => AcmeConnector::new);`), which every kind
/// otherwise writes out the same way.
#[macro_export]
macro_rules! build_from {
    ($settings:ty => $new:path) => {
        type Settings = $settings;

        fn build(
            settings: $settings,
        ) -> Result<Box<dyn $crate::Connector>, $crate::ConnectorError> {
            Ok(Box::new($new(settings)?))
        }
    };
}

/// Inside `impl HttpConnector for …`: `http()` and `http_mut()` as the struct field that holds
/// the client (`http_client_field!(http);`).
#[macro_export]
macro_rules! http_client_field {
    ($field:ident) => {
        fn http(&self) -> &$crate::http::HttpClient {
            &self.$field
        }
        fn http_mut(&mut self) -> &mut $crate::http::HttpClient {
            &mut self.$field
        }
    };
}

impl<C: HttpConnector> Connector for C {
    fn kind(&self) -> &'static str {
        C::Kind::KIND
    }

    fn streams(&self) -> &'static [StreamSpec] {
        C::Kind::STREAMS
    }

    fn read<'a>(&'a self, stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        self.read_stream(stream, from)
            .unwrap_or_else(|| failed(ConnectorError::unknown_stream(stream, C::Kind::STREAMS)))
    }

    fn set_max_body_bytes(&mut self, max: u64) {
        let http = self.http().clone().with_max_body_bytes(max);
        *self.http_mut() = http;
    }

    fn settle(&self, stream: &str) -> std::time::Duration {
        HttpConnector::settle(self, stream)
    }

    fn start_at(&self, stream: &str, at: DateTime<Utc>) -> Option<Checkpoint> {
        HttpConnector::start_at(self, stream, at)
    }

    fn reached(&self, stream: &str, checkpoint: &Checkpoint) -> Option<DateTime<Utc>> {
        HttpConnector::reached(self, stream, checkpoint)
    }
}

impl HttpSettings {
    /// [`HttpSettings::new`] with the user agent `deskpulse-{KIND}/{version}` of kind `F`.
    pub fn for_kind<F: ConnectorFactory>(base_url: Url, auth: crate::auth::Auth) -> Self {
        let mut s = Self::new(base_url, auth);
        s.user_agent = format!("deskpulse-{}/{}", F::KIND, env!("CARGO_PKG_VERSION"));
        s
    }
}

/// A connector kind as the registry lists it (`&dyn ConnectorKind`): every
/// [`ConnectorFactory`] is one.
pub trait ConnectorKind: Send + Sync {
    fn kind(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn streams(&self) -> &'static [StreamSpec];
    fn limits(&self) -> &'static [KpiLimit];
    fn unreconcilable(&self) -> &'static [KpiLimit];
    fn settings_keys(&self) -> &'static [&'static str];
    /// Builds the connector from the kind-specific settings the CLI hands over (scalars
    /// read as each field asks, see [`from_value`]); the error's `key` is the path inside
    /// them (empty when the message names no single key), for the CLI to prefix.
    fn build(&self, settings: &serde_json::Value) -> Result<Box<dyn Connector>, SettingsError>;
    /// The stream `deskpulse check` probes ([`ConnectorFactory::PROBE_STREAM`]).
    fn probe_stream(&self) -> &'static str;
    /// The review coverage ([`ConnectorFactory::COVERAGE`]).
    fn coverage(&self) -> Option<ReviewCoverage>;
    /// The settings keys whose text the settings' `Debug` hides (the `Secret` fields): a
    /// key set alone to a marker text, whose `Debug` then does not show the marker. Keys
    /// that take no text alone (numbers, dates, lists) are not secrets.
    fn secret_keys(&self) -> Vec<&'static str>;
}

impl<F: ConnectorFactory> ConnectorKind for F {
    fn kind(&self) -> &'static str {
        F::KIND
    }
    fn description(&self) -> &'static str {
        F::DESCRIPTION
    }
    fn streams(&self) -> &'static [StreamSpec] {
        F::STREAMS
    }
    fn limits(&self) -> &'static [KpiLimit] {
        F::LIMITS
    }
    fn unreconcilable(&self) -> &'static [KpiLimit] {
        F::UNRECONCILABLE
    }
    fn settings_keys(&self) -> &'static [&'static str] {
        F::settings_keys()
    }
    fn build(&self, settings: &serde_json::Value) -> Result<Box<dyn Connector>, SettingsError> {
        let s: F::Settings = from_value(settings)?;
        F::build(s).map_err(|e| SettingsError::from_connector(&e))
    }
    fn probe_stream(&self) -> &'static str {
        F::PROBE_STREAM
            .or_else(|| F::STREAMS.first().map(|s| s.name))
            .unwrap_or("")
    }
    fn coverage(&self) -> Option<ReviewCoverage> {
        F::COVERAGE
    }
    fn secret_keys(&self) -> Vec<&'static str> {
        F::settings_keys()
            .iter()
            .copied()
            .filter(|key| {
                let marker = format!("marker-{key}-value");
                from_value::<F::Settings>(&serde_json::json!({ *key: marker }))
                    .is_ok_and(|s| !format!("{s:?}").contains(&marker))
            })
            .collect()
    }
}

/// Finds a kind by name in a registry list.
pub fn find<'a>(kinds: &'a [&'a dyn ConnectorKind], kind: &str) -> Option<&'a dyn ConnectorKind> {
    kinds.iter().copied().find(|k| k.kind() == kind)
}

/// What is wrong with a kind's declaration (empty when nothing): the kind's spelling,
/// streams (named, described, unique), settings keys (read from the derive, snake_case,
/// unique, `deny_unknown_fields` in force) and limits (named, with a reason). A crate's
/// tests assert it is empty; the conformance kit checks it too.
pub fn check_kind(kind: &dyn ConnectorKind) -> Vec<String> {
    let mut out = Vec::new();
    let snake = |s: &str| {
        !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if !snake(kind.kind()) {
        out.push(format!(
            "kind {:?} is not lowercase letters, digits and `_`",
            kind.kind()
        ));
    }
    if kind.description().trim().is_empty() {
        out.push("the description is empty".into());
    }
    if kind.streams().is_empty() {
        out.push("no stream is declared".into());
    }
    let mut seen = Vec::new();
    for s in kind.streams() {
        if !snake(s.name) {
            out.push(format!("stream {:?} is not snake_case", s.name));
        }
        if s.description.trim().is_empty() {
            out.push(format!("stream `{}` has no description", s.name));
        }
        if seen.contains(&s.name) {
            out.push(format!("stream `{}` is declared twice", s.name));
        }
        seen.push(s.name);
    }
    if !kind.streams().iter().any(|s| s.name == kind.probe_stream()) {
        out.push(format!(
            "the probe stream `{}` is not one of the declared streams",
            kind.probe_stream()
        ));
    }
    let keys = kind.settings_keys();
    if keys.is_empty() {
        out.push("no settings key is known: is the settings type a plain struct with a serde derive (no `flatten`)?".into());
    }
    let mut seen = Vec::new();
    for k in keys {
        if !snake(k) {
            out.push(format!("settings key {k:?} is not snake_case"));
        }
        if seen.contains(k) {
            out.push(format!("settings key `{k}` appears twice"));
        }
        seen.push(*k);
    }
    let probe = serde_json::json!({ "surely_not_a_setting_key": 1 });
    match kind.build(&probe) {
        Err(e) if e.detail.contains("surely_not_a_setting_key") => {}
        _ => out.push(
            "an unknown settings key is not refused: put `#[serde(deny_unknown_fields)]` on the settings type".into(),
        ),
    }
    for l in kind.limits().iter().chain(kind.unreconcilable()) {
        if !snake(l.kpi) || l.reason.trim().is_empty() {
            out.push(format!(
                "KPI limit {:?} needs a snake_case KPI key and a reason",
                l.kpi
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
