//! Zendesk's page parsing and record mapping, for the `zendesk_pages` fuzz target (`fuzz/`)
//! and `tests/fuzz_regressions.rs`. Not part of the connector's API.
//!
//! [`pages`] reads one body as every page this connector reads — the users and tickets
//! cursor exports, the ticket events export, the satisfaction ratings list — exactly as a
//! sync does (`serde_json` into the page struct, then the `map_*` functions), and asserts
//! the invariants of [`invariants`] on what maps.

#[path = "../../fuzzing_invariants.rs"]
pub mod invariants;

use crate::api::{self, RatingsPage, TicketEventsPage, TicketsPage, UsersPage};
use deskpulse_model::Record;

/// Users a test configuration marks as bots (`bot_user_ids`).
const BOT_USER_IDS: &[i64] = &[42];

const KINDS: &[invariants::Kind] = &[
    ("users", users),
    ("tickets", tickets),
    ("ticket_events", ticket_events),
    ("satisfaction_ratings", ratings),
];

/// Fuzz entry point: never panics unless an invariant is broken. Returns the page types
/// `data` maps as (the regression tests check that every seed is a page of some type).
pub fn pages(data: &[u8]) -> Vec<&'static str> {
    invariants::check_page(data, KINDS)
}

fn parse<T: serde::de::DeserializeOwned>(data: &[u8]) -> Result<T, String> {
    serde_json::from_slice(data).map_err(|e| e.to_string())
}

fn users(data: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for u in parse::<UsersPage>(data)?.users {
        out.extend(api::map_user(u, BOT_USER_IDS)?);
    }
    Ok(out)
}

fn tickets(data: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for t in parse::<TicketsPage>(data)?.tickets {
        out.extend(api::map_ticket(t)?);
    }
    Ok(out)
}

fn ticket_events(data: &[u8]) -> Result<Vec<Record>, String> {
    let page = parse::<TicketEventsPage>(data)?;
    let mut out = Vec::new();
    for e in page.ticket_events {
        // The paginator reads each update's second (`item_time`) to tell a page that
        // cannot move on.
        let _ = api::event_second(&e);
        out.extend(api::map_ticket_event(e)?);
    }
    Ok(out)
}

fn ratings(data: &[u8]) -> Result<Vec<Record>, String> {
    let page = parse::<RatingsPage>(data)?;
    let mut out = Vec::new();
    for r in page.satisfaction_ratings {
        // The bookmark.
        let _ = r.answered_at().timestamp();
        out.extend(api::map_rating(r));
    }
    Ok(out)
}
