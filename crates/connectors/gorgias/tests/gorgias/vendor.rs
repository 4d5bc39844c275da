//! What Gorgias's API can and cannot say, pinned on its documented examples
//! (developers.gorgias.com, "The Ticket object", "The SatisfactionSurvey object"; the same
//! examples as §4.7 of the project's API notes). No openly licensed recorded Gorgias payload
//! exists: these are the vendor's documented shapes, changed only in the field a test is
//! about.

use crate::common::*;
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::Record;
use deskpulse_connector_gorgias::Gorgias;
use deskpulse_model::TicketStatus;

#[test]
fn gorgias_declares_the_kpis_its_missing_status_history_cannot_support() {
    let kpis: Vec<&str> = Gorgias::LIMITS.iter().map(|l| l.kpi).collect();
    assert_eq!(
        kpis,
        [
            "reopen_rate",
            "first_contact_resolution_rate",
            "first_resolution_time"
        ]
    );
    for l in Gorgias::LIMITS {
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
    let ticket = read_ticket(t).await;
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
    let a = read_ticket(naive).await;
    let b = read_ticket(offset).await;
    assert_eq!(a.created_at, at("2019-07-05T14:42:00.384938Z"));
    assert_eq!(a.updated_at, at("2020-01-27T10:42:21.932637Z"));
    assert_eq!(a.final_solved_at, Some(at("2020-01-27T10:42:21Z")));
    assert_eq!(a, b);
}
