//! Slack Block Kit: a typed subset (header, section with text or fields, context, divider)
//! and the digest rendered into it within Slack's limits: at most 50 blocks, 3,000
//! characters per section text, 2,000 per field, 10 fields per section, 150 characters in a
//! header. Lists that do not fit end with "…and N more".
//!
//! Every untrusted string is cut to the shared limits of [`escape`] and then escaped
//! ([`escape::slack_cut`], or [`escape::slack_code`] inside a code block), so no review can
//! `<!channel>`, mention `<@U…>` or make a `<url|link>`. Texts assembled from escaped parts
//! are held to Slack's limits by [`escape::truncate_escaped`], which never splits an entity.

use serde::Serialize;

use crate::escape::{
    self, LINE_CHARS, NAME_CHARS, QUOTE_CHARS, slack_cut, slack_literal_cut, truncate_escaped,
};
use crate::format;
use crate::model::{Digest, Kpi, Quote, TREND_CHARS, TargetVerdict};
use crate::text::{csat_cell, opt};

pub const MAX_BLOCKS: usize = 50;
pub const MAX_TEXT: usize = 3000;
pub const MAX_FIELD: usize = 2000;
pub const MAX_FIELDS: usize = 10;
pub const MAX_HEADER: usize = 150;
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// Agent rows shown before "…and N more".
const MAX_AGENT_ROWS: usize = 15;
/// Agent names in the code-block table: narrower than [`NAME_CHARS`], so a row fits a
/// Slack message's width.
const AGENT_COLUMN: usize = 20;

/// An incoming-webhook message: `text` is the notification fallback.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlackMessage {
    pub text: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Header {
        text: Text,
    },
    Section {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Text>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Text>,
    },
    Context {
        elements: Vec<Text>,
    },
    Divider {},
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Text {
    PlainText { text: String, emoji: bool },
    Mrkdwn { text: String },
}

impl Text {
    fn plain(s: String) -> Text {
        Text::PlainText {
            text: s,
            emoji: true,
        }
    }
    fn md(s: String) -> Text {
        Text::Mrkdwn { text: s }
    }
    pub fn text(&self) -> &str {
        match self {
            Text::PlainText { text, .. } | Text::Mrkdwn { text } => text,
        }
    }
}

fn section(text: String) -> Block {
    Block::Section {
        text: Some(Text::md(truncate_escaped(&text, MAX_TEXT))),
        fields: Vec::new(),
    }
}

/// Joins `lines` under `title` within `max` characters; what does not fit becomes
/// "…and N more".
fn lines_within(title: &str, lines: &[String], max: usize) -> String {
    let mut out = title.to_owned();
    for (i, line) in lines.iter().enumerate() {
        let more = format!("\n…and {} more", lines.len() - i);
        if out.chars().count() + 1 + line.chars().count() + more.chars().count() > max {
            out.push_str(&more);
            return out;
        }
        out.push('\n');
        out.push_str(line);
    }
    out
}

fn status_emoji(s: TargetVerdict) -> &'static str {
    match s {
        TargetVerdict::Met => ":white_check_mark:",
        TargetVerdict::Missed => ":x:",
        TargetVerdict::Unknown => ":grey_question:",
    }
}

fn kpi_field(k: &Kpi) -> Text {
    let mut s = format!("*{}*\n{}", k.label, k.value_text());
    if let Some(c) = k.change_text() {
        s.push_str(&format!("  {c}"));
    }
    if let Some(t) = &k.target {
        s.push_str(&format!(
            "\n{} target {} {}",
            status_emoji(t.status),
            escape::slack(&t.text),
            t.status.label()
        ));
        if let Some(note) = t.note() {
            s.push_str(&format!(" ({})", escape::slack(&note)));
        }
    }
    let spark = k.sparkline();
    if k.series.len() > 1 && !spark.is_empty() {
        s.push_str(&format!("\n`{spark}`"));
    }
    Text::md(truncate_escaped(&s, MAX_FIELD))
}

