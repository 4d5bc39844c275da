//! Keeping `ticket_facts` and `open_spans` up to date (see `facts.rs` for what they hold):
//! the marked tickets derived again after a sync and before every report read, and a
//! rebuild of all of them when the derivation changed.

use crate::db::{Bulk, History, Time, Tx};
use crate::error::query;
use crate::facts::{FACTS_VERSION, encode as encode_facts, replied_range};
use crate::rows::{agent, assemble_json};
use crate::{StorageError, Store};
use deskpulse_metrics::{AgentIndex, AgentInput};
use std::collections::BTreeMap;

/// Tickets marked for a refresh from which Postgres analyzes the tables first.
const ANALYZE_AFTER: i64 = 20_000;

impl Store {
    /// Derives again the facts of every ticket a batch marked out of date since the last
    /// refresh, and returns how many. A sync calls it when its streams are done (a ticket
    /// touched by many pages is derived once); every report load calls it first, so a
    /// report never reads stale facts, whoever synced.
    ///
    /// Works in transactions of up to 2,000 tickets, each under its source's facts lock, and
    /// stops after as many tickets as were marked when it started, so a sync marking more
    /// meanwhile cannot keep it going.
    pub async fn refresh_facts(&self) -> Result<u64, StorageError> {
        let op = "refreshing ticket facts";
        let marked: i64 = self
            .sql("SELECT COUNT(*) FROM facts_dirty")
            .scalar(self)
            .await
            .map_err(query(op))?;
        if marked >= ANALYZE_AFTER && self.dialect() == crate::db::Dialect::Postgres {
            // A big refresh (a first sync's) reads by ticket from tables that just grew by
            // millions of rows no ANALYZE has seen: Postgres's first plans of each statement
            // then scan whole tables (1.5 s a chunk at 300k tickets). Fresh statistics first.
            self.sql("ANALYZE tickets, messages, status_changes, ticket_facts, open_spans")
                .execute(self)
                .await
                .map_err(query("analyzing the tables before a big facts refresh"))?;
        }
        let mut done = 0u64;
        // Each chunk starts after the last one's keys: the marks a chunk clears stay in
        // Postgres's index as dead entries until a vacuum, and a scan from the start walked
        // over all of them again (2,995 index pages a chunk after 600k cleared marks,
        // against 531 for the first).
        let mut after = (String::new(), String::new());
        while done < u64::try_from(marked).unwrap_or(0) {
            let rows = self
                .sql(
                    "SELECT source, ticket_id FROM facts_dirty \
                     WHERE (source, ticket_id) > ($1, $2) \
                     ORDER BY source, ticket_id LIMIT 2000",
                )
                .bind(&after.0)
                .bind(&after.1)
                .fetch_all(self)
                .await
                .map_err(query(op))?;
            if rows.is_empty() {
                break;
            }
            let mut by_source: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for r in rows {
                let (source, id) = (r.get(0).map_err(query(op))?, r.get(1).map_err(query(op))?);
                by_source.entry(source).or_default().push(id);
            }
            // The rows came in key order: the next chunk starts after the last one.
            if let Some((source, ids)) = by_source.last_key_value() {
                after = (source.clone(), ids.last().cloned().unwrap_or_default());
            }
            for (source, ids) in &by_source {
                refresh_committed(self, source, ids, true).await?;
                done += ids.len() as u64;
            }
        }
        Ok(done)
    }

    /// Drops the derived ticket facts and derives them again from the stored tickets,
    /// messages, status changes and agents; returns the number of tickets. `open` does this
    /// by itself when the code's derivation changed; this is for an operator who wants to
    /// be sure (the result is the same either way).
    pub async fn rebuild_facts(&self) -> Result<u64, StorageError> {
        let op = "dropping ticket facts";
        for sql in [
            "DELETE FROM meta WHERE key = 'facts_version'",
            "DELETE FROM ticket_facts",
            "DELETE FROM open_spans",
            "DELETE FROM facts_dirty",
        ] {
            self.sql(sql).execute(self).await.map_err(query(op))?;
        }
        rebuild_facts_if_needed(self).await
    }
}

