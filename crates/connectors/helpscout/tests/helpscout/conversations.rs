//! The conversations export: paging, restarts, resumes, and the mapping of conversations and
//! their threads onto tickets, messages, status changes, customers and ratings.

use crate::common::*;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Record;
use deskpulse_model::{AuthorKind, Channel, RatingScale, TicketStatus};
use serde_json::{Value, json};
use wiremock::MockServer;

/// Three requests: page 1 of everything; a restart at the newest time read, whose page does
/// not move past it (so the next page of that query follows); and that next page, the last.
async fn mount_three_pages(server: &MockServer) {
    mount_token(server).await;
    mount_no_spam(server).await;
    export(None, 1)
        .respond_with(conv_page(
            vec![
                simple(1, "2026-11-10T10:00:00Z"),
                simple(2, "2026-11-10T10:05:00Z"),
            ],
            1,
            3,
            5,
        ))
        .expect(1..)
        .mount(server)
        .await;
    export(Some("2026-11-10T10:05:00Z"), 1)
        .respond_with(conv_page(
            vec![
                simple(2, "2026-11-10T10:05:00Z"),
                simple(3, "2026-11-10T10:05:00Z"),
            ],
            1,
            2,
            3,
        ))
        .mount(server)
        .await;
    export(Some("2026-11-10T10:05:00Z"), 2)
        .respond_with(conv_page(vec![simple(4, "2026-11-10T10:20:00Z")], 2, 2, 3))
        .mount(server)
        .await;
    // The next sync starts `lookback_minutes` (10) before the bookmark: nothing new there.
    export(Some("2026-11-10T10:10:00Z"), 1)
        .respond_with(empty_page())
        .mount(server)
        .await;
}

#[tokio::test]
async fn pages_restart_and_resume_exactly() {
    let server = MockServer::start().await;
    mount_three_pages(&server).await;
    let c = connector(&server);
    let batches = read_ok(&c, "conversations", None).await;
    // Three pages of `status=all`, then the `status=spam` pass (empty) from where it started.
    assert_eq!(batches.len(), 4);
    let tickets: Vec<String> = records(&batches)
        .iter()
        .filter_map(Record::as_ticket)
        .map(|t| t.external_id.clone())
        .collect();
    // Conversation 2 is read twice (the restart is inclusive); storage upserts it.
    assert_eq!(tickets, ["1", "2", "2", "3", "4"]);
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"modified_since": "2026-11-10T10:05:00Z", "page": 1, "bookmark": "2026-11-10T10:05:00Z", "sync_since": null}),
            json!({"modified_since": "2026-11-10T10:05:00Z", "page": 2, "bookmark": "2026-11-10T10:05:00Z", "sync_since": null}),
            json!({"modified_since": null, "page": 1, "bookmark": "2026-11-10T10:20:00Z", "sync_since": null, "status": "spam"}),
            json!({"modified_since": "2026-11-10T10:20:00Z"}),
        ]
    );
    assert_resumes_exactly(&c, "conversations", &batches).await;
    // Every request was one of the mocked ones (each matches the full query, which the
    // `_links` on the production host lack): the links were never followed.
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| !r.url.as_str().contains("api.helpscout.net"))
    );
    assert!(requests.iter().all(|r| {
        r.url.path() == TOKEN_PATH
            || r.url
                .query()
                .is_some_and(|q| q.contains("sortField=modifiedAt"))
    }));
}

