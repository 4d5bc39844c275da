//! The `reviews` stream: `GET /v4/accounts/{a}/locations/{l}/reviews?pageSize=…&orderBy=updateTime desc`
//! with `pageToken` paging (developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews/list),
//! declared as the SDK's [`CursorStream`].
//!
//! The list has no "changed since" filter, only the newest-first order, so a pass is bounded
//! by its **cutoff**: the first pass's is `start_date` (none: every review), a later pass's
//! the bookmark (the newest `updateTime` stored) minus `rescan_days` (never before
//! `start_date`). Reviews last changed before the cutoff are left out, and the pass ends on
//! the first page whose reviews all are (or on the API's end, no `nextPageToken`). Inside a
//! pass the checkpoint holds the page token, so a crash resumes on the next page; a completed
//! pass stores only the bookmark, which never moves backwards.
//!
//! One `RatingSnapshot` per read: from the first page it gets, whose `averageRating` and
//! `totalReviewCount` are the location's own figures.

use crate::GoogleBusinessProfileConnector;
use crate::api::{self, ApiReview, ReviewsPage};
use chrono::{DateTime, Utc};
use deskpulse_connector::bounds::not_future;
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The stored checkpoint of `reviews`. Mid-pass: the next page's token, the pass's cutoff
/// and the newest `updateTime` read so far. After a completed pass: the bookmark alone (or,
/// when no review was ever read, the cutoff the pass used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewsCheckpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookmark: Option<DateTime<Utc>>,
}

/// What a page holds for the mapping: the location's figures (once per read) or a review.
pub(crate) enum Item {
    Snapshot(Record),
    Review(ApiReview),
}

/// The `reviews` stream of one read.
pub(crate) struct Reviews<'a> {
    c: &'a GoogleBusinessProfileConnector,
    path: String,
    /// The pass's cutoff, fixed by `start` (the paginator hands `page` no position).
    cutoff: Mutex<Option<DateTime<Utc>>>,
    /// Whether this read has emitted its snapshot.
    snapshot_taken: AtomicBool,
}

impl<'a> Reviews<'a> {
    pub(crate) fn new(c: &'a GoogleBusinessProfileConnector) -> Self {
        Self {
            path: format!(
                "/v4/accounts/{}/locations/{}/reviews",
                c.account_id, c.location_id
            ),
            c,
            cutoff: Mutex::new(None),
            snapshot_taken: AtomicBool::new(false),
        }
    }

    fn cutoff(&self) -> Option<DateTime<Utc>> {
        *self.cutoff.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cutoff of a new pass after `bookmark`: `rescan_days` before it, never before
    /// `start_date`.
    fn next_cutoff(&self, bookmark: DateTime<Utc>) -> DateTime<Utc> {
        let back = bookmark
            .checked_sub_signed(self.c.rescan)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        self.c.start.map_or(back, |s| back.max(s))
    }
}

impl Mapping for Reviews<'_> {
    type Item = Item;

    const STREAM: &'static str = "reviews";

    fn map(&self, item: Item) -> Result<Vec<Record>, String> {
        match item {
            Item::Snapshot(s) => Ok(vec![s]),
            Item::Review(r) => api::map_review(r).map(|r| vec![r]),
        }
    }
}

impl CursorStream for Reviews<'_> {
    type Page = ReviewsPage;
    type Bookmark = DateTime<Utc>;
    type Checkpoint = ReviewsCheckpoint;

    fn start(&self, from: Option<ReviewsCheckpoint>) -> CursorPos<DateTime<Utc>> {
        let pos = match from {
            None => CursorPos::first(self.c.start, None),
            Some(ReviewsCheckpoint {
                page_token: Some(token),
                since,
                bookmark,
            }) => CursorPos::resume(token, since, bookmark),
            Some(ReviewsCheckpoint {
                page_token: None,
                bookmark: Some(b),
                ..
            }) => CursorPos::first(Some(self.next_cutoff(b)), Some(b)),
            Some(ReviewsCheckpoint {
                page_token: None,
                bookmark: None,
                since,
            }) => CursorPos::first(since.or(self.c.start), None),
        };
        *self.cutoff.lock().unwrap_or_else(|e| e.into_inner()) = pos.from;
        pos
    }

    fn request(&self, pos: &CursorPos<DateTime<Utc>>) -> PageRequest {
        PageRequest::get(self.path.as_str())
            .query("pageSize", self.c.page_size)
            .query("orderBy", "updateTime desc")
            .query_opt("pageToken", pos.cursor.as_deref())
    }

    fn page(&self, mut p: ReviewsPage) -> Result<CursorPage<Item>, String> {
        let reviews = p.take_reviews()?;
        let now = self.c.http.clock().now();
        for r in &reviews {
            if let Some(t) = r.changed_at() {
                not_future("updateTime", t, now)
                    .map_err(|e| format!("review {}: {e}", r.id().unwrap_or("(no id)")))?;
            }
        }
        // Newest first: a page whose every review changed before the cutoff is past the
        // window, and so is everything after it.
        let past_window = match self.cutoff() {
            Some(cutoff) => {
                !reviews.is_empty()
                    && reviews
                        .iter()
                        .all(|r| r.changed_at().is_some_and(|t| t < cutoff))
            }
            None => false,
        };
        let mut items = Vec::with_capacity(reviews.len() + 1);
        if !self.snapshot_taken.swap(true, Ordering::SeqCst) {
            items.push(Item::Snapshot(api::snapshot(&p, &self.c.location_id, now)?));
        }
        items.extend(reviews.into_iter().map(Item::Review));
        Ok(CursorPage {
            items,
            next: p.next_page_token,
            more: if past_window {
                More::Flag(false)
            } else {
                More::IfNext
            },
        })
    }

    fn bookmark(&self, item: &Item) -> Option<DateTime<Utc>> {
        match item {
            Item::Review(r) => r.changed_at(),
            Item::Snapshot(_) => None,
        }
    }

    /// Reviews last changed before the pass's cutoff were read by an earlier pass (or are
    /// before `start_date`): left out.
    fn keep(&self, pos: &CursorPos<DateTime<Utc>>, item: &Item) -> Keep {
        match (item, pos.from) {
            (Item::Review(r), Some(cutoff)) if r.changed_at().is_some_and(|t| t < cutoff) => {
                Keep::Skip
            }
            _ => Keep::Yes,
        }
    }

    /// A page token Google no longer accepts (a checkpoint kept too long) starts the pass
    /// again from its first page, with the same cutoff: re-reads are upserts.
    fn restart_on_refused_cursor(&self) -> bool {
        true
    }

    fn checkpoint(&self, pos: &CursorPos<DateTime<Utc>>, done: bool) -> ReviewsCheckpoint {
        if done {
            ReviewsCheckpoint {
                page_token: None,
                since: if pos.bookmark.is_some() {
                    None
                } else {
                    pos.from
                },
                bookmark: pos.bookmark,
            }
        } else {
            ReviewsCheckpoint {
                page_token: pos.cursor.clone(),
                since: pos.from,
                bookmark: pos.bookmark,
            }
        }
    }
}
