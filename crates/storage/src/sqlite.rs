//! SQLite: a file created on first use, WAL so readers never block the writer, and times as
//! integer microseconds since the epoch (exact, and they sort and range-scan correctly).

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use std::time::Duration;

type Db = sqlx::Sqlite;
type Pool = SqlitePool;
type DbRow = SqliteRow;
type Ts = i64;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Sub-microsecond digits are dropped (floored), as Postgres would keep only microseconds.
fn enc(t: DateTime<Utc>) -> Ts {
    t.timestamp_micros()
}

fn dec(v: Ts, table: &'static str, column: &'static str) -> Result<DateTime<Utc>, StorageError> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| StorageError::Corrupt {
        table,
        column,
        reason: format!("{v} µs since 1970 is out of range"),
    })
}

/// `BEGIN IMMEDIATE` takes the write lock up front (waiting up to the busy timeout), so two
/// writers queue instead of one failing with SQLITE_BUSY halfway through a batch.
async fn begin(pool: &Pool) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

pub(crate) async fn open(url: &str) -> Result<SqlitePool, StorageError> {
    let masked = crate::error::mask_url(url);
    let open_err = |e: &dyn std::fmt::Display| StorageError::Open {
        url: masked.clone(),
        reason: crate::error::scrub(url, &e.to_string()),
        hint: "check the path in [database] url and that its directory is writable",
    };
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|e| open_err(&e))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // In WAL mode NORMAL stays consistent on a crash; it may lose the last commits on
        // power loss, which a resumed sync re-reads from the checkpoint before them.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30));
    let memory = url.contains(":memory:") || url.contains("mode=memory");
    let file = opts.get_filename();
    if !memory
        && let Some(dir) = file.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| open_err(&e))?;
    }
    // Every connection to `:memory:` is its own database: keep exactly one, forever.
    let pool_opts = if memory {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new().max_connections(4)
    };
    let pool = pool_opts
        .connect_with(opts)
        .await
        .map_err(|e| open_err(&e))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StorageError::Migrate {
            url: masked.clone(),
            reason: crate::error::scrub(url, &e.to_string()),
        })?;
    rebuild_facts_if_needed(&pool).await?;
    Ok(pool)
}

/// Serializes the commits that refresh a source's facts. Nothing to do on SQLite: `BEGIN
/// IMMEDIATE` already makes writers take turns.
async fn lock_facts(
    _tx: &mut sqlx::Transaction<'static, Db>,
    _source: &str,
) -> Result<(), StorageError> {
    Ok(())
}

/// The rows of `table` of `source` whose `key` column is one of `ids` (an `IN` list: SQLite
/// probes the index once per value).
fn rows_keyed(table: &str, key: &str, source: &str, ids: &[String]) -> sqlx::QueryBuilder<Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(format!("SELECT * FROM {table} WHERE source = "));
    qb.push_bind(source.to_owned())
        .push(format!(" AND {key} IN ("));
    let mut sep = qb.separated(", ");
    for id in ids {
        sep.push_bind(id.clone());
    }
    qb.push(")");
    qb
}

/// Deletes the rows of `table` of `source` whose `ticket_id` is one of `ids`.
fn delete_keyed(table: &str, source: &str, ids: &[String]) -> sqlx::QueryBuilder<Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(format!("DELETE FROM {table} WHERE source = "));
    qb.push_bind(source.to_owned()).push(" AND ticket_id IN (");
    let mut sep = qb.separated(", ");
    for id in ids {
        sep.push_bind(id.clone());
    }
    qb.push(")");
    qb
}

/// A ratings row as one JSON array (times as integer microseconds), in the order
/// `ratings_from_json` reads.
const RATING_JSON: &str = "json_array(source, external_id, kind, score, scale_min, scale_max, ticket_id, agent_id, comment, created_at, ticket_source)";

crate::backend::shared_sql!();
