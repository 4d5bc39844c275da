//! `deskpulse run`: three daemon processes on one Postgres share the work — every sync tick
//! runs once in the cluster, each team gets exactly one digest per period per channel — and
//! after one of them is killed with SIGKILL mid-sync, the others carry on with nothing lost.
//! On SQLite a second daemon is refused. A SIGTERM during a sync leaves the data consistent.
//!
//! No sleeps stand in for synchronization: the tests wait for what the daemons recorded (run
//! records, the lease, webhook posts) with a deadline far above any loaded machine's delay,
//! and each daemon's log goes to a file that a failure prints.

use crate::chaos::{facts, truth_input};
use crate::harness::{BIN, DEADLINE, Env, poll_until, text};
use chrono::{Duration as Days, Utc};
use deskpulse_simulator::{Dataset, SimConfig, Simulator};
use deskpulse_storage::testing::TestDb;
use deskpulse_storage::{RunOutcome, RunRecord, Store};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
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

/// A `deskpulse run` process. Its log goes to a file, not a pipe: a pipe nobody reads fills
/// up on a long run and blocks the daemon's logging, and with it the daemon.
struct Daemon {
    child: tokio::process::Child,
    pid: u32,
    log: PathBuf,
}

impl Daemon {
    fn spawn(env: &Env, n: usize) -> Daemon {
        let log = env.dir.path().join(format!("daemon-{n}.log"));
        let file = std::fs::File::create(&log).expect("daemon log file");
        let child = tokio::process::Command::new(BIN)
            .arg("run")
            .current_dir(env.dir.path())
            .env_remove("RUST_LOG")
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn deskpulse run");
        let pid = child.id().expect("a running child has a pid");
        Daemon { child, pid, log }
    }

    fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("--- daemon pid {} ---\n{text}", self.pid)
    }

    /// Waits for the process to exit (after a signal), failing after [`DEADLINE`].
    async fn wait(&mut self, why: &str) -> std::process::ExitStatus {
        match tokio::time::timeout(DEADLINE, self.child.wait()).await {
            Ok(status) => status.expect("wait"),
            Err(_) => panic!(
                "daemon {} did not exit within {DEADLINE:?} {why}\n{}",
                self.pid,
                self.log()
            ),
        }
    }
}

fn logs(daemons: &[Daemon]) -> String {
    daemons
        .iter()
        .map(Daemon::log)
        .collect::<Vec<_>>()
        .join("\n")
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill {sig} {pid} failed");
}

/// The pid in a run record's owner id (`host/pid/start/random`).
fn owner_pid(r: &RunRecord) -> Option<u32> {
    r.owner.split('/').nth(1).and_then(|p| p.parse().ok())
}

/// Finished runs of `job` (any outcome).
async fn finished_runs(store: &Store, job: &str) -> usize {
    let runs = store.recent_runs(job, 1000).await.expect("runs");
    runs.iter().filter(|r| r.finished_at.is_some()).count()
}

/// The ISO week (`2026-W47`) a digest post names.
fn period_of(post: &wiremock::Request) -> String {
    let body = String::from_utf8_lossy(&post.body);
    let b = body.as_bytes();
    (0..b.len().saturating_sub(7))
        .find(|&i| {
            b[i..i + 4].iter().all(u8::is_ascii_digit)
                && &b[i + 4..i + 6] == b"-W"
                && b[i + 6..i + 8].iter().all(u8::is_ascii_digit)
        })
        .map(|i| body[i..i + 8].to_owned())
        .unwrap_or_else(|| panic!("a digest post names no week: {body}"))
}

