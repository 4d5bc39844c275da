//! One pager per stream. Each yields a batch per page with the checkpoint to resume after
//! it, stops only on the API's end-of-stream signal, and turns a page that cannot be
//! followed (no records array, a cursor that does not move) into `Malformed`.
//!
//! The ticket exports are asked for `support_type_scope=all`: Zendesk documents the parameter
//! on the ticket exports (cursor and time based) and the ticket events export, with values
//! `all`, `agent`, `ai_agent` and default `agent`, so without it tickets handled only by an AI
//! agent (support.zendesk.com/hc/en-us/articles/9204149016346) are left out. The users export
//! and the ratings list document no such parameter and are not sent it.

use crate::api::{self, CursorPage, RatingsPage, TicketEventsPage, TicketsPage, UsersPage};
use crate::{DEFAULT, INCREMENTAL, settings::MAX_EXPORT_PAGE};
use chrono::DateTime;
use deskpulse_connector::http::HttpClient;
use deskpulse_connector::{Batch, BatchStream, Checkpoint, ConnectorError, Record};
use futures::stream;
use serde_json::{Value, json};

const USERS: &str = "/api/v2/incremental/users/cursor.json";
const TICKETS: &str = "/api/v2/incremental/tickets/cursor.json";
const TICKET_EVENTS: &str = "/api/v2/incremental/ticket_events.json";
const RATINGS: &str = "/api/v2/satisfaction_ratings.json";
/// The list endpoints' page size ceiling.
const MAX_LIST_PAGE: u32 = 100;
/// See the module doc.
const SUPPORT_TYPE_SCOPE: (&str, &str) = ("support_type_scope", "all");

#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub http: &'a HttpClient,
    pub start_time: i64,
    pub page_size: Option<u32>,
    /// Seconds of satisfaction ratings re-read before the bookmark on every resumed sync.
    pub ratings_lookback: i64,
    /// Users to treat as bots (AI agent senders, third-party bots, integrations).
    pub bot_user_ids: &'a [i64],
}

fn malformed(endpoint: &str, detail: impl Into<String>) -> ConnectorError {
    ConnectorError::Malformed {
        endpoint: endpoint.to_owned(),
        detail: detail.into(),
    }
}

fn bad_checkpoint(stream: &str, cp: &Checkpoint, expected: &str) -> ConnectorError {
    malformed(
        &format!("the checkpoint of stream `{stream}`"),
        format!(
            "expected {expected}, got {}; run a full sync (`--full`) to start over",
            cp.value()
        ),
    )
}

fn start_time_of(cp: &Checkpoint) -> Option<i64> {
    cp.value().get("start_time")?.as_i64()
}

/// Where a cursor export stands: before its first page, or after a page.
#[derive(Clone, Debug, PartialEq)]
enum Pos {
    StartTime(i64),
    Cursor(String),
}

impl Pos {
    fn checkpoint(&self) -> Checkpoint {
        match self {
            Pos::StartTime(t) => Checkpoint::new(json!({ "start_time": t })),
            Pos::Cursor(c) => Checkpoint::new(json!({ "cursor": c })),
        }
    }

    fn from_checkpoint(
        stream: &str,
        from: Option<Checkpoint>,
        start: i64,
    ) -> Result<Self, ConnectorError> {
        let Some(cp) = from else {
            return Ok(Pos::StartTime(start));
        };
        if let Some(c) = cp
            .value()
            .get("cursor")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
        {
            return Ok(Pos::Cursor(c.to_owned()));
        }
        start_time_of(&cp)
            .map(Pos::StartTime)
            .ok_or_else(|| bad_checkpoint(stream, &cp, "{\"cursor\": …} or {\"start_time\": …}"))
    }
}

fn failed<'a>(err: ConnectorError) -> BatchStream<'a> {
    Box::pin(stream::once(async move { Err(err) }))
}

