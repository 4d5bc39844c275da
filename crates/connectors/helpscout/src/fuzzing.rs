//! Help Scout's page parsing and record mapping, for the `helpscout_pages` fuzz target
//! (`fuzz/`) and `tests/fuzz_regressions.rs`. Not part of the connector's API.
//!
//! [`pages`] reads one body as every page this connector reads — the conversations export
//! (HAL page, embedded threads), the users and system users lists, and the roster sweep's
//! conversation list — exactly as a sync does (`serde_json` into `HalPage<…>`, the page
//! check, then the `map_*` functions; for the sweep its order check, live ids and next
//! bound), and asserts the invariants of [`invariants`] on what maps.

#[path = "../../fuzzing_invariants.rs"]
pub mod invariants;

use crate::api::{self, Conversations, HalPage, ListedConversations, SystemUsers, Users};
use crate::roster;
use crate::streams::{CONVERSATIONS, check_page};
use chrono::{DateTime, Utc};
use deskpulse_model::{Record, TicketRoster};

const KINDS: &[invariants::Kind] = &[
    ("conversations", conversations),
    ("users", |d| {
        let page = parse::<HalPage<Users>>(d)?;
        users(page.embedded.map(|e| e.users), page.page)
    }),
    ("system-users", |d| {
        let page = parse::<HalPage<SystemUsers>>(d)?;
        users(page.embedded.map(|e| e.system_users), page.page)
    }),
    ("roster", roster_page),
];

/// Fuzz entry point: never panics unless an invariant is broken. Returns the page types
/// `data` maps as (the regression tests check that every seed is a page of some type).
pub fn pages(data: &[u8]) -> Vec<&'static str> {
    invariants::check_page(data, KINDS)
}

fn parse<T: serde::de::DeserializeOwned>(data: &[u8]) -> Result<T, String> {
    serde_json::from_slice(data).map_err(|e| e.to_string())
}

/// The page number the sync asks for: the one the page says it is (the fuzzer cannot know).
fn conversations(data: &[u8]) -> Result<Vec<Record>, String> {
    let page = parse::<HalPage<Conversations>>(data)?;
    let items = page.embedded.map(|e| e.conversations).unwrap_or_default();
    check_page(
        CONVERSATIONS,
        page.page.number,
        page.page,
        !items.is_empty(),
    )
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for c in items {
        let _bookmark = c.touched_at();
        out.extend(api::map_conversation(c)?);
    }
    Ok(out)
}

fn users(items: Option<Vec<api::User>>, page: api::PageInfo) -> Result<Vec<Record>, String> {
    let items = items.unwrap_or_default();
    check_page("users", page.number, page, !items.is_empty()).map_err(|e| e.to_string())?;
    Ok(items.into_iter().map(api::map_user).collect())
}

/// A sweep page, read as the first page of a sweep and as a page after a bound one second
/// before its first conversation: the ids it gives as a [`TicketRoster`].
fn roster_page(data: &[u8]) -> Result<Vec<Record>, String> {
    let page = parse::<HalPage<ListedConversations>>(data)?;
    let items = page.embedded.map(|e| e.conversations).unwrap_or_default();
    let last =
        check_page(CONVERSATIONS, 1, page.page, !items.is_empty()).map_err(|e| e.to_string())?;
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
