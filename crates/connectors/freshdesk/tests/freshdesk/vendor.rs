//! Freshdesk's own behaviour, pinned on recorded payloads (Airbyte's sandbox records,
//! licence note in `airbyte-integration/LICENSE.md`; python-freshdesk's samples,
//! BSD-2-Clause; see `tests/fixtures/README.md`): which side wrote a conversation, a ticket
//! deleted while the sync runs, Freshdesk's own figures from `stats`, and the sentiment of
//! survey answers. Recorded objects change only in ids, times and the one field a test is
//! about.

use crate::common::*;
use crate::mapping::read_tickets;
use deskpulse_connector::ConnectorError;
use deskpulse_connector_freshdesk::FreshdeskSettings;
use deskpulse_model::{AuthorKind, Record, TicketStatus, VendorDuration, VendorMetrics};
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn recorded_ticket(id: i64) -> Value {
    recorded("tickets", id)
}

fn recorded_conversation(id: i64) -> Value {
    recorded("conversations", id)
}

fn secs(s: Option<i64>) -> VendorDuration {
    VendorDuration::calendar(s)
}

#[tokio::test]
async fn an_outgoing_conversation_is_the_agents_even_when_its_user_is_no_longer_an_agent() {
    // Freshdesk turns a deleted agent into a contact: their old reply keeps `incoming: false`
    // but its `user_id` now names a contact (67042965499 is one in the recording: the
    // requester of tickets 20, 21 and 23). The recorded note (`private: true`) is the
    // agent's too, internal; the survey feedback (`incoming: true`, `source` 6) is skipped.
    let mut reply = recorded_conversation(67105086049);
    reply["user_id"] = 67042965499_i64.into();
    let note = recorded_conversation(67105086068);
    let feedback = recorded_conversation(67105779604);
    let mut feedback_here = feedback.clone();
    feedback_here["ticket_id"] = 22.into();
    let records = read_tickets(
        vec![recorded_ticket(22)],
        &[(22, json!([reply, note, feedback_here]))],
    )
    .await;
    let got: Vec<(String, AuthorKind, Option<String>, bool)> = conversation_messages(&records)
        .into_iter()
        .map(|m| (m.external_id, m.author_kind, m.author_id, m.public))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "67105086049".into(),
                AuthorKind::Agent,
                Some("67042965499".into()),
                true
            ),
            (
                "67105086068".into(),
                AuthorKind::Agent,
                Some("67013469919".into()),
                false
            ),
        ]
    );
}

#[tokio::test]
async fn an_incoming_conversation_is_the_customers_even_when_flagged_as_an_auto_response() {
    // A customer's own auto-reply (an out-of-office mail) arrives `incoming: true`: still
    // the customer's side, never our bot. The same flag on an outgoing conversation is ours.
    let mut customer_auto = recorded_conversation(67105779604);
    customer_auto["ticket_id"] = 22.into();
    customer_auto["source"] = 0.into();
    customer_auto["auto_response"] = true.into();
    let mut ours = recorded_conversation(67105086049);
    ours["id"] = 2.into();
    ours["auto_response"] = true.into();
    let records = read_tickets(
        vec![recorded_ticket(22)],
        &[(22, json!([customer_auto, ours]))],
    )
    .await;
    let kinds: Vec<(String, AuthorKind)> = conversation_messages(&records)
        .into_iter()
        .map(|m| (m.external_id, m.author_kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("67105779604".into(), AuthorKind::Customer),
            ("2".into(), AuthorKind::Bot),
        ]
    );
}

