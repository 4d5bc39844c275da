//! The digest model: what a manager reads, computed from a team's [`KpiReport`], the reports
//! of the periods before it, the team's [`Targets`] and (optionally) the period's reviews and
//! survey answers, whose texts the report does not carry. Pure: no I/O, no clock.
//!
//! Every string taken from the facts (team, agent names, tags, review and comment texts) is
//! kept raw here (never escaped); each renderer cuts it with [`escape::truncate`] to the
//! shared limits of [`escape`] and then escapes it for its format. Quoted texts are cut here
//! already (to [`escape::QUOTE_CHARS`]), and so are the tags the built-in suggestions name.
//!
//! [`escape`]: crate::escape
//! [`escape::truncate`]: crate::escape::truncate
//! [`escape::QUOTE_CHARS`]: crate::escape::QUOTE_CHARS
//!
//! What the metrics crate attaches to a report (its `trends`, `forecast` and `suggestions`
//! keys, after `attach_history`) is used when present — read through the report JSON
//! contract (keys are stable, Rust types may move) in [`Insights`]; without them this crate
//! falls back on its own anomaly rule ([`anomaly`]) and rule set ([`suggestions`]). The
//! renderers only read [`Digest`].

use deskpulse_metrics::{DurationStats, KpiReport, Targets};
use deskpulse_model::{Rating, RatingKind, Review};
use serde::Serialize;

use crate::escape::{NAME_CHARS, QUOTE_CHARS, truncate};
use crate::format;

/// How many periods a trend shows, the current one included.
pub const TREND_PERIODS: usize = 12;
/// Quotes per list (worst reviews, unanswered reviews, survey comments).
const QUOTES: usize = 3;

/// What the digest is built from.
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    /// The period the digest is about.
    pub report: &'a KpiReport,
    /// Reports of the previous periods, most recent first (up to 12 are used).
    pub history: &'a [KpiReport],
    pub targets: Targets,
    /// The period's reviews, for quoting the worst and the unanswered ones (may be empty).
    pub reviews: &'a [Review],
    /// The period's survey answers, for quoting comments (may be empty).
    pub ratings: &'a [Rating],
}

