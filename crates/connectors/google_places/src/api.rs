//! Google's two documented answers for one place, and their mapping to records: the place's
//! own figures become one `RatingSnapshot`, each sampled review a `Review`.
//!
//! Places API (New), `GET /v1/places/{id}` with `X-Goog-FieldMask: rating,userRatingCount,
//! reviews` (Place resource: "reviews[]: List of reviews about this place, sorted by
//! relevance. A maximum of 5 reviews can be returned."):
//! `{"rating": 4.4, "userRatingCount": 612, "reviews": [{"name": "places/{id}/reviews/{rid}",
//! "rating": 2, "publishTime": "2024-07-23T17:04:55.120436Z", "text": {…}, …}]}`.
//!
//! Legacy Place Details, `GET /maps/api/place/details/json?place_id=…&fields=rating,
//! user_ratings_total,reviews&key=…`: `{"status": "OK", "result": {"rating": 4.1,
//! "user_ratings_total": 273, "reviews": [{"author_name", "author_url", "rating": 3,
//! "time": 1441848853, "text", …}]}}`, or a `status` other than `OK` with an
//! `error_message` (handled by the stream, which turns it into the right error).
//!
//! **What is stored, and why.** Google's Places policies: "you must not pre-fetch, index,
//! store, or cache any Content except under the limited conditions stated in the terms.
//! Note that the place ID, used to uniquely identify a place, is exempt from the caching
//! restrictions." Our database keeps what a sync stores with no expiry, so review texts,
//! author names and links are **never stored**: the payload types below do not name texts or
//! links, and a legacy review's author URL (or name) is read only to derive its id. A `Review`
//! carries only its id, its stars and its publication time — the facts the
//! period's review KPIs count — and the snapshot only the place's own rating and count (the
//! aggregate the project's API notes call "the safer design"). The digest never quotes a
//! sampled platform's reviews anyway (metrics leaves `aggregate_sample` platforms out of
//! `worst`), so no text is lost to it.
//!
//! **Ids.** New: the review's resource name `places/{place_id}/reviews/{review_id}`. Legacy
//! reviews have none; their id is derived (see [`legacy_review_id`]).

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The `platform` of every record.
pub const PLATFORM: &str = "google_places";

/// A place as Places API (New) answers it with the connector's field mask. Google leaves out
/// a field that has no value (a place nobody rated has no `rating`, `userRatingCount` or
/// `reviews`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewPlace {
    #[serde(default)]
    rating: Option<f64>,
    #[serde(default)]
    user_rating_count: Option<u64>,
    #[serde(default)]
    reviews: Option<Vec<NewReview>>,
}

/// A review of Places API (New): only what is stored (see the module docs).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewReview {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    rating: Option<f64>,
    /// RFC 3339; read as text so a bad value is an error naming the review.
    #[serde(default)]
    publish_time: Option<String>,
}

/// The legacy Place Details answer.
#[derive(Debug, Deserialize)]
pub(crate) struct LegacyDetails {
    /// `OK`, `ZERO_RESULTS`, `NOT_FOUND`, `INVALID_REQUEST`, `OVER_QUERY_LIMIT`,
    /// `REQUEST_DENIED`, `UNKNOWN_ERROR`.
    pub status: String,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub result: Option<LegacyPlace>,
}

/// `result` of a legacy answer.
#[derive(Debug, Deserialize)]
pub(crate) struct LegacyPlace {
    #[serde(default)]
    rating: Option<f64>,
    #[serde(default)]
    user_ratings_total: Option<u64>,
    #[serde(default)]
    reviews: Option<Vec<LegacyReview>>,
}

/// A legacy review. `author_url` and `author_name` are read only to derive its id; they are
/// not stored.
#[derive(Debug, Deserialize)]
struct LegacyReview {
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    author_url: Option<String>,
    #[serde(default)]
    rating: Option<f64>,
    /// Unix seconds.
    #[serde(default)]
    time: Option<i64>,
}

/// What one answer says of the place, in either layout.
struct Place {
    rating: Option<f64>,
    total: Option<u64>,
    /// The field's name in this layout, for messages.
    total_field: &'static str,
    reviews: Option<Vec<Result<Sample, String>>>,
}

/// One sampled review, as stored.
struct Sample {
    id: String,
    rating: Option<f64>,
    created_at: DateTime<Utc>,
}

impl NewPlace {
    /// The snapshot (observed at `observed_at`) and the sampled reviews of `place_id`.
    pub(crate) fn records(
        self,
        place_id: &str,
        observed_at: DateTime<Utc>,
    ) -> Result<Vec<Record>, String> {
        let reviews = self.reviews.map(|rs| {
            rs.into_iter()
                .enumerate()
                .map(|(i, r)| {
                    let id = r
                        .name
                        .filter(|n| !n.trim().is_empty())
                        .ok_or_else(|| format!("review {} of the answer has no `name` (its id)", i + 1))?;
                    let raw = r
                        .publish_time
                        .ok_or_else(|| format!("review {id} has no `publishTime`"))?;
                    let created_at = DateTime::parse_from_rfc3339(&raw)
                        .map_err(|e| format!("review {id} has a `publishTime` that is no RFC 3339 time ({raw:?}: {e})"))?
                        .with_timezone(&Utc);
                    Ok(Sample {
                        id,
                        rating: r.rating,
                        created_at,
                    })
                })
                .collect()
        });
        Place {
            rating: self.rating,
            total: self.user_rating_count,
            total_field: "userRatingCount",
            reviews,
        }
        .records(place_id, observed_at)
    }
}

