//! The renderers under hostile text, for the `digest_render` fuzz target (`fuzz/`) and
//! `tests/fuzz_regressions.rs`; and `PeriodSpec` parsing, for the `period_spec` target (it
//! lives here because the model crate has no fuzzing module of its own). Not part of the
//! crate's API.
//!
//! [`render`] builds a [`Digest`] from fuzzer bytes (structure-aware, through
//! [`arbitrary`]): every string that comes from facts or the config — team, agent names,
//! channels, quotes (source, text, author), platforms, suggestions and attention lines,
//! social accounts, the currency, vendor-check sources and reasons, source names and their
//! freshness notes, restated periods and their lines — is arbitrary text, often with a
//! hostile marker (`<script`, `<!channel>`, `<@U…>`, `<#C…>`, a bidi override, an ANSI
//! escape) and sometimes repeated to thousands of characters; numbers stay within the
//! ranges the metrics produce. It then renders all three formats and asserts:
//! * HTML: every `<` opens a tag of the template (`templates/digest.html`) — a `<` from text
//!   is always `&lt;` —, and no marker appears unescaped;
//! * Slack: no `<` at all in any text (Slack's `<!…>`, `<@…>`, `<#…>`, `<url|…>` all need
//!   one), and the message is within Block Kit's limits ([`check_limits`]);
//! * text: no control character but the line feed, no bidi override;
//! * every format stays within a size bound linear in the number of rows, whatever the
//!   length of the strings (the renderers cut untrusted text, see [`crate::escape`]).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use deskpulse_model::{PeriodSpec, ReviewCoverage};

use crate::model::{
    AgentRow, Attention, ChannelRow, CostsSection, Digest, ForecastSection, Kpi, PlatformRow,
    Polarity, Quote, ResponseRow, ReviewsSection, SocialRow, TREND_PERIODS, Target, TargetVerdict,
    Unit, VendorCheck,
};
use crate::slack::{Block, SlackMessage, Text, check_limits};
use crate::trust::{RestatedPeriod, SourceState, Trust};
use crate::{render_html, render_slack, render_text};

/// Text that must never reach any output unescaped.
const MARKERS: &[&str] = &[
    "<script>alert(1)</script>",
    "<!channel>",
    "<!here>",
    "<@U0123ABC>",
    "<#C0123ABC>",
    "<https://evil.example|click>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "<!--",
    "</td></tr></table>",
    "\u{202E}",
    "\u{1b}[31m",
    "\r\n",
    "&lt;",
    "```",
];

/// What the HTML output must not contain, whatever the text around the markers.
const HTML_FORBIDDEN: &[&str] = &[
    "<script",
    "<!channel",
    "<!here",
    "<@",
    "<#",
    "<https",
    "<img src=x",
    "<svg",
    "<!--",
];

/// Fuzz entry point for the renderers: never panics unless an invariant is broken.
pub fn render(data: &[u8]) {
    let mut u = Unstructured::new(data);
    if let Ok(d) = digest(&mut u) {
        check(&d);
    }
}

/// Renders `d` in every format and asserts the invariants of the module docs.
pub fn check(d: &Digest) {
    let rows = rows(d);

    let text = render_text(d);
    for c in text.chars() {
        assert!(
            c == '\n' || !(c.is_control() || is_bidi_control(c)),
            "text output holds control character {c:?}"
        );
    }
    bound("text", text.chars().count(), rows, 2_000);

    let html = render_html(d).expect("the HTML renders").html;
    let tags = template_tags();
    for (i, _) in html.match_indices('<') {
        let name: String = html[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '!')
            .collect();
        assert!(
            tags.contains(name.trim_start_matches('/')),
            "HTML output has a `<` that opens no tag of the template: {:?}",
            &html[i..html.len().min(i + 40)]
        );
    }
    for m in HTML_FORBIDDEN {
        assert!(!html.contains(m), "HTML output holds {m:?} unescaped");
    }
    // Escaping multiplies a cut string by up to 6 (`"` → `&quot;`).
    bound("HTML", html.chars().count(), rows, 8_000);

    let slack = render_slack(d);
    check_limits(&slack).unwrap_or_else(|e| panic!("Slack message over Block Kit limits: {e}"));
    let mut slack_chars = 0;
    for t in slack_texts(&slack) {
        slack_chars += t.chars().count();
        assert!(!t.contains('<'), "Slack text holds a raw `<`: {t:?}");
    }
    bound("Slack", slack_chars, rows, 2_000);
}

