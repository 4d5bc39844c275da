//! `deskpulse-bench sync --floor`: the storage engine's own floor for the ticket events a
//! limits-off sync wrote, measured on the same rows and schema right after the sync.
//!
//! The synced messages and status changes are read back, put in id order (the vendor's
//! time order) and written again in pages of the sync's events pages, each page one
//! transaction with its `facts_dirty` marks and its checkpoint, with the store's own upserts,
//! into empty tables of the same schema:
//! * SQLite: rusqlite on the same bundled SQLite as sqlx, one cached prepared single-row
//!   statement per table, the store's write-connection pragmas: no driver work in between,
//!   so what is left is the engine's.
//! * Postgres: one connection; each page's rows are `COPY`ed (text, built before the clock
//!   starts) into temporary staging tables and merged by `INSERT … SELECT … ON CONFLICT`:
//!   the least a client can hand the server for an idempotent page (the `COPY` into
//!   staging tables that issue 18 proposed), so what is left is the server's.
//!
//! Nothing is derived: the facts refresh comes on top of these figures in a real sync.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use deskpulse_storage::ingest_sql::{
    CHECKPOINT_UPSERT, FACTS_DIRTY_ON_CONFLICT, MESSAGES_ON_CONFLICT, STATUS_CHANGES_ON_CONFLICT,
    WRITER_CACHE_KIB,
};
use sqlx::{AssertSqlSafe, Connection, PgConnection, SqliteConnection};

/// The stream whose checkpoint each page writes.
const STREAM: &str = "ticket_events";

/// A stored message (`to` empty) or status change.
struct Event {
    message: bool,
    id: String,
    ticket: String,
    author_kind: String,
    author_id: Option<String>,
    public: bool,
    from: Option<String>,
    to: String,
    at_micros: i64,
}

type EventRow = (
    bool,
    String,
    String,
    String,
    Option<String>,
    bool,
    Option<String>,
    String,
    i64,
);

fn event(r: EventRow) -> Event {
    Event {
        message: r.0,
        id: r.1,
        ticket: r.2,
        author_kind: r.3,
        author_id: r.4,
        public: r.5,
        from: r.6,
        to: r.7,
        at_micros: r.8,
    }
}

/// Every event of `source` in the store at `url`, in id order (numeric where ids are).
async fn read_events(url: &str, source: &str, postgres: bool) -> anyhow::Result<Vec<Event>> {
    let mut events: Vec<Event> = if postgres {
        let mut c = PgConnection::connect(url).await?;
        let micros = |col: &str| format!("(EXTRACT(EPOCH FROM {col}) * 1000000)::int8");
        let sql = format!(
            "SELECT true, external_id, ticket_id, author_kind, author_id, is_public, NULL::text, \
             '', {} FROM messages WHERE source = $1 UNION ALL \
             SELECT false, external_id, ticket_id, author_kind, author_id, false, from_status, \
             to_status, {} FROM status_changes WHERE source = $1",
            micros("created_at"),
            micros("changed_at")
        );
        let rows: Vec<EventRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(source)
            .fetch_all(&mut c)
            .await?;
        c.close().await?;
        rows.into_iter().map(event).collect()
    } else {
        let mut c = SqliteConnection::connect(url).await?;
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT 1, external_id, ticket_id, author_kind, author_id, is_public, NULL, '', \
             created_at FROM messages WHERE source = $1 UNION ALL \
             SELECT 0, external_id, ticket_id, author_kind, author_id, 0, from_status, \
             to_status, changed_at FROM status_changes WHERE source = $1",
        )
        .bind(source)
        .fetch_all(&mut c)
        .await?;
        c.close().await?;
        rows.into_iter().map(event).collect()
    };
    events.sort_by(|a, b| match (a.id.parse::<i64>(), b.id.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.id.cmp(&b.id),
    });
    Ok(events)
}

/// The page's tickets, each once (the sync marks each touched ticket once a page).
fn tickets_of(page: &[Event]) -> BTreeSet<&str> {
    page.iter().map(|e| e.ticket.as_str()).collect()
}

