//! deskpulse-storage: the local copy of the facts, in SQLite (default) or Postgres.
//!
//! One backend-neutral [`Store`] with one implementation per backend (sqlx's `Any` driver
//! cannot bind chrono types). Both share their SQL through the `shared_sql!` macro; only the
//! timestamp column type and how a pool is opened differ. Every write is an idempotent upsert
//! keyed by `(source, external_id)`, and every batch commits with its checkpoint in one
//! transaction, so a crash loses nothing and doubles nothing. Manual inputs (`import`) are
//! keyed by team and natural key, one transaction per file (see `inputs`). E-mail addresses
//! never reach the database: only an HMAC keyed with a per-install secret (table `meta`).
//! The digest delivery log (`deliveries`) records each (team, period, channel) sent, with a
//! claim that is one conflicting insert, so one claimer wins across processes.
//! The daemon's run records (`runs`): one row per (job, scheduled slot), claimed the same
//! way, plus Postgres advisory job locks and the single-daemon lease SQLite needs.

mod backend;
mod deliveries;
mod error;
mod facts;
mod forget;
mod inputs;
mod postgres;
mod runs;
mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_facts;

use chrono::{DateTime, SecondsFormat, Utc};
use deskpulse_connector::CheckpointStore;
use deskpulse_metrics::{MonthlyAmount, OrderInput, ReportInput, SubscriptionInput};
use deskpulse_model::{
    Agent, Batch, Checkpoint, Customer, Message, Rating, Record, Review, SocialStat, StatusChange,
    StatusHistory, Ticket, TicketRoster, VendorMetrics,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;

pub use deliveries::{DeliveryClaim, DeliveryRecord, DeliveryState};
pub use error::StorageError;
pub use forget::{CUSTOMER_TABLES, Forgotten, SOURCE_TABLES};
pub use inputs::{
    ImportSummary, ImportTarget, ImportWriter, MAX_AMOUNT, Monthly, OrderRow, import_source,
};
pub use runs::{
    JobLock, LeaseHolder, LeaseOutcome, RunEnd, RunOutcome, RunRecord, digest_job, job_lock_key,
    sync_job,
};

/// Every table; [`Store::counts`] and [`Store::dump`] cover them all.
pub const TABLES: &[&str] = &[
    "tickets",
    "messages",
    "status_changes",
    "agents",
    "ratings",
    "reviews",
    "social_stats",
    "checkpoints",
    "customers",
    "costs",
    "revenue",
    "subscriptions",
    "orders",
    "ticket_facts",
    "open_spans",
    "vendor_metrics",
];

/// A handle on the database; cheap to clone (it wraps a connection pool).
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Store {
    /// Opens `sqlite://PATH` (created if missing, with its directory), `sqlite::memory:`, or
    /// `postgres://…` / `postgresql://…`, and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Store, StorageError> {
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => sqlite::open(url).await.map(Store::Sqlite),
            Some("postgres" | "postgresql") => postgres::open(url).await.map(Store::Postgres),
            _ => Err(StorageError::UnsupportedUrl {
                url: error::mask_url(url),
            }),
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection; later calls fail. Lets a caller drop a database it used.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(p) => p.close().await,
            Store::Postgres(p) => p.close().await,
        }
    }

    /// The last committed checkpoint of `(source, stream)`, if any.
    pub async fn checkpoint(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<Checkpoint>, StorageError> {
        match self {
            Store::Sqlite(p) => sqlite::checkpoint(p, source, stream).await,
            Store::Postgres(p) => postgres::checkpoint(p, source, stream).await,
        }
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
        match self {
            Store::Sqlite(p) => sqlite::commit(p, source, stream, &parts, &batch.checkpoint).await,
            Store::Postgres(p) => {
                postgres::commit(p, source, stream, &parts, &batch.checkpoint).await
            }
        }
    }

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
        input.backlog = self.read_backlog(sources, &ends).await?;
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
        let mut input = match self {
            Store::Sqlite(p) => sqlite::load_report_input(p, team, sources, start, end).await?,
            Store::Postgres(p) => postgres::load_report_input(p, team, sources, start, end).await?,
        };
        // Deterministic order makes reports and tests reproducible; metrics ignore it. The
        // facts stay in the database's order: over 100k of them in a history, and nothing
        // shows their order.
        input.excluded_tickets.sort();
        input.agents.sort_by(|a, b| {
            (&a.source, &a.agent.external_id).cmp(&(&b.source, &b.agent.external_id))
        });
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
        Ok(input)
    }

    /// The raw tickets of `sources` created in `[start, end)`, each with all its messages
    /// and status changes, sorted by (source, id), messages and changes by time. Reports
    /// never need these (they read the derived facts); tools that look at what was stored
    /// (tests against a ground truth, exports) do.
    pub async fn load_tickets(
        &self,
        sources: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<deskpulse_metrics::TicketInput>, StorageError> {
        let mut tickets = match self {
            Store::Sqlite(p) => sqlite::load_tickets(p, sources, start, end).await?,
            Store::Postgres(p) => postgres::load_tickets(p, sources, start, end).await?,
        };
        tickets.sort_by(|a, b| {
            (&a.source, &a.ticket.external_id).cmp(&(&b.source, &b.ticket.external_id))
        });
        for t in &mut tickets {
            t.messages.sort_by(|a, b| {
                (a.created_at, &a.external_id).cmp(&(b.created_at, &b.external_id))
            });
            t.status_changes
                .sort_by(|a, b| (a.at, &a.external_id).cmp(&(b.at, &b.external_id)));
        }
        Ok(tickets)
    }

    /// What `deskpulse reconcile` compares for `source` over `[start, end)`: the raw tickets
    /// created before `end` and updated since `start` (every ticket created, replied to or
    /// solved in the period), with their messages and status changes, the source's agents,
    /// and the vendor's own values of those tickets. Tickets sorted by id.
    pub async fn load_reconcile_input(
        &self,
        source: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<deskpulse_metrics::ReconcileInput, StorageError> {
        let (mut tickets, agents, mut vendor) = match self {
            Store::Sqlite(p) => sqlite::load_reconcile(p, source, start, end).await?,
            Store::Postgres(p) => postgres::load_reconcile(p, source, start, end).await?,
        };
        tickets.sort_by(|a, b| a.ticket.external_id.cmp(&b.ticket.external_id));
        vendor.sort_by(|a, b| a.ticket_id.cmp(&b.ticket_id));
        Ok(deskpulse_metrics::ReconcileInput {
            source: source.to_owned(),
            tickets,
            agents,
            vendor,
            unsupported: BTreeMap::new(),
        })
    }

    /// Derives again the facts of every ticket a batch marked out of date since the last
    /// refresh, and returns how many. A sync calls it when its streams are done (a ticket
    /// touched by many pages is derived once); every report load calls it first, so a
    /// report never reads stale facts, whoever synced.
    pub async fn refresh_facts(&self) -> Result<u64, StorageError> {
        match self {
            Store::Sqlite(p) => sqlite::refresh_dirty(p).await,
            Store::Postgres(p) => postgres::refresh_dirty(p).await,
        }
    }

    /// Drops the derived ticket facts and derives them again from the stored tickets,
    /// messages, status changes and agents; returns the number of tickets. `open` does this
    /// by itself when the code's derivation changed; this is for an operator who wants to
    /// be sure (the result is the same either way).
    pub async fn rebuild_facts(&self) -> Result<u64, StorageError> {
        match self {
            Store::Sqlite(p) => sqlite::rebuild_facts(p).await,
            Store::Postgres(p) => postgres::rebuild_facts(p).await,
        }
    }

    /// How many tickets of `sources` were open (created, not excluded, not solved) at each
    /// of `instants`, counted over the `open_spans` kept at ingest: what
    /// [`ReportInput::backlog`] holds for a period's end. A report with history asks for the
    /// end of every previous period here instead of loading their open tickets.
    pub async fn backlog_at(
        &self,
        sources: &[String],
        instants: &[DateTime<Utc>],
    ) -> Result<Vec<deskpulse_metrics::BacklogCount>, StorageError> {
        self.refresh_facts().await?;
        self.read_backlog(sources, instants).await
    }

    /// [`Store::backlog_at`] without the refresh (the caller did it).
    async fn read_backlog(
        &self,
        sources: &[String],
        instants: &[DateTime<Utc>],
    ) -> Result<Vec<deskpulse_metrics::BacklogCount>, StorageError> {
        match self {
            Store::Sqlite(p) => sqlite::backlog_at(p, sources, instants).await,
            Store::Postgres(p) => postgres::backlog_at(p, sources, instants).await,
        }
    }

    /// One canonical text line per stored row of every table (times as RFC 3339 UTC with
    /// microseconds), sorted: equal dumps mean equal contents, on either backend.
    pub async fn dump(&self) -> Result<Vec<String>, StorageError> {
        let facts = match self {
            Store::Sqlite(p) => sqlite::read_all(p).await?,
            Store::Postgres(p) => postgres::read_all(p).await?,
        };
        let mut lines = facts.lines();
        lines.sort();
        Ok(lines)
    }

    /// Rows per table (every name in [`TABLES`]).
    pub async fn counts(&self) -> Result<BTreeMap<&'static str, i64>, StorageError> {
        match self {
            Store::Sqlite(p) => sqlite::counts(p).await,
            Store::Postgres(p) => postgres::counts(p).await,
        }
    }
}

