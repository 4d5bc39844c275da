//! Pieces the pages share: links, KPI tiles, trend series, freshness rows, times.
//!
//! Every untrusted string (team, agent and source names, review texts, errors) is cut here
//! with the digest crate's limits ([`plain_cut`]) and left raw otherwise: askama escapes it
//! when the template prints it. Only the SVG charts are inserted as markup, and they escape
//! their own text ([`crate::svg`]).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use deskpulse_digest::escape::{LINE_CHARS, plain_cut};
use deskpulse_digest::{Kpi, TargetVerdict, Unit};
use deskpulse_metrics::{KpiReport, headline_value};
use deskpulse_model::PeriodSpec;

use crate::svg;

/// `s` percent-encoded for one path segment or query value (RFC 3986 unreserved kept).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn team_href(team: &str) -> String {
    format!("/teams/{}", encode(team))
}

pub(crate) fn period_href(team: &str, period: PeriodSpec, trend: usize) -> String {
    let mut href = format!("{}?period={period}", team_href(team));
    if trend != DEFAULT_TREND {
        href.push_str(&format!("&trend={trend}"));
    }
    href
}

pub(crate) fn agent_href(team: &str, agent_id: &str, period: PeriodSpec) -> String {
    format!(
        "{}/agents/{}?period={period}",
        team_href(team),
        encode(agent_id)
    )
}

/// Periods a trend chart shows by default: the report's history and its own period.
pub(crate) const DEFAULT_TREND: usize = 13;
/// The long trend (weeks): a year.
pub(crate) const LONG_TREND: usize = 52;

/// A KPI's name, unit and which way is good, for the trends of [`deskpulse_metrics::HEADLINE`].
pub(crate) fn headline_info(kpi: &str) -> (&'static str, Unit) {
    match kpi {
        "ticket_volume" => ("Tickets created", Unit::Count),
        "solved" => ("Tickets solved", Unit::Count),
        "backlog" => ("Backlog at end", Unit::Count),
        "first_response_time" => ("First response (median)", Unit::Seconds),
        "reply_time" => ("Reply time (median)", Unit::Seconds),
        "resolution_time" => ("Resolution (median)", Unit::Seconds),
        "one_touch_resolution_rate" => ("One-touch resolution", Unit::Share),
        "reopen_rate" => ("Reopen rate", Unit::Share),
        "csat" => ("CSAT", Unit::Share),
        "nps" => ("NPS", Unit::Score),
        "ces" => ("CES (mean)", Unit::Score),
        "support_cost_ratio" => ("Support cost ratio", Unit::Share),
        "complaints" => ("Complaints", Unit::Count),
        "review_rating" => ("Review rating", Unit::Score),
        _ => ("Other", Unit::Score),
    }
}

/// The reports of a trend, oldest first, the shown period last.
pub(crate) fn series<F>(reports: &[&KpiReport], value: F) -> Vec<Option<f64>>
where
    F: Fn(&KpiReport) -> Option<f64>,
{
    reports
        .iter()
        .map(|r| value(r).filter(|v| v.is_finite()))
        .collect()
}

/// The headline value of `kpi` over `reports` (oldest first).
pub(crate) fn headline_series(reports: &[&KpiReport], kpi: &str) -> Vec<Option<f64>> {
    series(reports, |r| headline_value(&r.kpis, kpi))
}

/// A KPI's tile: value, change, target badge and (optionally) its chart.
pub(crate) struct KpiTile {
    pub id: &'static str,
    pub label: String,
    pub value: String,
    pub change: Option<String>,
    /// `good`, `bad` or `neutral`.
    pub change_class: &'static str,
    pub target: Option<String>,
    /// `met`, `missed` or `unknown`.
    pub status: &'static str,
    pub target_note: Option<String>,
    pub detail: Option<String>,
    pub anomaly: bool,
    /// Inline SVG (escaped by [`svg::trend`]).
    pub chart: Option<String>,
}

pub(crate) fn change_class(k: &Kpi) -> &'static str {
    match k.change_is_good() {
        Some(true) => "good",
        Some(false) => "bad",
        None => "neutral",
    }
}

pub(crate) fn status(v: Option<TargetVerdict>) -> &'static str {
    match v {
        Some(TargetVerdict::Met) => "met",
        Some(TargetVerdict::Missed) => "missed",
        Some(TargetVerdict::Unknown) => "unknown",
        None => "none",
    }
}

