//! What the wiremock tests and the conformance test (`#[path]`: a test binary of its own)
//! share: the connector's test settings, the recorded payloads (`tests/fixtures`:
//! python-freshdesk's samples, BSD-2-Clause; Airbyte's sandbox records, licence note in
//! `airbyte-integration/LICENSE.md`) and the builders that give them new ids and times.

use deskpulse_connector::testkit::settings_of;
use deskpulse_connector_freshdesk::{Freshdesk, FreshdeskSettings};
use serde_json::{Value, json};

pub const TICKETS: &str = "/api/v2/tickets";
pub const AGENTS: &str = "/api/v2/agents";
pub const RATINGS: &str = "/api/v2/surveys/satisfaction_ratings";

pub const EPOCH: &str = "1970-01-01T00:00:00Z";
pub const T1: &str = "2026-11-02T10:00:00Z";
pub const T2: &str = "2026-11-03T10:00:00Z";
pub const T3: &str = "2026-11-04T10:00:00Z";

/// The settings against a fake at `base_url` with API key `key`: page size 2, so a few
/// records make several pages; no client-side rate limits (the fakes have none).
pub fn settings_at(base_url: String, key: &str) -> FreshdeskSettings {
    settings_of::<Freshdesk>(json!({
        "domain": "acme", "api_key": key, "base_url": base_url, "page_size": 2,
        "requests_per_minute": 0, "ticket_list_requests_per_minute": 0
    }))
}

/// A python-freshdesk sample, as recorded.
pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/python-freshdesk/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The `data` of every Airbyte recorded record of `stream`.
pub fn airbyte(stream: &str) -> Vec<Value> {
    let path = format!(
        "{}/tests/fixtures/airbyte-integration/expected_records.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["stream"] == stream)
        .map(|r| r["data"].clone())
        .collect()
}

/// Airbyte's recorded `stream` object with this `id`, unchanged.
pub fn recorded(stream: &str, id: i64) -> Value {
    airbyte(stream).into_iter().find(|r| r["id"] == id).unwrap()
}

/// A recorded ticket (Airbyte's #22: pending, phone, answered) with a new id and times.
pub fn ticket(id: i64, created_at: &str, updated_at: &str) -> Value {
    let mut t = recorded("tickets", 22);
    t["id"] = id.into();
    t["created_at"] = created_at.into();
    t["updated_at"] = updated_at.into();
    t
}

/// A recorded public agent reply (Airbyte's conversation 67105086049) with new ids and time.
pub fn reply(id: i64, ticket_id: i64, created_at: &str) -> Value {
    let mut c = recorded("conversations", 67105086049);
    c["id"] = id.into();
    c["ticket_id"] = ticket_id.into();
    c["created_at"] = created_at.into();
    c["updated_at"] = created_at.into();
    c
}

/// Airbyte's recorded rating with a new id, time and overall answer.
pub fn rating(id: i64, created_at: &str, default_question: impl Into<Value>) -> Value {
    let mut r = airbyte("satisfaction_ratings").remove(0);
    r["id"] = id.into();
    r["created_at"] = created_at.into();
    r["updated_at"] = created_at.into();
    r["ratings"]["default_question"] = default_question.into();
    r
}
