//! The conversations export and the users lists, each a [`PageNumberStream`]: the SDK reads
//! a page, checks it (`page.number` is the page asked for, a page inside `totalPages` has
//! records), yields a batch with the checkpoint to resume after it, and stops only on the
//! API's end signal (`page.number >= page.totalPages`). What is Help Scout's own is here:
//! the keyset restarts and the spam pass of the export, and `/v3/system-users` after
//! `/v2/users`.
//!
//! Next pages are rebuilt from the query we sent (Help Scout drops the query from its
//! `_links`, and they name the production host): the connector never follows a link.
//!
//! The checkpoints are typed ([`ConversationsCheckpoint`], [`UsersCheckpoint`]) and keep
//! the JSON the hand-written pagers of earlier versions stored, so a stored checkpoint
//! resumes across the upgrade.

use crate::HelpScoutConnector;
use crate::api::{self, Conversation, Conversations, HalPage, PageInfo, User, UsersEmbedded};
use chrono::{DateTime, Duration, SecondsFormat, SubsecRound, Utc};
use deskpulse_connector::not_future;
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Serialize};

pub(crate) const CONVERSATIONS: &str = "/v2/conversations";
pub(crate) const USERS: &str = "/v2/users";
pub(crate) const SYSTEM_USERS: &str = "/v3/system-users";

/// A time as Help Scout's queries take it (`2026-11-10T10:05:00Z`).
pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A `status` filter of List Conversations that this connector reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Pass {
    All,
    /// Help Scout lists spam as a status of its own beside `all`, and does not say that
    /// `all` includes it.
    Spam,
}

impl Pass {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Pass::All => "all",
            Pass::Spam => "spam",
        }
    }
}

/// A HAL page's paging, as the SDK's paginator reads it.
pub(crate) fn numbered<I>(info: PageInfo, items: Vec<I>) -> NumberedPage<I> {
    NumberedPage {
        items,
        number: Some(info.number),
        // No elements is the end, whatever `totalPages` says.
        total_pages: Some(if info.total_elements == 0 {
            0
        } else {
            info.total_pages
        }),
    }
}

// ---------------------------------------------------------------------------------------
// conversations

/// Where the conversations export stands; stored as its checkpoint. Mid-export
/// `{"modified_since", "page", "bookmark", "sync_since"}` (with `"status": "spam"` in the
/// spam pass; resumes exactly that request); after the last page `{"modified_since":
/// bookmark}`, where the next sync starts again `lookback_minutes` earlier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ConvCp", into = "ConvCp")]
pub struct ConversationsCheckpoint {
    pass: Pass,
    /// `modifiedSince` of the query (`None`: all history).
    since: Option<DateTime<Utc>>,
    page: u64,
    /// The highest `touched_at` read in this sync.
    bookmark: Option<DateTime<Utc>>,
    /// Where this sync's export started: the spam pass starts there too.
    sync_since: Option<DateTime<Utc>>,
    /// The export ended: `since` is where the next sync starts (before its lookback).
    finished: bool,
    /// The newest `touched_at` of the page being read (not stored).
    page_max: Option<DateTime<Utc>>,
}

/// The stored JSON of [`ConversationsCheckpoint`], as earlier versions wrote it.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ConvCp {
    Page {
        #[serde(deserialize_with = "Option::deserialize")]
        modified_since: Option<DateTime<Utc>>,
        page: u64,
        #[serde(default)]
        bookmark: Option<DateTime<Utc>>,
        /// Absent in checkpoints written before the spam pass existed.
        #[serde(default)]
        sync_since: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<Pass>,
    },
    Finished {
        #[serde(deserialize_with = "Option::deserialize")]
        modified_since: Option<DateTime<Utc>>,
        /// Read only to refuse a pass without a page.
        #[serde(default, skip_serializing)]
        status: Option<Pass>,
    },
}

impl TryFrom<ConvCp> for ConversationsCheckpoint {
    type Error = String;

