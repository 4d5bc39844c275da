//! The message data feed: authors (customer / agent / bot), internal notes, paging, resume.

use crate::common::*;
use deskpulse_connector::Record;
use deskpulse_model::{AuthorKind, Message};
use serde_json::json;
use wiremock::MockServer;

const EP: &str = "/api/messages";

/// The documented example (§4.7), then an agent reply, an internal note, a rule's auto-reply,
/// a deleted message and one that failed and was never sent; newest first over two pages.
async fn served() -> MockServer {
    let server = MockServer::start().await;
    let customer = json!({"id":924712,"ticket_id":12,"public":true,"channel":"email","via":"api","from_agent":false,
      "sender":{"id":93,"email":"john@example.com","name":"John Doe","firstname":"John","lastname":"Doe","meta":{}},
      "source":{"type":"email","from":{"address":"john@example.com","name":"Sender Doe"},
                "to":[{"address":"support@acme.com","name":"Receiver Doe"}],"cc":null,"bcc":null},
      "rule_id":null,"integration_id":28643,"body_text":"Hello, …",
      "created_datetime":"2020-01-27T10:42:21.468912","sent_datetime":"2020-01-27T10:42:21.468912",
      "failed_datetime":null,"opened_datetime":null});
    let reply = message(924713, 12, true, 7, "2020-01-27T11:00:00.000001");
    let mut note = message(924714, 12, true, 8, "2020-01-27T11:30:00");
    note["public"] = json!(false);
    note["channel"] = json!("internal-note");
    note["via"] = json!("helpdesk");
    note["source"] =
        json!({"type": "internal-note", "from": null, "to": [], "cc": null, "bcc": null});
    let mut auto = message(924715, 13, true, 7, "2020-01-27T12:00:00");
    auto["rule_id"] = json!(55);
    auto["via"] = json!("rule");
    let mut deleted = message(924716, 13, true, 7, "2020-01-27T12:30:00");
    deleted["deleted_datetime"] = json!("2020-01-27T12:31:00");
    let mut failed = message(924717, 13, true, 7, "2020-01-27T13:00:00");
    failed["failed_datetime"] = json!("2020-01-27T13:00:05");
    failed["sent_datetime"] = json!(null);
    mount_pages(
        &server,
        EP,
        &[("order_by", "created_datetime:desc")],
        vec![
            (json!([failed, deleted, auto]), Some("m1")),
            (json!([note, reply, customer]), None),
        ],
    )
    .await;
    server
}

#[tokio::test]
async fn authors_notes_and_skipped_messages() {
    let server = served().await;
    let c = connector(&server);
    let batches = read_ok(&c, "messages", None).await;
    assert_eq!(batches.len(), 2);
    let m: Vec<Message> = all(&records(&batches), Record::as_message);
    let got: Vec<(&str, AuthorKind, Option<&str>, bool)> = m
        .iter()
        .map(|m| {
            (
                m.external_id.as_str(),
                m.author_kind,
                m.author_id.as_deref(),
                m.public,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // Deleted and failed-unsent messages are not part of the conversation.
            ("924715", AuthorKind::Bot, Some("7"), true),
            ("924714", AuthorKind::Agent, Some("8"), false),
            ("924713", AuthorKind::Agent, Some("7"), true),
            ("924712", AuthorKind::Customer, Some("93"), true),
        ]
    );
    assert_eq!(m[3].ticket_id, "12");
    assert_eq!(m[3].created_at, at("2020-01-27T10:42:21.468912Z"));
    // The newest message read (even a skipped one) is the bookmark: it was read.
    assert_eq!(
        checkpoints(&batches),
        [
            json!({"after": null, "upper": "2020-01-27T13:00:00.000000Z", "cursor": "m1"}),
            json!({"bookmark": "2020-01-27T13:00:00.000000Z"}),
        ]
    );
}
