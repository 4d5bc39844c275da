//! The `admins` and `conversations` streams, declared on the SDK's cursor paginator (which
//! sends each page as a page request, checkpoints after every page and ends only when a page
//! has no `pages.next`), and what the roster shares with them: the search's paging signal.
//!
//! Endpoints (Intercom REST API 2.14): `GET /admins` (one unpaged list), `POST
//! /conversations/search` (a query in the body, `pagination.starting_after` from the last
//! page's `pages.next.starting_after`; Intercom's "Pagination & sorting (search)" guide),
//! `GET /conversations/{id}` (the conversation with its parts).

use crate::IntercomConnector;
use crate::api::{self, Admin, AdminList, Conversation, Pages, SearchPage};
use deskpulse_connector::ensure_unix_not_future;
use deskpulse_connector::prelude::*;
use futures::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub(crate) const SEARCH: &str = "/conversations/search";
pub(crate) const CONVERSATION: &str = "/conversations/{id}";

/// The cursor of the next search page: `None` at the end (no `pages.next`); an error when
/// `pages.next` is there without a `starting_after` (the paginator sees a cursor that did
/// not move).
pub(crate) fn next_cursor(pages: Pages) -> Result<Option<String>, String> {
    let Some(next) = pages.next else {
        return Ok(None);
    };
    match next.starting_after.filter(|c| !c.is_empty()) {
        None => Err("`pages.next` is present but has no `starting_after`".into()),
        Some(c) => Ok(Some(c)),
    }
}

/// A page of the search: `query`, oldest `sort_by` first, `per_page` at a time, and the
/// cursor after the first page.
pub(crate) fn search(
    query: Value,
    sort_by: &str,
    per_page: u32,
    starting_after: Option<&str>,
) -> PageRequest {
    let mut pagination = json!({ "per_page": per_page });
    if let Some(c) = starting_after {
        pagination["starting_after"] = json!(c);
    }
    PageRequest::post(
        SEARCH,
        json!({
            "query": query,
            "sort": { "field": sort_by, "order": "ascending" },
            "pagination": pagination,
        }),
    )
}

// ---------------------------------------------------------------------------------------
// admins

/// `GET /admins`: every teammate, in one unpaged list. A full refresh on every sync (the
/// list is small and has no "updated since").
pub(crate) struct Admins;

/// The `admins` checkpoint: `{"full_refresh": true}`, which only records that it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminsCheckpoint {
    #[serde(default)]
    pub full_refresh: bool,
}

impl Mapping for Admins {
    type Item = Admin;
    const STREAM: &'static str = "admins";
    fn map(&self, a: Admin) -> Result<Vec<Record>, String> {
        Ok(vec![api::map_admin(a)?])
    }
}

impl CursorStream for Admins {
    type Page = AdminList;
    type Bookmark = ();
    type Checkpoint = AdminsCheckpoint;
    fn start(&self, _from: Option<AdminsCheckpoint>) -> CursorPos<()> {
        CursorPos::first(None, None)
    }
    fn request(&self, _pos: &CursorPos<()>) -> PageRequest {
        PageRequest::get("/admins")
    }
    fn page(&self, p: AdminList) -> Result<CursorPage<Admin>, String> {
        Ok(CursorPage {
            items: p.admins,
            next: None,
            more: More::IfNext,
        })
    }
    fn checkpoint(&self, _pos: &CursorPos<()>, _done: bool) -> AdminsCheckpoint {
        AdminsCheckpoint { full_refresh: true }
    }
}

// ---------------------------------------------------------------------------------------
// conversations

/// `POST /conversations/search` by `updated_at`, oldest first, each page with its
/// conversations' parts. Checkpoint: `{"updated_at": <highest updated_at stored>}`; a
/// resumed run searches from `lookback` before it. Conversations at the bookmark's second
/// are read again: storage upserts them.
pub(crate) struct Conversations<'a> {
    pub c: &'a IntercomConnector,
}

/// The `conversations` checkpoint, as stored since the connector's first version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationsCheckpoint {
    /// The highest `updated_at` stored (unix seconds).
    pub updated_at: i64,
}

/// The search's query: conversations updated at or after `from` (Intercom's `>` is
/// documented as "greater (or equal)"; the `=` branch makes it so either way).
fn updated_since(from: i64) -> Value {
    json!({
        "operator": "OR",
        "value": [
            { "field": "updated_at", "operator": ">", "value": from },
            { "field": "updated_at", "operator": "=", "value": from },
        ]
    })
}

