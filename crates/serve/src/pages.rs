//! The HTML pages (askama, auto-escaped: every `{{ }}` is HTML-escaped, and only the SVG
//! charts, which escape their own text, are printed `|safe`) and how each is built from a
//! team's [`TeamReport`]. The digest crate builds the view of the report
//! ([`Digest::build`]: headline KPIs, attention, suggestions, forecast, reviews, social,
//! costs), so the dashboard shows what the digest says, with more around it.

use askama::Template;
use deskpulse_digest::escape::{LINE_CHARS, NAME_CHARS, QUOTE_CHARS, plain_cut};
use deskpulse_digest::format::{duration, one_decimal, percent};
use deskpulse_digest::{Digest, DigestInput, Quote};
use deskpulse_metrics::{HEADLINE, KpiReport};
use deskpulse_model::PeriodSpec;

use crate::freshness::FreshRow;
use crate::kpis::{self, KpiRow};
use crate::source::{TeamInfo, TeamReport};
use crate::svg;
use crate::views::{
    self, KpiTile, PeriodNav, agent_href, dates, headline_info, headline_series, period_href, tile,
};

/// A team on the overview page.
pub(crate) struct TeamCard {
    pub name: String,
    pub href: String,
    pub period: String,
    pub dates: String,
    pub error: Option<String>,
    pub kpis: Vec<KpiTile>,
    pub freshness: Vec<FreshRow>,
}

#[derive(Template)]
#[template(path = "index.html")]
pub(crate) struct IndexPage {
    pub teams: Vec<TeamCard>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub status: u16,
    pub title: String,
    pub message: String,
}

/// The reports of a trend, oldest first, the shown period's last, and its first and last
/// labels.
pub(crate) struct Trend<'a> {
    pub reports: Vec<&'a KpiReport>,
}

impl<'a> Trend<'a> {
    /// The shown report after its history (most recent first, as [`TeamReport::history`]).
    pub(crate) fn of(current: &'a KpiReport, history: &[&'a KpiReport]) -> Trend<'a> {
        let mut reports: Vec<&KpiReport> = history.iter().rev().copied().collect();
        reports.push(current);
        Trend { reports }
    }

    fn labels(&self) -> (String, String) {
        let label = |r: Option<&&KpiReport>| r.map(|r| r.period.label.clone()).unwrap_or_default();
        (label(self.reports.first()), label(self.reports.last()))
    }
}

/// The digest's view of a report (what the e-mail would say), with the period's quotes.
pub(crate) fn digest_of(t: &TeamReport) -> Digest {
    Digest::build(&DigestInput {
        report: &t.report,
        history: &t.history,
        reviews: &t.reviews,
        ratings: &t.ratings,
    })
}

/// The headline tiles of `digest`, charted over `trend`.
pub(crate) fn headline_tiles(digest: &Digest, trend: &Trend<'_>) -> Vec<KpiTile> {
    let (first, last) = trend.labels();
    digest
        .headline
        .iter()
        .map(|k| tile(k, &headline_series(&trend.reports, k.id), (&first, &last)))
        .collect()
}

/// A team's card on the overview: its headline KPIs of `period`.
pub(crate) fn team_card(
    team: &TeamInfo,
    period: PeriodSpec,
    report: Result<&TeamReport, String>,
    freshness: Vec<FreshRow>,
) -> TeamCard {
    let (kpis, error) = match report {
        Ok(t) => {
            let digest = digest_of(t);
            let history: Vec<&KpiReport> = t.history.iter().collect();
            (
                headline_tiles(&digest, &Trend::of(&t.report, &history)),
                None,
            )
        }
        Err(e) => (Vec::new(), Some(plain_cut(&e, LINE_CHARS))),
    };
    TeamCard {
        name: plain_cut(&team.name, NAME_CHARS),
        href: views::team_href(&team.name),
        period: period.to_string(),
        dates: dates(period),
        error,
        kpis,
        freshness,
    }
}

pub(crate) struct AgentLine {
    pub name: String,
    pub href: String,
    pub solved: u64,
    pub frt: String,
    pub resolution: String,
    pub one_touch: String,
    pub csat: String,
}

pub(crate) struct Bar {
    pub label: String,
    pub count: u64,
    pub share: String,
    pub bar: String,
}

/// A quoted review or comment; the template joins the parts given with ` · `.
pub(crate) struct QuoteView {
    /// The platform (`Trustpilot`) or survey (`CSAT`), the score, and the author or the
    /// time when known.
    pub parts: Vec<String>,
    pub text: String,
    /// An `http(s)` link to the review, when the platform gave one.
    pub url: Option<String>,
}