/// Writes `events` into the empty SQLite store at `path` (migrated, closed); returns seconds.
fn sqlite_floor(
    path: &Path,
    source: &str,
    events: &[Event],
    per_page: usize,
) -> anyhow::Result<f64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = memory; \
         PRAGMA foreign_keys = ON; PRAGMA cache_size = -{WRITER_CACHE_KIB};"
    ))?;
    let messages = format!(
        "INSERT INTO messages (source, external_id, ticket_id, author_kind, author_id, \
         is_public, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) {MESSAGES_ON_CONFLICT}"
    );
    let changes = format!(
        "INSERT INTO status_changes (source, external_id, ticket_id, from_status, to_status, \
         author_kind, author_id, changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         {STATUS_CHANGES_ON_CONFLICT}"
    );
    let dirty = format!(
        "INSERT INTO facts_dirty (source, ticket_id) VALUES (?1, ?2) {FACTS_DIRTY_ON_CONFLICT}"
    );
    let started = Instant::now();
    for page in events.chunks(per_page) {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for e in page {
            if e.message {
                conn.prepare_cached(&messages)?.execute(rusqlite::params![
                    source,
                    e.id,
                    e.ticket,
                    e.author_kind,
                    e.author_id,
                    e.public,
                    e.at_micros
                ])?;
            } else {
                conn.prepare_cached(&changes)?.execute(rusqlite::params![
                    source,
                    e.id,
                    e.ticket,
                    e.from,
                    e.to,
                    e.author_kind,
                    e.author_id,
                    e.at_micros
                ])?;
            }
        }
        for t in tickets_of(page) {
            conn.prepare_cached(&dirty)?
                .execute(rusqlite::params![source, t])?;
        }
        let last = page.last().map_or(0, |e| e.at_micros / 1_000_000);
        conn.prepare_cached(CHECKPOINT_UPSERT)?
            .execute(rusqlite::params![
                source,
                STREAM,
                format!("{{\"start_time\":{last}}}")
            ])?;
        conn.execute_batch("COMMIT")?;
    }
    let secs = started.elapsed().as_secs_f64();
    let stored: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM status_changes)",
        [],
        |r| r.get(0),
    )?;
    anyhow::ensure!(
        stored == events.len() as i64,
        "the floor stored {stored} events of {}",
        events.len()
    );
    Ok(secs)
}

