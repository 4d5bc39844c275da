//! Shared builders: the connector against a mock server, and pages and objects shaped
//! exactly like Gorgias's documented examples.

use chrono::{DateTime, Utc};
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::testkit;
pub use deskpulse_connector::testkit::{checkpoints, read, read_ok, records};
use deskpulse_connector::{Batch, Record};
use deskpulse_connector_gorgias::{Gorgias, GorgiasConnector, GorgiasSettings};
use deskpulse_model::{Rating, RatingKind, RatingScale, Ticket};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const EMAIL: &str = "agent@acme.com";
pub const API_KEY: &str = "gorgias-K3y-9f8e7d6c5b4a";

pub fn settings(server: &MockServer) -> GorgiasSettings {
    settings_at(&server.uri(), API_KEY)
}

/// Basic auth with `api_key`, every request to `base_url`.
pub fn settings_at(base_url: &str, api_key: &str) -> GorgiasSettings {
    // The mock is not rate limited (`requests_per_20_seconds` 0 keeps the tests fast).
    testkit::settings_of::<Gorgias>(json!({
        "domain": "acme", "email": EMAIL, "api_key": api_key, "base_url": base_url,
        "requests_per_20_seconds": 0
    }))
}

pub fn connector(server: &MockServer) -> GorgiasConnector {
    connector_with(settings(server))
}

pub fn connector_with(s: GorgiasSettings) -> GorgiasConnector {
    GorgiasConnector::new(s)
        .unwrap()
        .with_retry_policy(testkit::fast_retry())
}

/// Every one of `records` as the variant `as_kind` unwraps (`Record::as_message`), in order;
/// panics on a record of any other kind.
pub fn all<T: Clone>(records: &[Record], as_kind: fn(&Record) -> Option<&T>) -> Vec<T> {
    records
        .iter()
        .map(|r| as_kind(r).cloned().unwrap_or_else(|| panic!("{r:?}")))
        .collect()
}

/// The external ids of the tickets the batches hold, in order.
pub fn ticket_ids(batches: &[Batch]) -> Vec<String> {
    records(batches)
        .iter()
        .filter_map(Record::as_ticket)
        .map(|t| t.external_id.clone())
        .collect()
}

/// The one ticket among `records` (its requester comes with it as a customer).
pub fn only_ticket(records: Vec<Record>) -> Ticket {
    let tickets: Vec<&Ticket> = records.iter().filter_map(Record::as_ticket).collect();
    assert_eq!(tickets.len(), 1);
    tickets[0].clone()
}

/// The ticket `item` maps to, read as the one ticket of a page.
pub async fn read_ticket(item: Value) -> Ticket {
    only_ticket(read_one("/api/tickets", "tickets", item).await)
}

/// The records of one page holding `item` alone, read through `stream`.
pub async fn read_one(endpoint: &str, stream: &str, item: Value) -> Vec<Record> {
    let server = MockServer::start().await;
    Mock::given(path(endpoint))
        .respond_with(page_of(endpoint, json!([item]), None))
        .mount(&server)
        .await;
    records(&read_ok(&connector(&server), stream, None).await)
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// What each of `records` is (`Record::key`: `ticket:42`, `customer:7`…), in order.
pub fn keys(records: &[Record]) -> Vec<String> {
    records.iter().map(Record::key).collect()
}

/// A list page exactly as Gorgias documents it.
pub fn list(uri: &str, data: Value, next_cursor: Option<&str>) -> Value {
    json!({
        "object": "list",
        "uri": uri,
        "data": data,
        "meta": {"prev_cursor": null, "next_cursor": next_cursor}
    })
}

/// Mounts a list read page by page: the first of `pages` answers a GET without `cursor`,
/// each next one the cursor the page before it gave; every request must carry `query`.
pub async fn mount_pages(
    server: &MockServer,
    endpoint: &str,
    query: &[(&str, &str)],
    pages: Vec<(Value, Option<&str>)>,
) {
    let mut cursor = None;
    for (data, next) in pages {
        let mut mock = Mock::given(method("GET")).and(path(endpoint));
        for (k, v) in query {
            mock = mock.and(query_param(*k, *v));
        }
        mock = match cursor {
            None => mock.and(query_param_is_missing("cursor")),
            Some(c) => mock.and(query_param("cursor", c)),
        };
        mock.respond_with(page_of(endpoint, data, next))
            .mount(server)
            .await;
        cursor = next;
    }
}

/// Answers the one GET of `endpoint` with the stored `cursor` as Gorgias answers a cursor it
/// no longer accepts: 400 `Invalid cursor`.
pub async fn refuse_cursor(server: &MockServer, endpoint: &str, cursor: &str) {
    Mock::given(path(endpoint))
        .and(query_param("cursor", cursor))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": {"msg": "Invalid cursor"}})),
        )
        .expect(1)
        .mount(server)
        .await;
}

/// A 200 answer of [`list`].
pub fn page_of(uri: &str, data: Value, next_cursor: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(list(uri, data, next_cursor))
}