fn kpi_sections(kpis: &[Kpi]) -> Vec<Block> {
    kpis.chunks(MAX_FIELDS)
        .map(|chunk| Block::Section {
            text: None,
            fields: chunk.iter().map(kpi_field).collect(),
        })
        .collect()
}

fn quote_line(q: &Quote) -> String {
    let mut meta = format!(
        "{} {}",
        slack_cut(&q.source, NAME_CHARS),
        slack_cut(&q.score, NAME_CHARS)
    );
    if let Some(a) = &q.author {
        meta.push_str(&format!(" — {}", slack_cut(a, NAME_CHARS)));
    }
    // `>` starts a quote in mrkdwn only at the start of a line; the text itself is escaped.
    format!("_{meta}_\n>{}", slack_cut(&q.text, QUOTE_CHARS))
}

/// Renders the digest as a Block Kit message within Slack's limits.
pub fn render_slack(d: &Digest) -> SlackMessage {
    let team = slack_cut(&d.team, NAME_CHARS);
    let period = slack_cut(&d.period_label, NAME_CHARS);
    let mut blocks = Vec::new();
    blocks.push(Block::Header {
        text: Text::plain(truncate_escaped(
            &format!("📊 {team} — {period}"),
            MAX_HEADER,
        )),
    });
    let mut ctx = format!(
        "{} to {} ({})",
        d.period_dates.0,
        d.period_dates.1,
        slack_cut(&d.timezone, NAME_CHARS)
    );
    if let Some(p) = &d.previous_label {
        ctx.push_str(&format!(" · changes against {}", slack_cut(p, NAME_CHARS)));
    }
    blocks.push(Block::Context {
        elements: vec![Text::md(truncate_escaped(&ctx, MAX_TEXT))],
    });
    if let Some(line) = d.trust.freshness_line(slack_literal_cut) {
        blocks.push(Block::Context {
            elements: vec![Text::md(truncate_escaped(&line, MAX_TEXT))],
        });
    }
    if let Some(banner) = d.trust.banner(slack_literal_cut) {
        blocks.push(section(format!(":warning: *INCOMPLETE DATA*\n{banner}")));
    }
    if !d.headline.is_empty() {
        blocks.extend(kpi_sections(&d.headline));
    }
    if !d.trust.restated.is_empty() {
        blocks.push(Block::Divider {});
        let mut lines = Vec::new();
        for rs in &d.trust.restated {
            lines.push(format!("_{}_", rs.heading(slack_literal_cut)));
            lines.extend(rs.lines(slack_literal_cut).iter().map(|l| format!("• {l}")));
        }
        blocks.push(section(lines_within("*Restated*", &lines, MAX_TEXT)));
    }
    if !d.attention.is_empty() || !d.suggestions.is_empty() {
        blocks.push(Block::Divider {});
        // Attention lines can name a source and quote its vendor's error: no formatting.
        let lines: Vec<String> = d
            .attention
            .iter()
            .map(|a| format!(":warning: {}", slack_literal_cut(&a.message, LINE_CHARS)))
            .chain(
                d.suggestions
                    .iter()
                    .map(|s| format!(":point_right: {}", slack_cut(s, LINE_CHARS))),
            )
            .collect();
        blocks.push(section(lines_within("*Needs attention*", &lines, MAX_TEXT)));
    }
    if let Some(f) = &d.forecast {
        blocks.push(section(format!(
            "*Forecast*\n{}",
            escape::slack(&f.summary())
        )));
    }
    if !d.more.is_empty() || !d.vendor_checks.is_empty() {
        blocks.push(Block::Divider {});
        let mut lines: Vec<String> = d
            .more
            .iter()
            .map(|k| {
                let mut s = format!("{}: *{}*", k.label, k.value_text());
                if let Some(c) = k.change_text() {
                    s.push_str(&format!("  {c}"));
                }
                s
            })
            .collect();
        lines.extend(
            d.vendor_checks
                .iter()
                .map(|c| format!("≠ {}", slack_cut(&c.line(), LINE_CHARS))),
        );
        blocks.push(section(lines_within("*More KPIs*", &lines, MAX_TEXT)));
    }
    if !d.agents.is_empty() {
        blocks.push(Block::Divider {});
        blocks.push(section(agents_table(d)));
    }
    if !d.channels.is_empty() {
        let lines: Vec<String> = d
            .channels
            .iter()
            .map(|c| {
                format!(
                    "{}: *{}* ({})",
                    slack_cut(&c.channel, NAME_CHARS),
                    c.tickets,
                    format::percent(c.share)
                )
            })
            .collect();
        blocks.push(section(lines_within("*Channels*", &lines, MAX_TEXT)));
    }
    if let Some(r) = &d.reviews {
        blocks.push(Block::Divider {});
        let mut summary = format!("*Reviews*\n{} new", r.new);
        if let Some(m) = r.mean_rating {
            summary.push_str(&format!(" · mean {}/5", format::one_decimal(m)));
        }
        if let Some(s) = r.share_negative {
            summary.push_str(&format!(" · {} negative", format::percent(s)));
        }
        if let Some(s) = r.share_answered {
            summary.push_str(&format!(" · {} answered", format::percent(s)));
        }
        summary.push_str(&format!(" · {} unanswered", r.unanswered));
        let platforms: Vec<String> = r
            .by_platform
            .iter()
            .map(|p| format!("{}: {}", slack_cut(&p.platform, NAME_CHARS), p.detail()))
            .collect();
        blocks.push(section(lines_within(&summary, &platforms, MAX_TEXT)));
        if !r.worst.is_empty() {
            let quotes: Vec<String> = r.worst.iter().map(quote_line).collect();
            blocks.push(section(lines_within("*Lowest rated*", &quotes, MAX_TEXT)));
        }
        if !r.unanswered_quotes.is_empty() {
            let quotes: Vec<String> = r.unanswered_quotes.iter().map(quote_line).collect();
            blocks.push(section(lines_within(
                "*Still unanswered*",
                &quotes,
                MAX_TEXT,
            )));
        }
    }
    if !d.comments.is_empty() {
        let quotes: Vec<String> = d.comments.iter().map(quote_line).collect();
        blocks.push(section(lines_within(
            "*Survey comments*",
            &quotes,
            MAX_TEXT,
        )));
    }
    if !d.social.is_empty() || !d.public_response.is_empty() {
        let lines: Vec<String> = d
            .social
            .iter()
            .map(|s| {
                format!(
                    "{} {} {}: *{}*{}{}",
                    slack_cut(&s.platform, NAME_CHARS),
                    slack_cut(&s.account, NAME_CHARS),
                    slack_cut(&s.metric, NAME_CHARS),
                    format::one_decimal(s.value),
                    s.change
                        .map(|c| format!(" ({})", format::signed(c)))
                        .unwrap_or_default(),
                    if s.trend.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", slack_cut(&s.trend, TREND_CHARS))
                    }
                )
            })
            .chain(
                d.public_response
                    .iter()
                    .map(|p| format!("{}: {}", slack_cut(&p.platform, NAME_CHARS), p.detail())),
            )
            .collect();
        blocks.push(section(lines_within("*Social*", &lines, MAX_TEXT)));
    }
    if let Some(c) = &d.costs {
        let mut lines = Vec::new();
        if let Some((v, cur)) = &c.per_ticket {
            lines.push(format!(
                "Cost per ticket: *{}*",
                format::money(*v, &slack_cut(cur, NAME_CHARS))
            ));
        }
        if let Some(r) = c.ratio {
            let mut line = format!("Cost ratio: *{}*", format::percent(r));
            if let Some(t) = &c.ratio_target {
                line.push_str(&format!(
                    " {} target {} {}",
                    status_emoji(t.status),
                    escape::slack(&t.text),
                    t.status.label()
                ));
            }
            lines.push(line);
        }
        blocks.push(section(lines_within("*Costs*", &lines, MAX_TEXT)));
    }
    let footer = Block::Context {
        elements: vec![Text::md(truncate_escaped(
            &format!("deskpulse · {team} · {period}"),
            MAX_TEXT,
        ))],
    };
    if blocks.len() + 1 > MAX_BLOCKS {
        // Cannot happen with the sections above (about 20 blocks at most), but a digest
        // that grows must still post: keep the first blocks and say what was left out.
        let cut = blocks.len() - (MAX_BLOCKS - 2);
        blocks.truncate(MAX_BLOCKS - 2);
        blocks.push(Block::Context {
            elements: vec![Text::md(format!("…and {cut} more"))],
        });
    }
    blocks.push(footer);
    SlackMessage {
        text: truncate_escaped(
            &format!(
                "{}deskpulse digest — {team} — {period}",
                d.trust.subject_tag()
            ),
            MAX_TEXT,
        ),
        blocks,
    }
}

