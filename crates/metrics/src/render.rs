//! A compact plain-text rendering of a [`KpiReport`] for the terminal (`deskpulse report`).

use std::fmt::Write as _;

use crate::insights::TargetVerdict;
use crate::public::{PlatformReviews, ReviewStats, platform_label};
use crate::report::{CsatKpi, KpiReport};
use crate::social::ResponseStats;
use crate::stats::DurationStats;
use deskpulse_model::ReviewCoverage;

/// Renders the report as a few aligned lines: headline KPIs with their `n`, then the agents.
pub fn render_text(r: &KpiReport) -> String {
    let k = &r.kpis;
    let mut out = String::new();
    let p = &r.period;
    // The local dates the period covers are the keys of the volume by day.
    let days = &k.ticket_volume.by_day;
    let span = match (days.keys().next(), days.keys().next_back()) {
        (Some(first), Some(last)) => format!("{first} to {last}, "),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "{} — {} ({span}{})",
        clean(&r.team, 40),
        p.label,
        p.timezone
    );
    let _ = writeln!(
        out,
        "{:<18}{} created · {} solved · {} in backlog",
        "Tickets", k.ticket_volume.value, k.solved.value, k.backlog.value
    );
    if !k.ticket_volume.by_channel.is_empty() {
        let split: Vec<String> = k
            .ticket_volume
            .by_channel
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let _ = writeln!(out, "{:<18}{}", "  by channel", split.join(" · "));
    }
    let frt = &k.first_response_time;
    let waiting = if frt.waiting > 0 {
        format!(", {} waiting", frt.waiting)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{:<18}{}{waiting}",
        "First response",
        duration(&frt.stats)
    );
    if let Some(b) = &frt.business {
        let _ = writeln!(out, "{:<18}{}", "  business hours", duration(b));
    }
    for (label, d) in [
        ("Reply time", &k.reply_time),
        ("Resolution", &k.resolution_time),
        ("First resolution", &k.first_resolution_time),
    ] {
        let _ = writeln!(out, "{label:<18}{}", duration(&d.stats));
        if let Some(b) = &d.business {
            let _ = writeln!(out, "{:<18}{}", "  business hours", duration(b));
        }
        if let Some(note) = &d.note {
            let _ = writeln!(out, "{:<18}{}", "", clean(note, 200));
        }
    }
    for (label, rt) in [
        ("One-touch", &k.one_touch_resolution_rate),
        ("First contact", &k.first_contact_resolution_rate),
        ("Automated", &k.automated_resolution_rate),
        ("Reopened", &k.reopen_rate),
    ] {
        let _ = writeln!(out, "{label:<18}{} (n={})", percent(rt.value), rt.n);
        if let Some(note) = &rt.note {
            let _ = writeln!(out, "{:<18}{}", "", clean(note, 200));
        }
    }
    let _ = writeln!(out, "{:<18}{}", "CSAT", csat(&k.csat));
    extras(&mut out, r);

    if !r.agents.is_empty() {
        let _ = writeln!(out, "\nAgents");
        let _ = writeln!(
            out,
            "  {:<24} {:>6} {:>10} {:>10} {:>9} {:>6}",
            "name", "solved", "1st resp", "resolution", "one-touch", "CSAT"
        );
        for a in &r.agents {
            let _ = writeln!(
                out,
                "  {:<24} {:>6} {:>10} {:>10} {:>9} {:>6}",
                clean(&a.name, 24),
                a.solved,
                human(a.first_response_time.median_seconds),
                human(a.resolution_time.median_seconds),
                percent(a.one_touch_resolution_rate.value),
                percent(a.csat.value),
            );
        }
    }
    out
}

