//! One paginator declaration per stream. Gorgias has no server-side "changed since" filter
//! on its lists, so tickets, messages and satisfaction surveys are read as **data feeds**:
//! newest first (`order_by=…:desc`), page by page with `cursor` (developers.gorgias.com,
//! "Pagination": `meta.next_cursor`, `null` on the last page), until a record at or older
//! than the pass's bound ([`Keep::SkipAndStop`]) or the API's end-of-stream signal.
//!
//! Checkpoints ([`FeedCheckpoint`], the JSON earlier versions stored, still read):
//! * in the middle of a pass: `{"after": T|null, "upper": U|null, "cursor": C}` — the pass's
//!   frozen lower bound `after` (exclusive), the newest feed time `U` read so far in it, and
//!   the cursor of the next page. A resumed pass continues at `C` with the same bound, so an
//!   interrupted first sync (or any sync) resumes exactly.
//! * after a pass: `{"bookmark": U|null}` — the newest feed time actually read (never the
//!   time the sync ended, never later than this machine's clock allows). The next pass reads
//!   back to `U − overlap` (5 minutes for tickets and messages, against writes that become
//!   visible late; `surveys_lookback_days` for surveys, scored days after they were created).
//!   Re-read records are upserted, harmless.
//!
//! Records updated while a pass runs move to the head of the list, out of the pass's way:
//! their new feed time is later than `U`, so the next pass reads them. A stored cursor the
//! API refuses (a 4xx: expired, say) restarts the pass from its first page with the same
//! bound: re-reads are upserts, and nothing is skipped.

use crate::GorgiasConnector;
use crate::api::{self, FeedItem, GUser, ListPage};
use chrono::{DateTime, Duration, Utc};
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::marker::PhantomData;

pub(crate) const USERS: &str = "/api/users";

/// Re-read window of the ticket and message feeds on every new pass.
pub(crate) const FEED_OVERLAP_SECONDS: i64 = 300;

/// Where a data feed (`tickets`, `messages`, `satisfaction_surveys`) stands, exactly as
/// earlier versions stored it. Times are written RFC 3339 with microseconds and read in any
/// form Gorgias itself writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FeedCheckpoint {
    /// In the middle of a pass.
    Pass {
        #[serde(default, with = "opt_time")]
        after: Option<DateTime<Utc>>,
        #[serde(default, with = "opt_time")]
        upper: Option<DateTime<Utc>>,
        #[serde(deserialize_with = "non_empty")]
        cursor: String,
    },
    /// After a pass: required, `null` when the pass found nothing and had no bound.
    Done {
        #[serde(with = "opt_time")]
        bookmark: Option<DateTime<Utc>>,
    },
}

/// Where the `users` list stands: `{"cursor": C}` mid-pass, `{"complete": true}` after it
/// (the next sync reads the small list again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UsersCheckpoint {
    Page {
        #[serde(deserialize_with = "non_empty")]
        cursor: String,
    },
    Complete {
        complete: bool,
    },
}

mod opt_time {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        t.map(api::format_time).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| api::parse_time(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.is_empty() {
        return Err(serde::de::Error::custom("an empty cursor"));
    }
    Ok(s)
}

/// A data feed of `T`, newest first by `T::ORDER_FIELD`.
pub(crate) struct Feed<'a, T> {
    c: &'a GorgiasConnector,
    /// How far before the bookmark a new pass starts.
    overlap: Duration,
    item: PhantomData<fn() -> T>,
}

impl<'a, T> Feed<'a, T> {
    pub(crate) fn new(c: &'a GorgiasConnector, overlap: Duration) -> Self {
        Self {
            c,
            overlap,
            item: PhantomData,
        }
    }
}

impl<T: FeedItem> Mapping for Feed<'_, T> {
    type Item = T;
    const STREAM: &'static str = T::STREAM;
    fn map(&self, item: T) -> Result<Vec<Record>, String> {
        item.map()
    }
}

