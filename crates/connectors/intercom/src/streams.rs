//! The three streams. Each yields a batch per page with the checkpoint to resume after it,
//! stops only on the API's end-of-stream signal (no `pages.next`), and turns a page that
//! cannot be followed (a missing field, a cursor that does not move) into `Malformed`.

use crate::api::{self, AdminList, Conversation, NextPage, RosterItem, RosterPage, SearchPage};
use crate::{Clock, DEFAULT};
use chrono::{DateTime, Utc};
use deskpulse_connector::http::HttpClient;
use deskpulse_connector::{Batch, BatchStream, Checkpoint, ConnectorError, Record};
use deskpulse_model::TicketRoster;
use futures::{StreamExt, stream};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub(crate) const ADMINS: &str = "/admins";
pub(crate) const SEARCH: &str = "/conversations/search";
pub(crate) const CONVERSATION: &str = "/conversations/{id}";

#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub http: &'a HttpClient,
    pub start_time: i64,
    pub page_size: u32,
    pub parts_concurrency: usize,
    /// Seconds searched again before the bookmark on every resumed sync.
    pub lookback: i64,
    /// The least time between two completed roster sweeps (zero: every sync).
    pub roster_every: chrono::Duration,
    pub clock: &'a Clock,
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

/// `GET /admins`: every teammate, in one unpaged list. A full refresh on every sync (the
/// list is small and has no "updated since"): its checkpoint only records that it ran.
pub(crate) fn admins<'a>(ctx: Ctx<'a>, _from: Option<Checkpoint>) -> BatchStream<'a> {
    Box::pin(stream::once(async move {
        let list: AdminList = ctx.http.get_json(DEFAULT, ADMINS, &[]).await?;
        let records = list
            .admins
            .into_iter()
            .map(api::map_admin)
            .collect::<Result<_, _>>()
            .map_err(|e| malformed(ADMINS, e))?;
        Ok(Batch {
            records,
            checkpoint: Checkpoint::new(json!({ "full_refresh": true })),
        })
    }))
}

/// POSTs `body` and parses the answer as `T`, fetching again (like `get_json`) when the
/// body is cut short or not JSON at all; JSON of the wrong shape fails at once.
async fn post_parsed<T: DeserializeOwned>(
    http: &HttpClient,
    endpoint: &str,
    body: &Value,
) -> Result<T, ConnectorError> {
    let retry = http.retry_policy().clone();
    let mut tries = 0u32;
    loop {
        tries += 1;
        let bytes = http.post_json(DEFAULT, endpoint, body).await?;
        let err = match serde_json::from_slice(&bytes) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let transient = matches!(
            err.classify(),
            serde_json::error::Category::Eof | serde_json::error::Category::Syntax
        );
        if !transient || tries >= retry.max_attempts.max(1) {
            return Err(malformed(
                endpoint,
                format!("the body is not the JSON expected (after {tries} attempt(s)): {err}"),
            ));
        }
        let wait = retry
            .base_delay
            .saturating_mul(2u32.saturating_pow(tries - 1))
            .min(retry.max_delay);
        tracing::warn!(endpoint, attempt = tries, wait_ms = wait.as_millis() as u64, error = %err, "unreadable body, fetching the page again");
        tokio::time::sleep(wait).await;
    }
}

/// The search body: conversations updated at or after `from` (Intercom's `>` is documented
/// as "greater (or equal)"; the `=` branch makes it so either way), oldest update first.
pub(crate) fn search_body(from: i64, per_page: u32, starting_after: Option<&str>) -> Value {
    let mut pagination = json!({ "per_page": per_page });
    if let Some(c) = starting_after {
        pagination["starting_after"] = json!(c);
    }
    json!({
        "query": {
            "operator": "OR",
            "value": [
                { "field": "updated_at", "operator": ">", "value": from },
                { "field": "updated_at", "operator": "=", "value": from },
            ]
        },
        "sort": { "field": "updated_at", "order": "ascending" },
        "pagination": pagination,
    })
}

