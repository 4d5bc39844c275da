//! Gorgias's page parsing and record mapping, for the `gorgias_pages` fuzz target (`fuzz/`)
//! and `tests/fuzz_regressions.rs`. Not part of the connector's API.
//!
//! [`pages`] reads one body as every page this connector reads — the tickets, messages and
//! satisfaction surveys feeds and the users list — exactly as a sync does (`serde_json` into
//! `ListPage<…>`, each item's feed time, then its mapping), and asserts the
//! invariants of [`invariants`] on what maps.

#[path = "../../fuzzing_invariants.rs"]
pub mod invariants;

use crate::api::{self, FeedItem, GMessage, GSurvey, GTicket, ListPage};
use deskpulse_model::Record;
use serde::de::DeserializeOwned;

const KINDS: &[invariants::Kind] = &[
    ("tickets", feed::<GTicket>),
    ("messages", feed::<GMessage>),
    ("satisfaction-surveys", feed::<GSurvey>),
    ("users", |data| list(data, api::map_user)),
];

/// Fuzz entry point: never panics unless an invariant is broken. Returns the page types
/// `data` maps as (the regression tests check that every seed is a page of some type).
pub fn pages(data: &[u8]) -> Vec<&'static str> {
    invariants::check_page(data, KINDS)
}

fn feed<T: FeedItem>(data: &[u8]) -> Result<Vec<Record>, String> {
    list(data, |item: T| {
        // The feed stops at the bookmark by this time.
        let _ = item.feed_time();
        item.map()
    })
}

/// `data` as a `ListPage<T>`, each item mapped by `map`.
fn list<T: DeserializeOwned>(
    data: &[u8],
    map: impl Fn(T) -> Result<Vec<Record>, String>,
) -> Result<Vec<Record>, String> {
    let page: ListPage<T> = invariants::parse(data)?;
    let mut out = Vec::new();
    for item in page.data {
        out.extend(map(item)?);
    }
    Ok(out)
}
