//! Batch commits: every record of a batch and its checkpoint in one transaction, each an
//! idempotent upsert keyed by `(source, external_id)`; the tickets whose facts the batch can
//! have changed are marked (`facts_dirty`) in the same transaction.

use crate::db::{Bulk, PARAMS_PER_STATEMENT, Time, Tx};
use crate::error::query;
use crate::secret::{hash_email, install_secret};
use crate::{StorageError, Store};
use chrono::{DateTime, Utc};
use deskpulse_model::{
    Agent, Batch, Checkpoint, Customer, Message, Rating, RatingSnapshot, Record, Review,
    SocialInteraction, SocialStat, StatusChange, StatusHistory, Ticket, TicketRoster,
    VendorMetrics,
};
use sqlx::types::Json;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;

mod public;
use public::{write_interactions, write_rating_snapshots, write_reviews, write_social_stats};

impl Store {
    /// The last committed checkpoint of `(source, stream)`, if any.
    pub async fn checkpoint(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<Checkpoint>, StorageError> {
        let value: Option<Json<serde_json::Value>> = self
            .sql("SELECT value FROM checkpoints WHERE source = $1 AND stream = $2")
            .bind(source)
            .bind(stream)
            .optional_scalar(self)
            .await
            .map_err(query("reading a checkpoint"))?;
        Ok(value.map(|Json(v)| Checkpoint::new(v)))
    }

    /// Upserts every record of `batch` and its checkpoint in one transaction: all or nothing.
    /// Within a batch the last version of a record wins; a stored ticket is only replaced by
    /// one whose `updated_at` is not older, so replaying an old page never undoes a newer one.
    pub async fn commit_batch(
        &self,
        source: &str,
        stream: &str,
        batch: &Batch,
    ) -> Result<(), StorageError> {
        let parts = Parts::split(&batch.records)?;
        commit(self, source, stream, &parts, &batch.checkpoint).await
    }
}

/// A batch's records sorted by table, one version per key.
struct Parts<'a> {
    tickets: Vec<&'a Ticket>,
    messages: Vec<&'a Message>,
    status_changes: Vec<&'a StatusChange>,
    agents: Vec<&'a Agent>,
    ratings: Vec<&'a Rating>,
    reviews: Vec<&'a Review>,
    social_stats: Vec<&'a SocialStat>,
    rating_snapshots: Vec<&'a RatingSnapshot>,
    interactions: Vec<&'a SocialInteraction>,
    customers: Vec<&'a Customer>,
    /// Tickets whose whole status history the batch replaces (their stored changes are
    /// deleted first; the new ones are in `status_changes`).
    replaced_histories: Vec<&'a str>,
    vendor_metrics: Vec<&'a VendorMetrics>,
    rosters: Vec<&'a TicketRoster>,
}

