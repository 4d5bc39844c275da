//! SQLite: a file created on first use, WAL so readers never block the writer, and times as
//! integer microseconds since the epoch (exact, and they sort and range-scan correctly).
//! Everything here is what the SQLite dialect does differently; the SQL both share is in
//! the modules of each concern.

use crate::db::{Query, Time};
use crate::{StorageError, Store};
use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    SqliteTypeInfo,
};
use sqlx::{Encode, Sqlite, Type};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Stored as integer microseconds since the epoch. Sub-microsecond digits are dropped
/// (floored), as Postgres would keep only microseconds.
impl Type<Sqlite> for Time {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Time {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.timestamp_micros(), buf)
    }
}

/// A stored time back: integer microseconds since the epoch.
pub(crate) fn dec(
    v: i64,
    table: &'static str,
    column: &'static str,
) -> Result<DateTime<Utc>, StorageError> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| StorageError::Corrupt {
        table,
        column,
        reason: format!("{v} µs since 1970 is out of range"),
    })
}

/// A SQLite store's connections. Every write transaction ([`Store::begin`]) runs on the one
/// connection of `writes`; everything else on `reads`. SQLite lets one writer in at a time
/// anyway, and a connection's page cache is dropped whenever another connection wrote since
/// its last transaction (WAL mode): with the pool's connections taking turns at the batches,
/// each commit began with a cold cache. Measured at 1M tickets: 4,279 and 4,304 tickets/s
/// against 3,775 (BENCHMARKS.md, section 2). For `:memory:` both are the one connection.
#[derive(Clone, Debug)]
pub struct SqlitePools {
    pub(crate) reads: SqlitePool,
    pub(crate) writes: SqlitePool,
}

impl SqlitePools {
    /// The pool for reads, for a caller that runs its own SQL (a test, say).
    pub fn reads(&self) -> &SqlitePool {
        &self.reads
    }
}

/// The page cache of the write connection, in KiB (SQLite's default is 2,000, which the read
/// connections keep). Its cache lasts from batch to batch (see [`SqlitePools`]), so a larger
/// one keeps more of the indexes a sync writes into: at 1M tickets 4,668 tickets/s with 32 MiB,
/// 4,422 with 16 MiB, 4,279-4,304 with the default, for a peak RSS of 87, 66 and 41-51 MB
/// (BENCHMARKS.md, section 2). Bounded, so memory stays flat in the size of the history.
pub const WRITER_CACHE_KIB: u32 = 32 * 1024;

/// Prepared statements kept per connection (sqlx's default is 100).
const STATEMENT_CACHE: usize = 128;

/// `BEGIN IMMEDIATE` takes the write lock up front (waiting up to the busy timeout), so two
/// writers queue instead of one failing with SQLITE_BUSY halfway through a batch.
pub(crate) async fn begin(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

pub(crate) async fn open(url: &str) -> Result<Store, StorageError> {
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
        // A multi-row upsert keeps a statement journal (to undo just that statement); in
        // memory it is a few pages, on disk (the default past 64 KiB) a temporary file
        // written for every statement of a sync.
        .pragma("temp_store", "memory")
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
        // Every statement of this crate has a fixed text (bulk writes come in eight sizes
        // per table, see `db::Bulk`), so this holds the whole working set of a sync and a
        // report, each prepared once per connection.
        .statement_cache_capacity(STATEMENT_CACHE);
    let memory = url.contains(":memory:") || url.contains("mode=memory");
    // Held until the schema is up to date: see `MigrationLock`.
    let _lock = if memory {
        None
    } else {
        let file = opts.get_filename().to_owned();
        prepare_file(&file).await.map_err(|e| open_err(&e))?
    };
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
        .connect_with(opts.clone())
        .await
        .map_err(|e| open_err(&e))?;
    let writes = if memory {
        pool.clone()
    } else {
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(opts.pragma("cache_size", format!("-{WRITER_CACHE_KIB}")))
    };
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StorageError::Migrate {
            url: masked.clone(),
            reason: crate::error::scrub(url, &e.to_string()),
        })?;
    // Still under the migration lock: a second opener waits, then finds the facts current.
    let store = Store::Sqlite(SqlitePools {
        reads: pool,
        writes,
    });
    crate::refresh::rebuild_facts_if_needed(&store).await?;
    Ok(store)
}

/// The permissions of every file deskpulse creates for a database: the owner's only. The
/// database holds the key that hashes customer e-mails.
#[cfg(unix)]
const PRIVATE_FILE: u32 = 0o600;
#[cfg(unix)]
const PRIVATE_DIR: u32 = 0o700;

/// Creates the database's directory (0700) and the file itself (0600, empty: SQLite reads an
/// empty file as an empty database) unless they exist, then takes the migration lock.
///
/// SQLite creates `-wal` and `-shm` with the main file's permission bits (`os_unix.c`,
/// `findCreateFileMode` for the WAL, the database file's `st_mode` for the shared-memory
/// file, set with `fchmod` whatever the umask), so creating the main file 0600 before SQLite
/// does is what makes all three private. An existing file keeps its mode.
///
/// `None` when the lock file cannot be created for lack of permission (a database shared in a
/// directory this user may not write to): the schema is then someone else's to migrate, and
/// opening goes on without the lock, as before it existed.
async fn prepare_file(file: &Path) -> std::io::Result<Option<MigrationLock>> {
    if let Some(dir) = file.parent()
        && !dir.as_os_str().is_empty()
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR);
        builder.create(dir)?;
    }
    match private_file().create_new(true).open(file) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    match MigrationLock::acquire(file).await {
        Ok(lock) => Ok(Some(lock)),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            tracing::debug!(error = %e, "no migration lock file next to the database: opening without it");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Read-write, and 0600 if it creates the file.
fn private_file() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, PRIVATE_FILE);
    o
}

