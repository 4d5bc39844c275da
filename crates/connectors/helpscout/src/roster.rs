//! The `ticket_roster` stream: a sweep over every conversation id Help Scout still lists,
//! which finds the conversations its export never reports gone.
//!
//! Help Scout removes a deleted conversation from every list (its `GET` answers 404) and a
//! merged one too (`GET` answers `301 Moved Permanently` to the surviving conversation for
//! 60 days, then 404; Help Scout's Get Conversation documents both). `modifiedSince` never
//! names them, so a conversation synced before it was deleted or merged would count in the
//! KPIs forever. A sweep lists every id; storage treats a stored ticket created before
//! [`TicketRoster::listed_before`] and absent from a complete sweep as gone, and as present
//! again when a later sweep lists it (a restored conversation).
//!
//! **The request.** `GET /v2/conversations?status=…&sortField=createdAt&sortOrder=asc&page=1`
//! with `query=(createdAt:[{from} TO *])`: the list without `embed=threads` (the cheapest
//! request there is; 25 conversations a page), every mailbox the token can see (no
//! `mailbox` filter, like the export), once with `status=all` and once with `status=spam`
//! (Help Scout's List Conversations lists `spam` as a status of its own beside `all` and
//! does not say that `all` includes it; an id listed twice costs nothing). Every request
//! goes through the source's rate budget, like the other streams. The inclusive
//! `createdAt:[a TO b]` range (`*` for an open end) is the search syntax of `query`; the v2
//! page's own list of operators could not be read when this was written, so it rests on
//! public clients that send exactly this to `/v2/conversations` [unverified on a live
//! account]. A list that ignores the range or the order is an error, never a wrong sweep.
//!
//! **Why keyset paging.** Page numbers shift when a conversation on an earlier page is
//! deleted mid-sweep: page N+1 then starts one conversation later, and the conversation
//! that slid onto page N unseen would be judged deleted although it is live. So every
//! request is page 1 of a query that starts where the previous page ended (`createdAt`
//! sorted ascending, the lower bound inclusive): a deletion behind the bound changes
//! nothing ahead of it. The bound is the page's newest `createdAt` minus one second, so the
//! conversations created in that second, whatever order Help Scout gives equal times and
//! however it rounds sub-second times, are read again rather than skipped (an id read twice
//! is harmless).
//!
//! When a whole page falls within one second of the bound (more than 25 conversations
//! created within a second or two: bulk imports), the bound cannot move. The stretch from
//! the bound to two seconds after it (`createdAt:[t TO t+2s]`, which holds that crowded
//! second) is then read in full by page number, and a pass counts only if its
//! `totalElements` stayed the same on every page and it saw exactly that many distinct ids;
//! otherwise (a deletion, an import or a reordering during the pass) the stretch is read
//! again, and after three unusable passes the sweep stops with an error (the next sync
//! resumes there) rather than complete with an id missed. The sweep then continues at
//! `t + 2s`.
//!
//! **When.** At most every `roster_every` (default 24 h, `"0s"` = every sync). The last
//! checkpoint records when the last sweep completed (`{"completed_at"}`); a read before the
//! interval has passed yields no batch. Mid-sweep checkpoints (`{"sweep_started_at",
//! "status", "created_from"}`) resume the same sweep, with the same `sweep_started_at`, from
//! the page after the last committed one ([`RosterCheckpoint`]).
//!
//! **Requests.** Each sweep page is a page request (`PageRequest::send`: the same query
//! twice in a run is a loop, refused). A crowded stretch is read with plain requests:
//! reading it again when it changed is the point. `listed_before` is `sweep_started_at` minus one
//! hour: Help Scout's list is a search index that may lag behind new conversations.
//!
//! A conversation listed with `state: deleted` is not counted as present. A conversation
//! imported with a past `createdAt` behind the sweep's position while it runs is not
//! listed by that sweep and is judged gone until the next one lists it.

