//! Statuses, channels, solves, authors, notes and customers, on recorded payloads.

use crate::common::*;
use deskpulse_connector_freshdesk::FreshdeskSettings;
use deskpulse_model::{AuthorKind, Channel, Customer, Message, Record, Ticket, TicketStatus};
use serde_json::{Value, json};
use wiremock::matchers::{path, query_param_is_missing};
use wiremock::{Mock, MockServer};

/// Reads one page of the default list holding `tickets` (and the given conversations).
pub(crate) async fn read_tickets(
    tickets: Vec<Value>,
    conversations: &[(i64, Value)],
) -> Vec<Record> {
    let server = MockServer::start().await;
    let c = connector_of(FreshdeskSettings {
        page_size: Some(100),
        ..settings(&server)
    });
    Mock::given(path(TICKETS))
        .and(query_param_is_missing("filter"))
        .respond_with(json(Value::Array(tickets)))
        .mount(&server)
        .await;
    for filter in ["spam", "deleted"] {
        serve(&server, TICKETS, &[("filter", filter)], json!([])).await;
    }
    for (id, list) in conversations {
        mount_conversations(&server, *id, list.clone()).await;
    }
    mount_no_conversations(&server).await;
    records(&read_ok(&c, "tickets", None).await)
}

#[tokio::test]
async fn python_freshdesk_ticket_maps_every_field() {
    let records = read_tickets(vec![fixture("ticket_1.json")], &[]).await;
    let t = records.iter().find_map(Record::as_ticket).unwrap();
    assert_eq!(
        *t,
        Ticket {
            external_id: "1".into(),
            channel: Channel::Web, // source 2 = Portal
            status: TicketStatus::Open,
            created_at: at("2016-05-18T04:36:04Z"),
            updated_at: at("2016-05-18T23:42:50Z"),
            // `stats.resolved_at` is set but the ticket is open now: no solve.
            first_solved_at: None,
            final_solved_at: None,
            reopens: Some(0),
            opened_by_agent: Some(false),
            requester_id: Some("6012691534".into()),
            assignee_id: Some("6010396333".into()),
            group_id: None,
            tags: vec!["foo".into(), "bar".into()],
            priority: Some("low".into()),
        }
    );
    // The requester: id and e-mail only (storage hashes the e-mail); never the name.
    let customers: Vec<&Record> = records
        .iter()
        .filter(|r| matches!(r, Record::Customer(_)))
        .collect();
    assert_eq!(
        customers,
        vec![&Record::Customer(Customer {
            external_id: "43026449322".into(),
            email: Some("dummyname@example.com".into()),
        })]
    );
    let all = serde_json::to_string(&records).unwrap();
    assert!(!all.contains("Dummyname"), "a customer's name was emitted");
    assert!(
        !all.contains("sample ticket"),
        "subject or description was emitted"
    );
    // The description is the opening message, by the requester.
    assert_eq!(
        of(&records, Record::as_message),
        vec![Message {
            external_id: "description-1".into(),
            ticket_id: "1".into(),
            author_kind: AuthorKind::Customer,
            author_id: Some("6012691534".into()),
            public: true,
            created_at: at("2016-05-18T04:36:04Z"),
        }]
    );
}

#[tokio::test]
async fn airbyte_tickets_statuses_channels_and_solves() {
    use {Channel::*, TicketStatus::*};
    let records = read_tickets(airbyte("tickets"), &[]).await;
    let got: Vec<_> = records
        .iter()
        .filter_map(Record::as_ticket)
        .map(|t| {
            let (id, solved, by_agent) =
                (t.external_id.as_str(), t.final_solved_at, t.opened_by_agent);
            (id, t.channel, t.status, solved, by_agent)
        })
        .collect();
    let (s21, s23) = (
        Some(at("2022-11-16T15:59:28Z")),
        Some(at("2022-11-22T15:00:34Z")),
    );
    assert_eq!(
        got,
        vec![
            ("18", Email, Open, None, Some(false)),
            ("19", Email, Open, None, Some(false)),
            // Outbound Email (source 10), closed: solved at `stats.resolved_at`.
            ("21", Email, Closed, s21, Some(true)),
            ("22", Phone, Pending, None, Some(false)),
            ("20", Phone, Open, None, Some(false)),
            ("23", Email, Closed, s23, Some(true)),
        ]
    );
    // An outbound ticket's opening message is the agent's.
    let opening = records
        .iter()
        .filter_map(Record::as_message)
        .find(|m| m.external_id == "description-21")
        .unwrap();
    assert_eq!(opening.author_kind, AuthorKind::Agent);
}

