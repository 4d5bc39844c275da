//! The databases of the SDK's golden runner (`deskpulse_connector::testkit::Golden`):
//! `deskpulse-storage`'s throwaway SQLite file and Postgres database, its dump, and the
//! report of a period as the CLI computes it; and [`counter`], a social counter of a
//! report.
//!
//! The SDK cannot name storage (storage depends on it), so this glue is written once here
//! and compiled by each connector crate's tests as `golden_db` (a `#[path]` module, as
//! `fuzzing_invariants.rs` is): `Golden::new("src", Acme::LIMITS).run::<Db>(…)`.

use chrono::{DateTime, Utc};
use deskpulse_connector::KpiLimit;
use deskpulse_connector::prelude::SocialMetric;
use deskpulse_connector::testkit::GoldenDb;
use deskpulse_metrics::KpiReport;
use deskpulse_storage::Store;
use deskpulse_storage::testing::{TestDb, period_report};

/// A throwaway database of `deskpulse-storage`'s `testing` feature.
pub struct Db(TestDb);

impl GoldenDb for Db {
    type Store = Store;
    type Report = KpiReport;

    fn sqlite() -> Self {
        Db(TestDb::sqlite())
    }

    async fn postgres() -> Option<Self> {
        // `TestDb::postgres` says on stderr that it skips when the variable is unset.
        TestDb::postgres().await.map(Db)
    }

    async fn open(&self) -> Store {
        self.0.open().await
    }

    async fn dump(store: &Store) -> Vec<String> {
        store.dump().await.expect("the store dumps")
    }

    async fn report(store: &Store, source: &str, period: &str, limits: &[KpiLimit]) -> KpiReport {
        period_report(store, source, period, limits).await
    }

    async fn cleanup(self, store: Store) {
        store.close().await;
        self.0.cleanup().await;
    }
}

/// The social counter `metric` of `account` on `platform` in `r`: its value at the period's
/// end, when that was observed, and its change since the period's start. Panics when the
/// report has no such counter.
#[allow(dead_code)] // the review and helpdesk connectors have no counters
pub fn counter(
    r: &KpiReport,
    platform: &str,
    account: &str,
    metric: SocialMetric,
) -> (Option<f64>, Option<DateTime<Utc>>, Option<f64>) {
    let k = r
        .kpis
        .social
        .iter()
        .find(|k| k.platform == platform && k.account == account && k.metric == metric)
        .unwrap_or_else(|| panic!("no {metric:?} of {platform} {account} in the report"));
    (k.value, k.observed_at, k.change)
}
