//! Multi-row writes ([`Bulk`]): a batch's rows of one table, column by column, written by
//! statements whose text does not depend on the number of rows, each built while the
//! previous one runs.

use crate::StorageError;
use crate::db::{Dialect, Query, Time, Tx};
use crate::error::query;
use crate::postgres::Wire;
use std::sync::Arc;

/// The most rows of one SQLite [`Bulk`] statement. Its statements have one shape per power
/// of two up to this (a batch is written as full statements, then the remainder's binary
/// digits), so each table has at most eight statements, each prepared once per connection
/// and kept in its statement cache. Statements of any row count (as `VALUES` lists sized to
/// the batch used to be) were prepared afresh for most batches, and the cache of up to 100
/// such statements, each a large program, held tens of megabytes per connection.
const SQLITE_BULK_ROWS: usize = 128;

/// The most bytes of values one Postgres [`Bulk`] statement sends over TLS. sqlx writes a
/// message over TLS as one 16 KiB record per write and does not set `TCP_NODELAY`: the second
/// write of a message waits (Nagle) until the server acknowledges the first, which it delays
/// up to 40 ms. A page's upserts as multi-megabyte messages cost about that per statement
/// (measured: 110 ms a page over TLS on loopback); messages that fit one record go at once.
const POSTGRES_TLS_BULK_BYTES: usize = 12_000;

/// The same on a plain connection (a loopback server, reached without TLS since
/// `postgres::plain_on_loopback`), where a message goes out whole: a page's rows of a table
/// are one statement. Measured at 100k tickets: 4,388-4,607 tickets/s against 3,838-3,866
/// with 12 kB statements.
const POSTGRES_PLAIN_BULK_BYTES: usize = 1 << 20;

/// One column of a [`Bulk`] write, a value per row.
pub(crate) enum Values<'a> {
    Text(Vec<Option<&'a str>>),
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Time(Vec<Option<Time>>),
    /// JSON text: stored as TEXT on SQLite, cast to JSONB on Postgres.
    Json(Vec<String>),
}

impl Values<'_> {
    fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Real(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Time(v) => v.len(),
            Values::Json(v) => v.len(),
        }
    }

    /// About the bytes row `i`'s value takes in a Postgres array (its length word and data).
    fn wire_size(&self, i: usize) -> usize {
        4 + match self {
            Values::Text(v) => v[i].map_or(0, str::len),
            Values::Int(v) => v[i].map_or(0, |_| 8),
            Values::Real(v) => v[i].map_or(0, |_| 8),
            Values::Bool(v) => v[i].map_or(0, |_| 1),
            Values::Time(v) => v[i].map_or(0, |_| 8),
            Values::Json(v) => v[i].len(),
        }
    }

    /// Binds row `i`'s value (SQLite).
    fn bind_value(&self, i: usize, q: &mut Query) {
        match self {
            Values::Text(v) => q.add(v[i].map(Arc::<str>::from)),
            Values::Int(v) => q.add(v[i]),
            Values::Real(v) => q.add(v[i]),
            Values::Bool(v) => q.add(v[i]),
            Values::Time(v) => q.add(v[i]),
            Values::Json(v) => q.add(Arc::<str>::from(v[i].as_str())),
        };
    }

    /// Binds rows `range` as one array (Postgres).
    fn bind_array(&self, range: std::ops::Range<usize>, q: &mut Query) {
        match self {
            Values::Text(v) => q.push_bind_array(&v[range]),
            Values::Int(v) => q.push_bind_array(&v[range]),
            Values::Real(v) => q.push_bind_array(&v[range]),
            Values::Bool(v) => q.push_bind_array(&v[range]),
            Values::Time(v) => q.push_bind_array(&v[range]),
            Values::Json(v) => q.push_bind_array(&v[range]),
        };
    }

    /// The Postgres type of the column's array.
    fn array_type(&self) -> &'static str {
        match self {
            Values::Text(_) | Values::Json(_) => "text[]",
            Values::Int(_) => "int8[]",
            Values::Real(_) => "float8[]",
            Values::Bool(_) => "bool[]",
            Values::Time(_) => "timestamptz[]",
        }
    }
}

/// Rows for one table of one source, column by column, written by statements whose text
/// does not depend on the number of rows, so each is prepared once per connection: on
/// Postgres `INSERT … SELECT … FROM UNNEST($2, …)` with an array per column (as many rows a
/// statement as fit [`POSTGRES_TLS_BULK_BYTES`] over TLS, [`POSTGRES_PLAIN_BULK_BYTES`]
/// without), on SQLite multi-row `VALUES` in a few fixed sizes (see [`SQLITE_BULK_ROWS`]).
/// The first column is always `source`.
pub(crate) struct Bulk<'a> {
    table: &'static str,
    source: &'a str,
    rows: usize,
    columns: Vec<(&'static str, Values<'a>)>,
}

