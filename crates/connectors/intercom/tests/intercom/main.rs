//! Wiremock tests of the Intercom connector, on payloads shaped like Intercom's OpenAPI 2.14
//! examples (`tests/fixtures/intercom-openapi`, MIT) and Airbyte's recorded records of a real
//! workspace (`tests/fixtures/airbyte-integration`, MIT).

mod common;
mod conformance;
mod conversations;
mod errors;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod http;
mod mapping;
mod roster;
mod settings;
mod vendor;
