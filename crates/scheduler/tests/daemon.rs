//! The daemon loop with a hand-set clock and hand-fired ticks, on real databases (SQLite
//! always, Postgres when `DESKPULSE_TEST_POSTGRES_URL` is set). The `Jobs` here are fakes:
//! they are this crate's collaborator, supplied by the CLI in production.
//!
//! Nothing here waits on wall time: the fakes' work advances only when the test lets it
//! (permits), the daemon's progress is read from its events, and the only wall-clock bound
//! is [`WAIT`], a deadline for "this never happened" far above any loaded machine's delay.

#[path = "daemon/hold.rs"]
mod hold;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;
use deskpulse_scheduler::{
    CancellationToken, Clock, CronTrigger, Daemon, DaemonError, DaemonEvent, DigestOutcome,
    DigestRequest, JobError, Jobs, ManualClock, ManualTrigger, Settings, SourceSchedule,
    SyncOutcome, TeamSchedule, Ticker, status,
};
use deskpulse_storage::testing::TestDb;
use deskpulse_storage::{LeaseHolder, RunEnd, RunOutcome, Store, digest_job, sync_job};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// How long to wait for something the daemon must do before calling it a failure: a
/// deadline for a hang, never a measure of speed (CI shares two cores with other work).
const WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// A shutdown grace no test waits out: a daemon that got to it would fail the test at
/// [`WAIT`] instead of returning once its jobs did.
const NEVER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

type Failing = Vec<(String, String)>;

#[derive(Clone, Copy)]
enum SyncMode {
    /// Returns at once with this many records.
    Quick(u64),
    /// Fails at once.
    Fail,
    /// Waits for a permit from `Fake::release`.
    Blocked,
    /// 50 records per batch; a batch commits when `Fake::commit_batches` lets it, or when
    /// the sync is cancelled: then the batch in flight commits and the sync returns.
    Batches,
    /// Never returns, ignores cancellation.
    Stuck,
}

struct Fake {
    modes: Mutex<HashMap<String, SyncMode>>,
    permits: Semaphore,
    running: AtomicUsize,
    max_running: AtomicUsize,
    syncs: Mutex<Vec<String>>,
    batch_permits: Semaphore,
    /// Batches committed so far (a watch, so a test can wait for a count).
    batches: watch::Sender<usize>,
    digests: Mutex<Vec<DigestRequest>>,
}

impl Fake {
    fn new(modes: &[(&str, SyncMode)]) -> Arc<Fake> {
        let f = Fake {
            modes: Mutex::default(),
            permits: Semaphore::new(0),
            running: AtomicUsize::new(0),
            max_running: AtomicUsize::new(0),
            syncs: Mutex::default(),
            batch_permits: Semaphore::new(0),
            batches: watch::Sender::new(0),
            digests: Mutex::default(),
        };
        for (s, m) in modes {
            f.modes.lock().unwrap().insert((*s).to_owned(), *m);
        }
        Arc::new(f)
    }

    fn set(&self, source: &str, mode: SyncMode) {
        self.modes.lock().unwrap().insert(source.to_owned(), mode);
    }

    fn release(&self) {
        self.permits.add_permits(1);
    }

    /// Lets `n` more batches of a `Batches` sync commit.
    fn commit_batches(&self, n: usize) {
        self.batch_permits.add_permits(n);
    }

    /// Waits until `n` batches have committed.
    async fn wait_batches(&self, n: usize) {
        let mut rx = self.batches.subscribe();
        tokio::time::timeout(WAIT, rx.wait_for(|b| *b >= n))
            .await
            .unwrap_or_else(|_| panic!("{n} batches were not committed within {WAIT:?}"))
            .expect("the fake is alive");
    }

    fn batches(&self) -> usize {
        *self.batches.borrow()
    }

    fn digests(&self) -> Vec<(String, String, Failing)> {
        self.digests
            .lock()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d.team.clone(),
                    d.period.to_string(),
                    d.failing_sources.clone(),
                )
            })
            .collect()
    }
}