/// One text-format `COPY` field: `\N` for none, else the text with COPY's escapes.
fn field(out: &mut String, v: Option<&str>) {
    match v {
        None => out.push_str("\\N"),
        Some(s) => {
            for ch in s.chars() {
                match ch {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

fn timestamp(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S%.6f+00")
        .to_string()
}

/// A page's `COPY` texts: messages, status changes, tickets to mark.
fn copy_texts(page: &[Event]) -> [String; 3] {
    let (mut m, mut s, mut d) = (String::new(), String::new(), String::new());
    for e in page {
        let at = timestamp(e.at_micros);
        let out = if e.message { &mut m } else { &mut s };
        field(out, Some(&e.id));
        out.push('\t');
        field(out, Some(&e.ticket));
        out.push('\t');
        if e.message {
            field(out, Some(&e.author_kind));
            out.push('\t');
            field(out, e.author_id.as_deref());
            let _ = writeln!(out, "\t{}\t{at}", if e.public { "t" } else { "f" });
        } else {
            field(out, e.from.as_deref());
            out.push('\t');
            field(out, Some(&e.to));
            out.push('\t');
            field(out, Some(&e.author_kind));
            out.push('\t');
            field(out, e.author_id.as_deref());
            let _ = writeln!(out, "\t{at}");
        }
    }
    for t in tickets_of(page) {
        field(&mut d, Some(t));
        d.push('\n');
    }
    [m, s, d]
}

/// Writes `events` into the emptied event tables of the Postgres store at `url`; returns
/// seconds.
async fn postgres_floor(
    url: &str,
    source: &str,
    events: &[Event],
    per_page: usize,
) -> anyhow::Result<f64> {
    // Over TCP each `COPY` waits out a delayed ACK (sqlx sends its data and its end as two
    // writes without `TCP_NODELAY`: 40 ms each, measured 144 ms a page). A local server's
    // Unix socket has no such wait, and no client can do better than it.
    let socket = Path::new("/var/run/postgresql");
    let url = if socket.exists() && (url.contains("@127.0.0.1") || url.contains("@localhost")) {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}host={}", socket.display())
    } else {
        url.to_owned()
    };
    let mut c = PgConnection::connect(&url).await?;
    sqlx::raw_sql(
        "TRUNCATE messages, status_changes, facts_dirty, checkpoints; \
         CREATE TEMP TABLE m_stage (external_id text, ticket_id text, author_kind text, \
           author_id text, is_public bool, created_at timestamptz) ON COMMIT DELETE ROWS; \
         CREATE TEMP TABLE s_stage (external_id text, ticket_id text, from_status text, \
           to_status text, author_kind text, author_id text, changed_at timestamptz) \
           ON COMMIT DELETE ROWS; \
         CREATE TEMP TABLE d_stage (ticket_id text) ON COMMIT DELETE ROWS; \
         CHECKPOINT",
    )
    .execute(&mut c)
    .await?;
    let pages: Vec<([String; 3], i64)> = events
        .chunks(per_page)
        .map(|p| {
            (
                copy_texts(p),
                p.last().map_or(0, |e| e.at_micros / 1_000_000),
            )
        })
        .collect();
    let messages = format!(
        "INSERT INTO messages (source, external_id, ticket_id, author_kind, author_id, \
         is_public, created_at) SELECT $1, external_id, ticket_id, author_kind, author_id, \
         is_public, created_at FROM m_stage {MESSAGES_ON_CONFLICT}"
    );
    let changes = format!(
        "INSERT INTO status_changes (source, external_id, ticket_id, from_status, to_status, \
         author_kind, author_id, changed_at) SELECT $1, external_id, ticket_id, from_status, \
         to_status, author_kind, author_id, changed_at FROM s_stage \
         {STATUS_CHANGES_ON_CONFLICT}"
    );
    let dirty = format!(
        "INSERT INTO facts_dirty (source, ticket_id) SELECT $1, ticket_id FROM d_stage \
         {FACTS_DIRTY_ON_CONFLICT}"
    );
    let started = Instant::now();
    for ([m, s, d], last) in &pages {
        let mut tx = c.begin().await?;
        for (copy_in, text) in [
            ("COPY m_stage FROM STDIN", m),
            ("COPY s_stage FROM STDIN", s),
            ("COPY d_stage FROM STDIN", d),
        ] {
            let mut copy = tx.copy_in_raw(copy_in).await?;
            copy.send(text.as_bytes()).await?;
            copy.finish().await?;
        }
        for sql in [messages.as_str(), changes.as_str(), dirty.as_str()] {
            sqlx::query(AssertSqlSafe(sql))
                .bind(source)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(CHECKPOINT_UPSERT)
            .bind(source)
            .bind(STREAM)
            .bind(serde_json::json!({ "start_time": last }))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let stored: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM status_changes)",
    )
    .fetch_one(&mut c)
    .await?;
    c.close().await?;
    anyhow::ensure!(
        stored == events.len() as i64,
        "the floor stored {stored} events of {}",
        events.len()
    );
    Ok(secs)
}

/// Measures the floor for the events the sync stored at `url` (SQLite: a fresh store next
/// to it; Postgres: the same database, its event tables emptied) and prints it against the
/// sync's own events stream (`pages`, `commit_secs`).
pub async fn run(
    postgres: bool,
    url: &str,
    dir: &Path,
    source: &str,
    tickets: u64,
    (pages, commit_secs): (u64, f64),
) -> anyhow::Result<()> {
    let events = read_events(url, source, postgres).await?;
    let per_page = events.len().div_ceil(pages.max(1) as usize).max(1);
    let secs = if postgres {
        postgres_floor(url, source, &events, per_page).await?
    } else {
        let path = dir.join("floor.db");
        deskpulse_storage::Store::open(&format!("sqlite://{}", path.display()))
            .await?
            .close()
            .await;
        sqlite_floor(&path, source, &events, per_page)?
    };
    println!(
        "FLOOR {}: {} event rows in {pages} pages of {per_page} written in {secs:.2} s \
         = {:.0} rows/s; {:.0} tickets/s for the events alone; the sync's events commit took \
         {commit_secs:.2} s ({:.2} x the floor)",
        if postgres { "postgres" } else { "sqlite" },
        events.len(),
        events.len() as f64 / secs,
        tickets as f64 / secs,
        commit_secs / secs
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(message: bool, id: &str, ticket: &str, author_id: Option<&str>) -> Event {
        Event {
            message,
            id: id.into(),
            ticket: ticket.into(),
            author_kind: "agent".into(),
            author_id: author_id.map(Into::into),
            public: true,
            from: None,
            to: if message {
                String::new()
            } else {
                "open".into()
            },
            at_micros: 1_700_000_000_123_456,
        }
    }

    /// COPY's text format: tab-separated, `\N` for none, backslash, tab and newlines escaped
    /// (a Postgres floor that mangled a row would fail its stored-count check or store
    /// something else than the sync did).
    #[test]
    fn copy_texts_escape_and_mark_each_ticket_once() {
        let page = [
            ev(true, "1", "7", Some("a\tb\\c\nd")),
            ev(false, "2", "7", None),
            ev(true, "3", "8", None),
        ];
        let [m, s, d] = copy_texts(&page);
        assert_eq!(
            m,
            "1\t7\tagent\ta\\tb\\\\c\\nd\tt\t2023-11-14 22:13:20.123456+00\n\
             3\t8\tagent\t\\N\tt\t2023-11-14 22:13:20.123456+00\n"
        );
        assert_eq!(
            s,
            "2\t7\t\\N\topen\tagent\t\\N\t2023-11-14 22:13:20.123456+00\n"
        );
        assert_eq!(d, "7\n8\n");
    }
}
