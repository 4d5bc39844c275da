//! The `customer_reviews` stream: `GET /v1/apps/{id}/customerReviews?limit=…&sort=-createdDate&include=response`
//! read as a newest-first feed, one page after another by the page's `links.next`
//! (Apple: "follow this link to fetch the next page"), rebuilt on the configured
//! `base_url`, until the API gives no next link or the pass reaches its lower bound.
//!
//! Checkpoints ([`ReviewsCheckpoint`]):
//! * in the middle of a pass: `{"next": "/v1/apps/…/customerReviews?cursor=…", "from": F,
//!   "bookmark": B}` — the next page (path and query, no host), the pass's frozen lower bound
//!   `F` (reviews created before it end the pass) and the newest `createdDate` read so far.
//!   A resumed pass continues at `next` with the same bound.
//! * after a pass: `{"bookmark": B}` — the newest `createdDate` actually read (never the
//!   time the sync ended). The next pass reads newest first again and stops at the first
//!   page that reaches past `B − rescan_days` (and `start_date`): the re-read window catches
//!   responses published since, which Apple's list cannot be asked for by change time.
//!   Re-read reviews are upserts.
//!
//! A stored next link Apple refuses (a 4xx other than 401/403/429: an expired cursor)
//! restarts the pass from its first page with the same bound: re-reads are upserts, nothing
//! is skipped. The first page a run reads also gives the app's [`RatingSnapshot`]
//! (`meta.paging.total`), observed at the client's clock.

use crate::AppStoreConnector;
use crate::api::{self, Item, ReviewsPage};
use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};

/// The stream's name.
pub(crate) const STREAM: &str = "customer_reviews";

/// Where `customer_reviews` stands: mid-pass `{"next", "from"?, "bookmark"}` (the next
/// page, the pass's bound, the newest `createdDate` so far); after a pass `{"bookmark"}`
/// (`{}` while no review was ever read; `{"from"}` when a pass with a bound read none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewsCheckpoint {
    /// The next page of the pass: its path and query on `base_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The pass's lower bound on `createdDate` (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// The newest `createdDate` read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookmark: Option<DateTime<Utc>>,
}

/// The stream, declared for one run.
pub(crate) struct CustomerReviews<'a> {
    pub(crate) c: &'a AppStoreConnector,
    /// Whether this run's snapshot was taken (on the first page it read).
    snapshot_taken: AtomicBool,
}

impl<'a> CustomerReviews<'a> {
    pub(crate) fn new(c: &'a AppStoreConnector) -> Self {
        Self {
            c,
            snapshot_taken: AtomicBool::new(false),
        }
    }

    /// The first page of a pass.
    fn first_page(&self) -> PageRequest {
        PageRequest::get(format!("/v1/apps/{}/customerReviews", self.c.app_id))
            .query("limit", self.c.page_size)
            .query("sort", "-createdDate")
            .query("include", "response")
    }

    /// A page's next link as the path and query to ask for on `base_url`.
    fn next_path(&self, next: &str) -> Result<String, String> {
        let http = &self.c.http;
        let url = if next.contains("://") {
            http.rebase(next)
        } else {
            http.resolve(next)
        }
        .map_err(|e| match e {
            ConnectorError::Malformed { detail, .. } => detail,
            other => other.to_string(),
        })?;
        Ok(http.stored_path(&url))
    }
}

impl Mapping for CustomerReviews<'_> {
    type Item = Item;
    const STREAM: &'static str = STREAM;

    fn map(&self, item: Item) -> Result<Vec<Record>, String> {
        Ok(vec![match item {
            Item::Snapshot { total } => Record::RatingSnapshot(api::snapshot(
                &self.c.app_id,
                total,
                self.c.http.clock().now(),
            )),
            Item::Review(r) => Record::Review(*r),
        }])
    }
}

impl CursorStream for CustomerReviews<'_> {
    type Page = ReviewsPage;
    type Bookmark = DateTime<Utc>;
    type Checkpoint = ReviewsCheckpoint;

    fn start(&self, from: Option<ReviewsCheckpoint>) -> CursorPos<DateTime<Utc>> {
        let floor = self.c.start;
        match from.unwrap_or_default() {
            ReviewsCheckpoint {
                next: Some(next),
                from,
                bookmark,
            } => CursorPos::resume(next, from, bookmark),
            ReviewsCheckpoint {
                bookmark: Some(b), ..
            } => {
                let back = b
                    .checked_sub_signed(self.c.rescan)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC);
                let bound = floor.map_or(back, |f| back.max(f));
                CursorPos::first(Some(bound), Some(b))
            }
            ReviewsCheckpoint { from, .. } => CursorPos::first(from.or(floor), None),
        }
    }

    fn request(&self, pos: &CursorPos<DateTime<Utc>>) -> PageRequest {
        match &pos.cursor {
            Some(next) => PageRequest::get(next.clone()),
            None => self.first_page(),
        }
    }

    fn page(&self, page: ReviewsPage) -> Result<CursorPage<Item>, String> {
        let total = page
            .meta
            .as_ref()
            .and_then(|m| m.paging.as_ref())
            .and_then(|p| p.total);
        let next = page
            .links
            .as_ref()
            .and_then(|l| l.next.as_deref())
            .filter(|n| !n.trim().is_empty())
            .map(|n| self.next_path(n))
            .transpose()?;
        let reviews = api::reviews(page)?;
        // A review dated in the future must not become the bookmark: the next pass's bound
        // would pass over reviews not written yet.
        let now = self.c.http.clock().now();
        for r in &reviews {
            deskpulse_connector::not_future("createdDate", r.created_at, now)
                .map_err(|e| format!("review {}: {e}", r.external_id))?;
        }
        let mut items = Vec::with_capacity(reviews.len() + 1);
        if !self.snapshot_taken.swap(true, Ordering::Relaxed) {
            items.push(Item::Snapshot { total });
        }
        items.extend(reviews.into_iter().map(|r| Item::Review(Box::new(r))));
        Ok(CursorPage {
            items,
            next,
            more: More::IfNext,
        })
    }

    fn checkpoint(&self, pos: &CursorPos<DateTime<Utc>>, done: bool) -> ReviewsCheckpoint {
        match (&pos.cursor, done) {
            (Some(next), false) => ReviewsCheckpoint {
                next: Some(next.clone()),
                from: pos.from,
                bookmark: pos.bookmark,
            },
            // A pass that read no review keeps its bound, so nothing before it is read later
            // as if new, and nothing after it is skipped.
            _ => ReviewsCheckpoint {
                next: None,
                from: pos.bookmark.is_none().then_some(pos.from).flatten(),
                bookmark: pos.bookmark,
            },
        }
    }

    fn bookmark(&self, item: &Item) -> Option<DateTime<Utc>> {
        item.created_at()
    }

    fn keep(&self, pos: &CursorPos<DateTime<Utc>>, item: &Item) -> Keep {
        match (pos.from, item.created_at()) {
            // Newest first: this review and every later one were read by an earlier pass
            // (or precede `start_date`).
            (Some(bound), Some(created)) if created < bound => Keep::SkipAndStop,
            _ => Keep::Yes,
        }
    }

    fn restart_on_refused_cursor(&self) -> bool {
        true
    }
}