impl<'a> Parts<'a> {
    fn split(records: &'a [Record]) -> Result<Self, StorageError> {
        let mut p = Parts {
            tickets: Vec::new(),
            messages: Vec::new(),
            status_changes: Vec::new(),
            agents: Vec::new(),
            ratings: Vec::new(),
            reviews: Vec::new(),
            social_stats: Vec::new(),
            rating_snapshots: Vec::new(),
            interactions: Vec::new(),
            customers: Vec::new(),
            replaced_histories: Vec::new(),
            vendor_metrics: Vec::new(),
            rosters: Vec::new(),
        };
        for r in records {
            match r {
                Record::Ticket(t) => p.tickets.push(t),
                Record::Message(m) => p.messages.push(m),
                Record::StatusChange(s) => p.status_changes.push(s),
                Record::Agent(a) => p.agents.push(a),
                Record::Rating(r) => {
                    finite("rating score", &r.external_id, r.score)?;
                    finite("rating scale min", &r.external_id, r.scale.min)?;
                    finite("rating scale max", &r.external_id, r.scale.max)?;
                    p.ratings.push(r)
                }
                Record::Review(r) => {
                    finite("review rating", &r.external_id, r.rating)?;
                    p.reviews.push(r)
                }
                Record::RatingSnapshot(r) => {
                    if let Some(v) = r.overall_rating {
                        finite("overall rating", &r.account, v)?;
                    }
                    p.rating_snapshots.push(r)
                }
                Record::SocialInteraction(i) => p.interactions.push(i),
                Record::SocialStat(s) => {
                    finite("social stat value", &s.account, s.value)?;
                    p.social_stats.push(s)
                }
                // Hashed (and the address dropped) inside the write transaction.
                Record::Customer(c) => p.customers.push(c),
                Record::StatusHistory(h) => {
                    history_of_one_ticket(h)?;
                    p.replaced_histories.push(&h.ticket_id);
                    // After any loose change of the same batch, so the history wins.
                    p.status_changes.extend(h.changes.iter());
                }
                Record::VendorMetrics(v) => p.vendor_metrics.push(v),
                Record::TicketRoster(r) => p.rosters.push(r),
            }
        }
        // Postgres refuses to upsert one key twice in a statement; the newest version wins.
        p.tickets.sort_by_key(|t| t.updated_at);
        p.tickets = last_wins(p.tickets, |t| &t.external_id);
        p.messages = last_wins(p.messages, |m| &m.external_id);
        p.status_changes = last_wins(p.status_changes, |s| &s.external_id);
        p.agents = last_wins(p.agents, |a| &a.external_id);
        p.ratings = last_wins(p.ratings, |r| &r.external_id);
        p.reviews = last_wins(p.reviews, |r| (&r.platform, &r.external_id));
        p.customers = last_wins(p.customers, |c| &c.external_id);
        p.interactions = last_wins(p.interactions, |i| (&i.platform, &i.external_id));
        // One per day: the day's last observation wins.
        p.rating_snapshots.sort_by_key(|r| r.observed_at);
        p.rating_snapshots = last_wins(p.rating_snapshots, |r| (&r.platform, &r.account, r.day()));
        p.replaced_histories.sort_unstable();
        p.replaced_histories.dedup();
        p.vendor_metrics.sort_by_key(|v| v.updated_at);
        p.vendor_metrics = last_wins(p.vendor_metrics, |v| &v.ticket_id);
        p.social_stats = last_wins(p.social_stats, |s| {
            (
                &s.platform,
                &s.account,
                s.metric,
                s.observed_at.timestamp_micros(),
            )
        });
        Ok(p)
    }
}

/// Keeps the last item of each key, in order of those last occurrences.
pub(crate) fn last_wins<'a, T, K: Hash + Eq>(
    items: Vec<&'a T>,
    key: impl Fn(&'a T) -> K,
) -> Vec<&'a T> {
    let mut seen = HashSet::with_capacity(items.len());
    let mut out: Vec<&'a T> = items
        .into_iter()
        .rev()
        .filter(|t| seen.insert(key(t)))
        .collect();
    out.reverse();
    out
}

/// A replaced history must not reach into another ticket's rows.
fn history_of_one_ticket(h: &StatusHistory) -> Result<(), StorageError> {
    match h.changes.iter().find(|c| c.ticket_id != h.ticket_id) {
        None => Ok(()),
        Some(c) => Err(StorageError::Invalid {
            what: "status history".into(),
            reason: format!(
                "change {} belongs to ticket {}, not to ticket {} whose history it is in",
                c.external_id, c.ticket_id, h.ticket_id
            ),
        }),
    }
}

/// NaN would become NULL in SQLite but stay NaN in Postgres: refuse it on both.
fn finite(what: &str, id: &str, v: f64) -> Result<(), StorageError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(StorageError::Invalid {
            what: format!("{what} of {id:?}"),
            reason: format!("{v} is not a finite number"),
        })
    }
}

