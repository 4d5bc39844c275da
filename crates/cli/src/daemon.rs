//! `deskpulse run` (the daemon) and `deskpulse status`. The scheduler crate decides what is
//! due and makes sure each sync tick and each digest runs once in the cluster; this module
//! supplies the work ([`CliJobs`]): syncing a source, sending a team's digest.
//!
//! Every error text that leaves this module — the message a failed job leaves in its run
//! record (and so in `status`, the log and the digest's warnings), and what `run` and
//! `status` print — goes through [`Secrets::scrub`] with the configuration's secrets.

use crate::CommandError;
use crate::config::secrets::Secrets;
use crate::config::{Settings, SourceSettings};
use async_trait::async_trait;
use deskpulse_connector::{
    Batch, Checkpoint, CheckpointStore, Leg, NoProgress, StreamLimits, SyncError, SyncOptions,
    legs, sync_stream_leg,
};
use deskpulse_scheduler::{
    CancellationToken, Daemon, DaemonError, DigestOutcome, DigestRequest, JobError, Jobs,
    PeriodKind, SourceSchedule, SyncOutcome, TeamSchedule,
};
use deskpulse_storage::{StorageError, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The scheduler's view of the configuration: every source's interval, and the digest
/// schedule of every team that has somewhere to send it (parsed at load, see
/// [`TeamSettings::digest_schedule`](crate::config::TeamSettings::digest_schedule)).
pub(crate) fn schedule(settings: &Settings) -> deskpulse_scheduler::Settings {
    let sources = settings
        .sources
        .iter()
        .map(|s| SourceSchedule {
            name: s.name.to_string(),
            every: s.sync_every,
        })
        .collect();
    let mut teams = Vec::new();
    for t in &settings.teams {
        if t.channels.is_empty() {
            tracing::info!(team = %t.name, "no [[teams.channels]]: the daemon sends this team no digest");
            continue;
        }
        teams.push(TeamSchedule {
            name: t.name.clone(),
            schedule: t.digest_schedule.clone(),
            period: PeriodKind::Week,
            sources: t.sources.iter().map(|s| s.to_string()).collect(),
            hold_max: t.digest_hold_max,
        });
    }
    let mut s = deskpulse_scheduler::Settings::new(sources, teams);
    if let Some(tick) = settings.daemon.tick {
        s.tick = tick;
    }
    s
}

pub(crate) async fn run(settings: Settings) -> Result<(), CommandError> {
    let schedule = schedule(&settings);
    let secrets = settings.secrets();
    let store = Store::open(settings.database.url.expose())
        .await
        .map_err(|e| CommandError::Runtime(secrets.scrub(&e.to_string())))?;
    crate::serve::spawn_in_daemon(&settings).await?;
    let jobs = Arc::new(CliJobs {
        settings: Arc::new(settings),
        store: store.clone(),
        secrets: secrets.clone(),
    });
    let daemon = Daemon::new(store, jobs, schedule);
    tracing::info!(owner = daemon.owner(), "deskpulse daemon starting");
    match daemon.run(deskpulse_scheduler::shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("deskpulse daemon stopped");
            Ok(())
        }
        Err(e @ DaemonError::AlreadyRunning { .. }) => {
            Err(CommandError::Runtime(secrets.scrub(&e.to_string())))
        }
        Err(e) => Err(CommandError::Runtime(
            secrets.scrub(&format!("the daemon failed: {e}")),
        )),
    }
}

