//! deskpulse-storage: the local copy of the facts, in SQLite (default) or Postgres.
//!
//! One backend-neutral [`Store`]; its SQL is written once, as plain code grouped by concern,
//! against a thin layer (`db`) that builds each query for the store's dialect and is the only
//! place that chooses between the backends (sqlx's `Any` driver cannot bind chrono types).
//! What differs per backend (timestamp encoding, how a pool opens and migrates, locking, the
//! few SQL fragments that differ) is in `sqlite` and `postgres`. Every write is an idempotent
//! upsert keyed by `(source, external_id)`, and every batch commits with its checkpoint in
//! one transaction, so a crash loses nothing and doubles nothing (`commit`). Manual inputs
//! (`import`) are keyed by team and natural key, one transaction per file (`inputs`,
//! `imports`). E-mail addresses never reach the database: only an HMAC keyed with a
//! per-install secret (`secret`, table `meta`). Reports read per-ticket facts derived at
//! ingest (`facts`, `refresh`, `report`); raw tickets are read for reconcile (`reconcile`).
//! The digest delivery log (`deliveries`) records each (team, period, channel) sent, with a
//! claim that is one conflicting insert, so one claimer wins across processes. The daemon's
//! run records (`runs`): one row per (job, scheduled slot), claimed the same way, plus
//! Postgres advisory job locks and the single-daemon lease SQLite needs. Data freshness per
//! source and stream, the figures each digest told, and what arrived late (`freshness`).

mod bulk;
mod commit;
mod db;
mod deliveries;
mod dump;
mod error;
mod facts;
mod forget;
mod freshness;
mod imports;
mod inputs;
mod postgres;
mod reconcile;
mod refresh;
mod report;
mod rows;
mod runs;
mod secret;
mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_facts;

use chrono::{DateTime, Utc};
use deskpulse_connector::CheckpointStore;
use deskpulse_model::{Batch, Checkpoint};

pub use deliveries::{DeliveryClaim, DeliveryRecord, DeliveryState};
pub use error::StorageError;
pub use forget::{CUSTOMER_TABLES, Forgotten, SOURCE_TABLES};
pub use inputs::{
    ImportSummary, ImportTarget, ImportWriter, MAX_AMOUNT, Monthly, OrderRow, import_source,
};
pub use runs::{
    JobLock, LeaseHolder, LeaseOutcome, RunEnd, RunOutcome, RunRecord, digest_job, job_lock_key,
    sync_job,
};
pub use sqlite::SqlitePools;

/// The statements and settings of a sync's event writes, for `deskpulse-bench sync --floor`,
/// which measures the storage engine's own floor with these very ones. Not an API.
#[doc(hidden)]
pub mod ingest_sql {
    pub use crate::commit::{
        CHECKPOINT_UPSERT, FACTS_DIRTY_ON_CONFLICT, MESSAGES_ON_CONFLICT,
        STATUS_CHANGES_ON_CONFLICT,
    };
    pub use crate::sqlite::WRITER_CACHE_KIB;
}

/// Every table; [`Store::counts`] and [`Store::dump`] cover them all.
pub const TABLES: &[&str] = &[
    "tickets",
    "messages",
    "status_changes",
    "agents",
    "ratings",
    "reviews",
    "social_stats",
    "rating_snapshots",
    "social_interactions",
    "checkpoints",
    "customers",
    "costs",
    "revenue",
    "subscriptions",
    "orders",
    "ticket_facts",
    "open_spans",
    "vendor_metrics",
];

/// A handle on the database; cheap to clone (it wraps a connection pool).
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(sqlite::SqlitePools),
    Postgres(sqlx::PgPool),
}

impl Store {
    /// Opens `sqlite://PATH` (created if missing, with its directory), `sqlite::memory:`, or
    /// `postgres://…` / `postgresql://…`, and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Store, StorageError> {
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => sqlite::open(url).await,
            Some("postgres" | "postgresql") => postgres::open(url).await,
            _ => Err(StorageError::UnsupportedUrl {
                url: error::mask_url(url),
            }),
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        self.dialect().name()
    }

    /// `(the newest migration applied to the database, the newest this build knows)`: equal
    /// once [`Store::open`] has brought the schema up to date (`deskpulse check` shows it).
    pub async fn schema_version(&self) -> Result<(Option<i64>, i64), StorageError> {
        let applied: Option<i64> = self
            .sql("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .scalar(self)
            .await
            .map_err(error::query("reading the schema version"))?;
        let known = self
            .dialect()
            .migrator()
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        Ok((applied, known))
    }
}

impl CheckpointStore for Store {
    type Error = StorageError;

    async fn checkpoint(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<Checkpoint>, StorageError> {
        Store::checkpoint(self, source, stream).await
    }

    async fn commit(&self, source: &str, stream: &str, batch: &Batch) -> Result<(), StorageError> {
        self.commit_batch(source, stream, batch).await
    }

    async fn stream_complete(
        &self,
        source: &str,
        stream: &str,
        through: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.record_stream_complete(source, stream, through, at)
            .await
    }

    async fn stream_failed(
        &self,
        source: &str,
        stream: &str,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.record_stream_failure(source, stream, error, at).await
    }

    async fn window_start(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        Store::window_start(self, source, stream).await
    }

    async fn set_window_start(
        &self,
        source: &str,
        stream: &str,
        start: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        Store::set_window_start(self, source, stream, start).await
    }
}
