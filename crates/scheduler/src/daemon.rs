//! The daemon loop: ticks, due decisions, claims, runs, shutdown.

use crate::clock::{Clock, SystemClock};
use crate::jobs::{DigestRequest, Jobs};
use crate::schedule::{self, LastRun};
use crate::settings::{Settings, SourceSchedule, TeamSchedule};
use crate::trigger::{CronTrigger, Trigger};
use chrono::{DateTime, Utc};
use deskpulse_storage::{
    LeaseHolder, LeaseOutcome, RunEnd, RunOutcome, RunRecord, StorageError, Store, digest_job,
    sync_job,
};
use futures::FutureExt;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Why the daemon did not start or stopped on its own.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(
        "another deskpulse daemon already runs on this SQLite database (pid {pid} on host \
         {host}, running since {acquired_at}, last heartbeat {heartbeat_at}): stop it first. \
         Only one daemon may use a SQLite file; to run several, use Postgres ([database] url = \
         \"postgres://…\"). A daemon that crashed frees the database {stale_after_secs} s \
         after its last heartbeat, or at once when restarted on the same host"
    )]
    AlreadyRunning {
        pid: u32,
        host: String,
        acquired_at: DateTime<Utc>,
        heartbeat_at: DateTime<Utc>,
        stale_after_secs: u64,
    },
    #[error(
        "this daemon lost its lease on the SQLite database: its heartbeat stalled and another \
         daemon took over; stopping"
    )]
    LeaseLost,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the tick scheduler failed: {0}")]
    Trigger(String),
}

/// What the daemon decided or did; see [`Daemon::with_events`]. Each tick yields
/// [`DaemonEvent::Tick`] and then, for every job, exactly one decision (`Busy`, `NotDue`,
/// `Locked`, `ClaimLost`, `Started` or `Error`; none for a job found due once a shutdown
/// began); a `Started` run later yields `Finished`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonEvent {
    Tick {
        at: DateTime<Utc>,
    },
    /// Still running in this process from an earlier tick: this tick skips it.
    Busy {
        job: String,
    },
    NotDue {
        job: String,
    },
    /// A due digest waits: these sources are not complete through the period's end yet. It
    /// is sent when they are, or at `until` with the incomplete-data banner.
    Held {
        job: String,
        period: String,
        late: Vec<String>,
        until: DateTime<Utc>,
    },
    /// Another daemon holds the job's lock (Postgres): it is running there.
    Locked {
        job: String,
    },
    /// Another daemon claimed this slot first.
    ClaimLost {
        job: String,
        slot: DateTime<Utc>,
    },
    Started {
        job: String,
        slot: DateTime<Utc>,
    },
    Finished {
        job: String,
        slot: DateTime<Utc>,
        outcome: RunOutcome,
        error: Option<String>,
    },
    /// The decision failed (storage); the next tick tries again.
    Error {
        job: String,
        message: String,
    },
}

impl DaemonEvent {
    /// The job this event is about (`None` for ticks).
    pub fn job(&self) -> Option<&str> {
        match self {
            DaemonEvent::Tick { .. } => None,
            DaemonEvent::Busy { job }
            | DaemonEvent::NotDue { job }
            | DaemonEvent::Held { job, .. }
            | DaemonEvent::Locked { job }
            | DaemonEvent::ClaimLost { job, .. }
            | DaemonEvent::Started { job, .. }
            | DaemonEvent::Finished { job, .. }
            | DaemonEvent::Error { job, .. } => Some(job),
        }
    }

    /// Whether this is a tick's decision about a job (every event but `Tick` and `Finished`).
    pub fn is_decision(&self) -> bool {
        !matches!(
            self,
            DaemonEvent::Tick { .. } | DaemonEvent::Finished { .. }
        )
    }
}

/// The scheduler daemon; see the crate docs.
pub struct Daemon {
    store: Store,
    jobs: Arc<dyn Jobs>,
    settings: Settings,
    clock: Arc<dyn Clock>,
    trigger: Box<dyn Trigger>,
    owner: String,
    events: Option<mpsc::UnboundedSender<DaemonEvent>>,
}

