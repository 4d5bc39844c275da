//! The ticket data feed: newest first, cursor paging, bookmark, resume, mapping.

use crate::common::*;
use deskpulse_connector::{Checkpoint, Record, testkit};
use deskpulse_connector_gorgias::GorgiasConnector;
use deskpulse_model::{Channel, Ticket, TicketStatus};
use serde_json::{Value, json};
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const EP: &str = "/api/tickets";

pub fn page(data: Value, next: Option<&str>) -> ResponseTemplate {
    page_of(EP, data, next)
}

/// A server with five tickets over three pages, newest first (as
/// `order_by=updated_datetime:desc` gives), and the connector reading it.
pub async fn ticket_feed() -> (MockServer, GorgiasConnector) {
    let server = MockServer::start().await;
    let p1 = json!([
        ticket(
            105,
            "open",
            "2026-11-20T11:30:00.000000",
            "2026-11-20T12:00:00.000001"
        ),
        ticket(
            104,
            "closed",
            "2026-11-20T09:00:00.000000",
            "2026-11-20T11:00:00.5"
        )
    ]);
    let p2 = json!([
        ticket(
            103,
            "open",
            "2026-11-20T08:00:00",
            "2026-11-20T10:00:00+00:00"
        ),
        ticket(
            102,
            "closed",
            "2026-11-19T08:00:00.123456",
            "2026-11-20T09:00:00.123456"
        )
    ]);
    let p3 = json!([ticket(
        101,
        "closed",
        "2026-11-18T08:00:00.1",
        "2026-11-19T08:00:00.1"
    )]);
    mount_pages(
        &server,
        EP,
        &[("order_by", "updated_datetime:desc"), ("limit", "100")],
        vec![
            (p1, Some("WyJuZXh0IiwgMjksIDkyOV0=")),
            (p2, Some("c2")),
            (p3, None),
        ],
    )
    .await;
    let c = connector(&server);
    (server, c)
}

#[tokio::test]
async fn first_sync_reads_every_page_and_bookmarks_the_newest_update() {
    let (_server, c) = ticket_feed().await;
    let batches = read_ok(&c, "tickets", None).await;
    assert_eq!(batches.len(), 3);
    assert_eq!(ticket_ids(&batches), ["105", "104", "103", "102", "101"]);
    // Each ticket comes with its requester as a customer, before it.
    assert_eq!(
        keys(&batches[0].records),
        ["customer:1105", "ticket:105", "customer:1104", "ticket:104"]
    );
    assert_eq!(
        checkpoints(&batches),
        [
            json!({"after": null, "upper": "2026-11-20T12:00:00.000001Z", "cursor": "WyJuZXh0IiwgMjksIDkyOV0="}),
            json!({"after": null, "upper": "2026-11-20T12:00:00.000001Z", "cursor": "c2"}),
            json!({"bookmark": "2026-11-20T12:00:00.000001Z"}),
        ]
    );
}

#[tokio::test]
async fn a_resumed_pass_rereads_only_the_overlap() {
    let (_server, c) = ticket_feed().await;
    let batches = read_ok(&c, "tickets", None).await;
    // From the final bookmark: the 5-minute overlap re-reads ticket 105 (harmless: upsert),
    // stops at 104 (an hour older) and never asks for page 2.
    let again = read_ok(&c, "tickets", Some(batches[2].checkpoint.clone())).await;
    assert_eq!(ticket_ids(&again), ["105"]);
    assert_eq!(
        checkpoints(&again),
        [json!({"bookmark": "2026-11-20T12:00:00.000001Z"})]
    );
}

#[tokio::test]
async fn incremental_sync_stops_at_the_bookmark() {
    let (server, _) = ticket_feed().await;
    Mock::given(path(EP))
        .and(query_param("cursor", "c2"))
        .respond_with(page(json!([]), None))
        .expect(0)
        .named("page 3 is older than the bookmark")
        .with_priority(1)
        .mount(&server)
        .await;
    let c = connector(&server);
    let from = Checkpoint::new(json!({"bookmark": "2026-11-20T10:00:00.000000Z"}));
    let batches = read_ok(&c, "tickets", Some(from)).await;
    // 103 (updated exactly at the bookmark) is inside the overlap; 102 is older: stop.
    assert_eq!(ticket_ids(&batches), ["105", "104", "103"]);
    assert_eq!(
        checkpoints(&batches),
        [
            json!({"after": "2026-11-20T09:55:00.000000Z", "upper": "2026-11-20T12:00:00.000001Z", "cursor": "WyJuZXh0IiwgMjksIDkyOV0="}),
            json!({"bookmark": "2026-11-20T12:00:00.000001Z"}),
        ]
    );
}

#[tokio::test]
async fn nothing_new_keeps_the_bookmark() {
    let (_server, c) = ticket_feed().await;
    let from = Checkpoint::new(json!({"bookmark": "2026-11-21T00:00:00.000000Z"}));
    let batches = read_ok(&c, "tickets", Some(from.clone())).await;
    assert_eq!(batches.len(), 1);
    assert!(batches[0].records.is_empty());
    assert_eq!(batches[0].checkpoint, from);
}

