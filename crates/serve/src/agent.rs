//! One agent's page: the agent's KPIs of the period (the report's per-agent table) and their
//! trends over the same periods as the team's page.

use askama::Template;
use deskpulse_digest::Unit;
use deskpulse_digest::escape::{NAME_CHARS, plain_cut};
use deskpulse_digest::format::{duration, one_decimal, percent};
use deskpulse_metrics::{AgentKpis, DurationStats, KpiReport};
use deskpulse_model::PeriodSpec;

use crate::kpis::duration_detail;
use crate::pages::Trend;
use crate::source::TeamInfo;
use crate::svg;
use crate::views::{self, PeriodNav, dates, series};

pub(crate) struct AgentKpi {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    pub n: String,
    pub detail: String,
}

pub(crate) struct AgentChart {
    pub label: &'static str,
    pub svg: String,
}

#[derive(Template)]
#[template(path = "agent.html")]
pub(crate) struct AgentPage {
    pub team: String,
    pub team_href: String,
    pub agent: String,
    pub period: String,
    pub dates: String,
    pub nav: PeriodNav,
    /// The agent has no row in the period (no solved ticket, no rating, no reply).
    pub absent: bool,
    pub kpis: Vec<AgentKpi>,
    pub charts: Vec<AgentChart>,
}

fn find<'a>(r: &'a KpiReport, id: &str) -> Option<&'a AgentKpis> {
    r.agents.iter().find(|a| a.id == id)
}

fn duration_kpi(id: &'static str, label: &'static str, d: &DurationStats) -> AgentKpi {
    AgentKpi {
        id,
        label,
        value: d.median_seconds.map_or("no data".into(), duration),
        n: d.n.to_string(),
        detail: duration_detail(d),
    }
}

/// The agent's name as the most recent report of the trend that lists the agent gives it.
pub(crate) fn agent_name(trend: &Trend<'_>, id: &str) -> Option<String> {
    trend
        .reports
        .iter()
        .rev()
        .find_map(|r| find(r, id).map(|a| a.name.clone()))
}

pub(crate) fn agent_page(
    team: &TeamInfo,
    agent_id: &str,
    period: PeriodSpec,
    trend: &Trend<'_>,
    nav: PeriodNav,
) -> Option<AgentPage> {
    let name = agent_name(trend, agent_id)?;
    let current = trend
        .reports
        .last()
        .copied()
        .and_then(|r| find(r, agent_id));
    let kpis = match current {
        None => Vec::new(),
        Some(a) => vec![
            AgentKpi {
                id: "solved",
                label: "Tickets solved",
                value: a.solved.to_string(),
                n: a.solved.to_string(),
                detail: String::new(),
            },
            duration_kpi(
                "first_response_time",
                "First response (median)",
                &a.first_response_time,
            ),
            duration_kpi("resolution_time", "Resolution (median)", &a.resolution_time),
            AgentKpi {
                id: "one_touch_resolution_rate",
                label: "One-touch resolution",
                value: a
                    .one_touch_resolution_rate
                    .value
                    .map_or("no data".into(), percent),
                n: a.one_touch_resolution_rate.n.to_string(),
                detail: String::new(),
            },
            AgentKpi {
                id: "csat",
                label: "CSAT",
                value: a.csat.value.map_or("no data".into(), percent),
                n: a.csat.n.to_string(),
                detail: a
                    .csat
                    .mean
                    .map(|m| format!("mean {}/5", one_decimal(m)))
                    .unwrap_or_default(),
            },
        ],
    };
    let first = trend
        .reports
        .first()
        .map(|r| r.period.label.clone())
        .unwrap_or_default();
    let last = trend
        .reports
        .last()
        .map(|r| r.period.label.clone())
        .unwrap_or_default();
    type Pick = fn(&AgentKpis) -> Option<f64>;
    let specs: [(&'static str, Unit, Pick); 5] = [
        ("Tickets solved", Unit::Count, |a| Some(a.solved as f64)),
        ("First response (median)", Unit::Seconds, |a| {
            a.first_response_time.median_seconds
        }),
        ("Resolution (median)", Unit::Seconds, |a| {
            a.resolution_time.median_seconds
        }),
        ("One-touch resolution", Unit::Share, |a| {
            a.one_touch_resolution_rate.value
        }),
        ("CSAT", Unit::Share, |a| a.csat.value),
    ];
    let charts = specs
        .iter()
        .filter_map(|(label, unit, pick)| {
            let s = series(&trend.reports, |r| find(r, agent_id).and_then(pick));
            svg::trend(label, *unit, &s, None, &first, &last).map(|svg| AgentChart { label, svg })
        })
        .collect();
    Some(AgentPage {
        team: plain_cut(&team.name, NAME_CHARS),
        team_href: views::period_href(&team.name, period, views::DEFAULT_TREND),
        agent: plain_cut(&name, NAME_CHARS),
        period: period.to_string(),
        dates: dates(period),
        nav,
        absent: current.is_none(),
        kpis,
        charts,
    })
}
