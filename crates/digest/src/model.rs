//! The digest model: what a manager reads, taken from a team's [`KpiReport`], the reports
//! of the periods before it and (optionally) the period's reviews and survey answers, whose
//! texts the report does not carry. Pure: no I/O, no clock.
//!
//! **The metrics crate is the only judge.** Every verdict the digest shows — a target met,
//! missed or unknown, an anomaly, a trailing mean, a suggested action, the forecast — is read
//! from the report's typed `targets`, `trends`, `forecast` and `suggestions`
//! ([`deskpulse_metrics::judge`], [`deskpulse_metrics::attach_history`]); this crate decides
//! none of its own, so the digest and `report --format json` cannot disagree. Which way a
//! change is good news comes from [`deskpulse_metrics::HEADLINE`]. KPIs that metrics does
//! not trend (the "More KPIs" rows outside `HEADLINE`) show their value and their change
//! against the previous period's report, and no verdict. A report without trends (history
//! not attached) shows every KPI that way.
//!
//! Every string taken from the facts (team, agent names, tags, review and comment texts) is
//! kept raw here (never escaped); each renderer cuts it with [`escape::truncate`] to the
//! shared limits of [`escape`] and then escapes it for its format. Quoted texts are cut here
//! already (to [`escape::QUOTE_CHARS`]). The renderers only read [`Digest`].
//!
//! [`escape`]: crate::escape
//! [`escape::truncate`]: crate::escape::truncate
//! [`escape::QUOTE_CHARS`]: crate::escape::QUOTE_CHARS

use deskpulse_metrics::platform_label;
use deskpulse_metrics::{
    Better, DurationStats, HEADLINE, KpiReport, KpiTrend, MAX_HISTORY, TRAILING_WINDOW,
};
use deskpulse_model::{Rating, RatingKind, Review, ReviewCoverage};
use serde::Serialize;

use crate::escape::{NAME_CHARS, QUOTE_CHARS, truncate};
use crate::format;
use crate::trust::Trust;

/// How many periods a trend shows, the current one included: the metrics crate's history
/// and this period.
pub const TREND_PERIODS: usize = MAX_HISTORY + 1;
/// Quotes per list (worst reviews, unanswered reviews, survey comments).
const QUOTES: usize = 3;

/// What the digest is built from.
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    /// The period the digest is about, as the metrics crate judged it: `compute_report`,
    /// then `attach_history` with `history` (for trends, anomalies, the forecast and the
    /// trend-based suggestions).
    pub report: &'a KpiReport,
    /// Reports of the previous periods, most recent first (up to 12 are used): the period
    /// compared with, and the values and changes of the KPIs metrics does not trend.
    pub history: &'a [KpiReport],
    /// The period's reviews, for quoting the worst and the unanswered ones (may be empty).
    pub reviews: &'a [Review],
    /// The period's survey answers, for quoting comments (may be empty).
    pub ratings: &'a [Rating],
}

impl<'a> DigestInput<'a> {
    pub fn new(report: &'a KpiReport, history: &'a [KpiReport]) -> Self {
        DigestInput {
            report,
            history,
            reviews: &[],
            ratings: &[],
        }
    }
}

/// How a KPI's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Seconds,
    /// A fraction in [0, 1], shown as a percentage; changes in percentage points.
    Share,
    /// A score shown with one decimal (NPS, CES, stars).
    Score,
}

/// Which way is good: the metrics crate's [`Better`] for the KPIs it trends, `Neutral` for
/// the others (no verdict metrics did not give).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    HigherIsBetter,
    LowerIsBetter,
    Neutral,
}

impl Polarity {
    /// What [`HEADLINE`] says of `kpi`.
    fn of(kpi: &str) -> Polarity {
        match HEADLINE.iter().find(|(k, _)| *k == kpi).map(|(_, b)| b) {
            Some(Better::Higher) => Polarity::HigherIsBetter,
            Some(Better::Lower) => Polarity::LowerIsBetter,
            Some(Better::Neither) | None => Polarity::Neutral,
        }
    }
}

/// The metrics crate's verdict on a target: the digest shows it, never re-judges.
pub use deskpulse_metrics::TargetVerdict;

/// One of the report's target rows ([`deskpulse_metrics::TargetCheck`]), ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// The report key of the KPI (`first_response_time`).
    pub kpi: String,
    /// As the metrics crate judged it.
    pub status: TargetVerdict,
    /// `≤ 1h`, `≥ 90%`.
    pub text: String,
    /// The target on the KPI's scale (seconds, fraction, ...), for charts.
    pub value: f64,
    /// The figure metrics judged (`1h 30m`); `None` without data.
    pub judged: Option<String>,
    /// The figure judged is the business-time median, not the calendar one the KPI's row,
    /// change and chart show: renderers say so next to the badge.
    pub business_time: bool,
}

