//! Statuses, channels, solves, authors, notes and customers, on recorded payloads.

use crate::common::*;
use crate::tickets::{T1, mount_all, mount_filter};
use chrono::{DateTime, Utc};
use deskpulse_connector::HttpConnector as _;
use deskpulse_model::{AuthorKind, Channel, Customer, Message, Record, Ticket, TicketStatus};
use serde_json::{Value, json};
use wiremock::MockServer;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Reads one page of the default list holding `tickets` (and the given conversations).
pub(crate) async fn read_tickets(
    tickets: Vec<Value>,
    conversations: &[(i64, Value)],
) -> Vec<Record> {
    let server = MockServer::start().await;
    let s = deskpulse_connector_freshdesk::FreshdeskSettings {
        page_size: Some(100),
        ..settings(&server)
    };
    let c = deskpulse_connector_freshdesk::FreshdeskConnector::new(s)
        .unwrap()
        .with_retry_policy(fast_retry());
    use wiremock::matchers::{path, query_param, query_param_is_missing};
    wiremock::Mock::given(path(TICKETS))
        .and(query_param_is_missing("filter"))
        .respond_with(json(Value::Array(tickets)))
        .mount(&server)
        .await;
    wiremock::Mock::given(path(TICKETS))
        .and(query_param("filter", "spam"))
        .respond_with(json(json!([])))
        .mount(&server)
        .await;
    wiremock::Mock::given(path(TICKETS))
        .and(query_param("filter", "deleted"))
        .respond_with(json(json!([])))
        .mount(&server)
        .await;
    for (id, list) in conversations {
        mount_conversations(&server, *id, list.clone()).await;
    }
    mount_no_conversations(&server).await;
    records(&read_ok(&c, "tickets", None).await)
}

pub(crate) fn tickets(records: &[Record]) -> Vec<Ticket> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Ticket(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

pub(crate) fn messages(records: &[Record]) -> Vec<Message> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Message(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn python_freshdesk_ticket_maps_every_field() {
    let records = read_tickets(vec![fixture("ticket_1.json")], &[]).await;
    let t = &tickets(&records)[0];
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
        messages(&records),
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
    let records = read_tickets(airbyte("tickets"), &[]).await;
    type Row = (
        String,
        Channel,
        TicketStatus,
        Option<DateTime<Utc>>,
        Option<bool>,
    );
    let got: Vec<Row> = tickets(&records)
        .into_iter()
        .map(|t| {
            (
                t.external_id,
                t.channel,
                t.status,
                t.final_solved_at,
                t.opened_by_agent,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "18".into(),
                Channel::Email,
                TicketStatus::Open,
                None,
                Some(false)
            ),
            (
                "19".into(),
                Channel::Email,
                TicketStatus::Open,
                None,
                Some(false)
            ),
            // Outbound Email (source 10), closed: solved at `stats.resolved_at`.
            (
                "21".into(),
                Channel::Email,
                TicketStatus::Closed,
                Some(at("2022-11-16T15:59:28Z")),
                Some(true)
            ),
            (
                "22".into(),
                Channel::Phone,
                TicketStatus::Pending,
                None,
                Some(false)
            ),
            (
                "20".into(),
                Channel::Phone,
                TicketStatus::Open,
                None,
                Some(false)
            ),
            (
                "23".into(),
                Channel::Email,
                TicketStatus::Closed,
                Some(at("2022-11-22T15:00:34Z")),
                Some(true)
            ),
        ]
    );
    // An outbound ticket's opening message is the agent's.
    let opening = messages(&records)
        .into_iter()
        .find(|m| m.external_id == "description-21")
        .unwrap();
    assert_eq!(opening.author_kind, AuthorKind::Agent);
}

#[tokio::test]
async fn statuses_custom_spam_deleted_and_reopens() {
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
    let got: Vec<_> = tickets(&records)
        .into_iter()
        .map(|t| {
            (
                t.external_id,
                t.status,
                t.channel,
                t.first_solved_at,
                t.final_solved_at,
                t.reopens,
            )
        })
        .collect();
    let noon = Some(at("2026-11-02T12:00:00Z"));
    assert_eq!(
        got,
        vec![
            // Reopened: the first solve is unknown, one reopen at least.
            (
                "4".into(),
                TicketStatus::Solved,
                Channel::Chat,
                None,
                noon,
                Some(1)
            ),
            (
                "5".into(),
                TicketStatus::Solved,
                Channel::Chat,
                noon,
                noon,
                Some(0)
            ),
            (
                "6".into(),
                TicketStatus::Closed,
                Channel::Social,
                Some(at("2026-11-02T13:00:00Z")),
                Some(at("2026-11-02T13:00:00Z")),
                Some(0)
            ),
            (
                "7".into(),
                TicketStatus::Spam,
                Channel::Social,
                None,
                None,
                Some(0)
            ),
            (
                "8".into(),
                TicketStatus::OnHold,
                Channel::Web,
                None,
                None,
                Some(0)
            ),
            (
                "9".into(),
                TicketStatus::Deleted,
                Channel::Other,
                None,
                None,
                Some(0)
            ),
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
    let got: Vec<_> = tickets(&recs)
        .into_iter()
        .map(|t| (t.external_id, t.status))
        .collect();
    assert_eq!(
        got,
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
    let got: Vec<(String, String, AuthorKind, Option<String>, bool)> = messages(&records)
        .into_iter()
        .filter(|m| !m.external_id.starts_with("description-"))
        .map(|m| {
            (
                m.external_id,
                m.ticket_id,
                m.author_kind,
                m.author_id,
                m.public,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "1".into(),
                "1".into(),
                AuthorKind::Agent,
                Some("1".into()),
                false
            ),
            (
                "2".into(),
                "1".into(),
                AuthorKind::Agent,
                Some("1".into()),
                true
            ),
            (
                "31".into(),
                "2".into(),
                AuthorKind::Customer,
                Some("5001".into()),
                true
            ),
            (
                "32".into(),
                "2".into(),
                AuthorKind::Bot,
                Some("67013469919".into()),
                true
            ),
            (
                "33".into(),
                "2".into(),
                AuthorKind::Bot,
                Some("67013469919".into()),
                true
            ),
            // The feedback conversation (67105779604) is the rating's comment: skipped.
            (
                "67105779551".into(),
                "23".into(),
                AuthorKind::Agent,
                Some("67013469919".into()),
                true
            ),
        ]
    );
    let all = serde_json::to_string(&records).unwrap();
    assert!(!all.contains("This is a reply"), "a body was emitted");
}
