//! Our KPIs next to the vendor's own, ticket by ticket (`deskpulse reconcile`).
//!
//! A helpdesk computes its own per-ticket figures (Zendesk's metric sets, Freshdesk's
//! `stats`, Intercom's conversation `statistics`), and they differ from ours where the
//! definitions differ: Zendesk counts the first public agent comment of an agent-created
//! ticket, we leave outbound tickets out; a vendor may count a trigger's reply, business
//! minutes, or the first close where we count the last. A manager who compares the two
//! numbers deserves to see why they differ, so each disagreeing ticket is put under the
//! first reason that explains it, in this order:
//!
//! | reason | the ticket … |
//! |---|---|
//! | `merged_or_deleted` | is spam, deleted or merged: we count it nowhere |
//! | `outbound` | was opened by the team: no first response or one-touch of ours |
//! | `bot_or_automation_reply` | the vendor's time is a bot or trigger reply's (or only a bot replied) |
//! | `internal_note` | the vendor's time is an internal note's |
//! | `business_vs_calendar` | one side's business time is the other's calendar time |
//! | `reopened` | was reopened (first vs last solve, replies after the reopen) |
//! | `vendor_counts_different_event` | the vendor's time is another message or status change of the ticket |
//! | `unknown` | none of the above |
//!
//! Durations agree within [`TOLERANCE_SECONDS`] (Zendesk keeps whole minutes); rates agree
//! exactly. Pure like the rest of the crate: storage hands the raw tickets and the vendor's
//! values, nothing here does I/O.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use deskpulse_model::{AuthorKind, Period, VendorMetrics};
use serde::{Deserialize, Serialize};

use crate::facts::{AgentIndex, TicketFacts, derive_facts};
use crate::hours::BusinessTime;
use crate::input::{AgentInput, TeamConfig, TicketInput};
use crate::report::PeriodInfo;
use crate::stats::{CalendarTime, Clock, num, percentile_r7};

/// Two durations closer than this agree (Zendesk's metric sets are in whole minutes).
pub const TOLERANCE_SECONDS: i64 = 60;

/// How many ticket ids each reason lists.
pub const TICKETS_PER_REASON: usize = 10;

/// Why a ticket's figures differ; see the module documentation for the order they are
/// tried in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    MergedOrDeleted,
    Outbound,
    BotOrAutomationReply,
    InternalNote,
    BusinessVsCalendar,
    Reopened,
    VendorCountsDifferentEvent,
    Unknown,
}

impl Reason {
    pub const ALL: [Reason; 8] = [
        Reason::MergedOrDeleted,
        Reason::Outbound,
        Reason::BotOrAutomationReply,
        Reason::InternalNote,
        Reason::BusinessVsCalendar,
        Reason::Reopened,
        Reason::VendorCountsDifferentEvent,
        Reason::Unknown,
    ];

    /// A few words for people (the digest, the text output).
    pub fn describe(self) -> &'static str {
        match self {
            Reason::MergedOrDeleted => "merged, deleted or spam tickets (we count them nowhere)",
            Reason::Outbound => "tickets the team opened (we leave them out)",
            Reason::BotOrAutomationReply => "bot or automation replies",
            Reason::InternalNote => "internal notes",
            Reason::BusinessVsCalendar => "business vs calendar time",
            Reason::Reopened => "reopened tickets",
            Reason::VendorCountsDifferentEvent => "the vendor counts a different event",
            Reason::Unknown => "unexplained",
        }
    }
}

/// What `deskpulse reconcile` needs for one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReconcileInput {
    pub source: String,
    /// The source's raw tickets that can matter to the period (created before its end and
    /// updated since its start), with their messages and history.
    pub tickets: Vec<TicketInput>,
    pub agents: Vec<AgentInput>,
    /// The vendor's values of those tickets (any order; tickets without are simply absent).
    pub vendor: Vec<VendorMetrics>,
    /// KPIs the vendor gives no per-ticket value for, and why (from the connector).
    pub unsupported: BTreeMap<String, String>,
}

/// One source's reconciliation over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcileReport {
    pub period: PeriodInfo,
    pub source: String,
    /// Keyed like the report's KPIs: `first_response_time`, `first_resolution_time`,
    /// `resolution_time`, `one_touch_resolution_rate`, `reopen_rate`.
    pub kpis: BTreeMap<String, KpiReconcile>,
    /// KPIs that cannot be reconciled for this source, and why.
    pub unsupported: BTreeMap<String, String>,
}