impl Target {
    fn from_report(t: &deskpulse_metrics::TargetCheck) -> Target {
        let unit = info(&t.kpi).unit;
        let sign = if t.direction == "at_least" {
            "≥"
        } else {
            "≤"
        };
        Target {
            kpi: t.kpi.clone(),
            status: t.status,
            text: format!("{sign} {}", format_value(unit, t.target)),
            value: t.target,
            judged: t
                .value
                .filter(|v| v.is_finite())
                .map(|v| format_value(unit, v)),
            business_time: t.business_time,
        }
    }

    /// `business hours: 45m` when the badge was judged on the business-time median.
    pub fn note(&self) -> Option<String> {
        match (&self.judged, self.business_time) {
            (Some(v), true) => Some(format!("business hours: {v}")),
            _ => None,
        }
    }
}

/// One KPI as the digest shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// The report key (`first_response_time`), stable: used for chart ids.
    pub id: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub polarity: Polarity,
    /// `None`: no data this period (shown only when the KPI has a target).
    pub value: Option<f64>,
    pub n: u64,
    /// Secondary figures, already formatted (`p90 3h · 71% within 1h`).
    pub detail: Option<String>,
    /// The previous period's value.
    pub previous: Option<f64>,
    /// `value − previous`: the metrics crate's `KpiTrend::change` when it trends the KPI.
    pub change: Option<f64>,
    /// The report's target row for this KPI.
    pub target: Option<Target>,
    /// Up to [`TREND_PERIODS`] values, oldest first, the last being this period.
    pub series: Vec<Option<f64>>,
    /// The metrics crate's anomaly flag (`KpiTrend::anomaly`): `None` where it could not
    /// tell or does not trend the KPI.
    pub anomaly: Option<bool>,
    /// The metrics crate's trailing mean (`KpiTrend::trailing_mean`).
    pub trailing_mean: Option<f64>,
}

impl Kpi {
    pub fn change(&self) -> Option<f64> {
        self.change
    }

    pub fn value_text(&self) -> String {
        self.value
            .map_or_else(|| "no data".to_owned(), |v| format_value(self.unit, v))
    }

    /// `▲ +12 (+9.2%)`, `▼ −3.1 pp`, `= 0`; `None` without a previous value.
    pub fn change_text(&self) -> Option<String> {
        let (d, p) = (self.change?, self.previous?);
        let arrow = self.arrow()?;
        let rel = (p.abs() > f64::EPSILON).then(|| d / p.abs());
        let body = match self.unit {
            Unit::Count => with_rel(format::signed_count(d), rel),
            Unit::Seconds => {
                let abs = if d >= 0.0 {
                    format!("+{}", format::duration(d))
                } else {
                    format::duration(d)
                };
                with_rel(abs, rel)
            }
            Unit::Share => format!("{} pp", format::signed(d * 100.0)),
            Unit::Score => format::signed(d),
        };
        Some(format!("{arrow} {body}"))
    }

    /// `▲`, `▼` or `=`.
    pub fn arrow(&self) -> Option<&'static str> {
        let d = self.change()?;
        Some(if d > 1e-9 {
            "▲"
        } else if d < -1e-9 {
            "▼"
        } else {
            "="
        })
    }

    /// Whether the change is good news (`None`: no change, or no direction is better).
    pub fn change_is_good(&self) -> Option<bool> {
        let d = self.change()?;
        if d.abs() <= 1e-9 {
            return None;
        }
        match self.polarity {
            Polarity::HigherIsBetter => Some(d > 0.0),
            Polarity::LowerIsBetter => Some(d < 0.0),
            Polarity::Neutral => None,
        }
    }

    pub fn sparkline(&self) -> String {
        format::sparkline(&self.series)
    }
}

fn with_rel(abs: String, rel: Option<f64>) -> String {
    match rel {
        Some(r) => format!("{abs} ({}%)", format::signed(r * 100.0)),
        None => abs,
    }
}

pub fn format_value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Count => format!("{}", v.round() as i64),
        Unit::Seconds => format::duration(v),
        Unit::Share => format::percent(v),
        Unit::Score => format::one_decimal(v),
    }
}

/// Something off: a target metrics found missed, or a value it flagged as unusual.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attention {
    pub kpi: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentRow {
    /// Untrusted.
    pub name: String,
    pub solved: u64,
    pub first_response_median: Option<f64>,
    pub resolution_median: Option<f64>,
    pub one_touch: Option<f64>,
    pub csat: Option<f64>,
    pub csat_n: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRow {
    pub channel: String,
    pub tickets: u64,
    pub share: f64,
}

/// A quoted text: a review or a survey comment. `text` and `author` are untrusted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// `trustpilot`, `CSAT`, ...
    pub source: String,
    /// `2/5`.
    pub score: String,
    pub text: String,
    pub author: Option<String>,
    pub answered: bool,
}

