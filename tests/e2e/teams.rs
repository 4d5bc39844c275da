//! Two helpdesks, two teams: a team with a Zendesk and a Gorgias source gets one report over
//! both; a second team that has only the Gorgias source sees only its facts.

use crate::harness::{Env, text};
use crate::zendesk_week;
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A list answer shaped like Gorgias's (`object`, `uri`, `data`, `meta.next_cursor`).
fn list(uri: &str, data: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "object": "list", "uri": uri, "data": data,
        "meta": {"prev_cursor": null, "next_cursor": null}
    }))
}

fn ticket(
    id: i64,
    channel: &str,
    status: &str,
    created: &str,
    updated: &str,
    closed: Option<&str>,
) -> Value {
    json!({
        "id": id, "uri": format!("/api/tickets/{id}/"), "external_id": null, "language": "en",
        "status": status, "priority": "normal", "channel": channel, "via": channel,
        "from_agent": false, "spam": false,
        "customer": {"id": 1000 + id, "email": format!("customer{id}@example.com"), "name": "Pat Doe"},
        "assignee_user": {"id": 7, "email": "steve@acme.com", "name": "Steve"}, "assignee_team": null,
        "subject": "(subject)", "tags": [], "messages_count": 2,
        "created_datetime": created, "opened_datetime": created,
        "last_received_message_datetime": updated, "last_message_datetime": updated,
        "updated_datetime": updated, "closed_datetime": closed,
        "snooze_datetime": null, "trashed_datetime": null
    })
}

fn message(id: i64, ticket_id: i64, from_agent: bool, sender: i64, created: &str) -> Value {
    json!({
        "id": id, "uri": format!("/api/tickets/{ticket_id}/messages/{id}/"), "ticket_id": ticket_id,
        "public": true, "channel": "email", "via": if from_agent { "helpdesk" } else { "email" },
        "source": {"type": "email"}, "sender": {"id": sender, "email": "x@example.com", "name": "X"},
        "rule_id": null, "from_agent": from_agent, "integration_id": null,
        "body_text": "(body)", "created_datetime": created, "sent_datetime": created,
        "failed_datetime": null, "deleted_datetime": null, "opened_datetime": null
    })
}

/// Three tickets in the Berlin week 2026-W46 (Gorgias times are naive UTC):
/// G1 email, answered after 30 min, closed; G2 chat, answered after 20 min, open;
/// G3 email, unanswered.
async fn gorgias() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/api/users"))
        .respond_with(list(
            "/api/users",
            vec![
                json!({"id": 7, "name": "Steve Gorgias", "email": "steve@acme.com",
            "role": {"name": "agent"}, "active": true, "created_datetime": "2026-01-01T00:00:00",
            "updated_datetime": "2026-01-01T00:00:00"}),
            ],
        ))
        .mount(&server)
        .await;
    Mock::given(path("/api/tickets"))
        .respond_with(list(
            "/api/tickets",
            vec![
                ticket(
                    3,
                    "email",
                    "open",
                    "2026-11-12T09:00:00",
                    "2026-11-12T09:00:00",
                    None,
                ),
                ticket(
                    2,
                    "chat",
                    "open",
                    "2026-11-11T09:00:00",
                    "2026-11-11T09:20:00",
                    None,
                ),
                ticket(
                    1,
                    "email",
                    "closed",
                    "2026-11-10T10:00:00",
                    "2026-11-10T12:00:00",
                    Some("2026-11-10T12:00:00"),
                ),
            ],
        ))
        .mount(&server)
        .await;
    Mock::given(path("/api/messages"))
        .respond_with(list(
            "/api/messages",
            vec![
                message(31, 3, false, 1003, "2026-11-12T09:00:00"),
                message(22, 2, true, 7, "2026-11-11T09:20:00"),
                message(21, 2, false, 1002, "2026-11-11T09:00:00"),
                message(12, 1, true, 7, "2026-11-10T10:30:00"),
                message(11, 1, false, 1001, "2026-11-10T10:00:00"),
            ],
        ))
        .mount(&server)
        .await;
    Mock::given(path("/api/satisfaction-surveys"))
        .respond_with(list("/api/satisfaction-surveys", vec![]))
        .mount(&server)
        .await;
    server
}

