//! Registration: a connector crate says once what it is (kind, description, streams,
//! settings, KPI limits, what cannot be reconciled) and how to build it, and the CLI lists
//! it in one line.
//!
//! ```ignore
//! // crates/connectors/acme/src/lib.rs
//! pub struct Acme;
//! impl ConnectorFactory for Acme {
//!     const KIND: &'static str = "acme";
//!     const DESCRIPTION: &'static str = "Acme Helpdesk: tickets by updated_since, agents";
//!     const STREAMS: &'static [StreamSpec] = &[/* … */];
//!     type Settings = AcmeSettings;              // serde, deny_unknown_fields
//!     fn build(s: AcmeSettings) -> Result<Box<dyn Connector>, ConnectorError> {
//!         Ok(Box::new(AcmeConnector::new(s)?))
//!     }
//! }
//! // and in `impl Connector for AcmeConnector`: kind() → Acme::KIND, streams() → Acme::STREAMS
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

use crate::settings::{SettingsError, from_value, keys_of};
use crate::{Connector, ConnectorError, KpiLimit, StreamSpec};
use serde::de::DeserializeOwned;

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
    /// The kind-specific settings (serde, `deny_unknown_fields`).
    type Settings: DeserializeOwned;

    /// Builds the connector; a bad setting is [`ConnectorError::settings`] naming its key.
    fn build(settings: Self::Settings) -> Result<Box<dyn Connector>, ConnectorError>;

    /// The settings keys (default: the serde derive's fields, see [`keys_of`]).
    fn settings_keys() -> &'static [&'static str] {
        keys_of::<Self::Settings>()
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
