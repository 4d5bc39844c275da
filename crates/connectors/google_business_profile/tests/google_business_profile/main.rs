//! Wiremock tests of the Google Business Profile connector, on pages shaped exactly like the
//! My Business API v4 reference (`ListReviewsResponse`, `Review`, `ReviewReply`; constructed
//! fixtures in `tests/fixtures`, see their PROVENANCE.md) and Google's OAuth 2.0 token
//! endpoint.

mod auth;
mod common;
mod conformance;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod incremental;
mod mapping;
mod settings;