use crate::HelpScoutConnector;
use crate::api::{HalPage, ListedConversation, ListedConversations, PageInfo};
use crate::streams::{CONVERSATIONS, Pass, fmt_time};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use deskpulse_connector::prelude::*;
use deskpulse_connector::{ConnectorError, parse_optional};
use deskpulse_model::TicketRoster;
use futures::stream;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How far `listed_before` trails the sweep's start.
const LIST_LAG: Duration = Duration::hours(1);
/// Passes over a crowded stretch before the sweep gives up on it for this sync.
const STRETCH_PASSES: usize = 3;
/// How long a stretch a crowded page is read over (see the module docs).
const STRETCH: Duration = Duration::seconds(2);

/// The stored checkpoint of `ticket_roster`: a sweep under way, or when the last one
/// completed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RosterCheckpoint {
    /// `{"sweep_started_at", "status": "all" | "spam", "created_from"}`: resumes that sweep.
    Sweep(Sweep),
    /// `{"completed_at"}`: the next sweep is due `roster_every` later.
    Completed { completed_at: DateTime<Utc> },
}

/// Where a sweep stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    #[serde(rename = "sweep_started_at")]
    started_at: DateTime<Utc>,
    #[serde(rename = "status")]
    pass: Pass,
    /// Inclusive lower bound of `createdAt` of the next request (`None`: from the oldest).
    #[serde(rename = "created_from", default)]
    from: Option<DateTime<Utc>>,
}

impl Sweep {
    fn new(started_at: DateTime<Utc>) -> Self {
        Self {
            started_at,
            pass: Pass::All,
            from: None,
        }
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint::of(&RosterCheckpoint::Sweep(self.clone()))
    }

    fn page(&self, ids: Vec<String>, complete: bool) -> Record {
        Record::TicketRoster(TicketRoster {
            sweep_started_at: self.started_at,
            listed_before: self.started_at - LIST_LAG,
            ids,
            complete,
        })
    }
}

fn is_live(c: &ListedConversation) -> bool {
    c.state.as_deref() != Some("deleted")
}

/// The ids of a page in the sweep's terms: every listed conversation that is not deleted.
pub(crate) fn live_ids<'a>(items: impl IntoIterator<Item = &'a ListedConversation>) -> Vec<String> {
    items
        .into_iter()
        .filter(|c| is_live(c))
        .map(|c| c.id.to_string())
        .collect()
}

/// List Conversations by `createdAt`, ids only (no `embed`): the cheapest list.
fn list_request(pass: Pass, range: Option<String>, page: u64) -> PageRequest {
    PageRequest::get(CONVERSATIONS)
        .pairs(&[
            ("status", pass.as_str()),
            ("sortField", "createdAt"),
            ("sortOrder", "asc"),
        ])
        .query("page", page)
        .query_opt("query", range)
}

/// Whether a sweep page (page 1 of its query) is the sweep's last; a page inside the range
/// without records, or another page than the first, cannot be followed.
pub(crate) fn last_page(info: PageInfo, has_items: bool) -> Result<bool, ConnectorError> {
    if info.total_elements == 0 || info.total_pages == 0 {
        return Ok(true);
    }
    if info.number != 1 {
        return Err(ConnectorError::malformed(
            CONVERSATIONS,
            format!("asked for page 1, got page {}", info.number),
        ));
    }
    if !has_items {
        return Err(ConnectorError::malformed(
            CONVERSATIONS,
            format!(
                "page 1 of {} has no records although `totalElements` is {}",
                info.total_pages, info.total_elements
            ),
        ));
    }
    Ok(info.number >= info.total_pages)
}

