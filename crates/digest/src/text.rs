//! The plain-text digest: the terminal preview and the e-mail's text part. Untrusted strings
//! go through [`plain_cut`]: cut to the shared limits of [`crate::escape`], then made
//! plain.

use std::fmt::Write as _;

use crate::escape::{LINE_CHARS, NAME_CHARS, QUOTE_CHARS, plain, plain_cut};
use crate::format;
use crate::model::{Digest, Kpi, Quote, TREND_CHARS, TargetVerdict};

/// Renders `digest` as plain text (UTF-8, `\n` line ends, at most ~100 columns of prose).
pub fn render_text(d: &Digest) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{}", plain(&d.title()));
    let _ = writeln!(
        w,
        "{} to {} ({})",
        d.period_dates.0,
        d.period_dates.1,
        plain_cut(&d.timezone, NAME_CHARS)
    );
    match &d.previous_label {
        Some(p) => {
            let _ = writeln!(w, "Changes are against {}.", plain_cut(p, NAME_CHARS));
        }
        None => {
            let _ = writeln!(w, "No earlier period to compare with.");
        }
    }
    if let Some(line) = d.trust.freshness_line(plain_cut) {
        let _ = writeln!(w, "{line}");
    }
    if let Some(banner) = d.trust.banner(plain_cut) {
        let bar = "=".repeat(BANNER_WIDTH);
        let _ = writeln!(w, "\n{bar}\n!! INCOMPLETE DATA !!\n{banner}\n{bar}");
    }

    if !d.headline.is_empty() {
        section(w, "Headline");
        for k in &d.headline {
            kpi_line(w, k);
        }
    }
    if !d.trust.restated.is_empty() {
        section(w, "Restated");
        for rs in &d.trust.restated {
            let _ = writeln!(w, "  {}", rs.heading(plain_cut));
            for line in rs.lines(plain_cut) {
                let _ = writeln!(w, "    - {line}");
            }
        }
    }
    if !d.attention.is_empty() || !d.suggestions.is_empty() {
        section(w, "Needs attention");
        for a in &d.attention {
            let _ = writeln!(w, "  ! {}", plain_cut(&a.message, LINE_CHARS));
        }
        for s in &d.suggestions {
            let _ = writeln!(w, "  → {}", plain_cut(s, LINE_CHARS));
        }
    }
    if let Some(f) = &d.forecast {
        section(w, "Forecast");
        let _ = writeln!(w, "  {}", f.summary());
    }
    if !d.more.is_empty() || !d.vendor_checks.is_empty() {
        section(w, "More KPIs");
        for k in &d.more {
            kpi_line(w, k);
        }
        for c in &d.vendor_checks {
            let _ = writeln!(w, "  ≠ {}", plain_cut(&c.line(), LINE_CHARS));
        }
    }
    if !d.agents.is_empty() {
        section(w, "Agents");
        let names: Vec<String> = d
            .agents
            .iter()
            .map(|a| plain_cut(&a.name, AGENT_COLUMN))
            .collect();
        let width = names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            w,
            "  {:<width$}  {:>6}  {:>10}  {:>10}  {:>9}  {:>11}",
            "Agent", "Solved", "First resp", "Resolution", "One-touch", "CSAT"
        );
        for (a, name) in d.agents.iter().zip(&names) {
            let pad = width - name.chars().count();
            let _ = writeln!(
                w,
                "  {name}{:pad$}  {:>6}  {:>10}  {:>10}  {:>9}  {:>11}",
                "",
                a.solved,
                opt(a.first_response_median, format::duration),
                opt(a.resolution_median, format::duration),
                opt(a.one_touch, format::percent),
                csat_cell(a.csat, a.csat_n),
            );
        }
    }
    if !d.channels.is_empty() {
        section(w, "Channels");
        for c in &d.channels {
            let _ = writeln!(
                w,
                "  {:<8} {:>6}  {:>6}",
                plain_cut(&c.channel, NAME_CHARS),
                c.tickets,
                format::percent(c.share)
            );
        }
    }
    if let Some(r) = &d.reviews {
        section(w, "Reviews");
        let mut line = format!("  {} new", r.new);
        if let Some(m) = r.mean_rating {
            let _ = write!(line, " · mean {}/5", format::one_decimal(m));
        }
        if let Some(s) = r.share_negative {
            let _ = write!(line, " · {} negative", format::percent(s));
        }
        if let Some(s) = r.share_answered {
            let _ = write!(line, " · {} answered", format::percent(s));
        }
        let _ = write!(line, " · {} unanswered", r.unanswered);
        let _ = writeln!(w, "{line}");
        for p in &r.by_platform {
            let _ = writeln!(
                w,
                "    {}: {}",
                plain_cut(&p.platform, NAME_CHARS),
                p.detail()
            );
        }
        if !r.worst.is_empty() {
            let _ = writeln!(w, "  Worst:");
            for q in &r.worst {
                quote(w, q);
            }
        }
        if !r.unanswered_quotes.is_empty() {
            let _ = writeln!(w, "  Unanswered:");
            for q in &r.unanswered_quotes {
                quote(w, q);
            }
        }
    }
    if !d.comments.is_empty() {
        section(w, "Survey comments");
        for q in &d.comments {
            quote(w, q);
        }
    }
    if !d.social.is_empty() || !d.public_response.is_empty() {
        section(w, "Social");
        for s in &d.social {
            let _ = writeln!(
                w,
                "  {} {} {}: {}{}{}",
                plain_cut(&s.platform, NAME_CHARS),
                plain_cut(&s.account, NAME_CHARS),
                plain_cut(&s.metric, NAME_CHARS),
                format::one_decimal(s.value),
                s.change
                    .map(|c| format!(" ({})", format::signed(c)))
                    .unwrap_or_default(),
                if s.trend.is_empty() {
                    String::new()
                } else {
                    format!("  {}", plain_cut(&s.trend, TREND_CHARS))
                }
            );
        }
        for p in &d.public_response {
            let _ = writeln!(
                w,
                "  {}: {}",
                plain_cut(&p.platform, NAME_CHARS),
                p.detail()
            );
        }
    }
    if let Some(c) = &d.costs {
        section(w, "Costs");
        if let Some((v, cur)) = &c.per_ticket {
            let _ = writeln!(
                w,
                "  Cost per ticket: {}",
                format::money(*v, &plain_cut(cur, NAME_CHARS))
            );
        }
        if let Some(r) = c.ratio {
            let _ = writeln!(
                w,
                "  Cost ratio: {}{}",
                format::percent(r),
                c.ratio_target
                    .as_ref()
                    .map(|t| format!("  target {} {}", t.text, status_word(t.status)))
                    .unwrap_or_default()
            );
        }
    }
    let _ = writeln!(
        w,
        "\n-- \ndeskpulse · {} · {}",
        plain_cut(&d.team, NAME_CHARS),
        plain_cut(&d.period_label, NAME_CHARS)
    );
    out
}

