//! The two streams, each one request: Yelp's business details and its review excerpts are
//! single documents, not lists that page (the reviews endpoint's `offset` pages nothing past
//! the few excerpts a plan may read), so each is declared as a cursor stream whose first
//! page is its last.
//!
//! Nothing is read incrementally: Yelp keeps no history of a business's figures and lets no
//! one list reviews since a date, so every sync reads both documents again (the snapshot is
//! kept once per UTC day, the reviews are upserts by id). The checkpoint only records which
//! business was read; a resumed stream reads it again.

use crate::YelpConnector;
use crate::api::{self, Business, ReviewsPage, YelpReview};
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Serialize};

/// The stored checkpoint of both streams: the business (`business_id` as configured) the
/// last read was of. It decides nothing: every sync reads the business again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotCheckpoint {
    #[serde(default)]
    pub business_id: String,
}

/// The path of the business details.
pub(crate) fn business_path(business_id: &str) -> String {
    format!("/v3/businesses/{business_id}")
}

/// The path of the review excerpts.
pub(crate) fn reviews_path(business_id: &str) -> String {
    format!("/v3/businesses/{business_id}/reviews")
}

/// `business`: the details → one [`RatingSnapshot`].
pub(crate) struct BusinessStream<'a> {
    pub c: &'a YelpConnector,
}

impl Mapping for BusinessStream<'_> {
    type Item = Business;

    const STREAM: &'static str = "business";

    fn map(&self, b: Business) -> Result<Vec<Record>, String> {
        let now = self.c.http.clock().now();
        api::snapshot(b, now).map(|s| vec![Record::RatingSnapshot(s)])
    }
}

impl CursorStream for BusinessStream<'_> {
    type Page = Business;
    type Bookmark = ();
    type Checkpoint = SnapshotCheckpoint;

    fn start(&self, _from: Option<SnapshotCheckpoint>) -> CursorPos<()> {
        CursorPos::first(None, None)
    }

    fn request(&self, _pos: &CursorPos<()>) -> PageRequest {
        PageRequest::get(business_path(&self.c.business_id))
            .query_opt("locale", self.c.locale.as_deref())
    }

    fn page(&self, b: Business) -> Result<CursorPage<Business>, String> {
        Ok(single(b))
    }

    fn checkpoint(&self, _pos: &CursorPos<()>, _done: bool) -> SnapshotCheckpoint {
        self.c.checkpoint()
    }
}

/// `reviews`: the excerpts → [`Review`]s.
pub(crate) struct ReviewsStream<'a> {
    pub c: &'a YelpConnector,
}

impl Mapping for ReviewsStream<'_> {
    type Item = YelpReview;

    const STREAM: &'static str = "reviews";

    fn map(&self, r: YelpReview) -> Result<Vec<Record>, String> {
        api::review(r).map(|r| vec![Record::Review(r)])
    }
}

impl CursorStream for ReviewsStream<'_> {
    type Page = ReviewsPage;
    type Bookmark = ();
    type Checkpoint = SnapshotCheckpoint;

    fn start(&self, _from: Option<SnapshotCheckpoint>) -> CursorPos<()> {
        CursorPos::first(None, None)
    }

    /// Yelp's default order and count: the excerpts its API lets the plan read.
    fn request(&self, _pos: &CursorPos<()>) -> PageRequest {
        PageRequest::get(reviews_path(&self.c.business_id))
            .query_opt("locale", self.c.locale.as_deref())
    }

    fn page(&self, p: ReviewsPage) -> Result<CursorPage<YelpReview>, String> {
        Ok(CursorPage {
            items: p.reviews,
            next: None,
            more: More::Flag(false),
        })
    }

    fn checkpoint(&self, _pos: &CursorPos<()>, _done: bool) -> SnapshotCheckpoint {
        self.c.checkpoint()
    }
}

/// A document that is the whole stream: one item, no next page.
fn single<I>(item: I) -> CursorPage<I> {
    CursorPage {
        items: vec![item],
        next: None,
        more: More::Flag(false),
    }
}
