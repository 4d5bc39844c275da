//! Checkpoints stored by the connector before its port onto the SDK's paginators, literally
//! as that version wrote them (`{"after", "upper", "cursor"}` mid-pass, `{"bookmark"}` after
//! a pass, `{"cursor"}` / `{"complete": true}` for users), still resume, and read back into
//! the same JSON; and a record dated in the future never becomes a bookmark.

use crate::common::*;
use crate::tickets::{EP, page, ticket_feed};
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::{Checkpoint, CheckpointExt, Clock, testkit};
use deskpulse_connector_gorgias::{FeedCheckpoint, UsersCheckpoint};
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer};

/// Parses as the typed checkpoint and writes back exactly as stored.
fn round_trips<T: serde::Serialize + serde::de::DeserializeOwned>(stream: &str, stored: &Value) {
    let cp = Checkpoint::new(stored.clone());
    let typed: T = cp.parse_for(stream).unwrap();
    assert_eq!(Checkpoint::of(&typed).value(), stored, "{stream}");
}

#[tokio::test]
async fn feed_checkpoints_of_the_previous_version_resume() {
    let (_server, c) = ticket_feed().await;

    // Mid-pass of a first sync without a start date: the last page is left.
    let mid = json!({"after": null, "upper": "2026-11-20T12:00:00.000001Z", "cursor": "c2"});
    round_trips::<FeedCheckpoint>("tickets", &mid);
    let batches = read_ok(&c, "tickets", Some(Checkpoint::new(mid))).await;
    assert_eq!(ticket_ids(&batches), ["101"]);
    assert_eq!(
        checkpoints(&batches),
        [json!({"bookmark": "2026-11-20T12:00:00.000001Z"})]
    );

    // Mid-pass of a sync bounded by `start_date = 2026-11-20`: ticket 101 is older.
    let bounded = json!({
        "after": "2026-11-19T23:59:59.999999Z",
        "upper": "2026-11-20T12:00:00.000001Z",
        "cursor": "WyJuZXh0IiwgMjksIDkyOV0="
    });
    round_trips::<FeedCheckpoint>("tickets", &bounded);
    let batches = read_ok(&c, "tickets", Some(Checkpoint::new(bounded))).await;
    assert_eq!(ticket_ids(&batches), ["103", "102"]);

    // After a pass that found nothing and had no bound: a whole pass.
    let empty = json!({"bookmark": null});
    round_trips::<FeedCheckpoint>("tickets", &empty);
    let batches = read_ok(&c, "tickets", Some(Checkpoint::new(empty))).await;
    assert_eq!(ticket_ids(&batches), ["105", "104", "103", "102", "101"]);

    // After a pass: the bookmark (the overlap re-reads ticket 105).
    let done = json!({"bookmark": "2026-11-20T12:00:00.000001Z"});
    round_trips::<FeedCheckpoint>("tickets", &done);
    let batches = read_ok(&c, "tickets", Some(Checkpoint::new(done.clone()))).await;
    assert_eq!(ticket_ids(&batches), ["105"]);
    assert_eq!(checkpoints(&batches), [done]);
}

#[tokio::test]
async fn users_checkpoints_of_the_previous_version_resume() {
    let server = MockServer::start().await;
    let p1 = json!([user(7, "Steve", "admin")]);
    let p2 = json!([user(10, "Gorgias Bot", "bot")]);
    mount_pages(
        &server,
        "/api/users",
        &[],
        vec![(p1, Some("u1")), (p2, None)],
    )
    .await;
    let c = connector(&server);
    let mid = json!({"cursor": "u1"});
    round_trips::<UsersCheckpoint>("users", &mid);
    let batches = read_ok(&c, "users", Some(Checkpoint::new(mid))).await;
    assert_eq!(keys(&records(&batches)), ["agent:10"]);
    let complete = json!({"complete": true});
    round_trips::<UsersCheckpoint>("users", &complete);
    assert_eq!(checkpoints(&batches), std::slice::from_ref(&complete));
    let batches = read_ok(&c, "users", Some(Checkpoint::new(complete))).await;
    assert_eq!(keys(&records(&batches)), ["agent:7", "agent:10"]);
}

#[tokio::test]
async fn a_ticket_updated_in_the_future_never_becomes_the_bookmark() {
    let server = MockServer::start().await;
    // A ticket last updated the next day, by the clock of this machine.
    Mock::given(path(EP))
        .respond_with(page(
            json!([
                ticket(106, "open", "2026-11-20T08:00:00", "2026-11-21T09:00:00"),
                ticket(105, "open", "2026-11-20T08:00:00", "2026-11-20T12:00:00")
            ]),
            None,
        ))
        .mount(&server)
        .await;
    let c = connector(&server).with_clock(Clock::fixed(at("2026-11-20T12:30:00Z")));
    let (batches, err) = read(&c, "tickets", None).await;
    assert!(batches.is_empty(), "nothing of the page is committed");
    testkit::assert_malformed(&err, EP, "updated_datetime");
    testkit::assert_malformed(&err, EP, "2026-11-21T09:00:00");
    // The same page, read once the clock has passed it, is fine.
    let c = connector(&server).with_clock(Clock::fixed(at("2026-11-21T09:00:00Z")));
    let batches = read_ok(&c, "tickets", None).await;
    assert_eq!(
        checkpoints(&batches),
        [json!({"bookmark": "2026-11-21T09:00:00.000000Z"})]
    );
}
