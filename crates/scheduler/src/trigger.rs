//! What wakes the daemon up. The daemon decides what is due at each tick; a trigger only
//! says "look now", so a missed or late tick costs a delay, never a run.

use crate::DaemonError;
use async_trait::async_trait;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_cron_scheduler::{Job, JobScheduler};

/// Sends `()` on the channel at each tick until stopped. A full channel means a tick is
/// already pending: dropping the new one loses nothing.
#[async_trait]
pub trait Trigger: Send + 'static {
    async fn start(&mut self, ticks: mpsc::Sender<()>) -> Result<(), DaemonError>;
    async fn stop(&mut self);
}

/// The production trigger: one repeated UTC job on tokio-cron-scheduler (default
/// features: no storage), firing every `every`. It never sees a time zone, so its
/// fixed-offset and no-catch-up limits do not apply (see the crate docs).
pub struct CronTrigger {
    every: Duration,
    scheduler: Option<JobScheduler>,
}

impl CronTrigger {
    pub fn new(every: Duration) -> CronTrigger {
        CronTrigger {
            every,
            scheduler: None,
        }
    }
}

#[async_trait]
impl Trigger for CronTrigger {
    async fn start(&mut self, ticks: mpsc::Sender<()>) -> Result<(), DaemonError> {
        let err = |e: tokio_cron_scheduler::JobSchedulerError| DaemonError::Trigger(e.to_string());
        let scheduler = JobScheduler::new().await.map_err(err)?;
        let job = Job::new_repeated_async(self.every, move |_id, _lock| {
            let ticks = ticks.clone();
            Box::pin(async move {
                let _ = ticks.try_send(());
            })
        })
        .map_err(err)?;
        scheduler.add(job).await.map_err(err)?;
        scheduler.start().await.map_err(err)?;
        self.scheduler = Some(scheduler);
        Ok(())
    }

    async fn stop(&mut self) {
        if let Some(mut s) = self.scheduler.take()
            && let Err(e) = s.shutdown().await
        {
            tracing::warn!(error = %e, "stopping the tick scheduler failed");
        }
    }
}

/// A plain `tokio::time::interval` (honours tokio's paused time); the drop-in replacement
/// should tokio-cron-scheduler ever be dropped.
pub struct IntervalTrigger {
    every: Duration,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl IntervalTrigger {
    pub fn new(every: Duration) -> IntervalTrigger {
        IntervalTrigger { every, task: None }
    }
}

#[async_trait]
impl Trigger for IntervalTrigger {
    async fn start(&mut self, ticks: mpsc::Sender<()>) -> Result<(), DaemonError> {
        let every = self.every;
        self.task = Some(tokio::spawn(async move {
            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if ticks.is_closed() {
                    return;
                }
                let _ = ticks.try_send(());
            }
        }));
        Ok(())
    }

    async fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// Ticks on demand, for tests: [`ManualTrigger::new`] returns the trigger and a
/// [`Ticker`] that fires it.
pub struct ManualTrigger {
    slot: std::sync::Arc<tokio::sync::Mutex<Option<mpsc::Sender<()>>>>,
}

/// Fires a [`ManualTrigger`].
#[derive(Clone)]
pub struct Ticker {
    slot: std::sync::Arc<tokio::sync::Mutex<Option<mpsc::Sender<()>>>>,
}

impl ManualTrigger {
    pub fn new() -> (ManualTrigger, Ticker) {
        let slot = std::sync::Arc::new(tokio::sync::Mutex::new(None));
        (ManualTrigger { slot: slot.clone() }, Ticker { slot })
    }
}

impl Ticker {
    /// One tick; waits until the daemon has room for it. `false` if the daemon has not
    /// started or has stopped.
    pub async fn tick(&self) -> bool {
        let tx = self.slot.lock().await.clone();
        match tx {
            Some(tx) => tx.send(()).await.is_ok(),
            None => false,
        }
    }
}

#[async_trait]
impl Trigger for ManualTrigger {
    async fn start(&mut self, ticks: mpsc::Sender<()>) -> Result<(), DaemonError> {
        *self.slot.lock().await = Some(ticks);
        Ok(())
    }

    async fn stop(&mut self) {
        *self.slot.lock().await = None;
    }
}
