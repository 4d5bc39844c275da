//! Where the streams stand: checkpoints stored by the previous version of the connector
//! resume, Freshdesk's 300-page cap on one list query, and time bookmarks that cannot be
//! in the future. Payloads are the recorded ones (Airbyte's sandbox records; licence note in
//! `tests/fixtures/airbyte-integration/LICENSE.md`) with new ids and times.

use crate::common::*;
use crate::ratings::mount_page;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::{Checkpoint, Clock};
use deskpulse_connector_freshdesk::FreshdeskConnector;
use serde_json::json;
use wiremock::MockServer;

/// A checkpoint as the stores hold it: the JSON text the previous version wrote.
fn stored(text: &str) -> Option<Checkpoint> {
    Some(Checkpoint::new(serde_json::from_str(text).unwrap()))
}

#[tokio::test]
async fn checkpoints_written_by_the_previous_version_resume() {
    let server = MockServer::start().await;
    // tickets: in the spam pass, with the default pass's bookmark.
    let mut spam = ticket(7, T1, T2);
    spam["spam"] = true.into();
    mount_filter(&server, "spam", EPOCH, 1, json!([spam])).await;
    mount_filter(&server, "deleted", EPOCH, 1, json!([])).await;
    // satisfaction ratings: page 2 of the first window.
    mount_page(&server, EPOCH, 2, json!([rating(3, T2, 100)])).await;
    // agents: page 2.
    let agent = airbyte("agents").remove(0);
    crate::agents::mount_page(&server, 2, json!([agent])).await;
    let c = connector(&server);

    let tickets = read_ok(
        &c,
        "tickets",
        stored(
            r#"{"pass":"spam","since":"1970-01-01T00:00:00Z","updated_since":"1970-01-01T00:00:00Z","page":1,"bookmark":"2026-11-04T10:00:00Z"}"#,
        ),
    )
    .await;
    assert_eq!(
        keys(&tickets),
        vec![
            "message:description-7",
            "customer:67032849498",
            "ticket:7",
            "vendor_metrics:7"
        ]
    );
    assert_eq!(
        checkpoints(&tickets).last().unwrap(),
        &json!({"pass": "all", "since": T3, "updated_since": T3, "page": 1, "bookmark": T3})
    );

    let ratings = read_ok(
        &c,
        "satisfaction_ratings",
        stored(r#"{"created_since":"1970-01-01T00:00:00Z","page":2,"bookmark":"2026-11-20T10:00:00Z"}"#),
    )
    .await;
    assert_eq!(keys(&ratings), vec!["rating:3"]);
    assert_eq!(
        checkpoints(&ratings),
        vec![
            json!({"created_since": "2026-11-06T10:00:00Z", "page": 1, "bookmark": "2026-11-20T10:00:00Z"})
        ]
    );

    let agents = read_ok(&c, "agents", stored(r#"{"page":2}"#)).await;
    assert_eq!(keys(&agents), vec!["agent:67013469930"]);
    assert_eq!(checkpoints(&agents), vec![json!({"page": 1})]);
}

#[tokio::test]
async fn at_the_300_page_cap_the_ratings_start_a_new_window_from_the_newest_read() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        EPOCH,
        300,
        json!([rating(1, T1, 103), rating(2, T2, 103)]),
    )
    .await;
    mount_page(&server, T2, 1, json!([rating(2, T2, 103)])).await;
    let batches = read_ok(
        &connector(&server),
        "satisfaction_ratings",
        stored(r#"{"created_since":"1970-01-01T00:00:00Z","page":300,"bookmark":"1970-01-01T00:00:00Z"}"#),
    )
    .await;
    assert_eq!(keys(&batches), vec!["rating:1", "rating:2", "rating:2"]);
    assert_eq!(
        checkpoints(&batches)[0],
        json!({"created_since": T2, "page": 1, "bookmark": T2})
    );
}

#[tokio::test]
async fn a_300th_full_page_of_ratings_without_a_newer_one_is_malformed() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        T2,
        300,
        json!([rating(1, T2, 103), rating(2, T2, 103)]),
    )
    .await;
    let (batches, err) = read(
        &connector(&server),
        "satisfaction_ratings",
        stored(r#"{"created_since":"2026-11-03T10:00:00Z","page":300,"bookmark":"2026-11-03T10:00:00Z"}"#),
    )
    .await;
    assert!(batches.is_empty(), "nothing past the last good page");
    assert_malformed(&err, RATINGS, "300 pages");
}

#[tokio::test]
async fn more_than_300_full_pages_of_one_updated_at_are_malformed() {
    let server = MockServer::start().await;
    mount_all(
        &server,
        T1,
        300,
        json!([ticket(1, T1, T1), ticket(2, T1, T1)]),
    )
    .await;
    mount_no_conversations(&server).await;
    let (batches, err) = read(
        &connector(&server),
        "tickets",
        stored(&format!(
            r#"{{"pass":"all","since":"{EPOCH}","updated_since":"{T1}","page":300,"bookmark":"{T1}"}}"#
        )),
    )
    .await;
    assert!(batches.is_empty());
    assert_malformed(
        &err,
        TICKETS,
        "more than 600 tickets share `updated_at` 2026-11-02T10:00:00Z",
    );
}

#[tokio::test]
async fn the_spam_pass_at_the_300_page_cap_goes_on_to_the_deleted_pass() {
    let server = MockServer::start().await;
    let mut spam = [ticket(7, T1, T1), ticket(9, T1, T2)];
    for t in &mut spam {
        t["spam"] = true.into();
    }
    mount_filter(&server, "spam", EPOCH, 300, json!(spam)).await;
    mount_filter(&server, "deleted", EPOCH, 1, json!([ticket(8, T1, T1)])).await;
    let batches = read_ok(
        &connector(&server),
        "tickets",
        stored(&format!(
            r#"{{"pass":"spam","since":"{EPOCH}","updated_since":"{EPOCH}","page":300,"bookmark":"{T3}"}}"#
        )),
    )
    .await;
    assert_eq!(
        checkpoints(&batches)[0],
        json!({"pass": "deleted", "since": EPOCH, "updated_since": EPOCH, "page": 1, "bookmark": T3})
    );
    assert!(records(&batches).iter().any(|r| r.key() == "ticket:8"));
}

/// The connector with its clock at `now`.
fn connector_at(server: &MockServer, now: &str) -> FreshdeskConnector {
    connector(server).with_clock(Clock::fixed(at(now)))
}

#[tokio::test]
async fn a_ticket_updated_in_the_future_never_becomes_the_bookmark() {
    let server = MockServer::start().await;
    let now = "2026-11-05T10:00:00Z";
    // A server clock five minutes ahead is within the tolerance; a day ahead is not.
    mount_all(
        &server,
        EPOCH,
        1,
        json!([
            ticket(1, T1, "2026-11-05T10:05:00Z"),
            ticket(2, T1, "2026-11-06T10:00:00Z")
        ]),
    )
    .await;
    mount_no_conversations(&server).await;
    let (batches, err) = read(&connector_at(&server, now), "tickets", None).await;
    assert!(
        batches.is_empty(),
        "no checkpoint in the future is committed"
    );
    assert_malformed(&err, TICKETS, "`updated_at` 2026-11-06T10:00:00+00:00");

    let server = MockServer::start().await;
    mount_all(
        &server,
        EPOCH,
        1,
        json!([ticket(1, T1, "2026-11-05T10:05:00Z")]),
    )
    .await;
    mount_quiet_passes(&server, EPOCH).await;
    let batches = read_ok(&connector_at(&server, now), "tickets", None).await;
    assert_eq!(
        batches.last().unwrap().checkpoint.value()["bookmark"],
        json!("2026-11-05T10:05:00Z")
    );
}

#[tokio::test]
async fn a_rating_created_in_the_future_never_becomes_the_bookmark() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        EPOCH,
        1,
        json!([rating(1, T1, 103), rating(2, "2026-12-01T00:00:00Z", 103)]),
    )
    .await;
    let (batches, err) = read(
        &connector_at(&server, "2026-11-05T10:00:00Z"),
        "satisfaction_ratings",
        None,
    )
    .await;
    assert!(batches.is_empty());
    assert_malformed(&err, RATINGS, "`created_at` 2026-12-01T00:00:00+00:00");
}
