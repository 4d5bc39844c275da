//! Wiremock tests of the Instagram connector, on the recorded airbyte mocks and payloads shaped
//! like Meta's documented responses (`tests/fixtures/`, see their PROVENANCE.md): the documented
//! pages, the brand-reply rules, paging and the rescan window, settings, secrets, the
//! conformance kit, and a golden week through storage and the report.

mod common;
mod conformance;
mod documented;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod replies;
mod secrets;
mod settings;
