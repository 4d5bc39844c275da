//! Freshdesk's page parsing and record mapping, for the `freshdesk_pages` fuzz target
//! (`fuzz/`) and `tests/fuzz_regressions.rs`. Not part of the connector's API.
//!
//! [`pages`] reads one body as every page this connector reads — the ticket list (in each
//! of its three passes), a ticket's conversations, the agents, the satisfaction ratings —
//! exactly as a sync does (`serde_json` into the page, then the `map_*` functions), and
//! asserts the invariants of [`invariants`] on what maps.

#[path = "../../fuzzing_invariants.rs"]
pub mod invariants;

use crate::api::{self, Conversation, FAgent, FTicket, Pass};
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

/// Every item of a list page of `T`, mapped as a sync maps it.
fn list<T, R>(data: &[u8], map: impl Fn(T) -> Result<R, String>) -> Result<Vec<Record>, String>
where
    T: serde::de::DeserializeOwned,
    R: IntoIterator<Item = Record>,
{
    let mut out = Vec::new();
    for item in parse::<Vec<T>>(data)? {
        out.extend(map(item)?);
    }
    Ok(out)
}

/// One page of the ticket list, as the `pass` that lists it reads it.
fn tickets(data: &[u8], pass: Pass) -> Result<Vec<Record>, String> {
    list(data, |t: FTicket| api::map_ticket(t, pass))
}

/// The conversations of the ticket the first one names (a sync asks for one ticket's; the
/// fuzzer cannot know which), else of ticket 1.
fn conversations(data: &[u8]) -> Result<Vec<Record>, String> {
    let ticket_id = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v.get(0)?.get("ticket_id")?.as_i64())
        .unwrap_or(1);
    list(data, |c: Conversation| api::map_conversation(c, ticket_id))
}

fn agents(data: &[u8]) -> Result<Vec<Record>, String> {
    list(data, |a: FAgent| Ok([api::map_agent(a)]))
}

fn ratings(data: &[u8]) -> Result<Vec<Record>, String> {
    list(data, api::map_rating)
}