/// A page that ignored the range or the order cannot be followed by keyset: an error,
/// never a silently shortened (or endless) sweep.
pub(crate) fn check_order(
    items: &[ListedConversation],
    from: Option<DateTime<Utc>>,
) -> Result<(), ConnectorError> {
    for w in items.windows(2) {
        if w[1].created_at < w[0].created_at {
            return Err(ConnectorError::malformed(
                CONVERSATIONS,
                format!(
                    "the list asked for `sortField=createdAt&sortOrder=asc` is not in that order (conversation {} created {} after conversation {} created {})",
                    w[1].id,
                    fmt_time(w[1].created_at),
                    w[0].id,
                    fmt_time(w[0].created_at)
                ),
            ));
        }
    }
    // (No time is before the first one chrono holds: no check there.)
    if let (Some(from), Some(first)) = (from, items.first())
        && let Some(lowest) = from.checked_sub_signed(Duration::seconds(1))
        && first.created_at < lowest
    {
        return Err(ConnectorError::malformed(
            CONVERSATIONS,
            format!(
                "the list asked for conversations created from {} holds conversation {} created {}: the `query` range was not applied",
                fmt_time(from),
                first.id,
                fmt_time(first.created_at)
            ),
        ));
    }
    Ok(())
}

/// Where a sweep goes after a page that is not its last.
#[derive(Debug, PartialEq)]
pub(crate) enum Next {
    /// The next request starts here: the page's newest `createdAt` minus one second.
    Bound(DateTime<Utc>),
    /// The whole page lies within a second of the bound: the stretch `[from, to]` is read
    /// in full, and the sweep goes on at `to`.
    Stretch {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

/// The bound after a page that is not the sweep's last (see the module docs). Whole
/// seconds, as the `query` range writes them, so a bound that moves is another request.
pub(crate) fn next_bound(
    items: &[ListedConversation],
    from: Option<DateTime<Utc>>,
) -> Result<Next, ConnectorError> {
    let Some(newest) = items.iter().map(|c| c.created_at.trunc_subsecs(0)).max() else {
        return Err(ConnectorError::malformed(
            CONVERSATIONS,
            "a page inside the range has no records",
        ));
    };
    // A `createdAt` at the edge of what a time can be is no conversation's: an error, not a
    // bound that cannot be computed.
    let out_of_range = |t: DateTime<Utc>| {
        ConnectorError::malformed(
            CONVERSATIONS,
            format!(
                "conversation `createdAt` {} is out of the range of times a sweep can page through",
                fmt_time(t)
            ),
        )
    };
    let bound = newest
        .checked_sub_signed(Duration::seconds(1))
        .ok_or_else(|| out_of_range(newest))?;
    Ok(match from {
        Some(f) if bound <= f => Next::Stretch {
            from: f,
            to: f
                .checked_add_signed(STRETCH)
                .ok_or_else(|| out_of_range(f))?,
        },
        _ => Next::Bound(bound),
    })
}

/// Every live id created in `[at, to]` (`to` is `at + STRETCH`) with `pass`, read by page
/// number until one pass is consistent (see the module docs).
async fn read_stretch(
    http: &HttpClient,
    pass: Pass,
    at: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<String>, ConnectorError> {
    let range = format!("(createdAt:[{} TO {}])", fmt_time(at), fmt_time(to));
    for _ in 0..STRETCH_PASSES {
        let mut seen = BTreeSet::new();
        let mut live = BTreeSet::new();
        let mut total: Option<u64> = None;
        let mut consistent = true;
        let mut page_no = 1;
        loop {
            let req = list_request(pass, Some(range.clone()), page_no);
            let query: Vec<(&str, String)> = req
                .query
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            let mut page: HalPage<ListedConversations> =
                http.get_json("default", CONVERSATIONS, &query).await?;
            let items = page.conversations();
            check_order(&items, Some(at))?;
            // A page past the elements counted cannot hold one: the list changed (or lies).
            if page.page.number != page_no
                || total.is_some_and(|t| t != page.page.total_elements)
                || (items.is_empty() && page.page.total_elements > 0)
                || page_no > page.page.total_elements.max(1)
            {
                consistent = false;
                break;
            }
            total = Some(page.page.total_elements);
            for c in &items {
                seen.insert(c.id);
                if is_live(c) {
                    live.insert(c.id);
                }
            }
            if items.is_empty() || page.page.number >= page.page.total_pages {
                break;
            }
            page_no += 1;
        }
        if consistent && seen.len() as u64 == total.unwrap_or(0) {
            return Ok(live.into_iter().map(|i| i.to_string()).collect());
        }
        tracing::info!(
            status = pass.as_str(),
            from = %fmt_time(at),
            "the conversations created within two seconds changed while being listed: listing them again"
        );
    }
    Err(ConnectorError::malformed(
        CONVERSATIONS,
        format!(
            "the conversations created between {} and {} (status {}) changed every time they were listed ({STRETCH_PASSES} times): the sweep stops here and the next sync resumes it",
            fmt_time(at),
            fmt_time(to),
            pass.as_str()
        ),
    ))
}

/// Where a read of the roster starts: the stored sweep, a new one, or none (not due).
fn start(
    c: &HelpScoutConnector,
    from: Option<Checkpoint>,
) -> Result<Option<Sweep>, ConnectorError> {
    let now = c.clock().now().trunc_subsecs(0);
    Ok(
        match parse_optional::<RosterCheckpoint>("ticket_roster", from.as_ref())? {
            None => Some(Sweep::new(now)),
            Some(RosterCheckpoint::Sweep(s)) => Some(s),
            Some(RosterCheckpoint::Completed { completed_at }) => {
                let due = completed_at.checked_add_signed(c.roster_every);
                if due.is_some_and(|due| now < due) {
                    tracing::debug!(
                        last = %fmt_time(completed_at),
                        "the last sweep of conversation ids is more recent than `roster_every`"
                    );
                    return Ok(None);
                }
                Some(Sweep::new(now))
            }
        },
    )
}

/// The `ticket_roster` stream; see the module docs.
pub(crate) fn roster<'a>(c: &'a HelpScoutConnector, from: Option<Checkpoint>) -> BatchStream<'a> {
    let sweep = match start(c, from) {
        Ok(Some(s)) => s,
        Ok(None) => return Box::pin(stream::empty()),
        Err(e) => return failed(e),
    };
    let http = &c.http;
    let pages = stream::try_unfold(Some(sweep), move |state| async move {
        let Some(sweep) = state else { return Ok(None) };
        let range = sweep
            .from
            .map(|f| format!("(createdAt:[{} TO *])", fmt_time(f)));
        let mut page = list_request(sweep.pass, range, 1)
            .send::<HalPage<ListedConversations>>(http, "default")
            .await?
            .body;
        let items = page.conversations();
        let last = last_page(page.page, !items.is_empty())?;
        check_order(&items, sweep.from)?;
        let mut ids = live_ids(&items);

        // After the last page of a pass: the spam pass after `all`, the end after that.
        let next = if last {
            (sweep.pass == Pass::All).then(|| Sweep {
                pass: Pass::Spam,
                from: None,
                ..sweep.clone()
            })
        } else {
            let next_from = match next_bound(&items, sweep.from)? {
                Next::Bound(bound) => bound,
                Next::Stretch { from, to } => {
                    ids.extend(read_stretch(http, sweep.pass, from, to).await?);
                    to
                }
            };
            Some(Sweep {
                from: Some(next_from),
                ..sweep.clone()
            })
        };
        let checkpoint = match &next {
            Some(next) => next.checkpoint(),
            None => Checkpoint::of(&RosterCheckpoint::Completed {
                completed_at: c.clock().now().trunc_subsecs(0),
            }),
        };
        let batch = Batch {
            records: vec![sweep.page(ids, next.is_none())],
            checkpoint,
        };
        Ok(Some((batch, next)))
    });
    Box::pin(pages)
}
