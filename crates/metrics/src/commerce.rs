//! KPIs from manual inputs: churn and retention, support costs, converted tickets.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use deskpulse_model::Period;
use serde::{Deserialize, Serialize};

use crate::facts::TicketFacts;
use crate::input::{MonthlyAmount, OrderInput, RequesterInput, SubscriptionInput};
use crate::stats::num;
use crate::surveys::round6;

/// Customers lost in the period ÷ customers at its start. Only the customers of the start
/// count (so churn + retention = 1): one who joins and leaves inside the period is neither.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChurnKpi {
    /// Customers at the start.
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    pub lost: u64,
}

/// (customers at end − new customers) ÷ customers at start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RetentionKpi {
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    pub at_end: u64,
    /// Customers at the end who were not customers at the start.
    pub new: u64,
}

/// Active at instant `t`: some subscription with `started_at <= t < ended_at`.
fn active(subs: &[&SubscriptionInput], t: DateTime<Utc>) -> bool {
    subs.iter()
        .any(|s| s.started_at <= t && s.ended_at.is_none_or(|e| t < e))
}

pub(crate) fn churn(
    period: &Period,
    subscriptions: &[SubscriptionInput],
) -> (ChurnKpi, RetentionKpi) {
    let mut by_customer: HashMap<&str, Vec<&SubscriptionInput>> = HashMap::new();
    for s in subscriptions {
        by_customer.entry(&s.customer_id).or_default().push(s);
    }
    let (mut start, mut end, mut lost, mut new) = (0u64, 0u64, 0u64, 0u64);
    for subs in by_customer.values() {
        let (a, b) = (active(subs, period.start), active(subs, period.end));
        start += u64::from(a);
        end += u64::from(b);
        lost += u64::from(a && !b);
        new += u64::from(b && !a);
    }
    let rate = |x: u64| (start > 0).then(|| x as f64 / start as f64);
    (
        ChurnKpi {
            n: start,
            value: rate(lost),
            lost,
        },
        RetentionKpi {
            n: start,
            value: rate(end - new),
            at_end: end,
            new,
        },
    )
}

/// Support costs ÷ tickets created.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostPerTicketKpi {
    /// Tickets created in the period.
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    pub currency: Option<String>,
    /// The period's support costs (pro-rated by days from the monthly figures).
    #[serde(serialize_with = "num::opt")]
    pub costs: Option<f64>,
}

/// Support costs ÷ revenue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostRatioKpi {
    /// Days of the period whose costs and revenue are both known; `value` needs all of them.
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub revenue: Option<f64>,
}

/// A monthly figure spread over the period's local dates: each date carries 1/(days of its
/// month) of its month's amount. `None` when a date's month is missing or the rows mix
/// currencies. Also returns how many of the period's days are covered.
fn prorated(period: &Period, rows: &[MonthlyAmount]) -> (Option<(f64, String)>, u64) {
    let mut months: BTreeMap<(i32, u32), u64> = BTreeMap::new();
    for d in local_dates(period) {
        *months.entry((d.year(), d.month())).or_default() += 1;
    }
    let total_days: u64 = months.values().sum();
    let mut known_days = 0;
    let mut sum = 0.0;
    let mut currencies = BTreeSet::new();
    for (&month, &days) in &months {
        let mut of_month: Vec<&MonthlyAmount> = rows.iter().filter(|r| r.month == month).collect();
        if of_month.is_empty() {
            continue;
        }
        known_days += days;
        of_month.sort_by(|a, b| a.amount.total_cmp(&b.amount));
        let amount: f64 = of_month.iter().map(|r| r.amount).sum();
        currencies.extend(of_month.iter().map(|r| r.currency.as_str()));
        let len = days_in_month(month);
        sum += if days == len {
            amount
        } else {
            amount * days as f64 / len as f64
        };
    }
    let complete = total_days > 0 && known_days == total_days && currencies.len() == 1;
    let value = complete.then(|| {
        let c = currencies.into_iter().next().unwrap_or_default();
        (round6(sum), c.to_owned())
    });
    (value, known_days)
}

pub(crate) fn local_dates(period: &Period) -> Vec<NaiveDate> {
    if period.start >= period.end {
        return Vec::new();
    }
    let first = period.start.with_timezone(&period.tz).date_naive();
    let last = (period.end - Duration::nanoseconds(1))
        .with_timezone(&period.tz)
        .date_naive();
    first.iter_days().take_while(|d| *d <= last).collect()
}

