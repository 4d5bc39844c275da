//! One paginator declaration per stream; the SDK runs the loops (a checkpoint after every
//! page, the end only on the API's signal, a cursor that does not move or an `end_time` past
//! now is `Malformed`, the same page request twice in a run is refused).
//!
//! - users and tickets: the cursor-based incremental exports
//!   (developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-export-cursor-based),
//!   `start_time` first, then `cursor={after_cursor}` until `end_of_stream`; the checkpoint
//!   is the last `after_cursor` (the next sync continues there) or, before the first page,
//!   the `start_time`;
//! - ticket events: the time-based export (…/incremental_exports/#incremental-ticket-event-export),
//!   `start_time` → `end_time` until `end_of_stream`, rebuilt on the base URL (never
//!   `next_page`, which names the production host);
//! - satisfaction ratings: the list (…/ticket-management/satisfaction_ratings), cursor
//!   pagination (`page[after]`, `meta.has_more`), bookmarked by when the survey was answered.
//!
//! The ticket exports are asked for `support_type_scope=all`: Zendesk documents the parameter
//! on the ticket exports (cursor and time based) and the ticket events export, with values
//! `all`, `agent`, `ai_agent` and default `agent`, so without it tickets handled only by an AI
//! agent (support.zendesk.com/hc/en-us/articles/9204149016346) are left out. The users export
//! and the ratings list document no such parameter and are not sent it.

use crate::ZendeskConnector;
use crate::api::{self, ExportPage, RatingsPage, TicketEvent, TicketEventsPage, ZRating};
use deskpulse_connector::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

/// Rate-limit group of the incremental exports (Zendesk allows 10 requests a minute there).
pub(crate) const INCREMENTAL: &str = "incremental";
/// Rate-limit group of every other endpoint (the plan's limit): the SDK's default group, the
/// one a stream that names none is in.
pub(crate) const DEFAULT: &str = "default";

const TICKET_EVENTS: &str = "/api/v2/incremental/ticket_events.json";
const RATINGS: &str = "/api/v2/satisfaction_ratings.json";
/// The list endpoints' page size ceiling.
const MAX_LIST_PAGE: u32 = 100;
/// See the module doc.
const SUPPORT_TYPE_SCOPE: (&str, &str) = ("support_type_scope", "all");

/// The checkpoint of the cursor exports (`users`, `tickets`), in the JSON earlier versions
/// stored: `{"cursor": …}` after a page, `{"start_time": …}` before the first one; and, in a
/// first sync's recent window of tickets, `{"before_window": …}` while the unsolved tickets the
/// export from the window's start leaves out are read (see [`crate::window`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExportCheckpoint {
    /// A first sync's recent window of tickets, before its export: the unsolved tickets
    /// last updated before `before_window` (Unix seconds), the export's `start_time` once
    /// they are read. `after`: the search's cursor so far.
    Prelude {
        before_window: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
    },
    /// The last `after_cursor` read: where the export goes on, this sync or the next.
    /// `reached`: the latest `updated_at` read so far (Unix seconds), which says how far a
    /// backfill got (the exports order by it); absent in checkpoints of earlier versions.
    Cursor {
        cursor: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reached: Option<i64>,
    },
    /// The export's `start_time` (Unix seconds), when no page gave a cursor yet.
    StartTime { start_time: i64 },
}

impl ExportCheckpoint {
    /// Every item updated before this instant was read (`None`: unknown, or a prelude).
    pub(crate) fn reached(&self) -> Option<i64> {
        match self {
            Self::Cursor { reached, .. } => *reached,
            Self::StartTime { start_time } => Some(*start_time),
            Self::Prelude { .. } => None,
        }
    }
}

/// The checkpoint of `ticket_events` (the next `start_time`) and `satisfaction_ratings` (the
/// latest `updated_at` read, which the next sync starts a lookback before): Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartTimeCheckpoint {
    pub start_time: i64,
}

/// A record of one of the cursor exports (a user or a ticket): where it is exported, and
/// what it becomes.
pub(crate) trait ExportItem: DeserializeOwned + Send + 'static {
    /// The export's page, its records under the export's own key.
    type Page: DeserializeOwned + Send + Into<ExportPage<Self>>;
    const STREAM: &'static str;
    const PATH: &'static str;
    /// Fixed query pairs of every request of the export.
    const PAIRS: &'static [(&'static str, &'static str)];
    fn map(self, c: &ZendeskConnector) -> Result<Vec<Record>, String>;
    /// Unix seconds; the exports order by it.
    fn updated_at(&self) -> Option<i64>;
}

impl ExportItem for api::User {
    type Page = api::UsersPage;
    const STREAM: &'static str = "users";
    const PATH: &'static str = "/api/v2/incremental/users/cursor.json";
    const PAIRS: &'static [(&'static str, &'static str)] = &[];
    fn map(self, c: &ZendeskConnector) -> Result<Vec<Record>, String> {
        api::map_user(self, &c.bot_user_ids)
    }
    fn updated_at(&self) -> Option<i64> {
        self.updated_at.map(|t| t.timestamp())
    }
}