impl<'a> Bulk<'a> {
    pub(crate) fn new(table: &'static str, source: &'a str, rows: usize) -> Self {
        Bulk {
            table,
            source,
            rows,
            columns: Vec::new(),
        }
    }

    /// Adds the column `name` with a value per row.
    pub(crate) fn col(mut self, name: &'static str, values: Values<'a>) -> Self {
        debug_assert_eq!(values.len(), self.rows, "column {name} of {}", self.table);
        self.columns.push((name, values));
        self
    }

    pub(crate) fn text(self, name: &'static str, v: impl Iterator<Item = &'a str>) -> Self {
        self.col(name, Values::Text(v.map(Some).collect()))
    }

    pub(crate) fn opt_text(
        self,
        name: &'static str,
        v: impl Iterator<Item = Option<&'a str>>,
    ) -> Self {
        self.col(name, Values::Text(v.collect()))
    }

    pub(crate) fn int(self, name: &'static str, v: impl Iterator<Item = Option<i64>>) -> Self {
        self.col(name, Values::Int(v.collect()))
    }

    pub(crate) fn real(self, name: &'static str, v: impl Iterator<Item = Option<f64>>) -> Self {
        self.col(name, Values::Real(v.collect()))
    }

    pub(crate) fn bool(self, name: &'static str, v: impl Iterator<Item = Option<bool>>) -> Self {
        self.col(name, Values::Bool(v.collect()))
    }

    pub(crate) fn time(self, name: &'static str, v: impl Iterator<Item = Option<Time>>) -> Self {
        self.col(name, Values::Time(v.collect()))
    }

    pub(crate) fn json(self, name: &'static str, v: impl Iterator<Item = String>) -> Self {
        self.col(name, Values::Json(v.collect()))
    }

    /// Inserts the rows, then `tail` (an `ON CONFLICT …` clause, or nothing), in the
    /// transaction `tx`; `op` names the write in an error.
    pub(crate) async fn insert(
        &self,
        tx: &mut Tx,
        tail: &str,
        op: &'static str,
    ) -> Result<(), StorageError> {
        let dialect = tx.dialect();
        // `source` once for every row of a SQLite statement: each bound copy is then a
        // reference count.
        let source: Arc<str> = Arc::from(self.source);
        let chunks = match dialect {
            Dialect::Postgres => self.postgres_chunks(match tx.postgres_wire() {
                Some(Wire::Plain) => POSTGRES_PLAIN_BULK_BYTES,
                _ => POSTGRES_TLS_BULK_BYTES,
            }),
            Dialect::Sqlite => sqlite_chunks(self.rows),
        };
        // The statement's head and a row's placeholders, the same for each of its statements.
        let head = self.head();
        let tuple = format!("({})", vec!["?"; self.columns.len() + 1].join(", "));
        let build = |k: usize| {
            chunks.get(k).map(|range| match dialect {
                Dialect::Postgres => self.unnest(range.clone(), &head, tail),
                Dialect::Sqlite => self.values(range.clone(), (&head, &tuple), tail, &source),
            })
        };
        let mut next = build(0);
        let mut k = 0;
        while let Some(statement) = next.take() {
            k += 1;
            match dialect {
                // Statement k runs on SQLite's worker thread while this thread builds
                // statement k + 1, its text and bound values: `join` polls the execution
                // first, which sends it, then builds. Built between executions, the worker
                // and this thread each waited for the other (measured: +12 % at 100k).
                Dialect::Sqlite => {
                    let (done, built) =
                        futures::future::join(statement.execute(&mut *tx), async { build(k) })
                            .await;
                    done.map_err(query(op))?;
                    next = built;
                }
                // The same on Postgres measured no gain at 100k and less at 1M: its statements
                // are few and the server's work dominates.
                Dialect::Postgres => {
                    statement.execute(&mut *tx).await.map_err(query(op))?;
                    next = build(k);
                }
            }
        }
        Ok(())
    }

    /// The rows of each Postgres statement: as many as fit `max_bytes`, at least one.
    fn postgres_chunks(&self, max_bytes: usize) -> Vec<std::ops::Range<usize>> {
        let mut chunks = Vec::new();
        let mut start = 0;
        while start < self.rows {
            let mut bytes = 0;
            let mut end = start;
            while end < self.rows {
                let row: usize = self.columns.iter().map(|(_, v)| v.wire_size(end)).sum();
                if end > start && bytes + row > max_bytes {
                    break;
                }
                bytes += row;
                end += 1;
            }
            chunks.push(start..end);
            start = end;
        }
        chunks
    }

