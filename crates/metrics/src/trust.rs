//! How far a report can be trusted: how fresh each source's data is against the period
//! ([`attach_freshness`]), and which figures changed since a digest told them
//! ([`restate`]). The verdicts live here, like every other; the digest and the CLI only
//! render them.

use crate::report::KpiReport;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use deskpulse_model::{LateChanges, SourceFreshness, ToldFigures};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A source whose every sync has failed for longer than this is news ("Needs attention",
/// `deskpulse status` exits 1).
pub const FAILING_AFTER_HOURS: i64 = 24;

/// The default share by which a duration, rate or score must move to be restated (counts
/// are restated on any change).
pub const RESTATEMENT_THRESHOLD: f64 = 0.05;

/// One source's freshness, judged against the report's period (`"freshness"` in the report
/// JSON: `source`, `complete_through`, `last_success_at`, `last_error`, ... and the verdicts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreshnessLine {
    #[serde(flatten)]
    pub data: SourceFreshness,
    /// Complete through the period's end: the period's numbers from this source are final
    /// (bar late changes at the vendor, which restatements report).
    pub complete: bool,
    /// Every sync has failed for more than [`FAILING_AFTER_HOURS`] at the report's time.
    pub failing: bool,
    /// What the period misses from this source, in words (`None` when complete), the same
    /// in every format: `never synced`, `data only through 2026-11-15 10:02 CET`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// Tickets with activity in the period (finally solved or replied to in it) that were
    /// opened before `complete_from`: their events before it are still being backfilled,
    /// so the period is not complete. Zero (and left out) without a pending backfill.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub opened_before_window: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Judges each source against the report's period at `as_of` and attaches the lines, and
/// whether the period is complete for the team (every source complete for it, see
/// [`SourceFreshness::is_complete_for`]). `opened_before_window[i]` is the count of the
/// period's tickets of `sources[i]` opened before its window (storage's
/// `opened_before_window`; missing entries are zero).
pub fn attach_freshness(
    report: &mut KpiReport,
    sources: &[SourceFreshness],
    opened_before_window: &[u64],
    as_of: DateTime<Utc>,
) {
    let tz: Tz = report.period.timezone.parse().unwrap_or(Tz::UTC);
    let bounds = (report.period.start, report.period.end);
    report.freshness = sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let opened = opened_before_window.get(i).copied().unwrap_or(0);
            judge_freshness(s, bounds, opened, as_of, tz)
        })
        .collect();
    report.data_complete = Some(report.freshness.iter().all(|f| f.complete));
}

/// One source's verdicts (see [`FreshnessLine`]) for the period `[start, end)`.
pub fn judge_freshness(
    s: &SourceFreshness,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    opened_before_window: u64,
    as_of: DateTime<Utc>,
    tz: Tz,
) -> FreshnessLine {
    let complete = s.is_complete_for((start, end), opened_before_window);
    let failing = s
        .failing_since
        .is_some_and(|t| as_of - t > chrono::Duration::hours(FAILING_AFTER_HOURS));
    let backfilling = || s.backfilling_streams.join(", ");
    let missing = (!complete).then(|| match (s.complete_through, s.complete_from) {
        (Some(t), _) if t < end => format!("data only through {}", local_time(t, tz)),
        (Some(_), Some(from)) if from > start => format!(
            "its history before {} is still being read (first sync, recent weeks first; {} backfilling)",
            local_time(from, tz),
            backfilling()
        ),
        (Some(_), Some(from)) => format!(
            "{opened_before_window} {} active in the period {} opened before {}: {} earlier events are still being read ({} backfilling)",
            if opened_before_window == 1 { "ticket" } else { "tickets" },
            if opened_before_window == 1 { "was" } else { "were" },
            local_time(from, tz),
            if opened_before_window == 1 { "its" } else { "their" },
            backfilling()
        ),
        (Some(t), None) => format!("data only through {}", local_time(t, tz)),
        (None, _) if s.incomplete_streams.is_empty() => "never synced".to_owned(),
        (None, _) if s.failing_since.is_some() => format!(
            "its first sync has not completed ({} failing)",
            s.incomplete_streams.join(", ")
        ),
        (None, _) => format!(
            "its first sync is still running ({} not read to the end yet)",
            s.incomplete_streams.join(", ")
        ),
    });
    FreshnessLine {
        data: s.clone(),
        complete,
        failing,
        missing,
        opened_before_window: if s.complete_from.is_some() {
            opened_before_window
        } else {
            0
        },
    }
}