/// One page of two recorded tickets (1 and 2); ticket 1 has a reply, ticket 2's
/// conversations answer 404.
async fn mount_ticket_2_vanishing(server: &MockServer) {
    mount_all(
        server,
        EPOCH,
        1,
        json!([ticket(1, T1, T1), ticket(2, T1, T1)]),
    )
    .await;
    mount_all(server, T1, 1, json!([])).await;
    mount_quiet_passes(server, EPOCH).await;
    mount_conversations(server, 1, json!([reply(101, 1, T1)])).await;
    // Freshdesk's "Requested Resource not Found": the status is documented, the body is not;
    // an empty one is the least a test can assume.
    Mock::given(path(format!("{TICKETS}/2/conversations")))
        .respond_with(ResponseTemplate::new(404))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_ticket_deleted_or_trashed_between_the_list_and_its_conversations_is_stored_deleted() {
    let mut trashed = ticket(2, T1, T1);
    trashed["deleted"] = true.into();
    for ticket_2 in [
        // Deleted for good: the ticket itself answers 404 too.
        ResponseTemplate::new(404),
        // In the trash: the ticket still answers, with `deleted: true`.
        json(trashed),
    ] {
        let server = MockServer::start().await;
        mount_ticket_2_vanishing(&server).await;
        Mock::given(path(format!("{TICKETS}/2")))
            .respond_with(ticket_2)
            .expect(1)
            .mount(&server)
            .await;
        let batches = read_ok(&connector(&server), "tickets", None).await;
        let recs = records(&batches);
        assert_eq!(
            statuses(&recs),
            vec![
                ("1".into(), TicketStatus::Pending),
                ("2".into(), TicketStatus::Deleted)
            ]
        );
        // The sync went on: ticket 1's conversation, and the spam and deleted passes.
        assert!(recs.iter().any(|r| r.key() == "message:101"));
        assert_eq!(batches.len(), 4);
    }
}

#[tokio::test]
async fn a_404_on_the_conversations_of_a_ticket_that_still_exists_is_an_error() {
    let server = MockServer::start().await;
    mount_ticket_2_vanishing(&server).await;
    // The ticket is there and not deleted (the recording's `deleted: null`): the 404 is not
    // Freshdesk's answer for a deleted ticket (a proxy, a wrong path), and must not pass
    // as "no conversations".
    Mock::given(path(format!("{TICKETS}/2")))
        .respond_with(json(ticket(2, T1, T1)))
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "tickets", None).await;
    assert!(batches.is_empty(), "the page is not committed");
    match err {
        Some(ConnectorError::Http {
            status: 404,
            endpoint,
            detail,
            ..
        }) => {
            assert_eq!(endpoint, "/api/v2/tickets/2/conversations");
            assert!(detail.contains("still exists"), "{detail}");
        }
        other => panic!("expected a 404 error, got {other:?}"),
    }
}

/// The figures of a ticket whose `stats` know no response, no resolution and no reopen.
fn none(id: &str, updated: &str) -> VendorMetrics {
    VendorMetrics {
        ticket_id: id.into(),
        updated_at: at(updated),
        first_response: VendorDuration::NONE,
        first_resolution: VendorDuration::NONE,
        full_resolution: VendorDuration::NONE,
        reopens: Some(0),
        replies: None,
    }
}

#[tokio::test]
async fn stats_are_freshdesks_own_figures_next_to_each_ticket() {
    let records = read_tickets(airbyte("tickets"), &[]).await;
    // Outbound Email created closed: `resolved_at` = `created_at`, no first response.
    let closed_at_creation = |id: &str, updated: &str| VendorMetrics {
        first_resolution: secs(Some(0)),
        full_resolution: secs(Some(0)),
        ..none(id, updated)
    };
    assert_eq!(
        of(&records, Record::as_vendor_metrics),
        vec![
            none("18", "2022-05-26T21:26:52Z"),
            none("19", "2022-05-28T21:26:13Z"),
            closed_at_creation("21", "2022-11-16T15:59:28Z"),
            // Pending: first responded 16:16:58, created 16:03:17 = 821 s; not resolved.
            VendorMetrics {
                first_response: secs(Some(821)),
                ..none("22", "2022-11-16T16:17:05Z")
            },
            none("20", "2022-11-19T16:10:34Z"),
            closed_at_creation("23", "2022-11-22T15:02:37Z"),
        ]
    );
}