/// The KPIs beyond the helpdesk's, each only when it has data, then targets, trends,
/// forecast and suggestions.
fn extras(out: &mut String, r: &KpiReport) {
    let k = &r.kpis;
    let mut line = |label: &str, text: String| {
        let _ = writeln!(out, "{label:<18}{text}");
    };
    if let Some(v) = k.nps.value {
        line("NPS", format!("{v:.1} (n={})", k.nps.n));
    }
    if let (Some(v), Some(max)) = (k.ces.value, k.ces.scale_max) {
        line(
            "CES",
            format!(
                "{v:.1}/{max} · {} easy (n={})",
                percent(k.ces.easy_share),
                k.ces.n
            ),
        );
    }
    if k.churn_rate.n > 0 {
        line(
            "Customers",
            format!(
                "churn {} · retention {} (n={}, {} new)",
                percent(k.churn_rate.value),
                percent(k.retention_rate.value),
                k.churn_rate.n,
                k.retention_rate.new
            ),
        );
    }
    let cost = &k.support_cost_per_ticket;
    if let (Some(v), Some(c)) = (cost.value, &cost.currency) {
        let ratio = k
            .support_cost_ratio
            .value
            .map(|x| format!(" · {:.1}% of revenue", x * 100.0))
            .unwrap_or_default();
        line("Cost per ticket", format!("{v:.2} {}{ratio}", clean(c, 8)));
    }
    if k.complaints.value > 0 {
        let c = &k.complaints;
        line(
            "Complaints",
            format!("{} ({} tickets, {} reviews)", c.value, c.tickets, c.reviews),
        );
    }
    let conv = &k.converted_tickets;
    if conv.n > 0 {
        let revenue: Vec<String> = conv
            .revenue
            .iter()
            .map(|(c, v)| format!("{v:.2} {}", clean(c, 8)))
            .collect();
        let revenue = if revenue.is_empty() {
            String::new()
        } else {
            format!(" · {}", revenue.join(" + "))
        };
        line(
            "Converted",
            format!(
                "{} of {} ({}){revenue}",
                conv.value,
                conv.n,
                percent(conv.share)
            ),
        );
    }
    if k.reviews.all.n > 0 || !k.reviews.by_platform.is_empty() {
        line("Reviews", reviews(&k.reviews.all));
        for (platform, st) in &k.reviews.by_platform {
            line(
                &format!("  {}", clean(platform_label(platform), 16)),
                platform_reviews(st),
            );
        }
    }
    let p = &k.public_response;
    if p.all.n > 0 {
        line("Public response", response(&p.all));
        for (platform, st) in &p.by_platform {
            line(
                &format!("  {}", clean(platform_label(platform), 16)),
                response(st),
            );
        }
    }
    for s in &k.social {
        let change = s.change.map(|c| format!(" ({c:+})")).unwrap_or_default();
        line(
            "Social",
            format!(
                "{} {} {}: {}{change}",
                clean(&s.platform, 16),
                clean(&s.account, 24),
                s.metric,
                s.value.map_or_else(|| "–".to_owned(), |v| v.to_string())
            ),
        );
    }
    let judged: Vec<String> = r
        .targets
        .iter()
        .filter(|t| t.status != TargetVerdict::Unknown)
        .map(|t| {
            let mark = if t.status == TargetVerdict::Met {
                "met"
            } else {
                "MISSED"
            };
            format!("{} {mark}", t.kpi.replace('_', " "))
        })
        .collect();
    if !judged.is_empty() {
        line("Targets", judged.join(" · "));
    }
    if let Some(t) = &r.trends {
        let _ = writeln!(out, "\nTrend (vs previous period, {} periods)", t.periods);
        for kt in t.kpis.iter() {
            let Some(v) = kt.value else { continue };
            let change = kt
                .change
                .map(|c| format!(" ({})", trend_change(&kt.kpi, c)))
                .unwrap_or_default();
            let flag = if kt.anomaly == Some(true) {
                "  ANOMALY"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {:<26}{:<14}{}{change}{flag}",
                kt.kpi.replace('_', " "),
                spark(&kt.series),
                trend_value(&kt.kpi, v),
            );
        }
    }
    if let Some(f) = &r.forecast {
        let staff = f
            .staffing
            .as_ref()
            .map(|s| {
                format!(
                    " · {}–{} agents at {:.0} tickets each",
                    s.agents_needed, s.agents_needed_upper, s.tickets_per_agent
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<18}~{:.0} tickets next period (80%: {:.0}–{:.0}){staff}",
            "Forecast", f.value, f.lower, f.upper
        );
    }
    if !r.suggestions.is_empty() {
        let _ = writeln!(out, "\nSuggested actions");
        for s in &r.suggestions {
            let _ = writeln!(out, "  - {}", clean(&s.message, 400));
        }
    }
    trust(out, r);
}

/// Freshness per source and restatements, when the CLI attached them.
fn trust(out: &mut String, r: &KpiReport) {
    let tz: chrono_tz::Tz = r.period.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    if !r.freshness.is_empty() {
        let verdict = match r.data_complete {
            Some(false) => " (INCOMPLETE: these numbers may still change)",
            _ => "",
        };
        let _ = writeln!(out, "\nData freshness{verdict}");
        for f in &r.freshness {
            let state = match (&f.missing, f.data.complete_through) {
                (Some(m), _) => m.clone(),
                (None, Some(t)) => format!("complete through {}", crate::local_time(t, tz)),
                (None, None) => String::new(),
            };
            let _ = writeln!(out, "  {:<22}{state}", clean(&f.data.source, 22));
            if let Some(m) = f.failing_message(tz) {
                let _ = writeln!(out, "  ! {}", clean(&m, 400));
            }
        }
    }
    for rs in &r.restatements {
        let _ = writeln!(
            out,
            "\nRestated: {} changed since it was reported on {}",
            rs.period,
            crate::local_time(rs.told_at, tz)
        );
        for c in &rs.changes {
            let _ = writeln!(out, "  - {}", clean(&c.line(), 400));
        }
        let _ = writeln!(out, "  {}", clean(&rs.why(), 600));
    }
}

fn is_share(kpi: &str) -> bool {
    kpi.ends_with("_rate") || kpi == "csat" || kpi == "support_cost_ratio"
}

fn trend_value(kpi: &str, v: f64) -> String {
    if kpi.ends_with("_time") {
        human(Some(v))
    } else if is_share(kpi) {
        percent(Some(v))
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn trend_change(kpi: &str, c: f64) -> String {
    let sign = if c < 0.0 { "-" } else { "+" };
    if kpi.ends_with("_time") {
        format!("{sign}{}", human(Some(c.abs())))
    } else if is_share(kpi) {
        format!("{sign}{:.0} pts", c.abs() * 100.0)
    } else if c.fract() == 0.0 {
        format!("{c:+.0}")
    } else {
        format!("{c:+.1}")
    }
}

/// A platform's line: its new reviews, then the platform's own overall figures and what the
/// connector can read of it (a sample's mean is said to be one).
fn platform_reviews(p: &PlatformReviews) -> String {
    let mut out = if p.coverage == Some(ReviewCoverage::AggregateSample) {
        format!(
            "{} in the sample · sample mean {}",
            p.n,
            p.mean_rating
                .map_or_else(|| "–".to_owned(), |m| format!("{m:.1}/5"))
        )
    } else {
        reviews(p)
    };
    if let Some(rating) = p.overall_rating {
        let change = p
            .overall_change
            .map(|c| format!(" ({c:+.2})"))
            .unwrap_or_default();
        let total = p
            .total_reviews
            .map(|t| format!(" of {t} reviews"))
            .unwrap_or_default();
        out.push_str(&format!(" · overall {rating:.2}/5{change}{total}"));
    }
    if let Some(c) = p.coverage {
        out.push_str(match c {
            ReviewCoverage::Full => "",
            ReviewCoverage::RecentWindow => " · recent reviews only",
            ReviewCoverage::AggregateSample => " · overall figures + a sample",
        });
    }
    out
}

/// Comments and mentions received, the share the brand answered and how fast.
fn response(s: &ResponseStats) -> String {
    format!(
        "{} received · {} answered · median {} · p90 {}",
        s.n,
        percent(s.rate),
        human(s.median_seconds),
        human(s.p90_seconds)
    )
}

fn reviews(s: &ReviewStats) -> String {
    format!(
        "{} new · mean {} · {} negative · {} answered · reply {}",
        s.n,
        s.mean_rating
            .map_or_else(|| "–".to_owned(), |m| format!("{m:.1}/5")),
        percent(s.share_negative),
        percent(s.share_answered),
        human(s.median_reply_seconds)
    )
}

/// A sparkline: one block per period, scaled between the series' min and max; a gap is a
/// space.
fn spark(series: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let vals: Vec<f64> = series.iter().flatten().copied().collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    series
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if hi <= lo => BARS[3],
            Some(v) => BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize],
        })
        .collect()
}

