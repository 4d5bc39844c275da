//! Intercom's page parsing and record mapping, for the `intercom_pages` fuzz target
//! (`fuzz/`) and `tests/fuzz_regressions.rs`. Not part of the connector's API.
//!
//! [`pages`] reads one body as every answer this connector reads — `GET /admins`, a page of
//! `POST /conversations/search` (each conversation's id checked, and mapped as the search
//! gives it, which is what a sync stores when `GET /conversations/{id}` answers 404), `GET
//! /conversations/{id}` (mapped with its parts), and a page of the roster sweep — exactly as
//! a sync does, and asserts the invariants of [`invariants`] on what maps.

#[path = "../../fuzzing_invariants.rs"]
pub mod invariants;

use crate::api::{self, AdminList, Conversation, SearchPage};
use crate::{roster, streams};
use chrono::DateTime;
use deskpulse_model::{Record, TicketRoster};
use invariants::parse;

const KINDS: &[invariants::Kind] = &[
    ("admins", |d| {
        parse::<AdminList>(d)?
            .admins
            .into_iter()
            .map(api::map_admin)
            .collect()
    }),
    ("search", search),
    ("conversation", conversation),
    ("roster", roster),
];

/// Fuzz entry point: never panics unless an invariant is broken. Returns the page types
/// `data` maps as (the regression tests check that every seed is a page of some type).
pub fn pages(data: &[u8]) -> Vec<&'static str> {
    invariants::check_page(data, KINDS)
}

fn search(data: &[u8]) -> Result<Vec<Record>, String> {
    let page = parse::<SearchPage>(data)?;
    let mut out = Vec::new();
    for c in page.conversations {
        streams::searched_id(&c).map_err(|e| e.to_string())?;
        out.extend(streams::gone_records(c).map_err(|e| e.to_string())?);
    }
    streams::next_cursor(page.pages)?;
    Ok(out)
}

/// `GET /conversations/{id}`, asked for the id it names (the fuzzer cannot know another).
fn conversation(data: &[u8]) -> Result<Vec<Record>, String> {
    let c = parse::<Conversation>(data)?;
    let id = c.id.0.clone();
    streams::full_records(&id, c).map_err(|e| e.to_string())
}

fn roster(data: &[u8]) -> Result<Vec<Record>, String> {
    let Some(page) = roster::listed(parse(data)?)?.items.pop() else {
        unreachable!("a roster page is one item");
    };
    Ok(vec![Record::TicketRoster(TicketRoster {
        sweep_started_at: DateTime::UNIX_EPOCH,
        listed_before: DateTime::UNIX_EPOCH,
        ids: page.ids,
        complete: page.complete,
    })])
}
