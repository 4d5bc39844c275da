//! Gorgias per-agent CSAT, end to end (issue 11, gap 3 of `notes/issue11-payloads.md`):
//! Gorgias' documented survey object names no agent, so a survey counts for the agent its
//! ticket is assigned to (`assignee_user`), in the report's agents table.
//!
//! Payload provenance (Gorgias has no openly licensed recorded payload; its documented
//! examples, as `shared/reference/helpdesk-apis.md` §4.7 transcribes them, re-dated and with
//! new ids):
//! * the list envelope `{object, uri, data, meta{prev_cursor, next_cursor}}`
//!   (developers.gorgias.com, "Pagination");
//! * tickets: "The Ticket object" example (ticket 12: `assignee_user {id, email, name}`,
//!   naive UTC times with microseconds, `closed_datetime`, `from_agent`, `spam`), as
//!   `teams.rs` serves it;
//! * messages: "The TicketMessage object" example (message 924712: `sender`, `source`,
//!   `from_agent`, `public`, `via`, `integration_id`);
//! * surveys: "The SatisfactionSurvey object" example, verbatim but for ids and times
//!   (survey 1234 on ticket 12: `score` 2, `body_text` "Such speed, much pertinent.",
//!   `customer_id`, `created`/`sent`/`should_send`/`scored_datetime`, `meta.externalData`,
//!   `uri`) — it has no agent field at all; copied from
//!   `crates/connectors/gorgias/tests/gorgias/common.rs` `documented_survey()`;
//! * users: "The User object" (`role.name`), as `teams.rs` serves it.

use crate::harness::{Env, text};
use deskpulse_storage::testing::TestDb;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const STEVE: i64 = 7;
const MARIA: i64 = 8;

/// A list answer in Gorgias' documented envelope: one page (`next_cursor` null).
fn list(uri: &str, data: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "object": "list", "uri": uri, "data": data,
        "meta": {"prev_cursor": null, "next_cursor": null}
    }))
}

fn user(id: i64, name: &str, email: &str) -> Value {
    json!({"id": id, "name": name, "email": email, "role": {"name": "agent"}, "active": true,
           "created_datetime": "2026-01-01T00:00:00", "updated_datetime": "2026-01-01T00:00:00"})
}

/// "The Ticket object", closed at `closed`, assigned to `assignee`.
fn ticket(id: i64, created: &str, closed: &str, assignee: (i64, &str, &str)) -> Value {
    json!({
        "id": id, "uri": format!("/api/tickets/{id}/"), "external_id": null, "language": "en",
        "status": "closed", "priority": "normal", "channel": "email", "via": "email",
        "from_agent": false, "spam": false,
        "customer": {"id": 120 + id, "email": format!("customer{id}@example.com"), "name": "John Doe"},
        "assignee_user": {"id": assignee.0, "email": assignee.2, "name": assignee.1},
        "assignee_team": null, "subject": "(subject)", "tags": [], "messages_count": 2,
        "created_datetime": created, "opened_datetime": created,
        "last_received_message_datetime": created, "last_message_datetime": closed,
        "updated_datetime": closed, "closed_datetime": closed,
        "snooze_datetime": null, "trashed_datetime": null
    })
}

/// "The TicketMessage object": the customer's (`from_agent` false) or an agent's.
fn message(id: i64, ticket: i64, sender: i64, from_agent: bool, at: &str) -> Value {
    json!({
        "id": id, "uri": format!("/api/tickets/{ticket}/messages/{id}/"), "ticket_id": ticket,
        "public": true, "channel": "email", "via": if from_agent { "helpdesk" } else { "api" },
        "from_agent": from_agent,
        "sender": {"id": sender, "email": format!("sender{sender}@example.com"), "name": "John Doe",
                   "firstname": "John", "lastname": "Doe", "meta": {}},
        "source": {"type": "email", "from": {"address": "john@example.com", "name": "Sender Doe"},
                   "to": [{"address": "support@acme.com", "name": "Receiver Doe"}], "cc": null, "bcc": null},
        "rule_id": null, "integration_id": 28643, "body_text": "Hello, …",
        "created_datetime": at, "sent_datetime": at,
        "failed_datetime": null, "deleted_datetime": null, "opened_datetime": null
    })
}

/// "The SatisfactionSurvey object" (survey 1234), with this survey's id, ticket, score and
/// times: created when the ticket closed, sent and scored later; `score`/`scored_datetime`
/// null while unanswered.
fn survey(id: i64, ticket: i64, score: Option<i64>, created: &str, scored: Option<&str>) -> Value {
    json!({"id": id, "body_text": if score.is_some() { json!("Such speed, much pertinent.") } else { Value::Null },
           "created_datetime": created, "customer_id": 120 + ticket, "meta": {"externalData": {"id": id}},
           "score": score, "scored_datetime": scored, "sent_datetime": created,
           "should_send_datetime": created, "ticket_id": ticket,
           "uri": format!("/api/satisfaction-surveys/{id}/")})
}