/// One review platform's line: the period's new reviews and the platform's own overall
/// figures, with what the connector can read of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformRow {
    pub platform: String,
    pub new: u64,
    pub mean_rating: Option<f64>,
    pub share_answered: Option<f64>,
    pub overall_rating: Option<f64>,
    pub overall_change: Option<f64>,
    pub total_reviews: Option<u64>,
    pub coverage: Option<ReviewCoverage>,
}

impl PlatformRow {
    /// Everything after the platform's name, the same in every format: numbers and fixed
    /// words only (the name is the one untrusted part, escaped by each format). A sampled
    /// platform's mean is called the sample's, so it is never read as the business's rating.
    pub fn detail(&self) -> String {
        let sampled = self.coverage == Some(ReviewCoverage::AggregateSample);
        let mut out = match (sampled, self.new) {
            (true, 0) => "no new review in the sample".to_owned(),
            (true, n) => format!("{n} in the sample"),
            (false, n) => format!("{n} new"),
        };
        if let Some(m) = self.mean_rating {
            let what = if sampled { "sample mean" } else { "mean" };
            out.push_str(&format!(", {what} {}/5", format::one_decimal(m)));
        }
        if let Some(s) = self.share_answered {
            out.push_str(&format!(", {} answered", format::percent(s)));
        }
        if let Some(o) = self.overall_rating {
            out.push_str(&format!(" · overall {}/5", format::one_decimal(o)));
            if let Some(c) = self.overall_change.filter(|c| c.abs() >= 0.05) {
                out.push_str(&format!(" ({})", format::signed(c)));
            }
            if let Some(t) = self.total_reviews {
                out.push_str(&format!(" from {t} reviews"));
            }
        }
        out.push_str(match self.coverage {
            Some(ReviewCoverage::RecentWindow) => " · the API shows recent reviews only",
            Some(ReviewCoverage::AggregateSample) => {
                " · the API shows overall figures and a few reviews only"
            }
            _ => "",
        });
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewsSection {
    pub new: u64,
    pub mean_rating: Option<f64>,
    pub share_negative: Option<f64>,
    pub share_answered: Option<f64>,
    pub unanswered: u64,
    pub by_platform: Vec<PlatformRow>,
    /// The lowest-rated reviews of the period (≤ 2 stars).
    pub worst: Vec<Quote>,
    /// Reviews still without a reply (not already in `worst`).
    pub unanswered_quotes: Vec<Quote>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SocialRow {
    pub platform: String,
    pub account: String,
    pub metric: String,
    pub value: f64,
    pub change: Option<f64>,
    /// The counter over the history's periods and this one, as a text sparkline (empty
    /// with fewer than two values; renderers still escape and cut it to [`TREND_CHARS`]).
    pub trend: String,
}

/// The longest sparkline a renderer shows: one block per period of [`TREND_PERIODS`].
pub const TREND_CHARS: usize = TREND_PERIODS;

/// How a platform's customers were answered in public (from `kpis.public_response`):
/// numbers and fixed words only, the platform by its known name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseRow {
    pub platform: String,
    pub received: u64,
    pub rate: Option<f64>,
    pub median_seconds: Option<f64>,
}

impl ResponseRow {
    /// `X: 30 comments and mentions, 67% answered, median reply 1h 07m`.
    pub fn detail(&self) -> String {
        let mut out = format!("{} comments and mentions", self.received);
        if let Some(r) = self.rate {
            out.push_str(&format!(", {} answered", format::percent(r)));
        }
        if let Some(m) = self.median_seconds {
            out.push_str(&format!(", median reply {}", format::duration(m)));
        }
        out
    }
}

/// Next period's ticket volume (from the metrics crate's `forecast`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastSection {
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
    /// Coverage of the interval (0.8).
    pub level: f64,
    /// (agents this period, agents needed, agents needed at the upper end).
    pub staffing: Option<(u64, u64, u64)>,
}

impl ForecastSection {
    /// One sentence, the same in every format.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "Next period: about {} tickets ({}% interval {}–{}).",
            self.value.round(),
            format::one_decimal(self.level * 100.0),
            self.lower.round(),
            self.upper.round()
        );
        if let Some((now, needed, upper)) = self.staffing {
            s.push_str(&format!(
                " At this period's pace that needs {needed} agent(s), {upper} at the upper end ({now} agent(s) solved tickets this period)."
            ));
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostsSection {
    /// (value, currency).
    pub per_ticket: Option<(f64, String)>,
    pub ratio: Option<f64>,
    pub ratio_target: Option<Target>,
}

/// The whole digest. A section with no data is empty (`Vec`) or `None` and renderers leave
/// it out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    /// Untrusted (from the config, but shown everywhere).
    pub team: String,
    pub period_label: String,
    /// Local dates, first and last day: `2026-11-09`, `2026-11-15`.
    pub period_dates: (String, String),
    pub timezone: String,
    pub previous_label: Option<String>,
    /// Every target row of the report, in its order, as the metrics crate judged it (the
    /// headline rows and the costs section show theirs; the subject counts the misses).
    pub targets: Vec<Target>,
    /// Headline KPIs, each with a trend chart in the HTML e-mail.
    pub headline: Vec<Kpi>,
    /// Further KPIs with data (rates, NPS, CES, churn, ...).
    pub more: Vec<Kpi>,
    pub attention: Vec<Attention>,
    /// The report's suggestions (`Suggestion::message`), in its order. Untrusted parts
    /// (tags) inside: escape like any text.
    pub suggestions: Vec<String>,
    pub agents: Vec<AgentRow>,
    pub channels: Vec<ChannelRow>,
    pub reviews: Option<ReviewsSection>,
    pub comments: Vec<Quote>,
    pub social: Vec<SocialRow>,
    /// Public response per platform (the totals and their targets are under "More KPIs").
    pub public_response: Vec<ResponseRow>,
    pub costs: Option<CostsSection>,
    pub forecast: Option<ForecastSection>,
    /// Sources whose numbers agree poorly with the vendor's own per-ticket figures
    /// (`deskpulse reconcile`), shown under "More KPIs". The caller fills it.
    pub vendor_checks: Vec<VendorCheck>,
    /// How fresh and how final the numbers are (the header's data line, the banner of an
    /// incomplete period, restatements); empty without freshness attached.
    pub trust: Trust,
}

/// Agreement with the vendor's own figures on a KPI below [`VendorCheck::THRESHOLD`], and
/// the main reason the numbers differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VendorCheck {
    /// The source's name (from the config: untrusted like any text).
    pub source: String,
    /// `first response`, `resolution`.
    pub kpi: &'static str,
    /// Share of the tickets on which both agree, in [0, 1].
    pub share: f64,
    pub tickets: u64,
    /// The most frequent reason, in words (`bot or automation replies`).
    pub reason: String,
}