impl<T: FeedItem> CursorStream for Feed<'_, T> {
    type Page = ListPage<T>;
    type Bookmark = DateTime<Utc>;
    type Checkpoint = FeedCheckpoint;

    fn start(&self, from: Option<FeedCheckpoint>) -> CursorPos<DateTime<Utc>> {
        // The first pass takes everything from `start` on (inclusive).
        let first = self.c.start.map(|s| s - Duration::microseconds(1));
        match from {
            None | Some(FeedCheckpoint::Done { bookmark: None }) => CursorPos::first(first, None),
            Some(FeedCheckpoint::Pass {
                after,
                upper,
                cursor,
            }) => CursorPos::resume(cursor, after, upper),
            // The bookmark stays the pass's floor, so a pass that re-reads only the overlap
            // (or finds the newest record gone) never moves it backwards.
            Some(FeedCheckpoint::Done { bookmark: Some(b) }) => {
                let floor = first.unwrap_or(DateTime::<Utc>::MIN_UTC);
                let after = b
                    .checked_sub_signed(self.overlap)
                    .unwrap_or(floor)
                    .max(floor);
                CursorPos::first(Some(after), Some(b))
            }
        }
    }

    fn request(&self, pos: &CursorPos<DateTime<Utc>>) -> PageRequest {
        PageRequest::get(T::PATH)
            .query("order_by", format!("{}:desc", T::ORDER_FIELD))
            .query("limit", self.c.page_size)
            .query_opt("cursor", pos.cursor.as_ref())
    }

    fn page(&self, page: ListPage<T>) -> Result<CursorPage<T>, String> {
        // A record dated in the future must not become the bookmark: the next pass would
        // start past records not written yet.
        let now = self.c.http.clock().now();
        for item in &page.data {
            deskpulse_connector::not_future(T::ORDER_FIELD, item.feed_time(), now)?;
        }
        Ok(page.into_cursor_page())
    }

    fn checkpoint(&self, pos: &CursorPos<DateTime<Utc>>, done: bool) -> FeedCheckpoint {
        match (&pos.cursor, done) {
            (Some(cursor), false) => FeedCheckpoint::Pass {
                after: pos.from,
                upper: pos.bookmark,
                cursor: cursor.clone(),
            },
            // A pass that found nothing new keeps the bound it started from.
            _ => FeedCheckpoint::Done {
                bookmark: pos.bookmark.or(pos.from),
            },
        }
    }

    fn bookmark(&self, item: &T) -> Option<DateTime<Utc>> {
        Some(item.feed_time())
    }

    fn keep(&self, pos: &CursorPos<DateTime<Utc>>, item: &T) -> Keep {
        match pos.from {
            // Newest first: everything from here on was read by an earlier pass.
            Some(after) if item.feed_time() <= after => Keep::SkipAndStop,
            _ => Keep::Yes,
        }
    }

    fn restart_on_refused_cursor(&self) -> bool {
        true
    }
}

/// The team (`GET /api/users`): a small list without any "changed since" order, read whole
/// on every sync.
pub(crate) struct Users<'a> {
    pub(crate) c: &'a GorgiasConnector,
}

impl Mapping for Users<'_> {
    type Item = GUser;
    const STREAM: &'static str = "users";
    fn map(&self, u: GUser) -> Result<Vec<Record>, String> {
        api::map_user(u)
    }
}

impl CursorStream for Users<'_> {
    type Page = ListPage<GUser>;
    type Bookmark = ();
    type Checkpoint = UsersCheckpoint;

    fn start(&self, from: Option<UsersCheckpoint>) -> CursorPos<()> {
        match from {
            Some(UsersCheckpoint::Page { cursor }) => CursorPos::resume(cursor, None, None),
            _ => CursorPos::first(None, None),
        }
    }

    fn request(&self, pos: &CursorPos<()>) -> PageRequest {
        PageRequest::get(USERS)
            .query("limit", self.c.page_size)
            .query_opt("cursor", pos.cursor.as_ref())
    }

    fn page(&self, page: ListPage<GUser>) -> Result<CursorPage<GUser>, String> {
        Ok(page.into_cursor_page())
    }

    fn checkpoint(&self, pos: &CursorPos<()>, done: bool) -> UsersCheckpoint {
        match (&pos.cursor, done) {
            (Some(cursor), false) => UsersCheckpoint::Page {
                cursor: cursor.clone(),
            },
            _ => UsersCheckpoint::Complete { complete: true },
        }
    }

    /// A refused stored cursor: read the (small) list again from the start.
    fn restart_on_refused_cursor(&self) -> bool {
        true
    }
}
