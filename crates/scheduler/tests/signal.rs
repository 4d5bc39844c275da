//! A real SIGTERM (sent to this test process; its own binary, so no other test is hit):
//! the daemon stops, the running sync commits its batch, the run is recorded cancelled.
#![cfg(unix)]

use async_trait::async_trait;
use deskpulse_scheduler::{
    CancellationToken, Daemon, DaemonEvent, DigestOutcome, DigestRequest, JobError, Jobs,
    ManualClock, ManualTrigger, Settings, SourceSchedule, SyncOutcome, shutdown_signal,
};
use deskpulse_storage::testing::TestDb;
use deskpulse_storage::{RunOutcome, sync_job};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

struct Batches(AtomicU64);

#[async_trait]
impl Jobs for Batches {
    async fn sync_source(
        &self,
        _: &str,
        cancel: CancellationToken,
    ) -> Result<SyncOutcome, JobError> {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let records = self.0.fetch_add(10, Ordering::SeqCst) + 10;
            if cancel.is_cancelled() {
                return Ok(SyncOutcome {
                    records,
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
    let jobs = Arc::new(Batches(AtomicU64::new(0)));
    let clock = ManualClock::new("2026-11-23T09:01:01Z".parse().unwrap());
    let (trigger, _ticker) = ManualTrigger::new();
    let (tx, mut events) = mpsc::unbounded_channel();
    let settings = Settings::new(
        vec![SourceSchedule {
            name: "zd".into(),
            every: Duration::from_secs(900),
        }],
        vec![],
    );
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
        let e = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap()
            .unwrap();
        if matches!(e, DaemonEvent::Started { .. }) {
            break;
        }
    }
    armed.await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let t0 = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    let run = store.last_run(&sync_job("zd")).await.unwrap().unwrap();
    assert_eq!(run.outcome, Some(RunOutcome::Cancelled));
    assert_eq!(run.records, Some(jobs.0.load(Ordering::SeqCst) as i64));
    assert!(run.records.unwrap() >= 20);
}
