//! Ground truth of the generated reviews: each review as it really happened on Trustpilot or
//! Google Business Profile (stars, creation, the reviewer's edit, the business reply's first
//! publication and its last edit), the platform aggregates the endpoints serve, and
//! [`GroundTruth::review_kpis`]: what a correct report computes for the reviews of a period.
//!
//! # Reply time: first publication or last edit
//! Trustpilot serves both times of a reply (`companyReply.createdAt`, its first publication,
//! and `companyReply.updatedAt`, its last edit), so a correct report measures the reply time
//! to the first publication. Google Business Profile serves only `reviewReply.updateTime`,
//! "the last modification" of the reply (reference notes §1.2; developers.google.com/
//! my-business/reference/rest/v4/accounts.locations.reviews): a reply edited later looks as
//! if it came late, and nothing in the API tells the first publication apart. So the truth
//! keeps both ([`TrueReview::reply_published_at`], [`TrueReview::reply_edited_at`]) and
//! [`TrueReview::reply_served_at`] is the time a correct report can know: the first
//! publication on Trustpilot, the last edit (or the publication when never edited) on Google.

use chrono::{DateTime, Utc};

use crate::truth::GroundTruth;

/// A review platform, with the `platform` string the connectors emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReviewPlatform {
    Trustpilot,
    GoogleBusinessProfile,
}

impl ReviewPlatform {
    pub const ALL: [ReviewPlatform; 2] = [
        ReviewPlatform::Trustpilot,
        ReviewPlatform::GoogleBusinessProfile,
    ];

    /// `"trustpilot"` or `"google_business_profile"`: the records' `platform`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewPlatform::Trustpilot => "trustpilot",
            ReviewPlatform::GoogleBusinessProfile => "google_business_profile",
        }
    }

    /// The platform of a `platform` string.
    pub fn parse(s: &str) -> Option<ReviewPlatform> {
        ReviewPlatform::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// One review as it really happened.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueReview {
    pub platform: ReviewPlatform,
    /// Trustpilot `id` (24 hex digits) or Google `reviewId`.
    pub id: String,
    /// 1 to 5.
    pub stars: u8,
    /// Trustpilot `createdAt`, Google `createTime` (Google's have milliseconds).
    pub created_at: DateTime<Utc>,
    /// When the reviewer last edited the review (Trustpilot `updatedAt`; Google `updateTime`,
    /// which is `createTime` otherwise).
    pub edited_at: Option<DateTime<Utc>>,
    /// When the business reply was first published, if it was (before `now`).
    pub reply_published_at: Option<DateTime<Utc>>,
    /// When the reply was last edited, if it ever was (Trustpilot `companyReply.updatedAt`;
    /// on Google, what `reviewReply.updateTime` shows instead of the publication).
    pub reply_edited_at: Option<DateTime<Utc>>,
    /// A title, text or author name comes from the hostile list.
    pub hostile: bool,
    /// Its text is [`crate::HUGE_TEXT_BYTES`] long.
    pub huge_text: bool,
    /// A Google review with a rating and no `comment`.
    pub rating_only: bool,
}

impl TrueReview {
    /// Answered (as of `now`).
    pub fn answered(&self) -> bool {
        self.reply_published_at.is_some()
    }

    /// The reply time a correct report uses: Trustpilot's first publication
    /// (`companyReply.createdAt`); Google's `reviewReply.updateTime` as served, the last edit
    /// (the API gives no other).
    pub fn reply_served_at(&self) -> Option<DateTime<Utc>> {
        match self.platform {
            ReviewPlatform::Trustpilot => self.reply_published_at,
            ReviewPlatform::GoogleBusinessProfile => {
                self.reply_edited_at.or(self.reply_published_at)
            }
        }
    }
}

/// What `GET /v1/business-units/{id}` serves, computed from every Trustpilot review.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrustpilotAggregate {
    /// `score.trustScore`: the Bayesian average Trustpilot describes ("we automatically
    /// include the value of 7 reviews worth 3.5 stars each", support.trustpilot.com
    /// article 201748946) of the stars, one decimal; 0 without reviews ("TrustScore will
    /// show as 0 until they receive their first review"). Trustpilot also weighs recent
    /// reviews more, with undocumented weights: the simulator does not.
    pub trust_score: f64,
    /// `score.stars`: the TrustScore rounded to a half star ("using standard mathematical
    /// rounding rules", same article); 0 without reviews.
    pub stars: f64,
    /// `numberOfReviews.total`.
    pub total: u64,
    /// `numberOfReviews.usedForTrustScoreCalculation`: every review counts here.
    pub used_for_trust_score: u64,
    /// `numberOfReviews.oneStar` to `fiveStars` (index 0 is 1★).
    pub by_stars: [u64; 5],
}

