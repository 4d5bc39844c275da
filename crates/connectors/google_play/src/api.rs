//! The payloads of `reviews.list` (Google Play Developer API v3) and their mapping onto the
//! model's `Review`.
//!
//! Shapes, from developers.google.com/android-publisher/api-ref/rest/v3/reviews:
//! `ReviewsListResponse { reviews[], tokenPagination { nextPageToken }, pageInfo { totalResults,
//! resultPerPage, startIndex } }`; `Review { reviewId, authorName, comments[] }`; a `Comment`
//! is a union of `userComment { text, lastModified, starRating, … }` and
//! `developerComment { text, lastModified }`; a `Timestamp` is `{ seconds, nanos }`, whose
//! `seconds` (int64) proto3's JSON mapping writes as text (`"1443676826"`): a number is read
//! too. Only the fields the model needs are declared; `authorName`, device data and the like
//! are never read.

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;

/// The `platform` of every record this connector emits.
pub const PLATFORM: &str = "google_play";

/// One page of `reviews.list`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReviewsPage {
    /// Absent when the page has none: Google's JSON leaves empty lists out, and an app
    /// without a review in the window is answered `{}`.
    #[serde(default)]
    pub reviews: Option<Vec<ApiReview>>,
    #[serde(default)]
    pub token_pagination: Option<TokenPagination>,
    #[serde(default)]
    pub page_info: Option<PageInfo>,
    /// Any other member: a page that has some but no `reviews` is not an empty window.
    #[serde(flatten)]
    pub rest: BTreeMap<String, IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenPagination {
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    #[serde(default)]
    pub total_results: Option<Number>,
}

impl ReviewsPage {
    /// The next page's token, if any (empty text counts as none).
    pub fn next_token(&self) -> Option<&str> {
        self.token_pagination
            .as_ref()
            .and_then(|t| t.next_page_token.as_deref())
            .filter(|t| !t.is_empty())
    }

    /// Whether this page, which lists no `reviews`, is the documented answer of a window
    /// without reviews: nothing but (at most) a page info counting none and no next page.
    pub fn is_empty_window(&self) -> bool {
        self.rest.is_empty()
            && self.next_token().is_none()
            && self
                .page_info
                .as_ref()
                .and_then(|p| p.total_results.as_ref())
                .is_none_or(|n| n.as_f64() == Some(0.0))
    }
}

/// A review as `reviews.list` gives it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiReview {
    #[serde(default)]
    pub review_id: Option<String>,
    #[serde(default)]
    pub comments: Vec<Comment>,
}

/// One entry of a review's conversation: a union field, so one of the two is set (both are
/// read if a payload carries both).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Comment {
    #[serde(default)]
    pub user_comment: Option<UserComment>,
    #[serde(default)]
    pub developer_comment: Option<DeveloperComment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserComment {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub last_modified: Option<Timestamp>,
    #[serde(default)]
    pub star_rating: Option<Number>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeveloperComment {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub last_modified: Option<Timestamp>,
}

/// A protobuf `Timestamp` in JSON: `{ "seconds": "1443676826", "nanos": 713000000 }`.
#[derive(Deserialize)]
pub(crate) struct Timestamp {
    #[serde(default)]
    pub seconds: Option<Number>,
    #[serde(default)]
    pub nanos: Option<Number>,
}

/// A number as proto3 JSON writes it: a JSON number, or (for 64-bit integers) text.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Number {
    Number(f64),
    Text(String),
}

impl Number {
    fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Number(n) => Some(*n),
            Number::Text(t) => t.trim().parse().ok(),
        }
    }

    /// The value as a whole number, if it is one.
    fn as_i64(&self) -> Option<i64> {
        let f = self
            .as_f64()
            .filter(|f| f.is_finite() && f.fract() == 0.0)?;
        (f.abs() < 9.0e15).then_some(f as i64)
    }
}

impl Timestamp {
    fn at(&self) -> Result<DateTime<Utc>, String> {
        let seconds = self
            .seconds
            .as_ref()
            .ok_or("has no `seconds`")?
            .as_i64()
            .ok_or("has `seconds` that are not a whole number")?;
        // proto3 JSON leaves a zero `nanos` out.
        let nanos = match &self.nanos {
            None => 0,
            Some(n) => n
                .as_i64()
                .filter(|n| (0..1_000_000_000).contains(n))
                .ok_or("has `nanos` outside 0..1e9")?,
        };
        DateTime::from_timestamp(seconds, nanos as u32).ok_or_else(|| "is out of range".to_owned())
    }
}

/// A review as the model's `Review`. No creation time exists in the API: `created_at` is the
/// user comment's `lastModified` (an edit by its author moves it); the reply's time is the
/// developer comment's `lastModified` (its last edit, not its first publication). The
/// author's name is not kept (personal data the KPIs do not need); `title` is `None` (a
/// title, where a user wrote one, is the part of `text` before a tab, kept in `text` as
/// given).
pub(crate) fn map_review(r: ApiReview) -> Result<Record, String> {
    let id = r
        .review_id
        .filter(|id| !id.is_empty())
        .ok_or("a review without `reviewId`")?;
    let mut user = None;
    let mut developer = None;
    for c in r.comments {
        if user.is_none() {
            user = c.user_comment;
        }
        if developer.is_none() {
            developer = c.developer_comment;
        }
    }
    let user = user.ok_or_else(|| format!("review {id} has no `userComment`"))?;
    let rating = user
        .star_rating
        .as_ref()
        .and_then(Number::as_i64)
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| {
            format!("review {id} has no `starRating` of 1 to 5 stars in its `userComment`")
        })?;
    let created_at = user
        .last_modified
        .as_ref()
        .ok_or_else(|| format!("review {id}'s `userComment` has no `lastModified`"))?
        .at()
        .map_err(|e| format!("review {id}'s `userComment.lastModified` {e}"))?;
    let (reply_text, replied_at) = match developer {
        None => (None, None),
        Some(d) => {
            let at = d
                .last_modified
                .as_ref()
                .map(Timestamp::at)
                .transpose()
                .map_err(|e| format!("review {id}'s `developerComment.lastModified` {e}"))?;
            (d.text, at)
        }
    };
    Ok(Record::Review(Review {
        platform: PLATFORM.to_owned(),
        external_id: id,
        rating: rating as f64,
        title: None,
        text: user.text,
        author_name: None,
        created_at,
        reply_text,
        replied_at,
        url: None,
    }))
}
