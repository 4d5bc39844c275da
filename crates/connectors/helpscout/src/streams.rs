//! One pager per stream. Each yields a batch per page with the checkpoint to resume after
//! it, stops only on the API's end-of-stream signal (`page.number >= page.totalPages`), and
//! turns a page that cannot be followed (no `page`, a page number that is not the one asked
//! for, records missing from a page inside the range) into `Malformed`.
//!
//! Next pages are rebuilt from the query we sent (Help Scout drops the query from its
//! `_links`, and they name the production host): the connector never follows a link.

use crate::api::{self, Conversations, HalPage, PageInfo, SystemUsers, Users};
use crate::client::Session;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use deskpulse_connector::{Batch, BatchStream, Checkpoint, ConnectorError};
use futures::stream;
use serde_json::{Value, json};
use std::sync::Arc;

pub(crate) const CONVERSATIONS: &str = "/v2/conversations";
pub(crate) const USERS: &str = "/v2/users";
pub(crate) const SYSTEM_USERS: &str = "/v3/system-users";

/// What time it is (injectable, so tests never depend on the wall clock).
pub(crate) type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub session: &'a Session,
    pub start: Option<DateTime<Utc>>,
    pub lookback: Duration,
    pub now: &'a Clock,
    pub roster_every: Duration,
}

pub(crate) fn malformed(endpoint: &str, detail: impl Into<String>) -> ConnectorError {
    ConnectorError::Malformed {
        endpoint: endpoint.to_owned(),
        detail: detail.into(),
    }
}

pub(crate) fn bad_checkpoint(stream: &str, cp: &Checkpoint, expected: &str) -> ConnectorError {
    malformed(
        &format!("the checkpoint of stream `{stream}`"),
        format!(
            "expected {expected}, got {}; run a full sync (`--full`) to start over",
            cp.value()
        ),
    )
}

pub(crate) fn failed<'a>(err: ConnectorError) -> BatchStream<'a> {
    Box::pin(stream::once(async move { Err(err) }))
}

pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn time_value(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(fmt_time(t)))
}

/// A field of a checkpoint that is absent, `null`, or an RFC 3339 time.
fn time_field(cp: &Checkpoint, key: &str) -> Result<Option<DateTime<Utc>>, ()> {
    match cp.value().get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| ()),
        Some(_) => Err(()),
    }
}

/// Checks a page against the page asked for; returns whether it is the last one.
pub(crate) fn check_page(
    endpoint: &str,
    asked: u64,
    page: PageInfo,
    has_items: bool,
) -> Result<bool, ConnectorError> {
    if page.total_elements == 0 || page.total_pages == 0 {
        return Ok(true);
    }
    if page.number != asked {
        return Err(malformed(
            endpoint,
            format!("asked for page {asked}, got page {}", page.number),
        ));
    }
    if !has_items {
        return Err(malformed(
            endpoint,
            format!(
                "page {asked} of {} has no records although `totalElements` is {}",
                page.total_pages, page.total_elements
            ),
        ));
    }
    Ok(page.number >= page.total_pages)
}

/// Where the conversations export stands.
#[derive(Clone, Debug, PartialEq)]
struct ConvPos {
    /// The `status=spam` pass (after the `status=all` one).
    spam: bool,
    /// `modifiedSince` of the query (`None`: all history).
    since: Option<DateTime<Utc>>,
    page: u64,
    /// The highest `touched_at` read in this sync.
    bookmark: Option<DateTime<Utc>>,
    /// Where this sync's export started: the spam pass starts there too.
    sync_since: Option<DateTime<Utc>>,
}

impl ConvPos {
    fn checkpoint(&self) -> Checkpoint {
        let mut cp = json!({
            "modified_since": time_value(self.since),
            "page": self.page,
            "bookmark": time_value(self.bookmark),
            "sync_since": time_value(self.sync_since),
        });
        if self.spam {
            cp["status"] = json!("spam");
        }
        Checkpoint::new(cp)
    }
}

