//! Wiremock tests of the X connector, on X's documented post and user objects and tweepy's
//! recorded pages (`tests/fixtures/`, see their PROVENANCE.md): the documented pages, the
//! join of mentions with the brand's replies, the incremental passes and the rescan window,
//! rate limits and the monthly usage cap, settings, secrets, the conformance kit, and a
//! golden week through storage and the report.

mod common;
mod conformance;
mod documented;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod incremental;
mod limits;
mod settings;