struct SearchState {
    /// The query's lower bound on `updated_at`, fixed for the whole run (the cursor
    /// belongs to the query).
    from: i64,
    after: Option<String>,
    /// The highest `updated_at` stored so far (or the run's start): the bookmark.
    bookmark: i64,
}

/// A conversation's full record with its parts (`GET /conversations/{id}`). Intercom has no
/// bulk endpoint for parts, so this is one request per conversation of the current search
/// page only, at most `parts_concurrency` at once, checkpointed with the page. A 404 means
/// the conversation was deleted after the search found it: it is kept as `deleted`.
async fn conversation_records(
    ctx: Ctx<'_>,
    found: Conversation,
) -> Result<Vec<Record>, ConnectorError> {
    let id = searched_id(&found)?;
    let path = format!("/conversations/{id}");
    match ctx.http.get_json::<Conversation>(DEFAULT, &path, &[]).await {
        Ok(full) => full_records(&id, full),
        Err(ConnectorError::Http { status: 404, .. }) => {
            tracing::debug!(conversation = %id, "conversation gone (404): kept as deleted");
            gone_records(found)
        }
        Err(e) => Err(e),
    }
}

/// The id of a conversation the search found, which goes into the next request's path:
/// anything but letters, digits, `-` and `_` is refused.
pub(crate) fn searched_id(found: &Conversation) -> Result<String, ConnectorError> {
    let id = found.id.0.clone();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(malformed(
            SEARCH,
            format!("conversation id {id:?} is not an id"),
        ));
    }
    Ok(id)
}

/// The records of `GET /conversations/{id}`'s answer, asked for conversation `id`.
pub(crate) fn full_records(id: &str, full: Conversation) -> Result<Vec<Record>, ConnectorError> {
    if full.id.0 != id {
        return Err(malformed(
            CONVERSATION,
            format!("asked for conversation {id}, got {}", full.id.0),
        ));
    }
    if full.conversation_parts.is_none() {
        return Err(malformed(
            CONVERSATION,
            format!("conversation {id} came without `conversation_parts`"),
        ));
    }
    api::map_conversation(full, false).map_err(|e| malformed(CONVERSATION, e))
}

/// The records of a conversation the search found and `GET` no longer does (deleted).
pub(crate) fn gone_records(found: Conversation) -> Result<Vec<Record>, ConnectorError> {
    api::map_conversation(found, true).map_err(|e| malformed(SEARCH, e))
}

