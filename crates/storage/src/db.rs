//! The one place that knows there are two backends: a query built once for either
//! ([`Query`]), where it runs (the pool or an open transaction, [`Conn`], [`Tx`]), the rows it
//! returns ([`Row`]), and what the dialects do differently ([`Dialect`]). Every other module
//! writes its SQL once, as plain code, against these.
//!
//! Why not sqlx's own `QueryBuilder<DB>` in generic functions: sqlx's bounds (`Encode + Type`
//! per bound type, executors over transactions) are not implied by a trait bound and would be
//! repeated on every function. Here a value type is checked once, against both backends
//! ([`Bind`], [`Get`]), and the backend is chosen by a match in this module only.

use crate::error::query;
use crate::{StorageError, Store, postgres, sqlite};
use chrono::{DateTime, Utc};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgConnection, PgHasArrayType, PgPool, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, ColumnIndex, Decode, Encode, Postgres, Sqlite, Type};

/// Bind parameters per multi-row statement: far below SQLite's 32766 and Postgres' 65535,
/// large enough that a page of records is a handful of statements.
pub(crate) const PARAMS_PER_STATEMENT: usize = 8_000;

pub(crate) use crate::bulk::Bulk;

/// Which SQL dialect a handle speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A value either backend can bind (every Rust type the SQL of this crate binds is).
pub(crate) trait Bind<'q>:
    Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}
impl<'q, T> Bind<'q> for T where
    T: Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}

/// A value either backend can decode from a column.
pub(crate) trait Get<'r>:
    Decode<'r, Sqlite> + Type<Sqlite> + Decode<'r, Postgres> + Type<Postgres>
{
}
impl<'r, T> Get<'r> for T where
    T: Decode<'r, Sqlite> + Type<Sqlite> + Decode<'r, Postgres> + Type<Postgres>
{
}

/// A column by name or position, on either backend's rows.
pub(crate) trait Col: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> {}
impl<T: ColumnIndex<SqliteRow> + ColumnIndex<PgRow>> Col for T {}

/// An instant as the backend stores it: SQLite as integer microseconds since the epoch
/// (exact, and they sort and range-scan correctly), Postgres as `TIMESTAMPTZ`; both keep
/// whole microseconds (the encodings are in `sqlite.rs` and `postgres.rs`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Time(pub(crate) DateTime<Utc>);

/// SQL text and its bound values, for one dialect. Built like sqlx's `QueryBuilder`
/// ([`push`](Self::push), [`push_bind`](Self::push_bind), [`separated`](Self::separated),
/// [`push_values`](Self::push_values)), or from a whole statement with `$n` parameters and
/// [`bind`](Self::bind).
pub(crate) struct Query {
    sql: String,
    args: Args,
    /// The first value that could not be encoded: returned when the query runs.
    error: Option<BoxDynError>,
}

enum Args {
    Sqlite(SqliteArguments),
    Postgres(PgArguments),
}

impl Query {
    pub(crate) fn new(dialect: Dialect, sql: impl Into<String>) -> Query {
        let args = match dialect {
            Dialect::Sqlite => Args::Sqlite(SqliteArguments::default()),
            Dialect::Postgres => Args::Postgres(PgArguments::default()),
        };
        Query {
            sql: sql.into(),
            args,
            error: None,
        }
    }

    /// The same statement under `EXPLAIN`, for tests of its plan.
    #[cfg(test)]
    pub(crate) fn explained(mut self) -> Query {
        self.sql.insert_str(0, "EXPLAIN ");
        self
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        let _ = write!(self.sql, "{sql}");
        self
    }

    /// Binds `value` and appends its placeholder (`?` on SQLite, `$n` on Postgres).
    pub(crate) fn push_bind<'t, T: Bind<'t>>(&mut self, value: T) -> &mut Self {
        self.add(value);
        let _ = match &self.args {
            Args::Sqlite(a) => a.format_placeholder(&mut self.sql),
            Args::Postgres(a) => a.format_placeholder(&mut self.sql),
        };
        self
    }