async fn commit(
    store: &Store,
    source: &str,
    stream: &str,
    p: &Parts<'_>,
    cp: &Checkpoint,
) -> Result<(), StorageError> {
    let mut tx = store
        .begin()
        .await
        .map_err(query("starting a transaction"))?;
    tx.replayable().await?;
    tx.lock_facts(source).await?;
    let changed_agents = changed_agents(&mut tx, source, &p.agents).await?;

    write_tickets(&mut tx, source, &p.tickets).await?;
    write_messages(&mut tx, source, &p.messages).await?;
    // A replaced history: the ticket's stored changes go, its new ones follow below.
    delete_histories(&mut tx, source, &p.replaced_histories).await?;
    write_status_changes(&mut tx, source, &p.status_changes).await?;
    write_agents(&mut tx, source, &p.agents).await?;
    write_ratings(&mut tx, source, &p.ratings).await?;
    write_reviews(&mut tx, source, &p.reviews).await?;
    write_social_stats(&mut tx, source, &p.social_stats).await?;
    write_rating_snapshots(&mut tx, source, &p.rating_snapshots).await?;
    write_interactions(&mut tx, source, &p.interactions).await?;
    write_customers(&mut tx, source, &p.customers).await?;
    write_vendor_metrics(&mut tx, source, &p.vendor_metrics).await?;

    let mut swept: Vec<String> = Vec::new();
    for roster in &p.rosters {
        swept.extend(apply_roster(&mut tx, source, roster).await?);
    }

    // Every ticket whose facts this batch can have changed is marked, with the batch: a
    // ticket spread over many pages (its events) is derived once, by the refresh.
    let mut touched: BTreeSet<String> = BTreeSet::new();
    touched.extend(p.tickets.iter().map(|t| t.external_id.clone()));
    touched.extend(p.messages.iter().map(|m| m.ticket_id.clone()));
    touched.extend(p.status_changes.iter().map(|c| c.ticket_id.clone()));
    touched.extend(written_by(&mut tx, source, &changed_agents).await?);
    touched.extend(swept);
    let touched: Vec<String> = touched.into_iter().collect();
    mark_dirty(&mut tx, source, &touched).await?;

    tx.sql(CHECKPOINT_UPSERT)
        .bind(source)
        .bind(stream)
        .bind(Json(cp.value()))
        .execute(&mut tx)
        .await
        .map_err(query("writing the checkpoint"))?;

    tx.commit().await.map_err(query("committing a batch"))
}

/// Upserts `rows` (writing tickets).
async fn write_tickets(tx: &mut Tx, source: &str, rows: &[&Ticket]) -> Result<(), StorageError> {
    // First stored now: a later upsert keeps it (a restatement names late arrivals).
    let now = Time(chrono::Utc::now());
    let time = |f: fn(&Ticket) -> Option<DateTime<Utc>>| rows.iter().map(move |t| f(t).map(Time));
    let text = |f: fn(&Ticket) -> Option<&str>| rows.iter().map(move |t| f(t));
    Bulk::new("tickets", source, rows.len())
        .text("external_id", rows.iter().map(|t| t.external_id.as_str()))
        .text("channel", rows.iter().map(|t| t.channel.as_str()))
        .text("status", rows.iter().map(|t| t.status.as_str()))
        .time("created_at", time(|t| Some(t.created_at)))
        .time("updated_at", time(|t| Some(t.updated_at)))
        .time("first_solved_at", time(|t| t.first_solved_at))
        .time("final_solved_at", time(|t| t.final_solved_at))
        .int("reopens", rows.iter().map(|t| t.reopens.map(i64::from)))
        .bool("opened_by_agent", rows.iter().map(|t| t.opened_by_agent))
        .opt_text("requester_id", text(|t| t.requester_id.as_deref()))
        .opt_text("assignee_id", text(|t| t.assignee_id.as_deref()))
        .opt_text("group_id", text(|t| t.group_id.as_deref()))
        .json("tags", rows.iter().map(|t| json_text(&t.tags)))
        .opt_text("priority", text(|t| t.priority.as_deref()))
        .time("first_seen_at", rows.iter().map(|_| Some(now)))
        // An older version (replayed page) never overwrites a newer one.
        .insert(
            tx,
            "ON CONFLICT (source, external_id) DO UPDATE SET channel = excluded.channel, \
             status = excluded.status, created_at = excluded.created_at, \
             updated_at = excluded.updated_at, first_solved_at = excluded.first_solved_at, \
             final_solved_at = excluded.final_solved_at, reopens = excluded.reopens, \
             opened_by_agent = excluded.opened_by_agent, \
             requester_id = excluded.requester_id, assignee_id = excluded.assignee_id, \
             group_id = excluded.group_id, tags = excluded.tags, \
             priority = excluded.priority, missing_since = NULL, \
             removed_seen_at = CASE WHEN tickets.status IN ('deleted', 'merged', 'spam') \
             THEN tickets.removed_seen_at WHEN excluded.status IN ('deleted', 'merged', 'spam') \
             THEN excluded.first_seen_at END \
             WHERE excluded.updated_at >= tickets.updated_at",
            "writing tickets",
        )
        .await
}

