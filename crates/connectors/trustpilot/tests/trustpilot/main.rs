//! Wiremock tests of the Trustpilot connector, on payloads shaped like Trustpilot's documented
//! responses (`tests/fixtures/constructed_*.json`, see their PROVENANCE.md): the documented
//! pages on both endpoints, the incremental passes, settings, the conformance kit, and a
//! golden week through storage and the report.

mod common;
mod conformance;
mod documented;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod incremental;
mod secrets;
mod settings;
