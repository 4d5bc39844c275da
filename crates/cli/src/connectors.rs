//! The one list of connector kinds. Adding a connector crate means adding one entry here.

use crate::config::{SourceSettings, deserialize_at};
use deskpulse_connector::{Connector, KpiLimit, StreamSpec};

/// A connector, or the key path and reason its settings are wrong.
pub type BuildResult = Result<Box<dyn Connector>, (String, String)>;

/// A kind of source: its name in `[[sources]] kind = "..."`, its settings keys, its streams,
/// and how to build it from its kind-specific settings.
pub struct ConnectorKind {
    pub kind: &'static str,
    pub description: &'static str,
    pub keys: fn() -> &'static [&'static str],
    pub streams: &'static [StreamSpec],
    /// KPIs the kind's API cannot support (reports leave its tickets out of them, and say so).
    pub limits: &'static [KpiLimit],
    /// KPIs `deskpulse reconcile` cannot compare for this kind: the vendor keeps no
    /// per-ticket figure for them (`kpi`, why).
    pub unreconcilable: &'static [KpiLimit],
    build: fn(&SourceSettings) -> BuildResult,
}

pub const KINDS: &[ConnectorKind] = &[
    ConnectorKind {
        kind: deskpulse_connector_zendesk::KIND,
        description: "Zendesk Support: incremental ticket, ticket-event and user exports, satisfaction ratings",
        keys: deskpulse_connector_zendesk::settings_keys,
        streams: deskpulse_connector_zendesk::STREAMS,
        unreconcilable: &[],
        limits: &[],
        build: |s| {
            let settings: deskpulse_connector_zendesk::ZendeskSettings =
                deserialize_at(&s.settings.0, &s.key)?;
            let c = deskpulse_connector_zendesk::ZendeskConnector::new(settings)
                .map_err(|e| (s.key.clone(), e.to_string()))?;
            Ok(Box::new(c))
        },
    },
    ConnectorKind {
        kind: deskpulse_connector_helpscout::KIND,
        description: "Help Scout (Mailbox API 2.0): conversations with embedded threads by modifiedSince, users, thread ratings",
        keys: deskpulse_connector_helpscout::settings_keys,
        streams: deskpulse_connector_helpscout::STREAMS,
        unreconcilable: &all_unreconcilable(
            "Help Scout's API gives no per-conversation figures (its Reports API gives aggregates only)",
        ),
        limits: &[],
        build: |s| {
            let settings: deskpulse_connector_helpscout::HelpScoutSettings =
                deserialize_at(&s.settings.0, &s.key)?;
            let c = deskpulse_connector_helpscout::HelpScoutConnector::new(settings)
                .map_err(|e| (s.key.clone(), e.to_string()))?;
            Ok(Box::new(c))
        },
    },
    ConnectorKind {
        kind: deskpulse_connector_gorgias::KIND,
        description: "Gorgias: tickets, messages and satisfaction surveys as cursor-paged data feeds, users",
        keys: deskpulse_connector_gorgias::settings_keys,
        streams: deskpulse_connector_gorgias::STREAMS,
        unreconcilable: &all_unreconcilable(
            "Gorgias' API gives no per-ticket figures (its statistics API gives aggregates only)",
        ),
        limits: deskpulse_connector_gorgias::LIMITS,
        build: |s| {
            let settings: deskpulse_connector_gorgias::GorgiasSettings =
                deserialize_at(&s.settings.0, &s.key)?;
            let c = deskpulse_connector_gorgias::GorgiasConnector::new(settings)
                .map_err(|e| (s.key.clone(), e.to_string()))?;
            Ok(Box::new(c))
        },
    },
    ConnectorKind {
        kind: deskpulse_connector_freshdesk::KIND,
        description: "Freshdesk: tickets by updated_since with stats (plus spam/deleted passes) and their conversations, agents, satisfaction ratings",
        keys: deskpulse_connector_freshdesk::settings_keys,
        streams: deskpulse_connector_freshdesk::STREAMS,
        unreconcilable: &[KpiLimit {
            kpi: "one_touch_resolution_rate",
            reason: "Freshdesk's ticket stats count no replies",
        }],
        limits: &[],
        build: |s| {
            let settings: deskpulse_connector_freshdesk::FreshdeskSettings =
                deserialize_at(&s.settings.0, &s.key)?;
            let c = deskpulse_connector_freshdesk::FreshdeskConnector::new(settings)
                .map_err(|e| (s.key.clone(), e.to_string()))?;
            Ok(Box::new(c))
        },
    },
    ConnectorKind {
        kind: deskpulse_connector_intercom::KIND,
        description: "Intercom: conversations by updated_at (search) with their parts, conversation ratings, admins",
        keys: deskpulse_connector_intercom::settings_keys,
        streams: deskpulse_connector_intercom::STREAMS,
        unreconcilable: &[KpiLimit {
            kpi: "one_touch_resolution_rate",
            reason: "Intercom's conversation statistics count no teammate replies (count_conversation_parts counts every part)",
        }],
        limits: &[],
        build: |s| {
            let settings: deskpulse_connector_intercom::IntercomSettings =
                deserialize_at(&s.settings.0, &s.key)?;
            let c = deskpulse_connector_intercom::IntercomConnector::new(settings)
                .map_err(|e| (s.key.clone(), e.to_string()))?;
            Ok(Box::new(c))
        },
    },
];

/// The KPIs `deskpulse reconcile` compares.
pub const RECONCILED_KPIS: [&str; 5] = [
    "first_response_time",
    "first_resolution_time",
    "resolution_time",
    "one_touch_resolution_rate",
    "reopen_rate",
];

/// Every reconciled KPI, for one reason (a vendor that keeps no per-ticket figures).
const fn all_unreconcilable(reason: &'static str) -> [KpiLimit; 5] {
    let mut out = [KpiLimit { kpi: "", reason }; 5];
    let mut i = 0;
    while i < 5 {
        out[i].kpi = RECONCILED_KPIS[i];
        i += 1;
    }
    out
}

pub fn find(kind: &str) -> Option<&'static ConnectorKind> {
    KINDS.iter().find(|k| k.kind == kind)
}

pub fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.kind).collect()
}

/// Builds the connector of a configured source. Errors carry the key path and the reason.
pub fn build(source: &SourceSettings) -> BuildResult {
    let kind = find(&source.kind).ok_or_else(|| {
        (
            format!("{}.kind", source.key),
            format!("unknown connector kind {:?}", source.kind),
        )
    })?;
    (kind.build)(source)
}

/// The `deskpulse connectors` listing: every kind, its settings keys and its streams.
pub fn describe() -> String {
    let mut out = String::new();
    for k in KINDS {
        out.push_str(&format!("{}\n  {}\n", k.kind, k.description));
        out.push_str("  keys:    name, kind, sync_every, max_pages");
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