/// An exclusive lock on `<database>-lock`, held while a process opens the database and
/// brings its schema up to date.
///
/// sqlx's migrator takes no lock on SQLite: two processes opening a new file both see no
/// migration applied, and the second fails on `CREATE TABLE` ("table tickets already
/// exists"). SQLite's own locks cannot serialize the whole run (the migrator commits one
/// transaction per migration, and a `BEGIN EXCLUSIVE` around it would block the migrator's
/// own connection), and retrying on "already exists" would guess from error texts. An OS
/// file lock (`flock` on Unix, `LockFileEx` on Windows) is exclusive between processes and
/// between open handles within one process, is released by the kernel when a process dies,
/// and costs one system call when nobody else holds it. The lock is a file of its own, not the
/// database: SQLite's POSIX record locks on the database must not meet ours (on NFS `flock`
/// is emulated with them). It is never deleted: deleting a lock file lets a third process
/// lock a new file while a second still holds the old one.
struct MigrationLock {
    _held: std::fs::File,
}

impl MigrationLock {
    async fn acquire(database: &Path) -> std::io::Result<MigrationLock> {
        let mut name = database.as_os_str().to_owned();
        name.push("-lock");
        let file = private_file().create(true).open(&name)?;
        // `lock` blocks until the holder is done: off the async workers.
        tokio::task::spawn_blocking(move || file.lock().map(|()| MigrationLock { _held: file }))
            .await
            .map_err(std::io::Error::other)?
    }
}

/// Serializes the commits that refresh a source's facts: nothing to take on SQLite, where
/// `BEGIN IMMEDIATE` already makes writers take turns.
pub(crate) fn facts_lock(_source: &str) -> Option<Query> {
    None
}

/// The rows of `table` of `source` whose `key` column is one of `ids`: SQLite probes the
/// index once per id. The ids go as one JSON array (`json_each`), so the statement's text
/// is the same for any number of them and is prepared once per connection.
pub(crate) fn rows_keyed(
    columns: &str,
    table: &str,
    key: &str,
    source: &str,
    ids: &[String],
) -> Query {
    Query::new(
        crate::db::Dialect::Sqlite,
        format!(
            "SELECT {columns} FROM {table} WHERE source = $1 \
             AND {key} IN (SELECT value FROM json_each($2))"
        ),
    )
    .bind(source)
    .bind(id_array(ids))
}

/// Deletes the rows of `table` of `source` whose `ticket_id` is one of `ids` (found as
/// [`rows_keyed`] finds them).
pub(crate) fn delete_keyed(table: &str, source: &str, ids: &[String]) -> Query {
    Query::new(
        crate::db::Dialect::Sqlite,
        format!(
            "DELETE FROM {table} WHERE source = $1 \
             AND ticket_id IN (SELECT value FROM json_each($2))"
        ),
    )
    .bind(source)
    .bind(id_array(ids))
}

/// `ids` as a JSON array of strings.
fn id_array(ids: &[String]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned())
}

/// A `messages` row and a `status_changes` row as one JSON array each (times as integer
/// microseconds), in the order `rows::messages_from_json` and `rows::changes_from_json` read.
pub(crate) const MESSAGE_JSON: &str =
    "json_array(external_id, ticket_id, author_kind, author_id, is_public, created_at)";
pub(crate) const CHANGE_JSON: &str = "json_array(external_id, ticket_id, from_status, to_status, author_kind, author_id, changed_at)";

/// A ratings row as one JSON array (times as integer microseconds), in the order
/// `rows::ratings_from_json` reads.
pub(crate) const RATING_JSON: &str = "json_array(source, external_id, kind, score, scale_min, scale_max, ticket_id, agent_id, comment, created_at, ticket_source)";

#[cfg(test)]
mod tests {
    use crate::Store;

    /// A database holds the key that hashes customer e-mails: the file, its `-wal` and `-shm`
    /// (which SQLite creates with the main file's mode), the lock file and a directory made
    /// for them are the owner's only, whatever the umask lets through.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_database_its_wal_and_shm_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("data").join("deskpulse.db");
        let store = Store::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("open");
        // A write, so the WAL and the shared-memory index certainly exist.
        store.refresh_facts().await.expect("a write");
        let mode = |suffix: &str| {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            std::fs::metadata(&p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.to_string_lossy()))
                .permissions()
                .mode()
                & 0o777
        };
        for suffix in ["", "-wal", "-shm", "-lock"] {
            assert_eq!(mode(suffix), 0o600, "deskpulse.db{suffix}");
        }
        let dir_mode = std::fs::metadata(dir.path().join("data"))
            .expect("dir")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        store.close().await;
    }

    /// A file the user created keeps the mode they gave it (`deskpulse check` may warn).
    #[cfg(unix)]
    #[tokio::test]
    async fn an_existing_database_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("shared.db");
        std::fs::write(&db, b"").expect("create");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let store = Store::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("open");
        let mode = std::fs::metadata(&db).expect("db").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        store.close().await;
    }

    /// sqlx's migrator takes no lock on SQLite; before the migration lock, a new file opened
    /// by several openers at once failed with "migration 1: table tickets already exists".
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn twenty_concurrent_opens_of_a_new_file_all_succeed() {
        for round in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}", dir.path().join("new.db").display());
            let opens: Vec<_> = (0..20)
                .map(|_| {
                    let url = url.clone();
                    tokio::spawn(async move { Store::open(&url).await })
                })
                .collect();
            for (i, open) in opens.into_iter().enumerate() {
                let store = open
                    .await
                    .expect("task")
                    .unwrap_or_else(|e| panic!("round {round}, opener {i}: {e}"));
                store.close().await;
            }
        }
    }
}