pub(crate) struct ReviewsView {
    pub summary: String,
    pub platforms: Vec<String>,
    pub worst: Vec<QuoteView>,
    pub unanswered: Vec<QuoteView>,
    pub unanswered_negative: Vec<QuoteView>,
}

pub(crate) struct TagLine {
    pub tag: String,
    pub n: u64,
    pub median: String,
}

#[derive(Template)]
#[template(path = "team.html")]
pub(crate) struct TeamPage {
    pub team: String,
    pub team_href: String,
    pub period: String,
    pub dates: String,
    pub timezone: String,
    pub nav: PeriodNav,
    pub trend_periods: usize,
    pub json_href: String,
    pub headline: Vec<KpiTile>,
    pub trends: Vec<KpiTile>,
    pub attention: Vec<String>,
    pub suggestions: Vec<String>,
    pub forecast: Option<String>,
    pub kpis: Vec<KpiRow>,
    pub channels: Vec<Bar>,
    pub days: Vec<Bar>,
    pub tags: Vec<TagLine>,
    pub agents: Vec<AgentLine>,
    pub reviews: Option<ReviewsView>,
    pub comments: Vec<QuoteView>,
    pub social: Vec<(String, String, String, String)>,
    pub public_response: Vec<String>,
    pub costs: Vec<String>,
    pub freshness: Vec<FreshRow>,
}

fn quote(q: &Quote) -> QuoteView {
    let parts = [Some(&q.source), Some(&q.score), q.author.as_ref()];
    QuoteView {
        parts: parts
            .into_iter()
            .flatten()
            .map(|p| plain_cut(p, NAME_CHARS))
            .collect(),
        text: plain_cut(&q.text, QUOTE_CHARS),
        url: None,
    }
}

fn safe_url(u: Option<&str>) -> Option<String> {
    u.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(|u| plain_cut(u, LINE_CHARS))
}

fn bars<'a>(rows: impl Iterator<Item = (String, u64)> + Clone + 'a) -> Vec<Bar> {
    let total: u64 = rows.clone().map(|(_, n)| n).sum();
    let max = rows.clone().map(|(_, n)| n).max().unwrap_or(0).max(1);
    rows.map(|(label, n)| Bar {
        label,
        count: n,
        share: if total > 0 {
            percent(n as f64 / total as f64)
        } else {
            "—".into()
        },
        bar: svg::bar(n as f64 / max as f64),
    })
    .collect()
}

