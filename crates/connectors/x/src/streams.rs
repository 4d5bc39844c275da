//! The two streams.
//!
//! **`user`** ([`PageNumberStream`], one page): `GET /2/users/{id}?user.fields=public_metrics`
//! once per sync → one `SocialStat` `followers`. Its checkpoint only records when it was last
//! observed; every sync reads it again (X keeps no follower history: trends come from our
//! daily snapshots).
//!
//! **`mentions`** ([`CursorStream`] on `meta.next_token`): `GET /2/users/{id}/mentions` with
//! `start_time`, `max_results`, `pagination_token` and
//! `tweet.fields=author_id,created_at,conversation_id,referenced_tweets`, newest first. A
//! sync reads one *pass*: every mention from the pass's `start_time` to now. Before the first
//! page's records are made, the brand's own posts over the same window are read
//! (`GET /2/users/{id}/tweets`, `tweet.fields=created_at,referenced_tweets`, every page): a
//! brand post whose `referenced_tweets` holds `{type: "replied_to", id: <mention>}` answers
//! that mention, and the earliest one is its `replied_at`. A reply always comes after its
//! mention, so replies to the window's mentions are all in the window's brand posts.
//!
//! Checkpoints: mid-pass `{"start_time", "pagination_token", "newest"}` (a killed sync goes
//! on at the page it stopped at, reading the brand's posts of the same window again); after a
//! pass `{"newest": <created_at of the newest mention read>}`, never moved backwards. The next
//! pass starts at `min(newest, now − rescan_days)` (never before `start_date`): every mention
//! of the last `rescan_days` is read again with the brand's replies of today, so a reply
//! posted days later updates the stored mention (the whole record is emitted again; storage
//! keeps the earliest reply). The first pass starts at `start_date`, or `rescan_days` before
//! now.
//!
//! Limits: X lists only the ~800 most recent mentions and the 3 200 most recent posts of an
//! account; mentions older than the rescan window are not read again, so a first reply to
//! one of them is missed. A deleted mention is no longer listed: a mention the last pass
//! read that is still inside this pass's window and not listed any more is emitted again
//! as `deleted` (the checkpoint keeps the window's mention ids and times for that, nothing
//! else); one deleted after it left the window keeps its stored record.

use crate::XConnector;
use crate::api::{self, Post, Replies, TimelinePage, UserPage};
use chrono::{DateTime, SecondsFormat, Utc};
use deskpulse_connector::not_future;
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The rate-limit groups: one per X endpoint (each has its own 15-minute limit).
pub(crate) const USERS: &str = "users";
pub(crate) const MENTIONS: &str = "mentions";
pub(crate) const TWEETS: &str = "tweets";

/// X refuses a `start_time` before its first archived day.
const X_EPOCH: &str = "2010-11-06T00:00:00Z";

/// The fields of a post asked for (and only these are read).
const MENTION_FIELDS: &str = "author_id,created_at,conversation_id,referenced_tweets";
const REPLY_FIELDS: &str = "created_at,referenced_tweets";

/// X's time format in queries: RFC 3339 in whole seconds, `Z`.
fn x_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------
// user

/// The checkpoint of `user`: when the snapshot was last taken (informational: every sync
/// reads the account again).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserCheckpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<DateTime<Utc>>,
}

pub(crate) struct UserStream<'a> {
    pub c: &'a XConnector,
}

impl Mapping for UserStream<'_> {
    type Item = UserPage;
    const STREAM: &'static str = "user";
    const GROUP: &'static str = USERS;

    fn map(&self, page: UserPage) -> Result<Vec<Record>, String> {
        api::map_user(&self.c.user_id, page, self.c.clock().now()).map(|r| vec![r])
    }
}

impl PageNumberStream for UserStream<'_> {
    type Page = UserPage;
    type Position = UserCheckpoint;

    fn first(&self) -> UserCheckpoint {
        UserCheckpoint::default()
    }

    one_page!(UserCheckpoint);

    fn request(&self, _pos: &UserCheckpoint) -> PageRequest {
        PageRequest::get(format!("/2/users/{}", self.c.user_id))
            .query("user.fields", "public_metrics")
    }

    fn page(
        &self,
        _pos: &UserCheckpoint,
        page: UserPage,
    ) -> Result<NumberedPage<UserPage>, String> {
        Ok(NumberedPage {
            items: vec![page],
            number: None,
            total_pages: Some(1),
        })
    }

    fn observe(&self, pos: &mut UserCheckpoint, _page: &UserPage) {
        pos.observed_at = Some(self.c.clock().now());
    }
}

