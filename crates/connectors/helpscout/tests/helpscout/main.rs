//! Wiremock tests of the Help Scout connector, on payloads shaped like Help Scout's documented
//! responses and its PHP SDK's test payloads (`tests/fixtures/helpscout-api-php`, MIT).

mod common;
mod conformance;
mod conversations;
mod errors;
mod golden;
mod http;
mod roster;
mod settings;
mod users;