fn agents_table(d: &Digest) -> String {
    // Widths are measured on what Slack displays (before escaping: `&lt;` shows as `<`).
    let names: Vec<String> = d
        .agents
        .iter()
        .map(|a| escape::plain_cut(&a.name, AGENT_COLUMN).replace('`', "ʼ"))
        .collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    let head = format!(
        "{:<width$} {:>6} {:>8} {:>8} {:>12}",
        "Agent", "Solved", "1st resp", "Resolved", "CSAT"
    );
    let mut rows = Vec::new();
    for (a, name) in d.agents.iter().zip(&names) {
        let pad = width.saturating_sub(name.chars().count());
        rows.push(format!(
            "{}{:pad$} {:>6} {:>8} {:>8} {:>12}",
            escape::slack_code(name),
            "",
            a.solved,
            opt(a.first_response_median, format::duration),
            opt(a.resolution_median, format::duration),
            csat_cell(a.csat, a.csat_n),
        ));
    }
    let shown = rows.len().min(MAX_AGENT_ROWS);
    // Fit the rows into the text limit, leaving room for the fences and the "more" line.
    let mut body = head;
    let mut used = 0;
    for row in rows.iter().take(shown) {
        if body.chars().count() + row.chars().count() + 60 > MAX_TEXT {
            break;
        }
        body.push('\n');
        body.push_str(row);
        used += 1;
    }
    let mut out = format!("*Agents*\n```\n{body}\n```");
    if used < rows.len() {
        out.push_str(&format!("\n…and {} more", rows.len() - used));
    }
    out
}

