//! Wiremock tests of the Freshdesk connector, on payloads shaped like Freshdesk's recorded
//! responses (`tests/fixtures`: python-freshdesk, BSD-2-Clause; Airbyte's sandbox records,
//! licence note in `airbyte-integration/LICENSE.md`), and a golden scenario through storage
//! and metrics.

mod agents;
mod common;
mod errors;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod http;
mod mapping;
mod positions;
mod ratings;
mod settings;
mod shared;
mod tickets;
mod vendor;
