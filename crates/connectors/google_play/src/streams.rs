//! The `reviews` stream: `GET /androidpublisher/v3/applications/{packageName}/reviews`,
//! paged by `tokenPagination.nextPageToken` (sent back as `token`), declared as the SDK's
//! [`CursorStream`].
//!
//! The API lists only the recent reviews that have a text ("only reviews from last week",
//! the v2 reference says; v3's guide says "all recent reviews"), newest change first, and has
//! no filter by time. So every sync reads the whole window and storage upserts each review
//! by its id: history is what earlier syncs kept. The checkpoint is the page token inside a
//! pass and empty at its end (the next sync reads the window again).
//!
//! The first page of each pass also carries the day's `RatingSnapshot` (no aggregate: only
//! the coverage, `recent_window`), with `observed_at` from the client's clock.

use crate::GooglePlayConnector;
use crate::api::{self, ApiReview, PLATFORM, ReviewsPage};
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};

/// The stored checkpoint of `reviews`: the next page's token inside a pass, nothing at its
/// end (the next sync reads the whole recent window again).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ReviewsCheckpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// The `reviews` stream, declared.
pub(crate) struct Reviews<'a> {
    c: &'a GooglePlayConnector,
    path: String,
    /// Whether the page being read is a pass's first (asked for without a token): set by
    /// `request`, read by `page` (an empty `{}` is a valid first page only) and `records`
    /// (the snapshot goes with the first page). The paginator reads one page at a time.
    first_page: AtomicBool,
}

impl<'a> Reviews<'a> {
    pub(crate) fn new(c: &'a GooglePlayConnector) -> Self {
        Self {
            c,
            path: format!(
                "/androidpublisher/v3/applications/{}/reviews",
                c.package_name
            ),
            first_page: AtomicBool::new(true),
        }
    }
}

#[async_trait::async_trait]
impl Mapping for Reviews<'_> {
    type Item = ApiReview;

    const STREAM: &'static str = "reviews";

    fn map(&self, r: ApiReview) -> Result<Vec<Record>, String> {
        api::map_review(r).map(|r| vec![r])
    }

    async fn records(
        &self,
        http: &HttpClient,
        endpoint: &str,
        items: Vec<ApiReview>,
    ) -> Result<Vec<Record>, ConnectorError> {
        let mut out = Vec::with_capacity(items.len() + 1);
        if self.first_page.load(Ordering::SeqCst) {
            // Google Play exposes no overall rating or count: the snapshot records only what
            // the connector can read, so reports show the platform's coverage.
            out.push(Record::RatingSnapshot(RatingSnapshot {
                platform: PLATFORM.to_owned(),
                account: self.c.package_name.clone(),
                overall_rating: None,
                total_reviews: None,
                coverage: ReviewCoverage::RecentWindow,
                observed_at: http.clock().now(),
            }));
        }
        for item in items {
            out.extend(
                self.map(item)
                    .map_err(|e| ConnectorError::malformed(endpoint, e))?,
            );
        }
        Ok(out)
    }
}

impl CursorStream for Reviews<'_> {
    type Page = ReviewsPage;
    type Bookmark = ();
    type Checkpoint = ReviewsCheckpoint;

    fn start(&self, from: Option<ReviewsCheckpoint>) -> CursorPos<()> {
        match from.and_then(|cp| cp.token) {
            Some(token) => CursorPos::resume(token, None, None),
            None => CursorPos::first(None, None),
        }
    }

    fn request(&self, pos: &CursorPos<()>) -> PageRequest {
        self.first_page
            .store(pos.cursor.is_none(), Ordering::SeqCst);
        PageRequest::get(self.path.as_str())
            .query("maxResults", self.c.page_size)
            .query_opt(
                "translationLanguage",
                self.c.translation_language.as_deref(),
            )
            .query_opt("token", pos.cursor.as_deref())
    }

    fn page(&self, p: ReviewsPage) -> Result<CursorPage<ApiReview>, String> {
        let next = p.next_token().map(str::to_owned);
        let empty_window = p.is_empty_window();
        let items = match p.reviews {
            Some(items) => items,
            // `{}`: no review in the window. Anywhere else, or beside other members, a page
            // without `reviews` is not what the API sends.
            None if self.first_page.load(Ordering::SeqCst) && empty_window => Vec::new(),
            None => {
                return Err(
                    "the page has no `reviews` list (only a first page without reviews may leave it out)"
                        .into(),
                );
            }
        };
        Ok(CursorPage {
            items,
            next,
            more: More::IfNext,
        })
    }

    fn checkpoint(&self, pos: &CursorPos<()>, done: bool) -> ReviewsCheckpoint {
        ReviewsCheckpoint {
            token: if done { None } else { pos.cursor.clone() },
        }
    }

    /// A page token kept from an interrupted sync may have expired: read the window from
    /// its first page instead of failing (re-reads are upserts).
    fn restart_on_refused_cursor(&self) -> bool {
        true
    }
}