#[async_trait]
impl Jobs for Fake {
    async fn sync_source(
        &self,
        source: &str,
        cancel: CancellationToken,
    ) -> Result<SyncOutcome, JobError> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_running.fetch_max(now, Ordering::SeqCst);
        self.syncs.lock().unwrap().push(source.to_owned());
        let mode = self.modes.lock().unwrap()[source];
        let result = match mode {
            SyncMode::Quick(n) => Ok(SyncOutcome {
                records: n,
                cancelled: false,
            }),
            SyncMode::Fail => Err(JobError::new("HTTP 401 from zendesk: check the API token")),
            SyncMode::Blocked => {
                self.permits.acquire().await.unwrap().forget();
                Ok(SyncOutcome {
                    records: 7,
                    cancelled: false,
                })
            }
            SyncMode::Batches => {
                let mut records = 0;
                loop {
                    // The batch in flight commits when let through, or at a shutdown.
                    tokio::select! {
                        permit = self.batch_permits.acquire() => permit.unwrap().forget(),
                        () = cancel.cancelled() => {}
                    }
                    records += 50;
                    self.batches.send_modify(|b| *b += 1);
                    if cancel.is_cancelled() {
                        break Ok(SyncOutcome {
                            records,
                            cancelled: true,
                        });
                    }
                }
            }
            SyncMode::Stuck => std::future::pending().await,
        };
        self.running.fetch_sub(1, Ordering::SeqCst);
        result
    }

    async fn send_digest(&self, request: DigestRequest) -> Result<DigestOutcome, JobError> {
        self.digests.lock().unwrap().push(request);
        Ok(DigestOutcome {
            delivered: 1,
            already_sent: 0,
        })
    }
}

/// A running daemon and the handles to drive it.
struct Harness {
    store: Store,
    clock: ManualClock,
    ticker: Ticker,
    events: mpsc::UnboundedReceiver<DaemonEvent>,
    log: Vec<DaemonEvent>,
    jobs: usize,
    /// `Finished` events per job already returned by `wait_finished`.
    consumed: HashMap<String, usize>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), DaemonError>>>,
}

impl Harness {
    /// Starts a daemon and waits for its first tick's decisions.
    async fn start(
        store: Store,
        clock: &ManualClock,
        jobs: Arc<Fake>,
        settings: Settings,
    ) -> Harness {
        let mut h = Harness::spawn(store, clock, jobs, settings);
        h.settle().await;
        h
    }

    fn spawn(store: Store, clock: &ManualClock, jobs: Arc<Fake>, settings: Settings) -> Harness {
        let (trigger, ticker) = ManualTrigger::new();
        let (tx, events) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let n = settings.sources.len() + settings.teams.len();
        let daemon = Daemon::new(store.clone(), jobs, settings)
            .with_clock(Arc::new(clock.clone()))
            .with_trigger(Box::new(trigger))
            .with_events(tx);
        let task = tokio::spawn(daemon.run(async {
            let _ = stopped.await;
        }));
        Harness {
            store,
            clock: clock.clone(),
            ticker,
            events,
            log: Vec::new(),
            jobs: n,
            consumed: HashMap::new(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    async fn next_event(&mut self) -> DaemonEvent {
        let e = tokio::time::timeout(WAIT, self.events.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the daemon went quiet: no event within {WAIT:?}; events so far: {:?}",
                    kinds(&self.log)
                )
            })
            .expect("the daemon stopped");
        self.log.push(e.clone());
        e
    }

    /// Waits for one decision per job; returns them (and logs every event).
    async fn settle(&mut self) -> Vec<DaemonEvent> {
        let mut decisions = Vec::new();
        while decisions.len() < self.jobs {
            let e = self.next_event().await;
            if e.is_decision() {
                decisions.push(e);
            }
        }
        decisions
    }

    async fn tick(&mut self) -> Vec<DaemonEvent> {
        assert!(self.ticker.tick().await, "the daemon takes no ticks");
        self.settle().await
    }

    async fn advance_and_tick(&mut self, by: Duration) -> Vec<DaemonEvent> {
        self.clock.advance(by);
        self.tick().await
    }

    fn finished(&self, job: &str) -> Vec<DaemonEvent> {
        self.log
            .iter()
            .filter(|e| matches!(e, DaemonEvent::Finished { job: j, .. } if j == job))
            .cloned()
            .collect()
    }

    /// The next `Finished` of `job` not returned before.
    async fn wait_finished(&mut self, job: &str) -> DaemonEvent {
        let seen = self.consumed.get(job).copied().unwrap_or(0);
        while self.finished(job).len() <= seen {
            self.next_event().await;
        }
        self.consumed.insert(job.to_owned(), seen + 1);
        self.finished(job)[seen].clone()
    }

    /// Waits until every started run (but those of `except`) has finished.
    async fn wait_idle(&mut self, except: &[&str]) {
        loop {
            let busy = started(&self.log).iter().any(|(job, _)| {
                !except.contains(&job.as_str())
                    && started(&self.log).iter().filter(|(j, _)| j == job).count()
                        > self.finished(job).len()
            });
            if !busy {
                return;
            }
            self.next_event().await;
        }
    }

    async fn stop(&mut self) -> Result<(), DaemonError> {
        let _ = self.stop.take().unwrap().send(());
        let r = tokio::time::timeout(WAIT, self.task.take().unwrap())
            .await
            .unwrap_or_else(|_| panic!("the daemon did not stop within {WAIT:?} of the request"))
            .unwrap();
        while let Ok(e) = self.events.try_recv() {
            self.log.push(e);
        }
        r
    }
}

fn started(events: &[DaemonEvent]) -> Vec<(String, DateTime<Utc>)> {
    events
        .iter()
        .filter_map(|e| match e {
            DaemonEvent::Started { job, slot } => Some((job.clone(), *slot)),
            _ => None,
        })
        .collect()
}

fn kinds(events: &[DaemonEvent]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            DaemonEvent::Tick { .. } => "tick",
            DaemonEvent::Busy { .. } => "busy",
            DaemonEvent::NotDue { .. } => "not-due",
            DaemonEvent::Held { .. } => "held",
            DaemonEvent::Locked { .. } => "locked",
            DaemonEvent::ClaimLost { .. } => "claim-lost",
            DaemonEvent::Started { .. } => "started",
            DaemonEvent::Finished { .. } => "finished",
            DaemonEvent::Error { .. } => "error",
        })
        .collect()
}

