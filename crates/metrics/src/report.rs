//! The KPI report of a period: DESIGN's "KPI definitions", serialized as its "Report JSON
//! contract". Keys are stable; new KPIs are new fields of [`Kpis`].

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use deskpulse_model::{Channel, Period, Rating, RatingKind};
use serde::{Deserialize, Serialize};

use crate::commerce::{
    ChurnKpi, ConvertedKpi, CostPerTicketKpi, CostRatioKpi, RetentionKpi, churn, converted, costs,
};
use crate::facts::{AgentIndex, TicketFacts, derive_facts};
use crate::hours::BusinessTime;
use crate::input::{ReportInput, SourceLimit, TeamConfig};
use crate::insights::{Forecast, Suggestion, TargetCheck, Trends, judge};
use crate::public::{
    ComplaintsKpi, ReviewsKpi, SocialKpi, complaints, period_reviews, reviews, social,
};
use crate::social::{
    PublicResponseKpi, negative_recommendations, period_interactions, public_response,
};
use crate::stats::{CalendarTime, Clock, DurationKpi, DurationStats, RateKpi, num, percentile_r7};
use crate::surveys::{CesKpi, NpsKpi, ces, nps};

/// One team's KPIs over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiReport {
    pub period: PeriodInfo,
    pub team: String,
    pub kpis: Kpis,
    pub agents: Vec<AgentKpis>,
    /// Each KPI with a target: met, missed or unknown.
    #[serde(default)]
    pub targets: Vec<TargetCheck>,
    /// Against previous periods; only after [`attach_history`](crate::attach_history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trends: Option<Trends>,
    /// Next period's volume; only after [`attach_history`](crate::attach_history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<Forecast>,
    /// What to look at, from the rule table (trend rules only after `attach_history`).
    #[serde(default)]
    pub suggestions: Vec<Suggestion>,
    /// Per source, how fresh its data is against the period; only after
    /// [`attach_freshness`](crate::attach_freshness) (empty before).
    #[serde(default)]
    pub freshness: Vec<crate::FreshnessLine>,
    /// Every source complete through the period's end; only after `attach_freshness`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_complete: Option<bool>,
    /// Periods already told whose figures changed since (the CLI attaches them: for
    /// `report`, this period; for a digest, the earlier periods it told).
    #[serde(default)]
    pub restatements: Vec<crate::Restatement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodInfo {
    /// `2026-W46` or `2026-11`.
    pub label: String,
    /// RFC 3339, UTC (`2026-11-08T23:00:00Z`).
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// IANA name of the zone the period was cut in.
    pub timezone: String,
}

/// The team's KPIs. Adding a KPI is adding a field; never rename one (tools read the keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpis {
    pub ticket_volume: VolumeKpi,
    pub solved: CountKpi,
    pub backlog: CountKpi,
    pub first_response_time: FirstResponseKpi,
    pub reply_time: DurationKpi,
    pub resolution_time: DurationKpi,
    pub first_resolution_time: DurationKpi,
    pub one_touch_resolution_rate: RateKpi,
    pub first_contact_resolution_rate: RateKpi,
    pub automated_resolution_rate: RateKpi,
    pub reopen_rate: RateKpi,
    pub csat: CsatKpi,
    // New keys below default when absent, so reports stored before them still read.
    #[serde(default)]
    pub nps: NpsKpi,
    #[serde(default)]
    pub ces: CesKpi,
    #[serde(default)]
    pub churn_rate: ChurnKpi,
    #[serde(default)]
    pub retention_rate: RetentionKpi,
    #[serde(default)]
    pub support_cost_per_ticket: CostPerTicketKpi,
    #[serde(default)]
    pub support_cost_ratio: CostRatioKpi,
    #[serde(default)]
    pub complaints: ComplaintsKpi,
    #[serde(default)]
    pub converted_tickets: ConvertedKpi,
    #[serde(default)]
    pub reviews: ReviewsKpi,
    /// One entry per (platform, account, metric) observed by the end of the period.
    #[serde(default)]
    pub social: Vec<SocialKpi>,
    /// Customer comments and mentions of the period on the team's social accounts, and the
    /// brand's answers to them.
    #[serde(default)]
    pub public_response: PublicResponseKpi,
    /// First response time by local hour of creation (0–23, all present): where waits pile up.
    #[serde(default)]
    pub first_response_by_hour: Vec<HourKpi>,
    /// The most frequent tags of the period's solved tickets, with their resolution time.
    #[serde(default)]
    pub resolution_by_tag: Vec<TagKpi>,
}

