//! One pager per stream. Each yields a batch per page with the checkpoint to resume after it.
//!
//! Freshdesk pages with `page`/`per_page` and announces a next page only in the `Link`
//! header, which the SDK's client does not hand back; a list ends on its first page with
//! fewer than `per_page` records (a full last page is followed by one empty page). Pages
//! that cannot be read, and tickets not in `updated_at` order, are `Malformed`.

use crate::api::{self, Conversation, FAgent, FRating, FTicket, Pass, TicketCheck};
use crate::{DEFAULT, TICKET_LIST};
use chrono::{DateTime, SecondsFormat, Utc};
use deskpulse_connector::http::HttpClient;
use deskpulse_connector::{Batch, BatchStream, Checkpoint, ConnectorError, Record};
use deskpulse_model::TicketStatus;
use futures::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::json;

const TICKETS: &str = "/api/v2/tickets";
const AGENTS: &str = "/api/v2/agents";
const RATINGS: &str = "/api/v2/surveys/satisfaction_ratings";
/// Freshdesk serves at most 300 pages of one list query.
pub(crate) const PAGE_CAP: u32 = 300;

#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub http: &'a HttpClient,
    pub start: DateTime<Utc>,
    pub page_size: u32,
    pub ratings_lookback: chrono::Duration,
    pub concurrency: usize,
}

fn malformed(endpoint: &str, detail: impl Into<String>) -> ConnectorError {
    ConnectorError::Malformed {
        endpoint: endpoint.to_owned(),
        detail: detail.into(),
    }
}

fn failed<'a>(err: ConnectorError) -> BatchStream<'a> {
    Box::pin(stream::once(async move { Err(err) }))
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Reads a checkpoint this connector wrote; anything else says how to start over.
fn parse_checkpoint<T: DeserializeOwned>(
    stream: &str,
    cp: Option<Checkpoint>,
    expected: &str,
) -> Result<Option<T>, ConnectorError> {
    let Some(cp) = cp else { return Ok(None) };
    serde_json::from_value(cp.value().clone())
        .map(Some)
        .map_err(|e| {
            malformed(
                &format!("the checkpoint of stream `{stream}`"),
                format!(
                    "expected {expected}, got {} ({e}); run a full sync (`--full`) to start over",
                    cp.value()
                ),
            )
        })
}

fn checkpoint_of<T: Serialize>(pos: &T) -> Checkpoint {
    Checkpoint::new(serde_json::to_value(pos).unwrap_or_else(|_| json!({})))
}

/// Where the tickets stream stands.
///
/// A sync reads three passes over the same window `updated_since >= since`: the default
/// list, then `filter=spam`, then `filter=deleted`. Within a pass, tickets come oldest
/// update first; after every full page the next request starts again at page 1 from the
/// last ticket's `updated_at` (Freshdesk's filter includes it, so the seam is re-read and
/// upserted, never skipped), which also keeps clear of the 300-page cap. Only when a whole
/// page shares one `updated_at` does it move on by page number instead.
///
/// `bookmark` is the newest `updated_at` the default pass stored (or the window start):
/// the next sync's `since`. A finished sync's checkpoint is simply the next sync's start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct TicketsPos {
    pass: Pass,
    since: DateTime<Utc>,
    updated_since: DateTime<Utc>,
    page: u32,
    bookmark: DateTime<Utc>,
}

impl TicketsPos {
    fn start(at: DateTime<Utc>) -> Self {
        Self {
            pass: Pass::All,
            since: at,
            updated_since: at,
            page: 1,
            bookmark: at,
        }
    }
}

const TICKETS_CP: &str = "{\"pass\", \"since\", \"updated_since\", \"page\", \"bookmark\"}";