#[tokio::test]
async fn start_date_bounds_the_first_sync() {
    let (server, _) = ticket_feed().await;
    let c = connector_with(deskpulse_connector_gorgias::GorgiasSettings {
        start_date: Some(serde_json::from_value(json!("2026-11-20")).unwrap()),
        ..settings(&server)
    });
    let batches = read_ok(&c, "tickets", None).await;
    // 101 was last updated on the 19th: the pass ends there.
    assert_eq!(ticket_ids(&batches), ["105", "104", "103", "102"]);
    assert_eq!(
        batches[0].checkpoint.value()["after"],
        json!("2026-11-19T23:59:59.999999Z")
    );
    // (The kit resumes every stream from every checkpoint; it never sets a start date.)
    testkit::assert_resumes_exactly_mid_pass(&c, "tickets", &batches).await;
}

/// Ticket 1 (created 08:00, updated 10:00 on 2026-11-20) in `status`, its fields as `patch`
/// sets them, read and mapped.
async fn map_one(status: &str, patch: Value) -> Ticket {
    let mut t = ticket(1, status, "2026-11-20T08:00:00", "2026-11-20T10:00:00");
    for (field, value) in patch.as_object().unwrap() {
        t[field] = value.clone();
    }
    read_ticket(t).await
}

#[tokio::test]
async fn documented_example_maps_field_by_field() {
    // "The Ticket object" example of §4.7, verbatim in its KPI fields.
    let recs = read_one(EP, "tickets", documented_ticket()).await;
    let Record::Customer(cust) = &recs[0] else {
        panic!("{recs:?}")
    };
    assert_eq!(cust.external_id, "120");
    assert_eq!(cust.email.as_deref(), Some("john@example.com"));
    assert!(!format!("{cust:?}").contains("john@"), "no e-mail in Debug");
    let t = only_ticket(recs);
    assert_eq!(
        t,
        Ticket {
            external_id: "12".into(),
            channel: Channel::Email,
            status: TicketStatus::Open,
            created_at: at("2019-07-05T14:42:00.384938Z"),
            updated_at: at("2020-01-27T10:42:21.932637Z"),
            first_solved_at: None,
            final_solved_at: None,
            reopens: None,
            opened_by_agent: Some(true),
            requester_id: Some("120".into()),
            assignee_id: Some("7".into()),
            group_id: None,
            tags: vec![],
            priority: None,
        }
    );
}

#[tokio::test]
async fn statuses_spam_trash_and_snooze() {
    let closed = map_one("closed", json!({})).await;
    assert_eq!(closed.status, TicketStatus::Closed);
    assert_eq!(closed.final_solved_at, Some(at("2026-11-20T10:00:00Z")));
    assert_eq!(closed.tags, ["refund"]);
    assert_eq!(closed.assignee_id.as_deref(), Some("7"));
    assert_eq!(closed.priority.as_deref(), Some("normal"));
    assert_eq!(closed.opened_by_agent, Some(false));

    let spam = map_one("closed", json!({"spam": true})).await;
    assert_eq!(spam.status, TicketStatus::Spam);

    let t = map_one("open", json!({"trashed_datetime": "2026-11-20T10:00:00"})).await;
    assert_eq!(t.status, TicketStatus::Deleted);
    assert!(t.status.is_excluded());

    let t = map_one("closed", json!({"snooze_datetime": "2026-11-23T09:00:00"})).await;
    assert_eq!(t.status, TicketStatus::OnHold);
    assert_eq!(t.final_solved_at, None, "a snoozed ticket is not solved");

    let team = json!({"assignee_team": {"id": 42, "name": "Tier 2"}, "assignee_user": null,
                      "closed_datetime": "2026-11-19T10:00:00"});
    let t = map_one("open", team).await;
    assert_eq!((t.group_id.as_deref(), t.assignee_id), (Some("42"), None));
    assert_eq!(t.final_solved_at, None, "an open ticket has no final solve");

    // Newer payloads: the ids flat, next to (or instead of) the objects.
    let flat = json!({"assignee_user": null, "assignee_user_id": 77, "assignee_team_id": 43});
    let t = map_one("open", flat).await;
    assert_eq!(
        (t.assignee_id.as_deref(), t.group_id.as_deref()),
        (Some("77"), Some("43"))
    );
}

#[tokio::test]
async fn channels() {
    let path = format!(
        "{}/tests/fixtures/channels.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let table: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (slug, want) in table.as_object().unwrap() {
        if slug.starts_with('_') {
            continue;
        }
        let want: Channel = serde_json::from_value(want.clone()).unwrap();
        let t = map_one("open", json!({ "channel": slug })).await;
        assert_eq!(t.channel, want, "{slug}");
    }
}

#[tokio::test]
async fn a_refused_stored_cursor_restarts_the_pass_without_losing_anything() {
    let (server, _) = ticket_feed().await;
    refuse_cursor(&server, EP, "expired").await;
    let c = connector(&server);
    let from = Checkpoint::new(json!({
        "after": "2026-11-20T08:30:00.000000Z",
        "upper": "2026-11-20T12:00:00.000001Z",
        "cursor": "expired"
    }));
    let batches = read_ok(&c, "tickets", Some(from)).await;
    // The same bound (after 08:30), read again from the head of the list.
    assert_eq!(ticket_ids(&batches), ["105", "104", "103", "102"]);
    assert_eq!(
        batches.last().unwrap().checkpoint.value(),
        &json!({"bookmark": "2026-11-20T12:00:00.000001Z"})
    );
}

#[tokio::test]
async fn a_bad_request_without_a_stored_cursor_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(path(EP))
        .respond_with(ResponseTemplate::new(400))
        .expect(1)
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "tickets", None).await;
    assert!(batches.is_empty());
    // Not retried, and not taken for a refused stored cursor: there is none.
    testkit::assert_http_error(&err, 400, 1);
}