pub(crate) async fn status(settings: &Settings) -> Result<(), CommandError> {
    let schedule = schedule(settings);
    let secrets = settings.secrets();
    let store = Store::open(settings.database.url.expose())
        .await
        .map_err(|e| CommandError::Runtime(secrets.scrub(&e.to_string())))?;
    let now = chrono::Utc::now();
    let report = deskpulse_scheduler::status(&store, &schedule, now)
        .await
        .map_err(|e| CommandError::Runtime(secrets.scrub(&e.to_string())))?;
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    match (&report.daemon, report.daemon_alive) {
        (Some(d), true) => println!(
            "daemon: running on {} (pid {}), last heartbeat {}",
            d.host,
            d.pid,
            at(d.heartbeat_at)
        ),
        (Some(d), false) => println!(
            "daemon: not running (last seen on {} at {})",
            d.host,
            at(d.heartbeat_at)
        ),
        (None, _) => println!("daemon: not running (start it with `deskpulse run`)"),
    }
    println!("\nsources");
    let mut failing = Vec::new();
    for s in &report.sources {
        let last = match &s.last_run {
            None => "never synced".to_owned(),
            Some(r) => {
                let outcome = r
                    .outcome
                    .map(|o| format!("{o:?}").to_lowercase())
                    .unwrap_or_else(|| "running".into());
                let records = r
                    .records
                    .map(|n| format!(", {n} records"))
                    .unwrap_or_default();
                // Scrubbed again: a record written before this release, or by a daemon
                // with other secrets configured, may hold one.
                let error = r
                    .error
                    .as_deref()
                    .map(|e| format!(", error: {}", secrets.scrub(e)))
                    .unwrap_or_default();
                format!("last {} {outcome}{records}{error}", at(r.started_at))
            }
        };
        let failures = if s.consecutive_failures > 0 {
            format!(" ({} failures in a row)", s.consecutive_failures)
        } else {
            String::new()
        };
        println!(
            "  {:<20} every {:<8} {last}{failures}; next {}",
            s.name,
            humantime::format_duration(s.every).to_string(),
            at(s.next_run)
        );
        // Judged against now: "complete through" is as of the last run that read every
        // stream to its end.
        let f =
            deskpulse_metrics::judge_freshness(&s.freshness, (now, now), 0, now, chrono_tz::UTC);
        let data = match (s.freshness.complete_through, &f.missing) {
            (Some(t), _) => match s.freshness.complete_from {
                Some(from) => format!(
                    "data complete from {} through {} (older history backfilling: {})",
                    at(from),
                    at(t),
                    s.freshness.backfilling_streams.join(", ")
                ),
                None => format!("data complete through {}", at(t)),
            },
            (None, Some(m)) => format!("data: {m}"),
            (None, None) => String::new(),
        };
        println!("  {:<20} {data}", "");
        if let Some(m) = f.failing_message(chrono_tz::UTC) {
            failing.push(secrets.scrub(&m));
        }
    }
    println!("\nteams");
    for t in &report.teams {
        let last = match &t.last_run {
            None => "no digest yet".to_owned(),
            Some(r) => format!("last digest run {}", at(r.started_at)),
        };
        let next = t
            .next_due
            .as_ref()
            .map(|d| format!("; next: {} at {}", d.period, at(d.slot)))
            .unwrap_or_default();
        let overdue = t
            .overdue
            .as_ref()
            .map(|d| format!("; OVERDUE: {} (due {})", d.period, at(d.slot)))
            .unwrap_or_default();
        println!(
            "  {:<20} {} ({}) {last}{next}{overdue}",
            t.name, t.cron, t.timezone
        );
        for d in &t.last_deliveries {
            let state = match d.sent_at {
                Some(s) => format!("sent {}", at(s)),
                None => format!("sending since {}", at(d.claimed_at)),
            };
            println!("    {} → {}: {state}", d.period, d.channel);
        }
    }
    if failing.is_empty() {
        Ok(())
    } else {
        // Exit 1, so a cron job or a monitoring probe running `status` can alert.
        Err(CommandError::Runtime(failing.join("\n")))
    }
}

/// The work the scheduler runs, in terms of this binary's configuration.
struct CliJobs {
    settings: Arc<Settings>,
    store: Store,
    /// The configuration's secrets: every job error is scrubbed of them before the scheduler
    /// logs it and stores it in the run record.
    secrets: Secrets,
}

#[async_trait]
impl Jobs for CliJobs {
    async fn sync_source(
        &self,
        source: &str,
        cancel: CancellationToken,
    ) -> Result<SyncOutcome, JobError> {
        self.sync(source, cancel)
            .await
            .map_err(|e| JobError::new(self.secrets.scrub(&e.0)))
    }

    async fn send_digest(&self, request: DigestRequest) -> Result<DigestOutcome, JobError> {
        self.digest(request)
            .await
            .map_err(|e| JobError::new(self.secrets.scrub(&e.0)))
    }
}