#[async_trait::async_trait]
impl Mapping for Conversations<'_> {
    type Item = Conversation;
    const STREAM: &'static str = "conversations";
    /// A conversation as `GET /conversations/{id}` gives it, with its parts.
    fn map(&self, full: Conversation) -> Result<Vec<Record>, String> {
        api::map_conversation(full, false)
    }

    /// Each conversation the search found, fetched with its parts (`GET
    /// /conversations/{id}`): Intercom has no bulk endpoint for parts, so this is one request
    /// per conversation of this page only, at most `parts_concurrency` at once, committed with
    /// the page. A 404 means the conversation was deleted after the search found it: it is
    /// kept as `deleted`.
    async fn records(
        &self,
        http: &HttpClient,
        _endpoint: &str,
        found: Vec<Conversation>,
    ) -> Result<Vec<Record>, ConnectorError> {
        // The bookmark is the highest `updated_at`: one in the future would make every later
        // sync search from then on.
        let now = self.c.clock().now();
        for conv in &found {
            ensure_unix_not_future(SEARCH, "updated_at", conv.updated_at, now)?;
        }
        let fetched: Vec<Result<Vec<Record>, ConnectorError>> = stream::iter(
            found
                .into_iter()
                .map(|conv| conversation_records(http, conv)),
        )
        .buffered(self.c.parts_concurrency)
        .collect()
        .await;
        let mut records = Vec::new();
        for r in fetched {
            records.extend(r?);
        }
        Ok(records)
    }
}

impl CursorStream for Conversations<'_> {
    type Page = SearchPage;
    type Bookmark = i64;
    type Checkpoint = ConversationsCheckpoint;
    fn start(&self, from: Option<ConversationsCheckpoint>) -> CursorPos<i64> {
        match from {
            None => CursorPos::first(Some(self.c.start_time), Some(self.c.start_time)),
            Some(cp) => CursorPos::first(
                Some(cp.updated_at.saturating_sub(self.c.lookback).max(0)),
                Some(cp.updated_at),
            ),
        }
    }
    fn request(&self, pos: &CursorPos<i64>) -> PageRequest {
        let from = pos.from.unwrap_or(self.c.start_time);
        search(
            updated_since(from),
            "updated_at",
            self.c.page_size,
            pos.cursor.as_deref(),
        )
    }
    fn page(&self, p: SearchPage) -> Result<CursorPage<Conversation>, String> {
        Ok(CursorPage {
            items: p.conversations,
            next: next_cursor(p.pages)?,
            more: More::IfNext,
        })
    }
    fn bookmark(&self, conv: &Conversation) -> Option<i64> {
        Some(conv.updated_at)
    }
    fn checkpoint(&self, pos: &CursorPos<i64>, _done: bool) -> ConversationsCheckpoint {
        ConversationsCheckpoint {
            updated_at: pos.bookmark.unwrap_or(self.c.start_time),
        }
    }
}

/// A conversation's records from `GET /conversations/{id}`, or (404) as the search found it,
/// kept as `deleted`.
async fn conversation_records(
    http: &HttpClient,
    found: Conversation,
) -> Result<Vec<Record>, ConnectorError> {
    let id = searched_id(&found)?;
    let path = format!("/conversations/{id}");
    match http.get_json::<Conversation>("default", &path, &[]).await {
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
        return Err(ConnectorError::malformed(
            SEARCH,
            format!("conversation id {id:?} is not an id"),
        ));
    }
    Ok(id)
}

/// The records of `GET /conversations/{id}`'s answer, asked for conversation `id`.
pub(crate) fn full_records(id: &str, full: Conversation) -> Result<Vec<Record>, ConnectorError> {
    if full.id.0 != id {
        return Err(ConnectorError::malformed(
            CONVERSATION,
            format!("asked for conversation {id}, got {}", full.id.0),
        ));
    }
    if full.conversation_parts.is_none() {
        return Err(ConnectorError::malformed(
            CONVERSATION,
            format!("conversation {id} came without `conversation_parts`"),
        ));
    }
    api::map_conversation(full, false).map_err(|e| ConnectorError::malformed(CONVERSATION, e))
}

/// The records of a conversation the search found and `GET` no longer does (deleted).
pub(crate) fn gone_records(found: Conversation) -> Result<Vec<Record>, ConnectorError> {
    api::map_conversation(found, true).map_err(|e| ConnectorError::malformed(SEARCH, e))
}
