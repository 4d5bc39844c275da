//! The `ticket_roster` stream: a sweep over every conversation id Intercom still lists, at
//! most every `roster_every`, on the SDK's cursor paginator. Intercom never reports a
//! deletion (the search drops a deleted conversation, `GET` answers 404): an id the sweep
//! no longer lists is what storage reads as one.

use crate::IntercomConnector;
use crate::api::{self, RosterItem, SearchPage};
use crate::streams::{next_cursor, search};
use chrono::{DateTime, Utc};
use deskpulse_connector::parse_optional;
use deskpulse_connector::prelude::*;
use deskpulse_model::TicketRoster;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

/// Conversations created from `listed_before` on are not judged by a sweep: the search
/// index may not list them yet.
const LISTING_LAG_SECS: i64 = 3600;

/// The `ticket_roster` checkpoint, in the two layouts stored since the stream's first
/// version: a sweep cut short (`{"sweep_started_at", "starting_after", "last_completed_at"}`,
/// the last `null` before any sweep completed), or none under way (`{"last_completed_at"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RosterCheckpoint {
    Sweep {
        sweep_started_at: i64,
        starting_after: String,
        #[serde(default)]
        last_completed_at: Option<i64>,
    },
    Idle {
        last_completed_at: i64,
    },
}

/// The roster search's query: every conversation created before `listed_before` (sorted by
/// `created_at`, oldest first).
///
/// Why this request: the sweep must never skip a live id (storage would take it for
/// deleted) while conversations are deleted and updated during it. `created_at` never
/// changes, so an update cannot move a conversation across the cursor; and the search's
/// cursor is a position, not an offset: Intercom documents it as "a pointer that will refer
/// to a specific record" and "stateless", and its documented examples decode to the last
/// record's sort value and id (`WzE3MDc5MzAwODEwMDAsMTMxLDJd` = `[1707930081000,131,2]`), so
/// a deletion before it shifts nothing. Intercom warns that, the cursor being stateless,
/// items *updated* between two pages can be missed or repeated: that is a sort on a field
/// that changes, which `created_at` is not. Conversations created after `listed_before` (all
/// new ones) are filtered out, so the listed set only shrinks. `sort` works on the search
/// though the OpenAPI schema omits it (Intercom-OpenAPI issue 114; documented in the
/// "Pagination & sorting (search)" guide). `GET /conversations` documents no order at all
/// (2.14 takes only `per_page` and `starting_after`), so its paging cannot be shown stable.
/// Neither endpoint can return ids only: whole conversations come back (`per_page` ≤ 150)
/// and only `id` is read. Intercom documents `<` on dates as "lower (or equal) than"; a
/// conversation created at `listed_before` exactly is listed and harmlessly so.
fn created_before(listed_before: i64) -> Value {
    json!({ "field": "created_at", "operator": "<", "value": listed_before })
}

/// A roster search page as the one [`Listed`] item (an empty id is an error), `complete`
/// when there is no next page: what a sweep and the fuzz target read.
pub(crate) fn listed(p: SearchPage<RosterItem>) -> Result<CursorPage<Listed>, String> {
    let mut ids = Vec::with_capacity(p.conversations.len());
    for c in p.conversations {
        if c.id.0.trim().is_empty() {
            return Err("a conversation with an empty `id`".into());
        }
        ids.push(c.id.0);
    }
    let next = next_cursor(p.pages)?;
    Ok(CursorPage {
        items: vec![Listed {
            ids,
            complete: next.is_none(),
        }],
        next,
        more: More::IfNext,
    })
}

/// One search page of the sweep, as the one item the paginator maps into a
/// [`TicketRoster`] page (whether it is the last is known only from `pages.next`).
pub(crate) struct Listed {
    pub ids: Vec<String>,
    pub complete: bool,
}

/// `ticket_roster`: when no sweep is under way and the last completed within
/// `roster_every`, nothing at all (no request, no batch); otherwise the sweep, from its
/// saved cursor if one was cut short.
pub(crate) fn read(c: &IntercomConnector, from: Option<Checkpoint>) -> BatchStream<'_> {
    let stored = match parse_optional::<RosterCheckpoint>("ticket_roster", from.as_ref()) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    if let Some(RosterCheckpoint::Idle {
        last_completed_at: done,
    }) = stored
        && !c.roster_every.is_zero()
        && c.clock().now().timestamp() - done < c.roster_every.num_seconds()
    {
        tracing::debug!(
            last_completed_at = done,
            every_s = c.roster_every.num_seconds(),
            "roster sweep not due yet"
        );
        return Box::pin(futures::stream::empty());
    }
    let sweep = Sweep {
        c,
        started: AtomicI64::new(0),
        resumed: AtomicBool::new(false),
    };
    cursor_stream(&c.http, sweep, from)
}