#[tokio::test]
async fn start_date_is_the_first_modified_since() {
    let server = token_server().await;
    export(Some("2026-11-01T00:00:00Z"), 1)
        .respond_with(empty_page())
        .expect(1)
        .mount(&server)
        .await;
    // The spam pass starts where the sync's `status=all` pass started.
    export_status("spam", Some("2026-11-01T00:00:00Z"), 1)
        .respond_with(empty_page())
        .expect(1)
        .mount(&server)
        .await;
    let s = deskpulse_connector_helpscout::HelpScoutSettings {
        start_date: Some(serde_json::from_value(json!("2026-11-01")).unwrap()),
        ..settings(&server)
    };
    let c = deskpulse_connector_helpscout::HelpScoutConnector::new(s)
        .unwrap()
        .with_retry_policy(fast_retry());
    let batches = read_ok(&c, "conversations", None).await;
    assert_eq!(batches.len(), 2);
    assert!(records(&batches).is_empty());
    // Nothing read: the bookmark stays where the sync started.
    assert_eq!(
        batches[1].checkpoint.value(),
        &json!({"modified_since": "2026-11-01T00:00:00Z"})
    );
}

/// Help Scout lists `spam` as a status of its own beside `all`, and does not say that
/// `all` includes it: a conversation marked spam after a sync read it as active is found
/// by the spam pass, from the same `modifiedSince`, and leaves the KPIs.
#[tokio::test]
async fn a_conversation_marked_spam_later_is_read_by_the_spam_pass() {
    let server = token_server().await;
    let at = "2026-11-10T10:00:00Z";
    export(Some("2026-11-10T09:50:00Z"), 1)
        .respond_with(empty_page())
        .mount(&server)
        .await;
    let marked = conversation(
        5,
        "spam",
        at,
        vec![
            thread(51, "customer", ("customer", 705), "active", at),
            thread(52, "lineitem", ("user", 6), "spam", "2026-11-10T10:30:00Z"),
        ],
    );
    export_status("spam", Some("2026-11-10T09:50:00Z"), 1)
        .respond_with(conv_page(vec![marked], 1, 1, 1))
        .mount(&server)
        .await;
    let from = deskpulse_connector::Checkpoint::new(json!({"modified_since": at}));
    let batches = read_ok(&connector(&server), "conversations", Some(from)).await;
    let recs = records(&batches);
    let tk = recs[0].as_ticket().unwrap();
    assert_eq!(tk.status, TicketStatus::Spam);
    use TicketStatus::*;
    assert_eq!(
        history(&recs, "5"),
        [
            ("51".to_owned(), None, Open, AuthorKind::Customer),
            ("52".to_owned(), Some(Open), Spam, AuthorKind::Agent),
        ]
    );
    assert_eq!(
        batches.last().unwrap().checkpoint.value(),
        &json!({"modified_since": "2026-11-10T10:30:00Z"})
    );
}

#[tokio::test]
async fn the_sdk_payload_maps() {
    let page = fixture("conversations_embed_threads.json");
    let recs = read_export(wiremock::ResponseTemplate::new(200).set_body_json(page)).await;
    assert_eq!(
        recs.iter().map(Record::key).collect::<Vec<_>>(),
        [
            "ticket:1",
            "customer:238604",
            "message:1",
            "status_history:1"
        ]
    );
    let tk = recs[0].as_ticket().unwrap();
    assert_eq!(tk.status, TicketStatus::Solved);
    assert_eq!(tk.channel, Channel::Email);
    assert_eq!(tk.created_at, t("2017-04-21T14:39:56Z"));
    assert_eq!(tk.updated_at, t("2017-04-21T14:43:24Z"));
    assert_eq!(tk.final_solved_at, Some(t("2017-04-21T14:43:24Z")));
    assert_eq!(tk.requester_id.as_deref(), Some("238604"));
    assert_eq!(tk.assignee_id.as_deref(), Some("256"));
    assert_eq!(tk.group_id.as_deref(), Some("85"));
    assert_eq!(tk.tags, ["vip"]);
    assert_eq!(tk.opened_by_agent, None);
    let cu = recs[1].as_customer().unwrap();
    assert_eq!(cu.email, None);
    // A `customer` thread is the customer's, although an agent entered it.
    let m = recs[2].as_message().unwrap();
    assert_eq!(m.author_kind, AuthorKind::Customer);
    assert!(m.public);
    assert_eq!(m.created_at, t("2017-04-21T14:39:56Z"));
    // One history holds every change: the thread's, then the close no line item recorded,
    // from `closedAt`/`closedBy` (no `closedByUser` in the SDK's payload: the id alone).
    use TicketStatus::*;
    assert_eq!(
        history(&recs, "1"),
        [
            ("1".to_owned(), None, Open, AuthorKind::Customer),
            (
                "1-closed-1492785804".to_owned(),
                Some(Open),
                Solved,
                AuthorKind::Unknown
            ),
        ]
    );
    let h = recs.last().and_then(Record::as_status_history).unwrap();
    assert_eq!(h.changes[1].at, t("2017-04-21T14:43:24Z"));
    assert_eq!(h.changes[1].author_id.as_deref(), Some("17"));
}

