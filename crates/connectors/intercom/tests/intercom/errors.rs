//! Pages that cannot be followed are errors: never a panic, never a shortened stream.

use crate::common::*;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::{Checkpoint, ConnectorError};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn three() -> Vec<serde_json::Value> {
    (1..=3)
        .map(|i| conversation(&i.to_string(), 1000, 2000 + i, "open"))
        .collect()
}

fn assert_malformed(err: Option<ConnectorError>, needle: &str) {
    match err {
        Some(ConnectorError::Malformed { detail, endpoint }) => assert!(
            detail.contains(needle) || endpoint.contains(needle),
            "{endpoint}: {detail}"
        ),
        other => panic!("expected Malformed ({needle}), got {other:?}"),
    }
}

async fn search_answers(server: &MockServer, body: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(body)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_page_without_pages_is_malformed() {
    let server = MockServer::start().await;
    search_answers(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({
            "type": "conversation.list", "total_count": 0, "conversations": []
        })),
    )
    .await;
    let (batches, err) = read(&connector(&server), "conversations", None).await;
    assert!(batches.is_empty());
    assert_malformed(err, "pages");
}

#[tokio::test]
async fn a_truncated_page_is_retried_then_malformed() {
    let server = MockServer::start().await;
    let full = serde_json::to_string(&json!({
        "type": "conversation.list",
        "pages": {"type": "pages", "page": 1, "per_page": 2, "total_pages": 1},
        "total_count": 0,
        "conversations": []
    }))
    .unwrap();
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(200).set_body_string(&full[..full.len() / 2]))
        .expect(3) // every attempt of the retry policy
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "conversations", None).await;
    assert!(batches.is_empty());
    assert_malformed(err, "JSON");
}

#[tokio::test]
async fn a_truncated_page_that_heals_is_read() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"type\": \"conversation.li"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Fake::new(three()).mount(&server).await;
    let batches = read_ok(&connector(&server), "conversations", None).await;
    assert_eq!(ticket_ids(&records(&batches)), ["1", "2", "3"]);
}

#[tokio::test]
async fn a_next_page_without_cursor_is_malformed_after_the_good_pages() {
    let server = MockServer::start().await;
    Fake::new(three()).mount(&server).await;
    // The second page says there is more but gives no cursor.
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .and(wiremock::matchers::body_partial_json(json!({"pagination": {"starting_after": "Wz0x2"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "conversation.list",
            "pages": {"type": "pages", "page": 2, "per_page": 2, "total_pages": 3, "next": {"per_page": 2}},
            "total_count": 5,
            "conversations": []
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "conversations", None).await;
    assert_eq!(batches.len(), 1, "the first page stays good");
    assert_malformed(err, "starting_after");
}

#[tokio::test]
async fn a_bad_conversation_is_malformed_not_skipped() {
    let server = MockServer::start().await;
    Fake::new(three()).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/conversations/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "conversation", "id": "2", "created_at": "yesterday"
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "conversations", None).await;
    assert!(
        batches.is_empty(),
        "the page with the bad conversation is not committed"
    );
    assert_malformed(err, "/conversations/2");
}

#[tokio::test]
async fn an_unknown_state_is_malformed() {
    let server = MockServer::start().await;
    Fake::new(vec![conversation("1", 1000, 2000, "archived")])
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "conversations", None).await;
    assert_malformed(err, "archived");
}

#[tokio::test]
async fn a_foreign_checkpoint_is_an_error() {
    let server = MockServer::start().await;
    let (_, err) = read(
        &connector(&server),
        "conversations",
        Some(Checkpoint::new(json!({"cursor": "abc"}))),
    )
    .await;
    assert_malformed(err, "--full");
}

#[tokio::test]
async fn an_unknown_stream_is_an_error() {
    let server = MockServer::start().await;
    let (_, err) = read(&connector(&server), "tickets", None).await;
    assert!(
        matches!(&err, Some(ConnectorError::UnknownStream { known, .. }) if known == "admins, conversations, ticket_roster"),
        "{err:?}"
    );
}

/// A conversation dated (`updated_at`) a day ahead of the connector's clock would become the
/// bookmark and make every later sync search from the future: the page is Malformed and
/// nothing of it is committed; the pages before it stay good.
#[tokio::test]
async fn a_conversation_updated_in_the_future_is_malformed_not_a_bookmark() {
    let now = 1_763_100_000;
    let server = MockServer::start().await;
    let mut convs = three();
    convs.push(conversation("4", 1000, now + 86_400, "open"));
    Fake::new(convs).mount(&server).await;
    let c = connector(&server).with_clock(deskpulse_connector_intercom::Clock::fixed(at(now)));
    let (batches, err) = read(&c, "conversations", None).await;
    assert_eq!(batches.len(), 1, "the first page stays good");
    assert_eq!(batches[0].checkpoint.value(), &json!({"updated_at": 2002}));
    assert_malformed(err, "ahead of this machine's clock");
}

/// Intercom's clock and this machine's disagree by seconds: a conversation updated a minute
/// "ahead" is read, and its `updated_at` is the bookmark.
#[tokio::test]
async fn a_conversation_a_minute_ahead_of_the_clock_is_read() {
    let now = 1_763_100_000;
    let server = MockServer::start().await;
    Fake::new(vec![conversation("1", 1000, now + 60, "open")])
        .mount(&server)
        .await;
    let c = connector(&server).with_clock(deskpulse_connector_intercom::Clock::fixed(at(now)));
    let batches = read_ok(&c, "conversations", None).await;
    assert_eq!(ticket_ids(&records(&batches)), ["1"]);
    assert_eq!(
        batches[0].checkpoint.value(),
        &json!({"updated_at": now + 60})
    );
}