/// First responses of the tickets created in one local hour of the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourKpi {
    /// 0–23, in the period's time zone.
    pub hour: u32,
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub median_seconds: Option<f64>,
    /// Sum of the waits (seconds): what staffing at that hour would cut.
    #[serde(serialize_with = "num::one")]
    pub total_wait_seconds: f64,
    /// Unanswered tickets created in that hour.
    pub waiting: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagKpi {
    pub tag: String,
    /// Solved tickets with the tag.
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub median_resolution_seconds: Option<f64>,
}

/// How many tags [`Kpis::resolution_by_tag`] keeps.
const TOP_TAGS: usize = 10;

/// A count of tickets. `n` equals `value`: every KPI carries its sample size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountKpi {
    pub n: u64,
    pub value: u64,
}

impl CountKpi {
    fn new(value: u64) -> Self {
        CountKpi { n: value, value }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeKpi {
    pub n: u64,
    pub value: u64,
    /// Only channels that had tickets.
    pub by_channel: BTreeMap<Channel, u64>,
    /// Every local date of the period (in its time zone), zeros included, so a chart has
    /// no gaps.
    pub by_day: BTreeMap<NaiveDate, u64>,
}

/// First response time, plus the tickets created in the period that nobody has answered yet
/// (and that are not solved): they have no duration, so they are counted apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstResponseKpi {
    #[serde(flatten)]
    pub stats: DurationStats,
    pub waiting: u64,
    /// The same in business time, only when the team has business hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<DurationStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsatKpi {
    /// Responses received in the period.
    pub n: u64,
    /// Satisfied responses ÷ `n`, in [0, 1].
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    /// Mean score on a 1–5 scale over numeric (non good/bad) responses, other scales mapped
    /// linearly onto 1–5 so sources with different scales can be averaged.
    #[serde(serialize_with = "num::opt")]
    pub mean: Option<f64>,
    /// The numeric responses in five bands; `None` when there are none.
    pub distribution: Option<CsatBands>,
    /// Unsatisfied responses that carry a comment: what to read first.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unsatisfied_with_comment: u64,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

/// Counts of numeric responses by band of the scale: on 1–5 one band per score; on other
/// scales the normalized score rounded to the nearest quarter (1–7: 1 | 2–3 | 4 | 5–6 | 7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsatBands {
    pub very_positive: u64,
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
    pub very_negative: u64,
}

/// One assignee's row: the tickets they had solved in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentKpis {
    /// `"{source}:{assignee_id}"`.
    pub id: String,
    /// Untrusted display text (or the raw id when the agent is unknown): escape it.
    pub name: String,
    pub solved: u64,
    /// Over the agent's solved tickets that were inbound and answered.
    pub first_response_time: DurationStats,
    pub resolution_time: DurationStats,
    pub one_touch_resolution_rate: RateKpi,
    /// Ratings given in the period whose agent is this agent.
    pub csat: CsatKpi,
}

/// Computes the report of `period` for `team` from `input`. Pure: same input (in any order),
/// same report.
pub fn compute_report(team: &TeamConfig, period: &Period, input: &ReportInput) -> KpiReport {
    compute_reports(team, std::slice::from_ref(period), input)
        .pop()
        .expect("one report per period")
}