impl VendorCheck {
    /// Below this agreement a source gets a line.
    pub const THRESHOLD: f64 = 0.9;

    /// `zendesk-main: first response agrees with the vendor's own figures on 72% of 40
    /// tickets — mostly bot or automation replies (deskpulse reconcile)`.
    pub fn line(&self) -> String {
        format!(
            "{}: {} agrees with the vendor's own figures on {} of {} tickets — mostly {} (see deskpulse reconcile)",
            truncate(&self.source, NAME_CHARS),
            self.kpi,
            format::percent(self.share),
            self.tickets,
            truncate(&self.reason, NAME_CHARS * 2)
        )
    }
}

impl Digest {
    pub fn build(input: &DigestInput<'_>) -> Digest {
        let r = input.report;
        let history = &input.history[..input.history.len().min(MAX_HISTORY)];
        let trends: &[KpiTrend] = r.trends.as_ref().map_or(&[], |t| &t.kpis);
        let targets: Vec<Target> = r.targets.iter().map(Target::from_report).collect();
        let row = |s: &Spec| kpi(s, r, history, trends, &targets);
        let headline: Vec<Kpi> = headline_specs().iter().filter_map(row).collect();
        let more: Vec<Kpi> = more_specs().iter().filter_map(row).collect();
        Digest {
            team: r.team.clone(),
            period_label: r.period.label.clone(),
            period_dates: period_dates(r),
            timezone: r.period.timezone.clone(),
            previous_label: history.first().map(|h| h.period.label.clone()),
            attention: attention(&targets, trends, r),
            costs: costs(r, &targets),
            targets,
            headline,
            more,
            suggestions: r.suggestions.iter().map(|s| s.message.clone()).collect(),
            agents: agents(r),
            channels: channels(r),
            reviews: reviews(r, input.reviews),
            comments: comments(input.ratings),
            social: social(r, history),
            public_response: public_response(r),
            forecast: forecast(r),
            vendor_checks: Vec::new(),
            trust: Trust::from_report(r),
        }
    }

    /// The KPI with report key `id`, headline or not.
    pub fn kpi(&self, id: &str) -> Option<&Kpi> {
        self.headline.iter().chain(&self.more).find(|k| k.id == id)
    }

    /// The targets the metrics crate found missed.
    pub fn missed_targets(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.status == TargetVerdict::Missed)
            .count()
    }

    /// `deskpulse digest — support — 2026-W46`: the e-mail subject and every format's
    /// title, so the team name is cut here like everywhere else.
    pub fn title(&self) -> String {
        format!(
            "deskpulse digest — {} — {}",
            truncate(&self.team, NAME_CHARS),
            truncate(&self.period_label, NAME_CHARS)
        )
    }
}

