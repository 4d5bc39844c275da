//! The golden week: `sync` twice, then `report --format json` equals values computed by hand.

use crate::harness::{Env, text, zendesk_config};
use crate::zendesk_week;
use deskpulse_storage::testing::TestDb;
use serde_json::Value;

const TOKEN: &str = "zd-golden-token-8f3a";

async fn golden(db_url: &str) {
    let (server, _pages) = zendesk_week::start().await;
    let env = Env::new();
    env.write_config(&zendesk_config(db_url, &server.uri(), "Europe/Berlin"));
    let vars = [("ZENDESK_API_TOKEN", TOKEN)];

    for round in 1..=2 {
        let out = env.run(&["sync"], &vars).await;
        assert!(
            out.status.success(),
            "sync #{round} failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    // The export serves 24 status child events in its documented layout (the changed field
    // as its own key, zendesk_week.rs): every one is stored. Issue 11 found a sync that
    // stored none of them, while backlog, automated and first resolution quietly fell back.
    let store = deskpulse_storage::Store::open(db_url).await.unwrap();
    let counts = store.counts().await.unwrap();
    store.close().await;
    assert_eq!(counts["status_changes"], 24, "{counts:?}");

    let out = env
        .run(
            &["report", "--format", "json", "--period", "2026-W46"],
            &vars,
        )
        .await;
    assert!(out.status.success(), "report failed: {}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    check_week(&r);

    // The CSV report carries the same numbers, a row per KPI.
    let out = env
        .run(
            &["report", "--period", "2026-W46", "--format", "csv"],
            &vars,
        )
        .await;
    assert!(
        out.status.success(),
        "csv report failed: {}",
        text(&out.stderr)
    );
    let csv = text(&out.stdout);
    assert!(
        csv.starts_with(
            "period,team,kpi,n,value,median_seconds,mean_seconds,p90_seconds,within_target\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("\n2026-W46,support,ticket_volume,7,7,,,,\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\n2026-W46,support,first_response_time,4,,3000,12750,31320,0.75\n"),
        "{csv}"
    );

    // The text report renders the same numbers.
    let out = env.run(&["report", "--period", "2026-W46"], &vars).await;
    assert!(
        out.status.success(),
        "text report failed: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("Alice Agent"),
        "{}",
        text(&out.stdout)
    );
}

fn num(r: &Value, ptr: &str) -> f64 {
    r.pointer(ptr)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{ptr} missing or not a number in {r:#}"))
}

#[track_caller]
fn close(r: &Value, ptr: &str, want: f64) {
    let got = num(r, ptr);
    assert!((got - want).abs() < 1e-6, "{ptr}: got {got}, want {want}");
}

/// The hand computation. The team is in Europe/Berlin (UTC+1 in November), so ISO week
/// 2026-W46 is [2026-11-08T23:00Z, 2026-11-15T23:00Z).
fn check_week(r: &Value) {
    assert_eq!(r["period"]["label"], "2026-W46");
    assert_eq!(r["period"]["timezone"], "Europe/Berlin");
    assert_eq!(r["team"], "support");
    let start: chrono::DateTime<chrono::Utc> =
        r["period"]["start"].as_str().unwrap().parse().unwrap();
    let end: chrono::DateTime<chrono::Utc> = r["period"]["end"].as_str().unwrap().parse().unwrap();
    assert_eq!(start.to_rfc3339(), "2026-11-08T23:00:00+00:00");
    assert_eq!(end.to_rfc3339(), "2026-11-15T23:00:00+00:00");

    // Volume: created in the week, deleted excluded. T1, T2 (Mon 00:30 Berlin), T5, T6, T7,
    // T8, T10 = 7. Not T3 (Sun 23:30 Berlin), T4 (deleted), T9 (next Monday 00:30 Berlin).
    close(r, "/kpis/ticket_volume/value", 7.0);
    // By channel: email T1 T5 T6 T7 = 4, chat T2 = 1, web T8 T10 = 2.
    close(r, "/kpis/ticket_volume/by_channel/email", 4.0);
    close(r, "/kpis/ticket_volume/by_channel/chat", 1.0);
    close(r, "/kpis/ticket_volume/by_channel/web", 2.0);
    // By Berlin day: Mon 09 T1 T2, Tue 10 T5 T6, Thu 12 T8, Fri 13 T10, Sun 15 T7.
    close(r, "/kpis/ticket_volume/by_day/2026-11-09", 2.0);
    close(r, "/kpis/ticket_volume/by_day/2026-11-10", 2.0);
    close(r, "/kpis/ticket_volume/by_day/2026-11-11", 0.0);
    close(r, "/kpis/ticket_volume/by_day/2026-11-12", 1.0);
    close(r, "/kpis/ticket_volume/by_day/2026-11-15", 1.0);

    // Solved (final solve in the week): T1 (09 09:00), T2 (09 02:00), T3 (09 07:05),
    // T5 (10 14:30), T6 (final 11 10:00), T10 (13 10:05) = 6.
    close(r, "/kpis/solved/value", 6.0);
    // Backlog at the end: T7 (open), T8 (new) = 2; T9 was created after the end.
    close(r, "/kpis/backlog/value", 2.0);

    // First response (not outbound, created in the week; whenever the reply came):
    // T1 08:00→08:40 = 2400 (the 08:10 internal note is not a reply), T2 23:30→00:30 = 3600,
    // T6 09:00→09:30 = 1800, T7 Sun 20:00→Mon 08:00 = 43200 (after the week: still counts).
    // T5 is outbound; T8 waits; T10 got only a bot reply. Sorted [1800, 2400, 3600, 43200]:
    // median (R-7, h = 1.5) = 2400 + 0.5·1200 = 3000; mean = 51000/4 = 12750;
    // p90 (h = 2.7) = 3600 + 0.7·39600 = 31320; within 1 h: 3 of 4 = 0.75.
    close(r, "/kpis/first_response_time/n", 4.0);
    close(r, "/kpis/first_response_time/median_seconds", 3000.0);
    close(r, "/kpis/first_response_time/mean_seconds", 12750.0);
    close(r, "/kpis/first_response_time/p90_seconds", 31320.0);
    close(r, "/kpis/first_response_time/within_target", 0.75);

    // Reply time (each customer run → next public human reply, replies made in the week):
    // T1 2400; T2 23:30→00:30 = 3600 (the run starts at the first of two messages) and
    // 01:00→01:30 = 1800; T3 Sun 22:30→Mon 07:00 = 30600; T6 09:00→09:30 = 1800 (its
    // 11-11 message got no reply). T7's reply is after the week; T5 is outbound.
    // Sorted [1800, 1800, 2400, 3600, 30600]: median 2400; mean 40200/5 = 8040;
    // p90 (h = 3.6) = 3600 + 0.6·27000 = 19800; within 1 h: 4/5 = 0.8.
    close(r, "/kpis/reply_time/n", 5.0);
    close(r, "/kpis/reply_time/median_seconds", 2400.0);
    close(r, "/kpis/reply_time/mean_seconds", 8040.0);
    close(r, "/kpis/reply_time/p90_seconds", 19800.0);
    close(r, "/kpis/reply_time/within_target", 0.8);

    // Resolution (created → final solve, solved in the week): T1 3600, T2 9000, T3 30900,
    // T5 9000, T6 90000 (25 h), T10 300. Sorted [300, 3600, 9000, 9000, 30900, 90000]:
    // median (h = 2.5) = 9000; mean = 142800/6 = 23800; p90 (h = 4.5) = 30900 + 0.5·59100
    // = 60450; within 8 h: 4/6.
    close(r, "/kpis/resolution_time/n", 6.0);
    close(r, "/kpis/resolution_time/median_seconds", 9000.0);
    close(r, "/kpis/resolution_time/mean_seconds", 23800.0);
    close(r, "/kpis/resolution_time/p90_seconds", 60450.0);
    close(r, "/kpis/resolution_time/within_target", 4.0 / 6.0);

    // Public human replies after the opening message: T1 1, T2 2, T3 1, T5 1 (its opening
    // is Alice's own message), T6 1, T10 0. One-touch 4/6; first contact (also never
    // reopened: T6 was) 3/6; automated (T10: bot reply, automation solve) 1/6; reopened 1/6.
    close(r, "/kpis/one_touch_resolution_rate/n", 6.0);
    close(r, "/kpis/one_touch_resolution_rate/value", 4.0 / 6.0);
    close(r, "/kpis/first_contact_resolution_rate/value", 3.0 / 6.0);
    close(r, "/kpis/automated_resolution_rate/value", 1.0 / 6.0);
    close(r, "/kpis/reopen_rate/value", 1.0 / 6.0);

    // CSAT: responses in the week: 50001 good, 50003 bad; 50002 was only offered, 50004
    // came after the week. 1/2 satisfied; good/bad has no mean.
    close(r, "/kpis/csat/n", 2.0);
    close(r, "/kpis/csat/value", 0.5);
    assert!(r["kpis"]["csat"]["mean"].is_null(), "{}", r["kpis"]["csat"]);

    // Agents: assignees of solved tickets. Alice T1 T3 T5 = 3; Bob T2 T6 = 2.
    let agents = r["agents"].as_array().expect("agents");
    let solved = |id: &str| {
        agents
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("no agent {id} in {agents:?}"))["solved"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(solved("zd:9001"), 3.0);
    assert_eq!(solved("zd:9002"), 2.0);
    let alice = agents.iter().find(|a| a["id"] == "zd:9001").unwrap();
    assert_eq!(alice["name"], "Alice Agent");
}

#[tokio::test]
async fn golden_week_on_sqlite() {
    let db = TestDb::sqlite();
    golden(db.url()).await;
}

#[tokio::test]
async fn golden_week_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    golden(db.url()).await;
    db.cleanup().await;
}
