//! Wiremock tests of the Google Play connector, on payloads shaped like the documented
//! `reviews.list` responses (`tests/fixtures`, with their provenance): the mapping, the
//! service account's token grant, settings, the conformance kit and a golden week.

mod auth;
mod common;
mod conformance;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod mapping;
mod settings;