impl FreshnessLine {
    /// `zendesk-main has failed every sync since 2026-11-14 09:00 CET (last error: …)`, for a
    /// failing source; `None` otherwise.
    pub fn failing_message(&self, tz: Tz) -> Option<String> {
        let since = self.data.failing_since.filter(|_| self.failing)?;
        let error = self
            .data
            .last_error
            .as_deref()
            .map(|e| format!(" (last error: {e})"))
            .unwrap_or_default();
        Some(format!(
            "Source {} has failed every sync since {}: its numbers stop there{error}",
            self.data.source,
            local_time(since, tz)
        ))
    }
}

/// `2026-11-15 10:02 CET`.
pub fn local_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// What a figure is, for the threshold and the wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    Count,
    Seconds,
    Rate,
    Score,
}

/// The figures a digest tells and a restatement compares: report key (a JSON path into
/// `kpis`), label, kind, and whether ratings (not tickets) make it.
pub const TOLD_FIGURES: &[(&str, &str, FigureKind, bool)] = &[
    (
        "ticket_volume.value",
        "Tickets created",
        FigureKind::Count,
        false,
    ),
    ("solved.value", "Solved", FigureKind::Count, false),
    (
        "first_response_time.median_seconds",
        "First response (median)",
        FigureKind::Seconds,
        false,
    ),
    (
        "reply_time.median_seconds",
        "Reply time (median)",
        FigureKind::Seconds,
        false,
    ),
    (
        "resolution_time.median_seconds",
        "Resolution (median)",
        FigureKind::Seconds,
        false,
    ),
    (
        "one_touch_resolution_rate.value",
        "One-touch resolution",
        FigureKind::Rate,
        false,
    ),
    ("reopen_rate.value", "Reopen rate", FigureKind::Rate, false),
    ("complaints.value", "Complaints", FigureKind::Count, false),
    ("csat.value", "CSAT", FigureKind::Rate, true),
    ("nps.value", "NPS", FigureKind::Score, true),
];

/// The report's told figures (those with a value), by key.
pub fn told_figures(r: &KpiReport) -> BTreeMap<String, f64> {
    let Ok(kpis) = serde_json::to_value(&r.kpis) else {
        return BTreeMap::new();
    };
    TOLD_FIGURES
        .iter()
        .filter_map(|(key, ..)| {
            let v = key.split('.').try_fold(&kpis, |v, k| v.get(k))?.as_f64()?;
            Some(((*key).to_owned(), v))
        })
        .collect()
}

/// A period whose figures changed since a digest told them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Restatement {
    /// `2026-W46`.
    pub period: String,
    /// When the team was last told this period's figures.
    pub told_at: DateTime<Utc>,
    pub changes: Vec<RestatedFigure>,
}

/// One figure that moved materially.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestatedFigure {
    /// The report key (`ticket_volume.value`).
    pub kpi: String,
    pub label: String,
    pub kind: FigureKind,
    pub told: Option<f64>,
    pub now: Option<f64>,
    /// The main causes the data shows, in words (empty when it shows none).
    pub causes: Vec<String>,
}