impl ExportItem for api::ZTicket {
    type Page = api::TicketsPage;
    const STREAM: &'static str = "tickets";
    const PATH: &'static str = "/api/v2/incremental/tickets/cursor.json";
    const PAIRS: &'static [(&'static str, &'static str)] =
        &[("include", "metric_sets"), SUPPORT_TYPE_SCOPE];
    fn map(self, _: &ZendeskConnector) -> Result<Vec<Record>, String> {
        api::map_ticket(self)
    }
    fn updated_at(&self) -> Option<i64> {
        Some(self.updated_at.timestamp())
    }
}

/// A cursor export (`users` or `tickets`, by its item type).
pub(crate) struct Export<'a, I> {
    c: &'a ZendeskConnector,
    item: PhantomData<fn() -> I>,
}

impl<'a, I> Export<'a, I> {
    pub(crate) fn new(c: &'a ZendeskConnector) -> Self {
        Self {
            c,
            item: PhantomData,
        }
    }
}

impl<I: ExportItem> Mapping for Export<'_, I> {
    type Item = I;
    const STREAM: &'static str = I::STREAM;
    const GROUP: &'static str = INCREMENTAL;
    fn map(&self, item: I) -> Result<Vec<Record>, String> {
        item.map(self.c)
    }
}

impl<I: ExportItem> CursorStream for Export<'_, I> {
    type Page = I::Page;
    /// The latest `updated_at` read (Unix seconds): how far the export got.
    type Bookmark = i64;
    type Checkpoint = ExportCheckpoint;

    fn start(&self, from: Option<ExportCheckpoint>) -> CursorPos<i64> {
        match from {
            Some(ExportCheckpoint::Cursor { cursor, reached }) if !cursor.is_empty() => {
                CursorPos::resume(cursor, None, reached)
            }
            Some(ExportCheckpoint::StartTime { start_time }) => {
                CursorPos::first(Some(start_time), None)
            }
            Some(ExportCheckpoint::Prelude { before_window, .. }) => {
                CursorPos::first(Some(before_window), None)
            }
            _ => CursorPos::first(Some(self.c.start_time), None),
        }
    }

    fn request(&self, pos: &CursorPos<i64>) -> PageRequest {
        let r = PageRequest::get(I::PATH)
            .pairs(I::PAIRS)
            .query_opt("per_page", self.c.page_size);
        match &pos.cursor {
            Some(c) => r.query("cursor", c),
            None => r.query_opt("start_time", pos.from),
        }
    }

    fn page(&self, page: I::Page) -> Result<CursorPage<I>, String> {
        let page: ExportPage<I> = page.into();
        Ok(CursorPage {
            items: page.items,
            next: page.after_cursor,
            more: More::Flag(!page.end_of_stream),
        })
    }

    fn checkpoint(&self, pos: &CursorPos<i64>, _done: bool) -> ExportCheckpoint {
        match &pos.cursor {
            Some(c) => ExportCheckpoint::Cursor {
                cursor: c.clone(),
                reached: pos.bookmark,
            },
            None => ExportCheckpoint::StartTime {
                start_time: pos.from.unwrap_or(self.c.start_time),
            },
        }
    }

    fn bookmark(&self, item: &I) -> Option<i64> {
        item.updated_at()
    }
}

/// The time-based ticket events export, with `comment_events`. Boundary events repeat
/// across pages (`start_time` is inclusive and `end_time` is the last item's time); their
/// ids are stable, so storage upserts them.
///
/// More updates in one second than a page holds: a page whose items all share `start_time`'s
/// second cannot be followed by time, and a client that re-requests `end_time` asks for the
/// same page forever (the loop reported in zendesk_api_client_rb #168 and zenpy #451).
/// Zendesk's documented remedy is on the server: "In time-based exports, the system may
/// exceed the 1000-item default return limit if items share the same timestamp"
/// (developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#per_page).
/// The SDK's default stall handling implements it from each update's second (`item_time`):
/// a grown page of one second moves one second on, a full page of a smaller `per_page` is
/// asked again at 1000, and anything else fails naming the second (nothing is skipped, the
/// next sync retries from it).
pub(crate) struct TicketEvents<'a> {
    pub(crate) c: &'a ZendeskConnector,
}

impl Mapping for TicketEvents<'_> {
    type Item = TicketEvent;
    const STREAM: &'static str = "ticket_events";
    const GROUP: &'static str = INCREMENTAL;
    fn map(&self, e: TicketEvent) -> Result<Vec<Record>, String> {
        api::map_ticket_event(e)
    }
}