    /// Binds `value` as the next `$n` of a statement written whole.
    pub(crate) fn bind<'t, T: Bind<'t>>(mut self, value: T) -> Self {
        self.add(value);
        self
    }

    pub(crate) fn add<'t, T: Bind<'t>>(&mut self, value: T) {
        let added = match &mut self.args {
            Args::Sqlite(a) => a.add(value),
            Args::Postgres(a) => a.add(value),
        };
        if let Err(e) = added {
            self.error.get_or_insert(e);
        }
    }

    /// Binds `values` as one Postgres array parameter (`unnest($n::text[])`) and appends its
    /// placeholder; on SQLite the query fails when it runs.
    pub(crate) fn push_bind_array<'t, T>(&mut self, values: &'t [T]) -> &mut Self
    where
        T: Encode<'t, Postgres> + Type<Postgres> + PgHasArrayType,
    {
        match &mut self.args {
            Args::Postgres(a) => {
                if let Err(e) = a.add(values) {
                    self.error.get_or_insert(e);
                }
                let _ = a.format_placeholder(&mut self.sql);
            }
            Args::Sqlite(_) => {
                self.error
                    .get_or_insert_with(|| "SQLite binds no arrays: use an IN list".into());
            }
        }
        self
    }

    /// A list whose items are separated by `separator`.
    pub(crate) fn separated(&mut self, separator: &'static str) -> Separated<'_> {
        Separated {
            query: self,
            separator,
            push_separator: false,
        }
    }

    /// `VALUES (…), (…)`: one parenthesized tuple per item, filled by `push_tuple`.
    pub(crate) fn push_values<I, F>(&mut self, tuples: I, mut push_tuple: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(Separated<'_>, I::Item),
    {
        self.push("VALUES ");
        let mut first = true;
        for tuple in tuples {
            self.push(if first { "(" } else { ", (" });
            first = false;
            push_tuple(self.separated(", "), tuple);
            self.push(")");
        }
        self
    }

    fn parts(self) -> Result<(AssertSqlSafe<String>, Args), sqlx::Error> {
        match self.error {
            Some(e) => Err(sqlx::Error::Encode(e)),
            None => Ok((AssertSqlSafe(self.sql), self.args)),
        }
    }

    /// Runs the statement; the number of rows it changed.
    pub(crate) async fn execute<'c>(self, on: impl Into<Conn<'c>>) -> Result<u64, sqlx::Error> {
        let (sql, args) = self.parts()?;
        Ok(match (on.into(), args) {
            (Conn::SqlitePool(p), Args::Sqlite(a)) => {
                sqlx::query_with(sql, a).execute(p).await?.rows_affected()
            }
            (Conn::SqliteTx(c), Args::Sqlite(a)) => {
                sqlx::query_with(sql, a).execute(c).await?.rows_affected()
            }
            (Conn::PgPool(p), Args::Postgres(a)) => {
                sqlx::query_with(sql, a).execute(p).await?.rows_affected()
            }
            (Conn::PgTx(c), Args::Postgres(a)) => {
                sqlx::query_with(sql, a).execute(c).await?.rows_affected()
            }
            (on, args) => return Err(mismatch(&on, &args)),
        })
    }

    pub(crate) async fn fetch_all<'c>(
        self,
        on: impl Into<Conn<'c>>,
    ) -> Result<Vec<Row>, sqlx::Error> {
        let (sql, args) = self.parts()?;
        let wrap = |rows: Vec<SqliteRow>| rows.into_iter().map(Row::Sqlite).collect();
        let wrap_pg = |rows: Vec<PgRow>| rows.into_iter().map(Row::Postgres).collect();
        Ok(match (on.into(), args) {
            (Conn::SqlitePool(p), Args::Sqlite(a)) => {
                wrap(sqlx::query_with(sql, a).fetch_all(p).await?)
            }
            (Conn::SqliteTx(c), Args::Sqlite(a)) => {
                wrap(sqlx::query_with(sql, a).fetch_all(c).await?)
            }
            (Conn::PgPool(p), Args::Postgres(a)) => {
                wrap_pg(sqlx::query_with(sql, a).fetch_all(p).await?)
            }
            (Conn::PgTx(c), Args::Postgres(a)) => {
                wrap_pg(sqlx::query_with(sql, a).fetch_all(c).await?)
            }
            (on, args) => return Err(mismatch(&on, &args)),
        })
    }

    pub(crate) async fn fetch_optional<'c>(
        self,
        on: impl Into<Conn<'c>>,
    ) -> Result<Option<Row>, sqlx::Error> {
        let (sql, args) = self.parts()?;
        Ok(match (on.into(), args) {
            (Conn::SqlitePool(p), Args::Sqlite(a)) => sqlx::query_with(sql, a)
                .fetch_optional(p)
                .await?
                .map(Row::Sqlite),
            (Conn::SqliteTx(c), Args::Sqlite(a)) => sqlx::query_with(sql, a)
                .fetch_optional(c)
                .await?
                .map(Row::Sqlite),
            (Conn::PgPool(p), Args::Postgres(a)) => sqlx::query_with(sql, a)
                .fetch_optional(p)
                .await?
                .map(Row::Postgres),
            (Conn::PgTx(c), Args::Postgres(a)) => sqlx::query_with(sql, a)
                .fetch_optional(c)
                .await?
                .map(Row::Postgres),
            (on, args) => return Err(mismatch(&on, &args)),
        })
    }

    pub(crate) async fn fetch_one<'c>(self, on: impl Into<Conn<'c>>) -> Result<Row, sqlx::Error> {
        self.fetch_optional(on)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// The first column of the one row.
    pub(crate) async fn scalar<'c, T>(self, on: impl Into<Conn<'c>>) -> Result<T, sqlx::Error>
    where
        T: for<'r> Get<'r>,
    {
        self.fetch_one(on).await?.get(0)
    }

    /// The first column of the row, if there is one.
    pub(crate) async fn optional_scalar<'c, T>(
        self,
        on: impl Into<Conn<'c>>,
    ) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> Get<'r>,
    {
        self.fetch_optional(on).await?.map(|r| r.get(0)).transpose()
    }
}

