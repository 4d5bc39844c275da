//! The SDK's conformance kit on the Freshdesk connector: resume from every checkpoint, 429,
//! 5xx, 401/403, broken pages, secrets in logs, typed checkpoints and the kind's
//! declaration, on every stream. A test binary of its own: the kit installs a global log
//! subscriber.
//!
//! Payloads are the recorded ones of `tests/fixtures` (Airbyte's sandbox account; licence
//! note in `tests/fixtures/airbyte-integration/LICENSE.md`) with new ids and times.

use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector_freshdesk::{
    AgentsPos, Freshdesk, FreshdeskConnector, RatingsPos, TicketsPos,
};
use serde_json::{Value, json};

// The wiremock tests' settings and recorded payloads; `fixture` (python-freshdesk's samples)
// is theirs only.
#[allow(dead_code)]
#[path = "freshdesk/shared.rs"]
mod shared;
use shared::{
    AGENTS, EPOCH, RATINGS, T1, T2, T3, TICKETS, airbyte, rating, reply, settings_at, ticket,
};

fn agent(id: i64) -> Value {
    let mut a = airbyte("agents").remove(1);
    a["id"] = id.into();
    a
}

fn conversation(id: i64, ticket: i64, incoming: bool) -> Value {
    let mut c = reply(id, ticket, T1);
    c["incoming"] = incoming.into();
    c
}

fn fixtures() -> Fixtures {
    let mut spam = ticket(7, T1, T2);
    spam["spam"] = true.into();
    // agents: re-read whole on every sync
    let mut f = Fixtures::new()
        .get(AGENTS, &[("page", "1")], json!([agent(1), agent(2)]))
        .get(AGENTS, &[("page", "2")], json!([agent(3)]));
    // tickets: keyset pages of the default list (the seam ticket repeats) ...
    for (since, page) in [
        (EPOCH, json!([ticket(1, T1, T1), ticket(2, T1, T2)])),
        (T2, json!([ticket(2, T1, T2), ticket(3, T1, T3)])),
        (T3, json!([ticket(3, T1, T3)])),
    ] {
        f = f.get(TICKETS, &[("updated_since", since), ("page", "1")], page);
    }
    // ... the spam and deleted passes, and what the next sync asks for ...
    for (filter, since, page) in [
        ("spam", EPOCH, json!([spam])),
        ("deleted", EPOCH, json!([ticket(8, T1, T1)])),
        ("spam", T3, json!([])),
        ("deleted", T3, json!([])),
    ] {
        let query = [("filter", filter), ("updated_since", since), ("page", "1")];
        f = f.get(TICKETS, &query, page);
    }
    // ... and each ticket's conversations
    for (ticket, page_no, page) in [
        (1, "1", json!([conversation(101, 1, false)])),
        (2, "1", json!([])),
        (
            3,
            "1",
            json!([conversation(301, 3, true), conversation(302, 3, false)]),
        ),
        (3, "2", json!([])),
    ] {
        let path = format!("{TICKETS}/{ticket}/conversations");
        f = f.get(&path, &[("page", page_no)], page);
    }
    // satisfaction ratings: pages of a window; the next sync looks back 14 days (before the
    // newest rating, 2026-11-04T10:00:00Z) and reads the same pages
    for since in [EPOCH, "2026-10-21T10:00:00Z"] {
        for (page_no, page) in [
            ("1", json!([rating(1, T1, 103), rating(2, T2, -103)])),
            ("2", json!([rating(3, T3, 100)])),
        ] {
            f = f.get(
                RATINGS,
                &[("created_since", since), ("page", page_no)],
                page,
            );
        }
    }
    f
}

#[tokio::test]
async fn freshdesk_passes_the_conformance_kit() {
    Conformance::new(fixtures(), |t: &Target| {
        t.connector(FreshdeskConnector::new(settings_at(
            t.base_url.clone(),
            &t.secret,
        )))
    })
    // Inclusive bookmarks: the seam ticket, the lookback window and the agents list are
    // read again by design (storage upserts them).
    .boundary_repeats(&["agents", "tickets", "satisfaction_ratings"])
    .kind(&Freshdesk)
    .checkpoint_type::<AgentsPos>("agents")
    .checkpoint_type::<TicketsPos>("tickets")
    .checkpoint_type::<RatingsPos>("satisfaction_ratings")
    .run()
    .await
    .assert_ok();
}