impl CheckpointStore for Store {
    type Error = StorageError;

    async fn checkpoint(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<Checkpoint>, StorageError> {
        Store::checkpoint(self, source, stream).await
    }

    async fn commit(&self, source: &str, stream: &str, batch: &Batch) -> Result<(), StorageError> {
        self.commit_batch(source, stream, batch).await
    }
}

/// An `open_spans` row: `(source, ticket_id, opened_at, closed_at)`.
pub(crate) type StoredSpan = (String, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// A batch's records sorted by table, one version per key.
pub(crate) struct Parts<'a> {
    pub(crate) tickets: Vec<&'a Ticket>,
    pub(crate) messages: Vec<&'a Message>,
    pub(crate) status_changes: Vec<&'a StatusChange>,
    pub(crate) agents: Vec<&'a Agent>,
    pub(crate) ratings: Vec<&'a Rating>,
    pub(crate) reviews: Vec<&'a Review>,
    pub(crate) social_stats: Vec<&'a SocialStat>,
    pub(crate) customers: Vec<&'a Customer>,
    /// Tickets whose whole status history the batch replaces (their stored changes are
    /// deleted first; the new ones are in `status_changes`).
    pub(crate) replaced_histories: Vec<&'a str>,
    pub(crate) vendor_metrics: Vec<&'a VendorMetrics>,
    pub(crate) rosters: Vec<&'a TicketRoster>,
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
fn last_wins<'a, T, K: Hash + Eq>(items: Vec<&'a T>, key: impl Fn(&'a T) -> K) -> Vec<&'a T> {
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

/// Everything stored, as model values; what [`Store::dump`] prints.
#[derive(Default)]
pub(crate) struct Facts {
    pub(crate) tickets: Vec<(String, Ticket)>,
    pub(crate) messages: Vec<(String, Message)>,
    pub(crate) status_changes: Vec<(String, StatusChange)>,
    pub(crate) agents: Vec<(String, Agent)>,
    pub(crate) ratings: Vec<(String, Rating)>,
    pub(crate) reviews: Vec<(String, Review)>,
    pub(crate) social_stats: Vec<(String, SocialStat)>,
    pub(crate) checkpoints: Vec<(String, String, Checkpoint)>,
    /// `(source, external_id, email_hash)`.
    pub(crate) customers: Vec<(String, String, Option<String>)>,
    pub(crate) costs: Vec<(String, MonthlyAmount)>,
    pub(crate) revenue: Vec<(String, MonthlyAmount)>,
    pub(crate) subscriptions: Vec<(String, SubscriptionInput)>,
    pub(crate) orders: Vec<(String, OrderInput)>,
    /// The derived facts' `data` (it names its source and ticket).
    pub(crate) ticket_facts: Vec<String>,
    pub(crate) open_spans: Vec<StoredSpan>,
    pub(crate) vendor_metrics: Vec<(String, VendorMetrics)>,
}

/// Object keys in sorted order even if serde_json's `preserve_order` gets enabled somewhere
/// in the build: JSONB reorders keys, SQLite text keeps them as written.
fn sorted_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted_keys(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

fn ts(t: DateTime<Utc>) -> Value {
    Value::String(t.to_rfc3339_opts(SecondsFormat::Micros, true))
}

fn ots(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, ts)
}

impl Facts {
    /// A line is the table name and a JSON array of the row's values, so text is escaped
    /// and the format does not depend on the backend.
    ///
    /// E-mail hashes depend on the install's secret, so they are shown as pseudonyms `#1`,
    /// `#2`, … numbered in order of first use (customers by key, then orders by key): two
    /// installs holding the same facts dump alike, and which rows share an address shows.
    fn lines(&self) -> Vec<String> {
        let mut customers: Vec<&(String, String, Option<String>)> = self.customers.iter().collect();
        customers.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut orders: Vec<&(String, OrderInput)> = self.orders.iter().collect();
        orders.sort_by(|a, b| (&a.0, &a.1.order_id).cmp(&(&b.0, &b.1.order_id)));
        let mut pseudonyms: HashMap<&str, String> = HashMap::new();
        let hashes = customers
            .iter()
            .filter_map(|c| c.2.as_deref())
            .chain(orders.iter().map(|o| o.1.customer_hash.as_str()));
        for h in hashes {
            let next = format!("#{}", pseudonyms.len() + 1);
            pseudonyms.entry(h).or_insert(next);
        }
        let pseudonym = |h: &str| pseudonyms.get(h).cloned().unwrap_or_default();
        let mut out = Vec::new();
        let mut line = |table: &str, v: Value| out.push(format!("{table} {v}"));
        for data in &self.ticket_facts {
            let v = serde_json::from_str(data).unwrap_or_else(|_| Value::String(data.clone()));
            line("ticket_facts", v);
        }
        for (s, id, from, until) in &self.open_spans {
            line("open_spans", json!([s, id, ts(*from), ots(*until)]));
        }
        for (s, v) in &self.vendor_metrics {
            let d = |d: &deskpulse_model::VendorDuration| {
                json!([d.calendar_seconds, d.business_seconds])
            };
            line(
                "vendor_metrics",
                json!([
                    s,
                    v.ticket_id,
                    ts(v.updated_at),
                    d(&v.first_response),
                    d(&v.first_resolution),
                    d(&v.full_resolution),
                    v.reopens,
                    v.replies
                ]),
            );
        }
        for (s, t) in &self.tickets {
            line(
                "tickets",
                json!([
                    s,
                    t.external_id,
                    t.channel.as_str(),
                    t.status.as_str(),
                    ts(t.created_at),
                    ts(t.updated_at),
                    ots(t.first_solved_at),
                    ots(t.final_solved_at),
                    t.reopens,
                    t.opened_by_agent,
                    t.requester_id,
                    t.assignee_id,
                    t.group_id,
                    t.tags,
                    t.priority
                ]),
            );
        }
        for (s, m) in &self.messages {
            line(
                "messages",
                json!([
                    s,
                    m.external_id,
                    m.ticket_id,
                    m.author_kind.as_str(),
                    m.author_id,
                    m.public,
                    ts(m.created_at)
                ]),
            );
        }
        for (s, c) in &self.status_changes {
            line(
                "status_changes",
                json!([
                    s,
                    c.external_id,
                    c.ticket_id,
                    c.from.map(|f| f.as_str()),
                    c.to.as_str(),
                    c.author_kind.as_str(),
                    c.author_id,
                    ts(c.at)
                ]),
            );
        }
        for (s, a) in &self.agents {
            line("agents", json!([s, a.external_id, a.name, a.is_bot]));
        }
        for (s, r) in &self.ratings {
            line(
                "ratings",
                json!([
                    s,
                    r.external_id,
                    r.kind.as_str(),
                    r.score,
                    r.scale.min,
                    r.scale.max,
                    r.ticket_id,
                    r.agent_id,
                    r.comment,
                    ts(r.created_at)
                ]),
            );
        }
        for (s, r) in &self.reviews {
            line(
                "reviews",
                json!([
                    s,
                    r.platform,
                    r.external_id,
                    r.rating,
                    r.title,
                    r.text,
                    r.author_name,
                    ts(r.created_at),
                    r.reply_text,
                    ots(r.replied_at),
                    r.url
                ]),
            );
        }
        for (s, x) in &self.social_stats {
            line(
                "social_stats",
                json!([
                    s,
                    x.platform,
                    x.account,
                    x.metric.as_str(),
                    x.value,
                    ts(x.observed_at)
                ]),
            );
        }
        for (s, stream, c) in &self.checkpoints {
            line("checkpoints", json!([s, stream, sorted_keys(c.value())]));
        }
        for (s, id, hash) in customers {
            line("customers", json!([s, id, hash.as_deref().map(pseudonym)]));
        }
        for (table, rows) in [("costs", &self.costs), ("revenue", &self.revenue)] {
            for (team, m) in rows {
                line(
                    table,
                    json!([team, inputs::month_text(m.month), m.currency, m.amount]),
                );
            }
        }
        for (team, x) in &self.subscriptions {
            line(
                "subscriptions",
                json!([team, x.customer_id, ts(x.started_at), ots(x.ended_at)]),
            );
        }
        for (team, o) in orders {
            line(
                "orders",
                json!([
                    team,
                    o.order_id,
                    pseudonym(&o.customer_hash),
                    ts(o.created_at),
                    o.amount,
                    o.currency
                ]),
            );
        }
        out
    }
}

impl Store {
    /// `(the newest migration applied to the database, the newest this build knows)`: equal
    /// once [`Store::open`] has brought the schema up to date (`deskpulse check` shows it).
    pub async fn schema_version(&self) -> Result<(Option<i64>, i64), StorageError> {
        match self {
            Store::Sqlite(p) => sqlite::schema_version(p).await,
            Store::Postgres(p) => postgres::schema_version(p).await,
        }
    }
}
