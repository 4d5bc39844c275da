//! Pages that cannot be read are errors: never a panic, never a shortened stream.

use crate::common::*;
use crate::tickets::{T1, T2, T3, mount_all};
use deskpulse_connector::{Checkpoint, Connector, ConnectorError};
use serde_json::json;
use wiremock::MockServer;

fn assert_malformed(err: Option<ConnectorError>, endpoint_part: &str, detail_part: &str) {
    match err {
        Some(ConnectorError::Malformed { endpoint, detail }) => {
            assert!(endpoint.contains(endpoint_part), "{endpoint}");
            assert!(detail.contains(detail_part), "{detail}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_ticket_without_updated_at_is_malformed() {
    let server = MockServer::start().await;
    let mut t = ticket(1, T1, T1);
    t.as_object_mut().unwrap().remove("updated_at");
    mount_all(&server, EPOCH, 1, json!([t])).await;
    let (_, err) = read(&connector(&server), "tickets", None).await;
    assert_malformed(err, TICKETS, "updated_at");
}

#[tokio::test]
async fn an_unknown_status_is_malformed() {
    let server = MockServer::start().await;
    let mut t = ticket(1, T1, T1);
    t["status"] = 1.into();
    mount_all(&server, EPOCH, 1, json!([t])).await;
    let (_, err) = read(&connector(&server), "tickets", None).await;
    assert_malformed(err, TICKETS, "unknown ticket status 1");
}

#[tokio::test]
async fn tickets_out_of_updated_at_order_are_malformed() {
    let server = MockServer::start().await;
    mount_all(
        &server,
        EPOCH,
        1,
        json!([ticket(1, T1, T3), ticket(2, T1, T2)]),
    )
    .await;
    let (batches, err) = read(&connector(&server), "tickets", None).await;
    assert!(batches.is_empty());
    assert_malformed(err, TICKETS, "out of `updated_at` order");
}

#[tokio::test]
async fn a_conversation_of_another_ticket_is_malformed() {
    let server = MockServer::start().await;
    mount_all(&server, EPOCH, 1, json!([ticket(1, T1, T1)])).await;
    mount_conversations(&server, 1, json!([reply(5, 9, T1)])).await;
    let (_, err) = read(&connector(&server), "tickets", None).await;
    assert_malformed(err, "/api/v2/tickets/1/conversations", "ticket 9");
}

#[tokio::test]
async fn a_foreign_checkpoint_says_how_to_start_over() {
    let server = MockServer::start().await;
    let c = connector(&server);
    for stream in ["tickets", "satisfaction_ratings", "agents"] {
        let (_, err) = read(&c, stream, Some(Checkpoint::new(json!({"cursor": "abc"})))).await;
        assert_malformed(err, "checkpoint", "--full");
    }
    let (_, err) = read(
        &c,
        "tickets",
        Some(Checkpoint::new(
            json!({"pass": "all", "since": EPOCH, "updated_since": EPOCH, "page": 0, "bookmark": EPOCH}),
        )),
    )
    .await;
    assert_malformed(err, "checkpoint", "page 0");
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was requested"
    );
}

#[tokio::test]
async fn an_unknown_stream_names_the_known_ones() {
    let server = MockServer::start().await;
    let c = connector(&server);
    let (_, err) = read(&c, "ticket_events", None).await;
    match err {
        Some(ConnectorError::UnknownStream { stream, known }) => {
            assert_eq!(stream, "ticket_events");
            assert_eq!(known, "agents, tickets, satisfaction_ratings");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.kind(), "freshdesk");
}
