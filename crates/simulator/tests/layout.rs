//! The JSON shapes the simulator serves, asserted against Zendesk's documented or recorded
//! payloads (never through the connector). Sources, quoted in each test:
//! * Incremental Ticket Event Export, API reference (developer.zendesk.com/api-reference/
//!   ticketing/ticket-management/incremental_exports/; the same text in Zendesk's OpenAPI
//!   description `incremental` and its transcriptions on developers.qodex.ai): the
//!   `comment_events` sideload example and the `comment_present` / `comment_public` rule;
//!   `support_type_scope` (`all`, `agent`, `ai_agent`, default `agent`).
//! * A recorded ticket-events child, kept in a comment of
//!   `aladingg/zendesk-java-client:src/main/java/org/zendesk/client/v2/model/ChildEvent.java`
//!   (commit 746e3dfa540ebb3e9d249b05808fb206b5ef95d9; the earlier a40936036ea6 has no example yet), showing the export's own layout of a
//!   status change.
//! * Zendesk's OpenAPI schemas `CursorBasedExportIncrementalUsersResponse` /
//!   `…TicketsResponse` (paging fields) and the Ticket Metrics API field table
//!   (developer.zendesk.com/rest_api/docs/core/ticket_metrics).
//! * Satisfaction Ratings API: the record is made when the survey is offered ("lists all
//!   received satisfaction rating requests ever issued"), and the documented example has
//!   `"created_at": "2012-02-01T04:31:29Z", "updated_at": "2012-02-02T10:32:59Z"`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use deskpulse_model::TicketStatus;
use deskpulse_simulator::{
    Credentials, DataConfig, Dataset, Limits, RunningSimulator, SimConfig, Simulator,
};
use serde_json::{Value, json};

const EVENTS: &str = "/api/v2/incremental/ticket_events.json";
const TICKETS: &str = "/api/v2/incremental/tickets/cursor.json";
const USERS: &str = "/api/v2/incremental/users/cursor.json";
const RATINGS: &str = "/api/v2/satisfaction_ratings.json";

fn small(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        data: DataConfig {
            days: 14,
            tickets_per_day: 25.0,
            ..DataConfig::default()
        },
        limits: Limits::off(),
        ..SimConfig::default()
    }
}

async fn start(cfg: SimConfig) -> (RunningSimulator, Arc<Dataset>) {
    let data = Arc::new(Dataset::generate(&cfg));
    let sim = Simulator::start(data.clone(), cfg)
        .await
        .expect("simulator starts");
    (sim, data)
}

async fn fetch(url: &str) -> (u16, Value) {
    let c = Credentials::default();
    let resp = reqwest::Client::builder()
        // A deadline for a hang, not a measure of speed: CI shares two cores.
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
        .get(url)
        .basic_auth(format!("{}/token", c.email), Some(c.token))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON body"))
}

async fn get(url: &str) -> Value {
    let (status, body) = fetch(url).await;
    assert_eq!(status, 200, "GET {url}: {body}");
    body
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

/// Every audit of the ticket-event export once, following `next_page` (the next page starts
/// at `end_time`, so the audits of that second come again).
async fn all_events(base: &str, query: &str) -> Vec<Value> {
    let mut url = format!("{base}{EVENTS}?start_time=0&per_page=1000{query}");
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    loop {
        let body = get(&url).await;
        for e in body["ticket_events"].as_array().expect("events") {
            if ids.insert(e["id"].as_i64().expect("id")) {
                out.push(e.clone());
            }
        }
        if body["end_of_stream"] == true {
            return out;
        }
        url = body["next_page"].as_str().expect("next_page").to_string();
    }
}

fn status_word(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::New => "new",
        TicketStatus::Open => "open",
        TicketStatus::Pending => "pending",
        TicketStatus::OnHold => "hold",
        TicketStatus::Solved => "solved",
        TicketStatus::Closed => "closed",
        _ => "deleted",
    }
}

