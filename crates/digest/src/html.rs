//! The HTML e-mail: askama with auto-escaping (every `{{ }}` of the `.html` template is
//! HTML-escaped, `<`, `>`, `&`, `"` and `'` included), inline CSS, nested tables only (no
//! flexbox or grid), no external resource: the trend charts are inline PNG parts referenced
//! by `cid:`.
//!
//! Every untrusted string is cut like in the other formats ([`plain_cut`]: the shared
//! [`truncate`](crate::escape::truncate) to the limits of
//! [`crate::escape`]) while building the views, so before askama escapes it: a cut never
//! splits an entity, and a megabyte-long agent name cannot make a megabyte e-mail.

use askama::Template;

use crate::chart::{self, ChartError};
use crate::escape::{LINE_CHARS, NAME_CHARS, QUOTE_CHARS, plain, plain_cut};
use crate::format;
use crate::model::{Digest, Kpi, Quote, TREND_CHARS, TargetVerdict};
use crate::text::{csat_cell, opt};

/// A PNG to attach inline, referenced from the HTML as `cid:{content_id}`.
#[derive(Debug, Clone, PartialEq)]
pub struct InlineImage {
    /// Without angle brackets (`chart-csat@deskpulse`).
    pub content_id: String,
    pub filename: String,
    pub png: Vec<u8>,
}

/// The rendered HTML e-mail body and its inline images.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlEmail {
    pub html: String,
    pub images: Vec<InlineImage>,
}

