//! One pager per stream. Gorgias has no server-side "changed since" filter on its lists, so
//! tickets, messages and satisfaction surveys are read as **data feeds**: newest first
//! (`order_by=…:desc`), page by page with `cursor`, until a record older than the bookmark
//! (or the API's end-of-stream signal, `meta.next_cursor: null`).
//!
//! Checkpoints (opaque JSON, one per page):
//! * in the middle of a pass: `{"after": T|null, "upper": U|null, "cursor": C}` — the pass's
//!   frozen lower bound `after` (exclusive), the newest feed time `U` read so far in it, and
//!   the cursor of the next page. A resumed pass continues at `C` with the same bound, so an
//!   interrupted first sync (or any sync) resumes exactly.
//! * after a pass: `{"bookmark": U|null}` — the newest feed time actually stored (never the
//!   time the sync ended). The next pass reads back to `U − overlap` (5 minutes for tickets
//!   and messages, against writes that become visible late; `surveys_lookback_days` for
//!   surveys, scored days after they were created). Re-read records are upserted, harmless.
//!
//! Records updated while a pass runs move to the head of the list, out of the pass's way:
//! their new feed time is later than `U`, so the next pass reads them. A stored cursor the
//! API refuses (a 4xx: expired, say) restarts the pass from its first page with the same
//! bound: re-reads are upserts, and nothing is skipped.

use crate::api::{self, FeedItem, GMessage, GSurvey, GTicket, GUser, ListPage};
use chrono::{DateTime, Duration, Utc};
use deskpulse_connector::http::HttpClient;
use deskpulse_connector::{Batch, BatchStream, Checkpoint, ConnectorError, Record};
use futures::stream;
use governor::DefaultDirectRateLimiter;
use serde_json::{Value, json};

pub(crate) const TICKETS: &str = "/api/tickets";
pub(crate) const MESSAGES: &str = "/api/messages";
pub(crate) const SURVEYS: &str = "/api/satisfaction-surveys";
pub(crate) const USERS: &str = "/api/users";

/// Re-read window of the ticket and message feeds on every new pass.
pub(crate) const FEED_OVERLAP_SECONDS: i64 = 300;

#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub http: &'a HttpClient,
    /// Gorgias's leaky bucket, client-side; `None` = unlimited.
    pub limiter: Option<&'a DefaultDirectRateLimiter>,
    pub start: Option<DateTime<Utc>>,
    pub page_size: u32,
    pub surveys_lookback: Duration,
}

impl Ctx<'_> {
    async fn get_page<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &str,
        query: &[(&str, String)],
    ) -> Result<ListPage<T>, ConnectorError> {
        if let Some(l) = self.limiter {
            l.until_ready().await;
        }
        self.http.get_json(crate::GROUP, endpoint, query).await
    }
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

fn failed<'a>(err: ConnectorError) -> BatchStream<'a> {
    Box::pin(stream::once(async move { Err(err) }))
}

/// Where a data-feed pass stands.
#[derive(Clone, Debug, PartialEq)]
struct Pass {
    /// Records with a feed time strictly after this belong to the pass (`None`: all).
    after: Option<DateTime<Utc>>,
    /// The newest feed time stored so far (this pass's records, or the bookmark it started
    /// from).
    upper: Option<DateTime<Utc>>,
    /// The next page's cursor; `None` before the first page.
    cursor: Option<String>,
}

fn time_field(
    stream: &str,
    cp: &Checkpoint,
    key: &str,
    expected: &str,
) -> Result<Option<DateTime<Utc>>, ConnectorError> {
    match cp.value().get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => api::parse_time(s)
            .map(Some)
            .map_err(|_| bad_checkpoint(stream, cp, expected)),
        Some(_) => Err(bad_checkpoint(stream, cp, expected)),
    }
}

