//! The SQL of an import (`inputs::ImportWriter`): one transaction of upserts keyed by each
//! row's natural key. Each statement's `DO UPDATE … WHERE … IS DISTINCT FROM` skips
//! identical rows, so the rows a statement reports as written are the new plus the changed
//! ones, and the rows counted before and after tell the new ones apart.

use crate::db::{PARAMS_PER_STATEMENT, Query, Time, Tx};
use crate::error::query;
use crate::inputs::{ImportSummary, OrderRow, month_text};
use crate::secret::{committed_secret, hash_email};
use crate::{StorageError, Store};
use deskpulse_metrics::{MonthlyAmount, SubscriptionInput};
use deskpulse_model::Rating;

/// An import in progress: its one transaction, the rows it may touch (`table` where
/// `key_column = key`) as counted when it began, and the rows its statements reported as
/// written so far.
pub(crate) struct ImportTx {
    tx: Tx,
    table: &'static str,
    key_column: &'static str,
    key: String,
    before: i64,
    written: u64,
    /// The install secret, for imports that hash e-mail addresses.
    secret: Option<Vec<u8>>,
}

async fn count_of(
    tx: &mut Tx,
    table: &'static str,
    column: &'static str,
    key: &str,
) -> Result<i64, StorageError> {
    tx.sql(format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
        .bind(key)
        .scalar(&mut *tx)
        .await
        .map_err(query("counting rows"))
}

/// Starts an import of rows of `table` whose `key_column` is `key` (a team, or the
/// pseudo-source of a team's surveys). With `hashes_emails`, the install secret is read (or
/// created, in a transaction of its own, so concurrent creators agree) first.
pub(crate) async fn begin(
    store: &Store,
    (table, key_column, key): (&'static str, &'static str, &str),
    hashes_emails: bool,
) -> Result<ImportTx, StorageError> {
    let secret = if hashes_emails {
        Some(committed_secret(store).await?)
    } else {
        None
    };
    let mut tx = store
        .begin()
        .await
        .map_err(query("starting a transaction"))?;
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

impl ImportTx {
    async fn execute(&mut self, qb: Query, op: &'static str) -> Result<(), StorageError> {
        self.written += qb.execute(&mut self.tx).await.map_err(query(op))?;
        Ok(())
    }

    /// Upserts monthly amounts into `self.table` (`costs` or `revenue`) of team `self.key`.
    pub(crate) async fn write_monthly(
        &mut self,
        rows: &[&MonthlyAmount],
    ) -> Result<(), StorageError> {
        let (table, team) = (self.table, self.key.clone());
        for chunk in rows.chunks(PARAMS_PER_STATEMENT / 4) {
            let mut qb = self.tx.sql(format!(
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
            self.execute(qb, "importing monthly amounts").await?;
        }
        Ok(())
    }

    /// Upserts subscriptions of team `self.key`.
    pub(crate) async fn write_subscriptions(
        &mut self,
        rows: &[&SubscriptionInput],
    ) -> Result<(), StorageError> {
        let team = self.key.clone();
        for chunk in rows.chunks(PARAMS_PER_STATEMENT / 4) {
            let mut qb = self
                .tx
                .sql("INSERT INTO subscriptions (team, customer_id, started_at, ended_at) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(&team)
                    .push_bind(&r.customer_id)
                    .push_bind(Time(r.started_at))
                    .push_bind(r.ended_at.map(Time));
            });
            qb.push(
                " ON CONFLICT (team, customer_id, started_at) DO UPDATE SET \
                 ended_at = excluded.ended_at \
                 WHERE subscriptions.ended_at IS DISTINCT FROM excluded.ended_at",
            );
            self.execute(qb, "importing subscriptions").await?;
        }
        Ok(())
    }

    /// Upserts orders of team `self.key`, each with the keyed hash of its e-mail address.
    pub(crate) async fn write_orders(&mut self, rows: &[&OrderRow]) -> Result<(), StorageError> {
        let team = self.key.clone();
        let secret = self.secret.clone().ok_or_else(|| StorageError::Invalid {
            what: "order import".into(),
            reason: "it was begun without the install secret".into(),
        })?;
        for chunk in rows.chunks(PARAMS_PER_STATEMENT / 6) {
            // The plain addresses go no further than this.
            let hashed: Vec<(&OrderRow, String)> = chunk
                .iter()
                .map(|r| (*r, hash_email(&secret, &r.customer_email)))
                .collect();
            let mut qb = self.tx.sql(
                "INSERT INTO orders (team, order_id, customer_hash, created_at, amount, \
                 currency) ",
            );
            qb.push_values(&hashed, |mut b, (r, hash)| {
                b.push_bind(&team)
                    .push_bind(&r.order_id)
                    .push_bind(hash)
                    .push_bind(Time(r.created_at))
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
            self.execute(qb, "importing orders").await?;
        }
        Ok(())
    }

    /// Upserts ratings of the source `self.key` (a team's imported surveys).
    pub(crate) async fn write_ratings(&mut self, rows: &[&Rating]) -> Result<(), StorageError> {
        let source = self.key.clone();
        let now = Time(chrono::Utc::now());
        for chunk in rows.chunks(PARAMS_PER_STATEMENT / 11) {
            let mut qb = self.tx.sql(
                "INSERT INTO ratings (source, external_id, kind, score, scale_min, \
                 scale_max, ticket_id, agent_id, comment, created_at, first_seen_at) ",
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
                    .push_bind(Time(r.created_at))
                    .push_bind(now);
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
            self.execute(qb, "importing survey answers").await?;
        }
        Ok(())
    }

    /// Commits an import of `rows` distinct keys and says what changed.
    pub(crate) async fn commit(mut self, rows: u64) -> Result<ImportSummary, StorageError> {
        let after = count_of(&mut self.tx, self.table, self.key_column, &self.key).await?;
        // Readers that keep reports (the dashboard) see that the inputs changed.
        if self.written > 0 {
            let qb = self.tx.sql(
                "INSERT INTO meta (key, value) VALUES ('inputs_version', '1') \
                     ON CONFLICT (key) DO UPDATE SET value = \
                     CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
            );
            qb.execute(&mut self.tx)
                .await
                .map_err(query("recording that the inputs changed"))?;
        }
        self.tx
            .commit()
            .await
            .map_err(query("committing an import"))?;
        Ok(ImportSummary::from_counts(
            rows,
            self.before,
            after,
            self.written,
        ))
    }

    /// Abandons an import: nothing of it stays.
    pub(crate) async fn rollback(self) -> Result<(), StorageError> {
        self.tx
            .rollback()
            .await
            .map_err(query("abandoning an import"))
    }
}