fn source(name: &str, secs: u64) -> SourceSchedule {
    SourceSchedule {
        name: name.into(),
        every: std::time::Duration::from_secs(secs),
    }
}

/// Settings for the tests of scheduling: no digest hold (the sources here never record
/// freshness; `hold` tests the hold).
fn settings(sources: Vec<SourceSchedule>, mut teams: Vec<TeamSchedule>) -> Settings {
    for t in &mut teams {
        t.hold_max = std::time::Duration::ZERO;
    }
    Settings::new(sources, teams)
}

/// A sync that outlasts its interval: the ticks during it are skipped, never concurrent;
/// the next slot runs after it.
#[tokio::test]
async fn a_slow_sync_is_never_overlapped() {
    let db = TestDb::sqlite();
    let clock = ManualClock::new(utc("2026-11-23T09:00:30Z"));
    let fake = Fake::new(&[("slow", SyncMode::Blocked), ("quick", SyncMode::Quick(3))]);
    let mut h = Harness::start(
        db.open().await,
        &clock,
        fake.clone(),
        settings(vec![source("slow", 60), source("quick", 60)], vec![]),
    )
    .await;
    let slow = sync_job("slow");
    let mut first = started(&h.log);
    first.sort();
    assert_eq!(
        first,
        [
            (sync_job("quick"), utc("2026-11-23T09:00:00Z")),
            (slow.clone(), utc("2026-11-23T09:00:00Z")),
        ]
    );
    // Three intervals pass while it runs: each tick skips it; the quick one runs each slot.
    for _ in 0..3 {
        h.wait_idle(&[&slow]).await;
        let d = h.advance_and_tick(Duration::seconds(60)).await;
        assert!(
            d.contains(&DaemonEvent::Busy { job: slow.clone() }),
            "{d:?}"
        );
    }
    fake.release();
    h.wait_finished(&slow).await;
    h.wait_idle(&[]).await;
    let d = h.tick().await;
    assert!(
        d.contains(&DaemonEvent::Started {
            job: slow.clone(),
            slot: utc("2026-11-23T09:03:00Z")
        }),
        "{d:?}"
    );
    fake.release();
    h.wait_finished(&slow).await;
    h.wait_idle(&[]).await;
    let d = h.tick().await;
    assert!(
        d.contains(&DaemonEvent::NotDue { job: slow.clone() }),
        "{d:?}"
    );
    h.stop().await.unwrap();

    let syncs = fake.syncs.lock().unwrap().clone();
    assert_eq!(syncs.iter().filter(|s| *s == "slow").count(), 2);
    assert_eq!(syncs.iter().filter(|s| *s == "quick").count(), 4);
    // Never two at once of one source; the quick one ran beside the slow one.
    let runs = h.store.recent_runs(&slow, 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs[0].started_at >= runs[1].finished_at.unwrap());
    assert!(
        runs.iter()
            .all(|r| r.outcome == Some(RunOutcome::Ok) && r.records == Some(7))
    );
    assert_eq!(fake.max_running.load(Ordering::SeqCst), 2);
    assert_eq!(kinds(&h.log).iter().filter(|k| **k == "busy").count(), 3);
}