/// A query built for one backend sent to the other: a bug, reported rather than panicked on.
fn mismatch(on: &Conn<'_>, args: &Args) -> sqlx::Error {
    let on = match on {
        Conn::SqlitePool(_) | Conn::SqliteTx(_) => "SQLite",
        Conn::PgPool(_) | Conn::PgTx(_) => "Postgres",
    };
    let built = match args {
        Args::Sqlite(_) => "SQLite",
        Args::Postgres(_) => "Postgres",
    };
    sqlx::Error::Protocol(format!("a query built for {built} was sent to {on}"))
}

/// A list being pushed into a [`Query`], its items separated (see [`Query::separated`]).
pub(crate) struct Separated<'q> {
    query: &'q mut Query,
    separator: &'static str,
    push_separator: bool,
}

impl Separated<'_> {
    pub(crate) fn push_bind<'t, T: Bind<'t>>(&mut self, value: T) -> &mut Self {
        if self.push_separator {
            self.query.push(self.separator);
        }
        self.query.push_bind(value);
        self.push_separator = true;
        self
    }
}

/// Where a query runs: a pool (each query on a pooled connection) or an open transaction.
pub(crate) enum Conn<'c> {
    SqlitePool(&'c SqlitePool),
    SqliteTx(&'c mut SqliteConnection),
    PgPool(&'c PgPool),
    PgTx(&'c mut PgConnection),
}

impl<'c> From<&'c Store> for Conn<'c> {
    fn from(store: &'c Store) -> Conn<'c> {
        match store {
            Store::Sqlite(p) => Conn::SqlitePool(&p.reads),
            Store::Postgres(p) => Conn::PgPool(p),
        }
    }
}

impl<'c> From<&'c mut Tx> for Conn<'c> {
    fn from(tx: &'c mut Tx) -> Conn<'c> {
        match tx {
            Tx::Sqlite(t) => Conn::SqliteTx(t),
            Tx::Postgres(t, _) => Conn::PgTx(t),
        }
    }
}

/// A write transaction (see [`Store::begin`]); dropped without a commit, it rolls back.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    /// With how its connection reaches the server.
    Postgres(sqlx::Transaction<'static, Postgres>, postgres::Wire),
}

impl Tx {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(..) => Dialect::Postgres,
        }
    }

    /// How a Postgres transaction's connection reaches the server (`None` on SQLite).
    pub(crate) fn postgres_wire(&self) -> Option<postgres::Wire> {
        match self {
            Tx::Sqlite(_) => None,
            Tx::Postgres(_, wire) => Some(*wire),
        }
    }

    /// A query in this transaction's dialect.
    pub(crate) fn sql(&self, sql: impl Into<String>) -> Query {
        Query::new(self.dialect(), sql)
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t, _) => t.commit().await,
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t, _) => t.rollback().await,
        }
    }

    /// Lets this transaction's commit return before the database has flushed it to disk:
    /// for writes a later run repeats if they are lost (a page with its checkpoint, derived
    /// facts). Postgres's `synchronous_commit = off` for this transaction only: a crash of
    /// the server may lose the last such commits, whole, never half of one, as SQLite's
    /// `synchronous = NORMAL` in WAL mode may (set for every SQLite connection, see
    /// `sqlite::open`). The next sync resumes from the checkpoint before them.
    pub(crate) async fn replayable(&mut self) -> Result<(), StorageError> {
        if self.dialect() == Dialect::Postgres {
            self.sql("SET LOCAL synchronous_commit = off")
                .execute(self)
                .await
                .map_err(query("relaxing a commit"))?;
        }
        Ok(())
    }

    /// Serializes the transactions that refresh `source`'s facts (see the dialects'
    /// `facts_lock`); held until this transaction ends.
    pub(crate) async fn lock_facts(&mut self, source: &str) -> Result<(), StorageError> {
        let lock = match self.dialect() {
            Dialect::Sqlite => sqlite::facts_lock(source),
            Dialect::Postgres => postgres::facts_lock(source),
        };
        if let Some(q) = lock {
            q.execute(self)
                .await
                .map_err(query("locking a source's facts"))?;
        }
        Ok(())
    }
}

