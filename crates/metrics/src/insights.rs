//! What the numbers mean: target status, trends and anomalies, a volume forecast with a
//! staffing hint, and a rule table that turns misses into suggested actions.
//!
//! Targets and target-only suggestions come with every report ([`compute_report`]); trends,
//! forecast and the trend-based suggestions need the previous periods' reports and are
//! added by [`attach_history`].
//!
//! This module is the only judge of a report: the digest renders what it decided (target
//! status, anomaly flags, trailing means, suggestions) and decides nothing of its own, so
//! `report --format json` and the digest can never disagree.
//!
//! [`compute_report`]: crate::compute_report

use serde::{Deserialize, Serialize};

use crate::input::{Targets, TeamConfig};
use crate::report::{KpiReport, Kpis};
use crate::stats::num;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetVerdict {
    Met,
    Missed,
    /// No data to judge (n = 0, or costs not known for the whole period).
    Unknown,
}

impl TargetVerdict {
    /// As the JSON report and the digest spell it.
    pub fn label(self) -> &'static str {
        match self {
            TargetVerdict::Met => "met",
            TargetVerdict::Missed => "missed",
            TargetVerdict::Unknown => "unknown",
        }
    }
}

/// One KPI against its target. Durations compare the median (in business time when the
/// team has business hours: targets are then meant in business hours).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetCheck {
    pub kpi: String,
    #[serde(serialize_with = "num::one")]
    pub target: f64,
    /// The figure judged: for durations the business-time median when `business_time`.
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    /// `"at_most"` or `"at_least"`.
    pub direction: String,
    pub status: TargetVerdict,
    /// `value` is the business-time median (the team has business hours), not the calendar
    /// median the KPI's headline figure and its trend show: a reader that shows both must
    /// say which one was judged. Absent (false) for a team without business hours.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub business_time: bool,
}

/// Each KPI with a target against it. Public through [`judge`] only.
fn target_status(targets: &Targets, k: &Kpis) -> Vec<TargetCheck> {
    let frt = k
        .first_response_time
        .business
        .as_ref()
        .map_or((&k.first_response_time.stats, false), |b| (b, true));
    let res = k
        .resolution_time
        .business
        .as_ref()
        .map_or((&k.resolution_time.stats, false), |b| (b, true));
    let row = |kpi: &str, target: f64, value: Option<f64>, at_most: bool, business_time| {
        let status = match value {
            None => TargetVerdict::Unknown,
            Some(v) if (at_most && v <= target) || (!at_most && v >= target) => TargetVerdict::Met,
            Some(_) => TargetVerdict::Missed,
        };
        TargetCheck {
            kpi: kpi.to_owned(),
            target,
            value,
            direction: if at_most { "at_most" } else { "at_least" }.to_owned(),
            status,
            business_time,
        }
    };
    let mut rows = vec![
        row(
            "first_response_time",
            targets.first_response_seconds as f64,
            frt.0.median_seconds,
            true,
            frt.1,
        ),
        row(
            "resolution_time",
            targets.resolution_seconds as f64,
            res.0.median_seconds,
            true,
            res.1,
        ),
        row("csat", targets.csat, k.csat.value, false, false),
        row(
            "support_cost_ratio",
            targets.cost_ratio,
            k.support_cost_ratio.value,
            true,
            false,
        ),
    ];
    // Only for a team that received something in public: a helpdesk-only team gets no
    // "unknown" rows for channels it does not have.
    let p = &k.public_response.all;
    if p.n > 0 {
        rows.push(row(
            "public_response_rate",
            targets.social_response_rate,
            p.rate,
            false,
            false,
        ));
        rows.push(row(
            "public_response_time",
            targets.social_response_seconds as f64,
            p.median_seconds,
            true,
            false,
        ));
    }
    rows
}

/// Judges `report` against `team`'s targets: fills `targets` and `suggestions` (the trend
/// rules too when trends are attached). [`compute_report`](crate::compute_report) ends with
/// it; a report whose KPIs were put together or edited elsewhere (a stored report read back,
/// a test fixture) is judged by the same rules here, never by its reader.
pub fn judge(report: &mut KpiReport, team: &TeamConfig) {
    report.targets = target_status(&team.targets, &report.kpis);
    report.suggestions = suggest(team, report);
}

/// Whether a higher value is good news: tells a digest which way to colour a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
    /// Volume: neither good nor bad in itself.
    Neither,
}

