//! What Gorgias's API can and cannot say, pinned on its documented examples
//! (developers.gorgias.com, "The Ticket object", "The SatisfactionSurvey object"; the same
//! examples as §4.7 of the project's API notes). No openly licensed recorded Gorgias payload
//! exists: these are the vendor's documented shapes, changed only in the field a test is
//! about.

use crate::common::*;
use crate::tickets::{EP, at};
use deskpulse_connector::Record;
use deskpulse_connector_gorgias::LIMITS;
use deskpulse_model::{Ticket, TicketStatus};
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// "The Ticket object" example, verbatim in the fields deskpulse reads.
fn documented_ticket() -> Value {
    json!({"id":12,"status":"open","channel":"email","via":"email","from_agent":true,"spam":false,
      "customer":{"id":120,"email":"john@example.com"},"assignee_user":{"id":7,"email":"steve@acme.com","name":"Steve"},
      "created_datetime":"2019-07-05T14:42:00.384938","opened_datetime":"2019-07-05T15:22:46.472436",
      "last_received_message_datetime":"2020-01-27T10:42:21.468912",
      "last_message_datetime":"2020-02-01T19:12:32.432197","updated_datetime":"2020-01-27T10:42:21.932637",
      "closed_datetime":null,"snooze_datetime":null,"trashed_datetime":null})
}

/// "The SatisfactionSurvey object" example, verbatim.
fn documented_survey() -> Value {
    json!({"id":1234,"body_text":"Such speed, much pertinent.","created_datetime":"2019-11-16T15:59:41.966927",
      "customer_id":120,"meta":{"externalData":{"id":1234}},"score":2,
      "scored_datetime":"2019-11-25T15:59:41.966927","sent_datetime":"2019-11-23T15:59:41.966927",
      "should_send_datetime":"2019-11-23T15:59:41.966927","ticket_id":12,
      "uri":"/api/satisfaction-surveys/1234/"})
}

async fn read_one(endpoint: &str, stream: &str, item: Value) -> Vec<Record> {
    let server = MockServer::start().await;
    Mock::given(path(endpoint))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(endpoint, json!([item]), None)))
        .mount(&server)
        .await;
    records(&read_ok(&connector(&server), stream, None).await)
}

fn the_ticket(records: Vec<Record>) -> Ticket {
    records
        .into_iter()
        .find_map(|r| match r {
            Record::Ticket(t) => Some(t),
            _ => None,
        })
        .unwrap()
}

#[test]
fn gorgias_declares_the_kpis_its_missing_status_history_cannot_support() {
    let kpis: Vec<&str> = LIMITS.iter().map(|l| l.kpi).collect();
    assert_eq!(
        kpis,
        [
            "reopen_rate",
            "first_contact_resolution_rate",
            "first_resolution_time"
        ]
    );
    for l in LIMITS {
        assert!(
            l.reason.starts_with("Gorgias ") && l.reason.ends_with('.'),
            "one sentence naming the vendor: {:?}",
            l.reason
        );
    }
}

#[tokio::test]
async fn a_closed_ticket_tells_only_its_last_close() {
    // Closed: Gorgias gives the time of the last close and nothing before it.
    let mut t = documented_ticket();
    t["status"] = "closed".into();
    t["closed_datetime"] = "2020-01-27T10:42:21.932637".into();
    let ticket = the_ticket(read_one(EP, "tickets", t).await);
    assert_eq!(ticket.status, TicketStatus::Closed);
    assert_eq!(
        ticket.final_solved_at,
        Some(at("2020-01-27T10:42:21.932637Z"))
    );
    // Unknown, not made up: no first solve copied from the last close, no "0 reopens".
    assert_eq!(ticket.first_solved_at, None);
    assert_eq!(ticket.reopens, None);
}

#[tokio::test]
async fn a_survey_names_no_agent_so_its_rating_has_none() {
    // The documented survey object has no agent field at all: the rating is the ticket's,
    // and storage attributes it to the ticket's assignee.
    let survey = documented_survey();
    let mut keys: Vec<&str> = survey
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "body_text",
            "created_datetime",
            "customer_id",
            "id",
            "meta",
            "score",
            "scored_datetime",
            "sent_datetime",
            "should_send_datetime",
            "ticket_id",
            "uri"
        ]
    );
    let recs = read_one(
        "/api/satisfaction-surveys",
        "satisfaction_surveys",
        survey.clone(),
    )
    .await;
    assert_eq!(recs, [Record::Rating(documented_rating())]);
}

#[tokio::test]
async fn documented_time_forms_are_the_same_utc_instant() {
    // The documented form is naive UTC with microseconds; payloads also carry `+00:00`, with
    // a space or a `T`, with or without fractions (the forms Airbyte's Gorgias connector
    // accepts). Each is the same instant.
    let mut naive = documented_ticket();
    naive["status"] = "closed".into();
    naive["closed_datetime"] = "2020-01-27T10:42:21".into();
    let mut offset = naive.clone();
    offset["created_datetime"] = "2019-07-05T14:42:00.384938+00:00".into();
    offset["updated_datetime"] = "2020-01-27 10:42:21.932637+00:00".into();
    offset["closed_datetime"] = "2020-01-27T10:42:21+00:00".into();
    let a = the_ticket(read_one(EP, "tickets", naive).await);
    let b = the_ticket(read_one(EP, "tickets", offset).await);
    assert_eq!(a.created_at, at("2019-07-05T14:42:00.384938Z"));
    assert_eq!(a.updated_at, at("2020-01-27T10:42:21.932637Z"));
    assert_eq!(a.final_solved_at, Some(at("2020-01-27T10:42:21Z")));
    assert_eq!(a, b);
}
