//! `Store::dump` and `Store::counts`: every stored row as one canonical text line, so that
//! equal dumps mean equal contents on either backend (the tests compare SQLite's and
//! Postgres' dumps of the same batches).

use crate::error::query;
use crate::rows::{
    agent, get, message, monthly, opt_time, order, rating, rating_snapshot, review,
    social_interaction, social_stat, status_change, subscription, ticket, time, vendor_metrics,
};
use crate::{StorageError, Store, TABLES, inputs};
use chrono::{DateTime, SecondsFormat, Utc};
use deskpulse_metrics::{MonthlyAmount, OrderInput, SubscriptionInput};
use deskpulse_model::{
    Agent, Checkpoint, Message, Rating, RatingSnapshot, Review, SocialInteraction, SocialStat,
    StatusChange, Ticket, VendorMetrics,
};
use serde_json::{Value, json};
use sqlx::types::Json;
use std::collections::{BTreeMap, HashMap};

impl Store {
    /// One canonical text line per stored row of every table (times as RFC 3339 UTC with
    /// microseconds), sorted: equal dumps mean equal contents, on either backend.
    pub async fn dump(&self) -> Result<Vec<String>, StorageError> {
        let facts = read_all(self).await?;
        let mut lines = facts.lines();
        lines.sort();
        Ok(lines)
    }

    /// Rows per table (every name in [`TABLES`]).
    pub async fn counts(&self) -> Result<BTreeMap<&'static str, i64>, StorageError> {
        let mut out = BTreeMap::new();
        for &table in TABLES {
            let n: i64 = self
                .sql(format!("SELECT COUNT(*) FROM {table}"))
                .scalar(self)
                .await
                .map_err(query("counting rows"))?;
            out.insert(table, n);
        }
        Ok(out)
    }
}

/// An `open_spans` row: `(source, ticket_id, opened_at, closed_at)`.
type StoredSpan = (String, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// Everything stored, as model values; what [`Store::dump`] prints.
#[derive(Default)]
struct Facts {
    tickets: Vec<(String, Ticket)>,
    messages: Vec<(String, Message)>,
    status_changes: Vec<(String, StatusChange)>,
    agents: Vec<(String, Agent)>,
    ratings: Vec<(String, Rating)>,
    reviews: Vec<(String, Review)>,
    social_stats: Vec<(String, SocialStat)>,
    rating_snapshots: Vec<(String, RatingSnapshot)>,
    /// `author_id` holds the stored keyed hash.
    interactions: Vec<(String, SocialInteraction)>,
    checkpoints: Vec<(String, String, Checkpoint)>,
    /// `(source, external_id, email_hash)`.
    customers: Vec<(String, String, Option<String>)>,
    costs: Vec<(String, MonthlyAmount)>,
    revenue: Vec<(String, MonthlyAmount)>,
    subscriptions: Vec<(String, SubscriptionInput)>,
    orders: Vec<(String, OrderInput)>,
    /// The derived facts' `data` (it names its source and ticket).
    ticket_facts: Vec<String>,
    open_spans: Vec<StoredSpan>,
    vendor_metrics: Vec<(String, VendorMetrics)>,
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
    /// `#2`, … numbered in order of first use (customers by key, then orders by key, then
    /// social interactions' authors by key): two
    /// installs holding the same facts dump alike, and which rows share an address shows.
    fn lines(&self) -> Vec<String> {
        let mut customers: Vec<&(String, String, Option<String>)> = self.customers.iter().collect();
        customers.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut orders: Vec<&(String, OrderInput)> = self.orders.iter().collect();
        orders.sort_by(|a, b| (&a.0, &a.1.order_id).cmp(&(&b.0, &b.1.order_id)));
        let mut pseudonyms: HashMap<&str, String> = HashMap::new();
        let mut interactions: Vec<&(String, SocialInteraction)> =
            self.interactions.iter().collect();
        interactions.sort_by(|a, b| {
            (&a.0, &a.1.platform, &a.1.external_id).cmp(&(&b.0, &b.1.platform, &b.1.external_id))
        });
        let hashes = customers
            .iter()
            .filter_map(|c| c.2.as_deref())
            .chain(orders.iter().map(|o| o.1.customer_hash.as_str()))
            .chain(interactions.iter().filter_map(|i| i.1.author_id.as_deref()));
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
        for (s, x) in &self.rating_snapshots {
            line(
                "rating_snapshots",
                json!([
                    s,
                    x.platform,
                    x.account,
                    x.day().to_string(),
                    x.overall_rating,
                    x.total_reviews,
                    x.coverage.as_str(),
                    ts(x.observed_at)
                ]),
            );
        }
        for (s, x) in interactions {
            line(
                "social_interactions",
                json!([
                    s,
                    x.platform,
                    x.account,
                    x.external_id,
                    x.kind.as_str(),
                    ts(x.created_at),
                    x.author_id.as_deref().map(pseudonym),
                    x.positive,
                    ots(x.replied_at),
                    x.deleted
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

async fn all(db: &Store, table: &'static str) -> Result<Vec<crate::db::Row>, StorageError> {
    db.sql(format!("SELECT * FROM {table}"))
        .fetch_all(db)
        .await
        .map_err(query("reading every row"))
}

async fn read_all(db: &Store) -> Result<Facts, StorageError> {
    let mut f = Facts::default();
    for r in &all(db, "tickets").await? {
        f.tickets.push(ticket(r)?);
    }
    for r in &all(db, "messages").await? {
        f.messages.push(message(r)?);
    }
    for r in &all(db, "status_changes").await? {
        f.status_changes.push(status_change(r)?);
    }
    for r in &all(db, "agents").await? {
        f.agents.push(agent(r)?);
    }
    for r in &all(db, "ratings").await? {
        f.ratings.push(rating(r)?);
    }
    for r in &all(db, "reviews").await? {
        f.reviews.push(review(r)?);
    }
    for r in &all(db, "social_stats").await? {
        f.social_stats.push(social_stat(r)?);
    }
    for r in &all(db, "rating_snapshots").await? {
        f.rating_snapshots.push(rating_snapshot(r)?);
    }
    for r in &all(db, "social_interactions").await? {
        f.interactions.push(social_interaction(r)?);
    }
    for r in &all(db, "customers").await? {
        let hash: Option<String> = get(r, "email_hash")?;
        f.customers
            .push((get(r, "source")?, get(r, "external_id")?, hash));
    }
    for r in &all(db, "costs").await? {
        f.costs.push(monthly(r, "costs")?);
    }
    for r in &all(db, "revenue").await? {
        f.revenue.push(monthly(r, "revenue")?);
    }
    for r in &all(db, "subscriptions").await? {
        f.subscriptions.push(subscription(r)?);
    }
    for r in &all(db, "orders").await? {
        f.orders.push(order(r)?);
    }
    for r in &all(db, "ticket_facts").await? {
        f.ticket_facts.push(get(r, "data")?);
    }
    for r in &all(db, "open_spans").await? {
        f.open_spans.push((
            get(r, "source")?,
            get(r, "ticket_id")?,
            time(r, "open_spans", "opened_at")?,
            opt_time(r, "open_spans", "closed_at")?,
        ));
    }
    for r in &all(db, "vendor_metrics").await? {
        f.vendor_metrics.push(vendor_metrics(r)?);
    }
    for r in &all(db, "checkpoints").await? {
        let Json(v): Json<Value> = get(r, "value")?;
        f.checkpoints
            .push((get(r, "source")?, get(r, "stream")?, Checkpoint::new(v)));
    }
    Ok(f)
}