/// Down over two Monday mornings: one digest on restart, for the last complete week, with
/// the sources that failed all that week; then the next one on the next Monday at 08:00.
#[tokio::test]
async fn a_restart_catches_up_the_last_digest_only() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let job = digest_job("support");
    let ok = RunEnd {
        outcome: RunOutcome::Ok,
        records: Some(1),
        error: None,
    };
    let w45 = utc("2026-11-09T07:00:00Z");
    assert!(store.claim_run(&job, w45, "old", w45).await.unwrap());
    assert!(store.finish_run(&job, w45, "old", w45, &ok).await.unwrap());
    // zendesk failed every sync of W47 (before the daemon went down for good).
    let zd = sync_job("zendesk");
    let failed = RunEnd {
        outcome: RunOutcome::Failed,
        records: None,
        error: Some("HTTP 401".into()),
    };
    for slot in [utc("2026-11-17T10:00:00Z"), utc("2026-11-18T10:00:00Z")] {
        assert!(store.claim_run(&zd, slot, "old", slot).await.unwrap());
        assert!(
            store
                .finish_run(&zd, slot, "old", slot, &failed)
                .await
                .unwrap()
        );
    }
    let clock = ManualClock::new(utc("2026-11-25T10:00:00Z"));
    let fake = Fake::new(&[]);
    let team = TeamSchedule::weekly(
        "support",
        Berlin,
        "0 0 8 * * Mon",
        vec!["zendesk".into(), "intercom".into()],
    )
    .unwrap();
    let mut h = Harness::start(store, &clock, fake.clone(), settings(vec![], vec![team])).await;
    assert_eq!(
        started(&h.log),
        [(job.clone(), utc("2026-11-23T07:00:00Z"))]
    );
    h.wait_finished(&job).await;
    for hours in [1, 24, 48, 30] {
        let d = h.advance_and_tick(Duration::hours(hours)).await;
        assert_eq!(d, [DaemonEvent::NotDue { job: job.clone() }]);
    }
    // Monday 2026-11-30, 07:59:59 local: not yet; 08:00:10: W48.
    clock.set(utc("2026-11-30T06:59:59Z"));
    assert_eq!(h.tick().await, [DaemonEvent::NotDue { job: job.clone() }]);
    clock.set(utc("2026-11-30T07:00:10Z"));
    assert_eq!(
        h.tick().await,
        [DaemonEvent::Started {
            job: job.clone(),
            slot: utc("2026-11-30T07:00:00Z")
        }]
    );
    h.wait_finished(&job).await;
    h.stop().await.unwrap();
    assert_eq!(
        fake.digests(),
        [
            (
                "support".to_owned(),
                "2026-W47".to_owned(),
                vec![("zendesk".to_owned(), "HTTP 401".to_owned())]
            ),
            ("support".to_owned(), "2026-W48".to_owned(), vec![]),
        ]
    );
}

/// Hourly ticks over three weeks spanning the autumn DST changes of Berlin (2026-10-25)
/// and New York (2026-11-01): every digest starts at 08:00 local, its UTC instant moving by
/// an hour across the change.
#[tokio::test]
async fn weekly_digests_follow_local_time_across_dst() {
    let db = TestDb::sqlite();
    let clock = ManualClock::new(utc("2026-10-18T00:00:30Z"));
    let fake = Fake::new(&[]);
    let teams = vec![
        TeamSchedule::weekly("berlin", Berlin, "0 0 8 * * Mon", vec![]).unwrap(),
        TeamSchedule::weekly("nyc", New_York, "0 0 8 * * Mon", vec![]).unwrap(),
    ];
    let mut h = Harness::start(
        db.open().await,
        &clock,
        fake.clone(),
        settings(vec![], teams),
    )
    .await;
    for _ in 0..(17 * 24) {
        h.advance_and_tick(Duration::hours(1)).await;
        h.wait_idle(&[]).await;
    }
    h.stop().await.unwrap();
    let mut runs = started(&h.log);
    runs.sort();
    let expect = [
        ("berlin", "2026-10-19T06:00:00Z"), // CEST
        ("berlin", "2026-10-26T07:00:00Z"), // CET
        ("berlin", "2026-11-02T07:00:00Z"),
        ("nyc", "2026-10-19T12:00:00Z"), // EDT
        ("nyc", "2026-10-26T12:00:00Z"),
        ("nyc", "2026-11-02T13:00:00Z"), // EST
    ]
    .map(|(t, s)| (digest_job(t), utc(s)));
    assert_eq!(runs, expect);
    let mut periods: Vec<(String, String)> =
        fake.digests().into_iter().map(|(t, p, _)| (t, p)).collect();
    periods.sort();
    let weeks = ["2026-W42", "2026-W43", "2026-W44"];
    let want: Vec<(String, String)> = ["berlin", "nyc"]
        .iter()
        .flat_map(|t| weeks.iter().map(move |w| (t.to_string(), w.to_string())))
        .collect();
    assert_eq!(periods, want);
}