/// The rules above and below the banner of an incomplete period.
const BANNER_WIDTH: usize = 60;

/// Agent names in the table: narrower than [`NAME_CHARS`], so rows stay within ~100 columns.
const AGENT_COLUMN: usize = 24;

fn section(w: &mut String, title: &str) {
    let _ = writeln!(w, "\n{title}\n{}", "-".repeat(title.chars().count()));
}

fn status_word(s: TargetVerdict) -> &'static str {
    match s {
        TargetVerdict::Met => "MET",
        TargetVerdict::Missed => "MISSED",
        TargetVerdict::Unknown => "UNKNOWN",
    }
}

fn kpi_line(w: &mut String, k: &Kpi) {
    let mut line = format!("  {:<26} {:>9}", k.label, k.value_text());
    if let Some(c) = k.change_text() {
        let _ = write!(line, "  {c:<18}");
    } else {
        let _ = write!(line, "  {:<18}", "");
    }
    if let Some(t) = &k.target {
        let _ = write!(line, "  target {} {}", t.text, status_word(t.status));
        if let Some(note) = t.note() {
            let _ = write!(line, " ({note})");
        }
    }
    let spark = k.sparkline();
    if k.series.len() > 1 && !spark.is_empty() {
        let _ = write!(line, "  {spark}");
    }
    let _ = writeln!(w, "{}", line.trim_end());
    if let Some(d) = &k.detail {
        let _ = writeln!(w, "  {:<26} {}", "", d);
    }
}

fn quote(w: &mut String, q: &Quote) {
    let who = q
        .author
        .as_deref()
        .map(|a| format!(" — {}", plain_cut(a, NAME_CHARS)))
        .unwrap_or_default();
    let _ = writeln!(
        w,
        "    [{} {}] \"{}\"{who}",
        plain_cut(&q.source, NAME_CHARS),
        plain_cut(&q.score, NAME_CHARS),
        plain_cut(&q.text, QUOTE_CHARS)
    );
}

pub(crate) fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map_or_else(|| "—".to_owned(), f)
}

pub(crate) fn csat_cell(v: Option<f64>, n: u64) -> String {
    match v {
        Some(v) => format!("{} (n={n})", format::percent(v)),
        None => "—".to_owned(),
    }
}
