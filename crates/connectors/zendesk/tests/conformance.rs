//! The SDK's conformance kit on the Zendesk connector: resume from every checkpoint, 429,
//! 5xx, 401/403, broken pages, endless paging, secrets in logs, typed checkpoints and the
//! kind's declaration, on every stream. A test binary of its own: the kit installs a global
//! log subscriber.

use deskpulse_connector::HttpConnector as _;
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

fn fixtures() -> Fixtures {
    // Tickets with their metric sets side-loaded.
    let ticket = |id: u64, status: &str, channel: &str| {
        let mut t = ticket(id, status, channel, &["x"]);
        t["metric_set"] = json!({"reopens": 0, "replies": 1, "solved_at": null});
        t
    };
    let r1 = rating(
        1,
        "good",
        "2024-03-01T10:00:00Z",
        "2024-03-01T10:00:00Z",
        None,
    );
    let r2 = rating(
        2,
        "offered",
        "2024-03-02T10:00:00Z",
        "2024-03-02T10:00:00Z",
        None,
    );
    let r3 = rating(
        3,
        "bad",
        "2024-03-03T10:00:00Z",
        "2024-03-03T10:00:00Z",
        None,
    );
    Fixtures::new()
        // users: two pages, then what the next sync sees
        .get(
            USERS,
            &[("start_time", "0")],
            cursor_body(
                "users",
                USERS,
                json!([user(1, "agent"), user(2, "end-user")]),
                "u1",
                false,
            ),
        )
        .get(
            USERS,
            &[("cursor", "u1")],
            cursor_body("users", USERS, json!([user(3, "admin")]), "u2", true),
        )
        .get(
            USERS,
            &[("cursor", "u2")],
            cursor_body("users", USERS, json!([]), "u2", true),
        )
        // tickets, with metric sets side-loaded
        .get(
            TICKETS,
            &[("start_time", "0"), ("include", "metric_sets")],
            cursor_body(
                "tickets",
                TICKETS,
                json!([ticket(10, "new", "email"), ticket(11, "solved", "web")]),
                "t1",
                false,
            ),
        )
        .get(
            TICKETS,
            &[("cursor", "t1"), ("include", "metric_sets")],
            cursor_body(
                "tickets",
                TICKETS,
                json!([ticket(12, "deleted", "api")]),
                "t2",
                true,
            ),
        )
        .get(
            TICKETS,
            &[("cursor", "t2"), ("include", "metric_sets")],
            cursor_body("tickets", TICKETS, json!([]), "t2", true),
        )
        // ticket events: time-based, the next request built from end_time
        .get(
            EVENTS,
            &[("start_time", "0"), ("include", "comment_events")],
            events_body(
                json!([audit(
                    100,
                    10,
                    1,
                    "2024-03-01T09:00:00Z",
                    1709283600,
                    vec![
                        comment(101, 1, true, "web"),
                        status(102, "Create", None, "new", "Web form"),
                    ],
                )]),
                1709283600,
                false,
            ),
        )
        .get(
            EVENTS,
            &[("start_time", "1709283600"), ("include", "comment_events")],
            events_body(
                json!([audit(
                    200,
                    10,
                    1,
                    "2024-03-01T10:46:40Z",
                    1709290000,
                    vec![
                        comment(201, 1, false, "web"),
                        status(202, "Change", Some("new"), "solved", "Web form"),
                    ],
                )]),
                1709290000,
                true,
            ),
        )
        .get(
            EVENTS,
            &[("start_time", "1709290000"), ("include", "comment_events")],
            events_body(json!([]), 1709290000, true),
        )
        // satisfaction ratings: cursor pages; a resume re-reads 28 days before the bookmark
        .get(
            RATINGS,
            &[("start_time", "0"), ("sort", "created_at")],
            ratings_body(json!([r1, r2]), Some("r2c")),
        )
        .get(
            RATINGS,
            &[
                ("start_time", "0"),
                ("sort", "created_at"),
                ("page[after]", "r2c"),
            ],
            ratings_body(json!([r3]), None),
        )
        .get(
            RATINGS,
            &[("start_time", &(1709373600 - 28 * 86400).to_string())],
            ratings_body(json!([r1, r2, r3]), None),
        )
        .get(
            RATINGS,
            &[("start_time", &(1709460000 - 28 * 86400).to_string())],
            ratings_body(json!([r1, r2, r3]), None),
        )
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
    Box::new(
        ZendeskConnector::new(settings)
            .expect("valid settings")
            .with_retry_policy(t.retry.clone()),
    )
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