    fn try_from(cp: ConvCp) -> Result<Self, String> {
        Ok(match cp {
            ConvCp::Page {
                modified_since,
                page,
                bookmark,
                sync_since,
                status,
            } => Self {
                pass: status.unwrap_or(Pass::All),
                since: modified_since,
                page,
                bookmark,
                sync_since,
                finished: false,
                page_max: None,
            },
            ConvCp::Finished {
                status: Some(Pass::Spam),
                ..
            } => return Err("the spam pass of the export without its `page`".into()),
            ConvCp::Finished { modified_since, .. } => Self {
                pass: Pass::All,
                since: modified_since,
                page: 1,
                bookmark: modified_since,
                sync_since: modified_since,
                finished: true,
                page_max: None,
            },
        })
    }
}

impl From<ConversationsCheckpoint> for ConvCp {
    fn from(p: ConversationsCheckpoint) -> Self {
        if p.finished {
            return ConvCp::Finished {
                modified_since: p.since,
                status: None,
            };
        }
        ConvCp::Page {
            modified_since: p.since,
            page: p.page,
            bookmark: p.bookmark,
            sync_since: p.sync_since,
            status: (p.pass == Pass::Spam).then_some(Pass::Spam),
        }
    }
}

impl ConversationsCheckpoint {
    fn first(start: Option<DateTime<Utc>>) -> Self {
        Self {
            pass: Pass::All,
            since: start,
            page: 1,
            bookmark: None,
            sync_since: start,
            finished: false,
            page_max: None,
        }
    }

    /// Where a stored position resumes: a finished export starts a new one `lookback`
    /// before its bookmark; a checkpoint from before the spam pass (no `sync_since`) had
    /// started at `modified_since` at the latest.
    fn resumed(self, lookback: Duration) -> Self {
        if self.finished {
            let from = self
                .since
                .map(|s| s.checked_sub_signed(lookback).unwrap_or(s));
            return Self {
                bookmark: self.since,
                ..Self::first(from)
            };
        }
        Self {
            sync_since: self.sync_since.or(self.since),
            ..self
        }
    }

    /// After a page: the spam pass after the `all` pass, the end after that; inside a pass,
    /// page 1 again from the page's newest time when it moved past `modifiedSince`, else the
    /// next page of the same query.
    fn next(&self, last: bool) -> Option<Self> {
        let base = Self {
            page_max: None,
            ..self.clone()
        };
        if last {
            return (self.pass == Pass::All).then_some(Self {
                pass: Pass::Spam,
                since: self.sync_since,
                page: 1,
                ..base
            });
        }
        Some(match self.page_max {
            Some(m) if self.since.is_none_or(|s| m > s) => Self {
                since: Some(m),
                page: 1,
                ..base
            },
            _ => Self {
                page: self.page + 1,
                ..base
            },
        })
    }

    fn finish(&self) -> Self {
        Self {
            since: self.bookmark.or(self.sync_since),
            finished: true,
            page: 1,
            page_max: None,
            ..self.clone()
        }
    }
}

/// `GET /v2/conversations?status=all&modifiedSince=…&sortField=modifiedAt&sortOrder=asc&embed=threads&page=N`,
/// then the same with `status=spam`.
///
/// Help Scout sorts by `modifiedAt` but does not return it; each conversation's latest own
/// timestamp (`Conversation::touched_at`, whole seconds) is a lower bound of it. After every
/// page the query restarts at page 1 with `modifiedSince` = the highest such time read, so
/// conversations modified while the sync runs cannot shift an unread one onto an
/// already-read page. When that bound does not move (many conversations touched in the same
/// second), the next page of the same query is read instead, so the export always
/// progresses. The records read twice at a restart are upserted.
///
/// The spam pass: Help Scout's List Conversations documents `spam` as a status of its own
/// beside `all` and does not say that `all` includes it. Without it, a conversation synced
/// while active and then marked spam would keep counting as active. Read from the same
/// `modifiedSince` as this sync's `all` pass; a conversation both passes list is upserted.
pub(crate) struct ConversationsExport<'a> {
    pub(crate) c: &'a HelpScoutConnector,
}

