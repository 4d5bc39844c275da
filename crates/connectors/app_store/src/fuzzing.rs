//! The page parsing and record mapping of `customer_reviews`, for a fuzz target and
//! `tests/fuzz_regressions.rs`. Not part of the connector's API.
//!
//! [`pages`] reads one body as the page this connector reads, exactly as a sync does
//! (`serde_json` into the documented page, each review checked and joined with its
//! response, the snapshot of `meta.paging.total`), and asserts the invariants of
//! [`invariants`] (shared by every connector crate) on what maps.

#[path = "../../fuzzing_invariants.rs"]
pub mod invariants;

use crate::api::{self, ReviewsPage};
use chrono::DateTime;
use deskpulse_model::Record;

const KINDS: &[invariants::Kind] = &[("customer_reviews", customer_reviews)];

/// Fuzz entry point: never panics unless an invariant is broken. Returns the page types
/// `data` maps as (the regression tests check that every seed is a page of some type).
pub fn pages(data: &[u8]) -> Vec<&'static str> {
    invariants::check_page(data, KINDS)
}

fn customer_reviews(data: &[u8]) -> Result<Vec<Record>, String> {
    let page: ReviewsPage = invariants::parse(data)?;
    let total = page
        .meta
        .as_ref()
        .and_then(|m| m.paging.as_ref())
        .and_then(|p| p.total);
    let mut out = vec![Record::RatingSnapshot(api::snapshot(
        "1234567890",
        total,
        DateTime::UNIX_EPOCH,
    ))];
    out.extend(api::reviews(page)?.into_iter().map(Record::Review));
    Ok(out)
}
