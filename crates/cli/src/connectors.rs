//! The registry of connector kinds: one line per connector crate in [`KINDS`]. Everything
//! about a kind (its name, streams, settings keys, KPI limits, what cannot be reconciled,
//! how it is built) is declared once, by the crate's `ConnectorFactory`; this module only
//! lists the factories and puts the source's key path in front of a build error.

use crate::config::SourceSettings;
use deskpulse_connector::registry::{ConnectorFactory, ConnectorKind};
use deskpulse_connector::{Connector, KpiLimit, StreamSpec};
use deskpulse_model::ReviewCoverage;

/// A connector, or the key path and reason its settings are wrong.
pub type BuildResult = Result<Box<dyn Connector>, (String, String)>;

/// Every connector kind, in the order `deskpulse connectors` lists them. A new connector
/// crate is one line here (`cargo xtask new-connector` writes it).
pub const KINDS: &[Kind] = &[
    Kind::of(&deskpulse_connector_zendesk::Zendesk),
    Kind::of(&deskpulse_connector_helpscout::HelpScout),
    Kind::of(&deskpulse_connector_gorgias::Gorgias),
    Kind::of(&deskpulse_connector_freshdesk::Freshdesk),
    Kind::of(&deskpulse_connector_intercom::Intercom),
    Kind::of(&deskpulse_connector_trustpilot::Trustpilot),
    Kind::of(&deskpulse_connector_google_business_profile::GoogleBusinessProfile),
    Kind::of(&deskpulse_connector_yelp::Yelp),
    Kind::of(&deskpulse_connector_google_places::GooglePlaces),
    Kind::of(&deskpulse_connector_app_store::AppStore),
    Kind::of(&deskpulse_connector_google_play::GooglePlay),
    Kind::of(&deskpulse_connector_facebook_page::FacebookPage),
    Kind::of(&deskpulse_connector_instagram::Instagram),
    Kind::of(&deskpulse_connector_x::X),
];

/// A registered kind: its factory, and the factory's declaration as plain fields (read at
/// compile time, so callers hold `&'static` data and the registry stays a `const`).
pub struct Kind {
    /// As written in `[[sources]] kind = "..."`.
    pub kind: &'static str,
    pub description: &'static str,
    /// The kind-specific settings keys (from the settings type's serde derive).
    pub keys: fn() -> &'static [&'static str],
    pub streams: &'static [StreamSpec],
    /// KPIs the kind's API cannot support (reports leave its tickets out of them, and say so).
    pub limits: &'static [KpiLimit],
    /// KPIs `deskpulse reconcile` cannot compare for this kind: the vendor keeps no
    /// per-ticket figure for them (`kpi`, why).
    pub unreconcilable: &'static [KpiLimit],
    /// The factory itself (builds connectors; `registry::check_kind` checks it).
    pub factory: &'static dyn ConnectorKind,
}

impl Kind {
    /// The registry entry of a connector crate's factory.
    pub const fn of<F: ConnectorFactory>(factory: &'static F) -> Kind {
        Kind {
            kind: F::KIND,
            description: F::DESCRIPTION,
            keys: F::settings_keys,
            streams: F::STREAMS,
            limits: F::LIMITS,
            unreconcilable: F::UNRECONCILABLE,
            factory,
        }
    }
}

pub fn find(kind: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.kind == kind)
}

pub fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.kind).collect()
}

/// Builds the connector of a configured source. Errors carry the full key path
/// (`sources[0].page_size`; the source's own key when the message names no single key) and
/// the reason.
pub fn build(source: &SourceSettings) -> BuildResult {
    let kind = find(&source.kind).ok_or_else(|| {
        (
            format!("{}.kind", source.key),
            format!("unknown connector kind {:?}", source.kind),
        )
    })?;
    let mut connector = kind
        .factory
        .build(&source.settings.0)
        .map_err(|e| (key_path(&source.key, &e.key), e.detail))?;
    connector.set_max_body_bytes(source.max_body_mb << 20);
    Ok(connector)
}

/// `sources[0]` + `page_size` → `sources[0].page_size`; `sources[0]` + `bot_ids[1]` →
/// `sources[0].bot_ids[1]`; an empty inner key is the source itself.
fn key_path(source_key: &str, inner: &str) -> String {
    match inner {
        "" => source_key.to_owned(),
        _ if inner.starts_with('[') => format!("{source_key}{inner}"),
        _ => format!("{source_key}.{inner}"),
    }
}

