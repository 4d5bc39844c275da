//! How fresh and how final the digest's numbers are, as the metrics crate judged them
//! ([`deskpulse_metrics::attach_freshness`], [`deskpulse_metrics::restate`]): per source the
//! instant its data is complete through or what the period misses from it, whether the
//! period is complete for the team (the banner), and the earlier periods whose figures
//! changed since the team was told them. Nothing here judges: `complete`, `failing`,
//! `missing` and the restated figures' sentences are the report's own.
//!
//! Like the rest of the model, the source names and the metrics' notes (which name streams)
//! are kept raw; the sentences every format shows are put together here once, from parts
//! each renderer cuts and escapes for its format (an [`Esc`]).

use chrono_tz::Tz;
use deskpulse_metrics::KpiReport;
use serde::Serialize;

use crate::escape::{ERROR_CHARS, LINE_CHARS, NAME_CHARS, truncate};
use crate::model::Attention;

/// Cuts an untrusted string to a limit and escapes it for one format
/// ([`plain_cut`](crate::escape::plain_cut), [`slack_literal_cut`](crate::escape::slack_literal_cut)).
pub type Esc = fn(&str, usize) -> String;

/// What the digest says of its own numbers. Empty (no line, no banner, no section) when the
/// report has no freshness attached and restates nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trust {
    /// One per source of the team, in the report's order.
    pub sources: Vec<SourceState>,
    /// The report found the period incomplete (`data_complete == Some(false)`): the digest
    /// opens with a banner naming the late sources, and the subject says so.
    pub incomplete: bool,
    /// Earlier periods the team was told whose figures changed since.
    pub restated: Vec<RestatedPeriod>,
}

/// One source's freshness, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceState {
    /// The `[[sources]]` name (from the config: untrusted like any text).
    pub source: String,
    /// Complete through the period's end, as metrics judged it.
    pub complete: bool,
    /// `complete through 2026-11-16 07:59 CET`, or what the period misses from the source
    /// (metrics' `missing`: `never synced`, `its first sync is still running (…)`), which
    /// names streams: escaped like any text.
    pub state: String,
}

/// An earlier period whose figures changed since the team was told them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestatedPeriod {
    /// `2026-W46`.
    pub period: String,
    /// When the team was told, in its time zone: `2026-11-16 08:00 CET`.
    pub told_at: String,
    /// One sentence per figure that moved ([`deskpulse_metrics::RestatedFigure::line`]).
    pub lines: Vec<String>,
}

impl RestatedPeriod {
    /// `2026-W46 changed since it was reported on 2026-11-16 08:00 CET:`.
    pub fn heading(&self, esc: Esc) -> String {
        format!(
            "{} changed since it was reported on {}:",
            esc(&self.period, NAME_CHARS),
            self.told_at
        )
    }

    /// The figures' sentences, each cut and escaped.
    pub fn lines(&self, esc: Esc) -> Vec<String> {
        self.lines.iter().map(|l| esc(l, LINE_CHARS)).collect()
    }
}

impl Trust {
    pub(crate) fn from_report(r: &KpiReport) -> Trust {
        let tz = zone(r);
        Trust {
            sources: r
                .freshness
                .iter()
                .map(|f| SourceState {
                    source: f.data.source.clone(),
                    complete: f.complete,
                    state: match (&f.missing, f.data.complete_through) {
                        (Some(m), _) => m.clone(),
                        (None, Some(t)) => {
                            format!("complete through {}", deskpulse_metrics::local_time(t, tz))
                        }
                        (None, None) => "complete".to_owned(),
                    },
                })
                .collect(),
            incomplete: r.data_complete == Some(false),
            restated: r
                .restatements
                .iter()
                .map(|rs| RestatedPeriod {
                    period: rs.period.clone(),
                    told_at: deskpulse_metrics::local_time(rs.told_at, tz),
                    lines: rs
                        .changes
                        .iter()
                        .map(|c| c.line())
                        .chain(std::iter::once(rs.why()))
                        .collect(),
                })
                .collect(),
        }
    }

    /// `Data: zendesk-main complete through 2026-11-16 07:59 CET · trustpilot — never
    /// synced`, for the header; `None` without freshness.
    pub fn freshness_line(&self, esc: Esc) -> Option<String> {
        if self.sources.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .sources
            .iter()
            .map(|s| {
                let sep = if s.complete { " " } else { " — " };
                format!(
                    "{}{sep}{}",
                    esc(&s.source, NAME_CHARS),
                    esc(&s.state, ERROR_CHARS)
                )
            })
            .collect();
        Some(format!("Data: {}", parts.join(" · ")))
    }

    /// `These numbers are incomplete: zendesk-main — its first sync is still running (…);
    /// trustpilot — never synced. They may still change.`; `None` unless the report found
    /// the period incomplete.
    pub fn banner(&self, esc: Esc) -> Option<String> {
        if !self.incomplete {
            return None;
        }
        let late: Vec<String> = self
            .sources
            .iter()
            .filter(|s| !s.complete)
            .map(|s| {
                format!(
                    "{} — {}",
                    esc(&s.source, NAME_CHARS),
                    esc(&s.state, ERROR_CHARS)
                )
            })
            .collect();
        Some(if late.is_empty() {
            "These numbers are incomplete. They may still change.".to_owned()
        } else {
            format!(
                "These numbers are incomplete: {}. They may still change.",
                late.join("; ")
            )
        })
    }

    /// `[incomplete] ` before the subject (and Slack's notification text) of an incomplete
    /// digest, so it shows before anyone opens it.
    pub fn subject_tag(&self) -> &'static str {
        if self.incomplete { "[incomplete] " } else { "" }
    }
}

/// The report's sources that have failed every sync for longer than metrics allows, as
/// "Needs attention" items (metrics' own sentence), the source's name and its vendor's
/// error text cut first: an error text can be long, and it is the vendor's.
pub(crate) fn failing(r: &KpiReport) -> Vec<Attention> {
    let tz = zone(r);
    r.freshness
        .iter()
        .filter(|f| f.failing)
        .filter_map(|f| {
            let mut cut = f.clone();
            cut.data.source = truncate(&f.data.source, NAME_CHARS);
            cut.data.last_error = f
                .data
                .last_error
                .as_deref()
                .map(|e| truncate(e, ERROR_CHARS));
            cut.failing_message(tz).map(|message| Attention {
                kpi: "data_freshness",
                message,
            })
        })
        .collect()
}

/// The team's time zone, as metrics reads it (UTC when it cannot).
fn zone(r: &KpiReport) -> Tz {
    r.period.timezone.parse().unwrap_or(Tz::UTC)
}
