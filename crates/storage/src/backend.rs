//! The SQL both backends share, written once and expanded in each backend module.
//!
//! A macro rather than generic code: sqlx's generic bounds (`Encode + Type` per bound type,
//! executors over transactions) grow unreadable, while each expansion here is plain concrete
//! sqlx code. The expanding module defines `Db`, `Pool`, `DbRow`, the stored timestamp type
//! `Ts` with `enc`/`dec`, and `begin` (how a write transaction starts).

/// Bind parameters per multi-row statement: far below SQLite's 32766 and Postgres' 65535,
/// large enough that a page of records is a handful of statements.
pub(crate) const PARAMS_PER_STATEMENT: usize = 8_000;

macro_rules! shared_sql {
    () => {
        use crate::backend::PARAMS_PER_STATEMENT;
        use crate::error::query;
        use crate::inputs::{
            ImportSummary, OrderRow, hash_email, month_text, new_secret, parse_month,
        };
        use crate::{Facts, Parts, StorageError, TABLES};
        use chrono::{DateTime, Utc};
        use deskpulse_metrics::{
            AgentIndex, AgentInput, BacklogCount, MonthlyAmount, OrderInput, RatingInput,
            ReportInput, RequesterInput, ReviewInput, SocialInput, SubscriptionInput,
            TicketInput,
        };
        use deskpulse_model::{
            Agent, Checkpoint, Message, Rating, RatingScale, Review, SocialStat, StatusChange,
            Ticket, TicketStatus, VendorDuration, VendorMetrics,
        };
        use sqlx::types::Json;
        use sqlx::{AssertSqlSafe, QueryBuilder, Row};
        use std::collections::{BTreeMap, BTreeSet, HashMap};
        use crate::facts::{FACTS_VERSION, decode_joined as decode_facts, encode as encode_facts, replied_range};
        use std::str::FromStr;

        pub(crate) async fn checkpoint(
            pool: &Pool,
            source: &str,
            stream: &str,
        ) -> Result<Option<Checkpoint>, StorageError> {
            let row: Option<(Json<serde_json::Value>,)> =
                sqlx::query_as("SELECT value FROM checkpoints WHERE source = $1 AND stream = $2")
                    .bind(source)
                    .bind(stream)
                    .fetch_optional(pool)
                    .await
                    .map_err(query("reading a checkpoint"))?;
            Ok(row.map(|(Json(v),)| Checkpoint::new(v)))
        }

        pub(crate) async fn commit(
            pool: &Pool,
            source: &str,
            stream: &str,
            p: &Parts<'_>,
            cp: &Checkpoint,
        ) -> Result<(), StorageError> {
            let mut tx = begin(pool).await.map_err(query("starting a transaction"))?;
            lock_facts(&mut tx, source).await?;
            let changed_agents = changed_agents(&mut tx, source, &p.agents).await?;

            for chunk in p.tickets.chunks(PARAMS_PER_STATEMENT / 15) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO tickets (source, external_id, channel, status, created_at, \
                     updated_at, first_solved_at, final_solved_at, reopens, opened_by_agent, \
                     requester_id, assignee_id, group_id, tags, priority) ",
                );
                qb.push_values(chunk, |mut b, t| {
                    b.push_bind(source)
                        .push_bind(&t.external_id)
                        .push_bind(t.channel.as_str())
                        .push_bind(t.status.as_str())
                        .push_bind(enc(t.created_at))
                        .push_bind(enc(t.updated_at))
                        .push_bind(t.first_solved_at.map(enc))
                        .push_bind(t.final_solved_at.map(enc))
                        .push_bind(t.reopens.map(i64::from))
                        .push_bind(t.opened_by_agent)
                        .push_bind(&t.requester_id)
                        .push_bind(&t.assignee_id)
                        .push_bind(&t.group_id)
                        .push_bind(Json(&t.tags))
                        .push_bind(&t.priority);
                });
                // An older version (replayed page) never overwrites a newer one.
                qb.push(
                    " ON CONFLICT (source, external_id) DO UPDATE SET channel = excluded.channel, \
                     status = excluded.status, created_at = excluded.created_at, \
                     updated_at = excluded.updated_at, first_solved_at = excluded.first_solved_at, \
                     final_solved_at = excluded.final_solved_at, reopens = excluded.reopens, \
                     opened_by_agent = excluded.opened_by_agent, \
                     requester_id = excluded.requester_id, assignee_id = excluded.assignee_id, \
                     group_id = excluded.group_id, tags = excluded.tags, \
                     priority = excluded.priority, missing_since = NULL \
                     WHERE excluded.updated_at >= tickets.updated_at",
                );
                qb.build().execute(&mut *tx).await.map_err(query("writing tickets"))?;
            }

            for chunk in p.messages.chunks(PARAMS_PER_STATEMENT / 7) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO messages (source, external_id, ticket_id, author_kind, \
                     author_id, is_public, created_at) ",
                );
                qb.push_values(chunk, |mut b, m| {
                    b.push_bind(source)
                        .push_bind(&m.external_id)
                        .push_bind(&m.ticket_id)
                        .push_bind(m.author_kind.as_str())
                        .push_bind(&m.author_id)
                        .push_bind(m.public)
                        .push_bind(enc(m.created_at));
                });
                qb.push(
                    " ON CONFLICT (source, external_id) DO UPDATE SET \
                     ticket_id = excluded.ticket_id, author_kind = excluded.author_kind, \
                     author_id = excluded.author_id, is_public = excluded.is_public, \
                     created_at = excluded.created_at",
                );
                qb.build().execute(&mut *tx).await.map_err(query("writing messages"))?;
            }

            // A replaced history: the ticket's stored changes go, its new ones follow below.
            for chunk in p.replaced_histories.chunks(PARAMS_PER_STATEMENT - 1) {
                let ids: Vec<String> = chunk.iter().map(|id| (*id).to_owned()).collect();
                delete_keyed("status_changes", source, &ids)
                    .build()
                    .execute(&mut *tx)
                    .await
                    .map_err(query("replacing status histories"))?;
            }

            for chunk in p.status_changes.chunks(PARAMS_PER_STATEMENT / 8) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO status_changes (source, external_id, ticket_id, from_status, \
                     to_status, author_kind, author_id, changed_at) ",
                );
                qb.push_values(chunk, |mut b, c| {
                    b.push_bind(source)
                        .push_bind(&c.external_id)
                        .push_bind(&c.ticket_id)
                        .push_bind(c.from.map(|f| f.as_str()))
                        .push_bind(c.to.as_str())
                        .push_bind(c.author_kind.as_str())
                        .push_bind(&c.author_id)
                        .push_bind(enc(c.at));
                });
                qb.push(
                    " ON CONFLICT (source, external_id) DO UPDATE SET \
                     ticket_id = excluded.ticket_id, from_status = excluded.from_status, \
                     to_status = excluded.to_status, author_kind = excluded.author_kind, \
                     author_id = excluded.author_id, changed_at = excluded.changed_at",
                );
                qb.build().execute(&mut *tx).await.map_err(query("writing status changes"))?;
            }

            for chunk in p.agents.chunks(PARAMS_PER_STATEMENT / 4) {
                let mut qb =
                    QueryBuilder::<Db>::new("INSERT INTO agents (source, external_id, name, is_bot) ");
                qb.push_values(chunk, |mut b, a| {
                    b.push_bind(source).push_bind(&a.external_id).push_bind(&a.name).push_bind(a.is_bot);
                });
                qb.push(
                    " ON CONFLICT (source, external_id) DO UPDATE SET name = excluded.name, \
                     is_bot = excluded.is_bot",
                );
                qb.build().execute(&mut *tx).await.map_err(query("writing agents"))?;
            }

            for chunk in p.ratings.chunks(PARAMS_PER_STATEMENT / 10) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO ratings (source, external_id, kind, score, scale_min, scale_max, \
                     ticket_id, agent_id, comment, created_at) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(source)
                        .push_bind(&r.external_id)
                        .push_bind(r.kind.as_str())
                        .push_bind(r.score)
                        .push_bind(r.scale.min)
                        .push_bind(r.scale.max)
                        .push_bind(&r.ticket_id)
                        .push_bind(&r.agent_id)
                        .push_bind(&r.comment)
                        .push_bind(enc(r.created_at));
                });
                qb.push(
                    " ON CONFLICT (source, external_id) DO UPDATE SET kind = excluded.kind, \
                     score = excluded.score, scale_min = excluded.scale_min, \
                     scale_max = excluded.scale_max, ticket_id = excluded.ticket_id, \
                     agent_id = excluded.agent_id, comment = excluded.comment, \
                     created_at = excluded.created_at",
                );
                qb.build().execute(&mut *tx).await.map_err(query("writing ratings"))?;
            }

            for chunk in p.reviews.chunks(PARAMS_PER_STATEMENT / 11) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO reviews (source, platform, external_id, rating, title, \
                     review_text, author_name, created_at, reply_text, replied_at, url) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(source)
                        .push_bind(&r.platform)
                        .push_bind(&r.external_id)
                        .push_bind(r.rating)
                        .push_bind(&r.title)
                        .push_bind(&r.text)
                        .push_bind(&r.author_name)
                        .push_bind(enc(r.created_at))
                        .push_bind(&r.reply_text)
                        .push_bind(r.replied_at.map(enc))
                        .push_bind(&r.url);
                });
                qb.push(
                    " ON CONFLICT (source, platform, external_id) DO UPDATE SET \
                     rating = excluded.rating, title = excluded.title, \
                     review_text = excluded.review_text, author_name = excluded.author_name, \
                     created_at = excluded.created_at, reply_text = excluded.reply_text, \
                     replied_at = excluded.replied_at, url = excluded.url",
                );
                qb.build().execute(&mut *tx).await.map_err(query("writing reviews"))?;
            }

            for chunk in p.social_stats.chunks(PARAMS_PER_STATEMENT / 6) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO social_stats (source, platform, account, metric, value, \
                     observed_at) ",
                );
                qb.push_values(chunk, |mut b, s| {
                    b.push_bind(source)
                        .push_bind(&s.platform)
                        .push_bind(&s.account)
                        .push_bind(s.metric.as_str())
                        .push_bind(s.value)
                        .push_bind(enc(s.observed_at));
                });
                qb.push(
                    " ON CONFLICT (source, platform, account, metric, observed_at) \
                     DO UPDATE SET value = excluded.value",
                );
                qb.build().execute(&mut *tx).await.map_err(query("writing social stats"))?;
            }

            if !p.customers.is_empty() {
                let secret = install_secret(&mut tx).await?;
                // The plain address goes no further than this line.
                let hashed: Vec<(&str, Option<String>)> = p
                    .customers
                    .iter()
                    .map(|c| {
                        let email = c.email.as_deref().filter(|e| !e.trim().is_empty());
                        (c.external_id.as_str(), email.map(|e| hash_email(&secret, e)))
                    })
                    .collect();
                for chunk in hashed.chunks(PARAMS_PER_STATEMENT / 3) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO customers (source, external_id, email_hash) ",
                    );
                    qb.push_values(chunk, |mut b, (id, hash)| {
                        b.push_bind(source).push_bind(*id).push_bind(hash.as_deref());
                    });
                    qb.push(
                        " ON CONFLICT (source, external_id) DO UPDATE SET \
                         email_hash = excluded.email_hash",
                    );
                    qb.build().execute(&mut *tx).await.map_err(query("writing customers"))?;
                }
            }

            for chunk in p.vendor_metrics.chunks(PARAMS_PER_STATEMENT / 11) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO vendor_metrics (source, ticket_id, updated_at, \
                     first_response_seconds, first_response_business_seconds, \
                     first_resolution_seconds, first_resolution_business_seconds, \
                     full_resolution_seconds, full_resolution_business_seconds, reopens, replies) ",
                );
                qb.push_values(chunk, |mut b, v| {
                    b.push_bind(source)
                        .push_bind(&v.ticket_id)
                        .push_bind(enc(v.updated_at))
                        .push_bind(v.first_response.calendar_seconds)
                        .push_bind(v.first_response.business_seconds)
                        .push_bind(v.first_resolution.calendar_seconds)
                        .push_bind(v.first_resolution.business_seconds)
                        .push_bind(v.full_resolution.calendar_seconds)
                        .push_bind(v.full_resolution.business_seconds)
                        .push_bind(v.reopens.map(i64::from))
                        .push_bind(v.replies.map(i64::from));
                });
                qb.push(
                    " ON CONFLICT (source, ticket_id) DO UPDATE SET updated_at = excluded.updated_at, \
                     first_response_seconds = excluded.first_response_seconds, \
                     first_response_business_seconds = excluded.first_response_business_seconds, \
                     first_resolution_seconds = excluded.first_resolution_seconds, \
                     first_resolution_business_seconds = excluded.first_resolution_business_seconds, \
                     full_resolution_seconds = excluded.full_resolution_seconds, \
                     full_resolution_business_seconds = excluded.full_resolution_business_seconds, \
                     reopens = excluded.reopens, replies = excluded.replies \
                     WHERE excluded.updated_at >= vendor_metrics.updated_at",
                );
                qb.build().execute(&mut *tx).await.map_err(query("writing vendor metrics"))?;
            }

            let mut swept: Vec<String> = Vec::new();
            for roster in &p.rosters {
                swept.extend(apply_roster(&mut tx, source, roster).await?);
            }

            // Every ticket whose facts this batch can have changed is marked, with the batch:
            // a ticket spread over many pages (its events) is derived once, by the refresh.
            let mut touched: BTreeSet<String> = BTreeSet::new();
            touched.extend(p.tickets.iter().map(|t| t.external_id.clone()));
            touched.extend(p.messages.iter().map(|m| m.ticket_id.clone()));
            touched.extend(p.status_changes.iter().map(|c| c.ticket_id.clone()));
            touched.extend(written_by(&mut tx, source, &changed_agents).await?);
            touched.extend(swept);
            let touched: Vec<String> = touched.into_iter().collect();
            for chunk in touched.chunks(PARAMS_PER_STATEMENT / 2) {
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO facts_dirty (source, ticket_id) ");
                qb.push_values(chunk, |mut b, id| {
                    b.push_bind(source).push_bind(id);
                });
                qb.push(" ON CONFLICT (source, ticket_id) DO NOTHING");
                qb.build().execute(&mut *tx).await.map_err(query("marking ticket facts"))?;
            }

            sqlx::query(
                "INSERT INTO checkpoints (source, stream, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (source, stream) DO UPDATE SET value = excluded.value",
            )
            .bind(source)
            .bind(stream)
            .bind(Json(cp.value()))
            .execute(&mut *tx)
            .await
            .map_err(query("writing the checkpoint"))?;

            tx.commit().await.map_err(query("committing a batch"))
        }

        /// Records a page of an id sweep; when it is the sweep's last page, marks the tickets
        /// the sweep did not find as missing (and those it found again as present) and
        /// returns the ids whose state changed, so their facts are derived again.
        async fn apply_roster(
            tx: &mut sqlx::Transaction<'static, Db>,
            source: &str,
            r: &deskpulse_model::TicketRoster,
        ) -> Result<Vec<String>, StorageError> {
            let op = "recording a sweep of ticket ids";
            let sweep = enc(r.sweep_started_at);
            // Pages of an earlier, unfinished sweep are stale: a new sweep starts over.
            sqlx::query("DELETE FROM roster_seen WHERE source = $1 AND sweep_started_at <> $2")
                .bind(source)
                .bind(sweep)
                .execute(&mut **tx)
                .await
                .map_err(query(op))?;
            for chunk in r.ids.chunks(PARAMS_PER_STATEMENT / 3) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO roster_seen (source, sweep_started_at, ticket_id) ",
                );
                qb.push_values(chunk, |mut b, id| {
                    b.push_bind(source).push_bind(sweep).push_bind(id);
                });
                qb.push(" ON CONFLICT (source, sweep_started_at, ticket_id) DO NOTHING");
                qb.build().execute(&mut **tx).await.map_err(query(op))?;
            }
            if !r.complete {
                return Ok(Vec::new());
            }
            // No alias on the updated table: SQLite cannot see one inside the subquery.
            const SEEN: &str = "EXISTS (SELECT 1 FROM roster_seen s WHERE s.source = tickets.source \
                 AND s.sweep_started_at = $2 AND s.ticket_id = tickets.external_id)";
            let gone: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "UPDATE tickets SET missing_since = $2 WHERE source = $1 \
                 AND created_at < $3 AND missing_since IS NULL AND NOT {SEEN} \
                 RETURNING external_id"
            )))
            .bind(source)
            .bind(sweep)
            .bind(enc(r.listed_before))
            .fetch_all(&mut **tx)
            .await
            .map_err(query(op))?;
            let back: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "UPDATE tickets SET missing_since = NULL WHERE source = $1 \
                 AND missing_since IS NOT NULL AND {SEEN} RETURNING external_id"
            )))
            .bind(source)
            .bind(sweep)
            .fetch_all(&mut **tx)
            .await
            .map_err(query(op))?;
            sqlx::query("DELETE FROM roster_seen WHERE source = $1")
                .bind(source)
                .execute(&mut **tx)
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

        /// Ids of the batch's agents that are new or whose bot flag changed: messages and
        /// status changes they wrote may now resolve to another kind of author.
        async fn changed_agents(
            tx: &mut sqlx::Transaction<'static, Db>,
            source: &str,
            agents: &[&Agent],
        ) -> Result<Vec<String>, StorageError> {
            let mut stored: HashMap<String, bool> = HashMap::new();
            for chunk in agents.chunks(PARAMS_PER_STATEMENT - 1) {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT external_id, is_bot FROM agents WHERE source = ",
                );
                qb.push_bind(source).push(" AND external_id IN (");
                let mut sep = qb.separated(", ");
                for a in chunk {
                    sep.push_bind(&a.external_id);
                }
                qb.push(")");
                let rows: Vec<(String, bool)> = qb
                    .build_query_as()
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(query("reading agents"))?;
                stored.extend(rows);
            }
            Ok(agents
                .iter()
                .filter(|a| stored.get(&a.external_id) != Some(&a.is_bot))
                .map(|a| a.external_id.clone())
                .collect())
        }

        /// Tickets with a message or status change by one of `authors`. A scan of the
        /// source's messages: it only runs when an agent is new or changed its bot flag.
        async fn written_by(
            tx: &mut sqlx::Transaction<'static, Db>,
            source: &str,
            authors: &[String],
        ) -> Result<Vec<String>, StorageError> {
            let mut out = Vec::new();
            for chunk in authors.chunks((PARAMS_PER_STATEMENT - 2) / 2) {
                let mut qb = QueryBuilder::<Db>::new("SELECT ticket_id FROM messages WHERE source = ");
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
                let rows: Vec<(String,)> = qb
                    .build_query_as()
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(query("finding the tickets of changed agents"))?;
                out.extend(rows.into_iter().map(|(id,)| id));
            }
            Ok(out)
        }

        /// Re-derives the facts of the tickets `ids` of `source` from what `tx` sees now and
        /// replaces their `ticket_facts` and `open_spans` rows. A ticket not stored (its
        /// messages came first) gets no row until it arrives.
        async fn refresh_facts(
            tx: &mut sqlx::Transaction<'static, Db>,
            source: &str,
            ids: &[String],
        ) -> Result<(), StorageError> {
            if ids.is_empty() {
                return Ok(());
            }
            let op = "refreshing ticket facts";
            let rows = sqlx::query("SELECT * FROM agents WHERE source = $1")
                .bind(source)
                .fetch_all(&mut **tx)
                .await
                .map_err(query(op))?;
            let agents = rows
                .iter()
                .map(|r| agent(r).map(|(source, agent)| AgentInput { source, agent }))
                .collect::<Result<Vec<_>, _>>()?;
            let index = AgentIndex::new(&agents);

            for chunk in ids.chunks(1000) {
                let select = |from: &str, key: &str| rows_keyed(from, key, source, chunk);
                let tickets = assemble(
                    &select("tickets", "external_id").build().fetch_all(&mut **tx).await.map_err(query(op))?,
                    &select("messages", "ticket_id").build().fetch_all(&mut **tx).await.map_err(query(op))?,
                    &select("status_changes", "ticket_id").build().fetch_all(&mut **tx).await.map_err(query(op))?,
                )?;
                let mut facts: Vec<_> = tickets
                    .values()
                    .map(|t| deskpulse_metrics::derive_facts(t, &index))
                    .collect();
                facts.sort_by(|a, b| a.ticket_id.cmp(&b.ticket_id));

                for table in ["ticket_facts", "open_spans"] {
                    delete_keyed(table, source, chunk)
                        .build()
                        .execute(&mut **tx)
                        .await
                        .map_err(query(op))?;
                }
                for part in facts.chunks(PARAMS_PER_STATEMENT / 8) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO ticket_facts (source, ticket_id, excluded, created_at, \
                         final_solved_at, first_replied_at, last_replied_at, data) ",
                    );
                    qb.push_values(part, |mut b, f| {
                        let (first, last) = replied_range(f);
                        b.push_bind(source)
                            .push_bind(&f.ticket_id)
                            .push_bind(f.excluded)
                            .push_bind(enc(f.created_at))
                            .push_bind(f.final_solved_at.map(enc))
                            .push_bind(first.map(enc))
                            .push_bind(last.map(enc))
                            .push_bind(encode_facts(f));
                    });
                    qb.build().execute(&mut **tx).await.map_err(query(op))?;
                }
                let spans: Vec<(&str, _)> = facts
                    .iter()
                    .flat_map(|f| f.open_spans.iter().map(move |s| (f.ticket_id.as_str(), s)))
                    .collect();
                for part in spans.chunks(PARAMS_PER_STATEMENT / 4) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO open_spans (source, ticket_id, opened_at, closed_at) ",
                    );
                    qb.push_values(part, |mut b, (id, span)| {
                        b.push_bind(source)
                            .push_bind(*id)
                            .push_bind(enc(span.from))
                            .push_bind(span.until.map(enc));
                    });
                    qb.build().execute(&mut **tx).await.map_err(query(op))?;
                }
            }
            Ok(())
        }

        /// `refresh_facts` of `ids` in a transaction of its own under the source's facts
        /// lock, clearing their marks with it when `clear_marks`.
        async fn refresh_committed(
            pool: &Pool,
            source: &str,
            ids: &[String],
            clear_marks: bool,
        ) -> Result<(), StorageError> {
            let op = "refreshing ticket facts";
            let mut tx = begin(pool).await.map_err(query("starting a transaction"))?;
            lock_facts(&mut tx, source).await?;
            refresh_facts(&mut tx, source, ids).await?;
            if clear_marks {
                delete_keyed("facts_dirty", source, ids)
                    .build()
                    .execute(&mut *tx)
                    .await
                    .map_err(query(op))?;
            }
            tx.commit().await.map_err(query(op))
        }

        /// Brings `ticket_facts` and `open_spans` up to [`FACTS_VERSION`]: after the
        /// migration that created them, or when the derivation changed. Each chunk of
        /// tickets is its own transaction under the source's facts lock, so syncs can run
        /// meanwhile and a killed rebuild simply starts again on the next open.
        pub(crate) async fn rebuild_facts_if_needed(pool: &Pool) -> Result<u64, StorageError> {
            let op = "rebuilding ticket facts";
            let version: Option<String> =
                sqlx::query_scalar("SELECT value FROM meta WHERE key = 'facts_version'")
                    .fetch_optional(pool)
                    .await
                    .map_err(query(op))?;
            if version.as_deref() == Some(FACTS_VERSION) {
                return Ok(0);
            }
            let sources: Vec<String> = sqlx::query_scalar("SELECT DISTINCT source FROM tickets")
                .fetch_all(pool)
                .await
                .map_err(query(op))?;
            let mut done = 0u64;
            for source in &sources {
                let mut after = String::new();
                loop {
                    let ids: Vec<String> = sqlx::query_scalar(
                        "SELECT external_id FROM tickets WHERE source = $1 AND external_id > $2 \
                         ORDER BY external_id LIMIT 2000",
                    )
                    .bind(source)
                    .bind(&after)
                    .fetch_all(pool)
                    .await
                    .map_err(query(op))?;
                    let Some(last) = ids.last() else { break };
                    after = last.clone();
                    refresh_committed(pool, source, &ids, false).await?;
                    done += ids.len() as u64;
                    if done % 100_000 < 2000 {
                        tracing::info!(tickets = done, "rebuilding ticket facts");
                    }
                }
            }
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ('facts_version', $1) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(FACTS_VERSION)
            .execute(pool)
            .await
            .map_err(query(op))?;
            Ok(done)
        }

        /// Tickets with their messages and status changes, keyed by (source, id); messages
        /// and changes of tickets not among `tickets` are dropped.
        fn assemble(
            tickets: &[DbRow],
            messages: &[DbRow],
            changes: &[DbRow],
        ) -> Result<HashMap<(String, String), TicketInput>, StorageError> {
            let mut out: HashMap<(String, String), TicketInput> = HashMap::new();
            for r in tickets {
                let (source, ticket) = ticket(r)?;
                out.insert(
                    (source.clone(), ticket.external_id.clone()),
                    TicketInput { source, ticket, messages: Vec::new(), status_changes: Vec::new() },
                );
            }
            for r in messages {
                let (source, m) = message(r)?;
                if let Some(t) = out.get_mut(&(source, m.ticket_id.clone())) {
                    t.messages.push(m);
                }
            }
            for r in changes {
                let (source, c) = status_change(r)?;
                if let Some(t) = out.get_mut(&(source, c.ticket_id.clone())) {
                    t.status_changes.push(c);
                }
            }
            Ok(out)
        }

        /// Raw tickets of `sources` created in `[start, end)`, each with all its messages
        /// and status changes (see `Store::load_tickets`).
        pub(crate) async fn load_tickets(
            pool: &Pool,
            sources: &[String],
            start: DateTime<Utc>,
            end: DateTime<Utc>,
        ) -> Result<Vec<TicketInput>, StorageError> {
            let op = "loading tickets";
            if sources.is_empty() {
                return Ok(Vec::new());
            }
            let of_tickets = |select: &str, key: &str| {
                let mut qb = QueryBuilder::<Db>::new(format!(
                    "{select} JOIN tickets t ON t.source = x.source AND t.external_id = x.{key} \
                     WHERE t.source IN "
                ));
                source_list(&mut qb, sources);
                qb.push(" AND t.created_at >= ")
                    .push_bind(enc(start))
                    .push(" AND t.created_at < ")
                    .push_bind(enc(end));
                qb
            };
            let mut rows = Vec::with_capacity(3);
            for (select, key) in [
                ("SELECT x.* FROM tickets x", "external_id"),
                ("SELECT x.* FROM messages x", "ticket_id"),
                ("SELECT x.* FROM status_changes x", "ticket_id"),
            ] {
                rows.push(of_tickets(select, key).build().fetch_all(pool).await.map_err(query(op))?);
            }
            let tickets = assemble(&rows[0], &rows[1], &rows[2])?;
            Ok(tickets.into_values().collect())
        }

        /// What `deskpulse reconcile` compares for `source` over `[start, end)`: the raw
        /// tickets created before `end` and updated since `start` (every ticket created,
        /// replied to or solved in the period), with their messages and status changes, the
        /// source's agents, and the vendor's values of those tickets.
        pub(crate) async fn load_reconcile(
            pool: &Pool,
            source: &str,
            start: DateTime<Utc>,
            end: DateTime<Utc>,
        ) -> Result<(Vec<TicketInput>, Vec<AgentInput>, Vec<VendorMetrics>), StorageError> {
            let op = "loading what reconcile compares";
            let of_tickets = |select: &str, key: &str| {
                let mut qb = QueryBuilder::<Db>::new(format!(
                    "{select} JOIN tickets t ON t.source = x.source AND t.external_id = x.{key} \
                     WHERE t.source = "
                ));
                qb.push_bind(source.to_owned())
                    .push(" AND t.created_at < ")
                    .push_bind(enc(end))
                    .push(" AND t.updated_at >= ")
                    .push_bind(enc(start));
                qb
            };
            let mut rows = Vec::with_capacity(4);
            for (select, key) in [
                ("SELECT x.* FROM tickets x", "external_id"),
                ("SELECT x.* FROM messages x", "ticket_id"),
                ("SELECT x.* FROM status_changes x", "ticket_id"),
                ("SELECT x.* FROM vendor_metrics x", "ticket_id"),
            ] {
                rows.push(of_tickets(select, key).build().fetch_all(pool).await.map_err(query(op))?);
            }
            let tickets = assemble(&rows[0], &rows[1], &rows[2])?.into_values().collect();
            let vendor = rows[3]
                .iter()
                .map(|r| vendor_metrics(r).map(|(_, v)| v))
                .collect::<Result<_, _>>()?;
            let agents = sqlx::query("SELECT * FROM agents WHERE source = $1")
                .bind(source)
                .fetch_all(pool)
                .await
                .map_err(query(op))?
                .iter()
                .map(|r| agent(r).map(|(source, agent)| AgentInput { source, agent }))
                .collect::<Result<_, _>>()?;
            Ok((tickets, agents, vendor))
        }

        /// Derives again the facts of the tickets marked out of date, in transactions of up to
        /// 2,000 tickets, each under its source's facts lock (see `Store::refresh_facts`).
        /// Stops after as many tickets as were marked when it started, so a sync marking
        /// more meanwhile cannot keep it going.
        pub(crate) async fn refresh_dirty(pool: &Pool) -> Result<u64, StorageError> {
            let op = "refreshing ticket facts";
            let (marked,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM facts_dirty")
                .fetch_one(pool)
                .await
                .map_err(query(op))?;
            let mut done = 0u64;
            while done < u64::try_from(marked).unwrap_or(0) {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT source, ticket_id FROM facts_dirty ORDER BY source, ticket_id LIMIT 2000",
                )
                .fetch_all(pool)
                .await
                .map_err(query(op))?;
                if rows.is_empty() {
                    break;
                }
                let mut by_source: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for (source, id) in rows {
                    by_source.entry(source).or_default().push(id);
                }
                for (source, ids) in &by_source {
                    refresh_committed(pool, source, ids, true).await?;
                    done += ids.len() as u64;
                }
            }
            Ok(done)
        }

        /// Drops every derived fact and derives them all again (see `Store::rebuild_facts`).
        pub(crate) async fn rebuild_facts(pool: &Pool) -> Result<u64, StorageError> {
            let op = "dropping ticket facts";
            for sql in [
                "DELETE FROM meta WHERE key = 'facts_version'",
                "DELETE FROM ticket_facts",
                "DELETE FROM open_spans",
                "DELETE FROM facts_dirty",
            ] {
                sqlx::query(sql).execute(pool).await.map_err(query(op))?;
            }
            rebuild_facts_if_needed(pool).await
        }

        /// Open tickets of `sources` at each of `instants` (see `Store::backlog_at`).
        pub(crate) async fn backlog_at(
            pool: &Pool,
            sources: &[String],
            instants: &[DateTime<Utc>],
        ) -> Result<Vec<BacklogCount>, StorageError> {
            let mut out = Vec::with_capacity(instants.len());
            if sources.is_empty() {
                out.extend(instants.iter().map(|&at| BacklogCount { at, open: 0 }));
                return Ok(out);
            }
            for &at in instants {
                // Two index ranges of `open_spans_closed`: closed after `at`, and open now.
                let mut qb = QueryBuilder::<Db>::new("SELECT (SELECT COUNT(*) FROM open_spans WHERE source IN ");
                source_list(&mut qb, sources);
                qb.push(" AND closed_at > ")
                    .push_bind(enc(at))
                    .push(" AND opened_at <= ")
                    .push_bind(enc(at))
                    .push(") + (SELECT COUNT(*) FROM open_spans WHERE source IN ");
                source_list(&mut qb, sources);
                qb.push(" AND closed_at IS NULL AND opened_at <= ")
                    .push_bind(enc(at))
                    .push(")");
                let (open,): (i64,) = qb
                    .build_query_as()
                    .fetch_one(pool)
                    .await
                    .map_err(query("counting the backlog"))?;
                out.push(BacklogCount { at, open: u64::try_from(open).unwrap_or(0) });
            }
            Ok(out)
        }

        /// `(…)` of `sources`, bound; `(NULL)` (matches nothing) when there are none.
        fn source_list(qb: &mut QueryBuilder<Db>, sources: &[String]) {
            if sources.is_empty() {
                qb.push("(NULL)");
                return;
            }
            qb.push("(");
            let mut sep = qb.separated(", ");
            for s in sources {
                sep.push_bind(s);
            }
            qb.push(")");
        }

        pub(crate) async fn load_report_input(
            pool: &Pool,
            team: Option<&str>,
            sources: &[String],
            start: DateTime<Utc>,
            end: DateTime<Utc>,
        ) -> Result<ReportInput, StorageError> {
            // Three independent reads on three pooled connections: on SQLite each runs on
            // its own connection thread, so they overlap.
            let (mut input, rated, manual) = tokio::try_join!(
                async {
                    let mut input = ReportInput::default();
                    if !sources.is_empty() {
                        load_source_facts(pool, sources, start, end, &mut input).await?;
                    }
                    Ok::<_, StorageError>(input)
                },
                async {
                    let mut input = ReportInput::default();
                    load_ratings(pool, team, sources, start, end, &mut input).await?;
                    Ok(input)
                },
                async {
                    let mut input = ReportInput::default();
                    if let Some(team) = team {
                        load_team_inputs(pool, team, start, end, &mut input).await?;
                    }
                    Ok(input)
                },
            )?;
            input.ratings = rated.ratings;
            input.excluded_tickets = rated.excluded_tickets;
            input.orders = manual.orders;
            // A ticket of the period answered after it converts up to 5 days after that
            // answer: read the orders that late too.
            let window = chrono::Duration::days(deskpulse_metrics::CONVERSION_WINDOW_DAYS);
            let latest_reply = input
                .facts
                .iter()
                .filter(|f| start <= f.created_at && f.created_at < end)
                .filter_map(|f| f.first_human_reply_at)
                .max();
            if let (Some(team), Some(reply)) = (team, latest_reply)
                && reply + window > end + window
            {
                input.orders.extend(load_orders(pool, team, end + window, reply + window).await?);
            }
            input.subscriptions = manual.subscriptions;
            input.costs = manual.costs;
            input.revenue = manual.revenue;
            Ok(input)
        }

        /// The ratings of `sources` and of the team's imports created in the period, and
        /// which of them belong to excluded tickets.
        async fn load_ratings(
            pool: &Pool,
            team: Option<&str>,
            sources: &[String],
            start: DateTime<Utc>,
            end: DateTime<Utc>,
            input: &mut ReportInput,
        ) -> Result<(), StorageError> {
            // The team's imported surveys sit next to its helpdesks' ratings.
            let mut rating_sources = sources.to_vec();
            let import = team.map(crate::inputs::import_source);
            rating_sources.extend(import.clone());
            if rating_sources.is_empty() {
                return Ok(());
            }
            // The period's ratings, each with the source of the ticket it is about (an
            // imported survey's ticket is looked up among the team's helpdesks, the first
            // source by name that has it) and, when it names no agent, that ticket's
            // assignee.
            let linked = |select: &str| {
                let mut qb = QueryBuilder::<Db>::new(format!(
                    "{select} FROM (SELECT source, external_id, kind, score, scale_min, scale_max, \
                     ticket_id, COALESCE(agent_id, (SELECT t.assignee_id FROM tickets t \
                     WHERE t.source = y.ticket_source AND t.external_id = y.ticket_id)) AS agent_id, \
                     comment, created_at, ticket_source FROM (SELECT r.*, CASE WHEN r.source = "
                ));
                qb.push_bind(import.clone().unwrap_or_default());
                qb.push(" THEN (SELECT MIN(t.source) FROM tickets t WHERE t.source IN ");
                source_list(&mut qb, sources);
                qb.push(" AND t.external_id = r.ticket_id) ELSE r.source END AS ticket_source \
                         FROM ratings r WHERE r.source IN ");
                source_list(&mut qb, &rating_sources);
                qb.push(" AND r.created_at >= ")
                    .push_bind(enc(start))
                    .push(" AND r.created_at < ")
                    .push_bind(enc(end))
                    .push(") y) x");
                qb
            };
            // One text, like the facts: a 12-week history has tens of thousands.
            let (joined,): (Option<String>,) = linked(&format!("SELECT string_agg({RATING_JSON}, ',')"))
                .build_query_as()
                .fetch_one(pool)
                .await
                .map_err(query("loading the ratings of a report"))?;
            input.ratings = match joined {
                Some(joined) => ratings_from_json(&joined)?,
                None => Vec::new(),
            };
            // Ratings of spam, deleted or merged tickets count nowhere: say which.
            let mut qb = linked("SELECT DISTINCT x.ticket_source, x.ticket_id");
            qb.push(
                " JOIN ticket_facts f ON f.source = x.ticket_source \
                 AND f.ticket_id = x.ticket_id WHERE f.excluded",
            );
            input.excluded_tickets = qb
                .build_query_as()
                .fetch_all(pool)
                .await
                .map_err(query("loading the ratings of a report"))?;
            Ok(())
        }

        /// The derived facts of the tickets of `sources` that matter to `[start, end)`
        /// (`TicketFacts::matters_to`, less the open ones: storage counts those). A long
        /// range is cut in two halves read concurrently on two connections (a ticket that
        /// matters to both comes once).
        async fn load_facts(
            pool: &Pool,
            sources: &[String],
            start: DateTime<Utc>,
            end: DateTime<Utc>,
        ) -> Result<Vec<deskpulse_metrics::TicketFacts>, StorageError> {
            if end - start <= chrono::Duration::days(14) {
                return facts_in(pool, sources, start, end).await;
            }
            let mid = start + (end - start) / 2;
            let (mut a, b) = tokio::try_join!(
                facts_in(pool, sources, start, mid),
                facts_in(pool, sources, mid, end),
            )?;
            let seen: std::collections::HashSet<(String, String)> =
                a.iter().map(|f| (f.source.clone(), f.ticket_id.clone())).collect();
            a.extend(
                b.into_iter()
                    .filter(|f| !seen.contains(&(f.source.clone(), f.ticket_id.clone()))),
            );
            Ok(a)
        }

        /// One range of [`load_facts`]: three index ranges, each ticket once (the later
        /// ranges leave out what the earlier ones took), joined into one text by the
        /// database (sqlx decodes row by row at a few µs each, and a 12-week history is
        /// over 100k rows; one text is one serde parse).
        async fn facts_in(
            pool: &Pool,
            sources: &[String],
            start: DateTime<Utc>,
            end: DateTime<Utc>,
        ) -> Result<Vec<deskpulse_metrics::TicketFacts>, StorageError> {
            let op = "loading the facts of a report";
            let (s, e) = (enc(start), enc(end));
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT string_agg(data, ',') FROM (SELECT data FROM ticket_facts WHERE source IN ",
            );
            source_list(&mut qb, sources);
            qb.push(" AND NOT excluded AND created_at >= ")
                .push_bind(s)
                .push(" AND created_at < ")
                .push_bind(e)
                .push(" UNION ALL SELECT data FROM ticket_facts WHERE source IN ");
            source_list(&mut qb, sources);
            qb.push(" AND NOT excluded AND final_solved_at >= ")
                .push_bind(s)
                .push(" AND final_solved_at < ")
                .push_bind(e)
                .push(" AND (created_at < ")
                .push_bind(s)
                .push(" OR created_at >= ")
                .push_bind(e)
                .push(") UNION ALL SELECT data FROM ticket_facts WHERE source IN ");
            source_list(&mut qb, sources);
            qb.push(" AND NOT excluded AND last_replied_at >= ")
                .push_bind(s)
                .push(" AND first_replied_at < ")
                .push_bind(e)
                .push(" AND (created_at < ")
                .push_bind(s)
                .push(" OR created_at >= ")
                .push_bind(e)
                .push(") AND (final_solved_at IS NULL OR final_solved_at < ")
                .push_bind(s)
                .push(" OR final_solved_at >= ")
                .push_bind(e)
                .push(")) AS f");
            let (joined,): (Option<String>,) =
                qb.build_query_as().fetch_one(pool).await.map_err(query(op))?;
            match joined {
                Some(joined) => decode_facts(&joined),
                None => Ok(Vec::new()),
            }
        }

        /// Tickets, agents, requesters, reviews and social observations of `sources` (see
        /// `Store::load_report_input`).
        async fn load_source_facts(
            pool: &Pool,
            sources: &[String],
            start: DateTime<Utc>,
            end: DateTime<Utc>,
            input: &mut ReportInput,
        ) -> Result<(), StorageError> {
            let op = "loading the facts of a report";
            let facts = load_facts(pool, sources, start, end).await?;
            let backlog = backlog_at(pool, sources, &[end]).await?;

            let mut qb = QueryBuilder::<Db>::new("SELECT * FROM agents WHERE source IN ");
            source_list(&mut qb, sources);
            let rows = qb.build().fetch_all(pool).await.map_err(query(op))?;
            let agents = rows
                .iter()
                .map(|r| agent(r).map(|(source, agent)| AgentInput { source, agent }))
                .collect::<Result<Vec<_>, _>>()?;


            // The hashes of the candidate tickets' requesters, for converted tickets: looked
            // up by primary key from the tickets already loaded (no second candidate scan).
            let mut wanted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for f in &facts {
                if let Some(id) = &f.requester_id {
                    wanted.entry(f.source.as_str()).or_default().insert(id.as_str());
                }
            }
            let mut requesters = Vec::new();
            // Most teams import no customers: then there is nothing to look up.
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT COUNT(*) FROM (SELECT 1 FROM customers WHERE email_hash IS NOT NULL \
                 AND source IN ",
            );
            source_list(&mut qb, sources);
            qb.push(" LIMIT 1) AS c");
            let (known,): (i64,) = qb.build_query_as().fetch_one(pool).await.map_err(query(op))?;
            if known == 0 {
                wanted.clear();
            }
            for (source, ids) in &wanted {
                let ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
                for chunk in ids.chunks(PARAMS_PER_STATEMENT - 1) {
                    let rows = rows_keyed("customers", "external_id", source, chunk)
                        .build()
                        .fetch_all(pool)
                        .await
                        .map_err(query(op))?;
                    for r in &rows {
                        if let Some(email_hash) = get::<Option<String>>(r, "email_hash")? {
                            requesters.push(RequesterInput {
                                source: get(r, "source")?,
                                requester_id: get(r, "external_id")?,
                                email_hash,
                            });
                        }
                    }
                }
            }

            // Reviews created in the period, plus older ones unanswered or answered since
            // its start (answered share and reply times need them).
            let mut qb = QueryBuilder::<Db>::new("SELECT * FROM reviews WHERE source IN ");
            source_list(&mut qb, sources);
            qb.push(" AND created_at >= ")
                .push_bind(enc(start))
                .push(" AND created_at < ")
                .push_bind(enc(end))
                .push(" UNION SELECT * FROM reviews WHERE source IN ");
            source_list(&mut qb, sources);
            // Same predicate text as the partial index `reviews_unanswered`.
            qb.push(" AND replied_at IS NULL AND created_at < ")
                .push_bind(enc(end))
                .push(" UNION SELECT * FROM reviews WHERE source IN ");
            source_list(&mut qb, sources);
            qb.push(" AND replied_at >= ")
                .push_bind(enc(start))
                .push(" AND created_at < ")
                .push_bind(enc(end));
            let rows = qb.build().fetch_all(pool).await.map_err(query(op))?;
            let reviews = rows
                .iter()
                .map(|r| review(r).map(|(source, review)| ReviewInput { source, review }))
                .collect::<Result<Vec<_>, _>>()?;

            // Every observation in [start, end] (end included: "value at end"), and the last
            // one before the start of each counter.
            let mut qb = QueryBuilder::<Db>::new("SELECT * FROM social_stats WHERE source IN ");
            source_list(&mut qb, sources);
            qb.push(" AND observed_at >= ")
                .push_bind(enc(start))
                .push(" AND observed_at <= ")
                .push_bind(enc(end))
                .push(
                    " UNION SELECT s.* FROM social_stats s JOIN (\
                     SELECT source, platform, account, metric, MAX(observed_at) AS last_at \
                     FROM social_stats WHERE source IN ",
                );
            source_list(&mut qb, sources);
            qb.push(" AND observed_at < ")
                .push_bind(enc(start))
                .push(
                    " GROUP BY source, platform, account, metric) l \
                     ON s.source = l.source AND s.platform = l.platform \
                     AND s.account = l.account AND s.metric = l.metric \
                     AND s.observed_at = l.last_at",
                );
            let rows = qb.build().fetch_all(pool).await.map_err(query(op))?;
            let social = rows
                .iter()
                .map(|r| social_stat(r).map(|(source, stat)| SocialInput { source, stat }))
                .collect::<Result<Vec<_>, _>>()?;

            input.facts = facts;
            input.backlog = backlog;
            input.agents = agents;
            input.requesters = requesters;
            input.reviews = reviews;
            input.social = social;
            Ok(())
        }

        /// The team's manual inputs around `[start, end)`: orders from 5 days before to 5
        /// days after (converted tickets look 5 days past a reply), subscriptions overlapping
        /// `[start − 1 day, end]` (churn compares the instants start and end), costs and
        /// revenue of every month within a day of the period (metrics pro-rates by local
        /// date, so a superset is harmless whatever the team's time zone).
        async fn load_team_inputs(
            pool: &Pool,
            team: &str,
            start: DateTime<Utc>,
            end: DateTime<Utc>,
            input: &mut ReportInput,
        ) -> Result<(), StorageError> {
            use chrono::Datelike;
            let op = "loading the manual inputs of a report";
            let day = chrono::Duration::days(1);

            input.orders = load_orders(pool, team, start - day * 5, end + day * 5).await?;

            let rows = sqlx::query(
                "SELECT * FROM subscriptions WHERE team = $1 AND started_at <= $2 \
                 AND (ended_at IS NULL OR ended_at >= $3)",
            )
            .bind(team)
            .bind(enc(end))
            .bind(enc(start - day))
            .fetch_all(pool)
            .await
            .map_err(query(op))?;
            input.subscriptions =
                rows.iter().map(|r| subscription(r).map(|(_, s)| s)).collect::<Result<_, _>>()?;

            let month = |t: DateTime<Utc>| month_text((t.year(), t.month()));
            let (first, last) = (month(start - day), month(end + day));
            for (table, out) in [("costs", &mut input.costs), ("revenue", &mut input.revenue)] {
                let rows = sqlx::query(AssertSqlSafe(format!(
                    "SELECT * FROM {table} WHERE team = $1 AND month >= $2 AND month <= $3"
                )))
                .bind(team)
                .bind(&first)
                .bind(&last)
                .fetch_all(pool)
                .await
                .map_err(query(op))?;
                *out = rows
                    .iter()
                    .map(|r| monthly(r, table).map(|(_, m)| m))
                    .collect::<Result<_, _>>()?;
            }
            Ok(())
        }

        /// The team's imported orders created in `[from, until)`.
        async fn load_orders(
            pool: &Pool,
            team: &str,
            from: DateTime<Utc>,
            until: DateTime<Utc>,
        ) -> Result<Vec<OrderInput>, StorageError> {
            let rows = sqlx::query(
                "SELECT * FROM orders WHERE team = $1 AND created_at >= $2 AND created_at < $3",
            )
            .bind(team)
            .bind(enc(from))
            .bind(enc(until))
            .fetch_all(pool)
            .await
            .map_err(query("loading the orders of a report"))?;
            rows.iter().map(|r| order(r).map(|(_, o)| o)).collect()
        }

        /// The install secret, created inside `tx` on first use. Concurrent creators agree:
        /// the first insert wins and everyone reads that one back.
        async fn install_secret(
            tx: &mut sqlx::Transaction<'static, Db>,
        ) -> Result<Vec<u8>, StorageError> {
            const SELECT: &str = "SELECT value FROM meta WHERE key = 'install_secret'";
            let op = "reading the install secret";
            let found: Option<String> =
                sqlx::query_scalar(SELECT).fetch_optional(&mut **tx).await.map_err(query(op))?;
            let hexed = match found {
                Some(v) => v,
                None => {
                    sqlx::query(
                        "INSERT INTO meta (key, value) VALUES ('install_secret', $1) \
                         ON CONFLICT (key) DO NOTHING",
                    )
                    .bind(new_secret()?)
                    .execute(&mut **tx)
                    .await
                    .map_err(query("creating the install secret"))?;
                    sqlx::query_scalar(SELECT).fetch_one(&mut **tx).await.map_err(query(op))?
                }
            };
            hex::decode(hexed.as_bytes()).map_err(|e| StorageError::Corrupt {
                table: "meta",
                column: "value",
                reason: format!("the install secret is not hex: {e}"),
            })
        }

        pub(crate) async fn email_hash(pool: &Pool, email: &str) -> Result<String, StorageError> {
            let mut tx = begin(pool).await.map_err(query("starting a transaction"))?;
            let secret = install_secret(&mut tx).await?;
            tx.commit().await.map_err(query("storing the install secret"))?;
            Ok(hash_email(&secret, email))
        }

        async fn count_of(
            tx: &mut sqlx::Transaction<'static, Db>,
            table: &'static str,
            column: &'static str,
            key: &str,
        ) -> Result<i64, StorageError> {
            sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table} WHERE {column} = $1"
            )))
            .bind(key)
            .fetch_one(&mut **tx)
            .await
            .map_err(query("counting rows"))
        }

        /// An import in progress (`inputs::ImportWriter`): its one transaction, the rows it
        /// may touch (`table` where `key_column = key`) as counted when it began, and the
        /// rows its statements reported as written so far. Each statement's `DO UPDATE …
        /// WHERE` skips identical rows, so `written` is the new plus the changed ones.
        pub(crate) struct ImportTx {
            tx: sqlx::Transaction<'static, Db>,
            table: &'static str,
            key_column: &'static str,
            key: String,
            before: i64,
            written: u64,
            /// The install secret, for imports that hash e-mail addresses.
            secret: Option<Vec<u8>>,
        }

        /// Starts an import of rows of `table` whose `key_column` is `key` (a team, or the
        /// pseudo-source of a team's surveys). With `hashes_emails`, the install secret is
        /// read (or created, in a transaction of its own, so concurrent creators agree) first.
        pub(crate) async fn import_begin(
            pool: &Pool,
            (table, key_column, key): (&'static str, &'static str, &str),
            hashes_emails: bool,
        ) -> Result<ImportTx, StorageError> {
            let secret = if hashes_emails {
                let mut tx = begin(pool).await.map_err(query("starting a transaction"))?;
                let s = install_secret(&mut tx).await?;
                tx.commit().await.map_err(query("storing the install secret"))?;
                Some(s)
            } else {
                None
            };
            let mut tx = begin(pool).await.map_err(query("starting a transaction"))?;
            let before = count_of(&mut tx, table, key_column, key).await?;
            Ok(ImportTx {
                tx,
                table,
                key_column,
                key: key.to_owned(),
                before,
                written: 0,
                secret,
            })
        }

        async fn import_execute(
            t: &mut ImportTx,
            mut qb: QueryBuilder<Db>,
            op: &'static str,
        ) -> Result<(), StorageError> {
            t.written += qb.build().execute(&mut *t.tx).await.map_err(query(op))?.rows_affected();
            Ok(())
        }

        /// Upserts monthly amounts into `t.table` (`costs` or `revenue`) of team `t.key`.
        pub(crate) async fn import_write_monthly(
            t: &mut ImportTx,
            rows: &[&MonthlyAmount],
        ) -> Result<(), StorageError> {
            let (table, team) = (t.table, t.key.clone());
            for chunk in rows.chunks(PARAMS_PER_STATEMENT / 4) {
                let mut qb = QueryBuilder::<Db>::new(format!(
                    "INSERT INTO {table} (team, month, currency, amount) "
                ));
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(&team)
                        .push_bind(month_text(r.month))
                        .push_bind(&r.currency)
                        .push_bind(r.amount);
                });
                qb.push(format!(
                    " ON CONFLICT (team, month, currency) DO UPDATE SET amount = excluded.amount \
                     WHERE {table}.amount IS DISTINCT FROM excluded.amount"
                ));
                import_execute(t, qb, "importing monthly amounts").await?;
            }
            Ok(())
        }

        /// Upserts subscriptions of team `t.key`.
        pub(crate) async fn import_write_subscriptions(
            t: &mut ImportTx,
            rows: &[&SubscriptionInput],
        ) -> Result<(), StorageError> {
            let team = t.key.clone();
            for chunk in rows.chunks(PARAMS_PER_STATEMENT / 4) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO subscriptions (team, customer_id, started_at, ended_at) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(&team)
                        .push_bind(&r.customer_id)
                        .push_bind(enc(r.started_at))
                        .push_bind(r.ended_at.map(enc));
                });
                qb.push(
                    " ON CONFLICT (team, customer_id, started_at) DO UPDATE SET \
                     ended_at = excluded.ended_at \
                     WHERE subscriptions.ended_at IS DISTINCT FROM excluded.ended_at",
                );
                import_execute(t, qb, "importing subscriptions").await?;
            }
            Ok(())
        }

        /// Upserts orders of team `t.key`, each with the keyed hash of its e-mail address.
        pub(crate) async fn import_write_orders(
            t: &mut ImportTx,
            rows: &[&OrderRow],
        ) -> Result<(), StorageError> {
            let team = t.key.clone();
            let secret = t.secret.clone().ok_or_else(|| StorageError::Invalid {
                what: "order import".into(),
                reason: "it was begun without the install secret".into(),
            })?;
            for chunk in rows.chunks(PARAMS_PER_STATEMENT / 6) {
                // The plain addresses go no further than this.
                let hashed: Vec<(&OrderRow, String)> = chunk
                    .iter()
                    .map(|r| (*r, hash_email(&secret, &r.customer_email)))
                    .collect();
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO orders (team, order_id, customer_hash, created_at, amount, \
                     currency) ",
                );
                qb.push_values(&hashed, |mut b, (r, hash)| {
                    b.push_bind(&team)
                        .push_bind(&r.order_id)
                        .push_bind(hash)
                        .push_bind(enc(r.created_at))
                        .push_bind(r.amount)
                        .push_bind(&r.currency);
                });
                qb.push(
                    " ON CONFLICT (team, order_id) DO UPDATE SET \
                     customer_hash = excluded.customer_hash, created_at = excluded.created_at, \
                     amount = excluded.amount, currency = excluded.currency \
                     WHERE (orders.customer_hash, orders.created_at, orders.amount, \
                     orders.currency) IS DISTINCT FROM (excluded.customer_hash, \
                     excluded.created_at, excluded.amount, excluded.currency)",
                );
                import_execute(t, qb, "importing orders").await?;
            }
            Ok(())
        }

        /// Upserts ratings of the source `t.key` (a team's imported surveys).
        pub(crate) async fn import_write_ratings(
            t: &mut ImportTx,
            rows: &[&Rating],
        ) -> Result<(), StorageError> {
            let source = t.key.clone();
            for chunk in rows.chunks(PARAMS_PER_STATEMENT / 10) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO ratings (source, external_id, kind, score, scale_min, \
                     scale_max, ticket_id, agent_id, comment, created_at) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(&source)
                        .push_bind(&r.external_id)
                        .push_bind(r.kind.as_str())
                        .push_bind(r.score)
                        .push_bind(r.scale.min)
                        .push_bind(r.scale.max)
                        .push_bind(&r.ticket_id)
                        .push_bind(&r.agent_id)
                        .push_bind(&r.comment)
                        .push_bind(enc(r.created_at));
                });
                qb.push(
                    " ON CONFLICT (source, external_id) DO UPDATE SET kind = excluded.kind, \
                     score = excluded.score, scale_min = excluded.scale_min, \
                     scale_max = excluded.scale_max, ticket_id = excluded.ticket_id, \
                     agent_id = excluded.agent_id, comment = excluded.comment, \
                     created_at = excluded.created_at \
                     WHERE (ratings.kind, ratings.score, ratings.scale_min, ratings.scale_max, \
                     ratings.ticket_id, ratings.agent_id, ratings.comment, ratings.created_at) \
                     IS DISTINCT FROM (excluded.kind, excluded.score, excluded.scale_min, \
                     excluded.scale_max, excluded.ticket_id, excluded.agent_id, \
                     excluded.comment, excluded.created_at)",
                );
                import_execute(t, qb, "importing survey answers").await?;
            }
            Ok(())
        }

        /// Commits an import of `rows` distinct keys and says what changed.
        pub(crate) async fn import_commit(
            mut t: ImportTx,
            rows: u64,
        ) -> Result<ImportSummary, StorageError> {
            let after = count_of(&mut t.tx, t.table, t.key_column, &t.key).await?;
            t.tx.commit().await.map_err(query("committing an import"))?;
            Ok(ImportSummary::from_counts(rows, t.before, after, t.written))
        }

        /// Abandons an import: nothing of it stays.
        pub(crate) async fn import_rollback(t: ImportTx) -> Result<(), StorageError> {
            t.tx.rollback().await.map_err(query("abandoning an import"))
        }

        async fn all(pool: &Pool, table: &'static str) -> Result<Vec<DbRow>, StorageError> {
            sqlx::query(AssertSqlSafe(format!("SELECT * FROM {table}")))
                .fetch_all(pool)
                .await
                .map_err(query("reading every row"))
        }

        pub(crate) async fn read_all(pool: &Pool) -> Result<Facts, StorageError> {
            let mut f = Facts::default();
            for r in &all(pool, "tickets").await? {
                f.tickets.push(ticket(r)?);
            }
            for r in &all(pool, "messages").await? {
                f.messages.push(message(r)?);
            }
            for r in &all(pool, "status_changes").await? {
                f.status_changes.push(status_change(r)?);
            }
            for r in &all(pool, "agents").await? {
                f.agents.push(agent(r)?);
            }
            for r in &all(pool, "ratings").await? {
                f.ratings.push(rating(r)?);
            }
            for r in &all(pool, "reviews").await? {
                f.reviews.push(review(r)?);
            }
            for r in &all(pool, "social_stats").await? {
                f.social_stats.push(social_stat(r)?);
            }
            for r in &all(pool, "customers").await? {
                let hash: Option<String> = get(r, "email_hash")?;
                f.customers.push((get(r, "source")?, get(r, "external_id")?, hash));
            }
            for r in &all(pool, "costs").await? {
                f.costs.push(monthly(r, "costs")?);
            }
            for r in &all(pool, "revenue").await? {
                f.revenue.push(monthly(r, "revenue")?);
            }
            for r in &all(pool, "subscriptions").await? {
                f.subscriptions.push(subscription(r)?);
            }
            for r in &all(pool, "orders").await? {
                f.orders.push(order(r)?);
            }
            for r in &all(pool, "ticket_facts").await? {
                f.ticket_facts.push(get(r, "data")?);
            }
            for r in &all(pool, "open_spans").await? {
                f.open_spans.push((
                    get(r, "source")?,
                    get(r, "ticket_id")?,
                    time(r, "open_spans", "opened_at")?,
                    opt_time(r, "open_spans", "closed_at")?,
                ));
            }
            for r in &all(pool, "vendor_metrics").await? {
                f.vendor_metrics.push(vendor_metrics(r)?);
            }
            for r in &all(pool, "checkpoints").await? {
                let Json(v): Json<serde_json::Value> = get(r, "value")?;
                f.checkpoints.push((get(r, "source")?, get(r, "stream")?, Checkpoint::new(v)));
            }
            Ok(f)
        }

        pub(crate) async fn counts(pool: &Pool) -> Result<BTreeMap<&'static str, i64>, StorageError> {
            let mut out = BTreeMap::new();
            for &table in TABLES {
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(pool)
                    .await
                    .map_err(query("counting rows"))?;
                out.insert(table, n);
            }
            Ok(out)
        }

        fn get<'r, T>(r: &'r DbRow, column: &'static str) -> Result<T, StorageError>
        where
            T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
        {
            r.try_get(column).map_err(query("reading a row"))
        }

        fn time(r: &DbRow, table: &'static str, column: &'static str) -> Result<DateTime<Utc>, StorageError> {
            dec(get(r, column)?, table, column)
        }

        fn opt_time(
            r: &DbRow,
            table: &'static str,
            column: &'static str,
        ) -> Result<Option<DateTime<Utc>>, StorageError> {
            get::<Option<Ts>>(r, column)?.map(|v| dec(v, table, column)).transpose()
        }

        fn parse<T: FromStr<Err = String>>(
            r: &DbRow,
            table: &'static str,
            column: &'static str,
        ) -> Result<T, StorageError> {
            let s: String = get(r, column)?;
            s.parse().map_err(|reason| StorageError::Corrupt { table, column, reason })
        }

        fn ticket(r: &DbRow) -> Result<(String, Ticket), StorageError> {
            const T: &str = "tickets";
            let reopens = get::<Option<i64>>(r, "reopens")?
                .map(u32::try_from)
                .transpose()
                .map_err(|e| StorageError::Corrupt { table: T, column: "reopens", reason: e.to_string() })?;
            let Json(tags): Json<Vec<String>> = get(r, "tags")?;
            // A ticket a sweep of the vendor's ids no longer found is gone (deleted or merged
            // away) for every reader, whatever status the vendor last gave it.
            let missing = opt_time(r, T, "missing_since")?.is_some();
            let status = if missing { TicketStatus::Deleted } else { parse(r, T, "status")? };
            Ok((
                get(r, "source")?,
                Ticket {
                    external_id: get(r, "external_id")?,
                    channel: parse(r, T, "channel")?,
                    status,
                    created_at: time(r, T, "created_at")?,
                    updated_at: time(r, T, "updated_at")?,
                    first_solved_at: opt_time(r, T, "first_solved_at")?,
                    final_solved_at: opt_time(r, T, "final_solved_at")?,
                    reopens,
                    opened_by_agent: get(r, "opened_by_agent")?,
                    requester_id: get(r, "requester_id")?,
                    assignee_id: get(r, "assignee_id")?,
                    group_id: get(r, "group_id")?,
                    tags,
                    priority: get(r, "priority")?,
                },
            ))
        }

        fn message(r: &DbRow) -> Result<(String, Message), StorageError> {
            const T: &str = "messages";
            Ok((
                get(r, "source")?,
                Message {
                    external_id: get(r, "external_id")?,
                    ticket_id: get(r, "ticket_id")?,
                    author_kind: parse(r, T, "author_kind")?,
                    author_id: get(r, "author_id")?,
                    public: get(r, "is_public")?,
                    created_at: time(r, T, "created_at")?,
                },
            ))
        }

        fn status_change(r: &DbRow) -> Result<(String, StatusChange), StorageError> {
            const T: &str = "status_changes";
            let from = get::<Option<String>>(r, "from_status")?
                .map(|s| s.parse())
                .transpose()
                .map_err(|reason| StorageError::Corrupt { table: T, column: "from_status", reason })?;
            Ok((
                get(r, "source")?,
                StatusChange {
                    external_id: get(r, "external_id")?,
                    ticket_id: get(r, "ticket_id")?,
                    from,
                    to: parse(r, T, "to_status")?,
                    author_kind: parse(r, T, "author_kind")?,
                    author_id: get(r, "author_id")?,
                    at: time(r, T, "changed_at")?,
                },
            ))
        }

        fn vendor_metrics(r: &DbRow) -> Result<(String, VendorMetrics), StorageError> {
            const T: &str = "vendor_metrics";
            let count = |column: &'static str| -> Result<Option<u32>, StorageError> {
                get::<Option<i64>>(r, column)?
                    .map(u32::try_from)
                    .transpose()
                    .map_err(|e| StorageError::Corrupt { table: T, column, reason: e.to_string() })
            };
            let duration = |calendar: &'static str, business: &'static str| -> Result<VendorDuration, StorageError> {
                Ok(VendorDuration { calendar_seconds: get(r, calendar)?, business_seconds: get(r, business)? })
            };
            Ok((
                get(r, "source")?,
                VendorMetrics {
                    ticket_id: get(r, "ticket_id")?,
                    updated_at: time(r, T, "updated_at")?,
                    first_response: duration("first_response_seconds", "first_response_business_seconds")?,
                    first_resolution: duration("first_resolution_seconds", "first_resolution_business_seconds")?,
                    full_resolution: duration("full_resolution_seconds", "full_resolution_business_seconds")?,
                    reopens: count("reopens")?,
                    replies: count("replies")?,
                },
            ))
        }

        fn agent(r: &DbRow) -> Result<(String, Agent), StorageError> {
            Ok((
                get(r, "source")?,
                Agent { external_id: get(r, "external_id")?, name: get(r, "name")?, is_bot: get(r, "is_bot")? },
            ))
        }

        /// Ratings as `RATING_JSON` arrays joined with `,`.
        fn ratings_from_json(joined: &str) -> Result<Vec<RatingInput>, StorageError> {
            type Row = (
                String,
                String,
                String,
                f64,
                f64,
                f64,
                Option<String>,
                Option<String>,
                Option<String>,
                i64,
                Option<String>,
            );
            let corrupt = |column: &'static str, reason: String| StorageError::Corrupt {
                table: "ratings",
                column,
                reason,
            };
            let rows: Vec<Row> = serde_json::from_str(&format!("[{joined}]"))
                .map_err(|e| corrupt("*", e.to_string()))?;
            rows.into_iter()
                .map(|(source, external_id, kind, score, min, max, ticket_id, agent_id, comment, at, ticket_source)| {
                    // Only an imported survey's ticket lives elsewhere.
                    let ticket_source = ticket_source.filter(|t| *t != source);
                    Ok(RatingInput {
                        source,
                        ticket_source,
                        rating: Rating {
                            external_id,
                            kind: kind.parse().map_err(|e| corrupt("kind", e))?,
                            score,
                            scale: RatingScale { min, max },
                            ticket_id,
                            agent_id,
                            comment,
                            created_at: DateTime::from_timestamp_micros(at).ok_or_else(|| {
                                corrupt("created_at", format!("{at} µs since 1970 is out of range"))
                            })?,
                        },
                    })
                })
                .collect()
        }

        fn rating(r: &DbRow) -> Result<(String, Rating), StorageError> {
            const T: &str = "ratings";
            Ok((
                get(r, "source")?,
                Rating {
                    external_id: get(r, "external_id")?,
                    kind: parse(r, T, "kind")?,
                    score: get(r, "score")?,
                    scale: RatingScale { min: get(r, "scale_min")?, max: get(r, "scale_max")? },
                    ticket_id: get(r, "ticket_id")?,
                    agent_id: get(r, "agent_id")?,
                    comment: get(r, "comment")?,
                    created_at: time(r, T, "created_at")?,
                },
            ))
        }

        fn review(r: &DbRow) -> Result<(String, Review), StorageError> {
            const T: &str = "reviews";
            Ok((
                get(r, "source")?,
                Review {
                    platform: get(r, "platform")?,
                    external_id: get(r, "external_id")?,
                    rating: get(r, "rating")?,
                    title: get(r, "title")?,
                    text: get(r, "review_text")?,
                    author_name: get(r, "author_name")?,
                    created_at: time(r, T, "created_at")?,
                    reply_text: get(r, "reply_text")?,
                    replied_at: opt_time(r, T, "replied_at")?,
                    url: get(r, "url")?,
                },
            ))
        }

        fn monthly(r: &DbRow, table: &'static str) -> Result<(String, MonthlyAmount), StorageError> {
            let m: String = get(r, "month")?;
            let month = parse_month(&m).ok_or_else(|| StorageError::Corrupt {
                table,
                column: "month",
                reason: format!("{m:?} is not YYYY-MM"),
            })?;
            Ok((
                get(r, "team")?,
                MonthlyAmount { month, amount: get(r, "amount")?, currency: get(r, "currency")? },
            ))
        }

        fn subscription(r: &DbRow) -> Result<(String, SubscriptionInput), StorageError> {
            const T: &str = "subscriptions";
            Ok((
                get(r, "team")?,
                SubscriptionInput {
                    customer_id: get(r, "customer_id")?,
                    started_at: time(r, T, "started_at")?,
                    ended_at: opt_time(r, T, "ended_at")?,
                },
            ))
        }

        fn order(r: &DbRow) -> Result<(String, OrderInput), StorageError> {
            const T: &str = "orders";
            Ok((
                get(r, "team")?,
                OrderInput {
                    order_id: get(r, "order_id")?,
                    customer_hash: get(r, "customer_hash")?,
                    created_at: time(r, T, "created_at")?,
                    amount: get(r, "amount")?,
                    currency: get(r, "currency")?,
                },
            ))
        }

        fn social_stat(r: &DbRow) -> Result<(String, SocialStat), StorageError> {
            const T: &str = "social_stats";
            Ok((
                get(r, "source")?,
                SocialStat {
                    platform: get(r, "platform")?,
                    account: get(r, "account")?,
                    metric: parse(r, T, "metric")?,
                    value: get(r, "value")?,
                    observed_at: time(r, T, "observed_at")?,
                },
            ))
        }

        // ---- forgetting (see `forget.rs`) ----

        /// Deletes every row of `source` from `forget::SOURCE_TABLES` in one transaction,
        /// under the source's facts lock (a refresh running meanwhile cannot write its facts
        /// back); the rows deleted per table, in that order.
        pub(crate) async fn forget_source(
            pool: &Pool,
            source: &str,
        ) -> Result<Vec<(&'static str, u64)>, StorageError> {
            let op = "forgetting a source";
            let mut tx = begin(pool).await.map_err(query("starting a transaction"))?;
            lock_facts(&mut tx, source).await?;
            let mut out = Vec::with_capacity(crate::forget::SOURCE_TABLES.len());
            for &table in crate::forget::SOURCE_TABLES {
                let n = sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE source = $1")))
                    .bind(source)
                    .execute(&mut *tx)
                    .await
                    .map_err(query(op))?
                    .rows_affected();
                out.push((table, n));
            }
            tx.commit().await.map_err(query(op))?;
            Ok(out)
        }

        /// Deletes the orders and helpdesk customers whose stored hash is that of `email`,
        /// in one transaction; the rows deleted per table (`forget::CUSTOMER_TABLES` order).
        /// No install secret: nothing was hashed, so nothing matches (and none is created).
        pub(crate) async fn forget_customer(
            pool: &Pool,
            email: &str,
        ) -> Result<Vec<(&'static str, u64)>, StorageError> {
            let op = "forgetting a customer";
            let mut tx = begin(pool).await.map_err(query("starting a transaction"))?;
            let found: Option<String> =
                sqlx::query_scalar("SELECT value FROM meta WHERE key = 'install_secret'")
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(query(op))?;
            let mut out: Vec<(&'static str, u64)> =
                crate::forget::CUSTOMER_TABLES.iter().map(|t| (*t, 0)).collect();
            let Some(hexed) = found else {
                tx.rollback().await.map_err(query(op))?;
                return Ok(out);
            };
            let secret = hex::decode(hexed.as_bytes()).map_err(|e| StorageError::Corrupt {
                table: "meta",
                column: "value",
                reason: format!("the install secret is not hex: {e}"),
            })?;
            let hash = hash_email(&secret, email);
            for (table, n) in out.iter_mut() {
                let column = if *table == "orders" { "customer_hash" } else { "email_hash" };
                *n = sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE {column} = $1")))
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(query(op))?
                    .rows_affected();
            }
            tx.commit().await.map_err(query(op))?;
            Ok(out)
        }

        /// The newest migration applied to the database, and the newest this build knows.
        pub(crate) async fn schema_version(pool: &Pool) -> Result<(Option<i64>, i64), StorageError> {
            let applied: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(pool)
                    .await
                    .map_err(query("reading the schema version"))?;
            let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
            Ok((applied, known))
        }
    };
}

pub(crate) use shared_sql;