impl LegacyPlace {
    /// The snapshot (observed at `observed_at`) and the sampled reviews of `place_id`.
    pub(crate) fn records(
        self,
        place_id: &str,
        observed_at: DateTime<Utc>,
    ) -> Result<Vec<Record>, String> {
        let reviews = self.reviews.map(|rs| {
            rs.into_iter()
                .enumerate()
                .map(|(i, r)| {
                    let secs = r.time.ok_or_else(|| {
                        format!("review {} of the answer has no `time`", i + 1)
                    })?;
                    let created_at = DateTime::from_timestamp(secs, 0).ok_or_else(|| {
                        format!("review {} of the answer has a `time` out of range ({secs})", i + 1)
                    })?;
                    let author = r
                        .author_url
                        .as_deref()
                        .filter(|u| !u.trim().is_empty())
                        .or(r.author_name.as_deref())
                        .filter(|a| !a.trim().is_empty())
                        .ok_or_else(|| {
                            format!(
                                "review {} of the answer has neither `author_url` nor `author_name`, so it has no id",
                                i + 1
                            )
                        })?;
                    Ok(Sample {
                        id: legacy_review_id(place_id, author, secs),
                        rating: r.rating,
                        created_at,
                    })
                })
                .collect()
        });
        Place {
            rating: self.rating,
            total: self.user_ratings_total,
            total_field: "user_ratings_total",
            reviews,
        }
        .records(place_id, observed_at)
    }
}

/// The id of a legacy review, which has none of its own: `legacy-` and the first 32 hex
/// digits of SHA-256 over `place_id`, the author (`author_url`, else `author_name`) and the
/// publication `time` (unix seconds), each on its own line. The same review in a later
/// answer gets the same id (Google lets an account review a place once, and the author URL
/// and time do not change while the review does not), and the id does not show who wrote it.
/// Limits: if Google changes a review's `time` (an edit) or the form of its author URLs
/// (`plus.google.com/…` became `google.com/maps/contrib/…` once), the review gets a new id
/// and is stored a second time, under its new date.
pub fn legacy_review_id(place_id: &str, author: &str, time: i64) -> String {
    let digest = Sha256::digest(format!("{place_id}\n{author}\n{time}").as_bytes());
    format!("legacy-{}", &hex::encode(digest)[..32])
}

/// Stars on the platform's 1–5 scale.
fn stars(r: f64) -> bool {
    r.is_finite() && (1.0..=5.0).contains(&r)
}

impl Place {
    fn records(self, place_id: &str, observed_at: DateTime<Utc>) -> Result<Vec<Record>, String> {
        if let Some(r) = self.rating.filter(|r| !stars(*r)) {
            return Err(format!(
                "the place's `rating` is {r}, outside Google's 1–5 stars"
            ));
        }
        let snap = snapshot(place_id, self.rating, self.total, observed_at);
        let Some(reviews) = self.reviews else {
            // Google leaves out an empty list; a place that counts ratings but lists no
            // review is an answer cut short (or a field mask a proxy changed), and reading it
            // as "no new review" would hide the period's reviews.
            return match self.total {
                Some(n) if n > 0 => Err(format!(
                    "the answer has no `reviews` although the place counts {n} ratings (`{}`)",
                    self.total_field
                )),
                _ => Ok(vec![snap]),
            };
        };
        let mut out = Vec::with_capacity(reviews.len() + 1);
        out.push(snap);
        for r in reviews {
            let r = r?;
            let rating = r
                .rating
                .ok_or_else(|| format!("review {} has no `rating`", r.id))?;
            if !stars(rating) {
                return Err(format!(
                    "review {} has a `rating` of {rating}, outside Google's 1–5 stars",
                    r.id
                ));
            }
            out.push(Record::Review(Review {
                platform: PLATFORM.into(),
                external_id: r.id,
                rating,
                title: None,
                text: None,
                author_name: None,
                created_at: r.created_at,
                // Places answers carry no owner replies.
                reply_text: None,
                replied_at: None,
                url: None,
            }));
        }
        Ok(out)
    }
}

fn snapshot(
    place_id: &str,
    rating: Option<f64>,
    total: Option<u64>,
    observed_at: DateTime<Utc>,
) -> Record {
    Record::RatingSnapshot(RatingSnapshot {
        platform: PLATFORM.into(),
        account: place_id.to_owned(),
        overall_rating: rating,
        total_reviews: total,
        coverage: ReviewCoverage::AggregateSample,
        observed_at,
    })
}