impl Daemon {
    /// A daemon on the system clock, ticking every `settings.tick` on tokio-cron-scheduler.
    pub fn new(store: Store, jobs: Arc<dyn Jobs>, settings: Settings) -> Daemon {
        let trigger = Box::new(CronTrigger::new(settings.tick));
        Daemon {
            store,
            jobs,
            settings,
            clock: Arc::new(SystemClock),
            trigger,
            owner: new_owner_id(),
            events: None,
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Daemon {
        self.clock = clock;
        self
    }

    pub fn with_trigger(mut self, trigger: Box<dyn Trigger>) -> Daemon {
        self.trigger = trigger;
        self
    }

    /// Reports every decision and run on `events` (tests, observers); see [`DaemonEvent`].
    pub fn with_events(mut self, events: mpsc::UnboundedSender<DaemonEvent>) -> Daemon {
        self.events = Some(events);
        self
    }

    /// This daemon's id in run records and the lease: `host/pid/process-start/random`.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Runs until `shutdown` completes, then: no new work, the running syncs are cancelled
    /// (they commit their current batch and return), and running jobs get
    /// `settings.shutdown_grace` to finish; jobs still running then are abandoned and their
    /// runs recorded as cancelled. On SQLite the daemon holds the database's lease while it
    /// runs and refuses to start if another daemon holds it.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), DaemonError> {
        let Daemon {
            store,
            jobs,
            settings,
            clock,
            mut trigger,
            owner,
            events,
        } = self;
        let sqlite = store.needs_daemon_lease();
        if sqlite {
            acquire_lease(&store, &owner, clock.as_ref(), &settings).await?;
        }
        let shared = Arc::new(Shared {
            store: store.clone(),
            jobs,
            started_at: clock.now(),
            clock,
            owner,
            cancel: CancellationToken::new(),
            in_flight: Mutex::new(HashSet::new()),
            claimed: Mutex::new(HashMap::new()),
            events,
        });
        tracing::info!(
            owner = %shared.owner,
            backend = store.backend(),
            sources = settings.sources.len(),
            teams = settings.teams.len(),
            tick_secs = settings.tick.as_secs_f64(),
            "daemon started"
        );
        let result = run_loop(&shared, &settings, trigger.as_mut(), sqlite, shutdown).await;
        if sqlite {
            match store.release_daemon_lease(&shared.owner).await {
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not release the daemon lease"),
            }
        }
        tracing::info!(owner = %shared.owner, ok = result.is_ok(), "daemon stopped");
        result
    }
}

struct Shared {
    store: Store,
    jobs: Arc<dyn Jobs>,
    clock: Arc<dyn Clock>,
    owner: String,
    started_at: DateTime<Utc>,
    cancel: CancellationToken,
    /// Jobs with a task in this process (deciding or running): the per-job mutex.
    in_flight: Mutex<HashSet<String>>,
    /// Runs claimed and not yet recorded as finished: job → slot.
    claimed: Mutex<HashMap<String, DateTime<Utc>>>,
    events: Option<mpsc::UnboundedSender<DaemonEvent>>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn emit(&self, event: DaemonEvent) {
        if let Some(tx) = &self.events {
            let _ = tx.send(event);
        }
    }
}

/// Marks a job in flight for its lifetime.
struct InFlight {
    shared: Arc<Shared>,
    job: String,
}

impl InFlight {
    fn enter(shared: &Arc<Shared>, job: &str) -> Option<InFlight> {
        locked(&shared.in_flight)
            .insert(job.to_owned())
            .then(|| InFlight {
                shared: shared.clone(),
                job: job.to_owned(),
            })
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        locked(&self.shared.in_flight).remove(&self.job);
    }
}

async fn run_loop(
    shared: &Arc<Shared>,
    settings: &Settings,
    trigger: &mut dyn Trigger,
    sqlite: bool,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), DaemonError> {
    let (tx, mut ticks) = mpsc::channel(1);
    trigger.start(tx).await?;
    let beat = (settings.lease_stale_after / 4).max(std::time::Duration::from_millis(100));
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tasks = JoinSet::new();
    let mut failure = None;
    tokio::pin!(shutdown);
    // At once, so a restart catches up without waiting for the first tick.
    tick(shared, settings, &mut tasks);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => {
                tracing::info!(running = tasks.len(), "shutdown requested: no new work, cancelling running syncs");
                break;
            }
            _ = heartbeat.tick(), if sqlite => {
                match shared.store.heartbeat_daemon_lease(&shared.owner, shared.clock.now()).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::error!("the daemon lease was taken over: stopping");
                        failure = Some(DaemonError::LeaseLost);
                        break;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not renew the daemon lease"),
                }
            }
            Some(()) = ticks.recv() => tick(shared, settings, &mut tasks),
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a scheduler task failed");
                }
            }
        }
    }
    trigger.stop().await;
    shared.cancel.cancel();
    let grace = settings.shutdown_grace;
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            running = tasks.len(),
            grace_secs = grace.as_secs_f64(),
            "jobs still running after the shutdown grace period: abandoned"
        );
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    let abandoned: Vec<(String, DateTime<Utc>)> = locked(&shared.claimed).drain().collect();
    for (job, slot) in abandoned {
        let end = RunEnd {
            outcome: RunOutcome::Cancelled,
            records: None,
            error: Some("stopped by a shutdown before it finished".into()),
        };
        let now = shared.clock.now();
        if let Err(e) = shared
            .store
            .finish_run(&job, slot, &shared.owner, now, &end)
            .await
        {
            tracing::warn!(job, error = %e, "could not record an abandoned run");
        }
    }
    failure.map_or(Ok(()), Err)
}