/// A cursor-based incremental export: `start_time` first, then `cursor={after_cursor}`,
/// until `end_of_stream`.
fn cursor_export<'a, P: CursorPage + 'a>(
    ctx: Ctx<'a>,
    stream_name: &'static str,
    endpoint: &'static str,
    extra: &'static [(&'static str, &'static str)],
    from: Option<Checkpoint>,
    map: fn(P::Item, &Ctx<'a>) -> Result<Vec<Record>, String>,
) -> BatchStream<'a> {
    let pos = match Pos::from_checkpoint(stream_name, from, ctx.start_time) {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let pages = stream::try_unfold(Some(pos), move |state| async move {
        let Some(pos) = state else { return Ok(None) };
        let mut query = match &pos {
            Pos::StartTime(t) => vec![("start_time", t.to_string())],
            Pos::Cursor(c) => vec![("cursor", c.clone())],
        };
        query.extend(extra.iter().map(|&(k, v)| (k, v.to_owned())));
        if let Some(n) = ctx.page_size {
            query.push(("per_page", n.min(MAX_EXPORT_PAGE).to_string()));
        }
        let page: P = ctx.http.get_json(INCREMENTAL, endpoint, &query).await?;
        let (items, after, end_of_stream) = page.into_parts();
        let mut records = Vec::with_capacity(items.len());
        for item in items {
            records.extend(map(item, &ctx).map_err(|e| malformed(endpoint, e))?);
        }
        let next = match after.filter(|c| !c.is_empty()) {
            Some(c) => Pos::Cursor(c),
            None if end_of_stream => pos.clone(),
            None => {
                return Err(malformed(
                    endpoint,
                    "no `after_cursor` although `end_of_stream` is false",
                ));
            }
        };
        if !end_of_stream && next == pos {
            return Err(malformed(
                endpoint,
                "`after_cursor` did not move although `end_of_stream` is false",
            ));
        }
        let batch = Batch {
            records,
            checkpoint: next.checkpoint(),
        };
        Ok(Some((batch, (!end_of_stream).then_some(next))))
    });
    Box::pin(pages)
}

pub(crate) fn users<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    cursor_export::<UsersPage>(ctx, "users", USERS, &[], from, |u, ctx| {
        api::map_user(u, ctx.bot_user_ids)
    })
}

pub(crate) fn tickets<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    cursor_export::<TicketsPage>(
        ctx,
        "tickets",
        TICKETS,
        &[("include", "metric_sets"), SUPPORT_TYPE_SCOPE],
        from,
        |t, _| api::map_ticket(t),
    )
}

/// The time-based ticket events export. The next request is rebuilt from `end_time` on the
/// base URL (never `next_page`, which names the production host). Boundary events repeat
/// across pages; their ids are stable, so storage upserts them.
///
/// More updates in one second than a page holds: the export pages by time (`start_time` is
/// inclusive, `end_time` is the last item's time), so a page whose items all share
/// `start_time`'s second cannot be followed by time, and a client that re-requests
/// `end_time` asks for the same page forever (the loop reported in zendesk_api_client_rb #168
/// and zenpy #451). Zendesk's documented remedy is on the server: "In time-based exports, the
/// system may exceed the 1000-item default return limit if items share the same timestamp"
/// (developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#per_page).
/// So the pager:
/// - accepts pages larger than the `per_page` it asked for;
/// - moves one second on when such a grown page, all of one second, still gives that second
///   as `end_time` (the page held the whole second);
/// - asks again with the largest page (1000, the default) when a page of a smaller `per_page`
///   is full of one second and `end_time` does not move;
/// - fails with a `Malformed` error naming the second when even that stalls, rather than loop
///   or skip updates (the next sync starts from the same second).
pub(crate) fn ticket_events<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let start = match from {
        None => ctx.start_time,
        Some(cp) => match start_time_of(&cp) {
            Some(t) => t,
            None => return failed(bad_checkpoint("ticket_events", &cp, "{\"start_time\": …}")),
        },
    };
    let pages = stream::try_unfold(Some(start), move |state| async move {
        let Some(start_time) = state else {
            return Ok(None);
        };
        let mut per_page = ctx.page_size.map(|n| n.min(MAX_EXPORT_PAGE));
        let (page, next) = loop {
            let mut query = vec![
                ("start_time", start_time.to_string()),
                ("include", "comment_events".to_owned()),
                (SUPPORT_TYPE_SCOPE.0, SUPPORT_TYPE_SCOPE.1.to_owned()),
            ];
            if let Some(n) = per_page {
                query.push(("per_page", n.to_string()));
            }
            let page: TicketEventsPage = ctx
                .http
                .get_json(INCREMENTAL, TICKET_EVENTS, &query)
                .await?;
            let next = match page.end_time {
                Some(t) => t,
                None if page.end_of_stream => start_time,
                None => {
                    return Err(malformed(
                        TICKET_EVENTS,
                        "no `end_time` although `end_of_stream` is false",
                    ));
                }
            };
            // An `end_time` past now would be the next sync's start: a pager that follows it
            // creeps on for ever, or skips what happens until then.
            deskpulse_connector::ensure_unix_not_future(
                TICKET_EVENTS,
                "end_time",
                next,
                chrono::Utc::now(),
            )?;
            if page.end_of_stream || next > start_time {
                break (page, next);
            }
            // `end_time` does not move: every update of the page is in `start_time`'s second.
            let asked = per_page.unwrap_or(MAX_EXPORT_PAGE) as usize;
            let count = page.ticket_events.len();
            let one_second = page
                .ticket_events
                .iter()
                .all(|e| api::event_second(e) == Some(start_time));
            if count > asked && one_second {
                // Grown past `per_page`: the page holds the whole second.
                break (page, start_time + 1);
            }
            if count > 0 && one_second && asked < MAX_EXPORT_PAGE as usize {
                per_page = Some(MAX_EXPORT_PAGE);
                continue;
            }
            let when = DateTime::from_timestamp(start_time, 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            return Err(malformed(
                TICKET_EVENTS,
                format!(
                    "`end_time` {next} does not move past `start_time` {start_time} ({when}) although `end_of_stream` is false: \
                     {count} ticket updates of that second fill the page and the time-based export cannot page inside one second; \
                     nothing was skipped, the next sync retries from {start_time}"
                ),
            ));
        };
        let mut records = Vec::new();
        for event in page.ticket_events {
            records.extend(api::map_ticket_event(event).map_err(|e| malformed(TICKET_EVENTS, e))?);
        }
        // Never move the bookmark backwards, whatever the page says at the end.
        let next = next.max(start_time);
        let batch = Batch {
            records,
            checkpoint: Checkpoint::new(json!({ "start_time": next })),
        };
        Ok(Some((batch, (!page.end_of_stream).then_some(next))))
    });
    Box::pin(pages)
}

