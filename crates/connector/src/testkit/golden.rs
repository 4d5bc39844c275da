//! The golden runner: [`Golden`].

use crate::{Connector, KpiLimit, NoProgress, StreamOutcome, SyncOptions};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;
use std::ops::Deref;

/// The databases of a golden run and what the runner reads from them.
pub trait GoldenDb: Sized {
    /// The store a sync writes into.
    type Store: crate::CheckpointStore;
    /// The report of a period.
    type Report;

    /// A fresh SQLite database.
    fn sqlite() -> Self;
    /// A fresh Postgres database, or `None` — after saying `SKIPPED` on stderr — when no
    /// server is configured.
    fn postgres() -> impl Future<Output = Option<Self>>;
    /// Opens (and migrates) the database.
    fn open(&self) -> impl Future<Output = Self::Store>;
    /// Everything the store holds, a line a row, in a stable order.
    fn dump(store: &Self::Store) -> impl Future<Output = Vec<String>>;
    /// The report of `period` over `source`'s records, with the connector's KPI limits.
    fn report(
        store: &Self::Store,
        source: &str,
        period: &str,
        limits: &[KpiLimit],
    ) -> impl Future<Output = Self::Report>;
    /// Closes the store and drops the database.
    fn cleanup(self, store: Self::Store) -> impl Future<Output = ()>;
}

/// The golden runner: a connector's whole pipeline — [`crate::sync_stream`] into a real
/// store, then the report — on every database the tests can reach, with the checks every
/// golden test makes.
///
/// A golden test declares only what is its own: the fake server (built from the vendor's
/// documented payloads), the connector, and the figures worked out by hand. The runner owns
/// the rest:
/// - a fresh SQLite database, then a fresh Postgres one when `DESKPULSE_TEST_POSTGRES_URL`
///   is set (otherwise a `SKIPPED` line on stderr), each closed and dropped afterwards;
/// - every [`GoldenRun::sync`] reads the streams in order and then **again**: the second
///   sync must leave the store exactly as the first did (re-reads are upserts, checkpoints
///   included);
/// - the report of a period, and [`GoldenReport::expect`], which compares a whole value
///   (`ReviewStats`, `ResponseStats`, …) and names the database and the period when it
///   differs;
/// - what must never be stored ([`GoldenRun::assert_not_stored`]: comment texts, authors'
///   raw ids).
///
/// The SDK knows no storage (storage depends on the SDK), so the databases come through
/// [`GoldenDb`]; the connector crates implement it once, over `deskpulse-storage`'s
/// throwaway databases, in `crates/connectors/golden_db.rs`.
///
/// ```text
/// #[tokio::test]
/// async fn golden_week() {
///     Golden::new("src", Acme::LIMITS).run::<Db>(async |g| {
///         let server = account().await;
///         g.sync(&connector(&server)).await;
///         let w46 = g.report("2026-W46").await;
///         // (5 + 1 + 4 + 2 + 3) / 5 = 3 …
///         w46.expect(&w46.kpis.reviews.all, ReviewStats { n: 5, mean_rating: Some(3.0), … });
///     })
///     .await;
/// }
/// ```
///
/// [`Golden::new`] takes the source name the records are stored under and the KPI limits the
/// connector declares (handed on to the report as the CLI hands them).
pub struct Golden {
    source: &'static str,
    limits: &'static [KpiLimit],
}

impl Golden {
    pub fn new(source: &'static str, limits: &'static [KpiLimit]) -> Self {
        Self { source, limits }
    }

    /// Runs `test` on a fresh SQLite database, then on a fresh Postgres one (or says it
    /// skips that). `test` builds its own fake server each time.
    pub async fn run<D: GoldenDb>(&self, test: impl AsyncFn(&GoldenRun<D>)) {
        self.run_on(D::sqlite(), "SQLite", &test).await;
        if let Some(db) = D::postgres().await {
            self.run_on(db, "Postgres", &test).await;
        }
    }

    async fn run_on<D: GoldenDb>(
        &self,
        db: D,
        database: &'static str,
        test: &impl AsyncFn(&GoldenRun<D>),
    ) {
        let run = GoldenRun {
            store: db.open().await,
            database,
            source: self.source,
            limits: self.limits,
        };
        test(&run).await;
        db.cleanup(run.store).await;
    }
}

/// One database of a golden test.
pub struct GoldenRun<D: GoldenDb> {
    store: D::Store,
    database: &'static str,
    source: &'static str,
    limits: &'static [KpiLimit],
}

/// What the two syncs of [`GoldenRun::sync`] read, stream by stream.
#[derive(Debug)]
pub struct Synced {
    /// The first sync.
    pub first: Vec<(String, StreamOutcome)>,
    /// The same sync again.
    pub again: Vec<(String, StreamOutcome)>,
}

