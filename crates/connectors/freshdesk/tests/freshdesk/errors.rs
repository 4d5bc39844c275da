//! Pages that cannot be read are errors: never a panic, never a shortened stream.

use crate::common::*;
use deskpulse_connector::testkit::{assert_refuses_checkpoints, assert_unknown_stream};
use deskpulse_connector::{Checkpoint, Connector};
use serde_json::{Value, json};
use wiremock::MockServer;

#[tokio::test]
async fn a_ticket_the_model_cannot_take_is_malformed() {
    type Break = fn(&mut Value);
    let cases: [(Break, &str); 2] = [
        (
            |t| drop(t.as_object_mut().unwrap().remove("updated_at")),
            "updated_at",
        ),
        (|t| t["status"] = 1.into(), "unknown ticket status 1"),
    ];
    for (break_it, detail) in cases {
        let server = MockServer::start().await;
        let mut t = ticket(1, T1, T1);
        break_it(&mut t);
        mount_all(&server, EPOCH, 1, json!([t])).await;
        let (_, err) = read(&connector(&server), "tickets", None).await;
        assert_malformed(&err, TICKETS, detail);
    }
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
    assert_malformed(&err, TICKETS, "out of `updated_at` order");
}

#[tokio::test]
async fn a_conversation_of_another_ticket_is_malformed() {
    let server = MockServer::start().await;
    mount_all(&server, EPOCH, 1, json!([ticket(1, T1, T1)])).await;
    mount_conversations(&server, 1, json!([reply(5, 9, T1)])).await;
    let (_, err) = read(&connector(&server), "tickets", None).await;
    assert_malformed(&err, "/api/v2/tickets/1/conversations", "ticket 9");
}

#[tokio::test]
async fn a_foreign_checkpoint_says_how_to_start_over() {
    let server = MockServer::start().await;
    let c = connector(&server);
    let foreign = json!({"cursor": "abc"});
    let streams = ["tickets", "satisfaction_ratings", "agents"];
    assert_refuses_checkpoints(&c, &streams.map(|s| (s, foreign.clone()))).await;
    let (_, err) = read(
        &c,
        "tickets",
        Some(Checkpoint::new(
            json!({"pass": "all", "since": EPOCH, "updated_since": EPOCH, "page": 0, "bookmark": EPOCH}),
        )),
    )
    .await;
    assert_malformed(&err, "the checkpoint of stream `tickets`", "page 0");
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was requested"
    );
}

#[tokio::test]
async fn an_unknown_stream_names_the_known_ones() {
    let server = MockServer::start().await;
    let c = connector(&server);
    assert_unknown_stream(&c, "ticket_events", "agents, tickets, satisfaction_ratings").await;
    assert_eq!(c.kind(), "freshdesk");
}