impl HtmlEmail {
    /// The HTML with each `cid:` reference replaced by the image's file name, for a preview
    /// in a browser next to the PNG files (`render_sample`, `cargo xtask digest-screenshot`).
    pub fn html_with_files(&self) -> String {
        let mut html = self.html.clone();
        for img in &self.images {
            html = html.replace(&format!("cid:{}", img.content_id), &img.filename);
        }
        html
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("cannot render the HTML template: {0}")]
    Template(#[from] askama::Error),
}

struct KpiView {
    label: String,
    value: String,
    change: Option<String>,
    change_color: &'static str,
    target: Option<String>,
    /// Which figure the target was judged on, when not the one shown (business hours).
    target_note: Option<String>,
    status: &'static str,
    status_bg: &'static str,
    status_fg: &'static str,
    detail: Option<String>,
    chart_cid: Option<String>,
    points: usize,
    spark: String,
}

struct AgentView {
    name: String,
    solved: u64,
    frt: String,
    resolution: String,
    one_touch: String,
    csat: String,
}

struct ChannelView {
    name: String,
    tickets: u64,
    share: String,
    /// Bar width, 1–100 (% of the widest channel).
    bar: u32,
}

struct QuoteView {
    meta: String,
    text: String,
}

struct ReviewsView {
    summary: String,
    platforms: Vec<String>,
    worst: Vec<QuoteView>,
    unanswered: Vec<QuoteView>,
}

struct SocialView {
    what: String,
    value: String,
    change: String,
    trend: String,
}

struct RestatedView {
    heading: String,
    lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml {
    title: String,
    team: String,
    period: String,
    dates: String,
    timezone: String,
    previous: Option<String>,
    /// The sources' freshness, in the header.
    freshness: Option<String>,
    /// An incomplete period's banner, first under the header.
    banner: Option<String>,
    headline: Vec<KpiView>,
    restated: Vec<RestatedView>,
    attention: Vec<String>,
    suggestions: Vec<String>,
    forecast: Option<String>,
    more: Vec<KpiView>,
    vendor_checks: Vec<String>,
    agents: Vec<AgentView>,
    channels: Vec<ChannelView>,
    reviews: Option<ReviewsView>,
    comments: Vec<QuoteView>,
    social: Vec<SocialView>,
    costs: Vec<String>,
}

fn kpi_view(k: &Kpi, chart_cid: Option<String>) -> KpiView {
    let change_color = match k.change_is_good() {
        Some(true) => "#15803d",
        Some(false) => "#b91c1c",
        None => "#6b7280",
    };
    let (status, status_bg, status_fg) = match k.target.as_ref().map(|t| t.status) {
        Some(TargetVerdict::Met) => ("met", "#dcfce7", "#166534"),
        Some(TargetVerdict::Missed) => ("missed", "#fee2e2", "#991b1b"),
        Some(TargetVerdict::Unknown) | None => ("unknown", "#f3f4f6", "#4b5563"),
    };
    KpiView {
        label: k.label.to_owned(),
        value: k.value_text(),
        change: k.change_text(),
        change_color,
        target: k.target.as_ref().map(|t| t.text.clone()),
        target_note: k.target.as_ref().and_then(|t| t.note()),
        status,
        status_bg,
        status_fg,
        detail: k.detail.clone(),
        chart_cid,
        points: k.series.len(),
        spark: k.sparkline(),
    }
}

fn quote_view(q: &Quote) -> QuoteView {
    let mut meta = format!(
        "{} · {}",
        plain_cut(&q.source, NAME_CHARS),
        plain_cut(&q.score, NAME_CHARS)
    );
    if let Some(a) = &q.author {
        meta.push_str(" · ");
        meta.push_str(&plain_cut(a, NAME_CHARS));
    }
    QuoteView {
        meta,
        text: plain_cut(&q.text, QUOTE_CHARS),
    }
}

/// Renders the HTML e-mail with one trend chart per headline KPI that has two or more
/// values in its series.
pub fn render_html(d: &Digest) -> Result<HtmlEmail, RenderError> {
    let mut images = Vec::new();
    let mut headline = Vec::new();
    for k in &d.headline {
        let cid = if chart::chartable(k) {
            let content_id = format!("chart-{}@deskpulse", k.id);
            images.push(InlineImage {
                content_id: content_id.clone(),
                filename: format!("chart-{}.png", k.id),
                png: chart::trend_png(k)?,
            });
            Some(content_id)
        } else {
            None
        };
        headline.push(kpi_view(k, cid));
    }
    let max_channel = d
        .channels
        .iter()
        .map(|c| c.tickets)
        .max()
        .unwrap_or(1)
        .max(1);
    let reviews = d.reviews.as_ref().map(|r| {
        let mut summary = format!("{} new", r.new);
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
        ReviewsView {
            summary,
            platforms: r
                .by_platform
                .iter()
                .map(|p| format!("{}: {}", plain_cut(&p.platform, NAME_CHARS), p.detail()))
                .collect(),
            worst: r.worst.iter().map(quote_view).collect(),
            unanswered: r.unanswered_quotes.iter().map(quote_view).collect(),
        }
    });
    let mut costs = Vec::new();
    if let Some(c) = &d.costs {
        if let Some((v, cur)) = &c.per_ticket {
            costs.push(format!(
                "Cost per ticket: {}",
                format::money(*v, &plain_cut(cur, NAME_CHARS))
            ));
        }
        if let Some(r) = c.ratio {
            let mut line = format!("Cost ratio: {}", format::percent(r));
            if let Some(t) = &c.ratio_target {
                line.push_str(&format!(" (target {}: {})", t.text, t.status.label()));
            }
            costs.push(line);
        }
    }
    let page = DigestHtml {
        title: plain(&d.title()),
        team: plain_cut(&d.team, NAME_CHARS),
        period: plain_cut(&d.period_label, NAME_CHARS),
        dates: format!("{} to {}", d.period_dates.0, d.period_dates.1),
        timezone: plain_cut(&d.timezone, NAME_CHARS),
        previous: d
            .previous_label
            .as_deref()
            .map(|p| plain_cut(p, NAME_CHARS)),
        freshness: d.trust.freshness_line(plain_cut),
        banner: d.trust.banner(plain_cut),
        headline,
        restated: d
            .trust
            .restated
            .iter()
            .map(|r| RestatedView {
                heading: r.heading(plain_cut),
                lines: r.lines(plain_cut),
            })
            .collect(),
        attention: d
            .attention
            .iter()
            .map(|a| plain_cut(&a.message, LINE_CHARS))
            .collect(),
        suggestions: d
            .suggestions
            .iter()
            .map(|s| plain_cut(s, LINE_CHARS))
            .collect(),
        forecast: d.forecast.as_ref().map(|f| f.summary()),
        more: d.more.iter().map(|k| kpi_view(k, None)).collect(),
        vendor_checks: d
            .vendor_checks
            .iter()
            .map(|c| plain_cut(&c.line(), LINE_CHARS))
            .collect(),
        agents: d
            .agents
            .iter()
            .map(|a| AgentView {
                name: plain_cut(&a.name, NAME_CHARS),
                solved: a.solved,
                frt: opt(a.first_response_median, format::duration),
                resolution: opt(a.resolution_median, format::duration),
                one_touch: opt(a.one_touch, format::percent),
                csat: csat_cell(a.csat, a.csat_n),
            })
            .collect(),
        channels: d
            .channels
            .iter()
            .map(|c| ChannelView {
                name: plain_cut(&c.channel, NAME_CHARS),
                tickets: c.tickets,
                share: format::percent(c.share),
                bar: ((c.tickets * 100 / max_channel) as u32).clamp(1, 100),
            })
            .collect(),
        reviews,
        comments: d.comments.iter().map(quote_view).collect(),
        social: d
            .social
            .iter()
            .map(|s| SocialView {
                what: format!(
                    "{} {} {}",
                    plain_cut(&s.platform, NAME_CHARS),
                    plain_cut(&s.account, NAME_CHARS),
                    plain_cut(&s.metric, NAME_CHARS)
                ),
                value: format::one_decimal(s.value),
                change: s.change.map(format::signed).unwrap_or_default(),
                trend: plain_cut(&s.trend, TREND_CHARS),
            })
            .chain(d.public_response.iter().map(|p| SocialView {
                what: format!("{}: {}", plain_cut(&p.platform, NAME_CHARS), p.detail()),
                value: String::new(),
                change: String::new(),
                trend: String::new(),
            }))
            .collect(),
        costs,
    };
    Ok(HtmlEmail {
        html: page.render()?,
        images,
    })
}
