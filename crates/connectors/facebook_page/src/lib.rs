//! deskpulse connector for a Facebook Page (Graph API): the page's follower and like
//! counts, the customer comments on its recent posts with when the page first replied,
//! and its recommendations (positive or negative) with the page's reply.
//!
//! **What it reads** (reference notes §1.5; developers.facebook.com/docs/graph-api):
//! - `page`: `GET /{v}/{page-id}?fields=followers_count,fan_count`, once per sync → a
//!   `SocialStat` `Followers` (`followers_count`) and `Likes` (`fan_count`). New Pages
//!   Experience pages have no `fan_count` (followers replace likes): then no `Likes` stat.
//! - `comments`: `GET /{v}/{page-id}/posts` since `now − rescan_days` (cursor paging by
//!   `paging.next`), each post with its comments and their replies (field expansion, and
//!   each nested edge's own `paging.next` when it holds more than 100). Each comment → a
//!   `SocialInteraction` `Comment`: `id`, `created_time`, `from.id` as the author,
//!   `is_hidden` as `deleted`, and as `replied_at` the earliest reply in its thread whose
//!   `from.id` is the page. The page's own comments are not interactions; a reply by anyone
//!   else is no answer.
//! - `recommendations`: `GET /{v}/{page-id}/ratings` (cursor paging), every sync the whole
//!   list → a `SocialInteraction` `Recommendation`: id = the object part of
//!   `open_graph_story.id` (Graph writes `{reviewer id}_{object id}`; the reviewer's id is
//!   not kept in a key), or `rating:{unix time}` for an item without a story (before
//!   August 2018),
//!   `positive` from `recommendation_type` (`positive`/`negative`; none for a legacy star
//!   rating), `reviewer.id` as the author, and as `replied_at` the page's first comment on
//!   the story. Negative recommendations count as complaints.
//!
//! No comment, post or recommendation text is requested or stored; authors are passed as
//! Facebook's (page-scoped) user ids, which storage keeps only as keyed hashes.
//!
//! **Access.** A Page access token (`GET /me/accounts`) of someone who can perform the
//! MODERATE task on the Page, for an app with `pages_read_engagement` and
//! `pages_read_user_content` (App Review and Business Verification for advanced access).
//! "Parent Page access tokens cannot be used to get recommendations for child Pages".
//! The token is sent as the `access_token` query parameter, as Graph's examples do; the
//! SDK removes it from every log line, error and checkpoint (the `paging.next` links
//! Facebook returns carry it too).
//!
//! **Known limits.**
//! - Recommendations are at risk: the Recommendation reference says querying them "using
//!   v22.0 or later will return error code 12", while the `/ratings` reference still shows
//!   recent versions (reference §1.5, §7: unconfirmed until tried with a real token). The
//!   default `api_version` is `v21.0`; once Facebook retires it, calls are served by a later
//!   version. When Facebook answers that the edge is deprecated or unsupported, the
//!   `recommendations` stream fails with an error saying so and naming
//!   `read_recommendations`: set it to `false` and the stream reads nothing (the page
//!   counters and comments are unaffected).
//! - Comments are read on the page's own posts (`/posts`) created in the last
//!   `rescan_days` (default 7): a comment (or a page reply) on an older post is not seen,
//!   nor visitor posts and their comments (`/feed`), nor mentions and tags. A reply the page
//!   writes after the post left the window is not seen (the comment stays unanswered). A
//!   comment deleted by its author disappears from the API: one stored earlier keeps its
//!   last state. Sync at least every `rescan_days`.
//! - Replies: only threaded replies (`comments` on the comment) count; the page's own
//!   top-level comment on the post is not a reply to anyone. A customer's reply inside a
//!   thread is not an interaction of its own (the thread's top-level comment is). A comment
//!   whose `from` Graph leaves out is a customer's, without an author.
//! - Rate limits: Page tokens fall under the Pages Business Use Case limit (4 800 calls ×
//!   engaged users per 24 hours), user and app tokens under the platform limit (200 × users
//!   per hour). `requests_per_hour` (default 200) paces requests client-side. The SDK does
//!   not read Meta's `X-App-Usage` / `X-Business-Use-Case-Usage` headers, and Meta's
//!   throttling errors (codes 4, 17, 32, 613, 80001) come as HTTP 400/403 and are not
//!   retried: the sync fails and the next one starts the window again.
//! - Page ratings (`overall_star_rating`, `rating_count`) are not read.
//!
//! A source of this kind in `deskpulse.toml`:
//!
//! ```toml
//! [[sources]]
//! name = "facebook"
//! kind = "facebook_page"
//! page_id = "112233445566778"                 # the Page's numeric id (GET /me/accounts)
//! access_token = "${FACEBOOK_PAGE_TOKEN}"     # a Page access token; sent as `access_token`
//! # base_url = "https://graph.facebook.com"   # every request and next page (tests, proxies)
//! # api_version = "v21.0"                     # the Graph API version in every path
//! # rescan_days = 7                           # each sync reads the posts of the last N days
//! # page_size = 100                           # `limit`, 1 to 100
//! # requests_per_hour = 200                   # client-side pace; 0 = none
//! # read_recommendations = true               # false once Facebook refuses recommendations
//! ```