#[tokio::test]
async fn status_changes_are_served_in_the_export_layout_with_the_field_as_its_own_key() {
    // Recorded from a real account's export (aladingg/zendesk-java-client, see above).
    let recorded = json!({
        "id": 1561823056871_i64,
        "via": "Web form",
        "via_reference_id": null,
        "status": "solved",
        "event_type": "Change",
        "previous_value": "open"
    });
    let (sim, data) = start(small(21)).await;
    let truth = data.truth();
    let audits = all_events(sim.base_url(), "&include=comment_events").await;
    let mut seen = std::collections::HashMap::new();
    for a in &audits {
        assert!(a["via"].is_string(), "the parent's via is a string: {a}");
        for ch in a["child_events"].as_array().expect("children") {
            let kind = ch["event_type"].as_str().expect("event_type");
            if kind != "Create" && kind != "Change" {
                continue;
            }
            let mut want = keys(&recorded);
            if kind == "Create" {
                want.remove("previous_value");
            }
            assert_eq!(keys(ch), want, "{ch}");
            // The child carries its audit's via, as a string, and no reference.
            assert_eq!(ch["via"], a["via"], "{ch}");
            assert!(ch["via_reference_id"].is_null());
            assert!(ch.get("field_name").is_none() && ch.get("value").is_none());
            seen.insert(ch["id"].as_i64().expect("id"), ch.clone());
        }
    }
    // Each true transition is served once, with its statuses.
    assert_eq!(seen.len(), truth.status_change_count());
    for t in &truth.tickets {
        for x in &t.transitions {
            let ch = &seen[&x.id];
            let to = match t.excluded {
                // Spam and deleted tickets show Zendesk's own `deleted`.
                _ if x.to == TicketStatus::Deleted => "deleted",
                _ => status_word(x.to),
            };
            assert_eq!(ch["status"], to, "ticket {}", t.id);
            match x.from {
                None => assert_eq!(ch["event_type"], "Create"),
                Some(from) => {
                    assert_eq!(ch["event_type"], "Change");
                    assert_eq!(ch["previous_value"], status_word(from));
                }
            }
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn sideloaded_comments_are_served_as_the_documented_comment_event() {
    // The `comment_events` sideload example of the API reference.
    let documented = json!({
        "id": 91048994488_i64,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": null}},
        "via_reference_id": null,
        "type": "Comment",
        "author_id": 5031726587_i64,
        "body": "This is a comment",
        "html_body": "<div class=\"zd-comment\"><p dir=\"auto\">This is a comment</p>",
        "public": true,
        "attachments": [],
        "audit_id": 91048994468_i64,
        "created_at": "2009-06-25T10:15:18Z",
        "event_type": "Comment"
    });
    let (sim, data) = start(small(22)).await;
    let audits = all_events(sim.base_url(), "&include=comment_events").await;
    let mut comments = 0;
    for a in &audits {
        // The parent: the documented audit fields, `via` a string (a child's is an object).
        for k in [
            "id",
            "ticket_id",
            "timestamp",
            "created_at",
            "updater_id",
            "via",
            "via_reference_id",
            "event_type",
            "child_events",
        ] {
            assert!(a.get(k).is_some(), "audit without {k}: {a}");
        }
        assert_eq!(a["event_type"], "Audit");
        for ch in a["child_events"].as_array().expect("children") {
            if ch["event_type"] != "Comment" {
                continue;
            }
            comments += 1;
            assert_eq!(keys(ch), keys(&documented), "{ch}");
            assert_eq!(keys(&ch["via"]), keys(&documented["via"]), "{ch}");
            assert_eq!(
                keys(&ch["via"]["source"]),
                keys(&documented["via"]["source"]),
                "{ch}"
            );
            assert_eq!(ch["type"], "Comment");
            assert_eq!(ch["audit_id"], a["id"]);
            assert!(ch["public"].is_boolean() && ch["author_id"].is_i64());
            // A trigger's comment says so in its via (via-object reference).
            if ch["via"]["channel"] == "rule" {
                assert_eq!(ch["via"]["source"]["rel"], "trigger");
            }
        }
    }
    assert_eq!(comments, data.truth().comment_count());
    sim.shutdown().await;
}

#[tokio::test]
async fn without_the_sideload_comments_are_only_flagged_in_the_child_events() {
    let (sim, data) = start(small(23)).await;
    let audits = all_events(sim.base_url(), "").await;
    let (mut present, mut public) = (0, 0);
    for a in &audits {
        for ch in a["child_events"].as_array().expect("children") {
            if ch.get("comment_present").is_some() {
                present += 1;
                assert_eq!(ch["comment_present"], true);
                public += usize::from(ch["comment_public"] == true);
                // The comment itself is not included.
                assert!(ch.get("body").is_none() && ch.get("author_id").is_none());
            }
        }
    }
    let truth = data.truth();
    let public_messages = truth
        .tickets
        .iter()
        .flat_map(|t| &t.messages)
        .filter(|m| m.public)
        .count();
    assert_eq!(present, truth.comment_count());
    assert_eq!(public, public_messages);
    sim.shutdown().await;
}

#[tokio::test]
async fn support_type_scope_is_accepted_on_the_incremental_exports() {
    let (sim, data) = start(small(24)).await;
    let base = sim.base_url();
    let (_, tickets, audits, _) = data.record_counts();
    for scope in ["all", "agent"] {
        // The whole account: its tickets are all agent-handled.
        let body = get(&format!(
            "{base}{TICKETS}?start_time=0&per_page=1000&support_type_scope={scope}"
        ))
        .await;
        assert_eq!(body["tickets"].as_array().map(Vec::len), Some(tickets));
        let after = body["after_url"].as_str().expect("after_url");
        assert!(
            after.contains(&format!("support_type_scope={scope}")),
            "{after}"
        );
        let events = all_events(base, &format!("&support_type_scope={scope}")).await;
        assert_eq!(events.len(), audits);
    }
    // No ticket of the simulated account was handled by an AI agent alone.
    let body = get(&format!(
        "{base}{TICKETS}?start_time=0&support_type_scope=ai_agent"
    ))
    .await;
    assert_eq!(body["tickets"], json!([]));
    assert_eq!(body["end_of_stream"], true);
    let body = get(&format!(
        "{base}{EVENTS}?start_time=0&support_type_scope=ai_agent"
    ))
    .await;
    assert_eq!(body["ticket_events"], json!([]));
    assert_eq!(body["end_of_stream"], true);
    // Anything else is a 400 that says what is allowed.
    for path in [TICKETS, EVENTS] {
        let (status, body) = fetch(&format!(
            "{base}{path}?start_time=0&support_type_scope=bots"
        ))
        .await;
        assert_eq!(status, 400);
        assert!(
            body["description"]
                .as_str()
                .expect("description")
                .contains("ai_agent")
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn cursor_export_pages_carry_exactly_the_documented_paging_fields() {
    let (sim, _) = start(small(25)).await;
    let base = sim.base_url();
    let paging = [
        "after_cursor",
        "after_url",
        "before_cursor",
        "before_url",
        "end_of_stream",
    ];
    for (path, records) in [(USERS, "users"), (TICKETS, "tickets")] {
        let body = get(&format!("{base}{path}?start_time=0&per_page=10")).await;
        let mut want: BTreeSet<String> = paging.iter().map(|s| s.to_string()).collect();
        want.insert(records.into());
        assert_eq!(keys(&body), want, "{path}");
        assert!(body["before_cursor"].is_null() && body["before_url"].is_null());
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn the_metric_set_has_the_documented_fields_and_zendesks_values() {
    // The Ticket Metrics JSON format (developer.zendesk.com Ticket Metrics API).
    let documented: BTreeSet<String> = [
        "agent_wait_time_in_minutes",
        "assigned_at",
        "assignee_stations",
        "assignee_updated_at",
        "created_at",
        "custom_status_updated_at",
        "first_resolution_time_in_minutes",
        "full_resolution_time_in_minutes",
        "group_stations",
        "id",
        "initially_assigned_at",
        "latest_comment_added_at",
        "on_hold_time_in_minutes",
        "reopens",
        "replies",
        "reply_time_in_minutes",
        "requester_updated_at",
        "requester_wait_time_in_minutes",
        "solved_at",
        "status_updated_at",
        "ticket_id",
        "updated_at",
        "url",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let (sim, data) = start(small(26)).await;
    let truth = data.truth();
    let mut url = format!(
        "{}{TICKETS}?start_time=0&per_page=200&include=metric_sets",
        sim.base_url()
    );
    let mut n = 0;
    loop {
        let body = get(&url).await;
        for t in body["tickets"].as_array().expect("tickets") {
            n += 1;
            let ms = &t["metric_set"];
            if t["status"] == "deleted" {
                // Zendesk deletes the metric record with the ticket.
                assert!(ms.is_null(), "{t}");
                continue;
            }
            assert_eq!(keys(ms), documented, "{ms}");
            let tt = truth
                .ticket(t["id"].as_i64().expect("id"))
                .expect("true ticket");
            let v = &tt.vendor;
            for (field, want) in [
                ("reply_time_in_minutes", v.reply_time_in_minutes),
                (
                    "first_resolution_time_in_minutes",
                    v.first_resolution_time_in_minutes,
                ),
                (
                    "full_resolution_time_in_minutes",
                    v.full_resolution_time_in_minutes,
                ),
                ("agent_wait_time_in_minutes", v.agent_wait_time_in_minutes),
                (
                    "requester_wait_time_in_minutes",
                    v.requester_wait_time_in_minutes,
                ),
                ("on_hold_time_in_minutes", v.on_hold_time_in_minutes),
            ] {
                assert_eq!(
                    ms[field],
                    json!({"calendar": want.calendar, "business": want.business}),
                    "ticket {} {field}",
                    tt.id
                );
            }
            assert_eq!(ms["reopens"], v.reopens);
            assert_eq!(ms["replies"], v.replies);
            assert_eq!(ms["ticket_id"], t["id"]);
        }
        if body["end_of_stream"] == true {
            break;
        }
        url = body["after_url"].as_str().expect("after_url").to_string();
    }
    assert_eq!(n, truth.ticket_count());
    // The default account keeps business hours: business values are served.
    assert!(
        truth
            .tickets
            .iter()
            .any(|t| t.vendor.reply_time_in_minutes.business.is_some())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_rating_is_created_when_offered_and_updated_when_answered() {
    let (sim, data) = start(small(27)).await;
    let truth = data.truth();
    let mut url = format!(
        "{}{RATINGS}?start_time=0&sort=created_at&page[size]=100",
        sim.base_url()
    );
    let mut served = Vec::new();
    loop {
        let body = get(&url).await;
        served.extend(
            body["satisfaction_ratings"]
                .as_array()
                .expect("ratings")
                .iter()
                .cloned(),
        );
        if body["meta"]["has_more"] != true {
            break;
        }
        url = body["links"]["next"].as_str().expect("next").to_string();
    }
    assert_eq!(served.len(), truth.rating_count());
    let time = |v: &Value| {
        v.as_str()
            .expect("a time")
            .parse::<chrono::DateTime<chrono::Utc>>()
            .expect("RFC 3339")
    };
    let mut answered_later = 0;
    for (r, t) in served.iter().zip(&truth.ratings) {
        assert_eq!(r["id"], t.id);
        assert_eq!(time(&r["created_at"]), t.offered_at);
        assert_eq!(
            time(&r["updated_at"]),
            t.answered_at.unwrap_or(t.offered_at)
        );
        // The time a response counts at is the record's updated_at.
        assert_eq!(time(&r["updated_at"]), t.created_at);
        answered_later += usize::from(t.answered_at.is_some_and(|a| a > t.offered_at));
    }
    assert!(answered_later > 0);
    // Sorted by created_at, the offer.
    let created: Vec<_> = served.iter().map(|r| time(&r["created_at"])).collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]));
    sim.shutdown().await;
}