/// `GET /v2/conversations?status=all&modifiedSince=…&sortField=modifiedAt&sortOrder=asc&embed=threads&page=N`,
/// then the same with `status=spam`.
///
/// Help Scout sorts by `modifiedAt` but does not return it; each conversation's latest own
/// timestamp (`Conversation::touched_at`) is a lower bound of it. After every page the query
/// restarts at page 1 with `modifiedSince` = the highest such time read, so conversations
/// modified while the sync runs cannot shift an unread one onto an already-read page. When
/// that bound does not move (many conversations touched in the same second), the next page
/// of the same query is read instead, so the export always progresses. The records read
/// twice at a restart are upserted.
///
/// The spam pass: Help Scout's List Conversations documents `spam` as a status of its own
/// beside `all` and does not say that `all` includes it. Without it, a conversation synced
/// while active and then marked spam would keep counting as active. Read from the same
/// `modifiedSince` as this sync's `all` pass; a conversation both passes list is upserted.
///
/// Checkpoints: mid-export `{"modified_since", "page", "bookmark", "sync_since"}` (with
/// `"status": "spam"` in the spam pass; resumes exactly that request); after the last page
/// `{"modified_since": bookmark}`, where the next sync starts again `lookback_minutes`
/// earlier.
pub(crate) fn conversations<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let pos = match from {
        None => ConvPos {
            spam: false,
            since: ctx.start,
            page: 1,
            bookmark: None,
            sync_since: ctx.start,
        },
        Some(cp) => {
            let bad = || {
                bad_checkpoint(
                    "conversations",
                    &cp,
                    "{\"modified_since\": …} or {\"modified_since\", \"page\", \"bookmark\", \"sync_since\", \"status\"}",
                )
            };
            let Some(obj) = cp.value().as_object() else {
                return failed(bad());
            };
            if !obj.contains_key("modified_since") {
                return failed(bad());
            }
            let (Ok(since), Ok(bookmark), Ok(sync_since)) = (
                time_field(&cp, "modified_since"),
                time_field(&cp, "bookmark"),
                time_field(&cp, "sync_since"),
            ) else {
                return failed(bad());
            };
            let spam = match obj.get("status") {
                None | Some(Value::Null) => false,
                Some(Value::String(s)) if s == "all" => false,
                Some(Value::String(s)) if s == "spam" => true,
                Some(_) => return failed(bad()),
            };
            match obj.get("page") {
                None | Some(Value::Null) if !spam => ConvPos {
                    spam: false,
                    since: since.map(|s| s - ctx.lookback),
                    page: 1,
                    bookmark: since,
                    sync_since: since.map(|s| s - ctx.lookback),
                },
                Some(p) => match p.as_u64().filter(|&p| p >= 1) {
                    // A checkpoint from before the spam pass has no `sync_since`: its export
                    // started at `modified_since` at the latest.
                    Some(page) => ConvPos {
                        spam,
                        since,
                        page,
                        bookmark,
                        sync_since: sync_since.or(since),
                    },
                    None => return failed(bad()),
                },
                _ => return failed(bad()),
            }
        }
    };
    let pages = stream::try_unfold(Some(pos), move |state| async move {
        let Some(pos) = state else { return Ok(None) };
        let status = if pos.spam { "spam" } else { "all" };
        let mut query = vec![("status", status.to_owned())];
        if let Some(s) = pos.since {
            query.push(("modifiedSince", fmt_time(s)));
        }
        query.extend([
            ("sortField", "modifiedAt".to_owned()),
            ("sortOrder", "asc".to_owned()),
            ("embed", "threads".to_owned()),
            ("page", pos.page.to_string()),
        ]);
        let page: HalPage<Conversations> = ctx.session.get_json(CONVERSATIONS, &query).await?;
        let items = page.embedded.map(|e| e.conversations).unwrap_or_default();
        let last = check_page(CONVERSATIONS, pos.page, page.page, !items.is_empty())?;
        let mut bookmark = pos.bookmark;
        let mut page_max: Option<DateTime<Utc>> = None;
        let mut records = Vec::new();
        for c in items {
            let t = c.touched_at();
            page_max = page_max.max(Some(t));
            bookmark = bookmark.max(Some(t));
            records.extend(api::map_conversation(c).map_err(|e| malformed(CONVERSATIONS, e))?);
        }
        if last && !pos.spam {
            let next = ConvPos {
                spam: true,
                since: pos.sync_since,
                page: 1,
                bookmark,
                sync_since: pos.sync_since,
            };
            return Ok(Some((
                Batch {
                    records,
                    checkpoint: next.checkpoint(),
                },
                Some(next),
            )));
        }
        if last {
            let done = bookmark.or(pos.sync_since);
            let checkpoint = Checkpoint::new(json!({ "modified_since": time_value(done) }));
            return Ok(Some((
                Batch {
                    records,
                    checkpoint,
                },
                None,
            )));
        }
        let next = match (page_max, pos.since) {
            (Some(m), since) if since.is_none_or(|s| m > s) => ConvPos {
                since: Some(m),
                page: 1,
                bookmark,
                ..pos
            },
            _ => ConvPos {
                page: pos.page + 1,
                bookmark,
                ..pos
            },
        };
        Ok(Some((
            Batch {
                records,
                checkpoint: next.checkpoint(),
            },
            Some(next),
        )))
    });
    Box::pin(pages)
}