/// One sweep, one [`TicketRoster`] page per search page, the last one `complete`; its
/// checkpoints carry the same `sweep_started_at` on every page and every resume, so storage
/// counts its pages together; `listed_before` is an hour before it. The position's bookmark
/// is the previous sweep's completion, which rides along until this one completes.
struct Sweep<'a> {
    c: &'a IntercomConnector,
    /// The sweep's start (unix seconds). Not in the position: a refused saved cursor starts
    /// a new sweep now, and the paginator restarts a pass with the same position.
    started: AtomicI64,
    /// The read resumed a saved cursor that no page has answered yet.
    resumed: AtomicBool,
}

impl Sweep<'_> {
    fn started(&self) -> i64 {
        self.started.load(Ordering::SeqCst)
    }
}

fn at(secs: i64) -> Result<DateTime<Utc>, String> {
    api::ts(secs, "sweep_started_at")
}

impl Mapping for Sweep<'_> {
    type Item = Listed;
    const STREAM: &'static str = "ticket_roster";
    fn map(&self, page: Listed) -> Result<Vec<Record>, String> {
        let started = self.started();
        Ok(vec![Record::TicketRoster(TicketRoster {
            sweep_started_at: at(started)?,
            listed_before: at(started - LISTING_LAG_SECS)?,
            ids: page.ids,
            complete: page.complete,
        })])
    }
}

impl CursorStream for Sweep<'_> {
    type Page = SearchPage<RosterItem>;
    /// The previous sweep's completion (unix seconds); no item moves it.
    type Bookmark = i64;
    type Checkpoint = RosterCheckpoint;

    fn start(&self, from: Option<RosterCheckpoint>) -> CursorPos<i64> {
        match from {
            Some(RosterCheckpoint::Sweep {
                sweep_started_at,
                starting_after,
                last_completed_at,
            }) => {
                self.started.store(sweep_started_at, Ordering::SeqCst);
                self.resumed.store(true, Ordering::SeqCst);
                CursorPos::resume(starting_after, None, last_completed_at)
            }
            idle => {
                self.started
                    .store(self.c.clock().now().timestamp(), Ordering::SeqCst);
                let last = match idle {
                    Some(RosterCheckpoint::Idle { last_completed_at }) => Some(last_completed_at),
                    _ => None,
                };
                CursorPos::first(None, last)
            }
        }
    }

    fn request(&self, pos: &CursorPos<i64>) -> PageRequest {
        // A resumed read asks for its first page without a cursor only when the search
        // refused the saved one (documented as stateless, but should it ever refuse one
        // saved long ago, a sweep that could never resume would never complete): a new sweep
        // starts now (storage drops the pages of the abandoned one).
        if pos.cursor.is_none() && self.resumed.swap(false, Ordering::SeqCst) {
            tracing::warn!(
                sweep_started_at = self.started(),
                "the search refused the saved roster cursor; the sweep starts over"
            );
            self.started
                .store(self.c.clock().now().timestamp(), Ordering::SeqCst);
        }
        search(
            created_before(self.started() - LISTING_LAG_SECS),
            "created_at",
            self.c.page_size,
            pos.cursor.as_deref(),
        )
    }

    fn page(&self, p: SearchPage<RosterItem>) -> Result<CursorPage<Listed>, String> {
        listed(p)
    }

    fn restart_on_refused_cursor(&self) -> bool {
        true
    }

    fn checkpoint(&self, pos: &CursorPos<i64>, done: bool) -> RosterCheckpoint {
        match (&pos.cursor, done) {
            (Some(after), false) => RosterCheckpoint::Sweep {
                sweep_started_at: self.started(),
                starting_after: after.clone(),
                last_completed_at: pos.bookmark,
            },
            _ => RosterCheckpoint::Idle {
                last_completed_at: self.c.clock().now().timestamp(),
            },
        }
    }
}