impl Pass {
    fn from_checkpoint(
        stream: &str,
        from: Option<Checkpoint>,
        start: Option<DateTime<Utc>>,
        overlap: Duration,
    ) -> Result<Self, ConnectorError> {
        // The first pass takes everything from `start` on (inclusive).
        let first = Pass {
            after: start.map(|s| s - Duration::microseconds(1)),
            upper: None,
            cursor: None,
        };
        let Some(cp) = from else { return Ok(first) };
        const MID: &str = "{\"after\": …, \"upper\": …, \"cursor\": …} or {\"bookmark\": …}";
        if let Some(c) = cp.value().get("cursor") {
            let Some(c) = c.as_str().filter(|c| !c.is_empty()) else {
                return Err(bad_checkpoint(stream, &cp, MID));
            };
            return Ok(Pass {
                after: time_field(stream, &cp, "after", MID)?,
                upper: time_field(stream, &cp, "upper", MID)?,
                cursor: Some(c.to_owned()),
            });
        }
        if cp.value().get("bookmark").is_none() {
            return Err(bad_checkpoint(stream, &cp, MID));
        }
        let Some(bookmark) = time_field(stream, &cp, "bookmark", MID)? else {
            return Ok(first);
        };
        let mut after = bookmark - overlap;
        if let Some(f) = first.after {
            after = after.max(f);
        }
        // `upper` starts at the bookmark, so a pass that re-reads only the overlap (or finds
        // the newest record gone) never moves the bookmark backwards.
        Ok(Pass {
            after: Some(after),
            upper: Some(bookmark),
            cursor: None,
        })
    }

    fn mid_checkpoint(&self) -> Checkpoint {
        Checkpoint::new(json!({
            "after": self.after.map(api::format_time),
            "upper": self.upper.map(api::format_time),
            "cursor": self.cursor,
        }))
    }

    /// The bookmark after a complete pass: the newest feed time stored, else the bound the
    /// pass started from (a pass that found nothing new keeps it).
    fn done_checkpoint(&self) -> Checkpoint {
        let bookmark = self.upper.or(self.after);
        Checkpoint::new(json!({ "bookmark": bookmark.map(api::format_time) }))
    }
}

/// A data feed on `endpoint`, ordered by `order_field` newest first.
fn data_feed<'a, T: FeedItem + 'a>(
    ctx: Ctx<'a>,
    stream_name: &'static str,
    endpoint: &'static str,
    order_field: &'static str,
    overlap: Duration,
    from: Option<Checkpoint>,
    map: fn(T) -> Result<Vec<Record>, String>,
) -> BatchStream<'a> {
    let pass = match Pass::from_checkpoint(stream_name, from, ctx.start, overlap) {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    // Only the first request of a resumed pass uses a cursor from storage.
    let stored_cursor = pass.cursor.is_some();
    let pages = stream::try_unfold(Some((pass, stored_cursor)), move |state| async move {
        let Some((mut pass, stored_cursor)) = state else {
            return Ok(None);
        };
        let query = |cursor: &Option<String>| {
            let mut query = vec![
                ("order_by", format!("{order_field}:desc")),
                ("limit", ctx.page_size.to_string()),
            ];
            if let Some(c) = cursor {
                query.push(("cursor", c.clone()));
            }
            query
        };
        let page: ListPage<T> = match ctx.get_page(endpoint, &query(&pass.cursor)).await {
            Ok(page) => page,
            // A stored cursor the API no longer accepts (expired, say): start the pass again
            // from its first page with the same bound. Everything re-read is upserted, and
            // `upper` only grows, so nothing is lost.
            Err(ConnectorError::Http { status, .. })
                if stored_cursor && (400..500).contains(&status) && status != 429 =>
            {
                tracing::warn!(
                    stream = stream_name,
                    status,
                    "the stored cursor was refused; restarting the pass from its first page"
                );
                pass.cursor = None;
                ctx.get_page(endpoint, &query(&None)).await?
            }
            Err(e) => return Err(e),
        };
        let mut records = Vec::with_capacity(page.data.len());
        let mut reached_bookmark = false;
        for item in page.data {
            let t = item.feed_time();
            if pass.after.is_some_and(|after| t <= after) {
                // Newest first: everything from here on was read by an earlier pass.
                reached_bookmark = true;
                continue;
            }
            pass.upper = Some(pass.upper.map_or(t, |u| u.max(t)));
            records.extend(map(item).map_err(|e| malformed(endpoint, e))?);
        }
        let next = page.meta.next_cursor.filter(|c| !c.is_empty());
        if reached_bookmark || next.is_none() {
            let batch = Batch {
                records,
                checkpoint: pass.done_checkpoint(),
            };
            return Ok(Some((batch, None)));
        }
        if next == pass.cursor {
            return Err(malformed(
                endpoint,
                "`meta.next_cursor` did not move (the same page again)",
            ));
        }
        pass.cursor = next;
        let batch = Batch {
            records,
            checkpoint: pass.mid_checkpoint(),
        };
        Ok(Some((batch, Some((pass, false)))))
    });
    Box::pin(pages)
}