/// The headline KPIs tracked over time, in digest order.
pub const HEADLINE: &[(&str, Better)] = &[
    ("ticket_volume", Better::Neither),
    ("solved", Better::Higher),
    ("backlog", Better::Lower),
    ("first_response_time", Better::Lower),
    ("reply_time", Better::Lower),
    ("resolution_time", Better::Lower),
    ("one_touch_resolution_rate", Better::Higher),
    ("reopen_rate", Better::Lower),
    ("csat", Better::Higher),
    ("nps", Better::Higher),
    ("ces", Better::Higher),
    ("support_cost_ratio", Better::Lower),
    ("complaints", Better::Lower),
    ("review_rating", Better::Higher),
];

/// The headline figure of a KPI: counts and rates as reported, durations by their median
/// (calendar time, so the series stays comparable if business hours change).
pub fn headline_value(k: &Kpis, kpi: &str) -> Option<f64> {
    match kpi {
        "ticket_volume" => Some(k.ticket_volume.value as f64),
        "solved" => Some(k.solved.value as f64),
        "backlog" => Some(k.backlog.value as f64),
        "first_response_time" => k.first_response_time.stats.median_seconds,
        "reply_time" => k.reply_time.stats.median_seconds,
        "resolution_time" => k.resolution_time.stats.median_seconds,
        "one_touch_resolution_rate" => k.one_touch_resolution_rate.value,
        "reopen_rate" => k.reopen_rate.value,
        "csat" => k.csat.value,
        "nps" => k.nps.value,
        "ces" => k.ces.value,
        "support_cost_ratio" => k.support_cost_ratio.value,
        "complaints" => Some(k.complaints.value as f64),
        "review_rating" => k.reviews.all.mean_rating,
        _ => None,
    }
}

/// How many previous periods the anomaly flag needs, and how far out it flags.
pub const ANOMALY_WINDOW: usize = 8;
pub const ANOMALY_SIGMAS: f64 = 3.0;
/// The trailing mean's window.
pub const TRAILING_WINDOW: usize = 4;
/// History beyond this is ignored (the sparkline shows 12 periods + the current one).
pub const MAX_HISTORY: usize = 12;

/// One KPI over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiTrend {
    pub kpi: String,
    pub better: Better,
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub previous: Option<f64>,
    /// `value − previous`.
    #[serde(serialize_with = "num::opt")]
    pub change: Option<f64>,
    /// Mean of the previous 4 periods that have a value.
    #[serde(serialize_with = "num::opt")]
    pub trailing_mean: Option<f64>,
    /// Outside the previous 8 periods' mean ± 3σ (sample σ, n − 1). `None` unless all 8
    /// previous periods have a value. When σ = 0 any other value is outside.
    pub anomaly: Option<bool>,
    /// Oldest first, the current period last: for a sparkline. `null` where no data.
    #[serde(serialize_with = "num::opt_seq")]
    pub series: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trends {
    /// Previous periods used (at most 12).
    pub periods: u64,
    pub kpis: Vec<KpiTrend>,
}

/// Trends of the headline KPIs. `history`: the previous periods' reports, most recent first
/// (at most 12 are used).
pub fn compute_trends(current: &KpiReport, history: &[KpiReport]) -> Trends {
    let history = &history[..history.len().min(MAX_HISTORY)];
    let kpis = HEADLINE
        .iter()
        .map(|&(kpi, better)| {
            let value = headline_value(&current.kpis, kpi);
            let past: Vec<Option<f64>> = history
                .iter()
                .map(|r| headline_value(&r.kpis, kpi))
                .collect();
            let previous = past.first().copied().flatten();
            let recent: Vec<f64> = past
                .iter()
                .take(TRAILING_WINDOW)
                .flatten()
                .copied()
                .collect();
            let anomaly = match (value, past.get(..ANOMALY_WINDOW)) {
                (Some(x), Some(w)) if w.iter().all(Option::is_some) => {
                    let w: Vec<f64> = w.iter().flatten().copied().collect();
                    let (mean, sd) = mean_sd(&w);
                    Some((x - mean).abs() > ANOMALY_SIGMAS * sd)
                }
                _ => None,
            };
            let mut series: Vec<Option<f64>> = past.iter().rev().copied().collect();
            series.push(value);
            KpiTrend {
                kpi: kpi.to_owned(),
                better,
                value,
                previous,
                change: value.zip(previous).map(|(v, p)| round9(v - p)),
                trailing_mean: (!recent.is_empty())
                    .then(|| round9(recent.iter().sum::<f64>() / recent.len() as f64)),
                anomaly,
                series,
            }
        })
        .collect();
    Trends {
        periods: history.len() as u64,
        kpis,
    }
}