/// Fuzz entry point for `PeriodSpec`: parsing never panics; what parses prints as text that
/// parses to the same period; its dates, neighbours and zones never panic either.
pub fn period_spec(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = s.parse::<PeriodSpec>() else {
        return;
    };
    let printed = p.to_string();
    assert_eq!(
        printed.parse::<PeriodSpec>().ok(),
        Some(p),
        "{s:?} parses to {p:?}, which prints as {printed:?}"
    );
    let (first, end) = p.dates();
    assert!(first < end, "{p:?}: dates {first} to {end}");
    let _ = (p.previous(), p.next());
    let period = p.in_zone(chrono_tz::Pacific::Kiritimati);
    assert!(period.start < period.end, "{p:?}: {period:?}");
}

/// Rows of `d` (a KPI, a line, a table row, a quote): the size bound is linear in them.
fn rows(d: &Digest) -> usize {
    let reviews = d.reviews.as_ref().map_or(0, |r| {
        1 + r.by_platform.len() + r.worst.len() + r.unanswered_quotes.len()
    });
    1 + d.headline.len()
        + d.more.len()
        + d.attention.len()
        + d.suggestions.len()
        + d.agents.len()
        + d.channels.len()
        + reviews
        + d.comments.len()
        + d.social.len()
        + usize::from(d.costs.is_some()) * 2
        + usize::from(d.forecast.is_some())
        + d.vendor_checks.len()
        + d.trust.sources.len() * 2
        + d.trust
            .restated
            .iter()
            .map(|r| 1 + r.lines.len())
            .sum::<usize>()
}

/// At most 20 000 characters of frame and `per_row` per row.
fn bound(format: &str, chars: usize, rows: usize, per_row: usize) {
    let max = 20_000 + rows * per_row;
    assert!(
        chars <= max,
        "{format} output is {chars} characters for {rows} rows (bound {max}): untrusted text was not cut"
    );
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The tag names the HTML template writes (`td`, `!DOCTYPE`, …).
fn template_tags() -> &'static BTreeSet<String> {
    static TAGS: OnceLock<BTreeSet<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        let template = include_str!("../templates/digest.html");
        template
            .match_indices('<')
            .map(|(i, _)| {
                template[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '!')
                    .collect::<String>()
                    .trim_start_matches('/')
                    .to_owned()
            })
            .filter(|t| !t.is_empty())
            .collect()
    })
}