// ---------------------------------------------------------------------------------------
// mentions

/// The stored checkpoint of `mentions`. Mid-pass: the pass's `start_time`, the next page's
/// `pagination_token`, the newest `created_at` read so far, the previous pass's mentions
/// (`seen`), this pass's so far (`read`) and how many posts it was given (`count`); after a
/// pass: `newest` (`null` when no mention was ever read) and the pass's mentions as `seen`.
/// `seen` and `read` map a mention's id to its `created_at` (no author, no text): a mention
/// of the last pass still inside the window that the next pass is not given was deleted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MentionsCheckpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
    #[serde(default)]
    pub newest: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub seen: BTreeMap<String, DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub read: BTreeMap<String, DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub count: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// X lists at most this many of an account's most recent mentions.
const MENTIONS_HORIZON: u64 = 800;

/// What a pass carries from page to page besides the SDK's position.
#[derive(Default)]
struct PassState {
    /// The pass's window start.
    window: Option<DateTime<Utc>>,
    /// The previous pass's mentions (id → `created_at`).
    seen: BTreeMap<String, DateTime<Utc>>,
    /// This pass's mentions so far.
    read: BTreeMap<String, DateTime<Utc>>,
    /// Posts X gave this pass (all kinds).
    count: u64,
    /// The page being mapped is the pass's last.
    last: bool,
}

pub(crate) struct Mentions<'a> {
    pub c: &'a XConnector,
    /// The pass's window, its mentions and the last pass's (set by `start`).
    state: Mutex<PassState>,
    /// The brand's replies over the window, read once per run (before the first page's
    /// records).
    replies: tokio::sync::OnceCell<Replies>,
}

impl<'a> Mentions<'a> {
    pub(crate) fn new(c: &'a XConnector) -> Self {
        Self {
            c,
            state: Mutex::new(PassState::default()),
            replies: tokio::sync::OnceCell::new(),
        }
    }

    /// The start of a pass after `newest`: the last `rescan_days`, or from `newest` if that
    /// is older (every mention since the last one read); never before `start_date`.
    fn floor(&self, newest: Option<DateTime<Utc>>) -> DateTime<Utc> {
        let now = self.c.clock().now();
        let window = now.checked_sub_signed(self.c.rescan).unwrap_or(now);
        let from = match (newest, self.c.start) {
            (Some(n), s) => {
                let f = n.min(window);
                s.map_or(f, |s| f.max(s))
            }
            (None, Some(s)) => s,
            (None, None) => window,
        };
        let epoch: DateTime<Utc> = X_EPOCH.parse().unwrap_or(from);
        from.max(epoch)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PassState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn window(&self) -> DateTime<Utc> {
        let w = self.state().window;
        w.unwrap_or_else(|| self.floor(None))
    }

    /// At the end of a pass: the last pass's mentions inside this pass's window that X no
    /// longer lists, as deleted. Only where the pass saw the whole window: past X's
    /// 800-mention horizon a missing mention may merely be too old to be listed.
    fn deleted(&self) -> Vec<Record> {
        let st = self.state();
        let floor = st.window.unwrap_or_else(|| self.floor(None));
        let horizon = if st.count >= MENTIONS_HORIZON {
            st.read.values().min().copied()
        } else {
            None
        };
        st.seen
            .iter()
            .filter(|(id, at)| {
                **at >= floor && horizon.is_none_or(|h| **at >= h) && !st.read.contains_key(*id)
            })
            .map(|(id, at)| api::deleted_mention(&self.c.user_id, id, *at))
            .collect()
    }

    /// Every page of the brand's posts since the window's start, into [`Replies`].
    async fn load_replies(&self, http: &HttpClient) -> Result<Replies, ConnectorError> {
        let path = format!("/2/users/{}/tweets", self.c.user_id);
        let start = x_time(self.window());
        let mut replies = Replies::default();
        let mut token: Option<String> = None;
        loop {
            let mut q: Vec<(&str, String)> = vec![
                ("max_results", self.c.max_results.to_string()),
                ("tweet.fields", REPLY_FIELDS.to_owned()),
                ("start_time", start.clone()),
            ];
            if let Some(t) = &token {
                q.push(("pagination_token", t.clone()));
            }
            let page: TimelinePage = http.get_page_json(TWEETS, &path, &q).await?;
            let (posts, next) = page
                .split()
                .map_err(|e| ConnectorError::malformed(&path, e))?;
            replies
                .add(&posts)
                .map_err(|e| ConnectorError::malformed(&path, e))?;
            match next.filter(|n| !n.is_empty()) {
                None => return Ok(replies),
                Some(n) if token.as_ref() == Some(&n) => {
                    return Err(ConnectorError::malformed(
                        &path,
                        "the next `next_token` did not move (the same page again)",
                    ));
                }
                Some(n) => token = Some(n),
            }
        }
    }
}

#[async_trait::async_trait]
impl Mapping for Mentions<'_> {
    type Item = Post;
    const STREAM: &'static str = "mentions";
    const GROUP: &'static str = MENTIONS;

