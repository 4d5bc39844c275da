use crate::common::*;
use chrono::{DateTime, Utc};
use deskpulse_connector::{Checkpoint, Record};
use deskpulse_model::{AuthorKind, Message, StatusChange, TicketStatus};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EP: &str = "/api/v2/incremental/ticket_events.json";

fn page(events: Value, end_time: i64, eos: bool) -> ResponseTemplate {
    let next = if eos {
        Value::Null
    } else {
        json!(format!(
            "{PROD}{EP}?start_time={end_time}&include=comment_events"
        ))
    };
    ResponseTemplate::new(200).set_body_json(json!({
        "ticket_events": events,
        "count": events.as_array().unwrap().len(),
        "end_of_stream": eos,
        "end_time": end_time,
        "next_page": next,
    }))
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn comment(id: u64, author: i64, public: bool, channel: &str) -> Value {
    json!({
        "id": id, "event_type": "Comment", "type": "Comment", "author_id": author, "public": public,
        "body": "secret body text", "html_body": "<p>secret body text</p>", "attachments": [],
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": if channel == "rule" { json!("trigger") } else { Value::Null }}},
        "audit_id": 1, "created_at": "2024-03-01T09:00:00Z"
    })
}

fn status(id: u64, kind: &str, from: Option<&str>, to: &str, channel: &str) -> Value {
    let mut v = json!({
        "id": id, "event_type": kind, "field_name": "status", "value": to,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": null}},
    });
    if let Some(f) = from {
        v["previous_value"] = json!(f);
    }
    v
}

fn audit(id: u64, ticket: u64, updater: i64, at: &str, ts: i64, children: Vec<Value>) -> Value {
    json!({
        "id": id, "ticket_id": ticket, "timestamp": ts, "created_at": at, "updater_id": updater,
        "via": "Web form", "via_reference_id": null, "event_type": "Audit", "system": {},
        "merged_ticket_ids": [], "child_events": children,
    })
}

async fn mount(server: &MockServer) {
    let create = audit(
        900,
        1,
        20978392,
        "2024-03-01T09:00:00Z",
        1709283600,
        vec![
            comment(901, 20978392, true, "web"),
            status(902, "Create", None, "new", "web"),
            json!({"id": 903, "event_type": "Create", "field_name": "priority", "value": "high"}),
        ],
    );
    let trigger = audit(
        910,
        1,
        20978392,
        "2024-03-01T09:00:05Z",
        1709283605,
        vec![
            comment(911, 35436, true, "rule"),
            status(912, "Change", Some("new"), "open", "rule"),
            json!({"id": 913, "event_type": "Notification", "via": {"channel": "rule"}, "subject": "x", "body": "y", "recipients": [1]}),
        ],
    );
    Mock::given(method("GET"))
        .and(path(EP))
        .and(query_param("start_time", "0"))
        .and(query_param("include", "comment_events"))
        .respond_with(page(json!([create, trigger.clone()]), 1709283605, false))
        .mount(server)
        .await;
    // Page 2 starts at page 1's end_time: the boundary audit comes again.
    let agent = audit(
        920,
        1,
        235323,
        "2024-03-01T10:00:00Z",
        1709287200,
        vec![
            comment(921, 235323, false, "web"),
            comment(922, 235323, true, "web"),
            status(923, "Change", Some("open"), "hold", "web"),
        ],
    );
    Mock::given(path(EP))
        .and(query_param("start_time", "1709283605"))
        .and(query_param("include", "comment_events"))
        .respond_with(page(json!([trigger, agent]), 1709287200, false))
        .mount(server)
        .await;
    let automation = audit(
        930,
        1,
        -1,
        "2024-03-04T10:00:00Z",
        1709546400,
        vec![
            comment(931, -1, true, "web"),
            status(932, "Change", Some("hold"), "solved", "web"),
        ],
    );
    let closed = audit(
        940,
        1,
        -1,
        "2024-03-08T10:00:00Z",
        1709892000,
        vec![status(941, "Change", Some("solved"), "closed", "web")],
    );
    Mock::given(path(EP))
        .and(query_param("start_time", "1709287200"))
        .respond_with(page(json!([automation, closed]), 1709892000, true))
        .mount(server)
        .await;
    Mock::given(path(EP))
        .and(query_param("start_time", "1709892000"))
        .respond_with(page(json!([]), 1709892000, true))
        .mount(server)
        .await;
}

fn msg(id: &str, kind: AuthorKind, author: &str, public: bool) -> Record {
    Record::Message(Message {
        external_id: id.into(),
        ticket_id: "1".into(),
        author_kind: kind,
        author_id: Some(author.into()),
        public,
        created_at: t("2024-03-01T09:00:00Z"),
    })
}

fn change(
    id: &str,
    from: Option<TicketStatus>,
    to: TicketStatus,
    kind: AuthorKind,
    author: &str,
    at: &str,
) -> Record {
    Record::StatusChange(StatusChange {
        external_id: id.into(),
        ticket_id: "1".into(),
        from,
        to,
        author_kind: kind,
        author_id: Some(author.into()),
        at: t(at),
    })
}

#[tokio::test]
async fn pages_maps_and_resumes() {
    let server = MockServer::start().await;
    mount(&server).await;
    let c = connector(&server);
    let batches = read_ok(&c, "ticket_events", None).await;
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"start_time": 1709283605}),
            json!({"start_time": 1709287200}),
            json!({"start_time": 1709892000})
        ]
    );
    use AuthorKind::*;
    use TicketStatus::*;
    let trigger = [
        msg("911", Bot, "35436", true),
        change(
            "912",
            Some(New),
            Open,
            System,
            "20978392",
            "2024-03-01T09:00:05Z",
        ),
    ];
    let mut expected = vec![
        msg("901", Unknown, "20978392", true),
        change(
            "902",
            None,
            New,
            Unknown,
            "20978392",
            "2024-03-01T09:00:00Z",
        ),
    ];
    expected.extend(trigger.clone());
    expected.extend(trigger); // the boundary audit, again: same ids, so storage upserts it
    expected.extend([
        msg("921", Unknown, "235323", false),
        msg("922", Unknown, "235323", true),
        change(
            "923",
            Some(Open),
            OnHold,
            Unknown,
            "235323",
            "2024-03-01T10:00:00Z",
        ),
        msg("931", System, "-1", true),
        change(
            "932",
            Some(OnHold),
            Solved,
            System,
            "-1",
            "2024-03-04T10:00:00Z",
        ),
        change(
            "941",
            Some(Solved),
            Closed,
            System,
            "-1",
            "2024-03-08T10:00:00Z",
        ),
    ]);
    assert_eq!(records(&batches), expected);
    assert!(
        !format!("{batches:?}").contains("secret body"),
        "message bodies must not be kept"
    );
    assert_resumes_exactly(&c, "ticket_events", &batches).await;
}

#[tokio::test]
async fn never_follows_next_page_to_the_production_host() {
    let server = MockServer::start().await;
    Mock::given(path(EP))
        .and(query_param("start_time", "0"))
        .respond_with(page(json!([]), 50, false))
        .mount(&server)
        .await;
    Mock::given(path(EP))
        .and(query_param("start_time", "50"))
        .and(query_param("include", "comment_events"))
        .respond_with(page(json!([]), 60, true))
        .expect(1)
        .mount(&server)
        .await;
    let batches = read_ok(&connector(&server), "ticket_events", None).await;
    assert_eq!(batches.len(), 2);
}

#[tokio::test]
async fn a_cursor_checkpoint_is_refused() {
    let server = MockServer::start().await;
    let (batches, err) = read(
        &connector(&server),
        "ticket_events",
        Some(Checkpoint::new(json!({"cursor": "x"}))),
    )
    .await;
    assert!(batches.is_empty());
    assert!(
        matches!(
            err,
            Some(deskpulse_connector::ConnectorError::Malformed { .. })
        ),
        "{err:?}"
    );
}