impl Synced {
    /// What the first sync read of `stream`.
    pub fn first(&self, stream: &str) -> &StreamOutcome {
        Self::of(&self.first, stream)
    }

    /// What the second sync read of `stream`.
    pub fn again(&self, stream: &str) -> &StreamOutcome {
        Self::of(&self.again, stream)
    }

    fn of<'a>(round: &'a [(String, StreamOutcome)], stream: &str) -> &'a StreamOutcome {
        round
            .iter()
            .find(|(s, _)| s == stream)
            .map(|(_, o)| o)
            .unwrap_or_else(|| panic!("stream {stream} was not synced"))
    }
}

impl<D: GoldenDb> GoldenRun<D> {
    /// `SQLite` or `Postgres`.
    pub fn database(&self) -> &'static str {
        self.database
    }

    /// The store, for what the runner does not cover.
    pub fn store(&self) -> &D::Store {
        &self.store
    }

    /// Syncs every stream of `connector`, in its order, then does it again; the second
    /// sync must leave the store exactly as it was. Panics on a stream that fails.
    pub async fn sync(&self, connector: &dyn Connector) -> Synced {
        let streams: Vec<&str> = connector.streams().iter().map(|s| s.name).collect();
        self.sync_streams(connector, &streams).await
    }

    /// [`sync`](Self::sync) of these streams only, in this order.
    pub async fn sync_streams(&self, connector: &dyn Connector, streams: &[&str]) -> Synced {
        let first = self.sync_once(connector, streams, "sync").await;
        let before = self.dump().await;
        let again = self
            .sync_once(connector, streams, "the same sync again")
            .await;
        let after = self.dump().await;
        if after != before {
            let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
            let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
            panic!(
                "on {}: the same sync again changed the store (a sync must be idempotent)\n\
                 rows gone: {gone:#?}\nrows new: {new:#?}",
                self.database
            );
        }
        Synced { first, again }
    }

    async fn sync_once(
        &self,
        connector: &dyn Connector,
        streams: &[&str],
        what: &str,
    ) -> Vec<(String, StreamOutcome)> {
        let mut out = Vec::new();
        for stream in streams {
            let outcome = crate::sync_stream(
                connector,
                self.source,
                stream,
                &self.store,
                &SyncOptions::default(),
                &NoProgress,
            )
            .await
            .unwrap_or_else(|e| panic!("on {}: {what} of {stream}: {e}", self.database));
            out.push(((*stream).to_owned(), outcome));
        }
        out
    }

    /// The report of `period` (`2026-W46`, `2026-11`) over the source's records.
    pub async fn report(&self, period: &str) -> GoldenReport<D::Report> {
        GoldenReport {
            report: D::report(&self.store, self.source, period, self.limits).await,
            database: self.database,
            period: period.to_owned(),
        }
    }

    /// Everything the store holds, a line a row.
    pub async fn dump(&self) -> Vec<String> {
        D::dump(&self.store).await
    }

    /// Panics if any of `texts` appears anywhere in the store (checkpoints included).
    pub async fn assert_not_stored<'t>(&self, texts: impl IntoIterator<Item = &'t str>) {
        let dump = self.dump().await;
        for text in texts {
            if let Some(row) = dump.iter().find(|row| row.contains(text)) {
                panic!("on {}: {text:?} is stored: {row}", self.database);
            }
        }
    }

    /// Panics unless `text` appears somewhere in the store.
    pub async fn assert_stored(&self, text: &str) {
        let dump = self.dump().await;
        assert!(
            dump.iter().any(|row| row.contains(text)),
            "on {}: {text:?} is not stored: {dump:#?}",
            self.database
        );
    }
}

/// The report of a period on one database; it derefs to the report.
pub struct GoldenReport<R> {
    report: R,
    database: &'static str,
    period: String,
}

impl<R> Deref for GoldenReport<R> {
    type Target = R;
    fn deref(&self) -> &R {
        &self.report
    }
}

impl<R> GoldenReport<R> {
    /// Panics unless `got` (a part of this report) is `want` whole, naming the database and
    /// the period.
    #[track_caller]
    pub fn expect<T: PartialEq + Debug>(&self, got: &T, want: T) {
        assert_eq!(
            got, &want,
            "on {}, {}: the report differs from the expected figures",
            self.database, self.period
        );
    }
}

/// A review report's star distribution (`"1"`–`"5"` → count) from the counts of 1★ to 5★.
pub fn stars(counts: [u64; 5]) -> BTreeMap<String, u64> {
    (1..=5).map(|s| s.to_string()).zip(counts).collect()
}
