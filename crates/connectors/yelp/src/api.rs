//! Yelp's payloads, as far as the model needs them, and their mapping to records.
//!
//! - `GET /v3/businesses/{id}` (business details): `id`, `rating` (the business's own
//!   rating, 1–5 in half stars), `review_count`. Recorded example:
//!   `tests/fixtures/yelp-python/business_lookup_yelp_san_francisco.json`.
//! - `GET /v3/businesses/{id}/reviews`: `reviews[]` of `id`, `rating` (whole stars 1–5),
//!   `text` (an *excerpt*: Yelp truncates it), `time_created`, `url`, `user{…}`; the user is
//!   never read (reviewers' names are personal data, and no KPI needs them).
//!
//! `time_created` is `YYYY-MM-DD HH:MM:SS` without an offset. Yelp's field reference says
//! "the time that the review was created in PST"; we read that as Pacific time, the zone of
//! Yelp's headquarters, with its daylight saving (`America/Los_Angeles`: `-07:00` in July),
//! as our reference notes recommend. Where that reading is undefined — the hour skipped
//! when daylight saving starts, and the hour repeated when it ends — the standard-time
//! reading (`-08:00`, PST as written) is taken. An RFC 3339 time with an offset (the layout
//! of Yelp's GraphQL times) is read as it says.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use deskpulse_connector::prelude::*;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

/// The `platform` of every record.
pub(crate) const PLATFORM: &str = "yelp";

/// The business details, as far as they are read.
#[derive(Debug, Deserialize)]
pub(crate) struct Business {
    /// Yelp's id of the business, whichever of id or alias was asked for.
    pub id: String,
    #[serde(default)]
    pub rating: Option<f64>,
    #[serde(default)]
    pub review_count: Option<u64>,
    /// Not mapped. Yelp's business object always carries its `categories` list (possibly
    /// empty); an answer without it is not a business (an error object, a proxy's page),
    /// and must not become a snapshot.
    #[serde(rename = "categories")]
    _categories: Vec<IgnoredAny>,
}

/// The reviews endpoint's answer (`total` and `possible_languages` are not read: the
/// business details give the count).
#[derive(Debug, Deserialize)]
pub(crate) struct ReviewsPage {
    pub reviews: Vec<YelpReview>,
}

/// One review excerpt. Everything optional, so a missing field is reported naming the
/// review rather than as a parse error of the whole page.
#[derive(Debug, Deserialize)]
pub(crate) struct YelpReview {
    #[serde(default)]
    id: Option<String>,
    /// Whole stars as Yelp documents them; any JSON value is taken so that a bad one is
    /// reported with the review's id.
    #[serde(default)]
    rating: Option<Value>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    time_created: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// The business's own figures, observed `now`. `account` is Yelp's id of the business as
/// the details give it, so a source configured with the alias and one configured with the
/// id keep one series of snapshots.
pub(crate) fn snapshot(b: Business, now: DateTime<Utc>) -> Result<RatingSnapshot, String> {
    let account = b.id.trim();
    if account.is_empty() {
        return Err("the business has an empty `id`".into());
    }
    let overall_rating = match b.rating {
        None => None,
        // A business nobody rated yet (Yelp normally does not serve those: 403
        // BUSINESS_UNAVAILABLE) has no rating, not a rating of 0.
        Some(r) if r == 0.0 && b.review_count == Some(0) => None,
        Some(r) if r.is_finite() && (1.0..=5.0).contains(&r) => Some(r),
        Some(r) => {
            return Err(format!("business {account}: `rating` {r} is not 1–5 stars"));
        }
    };
    Ok(RatingSnapshot {
        platform: PLATFORM.into(),
        account: account.to_owned(),
        overall_rating,
        total_reviews: b.review_count,
        coverage: ReviewCoverage::AggregateSample,
        observed_at: now,
    })
}

/// One excerpt as a review. The REST API gives no owner replies, so the reply fields stay
/// empty: for Yelp that means "unknown", and the reports treat it so by the coverage.
pub(crate) fn review(r: YelpReview) -> Result<Review, String> {
    let id =
        r.id.as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or("a review has no `id`")?
            .to_owned();
    let rating = match &r.rating {
        Some(v) => match v.as_f64() {
            Some(x) if (1.0..=5.0).contains(&x) => x,
            _ => return Err(format!("review {id}: `rating` {v} is not 1–5 stars")),
        },
        None => return Err(format!("review {id}: no `rating`")),
    };
    let created_at = match r.time_created.as_deref() {
        Some(raw) => time_created(raw).map_err(|e| format!("review {id}: {e}"))?,
        None => return Err(format!("review {id}: no `time_created`")),
    };
    Ok(Review {
        platform: PLATFORM.into(),
        external_id: id,
        rating,
        title: None,
        // Stored as Yelp gave it: an excerpt, untrusted text.
        text: r.text,
        author_name: None,
        created_at,
        reply_text: None,
        replied_at: None,
        url: r.url,
    })
}

/// `time_created` as an instant (see the module docs for the zone).
pub(crate) fn time_created(raw: &str) -> Result<DateTime<Utc>, String> {
    let s = raw.trim();
    if let Ok(naive) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return pacific(naive).ok_or_else(|| format!("`time_created` {raw:?} is out of range"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    Err(format!(
        "`time_created` {raw:?} is neither `YYYY-MM-DD HH:MM:SS` (Pacific time) nor RFC 3339"
    ))
}

/// A Pacific wall-clock time as an instant; `None` past chrono's range.
fn pacific(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    match Los_Angeles.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        // The repeated hour at the end of daylight saving: the PST (-08:00) one, the later.
        LocalResult::Ambiguous(_, pst) => Some(pst.with_timezone(&Utc)),
        // The skipped hour at its start exists only as PST as written.
        LocalResult::None => naive
            .checked_add_signed(TimeDelta::hours(8))
            .map(|t| t.and_utc()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn pacific_times_follow_daylight_saving() {
        // July: PDT, UTC−7.
        assert_eq!(
            time_created("2024-07-21 16:42:09").unwrap(),
            utc("2024-07-21T23:42:09Z")
        );
        // January: PST, UTC−8.
        assert_eq!(
            time_created("2016-01-29 00:41:13").unwrap(),
            utc("2016-01-29T08:41:13Z")
        );
    }

    #[test]
    fn the_hours_daylight_saving_skips_or_repeats_read_as_pst() {
        // 2024-03-10 02:30 does not exist in Pacific time (clocks jump 02:00 → 03:00).
        assert_eq!(
            time_created("2024-03-10 02:30:00").unwrap(),
            utc("2024-03-10T10:30:00Z")
        );
        // 2024-11-03 01:30 happens twice (PDT, then PST): the PST one.
        assert_eq!(
            time_created("2024-11-03 01:30:00").unwrap(),
            utc("2024-11-03T09:30:00Z")
        );
    }

    #[test]
    fn an_explicit_offset_is_read_as_given_and_anything_else_is_an_error() {
        assert_eq!(
            time_created("2024-07-21T16:42:09-07:00").unwrap(),
            utc("2024-07-21T23:42:09Z")
        );
        for bad in [
            "",
            "yesterday",
            "2024-07-21",
            "2024-13-01 00:00:00",
            "21/07/2024 16:42",
        ] {
            let e = time_created(bad).unwrap_err();
            assert!(e.contains("time_created"), "{bad}: {e}");
        }
    }
}
