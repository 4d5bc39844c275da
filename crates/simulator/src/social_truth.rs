//! Ground truth of the generated social activity: every customer comment, mention and
//! recommendation as it really happened ([`TrueInteraction`]: when, by whom, hidden or not,
//! the brand's first reply), each day's follower counts ([`CounterDay`]), and
//! [`GroundTruth::public_response`] / [`GroundTruth::negative_recommendations`]: what a
//! correct report computes for a period, as deskpulse's metrics crate defines them
//! (`kpis.public_response`, crates/metrics/src/social.rs).
//!
//! # Definitions
//! * Public response is over the **comments and mentions** (not recommendations, not hidden
//!   comments) **created** in `[start, end)`; `answered` counts those the brand's own account
//!   replied to at all before `now` (a reply after the period's end counts, with its real
//!   delay); a reply by anyone else is no answer. `rate` = answered / n; `median_seconds`
//!   and `p90_seconds` are R-7 percentiles of the delays (creation → the brand's **first**
//!   reply), rounded to the millisecond as the metrics crate's `DurationStats` rounds them.
//! * On Facebook the brand's reply is the page's own comment in the comment's thread (a
//!   threaded reply, `from.id` = the page); the page's top-level comments answer nobody and
//!   are not interactions. On X it is the brand account's post whose `referenced_tweets`
//!   holds `{type: "replied_to", id: <mention>}`. Another user's reply to a mention is
//!   itself a post mentioning the brand (a mention of its own, usually unanswered);
//!   retweets in the mentions timeline are not mentions ([`SocialTruth::x_retweets`] counts
//!   them).
//! * Negative recommendations (Facebook's "doesn't recommend") created in `[start, end)`
//!   are complaints.
//! * What a connector can see is less than this truth when it syncs too rarely: X lists only
//!   the 800 most recent mentions, and the `facebook_page` connector reads only the posts of
//!   its `rescan_days`.

use chrono::{DateTime, NaiveDate, Utc};
use deskpulse_model::InteractionKind;

use crate::truth::GroundTruth;

/// The page's and the X account's display name.
pub const BRAND_NAME: &str = "Deskpulse Demo Shop";

/// A social platform, with the `platform` string the connectors emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SocialPlatform {
    FacebookPage,
    X,
}

impl SocialPlatform {
    pub const ALL: [SocialPlatform; 2] = [SocialPlatform::FacebookPage, SocialPlatform::X];

    /// `"facebook_page"` or `"x"`: the records' `platform`.
    pub fn as_str(self) -> &'static str {
        match self {
            SocialPlatform::FacebookPage => "facebook_page",
            SocialPlatform::X => "x",
        }
    }

    /// The platform of a `platform` string.
    pub fn parse(s: &str) -> Option<SocialPlatform> {
        SocialPlatform::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A customer's comment, mention or recommendation, as it really happened.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueInteraction {
    pub platform: SocialPlatform,
    /// The id a connector keys it by: the comment's `id` (`{post}_{comment}`), the mention's
    /// post id, or a recommendation's `open_graph_story` object id (the part after `_`).
    pub id: String,
    /// `Comment`, `Mention` or `Recommendation`.
    pub kind: InteractionKind,
    /// Whole seconds (Facebook `created_time`, X `created_at`).
    pub created_at: DateTime<Utc>,
    /// The customer's platform id (`from.id`, `author_id`, `reviewer.id`).
    pub author_id: String,
    /// For a recommendation: positive (`true`) or negative.
    pub positive: Option<bool>,
    /// Hidden by the page (`is_hidden: true`): counts nowhere.
    pub hidden: bool,
    /// The brand's first reply, if it came before `now`.
    pub first_reply_at: Option<DateTime<Utc>>,
    /// Someone other than the brand replied (no answer).
    pub other_reply: bool,
}

/// A platform's counters on one UTC day (they change at midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterDay {
    pub date: NaiveDate,
    pub followers: u64,
    /// The page's likes (`fan_count`); 0 on X.
    pub likes: u64,
}

