//! `deskpulse run`: three daemon processes on one Postgres share the work — every sync tick
//! runs once in the cluster, each team gets exactly one digest per period per channel — and
//! after one of them is killed with SIGKILL mid-sync, the others carry on with nothing lost.
//! On SQLite a second daemon is refused. A SIGTERM during a sync leaves the data consistent.

use crate::chaos::{facts, truth_input};
use crate::harness::{BIN, Env, text};
use chrono::{Duration as Days, Utc};
use deskpulse_simulator::{Dataset, SimConfig, Simulator};
use deskpulse_storage::Store;
use deskpulse_storage::testing::TestDb;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config(
    db: &str,
    sim: &str,
    slack_a: &str,
    slack_b: &str,
    incremental_per_minute: u32,
) -> String {
    format!(
        r#"[database]
url = "{db}"

[daemon]
tick = "1s"

[[teams]]
name = "alpha"
timezone = "Europe/Berlin"
sources = ["zd"]
digest_schedule = "*/2 * * * * *"
[[teams.channels]]
kind = "slack"
name = "alpha-slack"
webhook_url = "{slack_a}"

[[teams]]
name = "beta"
timezone = "America/New_York"
sources = ["zd"]
digest_schedule = "*/3 * * * * *"
[[teams.channels]]
kind = "slack"
name = "beta-slack"
webhook_url = "{slack_b}"

[[sources]]
name = "zd"
kind = "zendesk"
sync_every = "4s"
subdomain = "sim"
email = "demo@example.com"
api_token = "sim-token"
base_url = "{sim}"
page_size = 25
requests_per_minute = 0
incremental_requests_per_minute = {incremental_per_minute}
"#
    )
}

async fn slack() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&s)
        .await;
    s
}

fn spawn(env: &Env) -> tokio::process::Child {
    tokio::process::Command::new(BIN)
        .arg("run")
        .current_dir(env.dir.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn deskpulse run")
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill {sig} {pid} failed");
}

#[tokio::test]
async fn three_daemons_share_one_postgres_and_survive_a_sigkill() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let mut cfg = SimConfig {
        seed: 7,
        ..SimConfig::default()
    };
    cfg.data.days = 21;
    cfg.data.tickets_per_day = 15.0;
    cfg.limits.enabled = false;
    cfg.page_size_cap = 25;
    let data = Arc::new(Dataset::generate(&cfg));
    let sim = Simulator::start(data.clone(), cfg.clone())
        .await
        .expect("simulator");
    let (a, b) = (slack().await, slack().await);
    let env = Env::new();
    // 1,200 requests a minute on the exports: a full first sync takes several seconds, so
    // the kill below lands in the middle of one.
    env.write_config(&config(
        db.url(),
        sim.base_url(),
        &format!("{}/hook", a.uri()),
        &format!("{}/hook", b.uri()),
        240,
    ));

    let mut daemons: Vec<_> = (0..3).map(|_| spawn(&env)).collect();
    let store = Store::open(db.url()).await.expect("store");

    // Wait for a sync in flight, then SIGKILL the daemon running it.
    let started = Instant::now();
    let victim = loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no sync started within 30 s"
        );
        let runs = store.recent_runs("sync:zd", 5).await.expect("runs");
        if let Some(r) = runs.iter().find(|r| {
            r.finished_at.is_none() && r.started_at < Utc::now() - Days::milliseconds(500)
        }) {
            let pid: u32 = r
                .owner
                .split('/')
                .nth(1)
                .and_then(|p| p.parse().ok())
                .expect("owner carries the pid");
            break pid;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    signal(victim, "-KILL");
    let killed_at = Instant::now();

    // The others carry on: wait for two syncs that started after the kill to finish well, and
    // for both teams' digests (bounded: at most 120 s).
    let kill_time = Utc::now();
    loop {
        assert!(
            killed_at.elapsed() < Duration::from_secs(120),
            "the surviving daemons did not carry on"
        );
        let runs = store.recent_runs("sync:zd", 1000).await.expect("runs");
        let ok_after = runs
            .iter()
            .filter(|r| {
                r.started_at > kill_time && r.outcome == Some(deskpulse_storage::RunOutcome::Ok)
            })
            .count();
        let digests = a.received_requests().await.unwrap_or_default().len()
            + b.received_requests().await.unwrap_or_default().len();
        if ok_after >= 2 && digests >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // A few more ticks: a second digest or an overlapping sync would show up here.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for d in &daemons {
        if let Some(pid) = d.id()
            && pid != victim
        {
            signal(pid, "-TERM");
        }
    }
    for d in daemons.iter_mut() {
        let status = tokio::time::timeout(Duration::from_secs(15), d.wait())
            .await
            .expect("a daemon did not stop within 15 s of SIGTERM");
        let _ = status;
    }
    let stopped_in = killed_at.elapsed();

    // Every sync slot ran once: the rows are unique by (job, slot); the runs never overlapped.
    let runs = store.recent_runs("sync:zd", 1000).await.expect("runs");
    assert!(runs.len() >= 3, "too few sync runs: {runs:?}");
    let mut finished: Vec<_> = runs.iter().filter(|r| r.finished_at.is_some()).collect();
    finished.sort_by_key(|r| r.started_at);
    for w in finished.windows(2) {
        assert!(
            w[1].started_at >= w[0].finished_at.unwrap_or(w[1].started_at),
            "sync runs overlapped: {:?} and {:?}",
            w[0],
            w[1]
        );
    }
    let owners: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.owner.as_str()).collect();
    assert!(owners.len() >= 2, "the work was not shared: {owners:?}");
    assert!(
        runs.iter()
            .any(|r| r.owner.split('/').nth(1) == Some(&victim.to_string())
                && r.finished_at.is_none()),
        "the killed daemon's run should stay unfinished: {runs:?}"
    );

    // Each team got exactly one digest for its period, on its one channel.
    let (alpha, beta) = (
        a.received_requests().await.unwrap_or_default().len(),
        b.received_requests().await.unwrap_or_default().len(),
    );
    assert_eq!(alpha, 1, "team alpha's digest went out {alpha} times");
    assert_eq!(beta, 1, "team beta's digest went out {beta} times");

    // Nothing lost: what is stored equals the simulator's ground truth.
    let truth = data.truth();
    let from = truth
        .tickets
        .first()
        .map(|t| t.created_at)
        .unwrap_or(cfg.now)
        - Days::days(1);
    let mut stored = store
        .load_report_input(&["zd".to_owned()], from, cfg.now + Days::days(1))
        .await
        .expect("load");
    stored.tickets = store
        .load_tickets(&["zd".to_owned()], from, cfg.now + Days::days(1))
        .await
        .expect("load tickets");
    assert_eq!(
        facts(&stored),
        facts(&truth_input(truth)),
        "the stored data differs from the ground truth"
    );
    sim.shutdown().await;
    db.cleanup().await;
    assert!(stopped_in < Duration::from_secs(60));
}