/// One tick: a task per job that is not in flight; the others are skipped.
fn tick(shared: &Arc<Shared>, settings: &Settings, tasks: &mut JoinSet<()>) {
    let at = shared.clock.now();
    tracing::debug!(%at, "tick");
    shared.emit(DaemonEvent::Tick { at });
    for source in &settings.sources {
        let job = sync_job(&source.name);
        let Some(guard) = InFlight::enter(shared, &job) else {
            tracing::info!(job, "still running: this tick skips it");
            shared.emit(DaemonEvent::Busy { job });
            continue;
        };
        let (shared, source) = (shared.clone(), source.clone());
        tasks.spawn(async move {
            let _guard = guard;
            decided(&shared, &job, consider_sync(&shared, &source, &job).await);
        });
    }
    for team in &settings.teams {
        let job = digest_job(&team.name);
        let Some(guard) = InFlight::enter(shared, &job) else {
            tracing::info!(job, "still running: this tick skips it");
            shared.emit(DaemonEvent::Busy { job });
            continue;
        };
        let (shared, team) = (shared.clone(), team.clone());
        tasks.spawn(async move {
            let _guard = guard;
            decided(&shared, &job, consider_digest(&shared, &team, &job).await);
        });
    }
}

fn decided(shared: &Shared, job: &str, result: Result<(), StorageError>) {
    if let Err(e) = result {
        tracing::warn!(job, error = %e, "could not decide or record a run; the next tick tries again");
        shared.emit(DaemonEvent::Error {
            job: job.to_owned(),
            message: e.to_string(),
        });
    }
}

/// The scheduling view of a job's recent runs (latest first).
pub(crate) fn last_run(runs: &[RunRecord]) -> Option<LastRun> {
    let first = runs.first()?;
    let failures = runs
        .iter()
        .take_while(|r| matches!(r.outcome, Some(RunOutcome::Failed | RunOutcome::Cancelled)))
        .count();
    Some(LastRun {
        slot: first.slot,
        finished_at: first.finished_at,
        consecutive_failures: u32::try_from(failures).unwrap_or(u32::MAX),
    })
}

/// How many runs back the failure count looks (the backoff is capped long before).
pub(crate) const HISTORY: u32 = 32;

pub(crate) fn every(source: &SourceSchedule) -> chrono::Duration {
    chrono::Duration::from_std(source.every)
        .unwrap_or(chrono::Duration::minutes(15))
        .max(chrono::Duration::seconds(1))
}

async fn consider_sync(
    shared: &Shared,
    source: &SourceSchedule,
    job: &str,
) -> Result<(), StorageError> {
    let runs = shared.store.recent_runs(job, HISTORY).await?;
    let now = shared.clock.now();
    let Some(slot) = schedule::sync_due(&source.name, every(source), now, last_run(&runs)) else {
        shared.emit(DaemonEvent::NotDue {
            job: job.to_owned(),
        });
        return Ok(());
    };
    let (jobs, name, cancel) = (
        shared.jobs.clone(),
        source.name.clone(),
        shared.cancel.child_token(),
    );
    run_claimed(shared, job, slot, async move {
        match jobs.sync_source(&name, cancel).await {
            Ok(o) => RunEnd {
                outcome: if o.cancelled {
                    RunOutcome::Cancelled
                } else {
                    RunOutcome::Ok
                },
                records: Some(o.records),
                error: None,
            },
            Err(e) => RunEnd {
                outcome: RunOutcome::Failed,
                records: None,
                error: Some(e.0),
            },
        }
    })
    .await
}

