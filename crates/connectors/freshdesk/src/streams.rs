//! One page-number paginator declaration per stream; the SDK runs the loop (a checkpoint
//! after every page, the same page request twice in a run refused, the 300-page cap).
//!
//! Freshdesk pages with `page`/`per_page` and names a next page in a `Link: <…>;
//! rel="next"` header, absent on the last page. The header is not followed: a page shorter
//! than `per_page` is the last, which is the same signal (tap-freshdesk stops the same
//! way) and the one the recorded payloads carry. Following links would save one request
//! only where a last page is exactly full, would not serve the tickets (their keyset
//! restarts build their own next request), and would turn the stored `{"page": n}`
//! checkpoints into URLs.
//!
//! Checkpoints are the positions below, as the previous version of this connector wrote
//! them (field for field), so stored ones resume.

use crate::api::{self, FAgent, FRating, FTicket, Pass};
use crate::{FreshdeskConnector, TICKET_LIST};
use chrono::{DateTime, SecondsFormat, Utc};
use deskpulse_connector::http::HttpClient;
use deskpulse_connector::not_future;
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};

pub(crate) const TICKETS: &str = "/api/v2/tickets";
const AGENTS: &str = "/api/v2/agents";
const RATINGS: &str = "/api/v2/surveys/satisfaction_ratings";
/// Freshdesk serves at most 300 pages of one list query.
pub(crate) const PAGE_CAP: u64 = 300;

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A page number of a capped list: a stored one outside 1–300 cannot be asked for.
fn capped_page<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = u64::deserialize(d)?;
    if (1..=PAGE_CAP).contains(&n) {
        Ok(n)
    } else {
        Err(serde::de::Error::custom(format!(
            "page {n} is outside 1–{PAGE_CAP}"
        )))
    }
}

/// The page-number methods every stream here shares: the position's `page` field, and
/// `per_page` as the last-page signal (a shorter page is the last).
macro_rules! paged_by {
    ($pos:ident) => {
        page_field!($pos);
        fn per_page(&self) -> Option<u32> {
            Some(self.c.page_size)
        }
    };
}

// ---------------------------------------------------------------------------------------
// agents

/// All agents, page by page, on every sync (`GET /api/v2/agents`: no time filter; the list
/// is short). The last checkpoint, `{"page": 1}`, starts the next sync over.
pub(crate) struct Agents<'a> {
    pub c: &'a FreshdeskConnector,
}

/// Where the agents stream stands: the next page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentsPos {
    page: u64,
}

impl Mapping for Agents<'_> {
    type Item = FAgent;
    const STREAM: &'static str = "agents";
    fn map(&self, a: FAgent) -> Result<Vec<Record>, String> {
        Ok(vec![api::map_agent(a)])
    }
}

impl PageNumberStream for Agents<'_> {
    type Page = Vec<FAgent>;
    type Position = AgentsPos;
    fn first(&self) -> AgentsPos {
        AgentsPos { page: 1 }
    }
    fn resume(&self, stored: AgentsPos) -> AgentsPos {
        AgentsPos {
            page: stored.page.max(1),
        }
    }
    paged_by!(AgentsPos);
    fn request(&self, pos: &AgentsPos) -> PageRequest {
        PageRequest::get(AGENTS)
            .query("per_page", self.c.page_size)
            .query("page", pos.page)
    }
    fn page(&self, _pos: &AgentsPos, page: Vec<FAgent>) -> Result<NumberedPage<FAgent>, String> {
        Ok(numbered(page))
    }
}

fn numbered<I>(items: Vec<I>) -> NumberedPage<I> {
    NumberedPage {
        items,
        number: None,
        total_pages: None,
    }
}

// ---------------------------------------------------------------------------------------
// satisfaction ratings

/// The satisfaction ratings by `created_since` (`GET /api/v2/surveys/satisfaction_ratings`),
/// re-reading `ratings_lookback` before the newest one read on every sync (answers can be
/// edited; Airbyte looks back 14 days the same way).
pub(crate) struct Ratings<'a> {
    pub c: &'a FreshdeskConnector,
}

