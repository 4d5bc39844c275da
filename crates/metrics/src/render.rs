//! A compact plain-text rendering of a [`KpiReport`] for the terminal (`deskpulse report`).

use std::fmt::Write as _;

use crate::report::{CsatKpi, KpiReport};
use crate::stats::DurationStats;

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
    }
    for (label, rt) in [
        ("One-touch", &k.one_touch_resolution_rate),
        ("First contact", &k.first_contact_resolution_rate),
        ("Automated", &k.automated_resolution_rate),
        ("Reopened", &k.reopen_rate),
    ] {
        let _ = writeln!(out, "{label:<18}{} (n={})", percent(rt.value), rt.n);
    }
    let _ = writeln!(out, "{:<18}{}", "CSAT", csat(&k.csat));

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
}