/// Everything of `reports` (the shown period last) that a team's page shows.
pub(crate) fn team_page(
    team: &TeamInfo,
    period: PeriodSpec,
    t: &TeamReport,
    trend: &Trend<'_>,
    nav: PeriodNav,
    freshness: Vec<FreshRow>,
) -> TeamPage {
    let r = &t.report;
    let digest = digest_of(t);
    let (first, last) = trend.labels();
    let headline = headline_tiles(&digest, trend);
    // The other trended KPIs: charted when they have two values or more.
    let trends = HEADLINE
        .iter()
        .filter(|(id, _)| !digest.headline.iter().any(|k| k.id == *id))
        .filter_map(|(id, _)| {
            let series = headline_series(&trend.reports, id);
            let (label, unit) = headline_info(id);
            let chart = svg::trend(label, unit, &series, None, &first, &last)?;
            let value = series.last().copied().flatten().map_or_else(
                || "no data".into(),
                |v| deskpulse_digest::format_value(unit, v),
            );
            Some(KpiTile {
                id,
                label: label.to_owned(),
                value,
                change: None,
                change_class: "neutral",
                target: None,
                status: "none",
                target_note: None,
                detail: None,
                anomaly: false,
                chart: Some(chart),
            })
        })
        .collect();
    let agents = r
        .agents
        .iter()
        .filter(|a| a.solved > 0 || a.csat.n > 0)
        .map(|a| AgentLine {
            name: plain_cut(&a.name, NAME_CHARS),
            href: agent_href(&team.name, &a.id, period),
            solved: a.solved,
            frt: a
                .first_response_time
                .median_seconds
                .map_or("—".into(), duration),
            resolution: a
                .resolution_time
                .median_seconds
                .map_or("—".into(), duration),
            one_touch: a
                .one_touch_resolution_rate
                .value
                .map_or("—".into(), percent),
            csat: match a.csat.value {
                Some(v) => format!("{} (n {})", percent(v), a.csat.n),
                None => "—".into(),
            },
        })
        .collect();
    let volume = &r.kpis.ticket_volume;
    let channels = bars(
        digest
            .channels
            .iter()
            .map(|c| (plain_cut(&c.channel, NAME_CHARS), c.tickets)),
    );
    let days = bars(
        volume
            .by_day
            .iter()
            .map(|(d, n)| (d.format("%a %Y-%m-%d").to_string(), *n)),
    );
    let tags = r
        .kpis
        .resolution_by_tag
        .iter()
        .map(|x| TagLine {
            tag: plain_cut(&x.tag, NAME_CHARS),
            n: x.n,
            median: x.median_resolution_seconds.map_or("—".into(), duration),
        })
        .collect();
    let reviews = digest.reviews.as_ref().map(|rv| {
        let mut summary = format!("{} new", rv.new);
        if let Some(m) = rv.mean_rating {
            summary.push_str(&format!(" · mean {}/5", one_decimal(m)));
        }
        if let Some(s) = rv.share_negative {
            summary.push_str(&format!(" · {} negative", percent(s)));
        }
        if let Some(s) = rv.share_answered {
            summary.push_str(&format!(" · {} answered", percent(s)));
        }
        summary.push_str(&format!(" · {} unanswered", rv.unanswered));
        ReviewsView {
            summary,
            platforms: rv
                .by_platform
                .iter()
                .map(|p| format!("{}: {}", plain_cut(&p.platform, NAME_CHARS), p.detail()))
                .collect(),
            worst: rv.worst.iter().map(quote).collect(),
            unanswered: rv.unanswered_quotes.iter().map(quote).collect(),
            unanswered_negative: r
                .kpis
                .reviews
                .unanswered_negative
                .iter()
                .map(|q| {
                    let text = match (&q.title, &q.text) {
                        (Some(a), Some(b)) => format!("{a}: {b}"),
                        (Some(a), None) | (None, Some(a)) => a.clone(),
                        (None, None) => String::new(),
                    };
                    let platform = deskpulse_metrics::platform_label(&q.platform);
                    QuoteView {
                        parts: vec![
                            plain_cut(platform, NAME_CHARS),
                            format!("{}/5", one_decimal(q.rating)),
                            views::local_time(Some(q.created_at), team.timezone),
                        ],
                        text: plain_cut(&text, QUOTE_CHARS),
                        url: safe_url(q.url.as_deref()),
                    }
                })
                .collect(),
        }
    });
    let social = digest
        .social
        .iter()
        .map(|s| {
            (
                format!(
                    "{} {} {}",
                    plain_cut(&s.platform, NAME_CHARS),
                    plain_cut(&s.account, NAME_CHARS),
                    plain_cut(&s.metric, NAME_CHARS)
                ),
                one_decimal(s.value),
                s.change
                    .map(deskpulse_digest::format::signed)
                    .unwrap_or_default(),
                plain_cut(&s.trend, deskpulse_digest::TREND_PERIODS),
            )
        })
        .collect();
    let mut costs = Vec::new();
    if let Some(c) = &digest.costs {
        if let Some((v, cur)) = &c.per_ticket {
            costs.push(format!(
                "Cost per ticket: {}",
                deskpulse_digest::format::money(*v, &plain_cut(cur, NAME_CHARS))
            ));
        }
        if let Some(x) = c.ratio {
            let mut line = format!("Cost ratio: {}", percent(x));
            if let Some(t) = &c.ratio_target {
                line.push_str(&format!(" (target {}: {})", t.text, t.status.label()));
            }
            costs.push(line);
        }
    }
    TeamPage {
        team: plain_cut(&team.name, NAME_CHARS),
        team_href: views::team_href(&team.name),
        period: period.to_string(),
        dates: dates(period),
        timezone: team.timezone.name().to_owned(),
        nav,
        trend_periods: trend.reports.len(),
        json_href: format!(
            "/api/teams/{}/report?period={period}",
            views::encode(&team.name)
        ),
        headline,
        trends,
        attention: digest
            .attention
            .iter()
            .map(|a| plain_cut(&a.message, LINE_CHARS))
            .collect(),
        suggestions: digest
            .suggestions
            .iter()
            .map(|s| plain_cut(s, LINE_CHARS))
            .collect(),
        forecast: digest.forecast.as_ref().map(|f| f.summary()),
        kpis: kpis::rows(r, &digest),
        channels,
        days,
        tags,
        agents,
        reviews,
        comments: digest.comments.iter().map(quote).collect(),
        social,
        public_response: digest
            .public_response
            .iter()
            .map(|p| format!("{}: {}", plain_cut(&p.platform, NAME_CHARS), p.detail()))
            .collect(),
        costs,
        freshness,
    }
}

/// The base of every link of a team's page (period and trend length).
pub(crate) fn team_link(team: &str) -> impl Fn(PeriodSpec, usize) -> String + '_ {
    move |p, t| period_href(team, p, t)
}