async fn consider_digest(
    shared: &Shared,
    team: &TeamSchedule,
    job: &str,
) -> Result<(), StorageError> {
    let runs = shared.store.recent_runs(job, HISTORY).await?;
    let now = shared.clock.now();
    let last = last_run(&runs);
    let due = schedule::digest_due(
        &team.schedule,
        team.period,
        now,
        last.map(|l| l.slot),
        shared.started_at,
    )
    .or_else(|| last.and_then(|l| schedule::digest_retry(&team.schedule, team.period, now, l)));
    let Some(due) = due else {
        shared.emit(DaemonEvent::NotDue {
            job: job.to_owned(),
        });
        return Ok(());
    };
    let period = due.period.in_zone(team.schedule.tz());
    if let Some((late, until)) = hold(shared, team, (period.start, period.end), now).await? {
        tracing::info!(job, period = %due.period, ?late, %until, "holding the digest for late sources");
        shared.emit(DaemonEvent::Held {
            job: job.to_owned(),
            period: due.period.to_string(),
            late,
            until,
        });
        return Ok(());
    }
    let failing_sources = shared
        .store
        .failing_sources(&team.sources, period.start, period.end)
        .await?;
    let request = DigestRequest {
        team: team.name.clone(),
        period: due.period,
        failing_sources,
    };
    let jobs = shared.jobs.clone();
    run_claimed(shared, job, due.slot, async move {
        match jobs.send_digest(request).await {
            Ok(o) => RunEnd {
                outcome: RunOutcome::Ok,
                records: Some(o.delivered),
                error: None,
            },
            Err(e) => RunEnd {
                outcome: RunOutcome::Failed,
                records: None,
                error: Some(e.0),
            },
        }
    })
    .await
}

/// Whether a due digest of the period waits: `Some((late sources, until))` while a source of
/// the team is not complete for the period ([`deskpulse_model::SourceFreshness::is_complete_for`]: through
/// its end, and no older history its tickets need still backfilling) and the
/// hold has not run out. The hold runs from the period's first due instant, or from this
/// daemon's start when that is later (a daemon that was down holds a missed digest from
/// when it could first send it), for `team.hold_max`. Unclaimed, a held digest stays due:
/// every tick (on every daemon) looks again, and one of them sends it once complete.
async fn hold(
    shared: &Shared,
    team: &TeamSchedule,
    (period_start, period_end): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> Result<Option<(Vec<String>, DateTime<Utc>)>, StorageError> {
    if team.hold_max.is_zero() {
        return Ok(None);
    }
    let bounds = (period_start, period_end);
    let freshness = shared.store.freshness(&team.sources).await?;
    let opened = shared
        .store
        .opened_before_windows(&freshness, bounds)
        .await?;
    let late: Vec<String> = freshness
        .into_iter()
        .zip(opened)
        .filter(|(f, n)| !f.is_complete_for(bounds, *n))
        .map(|(f, _)| f.source)
        .collect();
    if late.is_empty() {
        return Ok(None);
    }
    let first_due = team
        .schedule
        .next_due(period_end - chrono::Duration::seconds(1))
        .unwrap_or(period_end);
    let hold_max = chrono::Duration::from_std(team.hold_max).unwrap_or(chrono::Duration::hours(6));
    let until = first_due.max(shared.started_at) + hold_max;
    Ok((now < until).then_some((late, until)))
}

/// Lock, claim, run, record, unlock. Skips (with an event) when another daemon runs the job
/// or claimed the slot, or when the daemon is shutting down.
async fn run_claimed(
    shared: &Shared,
    job: &str,
    slot: DateTime<Utc>,
    work: impl Future<Output = RunEnd> + Send,
) -> Result<(), StorageError> {
    if shared.cancel.is_cancelled() {
        return Ok(());
    }
    let Some(lock) = shared.store.try_lock_job(job).await? else {
        tracing::debug!(job, "running on another daemon");
        shared.emit(DaemonEvent::Locked {
            job: job.to_owned(),
        });
        return Ok(());
    };
    let claimed = match shared
        .store
        .claim_run(job, slot, &shared.owner, shared.clock.now())
        .await
    {
        Ok(c) => c,
        Err(e) => {
            let _ = lock.release().await;
            return Err(e);
        }
    };
    if !claimed {
        tracing::debug!(job, %slot, "claimed by another daemon");
        shared.emit(DaemonEvent::ClaimLost {
            job: job.to_owned(),
            slot,
        });
        return lock.release().await;
    }
    locked(&shared.claimed).insert(job.to_owned(), slot);
    tracing::info!(job, %slot, "run started");
    shared.emit(DaemonEvent::Started {
        job: job.to_owned(),
        slot,
    });
    let end = AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| RunEnd {
            outcome: RunOutcome::Failed,
            records: None,
            error: Some("the job panicked".into()),
        });
    match end.outcome {
        RunOutcome::Ok => tracing::info!(job, %slot, records = end.records, "run done"),
        RunOutcome::Cancelled => {
            tracing::info!(job, %slot, records = end.records, "run stopped by shutdown")
        }
        RunOutcome::Failed => tracing::warn!(
            job,
            %slot,
            error = end.error.as_deref().unwrap_or_default(),
            "run failed; retried with backoff"
        ),
    }
    let finished = shared
        .store
        .finish_run(job, slot, &shared.owner, shared.clock.now(), &end)
        .await;
    if finished.is_ok() {
        locked(&shared.claimed).remove(job);
    }
    let released = lock.release().await;
    shared.emit(DaemonEvent::Finished {
        job: job.to_owned(),
        slot,
        outcome: end.outcome,
        error: end.error,
    });
    finished?;
    released
}

