//! Wiremock tests of the Facebook Page connector, on payloads shaped like the Graph API's
//! documented responses (`tests/fixtures/constructed_*.json`, see their PROVENANCE.md): each
//! stream's mapping, paging and errors, settings, secrets, the conformance kit, and a golden
//! week through storage and the report.

mod common;
mod conformance;
mod documented;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod secrets;
mod settings;
