//! What customers say in public: complaints, reviews and social counters.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use deskpulse_model::{Period, Review, SocialMetric};
use serde::{Deserialize, Serialize};

use crate::facts::TicketFacts;
use crate::input::{ReviewInput, SocialInput};
use crate::stats::{num, percentile_r7};
use crate::surveys::round6;

/// Reviews are on 1–5 stars (every supported platform); ≤ 2 is negative.
pub const NEGATIVE_REVIEW: f64 = 2.0;

/// Tickets created in the period with a complaint tag, plus negative reviews of the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplaintsKpi {
    pub n: u64,
    pub value: u64,
    pub tickets: u64,
    pub reviews: u64,
}

pub(crate) fn complaints(
    period: &Period,
    facts: &[&TicketFacts],
    complaint_tags: &[String],
    reviews: &[&Review],
) -> ComplaintsKpi {
    let tags: Vec<String> = complaint_tags.iter().map(|t| t.to_lowercase()).collect();
    let tickets = facts
        .iter()
        .filter(|f| period.contains(f.created_at))
        .filter(|f| f.tags.iter().any(|t| tags.contains(&t.to_lowercase())))
        .count() as u64;
    let reviews = reviews
        .iter()
        .filter(|r| r.rating <= NEGATIVE_REVIEW)
        .count() as u64;
    ComplaintsKpi {
        n: tickets + reviews,
        value: tickets + reviews,
        tickets,
        reviews,
    }
}

/// New reviews of the period. `share_answered` and the reply time are as of the data handed
/// over (a review answered after the period ends counts as answered).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewStats {
    /// New reviews.
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub mean_rating: Option<f64>,
    /// Stars (rounded, `"1"`–`"5"`) → count; every star present.
    pub distribution: BTreeMap<String, u64>,
    #[serde(serialize_with = "num::opt")]
    pub share_negative: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub share_answered: Option<f64>,
    /// Review created → business reply, over the answered ones.
    #[serde(serialize_with = "num::opt")]
    pub median_reply_seconds: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewsKpi {
    #[serde(flatten)]
    pub all: ReviewStats,
    pub by_platform: BTreeMap<String, ReviewStats>,
    /// The lowest-rated new reviews (at most 3), for the digest to quote.
    #[serde(default)]
    pub worst: Vec<ReviewQuote>,
    /// New reviews with no reply yet.
    #[serde(default)]
    pub unanswered: u64,
}

/// A review to quote. `title`, `text` and `url` are untrusted: escape them for each format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewQuote {
    pub platform: String,
    pub external_id: String,
    #[serde(serialize_with = "num::one")]
    pub rating: f64,
    pub created_at: DateTime<Utc>,
    pub title: Option<String>,
    pub text: Option<String>,
    pub url: Option<String>,
    pub answered: bool,
}

/// How many reviews [`ReviewsKpi::worst`] quotes.
pub const WORST_REVIEWS: usize = 3;

fn answered(r: &Review) -> bool {
    r.replied_at.is_some() || r.reply_text.is_some()
}

fn review_stats(reviews: &[&Review]) -> ReviewStats {
    let n = reviews.len();
    let mut stars = [0u64; 5];
    let mut ratings: Vec<f64> = Vec::with_capacity(n);
    let mut replies: Vec<f64> = Vec::new();
    let (mut negative, mut answered) = (0u64, 0u64);
    for r in reviews {
        ratings.push(r.rating);
        stars[r.rating.round().clamp(1.0, 5.0) as usize - 1] += 1;
        negative += u64::from(r.rating <= NEGATIVE_REVIEW);
        answered += u64::from(self::answered(r));
        if let Some(at) = r.replied_at {
            replies.push(((at - r.created_at).num_milliseconds().max(0) as f64) / 1000.0);
        }
    }
    // String keys ("1"–"5"): JSON object keys are strings, and they read back through
    // `flatten`, which integer keys do not.
    let distribution = (1..=5).map(|s| (s.to_string(), stars[s - 1])).collect();
    ratings.sort_by(f64::total_cmp);
    replies.sort_by(f64::total_cmp);
    let share = |x: u64| (n > 0).then(|| x as f64 / n as f64);
    ReviewStats {
        n: n as u64,
        mean_rating: (n > 0).then(|| round6(ratings.iter().sum::<f64>() / n as f64)),
        distribution,
        share_negative: share(negative),
        share_answered: share(answered),
        median_reply_seconds: percentile_r7(&replies, 0.5).map(round6),
    }
}