/// Sources failing for over a day, the report's missed targets, then the KPIs it flagged as
/// unusual: its verdicts in words.
fn attention(targets: &[Target], trends: &[KpiTrend], r: &KpiReport) -> Vec<Attention> {
    let mut out = crate::trust::failing(r);
    let overdue = r.kpis.reviews.unanswered_negative_overdue;
    if overdue > 0 {
        let hours = deskpulse_metrics::REPLY_OVERDUE_HOURS;
        let message = if overdue == 1 {
            format!("1 negative review of the period has waited more than {hours} h for a reply")
        } else {
            format!(
                "{overdue} negative reviews of the period have waited more than {hours} h for a reply"
            )
        };
        out.push(Attention {
            kpi: "reviews",
            message,
        });
    }
    for t in targets.iter().filter(|t| t.status == TargetVerdict::Missed) {
        let i = info(&t.kpi);
        let clock = if t.business_time {
            " in business hours"
        } else {
            ""
        };
        out.push(Attention {
            kpi: i.id,
            message: format!(
                "{} is {}{clock} (target {})",
                i.label(&t.kpi),
                t.judged.as_deref().unwrap_or("no data"),
                t.text
            ),
        });
    }
    for t in trends.iter().filter(|t| t.anomaly == Some(true)) {
        let i = info(&t.kpi);
        let value = t
            .value
            .map_or_else(|| "no data".to_owned(), |v| format_value(i.unit, v));
        let message = match t.trailing_mean {
            Some(m) => format!(
                "{} is unusual: {value} against {} on average over the previous {TRAILING_WINDOW} periods",
                i.label(&t.kpi),
                format_value(i.unit, m)
            ),
            None => format!(
                "{} is unusual: {value}, outside its usual range",
                i.label(&t.kpi)
            ),
        };
        out.push(Attention { kpi: i.id, message });
    }
    out
}

fn forecast(r: &KpiReport) -> Option<ForecastSection> {
    let f = r.forecast.as_ref().filter(|f| f.kpi == "ticket_volume")?;
    [f.value, f.lower, f.upper, f.level]
        .iter()
        .all(|v| v.is_finite())
        .then(|| ForecastSection {
            value: f.value,
            lower: f.lower,
            upper: f.upper,
            level: f.level,
            staffing: f
                .staffing
                .as_ref()
                .map(|s| (s.agents_now, s.agents_needed, s.agents_needed_upper)),
        })
}

fn period_dates(r: &KpiReport) -> (String, String) {
    // `by_day` has every local date of the period: its first and last keys are the dates.
    let days = &r.kpis.ticket_volume.by_day;
    match (days.keys().next(), days.keys().next_back()) {
        (Some(a), Some(b)) => (a.to_string(), b.to_string()),
        _ => (
            r.period.start.date_naive().to_string(),
            (r.period.end - chrono::Duration::seconds(1))
                .date_naive()
                .to_string(),
        ),
    }
}

type Extract = fn(&KpiReport) -> (Option<f64>, u64, Option<String>);

struct Spec {
    id: &'static str,
    label: &'static str,
    unit: Unit,
    extract: Extract,
}

/// How the digest names and formats a KPI of the report.
#[derive(Clone, Copy)]
struct Info {
    /// `"other"` for a KPI this crate does not know (one the metrics crate added later).
    id: &'static str,
    label: Option<&'static str>,
    unit: Unit,
}

impl Info {
    fn label(&self, kpi: &str) -> String {
        self.label
            .map_or_else(|| kpi.replace('_', " "), str::to_owned)
    }
}

/// KPIs with a target or a trend that have no row of their own here.
const OTHER_KPIS: &[(&str, &str, Unit)] = &[
    ("support_cost_ratio", "Support cost ratio", Unit::Share),
    ("review_rating", "Review rating", Unit::Score),
];

fn info(kpi: &str) -> Info {
    headline_specs()
        .iter()
        .chain(&more_specs())
        .find(|s| s.id == kpi)
        .map(|s| (s.id, s.label, s.unit))
        .or_else(|| OTHER_KPIS.iter().copied().find(|(id, _, _)| *id == kpi))
        .map_or(
            Info {
                id: "other",
                label: None,
                unit: Unit::Score,
            },
            |(id, label, unit)| Info {
                id,
                label: Some(label),
                unit,
            },
        )
}