impl CliJobs {
    async fn sync(&self, source: &str, cancel: CancellationToken) -> Result<SyncOutcome, JobError> {
        let src: &SourceSettings = self
            .settings
            .source(source)
            .ok_or_else(|| JobError::new(format!("no source named {source:?}")))?;
        let connector =
            crate::connectors::build(src).map_err(|(k, d)| JobError::new(format!("`{k}`: {d}")))?;
        let sink = StopAfterCommit::new(&self.store, &cancel);
        let opts = SyncOptions::default();
        let limits = StreamLimits {
            max_pages: src.max_pages,
        };
        let streams: Vec<&str> = connector.streams().iter().map(|s| s.name).collect();
        self.store
            .register_streams(source, &streams)
            .await
            .map_err(|e| JobError::new(format!("registering the streams: {e}")))?;
        let mut recent_done = false;
        for (stream, leg) in legs(connector.streams(), src.window()) {
            if leg == Leg::Backfill && !recent_done {
                recent_done = true;
                // Digests and the dashboard can use the window while the backfill runs.
                if crate::sync::recent_legs_done(&self.store, source)
                    .await
                    .map_err(JobError::new)?
                    .is_none()
                {
                    break;
                }
                sink.pause_after(src.sync_every);
            }
            if cancel.is_cancelled() {
                return Ok(SyncOutcome {
                    records: sink.records(),
                    cancelled: true,
                });
            }
            let started = std::time::Instant::now();
            let run = sync_stream_leg(
                connector.as_ref(),
                source,
                stream,
                &sink,
                &opts,
                &limits,
                leg,
                &NoProgress,
            );
            // Cancellation is noticed after the batch being committed commits; a request stuck
            // waiting on the vendor is dropped after a grace (nothing half-written: every
            // commit is one transaction).
            let result = tokio::select! {
                r = run => r,
                () = async { cancel.cancelled().await; tokio::time::sleep(Duration::from_secs(8)).await } => {
                    return Ok(SyncOutcome { records: sink.records(), cancelled: true });
                }
            };
            crate::serve::stream_finished(source, stream, started, &result, cancel.is_cancelled());
            match result {
                Ok(_) => {}
                Err(SyncError::Store(e))
                    if e.downcast_ref::<SinkError>()
                        .is_some_and(|s| matches!(s, SinkError::Stopped)) =>
                {
                    return Ok(SyncOutcome {
                        records: sink.records(),
                        cancelled: true,
                    });
                }
                Err(SyncError::Store(e))
                    if e.downcast_ref::<SinkError>()
                        .is_some_and(|s| matches!(s, SinkError::Paused)) =>
                {
                    tracing::info!(
                        source,
                        stream,
                        "backfill paused after its turn; the next sync goes on"
                    );
                    break;
                }
                Err(SyncError::Connector(c)) if c.is_unauthorized() => {
                    return Err(JobError::new(format!(
                        "the credentials of source {source} were rejected ({c}): check them in [[sources]] {source}"
                    )));
                }
                Err(e) => return Err(JobError::new(format!("stream {stream}: {e}"))),
            }
        }
        // Each ticket the pages touched gets its facts derived once (a stop before this
        // leaves them marked: the next refresh or report does it).
        self.store
            .refresh_facts()
            .await
            .map_err(|e| JobError::new(format!("deriving ticket facts: {e}")))?;
        Ok(SyncOutcome {
            records: sink.records(),
            cancelled: false,
        })
    }