    fn head(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| *n).collect();
        format!("INSERT INTO {} (source, {}) ", self.table, names.join(", "))
    }

    fn unnest(&self, range: std::ops::Range<usize>, head: &str, tail: &str) -> Query {
        let mut q = Query::new(Dialect::Postgres, head);
        q.push("SELECT ").push_bind(self.source);
        for (name, v) in &self.columns {
            let cast = if matches!(v, Values::Json(_)) {
                "::jsonb"
            } else {
                ""
            };
            q.push(format!(", u.{name}{cast}"));
        }
        q.push(" FROM UNNEST(");
        for (i, (_, v)) in self.columns.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            v.bind_array(range.clone(), &mut q);
            q.push(format!("::{}", v.array_type()));
        }
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| *n).collect();
        q.push(format!(") AS u({}) {tail}", names.join(", ")));
        q
    }

    /// One multi-row `VALUES` statement of rows `range`: its text built in one go, each
    /// text bound as a shared string (one allocation; `&str` is copied twice by sqlx).
    fn values(
        &self,
        range: std::ops::Range<usize>,
        (head, tuple): (&str, &str),
        tail: &str,
        source: &Arc<str>,
    ) -> Query {
        let mut sql = String::with_capacity(
            head.len() + 7 + range.len() * (tuple.len() + 2) + 1 + tail.len(),
        );
        sql.push_str(head);
        sql.push_str("VALUES ");
        for i in 0..range.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(tuple);
        }
        sql.push(' ');
        sql.push_str(tail);
        let mut q = Query::new(Dialect::Sqlite, sql);
        for i in range {
            q.add(Arc::clone(source));
            for (_, v) in &self.columns {
                v.bind_value(i, &mut q);
            }
        }
        q
    }
}

/// The rows of each SQLite [`Bulk`] statement for `rows` rows: full statements of
/// [`SQLITE_BULK_ROWS`], then the remainder's binary digits, largest first.
fn sqlite_chunks(rows: usize) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < rows {
        let n = SQLITE_BULK_ROWS.min(1 << (rows - start).ilog2());
        chunks.push(start..start + n);
        start += n;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::{
        Bulk, POSTGRES_PLAIN_BULK_BYTES, POSTGRES_TLS_BULK_BYTES, SQLITE_BULK_ROWS, sqlite_chunks,
    };
    use std::collections::BTreeSet;

    /// Postgres statements cover the rows in order, each within its byte budget unless a
    /// single row exceeds it.
    #[test]
    fn postgres_statements_fit_their_budget() {
        let texts: Vec<String> = (0..20_000).map(|i| format!("ticket-{i:08}")).collect();
        let bulk = Bulk::new("tickets", "zd", texts.len())
            .text("external_id", texts.iter().map(String::as_str))
            .int("reopens", (0..texts.len()).map(|i| Some(i as i64)));
        let row = 4 + 15 + 4 + 8;
        for budget in [POSTGRES_TLS_BULK_BYTES, POSTGRES_PLAIN_BULK_BYTES, 1] {
            let chunks = bulk.postgres_chunks(budget);
            let mut next = 0;
            for c in &chunks {
                assert_eq!(c.start, next);
                assert!(!c.is_empty());
                assert!(c.len() * row <= budget.max(row), "{budget}: {c:?}");
                next = c.end;
            }
            assert_eq!(next, texts.len());
            let expected = texts.len().div_ceil((budget / row).max(1));
            assert_eq!(chunks.len(), expected, "{budget}");
        }
    }

    /// Every row in exactly one statement, in order, each statement of a cached shape.
    #[test]
    fn sqlite_statements_cover_the_rows_in_few_shapes() {
        let mut shapes = BTreeSet::new();
        for rows in (0..=1_100).chain([4_096, 10_001]) {
            let chunks = sqlite_chunks(rows);
            let mut next = 0;
            for c in &chunks {
                assert_eq!(c.start, next, "{rows} rows: {chunks:?}");
                assert!(c.len().is_power_of_two() && c.len() <= SQLITE_BULK_ROWS);
                shapes.insert(c.len());
                next = c.end;
            }
            assert_eq!(next, rows, "{rows} rows: {chunks:?}");
            // Full statements, then the remainder's binary digits: at most one of each.
            let partial: Vec<usize> = chunks
                .iter()
                .map(|c| c.len())
                .filter(|&n| n < SQLITE_BULK_ROWS)
                .collect();
            assert!(partial.windows(2).all(|w| w[0] > w[1]), "{partial:?}");
        }
        assert_eq!(shapes.len(), SQLITE_BULK_ROWS.ilog2() as usize + 1);
    }
}