fn duration(d: &DurationStats) -> String {
    if d.n == 0 {
        return "no data (n=0)".to_owned();
    }
    format!(
        "median {} · p90 {} · mean {} · {} within target (n={})",
        human(d.median_seconds),
        human(d.p90_seconds),
        human(d.mean_seconds),
        percent(d.within_target),
        d.n
    )
}

fn csat(c: &CsatKpi) -> String {
    match c.mean {
        Some(m) => format!("{} (n={}), mean {m:.1}/5", percent(c.value), c.n),
        None => format!("{} (n={})", percent(c.value), c.n),
    }
}

/// `42s`, `45m`, `2h 05m`, `3d 04h`; `–` for no value.
pub(crate) fn human(secs: Option<f64>) -> String {
    let Some(secs) = secs else {
        return "–".to_owned();
    };
    let secs = secs.max(0.0).round() as u64;
    if secs < 60 {
        return format!("{secs}s");
    }
    let mins = (secs + 30) / 60;
    if mins < 60 {
        return format!("{mins}m");
    }
    let hours = mins / 60;
    if hours < 24 {
        return format!("{hours}h {:02}m", mins % 60);
    }
    let hours = (mins + 30) / 60;
    format!("{}d {:02}h", hours / 24, hours % 24)
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

/// Agent and team names are untrusted: no control characters (terminal escapes) and a
/// bounded width.
fn clean(s: &str, width: usize) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(width)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanized_durations() {
        assert_eq!(human(None), "–");
        assert_eq!(human(Some(42.4)), "42s");
        assert_eq!(human(Some(45.0 * 60.0)), "45m");
        // 59m 40s rounds to 60 minutes: shown as an hour, not "60m"
        assert_eq!(human(Some(3580.0)), "1h 00m");
        assert_eq!(human(Some(2.0 * 3600.0 + 5.0 * 60.0)), "2h 05m");
        // 27h 40m → 28 h → 1d 04h
        assert_eq!(human(Some(27.0 * 3600.0 + 40.0 * 60.0)), "1d 04h");
    }

    #[test]
    fn names_lose_control_characters() {
        assert_eq!(clean("Al\u{1b}[31mice", 24), "Al?[31mice");
        assert_eq!(clean("abcdef", 3), "abc");
    }

    #[test]
    fn sparklines() {
        assert_eq!(spark(&[Some(1.0), Some(8.0), None, Some(4.5)]), "▁█ ▅");
        assert_eq!(spark(&[Some(3.0), Some(3.0)]), "▄▄");
        assert_eq!(spark(&[]), "");
    }
}