    /// Not called: [`Mapping::records`] needs the brand's replies first.
    fn map(&self, post: Post) -> Result<Vec<Record>, String> {
        api::map_mention(&self.c.user_id, &post, &Replies::default())
            .map(|r| r.into_iter().collect())
    }

    async fn records(
        &self,
        http: &HttpClient,
        endpoint: &str,
        items: Vec<Post>,
    ) -> Result<Vec<Record>, ConnectorError> {
        let mut out = Vec::with_capacity(items.len());
        // Nothing to answer: the brand's posts are not read (each read is billed).
        if !items.is_empty() {
            let replies = self
                .replies
                .get_or_try_init(|| self.load_replies(http))
                .await?;
            for post in &items {
                if let Some(r) = api::map_mention(&self.c.user_id, post, replies)
                    .map_err(|e| ConnectorError::malformed(endpoint, e))?
                {
                    if let Record::SocialInteraction(m) = &r {
                        self.state()
                            .read
                            .insert(m.external_id.clone(), m.created_at);
                    }
                    out.push(r);
                }
            }
        }
        if self.state().last {
            out.extend(self.deleted());
        }
        Ok(out)
    }
}

impl CursorStream for Mentions<'_> {
    type Page = TimelinePage;
    type Bookmark = DateTime<Utc>;
    type Checkpoint = MentionsCheckpoint;

    fn start(&self, from: Option<MentionsCheckpoint>) -> CursorPos<DateTime<Utc>> {
        let cp = from.unwrap_or_default();
        let mut st = self.state();
        st.seen = cp.seen;
        let (pos, window) = match (cp.pagination_token, cp.start_time) {
            (Some(token), Some(start)) => {
                st.read = cp.read;
                st.count = cp.count;
                (CursorPos::resume(token, Some(start), cp.newest), start)
            }
            _ => {
                let floor = self.floor(cp.newest);
                (CursorPos::first(Some(floor), cp.newest), floor)
            }
        };
        st.window = Some(window);
        pos
    }

    fn request(&self, pos: &CursorPos<DateTime<Utc>>) -> PageRequest {
        PageRequest::get(format!("/2/users/{}/mentions", self.c.user_id))
            .query("max_results", self.c.max_results)
            .query("tweet.fields", MENTION_FIELDS)
            .query(
                "start_time",
                x_time(pos.from.unwrap_or_else(|| self.window())),
            )
            .query_opt("pagination_token", pos.cursor.as_deref())
    }

    fn page(&self, page: TimelinePage) -> Result<CursorPage<Post>, String> {
        let now = self.c.clock().now();
        let (posts, next) = page.split()?;
        {
            let mut st = self.state();
            st.count += posts.len() as u64;
            st.last = next.as_deref().is_none_or(str::is_empty);
        }
        for p in &posts {
            // It may become the bookmark: a time ahead of the clock is an error, never the
            // start of the next pass.
            not_future(&format!("post {:?} `created_at`", p.id), p.created()?, now)?;
        }
        Ok(CursorPage {
            items: posts,
            next,
            more: More::IfNext,
        })
    }

    fn bookmark(&self, post: &Post) -> Option<DateTime<Utc>> {
        post.created().ok()
    }

    /// A stored `pagination_token` X no longer accepts restarts the pass from its first page.
    fn restart_on_refused_cursor(&self) -> bool {
        true
    }

    fn checkpoint(&self, pos: &CursorPos<DateTime<Utc>>, done: bool) -> MentionsCheckpoint {
        let st = self.state();
        if done {
            MentionsCheckpoint {
                newest: pos.bookmark,
                seen: st.read.clone(),
                ..MentionsCheckpoint::default()
            }
        } else {
            MentionsCheckpoint {
                start_time: pos.from,
                pagination_token: pos.cursor.clone(),
                newest: pos.bookmark,
                seen: st.seen.clone(),
                read: st.read.clone(),
                count: st.count,
            }
        }
    }
}