fn headline_specs() -> Vec<Spec> {
    vec![
        Spec {
            id: "ticket_volume",
            label: "Tickets created",
            unit: Unit::Count,
            extract: |r| {
                let v = &r.kpis.ticket_volume;
                (Some(v.value as f64), v.n, None)
            },
        },
        Spec {
            id: "solved",
            label: "Tickets solved",
            unit: Unit::Count,
            extract: |r| (Some(r.kpis.solved.value as f64), r.kpis.solved.n, None),
        },
        Spec {
            id: "backlog",
            label: "Backlog at end",
            unit: Unit::Count,
            extract: |r| (Some(r.kpis.backlog.value as f64), r.kpis.backlog.n, None),
        },
        Spec {
            id: "first_response_time",
            label: "First response (median)",
            unit: Unit::Seconds,
            extract: |r| {
                let k = &r.kpis.first_response_time;
                let mut detail = duration_detail(&k.stats, k.business.as_ref());
                if k.waiting > 0 {
                    detail = Some(format!(
                        "{} · {} still waiting",
                        detail.unwrap_or_default(),
                        k.waiting
                    ));
                }
                (k.stats.median_seconds, k.stats.n, detail)
            },
        },
        Spec {
            id: "resolution_time",
            label: "Resolution (median)",
            unit: Unit::Seconds,
            extract: |r| {
                let k = &r.kpis.resolution_time;
                (
                    k.stats.median_seconds,
                    k.stats.n,
                    duration_detail(&k.stats, k.business.as_ref()),
                )
            },
        },
        Spec {
            id: "csat",
            label: "CSAT",
            unit: Unit::Share,
            extract: |r| {
                let c = &r.kpis.csat;
                let mut parts = Vec::new();
                if let Some(m) = c.mean {
                    parts.push(format!("mean {}/5", format::one_decimal(m)));
                }
                parts.push(format!("{} responses", c.n));
                (c.value, c.n, Some(parts.join(" · ")))
            },
        },
    ]
}

/// Duration details: p90, the share within target and n, then the business-time median
/// when the team has business hours (what its duration targets are judged on).
fn duration_detail(d: &DurationStats, business: Option<&DurationStats>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(p90) = d.p90_seconds {
        parts.push(format!("p90 {}", format::duration(p90)));
    }
    if let Some(w) = d.within_target {
        parts.push(format!("{} within target", format::percent(w)));
    }
    parts.push(format!("n = {}", d.n));
    if let Some(m) = business.and_then(|b| b.median_seconds) {
        let mut s = format!("business hours: median {}", format::duration(m));
        if let Some(w) = business.and_then(|b| b.within_target) {
            s.push_str(&format!(", {} within target", format::percent(w)));
        }
        parts.push(s);
    }
    Some(parts.join(" · "))
}

fn more_specs() -> Vec<Spec> {
    fn rate(k: &deskpulse_metrics::RateKpi) -> (Option<f64>, u64, Option<String>) {
        (k.value, k.n, None)
    }
    vec![
        Spec {
            id: "one_touch_resolution_rate",
            label: "One-touch resolution",
            unit: Unit::Share,
            extract: |r| rate(&r.kpis.one_touch_resolution_rate),
        },
        Spec {
            id: "first_contact_resolution_rate",
            label: "First contact resolution",
            unit: Unit::Share,
            extract: |r| rate(&r.kpis.first_contact_resolution_rate),
        },
        Spec {
            id: "automated_resolution_rate",
            label: "Automated resolution",
            unit: Unit::Share,
            extract: |r| rate(&r.kpis.automated_resolution_rate),
        },
        Spec {
            id: "reopen_rate",
            label: "Reopen rate",
            unit: Unit::Share,
            extract: |r| rate(&r.kpis.reopen_rate),
        },
        Spec {
            id: "reply_time",
            label: "Reply time (median)",
            unit: Unit::Seconds,
            extract: |r| {
                let k = &r.kpis.reply_time.stats;
                (k.median_seconds, k.n, None)
            },
        },
        Spec {
            id: "nps",
            label: "NPS",
            unit: Unit::Score,
            extract: |r| (r.kpis.nps.value, r.kpis.nps.n, None),
        },
        Spec {
            id: "ces",
            label: "CES (mean)",
            unit: Unit::Score,
            extract: |r| (r.kpis.ces.value, r.kpis.ces.n, None),
        },
        Spec {
            id: "churn_rate",
            label: "Churn rate",
            unit: Unit::Share,
            extract: |r| (r.kpis.churn_rate.value, r.kpis.churn_rate.n, None),
        },
        Spec {
            id: "public_response_rate",
            label: "Public response rate",
            unit: Unit::Share,
            extract: |r| {
                let p = &r.kpis.public_response.all;
                (p.rate, p.n, None)
            },
        },
        Spec {
            id: "public_response_time",
            label: "Public response time (median)",
            unit: Unit::Seconds,
            extract: |r| {
                let p = &r.kpis.public_response.all;
                (p.median_seconds, p.answered, None)
            },
        },
        Spec {
            id: "complaints",
            label: "Complaints",
            unit: Unit::Count,
            extract: |r| {
                let c = &r.kpis.complaints;
                // Zero complaints with nothing that could complain is "no data", not 0.
                let has = c.value > 0 || r.kpis.ticket_volume.value > 0;
                (has.then_some(c.value as f64), c.n, None)
            },
        },
    ]
}