async fn acquire_lease(
    store: &Store,
    owner: &str,
    clock: &dyn Clock,
    settings: &Settings,
) -> Result<(), DaemonError> {
    let now = clock.now();
    let stale_after = chrono::Duration::from_std(settings.lease_stale_after)
        .unwrap_or(chrono::Duration::seconds(60));
    let me = LeaseHolder {
        owner: owner.to_owned(),
        pid: std::process::id(),
        host: host_name(),
        acquired_at: now,
        heartbeat_at: now,
    };
    let stale_before = now - stale_after;
    let holder = match store.acquire_daemon_lease(&me, stale_before, None).await? {
        LeaseOutcome::Acquired => return Ok(()),
        LeaseOutcome::Held(h) => h,
    };
    if holder.host == me.host && !process_alive(&holder.owner) {
        tracing::info!(
            pid = holder.pid,
            "the daemon holding the lease is gone (crashed?): taking over"
        );
        if store
            .acquire_daemon_lease(&me, stale_before, Some(&holder.owner))
            .await?
            == LeaseOutcome::Acquired
        {
            return Ok(());
        }
    }
    Err(DaemonError::AlreadyRunning {
        pid: holder.pid,
        host: holder.host,
        acquired_at: holder.acquired_at,
        heartbeat_at: holder.heartbeat_at,
        stale_after_secs: settings.lease_stale_after.as_secs(),
    })
}

/// `host/pid/start/random`: the process's start time (Linux: clock ticks since boot) tells
/// a dead daemon from a live process that reuses its pid (pid 1 in every container).
fn new_owner_id() -> String {
    let pid = std::process::id();
    let start = process_start(pid).unwrap_or(0);
    format!(
        "{}/{pid}/{start}/{:08x}",
        host_name(),
        rand::random::<u32>()
    )
}

/// Whether the process named in an owner id (same host) still runs. Unknown (no `/proc`,
/// a foreign id): assumed alive, so only the stale heartbeat frees the lease.
fn process_alive(owner: &str) -> bool {
    let mut parts = owner.rsplitn(4, '/');
    let (Some(_rand), Some(start), Some(pid)) = (parts.next(), parts.next(), parts.next()) else {
        return true;
    };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return true;
    };
    if start == 0 || !std::path::Path::new("/proc/self/stat").exists() {
        return true;
    }
    process_start(pid) == Some(start)
}

/// Field 22 of `/proc/PID/stat` (the start time), read after the `)` that ends the
/// command name, which may itself contain spaces.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_ids_name_a_live_process() {
        let me = new_owner_id();
        assert!(me.starts_with(&format!("{}/{}/", host_name(), std::process::id())));
        assert!(process_alive(&me), "{me}");
        // Same pid, another start time: a previous incarnation (container restart).
        let mut parts: Vec<&str> = me.split('/').collect();
        parts[2] = "1";
        assert!(!process_alive(&parts.join("/")));
        assert!(process_alive("not-an-owner-id"));
    }
}