fn with(mut c: Value, edits: Value) -> Value {
    for (k, v) in edits.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn th(id: i64, kind: &str, by: (&str, i64), status: &str, at: &str, extra: Value) -> Value {
    with(thread(id, kind, by, status, at), extra)
}

#[tokio::test]
async fn statuses_authors_channels_and_ratings_map() {
    let d = "2026-11-10T";
    let at = |hm: &str| format!("{d}{hm}:00Z");
    let convs = vec![
        // Answered with a rated reply, then an internal note.
        with(
            conversation(
                10,
                "closed",
                &at("09:00"),
                vec![
                    th(
                        101,
                        "customer",
                        ("customer", 710),
                        "active",
                        &at("09:00"),
                        json!({}),
                    ),
                    th(
                        102,
                        "message",
                        ("user", 5),
                        "closed",
                        &at("09:30"),
                        json!({"rating": {"customerId": 710, "rating": "great", "comments": "Thanks!"}}),
                    ),
                    th(
                        103,
                        "note",
                        ("user", 5),
                        "nochange",
                        &at("09:31"),
                        json!({}),
                    ),
                ],
            ),
            json!({"closedBy": 5, "closedAt": at("09:30")}),
        ),
        conversation(
            11,
            "spam",
            &at("09:01"),
            vec![th(
                111,
                "customer",
                ("customer", 711),
                "spam",
                &at("09:01"),
                json!({}),
            )],
        ),
        with(
            conversation(12, "closed", &at("09:02"), vec![]),
            json!({"state": "deleted"}),
        ),
        with(
            conversation(13, "active", &at("09:03"), vec![]),
            json!({"state": "draft"}),
        ),
        // A chat closed by a line item.
        with(
            conversation(
                14,
                "closed",
                &at("09:04"),
                vec![
                    th(
                        141,
                        "chat",
                        ("customer", 714),
                        "active",
                        &at("09:04"),
                        json!({}),
                    ),
                    th(
                        142,
                        "chat",
                        ("user", 6),
                        "nochange",
                        &at("09:05"),
                        json!({}),
                    ),
                    th(
                        143,
                        "lineitem",
                        ("user", 6),
                        "closed",
                        &at("09:06"),
                        json!({"action": {"type": "changed-ticket-status", "text": "Marked as closed"}}),
                    ),
                ],
            ),
            json!({"type": "chat", "source": {"type": "chat", "via": "customer"}, "closedAt": at("09:06")}),
        ),
        // An outbound phone call logged by an agent.
        with(
            conversation(
                15,
                "pending",
                &at("09:07"),
                vec![th(
                    151,
                    "phone",
                    ("user", 5),
                    "pending",
                    &at("09:07"),
                    json!({}),
                )],
            ),
            json!({"type": "phone", "source": {"type": "phone", "via": "user"},
                   "createdBy": {"id": 5, "type": "user"}}),
        ),
        // Closed by a workflow's reply, reopened by the customer, closed again by an agent.
        with(
            conversation(
                16,
                "closed",
                &at("09:10"),
                vec![
                    th(
                        161,
                        "customer",
                        ("customer", 716),
                        "active",
                        &at("09:10"),
                        json!({}),
                    ),
                    th(
                        162,
                        "message",
                        ("user", 5),
                        "closed",
                        &at("09:11"),
                        json!({"source": {"type": "workflows", "via": "user"}}),
                    ),
                    th(
                        163,
                        "customer",
                        ("customer", 716),
                        "active",
                        &at("09:20"),
                        json!({}),
                    ),
                    th(
                        164,
                        "message",
                        ("user", 7),
                        "closed",
                        &at("09:40"),
                        json!({"rating": {"customerId": 716, "rating": "not-good", "comments": ""}}),
                    ),
                    th(
                        165,
                        "lineitem",
                        ("user", 5),
                        "nochange",
                        &at("09:41"),
                        json!({"source": {"type": "workflows", "via": "user"},
                          "action": {"type": "automatic-workflow", "text": "Workflow ran"}}),
                    ),
                ],
            ),
            json!({"closedAt": at("09:40")}),
        ),
        // A web form conversation rated "ok", answered by a draft still unsent.
        with(
            conversation(
                17,
                "active",
                &at("09:50"),
                vec![
                    th(
                        171,
                        "customer",
                        ("customer", 717),
                        "active",
                        &at("09:50"),
                        json!({}),
                    ),
                    th(
                        172,
                        "message",
                        ("user", 5),
                        "nochange",
                        &at("09:55"),
                        json!({"rating": {"customerId": 717, "rating": "ok"}}),
                    ),
                    th(
                        173,
                        "message",
                        ("user", 5),
                        "nochange",
                        &at("09:56"),
                        json!({"state": "draft"}),
                    ),
                ],
            ),
            json!({"source": {"type": "web", "via": "customer"}}),
        ),
    ];
    let recs = read_export(conv_page(convs, 1, 1, 8)).await;
    let keys: Vec<String> = recs.iter().map(Record::key).collect();
    // One conversation a line.
    let expected = [
        "ticket:10 customer:710 message:101 message:102 rating:102 message:103 status_history:10",
        "ticket:11 customer:711 message:111 status_history:11",
        "ticket:12 customer:712 status_history:12",
        "ticket:14 customer:714 message:141 message:142 status_history:14",
        "ticket:15 customer:715 message:151 status_history:15",
        "ticket:16 customer:716 message:161 message:162 message:163 message:164 rating:164 status_history:16",
        "ticket:17 customer:717 message:171 message:172 rating:172 status_history:17",
    ];
    assert_eq!(keys.join(" "), expected.join(" "));
    let find = |kind: &str, id: &str| {
        let key = format!("{kind}:{id}");
        &recs[keys.iter().position(|x| *x == key).unwrap()]
    };
    let ticket = |id: &str| find("ticket", id).as_ticket().unwrap();
    let msg = |id: &str| {
        let m = find("message", id).as_message().unwrap();
        (m.author_kind, m.public, m.author_id.clone())
    };
    let change = |id: &str| {
        recs.iter()
            .filter_map(Record::as_status_history)
            .find_map(|h| h.changes.iter().find(|c| c.external_id == id))
            .map(|c| (c.from, c.to, c.author_kind))
            .unwrap_or_else(|| panic!("no change {id}"))
    };
    let rating = |id: &str| find("rating", id).as_rating().unwrap();
    use AuthorKind::*;
    use TicketStatus::*;
    // Statuses.
    let statuses: Vec<_> = ["10", "11", "12", "14", "15", "16", "17"]
        .iter()
        .map(|id| ticket(id).status)
        .collect();
    assert_eq!(
        statuses,
        [Solved, Spam, Deleted, Solved, Pending, Solved, Open]
    );
    // Channels.
    let channels: Vec<_> = ["10", "14", "15", "17"]
        .iter()
        .map(|id| ticket(id).channel)
        .collect();
    assert_eq!(
        channels,
        [Channel::Email, Channel::Chat, Channel::Phone, Channel::Web]
    );
    // Authors and visibility.
    assert_eq!(msg("101"), (Customer, true, Some("710".into())));
    assert_eq!(msg("102"), (Agent, true, Some("5".into())));
    assert_eq!(
        msg("103"),
        (Agent, false, Some("5".into())),
        "a note is internal"
    );
    assert_eq!(msg("141").0, Customer);
    assert_eq!(msg("142"), (Agent, true, Some("6".into())));
    assert_eq!(msg("151"), (Agent, true, Some("5".into())));
    assert_eq!(msg("162").0, Bot, "a reply sent by a workflow");
    // Status history, reopen included: one history per conversation, every change in it.
    assert_eq!(change("102"), (Some(Open), Solved, Agent));
    assert_eq!(change("111"), (None, Spam, Customer));
    assert_eq!(change("143"), (Some(Open), Solved, Agent));
    assert_eq!(change("162"), (Some(Open), Solved, Bot));
    assert_eq!(change("163"), (Some(Solved), Open, Customer));
    assert_eq!(change("164"), (Some(Open), Solved, Agent));
    let hist_ids =
        |id: &str| -> Vec<String> { history(&recs, id).into_iter().map(|c| c.0).collect() };
    assert_eq!(hist_ids("10"), ["101", "102"]);
    assert_eq!(hist_ids("14"), ["141", "143"]);
    assert_eq!(hist_ids("16"), ["161", "162", "163", "164"]);
    assert_eq!(hist_ids("17"), ["171"]);
    // A deleted conversation with no thread has an empty history (which clears any stored).
    assert!(hist_ids("12").is_empty());
    // Ratings: great / not-good / ok on 1–5, by the rated reply's author.
    let r = rating("102");
    assert_eq!(
        (
            r.score,
            r.scale,
            r.agent_id.as_deref(),
            r.comment.as_deref()
        ),
        (5.0, RatingScale::ONE_TO_FIVE, Some("5"), Some("Thanks!"))
    );
    assert_eq!(r.ticket_id.as_deref(), Some("10"));
    assert_eq!(r.created_at, t("2026-11-10T09:30:00Z"));
    let r = rating("164");
    assert_eq!(
        (r.score, r.agent_id.as_deref(), r.comment.as_deref()),
        (1.0, Some("7"), None)
    );
    assert_eq!(rating("172").score, 3.0);
    // Outbound only where the conversation has no threads to tell.
    assert_eq!(ticket("15").opened_by_agent, None);
    assert_eq!(ticket("12").opened_by_agent, Some(false));
    // Customers: id and e-mail only (storage hashes the address).
    let cu = find("customer", "710").as_customer().unwrap();
    assert_eq!(cu.email.as_deref(), Some("c10@acme.com"));
    // No field of the model holds a body, subject or name: nothing of them can leak.
    let dump = format!("{recs:?}");
    for needle in ["Need Help", "Vernon", "Sprout", "hard time"] {
        assert!(!dump.contains(needle), "{needle} reached a record");
    }
}

/// A mid-export checkpoint written before the spam pass existed (no `sync_since`) resumes
/// its page, and the spam pass then starts from that checkpoint's `modifiedSince`.
#[tokio::test]
async fn a_checkpoint_from_before_the_spam_pass_still_resumes() {
    let server = token_server().await;
    export(Some("2026-11-10T10:05:00Z"), 2)
        .respond_with(conv_page(vec![simple(4, "2026-11-10T10:20:00Z")], 2, 2, 3))
        .expect(1)
        .mount(&server)
        .await;
    export_status("spam", Some("2026-11-10T10:05:00Z"), 1)
        .respond_with(empty_page())
        .expect(1)
        .mount(&server)
        .await;
    let from = deskpulse_connector::Checkpoint::new(json!({
        "modified_since": "2026-11-10T10:05:00Z", "page": 2, "bookmark": "2026-11-10T10:05:00Z"
    }));
    let batches = read_ok(&connector(&server), "conversations", Some(from)).await;
    assert_eq!(
        checkpoints(&batches).last().unwrap(),
        &json!({"modified_since": "2026-11-10T10:20:00Z"})
    );
}