impl TimeWindowStream for TicketEvents<'_> {
    type Page = TicketEventsPage;
    type Checkpoint = StartTimeCheckpoint;

    fn start(&self, from: Option<StartTimeCheckpoint>) -> i64 {
        from.map_or(self.c.start_time, |cp| cp.start_time)
    }

    fn request(&self, pos: &WindowPos) -> PageRequest {
        PageRequest::get(TICKET_EVENTS)
            .query("start_time", pos.start_time)
            .pairs(&[("include", "comment_events"), SUPPORT_TYPE_SCOPE])
            .query_opt("per_page", pos.per_page)
    }

    fn page(&self, p: TicketEventsPage) -> Result<WindowPage<TicketEvent>, String> {
        Ok(WindowPage {
            items: p.ticket_events,
            end_time: p.end_time,
            end_of_stream: p.end_of_stream,
        })
    }

    fn checkpoint(&self, start_time: i64) -> StartTimeCheckpoint {
        StartTimeCheckpoint { start_time }
    }

    fn per_page(&self) -> Option<u32> {
        self.c.page_size
    }

    fn item_time(&self, e: &TicketEvent) -> Option<i64> {
        api::event_second(e)
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.c.http.clock().now()
    }
}

/// The satisfaction ratings list, paged with `page[after]` on the base URL, and dated by
/// `updated_at`.
///
/// A rating is created when the survey is offered (`created_at`) and updated when the
/// customer answers or changes the answer (`updated_at`); the documented example has a
/// rating created 2012-02-01 and answered 2012-02-02. The list's `start_time`/`end_time`
/// filters are documented only as "time of the oldest/most recent satisfaction rating",
/// without saying which of the two timestamps they compare, and `sort` is documented for
/// this list by no value but the `created_at` ordering the list has always had. So the read
/// is built to miss no answer under either reading:
/// - the bookmark is the latest `updated_at` read (answered or only offered), refused when
///   it is past now (it would make every later sync start in the future);
/// - every resumed sync starts `ratings_lookback` before the bookmark. If `start_time`
///   compares `updated_at`, the lookback is merely re-read (storage upserts by id). If it
///   compares `created_at`, an answer given after the bookmark belongs to a survey offered
///   at most `ratings_lookback` before it: a rating can change only while its ticket is
///   solved, and Zendesk closes every solved ticket at the latest 28 days after the solve
///   (support.zendesk.com/hc/en-us/articles/4408835051546), which is why the default
///   lookback is 28 days. A ticket reopened and solved again after the lookback is the one
///   case a `created_at` filter could still hide; a full sync (`--full`) reads it.
pub(crate) struct Ratings<'a> {
    pub(crate) c: &'a ZendeskConnector,
}

impl Mapping for Ratings<'_> {
    type Item = ZRating;
    const STREAM: &'static str = "satisfaction_ratings";
    // The rate-limit group: the SDK's default one, `DEFAULT`.
    fn map(&self, r: ZRating) -> Result<Vec<Record>, String> {
        Ok(api::map_rating(r).into_iter().collect())
    }
}

impl CursorStream for Ratings<'_> {
    type Page = RatingsPage;
    type Bookmark = i64;
    type Checkpoint = StartTimeCheckpoint;

    fn start(&self, from: Option<StartTimeCheckpoint>) -> CursorPos<i64> {
        let configured = self.c.start_time;
        match from {
            None => CursorPos::first(Some(configured), Some(configured)),
            Some(StartTimeCheckpoint { start_time }) => {
                let lookback = start_time
                    .saturating_sub(self.c.ratings_lookback)
                    .max(configured);
                CursorPos::first(Some(lookback), Some(start_time))
            }
        }
    }

    fn request(&self, pos: &CursorPos<i64>) -> PageRequest {
        let size = self.c.page_size.unwrap_or(MAX_LIST_PAGE).min(MAX_LIST_PAGE);
        PageRequest::get(RATINGS)
            .query_opt("start_time", pos.from)
            .pairs(&[("sort", "created_at")])
            .query("page[size]", size)
            .query_opt("page[after]", pos.cursor.as_ref())
    }

    fn page(&self, p: RatingsPage) -> Result<CursorPage<ZRating>, String> {
        let now = self.c.http.clock().now();
        for r in &p.satisfaction_ratings {
            deskpulse_connector::not_future("updated_at", r.answered_at(), now)
                .map_err(|e| format!("satisfaction rating {}: {e}", r.id))?;
        }
        Ok(CursorPage {
            items: p.satisfaction_ratings,
            next: p.meta.after_cursor,
            more: More::Flag(p.meta.has_more),
        })
    }

    fn checkpoint(&self, pos: &CursorPos<i64>, _done: bool) -> StartTimeCheckpoint {
        StartTimeCheckpoint {
            start_time: pos.bookmark.unwrap_or(self.c.start_time),
        }
    }

    fn bookmark(&self, r: &ZRating) -> Option<i64> {
        Some(r.answered_at().timestamp())
    }
}