impl Mapping for ConversationsExport<'_> {
    type Item = Conversation;

    const STREAM: &'static str = "conversations";

    fn map(&self, c: Conversation) -> Result<Vec<Record>, String> {
        api::map_conversation(c)
    }
}

impl PageNumberStream for ConversationsExport<'_> {
    type Page = HalPage<Conversations>;
    type Position = ConversationsCheckpoint;

    fn first(&self) -> ConversationsCheckpoint {
        ConversationsCheckpoint::first(self.c.start)
    }

    fn resume(&self, stored: ConversationsCheckpoint) -> ConversationsCheckpoint {
        stored.resumed(self.c.lookback)
    }

    page_field!(ConversationsCheckpoint);

    fn request(&self, pos: &ConversationsCheckpoint) -> PageRequest {
        PageRequest::get(CONVERSATIONS)
            .query("status", pos.pass.as_str())
            .query_opt("modifiedSince", pos.since.map(fmt_time))
            .pairs(&[
                ("sortField", "modifiedAt"),
                ("sortOrder", "asc"),
                ("embed", "threads"),
            ])
            .query("page", pos.page)
    }

    fn page(
        &self,
        _pos: &ConversationsCheckpoint,
        mut page: HalPage<Conversations>,
    ) -> Result<NumberedPage<Conversation>, String> {
        let items = page.conversations();
        let now = self.c.clock().now();
        // A bookmark ahead of the clock would start the next sync in the future and miss
        // everything until then.
        for c in &items {
            not_future("modifiedSince", c.touched_at(), now).map_err(|e| {
                format!(
                    "conversation {} would start the next sync past now: {e}",
                    c.id
                )
            })?;
        }
        Ok(numbered(page.page, items))
    }

    fn observe(&self, pos: &mut ConversationsCheckpoint, c: &Conversation) {
        let t = Some(c.touched_at().trunc_subsecs(0));
        pos.page_max = pos.page_max.max(t);
        pos.bookmark = pos.bookmark.max(t);
    }

    fn next(&self, pos: &ConversationsCheckpoint, last: bool) -> Option<ConversationsCheckpoint> {
        pos.next(last)
    }

    fn done(&self, pos: &ConversationsCheckpoint) -> ConversationsCheckpoint {
        pos.finish()
    }
}

// ---------------------------------------------------------------------------------------
// users

/// Where the users lists stand; stored as its checkpoint. Mid-list `{"page" |
/// "system_users_page", "updated_since", "newest"}`; after the last page `{"updated_since":
/// newest}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "UsersCp", into = "UsersCp")]
pub struct UsersCheckpoint {
    /// Reading `GET /v3/system-users` (after `GET /v2/users`).
    system: bool,
    page: u64,
    /// Emit only users updated after this (the previous sync's newest `updatedAt`).
    since: Option<DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
    /// Both lists were read: `since` is the next sync's threshold.
    finished: bool,
}

/// The stored JSON of [`UsersCheckpoint`], as earlier versions wrote it.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum UsersCp {
    Users {
        page: u64,
        #[serde(deserialize_with = "Option::deserialize")]
        updated_since: Option<DateTime<Utc>>,
        #[serde(default)]
        newest: Option<DateTime<Utc>>,
    },
    SystemUsers {
        system_users_page: u64,
        #[serde(deserialize_with = "Option::deserialize")]
        updated_since: Option<DateTime<Utc>>,
        #[serde(default)]
        newest: Option<DateTime<Utc>>,
    },
    Finished {
        #[serde(deserialize_with = "Option::deserialize")]
        updated_since: Option<DateTime<Utc>>,
    },
}

impl From<UsersCp> for UsersCheckpoint {
    fn from(cp: UsersCp) -> Self {
        let (system, page, since, newest, finished) = match cp {
            UsersCp::Users {
                page,
                updated_since,
                newest,
            } => (false, page, updated_since, newest, false),
            UsersCp::SystemUsers {
                system_users_page,
                updated_since,
                newest,
            } => (true, system_users_page, updated_since, newest, false),
            UsersCp::Finished { updated_since } => (false, 1, updated_since, updated_since, true),
        };
        Self {
            system,
            page,
            since,
            newest,
            finished,
        }
    }
}

