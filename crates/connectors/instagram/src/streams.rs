//! The two streams, declared for the SDK's cursor paginator.
//!
//! - `account`: one request, `GET /{v}/{ig-user-id}?fields=followers_count,follows_count,media_count,username`
//!   (IG User reference), one `SocialStat` (followers) dated by the client's clock.
//! - `comments`: the account's media newest first, `GET /{v}/{ig-user-id}/media?fields=id,timestamp,comments_count,username&limit=…`
//!   paged by `after` (IG User Media reference: cursor paging, `paging.next` only when there
//!   is more; Graph lists the media newest first). The newest medium read so far in a pass
//!   sets its window (media listed out of order only move it); the pass keeps the media published
//!   up to `rescan_days` before it and ends at the first older one. For each kept medium
//!   with comments, `GET /{v}/{ig-media-id}/comments` with the nested `replies` (IG Media
//!   Comments reference), more pages by `after`, and `GET /{v}/{ig-comment-id}/replies`
//!   when a comment's nested replies have a next page; the records are committed with the
//!   media page that listed them.
//!
//! Every pass reads the whole window again (comments and replies arrive on recent media for
//! days), so a reply the brand posts after an earlier sync is seen by the next one and the
//! comment is emitted again with it (storage keeps the earliest reply time). The checkpoint
//! holds the media cursor and the pass's newest medium mid-pass, and nothing after a pass.
//!
//! Next pages are asked for by their `after` cursor on the configured `base_url` (taken from
//! `paging.cursors.after`, or from the `after` of the vendor's absolute `paging.next`): the
//! vendor's host, version and `access_token` in that link are never used or stored.

use crate::InstagramConnector;
use crate::api::{self, AccountPage, Brand, Comment, IgUser, Medium};
use chrono::{DateTime, Utc};
use deskpulse_connector::meta_graph::List;
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The fields of the account read: followers for the record; the others are asked for as the
/// reference's example does and not used (see `api::map_account`).
const ACCOUNT_FIELDS: &str = "followers_count,follows_count,media_count,username";
/// What a medium is read for: when, whether it has comments, and the owner's username (the
/// brand's, which replies may carry instead of an id).
const MEDIA_FIELDS: &str = "id,timestamp,comments_count,username";
/// Who and when, never `text`.
const REPLY_FIELDS: &str = "id,timestamp,username,from{id,username},user";
const COMMENT_FIELDS: &str = "id,timestamp,username,from{id,username},user,hidden,replies{id,timestamp,username,from{id,username},user}";

// ---------------------------------------------------------------------------------------
// account

/// The checkpoint of `account`: nothing to resume (one request a sync); `{}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountCheckpoint {}

pub(crate) struct Account<'a> {
    pub c: &'a InstagramConnector,
}

impl Mapping for Account<'_> {
    type Item = IgUser;
    const STREAM: &'static str = "account";

    fn map(&self, user: IgUser) -> Result<Vec<Record>, String> {
        api::map_account(&self.c.graph.node, user, self.c.http.clock().now())
    }
}

impl CursorStream for Account<'_> {
    type Page = AccountPage;
    type Bookmark = ();
    type Checkpoint = AccountCheckpoint;

    fn start(&self, _from: Option<AccountCheckpoint>) -> CursorPos<()> {
        CursorPos::first(None, None)
    }

    fn request(&self, _pos: &CursorPos<()>) -> PageRequest {
        PageRequest::get(self.c.graph.path("")).query("fields", ACCOUNT_FIELDS)
    }

    fn page(&self, p: AccountPage) -> Result<CursorPage<IgUser>, String> {
        Ok(CursorPage {
            items: vec![p.user()?],
            next: None,
            more: More::Flag(false),
        })
    }

    fn checkpoint(&self, _pos: &CursorPos<()>, _done: bool) -> AccountCheckpoint {
        AccountCheckpoint {}
    }
}

// ---------------------------------------------------------------------------------------
// comments

/// The checkpoint of `comments`. Mid-pass `{"after": "<media cursor>", "newest": "<the
/// pass's newest medium>"}`; after a pass `{}` (the next pass starts at the newest medium).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CommentsCheckpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<DateTime<Utc>>,
}

pub(crate) struct Comments<'a> {
    pub c: &'a InstagramConnector,
}