/// The period's reviews, deduplicated by (platform, id) so a review seen by two sources
/// counts once.
pub(crate) fn period_reviews<'a>(period: &Period, reviews: &'a [ReviewInput]) -> Vec<&'a Review> {
    let mut by_key: BTreeMap<(&str, &str), &Review> = BTreeMap::new();
    for r in reviews
        .iter()
        .map(|r| &r.review)
        .filter(|r| period.contains(r.created_at) && r.rating.is_finite())
    {
        let key = (r.platform.as_str(), r.external_id.as_str());
        // Keep the most complete copy, chosen by content so input order cannot matter.
        let better = by_key
            .get(&key)
            .is_none_or(|old| completeness(old, r).is_lt());
        if better {
            by_key.insert(key, r);
        }
    }
    by_key.into_values().collect()
}

/// Orders two copies of a review: the answered, then the later-edited one wins; the rest of
/// the content breaks ties so the choice is total.
fn completeness(a: &Review, b: &Review) -> std::cmp::Ordering {
    (a.replied_at, &a.reply_text, a.created_at)
        .cmp(&(b.replied_at, &b.reply_text, b.created_at))
        .then(a.rating.total_cmp(&b.rating))
        .then_with(|| {
            (&a.title, &a.text, &a.author_name, &a.url).cmp(&(
                &b.title,
                &b.text,
                &b.author_name,
                &b.url,
            ))
        })
}

pub(crate) fn reviews(reviews: &[&Review]) -> ReviewsKpi {
    let mut by: BTreeMap<&str, Vec<&Review>> = BTreeMap::new();
    for r in reviews {
        by.entry(&r.platform).or_default().push(r);
    }
    let mut worst: Vec<&Review> = reviews
        .iter()
        .copied()
        .filter(|r| r.rating <= NEGATIVE_REVIEW)
        .collect();
    // Lowest first, then the newest, then by id so the choice is total.
    worst.sort_by(|a, b| {
        a.rating
            .total_cmp(&b.rating)
            .then(b.created_at.cmp(&a.created_at))
            .then_with(|| (&a.platform, &a.external_id).cmp(&(&b.platform, &b.external_id)))
    });
    worst.truncate(WORST_REVIEWS);
    ReviewsKpi {
        worst: worst
            .into_iter()
            .map(|r| ReviewQuote {
                platform: r.platform.clone(),
                external_id: r.external_id.clone(),
                rating: r.rating,
                created_at: r.created_at,
                title: r.title.clone(),
                text: r.text.clone(),
                url: r.url.clone(),
                answered: answered(r),
            })
            .collect(),
        unanswered: reviews.iter().filter(|r| !answered(r)).count() as u64,
        all: review_stats(reviews),
        by_platform: by
            .into_iter()
            .map(|(p, rs)| (p.to_owned(), review_stats(&rs)))
            .collect(),
    }
}

/// One social counter: its value at the period's end and the change since its start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocialKpi {
    pub platform: String,
    pub account: String,
    pub metric: SocialMetric,
    /// The last observation at or before the end.
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    pub observed_at: Option<DateTime<Utc>>,
    /// `value` − the last observation at or before the start; `null` without one.
    #[serde(serialize_with = "num::opt")]
    pub change: Option<f64>,
}

pub(crate) fn social(period: &Period, stats: &[SocialInput]) -> Vec<SocialKpi> {
    type Obs = (DateTime<Utc>, f64);
    let mut series: BTreeMap<(&str, &str, SocialMetric), Vec<Obs>> = BTreeMap::new();
    for s in stats
        .iter()
        .map(|s| &s.stat)
        .filter(|s| s.value.is_finite())
    {
        series
            .entry((&s.platform, &s.account, s.metric))
            .or_default()
            .push((s.observed_at, s.value));
    }
    let mut out = Vec::new();
    for ((platform, account, metric), mut obs) in series {
        obs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let at = |t: DateTime<Utc>| obs.iter().rev().find(|o| o.0 <= t).copied();
        let Some(end) = at(period.end) else {
            continue;
        };
        out.push(SocialKpi {
            platform: platform.to_owned(),
            account: account.to_owned(),
            metric,
            value: Some(end.1),
            observed_at: Some(end.0),
            change: at(period.start).map(|s| end.1 - s.1),
        });
    }
    out
}
