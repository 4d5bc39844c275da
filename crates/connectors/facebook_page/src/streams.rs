//! The three streams: `page` a one-object [`PageNumberStream`], `comments` and
//! `recommendations` [`NextUrlStream`]s on Facebook's `paging.next` (rebuilt on `base_url`,
//! the `access_token` taken out of every checkpoint by the SDK's `Auth::Query`).
//!
//! **`page`**: `GET /{v}/{page-id}?fields=followers_count,fan_count`, once per sync; its
//! checkpoint only says when (every sync reads the page again: Facebook keeps no history).
//!
//! **`comments`**: `GET /{v}/{page-id}/posts?fields=id,created_time,comments…&since=…`,
//! the page's posts since `now − rescan_days`, each with its top-level comments and their
//! replies (field expansion, 100 a level; a longer edge is followed by its own
//! `paging.next`, committed with its page). Every sync reads the whole window again, so a
//! reply the page writes later is seen while the post is in the window (upserts; storage
//! keeps the earliest reply). Mid-pass the checkpoint is the next page
//! (`{"next": "/v21.0/…?…&after=…"}`); a finished pass stores `{}` and the next sync starts
//! a new window from its own clock.
//!
//! **`recommendations`**: `GET /{v}/{page-id}/ratings?fields=…`, newest first by cursor,
//! read whole every sync (the edge has no time filter; a page has few), with the comments
//! on each recommendation's `open_graph_story`. Checkpoints as for `comments`.

use crate::FacebookPageConnector;
use crate::api::{self, Comment, PageNode, Post, Rating, Reply};
use chrono::{DateTime, Utc};
use deskpulse_connector::http::HeaderMap;
use deskpulse_connector::meta_graph::{Edge, List, Paging};
use deskpulse_connector::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What a post of `comments` carries: its top-level comments and their replies, 100 a
/// level (Graph field expansion with the `limit` modifier).
pub const POST_FIELDS: &str = "id,created_time,comments.limit(100){id,from{id},created_time,is_hidden,comments.limit(100){id,from{id},created_time}}";

/// What a recommendation of `recommendations` carries (no `review_text`: no text is kept).
pub const RATING_FIELDS: &str = "created_time,recommendation_type,reviewer{id},open_graph_story{id,comments.limit(100){id,from{id},created_time}}";

/// The most pages of one nested edge followed (a post's comments, a comment's replies):
/// 100 a page, so 50 000 comments on one post.
const MAX_EDGE_PAGES: usize = 500;

// ---------------------------------------------------------------------------------------
// page

/// The checkpoint of `page`: when the counters were last observed (informational: every
/// sync reads the page again).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PageCheckpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<DateTime<Utc>>,
}

pub(crate) struct PageStream<'a> {
    pub c: &'a FacebookPageConnector,
}

impl Mapping for PageStream<'_> {
    type Item = PageNode;
    const STREAM: &'static str = "page";

    fn map(&self, p: PageNode) -> Result<Vec<Record>, String> {
        Ok(api::map_page(&self.c.graph.node, &p, self.c.clock().now()))
    }
}

impl PageNumberStream for PageStream<'_> {
    type Page = PageNode;
    type Position = PageCheckpoint;

    fn first(&self) -> PageCheckpoint {
        PageCheckpoint::default()
    }

    one_page!(PageCheckpoint);

    fn request(&self, _pos: &PageCheckpoint) -> PageRequest {
        PageRequest::get(self.c.graph.path("")).query("fields", "followers_count,fan_count")
    }

    fn page(&self, _pos: &PageCheckpoint, p: PageNode) -> Result<NumberedPage<PageNode>, String> {
        Ok(NumberedPage {
            items: vec![p],
            number: None,
            total_pages: Some(1),
        })
    }

    fn observe(&self, pos: &mut PageCheckpoint, _p: &PageNode) {
        pos.observed_at = Some(self.c.clock().now());
    }
}

// ---------------------------------------------------------------------------------------
// comments and recommendations

/// The checkpoint of `comments` and `recommendations`: the next page of a pass
/// (`{"next": "/v21.0/…"}`, without the token), or `{}` after a finished pass.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PassCheckpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Every item of a nested edge: its first page, then its `paging.next` pages (rebased on
/// `base_url`), so no comment or reply beyond the first 100 is missed.
async fn whole_edge<T: DeserializeOwned + Send + 'static>(
    http: &HttpClient,
    endpoint: &str,
    edge: Option<Edge<T>>,
) -> Result<Vec<T>, ConnectorError> {
    let Some(edge) = edge else {
        return Ok(Vec::new());
    };
    let mut items = edge.data;
    let mut next = Paging::next_url(&edge.paging);
    let mut seen = Vec::new();
    while let Some(n) = next {
        let url = if n.contains("://") {
            http.rebase(&n)?
        } else {
            http.resolve(&n)?
        };
        let key = http.stored_path(&url);
        if seen.contains(&key) || seen.len() >= MAX_EDGE_PAGES {
            return Err(ConnectorError::malformed(
                endpoint,
                format!(
                    "a nested edge's `paging.next` repeats or goes past {MAX_EDGE_PAGES} pages"
                ),
            ));
        }
        seen.push(key);
        let page: Edge<T> = http.get_json("default", url.as_str(), &[]).await?;
        items.extend(page.data);
        next = Paging::next_url(&page.paging);
    }
    Ok(items)
}

