//! A real SIGTERM (sent to this test process; its own binary, so no other test is hit):
//! the daemon stops, the running sync commits its batch, the run is recorded cancelled.
//! The sync's batches commit when the test lets them (no timing), and the only wall-clock
//! bound is a deadline for a hang.
#![cfg(unix)]

use async_trait::async_trait;
use deskpulse_scheduler::{
    CancellationToken, Daemon, DaemonEvent, DigestOutcome, DigestRequest, JobError, Jobs,
    ManualClock, ManualTrigger, Settings, SourceSchedule, SyncOutcome, shutdown_signal,
};
use deskpulse_storage::testing::TestDb;
use deskpulse_storage::{RunOutcome, sync_job};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};

/// A deadline for a hang, never a measure of speed (CI shares two cores with other work).
const WAIT: Duration = Duration::from_secs(120);

/// 10 records a batch; a batch commits when the test lets it, or when the sync is cancelled
/// (the batch in flight then commits and the sync returns, as the CLI's sync does).
struct Batches {
    permits: Semaphore,
    records: watch::Sender<u64>,
}

#[async_trait]
impl Jobs for Batches {
    async fn sync_source(
        &self,
        _: &str,
        cancel: CancellationToken,
    ) -> Result<SyncOutcome, JobError> {
        loop {
            tokio::select! {
                permit = self.permits.acquire() => permit.unwrap().forget(),
                () = cancel.cancelled() => {}
            }
            self.records.send_modify(|r| *r += 10);
            if cancel.is_cancelled() {
                return Ok(SyncOutcome {
                    records: *self.records.borrow(),
                    cancelled: true,
                });
            }
        }
    }

    async fn send_digest(&self, _: DigestRequest) -> Result<DigestOutcome, JobError> {
        Ok(DigestOutcome::default())
    }
}

#[tokio::test]
async fn sigterm_stops_the_daemon_after_the_running_batch() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let jobs = Arc::new(Batches {
        permits: Semaphore::new(0),
        records: watch::Sender::new(0),
    });
    let clock = ManualClock::new("2026-11-23T09:01:01Z".parse().unwrap());
    let (trigger, _ticker) = ManualTrigger::new();
    let (tx, mut events) = mpsc::unbounded_channel();
    let mut settings = Settings::new(
        vec![SourceSchedule {
            name: "zd".into(),
            every: Duration::from_secs(900),
        }],
        vec![],
    );
    // A daemon that waited out its grace instead of the job would fail at WAIT below.
    settings.shutdown_grace = Duration::from_secs(24 * 3600);
    // Listen first, so the signal cannot arrive before the handler exists.
    let (armed_tx, armed) = tokio::sync::oneshot::channel();
    let shutdown = async move {
        let signal = shutdown_signal();
        tokio::pin!(signal);
        // Poll once to install the handlers, then say so.
        tokio::select! {
            biased;
            () = &mut signal => {}
            () = std::future::ready(()) => {}
        }
        let _ = armed_tx.send(());
        signal.await;
    };
    let daemon = Daemon::new(store.clone(), jobs.clone(), settings)
        .with_clock(Arc::new(clock))
        .with_trigger(Box::new(trigger))
        .with_events(tx);
    let task = tokio::spawn(daemon.run(shutdown));
    loop {
        let e = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap_or_else(|_| panic!("the sync did not start within {WAIT:?}"))
            .unwrap();
        if matches!(e, DaemonEvent::Started { .. }) {
            break;
        }
    }
    armed.await.unwrap();
    // Two batches commit before the signal.
    jobs.permits.add_permits(2);
    let mut records = jobs.records.subscribe();
    tokio::time::timeout(WAIT, records.wait_for(|r| *r >= 20))
        .await
        .unwrap_or_else(|_| panic!("two batches were not committed within {WAIT:?}"))
        .unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::timeout(WAIT, task)
        .await
        .unwrap_or_else(|_| panic!("the daemon did not stop within {WAIT:?} of SIGTERM"))
        .unwrap()
        .unwrap();
    let run = store.last_run(&sync_job("zd")).await.unwrap().unwrap();
    assert_eq!(run.outcome, Some(RunOutcome::Cancelled));
    assert_eq!(run.error, None, "the sync returned: it was not abandoned");
    // The two let through, and the one in flight when the signal came.
    assert_eq!(run.records, Some(30));
    assert_eq!(*jobs.records.borrow(), 30);
}