pub(crate) fn tickets<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let pos = match parse_checkpoint::<TicketsPos>("tickets", from, TICKETS_CP) {
        Ok(p) => p.unwrap_or_else(|| TicketsPos::start(ctx.start)),
        Err(e) => return failed(e),
    };
    if pos.page == 0 || pos.page > PAGE_CAP {
        return failed(malformed(
            "the checkpoint of stream `tickets`",
            format!(
                "page {} is outside 1–{PAGE_CAP}; run a full sync (`--full`)",
                pos.page
            ),
        ));
    }
    let pages = stream::try_unfold(Some(pos), move |state| async move {
        let Some(mut pos) = state else {
            return Ok(None);
        };
        let mut query = vec![
            ("updated_since", iso(pos.updated_since)),
            ("order_by", "updated_at".to_owned()),
            ("order_type", "asc".to_owned()),
            ("include", "stats,requester".to_owned()),
            ("per_page", ctx.page_size.to_string()),
            ("page", pos.page.to_string()),
        ];
        if let Some(f) = pos.pass.filter() {
            query.push(("filter", f.to_owned()));
        }
        let page: Vec<FTicket> = ctx.http.get_json(TICKET_LIST, TICKETS, &query).await?;
        // Keyset paging is only sound on pages in `updated_at` order. The spam and deleted
        // passes page by number: whether Freshdesk applies `updated_since` and the order to
        // them is not documented.
        if pos.pass == Pass::All {
            let mut prev = pos.updated_since;
            for t in &page {
                if t.updated_at < prev {
                    return Err(malformed(
                        TICKETS,
                        format!(
                            "ticket {} (updated {}) is out of `updated_at` order on a page asked for `updated_since={}&order_by=updated_at&order_type=asc`",
                            t.id,
                            iso(t.updated_at),
                            iso(pos.updated_since)
                        ),
                    ));
                }
                prev = t.updated_at;
            }
        }
        let full = page.len() >= ctx.page_size as usize;
        let last = page.last().map(|t| t.updated_at);
        let ids: Vec<i64> = page.iter().map(|t| t.id).collect();
        let mut records = Vec::with_capacity(page.len() * 4);
        for t in page {
            if pos.pass == Pass::All {
                pos.bookmark = pos.bookmark.max(t.updated_at);
            }
            records.extend(api::map_ticket(t, pos.pass).map_err(|e| malformed(TICKETS, e))?);
        }
        // Conversations of the default pass's tickets only: spam and deleted tickets count
        // nowhere. A bounded fan-out (Freshdesk has no bulk endpoint for them), in order,
        // committed with the page.
        if pos.pass == Pass::All && !ids.is_empty() {
            let per_ticket: Vec<(i64, Option<Vec<Record>>)> = stream::iter(ids)
                .map(|id| async move { conversations(ctx, id).await.map(|c| (id, c)) })
                .buffered(ctx.concurrency)
                .try_collect()
                .await?;
            let mut gone = Vec::new();
            for (id, found) in per_ticket {
                match found {
                    Some(messages) => records.extend(messages),
                    None => gone.push(id.to_string()),
                }
            }
            // Deleted between the list call and its conversations: the sync goes on, and the
            // ticket is stored as deleted (the `filter=deleted` pass lists it too, if it is
            // only in the trash).
            for r in &mut records {
                if let Record::Ticket(t) = r
                    && gone.contains(&t.external_id)
                {
                    t.status = TicketStatus::Deleted;
                }
            }
        }
        let next_pass = || {
            pos.pass.next().map(|pass| TicketsPos {
                pass,
                updated_since: pos.since,
                page: 1,
                ..pos.clone()
            })
        };
        let next = match (pos.pass, full, last) {
            (_, false, _) => next_pass(),
            (Pass::All, true, Some(last)) if last > pos.updated_since => Some(TicketsPos {
                updated_since: last,
                page: 1,
                ..pos.clone()
            }),
            (_, true, _) if pos.page < PAGE_CAP => Some(TicketsPos {
                page: pos.page + 1,
                ..pos.clone()
            }),
            (Pass::All, true, _) => {
                return Err(malformed(
                    TICKETS,
                    format!(
                        "more than {} tickets share `updated_at` {}: Freshdesk serves no more pages of one query",
                        PAGE_CAP * ctx.page_size,
                        iso(pos.updated_since)
                    ),
                ));
            }
            (pass, true, _) => {
                tracing::warn!(
                    filter = pass.filter().unwrap_or_default(),
                    pages = PAGE_CAP,
                    "Freshdesk serves no more pages of this ticket filter: the rest of it is not read by this sync"
                );
                next_pass()
            }
        };
        let (checkpoint, state) = match next {
            Some(n) => (checkpoint_of(&n), Some(n)),
            // Done: the checkpoint is the next sync's start.
            None => (checkpoint_of(&TicketsPos::start(pos.bookmark)), None),
        };
        Ok(Some((
            Batch {
                records,
                checkpoint,
            },
            state,
        )))
    });
    Box::pin(pages)
}

/// Every conversation of one ticket (`GET /api/v2/tickets/{id}/conversations`), page by page
/// until a short page; `None` when the ticket was deleted after the list was read.
///
/// Freshdesk answers 404 for the conversations of a ticket that no longer exists, but a 404
/// alone does not say why (its body is not documented). So a 404 is checked against the
/// ticket itself (`GET /api/v2/tickets/{id}`): a ticket that is gone too (404), or in the
/// trash (`deleted: true`), was deleted; a ticket that is still there leaves the 404
/// unexplained, and it is an error, never an empty conversation.
async fn conversations(
    ctx: Ctx<'_>,
    ticket_id: i64,
) -> Result<Option<Vec<Record>>, ConnectorError> {
    let endpoint = format!("{TICKETS}/{ticket_id}/conversations");
    let mut out = Vec::new();
    let mut page_no = 1u32;
    loop {
        let query = [
            ("per_page", ctx.page_size.to_string()),
            ("page", page_no.to_string()),
        ];
        let page: Vec<Conversation> = match ctx.http.get_json(DEFAULT, &endpoint, &query).await {
            Ok(page) => page,
            Err(ConnectorError::Http {
                status: 404,
                endpoint,
                attempts,
                detail,
            }) => {
                return if ticket_is_deleted(ctx, ticket_id).await? {
                    tracing::info!(
                        ticket = ticket_id,
                        "the ticket was deleted while the sync ran: stored as deleted"
                    );
                    Ok(None)
                } else {
                    Err(ConnectorError::Http {
                        status: 404,
                        endpoint,
                        attempts,
                        detail: format!(
                            "{detail} (the ticket itself still exists and is not deleted: check `base_url` and any proxy in front of Freshdesk)"
                        ),
                    })
                };
            }
            Err(e) => return Err(e),
        };
        let full = page.len() >= ctx.page_size as usize;
        for c in page {
            if let Some(r) =
                api::map_conversation(c, ticket_id).map_err(|e| malformed(&endpoint, e))?
            {
                out.push(r);
            }
        }
        if !full {
            return Ok(Some(out));
        }
        if page_no >= PAGE_CAP {
            return Err(malformed(
                &endpoint,
                format!("more than {PAGE_CAP} full pages of conversations"),
            ));
        }
        page_no += 1;
    }
}

