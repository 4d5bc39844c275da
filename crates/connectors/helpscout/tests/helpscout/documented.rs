//! Help Scout's documented response examples (`tests/fixtures/helpscout-docs`, see its
//! PROVENANCE.md) through the conversations export, and the status history a later read
//! tells differently, through storage.

use crate::common::*;
use deskpulse_connector::Record;
use deskpulse_model::{AuthorKind, Channel, TicketStatus};
use deskpulse_storage::testing::TestDb;
use serde_json::{Value, json};

async fn read_one(conversation: Value) -> Vec<Record> {
    read_export(conv_page(vec![conversation], 1, 1, 1)).await
}

/// Get Conversation's example (v2), as a list item: the conversation, its primary customer,
/// and the close no thread records, authored by `closedByUser` (`type: user`).
#[tokio::test]
async fn documented_v2_conversation_maps_with_its_closer() {
    let recs = read_one(doc_fixture("get_conversation_v2.json")).await;
    assert_eq!(
        recs.iter().map(Record::key).collect::<Vec<_>>(),
        ["ticket:123", "customer:238604", "status_history:123"]
    );
    let tk = recs[0].as_ticket().unwrap().clone();
    assert_eq!(tk.status, TicketStatus::Solved);
    assert_eq!(tk.channel, Channel::Email);
    assert_eq!(tk.created_at, t("2012-03-15T22:46:22Z"));
    // The latest of its own times: `customerWaitingSince.time` here.
    assert_eq!(tk.updated_at, t("2012-07-24T20:18:33Z"));
    assert_eq!(tk.final_solved_at, Some(t("2012-03-16T14:07:23Z")));
    assert_eq!(
        (tk.group_id.as_deref(), tk.assignee_id.as_deref()),
        (Some("13"), Some("99"))
    );
    assert_eq!(tk.requester_id.as_deref(), Some("238604"));
    assert_eq!(tk.tags, ["vip"]);
    // No threads: `createdBy.type: customer` says it is inbound.
    assert_eq!(tk.opened_by_agent, Some(false));
    let cu = recs[1].as_customer().unwrap();
    assert_eq!(cu.email.as_deref(), Some("rob@acme.com"));
    let closed = t("2012-03-16T14:07:23Z").timestamp();
    assert_eq!(
        history(&recs, "123"),
        [(
            format!("123-closed-{closed}"),
            None,
            TicketStatus::Solved,
            AuthorKind::Agent
        )]
    );
    let h = recs.last().and_then(Record::as_status_history).unwrap();
    assert_eq!(h.changes[0].author_id.as_deref(), Some("14"));
    assert_eq!(h.changes[0].at, t("2012-03-16T14:07:23Z"));
}

/// v3 shapes (Get Conversation v3, List Threads v3) carry `system_user` where v2 says
/// `user`: an AI agent's reply, its close and its opening are a bot's. Its `customer`
/// thread stays the customer's words, whoever entered it.
#[tokio::test]
async fn documented_v3_system_user_reply_and_close_are_a_bots() {
    let mut conv = doc_fixture("get_conversation_v3.json");
    let customer_thread = doc_fixture("thread_v3.json");
    // The same documented thread as the AI agent's reply that closed the conversation
    // (`type: message`, `status: closed`: values the thread enums document).
    let mut reply = doc_fixture("thread_v3.json");
    reply["id"] = json!(1235);
    reply["type"] = json!("message");
    reply["status"] = json!("closed");
    reply["createdAt"] = json!("2015-06-05T20:30:00Z");
    conv["createdAt"] = json!("2015-06-05T20:18:33Z");
    conv["closedAt"] = json!("2015-06-05T20:30:00Z");
    conv["closedByUser"]["type"] = json!("system_user");
    conv["_embedded"] = json!({"threads": [customer_thread, reply]});
    let recs = read_one(conv.clone()).await;
    assert_eq!(
        recs.iter().map(Record::key).collect::<Vec<_>>().join(" "),
        "ticket:123 customer:238604 message:1234 rating:1234 message:1235 rating:1235 status_history:123"
    );
    let msg = |i: usize| {
        let m = recs[i].as_message().unwrap();
        (m.author_kind, m.author_id.clone(), m.public)
    };
    assert_eq!(msg(2), (AuthorKind::Customer, Some("29418".into()), true));
    assert_eq!(msg(4), (AuthorKind::Bot, Some("29418".into()), true));
    let rating = |i: usize| {
        let r = recs[i].as_rating().unwrap();
        (r.score, r.agent_id.clone())
    };
    // The documented thread is rated `great`: on the customer's own thread the rating goes
    // to the assignee; on the AI agent's reply, to the AI agent.
    assert_eq!(rating(3), (5.0, Some("99".into())));
    assert_eq!(rating(5), (5.0, Some("29418".into())));
    use TicketStatus::*;
    assert_eq!(
        history(&recs, "123"),
        [
            ("1234".to_owned(), None, Open, AuthorKind::Customer),
            ("1235".to_owned(), Some(Open), Solved, AuthorKind::Bot),
        ]
    );

    // Without threads, the opener (`createdBy.type: system_user`) makes it outbound and the
    // close from `closedAt` is the AI agent's (`closedByUser.type: system_user`).
    conv.as_object_mut().unwrap().remove("_embedded");
    let recs = read_one(conv).await;
    assert_eq!(
        recs[0].as_ticket().unwrap().clone().opened_by_agent,
        Some(true)
    );
    assert_eq!(history(&recs, "123")[0].3, AuthorKind::Bot);
}