/// Everything social the truth records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SocialTruth {
    /// Facebook's interactions, then X's, each by `(created_at, id)`.
    pub interactions: Vec<TrueInteraction>,
    /// The page's counters for each day from the first day of the window to `now`'s day
    /// (the last is what `GET /{page_id}` serves).
    pub facebook_days: Vec<CounterDay>,
    /// The X account's followers each day (the last is what `GET /2/users/{id}` serves).
    pub x_days: Vec<CounterDay>,
    /// Retweets of the brand's posts in the mentions timeline (not interactions).
    pub x_retweets: usize,
}

/// `kpis.public_response` over one platform or all.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicResponse {
    /// Comments and mentions received in the period (not hidden).
    pub n: u64,
    /// Of them, answered by the brand before `now`.
    pub answered: u64,
    /// `answered / n`; `None` when `n` is 0.
    pub rate: Option<f64>,
    /// R-7 median of the reply delays in seconds, rounded to the millisecond.
    pub median_seconds: Option<f64>,
    /// R-7 90th percentile, rounded to the millisecond.
    pub p90_seconds: Option<f64>,
}

/// The `p`-quantile of ascending `sorted` by the R-7 rule (as `deskpulse_metrics`).
fn percentile_r7(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

fn to_millis(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
}

impl GroundTruth {
    /// The interactions of one platform, by `(created_at, id)`.
    pub fn social_of(&self, platform: SocialPlatform) -> impl Iterator<Item = &TrueInteraction> {
        self.social
            .interactions
            .iter()
            .filter(move |i| i.platform == platform)
    }

    /// What a correct report computes as `kpis.public_response` (`platform`: `Some
    /// ("facebook_page")`, `Some("x")`, or `None` for both) over the comments and mentions
    /// created in `[start, end)`.
    pub fn public_response(
        &self,
        platform: Option<&str>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> PublicResponse {
        let items: Vec<&TrueInteraction> = self
            .social
            .interactions
            .iter()
            .filter(|i| platform.is_none_or(|p| i.platform.as_str() == p))
            .filter(|i| matches!(i.kind, InteractionKind::Comment | InteractionKind::Mention))
            .filter(|i| !i.hidden && i.created_at >= start && i.created_at < end)
            .collect();
        let n = items.len() as u64;
        let mut delays: Vec<f64> = items
            .iter()
            .filter_map(|i| i.first_reply_at.map(|r| r - i.created_at))
            .map(|d| d.num_milliseconds().max(0) as f64 / 1000.0)
            .collect();
        delays.sort_by(f64::total_cmp);
        let answered = delays.len() as u64;
        PublicResponse {
            n,
            answered,
            rate: (n > 0).then(|| answered as f64 / n as f64),
            median_seconds: percentile_r7(&delays, 0.5).map(to_millis),
            p90_seconds: percentile_r7(&delays, 0.9).map(to_millis),
        }
    }

    /// Negative recommendations created in `[start, end)`: complaints.
    pub fn negative_recommendations(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> u64 {
        self.social
            .interactions
            .iter()
            .filter(|i| i.kind == InteractionKind::Recommendation && i.positive == Some(false))
            .filter(|i| !i.hidden && i.created_at >= start && i.created_at < end)
            .count() as u64
    }

    /// The page's followers now (`followers_count`).
    pub fn facebook_followers(&self) -> u64 {
        self.social.facebook_days.last().map_or(0, |d| d.followers)
    }

    /// The page's likes now (`fan_count`).
    pub fn facebook_likes(&self) -> u64 {
        self.social.facebook_days.last().map_or(0, |d| d.likes)
    }

    /// The X account's followers now (`public_metrics.followers_count`).
    pub fn x_followers(&self) -> u64 {
        self.social.x_days.last().map_or(0, |d| d.followers)
    }

    /// A platform's followers on a UTC day of the window (`None` outside it).
    pub fn followers_on(&self, platform: SocialPlatform, date: NaiveDate) -> Option<u64> {
        let days = match platform {
            SocialPlatform::FacebookPage => &self.social.facebook_days,
            SocialPlatform::X => &self.social.x_days,
        };
        days.iter().find(|d| d.date == date).map(|d| d.followers)
    }
}