/// A list of texts as JSON, as `sqlx::types::Json` would bind it.
fn json_text(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

/// The conflict clause of the messages upsert.
pub const MESSAGES_ON_CONFLICT: &str = "ON CONFLICT (source, external_id) DO UPDATE SET \
     ticket_id = excluded.ticket_id, author_kind = excluded.author_kind, \
     author_id = excluded.author_id, is_public = excluded.is_public, \
     created_at = excluded.created_at";

/// The conflict clause of the status changes upsert.
pub const STATUS_CHANGES_ON_CONFLICT: &str = "ON CONFLICT (source, external_id) DO UPDATE SET \
     ticket_id = excluded.ticket_id, from_status = excluded.from_status, \
     to_status = excluded.to_status, author_kind = excluded.author_kind, \
     author_id = excluded.author_id, changed_at = excluded.changed_at";

/// The conflict clause of a facts mark: a ticket marked twice is marked.
pub const FACTS_DIRTY_ON_CONFLICT: &str = "ON CONFLICT (source, ticket_id) DO NOTHING";

/// A stream's checkpoint (`$1` source, `$2` stream, `$3` value), written with its page.
pub const CHECKPOINT_UPSERT: &str = "INSERT INTO checkpoints (source, stream, value) \
     VALUES ($1, $2, $3) ON CONFLICT (source, stream) DO UPDATE SET value = excluded.value";

/// Upserts `rows` (writing messages).
async fn write_messages(tx: &mut Tx, source: &str, rows: &[&Message]) -> Result<(), StorageError> {
    Bulk::new("messages", source, rows.len())
        .text("external_id", rows.iter().map(|m| m.external_id.as_str()))
        .text("ticket_id", rows.iter().map(|m| m.ticket_id.as_str()))
        .text("author_kind", rows.iter().map(|m| m.author_kind.as_str()))
        .opt_text("author_id", rows.iter().map(|m| m.author_id.as_deref()))
        .bool("is_public", rows.iter().map(|m| Some(m.public)))
        .time("created_at", rows.iter().map(|m| Some(Time(m.created_at))))
        .insert(tx, MESSAGES_ON_CONFLICT, "writing messages")
        .await
}

/// Upserts `rows` (writing status changes).
async fn write_status_changes(
    tx: &mut Tx,
    source: &str,
    rows: &[&StatusChange],
) -> Result<(), StorageError> {
    Bulk::new("status_changes", source, rows.len())
        .text("external_id", rows.iter().map(|c| c.external_id.as_str()))
        .text("ticket_id", rows.iter().map(|c| c.ticket_id.as_str()))
        .opt_text(
            "from_status",
            rows.iter().map(|c| c.from.map(|f| f.as_str())),
        )
        .text("to_status", rows.iter().map(|c| c.to.as_str()))
        .text("author_kind", rows.iter().map(|c| c.author_kind.as_str()))
        .opt_text("author_id", rows.iter().map(|c| c.author_id.as_deref()))
        .time("changed_at", rows.iter().map(|c| Some(Time(c.at))))
        .insert(tx, STATUS_CHANGES_ON_CONFLICT, "writing status changes")
        .await
}

/// Upserts `rows` (writing agents).
async fn write_agents(tx: &mut Tx, source: &str, rows: &[&Agent]) -> Result<(), StorageError> {
    Bulk::new("agents", source, rows.len())
        .text("external_id", rows.iter().map(|a| a.external_id.as_str()))
        .text("name", rows.iter().map(|a| a.name.as_str()))
        .bool("is_bot", rows.iter().map(|a| Some(a.is_bot)))
        .insert(
            tx,
            "ON CONFLICT (source, external_id) DO UPDATE SET name = excluded.name, \
             is_bot = excluded.is_bot",
            "writing agents",
        )
        .await
}

/// Upserts `rows` (writing ratings).
async fn write_ratings(tx: &mut Tx, source: &str, rows: &[&Rating]) -> Result<(), StorageError> {
    let now = Time(chrono::Utc::now());
    Bulk::new("ratings", source, rows.len())
        .text("external_id", rows.iter().map(|r| r.external_id.as_str()))
        .text("kind", rows.iter().map(|r| r.kind.as_str()))
        .real("score", rows.iter().map(|r| Some(r.score)))
        .real("scale_min", rows.iter().map(|r| Some(r.scale.min)))
        .real("scale_max", rows.iter().map(|r| Some(r.scale.max)))
        .opt_text("ticket_id", rows.iter().map(|r| r.ticket_id.as_deref()))
        .opt_text("agent_id", rows.iter().map(|r| r.agent_id.as_deref()))
        .opt_text("comment", rows.iter().map(|r| r.comment.as_deref()))
        .time("created_at", rows.iter().map(|r| Some(Time(r.created_at))))
        .time("first_seen_at", rows.iter().map(|_| Some(now)))
        .insert(
            tx,
            "ON CONFLICT (source, external_id) DO UPDATE SET kind = excluded.kind, \
             score = excluded.score, scale_min = excluded.scale_min, \
             scale_max = excluded.scale_max, ticket_id = excluded.ticket_id, \
             agent_id = excluded.agent_id, comment = excluded.comment, \
             created_at = excluded.created_at",
            "writing ratings",
        )
        .await
}

/// Upserts `rows` (writing vendor metrics).
async fn write_vendor_metrics(
    tx: &mut Tx,
    source: &str,
    rows: &[&VendorMetrics],
) -> Result<(), StorageError> {
    type Seconds = fn(&VendorMetrics) -> Option<i64>;
    let durations: [(&'static str, Seconds); 6] = [
        ("first_response_seconds", |v| {
            v.first_response.calendar_seconds
        }),
        ("first_response_business_seconds", |v| {
            v.first_response.business_seconds
        }),
        ("first_resolution_seconds", |v| {
            v.first_resolution.calendar_seconds
        }),
        ("first_resolution_business_seconds", |v| {
            v.first_resolution.business_seconds
        }),
        ("full_resolution_seconds", |v| {
            v.full_resolution.calendar_seconds
        }),
        ("full_resolution_business_seconds", |v| {
            v.full_resolution.business_seconds
        }),
    ];
    let secs = |f: Seconds| rows.iter().map(move |v| f(v));
    let mut bulk = Bulk::new("vendor_metrics", source, rows.len())
        .text("ticket_id", rows.iter().map(|v| v.ticket_id.as_str()))
        .time("updated_at", rows.iter().map(|v| Some(Time(v.updated_at))));
    for (name, f) in durations {
        bulk = bulk.int(name, secs(f));
    }
    bulk.int("reopens", secs(|v| v.reopens.map(i64::from)))
        .int("replies", secs(|v| v.replies.map(i64::from)))
        .insert(
            tx,
            "ON CONFLICT (source, ticket_id) DO UPDATE SET updated_at = excluded.updated_at, \
             first_response_seconds = excluded.first_response_seconds, \
             first_response_business_seconds = excluded.first_response_business_seconds, \
             first_resolution_seconds = excluded.first_resolution_seconds, \
             first_resolution_business_seconds = excluded.first_resolution_business_seconds, \
             full_resolution_seconds = excluded.full_resolution_seconds, \
             full_resolution_business_seconds = excluded.full_resolution_business_seconds, \
             reopens = excluded.reopens, replies = excluded.replies \
             WHERE excluded.updated_at >= vendor_metrics.updated_at",
            "writing vendor metrics",
        )
        .await
}

/// Upserts `rows` (customers), each e-mail address replaced by its keyed hash.
async fn write_customers(
    tx: &mut Tx,
    source: &str,
    rows: &[&Customer],
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let secret = install_secret(tx).await?;
    // The plain address goes no further than this line.
    let hashed: Vec<(&str, Option<String>)> = rows
        .iter()
        .map(|c| {
            let email = c.email.as_deref().filter(|e| !e.trim().is_empty());
            (
                c.external_id.as_str(),
                email.map(|e| hash_email(&secret, e)),
            )
        })
        .collect();
    Bulk::new("customers", source, hashed.len())
        .text("external_id", hashed.iter().map(|(id, _)| *id))
        .opt_text("email_hash", hashed.iter().map(|(_, h)| h.as_deref()))
        .insert(
            tx,
            "ON CONFLICT (source, external_id) DO UPDATE SET email_hash = excluded.email_hash",
            "writing customers",
        )
        .await
}

/// Deletes the stored status changes of the tickets whose whole history a batch replaces.
async fn delete_histories(tx: &mut Tx, source: &str, tickets: &[&str]) -> Result<(), StorageError> {
    for chunk in tickets.chunks(PARAMS_PER_STATEMENT - 1) {
        let ids: Vec<String> = chunk.iter().map(|id| (*id).to_owned()).collect();
        tx.dialect()
            .delete_keyed("status_changes", source, &ids)
            .execute(&mut *tx)
            .await
            .map_err(query("replacing status histories"))?;
    }
    Ok(())
}

/// Marks `tickets` for the facts refresh.
async fn mark_dirty(tx: &mut Tx, source: &str, tickets: &[String]) -> Result<(), StorageError> {
    Bulk::new("facts_dirty", source, tickets.len())
        .text("ticket_id", tickets.iter().map(String::as_str))
        .insert(tx, FACTS_DIRTY_ON_CONFLICT, "marking ticket facts")
        .await
}

/// Records a page of an id sweep; when it is the sweep's last page, marks the tickets the
/// sweep did not find as missing (and those it found again as present) and returns the ids
/// whose state changed, so their facts are derived again.
async fn apply_roster(
    tx: &mut Tx,
    source: &str,
    r: &TicketRoster,
) -> Result<Vec<String>, StorageError> {
    let op = "recording a sweep of ticket ids";
    let sweep = Time(r.sweep_started_at);
    // Pages of an earlier, unfinished sweep are stale: a new sweep starts over.
    tx.sql("DELETE FROM roster_seen WHERE source = $1 AND sweep_started_at <> $2")
        .bind(source)
        .bind(sweep)
        .execute(&mut *tx)
        .await
        .map_err(query(op))?;
    Bulk::new("roster_seen", source, r.ids.len())
        .time("sweep_started_at", r.ids.iter().map(|_| Some(sweep)))
        .text("ticket_id", r.ids.iter().map(String::as_str))
        .insert(
            tx,
            "ON CONFLICT (source, sweep_started_at, ticket_id) DO NOTHING",
            op,
        )
        .await?;
    if !r.complete {
        return Ok(Vec::new());
    }
    // No alias on the updated table: SQLite cannot see one inside the subquery.
    const SEEN: &str = "EXISTS (SELECT 1 FROM roster_seen s WHERE s.source = tickets.source \
         AND s.sweep_started_at = $2 AND s.ticket_id = tickets.external_id)";
    let gone = tx
        .sql(format!(
            "UPDATE tickets SET missing_since = $2 WHERE source = $1 \
             AND created_at < $3 AND missing_since IS NULL AND NOT {SEEN} \
             RETURNING external_id"
        ))
        .bind(source)
        .bind(sweep)
        .bind(Time(r.listed_before))
        .fetch_all(&mut *tx)
        .await
        .map_err(query(op))?;
    let back = tx
        .sql(format!(
            "UPDATE tickets SET missing_since = NULL WHERE source = $1 \
             AND missing_since IS NOT NULL AND {SEEN} RETURNING external_id"
        ))
        .bind(source)
        .bind(sweep)
        .fetch_all(&mut *tx)
        .await
        .map_err(query(op))?;
    let ids = |rows: Vec<crate::db::Row>| -> Result<Vec<String>, StorageError> {
        rows.iter().map(|r| r.get(0).map_err(query(op))).collect()
    };
    let (gone, back) = (ids(gone)?, ids(back)?);
    tx.sql("DELETE FROM roster_seen WHERE source = $1")
        .bind(source)
        .execute(&mut *tx)
        .await
        .map_err(query(op))?;
    if !gone.is_empty() || !back.is_empty() {
        tracing::info!(
            source,
            missing = gone.len(),
            listed_again = back.len(),
            "a sweep of ticket ids completed"
        );
    }
    Ok(gone.into_iter().chain(back).collect())
}

/// Ids of the batch's agents that are new or whose bot flag changed: messages and status
/// changes they wrote may now resolve to another kind of author.
async fn changed_agents(
    tx: &mut Tx,
    source: &str,
    agents: &[&Agent],
) -> Result<Vec<String>, StorageError> {
    let op = "reading agents";
    let mut stored: HashMap<String, bool> = HashMap::new();
    if !agents.is_empty() {
        let ids: Vec<String> = agents.iter().map(|a| a.external_id.clone()).collect();
        let rows = tx
            .dialect()
            .rows_keyed("agents", "external_id", source, &ids)
            .fetch_all(&mut *tx)
            .await
            .map_err(query(op))?;
        for r in rows {
            stored.insert(
                r.get("external_id").map_err(query(op))?,
                r.get("is_bot").map_err(query(op))?,
            );
        }
    }
    Ok(agents
        .iter()
        .filter(|a| stored.get(&a.external_id) != Some(&a.is_bot))
        .map(|a| a.external_id.clone())
        .collect())
}

/// Tickets with a message or status change by one of `authors`. A scan of the source's
/// messages: it only runs when an agent is new or changed its bot flag.
async fn written_by(
    tx: &mut Tx,
    source: &str,
    authors: &[String],
) -> Result<Vec<String>, StorageError> {
    let op = "finding the tickets of changed agents";
    let mut out = Vec::new();
    for chunk in authors.chunks((PARAMS_PER_STATEMENT - 2) / 2) {
        let mut qb = tx.sql("SELECT ticket_id FROM messages WHERE source = ");
        qb.push_bind(source).push(" AND author_id IN (");
        let mut sep = qb.separated(", ");
        for a in chunk {
            sep.push_bind(a);
        }
        qb.push(") UNION SELECT ticket_id FROM status_changes WHERE source = ");
        qb.push_bind(source).push(" AND author_id IN (");
        let mut sep = qb.separated(", ");
        for a in chunk {
            sep.push_bind(a);
        }
        qb.push(")");
        for r in qb.fetch_all(&mut *tx).await.map_err(query(op))? {
            out.push(r.get(0).map_err(query(op))?);
        }
    }
    Ok(out)
}
