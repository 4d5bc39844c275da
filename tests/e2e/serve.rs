//! `deskpulse serve` and `deskpulse run` with `[serve] listen`, as processes: a public address
//! without authentication is refused with the fix; the token is required everywhere but
//! `/healthz`; the JSON API is byte for byte `report --format json` on the demo's data; and
//! `/metrics` of a daemon parses and its counters move as it syncs — on SQLite and Postgres.

use std::collections::BTreeMap;

use chrono::Utc;
use deskpulse_model::{PeriodSpec, ToldFigures};
use deskpulse_simulator::{Dataset, SimConfig, Simulator};
use deskpulse_storage::Store;
use deskpulse_storage::testing::TestDb;
use prometheus_parse::{Scrape, Value};
use std::sync::Arc;

use crate::dashboard::{demo_data, serve};
use crate::harness::{BIN, DEADLINE, Env, poll_until, text};

const TOKEN: &str = "e2e-serve-token-0123456789";

fn team_only(db: &str, serve: &str) -> String {
    format!(
        "[database]\nurl = \"{db}\"\n\n{serve}\n[[teams]]\nname = \"support\"\ntimezone = \"UTC\"\n"
    )
}

#[tokio::test]
async fn a_public_address_needs_auth_and_then_the_token() {
    let env = Env::new();
    env.write_config(&team_only(&env.sqlite_url(), ""));
    let out = env.run(&["serve", "--listen", "0.0.0.0:0"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    for hint in [
        "0.0.0.0:0",
        "without authentication",
        "127.0.0.1:8080",
        "[serve.auth] token",
        "--hash-password",
    ] {
        assert!(
            err.contains(hint),
            "the error says how to fix it ({hint}):\n{err}"
        );
    }
    let out = env.run(&["serve", "--listen", "everywhere"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    // With a token from the environment it starts (on loopback here) and asks for it.
    let auth = "[serve.auth]\ntoken = \"${DASH_TOKEN}\"\n";
    env.write_config(&team_only(&env.sqlite_url(), auth));
    let config = env.config_path();
    let served = serve(&env, &config, &["-vv"], &[("DASH_TOKEN", TOKEN)]).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/teams", served.base);
    let r = client.get(&url).send().await.expect("answer");
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").is_some());
    let r = client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{}/healthz", served.base))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200, "the health check needs no token");
    let log = served.log();
    assert!(!log.contains(TOKEN), "the token is never logged:\n{log}");
}

#[tokio::test]
async fn the_api_is_exactly_report_json_on_sqlite_and_postgres() {
    let pg = TestDb::postgres().await;
    let mut urls: Vec<Option<String>> = vec![None];
    urls.extend(pg.as_ref().map(|p| Some(p.url().to_owned())));
    for url in urls {
        let data = demo_data(url.as_deref()).await;
        // A digest told the previous week other figures: `report` restates them, and so must
        // the API.
        let (prev, _) = data.report(data.previous).await;
        let volume = prev["kpis"]["ticket_volume"]["value"]
            .as_f64()
            .expect("volume");
        let told = ToldFigures {
            period: data.previous.to_string(),
            told_at: Utc::now() - chrono::Duration::days(1),
            values: BTreeMap::from([("ticket_volume.value".to_owned(), volume + 5.0)]),
        };
        let db = url.clone().unwrap_or_else(|| data.env.sqlite_url());
        let store = Store::open(&db).await.expect("the demo's database");
        store
            .record_told_figures("demo", &told)
            .await
            .expect("told");
        store.close().await;
        let served = serve(&data.env, &data.config, &[], &[]).await;
        for period in [data.week, data.previous] {
            let (json, printed) = data.report(period).await;
            let restated = json["restatements"]
                .as_array()
                .is_some_and(|r| !r.is_empty());
            assert_eq!(restated, period == data.previous, "{period}: {printed}");
            assert_api_prints(&served.base, period, &printed, &url).await;
        }
        let list: serde_json::Value = reqwest::get(format!("{}/api/teams", served.base))
            .await
            .expect("teams")
            .json()
            .await
            .expect("json");
        assert_eq!(list["teams"][0]["name"], "demo");
        let page = reqwest::get(format!("{}/teams/demo?period={}", served.base, data.week));
        let html = page.await.expect("page").text().await.expect("html");
        assert!(html.contains(&format!("{}</span>", data.week)), "{html}");
        assert!(!html.contains(crate::dashboard::HOSTILE_AGENT), "escaped");

        // Once the server has walked the past weeks and months, a period's first view is
        // assembled from the period reports it kept: still exactly what `report` prints.
        let walked = poll_until(DEADLINE, || async {
            let text = reqwest::get(format!("{}/metrics", served.base))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            text.lines()
                .any(|l| l.starts_with("deskpulse_report_warm_seconds_count"))
                .then_some(())
        })
        .await;
        assert!(
            walked.is_some(),
            "the server walks the past periods once started"
        );
        let far = data.previous.previous().previous();
        let month = PeriodSpec::month_of(data.week.dates().0).previous();
        for period in [far, far.previous(), month] {
            let (_, printed) = data.report(period).await;
            assert_api_prints(&served.base, period, &printed, &url).await;
        }
    }
    if let Some(pg) = pg {
        pg.cleanup().await;
    }
}

/// The dashboard's API answers `period` with exactly what `report --format json` printed.
async fn assert_api_prints(base: &str, period: PeriodSpec, printed: &str, url: &Option<String>) {
    let api = format!("{base}/api/teams/demo/report?period={period}");
    let r = reqwest::get(&api).await.expect("the API");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.text().await.expect("text"),
        printed,
        "{period} on {url:?}"
    );
}

fn daemon_config(db: &str, sim: &str) -> String {
    format!(
        r#"[database]
url = "{db}"

[daemon]
tick = "1s"

[serve]
listen = "127.0.0.1:0"

[[teams]]
name = "support"
timezone = "UTC"
sources = ["zd"]

[[sources]]
name = "zd"
kind = "zendesk"
sync_every = "2s"
subdomain = "sim"
email = "demo@example.com"
api_token = "sim-token"
base_url = "{sim}"
page_size = 50
requests_per_minute = 0
incremental_requests_per_minute = 0
"#
    )
}

/// The sum of a counter's samples whose labels include `labels`.
fn total(s: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    s.samples
        .iter()
        .filter(|x| x.metric == metric && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn a_daemons_metrics_parse_and_move_as_it_syncs() {
    let mut cfg = SimConfig {
        seed: 11,
        ..SimConfig::default()
    };
    cfg.data.days = 7;
    cfg.data.tickets_per_day = 5.0;
    cfg.limits.enabled = false;
    let data = Arc::new(Dataset::generate(&cfg));
    let sim = Simulator::start(data, cfg).await.expect("simulator");
    let pg = TestDb::postgres().await;
    let sqlite = TestDb::sqlite();
    let mut dbs = vec![sqlite.url().to_owned()];
    dbs.extend(pg.as_ref().map(|p| p.url().to_owned()));
    for db in dbs {
        let env = Env::new();
        env.write_config(&daemon_config(&db, sim.base_url()));
        let log = env.dir.path().join("daemon.log");
        let file = std::fs::File::create(&log).expect("log");
        let mut child = tokio::process::Command::new(BIN)
            .arg("run")
            .current_dir(env.dir.path())
            .env_remove("RUST_LOG")
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn deskpulse run");
        let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
        let base = poll_until(DEADLINE, || async {
            let text = read_log();
            let at = text.find("dashboard listening (http://")?;
            let rest = &text[at + "dashboard listening (".len()..];
            rest.split('/').nth(2).map(|a| format!("http://{a}"))
        })
        .await
        .unwrap_or_else(|| panic!("the daemon serves no dashboard:\n{}", read_log()));
        let scrape = |base: String| async move {
            let r = reqwest::get(format!("{base}/metrics")).await.ok()?;
            let body = r.text().await.ok()?;
            Some(Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("valid exposition"))
        };
        let ok = [("source", "zd"), ("outcome", "ok")];
        let first = poll_until(DEADLINE, || {
            let s = scrape(base.clone());
            async move {
                let s = s.await?;
                // A whole daemon run finished: every stream of the source counted.
                let counted = total(&s, "deskpulse_sync_stream_runs_total", &ok) >= 1.0;
                let finished = total(&s, "deskpulse_sync_last_run_success", &[("source", "zd")]);
                (counted && finished == 1.0).then_some(s)
            }
        })
        .await
        .unwrap_or_else(|| panic!("no sync counted within {DEADLINE:?}:\n{}", read_log()));
        let runs = total(&first, "deskpulse_sync_stream_runs_total", &ok);
        assert!(
            total(
                &first,
                "deskpulse_sync_stream_records_total",
                &[("source", "zd")]
            ) > 0.0
        );
        assert!(
            total(
                &first,
                "deskpulse_source_last_success_timestamp_seconds",
                &[("source", "zd")]
            ) > 0.0
        );
        assert_eq!(total(&first, "deskpulse_database_up", &[]), 1.0);
        // The next sync moves the counter again. The process counts each stream as it ends;
        // the daemon's run record (read from storage) is written when the whole sync ends:
        // wait for both, so a scrape between the two is no failure.
        let moved = poll_until(DEADLINE, || {
            let s = scrape(base.clone());
            async move {
                let s = s.await?;
                let recorded = s
                    .samples
                    .iter()
                    .any(|x| x.metric == "deskpulse_sync_last_run_success");
                (total(&s, "deskpulse_sync_stream_runs_total", &ok) > runs && recorded).then_some(s)
            }
        })
        .await
        .unwrap_or_else(|| {
            panic!(
                "the counter did not move within {DEADLINE:?}:\n{}",
                read_log()
            )
        });
        assert!(
            total(
                &moved,
                "deskpulse_sync_last_run_records",
                &[("source", "zd")]
            ) >= 0.0
        );
        assert!(
            moved
                .samples
                .iter()
                .any(|x| x.metric == "deskpulse_sync_last_run_success"),
            "the last daemon run is read from storage"
        );
        let pid = child.id().expect("pid").to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let status = tokio::time::timeout(DEADLINE, child.wait()).await;
        assert!(
            status.is_ok_and(|s| s.is_ok_and(|s| s.success())),
            "the daemon stops on SIGTERM:\n{}",
            read_log()
        );
    }
    sim.shutdown().await;
    if let Some(pg) = pg {
        pg.cleanup().await;
    }
}
