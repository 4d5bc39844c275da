//! Pages that cannot be followed are errors, never panics or silently shortened streams;
//! the batches before them stay valid.

use crate::common::*;
use crate::conversations::export;
use deskpulse_connector::testkit;
use deskpulse_connector::{Checkpoint, Connector, ConnectorError};
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

/// Page 1 (of 3) is fine and ends at 10:00, so the next request restarts there.
async fn first_page_then(server: &MockServer, second: ResponseTemplate) {
    mount_token(server).await;
    let c = conversation(1, "active", "2026-11-10T10:00:00Z", vec![]);
    export(None, 1)
        .respond_with(conv_page(vec![c], 1, 3, 60))
        .mount(server)
        .await;
    export(Some("2026-11-10T10:00:00Z"), 1)
        .respond_with(second)
        .mount(server)
        .await;
}

async fn expect_malformed(second: ResponseTemplate, needle: &str) {
    let server = MockServer::start().await;
    first_page_then(&server, second).await;
    let (batches, err) = read(&connector(&server), "conversations", None).await;
    assert_eq!(batches.len(), 1, "the good page before the bad one is kept");
    testkit::assert_malformed(&err, CONVERSATIONS, needle);
}

#[tokio::test]
async fn no_page_object() {
    expect_malformed(
        ResponseTemplate::new(200).set_body_json(json!({"_embedded": {"conversations": []}})),
        "page",
    )
    .await;
}

#[tokio::test]
async fn a_page_inside_the_range_without_records() {
    // `_embedded` may be absent only on an empty result, not on page 1 of 2.
    expect_malformed(conv_page(vec![], 1, 2, 30), "no records").await;
}

#[tokio::test]
async fn another_page_than_asked() {
    let c = conversation(2, "active", "2026-11-10T10:01:00Z", vec![]);
    expect_malformed(conv_page(vec![c], 3, 3, 60), "asked for page 1").await;
}

#[tokio::test]
async fn unknown_status() {
    let c = conversation(2, "archived", "2026-11-10T10:01:00Z", vec![]);
    expect_malformed(conv_page(vec![c], 1, 2, 30), "archived").await;
}

#[tokio::test]
async fn thread_without_time() {
    let mut th = thread(
        21,
        "customer",
        ("customer", 9),
        "active",
        "2026-11-10T10:01:00Z",
    );
    th.as_object_mut().unwrap().remove("createdAt");
    let c = conversation(2, "active", "2026-11-10T10:01:00Z", vec![th]);
    expect_malformed(conv_page(vec![c], 1, 2, 30), "createdAt").await;
}

#[tokio::test]
async fn conversation_without_id() {
    let mut c = conversation(2, "active", "2026-11-10T10:01:00Z", vec![]);
    c.as_object_mut().unwrap().remove("id");
    expect_malformed(conv_page(vec![c], 1, 2, 30), "id").await;
}

#[tokio::test]
async fn unusable_checkpoints_and_unknown_stream() {
    let server = MockServer::start().await;
    let c = connector(&server);
    for cp in [
        json!({"cursor": "x"}),
        json!({"modified_since": "yesterday"}),
        json!({"modified_since": null, "page": 0}),
        json!({"modified_since": null, "page": 1, "status": "closed"}),
        json!({"modified_since": null, "status": "spam"}),
    ] {
        let (_, err) = read(&c, "conversations", Some(Checkpoint::new(cp.clone()))).await;
        assert!(
            matches!(&err, Some(ConnectorError::Malformed { detail, .. }) if detail.contains("--full")),
            "{cp}: {err:?}"
        );
    }
    let (_, err) = read(&c, "users", Some(Checkpoint::new(json!(3)))).await;
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { .. })),
        "{err:?}"
    );
    let (_, err) = read(&c, "mailboxes", None).await;
    assert!(
        matches!(&err, Some(ConnectorError::UnknownStream { known, .. }) if known == "users, conversations, ticket_roster"),
        "{err:?}"
    );
    assert_eq!(c.kind(), "helpscout");
    assert!(server.received_requests().await.unwrap().is_empty());
}