/// A ticket shaped like "The Ticket object" example (the fields deskpulse does not read
/// included, so unknown fields are proven harmless).
pub fn ticket(id: i64, status: &str, created: &str, updated: &str) -> Value {
    json!({
        "id": id,
        "uri": format!("/api/tickets/{id}/"),
        "external_id": null,
        "language": "en",
        "status": status,
        "priority": "normal",
        "channel": "email",
        "via": "email",
        "from_agent": false,
        "spam": false,
        "customer": {"id": 1000 + id, "email": format!("customer{id}@example.com"),
                     "name": "John Doe", "firstname": "John", "lastname": "Doe"},
        "assignee_user": {"id": 7, "email": "steve@acme.com", "name": "Steve"},
        "assignee_team": null,
        "subject": "Where is my order?",
        "excerpt": "Hello, I ordered…",
        "tags": [{"id": 1, "name": "refund", "decoration": null}],
        "messages_count": 2,
        "is_unread": false,
        "created_datetime": created,
        "opened_datetime": created,
        "last_received_message_datetime": updated,
        "last_message_datetime": updated,
        "updated_datetime": updated,
        "closed_datetime": if status == "closed" { Value::String(updated.into()) } else { Value::Null },
        "snooze_datetime": null,
        "trashed_datetime": null,
        "meta": null
    })
}

/// A message shaped like "The TicketMessage object" example.
pub fn message(id: i64, ticket_id: i64, from_agent: bool, sender: i64, created: &str) -> Value {
    json!({
        "id": id,
        "uri": format!("/api/tickets/{ticket_id}/messages/{id}/"),
        "message_id": null,
        "ticket_id": ticket_id,
        "external_id": null,
        "public": true,
        "channel": "email",
        "via": if from_agent { "helpdesk" } else { "email" },
        "source": {"type": "email",
                   "from": {"address": "john@example.com", "name": "Sender Doe"},
                   "to": [{"address": "support@acme.com", "name": "Receiver Doe"}],
                   "cc": null, "bcc": null},
        "sender": {"id": sender, "email": "john@example.com", "name": "John Doe",
                   "firstname": "John", "lastname": "Doe", "meta": {}},
        "integration_id": 28643,
        "rule_id": null,
        "from_agent": from_agent,
        "receiver": null,
        "subject": "Re: Where is my order?",
        "body_text": "Hello, …",
        "body_html": "<p>Hello, …</p>",
        "stripped_text": "Hello, …",
        "attachments": [],
        "actions": null,
        "macros": [],
        "meta": null,
        "headers": {},
        "created_datetime": created,
        "sent_datetime": created,
        "failed_datetime": null,
        "deleted_datetime": null,
        "opened_datetime": null,
        "last_sending_error": null
    })
}

/// A survey shaped like "The SatisfactionSurvey object" example.
pub fn survey(
    id: i64,
    ticket_id: i64,
    score: Option<i64>,
    created: &str,
    scored: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "body_text": if score.is_some() { Value::String("Such speed, much pertinent.".into()) } else { Value::Null },
        "created_datetime": created,
        "customer_id": 120,
        "meta": {"externalData": {"id": id}},
        "score": score,
        "scored_datetime": scored,
        "sent_datetime": created,
        "should_send_datetime": created,
        "ticket_id": ticket_id,
        "uri": format!("/api/satisfaction-surveys/{id}/")
    })
}

/// A user shaped like "The User object" example.
pub fn user(id: i64, name: &str, role: &str) -> Value {
    json!({
        "id": id,
        "active": true,
        "bio": null,
        "country": "US",
        "created_datetime": "2019-07-05T14:42:00.384938",
        "deactivated_datetime": null,
        "email": format!("user{id}@acme.com"),
        "external_id": null,
        "firstname": name,
        "lastname": "",
        "language": "en",
        "meta": {},
        "name": name,
        "role": {"name": role},
        "timezone": "UTC",
        "updated_datetime": "2019-07-05T14:42:00.384938"
    })
}

/// "The Ticket object" example (§4.7 of the project's API notes), verbatim in the fields
/// deskpulse reads.
pub fn documented_ticket() -> Value {
    json!({"id":12,"status":"open","channel":"email","via":"email","from_agent":true,"spam":false,
      "customer":{"id":120,"email":"john@example.com"},"assignee_user":{"id":7,"email":"steve@acme.com","name":"Steve"},
      "created_datetime":"2019-07-05T14:42:00.384938","opened_datetime":"2019-07-05T15:22:46.472436",
      "last_received_message_datetime":"2020-01-27T10:42:21.468912",
      "last_message_datetime":"2020-02-01T19:12:32.432197","updated_datetime":"2020-01-27T10:42:21.932637",
      "closed_datetime":null,"snooze_datetime":null,"trashed_datetime":null})
}

/// "The SatisfactionSurvey object" example, verbatim: created on the 16th, scored on the 25th.
pub fn documented_survey() -> Value {
    json!({"id":1234,"body_text":"Such speed, much pertinent.","created_datetime":"2019-11-16T15:59:41.966927",
      "customer_id":120,"meta":{"externalData":{"id":1234}},"score":2,
      "scored_datetime":"2019-11-25T15:59:41.966927","sent_datetime":"2019-11-23T15:59:41.966927",
      "should_send_datetime":"2019-11-23T15:59:41.966927","ticket_id":12,
      "uri":"/api/satisfaction-surveys/1234/"})
}

/// The rating of "The SatisfactionSurvey object" example (survey 1234 on ticket 12).
pub fn documented_rating() -> Rating {
    Rating {
        external_id: "1234".into(),
        kind: RatingKind::Csat,
        // "The level of satisfaction. Scores range from 1 to 5."
        score: 2.0,
        scale: RatingScale::ONE_TO_FIVE,
        ticket_id: Some("12".into()),
        agent_id: None,
        comment: Some("Such speed, much pertinent.".into()),
        // "When the survey was filled by the customer", not when it was created.
        created_at: at("2019-11-25T15:59:41.966927Z"),
    }
}