/// Re-derives the facts of the tickets `ids` of `source` from what `tx` sees now and
/// replaces their `ticket_facts` and `open_spans` rows. A ticket not stored (its messages
/// came first) gets no row until it arrives.
async fn refresh_facts(tx: &mut Tx, source: &str, ids: &[String]) -> Result<(), StorageError> {
    if ids.is_empty() {
        return Ok(());
    }
    let op = "refreshing ticket facts";
    let rows = tx
        .sql("SELECT * FROM agents WHERE source = $1")
        .bind(source)
        .fetch_all(&mut *tx)
        .await
        .map_err(query(op))?;
    let agents = rows
        .iter()
        .map(|r| agent(r).map(|(source, agent)| AgentInput { source, agent }))
        .collect::<Result<Vec<_>, _>>()?;
    let index = AgentIndex::new(&agents);

    let dialect = tx.dialect();
    for chunk in ids.chunks(1000) {
        // Messages and status changes come as one text each: fetched row by row, the
        // driver's per-row hand-offs and allocations were most of a refresh's time.
        let tickets = assemble_json(
            source,
            &dialect
                .rows_keyed("tickets", "external_id", source, chunk)
                .fetch_all(&mut *tx)
                .await
                .map_err(query(op))?,
            dialect
                .history_json(History::Messages, source, chunk)
                .scalar::<Option<String>>(&mut *tx)
                .await
                .map_err(query(op))?
                .as_deref(),
            dialect
                .history_json(History::StatusChanges, source, chunk)
                .scalar::<Option<String>>(&mut *tx)
                .await
                .map_err(query(op))?
                .as_deref(),
        )?;
        let mut facts: Vec<_> = tickets
            .values()
            .map(|t| deskpulse_metrics::derive_facts(t, &index))
            .collect();
        facts.sort_by(|a, b| a.ticket_id.cmp(&b.ticket_id));

        for table in ["ticket_facts", "open_spans"] {
            dialect
                .delete_keyed(table, source, chunk)
                .execute(&mut *tx)
                .await
                .map_err(query(op))?;
        }
        let replied: Vec<_> = facts.iter().map(replied_range).collect();
        let encoded: Vec<String> = facts.iter().map(encode_facts).collect();
        Bulk::new("ticket_facts", source, facts.len())
            .text("ticket_id", facts.iter().map(|f| f.ticket_id.as_str()))
            .bool("excluded", facts.iter().map(|f| Some(f.excluded)))
            .time("created_at", facts.iter().map(|f| Some(Time(f.created_at))))
            .time(
                "final_solved_at",
                facts.iter().map(|f| f.final_solved_at.map(Time)),
            )
            .time("first_replied_at", replied.iter().map(|r| r.0.map(Time)))
            .time("last_replied_at", replied.iter().map(|r| r.1.map(Time)))
            .text("data", encoded.iter().map(String::as_str))
            .insert(tx, "", op)
            .await?;
        let spans: Vec<(&str, _)> = facts
            .iter()
            .flat_map(|f| f.open_spans.iter().map(move |s| (f.ticket_id.as_str(), s)))
            .collect();
        Bulk::new("open_spans", source, spans.len())
            .text("ticket_id", spans.iter().map(|(id, _)| *id))
            .time("opened_at", spans.iter().map(|(_, s)| Some(Time(s.from))))
            .time("closed_at", spans.iter().map(|(_, s)| s.until.map(Time)))
            .insert(tx, "", op)
            .await?;
    }
    Ok(())
}

/// `refresh_facts` of `ids` in a transaction of its own under the source's facts lock,
/// clearing their marks with it when `clear_marks`.
async fn refresh_committed(
    store: &Store,
    source: &str,
    ids: &[String],
    clear_marks: bool,
) -> Result<(), StorageError> {
    let op = "refreshing ticket facts";
    let mut tx = store
        .begin()
        .await
        .map_err(query("starting a transaction"))?;
    tx.replayable().await?;
    tx.lock_facts(source).await?;
    refresh_facts(&mut tx, source, ids).await?;
    if clear_marks {
        tx.dialect()
            .delete_keyed("facts_dirty", source, ids)
            .execute(&mut tx)
            .await
            .map_err(query(op))?;
    }
    tx.commit().await.map_err(query(op))
}

/// Brings `ticket_facts` and `open_spans` up to [`FACTS_VERSION`]: after the migration
/// that created them, or when the derivation changed. Each chunk of tickets is its own
/// transaction under the source's facts lock, so syncs can run meanwhile and a killed
/// rebuild simply starts again on the next open.
pub(crate) async fn rebuild_facts_if_needed(store: &Store) -> Result<u64, StorageError> {
    let op = "rebuilding ticket facts";
    let version: Option<String> = store
        .sql("SELECT value FROM meta WHERE key = 'facts_version'")
        .optional_scalar(store)
        .await
        .map_err(query(op))?;
    if version.as_deref() == Some(FACTS_VERSION) {
        return Ok(0);
    }
    let sources = store
        .sql("SELECT DISTINCT source FROM tickets")
        .fetch_all(store)
        .await
        .map_err(query(op))?
        .iter()
        .map(|r| r.get(0).map_err(query(op)))
        .collect::<Result<Vec<String>, _>>()?;
    let mut done = 0u64;
    for source in &sources {
        let mut after = String::new();
        loop {
            let ids = store
                .sql(
                    "SELECT external_id FROM tickets WHERE source = $1 AND external_id > $2 \
                     ORDER BY external_id LIMIT 2000",
                )
                .bind(source)
                .bind(&after)
                .fetch_all(store)
                .await
                .map_err(query(op))?
                .iter()
                .map(|r| r.get(0).map_err(query(op)))
                .collect::<Result<Vec<String>, _>>()?;
            let Some(last) = ids.last() else { break };
            after = last.clone();
            refresh_committed(store, source, &ids, false).await?;
            done += ids.len() as u64;
            if done % 100_000 < 2000 {
                tracing::info!(tickets = done, "rebuilding ticket facts");
            }
        }
    }
    store
        .sql(
            "INSERT INTO meta (key, value) VALUES ('facts_version', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(FACTS_VERSION)
        .execute(store)
        .await
        .map_err(query(op))?;
    Ok(done)
}
