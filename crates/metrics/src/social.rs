//! How fast and how often a team answers customers in public: `kpis.public_response`, over
//! the customer comments and mentions received on the team's social accounts in the period.

use std::collections::BTreeMap;

use deskpulse_model::{InteractionKind, Period, SocialInteraction};
use serde::{Deserialize, Serialize};

use crate::input::SocialInteractionInput;
use crate::stats::{DurationStats, num};

/// Public response over a set of comments and mentions: how many were received, how many the
/// brand's own account answered (whenever: a reply after the period's end counts, with its
/// real delay) and how fast (received → the brand's first reply, against the team's
/// `social_response_time` target).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseStats {
    /// Comments and mentions received in the period.
    pub n: u64,
    pub answered: u64,
    /// `answered / n`; `null` when nothing was received.
    #[serde(serialize_with = "num::opt")]
    pub rate: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub median_seconds: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub p90_seconds: Option<f64>,
    /// Share of the answered ones answered within the target.
    #[serde(serialize_with = "num::opt")]
    pub within_target: Option<f64>,
}

/// `kpis.public_response`: all platforms, and each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublicResponseKpi {
    #[serde(flatten)]
    pub all: ResponseStats,
    pub by_platform: BTreeMap<String, ResponseStats>,
}

fn stats(items: &[&SocialInteraction], target_seconds: i64) -> ResponseStats {
    let n = items.len() as u64;
    let delays: Vec<f64> = items
        .iter()
        .filter_map(|i| i.replied_at.map(|at| at - i.created_at))
        .map(|d| (d.num_milliseconds().max(0) as f64) / 1000.0)
        .collect();
    let answered = delays.len() as u64;
    let d = DurationStats::from_samples(delays, target_seconds);
    ResponseStats {
        n,
        answered,
        rate: (n > 0).then(|| answered as f64 / n as f64),
        median_seconds: d.median_seconds,
        p90_seconds: d.p90_seconds,
        within_target: d.within_target,
    }
}

/// The period's customer comments and mentions (not deleted or hidden), one per
/// (platform, id) however many sources saw it (the copy with the earliest reply wins).
pub(crate) fn period_interactions<'a>(
    period: &Period,
    input: &'a [SocialInteractionInput],
) -> Vec<&'a SocialInteraction> {
    let mut by_key: BTreeMap<(&str, &str), &SocialInteraction> = BTreeMap::new();
    for i in input
        .iter()
        .map(|i| &i.interaction)
        .filter(|i| period.contains(i.created_at) && !i.deleted)
    {
        let key = (i.platform.as_str(), i.external_id.as_str());
        let better = by_key.get(&key).is_none_or(|old| {
            (old.replied_at.is_none(), old.replied_at) > (i.replied_at.is_none(), i.replied_at)
        });
        if better {
            by_key.insert(key, i);
        }
    }
    by_key.into_values().collect()
}

pub(crate) fn public_response(
    interactions: &[&SocialInteraction],
    target_seconds: i64,
) -> PublicResponseKpi {
    let received: Vec<&SocialInteraction> = interactions
        .iter()
        .copied()
        .filter(|i| matches!(i.kind, InteractionKind::Comment | InteractionKind::Mention))
        .collect();
    let mut by: BTreeMap<&str, Vec<&SocialInteraction>> = BTreeMap::new();
    for i in &received {
        by.entry(i.platform.as_str()).or_default().push(i);
    }
    PublicResponseKpi {
        all: stats(&received, target_seconds),
        by_platform: by
            .into_iter()
            .map(|(p, items)| (p.to_owned(), stats(&items, target_seconds)))
            .collect(),
    }
}

/// Negative recommendations of the period (Facebook's "does not recommend"): complaints.
pub(crate) fn negative_recommendations(interactions: &[&SocialInteraction]) -> u64 {
    interactions
        .iter()
        .filter(|i| i.kind == InteractionKind::Recommendation && i.positive == Some(false))
        .count() as u64
}