/// Whether ticket `id` is deleted: gone (404) or in the trash (`deleted: true`).
async fn ticket_is_deleted(ctx: Ctx<'_>, id: i64) -> Result<bool, ConnectorError> {
    let endpoint = format!("{TICKETS}/{id}");
    match ctx
        .http
        .get_json::<TicketCheck>(DEFAULT, &endpoint, &[])
        .await
    {
        Ok(t) => Ok(t.deleted == Some(true)),
        Err(ConnectorError::Http { status: 404, .. }) => Ok(true),
        Err(e) => Err(e),
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct PagePos {
    page: u32,
}

/// All agents, page by page, on every sync (the list takes no time filter; it is short).
/// The last checkpoint, `{"page": 1}`, starts the next sync over.
pub(crate) fn agents<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let start = match parse_checkpoint::<PagePos>("agents", from, "{\"page\": …}") {
        Ok(p) => p.map_or(1, |p| p.page.max(1)),
        Err(e) => return failed(e),
    };
    let pages = stream::try_unfold(Some(start), move |state| async move {
        let Some(page_no) = state else {
            return Ok(None);
        };
        let query = [
            ("per_page", ctx.page_size.to_string()),
            ("page", page_no.to_string()),
        ];
        let page: Vec<FAgent> = ctx.http.get_json(DEFAULT, AGENTS, &query).await?;
        let full = page.len() >= ctx.page_size as usize;
        let records = page.into_iter().map(api::map_agent).collect();
        let next = full.then_some(page_no + 1);
        Ok(Some((
            Batch {
                records,
                checkpoint: checkpoint_of(&PagePos {
                    page: next.unwrap_or(1),
                }),
            },
            next,
        )))
    });
    Box::pin(pages)
}

/// Where the ratings stream stands: the window `created_since`, the next page of it, and
/// the newest `created_at` read. A finished sync's checkpoint starts the next one
/// `ratings_lookback` before that bookmark (never before the configured start).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RatingsPos {
    created_since: DateTime<Utc>,
    page: u32,
    bookmark: DateTime<Utc>,
}

pub(crate) fn satisfaction_ratings<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let pos = match parse_checkpoint::<RatingsPos>(
        "satisfaction_ratings",
        from,
        "{\"created_since\", \"page\", \"bookmark\"}",
    ) {
        Ok(p) => p.unwrap_or(RatingsPos {
            created_since: ctx.start,
            page: 1,
            bookmark: ctx.start,
        }),
        Err(e) => return failed(e),
    };
    let pages = stream::try_unfold(Some(pos), move |state| async move {
        let Some(mut pos) = state else {
            return Ok(None);
        };
        let query = [
            ("created_since", iso(pos.created_since)),
            ("per_page", ctx.page_size.to_string()),
            ("page", pos.page.to_string()),
        ];
        let page: Vec<FRating> = ctx.http.get_json(DEFAULT, RATINGS, &query).await?;
        let full = page.len() >= ctx.page_size as usize;
        let mut records = Vec::with_capacity(page.len());
        for r in page {
            pos.bookmark = pos.bookmark.max(r.created_at);
            if let Some(rec) = api::map_rating(r).map_err(|e| malformed(RATINGS, e))? {
                records.push(rec);
            }
        }
        let next = if !full {
            None
        } else if pos.page < PAGE_CAP {
            Some(RatingsPos {
                page: pos.page + 1,
                ..pos.clone()
            })
        } else if pos.bookmark > pos.created_since {
            // The page cap: a new window from the newest rating read (re-reading its second).
            Some(RatingsPos {
                created_since: pos.bookmark,
                page: 1,
                ..pos.clone()
            })
        } else {
            return Err(malformed(
                RATINGS,
                format!("{PAGE_CAP} full pages without a newer `created_at`: cannot page further"),
            ));
        };
        let checkpoint = match &next {
            Some(n) => checkpoint_of(n),
            None => checkpoint_of(&RatingsPos {
                created_since: (pos.bookmark - ctx.ratings_lookback).max(ctx.start),
                page: 1,
                bookmark: pos.bookmark,
            }),
        };
        Ok(Some((
            Batch {
                records,
                checkpoint,
            },
            next,
        )))
    });
    Box::pin(pages)
}
