//! Wiremock tests of the Yelp connector, on Yelp's recorded business details
//! (`fixtures/yelp-python/`, from Yelp's own client library) and review excerpts shaped as
//! Yelp's reference documents them (`fixtures/constructed/`, values invented); see
//! `fixtures/PROVENANCE.md`.

mod business;
mod common;
mod conformance;
mod errors;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod reviews;
mod settings;