struct RatingsState {
    start_time: i64,
    after: Option<String>,
    /// The latest `updated_at` read so far (unix seconds): the bookmark.
    bookmark: i64,
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
/// - the bookmark is the latest `updated_at` read (answered or only offered);
/// - every resumed sync starts `ratings_lookback` before the bookmark. If `start_time`
///   compares `updated_at`, the lookback is merely re-read (storage upserts by id). If it
///   compares `created_at`, an answer given after the bookmark belongs to a survey offered
///   at most `ratings_lookback` before it: a rating can change only while its ticket is
///   solved, and Zendesk closes every solved ticket at the latest 28 days after the solve
///   (support.zendesk.com/hc/en-us/articles/4408835051546), which is why the default
///   lookback is 28 days. A ticket reopened and solved again after the lookback is the one
///   case a `created_at` filter could still hide; a full sync (`--full`) reads it.
pub(crate) fn satisfaction_ratings<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let resumed = from.is_some();
    let start = match from {
        None => ctx.start_time,
        Some(cp) => match start_time_of(&cp) {
            Some(t) => t,
            None => {
                return failed(bad_checkpoint(
                    "satisfaction_ratings",
                    &cp,
                    "{\"start_time\": …}",
                ));
            }
        },
    };
    let size = ctx.page_size.unwrap_or(MAX_LIST_PAGE).min(MAX_LIST_PAGE);
    let request_start = if resumed {
        start
            .saturating_sub(ctx.ratings_lookback)
            .max(ctx.start_time)
    } else {
        start
    };
    let init = RatingsState {
        start_time: request_start,
        after: None,
        bookmark: start,
    };
    let pages = stream::try_unfold(Some(init), move |state| async move {
        let Some(mut st) = state else { return Ok(None) };
        let mut query = vec![
            ("start_time", st.start_time.to_string()),
            ("sort", "created_at".to_owned()),
            ("page[size]", size.to_string()),
        ];
        if let Some(after) = &st.after {
            query.push(("page[after]", after.clone()));
        }
        let page: RatingsPage = ctx.http.get_json(DEFAULT, RATINGS, &query).await?;
        let mut records = Vec::with_capacity(page.satisfaction_ratings.len());
        for r in page.satisfaction_ratings {
            st.bookmark = st.bookmark.max(r.answered_at().timestamp());
            if let Some(rec) = api::map_rating(r) {
                records.push(rec);
            }
        }
        let checkpoint = Checkpoint::new(json!({ "start_time": st.bookmark }));
        if !page.meta.has_more {
            return Ok(Some((
                Batch {
                    records,
                    checkpoint,
                },
                None,
            )));
        }
        match page.meta.after_cursor.filter(|c| !c.is_empty()) {
            None => {
                return Err(malformed(
                    RATINGS,
                    "`meta.has_more` is true but there is no `meta.after_cursor`",
                ));
            }
            Some(c) if st.after.as_deref() == Some(c.as_str()) => {
                return Err(malformed(
                    RATINGS,
                    "`meta.after_cursor` did not move although `meta.has_more` is true",
                ));
            }
            Some(c) => st.after = Some(c),
        }
        Ok(Some((
            Batch {
                records,
                checkpoint,
            },
            Some(st),
        )))
    });
    Box::pin(pages)
}
