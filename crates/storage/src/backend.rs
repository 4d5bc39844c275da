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
        use crate::{Facts, Parts, StorageError, TABLES};
        use chrono::{DateTime, Utc};
        use deskpulse_metrics::{AgentInput, RatingInput, ReportInput, TicketInput};
        use deskpulse_model::{
            Agent, Checkpoint, Message, Rating, RatingScale, Review, SocialStat, StatusChange,
            Ticket,
        };
        use sqlx::types::Json;
        use sqlx::{AssertSqlSafe, QueryBuilder, Row};
        use std::collections::{BTreeMap, HashMap};
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
                     priority = excluded.priority \
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

        /// `SELECT … FROM cand` over the keys of the candidate tickets (see
        /// `Store::load_report_input`). A UNION of index range scans, never a table scan.
        fn with_candidates(
            sources: &[String],
            start: DateTime<Utc>,
            end: DateTime<Utc>,
            select: &str,
        ) -> QueryBuilder<Db> {
            let mut qb = QueryBuilder::<Db>::new("WITH src(name) AS (VALUES ");
            let mut sep = qb.separated(", ");
            for s in sources {
                sep.push("(").push_bind_unseparated(s).push_unseparated(")");
            }
            qb.push(
                "), cand(source, ticket_id) AS (\
                 SELECT source, external_id FROM tickets \
                 WHERE source IN (SELECT name FROM src) AND created_at >= ",
            )
            .push_bind(enc(start))
            .push(" AND created_at < ")
            .push_bind(enc(end))
            .push(
                " UNION SELECT source, external_id FROM tickets \
                 WHERE source IN (SELECT name FROM src) AND updated_at >= ",
            )
            .push_bind(enc(start))
            // Same predicate text as the partial index `tickets_unsolved`.
            .push(
                " UNION SELECT source, external_id FROM tickets \
                 WHERE source IN (SELECT name FROM src) \
                 AND status NOT IN ('solved', 'closed') AND created_at < ",
            )
            .push_bind(enc(end))
            .push(
                " UNION SELECT source, ticket_id FROM messages \
                 WHERE source IN (SELECT name FROM src) AND created_at >= ",
            )
            .push_bind(enc(start))
            .push(
                " UNION SELECT source, ticket_id FROM status_changes \
                 WHERE source IN (SELECT name FROM src) AND changed_at >= ",
            )
            .push_bind(enc(start))
            .push(") ")
            .push(select);
            qb
        }

        fn source_list(qb: &mut QueryBuilder<Db>, sources: &[String]) {
            qb.push("(");
            let mut sep = qb.separated(", ");
            for s in sources {
                sep.push_bind(s);
            }
            qb.push(")");
        }

        pub(crate) async fn load_report_input(
            pool: &Pool,
            sources: &[String],
            start: DateTime<Utc>,
            end: DateTime<Utc>,
        ) -> Result<ReportInput, StorageError> {
            let op = "loading the facts of a report";
            let rows = with_candidates(
                sources,
                start,
                end,
                "SELECT t.* FROM tickets t \
                 JOIN cand c ON t.source = c.source AND t.external_id = c.ticket_id",
            )
            .build()
            .fetch_all(pool)
            .await
            .map_err(query(op))?;
            let mut tickets: HashMap<(String, String), TicketInput> = HashMap::new();
            for r in &rows {
                let (source, ticket) = ticket(r)?;
                tickets.insert(
                    (source.clone(), ticket.external_id.clone()),
                    TicketInput { source, ticket, messages: Vec::new(), status_changes: Vec::new() },
                );
            }

            let rows = with_candidates(
                sources,
                start,
                end,
                "SELECT m.* FROM messages m \
                 JOIN cand c ON m.source = c.source AND m.ticket_id = c.ticket_id",
            )
            .build()
            .fetch_all(pool)
            .await
            .map_err(query(op))?;
            for r in &rows {
                let (source, m) = message(r)?;
                if let Some(t) = tickets.get_mut(&(source, m.ticket_id.clone())) {
                    t.messages.push(m);
                }
            }

            let rows = with_candidates(
                sources,
                start,
                end,
                "SELECT s.* FROM status_changes s \
                 JOIN cand c ON s.source = c.source AND s.ticket_id = c.ticket_id",
            )
            .build()
            .fetch_all(pool)
            .await
            .map_err(query(op))?;
            for r in &rows {
                let (source, c) = status_change(r)?;
                if let Some(t) = tickets.get_mut(&(source, c.ticket_id.clone())) {
                    t.status_changes.push(c);
                }
            }

            let mut qb = QueryBuilder::<Db>::new("SELECT * FROM agents WHERE source IN ");
            source_list(&mut qb, sources);
            let rows = qb.build().fetch_all(pool).await.map_err(query(op))?;
            let agents = rows
                .iter()
                .map(|r| agent(r).map(|(source, agent)| AgentInput { source, agent }))
                .collect::<Result<Vec<_>, _>>()?;

            let mut qb = QueryBuilder::<Db>::new("SELECT * FROM ratings WHERE source IN ");
            source_list(&mut qb, sources);
            qb.push(" AND created_at >= ")
                .push_bind(enc(start))
                .push(" AND created_at < ")
                .push_bind(enc(end));
            let rows = qb.build().fetch_all(pool).await.map_err(query(op))?;
            let ratings = rows
                .iter()
                .map(|r| rating(r).map(|(source, rating)| RatingInput { source, rating }))
                .collect::<Result<Vec<_>, _>>()?;

            Ok(ReportInput { tickets: tickets.into_values().collect(), agents, ratings, ..Default::default() })
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
            Ok((
                get(r, "source")?,
                Ticket {
                    external_id: get(r, "external_id")?,
                    channel: parse(r, T, "channel")?,
                    status: parse(r, T, "status")?,
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

        fn agent(r: &DbRow) -> Result<(String, Agent), StorageError> {
            Ok((
                get(r, "source")?,
                Agent { external_id: get(r, "external_id")?, name: get(r, "name")?, is_bot: get(r, "is_bot")? },
            ))
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
    };
}

pub(crate) use shared_sql;