impl RestatedFigure {
    /// `Tickets created: 40 → 42`, the same in every format (the causes are said once per
    /// period, by [`Restatement::why`]).
    pub fn line(&self) -> String {
        let value = |v: Option<f64>| match v {
            None => "no data".to_owned(),
            Some(v) => match self.kind {
                FigureKind::Count => format!("{v:.0}"),
                FigureKind::Seconds => duration(v),
                FigureKind::Rate => format!("{:.1}%", v * 100.0),
                FigureKind::Score => format!("{v:.1}"),
            },
        };
        format!("{}: {} → {}", self.label, value(self.told), value(self.now))
    }
}

impl Restatement {
    /// `Why: 2 tickets were created in 2026-W46 but arrived after it was reported (created late
    /// or backfilled); 1 ticket of 2026-W46 was deleted, merged or marked spam since it was
    /// reported.` — every cause the data shows, once; a figure it cannot explain adds that it
    /// changed at the source.
    pub fn why(&self) -> String {
        let mut causes: Vec<&str> = Vec::new();
        for c in self.changes.iter().flat_map(|c| &c.causes) {
            if !causes.contains(&c.as_str()) {
                causes.push(c);
            }
        }
        if self.changes.iter().any(|c| c.causes.is_empty()) {
            causes.push(if causes.is_empty() {
                "the data changed at the source since (edits, late replies or status changes)"
            } else {
                "other changes at the source since (edits, late replies or status changes)"
            });
        }
        format!("Why: {}.", causes.join("; "))
    }
}

/// `1h 05m`, `12m`, `45s`.
fn duration(secs: f64) -> String {
    let s = secs.round() as i64;
    match s {
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The figures of `now` (the told period's report, computed again) that moved materially
/// since `told`: a count by any amount, anything else by `threshold` of its told value
/// (any move from 0), a figure that appeared or vanished always. Each names the causes
/// `late` shows. `None` when nothing moved.
pub fn restate(
    told: &ToldFigures,
    now: &KpiReport,
    late: &LateChanges,
    threshold: f64,
) -> Option<Restatement> {
    let current = told_figures(now);
    let mut changes = Vec::new();
    for &(key, label, kind, from_ratings) in TOLD_FIGURES {
        let (was, is) = (told.values.get(key).copied(), current.get(key).copied());
        let moved = match (was, is) {
            (None, None) => false,
            (Some(a), Some(b)) if kind == FigureKind::Count => (a - b).abs() >= 0.5,
            (Some(0.0), Some(b)) => b != 0.0,
            (Some(a), Some(b)) => ((b - a) / a).abs() >= threshold,
            _ => true,
        };
        if moved {
            changes.push(RestatedFigure {
                kpi: key.to_owned(),
                label: label.to_owned(),
                kind,
                told: was,
                now: is,
                causes: causes(late, from_ratings, &told.period),
            });
        }
    }
    (!changes.is_empty()).then(|| Restatement {
        period: told.period.clone(),
        told_at: told.told_at,
        changes,
    })
}

fn causes(late: &LateChanges, from_ratings: bool, period: &str) -> Vec<String> {
    // ("1 ticket", "was"), ("2 tickets", "were").
    let some = |n: u64, what: &str| {
        if n == 1 {
            (format!("1 {what}"), "was")
        } else {
            (format!("{n} {what}s"), "were")
        }
    };
    let mut out = Vec::new();
    if late.late_tickets > 0 && !from_ratings {
        let (n, was) = some(late.late_tickets, "ticket");
        out.push(format!(
            "{n} {was} created in {period} but arrived after it was reported (created late or backfilled)"
        ));
    }
    // A removed ticket takes its replies and its rating with it.
    if late.removed_tickets > 0 {
        let (n, was) = some(late.removed_tickets, "ticket");
        out.push(format!(
            "{n} of {period} {was} deleted, merged or marked spam since it was reported"
        ));
    }
    if late.late_ratings > 0 && from_ratings {
        let (n, was) = some(late.late_ratings, "rating");
        out.push(format!(
            "{n} of {period} {was} answered or synced after it was reported"
        ));
    }
    out
}
