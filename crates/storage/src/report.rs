//! Report reads: what a period's report needs ([`ReportInput`]), read from the derived facts
//! by index ranges (no message is read), the backlog counted in SQL over `open_spans`, and
//! the team's manual inputs. The timings these reads were shaped by are in `BENCHMARKS.md`.

use crate::db::{PARAMS_PER_STATEMENT, Query, Time};
use crate::error::query;
use crate::facts::decode_joined as decode_facts;
use crate::inputs::month_text;
use crate::rows::{
    agent, get, monthly, order, rating_snapshot, ratings_from_json, review, social_interaction,
    social_stat, subscription,
};
use crate::{StorageError, Store};
use chrono::{DateTime, Utc};
use deskpulse_metrics::{
    AgentInput, BacklogCount, OrderInput, RatingSnapshotInput, ReportInput, RequesterInput,
    ReviewInput, SocialInput, SocialInteractionInput, TicketFacts,
};
use std::collections::{BTreeMap, BTreeSet};

impl Store {
    /// The facts that can matter to the period `[start, end)` of `sources`: all their agents,
    /// their ratings created in the period (with the excluded tickets they refer to), the
    /// derived facts ([`ReportInput::facts`], kept at ingest) of every ticket that is not
    /// spam, deleted or merged and was created, finally solved or replied to in the period,
    /// the backlog at `end` ([`ReportInput::backlog`], counted in SQL), the e-mail hashes of
    /// those tickets' requesters, the reviews created in the period or before it and
    /// unanswered or answered since `start`, and each social counter's observations in
    /// `[start, end]` plus its last one before `start`. The metrics crate decides what
    /// counts. Raw tickets (`ReportInput::tickets`) stay empty: no message is read. No
    /// team: no manual inputs (see [`Store::load_report_input_for`]).
    pub async fn load_report_input(
        &self,
        sources: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<ReportInput, StorageError> {
        self.refresh_facts().await?;
        self.read_input(None, sources, start, end).await
    }

    /// [`Store::load_report_input`] plus the manual inputs of `team`: its imported surveys
    /// (ratings of `import:{team}` created in the period; one that names a ticket of the
    /// team's sources is linked to it, `RatingInput::ticket_source`), orders from 5 days
    /// before the start to 5 days after the end or after the latest first reply of a ticket
    /// created in the period, whichever is later, subscriptions overlapping
    /// `[start − 1 day, end]`, and costs and revenue of every month within a day of the
    /// period. A rating without an agent carries its ticket's assignee.
    pub async fn load_report_input_for(
        &self,
        team: &str,
        sources: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<ReportInput, StorageError> {
        self.refresh_facts().await?;
        self.read_input(Some(team), sources, start, end).await
    }

    /// One load for several periods of `team` (a report's history): what
    /// [`Store::load_report_input_for`] gives for the span from the earliest start to the
    /// latest end (a superset of each period's facts: metrics picks per period), with
    /// [`ReportInput::backlog`] counted at the end of every period. Empty `periods`: an
    /// empty input.
    pub async fn load_periods_input_for(
        &self,
        team: &str,
        sources: &[String],
        periods: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<ReportInput, StorageError> {
        self.refresh_facts().await?;
        self.read_periods(team, sources, periods).await
    }

    /// [`Store::load_periods_input_for`] without the refresh (the caller did it).
    async fn read_periods(
        &self,
        team: &str,
        sources: &[String],
        periods: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<ReportInput, StorageError> {
        let (Some(start), Some(end)) = (
            periods.iter().map(|p| p.0).min(),
            periods.iter().map(|p| p.1).max(),
        ) else {
            return Ok(ReportInput::default());
        };
        let mut input = self.read_input(Some(team), sources, start, end).await?;
        let ends: Vec<DateTime<Utc>> = periods.iter().map(|p| p.1).collect();
        input.backlog = backlog_at(self, sources, &ends).await?;
        Ok(input)
    }

    /// What a report with history needs, read concurrently (two pooled connections):
    /// `(the period's input, the input of its history periods)`, as
    /// [`Store::load_report_input_for`] and [`Store::load_periods_input_for`] give them.
    pub async fn load_report_with_history_for(
        &self,
        team: &str,
        sources: &[String],
        period: (DateTime<Utc>, DateTime<Utc>),
        history: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<(ReportInput, ReportInput), StorageError> {
        // One refresh for both reads.
        self.refresh_facts().await?;
        tokio::try_join!(
            self.read_input(Some(team), sources, period.0, period.1),
            self.read_periods(team, sources, history),
        )
    }

    /// The report loads' shared read, without the refresh (every caller did it).
    async fn read_input(
        &self,
        team: Option<&str>,
        sources: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<ReportInput, StorageError> {
        let mut input = load_report_input(self, team, sources, start, end).await?;
        sort(&mut input);
        Ok(input)
    }

    /// [`Store::load_report_with_history_for`] for a reader that already has the period's
    /// own report: of the period only what a page quotes — the ratings created in it (the
    /// team's imported surveys with them, linked and sorted as in
    /// [`Store::load_report_input_for`]) and the reviews created in it — read at the same
    /// time as the history periods' input, after one refresh.
    pub async fn load_quotes_with_history_for(
        &self,
        team: &str,
        sources: &[String],
        period: (DateTime<Utc>, DateTime<Utc>),
        history: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<(ReportInput, ReportInput), StorageError> {
        self.refresh_facts().await?;
        tokio::try_join!(
            self.read_quotes(team, sources, period.0, period.1),
            self.read_periods(team, sources, history),
        )
    }

    /// The quotes of [`Store::load_quotes_with_history_for`], without the refresh.
    async fn read_quotes(
        &self,
        team: &str,
        sources: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<ReportInput, StorageError> {
        let mut input = ReportInput::default();
        load_ratings(self, Some(team), sources, start, end, &mut input).await?;
        if !sources.is_empty() {
            let mut qb = self.sql("SELECT * FROM reviews WHERE source IN ");
            source_list(&mut qb, sources);
            qb.push(" AND created_at >= ")
                .push_bind(Time(start))
                .push(" AND created_at < ")
                .push_bind(Time(end));
            let op = "loading the reviews a page quotes";
            input.reviews = qb
                .fetch_all(self)
                .await
                .map_err(query(op))?
                .iter()
                .map(|r| review(r).map(|(source, review)| ReviewInput { source, review }))
                .collect::<Result<Vec<_>, _>>()?;
        }
        sort(&mut input);
        Ok(input)
    }

    /// How many tickets of `sources` were open (created, not excluded, not solved) at each
    /// of `instants`, counted over the `open_spans` kept at ingest: what
    /// [`ReportInput::backlog`] holds for a period's end. A report with history asks for the
    /// end of every previous period here instead of loading their open tickets.
    pub async fn backlog_at(
        &self,
        sources: &[String],
        instants: &[DateTime<Utc>],
    ) -> Result<Vec<BacklogCount>, StorageError> {
        self.refresh_facts().await?;
        backlog_at(self, sources, instants).await
    }
}

/// Open tickets of `sources` at each of `instants` (see `Store::backlog_at`), without the
/// refresh.
async fn backlog_at(
    db: &Store,
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
        let mut qb = db.sql("SELECT (SELECT COUNT(*) FROM open_spans WHERE source IN ");
        source_list(&mut qb, sources);
        qb.push(" AND closed_at > ")
            .push_bind(Time(at))
            .push(" AND opened_at <= ")
            .push_bind(Time(at))
            .push(") + (SELECT COUNT(*) FROM open_spans WHERE source IN ");
        source_list(&mut qb, sources);
        qb.push(" AND closed_at IS NULL AND opened_at <= ")
            .push_bind(Time(at))
            .push(")");
        let open: i64 = qb.scalar(db).await.map_err(query("counting the backlog"))?;
        out.push(BacklogCount {
            at,
            open: u64::try_from(open).unwrap_or(0),
        });
    }
    Ok(out)
}

/// `(…)` of `sources`, bound; `(NULL)` (matches nothing) when there are none.
/// Appends ` UNION` the rows of `table` (of `sources`) that are the newest of their group
/// (`keys`) by `observed_at`, among those observed before `before` when given.
fn union_latest(
    qb: &mut Query,
    table: &str,
    keys: &[&str],
    sources: &[String],
    before: Option<DateTime<Utc>>,
) {
    let keys_list = keys.join(", ");
    qb.push(format!(
        " UNION SELECT s.* FROM {table} s JOIN (SELECT {keys_list}, MAX(observed_at) AS last_at \
         FROM {table} WHERE source IN "
    ));
    source_list(qb, sources);
    if let Some(before) = before {
        qb.push(" AND observed_at < ").push_bind(Time(before));
    }
    let on: Vec<String> = keys.iter().map(|k| format!("s.{k} = l.{k}")).collect();
    qb.push(format!(
        " GROUP BY {keys_list}) l ON {} AND s.observed_at = l.last_at",
        on.join(" AND ")
    ));
}

pub(crate) fn source_list(qb: &mut Query, sources: &[String]) {
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

async fn load_report_input(
    db: &Store,
    team: Option<&str>,
    sources: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<ReportInput, StorageError> {
    // Three independent reads on three pooled connections: on SQLite each runs on its own
    // connection thread, so they overlap.
    let (mut input, rated, manual) = tokio::try_join!(
        async {
            let mut input = ReportInput::default();
            if !sources.is_empty() {
                load_source_facts(db, sources, start, end, &mut input).await?;
            }
            Ok::<_, StorageError>(input)
        },
        async {
            let mut input = ReportInput::default();
            load_ratings(db, team, sources, start, end, &mut input).await?;
            Ok(input)
        },
        async {
            let mut input = ReportInput::default();
            if let Some(team) = team {
                load_team_inputs(db, team, start, end, &mut input).await?;
            }
            Ok(input)
        },
    )?;
    input.ratings = rated.ratings;
    input.excluded_tickets = rated.excluded_tickets;
    input.orders = manual.orders;
    // A ticket of the period answered after it converts up to 5 days after that answer:
    // read the orders that late too.
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
        input
            .orders
            .extend(load_orders(db, team, end + window, reply + window).await?);
    }
    input.subscriptions = manual.subscriptions;
    input.costs = manual.costs;
    input.revenue = manual.revenue;
    Ok(input)
}

/// The ratings of `sources` and of the team's imports created in the period, and which of
/// them belong to excluded tickets.
async fn load_ratings(
    db: &Store,
    team: Option<&str>,
    sources: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    input: &mut ReportInput,
) -> Result<(), StorageError> {
    let op = "loading the ratings of a report";
    // The team's imported surveys sit next to its helpdesks' ratings.
    let mut rating_sources = sources.to_vec();
    let import = team.map(crate::inputs::import_source);
    rating_sources.extend(import.clone());
    if rating_sources.is_empty() {
        return Ok(());
    }
    // The period's ratings, each with the source of the ticket it is about (an imported
    // survey's ticket is looked up among the team's helpdesks, the first source by name
    // that has it) and, when it names no agent, that ticket's assignee.
    let linked = |select: &str| {
        let mut qb = db.sql(format!(
            "{select} FROM (SELECT source, external_id, kind, score, scale_min, scale_max, \
             ticket_id, COALESCE(agent_id, (SELECT t.assignee_id FROM tickets t \
             WHERE t.source = y.ticket_source AND t.external_id = y.ticket_id)) AS agent_id, \
             comment, created_at, ticket_source FROM (SELECT r.*, CASE WHEN r.source = "
        ));
        qb.push_bind(import.clone().unwrap_or_default());
        qb.push(" THEN (SELECT MIN(t.source) FROM tickets t WHERE t.source IN ");
        source_list(&mut qb, sources);
        qb.push(
            " AND t.external_id = r.ticket_id) ELSE r.source END AS ticket_source \
             FROM ratings r WHERE r.source IN ",
        );
        source_list(&mut qb, &rating_sources);
        qb.push(" AND r.created_at >= ")
            .push_bind(Time(start))
            .push(" AND r.created_at < ")
            .push_bind(Time(end))
            .push(") y) x");
        qb
    };
    // One text, like the facts: a 12-week history has tens of thousands.
    let rating_json = db.dialect().rating_json();
    let joined: Option<String> = linked(&format!("SELECT string_agg({rating_json}, ',')"))
        .scalar(db)
        .await
        .map_err(query(op))?;
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
        .fetch_all(db)
        .await
        .map_err(query(op))?
        .iter()
        .map(|r| Ok((r.get(0).map_err(query(op))?, r.get(1).map_err(query(op))?)))
        .collect::<Result<_, StorageError>>()?;
    Ok(())
}

/// The derived facts of the tickets of `sources` that matter to `[start, end)`
/// (`TicketFacts::matters_to`, less the open ones: storage counts those). A long range is
/// cut in two halves read concurrently on two connections (a ticket that matters to both
/// comes once).
async fn load_facts(
    db: &Store,
    sources: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<TicketFacts>, StorageError> {
    if end - start <= chrono::Duration::days(14) {
        return facts_in(db, sources, start, end).await;
    }
    let mid = start + (end - start) / 2;
    let (mut a, b) = tokio::try_join!(
        facts_in(db, sources, start, mid),
        facts_in(db, sources, mid, end),
    )?;
    let seen: std::collections::HashSet<(String, String)> = a
        .iter()
        .map(|f| (f.source.clone(), f.ticket_id.clone()))
        .collect();
    a.extend(
        b.into_iter()
            .filter(|f| !seen.contains(&(f.source.clone(), f.ticket_id.clone()))),
    );
    Ok(a)
}

/// One range of [`load_facts`]: three index ranges, each ticket once (the later ranges
/// leave out what the earlier ones took), joined into one text by the database (sqlx
/// decodes row by row at a few µs each, and a 12-week history is over 100k rows; one text
/// is one serde parse).
async fn facts_in(
    db: &Store,
    sources: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<TicketFacts>, StorageError> {
    let op = "loading the facts of a report";
    let (s, e) = (Time(start), Time(end));
    let mut qb =
        db.sql("SELECT string_agg(data, ',') FROM (SELECT data FROM ticket_facts WHERE source IN ");
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
    let joined: Option<String> = qb.scalar(db).await.map_err(query(op))?;
    match joined {
        Some(joined) => decode_facts(&joined),
        None => Ok(Vec::new()),
    }
}

/// Tickets, agents, requesters, reviews and social observations of `sources` (see
/// `Store::load_report_input`).
async fn load_source_facts(
    db: &Store,
    sources: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    input: &mut ReportInput,
) -> Result<(), StorageError> {
    let op = "loading the facts of a report";
    let facts = load_facts(db, sources, start, end).await?;
    let backlog = backlog_at(db, sources, &[end]).await?;

    let mut qb = db.sql("SELECT * FROM agents WHERE source IN ");
    source_list(&mut qb, sources);
    let rows = qb.fetch_all(db).await.map_err(query(op))?;
    let agents = rows
        .iter()
        .map(|r| agent(r).map(|(source, agent)| AgentInput { source, agent }))
        .collect::<Result<Vec<_>, _>>()?;

    // The hashes of the candidate tickets' requesters, for converted tickets: looked up by
    // primary key from the tickets already loaded (no second candidate scan).
    let mut wanted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in &facts {
        if let Some(id) = &f.requester_id {
            wanted
                .entry(f.source.as_str())
                .or_default()
                .insert(id.as_str());
        }
    }
    let mut requesters = Vec::new();
    // Most teams import no customers: then there is nothing to look up.
    let mut qb = db.sql(
        "SELECT COUNT(*) FROM (SELECT 1 FROM customers WHERE email_hash IS NOT NULL \
         AND source IN ",
    );
    source_list(&mut qb, sources);
    qb.push(" LIMIT 1) AS c");
    let known: i64 = qb.scalar(db).await.map_err(query(op))?;
    if known == 0 {
        wanted.clear();
    }
    for (source, ids) in &wanted {
        let ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
        for chunk in ids.chunks(PARAMS_PER_STATEMENT - 1) {
            let rows = db
                .dialect()
                .rows_keyed("customers", "external_id", source, chunk)
                .fetch_all(db)
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

    // Reviews created in the period, plus older ones unanswered or answered since its
    // start (answered share and reply times need them).
    let mut qb = db.sql("SELECT * FROM reviews WHERE source IN ");
    source_list(&mut qb, sources);
    qb.push(" AND created_at >= ")
        .push_bind(Time(start))
        .push(" AND created_at < ")
        .push_bind(Time(end))
        .push(" UNION SELECT * FROM reviews WHERE source IN ");
    source_list(&mut qb, sources);
    // Same predicate text as the partial index `reviews_unanswered`.
    qb.push(" AND replied_at IS NULL AND created_at < ")
        .push_bind(Time(end))
        .push(" UNION SELECT * FROM reviews WHERE source IN ");
    source_list(&mut qb, sources);
    qb.push(" AND replied_at >= ")
        .push_bind(Time(start))
        .push(" AND created_at < ")
        .push_bind(Time(end));
    let rows = qb.fetch_all(db).await.map_err(query(op))?;
    let reviews = rows
        .iter()
        .map(|r| review(r).map(|(source, review)| ReviewInput { source, review }))
        .collect::<Result<Vec<_>, _>>()?;

    // Every observation in [start, end] (end included: "value at end"), and the last one
    // before the start of each counter.
    let mut qb = db.sql("SELECT * FROM social_stats WHERE source IN ");
    source_list(&mut qb, sources);
    qb.push(" AND observed_at >= ")
        .push_bind(Time(start))
        .push(" AND observed_at <= ")
        .push_bind(Time(end));
    union_latest(
        &mut qb,
        "social_stats",
        &["source", "platform", "account", "metric"],
        sources,
        Some(start),
    );
    let rows = qb.fetch_all(db).await.map_err(query(op))?;
    let social = rows
        .iter()
        .map(|r| social_stat(r).map(|(source, stat)| SocialInput { source, stat }))
        .collect::<Result<Vec<_>, _>>()?;

    // Snapshots of the period, and the last one before its start of each account (the
    // overall rating's change is measured from it), and the newest of each.
    let mut qb = db.sql("SELECT * FROM rating_snapshots WHERE source IN ");
    source_list(&mut qb, sources);
    qb.push(" AND observed_at >= ")
        .push_bind(Time(start))
        .push(" AND observed_at < ")
        .push_bind(Time(end));
    let account = ["source", "platform", "account"];
    union_latest(&mut qb, "rating_snapshots", &account, sources, Some(start));
    // And the newest of each account whenever it was taken: the coverage it states is the
    // connector's, true of any period (metrics reads no figure from it after the end).
    union_latest(&mut qb, "rating_snapshots", &account, sources, None);
    let rows = qb.fetch_all(db).await.map_err(query(op))?;
    let rating_snapshots = rows
        .iter()
        .map(|r| {
            rating_snapshot(r).map(|(source, snapshot)| RatingSnapshotInput { source, snapshot })
        })
        .collect::<Result<Vec<_>, _>>()?;

    // Customer comments and mentions received in the period (their replies may come later).
    let mut qb = db.sql("SELECT * FROM social_interactions WHERE source IN ");
    source_list(&mut qb, sources);
    qb.push(" AND created_at >= ")
        .push_bind(Time(start))
        .push(" AND created_at < ")
        .push_bind(Time(end));
    let rows = qb.fetch_all(db).await.map_err(query(op))?;
    let social_interactions = rows
        .iter()
        .map(|r| {
            social_interaction(r).map(|(source, interaction)| SocialInteractionInput {
                source,
                interaction,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    input.facts = facts;
    input.backlog = backlog;
    input.agents = agents;
    input.requesters = requesters;
    input.reviews = reviews;
    input.social = social;
    input.rating_snapshots = rating_snapshots;
    input.social_interactions = social_interactions;
    Ok(())
}

/// The team's manual inputs around `[start, end)`: orders from 5 days before to 5 days
/// after (converted tickets look 5 days past a reply), subscriptions overlapping
/// `[start − 1 day, end]` (churn compares the instants start and end), costs and revenue of
/// every month within a day of the period (metrics pro-rates by local date, so a superset
/// is harmless whatever the team's time zone).
async fn load_team_inputs(
    db: &Store,
    team: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    input: &mut ReportInput,
) -> Result<(), StorageError> {
    use chrono::Datelike;
    let op = "loading the manual inputs of a report";
    let day = chrono::Duration::days(1);

    input.orders = load_orders(db, team, start - day * 5, end + day * 5).await?;

    let rows = db
        .sql(
            "SELECT * FROM subscriptions WHERE team = $1 AND started_at <= $2 \
             AND (ended_at IS NULL OR ended_at >= $3)",
        )
        .bind(team)
        .bind(Time(end))
        .bind(Time(start - day))
        .fetch_all(db)
        .await
        .map_err(query(op))?;
    input.subscriptions = rows
        .iter()
        .map(|r| subscription(r).map(|(_, s)| s))
        .collect::<Result<_, _>>()?;

    let month = |t: DateTime<Utc>| month_text((t.year(), t.month()));
    let (first, last) = (month(start - day), month(end + day));
    for (table, out) in [("costs", &mut input.costs), ("revenue", &mut input.revenue)] {
        let rows = db
            .sql(format!(
                "SELECT * FROM {table} WHERE team = $1 AND month >= $2 AND month <= $3"
            ))
            .bind(team)
            .bind(&first)
            .bind(&last)
            .fetch_all(db)
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
    db: &Store,
    team: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<OrderInput>, StorageError> {
    let rows = db
        .sql("SELECT * FROM orders WHERE team = $1 AND created_at >= $2 AND created_at < $3")
        .bind(team)
        .bind(Time(from))
        .bind(Time(until))
        .fetch_all(db)
        .await
        .map_err(query("loading the orders of a report"))?;
    rows.iter().map(|r| order(r).map(|(_, o)| o)).collect()
}

/// Deterministic order makes reports and tests reproducible; metrics ignore it. The facts
/// stay in the database's order: over 100k of them in a history, and nothing shows their
/// order.
fn sort(input: &mut ReportInput) {
    input.excluded_tickets.sort();
    input
        .agents
        .sort_by(|a, b| (&a.source, &a.agent.external_id).cmp(&(&b.source, &b.agent.external_id)));
    input.ratings.sort_by(|a, b| {
        (&a.source, &a.rating.external_id).cmp(&(&b.source, &b.rating.external_id))
    });
    input
        .requesters
        .sort_by(|a, b| (&a.source, &a.requester_id).cmp(&(&b.source, &b.requester_id)));
    input.orders.sort_by(|a, b| a.order_id.cmp(&b.order_id));
    input
        .subscriptions
        .sort_by(|a, b| (&a.customer_id, a.started_at).cmp(&(&b.customer_id, b.started_at)));
    for m in [&mut input.costs, &mut input.revenue] {
        m.sort_by(|a, b| (a.month, &a.currency).cmp(&(b.month, &b.currency)));
    }
    input.social_interactions.sort_by(|a, b| {
        (
            &a.source,
            &a.interaction.platform,
            &a.interaction.external_id,
        )
            .cmp(&(
                &b.source,
                &b.interaction.platform,
                &b.interaction.external_id,
            ))
    });
    input.rating_snapshots.sort_by(|a, b| {
        let (x, y) = (&a.snapshot, &b.snapshot);
        (&a.source, &x.platform, &x.account, x.observed_at).cmp(&(
            &b.source,
            &y.platform,
            &y.account,
            y.observed_at,
        ))
    });
    input.reviews.sort_by(|a, b| {
        (&a.source, &a.review.platform, &a.review.external_id).cmp(&(
            &b.source,
            &b.review.platform,
            &b.review.external_id,
        ))
    });
    input.social.sort_by(|a, b| {
        let (x, y) = (&a.stat, &b.stat);
        (&a.source, &x.platform, &x.account, x.metric, x.observed_at).cmp(&(
            &b.source,
            &y.platform,
            &y.account,
            y.metric,
            y.observed_at,
        ))
    });
}