impl ReconcileReport {
    /// The most frequent reason among the disagreeing tickets of `kpi`, if any disagree.
    pub fn main_reason(&self, kpi: &str) -> Option<Reason> {
        let k = self.kpis.get(kpi)?;
        k.reasons
            .iter()
            .filter(|(_, r)| r.count > 0)
            // Most tickets first; on a tie the earlier (more specific) reason.
            .max_by(|a, b| a.1.count.cmp(&b.1.count).then(b.0.cmp(a.0)))
            .map(|(reason, _)| *reason)
    }
}

/// One KPI, ours next to the vendor's, over the same tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiReconcile {
    pub ours: Side,
    pub vendor: Side,
    /// Tickets on which both sides have a value and agree; `share` is over every ticket
    /// either side counts.
    pub agree: Agreement,
    pub reasons: BTreeMap<Reason, ReasonTickets>,
}

/// One side's figure: `median_seconds` for durations, `value` (a share) for rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub n: u64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "num::opt"
    )]
    pub median_seconds: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "num::opt"
    )]
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub share: Option<f64>,
    /// The tickets either side counts (what `share` is a share of).
    #[serde(default)]
    pub tickets: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReasonTickets {
    pub count: u64,
    /// Up to [`TICKETS_PER_REASON`] ticket ids, in id order.
    pub tickets: Vec<String>,
}

/// A ticket with what we and the vendor say about it.
struct Pair<'a> {
    input: &'a TicketInput,
    facts: TicketFacts,
    vendor: Option<&'a VendorMetrics>,
}

/// A duration KPI (agrees within the tolerance) or a rate (a yes/no per ticket, agrees
/// exactly).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Duration,
    Rate,
}

/// What one KPI reads from a ticket: each side's value (seconds, or 1/0 for a rate), and
/// whether the ticket is in the period for either side.
struct Values {
    ours: Option<f64>,
    vendor: Option<f64>,
    in_period: bool,
}

