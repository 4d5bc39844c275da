//! How fresh each source's data is, for the pages: the report's own freshness lines
//! (`KpiReport::freshness`, the metrics crate's verdicts against the period) when it has
//! them, else what storage records of each source's syncs (`Store::freshness`), unjudged.

use chrono_tz::Tz;
use deskpulse_digest::escape::{LINE_CHARS, NAME_CHARS, plain_cut};
use deskpulse_metrics::KpiReport;
use deskpulse_model::SourceFreshness;
use deskpulse_storage::Store;

use crate::views::local_time;

/// A source's freshness as a page shows it.
pub(crate) struct FreshRow {
    pub source: String,
    pub complete_through: String,
    pub last_success: String,
    pub last_error: Option<String>,
    pub failing_since: Option<String>,
    /// What the period misses from this source, in the metrics crate's words.
    pub missing: Option<String>,
    /// `complete`, `incomplete`, `failing`, `never` or `unknown` (no verdict).
    pub state: &'static str,
}

fn row(
    s: &SourceFreshness,
    verdict: Option<(bool, bool, Option<&str>)>,
    tz: Tz,
    scrub: &dyn Fn(&str) -> String,
) -> FreshRow {
    let state = match verdict {
        _ if s.last_success_at.is_none() && s.complete_through.is_none() => "never",
        Some((_, true, _)) => "failing",
        Some((true, _, _)) => "complete",
        Some((false, _, _)) => "incomplete",
        None if s.last_error.is_some() => "failing",
        None => "unknown",
    };
    FreshRow {
        source: plain_cut(&s.source, NAME_CHARS),
        complete_through: local_time(s.complete_through, tz),
        last_success: local_time(s.last_success_at, tz),
        last_error: s
            .last_error
            .as_deref()
            .map(|e| plain_cut(&scrub(e), LINE_CHARS)),
        failing_since: s.failing_since.map(|t| local_time(Some(t), tz)),
        missing: verdict
            .and_then(|v| v.2)
            .map(|m| plain_cut(&scrub(m), LINE_CHARS)),
        state,
    }
}

/// The freshness rows of a team's page: the report's lines, else storage's.
pub(crate) async fn rows(
    store: &Store,
    report: Option<&KpiReport>,
    sources: &[String],
    tz: Tz,
    scrub: &(dyn Fn(&str) -> String + Sync),
) -> Vec<FreshRow> {
    if let Some(r) = report.filter(|r| !r.freshness.is_empty()) {
        return r
            .freshness
            .iter()
            .map(|l| {
                row(
                    &l.data,
                    Some((l.complete, l.failing, l.missing.as_deref())),
                    tz,
                    scrub,
                )
            })
            .collect();
    }
    match store.freshness(sources).await {
        Ok(lines) => lines.iter().map(|s| row(s, None, tz, scrub)).collect(),
        Err(e) => sources
            .iter()
            .map(|s| {
                let mut f = SourceFreshness::never_synced(s.clone());
                f.last_error = Some(format!("cannot read its freshness: {e}"));
                row(&f, None, tz, scrub)
            })
            .collect(),
    }
}