/// Where the ratings stream stands: the window `created_since`, the next page of it, and
/// the newest `created_at` read. A finished sync's checkpoint starts the next one
/// `ratings_lookback` before that bookmark (never before the configured start).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingsPos {
    created_since: DateTime<Utc>,
    #[serde(deserialize_with = "capped_page")]
    page: u64,
    bookmark: DateTime<Utc>,
}

impl Mapping for Ratings<'_> {
    type Item = FRating;
    const STREAM: &'static str = "satisfaction_ratings";
    fn map(&self, r: FRating) -> Result<Vec<Record>, String> {
        Ok(api::map_rating(r)?.into_iter().collect())
    }
}

impl PageNumberStream for Ratings<'_> {
    type Page = Vec<FRating>;
    type Position = RatingsPos;
    fn first(&self) -> RatingsPos {
        RatingsPos {
            created_since: self.c.start,
            page: 1,
            bookmark: self.c.start,
        }
    }
    paged_by!(RatingsPos);
    fn request(&self, pos: &RatingsPos) -> PageRequest {
        PageRequest::get(RATINGS)
            .query("created_since", iso(pos.created_since))
            .query("per_page", self.c.page_size)
            .query("page", pos.page)
    }
    fn page(&self, _pos: &RatingsPos, page: Vec<FRating>) -> Result<NumberedPage<FRating>, String> {
        // a vendor time about to become a bookmark, checked against the connector's clock
        let now = self.c.http.clock().now();
        for r in &page {
            not_future("created_at", r.created_at, now)?;
        }
        Ok(numbered(page))
    }
    fn max_pages(&self) -> Option<u64> {
        Some(PAGE_CAP)
    }
    fn observe(&self, pos: &mut RatingsPos, r: &FRating) {
        pos.bookmark = pos.bookmark.max(r.created_at);
    }
    /// At the page cap, a new window from the newest rating read (re-reading its second);
    /// without a newer one, page 301 is the SDK's "more than the API serves" error.
    fn next(&self, pos: &RatingsPos, last: bool) -> Option<RatingsPos> {
        if last {
            None
        } else if pos.page >= PAGE_CAP && pos.bookmark > pos.created_since {
            Some(RatingsPos {
                created_since: pos.bookmark,
                page: 1,
                ..pos.clone()
            })
        } else {
            Some(self.with_page(pos, pos.page + 1))
        }
    }
    fn done(&self, pos: &RatingsPos) -> RatingsPos {
        RatingsPos {
            created_since: (pos.bookmark - self.c.ratings_lookback).max(self.c.start),
            page: 1,
            bookmark: pos.bookmark,
        }
    }
}

// ---------------------------------------------------------------------------------------
// tickets

/// The ticket list (`GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc
/// &include=stats,requester`), with each default-pass page's conversations.
pub(crate) struct Tickets<'a> {
    pub c: &'a FreshdeskConnector,
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
pub struct TicketsPos {
    pass: Pass,
    since: DateTime<Utc>,
    updated_since: DateTime<Utc>,
    #[serde(deserialize_with = "capped_page")]
    page: u64,
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

/// A ticket of a page, and the pass that listed it (which decides its status and whether
/// its conversations are read).
pub(crate) struct Listed {
    pass: Pass,
    ticket: FTicket,
}

#[async_trait::async_trait]
impl Mapping for Tickets<'_> {
    type Item = Listed;
    const STREAM: &'static str = "tickets";
    const GROUP: &'static str = TICKET_LIST;
    fn map(&self, l: Listed) -> Result<Vec<Record>, String> {
        api::map_ticket(l.ticket, l.pass)
    }
    /// The page's tickets, then the conversations of the default pass's tickets (spam and
    /// deleted tickets count nowhere), committed with the page.
    async fn records(
        &self,
        _http: &HttpClient,
        endpoint: &str,
        items: Vec<Listed>,
    ) -> Result<Vec<Record>, ConnectorError> {
        let ids: Vec<i64> = items
            .iter()
            .filter(|l| l.pass == Pass::All)
            .map(|l| l.ticket.id)
            .collect();
        let mut records = Vec::with_capacity(items.len() * 4);
        for item in items {
            records.extend(
                self.map(item)
                    .map_err(|e| ConnectorError::malformed(endpoint, e))?,
            );
        }
        crate::conversations::add(self.c, ids, &mut records).await?;
        Ok(records)
    }
}

