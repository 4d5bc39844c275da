//! What customers say in public: complaints, reviews and social counters.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use deskpulse_model::{Period, Review, ReviewCoverage, SocialMetric};
use serde::{Deserialize, Serialize};

use crate::facts::TicketFacts;
use crate::input::{RatingSnapshotInput, ReviewInput, SocialInput};
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
    /// Negative recommendations (Facebook) of the period.
    #[serde(default)]
    pub social: u64,
}

pub(crate) fn complaints(
    period: &Period,
    facts: &[&TicketFacts],
    complaint_tags: &[String],
    reviews: &[&Review],
    social: u64,
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
        n: tickets + reviews + social,
        value: tickets + reviews + social,
        tickets,
        reviews,
        social,
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

/// One platform's reviews: the period's new reviews ([`ReviewStats`], through `Deref`) and
/// the platform's own overall figures from our daily snapshots, with how much of its reviews
/// the connector can read. Where the coverage is `aggregate_sample` (Yelp, Google Places),
/// the new-review statistics describe the few excerpts the API gave, never the business:
/// `overall_rating` and `total_reviews` are the platform's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlatformReviews {
    #[serde(flatten)]
    pub stats: ReviewStats,
    /// The platform's overall rating at the period's end (the last snapshot before it);
    /// several accounts of one platform are averaged, weighted by their review counts.
    #[serde(serialize_with = "num::opt", default)]
    pub overall_rating: Option<f64>,
    /// The platform's total review count at the period's end (summed over accounts).
    #[serde(default)]
    pub total_reviews: Option<u64>,
    /// `overall_rating` − the same figure at the period's start; `null` without a snapshot
    /// before the start.
    #[serde(serialize_with = "num::opt", default)]
    pub overall_change: Option<f64>,
    /// `total_reviews` − the count at the period's start.
    #[serde(default)]
    pub total_change: Option<i64>,
    /// How much of the platform's reviews the connector reads; `null` when no sync has
    /// recorded a snapshot yet.
    #[serde(default)]
    pub coverage: Option<ReviewCoverage>,
}

impl std::ops::Deref for PlatformReviews {
    type Target = ReviewStats;
    fn deref(&self) -> &ReviewStats {
        &self.stats
    }
}

/// The period's reviews. `all`, `worst` and the unanswered counts are over the platforms
/// whose every review (or every recent review) is read; a platform that gives only a sample
/// (`aggregate_sample`: Yelp's 3 excerpts, Google Places' 5) is left out of them, and its
/// own row has no answered share or reply time (those APIs give no replies): its sample's
/// mean is not the business's rating, `overall_rating` is. Negative reviews of every
/// platform count as complaints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewsKpi {
    #[serde(flatten)]
    pub all: ReviewStats,
    pub by_platform: BTreeMap<String, PlatformReviews>,
    /// The lowest-rated new reviews (at most 3), for the digest to quote.
    #[serde(default)]
    pub worst: Vec<ReviewQuote>,
    /// New reviews with no reply yet.
    #[serde(default)]
    pub unanswered: u64,
    /// New negative reviews (≤ 2 stars) with no reply yet, oldest first (at most
    /// [`UNANSWERED_NEGATIVE`]; `unanswered_negative_count` has them all).
    #[serde(default)]
    pub unanswered_negative: Vec<ReviewQuote>,
    #[serde(default)]
    pub unanswered_negative_count: u64,
    /// Of those, the ones created at least [`REPLY_OVERDUE_HOURS`] before the period's end.
    #[serde(default)]
    pub unanswered_negative_overdue: u64,
}

/// How long a negative review may wait for a reply before the digest calls it overdue.
pub const REPLY_OVERDUE_HOURS: i64 = 48;

/// How many unanswered negative reviews [`ReviewsKpi::unanswered_negative`] lists.
pub const UNANSWERED_NEGATIVE: usize = 20;

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

/// A review platform as a manager knows it (`google_business_profile` → `Google`), for the
/// text report and the digest; a platform this build does not know keeps its name.
pub fn platform_label(platform: &str) -> &str {
    match platform {
        "trustpilot" => "Trustpilot",
        "google_business_profile" => "Google",
        "google_places" => "Google Maps",
        "yelp" => "Yelp",
        "app_store" => "App Store",
        "google_play" => "Google Play",
        "facebook" | "facebook_page" => "Facebook",
        "instagram" => "Instagram",
        "x" => "X",
        other => other,
    }
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

fn quote(r: &Review) -> ReviewQuote {
    ReviewQuote {
        platform: r.platform.clone(),
        external_id: r.external_id.clone(),
        rating: r.rating,
        created_at: r.created_at,
        title: r.title.clone(),
        text: r.text.clone(),
        url: r.url.clone(),
        answered: answered(r),
    }
}

/// A platform's overall figures at one instant, over its accounts.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Overall {
    rating: Option<f64>,
    total: Option<u64>,
}