/// Mean and sample standard deviation (n − 1; 0 for one value).
fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Hides float noise in differences (0.1 − 0.3 → −0.2).
fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// Next period's ticket volume.
///
/// Simple exponential smoothing (SES, ETS(A,N,N)): short weekly series of support volume
/// have a level that drifts but too few points (≤ 13) to estimate a trend or a yearly season
/// without overfitting. α is picked from 0.05–0.95 by the smallest one-step squared error;
/// the interval is ± z·σ of those one-step residuals (normal, 80 %), floored at 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    pub kpi: String,
    pub method: String,
    #[serde(serialize_with = "num::one")]
    pub value: f64,
    #[serde(serialize_with = "num::one")]
    pub lower: f64,
    #[serde(serialize_with = "num::one")]
    pub upper: f64,
    /// Coverage the interval aims at (0.8).
    #[serde(serialize_with = "num::one")]
    pub level: f64,
    #[serde(serialize_with = "num::one")]
    pub alpha: f64,
    /// Periods the forecast was fitted on (current included).
    pub n: u64,
    pub staffing: Option<StaffingHint>,
}

/// Agents needed next period at this period's tickets per agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffingHint {
    /// Agents who solved at least one ticket this period.
    pub agents_now: u64,
    /// Tickets created ÷ those agents.
    #[serde(serialize_with = "num::one")]
    pub tickets_per_agent: f64,
    /// ⌈forecast ÷ tickets per agent⌉, and the same for the interval's upper end.
    pub agents_needed: u64,
    pub agents_needed_upper: u64,
}

/// z of the two-sided 80 % normal interval.
const Z80: f64 = 1.281_551_565_545;
/// A forecast needs this many periods (3 residuals to estimate σ from).
pub const MIN_FORECAST_PERIODS: usize = 4;

/// One-step SES forecast of `series` (oldest first): `(forecast, σ of residuals, α)`.
pub fn ses_forecast(series: &[f64]) -> Option<(f64, f64, f64)> {
    if series.len() < MIN_FORECAST_PERIODS || series.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let run = |alpha: f64| {
        let mut level = series[0];
        let mut sse = 0.0;
        for &y in &series[1..] {
            let e = y - level;
            sse += e * e;
            level += alpha * e;
        }
        (level, sse)
    };
    let mut best: Option<(f64, f64, f64)> = None;
    for i in 1..=19 {
        let alpha = f64::from(i) * 0.05;
        let (level, sse) = run(alpha);
        if best.is_none_or(|(_, b, _)| sse < b - 1e-12) {
            best = Some((level, sse, alpha));
        }
    }
    let (level, sse, alpha) = best?;
    let sigma = (sse / (series.len() - 1) as f64).sqrt();
    Some((level, sigma, (alpha * 100.0).round() / 100.0))
}

/// The forecast of next period's volume from the current report and its history (most
/// recent first). `None` with fewer than 4 periods.
pub fn forecast_volume(current: &KpiReport, history: &[KpiReport]) -> Option<Forecast> {
    let history = &history[..history.len().min(MAX_HISTORY)];
    let mut series: Vec<f64> = history
        .iter()
        .rev()
        .map(|r| r.kpis.ticket_volume.value as f64)
        .collect();
    series.push(current.kpis.ticket_volume.value as f64);
    let (value, sigma, alpha) = ses_forecast(&series)?;
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    let (value, lower, upper) = (
        round1(value),
        round1((value - Z80 * sigma).max(0.0)),
        round1(value + Z80 * sigma),
    );
    let agents_now = current.agents.iter().filter(|a| a.solved > 0).count() as u64;
    let created = current.kpis.ticket_volume.value as f64;
    let staffing = (agents_now > 0 && created > 0.0).then(|| {
        let tpa = created / agents_now as f64;
        StaffingHint {
            agents_now,
            tickets_per_agent: round1(tpa),
            agents_needed: (value / tpa).ceil() as u64,
            agents_needed_upper: (upper / tpa).ceil() as u64,
        }
    });
    Some(Forecast {
        kpi: "ticket_volume".to_owned(),
        method: "simple exponential smoothing".to_owned(),
        value,
        lower,
        upper,
        level: 0.8,
        alpha,
        n: series.len() as u64,
        staffing,
    })
}