impl PageNumberStream for Tickets<'_> {
    type Page = Vec<FTicket>;
    type Position = TicketsPos;
    fn first(&self) -> TicketsPos {
        TicketsPos::start(self.c.start)
    }
    paged_by!(TicketsPos);
    fn request(&self, pos: &TicketsPos) -> PageRequest {
        PageRequest::get(TICKETS)
            .query("updated_since", iso(pos.updated_since))
            .pairs(&[
                ("order_by", "updated_at"),
                ("order_type", "asc"),
                ("include", "stats,requester"),
            ])
            .query("per_page", self.c.page_size)
            .query("page", pos.page)
            .query_opt("filter", pos.pass.filter())
    }
    /// Keyset paging is only sound on pages in `updated_at` order, and a bookmark only on
    /// times that have come. The spam and deleted passes page by number and move no
    /// bookmark: whether Freshdesk applies `updated_since` and the order to them is not
    /// documented.
    fn page(&self, pos: &TicketsPos, page: Vec<FTicket>) -> Result<NumberedPage<Listed>, String> {
        if pos.pass == Pass::All {
            let now = self.c.http.clock().now();
            let mut prev = pos.updated_since;
            for t in &page {
                if t.updated_at < prev {
                    return Err(format!(
                        "ticket {} (updated {}) is out of `updated_at` order on a page asked for `updated_since={}&order_by=updated_at&order_type=asc`",
                        t.id,
                        iso(t.updated_at),
                        iso(pos.updated_since)
                    ));
                }
                not_future("updated_at", t.updated_at, now)?;
                prev = t.updated_at;
            }
            if pos.page >= PAGE_CAP
                && page.len() >= self.c.page_size as usize
                && prev == pos.updated_since
            {
                return Err(format!(
                    "more than {} tickets share `updated_at` {}: Freshdesk serves no more pages of one query",
                    PAGE_CAP * u64::from(self.c.page_size),
                    iso(pos.updated_since)
                ));
            }
        }
        let pass = pos.pass;
        Ok(numbered(
            page.into_iter()
                .map(|ticket| Listed { pass, ticket })
                .collect(),
        ))
    }
    fn max_pages(&self) -> Option<u64> {
        Some(PAGE_CAP)
    }
    fn observe(&self, pos: &mut TicketsPos, l: &Listed) {
        if l.pass == Pass::All {
            pos.bookmark = pos.bookmark.max(l.ticket.updated_at);
        }
    }
    /// A short page ends the pass. After a full page of the default pass, page 1 again from
    /// its last `updated_at` (which [`Self::page`] checked is the page's newest, so it is
    /// the bookmark), or the next page when the page did not move it; the other passes go
    /// by page number, and at the cap leave the rest unread with a warning.
    fn next(&self, pos: &TicketsPos, last: bool) -> Option<TicketsPos> {
        let next_pass = || {
            pos.pass.next().map(|pass| TicketsPos {
                pass,
                updated_since: pos.since,
                page: 1,
                ..pos.clone()
            })
        };
        match pos.pass {
            _ if last => next_pass(),
            Pass::All if pos.bookmark > pos.updated_since => Some(TicketsPos {
                updated_since: pos.bookmark,
                page: 1,
                ..pos.clone()
            }),
            pass if pass != Pass::All && pos.page >= PAGE_CAP => {
                tracing::warn!(
                    filter = pass.filter().unwrap_or_default(),
                    pages = PAGE_CAP,
                    "Freshdesk serves no more pages of this ticket filter: the rest of it is not read by this sync"
                );
                next_pass()
            }
            _ => Some(self.with_page(pos, pos.page + 1)),
        }
    }
    /// The next sync starts at the newest update the default pass stored.
    fn done(&self, pos: &TicketsPos) -> TicketsPos {
        TicketsPos::start(pos.bookmark)
    }
}