/// The week (UTC team; 2026-W46 = [2026-11-09T00:00Z, 2026-11-16T00:00Z)), every list
/// newest first as the connector asks (`order_by=…:desc`):
/// * G12 (Steve): customer Mon 11-09 10:00, Steve 10:30, closed 11:00; survey 1234 scored 2
///   on Wed 11-11 15:59:41.
/// * G13 (Maria): customer Tue 11-10 09:00, Maria 09:15, closed 09:30; survey 1235 scored 5
///   on Thu 11-12 10:00.
/// * G14 (Steve): customer Wed 11-11 14:00, Steve 14:20, closed 15:00; survey 1236 scored 4
///   on Fri 11-13 08:00.
/// * G15 (Maria): customer Thu 11-12 09:00, Maria 09:10, closed 10:00; survey 1237 sent,
///   never scored.
async fn gorgias() -> MockServer {
    let server = MockServer::start().await;
    let steve = (STEVE, "Steve", "steve@acme.com");
    let maria = (MARIA, "Maria", "maria@acme.com");
    Mock::given(method("GET"))
        .and(path("/api/users"))
        .respond_with(list(
            "/api/users",
            vec![
                user(STEVE, "Steve Gorgias", "steve@acme.com"),
                user(MARIA, "Maria Gorgias", "maria@acme.com"),
            ],
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/tickets"))
        .respond_with(list(
            "/api/tickets",
            vec![
                ticket(
                    15,
                    "2026-11-12T09:00:00.000000",
                    "2026-11-12T10:00:00.000000",
                    maria,
                ),
                ticket(
                    14,
                    "2026-11-11T14:00:00.000000",
                    "2026-11-11T15:00:00.000000",
                    steve,
                ),
                ticket(
                    13,
                    "2026-11-10T09:00:00.000000",
                    "2026-11-10T09:30:00.000000",
                    maria,
                ),
                ticket(
                    12,
                    "2026-11-09T10:00:00.000000",
                    "2026-11-09T11:00:00.000000",
                    steve,
                ),
            ],
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/messages"))
        .respond_with(list(
            "/api/messages",
            vec![
                message(924_752, 15, MARIA, true, "2026-11-12T09:10:00.000000"),
                message(924_751, 15, 135, false, "2026-11-12T09:00:00.000000"),
                message(924_742, 14, STEVE, true, "2026-11-11T14:20:00.000000"),
                message(924_741, 14, 134, false, "2026-11-11T14:00:00.000000"),
                message(924_732, 13, MARIA, true, "2026-11-10T09:15:00.000000"),
                message(924_731, 13, 133, false, "2026-11-10T09:00:00.000000"),
                message(924_722, 12, STEVE, true, "2026-11-09T10:30:00.000000"),
                message(924_721, 12, 132, false, "2026-11-09T10:00:00.000000"),
            ],
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/satisfaction-surveys"))
        .respond_with(list(
            "/api/satisfaction-surveys",
            vec![
                survey(1237, 15, None, "2026-11-12T10:00:00.000000", None),
                survey(
                    1236,
                    14,
                    Some(4),
                    "2026-11-11T15:00:00.000000",
                    Some("2026-11-13T08:00:00.000000"),
                ),
                survey(
                    1235,
                    13,
                    Some(5),
                    "2026-11-10T09:30:00.000000",
                    Some("2026-11-12T10:00:00.000000"),
                ),
                survey(
                    1234,
                    12,
                    Some(2),
                    "2026-11-09T11:00:00.000000",
                    Some("2026-11-11T15:59:41.966927"),
                ),
            ],
        ))
        .mount(&server)
        .await;
    server
}

fn config(db: &str, base_url: &str) -> String {
    format!(
        r#"[database]
url = "{db}"

[[teams]]
name = "shop"
timezone = "UTC"
sources = ["gg"]

[[sources]]
name = "gg"
kind = "gorgias"
domain = "acme"
email = "agent@example.com"
api_key = "gg-csat-key"
base_url = "{base_url}"
"#
    )
}

#[track_caller]
fn check_csat(k: &Value, n: u64, value: f64, mean: f64) {
    assert_eq!(k["n"].as_u64(), Some(n), "{k}");
    let close = |f: &str, want: f64| {
        let got = k[f].as_f64();
        assert!(
            got.is_some_and(|g| (g - want).abs() < 1e-9),
            "{f}: got {got:?}, want {want}: {k}"
        );
    };
    close("value", value);
    close("mean", mean);
}

async fn per_agent_csat(db_url: &str) {
    let server = gorgias().await;
    let env = Env::new();
    env.write_config(&config(db_url, &server.uri()));
    let out = env.run(&["sync"], &[]).await;
    assert!(
        out.status.success(),
        "sync failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = env
        .run(&["report", "--period", "2026-W46", "--format", "json"], &[])
        .await;
    assert!(out.status.success(), "report: {}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).expect("report JSON");

    // Team: three scored surveys in the week (1234: 2, 1235: 5, 1236: 4; 1237 is unanswered,
    // no response). Satisfied = at least 4 of 5: 1235, 1236 = 2/3; mean (2 + 5 + 4) / 3.
    check_csat(&r["kpis"]["csat"], 3, 2.0 / 3.0, 11.0 / 3.0);

    let agents = r["agents"].as_array().expect("agents table");
    let row = |id: &str| {
        agents
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("no agent {id} in {agents:#?}"))
    };
    // Steve: the assignee of G12 and G14 (both closed in the week), so surveys 1234 (2) and
    // 1236 (4) are his, although neither names him: n 2, satisfied 1/2 (4 only), mean 3.
    let steve = row("gg:7");
    assert_eq!(steve["solved"], 2, "{steve}");
    check_csat(&steve["csat"], 2, 0.5, 3.0);
    // Maria: G13 and G15; 1235 (5) is hers, 1237 was never scored: n 1, 1/1, mean 5.
    let maria = row("gg:8");
    assert_eq!(maria["solved"], 2, "{maria}");
    check_csat(&maria["csat"], 1, 1.0, 5.0);
    assert_eq!(agents.len(), 2, "{agents:#?}");
}

#[tokio::test]
async fn gorgias_survey_naming_no_agent_counts_for_the_tickets_assignee_on_sqlite() {
    let db = TestDb::sqlite();
    per_agent_csat(db.url()).await;
}

#[tokio::test]
async fn gorgias_survey_naming_no_agent_counts_for_the_tickets_assignee_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    per_agent_csat(db.url()).await;
    db.cleanup().await;
}