/// A result row of either backend.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    pub(crate) fn get<'r, T: Get<'r>>(&'r self, column: impl Col) -> Result<T, sqlx::Error> {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(r) => r.try_get(column),
            Row::Postgres(r) => r.try_get(column),
        }
    }

    /// A time column of `table` (see [`Time`]); `op` names the read in an error.
    pub(crate) fn time(
        &self,
        table: &'static str,
        column: &'static str,
        op: &'static str,
    ) -> Result<DateTime<Utc>, StorageError> {
        match self {
            Row::Sqlite(_) => sqlite::dec(self.get(column).map_err(query(op))?, table, column),
            Row::Postgres(_) => self.get(column).map_err(query(op)),
        }
    }

    /// A nullable time column of `table` (see [`Row::time`]).
    pub(crate) fn opt_time(
        &self,
        table: &'static str,
        column: &'static str,
        op: &'static str,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        match self {
            Row::Sqlite(_) => self
                .get::<Option<i64>>(column)
                .map_err(query(op))?
                .map(|v| sqlite::dec(v, table, column))
                .transpose(),
            Row::Postgres(_) => self.get(column).map_err(query(op)),
        }
    }
}

impl Store {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Store::Sqlite(_) => Dialect::Sqlite,
            Store::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A query in this store's dialect.
    pub(crate) fn sql(&self, sql: impl Into<String>) -> Query {
        Query::new(self.dialect(), sql)
    }

