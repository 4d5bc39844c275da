//! How fresh and how final the data is (tables `stream_freshness` and `told_figures`, and
//! the `first_seen_at` of tickets and ratings).
//!
//! * **Freshness.** A sync registers its source's streams ([`Store::register_streams`]);
//!   the runner records each stream read to its end ([`Store::record_stream_complete`]: the
//!   run's start less the vendor's delay, never moving back) and each failure
//!   ([`Store::record_stream_failure`]: the error, and since when it has been failing).
//!   [`Store::freshness`] folds the streams into one line per source: a source is complete
//!   through the earliest of its streams, and a stream never read to its end makes it
//!   incomplete.
//!   A stream whose first sync read the recent window first keeps the window's start
//!   ([`Store::set_window_start`]) until its backfill reaches it: the source is complete
//!   only from the latest such start, and [`Store::opened_before_window`] counts a period's
//!   tickets whose early events the backfill has not read yet.
//! * **Told figures.** What a digest told a team about a period ([`Store::record_told_figures`])
//!   — by the digest of the period or by a later digest's restatement of it — so the next
//!   digest compares the period's figures now with what the team last read.
//! * **Late changes.** [`Store::late_changes`] counts a period's tickets and ratings that
//!   arrived, or tickets that went, after an instant: the causes a restatement names.

use crate::db::{Row, Time};
use crate::error::query;
use crate::{StorageError, Store};
use chrono::{DateTime, Utc};
use deskpulse_model::{LateChanges, SourceFreshness, ToldFigures};
use sqlx::types::Json;
use std::collections::BTreeMap;

/// One stream's row.
struct StreamRow {
    stream: String,
    complete_through: Option<DateTime<Utc>>,
    last_success_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    last_error_at: Option<DateTime<Utc>>,
    failing_since: Option<DateTime<Utc>>,
    complete_from: Option<DateTime<Utc>>,
}

impl Store {
    /// Makes `streams` the streams of `source`: the missing ones are added (incomplete until
    /// read to their end), those the connector no longer has are dropped. Called before a
    /// source's sync, so a first sync still running shows as incomplete.
    pub async fn register_streams(
        &self,
        source: &str,
        streams: &[&str],
    ) -> Result<(), StorageError> {
        let op = "registering a source's streams";
        let mut tx = self.begin().await.map_err(query(op))?;
        for stream in streams {
            tx.sql(
                "INSERT INTO stream_freshness (source, stream) VALUES ($1, $2) \
                 ON CONFLICT (source, stream) DO NOTHING",
            )
            .bind(source)
            .bind(*stream)
            .execute(&mut tx)
            .await
            .map_err(query(op))?;
        }
        let rows = tx
            .sql("SELECT stream FROM stream_freshness WHERE source = $1")
            .bind(source)
            .fetch_all(&mut tx)
            .await
            .map_err(query(op))?;
        for r in rows {
            let stream: String = r.get(0).map_err(query(op))?;
            if !streams.contains(&stream.as_str()) {
                tx.sql("DELETE FROM stream_freshness WHERE source = $1 AND stream = $2")
                    .bind(source)
                    .bind(&stream)
                    .execute(&mut tx)
                    .await
                    .map_err(query(op))?;
            }
        }
        tx.commit().await.map_err(query(op))
    }

    /// `stream` of `source` was read to its end: complete through `through` (kept if an
    /// earlier run reached further), succeeded at `at`, failing no more.
    pub async fn record_stream_complete(
        &self,
        source: &str,
        stream: &str,
        through: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.sql(
            "INSERT INTO stream_freshness (source, stream, complete_through, last_success_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (source, stream) DO UPDATE SET \
             complete_through = CASE WHEN stream_freshness.complete_through IS NULL \
             OR stream_freshness.complete_through < excluded.complete_through \
             THEN excluded.complete_through ELSE stream_freshness.complete_through END, \
             last_success_at = excluded.last_success_at, last_error = NULL, \
             last_error_at = NULL, failing_since = NULL",
        )
        .bind(source)
        .bind(stream)
        .bind(Time(through))
        .bind(Time(at))
        .execute(self)
        .await
        .map_err(query("recording a stream's freshness"))?;
        Ok(())
    }

    /// `stream` of `source` failed at `at` with `error` (scrubbed by the caller): failing
    /// since its first failure after its last success.
    pub async fn record_stream_failure(
        &self,
        source: &str,
        stream: &str,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.sql(
            "INSERT INTO stream_freshness (source, stream, last_error, last_error_at, \
             failing_since) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (source, stream) DO UPDATE \
             SET last_error = excluded.last_error, last_error_at = excluded.last_error_at, \
             failing_since = COALESCE(stream_freshness.failing_since, excluded.failing_since)",
        )
        .bind(source)
        .bind(stream)
        .bind(error)
        .bind(Time(at))
        .execute(self)
        .await
        .map_err(query("recording a stream's failure"))?;
        Ok(())
    }