mod api;
mod settings;
mod streams;

pub use deskpulse_connector::meta_graph::{
    DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_REQUESTS_PER_HOUR, DEFAULT_RESCAN_DAYS,
    MAX_PAGE_SIZE,
};
pub use settings::FacebookPageSettings;
pub use streams::{POST_FIELDS, PageCheckpoint, PassCheckpoint, RATING_FIELDS};

/// The settings of a Facebook Page source, by the name every connector crate uses.
pub type Settings = FacebookPageSettings;

use deskpulse_connector::meta_graph::{self, GraphSource};
use deskpulse_connector::prelude::*;
use futures::TryStreamExt as _;

/// Facebook Page, as the CLI registers it.
pub struct FacebookPage;

impl ConnectorFactory for FacebookPage {
    const KIND: &'static str = "facebook_page";
    const DESCRIPTION: &'static str = "Facebook Page (Graph API): followers and likes, customer comments on the page's recent posts with the page's first reply, and recommendations (positive/negative) with the page's reply";
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec::new(
            "page",
            "the page's followers (`followers_count`) and likes (`fan_count`, absent on New Pages Experience pages), once per sync",
        ),
        StreamSpec::new(
            "comments",
            "comments on the page's posts of the last `rescan_days`, with the page's first threaded reply; hidden ones as deleted",
        ),
        StreamSpec::new(
            "recommendations",
            "the page's recommendations (positive/negative) with the page's first comment on each; optional (`read_recommendations`): deprecated by Facebook from Graph v22.0",
        ),
    ];
    /// The comments: the permissions a sync needs for the bulk of its work.
    const PROBE_STREAM: Option<&'static str> = Some("comments");
    build_from!(FacebookPageSettings => FacebookPageConnector::new);
}

/// A configured Facebook Page source.
#[derive(Debug)]
pub struct FacebookPageConnector {
    http: HttpClient,
    graph: GraphSource,
    read_recommendations: bool,
}

impl FacebookPageConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: FacebookPageSettings) -> Result<Self, ConnectorError> {
        let (graph, http) = settings.graph()?;
        Ok(Self {
            http,
            graph,
            read_recommendations: settings.read_recommendations,
        })
    }
}

impl HttpConnector for FacebookPageConnector {
    type Kind = FacebookPage;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        let c = self;
        let inner = match stream {
            "page" => page_number_stream(&self.http, streams::PageStream { c }, from),
            "comments" => next_url_stream(&self.http, streams::Comments { c }, from),
            "recommendations" if !self.read_recommendations => Box::pin(futures::stream::empty()),
            "recommendations" => next_url_stream(&self.http, streams::Recommendations { c }, from),
            _ => return None,
        };
        let stream: &'static str = FacebookPage::STREAMS
            .iter()
            .find(|s| s.name == stream)
            .map_or("", |s| s.name);
        Some(Box::pin(inner.map_err(move |e| explain(stream, e))))
    }
}

/// Graph's errors said plainly ([`meta_graph::explain`]: code 190 is the token); on
/// `recommendations`, code 12, a "deprecated" answer or "Tried accessing nonexisting field
/// (ratings)" says the edge is gone and how to turn the stream off. (Not any "Unsupported get
/// request": Graph says that of a wrong page id or missing permissions too.)
fn explain(stream: &'static str, err: ConnectorError) -> ConnectorError {
    match meta_graph::explain(err) {
        ConnectorError::Http {
            status,
            endpoint,
            attempts,
            detail,
        } if stream == "recommendations" && edge_gone(&detail) => ConnectorError::Http {
            status,
            endpoint,
            attempts,
            detail: format!(
                "stream `recommendations`: Facebook no longer serves this Page's recommendations on this API version \
                 (deprecated from Graph v22.0); set `read_recommendations = false` for this source to skip the stream \
                 (followers, likes and comments are unaffected). Facebook said: {detail}"
            ),
        },
        other => other,
    }
}

/// Whether Graph's answer says the recommendations edge is gone.
fn edge_gone(detail: &str) -> bool {
    let compact: String = detail.chars().filter(|c| !c.is_whitespace()).collect();
    let lower = compact.to_ascii_lowercase();
    meta_graph::has_code(detail, 12)
        || lower.contains("deprecated")
        || lower.contains("nonexistingfield(ratings)")
}
