//! Zendesk's page parsing and record mapping, for the `zendesk_pages` fuzz target (`fuzz/`)
//! and `tests/fuzz_regressions.rs`. Not part of the connector's API.
//!
//! [`pages`] reads one body as every page this connector reads — the users and tickets
//! cursor exports, the ticket events export, the satisfaction ratings list — exactly as a
//! sync does: `serde_json` into the page struct, then the stream's own paginator declaration
//! (`page`, `item_time`, `bookmark`, `map`), and asserts the invariants of [`invariants`] on
//! what maps.

#[path = "../../fuzzing_invariants.rs"]
pub mod invariants;

use crate::api::{User, ZTicket};
use crate::streams::ExportItem;
use crate::streams::{Export, Ratings, TicketEvents};
use crate::{ZendeskConnector, ZendeskSettings};
use deskpulse_connector::prelude::*;
use std::sync::OnceLock;

const KINDS: &[invariants::Kind] = &[
    ("users", export::<User>),
    ("tickets", export::<ZTicket>),
    ("ticket_events", ticket_events),
    ("satisfaction_ratings", ratings),
];

/// Fuzz entry point: never panics unless an invariant is broken. Returns the page types
/// `data` maps as (the regression tests check that every seed is a page of some type).
pub fn pages(data: &[u8]) -> Vec<&'static str> {
    invariants::check_page(data, KINDS)
}

/// A connector as a test configuration sets it up: user 42 is a bot (`bot_user_ids`), and
/// its clock is pinned far ahead, so a rating's bookmark is refused only at the edge of
/// what a time can hold, the same on every run.
fn connector() -> &'static ZendeskConnector {
    static C: OnceLock<ZendeskConnector> = OnceLock::new();
    C.get_or_init(|| {
        let settings = ZendeskSettings {
            base_url: Some("http://127.0.0.1:9".into()),
            oauth_token: Some(Secret::new("fuzz")),
            bot_user_ids: vec![42],
            ..ZendeskSettings::default()
        };
        let far = chrono::DateTime::from_timestamp(4_102_444_800, 0).unwrap_or_default();
        ZendeskConnector::new(settings)
            .expect("valid fuzzing settings")
            .with_clock(Clock::fixed(far))
    })
}

/// Maps every item as a sync does, each after `read` has looked at it the way the paginator
/// does (the same-second remedy's `item_time`, a bookmark).
fn map_all<M: Mapping>(
    decl: &M,
    items: Vec<M::Item>,
    read: impl Fn(&M::Item),
) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for item in items {
        read(&item);
        out.extend(decl.map(item)?);
    }
    Ok(out)
}

fn export<I: ExportItem>(data: &[u8]) -> Result<Vec<Record>, String> {
    let decl = Export::<I>::new(connector());
    map_all(&decl, decl.page(invariants::parse(data)?)?.items, |_| {})
}

fn ticket_events(data: &[u8]) -> Result<Vec<Record>, String> {
    let decl = TicketEvents { c: connector() };
    let page = decl.page(invariants::parse(data)?)?;
    map_all(&decl, page.items, |e| {
        let _ = decl.item_time(e);
    })
}

fn ratings(data: &[u8]) -> Result<Vec<Record>, String> {
    let decl = Ratings { c: connector() };
    let page = decl.page(invariants::parse(data)?)?;
    map_all(&decl, page.items, |r| {
        let _ = decl.bookmark(r);
    })
}