/// A failing sync is retried 30 s after it failed, then after 60 s, …; the status shows
/// the error, the failures and the next run.
#[tokio::test]
async fn a_failing_sync_is_retried_with_backoff_and_shown_in_status() {
    let db = TestDb::sqlite();
    // Past the slot's jitter (at most a minute for a 15-minute interval).
    let clock = ManualClock::new(utc("2026-11-23T09:01:01Z"));
    let fake = Fake::new(&[("zd", SyncMode::Fail)]);
    let st = settings(vec![source("zd", 900)], vec![]);
    let mut h = Harness::start(db.open().await, &clock, fake.clone(), st.clone()).await;
    let job = sync_job("zd");
    assert_eq!(
        started(&h.log),
        [(job.clone(), utc("2026-11-23T09:00:00Z"))]
    );
    let e = h.wait_finished(&job).await;
    assert!(
        matches!(&e, DaemonEvent::Finished { outcome: RunOutcome::Failed, error: Some(m), .. } if m.contains("401")),
        "{e:?}"
    );
    // Retried 30 s after the failure…
    let not_due = [DaemonEvent::NotDue { job: job.clone() }];
    assert_eq!(h.advance_and_tick(Duration::seconds(29)).await, not_due);
    let d = h.advance_and_tick(Duration::seconds(1)).await;
    let retry = utc("2026-11-23T09:01:31Z");
    assert_eq!(
        d,
        [DaemonEvent::Started {
            job: job.clone(),
            slot: retry
        }]
    );
    h.wait_finished(&job).await;
    // …then 60 s after the second.
    assert_eq!(h.advance_and_tick(Duration::seconds(59)).await, not_due);
    let report = status(&h.store, &st, clock.now()).await.unwrap();
    let s = &report.sources[0];
    assert_eq!(s.consecutive_failures, 2);
    assert_eq!(s.next_run, utc("2026-11-23T09:02:31Z"));
    let last = s.last_run.as_ref().unwrap();
    assert_eq!((last.slot, last.outcome), (retry, Some(RunOutcome::Failed)));
    assert!(last.error.as_deref().unwrap().contains("401"));
    assert_eq!(s.last_success, None);
    // The daemon holds the SQLite lease; status says who.
    assert_eq!(
        report.daemon.as_ref().map(|d| d.pid),
        Some(std::process::id())
    );
    // It recovers: the retry succeeds and the next regular slot follows.
    fake.set("zd", SyncMode::Quick(5));
    let d = h.advance_and_tick(Duration::seconds(1)).await;
    let slot = utc("2026-11-23T09:02:31Z");
    assert_eq!(
        d,
        [DaemonEvent::Started {
            job: job.clone(),
            slot
        }]
    );
    h.wait_finished(&job).await;
    let report = status(&h.store, &st, clock.now()).await.unwrap();
    let s = &report.sources[0];
    assert_eq!(
        (s.consecutive_failures, s.last_run.as_ref().unwrap().records),
        (0, Some(5))
    );
    assert!(
        s.next_run >= utc("2026-11-23T09:15:00Z") && s.next_run <= utc("2026-11-23T09:16:00Z"),
        "{}",
        s.next_run
    );
    h.stop().await.unwrap();
    assert_eq!(
        status(&h.store, &st, clock.now()).await.unwrap().daemon,
        None
    );
}

