//! The SDK's conformance kit on the Zendesk connector: resume from every checkpoint, 429,
//! 5xx, 401/403, broken pages, endless paging, secrets in logs, typed checkpoints and the
//! kind's declaration, on every stream. A test binary of its own: the kit installs a global
//! log subscriber.

use deskpulse_connector::Secret;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector_zendesk::{
    ExportCheckpoint, StartTimeCheckpoint, Zendesk, ZendeskConnector, ZendeskSettings,
};
use serde_json::{Value, json};

#[path = "zendesk/pages.rs"]
mod pages;
use pages::*;

fn user(id: u64, role: &str) -> Value {
    json!({
        "id": id, "url": format!("{PROD}/api/v2/users/{id}.json"), "name": format!("User {id}"),
        "email": format!("user{id}@example.com"), "role": role, "active": true,
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-03-01T00:00:00Z",
    })
}

/// A cursor export's pages: `first` from `start_time=0`, `second` (the last) after cursor
/// `c1`, and what the next sync sees after `c2`; the pairs of `also` on every request.
fn export(
    f: Fixtures,
    (key, ep): (&str, &str),
    also: &[(&str, &str)],
    first: Value,
    second: Value,
) -> Fixtures {
    let query = |k, v| [&[(k, v)][..], also].concat();
    let page = |items, after, eos| cursor_body(key, ep, items, after, eos);
    f.get(ep, &query("start_time", "0"), page(first, "c1", false))
        .get(ep, &query("cursor", "c1"), page(second, "c2", true))
        .get(ep, &query("cursor", "c2"), page(json!([]), "c2", true))
}

fn fixtures() -> Fixtures {
    // Tickets with their metric sets side-loaded.
    let ticket = |id: u64, status: &str, channel: &str| {
        let mut t = ticket(id, status, channel, &["x"]);
        t["metric_set"] = json!({"reopens": 0, "replies": 1, "solved_at": null});
        t
    };
    let f = export(
        Fixtures::new(),
        ("users", USERS),
        &[],
        json!([user(1, "agent"), user(2, "end-user")]),
        json!([user(3, "admin")]),
    );
    let mut f = export(
        f,
        ("tickets", TICKETS),
        &[("include", "metric_sets")],
        json!([ticket(10, "new", "email"), ticket(11, "solved", "web")]),
        json!([ticket(12, "deleted", "api")]),
    );
    // ticket events: time-based, the next request built from end_time
    let created = vec![
        comment(101, 1, true, "web"),
        status(102, "Create", None, "new", "Web form"),
    ];
    let solved = vec![
        comment(201, 1, false, "web"),
        status(202, "Change", Some("new"), "solved", "Web form"),
    ];
    let first = audit(100, 10, 1, "2024-03-01T09:00:00Z", 1709283600, created);
    let second = audit(200, 10, 1, "2024-03-01T10:46:40Z", 1709290000, solved);
    for (start, events, end_time, eos) in [
        (0, json!([first]), 1709283600, false),
        (1709283600, json!([second]), 1709290000, true),
        (1709290000, json!([]), 1709290000, true),
    ] {
        let query = [
            ("start_time", &*start.to_string()),
            ("include", "comment_events"),
        ];
        f = f.get(EVENTS, &query, events_body(events, end_time, eos));
    }
    // satisfaction ratings: cursor pages; a resume re-reads 28 days before the bookmark
    let rated = |id: u64, score: &str, at: &str| rating(id, score, at, at, None);
    let r1 = rated(1, "good", "2024-03-01T10:00:00Z");
    let r2 = rated(2, "offered", "2024-03-02T10:00:00Z");
    let r3 = rated(3, "bad", "2024-03-03T10:00:00Z");
    let all = json!([r1, r2, r3]);
    let first = [("start_time", "0"), ("sort", "created_at")];
    f = f
        .get(RATINGS, &first, ratings_body(json!([r1, r2]), Some("r2c")))
        .get(
            RATINGS,
            &[first[0], first[1], ("page[after]", "r2c")],
            ratings_body(json!([r3]), None),
        );
    for bookmark in ["2024-03-02T10:00:00Z", "2024-03-03T10:00:00Z"] {
        let since = (ts(bookmark) - 28 * 86400).to_string();
        f = f.get(
            RATINGS,
            &[("start_time", &since)],
            ratings_body(all.clone(), None),
        );
    }
    f
}

fn connector(t: &Target) -> Box<dyn deskpulse_connector::Connector> {
    let settings = ZendeskSettings {
        email: Some("agent@example.com".into()),
        api_token: Some(Secret::new(t.secret.clone())),
        base_url: Some(t.base_url.clone()),
        requests_per_minute: 0,
        incremental_requests_per_minute: 0,
        ..ZendeskSettings::default()
    };
    t.connector(ZendeskConnector::new(settings))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zendesk_passes_the_conformance_kit() {
    Conformance::new(fixtures(), connector)
        .kind(&Zendesk)
        .checkpoint_type::<ExportCheckpoint>("users")
        .checkpoint_type::<ExportCheckpoint>("tickets")
        .checkpoint_type::<StartTimeCheckpoint>("ticket_events")
        .checkpoint_type::<StartTimeCheckpoint>("satisfaction_ratings")
        // Ratings are listed from `start_time` inclusive, and re-read over a lookback window.
        .boundary_repeats(&["satisfaction_ratings"])
        .run()
        .await
        .assert_ok();
}