/// Posts per period: a week boundary passing during the test is a second period, not a
/// second digest of one.
async fn posts_per_period(hook: &MockServer) -> BTreeMap<String, usize> {
    let mut per = BTreeMap::new();
    for post in hook.received_requests().await.unwrap_or_default() {
        *per.entry(period_of(&post)).or_insert(0) += 1;
    }
    per
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
    // 240 requests a minute on the exports: a full first sync takes several seconds, so
    // the kill below lands in the middle of one.
    env.write_config(&config(
        db.url(),
        sim.base_url(),
        &format!("{}/hook", a.uri()),
        &format!("{}/hook", b.uri()),
        240,
    ));

    let mut daemons: Vec<Daemon> = (0..3).map(|n| Daemon::spawn(&env, n)).collect();
    let store = &Store::open(db.url()).await.expect("store");
    let (a, b) = (&a, &b);

    // Wait for a sync in flight, freeze the daemon running it (SIGSTOP), and SIGKILL it if
    // the run is still unfinished: a frozen daemon cannot finish it between the look and
    // the kill. Had it finished just before the freeze, thaw it and wait for another.
    let victim = loop {
        let (pid, slot) = poll_until(DEADLINE, || async move {
            let runs = store.recent_runs("sync:zd", 5).await.expect("runs");
            runs.iter()
                .find(|r| {
                    r.finished_at.is_none() && r.started_at < Utc::now() - Days::milliseconds(500)
                })
                .map(|r| (owner_pid(r).expect("owner carries the pid"), r.slot))
        })
        .await
        .unwrap_or_else(|| panic!("no sync in flight within {DEADLINE:?}\n{}", logs(&daemons)));
        signal(pid, "-STOP");
        let runs = store.recent_runs("sync:zd", 5).await.expect("runs");
        if runs
            .iter()
            .any(|r| r.slot == slot && r.finished_at.is_none() && owner_pid(r) == Some(pid))
        {
            signal(pid, "-KILL");
            break pid;
        }
        signal(pid, "-CONT");
    };
    let kill_time = Utc::now();

    // The others carry on: two syncs that started after the kill finish well, and both
    // teams get their digest.
    let carried_on = poll_until(DEADLINE, || async move {
        let runs = store.recent_runs("sync:zd", 1000).await.expect("runs");
        let ok_after = runs
            .iter()
            .filter(|r| r.started_at > kill_time && r.outcome == Some(RunOutcome::Ok))
            .count();
        let alpha = a.received_requests().await.unwrap_or_default().len();
        let beta = b.received_requests().await.unwrap_or_default().len();
        (ok_after >= 2 && alpha >= 1 && beta >= 1).then_some(())
    })
    .await;
    assert!(
        carried_on.is_some(),
        "the surviving daemons did not sync twice and send both digests within {DEADLINE:?}\n{}",
        logs(&daemons)
    );
    // A few more ticks, counted in what the daemons did rather than guessed in seconds: two
    // more due instants of each team's digest (each finds its period already delivered) and
    // one more sync. A second digest or an overlapping sync would show up here.
    let (alpha_runs, beta_runs, sync_runs) = (
        finished_runs(store, "digest:alpha").await,
        finished_runs(store, "digest:beta").await,
        finished_runs(store, "sync:zd").await,
    );
    let more = poll_until(DEADLINE, || async move {
        (finished_runs(store, "digest:alpha").await >= alpha_runs + 2
            && finished_runs(store, "digest:beta").await >= beta_runs + 2
            && finished_runs(store, "sync:zd").await > sync_runs)
            .then_some(())
    })
    .await;
    assert!(
        more.is_some(),
        "the surviving daemons stopped running due jobs\n{}",
        logs(&daemons)
    );
    for d in &daemons {
        if d.pid != victim {
            signal(d.pid, "-TERM");
        }
    }
    for d in daemons.iter_mut() {
        d.wait("after SIGTERM (or SIGKILL)").await;
    }

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
            .any(|r| owner_pid(r) == Some(victim) && r.finished_at.is_none()),
        "the killed daemon's run should stay unfinished: {runs:?}"
    );

    // Each team got exactly one digest per period, on its one channel.
    for (team, hook) in [("alpha", a), ("beta", b)] {
        let per = posts_per_period(hook).await;
        assert!(!per.is_empty(), "team {team} got no digest");
        assert!(
            per.values().all(|n| *n == 1),
            "team {team}'s digest went out more than once for a period: {per:?}"
        );
    }

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
    let mut first = Daemon::spawn(&env, 0);
    // Ready when it holds the database's lease, which says who it is.
    let store = &Store::open(&env.sqlite_url()).await.expect("store");
    let pid = first.pid;
    let held = poll_until(DEADLINE, || async move {
        let lease = store.daemon_lease().await.expect("lease");
        lease.filter(|l| l.pid == pid).map(|_| ())
    })
    .await;
    assert!(
        held.is_some(),
        "the first daemon did not take the lease within {DEADLINE:?}\n{}",
        first.log()
    );
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
    signal(first.pid, "-TERM");
    let status = first.wait("after SIGTERM").await;
    assert!(
        status.success(),
        "the daemon should exit 0 on SIGTERM: {status:?}\n{}",
        first.log()
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
    let mut d = Daemon::spawn(&env, 0);
    let store = &Store::open(&env.sqlite_url()).await.expect("store");
    // Wait until the first sync has committed something, then SIGTERM mid-sync.
    let progress = poll_until(DEADLINE, || async move {
        let counts = store.counts().await.expect("counts");
        (counts.get("tickets").copied().unwrap_or(0) > 0).then_some(())
    })
    .await;
    assert!(
        progress.is_some(),
        "no sync progress within {DEADLINE:?}\n{}",
        d.log()
    );
    signal(d.pid, "-TERM");
    let status = d.wait("after SIGTERM").await;
    assert!(status.success(), "{status:?}\n{}", d.log());
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

/// Issue 15's scenario on two daemons sharing one Postgres, with a Zendesk whose exports
/// allow `per_minute` requests, so the first sync outlasts several of the digest's due
/// instants (every 2 s). `hold` is the teams' `digest_hold_max`. Returns each team's posts
/// (Slack payloads as text) once every team has one, with the daemons' logs.
async fn first_sync_outlasts_the_schedule(per_minute: u32, hold: &str) -> (Vec<String>, String) {
    let Some(db) = TestDb::postgres().await else {
        return (Vec::new(), String::new());
    };
    let mut cfg = SimConfig {
        seed: 11,
        ..SimConfig::default()
    };
    cfg.data.days = 14;
    cfg.data.tickets_per_day = 12.0;
    cfg.limits.enabled = false;
    cfg.page_size_cap = 25;
    let data = Arc::new(Dataset::generate(&cfg));
    let sim = Simulator::start(data, cfg).await.expect("simulator");
    let (a, b) = (slack().await, slack().await);
    let env = Env::new();
    let text = config(
        db.url(),
        sim.base_url(),
        &format!("{}/hook", a.uri()),
        &format!("{}/hook", b.uri()),
        per_minute,
    )
    .replace(
        "digest_schedule = ",
        &format!("digest_hold_max = \"{hold}\"\ndigest_schedule = "),
    );
    env.write_config(&text);
    let mut daemons: Vec<Daemon> = (0..2).map(|n| Daemon::spawn(&env, n)).collect();
    let (a, b) = (&a, &b);
    let sent = poll_until(DEADLINE, || async move {
        let alpha = a.received_requests().await.unwrap_or_default().len();
        let beta = b.received_requests().await.unwrap_or_default().len();
        (alpha >= 1 && beta >= 1).then_some(())
    })
    .await;
    assert!(
        sent.is_some(),
        "no digest within {DEADLINE:?}\n{}",
        logs(&daemons)
    );
    // Two more due instants of each team pass (each finds its period delivered): a second
    // digest of a period would show up here.
    let store = &Store::open(db.url()).await.expect("store");
    let (alpha_runs, beta_runs) = (
        finished_runs(store, "digest:alpha").await,
        finished_runs(store, "digest:beta").await,
    );
    let more = poll_until(DEADLINE, || async move {
        (finished_runs(store, "digest:alpha").await >= alpha_runs + 2
            && finished_runs(store, "digest:beta").await >= beta_runs + 2)
            .then_some(())
    })
    .await;
    assert!(
        more.is_some(),
        "the daemons stopped sending\n{}",
        logs(&daemons)
    );
    for d in &daemons {
        signal(d.pid, "-TERM");
    }
    for d in daemons.iter_mut() {
        d.wait("after SIGTERM").await;
    }
    let mut posts = Vec::new();
    for (team, hook) in [("alpha", a), ("beta", b)] {
        let per = posts_per_period(hook).await;
        assert!(
            per.values().all(|n| *n == 1),
            "team {team}'s digest went out more than once for a period: {per:?}"
        );
        for p in hook.received_requests().await.unwrap_or_default() {
            posts.push(String::from_utf8_lossy(&p.body).into_owned());
        }
    }
    let log = logs(&daemons);
    sim.shutdown().await;
    db.cleanup().await;
    (posts, log)
}

/// The default hold (6 h): no digest goes out before the first sync has read every stream
/// to its end — so none carries the incomplete-data banner — though digests fell due
/// while it ran; then exactly one per period and channel.
#[tokio::test]
async fn two_daemons_hold_the_digest_until_the_first_sync_completes() {
    let (posts, log) = first_sync_outlasts_the_schedule(120, "6h").await;
    if posts.is_empty() {
        return; // no Postgres: TestDb said so
    }
    assert!(
        log.contains("holding the digest for late sources"),
        "the first sync should have outlasted a due digest (else this test proves nothing)\n{log}"
    );
    for p in &posts {
        assert!(
            !p.to_lowercase().contains("incomplete"),
            "a digest went out before the data was complete: {p}"
        );
        assert!(
            p.contains("complete through"),
            "the digest should say how fresh its data is: {p}"
        );
    }
}

/// A short hold (1 s) against a slow first sync: the digest goes out before the sync
/// completes, with the banner naming the late source; still one per period and channel.
#[tokio::test]
async fn two_daemons_send_with_the_banner_when_the_hold_runs_out() {
    let (posts, log) = first_sync_outlasts_the_schedule(30, "1s").await;
    if posts.is_empty() {
        return;
    }
    assert!(
        posts
            .iter()
            .any(|p| p.to_lowercase().contains("incomplete") && p.contains("zd")),
        "a digest sent before the first sync completed should carry the banner naming zd: {posts:#?}\n{log}"
    );
}
