//! Pages that cannot be followed are errors, never panics or silently shortened streams;
//! the batches before them stay valid.

use crate::common::*;
use crate::tickets::page;
use deskpulse_connector::testkit;
use deskpulse_connector::{Checkpoint, Connector, ConnectorError};
use serde_json::json;
use wiremock::MockServer;

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

#[tokio::test]
async fn unusable_checkpoint_and_unknown_stream() {
    let server = MockServer::start().await;
    let c = connector(&server);
    // A checkpoint of another layout (a page number, the cursor exports' cursor on the
    // time-based export) is refused with the `--full` hint, before any request.
    for (stream, stored) in [
        ("tickets", json!({"page": 3})),
        ("ticket_events", json!({"cursor": "x"})),
    ] {
        let (batches, err) = read(&c, stream, Some(Checkpoint::new(stored))).await;
        assert!(batches.is_empty(), "{stream}");
        assert!(
            matches!(&err, Some(ConnectorError::Malformed { detail, .. }) if detail.contains("--full")),
            "{stream}: {err:?}"
        );
    }
    let (_, err) = read(&c, "organizations", None).await;
    assert!(
        matches!(&err, Some(ConnectorError::UnknownStream { known, .. }) if known == "users, tickets, ticket_events, satisfaction_ratings"),
        "{err:?}"
    );
    assert_eq!(c.kind(), "zendesk");
}