/// A tile from the digest's view of a KPI; `series` (oldest first) and the labels of its
/// first and last period give the chart.
pub(crate) fn tile(k: &Kpi, series: &[Option<f64>], labels: (&str, &str)) -> KpiTile {
    let target = k
        .target
        .as_ref()
        .filter(|t| !t.business_time)
        .map(|t| t.value);
    KpiTile {
        id: k.id,
        label: k.label.to_owned(),
        value: k.value_text(),
        change: k.change_text(),
        change_class: change_class(k),
        target: k.target.as_ref().map(|t| t.text.clone()),
        status: status(k.target.as_ref().map(|t| t.status)),
        target_note: k.target.as_ref().and_then(|t| t.note()),
        detail: k.detail.as_deref().map(|d| plain_cut(d, LINE_CHARS)),
        anomaly: k.anomaly == Some(true),
        chart: svg::trend(k.label, k.unit, series, target, labels.0, labels.1),
    }
}

/// `2026-11-23 09:15 CET` in the team's zone; `—` for none.
pub(crate) fn local_time(t: Option<DateTime<Utc>>, tz: Tz) -> String {
    t.map_or_else(
        || "—".to_owned(),
        |t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
    )
}

/// The period's first and last local dates, `2026-11-16 to 2026-11-22`.
pub(crate) fn dates(period: PeriodSpec) -> String {
    let (first, end) = period.dates();
    format!("{first} to {}", end - chrono::Duration::days(1))
}

/// Links to the periods around `period`, to its month or week, and to the trend lengths.
pub(crate) struct PeriodNav {
    pub previous: String,
    pub next: Option<String>,
    /// The other kind of period: the month of a week's Thursday (ISO), or the month's first
    /// full week.
    pub switch_kind: (String, String),
    pub trends: Vec<(String, String, bool)>,
}

pub(crate) fn period_nav(
    base: &dyn Fn(PeriodSpec, usize) -> String,
    period: PeriodSpec,
    current: PeriodSpec,
    trend: usize,
) -> PeriodNav {
    let next = period.next();
    let (first, _) = period.dates();
    let switch = match period {
        PeriodSpec::IsoWeek { .. } => {
            let thursday = first + chrono::Duration::days(3);
            ("month", PeriodSpec::month_of(thursday))
        }
        PeriodSpec::Month { .. } => {
            // The first week that starts in the month.
            let mut w = PeriodSpec::week_of(first);
            if w.dates().0 < first {
                w = w.next();
            }
            ("week", w)
        }
    };
    let mut trends = vec![(
        format!("{DEFAULT_TREND} periods"),
        base(period, DEFAULT_TREND),
        trend == DEFAULT_TREND,
    )];
    if matches!(period, PeriodSpec::IsoWeek { .. }) {
        trends.push((
            format!("{LONG_TREND} weeks"),
            base(period, LONG_TREND),
            trend == LONG_TREND,
        ));
    }
    PeriodNav {
        previous: base(period.previous(), trend),
        // No link into the future: the next period must start by the current week's start.
        next: (next.dates().0 <= current.dates().0).then(|| base(next, trend)),
        switch_kind: (
            format!("{} {}", switch.0, switch.1),
            base(switch.1, DEFAULT_TREND),
        ),
        trends,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_encoded() {
        assert_eq!(encode("a b/<c>:1"), "a%20b%2F%3Cc%3E%3A1");
        assert_eq!(encode("Zoë"), "Zo%C3%AB");
        let w: PeriodSpec = "2026-W47".parse().unwrap();
        assert_eq!(
            agent_href("sup port", "zd:100", w),
            "/teams/sup%20port/agents/zd%3A100?period=2026-W47"
        );
        assert_eq!(period_href("x", w, 52), "/teams/x?period=2026-W47&trend=52");
        assert_eq!(
            period_href("x", w, DEFAULT_TREND),
            "/teams/x?period=2026-W47"
        );
    }

    #[test]
    fn navigation_between_periods() {
        let w: PeriodSpec = "2026-W47".parse().unwrap();
        let base = |p: PeriodSpec, t: usize| period_href("t", p, t);
        let nav = period_nav(&base, w, w, DEFAULT_TREND);
        assert_eq!(nav.previous, "/teams/t?period=2026-W46");
        assert_eq!(nav.next, None, "no link into the future");
        assert_eq!(nav.switch_kind.1, "/teams/t?period=2026-11");
        let m: PeriodSpec = "2026-06".parse().unwrap();
        let nav = period_nav(&base, m, w, DEFAULT_TREND);
        assert_eq!(nav.next.as_deref(), Some("/teams/t?period=2026-07"));
        // June 2026 starts on a Monday: its first week is W23.
        assert_eq!(nav.switch_kind.1, "/teams/t?period=2026-W23");
        assert_eq!(nav.trends.len(), 1, "months have no 52-week trend");
    }
}
