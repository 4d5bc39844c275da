//! The JSON:API documents of `GET /v1/apps/{id}/customerReviews?include=response`, as Apple
//! documents them (developer.apple.com/documentation/appstoreconnectapi/get-v1-apps-_id_-customerreviews,
//! `CustomerReview`, `CustomerReviewResponseV1`), and their mapping onto the model.
//!
//! A page: `data[]` of `customerReviews` (`attributes.{rating, title, body, reviewerNickname,
//! createdDate, territory}`, `relationships.response`), `included[]` with the
//! `customerReviewResponses` the reviews link to (`attributes.{responseBody,
//! lastModifiedDate, state}`), `links.next` (the next page's absolute URL, absent on the
//! last page) and `meta.paging.total` (how many written reviews the app has).
//!
//! Only the fields the model needs are read; the reviewer's nickname and the territory are
//! never deserialized. Texts are kept exactly as sent (untrusted: escaped where shown).

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use serde::Deserialize;

/// What `platform` says in every record.
pub const PLATFORM: &str = "app_store";

/// The JSON:API type of a review's response.
const RESPONSE_TYPE: &str = "customerReviewResponses";

/// The only response state customers see (`PUBLISHED`; the other documented one is
/// `PENDING_PUBLISH`).
const PUBLISHED: &str = "PUBLISHED";

/// One page of the list.
#[derive(Deserialize)]
pub(crate) struct ReviewsPage {
    /// Required: a page without it is not the documented answer.
    pub data: Vec<ApiReview>,
    /// Absent when no review of the page has a response.
    #[serde(default)]
    pub included: Vec<Included>,
    #[serde(default)]
    pub links: Option<Links>,
    #[serde(default)]
    pub meta: Option<Meta>,
}