fn days_in_month((y, m): (i32, u32)) -> u64 {
    let first = NaiveDate::from_ymd_opt(y, m, 1);
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    match (first, next) {
        (Some(a), Some(b)) => (b - a).num_days() as u64,
        _ => 30,
    }
}

pub(crate) fn costs(
    period: &Period,
    tickets: u64,
    costs: &[MonthlyAmount],
    revenue: &[MonthlyAmount],
) -> (CostPerTicketKpi, CostRatioKpi) {
    let (cost, cost_days) = prorated(period, costs);
    let (rev, rev_days) = prorated(period, revenue);
    let per_ticket = CostPerTicketKpi {
        n: tickets,
        value: cost
            .as_ref()
            .filter(|_| tickets > 0)
            .map(|(c, _)| round6(c / tickets as f64)),
        currency: cost.as_ref().map(|(_, cur)| cur.clone()),
        costs: cost.as_ref().map(|(c, _)| *c),
    };
    let ratio = match (&cost, &rev) {
        (Some((c, cc)), Some((r, rc))) if cc == rc && *r > 0.0 => Some(round6(c / r)),
        _ => None,
    };
    let ratio = CostRatioKpi {
        n: if ratio.is_some() {
            cost_days.min(rev_days)
        } else {
            0
        },
        value: ratio,
        revenue: rev.map(|(r, _)| r),
    };
    (per_ticket, ratio)
}

/// Tickets whose requester ordered within 5 days after the first agent reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConvertedKpi {
    /// Inbound tickets created in the period with a human reply and a known requester.
    pub n: u64,
    /// Converted tickets.
    pub value: u64,
    #[serde(serialize_with = "num::opt")]
    pub share: Option<f64>,
    /// Amount of the distinct orders that converted, per currency.
    pub revenue: BTreeMap<String, f64>,
}

/// How long after the first agent reply an order still counts as converted.
pub const CONVERSION_WINDOW_DAYS: i64 = 5;

pub(crate) fn converted(
    period: &Period,
    facts: &[&TicketFacts],
    requesters: &[RequesterInput],
    orders: &[OrderInput],
) -> ConvertedKpi {
    let hash: HashMap<(&str, &str), &str> = requesters
        .iter()
        .map(|r| {
            (
                (r.source.as_str(), r.requester_id.as_str()),
                r.email_hash.as_str(),
            )
        })
        .collect();
    let mut orders_of: HashMap<&str, Vec<&OrderInput>> = HashMap::new();
    for o in orders {
        orders_of.entry(&o.customer_hash).or_default().push(o);
    }
    let window = Duration::days(CONVERSION_WINDOW_DAYS);
    let mut k = ConvertedKpi::default();
    let mut matched: BTreeMap<&str, &OrderInput> = BTreeMap::new();
    for f in facts
        .iter()
        .filter(|f| !f.outbound && period.contains(f.created_at))
    {
        let (Some(reply), Some(req)) = (f.first_human_reply_at, f.requester_id.as_deref()) else {
            continue;
        };
        let Some(h) = hash.get(&(f.source.as_str(), req)) else {
            continue;
        };
        k.n += 1;
        let mut hit = false;
        for o in orders_of.get(h).into_iter().flatten() {
            if reply <= o.created_at && o.created_at < reply + window {
                hit = true;
                // Duplicate order ids keep one copy, chosen by content (order-independent).
                let keep = matched.get(o.order_id.as_str()).is_none_or(|m| {
                    (m.amount.total_cmp(&o.amount), &m.currency, m.created_at)
                        < (std::cmp::Ordering::Equal, &o.currency, o.created_at)
                });
                if keep {
                    matched.insert(&o.order_id, o);
                }
            }
        }
        k.value += u64::from(hit);
    }
    let mut amounts: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for o in matched.values() {
        amounts.entry(&o.currency).or_default().push(o.amount);
    }
    k.revenue = amounts
        .into_iter()
        .map(|(c, mut v)| {
            v.sort_by(f64::total_cmp);
            (c.to_owned(), round6(v.iter().sum()))
        })
        .collect();
    k.share = (k.n > 0).then(|| k.value as f64 / k.n as f64);
    k
}
