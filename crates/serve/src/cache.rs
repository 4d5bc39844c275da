//! Reports computed once and shown many times.
//!
//! A team's report with its 12-period history is the expensive part of a page (two loads
//! and thirteen computations; `BENCHMARKS.md`), and between two syncs it cannot change. So
//! each `(team, period)` is computed once — concurrent requests for it wait for the same
//! computation — and kept until [`Reports::data_version`] moves (checked at most every
//! [`CacheSettings::check_every`]) or the entry is older than [`CacheSettings::max_age`]
//! (what no version sees, such as a CSV import, shows up by then). Errors are not kept.
//!
//! To keep the first view fast too, the default page of every team (its last complete week)
//! is computed in the background when the server starts and whenever the data changes, then
//! the [`Reports`] source is asked to prepare each team's past weeks and months
//! ([`Reports::warm`]: the CLI keeps each period's own report, so a page's first view then
//! loads only its own period), and a page viewed prefetches the period before it (the
//! "previous" link). One background computation runs at a time, so they never crowd out
//! the requests.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deskpulse_model::PeriodSpec;
use tokio::sync::{OnceCell, Semaphore};

use crate::source::{ReportError, Reports, TeamReport};
use crate::telemetry::telemetry;

/// How the cache keeps reports.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// How often the data version is read (a page view reads it at most this often).
    pub check_every: Duration,
    /// The oldest a kept report may be.
    pub max_age: Duration,
    /// Most reports kept (each with its 12-period history).
    pub capacity: usize,
    /// Compute every team's default page in the background at start and after a change.
    pub warm: bool,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            check_every: Duration::from_secs(2),
            max_age: Duration::from_secs(10 * 60),
            capacity: 64,
            warm: true,
        }
    }
}

type Cell = Arc<OnceCell<Result<Arc<TeamReport>, ReportError>>>;
type Key = (String, PeriodSpec);

struct Entry {
    cell: Cell,
    created: Instant,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// Keys in insertion order, for eviction.
    order: VecDeque<Key>,
}

struct Version {
    value: Option<u64>,
    checked_at: Option<Instant>,
}

pub(crate) struct ReportCache {
    reports: Arc<dyn Reports>,
    settings: CacheSettings,
    inner: Mutex<Inner>,
    version: tokio::sync::Mutex<Version>,
    background: Arc<Semaphore>,
    /// The current week of each team, for warming (a function so tests can fix "now").
    default_period: Arc<dyn Fn(&crate::source::TeamInfo) -> PeriodSpec + Send + Sync>,
}

impl ReportCache {
    pub(crate) fn new(
        reports: Arc<dyn Reports>,
        settings: CacheSettings,
        default_period: Arc<dyn Fn(&crate::source::TeamInfo) -> PeriodSpec + Send + Sync>,
    ) -> Arc<ReportCache> {
        Arc::new(ReportCache {
            reports,
            settings,
            inner: Mutex::new(Inner::default()),
            version: tokio::sync::Mutex::new(Version {
                value: None,
                checked_at: None,
            }),
            background: Arc::new(Semaphore::new(1)),
            default_period,
        })
    }

    pub(crate) fn reports(&self) -> &dyn Reports {
        self.reports.as_ref()
    }

    /// `team`'s report of `period`: kept, or computed now.
    pub(crate) async fn get(
        self: &Arc<Self>,
        team: &str,
        period: PeriodSpec,
    ) -> Result<Arc<TeamReport>, ReportError> {
        self.check_version().await;
        let key = (team.to_owned(), period);
        let cell = self.cell(&key);
        let reports = self.reports.clone();
        let result = cell
            .get_or_init(|| async move {
                let started = Instant::now();
                let r = reports.report(team, period).await.map(Arc::new);
                telemetry().record_report(team, started.elapsed());
                r
            })
            .await
            .clone();
        if result.is_err() {
            self.forget(&key, &cell);
        }
        result
    }

    /// Whether `(team, period)` is kept and computed.
    pub(crate) fn is_ready(&self, team: &str, period: PeriodSpec) -> bool {
        let key = (team.to_owned(), period);
        self.inner.lock().is_ok_and(|i| {
            i.entries.get(&key).is_some_and(|e| {
                e.cell.initialized() && e.created.elapsed() < self.settings.max_age
            })
        })
    }

    /// Computes `(team, period)` in the background unless it is kept or another background
    /// computation runs.
    pub(crate) fn prefetch(self: &Arc<Self>, team: &str, period: PeriodSpec) {
        if self.is_ready(team, period) {
            return;
        }
        let Ok(permit) = self.background.clone().try_acquire_owned() else {
            return;
        };
        let me = self.clone();
        let team = team.to_owned();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = me.get(&team, period).await;
        });
    }

    /// Computes every team's default period in the background, one after the other.
    pub(crate) fn warm(self: &Arc<Self>) {
        if !self.settings.warm {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let Ok(_permit) = me.background.clone().acquire_owned().await else {
                return;
            };
            let teams = me.reports.teams().to_vec();
            for t in &teams {
                let period = (me.default_period)(t);
                if let Err(e) = me.get(&t.name, period).await {
                    tracing::warn!(team = %t.name, error = %e, "cannot compute the team's report");
                }
            }
            // Then every team's past weeks and months, so that the first view of any of
            // them costs only its own period's load.
            for t in &teams {
                let week = (me.default_period)(t);
                let month = PeriodSpec::month_of(week.dates().0);
                let started = Instant::now();
                for period in [week, month] {
                    if let Err(e) = me.reports.warm(&t.name, period).await {
                        tracing::warn!(team = %t.name, error = %e, "cannot compute the team's past periods");
                    }
                }
                telemetry().record_warm(&t.name, started.elapsed());
            }
        });
    }

    /// Reads the data version when it is due; a change drops every kept report.
    async fn check_version(self: &Arc<Self>) {
        let mut v = self.version.lock().await;
        if v.checked_at
            .is_some_and(|t| t.elapsed() < self.settings.check_every)
        {
            return;
        }
        match self.reports.data_version().await {
            Ok(now) => {
                let changed = v.value.is_some_and(|old| old != now);
                v.value = Some(now);
                v.checked_at = Some(Instant::now());
                if changed {
                    if let Ok(mut i) = self.inner.lock() {
                        i.entries.clear();
                        i.order.clear();
                    }
                    tracing::debug!("the data changed: kept reports dropped");
                    drop(v);
                    self.warm();
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the data version"),
        }
    }

    fn cell(&self, key: &Key) -> Cell {
        let Ok(mut i) = self.inner.lock() else {
            return Arc::new(OnceCell::new());
        };
        if let Some(e) = i.entries.get(key)
            && e.created.elapsed() < self.settings.max_age
        {
            return e.cell.clone();
        }
        i.order.retain(|k| k != key);
        while i.order.len() >= self.settings.capacity.max(1) {
            if let Some(old) = i.order.pop_front() {
                i.entries.remove(&old);
            }
        }
        let cell: Cell = Arc::new(OnceCell::new());
        i.entries.insert(
            key.clone(),
            Entry {
                cell: cell.clone(),
                created: Instant::now(),
            },
        );
        i.order.push_back(key.clone());
        cell
    }

    fn forget(&self, key: &Key, cell: &Cell) {
        if let Ok(mut i) = self.inner.lock()
            && i.entries
                .get(key)
                .is_some_and(|e| Arc::ptr_eq(&e.cell, cell))
        {
            i.entries.remove(key);
            i.order.retain(|k| k != key);
        }
    }
}