impl From<UsersCheckpoint> for UsersCp {
    fn from(p: UsersCheckpoint) -> Self {
        let (page, updated_since, newest) = (p.page, p.since, p.newest);
        match (p.finished, p.system) {
            (true, _) => UsersCp::Finished { updated_since },
            (false, false) => UsersCp::Users {
                page,
                updated_since,
                newest,
            },
            (false, true) => UsersCp::SystemUsers {
                system_users_page: page,
                updated_since,
                newest,
            },
        }
    }
}

/// A user, and whether it was updated after the previous sync's newest `updatedAt` (only
/// those are emitted; every user is seen, for the next threshold).
pub(crate) struct UserItem {
    fresh: bool,
    user: User,
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
pub(crate) struct UsersLists<'a> {
    pub(crate) c: &'a HelpScoutConnector,
}

impl Mapping for UsersLists<'_> {
    type Item = UserItem;

    const STREAM: &'static str = "users";

    fn map(&self, u: UserItem) -> Result<Vec<Record>, String> {
        Ok(if u.fresh {
            vec![api::map_user(u.user)]
        } else {
            Vec::new()
        })
    }
}

impl PageNumberStream for UsersLists<'_> {
    type Page = HalPage<UsersEmbedded>;
    type Position = UsersCheckpoint;

    fn first(&self) -> UsersCheckpoint {
        UsersCheckpoint {
            system: false,
            page: 1,
            since: None,
            newest: None,
            finished: false,
        }
    }

    fn resume(&self, stored: UsersCheckpoint) -> UsersCheckpoint {
        if stored.finished {
            return UsersCheckpoint {
                since: stored.since,
                newest: stored.since,
                ..self.first()
            };
        }
        stored
    }

    page_field!(UsersCheckpoint);

    fn request(&self, pos: &UsersCheckpoint) -> PageRequest {
        PageRequest::get(if pos.system { SYSTEM_USERS } else { USERS }).query("page", pos.page)
    }

    fn page(
        &self,
        pos: &UsersCheckpoint,
        page: HalPage<UsersEmbedded>,
    ) -> Result<NumberedPage<UserItem>, String> {
        let users = users_of(pos.system, page.embedded)?;
        let now = self.c.clock().now();
        let mut items = Vec::with_capacity(users.len());
        for user in users {
            if let Some(t) = user.updated_at {
                not_future("updatedAt", t, now).map_err(|e| format!("user {}: {e}", user.id))?;
            }
            let fresh = match (pos.since, user.updated_at) {
                (Some(s), Some(u)) => u > s,
                _ => true,
            };
            items.push(UserItem { fresh, user });
        }
        Ok(numbered(page.page, items))
    }

    fn observe(&self, pos: &mut UsersCheckpoint, u: &UserItem) {
        pos.newest = pos
            .newest
            .max(u.user.updated_at.map(|t| t.trunc_subsecs(0)));
    }

    fn next(&self, pos: &UsersCheckpoint, last: bool) -> Option<UsersCheckpoint> {
        match (last, pos.system) {
            (false, _) => Some(self.with_page(pos, pos.page + 1)),
            (true, false) => Some(UsersCheckpoint {
                system: true,
                page: 1,
                ..pos.clone()
            }),
            (true, true) => None,
        }
    }

    fn done(&self, pos: &UsersCheckpoint) -> UsersCheckpoint {
        UsersCheckpoint {
            since: pos.newest.or(pos.since),
            finished: true,
            ..self.first()
        }
    }
}

/// The users of a `/v2/users` page (`_embedded.users`) or a `/v3/system-users` page
/// (`_embedded.system_users`); no `_embedded` is an empty page.
pub(crate) fn users_of(system: bool, embedded: Option<UsersEmbedded>) -> Result<Vec<User>, String> {
    let Some(e) = embedded else {
        return Ok(Vec::new());
    };
    let (list, key) = if system {
        (e.system_users, "system_users")
    } else {
        (e.users, "users")
    };
    list.ok_or_else(|| format!("`_embedded` has no `{key}`"))
}
