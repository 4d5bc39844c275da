//! Tests of the Google Places connector: wiremock servers answering the recorded legacy Place
//! Details payloads (google-maps-services-java, Apache-2.0) and a Places API (New) place
//! shaped exactly like Google's documented Place resource (`constructed_*`, values
//! invented); see `tests/fixtures/PROVENANCE.md`.

mod common;
mod conformance;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod legacy;
mod new_api;
mod settings;
