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
//! goes through the session's rate limiter, like the other streams. The inclusive
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
//! the page after the last committed one. `listed_before` is `sweep_started_at` minus one
//! hour: Help Scout's list is a search index that may lag behind new conversations.
//!
//! A conversation listed with `state: deleted` is not counted as present. A conversation
//! imported with a past `createdAt` behind the sweep's position while it runs is not
//! listed by that sweep and is judged gone until the next one lists it.

use crate::api::{HalPage, ListedConversation, ListedConversations};
use crate::streams::{CONVERSATIONS, Ctx, bad_checkpoint, check_page, failed, fmt_time, malformed};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use deskpulse_connector::{Batch, BatchStream, Checkpoint, ConnectorError};
use deskpulse_model::{Record, TicketRoster};
use futures::stream;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The `status` filters a sweep lists, in order.
const PASSES: [&str; 2] = ["all", "spam"];
/// How far `listed_before` trails the sweep's start.
const LIST_LAG: Duration = Duration::hours(1);
/// Passes over a crowded stretch before the sweep gives up on it for this sync.
const STRETCH_PASSES: usize = 3;

/// Where a sweep stands.
#[derive(Clone, Debug)]
struct Sweep {
    started_at: DateTime<Utc>,
    /// Index into [`PASSES`].
    pass: usize,
    /// Inclusive lower bound of `createdAt` of the next request (`None`: from the oldest).
    from: Option<DateTime<Utc>>,
}

impl Sweep {
    fn checkpoint(&self) -> Checkpoint {
        Checkpoint::new(json!({
            "sweep_started_at": fmt_time(self.started_at),
            "status": PASSES[self.pass],
            "created_from": self.from.map_or(Value::Null, |t| Value::String(fmt_time(t))),
        }))
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

fn parse_time(v: Option<&Value>) -> Result<Option<DateTime<Utc>>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| ()),
        Some(_) => Err(()),
    }
}

/// What a checkpoint asks for: a sweep to continue, or the time the last one completed.
enum From {
    Sweep(Sweep),
    Completed(DateTime<Utc>),
}