/// Where the users list stands.
#[derive(Clone, Debug)]
struct UsersPos {
    /// Reading `GET /v3/system-users` (after `GET /v2/users`).
    system: bool,
    page: u64,
    /// Emit only users updated after this (the previous sync's newest `updatedAt`).
    since: Option<DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
}

impl UsersPos {
    fn checkpoint(&self) -> Checkpoint {
        let page_key = if self.system {
            "system_users_page"
        } else {
            "page"
        };
        Checkpoint::new(json!({
            page_key: self.page,
            "updated_since": time_value(self.since),
            "newest": time_value(self.newest),
        }))
    }
}

/// `GET /v2/users?page=N`, then `GET /v3/system-users?page=N`: Help Scout has no "modified
/// since" filter on users, and an account has few, so every sync reads both lists (50 a
/// page) and emits the users updated after the previous sync's newest `updatedAt` (all of
/// them on the first sync).
///
/// The second list is there because `/v2/users` leaves AI agents out (Help Scout's List
/// Users documents it), and v2 threads report an AI agent's replies as a `user`'s: an agent
/// emitted as a bot is what lets the report tell those replies from a person's (an author
/// id that is a bot agent counts as a bot).
///
/// Checkpoints: mid-list `{"page" | "system_users_page", "updated_since", "newest"}`; after
/// the last page `{"updated_since": newest}`.
pub(crate) fn users<'a>(ctx: Ctx<'a>, from: Option<Checkpoint>) -> BatchStream<'a> {
    let pos = match from {
        None => UsersPos {
            system: false,
            page: 1,
            since: None,
            newest: None,
        },
        Some(cp) => {
            let bad = || {
                bad_checkpoint(
                    "users",
                    &cp,
                    "{\"updated_since\": …} or {\"page\" | \"system_users_page\", \"updated_since\", \"newest\"}",
                )
            };
            let Some(obj) = cp.value().as_object() else {
                return failed(bad());
            };
            if !obj.contains_key("updated_since") {
                return failed(bad());
            }
            let (Ok(since), Ok(newest)) =
                (time_field(&cp, "updated_since"), time_field(&cp, "newest"))
            else {
                return failed(bad());
            };
            let (system, page) = match (obj.get("page"), obj.get("system_users_page")) {
                (None | Some(Value::Null), None | Some(Value::Null)) => (None, None),
                (Some(p), None) => (Some(false), Some(p)),
                (None, Some(p)) => (Some(true), Some(p)),
                _ => return failed(bad()),
            };
            match (system, page) {
                (Some(system), Some(p)) => match p.as_u64().filter(|&p| p >= 1) {
                    Some(page) => UsersPos {
                        system,
                        page,
                        since,
                        newest,
                    },
                    None => return failed(bad()),
                },
                _ => UsersPos {
                    system: false,
                    page: 1,
                    since,
                    newest: since,
                },
            }
        }
    };
    let pages = stream::try_unfold(Some(pos), move |state| async move {
        let Some(mut pos) = state else {
            return Ok(None);
        };
        let query = [("page", pos.page.to_string())];
        let (endpoint, items, page) = if pos.system {
            let page: HalPage<SystemUsers> = ctx.session.get_json(SYSTEM_USERS, &query).await?;
            let items = page.embedded.map(|e| e.system_users).unwrap_or_default();
            (SYSTEM_USERS, items, page.page)
        } else {
            let page: HalPage<Users> = ctx.session.get_json(USERS, &query).await?;
            let items = page.embedded.map(|e| e.users).unwrap_or_default();
            (USERS, items, page.page)
        };
        let last = check_page(endpoint, pos.page, page, !items.is_empty())?;
        let mut records = Vec::with_capacity(items.len());
        for u in items {
            let updated = u.updated_at;
            pos.newest = pos.newest.max(updated);
            let fresh = match (pos.since, updated) {
                (Some(s), Some(u)) => u > s,
                _ => true,
            };
            if fresh {
                records.push(api::map_user(u));
            }
        }
        if last && pos.system {
            let checkpoint =
                Checkpoint::new(json!({ "updated_since": time_value(pos.newest.or(pos.since)) }));
            return Ok(Some((
                Batch {
                    records,
                    checkpoint,
                },
                None,
            )));
        }
        if last {
            pos.system = true;
            pos.page = 1;
        } else {
            pos.page += 1;
        }
        Ok(Some((
            Batch {
                records,
                checkpoint: pos.checkpoint(),
            },
            Some(pos),
        )))
    });
    Box::pin(pages)
}