/// `POST /conversations/search` by `updated_at`, oldest first, `pagination.starting_after`
/// from `pages.next.starting_after` until `pages.next` is absent; each page with its
/// conversations' parts. Checkpoint: `{"updated_at": <highest updated_at stored>}`; a
/// resumed run searches from `lookback` before it. Conversations at the bookmark's second
/// are read again: storage upserts them.
pub(crate) fn conversations<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let init = match from {
        None => SearchState {
            from: ctx.start_time,
            after: None,
            bookmark: ctx.start_time,
        },
        Some(cp) => match cp.value().get("updated_at").and_then(Value::as_i64) {
            Some(t) => SearchState {
                from: t.saturating_sub(ctx.lookback).max(0),
                after: None,
                bookmark: t,
            },
            None => {
                return failed(malformed(
                    "the checkpoint of stream `conversations`",
                    format!(
                        "expected {{\"updated_at\": …}}, got {}; run a full sync (`--full`) to start over",
                        cp.value()
                    ),
                ));
            }
        },
    };
    let pages = stream::try_unfold(Some(init), move |state| async move {
        let Some(mut st) = state else { return Ok(None) };
        let body = search_body(st.from, ctx.page_size, st.after.as_deref());
        let page: SearchPage = post_parsed(ctx.http, SEARCH, &body).await?;
        for c in &page.conversations {
            st.bookmark = st.bookmark.max(c.updated_at);
        }
        let fetched: Vec<Result<Vec<Record>, ConnectorError>> = stream::iter(
            page.conversations
                .into_iter()
                .map(|c| conversation_records(ctx, c)),
        )
        .buffered(ctx.parts_concurrency)
        .collect()
        .await;
        let mut records = Vec::new();
        for r in fetched {
            records.extend(r?);
        }
        let checkpoint = Checkpoint::new(json!({ "updated_at": st.bookmark }));
        let next = match next_cursor(page.pages.next, st.after.as_deref())? {
            None => None,
            Some(c) => {
                st.after = Some(c);
                Some(st)
            }
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

/// The cursor of the next page: `None` at the end (no `pages.next`); an error when
/// `pages.next` has no `starting_after` or repeats the one just sent.
pub(crate) fn next_cursor(
    next: Option<NextPage>,
    sent: Option<&str>,
) -> Result<Option<String>, ConnectorError> {
    let Some(next) = next else {
        return Ok(None);
    };
    match next.starting_after.filter(|c| !c.is_empty()) {
        None => Err(malformed(
            SEARCH,
            "`pages.next` is present but has no `starting_after`",
        )),
        Some(c) if sent == Some(c.as_str()) => Err(malformed(
            SEARCH,
            "`pages.next.starting_after` did not move",
        )),
        Some(c) => Ok(Some(c)),
    }
}

/// Conversations created from `listed_before` on are not judged by a sweep: the search
/// index may not list them yet.
const LISTING_LAG_SECS: i64 = 3600;

/// The roster search: every conversation created before `listed_before`, oldest first.
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
pub(crate) fn roster_body(
    listed_before: i64,
    per_page: u32,
    starting_after: Option<&str>,
) -> Value {
    let mut pagination = json!({ "per_page": per_page });
    if let Some(c) = starting_after {
        pagination["starting_after"] = json!(c);
    }
    json!({
        "query": { "field": "created_at", "operator": "<", "value": listed_before },
        "sort": { "field": "created_at", "order": "ascending" },
        "pagination": pagination,
    })
}

/// Where a `ticket_roster` read starts.
enum RosterStart {
    /// No sweep under way; the last one completed then (unix seconds), if ever.
    Idle { last_completed: Option<i64> },
    /// A sweep was cut short after the page whose `pages.next` this is.
    Resume {
        started: i64,
        after: String,
        last_completed: Option<i64>,
    },
}

fn roster_start(from: Option<Checkpoint>) -> Result<RosterStart, ConnectorError> {
    let Some(cp) = from else {
        return Ok(RosterStart::Idle {
            last_completed: None,
        });
    };
    let v = cp.value();
    let last_completed = v.get("last_completed_at").and_then(Value::as_i64);
    let bad = || {
        malformed(
            "the checkpoint of stream `ticket_roster`",
            format!(
                "expected {{\"last_completed_at\": …}} or {{\"sweep_started_at\": …, \"starting_after\": …}}, got {v}; run a full sync (`--full`) to start over"
            ),
        )
    };
    match (v.get("sweep_started_at"), v.get("starting_after")) {
        (Some(started), Some(after)) => Ok(RosterStart::Resume {
            started: started.as_i64().ok_or_else(bad)?,
            after: after
                .as_str()
                .filter(|s| !s.is_empty())
                .ok_or_else(bad)?
                .to_owned(),
            last_completed,
        }),
        (None, None) if last_completed.is_some() => Ok(RosterStart::Idle { last_completed }),
        _ => Err(bad()),
    }
}

struct RosterState {
    /// The sweep's start (unix seconds), the same on every page and every resume.
    started: i64,
    after: Option<String>,
    last_completed: Option<i64>,
    /// The first request of a resumed sweep, with a cursor saved by an earlier run.
    resumed: bool,
}

fn at(secs: i64) -> Result<DateTime<Utc>, ConnectorError> {
    api::ts(secs, "sweep_started_at").map_err(|e| malformed("the roster sweep", e))
}

/// The ids of a roster page; an empty one is an error.
pub(crate) fn roster_ids(items: Vec<RosterItem>) -> Result<Vec<String>, ConnectorError> {
    let mut ids = Vec::with_capacity(items.len());
    for c in items {
        if c.id.0.trim().is_empty() {
            return Err(malformed(SEARCH, "a conversation with an empty `id`"));
        }
        ids.push(c.id.0);
    }
    Ok(ids)
}

/// `ticket_roster`: a sweep over every conversation id Intercom still lists (see
/// [`roster_body`]), one [`TicketRoster`] page per search page, the last one `complete`.
/// It runs when none ran within `roster_every` (checkpoint `{"last_completed_at": t}`; a
/// read before then yields no batch). A sweep cut short resumes from its checkpoint
/// (`{"sweep_started_at", "starting_after", "last_completed_at"}`) with the same
/// `sweep_started_at`, so storage counts its pages together; `listed_before` is an hour
/// before the sweep's start.
pub(crate) fn ticket_roster<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let init = match roster_start(from) {
        Err(e) => return failed(e),
        Ok(RosterStart::Resume {
            started,
            after,
            last_completed,
        }) => RosterState {
            started,
            after: Some(after),
            last_completed,
            resumed: true,
        },
        Ok(RosterStart::Idle { last_completed }) => {
            let now = ctx.clock.now();
            if let Some(done) = last_completed
                && !ctx.roster_every.is_zero()
                && now.timestamp() - done < ctx.roster_every.num_seconds()
            {
                tracing::debug!(
                    last_completed_at = done,
                    every_s = ctx.roster_every.num_seconds(),
                    "roster sweep not due yet"
                );
                return Box::pin(stream::empty());
            }
            RosterState {
                started: now.timestamp(),
                after: None,
                last_completed,
                resumed: false,
            }
        }
    };
    let pages = stream::try_unfold(Some(init), move |state| async move {
        let Some(mut st) = state else { return Ok(None) };
        let body = roster_body(
            st.started - LISTING_LAG_SECS,
            ctx.page_size,
            st.after.as_deref(),
        );
        let page: RosterPage = match post_parsed(ctx.http, SEARCH, &body).await {
            // The cursor is documented as stateless, but should the search ever refuse one
            // saved long ago, a sweep that could never resume would never complete: a new
            // one starts instead (storage drops the pages of the abandoned one).
            Err(ConnectorError::Http { status: 400, .. }) if st.resumed => {
                tracing::warn!(
                    sweep_started_at = st.started,
                    "the search refused the saved roster cursor; the sweep starts over"
                );
                st.started = ctx.clock.now().timestamp();
                st.after = None;
                let body = roster_body(st.started - LISTING_LAG_SECS, ctx.page_size, None);
                post_parsed(ctx.http, SEARCH, &body).await?
            }
            other => other?,
        };
        st.resumed = false;
        let sweep_started_at = at(st.started)?;
        let listed_before = st.started - LISTING_LAG_SECS;
        let ids = roster_ids(page.conversations)?;
        let next = next_cursor(page.pages.next, st.after.as_deref())?;
        let complete = next.is_none();
        let checkpoint = match &next {
            Some(c) => Checkpoint::new(json!({
                "sweep_started_at": st.started,
                "starting_after": c,
                "last_completed_at": st.last_completed,
            })),
            None => Checkpoint::new(json!({ "last_completed_at": ctx.clock.now().timestamp() })),
        };
        let batch = Batch {
            records: vec![Record::TicketRoster(TicketRoster {
                sweep_started_at,
                listed_before: at(listed_before)?,
                ids,
                complete,
            })],
            checkpoint,
        };
        Ok(Some((
            batch,
            next.map(|c| {
                st.after = Some(c);
                st
            }),
        )))
    });
    Box::pin(pages)
}
