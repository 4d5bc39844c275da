//! Pages that cannot be followed are errors: never a panic, never a shortened stream.

use crate::common::*;
use deskpulse_connector::testkit::{
    assert_malformed, assert_refuses_checkpoints, assert_unknown_stream,
};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The connector's clock: 2025-11-14T06:00:00Z.
const NOW: i64 = 1_763_100_000;

fn three() -> Vec<serde_json::Value> {
    (1..=3)
        .map(|i| conversation(&i.to_string(), 1000, 2000 + i, "open"))
        .collect()
}

/// One answer of a workspace of three conversations (two search pages) broken: the pages
/// before it stay good, its own page is not committed, and the error says what is wrong.
#[tokio::test]
async fn a_broken_answer_is_malformed_after_the_good_pages() {
    for (case, verb, at_path, body, broken, good_pages, detail) in [
        (
            "a search page without `pages`",
            "POST",
            SEARCH,
            None,
            json!({"type": "conversation.list", "total_count": 0, "conversations": []}),
            0,
            "pages",
        ),
        (
            "a second page that says there is more but gives no cursor",
            "POST",
            SEARCH,
            Some(json!({"pagination": {"starting_after": "Wz0x2"}})),
            json!({
                "type": "conversation.list",
                "pages": {"type": "pages", "page": 2, "per_page": 2, "total_pages": 3, "next": {"per_page": 2}},
                "total_count": 5,
                "conversations": []
            }),
            1,
            "starting_after",
        ),
        (
            "a conversation that does not parse, not skipped",
            "GET",
            "/conversations/2",
            None,
            json!({"type": "conversation", "id": "2", "created_at": "yesterday"}),
            0,
            "yesterday",
        ),
    ] {
        let (server, _) = Fake::serve(three()).await;
        let mut mock = Mock::given(method(verb)).and(path(at_path));
        if let Some(b) = body {
            mock = mock.and(body_partial_json(b));
        }
        mock.respond_with(ResponseTemplate::new(200).set_body_json(broken))
            .with_priority(1)
            .mount(&server)
            .await;
        let (batches, err) = read(&connector(&server), "conversations", None).await;
        assert_eq!(batches.len(), good_pages, "{case}");
        assert_malformed(&err, at_path, detail);
    }
}

#[tokio::test]
async fn an_unknown_state_is_malformed() {
    let (server, _) = Fake::serve(vec![conversation("1", 1000, 2000, "archived")]).await;
    let (_, err) = read(&connector(&server), "conversations", None).await;
    assert_malformed(&err, "/conversations/{id}", "archived");
}

/// A checkpoint of another layout is refused with the `--full` hint: the conversations' one
/// layout, and the roster's two (an untagged enum, so a half of one is no other).
#[tokio::test]
async fn a_foreign_checkpoint_is_an_error() {
    let server = MockServer::start().await;
    let cases = [
        ("conversations", json!({"cursor": "abc"})),
        ("ticket_roster", json!({"updated_at": 5})),
        ("ticket_roster", json!({"sweep_started_at": NOW})),
        (
            "ticket_roster",
            json!({"sweep_started_at": "yesterday", "starting_after": "WzC1|2"}),
        ),
    ];
    assert_refuses_checkpoints(&connector_at(&server, NOW), &cases).await;
}

#[tokio::test]
async fn an_unknown_stream_is_an_error() {
    let server = MockServer::start().await;
    let c = connector(&server);
    assert_unknown_stream(&c, "tickets", "admins, conversations, ticket_roster").await;
}

/// A conversation dated (`updated_at`) a day ahead of the connector's clock would become the
/// bookmark and make every later sync search from the future: the page is Malformed and
/// nothing of it is committed; the pages before it stay good.
#[tokio::test]
async fn a_conversation_updated_in_the_future_is_malformed_not_a_bookmark() {
    let server = MockServer::start().await;
    let mut convs = three();
    convs.push(conversation("4", 1000, NOW + 86_400, "open"));
    Fake::new(convs).mount(&server).await;
    let (batches, err) = read(&connector_at(&server, NOW), "conversations", None).await;
    assert_eq!(batches.len(), 1, "the first page stays good");
    assert_eq!(batches[0].checkpoint.value(), &json!({"updated_at": 2002}));
    assert_malformed(&err, SEARCH, "ahead of this machine's clock");
}

/// Intercom's clock and this machine's disagree by seconds: a conversation updated a minute
/// "ahead" is read, and its `updated_at` is the bookmark.
#[tokio::test]
async fn a_conversation_a_minute_ahead_of_the_clock_is_read() {
    let (server, _) = Fake::serve(vec![conversation("1", 1000, NOW + 60, "open")]).await;
    let batches = read_ok(&connector_at(&server, NOW), "conversations", None).await;
    assert_eq!(ticket_ids(&records(&batches)), ["1"]);
    assert_eq!(
        batches[0].checkpoint.value(),
        &json!({"updated_at": NOW + 60})
    );
}