/// Computes the reconciliation of `input.source` over `period`.
pub fn reconcile(team: &TeamConfig, period: &Period, input: &ReconcileInput) -> ReconcileReport {
    let agents = AgentIndex::new(&input.agents);
    let vendor: HashMap<&str, &VendorMetrics> = input
        .vendor
        .iter()
        .map(|v| (v.ticket_id.as_str(), v))
        .collect();
    let mut pairs: Vec<Pair<'_>> = input
        .tickets
        .iter()
        .filter(|t| t.source == input.source)
        .map(|t| Pair {
            input: t,
            facts: derive_facts(t, &agents),
            vendor: vendor.get(t.ticket.external_id.as_str()).copied(),
        })
        .collect();
    pairs.sort_by(|a, b| a.facts.ticket_id.cmp(&b.facts.ticket_id));
    let business = team.business_hours.as_ref().map(|hours| BusinessTime {
        hours,
        tz: period.tz,
    });
    let ctx = Ctx {
        team,
        period,
        agents: &agents,
        business,
    };

    let secs = |from: DateTime<Utc>, to: Option<DateTime<Utc>>| {
        to.map(|t| CalendarTime.elapsed_seconds(from, t))
    };
    let vendor_at =
        |p: &Pair<'_>, s: Option<i64>| s.map(|s| p.facts.created_at + TimeDelta::seconds(s));
    let in_period = |t: Option<DateTime<Utc>>| t.is_some_and(|t| period.contains(t));
    let solved_in_period = |p: &Pair<'_>| {
        in_period(p.facts.final_solved_at)
            || in_period(vendor_at(
                p,
                p.vendor.and_then(|v| v.full_resolution.calendar_seconds),
            ))
    };

    let mut kpis = BTreeMap::new();
    kpis.insert(
        "first_response_time".to_owned(),
        one_kpi(&ctx, &pairs, Kind::Duration, Focus::FirstResponse, |p| {
            let f = &p.facts;
            Values {
                ours: if f.excluded || f.outbound {
                    None
                } else {
                    secs(f.created_at, f.first_response_at(team.count_bot_replies))
                },
                vendor: p
                    .vendor
                    .and_then(|v| v.first_response.calendar_seconds)
                    .map(|s| s as f64),
                in_period: period.contains(f.created_at),
            }
        }),
    );
    kpis.insert(
        "first_resolution_time".to_owned(),
        one_kpi(&ctx, &pairs, Kind::Duration, Focus::Solve, |p| {
            let f = &p.facts;
            let v = p.vendor.and_then(|v| v.first_resolution.calendar_seconds);
            Values {
                ours: if f.excluded {
                    None
                } else {
                    secs(f.created_at, f.first_solved_at)
                },
                vendor: v.map(|s| s as f64),
                in_period: in_period(f.first_solved_at) || in_period(vendor_at(p, v)),
            }
        }),
    );
    kpis.insert(
        "resolution_time".to_owned(),
        one_kpi(&ctx, &pairs, Kind::Duration, Focus::Solve, |p| {
            let f = &p.facts;
            Values {
                ours: if f.excluded {
                    None
                } else {
                    secs(f.created_at, f.final_solved_at)
                },
                vendor: p
                    .vendor
                    .and_then(|v| v.full_resolution.calendar_seconds)
                    .map(|s| s as f64),
                in_period: solved_in_period(p),
            }
        }),
    );
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    kpis.insert(
        "one_touch_resolution_rate".to_owned(),
        one_kpi(&ctx, &pairs, Kind::Rate, Focus::Replies, |p| {
            let f = &p.facts;
            Values {
                ours: (!f.excluded && f.solved_now).then(|| flag(f.human_replies == 1)),
                vendor: p.vendor.and_then(|v| v.replies).map(|r| flag(r == 1)),
                in_period: solved_in_period(p),
            }
        }),
    );
    kpis.insert(
        "reopen_rate".to_owned(),
        one_kpi(&ctx, &pairs, Kind::Rate, Focus::Solve, |p| {
            let f = &p.facts;
            Values {
                ours: (!f.excluded && f.solved_now).then(|| flag(f.reopens > 0)),
                vendor: p.vendor.and_then(|v| v.reopens).map(|r| flag(r > 0)),
                in_period: solved_in_period(p),
            }
        }),
    );
    // A KPI the vendor has no value for, in any ticket, cannot be reconciled.
    let mut unsupported = input.unsupported.clone();
    for (kpi, k) in &kpis {
        if k.vendor.n == 0 && k.ours.n > 0 && !unsupported.contains_key(kpi) && !pairs.is_empty() {
            let any_vendor = pairs.iter().any(|p| p.vendor.is_some());
            if !any_vendor {
                unsupported.insert(
                    kpi.clone(),
                    "no vendor values are stored for this source's tickets".to_owned(),
                );
            }
        }
    }
    // What cannot be reconciled carries no comparison: our side only, no agreement, no
    // reasons (a share of 0 would read as total disagreement).
    for (kpi, k) in kpis.iter_mut() {
        if unsupported.contains_key(kpi) {
            k.vendor = Side {
                n: 0,
                median_seconds: None,
                value: None,
            };
            k.agree = Agreement {
                n: 0,
                share: None,
                tickets: 0,
            };
            for r in k.reasons.values_mut() {
                *r = ReasonTickets::default();
            }
        }
    }
    ReconcileReport {
        period: PeriodInfo {
            label: period.label(),
            start: period.start,
            end: period.end,
            timezone: period.tz.name().to_owned(),
        },
        source: input.source.clone(),
        kpis,
        unsupported,
    }
}

struct Ctx<'a> {
    team: &'a TeamConfig,
    period: &'a Period,
    agents: &'a AgentIndex<'a>,
    business: Option<BusinessTime<'a>>,
}

/// Which events a KPI's vendor time may point at, for the reasons.
#[derive(Clone, Copy, PartialEq)]
enum Focus {
    FirstResponse,
    Solve,
    Replies,
}