/// What a review connector can read, in a user's words.
pub fn coverage_text(c: ReviewCoverage) -> &'static str {
    match c {
        ReviewCoverage::Full => "full history (every review, with the business's replies)",
        ReviewCoverage::RecentWindow => {
            "recent reviews only (history builds up from deskpulse's own syncs: sync at least weekly)"
        }
        ReviewCoverage::AggregateSample => {
            "the platform's overall rating and review count, plus a small sample of reviews (no replies): its numbers are not computed from all reviews"
        }
    }
}

/// The `deskpulse connectors` listing: every kind, what it reads of reviews, its settings
/// keys and its streams.
pub fn describe() -> String {
    let mut out = String::new();
    for k in KINDS {
        out.push_str(&format!("{}\n  {}\n", k.kind, k.description));
        if let Some(c) = k.factory.coverage() {
            out.push_str(&format!("  reviews: {}\n", coverage_text(c)));
        }
        out.push_str("  keys:    name, kind, sync_every, max_pages, max_body_mb");
        for key in (k.keys)() {
            out.push_str(", ");
            out.push_str(key);
        }
        out.push_str("\n  streams:\n");
        for s in k.streams {
            out.push_str(&format!("    {:<22} {}\n", s.name, s.description));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KindSettings;
    use deskpulse_connector::registry::check_kind;
    use serde_json::json;

    /// The KPIs `deskpulse reconcile` compares (the keys of `ReconcileReport::kpis`).
    const RECONCILED: [&str; 5] = [
        "first_response_time",
        "first_resolution_time",
        "resolution_time",
        "one_touch_resolution_rate",
        "reopen_rate",
    ];

    fn source(kind: &str, settings: serde_json::Value) -> SourceSettings {
        SourceSettings {
            name: deskpulse_model::SourceName::parse("main").unwrap(),
            kind: kind.to_owned(),
            sync_every: std::time::Duration::from_secs(900),
            max_pages: 10,
            first_window: None,
            max_body_mb: 64,
            settings: KindSettings(settings),
            key: "sources[2]".to_owned(),
        }
    }

    #[test]
    fn every_registered_kind_is_well_declared() {
        for k in KINDS {
            let problems = check_kind(k.factory);
            assert!(problems.is_empty(), "{}: {problems:?}", k.kind);
            // The fields are the factory's own declaration, not a copy that could drift.
            assert_eq!(k.kind, k.factory.kind());
            assert_eq!((k.keys)(), k.factory.settings_keys());
            assert_eq!(k.limits, k.factory.limits());
            assert_eq!(k.unreconcilable, k.factory.unreconcilable());
            assert_eq!(k.streams.len(), k.factory.streams().len());
        }
        let mut names = kind_names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len(), "a kind is registered twice");
    }

    #[test]
    fn unreconcilable_kpis_are_kpis_reconcile_compares() {
        for k in KINDS {
            for l in k.unreconcilable {
                assert!(RECONCILED.contains(&l.kpi), "{}: {}", k.kind, l.kpi);
            }
        }
    }

    #[test]
    fn build_errors_name_the_full_key_path() {
        let (key, detail) = build(&source(
            "zendesk",
            json!({"subdomain": "acme", "api_token": "t", "email": "a@b.c", "page_size": 0}),
        ))
        .err()
        .expect("page_size 0 is refused");
        assert_eq!(key, "sources[2].page_size", "{detail}");
        let (key, detail) = build(&source("zendesk", json!({"subdomain": "acme", "nope": 1})))
            .err()
            .expect("an unknown key is refused");
        assert!(key.starts_with("sources[2]"), "{key}");
        assert!(detail.contains("nope"), "{detail}");
        let (key, _) = build(&source("acme_nothing", json!({})))
            .err()
            .expect("an unknown kind is refused");
        assert_eq!(key, "sources[2].kind");
    }

    #[test]
    fn key_paths_join_fields_and_indexes() {
        assert_eq!(key_path("sources[0]", "page_size"), "sources[0].page_size");
        assert_eq!(
            key_path("sources[0]", "bot_ids[1]"),
            "sources[0].bot_ids[1]"
        );
        assert_eq!(key_path("sources[0]", "[1]"), "sources[0][1]");
        assert_eq!(key_path("sources[0]", ""), "sources[0]");
    }

    #[test]
    fn the_listing_names_every_kind_key_and_stream() {
        let out = describe();
        for k in KINDS {
            assert!(out.contains(&format!("{}\n  {}\n", k.kind, k.description)));
            for key in (k.keys)() {
                assert!(out.contains(&format!(", {key}")), "{}: {key}", k.kind);
            }
            for s in k.streams {
                assert!(out.contains(&format!("    {:<22} ", s.name)), "{}", s.name);
            }
        }
    }
}
