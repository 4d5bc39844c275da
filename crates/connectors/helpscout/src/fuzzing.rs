//! Help Scout's page parsing and record mapping, for the `helpscout_pages` fuzz target
//! (`fuzz/`) and `tests/fuzz_regressions.rs`. Not part of the connector's API.
//!
//! [`pages`] reads one body as every page this connector reads — the conversations export
//! (HAL page, embedded threads), the users and system users lists, and the roster sweep's
//! conversation list — as a sync does (`serde_json` into `HalPage<…>`, the page as the SDK's
//! paginator sees it, each item's bookmark, then the `map_*` functions; for the sweep its
//! page check, order check, live ids and next bound), and asserts the invariants of
//! [`invariants`] on what maps. The page-number checks themselves are the SDK's (tested
//! there).

#[path = "../../fuzzing_invariants.rs"]
pub mod invariants;

use crate::api::{self, Conversations, HalPage, ListedConversations, UsersEmbedded};
use crate::{roster, streams};
use chrono::{DateTime, Utc};
use deskpulse_model::{Record, TicketRoster};
use invariants::parse;

const KINDS: &[invariants::Kind] = &[
    ("conversations", conversations),
    ("users", |d| users(d, false)),
    ("system-users", |d| users(d, true)),
    ("roster", roster_page),
];

/// Fuzz entry point: never panics unless an invariant is broken. Returns the page types
/// `data` maps as (the regression tests check that every seed is a page of some type).
pub fn pages(data: &[u8]) -> Vec<&'static str> {
    invariants::check_page(data, KINDS)
}

fn conversations(data: &[u8]) -> Result<Vec<Record>, String> {
    let mut page = parse::<HalPage<Conversations>>(data)?;
    let items = page.conversations();
    let mut out = Vec::new();
    for c in streams::numbered(page.page, items).items {
        let _bookmark = c.touched_at();
        out.extend(api::map_conversation(c)?);
    }
    Ok(out)
}

fn users(data: &[u8], system: bool) -> Result<Vec<Record>, String> {
    let page = parse::<HalPage<UsersEmbedded>>(data)?;
    let items = streams::users_of(system, page.embedded)?;
    Ok(streams::numbered(page.page, items)
        .items
        .into_iter()
        .map(api::map_user)
        .collect())
}

/// A sweep page, read as the first page of a sweep and as a page after a bound one second
/// before its first conversation: the ids it gives as a [`TicketRoster`].
fn roster_page(data: &[u8]) -> Result<Vec<Record>, String> {
    let mut page = parse::<HalPage<ListedConversations>>(data)?;
    let items = page.conversations();
    let last = roster::last_page(page.page, !items.is_empty()).map_err(|e| e.to_string())?;
    let mut froms: Vec<Option<DateTime<Utc>>> = vec![None];
    froms.extend(items.first().map(|c| Some(c.created_at)));
    for from in froms {
        roster::check_order(&items, from).map_err(|e| e.to_string())?;
        if !last {
            roster::next_bound(&items, from).map_err(|e| e.to_string())?;
        }
    }
    let t = DateTime::<Utc>::UNIX_EPOCH;
    Ok(vec![Record::TicketRoster(TicketRoster {
        sweep_started_at: t,
        listed_before: t,
        ids: roster::live_ids(&items),
        complete: last,
    })])
}