#[async_trait::async_trait]
impl Mapping for Comments<'_> {
    type Item = Medium;
    const STREAM: &'static str = "comments";

    /// A medium is not a record: its comments are (see `records`).
    fn map(&self, _m: Medium) -> Result<Vec<Record>, String> {
        Ok(Vec::new())
    }

    /// The customer comments on the page's media, each with the brand's first reply.
    async fn records(
        &self,
        http: &HttpClient,
        _endpoint: &str,
        media: Vec<Medium>,
    ) -> Result<Vec<Record>, ConnectorError> {
        let username = media.iter().find_map(|m| m.username.clone());
        let brand = Brand {
            ig_user_id: &self.c.graph.node,
            username: username.as_deref(),
        };
        let mut out = Vec::new();
        for m in media {
            if m.comments_count == Some(0) {
                continue;
            }
            let path = self.c.node_path(&m.id, "comments")?;
            for mut c in read_all(http, self.c.graph.page_size, &path, COMMENT_FIELDS, None).await?
            {
                if brand.wrote(&c) {
                    continue;
                }
                let nested = c.replies.take();
                let replies = match nested {
                    // More replies than the nested page holds: the rest from the edge.
                    Some(p) if p.paging.as_ref().is_some_and(|g| g.next.is_some()) => {
                        let path = self.c.node_path(&c.id, "replies")?;
                        read_all(http, self.c.graph.page_size, &path, REPLY_FIELDS, Some(p)).await?
                    }
                    Some(p) => p.data,
                    None => Vec::new(),
                };
                out.extend(api::map_comment(&brand, &c, &replies).map(Record::SocialInteraction));
            }
        }
        Ok(out)
    }
}

/// Every comment of a comments (or replies) edge: `first` if already read (a nested page),
/// then the pages after it. A cursor seen before in the same listing is `Malformed` (the
/// API would send the same pages for ever).
async fn read_all(
    http: &HttpClient,
    page_size: u32,
    path: &str,
    fields: &str,
    first: Option<List<Comment>>,
) -> Result<Vec<Comment>, ConnectorError> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut after: Option<String> = None;
    let mut page = first;
    loop {
        let p = match page.take() {
            Some(p) => p,
            None => {
                let mut q = vec![
                    ("fields", fields.to_owned()),
                    ("limit", page_size.to_string()),
                ];
                if let Some(a) = &after {
                    q.push(("after", a.clone()));
                }
                // A lookup per medium, not a page of the stream: a medium listed on two
                // media pages (a post published mid-sync) is read twice, legitimately.
                http.get_json::<List<Comment>>("default", path, &q).await?
            }
        };
        let next = match &p.paging {
            Some(g) => g
                .next_after()
                .map_err(|e| ConnectorError::malformed(path, e))?,
            None => None,
        };
        out.extend(p.data);
        match next {
            None => return Ok(out),
            Some(n) if !seen.insert(n.clone()) => {
                return Err(ConnectorError::malformed(
                    path,
                    format!("the `after` cursor {n:?} came back: the pages repeat"),
                ));
            }
            Some(n) => after = Some(n),
        }
    }
}

impl CursorStream for Comments<'_> {
    type Page = List<Medium>;
    /// The newest medium's time in the pass: the window is the `rescan_days` before it.
    type Bookmark = DateTime<Utc>;
    type Checkpoint = CommentsCheckpoint;

    fn start(&self, from: Option<CommentsCheckpoint>) -> CursorPos<DateTime<Utc>> {
        match from {
            Some(CommentsCheckpoint {
                after: Some(after),
                newest,
            }) => CursorPos::resume(after, None, newest),
            _ => CursorPos::first(None, None),
        }
    }

    fn request(&self, pos: &CursorPos<DateTime<Utc>>) -> PageRequest {
        PageRequest::get(self.c.graph.path("/media"))
            .query("fields", MEDIA_FIELDS)
            .query("limit", self.c.graph.page_size)
            .query_opt("after", pos.cursor.as_deref())
    }

    fn page(&self, p: List<Medium>) -> Result<CursorPage<Medium>, String> {
        let next = match &p.paging {
            Some(g) => g.next_after()?,
            None => None,
        };
        Ok(CursorPage {
            more: More::Flag(next.is_some()),
            next,
            items: p.data,
        })
    }

    fn bookmark(&self, m: &Medium) -> Option<DateTime<Utc>> {
        Some(m.timestamp)
    }

    /// Newest first: the pass ends at the first medium older than the window.
    fn keep(&self, pos: &CursorPos<DateTime<Utc>>, m: &Medium) -> Keep {
        match pos.bookmark {
            Some(newest) if m.timestamp < newest - self.c.graph.rescan => Keep::SkipAndStop,
            _ => Keep::Yes,
        }
    }

    fn checkpoint(&self, pos: &CursorPos<DateTime<Utc>>, done: bool) -> CommentsCheckpoint {
        if done {
            return CommentsCheckpoint::default();
        }
        CommentsCheckpoint {
            after: pos.cursor.clone(),
            newest: pos.bookmark,
        }
    }
}