fn slack_texts(m: &SlackMessage) -> Vec<&str> {
    let mut out = vec![m.text.as_str()];
    for b in &m.blocks {
        match b {
            Block::Header { text } => out.push(text.text()),
            Block::Section { text, fields } => {
                out.extend(text.iter().map(Text::text));
                out.extend(fields.iter().map(Text::text));
            }
            Block::Context { elements } => out.extend(elements.iter().map(Text::text)),
            Block::Divider {} => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The digest, from fuzzer bytes
// ---------------------------------------------------------------------------------------

/// Untrusted text: arbitrary, often with a marker inside, sometimes repeated past every
/// limit.
fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = raw_string(u)?;
    if u.ratio(2, 3)? {
        let m = *u.choose(MARKERS)?;
        let at = s.char_indices().map(|(i, _)| i).nth(u.int_in_range(0..=8)?);
        s.insert_str(at.unwrap_or(s.len()), m);
    }
    if u.ratio(1, 8)? {
        // Past every limit (the longest is `LINE_CHARS`, 500) with room to spare.
        let times = u.int_in_range(2..=400)?;
        s = s.repeat(times);
    }
    Ok(s)
}

/// Up to 64 arbitrary characters.
fn raw_string(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(0..=64)?;
    let mut s = String::new();
    for _ in 0..len {
        if u.is_empty() {
            break;
        }
        s.push(u.arbitrary::<char>()?);
    }
    Ok(s)
}

fn list<T>(
    u: &mut Unstructured<'_>,
    max: usize,
    f: impl Fn(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = u.int_in_range(0..=max)?;
    (0..n).map(|_| f(u)).collect()
}

fn num(u: &mut Unstructured<'_>, lo: f64, hi: f64) -> Result<f64> {
    let x: f64 = u.arbitrary()?;
    Ok(if x.is_finite() {
        lo + (x.abs() % (hi - lo))
    } else {
        lo
    })
}

fn opt_num(u: &mut Unstructured<'_>, lo: f64, hi: f64) -> Result<Option<f64>> {
    Ok(if u.arbitrary()? {
        Some(num(u, lo, hi)?)
    } else {
        None
    })
}

/// KPI ids, labels, units and polarities as `Digest::build` writes them.
const KPIS: &[(&str, &str, Unit, Polarity)] = &[
    (
        "ticket_volume",
        "Tickets created",
        Unit::Count,
        Polarity::Neutral,
    ),
    (
        "solved",
        "Tickets solved",
        Unit::Count,
        Polarity::HigherIsBetter,
    ),
    (
        "backlog",
        "Backlog at end",
        Unit::Count,
        Polarity::LowerIsBetter,
    ),
    (
        "first_response_time",
        "First response (median)",
        Unit::Seconds,
        Polarity::LowerIsBetter,
    ),
    (
        "resolution_time",
        "Resolution (median)",
        Unit::Seconds,
        Polarity::LowerIsBetter,
    ),
    ("csat", "CSAT", Unit::Share, Polarity::HigherIsBetter),
    ("nps", "NPS", Unit::Score, Polarity::HigherIsBetter),
];

fn value(u: &mut Unstructured<'_>, unit: Unit) -> Result<f64> {
    match unit {
        Unit::Count => Ok(num(u, 0.0, 1e6)?.round()),
        Unit::Seconds => num(u, 0.0, 1e8),
        Unit::Share => num(u, 0.0, 1.0),
        Unit::Score => num(u, -100.0, 100.0),
    }
}

fn kpi(u: &mut Unstructured<'_>) -> Result<Kpi> {
    let &(id, label, unit, polarity) = u.choose(KPIS)?;
    // A headline KPI with a series gets a PNG chart, which costs a thousand renders of
    // text: one KPI in eight has one.
    let periods = if u.ratio(1, 8)? { TREND_PERIODS - 1 } else { 0 };
    let mut series = list(u, periods, |u| {
        Ok(if u.ratio(4, 5)? {
            Some(value(u, unit)?)
        } else {
            None
        })
    })?;
    let v = if u.ratio(7, 8)? {
        Some(value(u, unit)?)
    } else {
        None
    };
    series.push(v);
    let previous = series.iter().rev().nth(1).copied().flatten();
    let target = if u.arbitrary()? {
        let goal = value(u, unit)?;
        Some(Target {
            kpi: id.to_owned(),
            status: *u.choose(&[
                TargetVerdict::Met,
                TargetVerdict::Missed,
                TargetVerdict::Unknown,
            ])?,
            text: format!("≤ {goal}"),
            value: goal,
            judged: v.map(|v| format!("{v:.1}")),
            business_time: u.arbitrary()?,
        })
    } else {
        None
    };
    Ok(Kpi {
        id,
        label,
        unit,
        polarity,
        value: v,
        n: u.int_in_range(0..=100_000)?,
        detail: if u.arbitrary()? {
            Some(format!("n = {}", u.int_in_range(0..=100_000u32)?))
        } else {
            None
        },
        previous,
        change: v.zip(previous).map(|(v, p)| v - p),
        target,
        anomaly: u.arbitrary()?,
        trailing_mean: opt_num(u, 0.0, 1e6)?,
        series,
    })
}

fn quote(u: &mut Unstructured<'_>) -> Result<Quote> {
    Ok(Quote {
        source: text(u)?,
        score: format!("{}/5", u.int_in_range(1..=5u8)?),
        text: text(u)?,
        author: if u.arbitrary()? { Some(text(u)?) } else { None },
        answered: u.arbitrary()?,
    })
}

fn digest(u: &mut Unstructured<'_>) -> Result<Digest> {
    let headline = list(u, 6, kpi)?;
    let more = list(u, 4, kpi)?;
    let targets = headline
        .iter()
        .chain(&more)
        .filter_map(|k| k.target.clone())
        .collect();
    Ok(Digest {
        team: text(u)?,
        targets,
        period_label: "2026-W46".into(),
        period_dates: ("2026-11-09".into(), "2026-11-15".into()),
        timezone: "Europe/Berlin".into(),
        previous_label: Some("2026-W45".into()),
        headline,
        more,
        attention: list(u, 6, |u| {
            Ok(Attention {
                kpi: "csat",
                message: text(u)?,
            })
        })?,
        suggestions: list(u, 6, text)?,
        agents: list(u, 24, |u| {
            Ok(AgentRow {
                name: text(u)?,
                solved: u.int_in_range(0..=10_000)?,
                first_response_median: opt_num(u, 0.0, 1e7)?,
                resolution_median: opt_num(u, 0.0, 1e8)?,
                one_touch: opt_num(u, 0.0, 1.0)?,
                csat: opt_num(u, 0.0, 1.0)?,
                csat_n: u.int_in_range(0..=10_000)?,
            })
        })?,
        channels: list(u, 8, |u| {
            Ok(ChannelRow {
                channel: text(u)?,
                tickets: u.int_in_range(0..=1_000_000)?,
                share: num(u, 0.0, 1.0)?,
            })
        })?,
        reviews: if u.arbitrary()? {
            Some(ReviewsSection {
                new: u.int_in_range(0..=10_000)?,
                mean_rating: opt_num(u, 1.0, 5.0)?,
                share_negative: opt_num(u, 0.0, 1.0)?,
                share_answered: opt_num(u, 0.0, 1.0)?,
                unanswered: u.int_in_range(0..=10_000)?,
                by_platform: list(u, 4, |u| {
                    Ok(PlatformRow {
                        platform: text(u)?,
                        new: u.int_in_range(0..=10_000)?,
                        mean_rating: opt_num(u, 1.0, 5.0)?,
                        share_answered: opt_num(u, 0.0, 1.0)?,
                        overall_rating: opt_num(u, 1.0, 5.0)?,
                        overall_change: opt_num(u, -4.0, 4.0)?,
                        total_reviews: if u.arbitrary()? {
                            Some(u.int_in_range(0..=1_000_000)?)
                        } else {
                            None
                        },
                        coverage: *u.choose(&[
                            None,
                            Some(ReviewCoverage::Full),
                            Some(ReviewCoverage::RecentWindow),
                            Some(ReviewCoverage::AggregateSample),
                        ])?,
                    })
                })?,
                worst: list(u, 3, quote)?,
                unanswered_quotes: list(u, 3, quote)?,
            })
        } else {
            None
        },
        comments: list(u, 3, quote)?,
        social: list(u, 6, |u| {
            Ok(SocialRow {
                platform: text(u)?,
                account: text(u)?,
                metric: text(u)?,
                value: num(u, 0.0, 1e9)?,
                change: opt_num(u, -1e6, 1e6)?,
                trend: text(u)?,
            })
        })?,
        public_response: list(u, 3, |u| {
            Ok(ResponseRow {
                platform: text(u)?,
                received: u.int_in_range(0..=100_000)?,
                rate: opt_num(u, 0.0, 1.0)?,
                median_seconds: opt_num(u, 0.0, 1e7)?,
            })
        })?,
        costs: if u.arbitrary()? {
            Some(CostsSection {
                per_ticket: if u.arbitrary()? {
                    Some((num(u, 0.0, 1e4)?, text(u)?))
                } else {
                    None
                },
                ratio: opt_num(u, 0.0, 1.0)?,
                ratio_target: None,
            })
        } else {
            None
        },
        forecast: if u.arbitrary()? {
            let value = num(u, 0.0, 1e5)?;
            Some(ForecastSection {
                value,
                lower: value * 0.8,
                upper: value * 1.2,
                level: 0.8,
                staffing: None,
            })
        } else {
            None
        },
        vendor_checks: list(u, 3, |u| {
            Ok(VendorCheck {
                source: text(u)?,
                kpi: "first response",
                share: num(u, 0.0, 0.9)?,
                tickets: u.int_in_range(0..=10_000)?,
                reason: text(u)?,
            })
        })?,
        trust: Trust {
            sources: list(u, 6, |u| {
                Ok(SourceState {
                    source: text(u)?,
                    complete: u.arbitrary()?,
                    state: text(u)?,
                })
            })?,
            incomplete: u.arbitrary()?,
            restated: list(u, 3, |u| {
                Ok(RestatedPeriod {
                    period: text(u)?,
                    told_at: "2026-11-16 08:00 CET".into(),
                    lines: list(u, 6, text)?,
                })
            })?,
        },
    })
}