#[tokio::test]
async fn a_second_daemon_on_one_sqlite_file_is_refused() {
    let env = Env::new();
    let (a, b) = (slack().await, slack().await);
    let cfg = SimConfig {
        seed: 3,
        ..SimConfig::default()
    };
    let data = Arc::new(Dataset::generate(&SimConfig {
        data: deskpulse_simulator::DataConfig {
            days: 7,
            ..Default::default()
        },
        ..cfg.clone()
    }));
    let sim = Simulator::start(data, cfg).await.expect("simulator");
    env.write_config(&config(
        &env.sqlite_url(),
        sim.base_url(),
        &format!("{}/hook", a.uri()),
        &format!("{}/hook", b.uri()),
        0,
    ));
    let mut first = spawn(&env);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let second = env.run(&["run"], &[]).await;
    assert_eq!(second.status.code(), Some(1), "{}", text(&second.stderr));
    let err = text(&second.stderr);
    assert!(
        err.contains("another deskpulse daemon already runs"),
        "{err}"
    );
    assert!(
        err.contains("Postgres"),
        "the message should say how to run several: {err}"
    );
    signal(first.id().expect("pid"), "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(15), first.wait())
        .await
        .expect("stops within 15 s")
        .expect("wait");
    assert!(
        status.success(),
        "the daemon should exit 0 on SIGTERM: {status:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sigterm_during_a_sync_leaves_the_database_consistent_and_resumable() {
    let env = Env::new();
    let mut cfg = SimConfig {
        seed: 11,
        ..SimConfig::default()
    };
    cfg.data.days = 21;
    cfg.data.tickets_per_day = 15.0;
    cfg.limits.enabled = false;
    cfg.page_size_cap = 25;
    let data = Arc::new(Dataset::generate(&cfg));
    let sim = Simulator::start(data.clone(), cfg.clone())
        .await
        .expect("simulator");
    let (a, b) = (slack().await, slack().await);
    env.write_config(&config(
        &env.sqlite_url(),
        sim.base_url(),
        &format!("{}/hook", a.uri()),
        &format!("{}/hook", b.uri()),
        240,
    ));
    let mut d = spawn(&env);
    let store = Store::open(&env.sqlite_url()).await.expect("store");
    // Wait until the first sync has committed something, then SIGTERM mid-sync.
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no sync progress within 30 s"
        );
        let counts = store.counts().await.expect("counts");
        if counts.get("tickets").copied().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let term_at = Instant::now();
    signal(d.id().expect("pid"), "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(15), d.wait())
        .await
        .expect("stops")
        .expect("wait");
    assert!(
        term_at.elapsed() < Duration::from_secs(11),
        "SIGTERM took {:?}",
        term_at.elapsed()
    );
    assert!(status.success(), "{status:?}");
    // Resumable: a plain sync finishes the job, and the result is the ground truth.
    let out = env.run(&["sync"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let truth = data.truth();
    let from = truth
        .tickets
        .first()
        .map(|t| t.created_at)
        .unwrap_or(cfg.now)
        - Days::days(1);
    let mut stored = store
        .load_report_input(&["zd".to_owned()], from, cfg.now + Days::days(1))
        .await
        .expect("load");
    stored.tickets = store
        .load_tickets(&["zd".to_owned()], from, cfg.now + Days::days(1))
        .await
        .expect("load tickets");
    assert_eq!(facts(&stored), facts(&truth_input(truth)));
    sim.shutdown().await;
}