pub(crate) fn tickets<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    data_feed::<GTicket>(
        ctx,
        "tickets",
        TICKETS,
        "updated_datetime",
        Duration::seconds(FEED_OVERLAP_SECONDS),
        from,
        api::map_ticket,
    )
}

pub(crate) fn messages<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    data_feed::<GMessage>(
        ctx,
        "messages",
        MESSAGES,
        "created_datetime",
        Duration::seconds(FEED_OVERLAP_SECONDS),
        from,
        api::map_message,
    )
}

pub(crate) fn satisfaction_surveys<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    data_feed::<GSurvey>(
        ctx,
        "satisfaction_surveys",
        SURVEYS,
        "created_datetime",
        ctx.surveys_lookback,
        from,
        api::map_survey,
    )
}

/// The team (`GET /api/users`): a small list without any "changed since" order, read whole
/// on every sync. Checkpoints: `{"cursor": C}` in the middle of a pass (a resumed pass
/// continues there), `{"complete": true}` after it (the next sync reads the list again).
pub(crate) fn users<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let cursor = match from {
        None => None,
        Some(cp) => match cp.value().get("cursor") {
            Some(Value::String(c)) if !c.is_empty() => Some(c.clone()),
            None if cp.value().get("complete").is_some() => None,
            _ => {
                return failed(bad_checkpoint(
                    "users",
                    &cp,
                    "{\"cursor\": …} or {\"complete\": true}",
                ));
            }
        },
    };
    let stored_cursor = cursor.is_some();
    let pages = stream::try_unfold(Some((cursor, stored_cursor)), move |state| async move {
        let Some((mut cursor, stored_cursor)) = state else {
            return Ok(None);
        };
        let query = |cursor: &Option<String>| {
            let mut query = vec![("limit", ctx.page_size.to_string())];
            if let Some(c) = cursor {
                query.push(("cursor", c.clone()));
            }
            query
        };
        let page: ListPage<GUser> = match ctx.get_page(USERS, &query(&cursor)).await {
            Ok(page) => page,
            // A refused stored cursor: read the (small) list again from the start.
            Err(ConnectorError::Http { status, .. })
                if stored_cursor && (400..500).contains(&status) && status != 429 =>
            {
                tracing::warn!(
                    stream = "users",
                    status,
                    "the stored cursor was refused; reading the list again"
                );
                cursor = None;
                ctx.get_page(USERS, &query(&None)).await?
            }
            Err(e) => return Err(e),
        };
        let mut records = Vec::with_capacity(page.data.len());
        for u in page.data {
            records.extend(api::map_user(u).map_err(|e| malformed(USERS, e))?);
        }
        match page.meta.next_cursor.filter(|c| !c.is_empty()) {
            None => Ok(Some((
                Batch {
                    records,
                    checkpoint: Checkpoint::new(json!({ "complete": true })),
                },
                None,
            ))),
            Some(next) if Some(&next) == cursor.as_ref() => Err(malformed(
                USERS,
                "`meta.next_cursor` did not move (the same page again)",
            )),
            Some(next) => Ok(Some((
                Batch {
                    records,
                    checkpoint: Checkpoint::new(json!({ "cursor": next })),
                },
                Some((Some(next), false)),
            ))),
        }
    });
    Box::pin(pages)
}