fn config(db: &str, zendesk: &str, gorgias: &str) -> String {
    format!(
        r#"[database]
url = "{db}"

[[teams]]
name = "everyone"
timezone = "Europe/Berlin"
sources = ["zd", "gg"]

[[teams]]
name = "gorgias-only"
timezone = "Europe/Berlin"
sources = ["gg"]

[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "agent@example.com"
api_token = "zd-token"
base_url = "{zendesk}"
page_size = 2
requests_per_minute = 6000
incremental_requests_per_minute = 6000

[[sources]]
name = "gg"
kind = "gorgias"
domain = "acme"
email = "agent@example.com"
api_key = "gg-key"
base_url = "{gorgias}"
"#
    )
}

async fn report(env: &Env, team: &str) -> Value {
    let out = env
        .run(
            &[
                "report", "--team", team, "--period", "2026-W46", "--format", "json",
            ],
            &[],
        )
        .await;
    assert!(out.status.success(), "report {team}: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[tokio::test]
async fn one_report_over_two_helpdesks_and_teams_see_only_their_sources() {
    let (zd, _) = zendesk_week::start().await;
    let gg = gorgias().await;
    let env = Env::new();
    env.write_config(&config(&env.sqlite_url(), &zd.uri(), &gg.uri()));
    let out = env.run(&["sync"], &[]).await;
    assert!(
        out.status.success(),
        "sync: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // Zendesk's week (see golden.rs): 7 created, 6 solved, 4 first responses.
    // Gorgias: 3 created (G1–G3), 1 solved (G1), 2 first responses (G1 30 min, G2 20 min).
    let all = report(&env, "everyone").await;
    assert_eq!(all["kpis"]["ticket_volume"]["value"], 10);
    assert_eq!(all["kpis"]["ticket_volume"]["by_channel"]["email"], 6); // 4 + G1, G3
    assert_eq!(all["kpis"]["ticket_volume"]["by_channel"]["chat"], 2); // 1 + G2
    assert_eq!(all["kpis"]["solved"]["value"], 7);
    assert_eq!(all["kpis"]["first_response_time"]["n"], 6);
    let ids: Vec<&str> = all["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    for id in ["zd:9001", "zd:9002", "gg:7"] {
        assert!(ids.contains(&id), "agent {id} missing from {ids:?}");
    }
    // Gorgias keeps no status history: its solved ticket is left out of the reopen rate,
    // which is over Zendesk's 6 solved tickets (1 reopened), and the KPI says why.
    assert_eq!(all["kpis"]["reopen_rate"]["n"], 6);
    assert!(
        all["kpis"]["reopen_rate"]["note"]
            .as_str()
            .is_some_and(|n| n.contains("gg")),
        "{}",
        all["kpis"]["reopen_rate"]
    );
    assert_eq!(all["kpis"]["one_touch_resolution_rate"]["n"], 7);

    let gorgias_only = report(&env, "gorgias-only").await;
    assert_eq!(gorgias_only["kpis"]["ticket_volume"]["value"], 3);
    assert_eq!(gorgias_only["kpis"]["solved"]["value"], 1);
    // First responses 1200 s and 1800 s: median 1500.
    assert_eq!(gorgias_only["kpis"]["first_response_time"]["n"], 2);
    assert_eq!(
        gorgias_only["kpis"]["first_response_time"]["median_seconds"],
        1500
    );
    assert_eq!(
        gorgias_only["kpis"]["csat"]["n"], 0,
        "Zendesk's ratings must not leak in"
    );
    // What Gorgias cannot tell is null with n = 0 and a note, never a made-up zero.
    for kpi in [
        "reopen_rate",
        "first_contact_resolution_rate",
        "first_resolution_time",
    ] {
        let k = &gorgias_only["kpis"][kpi];
        assert_eq!(k["n"], 0, "{kpi}: {k}");
        assert!(
            k["note"].as_str().is_some_and(|n| n.contains("gg")),
            "{kpi}: {k}"
        );
    }
    assert!(gorgias_only["kpis"]["reopen_rate"]["value"].is_null());
    assert!(gorgias_only["kpis"]["first_resolution_time"]["median_seconds"].is_null());
    let ids: Vec<&str> = gorgias_only["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["gg:7"]);
}