fn linked<T>(list: List<T>) -> LinkedPage<T> {
    LinkedPage {
        next: Paging::next_url(&list.paging),
        items: list.data,
    }
}

pub(crate) struct Comments<'a> {
    pub c: &'a FacebookPageConnector,
}

#[async_trait::async_trait]
impl Mapping for Comments<'_> {
    type Item = Post;
    const STREAM: &'static str = "comments";

    /// Unused: [`Comments::records`] maps a post once its edges are complete.
    fn map(&self, _post: Post) -> Result<Vec<Record>, String> {
        Ok(Vec::new())
    }

    async fn records(
        &self,
        http: &HttpClient,
        endpoint: &str,
        posts: Vec<Post>,
    ) -> Result<Vec<Record>, ConnectorError> {
        let page_id = &self.c.graph.node;
        let mut out = Vec::new();
        for post in posts {
            let comments: Vec<Comment> = whole_edge(http, endpoint, post.comments).await?;
            for mut comment in comments {
                let replies: Vec<Reply> =
                    whole_edge(http, endpoint, comment.comments.take()).await?;
                let record = api::map_comment(page_id, &comment, &replies).map_err(|e| {
                    ConnectorError::malformed(endpoint, format!("post {:?}: {e}", post.id))
                })?;
                out.extend(record);
            }
        }
        Ok(out)
    }
}

impl NextUrlStream for Comments<'_> {
    type Page = List<Post>;
    type Checkpoint = PassCheckpoint;

    fn first(&self, from: Option<PassCheckpoint>) -> PageRequest {
        if let Some(next) = from.and_then(|cp| cp.next) {
            return PageRequest::get(next);
        }
        let since = self.c.clock().now() - self.c.graph.rescan;
        PageRequest::get(self.c.graph.path("/posts"))
            .query("fields", POST_FIELDS)
            .query("since", since.timestamp())
            .query("limit", self.c.graph.page_size)
    }

    fn page(&self, list: List<Post>, _h: &HeaderMap) -> Result<LinkedPage<Post>, String> {
        Ok(linked(list))
    }

    fn checkpoint(&self, next: Option<&str>) -> PassCheckpoint {
        PassCheckpoint {
            next: next.map(str::to_owned),
        }
    }
}

pub(crate) struct Recommendations<'a> {
    pub c: &'a FacebookPageConnector,
}

#[async_trait::async_trait]
impl Mapping for Recommendations<'_> {
    type Item = Rating;
    const STREAM: &'static str = "recommendations";

    /// Unused: [`Recommendations::records`] maps an item once its story's comments are
    /// complete.
    fn map(&self, _r: Rating) -> Result<Vec<Record>, String> {
        Ok(Vec::new())
    }

    async fn records(
        &self,
        http: &HttpClient,
        endpoint: &str,
        ratings: Vec<Rating>,
    ) -> Result<Vec<Record>, ConnectorError> {
        let mut out = Vec::new();
        for mut r in ratings {
            let comments = r.open_graph_story.as_mut().and_then(|s| s.comments.take());
            let replies: Vec<Reply> = whole_edge(http, endpoint, comments).await?;
            out.push(
                api::map_rating(&self.c.graph.node, &r, &replies)
                    .map_err(|e| ConnectorError::malformed(endpoint, e))?,
            );
        }
        Ok(out)
    }
}

impl NextUrlStream for Recommendations<'_> {
    type Page = List<Rating>;
    type Checkpoint = PassCheckpoint;

    fn first(&self, from: Option<PassCheckpoint>) -> PageRequest {
        if let Some(next) = from.and_then(|cp| cp.next) {
            return PageRequest::get(next);
        }
        PageRequest::get(self.c.graph.path("/ratings"))
            .query("fields", RATING_FIELDS)
            .query("limit", self.c.graph.page_size)
    }

    fn page(&self, list: List<Rating>, _h: &HeaderMap) -> Result<LinkedPage<Rating>, String> {
        Ok(linked(list))
    }

    fn checkpoint(&self, next: Option<&str>) -> PassCheckpoint {
        PassCheckpoint {
            next: next.map(str::to_owned),
        }
    }
}