/// Checks a message against the Block Kit limits this renderer promises; used by tests and
/// by the webhook sender before posting.
pub fn check_limits(m: &SlackMessage) -> Result<(), String> {
    if m.blocks.len() > MAX_BLOCKS {
        return Err(format!("{} blocks (max {MAX_BLOCKS})", m.blocks.len()));
    }
    for (i, b) in m.blocks.iter().enumerate() {
        let len = |t: &Text| t.text().chars().count();
        match b {
            Block::Header { text } => {
                if !matches!(text, Text::PlainText { .. }) || len(text) > MAX_HEADER {
                    return Err(format!(
                        "block {i}: header must be plain_text ≤ {MAX_HEADER}"
                    ));
                }
            }
            Block::Section { text, fields } => {
                if text.is_none() && fields.is_empty() {
                    return Err(format!("block {i}: section without text or fields"));
                }
                if text
                    .as_ref()
                    .is_some_and(|t| len(t) > MAX_TEXT || len(t) == 0)
                {
                    return Err(format!("block {i}: section text over {MAX_TEXT}"));
                }
                if fields.len() > MAX_FIELDS || fields.iter().any(|f| len(f) > MAX_FIELD) {
                    return Err(format!("block {i}: too many or too long fields"));
                }
            }
            Block::Context { elements } => {
                if elements.is_empty()
                    || elements.len() > MAX_CONTEXT_ELEMENTS
                    || elements.iter().any(|e| len(e) > MAX_TEXT)
                {
                    return Err(format!("block {i}: bad context"));
                }
            }
            Block::Divider {} => {}
        }
    }
    Ok(())
}