impl<'a> DigestInput<'a> {
    pub fn new(report: &'a KpiReport, history: &'a [KpiReport], targets: Targets) -> Self {
        DigestInput {
            report,
            history,
            targets,
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

/// Which way is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    HigherIsBetter,
    LowerIsBetter,
    Neutral,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    Met,
    Missed,
    /// The KPI has a target but no data this period.
    Unknown,
}

impl TargetStatus {
    pub fn label(self) -> &'static str {
        match self {
            TargetStatus::Met => "met",
            TargetStatus::Missed => "missed",
            TargetStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub status: TargetStatus,
    /// `≤ 1h`, `≥ 90%`.
    pub text: String,
    /// The target on the KPI's scale (seconds, fraction, ...), for charts.
    pub value: f64,
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
    pub target: Option<Target>,
    /// Up to [`TREND_PERIODS`] values, oldest first, the last being this period.
    pub series: Vec<Option<f64>>,
    /// Outside the trailing 8-period mean ± 3σ.
    pub anomaly: bool,
}

impl Kpi {
    pub fn change(&self) -> Option<f64> {
        Some(self.value? - self.previous?)
    }

    pub fn value_text(&self) -> String {
        self.value
            .map_or_else(|| "no data".to_owned(), |v| format_value(self.unit, v))
    }

    /// `▲ +12 (+9.2%)`, `▼ −3.1 pp`, `= 0`; `None` without a previous value.
    pub fn change_text(&self) -> Option<String> {
        let (v, p) = (self.value?, self.previous?);
        let d = v - p;
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

/// Something off: a missed target or an unusual value.
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformRow {
    pub platform: String,
    pub new: u64,
    pub mean_rating: Option<f64>,
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
    /// Headline KPIs, each with a trend chart in the HTML e-mail.
    pub headline: Vec<Kpi>,
    /// Further KPIs with data (rates, NPS, CES, churn, ...).
    pub more: Vec<Kpi>,
    pub attention: Vec<Attention>,
    /// Untrusted parts (tags) inside: escape like any text.
    pub suggestions: Vec<String>,
    pub agents: Vec<AgentRow>,
    pub channels: Vec<ChannelRow>,
    pub reviews: Option<ReviewsSection>,
    pub comments: Vec<Quote>,
    pub social: Vec<SocialRow>,
    pub costs: Option<CostsSection>,
    pub forecast: Option<ForecastSection>,
    /// Sources whose numbers agree poorly with the vendor's own per-ticket figures
    /// (`deskpulse reconcile`), shown under "More KPIs". The caller fills it.
    pub vendor_checks: Vec<VendorCheck>,
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
        let history = &input.history[..input.history.len().min(TREND_PERIODS)];
        let t = &input.targets;

        let headline_specs = headline_specs(t);
        let more_specs = more_specs();
        let insights = Insights::read(r);
        let with_insights = |mut k: Kpi| {
            if let Some(a) = insights.anomalies.iter().find(|(id, _)| id == k.id) {
                k.anomaly = a.1;
            }
            k
        };
        let headline: Vec<Kpi> = headline_specs
            .iter()
            .filter_map(|s| kpi(s, r, history))
            .map(with_insights)
            .collect();
        let more: Vec<Kpi> = more_specs
            .iter()
            .filter_map(|s| kpi(s, r, history))
            .map(with_insights)
            .collect();

        let mut attention = Vec::new();
        for k in headline.iter().chain(&more) {
            if let Some(Target {
                status: TargetStatus::Missed,
                text,
                ..
            }) = &k.target
            {
                attention.push(Attention {
                    kpi: k.id,
                    message: format!("{} is {} (target {text})", k.label, k.value_text()),
                });
            }
            if k.anomaly {
                attention.push(Attention {
                    kpi: k.id,
                    message: format!(
                        "{} is unusual: {} against {} on average over the previous weeks",
                        k.label,
                        k.value_text(),
                        trailing_mean(&k.series)
                            .map_or_else(String::new, |m| format_value(k.unit, m))
                    ),
                });
            }
        }

        let costs = costs(r, t);
        if let Some(Target {
            status: TargetStatus::Missed,
            text,
            ..
        }) = costs.as_ref().and_then(|c| c.ratio_target.as_ref())
        {
            attention.push(Attention {
                kpi: "support_cost_ratio",
                message: format!(
                    "Support cost ratio is {} (target {text})",
                    costs
                        .as_ref()
                        .and_then(|c| c.ratio)
                        .map_or_else(String::new, format::percent)
                ),
            });
        }

        let reviews = reviews(r, input.reviews);
        let mut digest = Digest {
            team: r.team.clone(),
            period_label: r.period.label.clone(),
            period_dates: period_dates(r),
            timezone: r.period.timezone.clone(),
            previous_label: history.first().map(|h| h.period.label.clone()),
            headline,
            more,
            attention,
            suggestions: Vec::new(),
            agents: agents(r),
            channels: channels(r),
            reviews,
            comments: comments(input.ratings),
            social: social(r),
            costs,
            forecast: insights.forecast,
            vendor_checks: Vec::new(),
        };
        digest.suggestions = if insights.suggestions.is_empty() {
            suggestions(&digest, r, history, t)
        } else {
            insights.suggestions
        };
        digest
    }

    /// The KPI with report key `id`, headline or not.
    pub fn kpi(&self, id: &str) -> Option<&Kpi> {
        self.headline.iter().chain(&self.more).find(|k| k.id == id)
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

/// The metrics crate's insights, read from the report's JSON keys (`suggestions`,
/// `forecast`, `trends.kpis[].anomaly`); empty when the report has none.
#[derive(Debug, Default)]
struct Insights {
    suggestions: Vec<String>,
    forecast: Option<ForecastSection>,
    /// (KPI id, anomaly) where the metrics crate could tell.
    anomalies: Vec<(String, bool)>,
}

impl Insights {
    fn read(r: &KpiReport) -> Insights {
        let Ok(v) = serde_json::to_value(r) else {
            return Insights::default();
        };
        let suggestions = v["suggestions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["message"].as_str())
            .filter(|m| !m.trim().is_empty())
            .map(str::to_owned)
            .collect();
        let f = &v["forecast"];
        let num = |x: &serde_json::Value| x.as_f64().filter(|v| v.is_finite());
        let forecast = (f["kpi"].as_str() == Some("ticket_volume"))
            .then(|| {
                Some(ForecastSection {
                    value: num(&f["value"])?,
                    lower: num(&f["lower"])?,
                    upper: num(&f["upper"])?,
                    level: num(&f["level"]).unwrap_or(0.8),
                    staffing: match (
                        f["staffing"]["agents_now"].as_u64(),
                        f["staffing"]["agents_needed"].as_u64(),
                        f["staffing"]["agents_needed_upper"].as_u64(),
                    ) {
                        (Some(a), Some(b), Some(c)) => Some((a, b, c)),
                        _ => None,
                    },
                })
            })
            .flatten();
        let anomalies = v["trends"]["kpis"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| Some((k["kpi"].as_str()?.to_owned(), k["anomaly"].as_bool()?)))
            .collect();
        Insights {
            suggestions,
            forecast,
            anomalies,
        }
    }
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

/// (target text, target value, is a value within target?)
type SpecTarget = (String, f64, Box<dyn Fn(f64) -> bool>);

struct Spec {
    id: &'static str,
    label: &'static str,
    unit: Unit,
    polarity: Polarity,
    extract: Extract,
    target: Option<SpecTarget>,
}

fn headline_specs(t: &Targets) -> Vec<Spec> {
    let frt = t.first_response_seconds;
    let res = t.resolution_seconds;
    let csat = t.csat;
    vec![
        Spec {
            id: "ticket_volume",
            label: "Tickets created",
            unit: Unit::Count,
            polarity: Polarity::Neutral,
            extract: |r| {
                let v = &r.kpis.ticket_volume;
                (Some(v.value as f64), v.n, None)
            },
            target: None,
        },
        Spec {
            id: "solved",
            label: "Tickets solved",
            unit: Unit::Count,
            polarity: Polarity::HigherIsBetter,
            extract: |r| (Some(r.kpis.solved.value as f64), r.kpis.solved.n, None),
            target: None,
        },
        Spec {
            id: "backlog",
            label: "Backlog at end",
            unit: Unit::Count,
            polarity: Polarity::LowerIsBetter,
            extract: |r| (Some(r.kpis.backlog.value as f64), r.kpis.backlog.n, None),
            target: None,
        },
        Spec {
            id: "first_response_time",
            label: "First response (median)",
            unit: Unit::Seconds,
            polarity: Polarity::LowerIsBetter,
            extract: |r| {
                let k = &r.kpis.first_response_time;
                let mut detail = duration_detail(&k.stats);
                if k.waiting > 0 {
                    detail = Some(format!(
                        "{} · {} still waiting",
                        detail.unwrap_or_default(),
                        k.waiting
                    ));
                }
                (k.stats.median_seconds, k.stats.n, detail)
            },
            target: Some((
                format!("≤ {}", format::duration(frt as f64)),
                frt as f64,
                Box::new(move |v| v <= frt as f64),
            )),
        },
        Spec {
            id: "resolution_time",
            label: "Resolution (median)",
            unit: Unit::Seconds,
            polarity: Polarity::LowerIsBetter,
            extract: |r| {
                let k = &r.kpis.resolution_time.stats;
                (k.median_seconds, k.n, duration_detail(k))
            },
            target: Some((
                format!("≤ {}", format::duration(res as f64)),
                res as f64,
                Box::new(move |v| v <= res as f64),
            )),
        },
        Spec {
            id: "csat",
            label: "CSAT",
            unit: Unit::Share,
            polarity: Polarity::HigherIsBetter,
            extract: |r| {
                let c = &r.kpis.csat;
                let mut parts = Vec::new();
                if let Some(m) = c.mean {
                    parts.push(format!("mean {}/5", format::one_decimal(m)));
                }
                parts.push(format!("{} responses", c.n));
                (c.value, c.n, Some(parts.join(" · ")))
            },
            target: Some((
                format!("≥ {}", format::percent(csat)),
                csat,
                Box::new(move |v| v >= csat - 1e-9),
            )),
        },
    ]
}

/// Duration details without the "within target" share (whose target the detail would have
/// to repeat): p90 and n.
fn duration_detail(d: &DurationStats) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(p90) = d.p90_seconds {
        parts.push(format!("p90 {}", format::duration(p90)));
    }
    if let Some(w) = d.within_target {
        parts.push(format!("{} within target", format::percent(w)));
    }
    parts.push(format!("n = {}", d.n));
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
            polarity: Polarity::HigherIsBetter,
            extract: |r| rate(&r.kpis.one_touch_resolution_rate),
            target: None,
        },
        Spec {
            id: "first_contact_resolution_rate",
            label: "First contact resolution",
            unit: Unit::Share,
            polarity: Polarity::HigherIsBetter,
            extract: |r| rate(&r.kpis.first_contact_resolution_rate),
            target: None,
        },
        Spec {
            id: "automated_resolution_rate",
            label: "Automated resolution",
            unit: Unit::Share,
            polarity: Polarity::Neutral,
            extract: |r| rate(&r.kpis.automated_resolution_rate),
            target: None,
        },
        Spec {
            id: "reopen_rate",
            label: "Reopen rate",
            unit: Unit::Share,
            polarity: Polarity::LowerIsBetter,
            extract: |r| rate(&r.kpis.reopen_rate),
            target: None,
        },
        Spec {
            id: "reply_time",
            label: "Reply time (median)",
            unit: Unit::Seconds,
            polarity: Polarity::LowerIsBetter,
            extract: |r| {
                let k = &r.kpis.reply_time.stats;
                (k.median_seconds, k.n, None)
            },
            target: None,
        },
        Spec {
            id: "nps",
            label: "NPS",
            unit: Unit::Score,
            polarity: Polarity::HigherIsBetter,
            extract: |r| (r.kpis.nps.value, r.kpis.nps.n, None),
            target: None,
        },
        Spec {
            id: "ces",
            label: "CES (mean)",
            unit: Unit::Score,
            polarity: Polarity::HigherIsBetter,
            extract: |r| (r.kpis.ces.value, r.kpis.ces.n, None),
            target: None,
        },
        Spec {
            id: "churn_rate",
            label: "Churn rate",
            unit: Unit::Share,
            polarity: Polarity::LowerIsBetter,
            extract: |r| (r.kpis.churn_rate.value, r.kpis.churn_rate.n, None),
            target: None,
        },
        Spec {
            id: "complaints",
            label: "Complaints",
            unit: Unit::Count,
            polarity: Polarity::LowerIsBetter,
            extract: |r| {
                let c = &r.kpis.complaints;
                // Zero complaints with nothing that could complain is "no data", not 0.
                let has = c.value > 0 || r.kpis.ticket_volume.value > 0;
                (has.then_some(c.value as f64), c.n, None)
            },
            target: None,
        },
    ]
}

fn kpi(spec: &Spec, r: &KpiReport, history: &[KpiReport]) -> Option<Kpi> {
    let (value, n, detail) = (spec.extract)(r);
    let value = value.filter(|v| v.is_finite());
    let mut series: Vec<Option<f64>> = history
        .iter()
        .take(TREND_PERIODS - 1)
        .rev()
        .map(|h| (spec.extract)(h).0.filter(|v| v.is_finite()))
        .collect();
    series.push(value);
    let target = spec.target.as_ref().map(|(text, goal, within)| Target {
        status: match value {
            Some(v) if within(v) => TargetStatus::Met,
            Some(_) => TargetStatus::Missed,
            None => TargetStatus::Unknown,
        },
        text: text.clone(),
        value: *goal,
    });
    // No data this period: shown only when it has a target and had data before (so the
    // digest says "target unknown" rather than silently dropping a KPI a manager watches).
    if value.is_none() && (target.is_none() || series.iter().all(Option::is_none)) {
        return None;
    }
    let previous = history
        .first()
        .and_then(|h| (spec.extract)(h).0)
        .filter(|v| v.is_finite());
    Some(Kpi {
        id: spec.id,
        label: spec.label,
        unit: spec.unit,
        polarity: spec.polarity,
        value,
        n,
        detail: if value.is_some() { detail } else { None },
        previous,
        target,
        anomaly: anomaly(&series),
        series,
    })
}

/// DESIGN's anomaly rule: the last value outside the trailing 8-period mean ± 3σ (sample
/// standard deviation), with at least 4 earlier values and some spread in them.
pub fn anomaly(series: &[Option<f64>]) -> bool {
    let Some((Some(last), earlier)) = series.split_last() else {
        return false;
    };
    let prev: Vec<f64> = earlier.iter().rev().take(8).flatten().copied().collect();
    if prev.len() < 4 {
        return false;
    }
    let mean = prev.iter().sum::<f64>() / prev.len() as f64;
    let var = prev.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (prev.len() - 1) as f64;
    let sd = var.sqrt();
    sd > 1e-9 && (last - mean).abs() > 3.0 * sd
}

fn trailing_mean(series: &[Option<f64>]) -> Option<f64> {
    let (_, earlier) = series.split_last()?;
    let prev: Vec<f64> = earlier.iter().rev().take(8).flatten().copied().collect();
    (!prev.is_empty()).then(|| prev.iter().sum::<f64>() / prev.len() as f64)
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
        source: r.platform.clone(),
        score: format!("{}/5", format::one_decimal(r.rating)),
        text: truncate(&text, QUOTE_CHARS),
        author: r.author_name.clone(),
        answered: r.replied_at.is_some() || r.reply_text.is_some(),
    }
}

fn reviews(r: &KpiReport, texts: &[Review]) -> Option<ReviewsSection> {
    let k = &r.kpis.reviews;
    if k.all.n == 0 && texts.is_empty() {
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
    let unanswered = match k.all.share_answered {
        Some(s) if k.all.n > 0 => (k.all.n as f64 * (1.0 - s)).round() as u64,
        _ => texts.iter().filter(|r| !is_answered(r)).count() as u64,
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
            .filter(|(_, s)| s.n > 0)
            .map(|(p, s)| PlatformRow {
                platform: p.clone(),
                new: s.n,
                mean_rating: s.mean_rating,
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

fn social(r: &KpiReport) -> Vec<SocialRow> {
    r.kpis
        .social
        .iter()
        .filter_map(|s| {
            Some(SocialRow {
                platform: s.platform.clone(),
                account: s.account.clone(),
                metric: s.metric.as_str().to_owned(),
                value: s.value.filter(|v| v.is_finite())?,
                change: s.change.filter(|v| v.is_finite()),
            })
        })
        .collect()
}

fn costs(r: &KpiReport, t: &Targets) -> Option<CostsSection> {
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
        ratio_target: ratio.map(|v| Target {
            status: if v <= t.cost_ratio + 1e-12 {
                TargetStatus::Met
            } else {
                TargetStatus::Missed
            },
            text: format!("≤ {}", format::percent(t.cost_ratio)),
            value: t.cost_ratio,
        }),
    })
}

/// The built-in rule set: what to look at, from the misses and the report's breakdowns.
fn suggestions(d: &Digest, r: &KpiReport, history: &[KpiReport], t: &Targets) -> Vec<String> {
    let missed = |id: &str| {
        d.kpi(id)
            .and_then(|k| k.target.as_ref())
            .is_some_and(|t| t.status == TargetStatus::Missed)
    };
    let mut out = Vec::new();
    if missed("first_response_time") {
        let worst = r
            .kpis
            .first_response_by_hour
            .iter()
            .filter(|h| h.n > 0 || h.waiting > 0)
            .max_by(|a, b| {
                a.total_wait_seconds
                    .total_cmp(&b.total_wait_seconds)
                    .then(b.hour.cmp(&a.hour))
            });
        match worst {
            Some(h) => out.push(format!(
                "First response is above target: waits pile up on tickets created around \
                 {:02}:00 — check staffing and auto-acknowledgements at that hour.",
                h.hour
            )),
            None => out.push(
                "First response is above target: check staffing against the hours tickets \
                 arrive."
                    .to_owned(),
            ),
        }
    }
    let waiting = r.kpis.first_response_time.waiting;
    if waiting > 0 {
        out.push(format!(
            "{waiting} ticket(s) created this period still wait for a first reply."
        ));
    }
    if missed("resolution_time") {
        let slow: Vec<String> = r
            .kpis
            .resolution_by_tag
            .iter()
            .filter(|tag| {
                tag.median_resolution_seconds
                    .is_some_and(|m| m > t.resolution_seconds as f64)
            })
            .take(3)
            .map(|tag| {
                format!(
                    "{} ({} tickets, median {})",
                    truncate(&tag.tag, NAME_CHARS),
                    tag.n,
                    format::duration(tag.median_resolution_seconds.unwrap_or_default())
                )
            })
            .collect();
        if slow.is_empty() {
            out.push(
                "Resolution is above target: review macros and canned answers for the most \
                 frequent requests."
                    .to_owned(),
            );
        } else {
            out.push(format!(
                "Resolution is above target: review macros and canned answers for the top \
                 tags: {}.",
                slow.join(", ")
            ));
        }
    }
    if missed("csat") {
        let n = r.kpis.csat.unsatisfied_with_comment;
        if n > 0 {
            out.push(format!(
                "CSAT is below target: read the {n} unsatisfied response(s) with a comment first."
            ));
        } else {
            out.push(
                "CSAT is below target: review the tickets rated unsatisfied with their agents."
                    .to_owned(),
            );
        }
    }
    if let Some(prev) = history.first() {
        let (b, pb) = (r.kpis.backlog.value, prev.kpis.backlog.value);
        let (created, solved) = (r.kpis.ticket_volume.value, r.kpis.solved.value);
        if b > pb && created > solved {
            out.push(format!(
                "Backlog grew by {} ({created} created, {solved} solved): plan time to catch up \
                 before it ages.",
                b - pb
            ));
        }
        if let (Some(now), Some(before)) = (r.kpis.reopen_rate.value, prev.kpis.reopen_rate.value)
            && now - before >= 0.05
        {
            out.push(format!(
                "Reopen rate rose to {}: check that tickets are solved, not closed early.",
                format::percent(now)
            ));
        }
    }
    if d.kpi("ticket_volume").is_some_and(|k| k.anomaly) {
        out.push(
            "Ticket volume is unusual: look for an incident, a release or a campaign behind it."
                .to_owned(),
        );
    }
    if let Some(rv) = &d.reviews
        && rv.unanswered > 0
    {
        out.push(format!(
            "Answer the {} review(s) still without a reply.",
            rv.unanswered
        ));
    }
    if d.costs
        .as_ref()
        .and_then(|c| c.ratio_target.as_ref())
        .is_some_and(|t| t.status == TargetStatus::Missed)
    {
        out.push(
            "Support cost ratio is above target: look at deflection (help centre, automation) \
             for the most frequent tags."
                .to_owned(),
        );
    }
    out
}
