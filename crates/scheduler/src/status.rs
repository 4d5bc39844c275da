//! `deskpulse status`: what ran last and what runs next, from the run records alone (no
//! daemon needs to be running).

use crate::daemon::{HISTORY, every, last_run};
use crate::schedule::{self, DueDigest};
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use deskpulse_model::SourceFreshness;
use deskpulse_storage::{
    DeliveryRecord, LeaseHolder, RunOutcome, RunRecord, StorageError, Store, digest_job, sync_job,
};
use std::time::Duration;

/// Everything `deskpulse status` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport {
    pub now: DateTime<Utc>,
    /// SQLite: the daemon holding the database, if any (its heartbeat tells whether it is
    /// alive). Postgres daemons take no lease: `None`.
    pub daemon: Option<LeaseHolder>,
    /// Whether that daemon's heartbeat is fresh (within `Settings::lease_stale_after`);
    /// a stale lease means it died and the next daemon takes over.
    pub daemon_alive: bool,
    pub sources: Vec<SourceStatus>,
    pub teams: Vec<TeamStatus>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    pub name: String,
    pub every: Duration,
    /// The latest run: its slot, start, end, records and error (`finished_at: None` while
    /// it runs, or if its daemon died).
    pub last_run: Option<RunRecord>,
    /// The latest successful run, when the latest is not one.
    pub last_success: Option<RunRecord>,
    /// Failed or cancelled runs in a row, latest first.
    pub consecutive_failures: u32,
    /// When a daemon will next sync it (`now` if it is due).
    pub next_run: DateTime<Utc>,
    /// How far its data is complete, and since when it has been failing (from every sync,
    /// the daemon's and `deskpulse sync`'s alike).
    pub freshness: SourceFreshness,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TeamStatus {
    pub name: String,
    pub timezone: Tz,
    pub cron: String,
    pub last_run: Option<RunRecord>,
    /// Per channel: the delivery-log rows of the latest period in the log.
    pub last_deliveries: Vec<DeliveryRecord>,
    /// Due and not sent: a digest a daemon will send at its next tick (down, or failing).
    pub overdue: Option<DueDigest>,
    /// The next scheduled instant and the period it will cover.
    pub next_due: Option<DueDigest>,
}

/// The status at `now`.
pub async fn status(
    store: &Store,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<StatusReport, StorageError> {
    let daemon = if store.needs_daemon_lease() {
        store.daemon_lease().await?
    } else {
        None
    };
    let stale_after = chrono::Duration::from_std(settings.lease_stale_after)
        .unwrap_or(chrono::Duration::seconds(60));
    let daemon_alive = daemon
        .as_ref()
        .is_some_and(|d| d.heartbeat_at >= now - stale_after);
    let names: Vec<String> = settings.sources.iter().map(|s| s.name.clone()).collect();
    let mut freshness = store.freshness(&names).await?.into_iter();
    let mut sources = Vec::new();
    for s in &settings.sources {
        let runs = store.recent_runs(&sync_job(&s.name), HISTORY).await?;
        let last = last_run(&runs);
        let last_success = match runs.first() {
            Some(r) if r.outcome != Some(RunOutcome::Ok) => {
                store
                    .last_run_with(&sync_job(&s.name), RunOutcome::Ok)
                    .await?
            }
            _ => None,
        };
        sources.push(SourceStatus {
            name: s.name.clone(),
            every: s.every,
            next_run: schedule::next_sync(&s.name, every(s), now, last),
            consecutive_failures: last.map_or(0, |l| l.consecutive_failures),
            last_run: runs.into_iter().next(),
            last_success,
            freshness: freshness
                .next()
                .unwrap_or_else(|| SourceFreshness::never_synced(&s.name)),
        });
    }
    let mut teams = Vec::new();
    for t in &settings.teams {
        let runs = store.recent_runs(&digest_job(&t.name), HISTORY).await?;
        let last = last_run(&runs);
        let overdue = last.and_then(|l| {
            schedule::digest_due(&t.schedule, t.period, now, Some(l.slot), now)
                .or_else(|| schedule::digest_retry(&t.schedule, t.period, now, l))
        });
        let next_due = t.schedule.next_due(now).map(|slot| DueDigest {
            slot,
            period: t.period.last_complete(slot, t.schedule.tz()),
        });
        let mut deliveries = store.deliveries(&t.name).await?;
        let latest = deliveries.iter().map(|d| d.period.clone()).max();
        deliveries.retain(|d| Some(&d.period) == latest.as_ref());
        teams.push(TeamStatus {
            name: t.name.clone(),
            timezone: t.schedule.tz(),
            cron: t.schedule.cron().to_owned(),
            last_run: runs.into_iter().next(),
            last_deliveries: deliveries,
            overdue,
            next_due,
        });
    }
    Ok(StatusReport {
        now,
        daemon,
        daemon_alive,
        sources,
        teams,
    })
}
