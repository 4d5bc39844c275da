//! Issue 18, time to first report, end to end on SQLite and Postgres: a first `deskpulse
//! sync` of the golden Zendesk week reads the ticket events' recent window first (here
//! from just before 2026-W47), and its backfill of the older events fails once. Between
//! the two syncs `report` is usable: W47 is judged by what the window holds (its tickets
//! opened in W46 make it incomplete, named), W46 lies before the window and says so. The
//! next sync finishes the backfill; every report is then exactly a one-pass sync's.

use crate::harness::{Env, text, zendesk_config};
use crate::zendesk_week;
use deskpulse_storage::testing::TestDb;
use serde_json::Value;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const VARS: [(&str, &str); 1] = [("ZENDESK_API_TOKEN", "zd-window-token")];

async fn report(env: &Env, period: &str) -> Value {
    let out = env
        .run(&["report", "--period", period, "--format", "json"], &VARS)
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("report JSON")
}

/// The report without what differs between two syncs of the same data (when each ran).
fn figures(mut r: Value) -> Value {
    r.as_object_mut().unwrap().remove("freshness");
    r
}

async fn window_first(windowed_url: &str, whole_url: &str) {
    let (server, _) = zendesk_week::start().await;
    // The first backfill request fails (a 400 is not retried): the sync stops after the
    // recent window, as a user's Ctrl-C or a crash would.
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/ticket_events.json"))
        .and(query_param("start_time", "0"))
        .respond_with(ResponseTemplate::new(400).set_body_string("{\"error\":\"try later\"}"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    // The window starts half an hour before W47 (less the seconds until the binary reads
    // the clock), so W47 lies inside it and W46 mostly before it.
    let w47 = chrono::DateTime::parse_from_rfc3339("2026-11-16T00:00:00Z").unwrap();
    let window = (chrono::Utc::now() - w47.to_utc()).num_seconds() + 1800;
    let env = Env::new();
    let mut config = zendesk_config(windowed_url, &server.uri(), "UTC");
    config.push_str(&format!("first_window = \"{window}s\"\n"));
    env.write_config(&config);

    let out = env.run(&["sync"], &VARS).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the recent window is synced"), "{err}");
    assert!(err.contains("try later"), "{err}");

    let w47_first = report(&env, "2026-W47").await;
    let f = &w47_first["freshness"][0];
    assert_eq!(w47_first["data_complete"], false, "{f}");
    assert_eq!(f["backfilling_streams"][0], "ticket_events", "{f}");
    let opened = f["opened_before_window"].as_u64().unwrap_or(0);
    assert!(opened > 0, "W47 holds tickets opened in W46: {f}");
    assert!(
        f["missing"]
            .as_str()
            .unwrap()
            .contains("opened before 2026-11-15 23:"),
        "{f}"
    );
    let w46_first = report(&env, "2026-W46").await;
    let f = &w46_first["freshness"][0];
    assert_eq!(w46_first["data_complete"], false, "{f}");
    assert!(
        f["missing"]
            .as_str()
            .unwrap()
            .contains("history before 2026-11-15 23:"),
        "{f}"
    );
    let out = env.run(&["status"], &VARS).await;
    assert!(
        text(&out.stdout).contains("older history backfilling: ticket_events"),
        "{}",
        text(&out.stdout)
    );

    // The next sync goes on with the backfill and ends it.
    let out = env.run(&["sync"], &VARS).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let w46 = report(&env, "2026-W46").await;
    let w47 = report(&env, "2026-W47").await;
    assert_eq!(w46["data_complete"], true, "{}", w46["freshness"]);
    assert!(w46["freshness"][0].get("complete_from").is_none());

    // The same account synced in one pass: the same reports, figure for figure.
    let whole = Env::new();
    let mut config = zendesk_config(whole_url, &server.uri(), "UTC");
    config.push_str("first_window = \"off\"\n");
    whole.write_config(&config);
    let out = whole.run(&["sync"], &VARS).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("recent window"));
    for (period, got) in [("2026-W46", w46), ("2026-W47", w47)] {
        let want = report(&whole, period).await;
        assert_eq!(figures(got), figures(want), "{period}");
    }
    // What W47's tickets opened inside the window give was already right before the
    // backfill: their volume and first responses.
    let want = report(&whole, "2026-W47").await;
    for kpi in ["ticket_volume", "first_response_time"] {
        assert_eq!(w47_first["kpis"][kpi], want["kpis"][kpi], "{kpi}");
    }
}

#[tokio::test]
async fn the_recent_window_first_then_the_backfill_on_sqlite() {
    let (a, b) = (Env::new(), Env::new());
    window_first(&a.sqlite_url(), &b.sqlite_url()).await;
}

#[tokio::test]
async fn the_recent_window_first_then_the_backfill_on_postgres() {
    let Some(a) = TestDb::postgres().await else {
        return;
    };
    let Some(b) = TestDb::postgres().await else {
        return;
    };
    window_first(a.url(), b.url()).await;
    a.cleanup().await;
    b.cleanup().await;
}
