//! Wiremock tests of the Help Scout connector, on payloads shaped like Help Scout's documented
//! responses (`tests/fixtures/helpscout-docs`, with their provenance) and its PHP SDK's test
//! payloads (`tests/fixtures/helpscout-api-php`, MIT).

mod checkpoints;
mod common;
mod conformance;
mod conversations;
mod documented;
mod errors;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod http;
mod roster;
mod settings;
mod users;