/// A KPI's row: its value from the report, its target row, and its previous value, change,
/// series, anomaly flag and trailing mean from the report's trend when metrics trends it —
/// else value and change against the previous report, and no verdict.
fn kpi(
    spec: &Spec,
    r: &KpiReport,
    history: &[KpiReport],
    trends: &[KpiTrend],
    targets: &[Target],
) -> Option<Kpi> {
    let (value, n, detail) = (spec.extract)(r);
    let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
    let value = finite(value);
    let target = targets.iter().find(|t| t.kpi == spec.id).cloned();
    let (previous, change, series, anomaly, trailing_mean) =
        match trends.iter().find(|t| t.kpi == spec.id) {
            Some(t) => {
                let skip = t.series.len().saturating_sub(TREND_PERIODS);
                (
                    finite(t.previous),
                    finite(t.change),
                    t.series[skip..].iter().map(|v| finite(*v)).collect(),
                    t.anomaly,
                    finite(t.trailing_mean),
                )
            }
            None => {
                let past = |h: &KpiReport| finite((spec.extract)(h).0);
                let mut series: Vec<Option<f64>> = history
                    .iter()
                    .take(TREND_PERIODS - 1)
                    .rev()
                    .map(past)
                    .collect();
                series.push(value);
                let previous = history.first().and_then(past);
                let change = value.zip(previous).map(|(v, p)| v - p);
                (previous, change, series, None, None)
            }
        };
    // No data this period: shown only when it has a target and had data before (so the
    // digest says "target unknown" rather than silently dropping a KPI a manager watches).
    if value.is_none() && (target.is_none() || series.iter().all(Option::is_none)) {
        return None;
    }
    Some(Kpi {
        id: spec.id,
        label: spec.label,
        unit: spec.unit,
        polarity: Polarity::of(spec.id),
        value,
        n,
        detail: if value.is_some() { detail } else { None },
        previous,
        change,
        target,
        series,
        anomaly,
        trailing_mean,
    })
}

fn agents(r: &KpiReport) -> Vec<AgentRow> {
    r.agents
        .iter()
        .filter(|a| a.solved > 0 || a.csat.n > 0)
        .map(|a| AgentRow {
            name: a.name.clone(),
            solved: a.solved,
            first_response_median: a.first_response_time.median_seconds,
            resolution_median: a.resolution_time.median_seconds,
            one_touch: a.one_touch_resolution_rate.value,
            csat: a.csat.value,
            csat_n: a.csat.n,
        })
        .collect()
}

fn channels(r: &KpiReport) -> Vec<ChannelRow> {
    let v = &r.kpis.ticket_volume;
    let total: u64 = v.by_channel.values().sum();
    if total == 0 {
        return Vec::new();
    }
    let mut rows: Vec<ChannelRow> = v
        .by_channel
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| ChannelRow {
            channel: c.as_str().to_owned(),
            tickets: *n,
            share: *n as f64 / total as f64,
        })
        .collect();
    rows.sort_by(|a, b| b.tickets.cmp(&a.tickets).then(a.channel.cmp(&b.channel)));
    rows
}

fn review_quote(r: &Review) -> Quote {
    let text = match (&r.title, &r.text) {
        (Some(t), Some(x)) if !t.trim().is_empty() => format!("{}: {}", t.trim(), x.trim()),
        (Some(t), _) => t.trim().to_owned(),
        (None, Some(x)) => x.trim().to_owned(),
        (None, None) => String::new(),
    };
    Quote {
        source: platform_label(&r.platform).to_owned(),
        score: format!("{}/5", format::one_decimal(r.rating)),
        text: truncate(&text, QUOTE_CHARS),
        author: r.author_name.clone(),
        answered: r.replied_at.is_some() || r.reply_text.is_some(),
    }
}