#[derive(Deserialize)]
pub(crate) struct Links {
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Meta {
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Deserialize)]
pub(crate) struct Paging {
    #[serde(default)]
    pub total: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct ApiReview {
    pub id: String,
    #[serde(default)]
    pub attributes: Option<ReviewAttributes>,
    #[serde(default)]
    pub relationships: Option<Relationships>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReviewAttributes {
    /// Read as any JSON value so that a bad one is an error naming the review.
    #[serde(default)]
    pub rating: Option<serde_json::Value>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub created_date: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Relationships {
    #[serde(default)]
    pub response: Option<Relationship>,
}

/// `relationships.response`: with `include=response` it carries `data` (`{type, id}`, or
/// `null` for a review without a response); Apple's plain example shows only `links`.
/// Both layouts are read; only `data` links a response.
#[derive(Deserialize)]
pub(crate) struct Relationship {
    #[serde(default)]
    pub data: Option<Linkage>,
}

#[derive(Deserialize)]
pub(crate) struct Linkage {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Deserialize)]
pub(crate) struct Included {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub attributes: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseAttributes {
    #[serde(default)]
    response_body: Option<String>,
    #[serde(default)]
    last_modified_date: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

/// What one page item becomes: the app's snapshot (once per run, with the page's
/// `meta.paging.total`), or a review checked and joined with its response.
pub(crate) enum Item {
    Snapshot { total: Option<u64> },
    Review(Box<Review>),
}

impl Item {
    /// The review's `createdDate`, the feed's order and bookmark.
    pub(crate) fn created_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Item::Snapshot { .. } => None,
            Item::Review(r) => Some(r.created_at),
        }
    }
}

/// An Apple date-time: RFC 3339 with an offset (`2017-11-15T08:10:34-08:00`), or the same
/// with a colon-less offset (`-0800`), as UTC.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The stars of a review: a number from 1 to 5, never made up.
fn rating(id: &str, v: Option<&serde_json::Value>) -> Result<f64, String> {
    match v {
        None | Some(serde_json::Value::Null) => Err(format!("review {id} has no `rating`")),
        Some(v) => v
            .as_f64()
            .filter(|r| r.is_finite() && (1.0..=5.0).contains(r))
            .ok_or_else(|| format!("review {id}: `rating` {v} is not 1 to 5 stars")),
    }
}

/// The business reply of a review: a `PUBLISHED` response's text and `lastModifiedDate`
/// (the time of its last edit: Apple keeps no first-publication time). A `PENDING_PUBLISH`
/// response (or any other state) is no reply: customers do not see it yet.
fn reply(
    review: &str,
    response: &Included,
) -> Result<(Option<String>, Option<DateTime<Utc>>), String> {
    let attrs: ResponseAttributes = match &response.attributes {
        None => return Ok((None, None)),
        Some(v) => ResponseAttributes::deserialize(v).map_err(|_| {
            format!(
                "review {review}: its response {} has attributes that are not the documented `responseBody`, `lastModifiedDate`, `state`",
                response.id
            )
        })?,
    };
    if attrs.state.as_deref() != Some(PUBLISHED) {
        return Ok((None, None));
    }
    let at = attrs
        .last_modified_date
        .as_deref()
        .map(|s| {
            parse_time(s).ok_or_else(|| {
                format!(
                    "review {review}: its response's `lastModifiedDate` {s:?} is not an RFC 3339 time"
                )
            })
        })
        .transpose()?;
    Ok((attrs.response_body, at))
}

/// The page's reviews, each checked (rating, `createdDate`) and joined with its response
/// from `included`. A linked response missing from `included` is an error: JSON:API
/// compound documents carry every resource they link, so its absence is a broken page,
/// never an unanswered review.
pub(crate) fn reviews(page: ReviewsPage) -> Result<Vec<Review>, String> {
    let responses: Vec<&Included> = page
        .included
        .iter()
        .filter(|i| i.kind == RESPONSE_TYPE)
        .collect();
    page.data
        .into_iter()
        .map(|r| {
            let id = r.id;
            // Storage keys reviews by id: a blank one would merge unrelated reviews.
            if id.trim().is_empty() {
                return Err(format!("a review has a blank `id` ({id:?})"));
            }
            let attrs = r
                .attributes
                .ok_or_else(|| format!("review {id} has no `attributes`"))?;
            let stars = rating(&id, attrs.rating.as_ref())?;
            let created = attrs
                .created_date
                .as_deref()
                .ok_or_else(|| format!("review {id} has no `createdDate`"))?;
            let created_at = parse_time(created).ok_or_else(|| {
                format!("review {id}: `createdDate` {created:?} is not an RFC 3339 time")
            })?;
            let link = r
                .relationships
                .and_then(|rel| rel.response)
                .and_then(|resp| resp.data);
            let (reply_text, replied_at) = match link {
                None => (None, None),
                Some(l) => {
                    let response = responses
                        .iter()
                        .find(|i| i.kind == l.kind && i.id == l.id)
                        .ok_or_else(|| {
                            format!(
                                "review {id} links response {} ({}), which `included` does not carry",
                                l.id, l.kind
                            )
                        })?;
                    reply(&id, response)?
                }
            };
            Ok(Review {
                platform: PLATFORM.to_owned(),
                external_id: id,
                rating: stars,
                title: attrs.title,
                text: attrs.body,
                // The nickname is a person's: not kept (the KPIs need none).
                author_name: None,
                created_at,
                reply_text,
                replied_at,
                // Apple gives no public address of one review.
                url: None,
            })
        })
        .collect()
}

/// The app's snapshot: App Store Connect gives no store-wide average in this API, only how
/// many written reviews it lists.
pub(crate) fn snapshot(app_id: &str, total: Option<u64>, now: DateTime<Utc>) -> RatingSnapshot {
    RatingSnapshot {
        platform: PLATFORM.to_owned(),
        account: app_id.to_owned(),
        overall_rating: None,
        total_reviews: total,
        coverage: ReviewCoverage::Full,
        observed_at: now,
    }
}
