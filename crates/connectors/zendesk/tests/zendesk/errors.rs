//! Pages that cannot be followed are errors, never panics or silently shortened streams;
//! the batches before them stay valid.

use crate::common::*;
use crate::tickets::{EP, page};
use deskpulse_connector::testkit;
use deskpulse_connector::{Checkpoint, Connector, ConnectorError};
use serde_json::json;
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn first_page_then(server: &MockServer, second: ResponseTemplate) {
    Mock::given(path(EP))
        .and(query_param("start_time", "0"))
        .respond_with(page(json!([]), "c1", false))
        .mount(server)
        .await;
    Mock::given(path(EP))
        .and(query_param("cursor", "c1"))
        .respond_with(second)
        .mount(server)
        .await;
}

async fn expect_malformed(second: ResponseTemplate, needle: &str) {
    let server = MockServer::start().await;
    first_page_then(&server, second).await;
    let (batches, err) = read(&connector(&server), "tickets", None).await;
    assert_eq!(batches.len(), 1, "the good page before the bad one is kept");
    testkit::assert_malformed(&err, EP, needle);
}

#[tokio::test]
async fn missing_end_of_stream() {
    expect_malformed(
        ResponseTemplate::new(200).set_body_json(json!({"tickets": [], "after_cursor": "c2"})),
        "end_of_stream",
    )
    .await;
}

#[tokio::test]
async fn unknown_status() {
    let t = json!([{"id": 1, "status": "archived", "created_at": "2024-01-01T00:00:00Z",
                    "updated_at": "2024-01-01T00:00:00Z", "via": {"channel": "web"}, "tags": []}]);
    expect_malformed(page(t, "c2", true), "archived").await;
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