    /// Starts a write transaction (on SQLite one that holds the write lock from its start).
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Store::Sqlite(p) => Tx::Sqlite(sqlite::begin(&p.writes).await?),
            Store::Postgres(p) => Tx::Postgres(p.begin().await?, postgres::wire(p)),
        })
    }

    /// Closes every connection; later calls fail. Lets a caller drop a database it used.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(p) => {
                p.writes.close().await;
                p.reads.close().await;
            }
            Store::Postgres(p) => p.close().await,
        }
    }

    /// The Postgres pool, for what only Postgres has (session advisory locks).
    pub(crate) fn postgres_pool(&self) -> Option<&PgPool> {
        match self {
            Store::Sqlite(_) => None,
            Store::Postgres(p) => Some(p),
        }
    }
}

/// A ticket's history table, as [`Dialect::history_json`] reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum History {
    Messages,
    StatusChanges,
}

impl Dialect {
    /// `"sqlite"` or `"postgres"`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// The migrations this build embeds for the dialect.
    pub(crate) fn migrator(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Dialect::Sqlite => &sqlite::MIGRATOR,
            Dialect::Postgres => &postgres::MIGRATOR,
        }
    }

    /// The rows of `table` of `source` whose `key` column is one of `ids`.
    pub(crate) fn rows_keyed(self, table: &str, key: &str, source: &str, ids: &[String]) -> Query {
        match self {
            Dialect::Sqlite => sqlite::rows_keyed("*", table, key, source, ids),
            Dialect::Postgres => postgres::rows_keyed("x.*", table, key, source, ids),
        }
    }

    /// The `messages` or `status_changes` of the tickets `ids` of `source` as one text, each
    /// row a JSON array (`rows::messages_from_json`, `rows::changes_from_json`): one row to
    /// fetch instead of one per record, which the facts refresh reads by the million.
    pub(crate) fn history_json(self, of: History, source: &str, ids: &[String]) -> Query {
        let (table, json) = match (self, of) {
            (Dialect::Sqlite, History::Messages) => ("messages", sqlite::MESSAGE_JSON),
            (Dialect::Sqlite, History::StatusChanges) => ("status_changes", sqlite::CHANGE_JSON),
            (Dialect::Postgres, History::Messages) => ("messages", postgres::MESSAGE_JSON),
            (Dialect::Postgres, History::StatusChanges) => {
                ("status_changes", postgres::CHANGE_JSON)
            }
        };
        let columns = format!("string_agg({json}, ',')");
        match self {
            Dialect::Sqlite => sqlite::rows_keyed(&columns, table, "ticket_id", source, ids),
            Dialect::Postgres => postgres::rows_keyed(&columns, table, "ticket_id", source, ids),
        }
    }

    /// Deletes the rows of `table` of `source` whose `ticket_id` is one of `ids`.
    pub(crate) fn delete_keyed(self, table: &str, source: &str, ids: &[String]) -> Query {
        match self {
            Dialect::Sqlite => sqlite::delete_keyed(table, source, ids),
            Dialect::Postgres => postgres::delete_keyed(table, source, ids),
        }
    }

    /// A ratings row (aliased columns of the report's ratings read) as one JSON array, in
    /// the order `rows::ratings_from_json` reads.
    pub(crate) fn rating_json(self) -> &'static str {
        match self {
            Dialect::Sqlite => sqlite::RATING_JSON,
            Dialect::Postgres => postgres::RATING_JSON,
        }
    }

    /// Whether only one daemon may use a database of this dialect, holding the daemon lease
    /// (SQLite: its job locks are no-ops); Postgres daemons share a database, each job under
    /// an advisory lock.
    pub(crate) fn one_daemon_per_database(self) -> bool {
        match self {
            Dialect::Sqlite => true,
            Dialect::Postgres => false,
        }
    }
}
