//! The two streams, each a [`PageNumberStream`] (the SDK reads a page, yields a batch with
//! the checkpoint to resume after it, and ends on the signal given here).
//!
//! **`business_unit`**: `GET /business-units/{id}` once per sync, one `RatingSnapshot`.
//! Its checkpoint only records when it was last observed; every sync reads it again (the
//! platform keeps no history, trends come from our daily snapshots).
//!
//! **`reviews`**: `GET /business-units/{id}/reviews` (public, `apikey`) or
//! `/private/business-units/{id}/reviews` (business-user token), with `page`, `perPage` and
//! `orderBy=createdat.desc`. A page is the last when it is empty or shorter than `perPage`
//! (Trustpilot documents an empty array past the last page; the response's `links` name the
//! production host and are never followed: the page number on `base_url` is enough).
//!
//! Incremental reads, newest first, in *passes*: a pass reads from page 1 down to its
//! `floor` (reviews created before it are skipped, and a page holding none at or after it
//! ends the pass: the list is sorted newest first, so the rest is older still). The first
//! pass's floor is `start_date` (none: the whole history). Inside a pass the checkpoint is
//! the next page, the floor and the newest `createdAt` seen (`{"page", "floor", "newest"}`),
//! so a killed sync resumes on the page it stopped at; a finished pass stores
//! `{"bookmark": <newest createdAt seen>}`, never moved backwards. The next pass's floor is
//! `bookmark − rescan_days` (not before `start_date`): recent reviews are read again, so
//! replies and edits to them are seen, as upserts.
//!
//! Newest-first page numbers shift when reviews arrive between two pages: a resumed pass then
//! reads a few reviews twice (upserts), never misses one. A review *deleted* mid-pass can hide
//! one older review from that pass; the next pass's rescan window reads it again if recent.

use crate::TrustpilotConnector;
use crate::api::{self, ApiReview, BusinessUnit, ReviewsPage};
use chrono::{DateTime, Utc};
use deskpulse_connector::not_future;
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------
// business_unit

/// The checkpoint of `business_unit`: when the snapshot was last taken (informational:
/// every sync reads the business unit again).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BusinessUnitCheckpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<DateTime<Utc>>,
}

pub(crate) struct BusinessUnitStream<'a> {
    pub c: &'a TrustpilotConnector,
}

impl Mapping for BusinessUnitStream<'_> {
    type Item = BusinessUnit;
    const STREAM: &'static str = "business_unit";

    fn map(&self, bu: BusinessUnit) -> Result<Vec<Record>, String> {
        let now = self.c.clock().now();
        api::map_business_unit(&self.c.business_unit_id, bu, now).map(|r| vec![r])
    }
}

impl PageNumberStream for BusinessUnitStream<'_> {
    type Page = BusinessUnit;
    type Position = BusinessUnitCheckpoint;

    fn first(&self) -> BusinessUnitCheckpoint {
        BusinessUnitCheckpoint::default()
    }

    one_page!(BusinessUnitCheckpoint);

    fn request(&self, _pos: &BusinessUnitCheckpoint) -> PageRequest {
        PageRequest::get(format!("/business-units/{}", self.c.business_unit_id))
    }

    fn page(
        &self,
        _pos: &BusinessUnitCheckpoint,
        bu: BusinessUnit,
    ) -> Result<NumberedPage<BusinessUnit>, String> {
        Ok(NumberedPage {
            items: vec![bu],
            number: None,
            total_pages: Some(1),
        })
    }

    fn observe(&self, pos: &mut BusinessUnitCheckpoint, _bu: &BusinessUnit) {
        pos.observed_at = Some(self.c.clock().now());
    }
}

// ---------------------------------------------------------------------------------------
// reviews

/// Where the `reviews` stream stands; stored as its checkpoint. Mid-pass
/// `{"page": 3, "floor": …, "newest": …}` (`floor`, `newest` left out when unset); after a
/// pass `{"bookmark": <newest createdAt read, or null>}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ReviewsCp", into = "ReviewsCp")]
pub struct ReviewsCheckpoint {
    /// The next page of the pass (1-based).
    page: u64,
    /// The pass's floor: reviews created before it are skipped.
    floor: Option<DateTime<Utc>>,
    /// The newest `createdAt` read so far (the previous bookmark included).
    newest: Option<DateTime<Utc>>,
    /// The pass ended: `newest` is the bookmark the next pass starts from.
    finished: bool,
    /// The page being read held a review at or after the floor (not stored).
    kept_on_page: bool,
}

/// The stored JSON of [`ReviewsCheckpoint`]: the most specific layout first.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ReviewsCp {
    Pass {
        page: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        floor: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        newest: Option<DateTime<Utc>>,
    },
    Done {
        #[serde(deserialize_with = "Option::deserialize")]
        bookmark: Option<DateTime<Utc>>,
    },
}