/// Rolling-origin back-test of the one-step SES forecast: each point from the
/// `MIN_FORECAST_PERIODS`-th on is forecast from the points before it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BacktestError {
    /// Points forecast.
    pub n: u64,
    pub mae: f64,
    /// Mean absolute percentage error, over the points that are not 0.
    pub mape: f64,
    /// Share of points inside the 80 % interval.
    pub coverage: f64,
}

pub fn backtest(series: &[f64]) -> Option<BacktestError> {
    let mut abs = Vec::new();
    let mut pct = Vec::new();
    let mut inside = 0u64;
    for i in MIN_FORECAST_PERIODS..series.len() {
        let (f, sigma, _) = ses_forecast(&series[..i])?;
        let y = series[i];
        abs.push((y - f).abs());
        if y != 0.0 {
            pct.push((y - f).abs() / y.abs());
        }
        inside += u64::from((y - f).abs() <= Z80 * sigma);
    }
    if abs.is_empty() {
        return None;
    }
    let n = abs.len() as f64;
    Some(BacktestError {
        n: abs.len() as u64,
        mae: abs.iter().sum::<f64>() / n,
        mape: if pct.is_empty() {
            0.0
        } else {
            pct.iter().sum::<f64>() / pct.len() as f64
        },
        coverage: inside as f64 / n,
    })
}

/// A suggested action: `rule` is a stable id (for tests and for muting), `message` plain
/// text (it quotes no untrusted text beyond tag names, which renderers escape like any text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub rule: String,
    pub kpi: String,
    pub message: String,
}

/// CSAT falling by this much (5 points) against the previous period is a drop.
pub const CSAT_DROP: f64 = 0.05;
/// Reopen rate rising by this much (5 points) is worth a look.
pub const REOPEN_RISE: f64 = 0.05;