/// SIGTERM-style shutdown: the running sync commits the batch in flight and returns; the
/// daemon stops as soon as it has (not at the end of its grace period), and the run is
/// recorded as cancelled with its records.
#[tokio::test]
async fn shutdown_lets_the_running_batch_commit() {
    let db = TestDb::sqlite();
    let clock = ManualClock::new(utc("2026-11-23T09:01:01Z"));
    let fake = Fake::new(&[("zd", SyncMode::Batches)]);
    let mut st = settings(vec![source("zd", 900)], vec![]);
    // Were the daemon to wait out its grace instead of the job, `stop` would fail at WAIT.
    st.shutdown_grace = NEVER;
    let mut h = Harness::start(db.open().await, &clock, fake.clone(), st).await;
    fake.commit_batches(3);
    fake.wait_batches(3).await;
    h.stop().await.unwrap();
    // The three let through, and the one in flight when the shutdown came.
    assert_eq!(fake.batches(), 4);
    let run = h.store.last_run(&sync_job("zd")).await.unwrap().unwrap();
    assert_eq!(run.outcome, Some(RunOutcome::Cancelled));
    assert_eq!(run.records, Some(4 * 50));
    assert_eq!(run.error, None);
    assert!(
        h.log.contains(&DaemonEvent::Finished {
            job: sync_job("zd"),
            slot: utc("2026-11-23T09:00:00Z"),
            outcome: RunOutcome::Cancelled,
            error: None,
        }),
        "{:?}",
        h.log
    );
    // Resumable: the next daemon retries it shortly.
    let fake2 = Fake::new(&[("zd", SyncMode::Quick(1))]);
    clock.advance(Duration::seconds(31));
    let mut h2 = Harness::start(
        h.store.clone(),
        &clock,
        fake2,
        settings(vec![source("zd", 900)], vec![]),
    )
    .await;
    assert_eq!(started(&h2.log).len(), 1);
    h2.stop().await.unwrap();
}

/// A sync that ignores cancellation is abandoned after the grace period and recorded so.
#[tokio::test]
async fn a_stuck_sync_is_abandoned_after_the_grace_period() {
    let db = TestDb::sqlite();
    let clock = ManualClock::new(utc("2026-11-23T09:01:01Z"));
    let fake = Fake::new(&[("zd", SyncMode::Stuck)]);
    let mut st = settings(vec![source("zd", 900)], vec![]);
    let grace = std::time::Duration::from_millis(300);
    st.shutdown_grace = grace;
    let mut h = Harness::start(db.open().await, &clock, fake, st).await;
    let t0 = Instant::now();
    // The job never returns: the daemon stops only because the grace period ran out.
    h.stop().await.unwrap();
    // A lower bound only: a loaded machine makes it later, never earlier.
    assert!(t0.elapsed() >= grace, "stopped before the grace period");
    let run = h.store.last_run(&sync_job("zd")).await.unwrap().unwrap();
    assert_eq!(run.outcome, Some(RunOutcome::Cancelled));
    assert!(run.error.unwrap().contains("shutdown"));
}

/// SQLite: a second daemon on the same file is refused, clearly; after the first stops,
/// or when its lease went stale (a crash), a new one starts.
#[tokio::test]
async fn sqlite_refuses_a_second_daemon() {
    let db = TestDb::sqlite();
    let clock = ManualClock::new(utc("2026-11-23T09:00:30Z"));
    let st = settings(vec![source("zd", 900)], vec![]);
    let mut a = Harness::start(
        db.open().await,
        &clock,
        Fake::new(&[("zd", SyncMode::Quick(1))]),
        st.clone(),
    )
    .await;
    let mut b = Harness::spawn(
        db.open().await,
        &clock,
        Fake::new(&[("zd", SyncMode::Quick(1))]),
        st.clone(),
    );
    let err = b.stop().await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DaemonError::AlreadyRunning { .. }), "{msg}");
    assert!(
        msg.contains("already runs on this SQLite database") && msg.contains("Postgres"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("pid {}", std::process::id())),
        "{msg}"
    );
    a.stop().await.unwrap();
    // Released on stop: a new daemon starts.
    let mut c = Harness::start(
        db.open().await,
        &clock,
        Fake::new(&[("zd", SyncMode::Quick(1))]),
        st.clone(),
    )
    .await;
    c.stop().await.unwrap();

    // A lease left by a daemon on another host that crashed: refused while fresh…
    let store = db.open().await;
    let t = clock.now();
    let crashed = LeaseHolder {
        owner: "elsewhere/4242/1/deadbeef".into(),
        pid: 4242,
        host: "elsewhere".into(),
        acquired_at: t - Duration::hours(1),
        heartbeat_at: t - Duration::seconds(30),
    };
    store
        .acquire_daemon_lease(&crashed, t - Duration::hours(2), None)
        .await
        .unwrap();
    let mut d = Harness::spawn(
        db.open().await,
        &clock,
        Fake::new(&[("zd", SyncMode::Quick(1))]),
        st.clone(),
    );
    assert!(matches!(
        d.stop().await,
        Err(DaemonError::AlreadyRunning { pid: 4242, .. })
    ));
    // …and taken over once its heartbeat is older than a minute.
    clock.advance(Duration::seconds(31));
    let mut e = Harness::start(
        db.open().await,
        &clock,
        Fake::new(&[("zd", SyncMode::Quick(1))]),
        st.clone(),
    )
    .await;
    e.stop().await.unwrap();
}