/// The reports of several periods from one input (a report's history): the same as
/// [`compute_report`] for each period, with the tickets derived and indexed once and each
/// period computed over only the tickets that matter to it.
pub fn compute_reports(
    team: &TeamConfig,
    periods: &[Period],
    input: &ReportInput,
) -> Vec<KpiReport> {
    let agents = AgentIndex::new(&input.agents);
    let derived: Vec<TicketFacts> = input
        .tickets
        .iter()
        .map(|t| derive_facts(t, &agents))
        .collect();
    let all: Vec<&TicketFacts> = derived.iter().chain(&input.facts).collect();
    let excluded: HashSet<(&str, &str)> = all
        .iter()
        .filter(|f| f.excluded)
        .map(|f| (f.source.as_str(), f.ticket_id.as_str()))
        .chain(
            input
                .excluded_tickets
                .iter()
                .map(|(s, t)| (s.as_str(), t.as_str())),
        )
        .collect();
    let live: Vec<&TicketFacts> = all.iter().copied().filter(|f| !f.excluded).collect();
    let one = |period: &Period| {
        let facts: Vec<&TicketFacts> = live
            .iter()
            .copied()
            .filter(|f| f.matters_to(period.start, period.end))
            .collect();
        compute_one(team, period, input, &agents, &excluded, &facts)
    };
    // Periods are independent: a history's twelve are computed on the machine's cores
    // (same results, same order; threads only when there is more than one period).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(periods.len());
    if threads <= 1 {
        return periods.iter().map(one).collect();
    }
    let per_thread = periods.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = periods
            .chunks(per_thread)
            .map(|chunk| scope.spawn(|| chunk.iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(reports) => reports,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// One period's report over `facts`: the team's non-excluded tickets that matter to it.
fn compute_one(
    team: &TeamConfig,
    period: &Period,
    input: &ReportInput,
    agents: &AgentIndex<'_>,
    excluded: &HashSet<(&str, &str)>,
    facts: &[&TicketFacts],
) -> KpiReport {
    let business = team.business_hours.as_ref().map(|hours| BusinessTime {
        hours,
        tz: period.tz,
    });
    let bots = team.count_bot_replies;
    let solved: Vec<&TicketFacts> = facts
        .iter()
        .copied()
        .filter(|f| f.final_solved_at.is_some_and(|s| period.contains(s)))
        .collect();
    // Tickets handed over with their open spans count here; those storage counted are in
    // `input.backlog`.
    let backlog = facts.iter().filter(|f| f.is_open_at(period.end)).count() as u64
        + input
            .backlog
            .iter()
            .filter(|b| b.at == period.end)
            .map(|b| b.open)
            .sum::<u64>();

    // Keyed by the source of the ticket they are about (an imported survey's ticket lives
    // in a helpdesk source), so exclusions and per-agent rows find their ticket.
    let all_ratings: Vec<(&str, &Rating)> = input
        .ratings
        .iter()
        .filter(|r| period.contains(r.rating.created_at))
        .filter(|r| {
            r.rating
                .ticket_id
                .as_deref()
                .is_none_or(|id| !excluded.contains(&(r.ticket_source(), id)))
        })
        .map(|r| (r.ticket_source(), &r.rating))
        .collect();
    let ratings: Vec<(&str, &Rating)> = all_ratings
        .iter()
        .copied()
        .filter(|(_, r)| r.kind == RatingKind::Csat)
        .collect();
    let reviews = period_reviews(period, &input.reviews);
    let interactions = period_interactions(period, &input.social_interactions);
    let created = facts
        .iter()
        .filter(|f| period.contains(f.created_at))
        .count() as u64;
    let (churn_rate, retention_rate) = churn(period, &input.subscriptions);
    let (support_cost_per_ticket, support_cost_ratio) =
        costs(period, created, &input.costs, &input.revenue);

    let targets = &team.targets;
    let kpis = Kpis {
        ticket_volume: volume(period, facts),
        solved: CountKpi::new(solved.len() as u64),
        backlog: CountKpi::new(backlog),
        first_response_time: first_response(
            facts
                .iter()
                .copied()
                .filter(|f| period.contains(f.created_at)),
            bots,
            targets.first_response_seconds,
            business,
        ),
        reply_time: DurationKpi::from_intervals(
            &facts
                .iter()
                .filter(|f| !f.outbound)
                .flat_map(|f| &f.reply_samples)
                .filter(|s| s.counts(bots) && period.contains(s.replied_at))
                .map(|s| (s.asked_at, s.replied_at))
                .collect::<Vec<_>>(),
            targets.first_response_seconds,
            business,
        ),
        resolution_time: resolution(
            &solved,
            |f| f.final_solved_at,
            targets.resolution_seconds,
            business,
        ),
        first_resolution_time: {
            let (supported, note) = supported(&solved, &input.limits, "first_resolution_time");
            DurationKpi {
                note,
                ..resolution(
                    &supported,
                    |f| f.first_solved_at,
                    targets.resolution_seconds,
                    business,
                )
            }
        },
        one_touch_resolution_rate: rate(&solved, |f| f.human_replies == 1),
        first_contact_resolution_rate: {
            let (supported, note) =
                supported(&solved, &input.limits, "first_contact_resolution_rate");
            RateKpi {
                note,
                ..rate(&supported, |f| f.human_replies == 1 && !f.reopened())
            }
        },
        automated_resolution_rate: rate(&solved, |f| {
            f.human_replies == 0 && (f.bot_replies > 0 || f.solved_by_automation)
        }),
        reopen_rate: {
            let (supported, note) = supported(&solved, &input.limits, "reopen_rate");
            RateKpi {
                note,
                ..rate(&supported, |f| f.reopened())
            }
        },
        csat: csat(ratings.iter().map(|(_, r)| *r)),
        nps: nps(all_ratings.iter().map(|(_, r)| *r)),
        ces: ces(all_ratings.iter().map(|(_, r)| *r)),
        churn_rate,
        retention_rate,
        support_cost_per_ticket,
        support_cost_ratio,
        complaints: complaints(
            period,
            facts,
            &team.complaint_tags,
            &reviews,
            negative_recommendations(&interactions),
        ),
        converted_tickets: converted(period, facts, &input.requesters, &input.orders),
        reviews: self::reviews(period, &reviews, &input.rating_snapshots),
        social: social(period, &input.social),
        public_response: public_response(&interactions, team.targets.social_response_seconds),
        first_response_by_hour: by_hour(period, facts, bots),
        resolution_by_tag: by_tag(&solved),
    };

    let mut report = KpiReport {
        targets: Vec::new(),
        trends: None,
        forecast: None,
        suggestions: Vec::new(),
        freshness: Vec::new(),
        data_complete: None,
        restatements: Vec::new(),
        period: PeriodInfo {
            label: period.label(),
            start: period.start,
            end: period.end,
            timezone: period.tz.name().to_owned(),
        },
        team: team.name.clone(),
        kpis,
        agents: per_agent(team, agents, &solved, &ratings),
    };
    judge(&mut report, team);
    report
}

fn volume(period: &Period, facts: &[&TicketFacts]) -> VolumeKpi {
    let mut by_day = BTreeMap::new();
    if period.start < period.end {
        let first = period.start.with_timezone(&period.tz).date_naive();
        let last = (period.end - Duration::nanoseconds(1))
            .with_timezone(&period.tz)
            .date_naive();
        for d in first.iter_days().take_while(|d| *d <= last) {
            by_day.insert(d, 0);
        }
    }
    let mut by_channel = BTreeMap::new();
    let mut n = 0;
    for f in facts.iter().filter(|f| period.contains(f.created_at)) {
        n += 1;
        *by_channel.entry(f.channel).or_insert(0) += 1;
        *by_day
            .entry(f.created_at.with_timezone(&period.tz).date_naive())
            .or_insert(0) += 1;
    }
    VolumeKpi {
        n,
        value: n,
        by_channel,
        by_day,
    }
}

/// Created → first response, whenever it came, over inbound tickets.
fn first_response<'a>(
    tickets: impl Iterator<Item = &'a TicketFacts>,
    bots: bool,
    target: i64,
    business: Option<BusinessTime<'_>>,
) -> FirstResponseKpi {
    let mut samples = Vec::new();
    let mut waiting = 0;
    for f in tickets.filter(|f| !f.outbound) {
        match f.first_response_at(bots) {
            Some(r) => samples.push((f.created_at, r)),
            None if !f.solved_now => waiting += 1,
            // Solved without a response (e.g. the customer wrote "never mind"): not waiting,
            // and no response time to report.
            None => {}
        }
    }
    let d = DurationKpi::from_intervals(&samples, target, business);
    FirstResponseKpi {
        stats: d.stats,
        waiting,
        business: d.business,
    }
}

fn resolution(
    solved: &[&TicketFacts],
    solve: impl Fn(&TicketFacts) -> Option<DateTime<Utc>>,
    target: i64,
    business: Option<BusinessTime<'_>>,
) -> DurationKpi {
    let samples: Vec<_> = solved
        .iter()
        .filter_map(|f| solve(f).map(|s| (f.created_at, s)))
        .collect();
    DurationKpi::from_intervals(&samples, target, business)
}

/// The tickets whose source can support `kpi`, and the note that says which sources were
/// left out and why (`None` when none were).
fn supported<'a>(
    tickets: &[&'a TicketFacts],
    limits: &[SourceLimit],
    kpi: &str,
) -> (Vec<&'a TicketFacts>, Option<String>) {
    let limited: BTreeMap<&str, &str> = limits
        .iter()
        .filter(|l| l.kpi == kpi)
        .map(|l| (l.source.as_str(), l.reason.as_str()))
        .collect();
    if limited.is_empty() {
        return (tickets.to_vec(), None);
    }
    let kept = tickets
        .iter()
        .copied()
        .filter(|f| !limited.contains_key(f.source.as_str()))
        .collect();
    let why: Vec<String> = limited
        .iter()
        .map(|(source, reason)| format!("{source}: {reason}"))
        .collect();
    let note = format!("not computed for {}", why.join("; "));
    (kept, Some(note))
}

fn rate(solved: &[&TicketFacts], hit: impl Fn(&TicketFacts) -> bool) -> RateKpi {
    let hits = solved.iter().filter(|f| hit(f)).count();
    RateKpi::new(hits as u64, solved.len() as u64)
}

/// Satisfied = at least 3/4 of the way up the scale: 4–5 of 5, "good" of good/bad.
const SATISFIED: f64 = 0.75;

fn csat<'a>(ratings: impl Iterator<Item = &'a Rating>) -> CsatKpi {
    let mut n = 0u64;
    let mut satisfied = 0u64;
    let mut numeric: Vec<f64> = Vec::new();
    let mut bands = CsatBands::default();
    let mut unsatisfied_with_comment = 0;
    for r in ratings {
        let (min, max) = (r.scale.min, r.scale.max);
        // A rating on a degenerate scale cannot be placed on it: not a response we can read.
        let readable = max > min && r.score.is_finite();
        if !readable {
            continue;
        }
        let x = ((r.score - min) / (max - min)).clamp(0.0, 1.0);
        n += 1;
        if x >= SATISFIED - 1e-9 {
            satisfied += 1;
        } else if r.comment.as_deref().is_some_and(|c| !c.trim().is_empty()) {
            unsatisfied_with_comment += 1;
        }
        if !r.scale.is_binary() {
            numeric.push(1.0 + 4.0 * x);
            let band = match (x * 4.0).round() as u8 {
                0 => &mut bands.very_negative,
                1 => &mut bands.negative,
                2 => &mut bands.neutral,
                3 => &mut bands.positive,
                _ => &mut bands.very_positive,
            };
            *band += 1;
        }
    }
    numeric.sort_by(f64::total_cmp);
    let mean = (!numeric.is_empty()).then(|| numeric.iter().sum::<f64>() / numeric.len() as f64);
    CsatKpi {
        n,
        value: RateKpi::new(satisfied, n).value,
        mean,
        distribution: (!numeric.is_empty()).then_some(bands),
        unsatisfied_with_comment,
    }
}

fn by_hour(period: &Period, facts: &[&TicketFacts], bots: bool) -> Vec<HourKpi> {
    let mut waits: Vec<Vec<f64>> = vec![Vec::new(); 24];
    let mut waiting = [0u64; 24];
    for f in facts
        .iter()
        .filter(|f| !f.outbound && period.contains(f.created_at))
    {
        let h = f.created_at.with_timezone(&period.tz).hour() as usize;
        match f.first_response_at(bots) {
            Some(r) => waits[h].push(CalendarTime.elapsed_seconds(f.created_at, r)),
            None if !f.solved_now => waiting[h] += 1,
            None => {}
        }
    }
    waits
        .into_iter()
        .enumerate()
        .map(|(h, mut w)| {
            w.sort_by(f64::total_cmp);
            HourKpi {
                hour: h as u32,
                n: w.len() as u64,
                median_seconds: percentile_r7(&w, 0.5).map(|x| (x * 1000.0).round() / 1000.0),
                total_wait_seconds: w.iter().fold(0.0, |a, x| a + x),
                waiting: waiting[h],
            }
        })
        .collect()
}

fn by_tag(solved: &[&TicketFacts]) -> Vec<TagKpi> {
    let mut by: HashMap<String, Vec<f64>> = HashMap::new();
    for f in solved {
        let Some(s) = f.final_solved_at else { continue };
        let mut tags: Vec<String> = f.tags.iter().map(|t| t.to_lowercase()).collect();
        tags.sort();
        tags.dedup();
        for t in tags {
            by.entry(t)
                .or_default()
                .push(CalendarTime.elapsed_seconds(f.created_at, s));
        }
    }
    let mut rows: Vec<TagKpi> = by
        .into_iter()
        .map(|(tag, mut xs)| {
            xs.sort_by(f64::total_cmp);
            TagKpi {
                tag,
                n: xs.len() as u64,
                median_resolution_seconds: percentile_r7(&xs, 0.5),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.tag.cmp(&b.tag)));
    rows.truncate(TOP_TAGS);
    rows
}

fn per_agent(
    team: &TeamConfig,
    agents: &AgentIndex<'_>,
    solved: &[&TicketFacts],
    ratings: &[(&str, &Rating)],
) -> Vec<AgentKpis> {
    let mut by_agent: BTreeMap<(&str, &str), Vec<&TicketFacts>> = BTreeMap::new();
    for f in solved {
        if let Some(a) = f.assignee_id.as_deref() {
            by_agent.entry((f.source.as_str(), a)).or_default().push(f);
        }
    }
    let mut ratings_of: HashMap<(&str, &str), Vec<&Rating>> = HashMap::new();
    for (source, r) in ratings {
        if let Some(a) = r.agent_id.as_deref() {
            ratings_of.entry((source, a)).or_default().push(r);
            // An answer in a period where its agent solved nothing still belongs to that
            // agent: a row with 0 solved, never an answer that the team counts and no
            // agent does.
            by_agent.entry((source, a)).or_default();
        }
    }
    let mut rows: Vec<AgentKpis> = by_agent
        .into_iter()
        .map(|((source, id), tickets)| AgentKpis {
            id: format!("{source}:{id}"),
            name: agents
                .get(source, id)
                .map_or_else(|| id.to_owned(), |a| a.name.clone()),
            solved: tickets.len() as u64,
            first_response_time: first_response(
                tickets.iter().copied(),
                team.count_bot_replies,
                team.targets.first_response_seconds,
                None,
            )
            .stats,
            resolution_time: resolution(
                &tickets,
                |f| f.final_solved_at,
                team.targets.resolution_seconds,
                None,
            )
            .stats,
            one_touch_resolution_rate: rate(&tickets, |f| f.human_replies == 1),
            csat: csat(ratings_of.get(&(source, id)).into_iter().flatten().copied()),
        })
        .collect();
    rows.sort_by(|a, b| b.solved.cmp(&a.solved).then_with(|| a.id.cmp(&b.id)));
    rows
}