    async fn digest(&self, request: DigestRequest) -> Result<DigestOutcome, JobError> {
        let team = self
            .settings
            .team(Some(&request.team))
            .map_err(JobError::new)?;
        let (delivered, already_sent, failed) = crate::digest::send_scheduled(
            &self.settings,
            &self.store,
            team,
            request.period,
            &request.failing_sources,
        )
        .await
        .map_err(|f| JobError::new(f.message()))?;
        if failed.is_empty() {
            Ok(DigestOutcome {
                delivered,
                already_sent,
            })
        } else {
            Err(JobError::new(format!(
                "{} channel(s) failed: {}",
                failed.len(),
                failed.join("; ")
            )))
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum SinkError {
    #[error(transparent)]
    Store(#[from] StorageError),
    /// Raised after a committed batch once the daemon is shutting down.
    #[error("stopped after the last committed batch (shutting down)")]
    Stopped,
    /// Raised after a committed backfill batch once the backfill had its turn.
    #[error("the backfill paused after its turn (the next sync goes on with it)")]
    Paused,
}

/// The real store; once shutdown starts, the batch in flight still commits and the stream
/// then stops, so a SIGTERM never leaves half a page and the next run resumes after it.
///
/// A backfill (the history before a first sync's recent window) may take hours under a
/// vendor's limits; it gets a turn of `sync_every` per sync ([`StopAfterCommit::pause_after`])
/// and then pauses after a committed page, so the source's recent data stays fresh between
/// turns. The next sync goes on from the backfill's own checkpoint.
struct StopAfterCommit<'a> {
    store: &'a Store,
    cancel: &'a CancellationToken,
    records: AtomicU64,
    pause_at: std::sync::OnceLock<std::time::Instant>,
}

impl<'a> StopAfterCommit<'a> {
    fn new(store: &'a Store, cancel: &'a CancellationToken) -> Self {
        StopAfterCommit {
            store,
            cancel,
            records: AtomicU64::new(0),
            pause_at: std::sync::OnceLock::new(),
        }
    }

    fn records(&self) -> u64 {
        self.records.load(Ordering::SeqCst)
    }

    /// From now, commits end the run `turn` later (the first call sets the instant).
    fn pause_after(&self, turn: Duration) {
        let _ = self.pause_at.set(std::time::Instant::now() + turn);
    }
}

impl CheckpointStore for StopAfterCommit<'_> {
    type Error = SinkError;
    async fn checkpoint(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<Checkpoint>, SinkError> {
        Ok(self.store.checkpoint(source, stream).await?)
    }
    async fn commit(&self, source: &str, stream: &str, batch: &Batch) -> Result<(), SinkError> {
        self.store.commit_batch(source, stream, batch).await?;
        self.records
            .fetch_add(batch.records.len() as u64, Ordering::SeqCst);
        if self.cancel.is_cancelled() {
            return Err(SinkError::Stopped);
        }
        if self
            .pause_at
            .get()
            .is_some_and(|t| std::time::Instant::now() >= *t)
        {
            return Err(SinkError::Paused);
        }
        Ok(())
    }
    async fn stream_complete(
        &self,
        source: &str,
        stream: &str,
        through: chrono::DateTime<chrono::Utc>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), SinkError> {
        Ok(self
            .store
            .record_stream_complete(source, stream, through, at)
            .await?)
    }
    async fn stream_failed(
        &self,
        source: &str,
        stream: &str,
        error: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), SinkError> {
        Ok(self
            .store
            .record_stream_failure(source, stream, error, at)
            .await?)
    }
    async fn window_start(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, SinkError> {
        Ok(self.store.window_start(source, stream).await?)
    }
    async fn set_window_start(
        &self,
        source: &str,
        stream: &str,
        start: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), SinkError> {
        Ok(self.store.set_window_start(source, stream, start).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deskpulse_model::{Agent, Record};

    fn batch(n: i64) -> Batch {
        Batch {
            records: vec![Record::Agent(Agent {
                external_id: n.to_string(),
                name: format!("agent {n}"),
                is_bot: false,
            })],
            checkpoint: Checkpoint::new(serde_json::json!({ "n": n })),
        }
    }

    #[tokio::test]
    async fn a_backfill_pauses_after_the_page_that_ends_its_turn_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("d.db").display());
        let store = Store::open(&url).await.unwrap();
        let cancel = CancellationToken::new();
        let sink = StopAfterCommit::new(&store, &cancel);
        let key = "ticket_events#backfill";
        sink.commit("zd", key, &batch(1)).await.unwrap();
        // A turn that is over: the next page still commits, then the run pauses.
        sink.pause_after(Duration::ZERO);
        let e = sink.commit("zd", key, &batch(2)).await.unwrap_err();
        assert!(matches!(e, SinkError::Paused), "{e}");
        let cp = store.checkpoint("zd", key).await.unwrap().unwrap();
        assert_eq!(cp.value()["n"], 2, "the page that ended the turn is kept");
        assert_eq!(sink.records(), 2);
        // The turn is set once per sync: a later call does not give it more time.
        sink.pause_after(Duration::from_secs(3600));
        assert!(matches!(
            sink.commit("zd", key, &batch(3)).await,
            Err(SinkError::Paused)
        ));
        // Shutting down wins over pausing: the scheduler learns the sync was cancelled.
        cancel.cancel();
        assert!(matches!(
            sink.commit("zd", key, &batch(4)).await,
            Err(SinkError::Stopped)
        ));
    }
}
