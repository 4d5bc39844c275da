//! Wiremock tests of the App Store Connect connector, on pages shaped like Apple's
//! documented `customerReviews` responses (`tests/fixtures`, constructed: see its
//! `PROVENANCE.md`). The conformance kit runs in a test binary of its own
//! (`tests/conformance.rs`): it installs a global log capture.

mod auth;
mod common;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod incremental;
mod reviews;
mod settings;
