//! deskpulse connector for Instagram (Instagram Graph API, a professional account): the
//! account's followers once per sync, and every customer comment on the account's recent
//! media with the time of the account's own first reply.
//!
//! **What it reads.**
//! - `account`: `GET /{v}/{ig-user-id}?fields=followers_count,follows_count,media_count,username`
//!   → one `SocialStat` `followers` = `followers_count`, dated by the client's clock (storage
//!   keeps one a UTC day). `follows_count` (accounts the brand follows) and `media_count` (its
//!   own posts) are not customer activity and map to no metric; Instagram has no account-level
//!   likes. The object itself (as documented) and the same object inside `data` (airbyte's
//!   recorded mock) are both read.
//! - `comments`: the account's media newest first (`GET /{v}/{ig-user-id}/media`), from the
//!   newest back to `rescan_days` before it, and each medium's top-level comments with their
//!   replies (`GET /{v}/{ig-media-id}/comments?fields=id,timestamp,username,from{id,username},user,hidden,replies{…}`;
//!   no `text` is ever asked for). Each customer comment → one `SocialInteraction` `comment`:
//!   `id`, `timestamp`, `author_id` = `from.id` (the commenter's Instagram-scoped id; storage
//!   keeps a keyed hash), `replied_at` = the earliest reply written by the account, `deleted`
//!   = `hidden`. Paging and the window: `streams.rs`.
//!
//! **Who is the account.** A comment or reply is the account's own when its `user` (the IG
//! user id, which Instagram gives only on comments the app user wrote) or `from.id` is
//! `ig_user_id`, or its `username` / `from.username` is the account's username (read from its
//! media; Instagram usernames are unique). The documented example reply carries only
//! `username`; `from.id` is an Instagram-scoped id that need not equal the IG user id, so ids
//! alone would miss replies. The account's own top-level comments are not interactions; a
//! reply by anyone else (a customer, another brand) is not an answer.
//!
//! **Known limits.**
//! - Replies, and comments on older media, are seen while their medium is within
//!   `rescan_days` (default 7) of the account's newest medium; a reply the brand writes on a
//!   medium older than that is never seen (its comment stays unanswered), nor are new
//!   comments there. Raise `rescan_days` for an account whose posts stay busy longer. For
//!   the same reason there is no backfill: the first sync reads the window only, and the
//!   history before it is never read.
//! - A comment deleted after it was stored stays stored as it was (the API just stops
//!   listing it); a comment hidden later is updated while its medium is in the window. A
//!   medium whose `comments_count` is 0 is not asked for comments.
//! - Only top-level comments are interactions: a customer's reply inside a thread is part of
//!   the thread, not a new comment.
//! - Not read (IG Comment reference): comments on ads (Marketing API), on age-restricted
//!   media, by users the account restricted, and on live video after it ended.
//! - Mentions are not read. `GET /{ig-user-id}/tags` lists media others tagged the account
//!   in, but the account's answers to them cannot be read (the comments edge is for the
//!   account's own media, and comments found through mentions cannot be queried), so they
//!   would count as unanswered forever; caption and comment @mentions come only by webhook.
//! - Permissions: Facebook Login (`graph.facebook.com`) needs `instagram_basic`,
//!   `instagram_manage_comments`, `pages_read_engagement` (and `ads_read` where the Page role
//!   comes from Business Manager); Instagram Login (`base_url = "https://graph.instagram.com"`)
//!   needs `instagram_business_basic`, `instagram_business_manage_comments`. Apps serving
//!   accounts they do not own need Advanced Access (App Review). Since 2024-08-27 a
//!   commenter's `username` needs the comments permission.
//! - Rate limits: Meta's platform limit is 200 calls × users an hour for user tokens;
//!   Instagram's business use case limit is 4 800 × impressions per 24 h. `requests_per_hour`
//!   (default 200) spaces the requests; a 429 is waited out. Meta signals throttling with
//!   error codes 4, 17, 32, 613 on a 400/403 and `X-App-Usage` / `X-Business-Use-Case-Usage`
//!   headers, which the SDK does not read: such a sync fails and the next resumes from its
//!   checkpoint. A sync costs one request for the account, one per media page, and one per
//!   medium with comments in the window (more for long comment and reply lists): at the
//!   default pace, 18 s each. `deskpulse check` reads `account` only (one request); the
//!   comment permission is first exercised by a sync.
//! - `api_version` defaults to `v21.0` (the reference's examples); Meta retires a version
//!   about two years after its release: set a current one.
//!
//! A source of this kind in `deskpulse.toml`:
//!
//! ```toml
//! [[sources]]
//! name = "instagram"
//! kind = "instagram"
//! ig_user_id = "17841400000000000"             # GET /{page-id}?fields=instagram_business_account
//! access_token = "${INSTAGRAM_ACCESS_TOKEN}"   # sent as the `access_token` query parameter
//! # base_url = "https://graph.facebook.com"    # https://graph.instagram.com with Instagram Login
//! # api_version = "v21.0"                      # the first path segment of every request
//! # rescan_days = 7                            # media this many days before the newest are read again
//! # page_size = 100                            # `limit` of every list, 1 to 100
//! # requests_per_hour = 200                    # 0 = no client-side limit
//! ```

mod api;
mod settings;
mod streams;

pub use deskpulse_connector::meta_graph::{
    DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_REQUESTS_PER_HOUR, DEFAULT_RESCAN_DAYS,
    MAX_PAGE_SIZE,
};
pub use settings::InstagramSettings;
pub use streams::{AccountCheckpoint, CommentsCheckpoint};

/// The settings of an Instagram source, by the name every connector crate uses.
pub type Settings = InstagramSettings;

use deskpulse_connector::meta_graph::{self, GraphSource};
use deskpulse_connector::prelude::*;

/// Instagram, as the CLI registers it.
pub struct Instagram;

impl ConnectorFactory for Instagram {
    const KIND: &'static str = "instagram";
    const DESCRIPTION: &'static str = "Instagram Graph API (a professional account): followers once per sync, and customer comments on recent media with the account's first reply";
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec::new(
            "account",
            "the account's followers (`followers_count`), one social stat per sync",
        ),
        StreamSpec::new(
            "comments",
            "customer comments on the media of the last `rescan_days` before the newest, with the account's first reply; hidden ones marked deleted",
        ),
    ];
    /// One request: the first page of `comments` would also read the comments of up to
    /// `page_size` media, at the default pace of one request every 18 s.
    const PROBE_STREAM: Option<&'static str> = Some("account");
    build_from!(InstagramSettings => InstagramConnector::new);
}

/// A configured Instagram source.
#[derive(Debug)]
pub struct InstagramConnector {
    http: HttpClient,
    graph: GraphSource,
}

impl InstagramConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: InstagramSettings) -> Result<Self, ConnectorError> {
        let (graph, http) = settings.graph()?;
        Ok(Self { http, graph })
    }

    /// `/{version}/{node}/{edge}` for a node the media list named (`{media-id}/comments`).
    fn node_path(&self, node: &str, edge: &str) -> Result<String, ConnectorError> {
        self.graph.node_path(node, edge, &self.graph.path("/media"))
    }
}

impl HttpConnector for InstagramConnector {
    type Kind = Instagram;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        Some(meta_graph::explained(match stream {
            "account" => cursor_stream(&self.http, streams::Account { c: self }, from),
            "comments" => cursor_stream(&self.http, streams::Comments { c: self }, from),
            _ => return None,
        }))
    }
}