#[tokio::test]
async fn a_resolved_at_left_on_a_ticket_open_again_is_no_resolution() {
    // python-freshdesk's ticket: open (2) with a `resolved_at` from before.
    let records = read_tickets(vec![fixture("ticket_1.json")], &[]).await;
    assert_eq!(
        of(&records, Record::as_vendor_metrics),
        vec![VendorMetrics {
            // 2016-05-18T04:36:04Z → 2020-06-17T20:23:43Z.
            first_response: secs(Some(128_879_259)),
            ..none("1", "2016-05-18T23:42:50Z")
        }]
    );
}

#[tokio::test]
async fn after_a_reopen_freshdesk_no_longer_knows_the_first_resolution() {
    // Recorded ticket 21 (closed), resolved, reopened, resolved again: Freshdesk keeps the
    // last `reopened_at` and the last `resolved_at` only.
    let mut t = recorded_ticket(21);
    t["stats"]["first_responded_at"] = "2022-11-16T16:00:28Z".into();
    t["stats"]["reopened_at"] = "2022-11-17T10:00:00Z".into();
    t["stats"]["resolved_at"] = "2022-11-17T15:59:28Z".into();
    t["stats"]["closed_at"] = "2022-11-18T15:59:28Z".into();
    let records = read_tickets(vec![t], &[]).await;
    assert_eq!(
        of(&records, Record::as_vendor_metrics),
        vec![VendorMetrics {
            first_response: secs(Some(60)),
            // Created 2022-11-16T15:59:28Z, last resolved a day later.
            full_resolution: secs(Some(86_400)),
            reopens: Some(1),
            ..none("21", "2022-11-16T15:59:28Z")
        }]
    );
    // The ticket agrees: final solve known, first solve unknown, one reopen.
    let ticket = records.iter().find_map(Record::as_ticket).unwrap();
    assert_eq!(ticket.final_solved_at, Some(at("2022-11-17T15:59:28Z")));
    assert_eq!(ticket.first_solved_at, None);
    assert_eq!(ticket.reopens, Some(1));
}

#[tokio::test]
async fn every_positive_survey_answer_is_satisfied_as_in_freshdesks_csat() {
    // Every answer a recorded survey accepts (`questions[].accepted_ratings`), plus the
    // values of Freshdesk's documented example (101, -102): above 100 is positive
    // (satisfied: at least three quarters up the scale), 100 neutral, below negative.
    let mut values: Vec<i64> = airbyte("surveys")
        .iter()
        .flat_map(|s| s["questions"].as_array().unwrap().clone())
        .flat_map(|q| q["accepted_ratings"].as_array().unwrap().clone())
        .map(|v| v.as_i64().unwrap())
        .chain([101, -102])
        .collect();
    values.sort_unstable();
    values.dedup();
    assert_eq!(values, vec![-103, -102, 100, 101, 103]);
    let server = MockServer::start().await;
    let page: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| rating(i as i64 + 1, T1, *v))
        .collect();
    Mock::given(path(RATINGS))
        .respond_with(json(Value::Array(page)))
        .mount(&server)
        .await;
    let c = connector_of(FreshdeskSettings {
        page_size: Some(100),
        ..settings(&server)
    });
    let got: Vec<(i64, &str)> = records(&read_ok(&c, "satisfaction_ratings", None).await)
        .iter()
        .zip(&values)
        .map(|(r, v)| {
            let Record::Rating(r) = r else {
                panic!("{r:?}")
            };
            let x = (r.score - r.scale.min) / (r.scale.max - r.scale.min);
            let side = if x >= 0.75 {
                "satisfied"
            } else if (x - 0.5).abs() < 1e-9 {
                "neutral"
            } else {
                "unsatisfied"
            };
            (*v, side)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (-103, "unsatisfied"),
            (-102, "unsatisfied"),
            (100, "neutral"),
            (101, "satisfied"),
            (103, "satisfied"),
        ]
    );
}