/// Help Scout spells ratings three ways: threads and reports `great`/`ok`/`not-good`, the
/// Ratings endpoint `great`/`okay`/`not_good`/`unknown`. `unknown` is no answer: no rating.
#[tokio::test]
async fn ratings_in_every_documented_spelling_map_and_unknown_is_no_rating() {
    let at = "2026-11-10T09:00:00Z";
    let rated = |id: i64, value: &str| {
        let mut th = thread(id, "message", ("user", 5), "nochange", at);
        th["rating"] = json!({"customerId": 701, "rating": value, "comments": ""});
        th
    };
    // Each spelling on a thread of its own (11, 12, …), and the score it is (none: no rating).
    let spellings = [
        ("great", Some(5.0)),
        ("ok", Some(3.0)),
        ("not-good", Some(1.0)),
        ("okay", Some(3.0)),
        ("not_good", Some(1.0)),
        ("unknown", None),
    ];
    let mut threads = vec![thread(10, "customer", ("customer", 701), "active", at)];
    threads.extend(
        spellings
            .iter()
            .zip(11..)
            .map(|((word, _), id)| rated(id, word)),
    );
    let recs = read_one(conversation(1, "active", at, threads)).await;
    let scores: Vec<(String, f64)> = recs
        .iter()
        .filter_map(Record::as_rating)
        .map(|r| (r.external_id.clone(), r.score))
        .collect();
    let want: Vec<(String, f64)> = (spellings.iter().zip(11..))
        .filter_map(|((_, score), id)| score.map(|s| (id.to_string(), s)))
        .collect();
    assert_eq!(scores, want);
}

/// A read that tells the history differently (first without the line item that closed the
/// conversation, so the close came from `closedAt`; later with it) leaves no stale change in
/// storage: the conversation's history is replaced, not appended to.
#[tokio::test]
async fn a_history_a_later_read_tells_differently_replaces_the_stored_one() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let server = token_server().await;
    mount_no_spam(&server).await;
    let (opened, closed) = ("2026-11-10T09:00:00Z", "2026-11-10T09:30:00Z");
    let mut first = conversation(
        1,
        "closed",
        opened,
        vec![thread(10, "customer", ("customer", 701), "active", opened)],
    );
    first["closedBy"] = json!(5);
    first["closedAt"] = json!(closed);
    first["userUpdatedAt"] = json!(closed);
    let mut later = first.clone();
    let mut line = thread(11, "lineitem", ("user", 5), "closed", closed);
    line["action"] = json!({"type": "changed-ticket-status", "text": "Marked as closed"});
    later["_embedded"]["threads"]
        .as_array_mut()
        .unwrap()
        .push(line);
    serve(&server, export(None, 1), conv_page(vec![first], 1, 1, 1)).await;
    // The next sync: from the bookmark (09:30) minus the 10-minute lookback.
    export(Some("2026-11-10T09:20:00Z"), 1)
        .respond_with(conv_page(vec![later], 1, 1, 1))
        .mount(&server)
        .await;
    let c = connector(&server);
    let changes = || async {
        let tickets = store
            .load_tickets(
                &["hs".into()],
                t("2026-11-01T00:00:00Z"),
                t("2026-12-01T00:00:00Z"),
            )
            .await
            .unwrap();
        let mut ids: Vec<String> = tickets[0]
            .status_changes
            .iter()
            .map(|c| c.external_id.clone())
            .collect();
        ids.sort();
        ids
    };
    let synthetic = format!("1-closed-{}", t(closed).timestamp());
    sync(&c, "hs", "conversations", &store).await;
    assert_eq!(changes().await, [synthetic, "10".to_owned()]);
    sync(&c, "hs", "conversations", &store).await;
    assert_eq!(changes().await, ["10", "11"]);
}
