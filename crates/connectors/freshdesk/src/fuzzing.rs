//! Freshdesk's page parsing and record mapping, for the `freshdesk_pages` fuzz target
//! (`fuzz/`) and `tests/fuzz_regressions.rs`. Not part of the connector's API.
//!
//! [`pages`] reads one body as every page this connector reads — the ticket list (in each
//! of its three passes), a ticket's conversations, the agents, the satisfaction ratings —
//! exactly as a sync does (`serde_json` into the page, then the `map_*` functions), and
//! asserts the invariants of [`invariants`] on what maps.

#[path = "../../fuzzing_invariants.rs"]
pub mod invariants;

use crate::api::{self, Conversation, FAgent, FRating, FTicket, Pass};
use deskpulse_model::Record;
use invariants::parse;

const KINDS: &[invariants::Kind] = &[
    ("tickets", |data| tickets(data, Pass::All)),
    ("tickets?filter=spam", |data| tickets(data, Pass::Spam)),
    ("tickets?filter=deleted", |data| {
        tickets(data, Pass::Deleted)
    }),
    ("conversations", conversations),
    ("agents", agents),
    ("surveys/satisfaction_ratings", ratings),
];

/// Fuzz entry point: never panics unless an invariant is broken. Returns the page types
/// `data` maps as (the regression tests check that every seed is a page of some type).
pub fn pages(data: &[u8]) -> Vec<&'static str> {
    invariants::check_page(data, KINDS)
}

/// One page of the ticket list, as the `pass` that lists it reads it.
fn tickets(data: &[u8], pass: Pass) -> Result<Vec<Record>, String> {
    let page = parse::<Vec<FTicket>>(data)?;
    let mut out = Vec::new();
    for t in page {
        out.extend(api::map_ticket(t, pass)?);
    }
    Ok(out)
}

/// The conversations of the ticket the first one names (a sync asks for one ticket's; the
/// fuzzer cannot know which), else of ticket 1.
fn conversations(data: &[u8]) -> Result<Vec<Record>, String> {
    let page = parse::<Vec<Conversation>>(data)?;
    let ticket_id = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v.get(0)?.get("ticket_id")?.as_i64())
        .unwrap_or(1);
    let mut out = Vec::new();
    for c in page {
        out.extend(api::map_conversation(c, ticket_id)?);
    }
    Ok(out)
}

fn agents(data: &[u8]) -> Result<Vec<Record>, String> {
    Ok(parse::<Vec<FAgent>>(data)?
        .into_iter()
        .map(api::map_agent)
        .collect())
}

fn ratings(data: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for r in parse::<Vec<FRating>>(data)? {
        out.extend(api::map_rating(r)?);
    }
    Ok(out)
}
