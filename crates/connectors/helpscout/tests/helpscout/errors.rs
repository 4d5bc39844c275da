//! Pages that cannot be followed are errors, never panics or silently shortened streams;
//! the batches before them stay valid.

use crate::common::*;
use deskpulse_connector::testkit;
use deskpulse_connector::{Checkpoint, Connector, ConnectorError};
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

/// Page 1 (of 3) is fine and ends at 10:00, so the next request restarts there; `second`
/// answers it. The good page before the bad one is kept, and the bad one is `Malformed`.
async fn expect_malformed(case: &str, second: ResponseTemplate, needle: &str) {
    let server = token_server().await;
    let c = conversation(1, "active", "2026-11-10T10:00:00Z", vec![]);
    serve(&server, export(None, 1), conv_page(vec![c], 1, 3, 60)).await;
    serve(&server, export(Some("2026-11-10T10:00:00Z"), 1), second).await;
    let (batches, err) = read(&connector(&server), "conversations", None).await;
    assert_eq!(batches.len(), 1, "{case}: the good page is kept");
    testkit::assert_malformed(&err, CONVERSATIONS, needle);
}

#[tokio::test]
async fn pages_that_cannot_be_followed_are_malformed() {
    let at = "2026-11-10T10:01:00Z";
    let mut timeless = thread(21, "customer", ("customer", 9), "active", at);
    timeless.as_object_mut().unwrap().remove("createdAt");
    let mut without_id = conversation(2, "active", at, vec![]);
    without_id.as_object_mut().unwrap().remove("id");
    let cases = [
        (
            "no page object",
            ResponseTemplate::new(200).set_body_json(json!({"_embedded": {"conversations": []}})),
            "page",
        ),
        // `_embedded` may be absent only on an empty result, not on page 1 of 2.
        (
            "a page inside the range without records",
            conv_page(vec![], 1, 2, 30),
            "no records",
        ),
        (
            "another page than asked",
            conv_page(vec![conversation(2, "active", at, vec![])], 3, 3, 60),
            "asked for page 1",
        ),
        (
            "unknown status",
            conv_page(vec![conversation(2, "archived", at, vec![])], 1, 2, 30),
            "archived",
        ),
        (
            "thread without time",
            conv_page(
                vec![conversation(2, "active", at, vec![timeless])],
                1,
                2,
                30,
            ),
            "createdAt",
        ),
        (
            "conversation without id",
            conv_page(vec![without_id], 1, 2, 30),
            "id",
        ),
    ];
    for (case, second, needle) in cases {
        expect_malformed(case, second, needle).await;
    }
}

#[tokio::test]
async fn unusable_checkpoints_say_how_to_start_over_and_unknown_streams_are_errors() {
    let server = MockServer::start().await;
    let c = connector(&server);
    let now = "2026-11-12T00:00:00Z";
    testkit::assert_refuses_checkpoints(
        &c,
        &[
            ("conversations", json!({"cursor": "x"})),
            ("conversations", json!({"modified_since": "yesterday"})),
            ("conversations", json!({"modified_since": null, "page": 0})),
            (
                "conversations",
                json!({"modified_since": null, "page": 1, "status": "closed"}),
            ),
            (
                "conversations",
                json!({"modified_since": null, "status": "spam"}),
            ),
            ("ticket_roster", json!({"completed_at": "yesterday"})),
            (
                "ticket_roster",
                json!({"sweep_started_at": now, "status": "closed", "created_from": null}),
            ),
            ("ticket_roster", json!({"sweep_started_at": now})),
            ("ticket_roster", json!({"page": 3})),
            ("ticket_roster", json!(7)),
        ],
    )
    .await;
    let (_, err) = read(&c, "users", Some(Checkpoint::new(json!(3)))).await;
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { .. })),
        "{err:?}"
    );
    testkit::assert_unknown_stream(&c, "mailboxes", "users, conversations, ticket_roster").await;
    assert_eq!(c.kind(), "helpscout");
    assert!(server.received_requests().await.unwrap().is_empty());
}