impl From<ReviewsCp> for ReviewsCheckpoint {
    fn from(cp: ReviewsCp) -> Self {
        match cp {
            ReviewsCp::Pass {
                page,
                floor,
                newest,
            } => Self {
                page,
                floor,
                newest,
                finished: false,
                kept_on_page: false,
            },
            ReviewsCp::Done { bookmark } => Self {
                page: 1,
                floor: None,
                newest: bookmark,
                finished: true,
                kept_on_page: false,
            },
        }
    }
}

impl From<ReviewsCheckpoint> for ReviewsCp {
    fn from(p: ReviewsCheckpoint) -> Self {
        if p.finished {
            ReviewsCp::Done { bookmark: p.newest }
        } else {
            ReviewsCp::Pass {
                page: p.page,
                floor: p.floor,
                newest: p.newest,
            }
        }
    }
}

/// A review of a page and whether the pass keeps it (created at or after its floor).
pub(crate) struct Entry {
    review: ApiReview,
    keep: bool,
    created_at: DateTime<Utc>,
}

pub(crate) struct Reviews<'a> {
    pub c: &'a TrustpilotConnector,
}

impl Reviews<'_> {
    /// The floor of a pass after `bookmark`: `rescan_days` before it, never before
    /// `start_date`.
    fn floor_after(&self, bookmark: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let rescan = bookmark.map(|b| b.checked_sub_signed(self.c.rescan).unwrap_or(b));
        match (rescan, self.c.start) {
            (Some(r), Some(s)) => Some(r.max(s)),
            (r, s) => r.or(s),
        }
    }
}

impl Mapping for Reviews<'_> {
    type Item = Entry;
    const STREAM: &'static str = "reviews";

    fn map(&self, e: Entry) -> Result<Vec<Record>, String> {
        if !e.keep {
            return Ok(Vec::new());
        }
        api::map_review(e.review).map(|r| vec![r])
    }
}

impl PageNumberStream for Reviews<'_> {
    type Page = ReviewsPage;
    type Position = ReviewsCheckpoint;

    fn first(&self) -> ReviewsCheckpoint {
        ReviewsCheckpoint {
            page: 1,
            floor: self.c.start,
            newest: None,
            finished: false,
            kept_on_page: false,
        }
    }

    /// A finished pass starts the next one on page 1, down to its bookmark − `rescan_days`;
    /// a pass killed mid-way goes on where it stopped, with its own floor.
    fn resume(&self, stored: ReviewsCheckpoint) -> ReviewsCheckpoint {
        if stored.finished {
            return ReviewsCheckpoint {
                floor: self.floor_after(stored.newest),
                newest: stored.newest,
                ..self.first()
            };
        }
        stored
    }

    fn page_number(&self, pos: &ReviewsCheckpoint) -> u64 {
        pos.page
    }

    fn with_page(&self, pos: &ReviewsCheckpoint, page: u64) -> ReviewsCheckpoint {
        ReviewsCheckpoint {
            page,
            kept_on_page: false,
            ..pos.clone()
        }
    }

    fn request(&self, pos: &ReviewsCheckpoint) -> PageRequest {
        let id = &self.c.business_unit_id;
        let path = if self.c.private.is_some() {
            format!("/private/business-units/{id}/reviews")
        } else {
            format!("/business-units/{id}/reviews")
        };
        PageRequest::get(path)
            .query("page", pos.page)
            .query("perPage", self.c.page_size)
            .query("orderBy", "createdat.desc")
    }

    fn page(
        &self,
        pos: &ReviewsCheckpoint,
        page: ReviewsPage,
    ) -> Result<NumberedPage<Entry>, String> {
        let now = self.c.clock().now();
        let items = page
            .reviews
            .into_iter()
            .map(|review| {
                let created_at = review.created()?;
                // It may become the bookmark: one ahead of the clock is an error, never
                // the floor of the next pass.
                not_future(
                    &format!("review {:?} `createdAt`", review.id),
                    created_at,
                    now,
                )?;
                let keep = pos.floor.is_none_or(|f| created_at >= f);
                Ok(Entry {
                    review,
                    keep,
                    created_at,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(NumberedPage {
            items,
            number: None,
            total_pages: None,
        })
    }

    /// A page shorter than asked for (or empty) is the last.
    fn per_page(&self) -> Option<u32> {
        Some(self.c.page_size)
    }

    fn observe(&self, pos: &mut ReviewsCheckpoint, e: &Entry) {
        if e.keep {
            pos.kept_on_page = true;
            if pos.newest.is_none_or(|n| e.created_at > n) {
                pos.newest = Some(e.created_at);
            }
        }
    }

    /// The pass ends on the last page, or on a page all older than the floor.
    fn next(&self, pos: &ReviewsCheckpoint, last: bool) -> Option<ReviewsCheckpoint> {
        (!last && pos.kept_on_page).then(|| self.with_page(pos, pos.page + 1))
    }

    fn done(&self, pos: &ReviewsCheckpoint) -> ReviewsCheckpoint {
        ReviewsCheckpoint {
            page: 1,
            floor: None,
            newest: pos.newest,
            finished: true,
            kept_on_page: false,
        }
    }
}
