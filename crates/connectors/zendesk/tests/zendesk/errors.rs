//! Pages that cannot be followed are errors, never panics or silently shortened streams;
//! the batches before them stay valid.

use crate::common::*;
use crate::tickets::page;
use deskpulse_connector::Connector;
use deskpulse_connector::testkit;
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

/// A good first page, then a second page the connector must refuse: `Malformed` at the
/// export, naming what is wrong, with the good page kept.
#[tokio::test]
async fn a_page_that_cannot_be_read_is_malformed() {
    let archived = json!([{"id": 1, "status": "archived", "created_at": "2024-01-01T00:00:00Z",
                    "updated_at": "2024-01-01T00:00:00Z", "via": {"channel": "web"}, "tags": []}]);
    for (second, needle) in [
        (
            ok(json!({"tickets": [], "after_cursor": "c2"})),
            "end_of_stream",
        ),
        (page(archived, "c2", true), "archived"),
        // The users export's key on the tickets export: each record would parse as a ticket
        // or a user alike (both have an `id`), so only the export's own key is read.
        (
            ok(
                json!({"users": [{"id": 7, "role": "end-user"}], "after_cursor": null, "end_of_stream": true}),
            ),
            "tickets",
        ),
    ] {
        let server = MockServer::start().await;
        get(
            TICKETS,
            &[("start_time", "0")],
            page(json!([]), "c1", false),
        )
        .mount(&server)
        .await;
        get(TICKETS, &[("cursor", "c1")], second)
            .mount(&server)
            .await;
        let (batches, err) = read(&connector(&server), "tickets", None).await;
        assert_eq!(batches.len(), 1, "the good page before the bad one is kept");
        testkit::assert_malformed(&err, TICKETS, needle);
    }
}

/// A tickets page answered on the users export: a ticket parses as a user (both have an
/// `id`) and would count as a customer, so only the export's own key, `users`, is read.
#[tokio::test]
async fn a_page_under_the_other_exports_key_is_malformed() {
    const USERS: &str = "/api/v2/incremental/users/cursor.json";
    let server = MockServer::start().await;
    let tickets = json!([{"id": 1, "status": "open", "created_at": "2024-01-01T00:00:00Z",
                          "updated_at": "2024-01-01T00:00:00Z", "tags": []}]);
    get(
        USERS,
        &[("start_time", "0")],
        page_under("tickets", tickets),
    )
    .mount(&server)
    .await;
    let (batches, err) = read(&connector(&server), "users", None).await;
    assert!(batches.is_empty(), "no user made of a ticket");
    testkit::assert_malformed(&err, USERS, "users");
}

fn page_under(key: &str, items: serde_json::Value) -> ResponseTemplate {
    ok(json!({ key: items, "after_cursor": null, "end_of_stream": true }))
}

#[tokio::test]
async fn unusable_checkpoint_and_unknown_stream() {
    let server = MockServer::start().await;
    let c = connector(&server);
    // A checkpoint of another layout (a page number, the cursor exports' cursor on the
    // time-based export) is refused with the `--full` hint, before any request.
    testkit::assert_refuses_checkpoints(
        &c,
        &[
            ("tickets", json!({"page": 3})),
            ("ticket_events", json!({"cursor": "x"})),
        ],
    )
    .await;
    testkit::assert_unknown_stream(
        &c,
        "organizations",
        "users, tickets, ticket_events, satisfaction_ratings",
    )
    .await;
    assert_eq!(c.kind(), "zendesk");
}