/// The rule table. Each rule reads the report (and the trends when known) and says what to
/// look at; rules are independent and fire in this order:
///
/// | rule | when | suggests |
/// |---|---|---|
/// | `first_response_over_target` | FRT median misses its target | staffing at the 3 local hours with the most waiting |
/// | `tickets_waiting` | tickets created in the period still without a first reply (not solved) | answer them, oldest first: the FRT median cannot count them yet |
/// | `resolution_over_target` | resolution median misses its target | macros / canned answers for the top 3 tags |
/// | `csat_drop` / `csat_below_target` | CSAT down ≥ 5 points, or below target | read the unsatisfied ratings' comments |
/// | `cost_ratio_over_target` | cost ratio above target (10 %) | deflection for the top tags, tooling and staffing costs |
/// | `reopen_rate_up` | reopen rate up ≥ 5 points (or anomalous and up) | solve macros, confirm before solving |
/// | `volume_anomaly` | volume outside 8-period mean ± 3σ | look for an incident, release or campaign |
/// | `backlog_growing` | backlog up and fewer solved than created | (states the in/out figures) |
/// | `reviews_unanswered` | new reviews without a reply | answer them, negative first |
pub(crate) fn suggest(team: &TeamConfig, r: &KpiReport) -> Vec<Suggestion> {
    let k = &r.kpis;
    let missed = |kpi: &str| {
        r.targets
            .iter()
            .any(|t| t.kpi == kpi && t.status == TargetVerdict::Missed)
    };
    let trend = |kpi: &str| {
        r.trends
            .as_ref()
            .and_then(|t| t.kpis.iter().find(|x| x.kpi == kpi))
    };
    let mut out = Vec::new();
    let mut add = |rule: &str, kpi: &str, message: String| {
        out.push(Suggestion {
            rule: rule.to_owned(),
            kpi: kpi.to_owned(),
            message,
        });
    };
    let pct = |x: f64| format!("{:.0}%", x * 100.0);

    if missed("first_response_time") {
        let mut hours: Vec<_> = k
            .first_response_by_hour
            .iter()
            .filter(|h| h.n > 0 || h.waiting > 0)
            .collect();
        hours.sort_by(|a, b| {
            (b.total_wait_seconds, b.waiting)
                .partial_cmp(&(a.total_wait_seconds, a.waiting))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.hour.cmp(&b.hour))
        });
        let at: Vec<String> = hours
            .iter()
            .take(3)
            .map(|h| format!("{:02}:00–{:02}:00", h.hour, (h.hour + 1) % 24))
            .collect();
        let when = if at.is_empty() {
            String::new()
        } else {
            format!(
                " at {} ({}), where customers waited longest",
                at.join(", "),
                r.period.timezone
            )
        };
        add(
            "first_response_over_target",
            "first_response_time",
            format!(
                "First response is above its {} target: add staffing{when}.",
                crate::render::human(Some(team.targets.first_response_seconds as f64))
            ),
        );
    }
    // The FRT median only counts tickets that got a reply: the ones still waiting are the
    // slowest of all and invisible in it (moved here from the digest, which had it alone).
    let waiting = k.first_response_time.waiting;
    if waiting > 0 {
        add(
            "tickets_waiting",
            "first_response_time",
            format!(
                "{waiting} ticket(s) created this period still wait for a first reply: answer \
                 the oldest first (the first-response median cannot count them yet)."
            ),
        );
    }
    if missed("resolution_time") {
        let tags: Vec<&str> = k
            .resolution_by_tag
            .iter()
            .take(3)
            .map(|t| t.tag.as_str())
            .collect();
        let top = if tags.is_empty() {
            String::new()
        } else {
            format!(" for the top tags ({})", tags.join(", "))
        };
        add(
            "resolution_over_target",
            "resolution_time",
            format!(
                "Resolution is above its {} target: review macros and canned answers{top}.",
                crate::render::human(Some(team.targets.resolution_seconds as f64))
            ),
        );
    }
    let csat_drop = trend("csat")
        .and_then(|t| t.change)
        .filter(|c| *c <= -CSAT_DROP);
    if missed("csat") || csat_drop.is_some() {
        let why = match (k.csat.value, csat_drop) {
            (Some(v), Some(d)) => format!("CSAT fell {:.0} points to {}", -d * 100.0, pct(v)),
            (Some(v), None) => format!(
                "CSAT {} is below its {} target",
                pct(v),
                pct(team.targets.csat)
            ),
            _ => "CSAT is off".to_owned(),
        };
        let rule = if csat_drop.is_some() {
            "csat_drop"
        } else {
            "csat_below_target"
        };
        add(
            rule,
            "csat",
            match k.csat.unsatisfied_with_comment {
                0 => format!(
                    "{why}: no unsatisfied rating has a comment; read the tickets they rate."
                ),
                1 => format!("{why}: read the comment of the 1 unsatisfied rating that has one."),
                n => format!(
                    "{why}: read the comments of the {n} unsatisfied ratings that have one."
                ),
            },
        );
    }
    if missed("support_cost_ratio") {
        add(
            "cost_ratio_over_target",
            "support_cost_ratio",
            format!(
                "Support costs are {} of revenue (target {}): deflect repetitive questions \
                 with help-centre articles and macros for the top tags, and check tooling and \
                 staffing costs against volume.",
                k.support_cost_ratio
                    .value
                    .map_or_else(|| "–".to_owned(), pct),
                pct(team.targets.cost_ratio)
            ),
        );
    }
    if let Some(t) = trend("reopen_rate")
        && let (Some(v), Some(c)) = (t.value, t.change)
        && (c >= REOPEN_RISE || t.anomaly == Some(true) && c > 0.0)
    {
        add(
            "reopen_rate_up",
            "reopen_rate",
            format!(
                "Reopen rate rose to {}: check tickets solved too early — review solve macros \
                 and confirm with the customer before solving.",
                pct(v)
            ),
        );
    }
    if let Some(t) = trend("ticket_volume")
        && t.anomaly == Some(true)
    {
        add(
            "volume_anomaly",
            "ticket_volume",
            format!(
                "Ticket volume ({}) is outside its usual range: look for an incident, a \
                 release or a campaign behind it.",
                k.ticket_volume.value
            ),
        );
    }
    if let Some(t) = trend("backlog")
        && t.change.is_some_and(|c| c > 0.0)
        && k.solved.value < k.ticket_volume.value
    {
        add(
            "backlog_growing",
            "backlog",
            format!(
                "Backlog grew to {}: {} tickets came in and {} were solved.",
                k.backlog.value, k.ticket_volume.value, k.solved.value
            ),
        );
    }
    let unanswered = k.reviews.unanswered;
    if unanswered > 0 {
        add(
            "reviews_unanswered",
            "reviews",
            format!(
                "{unanswered} new reviews have no reply: answer them, the negative ones first."
            ),
        );
    }
    out
}

/// Adds trends, the forecast and the trend-based suggestions to `report`, from the previous
/// periods' reports (most recent first, at most 12 used).
pub fn attach_history(report: &mut KpiReport, team: &TeamConfig, history: &[KpiReport]) {
    report.trends = Some(compute_trends(report, history));
    report.forecast = forecast_volume(report, history);
    report.suggestions = suggest(team, report);
}
