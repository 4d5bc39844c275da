//! Trustpilot's payloads (only the fields the model needs) and their mapping to records.
//!
//! Shapes from developers.trustpilot.com (Business Units API, public and private) and the
//! reference notes (§1.1): a business unit carries `score.stars` and
//! `numberOfReviews.total`; a reviews page carries `reviews` (and `links`, never followed);
//! a review carries `id`, `stars`, `title`, `text`, `createdAt`, `updatedAt` (may be
//! `null`) and `companyReply` (`null`, or `text`, `createdAt`, `updatedAt`). Consumer
//! fields are never read: deskpulse does not display authors.
//!
//! Times: the docs' examples are naive (`"2013-09-07T13:37:00"`, meant as UTC) while the
//! schemas say `date-time`; both are read.

use chrono::{DateTime, NaiveDateTime, Utc};
use deskpulse_connector::Record;
use deskpulse_model::{RatingSnapshot, Review, ReviewCoverage};
use serde::{Deserialize, Deserializer};

/// The `platform` of every record.
pub(crate) const PLATFORM: &str = "trustpilot";

/// A Trustpilot time: RFC 3339 (`2024-07-24T09:12:03Z`), or naive, meaning UTC
/// (`2013-09-07T13:37:00`, with or without fractional seconds).
pub(crate) fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// A time field that may be absent or `null`; text that is no time keeps its text, so the
/// error can name the review and the value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Time {
    At(DateTime<Utc>),
    Unreadable(String),
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(parse_time(&raw).map_or(Time::Unreadable(raw), Time::At))
    }
}

impl Time {
    fn read(t: Option<&Time>, what: &str, id: &str) -> Result<Option<DateTime<Utc>>, String> {
        match t {
            None => Ok(None),
            Some(Time::At(at)) => Ok(Some(*at)),
            Some(Time::Unreadable(raw)) => Err(format!(
                "review {id:?}: `{what}` {raw:?} is not a time (RFC 3339 or `2013-09-07T13:37:00`)"
            )),
        }
    }
}

/// `GET /business-units/{id}`.
#[derive(Debug, Deserialize)]
pub(crate) struct BusinessUnit {
    pub score: Score,
    #[serde(rename = "numberOfReviews")]
    pub number_of_reviews: NumberOfReviews,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Score {
    /// The stars Trustpilot displays (rounded to a half). `trustScore` is deliberately not
    /// read: it is Trustpilot's weighted score, not a mean of the stars.
    #[serde(default)]
    pub stars: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NumberOfReviews {
    #[serde(default)]
    pub total: Option<u64>,
}

/// The business unit's snapshot, observed at `now`.
pub(crate) fn map_business_unit(
    account: &str,
    bu: BusinessUnit,
    now: DateTime<Utc>,
) -> Result<Record, String> {
    let total = bu.number_of_reviews.total;
    let stars = match bu.score.stars {
        None => None,
        // A business unit without reviews has no rating to show, whatever figure stands
        // in its place: never a made-up zero.
        Some(s) if total == Some(0) || s == 0.0 => None,
        Some(s) if (1.0..=5.0).contains(&s) => Some(s),
        Some(s) => {
            return Err(format!(
                "business unit {account:?}: `score.stars` {s} is not 1 to 5"
            ));
        }
    };
    Ok(Record::RatingSnapshot(RatingSnapshot {
        platform: PLATFORM.into(),
        account: account.into(),
        overall_rating: stars,
        total_reviews: total,
        coverage: ReviewCoverage::Full,
        observed_at: now,
    }))
}

/// A page of `GET /business-units/{id}/reviews` or `/private/business-units/{id}/reviews`.
/// `reviews` is required: a page without it is malformed, never an empty end.
#[derive(Debug, Deserialize)]
pub(crate) struct ReviewsPage {
    pub reviews: Vec<ApiReview>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ApiReview {
    pub id: String,
    /// 1–5; anything else is an error naming the review.
    #[serde(default)]
    pub stars: Option<serde_json::Number>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(rename = "createdAt", default)]
    pub created_at: Option<Time>,
    #[serde(rename = "companyReply", default)]
    pub company_reply: Option<CompanyReply>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CompanyReply {
    #[serde(default)]
    pub text: Option<String>,
    /// When the reply was first published. (`updatedAt`, its last edit, is not read: the
    /// reply time is the first publication's.)
    #[serde(rename = "createdAt", default)]
    pub created_at: Option<Time>,
}

impl ApiReview {
    /// `createdAt`, required.
    pub(crate) fn created(&self) -> Result<DateTime<Utc>, String> {
        Time::read(self.created_at.as_ref(), "createdAt", &self.id)?
            .ok_or_else(|| format!("review {:?} has no `createdAt`", self.id))
    }
}

/// One review, as the model keeps it.
pub(crate) fn map_review(r: ApiReview) -> Result<Record, String> {
    if r.id.trim().is_empty() {
        return Err("a review has an empty `id`".into());
    }
    let created_at = r.created()?;
    let rating = match r.stars.as_ref().and_then(serde_json::Number::as_f64) {
        Some(s) if (1.0..=5.0).contains(&s) && s.fract() == 0.0 => s,
        Some(_) => {
            return Err(format!(
                "review {:?}: `stars` {} is not 1 to 5",
                r.id,
                r.stars
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ));
        }
        None => return Err(format!("review {:?} has no `stars`", r.id)),
    };
    let (reply_text, replied_at) = match r.company_reply {
        None => (None, None),
        Some(reply) => (
            reply.text,
            Time::read(reply.created_at.as_ref(), "companyReply.createdAt", &r.id)?,
        ),
    };
    Ok(Record::Review(Review {
        platform: PLATFORM.into(),
        external_id: r.id,
        rating,
        title: r.title,
        text: r.text,
        // Authors are never displayed, so never stored.
        author_name: None,
        created_at,
        reply_text,
        replied_at,
        // The API gives no review URL, and Trustpilot documents no pattern to build one.
        url: None,
    }))
}