fn reviews(r: &KpiReport, texts: &[Review]) -> Option<ReviewsSection> {
    let k = &r.kpis.reviews;
    if k.all.n == 0 && texts.is_empty() && k.by_platform.is_empty() {
        return None;
    }
    let mut sorted: Vec<&Review> = texts.iter().filter(|r| r.rating.is_finite()).collect();
    sorted.sort_by(|a, b| {
        a.rating
            .total_cmp(&b.rating)
            .then(b.created_at.cmp(&a.created_at))
            .then(a.external_id.cmp(&b.external_id))
    });
    let worst: Vec<&Review> = sorted
        .iter()
        .copied()
        .filter(|r| r.rating <= deskpulse_metrics::NEGATIVE_REVIEW)
        .take(QUOTES)
        .collect();
    let is_answered = |r: &Review| r.replied_at.is_some() || r.reply_text.is_some();
    let unanswered_quotes = sorted
        .iter()
        .copied()
        .filter(|r| !is_answered(r) && !worst.iter().any(|w| std::ptr::eq(*w, *r)))
        .take(QUOTES)
        .map(review_quote)
        .collect();
    let unanswered = if k.all.n > 0 {
        k.unanswered
    } else {
        texts.iter().filter(|r| !is_answered(r)).count() as u64
    };
    Some(ReviewsSection {
        new: if k.all.n > 0 {
            k.all.n
        } else {
            texts.len() as u64
        },
        mean_rating: k.all.mean_rating,
        share_negative: k.all.share_negative,
        share_answered: k.all.share_answered,
        unanswered,
        by_platform: k
            .by_platform
            .iter()
            .filter(|(_, s)| s.n > 0 || s.overall_rating.is_some())
            .map(|(p, s)| PlatformRow {
                platform: platform_label(p).to_owned(),
                new: s.n,
                mean_rating: s.mean_rating,
                share_answered: s.share_answered,
                overall_rating: s.overall_rating,
                overall_change: s.overall_change,
                total_reviews: s.total_reviews,
                coverage: s.coverage,
            })
            .collect(),
        worst: worst.into_iter().map(review_quote).collect(),
        unanswered_quotes,
    })
}

fn comments(ratings: &[Rating]) -> Vec<Quote> {
    let mut with: Vec<(f64, &Rating)> = ratings
        .iter()
        .filter(|r| r.comment.as_deref().is_some_and(|c| !c.trim().is_empty()))
        .filter(|r| r.scale.max > r.scale.min && r.score.is_finite())
        .map(|r| ((r.score - r.scale.min) / (r.scale.max - r.scale.min), r))
        .collect();
    with.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(b.1.created_at.cmp(&a.1.created_at))
            .then(a.1.external_id.cmp(&b.1.external_id))
    });
    with.into_iter()
        .take(QUOTES)
        .map(|(_, r)| Quote {
            source: match r.kind {
                RatingKind::Csat => "CSAT",
                RatingKind::Nps => "NPS",
                RatingKind::Ces => "CES",
            }
            .to_owned(),
            score: format!(
                "{}/{}",
                format::one_decimal(r.score),
                format::one_decimal(r.scale.max)
            ),
            text: truncate(r.comment.as_deref().unwrap_or("").trim(), QUOTE_CHARS),
            author: None,
            answered: false,
        })
        .collect()
}

fn social(r: &KpiReport, history: &[KpiReport]) -> Vec<SocialRow> {
    r.kpis
        .social
        .iter()
        .filter_map(|s| {
            // Oldest first: the history is most recent first.
            let series: Vec<Option<f64>> = history
                .iter()
                .rev()
                .chain(std::iter::once(r))
                .map(|h| {
                    h.kpis
                        .social
                        .iter()
                        .find(|x| {
                            (&x.platform, &x.account, x.metric)
                                == (&s.platform, &s.account, s.metric)
                        })
                        .and_then(|x| x.value.filter(|v| v.is_finite()))
                })
                .collect();
            let points = series.iter().flatten().count();
            Some(SocialRow {
                platform: platform_label(&s.platform).to_owned(),
                account: s.account.clone(),
                metric: s.metric.as_str().to_owned(),
                value: s.value.filter(|v| v.is_finite())?,
                change: s.change.filter(|v| v.is_finite()),
                trend: if points >= 2 {
                    format::sparkline(&series)
                } else {
                    String::new()
                },
            })
        })
        .collect()
}

fn public_response(r: &KpiReport) -> Vec<ResponseRow> {
    r.kpis
        .public_response
        .by_platform
        .iter()
        .filter(|(_, p)| p.n > 0)
        .map(|(platform, p)| ResponseRow {
            platform: platform_label(platform).to_owned(),
            received: p.n,
            rate: p.rate.filter(|v| v.is_finite()),
            median_seconds: p.median_seconds.filter(|v| v.is_finite()),
        })
        .collect()
}

fn costs(r: &KpiReport, targets: &[Target]) -> Option<CostsSection> {
    let per = &r.kpis.support_cost_per_ticket;
    let per_ticket = match (per.value, &per.currency) {
        (Some(v), Some(c)) if v.is_finite() => Some((v, c.clone())),
        _ => None,
    };
    let ratio = r.kpis.support_cost_ratio.value.filter(|v| v.is_finite());
    if per_ticket.is_none() && ratio.is_none() {
        return None;
    }
    Some(CostsSection {
        per_ticket,
        ratio,
        ratio_target: ratio.and_then(|_| {
            targets
                .iter()
                .find(|t| t.kpi == "support_cost_ratio")
                .cloned()
        }),
    })
}
