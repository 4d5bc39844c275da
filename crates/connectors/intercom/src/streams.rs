//! The two streams. Each yields a batch per page with the checkpoint to resume after it,
//! stops only on the API's end-of-stream signal (no `pages.next`), and turns a page that
//! cannot be followed (a missing field, a cursor that does not move) into `Malformed`.

use crate::DEFAULT;
use crate::api::{self, AdminList, Conversation, SearchPage};
use deskpulse_connector::http::HttpClient;
use deskpulse_connector::{Batch, BatchStream, Checkpoint, ConnectorError, Record};
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
        Ok(Batch {
            records: list.admins.into_iter().map(api::map_admin).collect(),
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
    let path = format!("/conversations/{id}");
    match ctx.http.get_json::<Conversation>(DEFAULT, &path, &[]).await {
        Ok(full) => {
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
        Err(ConnectorError::Http { status: 404, .. }) => {
            tracing::debug!(conversation = %id, "conversation gone (404): kept as deleted");
            api::map_conversation(found, true).map_err(|e| malformed(SEARCH, e))
        }
        Err(e) => Err(e),
    }
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
        let Some(next) = page.pages.next else {
            return Ok(Some((
                Batch {
                    records,
                    checkpoint,
                },
                None,
            )));
        };
        match next.starting_after.filter(|c| !c.is_empty()) {
            None => {
                return Err(malformed(
                    SEARCH,
                    "`pages.next` is present but has no `starting_after`",
                ));
            }
            Some(c) if st.after.as_deref() == Some(c.as_str()) => {
                return Err(malformed(
                    SEARCH,
                    "`pages.next.starting_after` did not move",
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