/// Two daemons on one Postgres: each sync slot and each digest runs exactly once in the
/// cluster, and a slow sync on one is not overlapped by the next slot on the other.
#[tokio::test]
async fn two_daemons_on_postgres_run_each_slot_once() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let clock = ManualClock::new(utc("2026-11-23T06:59:30Z"));
    let st = settings(
        vec![source("zd", 60), source("ic", 60)],
        vec![TeamSchedule::weekly("support", Berlin, "0 0 8 * * Mon", vec!["zd".into()]).unwrap()],
    );
    let modes = [("zd", SyncMode::Quick(2)), ("ic", SyncMode::Quick(3))];
    let (fa, fb) = (Fake::new(&modes), Fake::new(&modes));
    let mut a = Harness::start(db.open().await, &clock, fa.clone(), st.clone()).await;
    let mut b = Harness::start(db.open().await, &clock, fb.clone(), st.clone()).await;
    for _ in 0..10 {
        clock.advance(Duration::seconds(60));
        tokio::join!(a.tick(), b.tick());
        tokio::join!(a.wait_idle(&[]), b.wait_idle(&[]));
    }
    let count = |f: &Fake, s: &str| f.syncs.lock().unwrap().iter().filter(|x| *x == s).count();
    for s in ["zd", "ic"] {
        let runs = a.store.recent_runs(&sync_job(s), 100).await.unwrap();
        assert_eq!(runs.len(), 11, "{s}: one run per slot");
        assert_eq!(count(&fa, s) + count(&fb, s), 11, "{s}");
    }
    assert_eq!(fa.digests().len() + fb.digests().len(), 1);
    assert_eq!(
        a.store
            .recent_runs(&digest_job("support"), 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // A slow sync on one daemon spans the next slot: the other finds it locked.
    fa.set("zd", SyncMode::Blocked);
    fb.set("zd", SyncMode::Blocked);
    clock.advance(Duration::seconds(60));
    let (da, db_) = tokio::join!(a.tick(), b.tick());
    let zd = sync_job("zd");
    let a_runs = started(&da).iter().any(|(j, _)| *j == zd);
    let b_runs = started(&db_).iter().any(|(j, _)| *j == zd);
    assert!(a_runs != b_runs, "exactly one runs it: {da:?} {db_:?}");
    clock.advance(Duration::seconds(60));
    let (da, db_) = tokio::join!(a.tick(), b.tick());
    let (runner, other) = if a_runs { (da, db_) } else { (db_, da) };
    assert!(
        runner.contains(&DaemonEvent::Busy { job: zd.clone() }),
        "{runner:?}"
    );
    assert!(
        other.contains(&DaemonEvent::Locked { job: zd.clone() }),
        "{other:?}"
    );
    fa.release();
    fb.release();
    a.stop().await.unwrap();
    b.stop().await.unwrap();
    // The cluster never ran two syncs of one source at once.
    let mut runs = a.store.recent_runs(&zd, 100).await.unwrap();
    runs.reverse();
    assert_eq!(runs.len(), 12);
    for w in runs.windows(2) {
        assert!(w[1].started_at >= w[0].finished_at.unwrap(), "{w:?}");
    }
    a.store.close().await;
    b.store.close().await;
    db.cleanup().await;
}

/// The production trigger ticks on tokio-cron-scheduler.
#[tokio::test]
async fn the_cron_trigger_ticks() {
    let db = TestDb::sqlite();
    let (tx, mut events) = mpsc::unbounded_channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let mut st = settings(vec![], vec![]);
    st.tick = std::time::Duration::from_secs(1);
    let daemon = Daemon::new(db.open().await, Fake::new(&[]), st)
        .with_trigger(Box::new(CronTrigger::new(std::time::Duration::from_secs(
            1,
        ))))
        .with_events(tx);
    let task = tokio::spawn(daemon.run(async {
        let _ = stopped.await;
    }));
    let mut ticks = 0;
    while ticks < 3 {
        let e = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap_or_else(|_| panic!("{ticks} of 3 ticks of the cron trigger within {WAIT:?}"))
            .unwrap();
        ticks += usize::from(matches!(e, DaemonEvent::Tick { .. }));
    }
    let _ = stop.send(());
    tokio::time::timeout(WAIT, task)
        .await
        .unwrap_or_else(|_| panic!("the daemon did not stop within {WAIT:?}"))
        .unwrap()
        .unwrap();
}

/// `status` from the records alone, on both backends: last runs, the last success, the
/// per-channel deliveries of the latest period, what is overdue and what comes next.
#[tokio::test]
async fn status_reports_last_and_next_runs() {
    let sqlite = TestDb::sqlite();
    check_status(sqlite.open().await).await;
    if let Some(pg) = TestDb::postgres().await {
        let store = pg.open().await;
        check_status(store.clone()).await;
        store.close().await;
        pg.cleanup().await;
    }
}

async fn check_status(store: Store) {
    let now = utc("2026-11-25T10:00:30Z"); // Wednesday
    let st = settings(
        vec![source("zd", 900), source("new", 900)],
        vec![
            TeamSchedule::weekly("support", Berlin, "0 0 8 * * Mon", vec!["zd".into()]).unwrap(),
            TeamSchedule::weekly("sales", New_York, "0 0 8 * * Mon", vec![]).unwrap(),
        ],
    );
    let record = |job: String, slot: DateTime<Utc>, end: RunEnd| {
        let store = store.clone();
        async move {
            assert!(store.claim_run(&job, slot, "d1", slot).await.unwrap());
            let fin = slot + Duration::seconds(20);
            assert!(store.finish_run(&job, slot, "d1", fin, &end).await.unwrap());
        }
    };
    let ok = |n| RunEnd {
        outcome: RunOutcome::Ok,
        records: Some(n),
        error: None,
    };
    let failed = RunEnd {
        outcome: RunOutcome::Failed,
        records: None,
        error: Some("timeout".into()),
    };
    record(sync_job("zd"), utc("2026-11-25T09:45:00Z"), ok(12)).await;
    record(sync_job("zd"), utc("2026-11-25T10:00:00Z"), failed).await;
    record(digest_job("support"), utc("2026-11-16T07:00:00Z"), ok(2)).await;
    record(digest_job("sales"), utc("2026-11-23T13:00:00Z"), ok(1)).await;
    for (period, channel) in [
        ("2026-W46", "email"),
        ("2026-W46", "slack"),
        ("2026-W47", "email"),
    ] {
        let token = match store
            .claim_delivery("support", period, channel, false)
            .await
            .unwrap()
        {
            deskpulse_storage::DeliveryClaim::Acquired { token } => token,
            other => panic!("{other:?}"),
        };
        store
            .mark_delivery_sent("support", period, channel, &token)
            .await
            .unwrap();
    }
    let r = status(&store, &st, now).await.unwrap();
    assert_eq!(
        (r.now, r.daemon.is_some(), r.daemon_alive),
        (now, false, false)
    );
    let zd = &r.sources[0];
    assert_eq!(zd.name, "zd");
    assert_eq!(zd.consecutive_failures, 1);
    assert_eq!(
        zd.last_run.as_ref().unwrap().error.as_deref(),
        Some("timeout")
    );
    assert_eq!(zd.last_success.as_ref().unwrap().records, Some(12));
    // Retry 30 s after the failure ended (10:00:20).
    assert_eq!(zd.next_run, utc("2026-11-25T10:00:50Z"));
    let new = &r.sources[1];
    assert_eq!((new.last_run.as_ref(), new.consecutive_failures), (None, 0));
    assert!(
        new.next_run <= utc("2026-11-25T10:01:00Z"),
        "due now or at its jitter"
    );
    // support missed Monday's digest (W47): overdue; sales did not.
    let support = &r.teams[0];
    assert_eq!(support.cron, "0 0 8 * * Mon");
    let overdue = support.overdue.unwrap();
    assert_eq!(
        (overdue.slot, overdue.period.to_string()),
        (utc("2026-11-23T07:00:00Z"), "2026-W47".into())
    );
    let next = support.next_due.unwrap();
    assert_eq!(
        (next.slot, next.period.to_string()),
        (utc("2026-11-30T07:00:00Z"), "2026-W48".into())
    );
    let channels: Vec<(&str, &str)> = support
        .last_deliveries
        .iter()
        .map(|d| (d.period.as_str(), d.channel.as_str()))
        .collect();
    assert_eq!(channels, [("2026-W47", "email")]);
    let sales = &r.teams[1];
    assert_eq!(sales.overdue, None);
    assert_eq!(sales.next_due.unwrap().slot, utc("2026-11-30T13:00:00Z"));
    assert!(sales.last_deliveries.is_empty());
}