/// The platforms' overall figures at `at` (the last snapshot of each account strictly before
/// it), by platform. A platform seen by two sources (the same account twice) counts each
/// account once.
fn overall_at(snaps: &[RatingSnapshotInput], at: DateTime<Utc>) -> BTreeMap<&str, Overall> {
    let mut last: BTreeMap<(&str, &str), &deskpulse_model::RatingSnapshot> = BTreeMap::new();
    for s in snaps
        .iter()
        .map(|s| &s.snapshot)
        .filter(|s| s.observed_at < at)
    {
        let key = (s.platform.as_str(), s.account.as_str());
        if last.get(&key).is_none_or(|old| {
            (old.observed_at, old.total_reviews) < (s.observed_at, s.total_reviews)
        }) {
            last.insert(key, s);
        }
    }
    let mut by: BTreeMap<&str, Vec<&deskpulse_model::RatingSnapshot>> = BTreeMap::new();
    for ((platform, _), s) in last {
        by.entry(platform).or_default().push(s);
    }
    by.into_iter()
        .map(|(platform, ss)| {
            let total = ss.iter().map(|s| s.total_reviews).sum::<Option<u64>>();
            let rated: Vec<(f64, f64)> = ss
                .iter()
                .filter_map(|s| {
                    let r = s.overall_rating.filter(|r| r.is_finite())?;
                    Some((r, s.total_reviews.unwrap_or(1).max(1) as f64))
                })
                .collect();
            let weight: f64 = rated.iter().map(|(_, w)| w).sum();
            let rating = (!rated.is_empty())
                .then(|| round6(rated.iter().map(|(r, w)| r * w).sum::<f64>() / weight));
            (platform, Overall { rating, total })
        })
        .collect()
}

/// Each platform's coverage by its newest snapshot, whenever it was taken: coverage is what
/// the connector can read, true of any period, so a report of a week before the first sync
/// still knows Yelp gives a sample (a platform no sync has described counts as `full`).
fn coverage_by_platform(snaps: &[RatingSnapshotInput]) -> BTreeMap<&str, ReviewCoverage> {
    let mut newest: BTreeMap<&str, (DateTime<Utc>, ReviewCoverage)> = BTreeMap::new();
    for s in snaps.iter().map(|s| &s.snapshot) {
        let e = newest
            .entry(s.platform.as_str())
            .or_insert((s.observed_at, s.coverage));
        if s.observed_at >= e.0 {
            *e = (s.observed_at, s.coverage);
        }
    }
    newest.into_iter().map(|(p, (_, c))| (p, c)).collect()
}

pub(crate) fn reviews(
    period: &Period,
    all_reviews: &[&Review],
    snaps: &[RatingSnapshotInput],
) -> ReviewsKpi {
    let coverage = coverage_by_platform(snaps);
    let sampled =
        |r: &Review| coverage.get(r.platform.as_str()) == Some(&ReviewCoverage::AggregateSample);
    let mut by: BTreeMap<&str, Vec<&Review>> = BTreeMap::new();
    for r in all_reviews {
        by.entry(&r.platform).or_default().push(r);
    }
    // What `all`, `worst` and the unanswered lists are computed over.
    let reviews: Vec<&Review> = all_reviews
        .iter()
        .copied()
        .filter(|r| !sampled(r))
        .collect();
    let reviews = &reviews[..];
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
    let mut negative: Vec<&Review> = reviews
        .iter()
        .copied()
        .filter(|r| r.rating <= NEGATIVE_REVIEW && !answered(r))
        .collect();
    negative.sort_by(|a, b| {
        (a.created_at, &a.platform, &a.external_id).cmp(&(
            b.created_at,
            &b.platform,
            &b.external_id,
        ))
    });
    let at_end = overall_at(snaps, period.end);
    let at_start = overall_at(snaps, period.start);
    let mut by_platform: BTreeMap<String, PlatformReviews> = by
        .into_iter()
        .map(|(p, rs)| {
            let mut stats = review_stats(&rs);
            if coverage.get(p) == Some(&ReviewCoverage::AggregateSample) {
                // The API gives no replies: unknown, not "none answered".
                stats.share_answered = None;
                stats.median_reply_seconds = None;
            }
            (
                p.to_owned(),
                PlatformReviews {
                    stats,
                    ..PlatformReviews::default()
                },
            )
        })
        .collect();
    for (platform, end) in &at_end {
        let row = by_platform
            .entry((*platform).to_owned())
            .or_insert_with(|| PlatformReviews {
                stats: review_stats(&[]),
                ..PlatformReviews::default()
            });
        let start = at_start.get(platform).copied();
        row.overall_rating = end.rating;
        row.total_reviews = end.total;
        row.overall_change = end
            .rating
            .zip(start.and_then(|s| s.rating))
            .map(|(e, s)| round6(e - s));
        row.total_change = end.total.zip(start.and_then(|s| s.total)).map(|(e, s)| {
            i64::try_from(e).unwrap_or(i64::MAX) - i64::try_from(s).unwrap_or(i64::MAX)
        });
    }
    for (platform, row) in &mut by_platform {
        row.coverage = coverage.get(platform.as_str()).copied();
    }
    ReviewsKpi {
        worst: worst.into_iter().map(quote).collect(),
        unanswered: reviews.iter().filter(|r| !answered(r)).count() as u64,
        unanswered_negative_count: negative.len() as u64,
        unanswered_negative_overdue: negative
            .iter()
            .filter(|r| r.created_at + chrono::Duration::hours(REPLY_OVERDUE_HOURS) <= period.end)
            .count() as u64,
        unanswered_negative: negative
            .into_iter()
            .take(UNANSWERED_NEGATIVE)
            .map(quote)
            .collect(),
        all: review_stats(reviews),
        by_platform,
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
