//! A first sync's recent window for the tickets export.
//!
//! The cursor exports give each item once, at its latest update, so a tickets export from
//! the window's start (`before_window`) leaves out every ticket last updated before it. The
//! window's reports need those still unsolved (the backlog counts them), so they are read
//! first, from an endpoint whose rate budget the incremental exports (10 requests a minute)
//! do not share: Export Search Results with `status<solved updated<{before_window}` and
//! `filter[type]=ticket`, "rate-limited to 100 requests per minute per account" (its own
//! budget, `SEARCH_EXPORT`), 1000 a page, its `after_cursor` "expires after one hour" (a
//! resumed read whose cursor is refused starts the list again), results "ordered only by the
//! created_at attribute"
//! (developer.zendesk.com/api-reference/ticketing/ticket-management/search/#export-search-results).
//! Unsolved tickets are never archived, so the 1000-a-page warning about archived tickets
//! does not apply. The results carry no metric set: the backfill brings each ticket again
//! from the export, with it. Then the export itself reads from `before_window`, and the
//! backfill reads it from the configured start until a page reaches `before_window`
//! ([`ExportCheckpoint::reached`]).
//!
//! Users stay whole in the first pass: the window's figures need every agent (who answered,
//! who solved) and the requesters of its tickets (converted tickets join their e-mail hashes
//! to orders), and an export from the window's start leaves out both when they were last
//! updated before it.

use crate::ZendeskConnector;
use crate::api::{self, SearchExportPage};
use crate::streams::{Export, ExportCheckpoint};
use deskpulse_connector::prelude::*;
use futures::StreamExt;

/// Rate-limit group of Export Search Results (Zendesk allows 100 requests a minute there).
pub(crate) const SEARCH_EXPORT: &str = "search_export";

const SEARCH_EXPORT_PATH: &str = "/api/v2/search/export";
/// Export Search Results' page size ceiling.
const MAX_SEARCH_PAGE: u32 = 1000;

/// The `tickets` stream from `from`: the prelude of a first sync's window, then the export.
pub(crate) fn tickets<'a>(c: &'a ZendeskConnector, from: Option<Checkpoint>) -> BatchStream<'a> {
    let Some(before_window) = prelude(&from) else {
        return cursor_stream(&c.http, Export::<api::ZTicket>::new(c), from);
    };
    let open = cursor_stream(&c.http, OpenTickets { c, before_window }, from);
    let export = cursor_stream(
        &c.http,
        Export::<api::ZTicket>::new(c),
        export_from(before_window),
    );
    Box::pin(open.chain(export))
}

/// The window's start, when `from` is the prelude's position.
fn prelude(from: &Option<Checkpoint>) -> Option<i64> {
    match from
        .as_ref()?
        .parse_for::<ExportCheckpoint>("tickets")
        .ok()?
    {
        ExportCheckpoint::Prelude { before_window, .. } => Some(before_window),
        _ => None,
    }
}

fn export_from(before_window: i64) -> Option<Checkpoint> {
    Some(Checkpoint::of(&ExportCheckpoint::StartTime {
        start_time: before_window,
    }))
}

/// The tickets unsolved and last updated before the window: Export Search Results.
struct OpenTickets<'a> {
    c: &'a ZendeskConnector,
    before_window: i64,
}

impl Mapping for OpenTickets<'_> {
    type Item = api::SearchTicket;
    const STREAM: &'static str = "tickets";
    const GROUP: &'static str = SEARCH_EXPORT;
    fn map(&self, t: api::SearchTicket) -> Result<Vec<Record>, String> {
        api::map_ticket(t.ticket)
    }
}

impl CursorStream for OpenTickets<'_> {
    type Page = SearchExportPage;
    type Bookmark = ();
    type Checkpoint = ExportCheckpoint;

    fn start(&self, from: Option<ExportCheckpoint>) -> CursorPos<()> {
        match from {
            Some(ExportCheckpoint::Prelude { after: Some(a), .. }) => {
                CursorPos::resume(a, None, None)
            }
            _ => CursorPos::first(None, None),
        }
    }

    fn request(&self, pos: &CursorPos<()>) -> PageRequest {
        let before = chrono::DateTime::from_timestamp(self.before_window, 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%SZ");
        let size = self
            .c
            .page_size
            .unwrap_or(MAX_SEARCH_PAGE)
            .min(MAX_SEARCH_PAGE);
        PageRequest::get(SEARCH_EXPORT_PATH)
            .query("query", format!("status<solved updated<{before}"))
            .pairs(&[("filter[type]", "ticket")])
            .query("page[size]", size)
            .query_opt("page[after]", pos.cursor.as_ref())
    }

    fn page(&self, p: SearchExportPage) -> Result<CursorPage<api::SearchTicket>, String> {
        if let Some(other) = p
            .results
            .iter()
            .find(|r| r.result_type.as_deref().is_some_and(|t| t != "ticket"))
        {
            return Err(format!(
                "a ticket search answered a result of type {:?} (ticket {})",
                other.result_type.as_deref().unwrap_or_default(),
                other.ticket.id
            ));
        }
        Ok(CursorPage {
            items: p.results,
            next: p.meta.after_cursor,
            more: More::Flag(p.meta.has_more),
        })
    }

    /// The search's cursor while it goes on; once it is done, the export's `start_time` (a
    /// resumed sync goes straight to the export).
    fn checkpoint(&self, pos: &CursorPos<()>, done: bool) -> ExportCheckpoint {
        match done {
            true => ExportCheckpoint::StartTime {
                start_time: self.before_window,
            },
            false => ExportCheckpoint::Prelude {
                before_window: self.before_window,
                after: pos.cursor.clone(),
            },
        }
    }

    fn restart_on_refused_cursor(&self) -> bool {
        true
    }
}
