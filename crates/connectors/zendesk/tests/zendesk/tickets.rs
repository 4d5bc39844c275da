//! The tickets export: paging, the mapping of statuses and channels, and the vendor's own
//! figures from each ticket's metric set.

use crate::common::*;
use deskpulse_connector::Record;
use deskpulse_model::{Channel, Ticket, TicketStatus, VendorDuration, VendorMetrics};
use serde_json::{Value, json};
use wiremock::matchers::query_param_is_missing;
use wiremock::{MockServer, ResponseTemplate};

/// A page of the tickets export.
pub fn page(tickets: Value, after: &str, eos: bool) -> ResponseTemplate {
    export_page("tickets", TICKETS, tickets, after, eos)
}

/// Four pages: the recorded go-zendesk tickets (with metric sets), a page of every status
/// and channel, an empty page that is not the end, and the last page.
async fn tickets_server() -> MockServer {
    let server = MockServer::start().await;
    let mut recorded = fixture("tickets.json")["tickets"].clone();
    recorded[0]["metric_set"] = json!({
        "id": 9515133612047u64, "ticket_id": 2, "reopens": 1, "replies": 2,
        "reply_time_in_minutes": {"calendar": 97, "business": 23},
        "first_resolution_time_in_minutes": {"calendar": 7292, "business": 1440},
        "full_resolution_time_in_minutes": {"calendar": 7300, "business": 1450},
        "assigned_at": "2019-06-03T02:30:00Z", "solved_at": "2019-06-05T01:13:24Z",
        "latest_comment_added_at": "2019-06-05T01:13:24Z"
    });
    recorded[1]["metric_set"] =
        json!({"id": 1, "ticket_id": 3, "reopens": 0, "replies": 1, "solved_at": null});
    let first = [
        ("start_time", "0"),
        ("include", "metric_sets"),
        ("support_type_scope", "all"),
    ];
    given(TICKETS, &first)
        .and(query_param_is_missing("cursor"))
        .respond_with(page(recorded, "t1", false))
        .mount(&server)
        .await;
    let mut open_solved = ticket(14, "open", "api", &[]);
    open_solved["metric_set"] = json!({"reopens": 2, "solved_at": "2024-03-01T12:00:00Z"});
    let mut deleted = ticket(12, "deleted", "whatsapp", &[]);
    deleted["metric_set"] = json!({"reopens": 0, "replies": 0, "solved_at": null});
    let page2 = json!([
        ticket(10, "new", "native_messaging", &[]),
        ticket(11, "hold", "voice", &["vip"]),
        deleted,
        ticket(13, "closed", "email", &["closed_by_merge", "x"]),
        open_solved,
        ticket(15, "pending", "sample_ticket", &[]),
        ticket(16, "solved", "chat", &[]),
        ticket(17, "open", "twitter", &[]),
    ]);
    // Every cursor page keeps asking for metric sets and every ticket type.
    let scope = [("include", "metric_sets"), ("support_type_scope", "all")];
    for (cursor, also, tickets, after, eos) in [
        ("t1", &scope[..], page2, "t2", false),
        ("t2", &[], json!([]), "t3", false),
        (
            "t3",
            &[],
            json!([ticket(18, "open", "web", &[])]),
            "t4",
            true,
        ),
        ("t4", &[], json!([]), "t4", true),
    ] {
        let query = [&[("cursor", cursor)][..], also].concat();
        get(TICKETS, &query, page(tickets, after, eos))
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test]
async fn pages_and_maps() {
    let server = tickets_server().await;
    let batches = read_ok(&connector(&server), "tickets", None).await;
    assert_eq!(
        checkpoints(&batches),
        // `reached`: the latest `updated_at` read so far (an empty page keeps it).
        vec![
            json!({"cursor": "t1", "reached": 1559697204}),
            json!({"cursor": "t2", "reached": ts("2024-03-02T10:00:00Z")}),
            json!({"cursor": "t3", "reached": ts("2024-03-02T10:00:00Z")}),
            json!({"cursor": "t4", "reached": ts("2024-03-02T10:00:00Z")})
        ],
        "an empty page that is not the end of the stream must not stop the sync"
    );
    let recs = records(&batches);
    let tickets = recs
        .iter()
        .filter_map(Record::as_ticket)
        .collect::<Vec<_>>();
    assert_eq!(tickets.len(), 11);
    // Every other record is the vendor's figures of a ticket with a metric set, right
    // after that ticket: the recorded 2 and 3, and 14; the deleted 12 gets none.
    let vendor: Vec<&VendorMetrics> = recs
        .iter()
        .filter_map(|r| match r {
            Record::VendorMetrics(v) => Some(v),
            Record::Ticket(_) => None,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        vendor
            .iter()
            .map(|v| v.ticket_id.as_str())
            .collect::<Vec<_>>(),
        vec!["2", "3", "14"]
    );
    // The real record's minutes, in seconds; no `reply_time_in_seconds` there.
    assert_eq!(
        vendor[0],
        &VendorMetrics {
            ticket_id: "2".into(),
            updated_at: t("2019-06-05T01:13:24Z"),
            first_response: VendorDuration {
                calendar_seconds: Some(97 * 60),
                business_seconds: Some(23 * 60)
            },
            first_resolution: VendorDuration {
                calendar_seconds: Some(7292 * 60),
                business_seconds: Some(1440 * 60)
            },
            full_resolution: VendorDuration {
                calendar_seconds: Some(7300 * 60),
                business_seconds: Some(1450 * 60)
            },
            reopens: Some(1),
            replies: Some(2),
        }
    );
    assert_eq!(
        (vendor[1].first_response, vendor[1].replies),
        (VendorDuration::NONE, Some(1))
    );

    // The recorded ticket, field by field.
    assert_eq!(
        tickets[0],
        &Ticket {
            external_id: "2".into(),
            channel: Channel::Email,
            status: TicketStatus::Solved,
            created_at: t("2019-06-03T02:23:47Z"),
            updated_at: t("2019-06-05T01:13:24Z"),
            first_solved_at: None,
            final_solved_at: Some(t("2019-06-05T01:13:24Z")),
            reopens: Some(1),
            opened_by_agent: None,
            requester_id: Some("377922500012".into()),
            assignee_id: Some("377922500012".into()),
            group_id: Some("360004077472".into()),
            tags: vec![],
            priority: None,
        }
    );
    assert_eq!(
        (
            tickets[1].channel,
            tickets[1].final_solved_at,
            tickets[1].reopens
        ),
        (Channel::Web, None, Some(0))
    );

    let by_id = |id: &str| *tickets.iter().find(|t| t.external_id == id).unwrap();
    let expect = [
        ("10", TicketStatus::New, Channel::Chat),
        ("11", TicketStatus::OnHold, Channel::Phone),
        ("12", TicketStatus::Deleted, Channel::Social),
        ("13", TicketStatus::Merged, Channel::Email),
        ("14", TicketStatus::Open, Channel::Api),
        ("15", TicketStatus::Pending, Channel::Other),
        ("16", TicketStatus::Solved, Channel::Chat),
        ("17", TicketStatus::Open, Channel::Social),
        ("18", TicketStatus::Open, Channel::Web),
    ];
    for (id, status, channel) in expect {
        let t = by_id(id);
        assert_eq!((t.status, t.channel), (status, channel), "ticket {id}");
    }
    // An open ticket's metric solve time is stale: no final solve; reopens still count.
    assert_eq!(
        (by_id("14").final_solved_at, by_id("14").reopens),
        (None, Some(2))
    );
    assert_eq!(by_id("11").tags, vec!["vip".to_string()]);
    assert_eq!(
        by_id("13").tags,
        vec!["closed_by_merge".to_string(), "x".to_string()]
    );
    assert_eq!(by_id("10").priority.as_deref(), Some("high"));
    assert_eq!(by_id("10").requester_id.as_deref(), Some("20978392"));
    assert_eq!(by_id("10").assignee_id, None);
    assert_eq!(by_id("10").reopens, None);
}

#[tokio::test]
async fn start_date_and_page_size_reach_the_request() {
    let server = MockServer::start().await;
    let query = [
        ("start_time", "1704067200"),
        ("per_page", "1000"),
        ("include", "metric_sets"),
    ];
    get(TICKETS, &query, page(json!([]), "c", true))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector_with(&server, |s| {
        s.start_date = Some(serde_json::from_value(json!("2024-01-01")).unwrap());
        s.page_size = Some(1000);
    });
    let batches = read_ok(&c, "tickets", None).await;
    assert_eq!(checkpoints(&batches), vec![json!({"cursor": "c"})]);
}

async fn one_ticket(t: Value) -> Vec<Record> {
    records_of_one_page("tickets", TICKETS, page(json!([t]), "c1", true), |_| {}).await
}

/// The documented metric set: durations in seconds (minutes × 60), the messaging-only
/// `reply_time_in_seconds` preferred for the calendar first reply, dated by the ticket's
/// `updated_at` so an older read never replaces a newer one.
#[tokio::test]
async fn vendor_metrics_come_from_the_documented_metric_set() {
    let mut tk = ticket(4343, "solved", "native_messaging", &[]);
    tk["metric_set"] = doc_fixture("ticket_metric.json");
    let recs = one_ticket(tk).await;
    assert!(matches!(&recs[0], Record::Ticket(t) if t.external_id == "4343"));
    let minutes = VendorDuration {
        calendar_seconds: Some(2391 * 60),
        business_seconds: Some(737 * 60),
    };
    assert_eq!(
        recs[1],
        Record::VendorMetrics(VendorMetrics {
            ticket_id: "4343".into(),
            updated_at: t("2024-03-02T10:00:00Z"),
            first_response: VendorDuration {
                calendar_seconds: Some(143460),
                business_seconds: Some(737 * 60)
            },
            first_resolution: minutes,
            full_resolution: minutes,
            reopens: Some(55),
            replies: Some(322),
        })
    );
    assert_eq!(recs.len(), 2);
}

/// Airbyte's real record: an open ticket's full resolution is `null`, so is ours.
#[tokio::test]
async fn unresolved_metric_values_are_none() {
    let mut tk = ticket(160, "open", "web", &[]);
    tk["metric_set"] = json!({"id": 9515133612047u64, "ticket_id": 160, "reopens": 1, "replies": 2,
        "reply_time_in_minutes": {"calendar": 97667, "business": 23040},
        "first_resolution_time_in_minutes": {"calendar": 7292, "business": 1440},
        "full_resolution_time_in_minutes": {"calendar": null, "business": null},
        "assigned_at": "2024-04-12T13:39:05Z", "solved_at": null,
        "latest_comment_added_at": "2024-09-20T13:53:23Z"});
    let recs = one_ticket(tk).await;
    match &recs[1] {
        Record::VendorMetrics(v) => {
            assert_eq!(v.full_resolution, VendorDuration::NONE);
            assert_eq!(v.first_response.calendar_seconds, Some(97667 * 60));
        }
        other => panic!("{other:?}"),
    }
}

/// No `metric_set` (not side-loaded, or `null`): no vendor figures.
#[tokio::test]
async fn a_ticket_without_metric_set_has_no_vendor_metrics() {
    let mut with_null = ticket(7, "open", "web", &[]);
    with_null["metric_set"] = Value::Null;
    assert_eq!(one_ticket(ticket(6, "open", "web", &[])).await.len(), 1);
    assert_eq!(one_ticket(with_null).await.len(), 1);
}

/// Via types and via ids (developer.zendesk.com/documentation/ticketing/reference-guides/via-types):
/// `mail` (id 4) is e-mail and `web_service` (id 5) the API, like `email` and `api`.
#[tokio::test]
async fn channel_given_as_via_type_or_via_id_is_mapped() {
    let mut by_type = ticket(20, "open", "web", &[]);
    by_type["via"] = json!({"channel": "mail", "source": {"from": {"address": "user@example.com", "name": "mycompany"}, "rel": null, "to": {"address": "support@example.com", "name": "Example Account"}}});
    let mut by_id = ticket(21, "open", "web", &[]);
    by_id["via"] = json!({"channel": 4, "source": {"from": {"address": "user@example.com", "name": "mycompany"}, "rel": null, "to": {"address": "support@example.com", "name": "Example Account"}}});
    let api = ticket(22, "open", "web_service", &[]);
    for (t, want) in [
        (by_type, Channel::Email),
        (by_id, Channel::Email),
        (api, Channel::Api),
    ] {
        match &one_ticket(t).await[0] {
            Record::Ticket(t) => assert_eq!(t.channel, want, "ticket {}", t.external_id),
            other => panic!("{other:?}"),
        }
    }
}

/// `support_type_scope` defaults to `agent`: without `all`, tickets an AI agent handled alone
/// are not exported. Sent on the first request and on every cursor page.
#[tokio::test]
async fn ticket_exports_ask_for_ai_agent_tickets_too() {
    let server = MockServer::start().await;
    for (first, after, eos) in [
        (("start_time", "0"), "c1", false),
        (("cursor", "c1"), "c2", true),
    ] {
        get(
            TICKETS,
            &[first, ("support_type_scope", "all")],
            page(json!([]), after, eos),
        )
        .expect(1)
        .mount(&server)
        .await;
    }
    assert_eq!(read_ok(&connector(&server), "tickets", None).await.len(), 2);
}