/// What every page of Google's reviews list serves, computed from every Google review.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoogleAggregate {
    /// `averageRating`: the mean of the star ratings, one decimal (0 without reviews).
    pub average_rating: f64,
    /// `totalReviewCount`.
    pub total_review_count: u64,
}

/// What a correct report computes for the reviews created in a period, as deskpulse's metrics
/// crate defines the figures (`ReviewStats`): `mean_rating` and `median_reply_seconds` are
/// rounded to 6 decimals as the report rounds them, the median is the R-7 one (the mean of
/// the two middle values for an even count), reply times have millisecond resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewKpis {
    /// Reviews created in the period.
    pub n: u64,
    pub mean_rating: Option<f64>,
    /// Reviews by stars (index 0 is 1★).
    pub distribution: [u64; 5],
    /// Share of reviews with ≤ 2★.
    pub share_negative: Option<f64>,
    /// Share of reviews answered at all as of `now` (even after the period).
    pub share_answered: Option<f64>,
    /// Median of review creation → [`TrueReview::reply_served_at`], over the answered ones.
    pub median_reply_seconds: Option<f64>,
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl GroundTruth {
    /// The reviews of one platform, in creation order.
    pub fn reviews_of(&self, platform: ReviewPlatform) -> impl Iterator<Item = &TrueReview> {
        self.reviews.iter().filter(move |r| r.platform == platform)
    }

    /// The review of `platform` with this id.
    pub fn review(&self, platform: ReviewPlatform, id: &str) -> Option<&TrueReview> {
        self.reviews_of(platform).find(|r| r.id == id)
    }

    /// The business unit's score and counts, as served.
    pub fn trustpilot_aggregate(&self) -> TrustpilotAggregate {
        let mut by_stars = [0u64; 5];
        for r in self.reviews_of(ReviewPlatform::Trustpilot) {
            by_stars[usize::from(r.stars.clamp(1, 5)) - 1] += 1;
        }
        let total: u64 = by_stars.iter().sum();
        let sum: u64 = (1..=5u64).map(|s| s * by_stars[s as usize - 1]).sum();
        let trust_score = if total == 0 {
            0.0
        } else {
            round1((sum as f64 + 7.0 * 3.5) / (total as f64 + 7.0))
        };
        TrustpilotAggregate {
            trust_score,
            stars: (trust_score * 2.0).round() / 2.0,
            total,
            used_for_trust_score: total,
            by_stars,
        }
    }

    /// The location's rating and count, as served.
    pub fn google_aggregate(&self) -> GoogleAggregate {
        let (n, sum) = self
            .reviews_of(ReviewPlatform::GoogleBusinessProfile)
            .fold((0u64, 0u64), |(n, s), r| (n + 1, s + u64::from(r.stars)));
        GoogleAggregate {
            average_rating: if n == 0 {
                0.0
            } else {
                round1(sum as f64 / n as f64)
            },
            total_review_count: n,
        }
    }

    /// What a correct report computes for the reviews of `platform` (`None`: both) created
    /// in `[start, end)`.
    pub fn review_kpis(
        &self,
        platform: Option<ReviewPlatform>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> ReviewKpis {
        let reviews: Vec<&TrueReview> = self
            .reviews
            .iter()
            .filter(|r| platform.is_none_or(|p| r.platform == p))
            .filter(|r| r.created_at >= start && r.created_at < end)
            .collect();
        let n = reviews.len() as u64;
        let mut distribution = [0u64; 5];
        let (mut sum, mut negative, mut answered) = (0u64, 0u64, 0u64);
        let mut replies = Vec::new();
        for r in &reviews {
            distribution[usize::from(r.stars.clamp(1, 5)) - 1] += 1;
            sum += u64::from(r.stars);
            negative += u64::from(r.stars <= 2);
            answered += u64::from(r.answered());
            if let Some(at) = r.reply_served_at() {
                replies.push((at - r.created_at).num_milliseconds().max(0) as f64 / 1000.0);
            }
        }
        replies.sort_by(f64::total_cmp);
        let median = match replies.len() {
            0 => None,
            k if k % 2 == 1 => Some(replies[k / 2]),
            // R-7 at p = 0.5: halfway between the middle two, as the metrics crate does.
            k => Some(replies[k / 2 - 1] + 0.5 * (replies[k / 2] - replies[k / 2 - 1])),
        };
        let share = |x: u64| (n > 0).then(|| x as f64 / n as f64);
        ReviewKpis {
            n,
            mean_rating: (n > 0).then(|| round6(sum as f64 / n as f64)),
            distribution,
            share_negative: share(negative),
            share_answered: share(answered),
            median_reply_seconds: median.map(round6),
        }
    }
}
