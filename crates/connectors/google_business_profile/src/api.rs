//! The My Business API v4 payloads the connector reads (`ListReviewsResponse`, `Review`,
//! `ReviewReply`; developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews)
//! and their mapping onto the model's `Review` and `RatingSnapshot`. Only the fields the
//! model needs are declared: the reviewer's name and photo are never read.

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use serde::Deserialize;

/// The `platform` of every record.
pub(crate) const PLATFORM: &str = "google_business_profile";

/// One page of `GET /v4/accounts/{a}/locations/{l}/reviews`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReviewsPage {
    /// Google omits an empty list from its JSON (proto3), so an absent `reviews` is read as
    /// none: see [`ReviewsPage::take_reviews`] for when that is believed.
    #[serde(default)]
    pub reviews: Option<Vec<ApiReview>>,
    /// "The average star rating of all reviews for this location on a scale of 1 to 5."
    #[serde(default)]
    pub average_rating: Option<f64>,
    /// "The total number of reviews for this location."
    #[serde(default)]
    pub total_review_count: Option<u64>,
    /// "If there are no more reviews, this field will not be present."
    #[serde(default)]
    pub next_page_token: Option<String>,
}

impl ReviewsPage {
    /// The page's reviews. A page without `reviews` is a location with none (Google leaves
    /// empty lists out), unless the page itself says the location has reviews: then the list
    /// was lost (a proxy, a truncation that still parses), and ending the pass there would
    /// drop every later review silently.
    pub fn take_reviews(&mut self) -> Result<Vec<ApiReview>, String> {
        match self.reviews.take() {
            Some(r) => Ok(r),
            None if self.total_review_count.unwrap_or(0) == 0 => Ok(Vec::new()),
            None => Err(format!(
                "the page has no `reviews` list, but `totalReviewCount` is {}",
                self.total_review_count.unwrap_or(0)
            )),
        }
    }

    /// The location's overall rating: `averageRating` when it is on the documented 1–5
    /// scale; a missing one, or 0 (proto3's unset number: a location with no reviews), is
    /// unknown, never a rating of 0.
    pub fn overall_rating(&self) -> Result<Option<f64>, String> {
        match self.average_rating {
            None => Ok(None),
            Some(0.0) => Ok(None),
            Some(r) if (1.0..=5.0).contains(&r) => Ok(Some(r)),
            Some(r) => Err(format!("`averageRating` {r} is outside the documented 1–5")),
        }
    }
}

/// A `Review`, as the list gives it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiReview {
    /// `accounts/{a}/locations/{l}/reviews/{reviewId}`.
    #[serde(default)]
    pub name: Option<String>,
    /// "The encrypted unique identifier."
    #[serde(default)]
    pub review_id: Option<String>,
    /// `STAR_RATING_UNSPECIFIED`, `ONE` … `FIVE`.
    #[serde(default)]
    pub star_rating: Option<String>,
    /// "The body of the review as plain text with markups"; absent on rating-only reviews.
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub create_time: Option<DateTime<Utc>>,
    /// "The timestamp for when the review was last modified": the list's order and the
    /// stream's bookmark.
    #[serde(default)]
    pub update_time: Option<DateTime<Utc>>,
    /// The owner's or manager's reply, if any.
    #[serde(default)]
    pub review_reply: Option<ApiReply>,
}

/// A `ReviewReply`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiReply {
    #[serde(default)]
    pub comment: Option<String>,
    /// "The timestamp for when the reply was last modified": a reply edited later carries
    /// the edit's time, not the time it was first published.
    #[serde(default)]
    pub update_time: Option<DateTime<Utc>>,
}

impl ApiReview {
    /// The review's id: `reviewId`, or the last segment of `name` when a payload has only the
    /// resource name.
    pub fn id(&self) -> Option<&str> {
        let from_name = || {
            self.name
                .as_deref()
                .and_then(|n| n.rsplit('/').next())
                .map(str::trim)
        };
        self.review_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .or_else(|| from_name().filter(|s| !s.is_empty()))
    }

    /// When the review was last modified (its `createTime` if a payload has no
    /// `updateTime`): what the list is ordered by.
    pub fn changed_at(&self) -> Option<DateTime<Utc>> {
        self.update_time.or(self.create_time)
    }
}

/// `starRating` on 1–5. `STAR_RATING_UNSPECIFIED` ("Not specified") is proto3's zero value,
/// not a rating Google documents a review as having: like a missing or unknown value it is
/// an error naming the review, never a 0 among the ratings.
fn stars(id: &str, raw: Option<&str>) -> Result<f64, String> {
    Ok(match raw {
        Some("ONE") => 1.0,
        Some("TWO") => 2.0,
        Some("THREE") => 3.0,
        Some("FOUR") => 4.0,
        Some("FIVE") => 5.0,
        Some(other) => {
            return Err(format!(
                "review {id}: `starRating` {other:?} is not one of ONE … FIVE"
            ));
        }
        None => return Err(format!("review {id}: no `starRating`")),
    })
}

/// A review onto the model. Texts are stored exactly as given (Google's "(Translated by
/// Google)" blocks included); the reviewer's name is never read.
pub(crate) fn map_review(r: ApiReview) -> Result<Record, String> {
    let Some(id) = r.id().map(str::to_owned) else {
        return Err("a review has neither `reviewId` nor a `name`".into());
    };
    let rating = stars(&id, r.star_rating.as_deref())?;
    let created_at = r
        .create_time
        .ok_or_else(|| format!("review {id}: no `createTime`"))?;
    let (reply_text, replied_at) = match r.review_reply {
        Some(reply) => (reply.comment, reply.update_time),
        None => (None, None),
    };
    Ok(Record::Review(Review {
        platform: PLATFORM.into(),
        external_id: id,
        rating,
        title: None,
        text: r.comment,
        author_name: None,
        created_at,
        reply_text,
        replied_at,
        url: None,
    }))
}

/// The location's own figures, as a page states them, observed at `now`.
pub(crate) fn snapshot(
    page: &ReviewsPage,
    location: &str,
    now: DateTime<Utc>,
) -> Result<Record, String> {
    Ok(Record::RatingSnapshot(RatingSnapshot {
        platform: PLATFORM.into(),
        account: location.to_owned(),
        overall_rating: page.overall_rating()?,
        total_reviews: page.total_review_count,
        coverage: ReviewCoverage::Full,
        observed_at: now,
    }))
}