    /// The start of the recent window `stream` of `source` read first, while the history
    /// before it is still to be backfilled (see [`deskpulse_connector::Leg`]).
    pub async fn window_start(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        let op = "reading a stream's window";
        let row = self
            .sql("SELECT complete_from FROM stream_freshness WHERE source = $1 AND stream = $2")
            .bind(source)
            .bind(stream)
            .fetch_optional(self)
            .await
            .map_err(query(op))?;
        match row {
            Some(r) => r.opt_time("stream_freshness", "complete_from", op),
            None => Ok(None),
        }
    }

    /// Records the window's start of `stream` (`Some`), or that its backfill reached it.
    pub async fn set_window_start(
        &self,
        source: &str,
        stream: &str,
        start: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        self.sql(
            "INSERT INTO stream_freshness (source, stream, complete_from) VALUES ($1, $2, $3) \
             ON CONFLICT (source, stream) DO UPDATE SET complete_from = excluded.complete_from",
        )
        .bind(source)
        .bind(stream)
        .bind(start.map(Time))
        .execute(self)
        .await
        .map_err(query("recording a stream's window"))?;
        Ok(())
    }

    /// How many of `source`'s tickets with activity in `[start, end)` (a message or a status
    /// change in it) were opened before `window_start`, so that their events before the
    /// window are not read yet: a period they are in is not complete until the backfill has
    /// read them. Counted from the stored events, not the derived facts: a reply whose
    /// question lies before the window gives no reply-time sample, yet the ticket's figures
    /// will change. Driven by the tickets updated since `start` (few, for a recent period).
    pub async fn opened_before_window(
        &self,
        source: &str,
        window_start: DateTime<Utc>,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<u64, StorageError> {
        // `NOT (created_at >= …)`: SQLite, which keeps no statistics here, could otherwise
        // walk the index of every ticket opened before the window instead of the few
        // updated since the period's start; a negation is no index range to it.
        let n: i64 = self
            .sql(
                "SELECT COUNT(*) FROM tickets t WHERE t.source = $1 AND t.updated_at >= $3 \
                 AND NOT (t.created_at >= $2) AND t.status NOT IN ('deleted', 'merged', 'spam') \
                 AND (EXISTS (SELECT 1 FROM messages m WHERE m.source = t.source \
                 AND m.ticket_id = t.external_id AND m.created_at >= $3 AND m.created_at < $4) \
                 OR EXISTS (SELECT 1 FROM status_changes c WHERE c.source = t.source \
                 AND c.ticket_id = t.external_id AND c.changed_at >= $3 AND c.changed_at < $4))",
            )
            .bind(source)
            .bind(Time(window_start))
            .bind(Time(start))
            .bind(Time(end))
            .scalar(self)
            .await
            .map_err(query("counting tickets opened before the window"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// [`Store::opened_before_window`] for each of `sources` (their [`Store::freshness`]
    /// lines), counted only where it decides the period `[start, end)`: a source with no
    /// window pending, or whose window began after `start` (the period is incomplete
    /// whatever the count), gets 0. The counts [`SourceFreshness::is_complete_for`] takes.
    pub async fn opened_before_windows(
        &self,
        sources: &[SourceFreshness],
        bounds: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<u64>, StorageError> {
        let mut out = Vec::with_capacity(sources.len());
        for f in sources {
            out.push(match f.complete_from {
                Some(from) if from <= bounds.0 => {
                    self.opened_before_window(&f.source, from, bounds).await?
                }
                _ => 0,
            });
        }
        Ok(out)
    }

    /// One line per source of `sources`, in their order (see the module docs).
    pub async fn freshness(
        &self,
        sources: &[String],
    ) -> Result<Vec<SourceFreshness>, StorageError> {
        let op = "reading data freshness";
        let mut out = Vec::with_capacity(sources.len());
        for source in sources {
            let rows = self
                .sql(
                    "SELECT stream, complete_through, last_success_at, last_error, \
                     last_error_at, failing_since, complete_from FROM stream_freshness \
                     WHERE source = $1 ORDER BY stream",
                )
                .bind(source)
                .fetch_all(self)
                .await
                .map_err(query(op))?;
            let streams = rows
                .iter()
                .map(|r| stream_row(r, op))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(fold(source, &streams));
        }
        Ok(out)
    }

    /// Records what a team was told about a period (replacing what it was told before).
    pub async fn record_told_figures(
        &self,
        team: &str,
        told: &ToldFigures,
    ) -> Result<(), StorageError> {
        self.sql(
            "INSERT INTO told_figures (team, period, told_at, figures) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (team, period) DO UPDATE SET told_at = excluded.told_at, \
             figures = excluded.figures",
        )
        .bind(team)
        .bind(&told.period)
        .bind(Time(told.told_at))
        .bind(Json(&told.values))
        .execute(self)
        .await
        .map_err(query("recording the figures a digest told"))?;
        Ok(())
    }

    /// What the team was last told about each of `periods` that it was told about.
    pub async fn told_figures(
        &self,
        team: &str,
        periods: &[String],
    ) -> Result<Vec<ToldFigures>, StorageError> {
        let op = "reading the figures digests told";
        let mut out = Vec::new();
        for period in periods {
            let row = self
                .sql("SELECT told_at, figures FROM told_figures WHERE team = $1 AND period = $2")
                .bind(team)
                .bind(period)
                .fetch_optional(self)
                .await
                .map_err(query(op))?;
            if let Some(r) = row {
                let Json(values): Json<BTreeMap<String, f64>> =
                    r.get("figures").map_err(query(op))?;
                out.push(ToldFigures {
                    period: period.clone(),
                    told_at: r.time("told_figures", "told_at", op)?,
                    values,
                });
            }
        }
        Ok(out)
    }

    /// What arrived or went after `since` among the tickets and ratings of `sources` created
    /// in `[start, end)` (see [`LateChanges`]). Rows stored before first-seen times were kept
    /// count as seen long ago.
    pub async fn late_changes(
        &self,
        sources: &[String],
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        since: DateTime<Utc>,
    ) -> Result<LateChanges, StorageError> {
        let op = "reading late changes";
        let mut out = LateChanges::default();
        for source in sources {
            let count = |sql: &'static str| {
                self.sql(sql)
                    .bind(source)
                    .bind(Time(start))
                    .bind(Time(end))
                    .bind(Time(since))
            };
            let late: i64 = count(
                "SELECT COUNT(*) FROM tickets WHERE source = $1 AND created_at >= $2 \
                 AND created_at < $3 AND first_seen_at > $4 \
                 AND status NOT IN ('deleted', 'merged', 'spam')",
            )
            .scalar(self)
            .await
            .map_err(query(op))?;
            let removed: i64 = count(
                "SELECT COUNT(*) FROM tickets WHERE source = $1 AND created_at >= $2 \
                 AND created_at < $3 AND (first_seen_at IS NULL OR first_seen_at <= $4) \
                 AND (removed_seen_at > $4 OR missing_since > $4)",
            )
            .scalar(self)
            .await
            .map_err(query(op))?;
            let ratings: i64 = count(
                "SELECT COUNT(*) FROM ratings WHERE source = $1 AND created_at >= $2 \
                 AND created_at < $3 AND first_seen_at > $4",
            )
            .scalar(self)
            .await
            .map_err(query(op))?;
            out.late_tickets += u64::try_from(late).unwrap_or(0);
            out.removed_tickets += u64::try_from(removed).unwrap_or(0);
            out.late_ratings += u64::try_from(ratings).unwrap_or(0);
        }
        Ok(out)
    }
}

fn stream_row(r: &Row, op: &'static str) -> Result<StreamRow, StorageError> {
    const T: &str = "stream_freshness";
    Ok(StreamRow {
        stream: r.get("stream").map_err(query(op))?,
        complete_through: r.opt_time(T, "complete_through", op)?,
        last_success_at: r.opt_time(T, "last_success_at", op)?,
        last_error: r.get("last_error").map_err(query(op))?,
        last_error_at: r.opt_time(T, "last_error_at", op)?,
        failing_since: r.opt_time(T, "failing_since", op)?,
        complete_from: r.opt_time(T, "complete_from", op)?,
    })
}

/// A source's line from its streams' rows.
fn fold(source: &str, streams: &[StreamRow]) -> SourceFreshness {
    if streams.is_empty() {
        return SourceFreshness::never_synced(source);
    }
    // The earliest of every stream's value, or None as soon as one has none.
    let all_min = |f: fn(&StreamRow) -> Option<DateTime<Utc>>| {
        streams
            .iter()
            .map(f)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .min()
    };
    let failing: Vec<&StreamRow> = streams
        .iter()
        .filter(|s| s.failing_since.is_some())
        .collect();
    SourceFreshness {
        source: source.to_owned(),
        complete_through: all_min(|s| s.complete_through),
        last_success_at: all_min(|s| s.last_success_at),
        last_error: failing
            .iter()
            .max_by_key(|s| s.last_error_at)
            .and_then(|s| s.last_error.clone()),
        failing_since: failing.iter().filter_map(|s| s.failing_since).min(),
        incomplete_streams: streams
            .iter()
            .filter(|s| s.complete_through.is_none())
            .map(|s| s.stream.clone())
            .collect(),
        complete_from: streams.iter().filter_map(|s| s.complete_from).max(),
        backfilling_streams: streams
            .iter()
            .filter(|s| s.complete_from.is_some())
            .map(|s| s.stream.clone())
            .collect(),
    }
}