#[tokio::test]
async fn statuses_custom_spam_deleted_and_reopens() {
    use {Channel::*, TicketStatus::*};
    let mk = |id: i64, status: i64, source: i64| {
        let mut t = ticket(id, T1, T1);
        t["status"] = status.into();
        t["source"] = source.into();
        t
    };
    let mut resolved_reopened = mk(4, 4, 7);
    resolved_reopened["stats"]["resolved_at"] = "2026-11-02T12:00:00Z".into();
    resolved_reopened["stats"]["reopened_at"] = "2026-11-02T11:00:00Z".into();
    let mut resolved = mk(5, 4, 12);
    resolved["stats"]["resolved_at"] = "2026-11-02T12:00:00Z".into();
    let mut closed_only = mk(6, 5, 5);
    closed_only["stats"]["closed_at"] = "2026-11-02T13:00:00Z".into();
    let mut spam = mk(7, 2, 13);
    spam["spam"] = true.into();
    let custom = mk(8, 6, 9);
    let mut deleted_flag = mk(9, 2, 99);
    deleted_flag["deleted"] = true.into();
    let records = read_tickets(
        vec![
            resolved_reopened,
            resolved,
            closed_only,
            spam,
            custom,
            deleted_flag,
        ],
        &[],
    )
    .await;
    let got: Vec<_> = records
        .iter()
        .filter_map(Record::as_ticket)
        .map(|t| {
            let solves = (t.first_solved_at, t.final_solved_at, t.reopens);
            (t.external_id.as_str(), t.status, t.channel, solves)
        })
        .collect();
    let (noon, one_pm) = (
        Some(at("2026-11-02T12:00:00Z")),
        Some(at("2026-11-02T13:00:00Z")),
    );
    let (open, zero) = ((None, None, Some(0)), Some(0));
    assert_eq!(
        got,
        vec![
            // Reopened: the first solve is unknown, one reopen at least.
            ("4", Solved, Chat, (None, noon, Some(1))),
            ("5", Solved, Chat, (noon, noon, zero)),
            ("6", Closed, Social, (one_pm, one_pm, zero)),
            ("7", Spam, Social, open),
            ("8", OnHold, Web, open),
            ("9", Deleted, Other, open),
        ]
    );
}

#[tokio::test]
async fn the_spam_and_deleted_passes_mark_their_tickets() {
    let server = MockServer::start().await;
    mount_all(&server, EPOCH, 1, json!([])).await;
    // Listed by the filters without a flag of their own.
    mount_filter(&server, "spam", EPOCH, 1, json!([ticket(7, T1, T1)])).await;
    mount_filter(&server, "deleted", EPOCH, 1, json!([ticket(8, T1, T1)])).await;
    let recs = records(&read_ok(&connector(&server), "tickets", None).await);
    assert_eq!(
        statuses(&recs),
        vec![
            ("7".into(), TicketStatus::Spam),
            ("8".into(), TicketStatus::Deleted)
        ]
    );
}

#[tokio::test]
async fn conversation_authors_notes_and_feedback() {
    // python-freshdesk: a private note and a public reply by user 1, both `incoming: false`:
    // the agent's side. (This test used to expect `Unknown`, resolved against the stored
    // agents later: a reading under which a deleted agent's replies became the customer's.)
    let mut python = fixture("conversations.json");
    for c in python.as_array_mut().unwrap() {
        c["ticket_id"] = 1.into();
    }
    // Airbyte's ticket 23: an agent reply, then the survey feedback (source 6).
    let airbyte_23: Vec<Value> = airbyte("conversations")
        .into_iter()
        .filter(|c| c["ticket_id"] == 23)
        .collect();
    let mut customer = reply(31, 2, "2026-11-02T10:05:00Z");
    customer["incoming"] = true.into();
    customer["user_id"] = 5001.into();
    let mut auto = reply(32, 2, "2026-11-02T10:06:00Z");
    auto["auto_response"] = true.into();
    let mut automation = reply(33, 2, "2026-11-02T10:07:00Z");
    automation["automation_id"] = 77.into();
    automation["automation_type_id"] = 1.into();
    let mut t23 = ticket(23, T1, T1);
    t23["id"] = 23.into();
    let records = read_tickets(
        vec![ticket(1, T1, T1), ticket(2, T1, T1), t23],
        &[
            (1, python),
            (2, json!([customer, auto, automation])),
            (23, Value::Array(airbyte_23)),
        ],
    )
    .await;
    let messages = conversation_messages(&records);
    let got: Vec<_> = messages
        .iter()
        .map(|m| {
            let ids = (m.external_id.as_str(), m.ticket_id.as_str());
            (ids, m.author_kind, m.author_id.as_deref(), m.public)
        })
        .collect();
    let recorded_agent = Some("67013469919");
    assert_eq!(
        got,
        vec![
            (("1", "1"), AuthorKind::Agent, Some("1"), false),
            (("2", "1"), AuthorKind::Agent, Some("1"), true),
            (("31", "2"), AuthorKind::Customer, Some("5001"), true),
            (("32", "2"), AuthorKind::Bot, recorded_agent, true),
            (("33", "2"), AuthorKind::Bot, recorded_agent, true),
            // The feedback conversation (67105779604) is the rating's comment: skipped.
            (
                ("67105779551", "23"),
                AuthorKind::Agent,
                recorded_agent,
                true
            ),
        ]
    );
    let all = serde_json::to_string(&records).unwrap();
    assert!(!all.contains("This is a reply"), "a body was emitted");
}
