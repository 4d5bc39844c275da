//! Period reports kept between reports, for a long-running reader (the dashboard).
//!
//! A report with history is thirteen period reports: its own and its twelve predecessors',
//! and the report of week W shares eleven of those with W−1's. Each period's report on its
//! own (no history, no freshness, no restatement) depends only on the data and the team's
//! settings, so a server keeps them: a page then loads and computes only the periods it has
//! not seen, and a background walk ([`warm`]) computes a team's past weeks and months in
//! blocks, so any period's first view costs the load of its own week or month.
//!
//! Everything kept is dropped when the data may have changed ([`KeptPeriods::clear`], on a
//! new data version). A computation that started before a clear stores nothing, so a
//! report computed from old data is never kept under the new version.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

use deskpulse_metrics::KpiReport;
use deskpulse_model::PeriodSpec;

use super::{HISTORY_PERIODS, is_empty, sources, team_config};
use crate::CommandError;
use crate::config::TeamSettings;

/// Period reports kept per `(team, period)`, with the generation they were computed in.
#[derive(Default)]
pub(crate) struct KeptPeriods {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    reports: HashMap<(String, PeriodSpec), KpiReport>,
}

impl KeptPeriods {
    /// The generation a computation starting now stores under.
    pub(crate) fn generation(&self) -> u64 {
        self.inner.lock().map_or(0, |i| i.generation)
    }

    /// Drops every kept report: the data may have changed.
    pub(crate) fn clear(&self) {
        if let Ok(mut i) = self.inner.lock() {
            i.generation += 1;
            i.reports.clear();
        }
    }

    pub(crate) fn get(&self, team: &str, spec: PeriodSpec) -> Option<KpiReport> {
        let i = self.inner.lock().ok()?;
        i.reports.get(&(team.to_owned(), spec)).cloned()
    }

    /// Whether `(team, spec)` is kept.
    pub(crate) fn has(&self, team: &str, spec: PeriodSpec) -> bool {
        self.inner
            .lock()
            .is_ok_and(|i| i.reports.contains_key(&(team.to_owned(), spec)))
    }

    /// Keeps `report` unless the data changed since `generation`.
    pub(crate) fn put(&self, generation: u64, team: &str, spec: PeriodSpec, report: &KpiReport) {
        if let Ok(mut i) = self.inner.lock()
            && i.generation == generation
        {
            i.reports.insert((team.to_owned(), spec), report.clone());
        }
    }

    /// How many period reports are kept (for the server's log).
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.reports.len())
    }
}

/// Reports being computed for a viewer. The background walk waits for none to run before
/// each block, so a page asked for meanwhile shares the cores with one block at most.
#[derive(Default)]
pub(crate) struct Foreground {
    busy: AtomicUsize,
    idle: Notify,
}

/// One viewer's computation, until dropped.
pub(crate) struct Busy<'a>(&'a Foreground);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if self.0.busy.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Foreground {
    pub(crate) fn enter(&self) -> Busy<'_> {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Busy(self)
    }

    /// Returns once no viewer's computation runs.
    async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            // Registered before the check, so a computation ending in between still wakes us.
            notified.as_mut().enable();
            if self.busy.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// Periods a background block loads at once: about a quarter of data either way, so a
/// block's facts stay within what one report with history reads.
fn block_len(spec: PeriodSpec) -> usize {
    match spec {
        PeriodSpec::IsoWeek { .. } => HISTORY_PERIODS + 1,
        PeriodSpec::Month { .. } => 3,
    }
}

/// Computes and keeps `team`'s reports of `from` and the periods before it, newest first,
/// one block of periods per load, until a whole block lies before the team's data (nothing
/// created, solved or open), `max_periods` were walked, or the data changed meanwhile.
/// Before each block it waits for the viewers' computations (`foreground`) to end. Returns
/// how many period reports it computed.
pub(crate) async fn warm(
    store: &deskpulse_storage::Store,
    team: &TeamSettings,
    from: PeriodSpec,
    (kept, foreground): (&KeptPeriods, &Foreground),
    max_periods: usize,
) -> Result<usize, CommandError> {
    let generation = kept.generation();
    let config = team_config(team);
    let mut computed = 0;
    let mut walked = 0;
    let mut next = Some(from);
    while let Some(first) = next
        && walked < max_periods
    {
        let block: Vec<PeriodSpec> = std::iter::successors(Some(first), |s| Some(s.previous()))
            .take(block_len(first).min(max_periods - walked))
            .collect();
        walked += block.len();
        next = block.last().map(PeriodSpec::previous);
        let missing: Vec<PeriodSpec> = block
            .iter()
            .copied()
            .filter(|s| !kept.has(&team.name, *s))
            .collect();
        if missing.is_empty() {
            continue;
        }
        foreground.idle().await;
        let periods: Vec<_> = missing.iter().map(|s| s.in_zone(team.timezone)).collect();
        let bounds: Vec<_> = periods.iter().map(|p| (p.start, p.end)).collect();
        let mut input = store
            .load_periods_input_for(&team.name, &sources(team), &bounds)
            .await
            .map_err(|e| CommandError::Runtime(e.to_string()))?;
        input.limits = team.limits.clone();
        let reports = deskpulse_metrics::compute_reports(&config, &periods, &input);
        for (spec, report) in missing.iter().zip(&reports) {
            kept.put(generation, &team.name, *spec, report);
        }
        computed += reports.len();
        if kept.generation() != generation || reports.iter().all(is_empty) {
            break;
        }
    }
    Ok(computed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deskpulse_metrics::{ReportInput, TeamConfig};

    fn report(spec: PeriodSpec) -> KpiReport {
        let team = TeamConfig {
            name: "support".into(),
            ..TeamConfig::default()
        };
        let period = spec.in_zone(chrono_tz::UTC);
        deskpulse_metrics::compute_report(&team, &period, &ReportInput::default())
    }

    /// A computation that started before the data changed keeps nothing; one after does.
    #[test]
    fn a_clear_drops_everything_and_refuses_what_older_computations_bring() {
        let kept = KeptPeriods::default();
        let w: PeriodSpec = "2026-W46".parse().expect("week");
        let g = kept.generation();
        kept.put(g, "support", w, &report(w));
        assert!(kept.has("support", w));
        assert!(!kept.has("sales", w), "kept per team");
        assert_eq!(kept.get("support", w), Some(report(w)));

        kept.clear();
        assert!(!kept.has("support", w));
        assert_eq!(kept.len(), 0);
        kept.put(g, "support", w, &report(w));
        assert!(
            !kept.has("support", w),
            "computed from the data before the clear"
        );
        kept.put(kept.generation(), "support", w, &report(w));
        assert_eq!(kept.len(), 1);
    }

    /// The walk gives way: it cannot go on while a viewer's report is being computed.
    #[tokio::test]
    async fn the_walk_waits_while_a_viewer_computes() {
        let f = std::sync::Arc::new(Foreground::default());
        f.idle().await;
        let busy = f.enter();
        let waiter = tokio::spawn({
            let f = f.clone();
            async move { f.idle().await }
        });
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!waiter.is_finished(), "a viewer is computing");
        drop(busy);
        tokio::time::timeout(std::time::Duration::from_secs(60), waiter)
            .await
            .expect("woken when the viewer is done")
            .expect("the waiter");
    }
}