fn one_kpi(
    ctx: &Ctx<'_>,
    pairs: &[Pair<'_>],
    kind: Kind,
    focus: Focus,
    values: impl Fn(&Pair<'_>) -> Values,
) -> KpiReconcile {
    let mut ours = Vec::new();
    let mut vendor = Vec::new();
    let mut counted = 0u64;
    let mut agree = 0u64;
    let mut reasons: BTreeMap<Reason, ReasonTickets> = Reason::ALL
        .iter()
        .map(|r| (*r, ReasonTickets::default()))
        .collect();
    for p in pairs {
        let v = values(p);
        if !v.in_period || (v.ours.is_none() && v.vendor.is_none()) {
            continue;
        }
        counted += 1;
        ours.extend(v.ours);
        vendor.extend(v.vendor);
        let agrees = match (v.ours, v.vendor, kind) {
            (Some(o), Some(x), Kind::Duration) => (o - x).abs() < TOLERANCE_SECONDS as f64,
            (Some(o), Some(x), Kind::Rate) => o == x,
            _ => false,
        };
        if agrees {
            agree += 1;
            continue;
        }
        let reason = explain(ctx, p, focus, kind, &v);
        let entry = reasons.entry(reason).or_default();
        entry.count += 1;
        if entry.tickets.len() < TICKETS_PER_REASON {
            entry.tickets.push(p.facts.ticket_id.clone());
        }
    }
    let side = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as u64;
        match kind {
            Kind::Duration => Side {
                n,
                median_seconds: percentile_r7(&xs, 0.5),
                value: None,
            },
            Kind::Rate => Side {
                n,
                median_seconds: None,
                value: (n > 0).then(|| xs.iter().sum::<f64>() / n as f64),
            },
        }
    };
    KpiReconcile {
        ours: side(ours),
        vendor: side(vendor),
        agree: Agreement {
            n: agree,
            share: (counted > 0).then(|| agree as f64 / counted as f64),
            tickets: counted,
        },
        reasons,
    }
}

/// The first reason (module table order) that explains why `p` disagrees.
fn explain(ctx: &Ctx<'_>, p: &Pair<'_>, focus: Focus, kind: Kind, v: &Values) -> Reason {
    let f = &p.facts;
    if f.excluded {
        return Reason::MergedOrDeleted;
    }
    if f.outbound && matches!(focus, Focus::FirstResponse | Focus::Replies) {
        return Reason::Outbound;
    }
    let tolerance = TimeDelta::seconds(TOLERANCE_SECONDS);
    let near = |a: DateTime<Utc>, b: DateTime<Utc>| (a - b).abs() < tolerance;
    // The instant the vendor's duration points at.
    let vendor_at = match kind {
        Kind::Duration => v
            .vendor
            .map(|s| f.created_at + TimeDelta::milliseconds((s * 1000.0) as i64)),
        Kind::Rate => None,
    };
    let source = p.input.source.as_str();
    let messages: Vec<(DateTime<Utc>, AuthorKind, bool)> = p
        .input
        .messages
        .iter()
        .map(|m| {
            let kind = ctx
                .agents
                .resolve(source, m.author_kind, m.author_id.as_deref());
            (m.created_at, kind, m.public)
        })
        .collect();
    let bots_reply = |t: DateTime<Utc>| {
        messages
            .iter()
            .any(|(at, k, public)| *public && *k == AuthorKind::Bot && near(*at, t))
    };
    match focus {
        Focus::FirstResponse => {
            let bot_first = f.first_bot_reply_at.is_some()
                && (f.first_human_reply_at.is_none()
                    || f.first_bot_reply_at < f.first_human_reply_at);
            if vendor_at.is_some_and(bots_reply)
                || (v.ours.is_none() && bot_first && !ctx.team.count_bot_replies)
                || (v.ours.is_some() && bot_first && ctx.team.count_bot_replies)
            {
                return Reason::BotOrAutomationReply;
            }
        }
        Focus::Solve | Focus::Replies => {
            if f.solved_by_automation && kind == Kind::Duration && v.vendor.is_none() {
                return Reason::BotOrAutomationReply;
            }
            // The vendor counts a bot's (or a trigger's) public reply as a reply, or credits
            // it to the assignee; we count human replies only.
            if focus == Focus::Replies && f.bot_replies > 0 {
                return Reason::BotOrAutomationReply;
            }
        }
    }
    if let Some(t) = vendor_at
        && messages
            .iter()
            .any(|(at, k, public)| !*public && *k != AuthorKind::Customer && near(*at, t))
    {
        return Reason::InternalNote;
    }
    if kind == Kind::Duration
        && let (Some(o), Some(x)) = (v.ours, v.vendor)
    {
        let tol = TOLERANCE_SECONDS as f64;
        let vendor_business = match focus {
            Focus::FirstResponse => p.vendor.and_then(|v| v.first_response.business_seconds),
            _ => None,
        };
        let ours_business = ctx.business.as_ref().map(|b| {
            let end = f.created_at + TimeDelta::milliseconds((o * 1000.0) as i64);
            b.elapsed_seconds(f.created_at, end)
        });
        if vendor_business.is_some_and(|vb| (vb as f64 - o).abs() < tol)
            || ours_business.is_some_and(|ob| (ob - x).abs() < tol)
        {
            return Reason::BusinessVsCalendar;
        }
    }
    let vendor_reopened = p.vendor.and_then(|v| v.reopens).is_some_and(|r| r > 0);
    if (f.reopens > 0 || vendor_reopened) && focus != Focus::FirstResponse {
        return Reason::Reopened;
    }
    if let Some(t) = vendor_at {
        let any_message = messages.iter().any(|(at, _, _)| near(*at, t));
        let any_change = p.input.status_changes.iter().any(|c| near(c.at, t));
        if any_message || any_change {
            return Reason::VendorCountsDifferentEvent;
        }
    }
    let _ = ctx.period;
    Reason::Unknown
}