fn parse_checkpoint(cp: &Checkpoint) -> Result<From, ()> {
    let obj = cp.value().as_object().ok_or(())?;
    if let Some(started) = obj.get("sweep_started_at") {
        let started_at = parse_time(Some(started))?.ok_or(())?;
        let status = obj.get("status").and_then(Value::as_str).ok_or(())?;
        let pass = PASSES.iter().position(|p| *p == status).ok_or(())?;
        let from = parse_time(obj.get("created_from"))?;
        return Ok(From::Sweep(Sweep {
            started_at,
            pass,
            from,
        }));
    }
    parse_time(obj.get("completed_at"))?
        .map(From::Completed)
        .ok_or(())
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

fn list_query(status: &str, range: Option<String>, page: u64) -> Vec<(&'static str, String)> {
    let mut query = vec![
        ("status", status.to_owned()),
        ("sortField", "createdAt".to_owned()),
        ("sortOrder", "asc".to_owned()),
        ("page", page.to_string()),
    ];
    if let Some(r) = range {
        query.push(("query", r));
    }
    query
}

/// A page that ignored the range or the order cannot be followed by keyset: an error,
/// never a silently shortened (or endless) sweep.
pub(crate) fn check_order(
    items: &[ListedConversation],
    from: Option<DateTime<Utc>>,
) -> Result<(), ConnectorError> {
    for w in items.windows(2) {
        if w[1].created_at < w[0].created_at {
            return Err(malformed(
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
        return Err(malformed(
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

/// The bound after a page that is not the sweep's last (see the module docs).
pub(crate) fn next_bound(
    items: &[ListedConversation],
    from: Option<DateTime<Utc>>,
) -> Result<Next, ConnectorError> {
    let Some(newest) = items.iter().map(|c| c.created_at).max() else {
        return Err(malformed(
            CONVERSATIONS,
            "a page inside the range has no records",
        ));
    };
    // A `createdAt` at the edge of what a time can be is no conversation's: an error, not a
    // bound that cannot be computed.
    let out_of_range = |t: DateTime<Utc>| {
        malformed(
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

/// How long a stretch a crowded page is read over (see the module docs).
const STRETCH: Duration = Duration::seconds(2);

/// Every live id created in `[at, to]` (`to` is `at + STRETCH`) with `status`, read by
/// page number until one pass is consistent (see the module docs).
async fn read_stretch(
    ctx: Ctx<'_>,
    status: &str,
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
            let query = list_query(status, Some(range.clone()), page_no);
            let page: HalPage<ListedConversations> =
                ctx.session.get_json(CONVERSATIONS, &query).await?;
            let items = page.embedded.map(|e| e.conversations).unwrap_or_default();
            check_order(&items, Some(at))?;
            if page.page.number != page_no
                || total.is_some_and(|t| t != page.page.total_elements)
                || (items.is_empty() && page.page.total_elements > 0)
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
            status,
            from = %fmt_time(at),
            "the conversations created within two seconds changed while being listed: listing them again"
        );
    }
    Err(malformed(
        CONVERSATIONS,
        format!(
            "the conversations created between {} and {} (status {status}) changed every time they were listed ({STRETCH_PASSES} times): the sweep stops here and the next sync resumes it",
            fmt_time(at),
            fmt_time(to)
        ),
    ))
}

/// The `ticket_roster` stream; see the module docs.
pub(crate) fn roster<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let now = (ctx.now)().trunc_subsecs(0);
    let parsed = match &from {
        None => None,
        Some(cp) => match parse_checkpoint(cp) {
            Ok(p) => Some(p),
            Err(()) => {
                return failed(bad_checkpoint(
                    "ticket_roster",
                    cp,
                    "{\"completed_at\": …} or {\"sweep_started_at\", \"status\": \"all\" | \"spam\", \"created_from\"}",
                ));
            }
        },
    };
    let sweep = match parsed {
        None => Sweep {
            started_at: now,
            pass: 0,
            from: None,
        },
        Some(From::Sweep(s)) => s,
        Some(From::Completed(at)) => {
            if now < at + ctx.roster_every {
                tracing::debug!(
                    last = %fmt_time(at),
                    "the last sweep of conversation ids is more recent than `roster_every`"
                );
                return Box::pin(stream::empty());
            }
            Sweep {
                started_at: now,
                pass: 0,
                from: None,
            }
        }
    };
    let pages = stream::try_unfold(Some(sweep), move |state| async move {
        let Some(sweep) = state else { return Ok(None) };
        let status = PASSES[sweep.pass];
        let range = sweep
            .from
            .map(|f| format!("(createdAt:[{} TO *])", fmt_time(f)));
        let query = list_query(status, range, 1);
        let page: HalPage<ListedConversations> =
            ctx.session.get_json(CONVERSATIONS, &query).await?;
        let items = page.embedded.map(|e| e.conversations).unwrap_or_default();
        let last = check_page(CONVERSATIONS, 1, page.page, !items.is_empty())?;
        check_order(&items, sweep.from)?;
        let mut ids = live_ids(&items);

        if last {
            if sweep.pass + 1 < PASSES.len() {
                let next = Sweep {
                    pass: sweep.pass + 1,
                    from: None,
                    ..sweep.clone()
                };
                let batch = Batch {
                    records: vec![sweep.page(ids, false)],
                    checkpoint: next.checkpoint(),
                };
                return Ok(Some((batch, Some(next))));
            }
            let completed_at = (ctx.now)().trunc_subsecs(0);
            let batch = Batch {
                records: vec![sweep.page(ids, true)],
                checkpoint: Checkpoint::new(json!({ "completed_at": fmt_time(completed_at) })),
            };
            return Ok(Some((batch, None)));
        }

        let next_from = match next_bound(&items, sweep.from)? {
            Next::Bound(bound) => bound,
            Next::Stretch { from, to } => {
                ids.extend(read_stretch(ctx, status, from, to).await?);
                to
            }
        };
        let next = Sweep {
            from: Some(next_from),
            ..sweep.clone()
        };
        let batch = Batch {
            records: vec![sweep.page(ids, false)],
            checkpoint: next.checkpoint(),
        };
        Ok(Some((batch, Some(next))))
    });
    Box::pin(pages)
}
