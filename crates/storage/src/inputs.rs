//! Manual inputs (`deskpulse import`): what can be imported, its checks, and the writer.
//!
//! Every import is one transaction of upserts keyed by the row's natural key, so a file is
//! imported whole or not at all, re-importing it changes nothing and a corrected row
//! replaces the old one. The transaction is filled in batches ([`ImportWriter`]), so the
//! caller never holds a whole file in memory (its SQL is in `imports.rs`). Inputs belong to a
//! team (not a source): a team's imported surveys are ratings of the pseudo-source
//! `import:{team}` (a colon never occurs in a source name). Order e-mails are hashed with the
//! install secret (`secret.rs`).

use crate::commit::last_wins;
use crate::imports::{self, ImportTx};
use crate::{StorageError, Store};
use deskpulse_metrics::{MonthlyAmount, SubscriptionInput};
use deskpulse_model::Rating;
use std::fmt;

/// Which monthly figure an import carries; the table it goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monthly {
    Costs,
    Revenue,
}

impl Monthly {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Monthly::Costs => "costs",
            Monthly::Revenue => "revenue",
        }
    }
}

/// An order to import. The e-mail address lives only in memory: storage keeps its hash.
#[derive(Clone, PartialEq)]
pub struct OrderRow {
    pub order_id: String,
    pub customer_email: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub amount: f64,
    pub currency: String,
}

impl fmt::Debug for OrderRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data stays out of logs.
        f.debug_struct("OrderRow")
            .field("order_id", &self.order_id)
            .field("customer_email", &"[personal]")
            .field("created_at", &self.created_at)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .finish()
    }
}

/// What an import did: `rows` distinct keys, of which `new` were inserted, `changed`
/// replaced a different stored row and `unchanged` were already stored as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    pub rows: u64,
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
}

impl ImportSummary {
    /// From the row count, the rows counted before and after, and the rows written.
    pub(crate) fn from_counts(rows: u64, before: i64, after: i64, written: u64) -> Self {
        let new = u64::try_from(after - before).unwrap_or(0);
        let changed = written.saturating_sub(new);
        ImportSummary {
            rows,
            new,
            changed,
            unchanged: rows.saturating_sub(new + changed),
        }
    }
}

/// The pseudo-source of a team's imported surveys.
pub fn import_source(team: &str) -> String {
    format!("import:{team}")
}

/// `(2026, 11)` → `"2026-11"`: fixed width, so text order is time order.
pub(crate) fn month_text((y, m): (i32, u32)) -> String {
    format!("{y:04}-{m:02}")
}

pub(crate) fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    (s.len() == 7 && (1..=12).contains(&m)).then_some((y, m))
}

fn invalid(what: String, reason: impl Into<String>) -> StorageError {
    StorageError::Invalid {
        what,
        reason: reason.into(),
    }
}

/// The largest amount stored: beyond it a double keeps no cents (its step at 1e15 is
/// 0.125) and sums of such amounts head for infinity.
pub const MAX_AMOUNT: f64 = 1e15;

fn check_amount(what: &str, key: &str, v: f64) -> Result<(), StorageError> {
    if v.is_finite() && (0.0..=MAX_AMOUNT).contains(&v) {
        Ok(())
    } else {
        Err(invalid(
            format!("{what} of {key:?}"),
            format!("{v} is not an amount from 0 to 1e15"),
        ))
    }
}

fn check_team(team: &str) -> Result<(), StorageError> {
    if team.is_empty() {
        return Err(invalid("team".into(), "the team name is empty"));
    }
    Ok(())
}

impl Store {
    /// A number that moves whenever an import changes rows (0 before the first): what
    /// readers that keep reports between imports, such as the dashboard, watch.
    pub async fn inputs_version(&self) -> Result<u64, StorageError> {
        let v: Option<String> = self
            .sql("SELECT value FROM meta WHERE key = 'inputs_version'")
            .optional_scalar(self)
            .await
            .map_err(crate::error::query("reading the inputs version"))?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Starts an import of `target` for `team`: one transaction that the returned
    /// [`ImportWriter`] fills batch by batch and commits (or abandons) as a whole, so a file
    /// of any size is imported in bounded memory and still all or nothing. On SQLite the
    /// transaction holds the write lock until it ends: other writers (a sync) wait for it.
    pub async fn begin_import(
        &self,
        target: ImportTarget,
        team: &str,
    ) -> Result<ImportWriter, StorageError> {
        check_team(team)?;
        let source = import_source(team);
        let scope = match target {
            ImportTarget::Monthly(kind) => (kind.table(), "team", team),
            ImportTarget::Subscriptions => ("subscriptions", "team", team),
            ImportTarget::Orders => ("orders", "team", team),
            ImportTarget::Surveys => ("ratings", "source", source.as_str()),
        };
        let hashes = target == ImportTarget::Orders;
        let tx = imports::begin(self, scope, hashes).await?;
        Ok(ImportWriter {
            tx,
            target,
            rows: 0,
        })
    }

    /// Imports a team's monthly costs or revenue, keyed by (month, currency); within `rows`
    /// the last version of a key wins.
    pub async fn import_monthly(
        &self,
        kind: Monthly,
        team: &str,
        rows: &[MonthlyAmount],
    ) -> Result<ImportSummary, StorageError> {
        check_team(team)?;
        check_monthly(kind, rows)?;
        let rows: Vec<MonthlyAmount> =
            last_wins(rows.iter().collect(), |r| (r.month, r.currency.as_str()))
                .into_iter()
                .cloned()
                .collect();
        let mut w = self.begin_import(ImportTarget::Monthly(kind), team).await?;
        w.write_monthly(&rows).await?;
        w.commit().await
    }

    /// Imports a team's subscriptions (for churn), keyed by (customer_id, started_at).
    pub async fn import_subscriptions(
        &self,
        team: &str,
        rows: &[SubscriptionInput],
    ) -> Result<ImportSummary, StorageError> {
        check_team(team)?;
        let rows: Vec<SubscriptionInput> = last_wins(rows.iter().collect(), |r| {
            (r.customer_id.as_str(), r.started_at.timestamp_micros())
        })
        .into_iter()
        .cloned()
        .collect();
        let mut w = self.begin_import(ImportTarget::Subscriptions, team).await?;
        w.write_subscriptions(&rows).await?;
        w.commit().await
    }

    /// Imports a team's orders, keyed by order_id; only the e-mail's hash is stored.
    pub async fn import_orders(
        &self,
        team: &str,
        rows: &[OrderRow],
    ) -> Result<ImportSummary, StorageError> {
        check_team(team)?;
        check_orders(rows)?;
        let rows: Vec<OrderRow> = last_wins(rows.iter().collect(), |r| r.order_id.as_str())
            .into_iter()
            .cloned()
            .collect();
        let mut w = self.begin_import(ImportTarget::Orders, team).await?;
        w.write_orders(&rows).await?;
        w.commit().await
    }

    /// Imports a team's survey answers as ratings of the source `import:{team}`, keyed by
    /// `Rating::external_id` (the response id).
    pub async fn import_surveys(
        &self,
        team: &str,
        rows: &[Rating],
    ) -> Result<ImportSummary, StorageError> {
        check_team(team)?;
        check_surveys(rows)?;
        let rows: Vec<Rating> = last_wins(rows.iter().collect(), |r| r.external_id.as_str())
            .into_iter()
            .cloned()
            .collect();
        let mut w = self.begin_import(ImportTarget::Surveys, team).await?;
        w.write_surveys(&rows).await?;
        w.commit().await
    }
}

/// What an import writes, and so the table it goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportTarget {
    /// `costs` or `revenue`, keyed by (month, currency).
    Monthly(Monthly),
    /// Keyed by (customer_id, started_at).
    Subscriptions,
    /// Keyed by order_id.
    Orders,
    /// Ratings of the pseudo-source `import:{team}`, keyed by response id.
    Surveys,
}

/// An import in progress (see [`Store::begin_import`]): write the rows in batches of any
/// size with the `write_*` method of its target, then [`commit`](Self::commit). Dropped
/// without a commit (an error, a bad row found late), nothing of it stays.
///
/// Within one batch the last version of a key wins; across batches a key written twice is
/// upserted twice and counted twice in the summary, so the caller hands each key once (the
/// CLI refuses a file that repeats one).
pub struct ImportWriter {
    tx: ImportTx,
    target: ImportTarget,
    /// Distinct keys written so far.
    rows: u64,
}

impl std::fmt::Debug for ImportWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportWriter")
            .field("target", &self.target)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl ImportWriter {
    fn expect(&self, wanted: &str, ok: bool) -> Result<(), StorageError> {
        if ok {
            Ok(())
        } else {
            Err(invalid(
                format!("{wanted} rows"),
                format!("this import writes {:?}", self.target),
            ))
        }
    }

    /// Writes costs or revenue (an import begun with [`ImportTarget::Monthly`]).
    pub async fn write_monthly(&mut self, rows: &[MonthlyAmount]) -> Result<(), StorageError> {
        let kind = match self.target {
            ImportTarget::Monthly(kind) => kind,
            _ => return self.expect("monthly", false),
        };
        check_monthly(kind, rows)?;
        let rows = last_wins(rows.iter().collect(), |r| (r.month, r.currency.as_str()));
        self.rows += rows.len() as u64;
        self.tx.write_monthly(&rows).await
    }

    /// Writes subscriptions (an import begun with [`ImportTarget::Subscriptions`]).
    pub async fn write_subscriptions(
        &mut self,
        rows: &[SubscriptionInput],
    ) -> Result<(), StorageError> {
        self.expect("subscription", self.target == ImportTarget::Subscriptions)?;
        let rows = last_wins(rows.iter().collect(), |r| {
            (r.customer_id.as_str(), r.started_at.timestamp_micros())
        });
        self.rows += rows.len() as u64;
        self.tx.write_subscriptions(&rows).await
    }

    /// Writes orders (an import begun with [`ImportTarget::Orders`]).
    pub async fn write_orders(&mut self, rows: &[OrderRow]) -> Result<(), StorageError> {
        self.expect("order", self.target == ImportTarget::Orders)?;
        check_orders(rows)?;
        let rows = last_wins(rows.iter().collect(), |r| r.order_id.as_str());
        self.rows += rows.len() as u64;
        self.tx.write_orders(&rows).await
    }

    /// Writes survey answers (an import begun with [`ImportTarget::Surveys`]).
    pub async fn write_surveys(&mut self, rows: &[Rating]) -> Result<(), StorageError> {
        self.expect("survey", self.target == ImportTarget::Surveys)?;
        check_surveys(rows)?;
        let rows = last_wins(rows.iter().collect(), |r| r.external_id.as_str());
        self.rows += rows.len() as u64;
        self.tx.write_ratings(&rows).await
    }

    /// Commits everything written and says what changed.
    pub async fn commit(self) -> Result<ImportSummary, StorageError> {
        self.tx.commit(self.rows).await
    }

    /// Abandons the import: nothing of it stays (dropping the writer does the same, without
    /// waiting for the database to confirm).
    pub async fn rollback(self) -> Result<(), StorageError> {
        self.tx.rollback().await
    }
}

fn check_monthly(kind: Monthly, rows: &[MonthlyAmount]) -> Result<(), StorageError> {
    for r in rows {
        let key = month_text(r.month);
        if !(1..=12).contains(&r.month.1) || !(0..=9999).contains(&r.month.0) {
            return Err(invalid(format!("month {key:?}"), "not a month YYYY-MM"));
        }
        check_amount(kind.table(), &key, r.amount)?;
    }
    Ok(())
}

fn check_orders(rows: &[OrderRow]) -> Result<(), StorageError> {
    for r in rows {
        check_amount("order amount", &r.order_id, r.amount)?;
        if r.customer_email.trim().is_empty() {
            return Err(invalid(
                format!("customer e-mail of order {:?}", r.order_id),
                "it is empty",
            ));
        }
    }
    Ok(())
}

fn check_surveys(rows: &[Rating]) -> Result<(), StorageError> {
    for r in rows {
        for (what, v) in [
            ("rating score", r.score),
            ("rating scale min", r.scale.min),
            ("rating scale max", r.scale.max),
        ] {
            if !v.is_finite() {
                return Err(invalid(
                    format!("{what} of {:?}", r.external_id),
                    format!("{v} is not a finite number"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::hash_email;
    use crate::testing::TestDb;
    use chrono::{TimeZone, Utc};

    #[test]
    fn months_round_trip_and_emails_normalize() {
        assert_eq!(month_text((2026, 1)), "2026-01");
        assert_eq!(parse_month("2026-01"), Some((2026, 1)));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("2026-1"), None);
        let k = [7u8; 32];
        assert_eq!(
            hash_email(&k, " Ann@Example.COM "),
            hash_email(&k, "ann@example.com")
        );
        assert_ne!(
            hash_email(&k, "ann@example.com"),
            hash_email(&[8u8; 32], "ann@example.com")
        );
        assert_eq!(hash_email(&k, "a@b").len(), 64);
    }

    fn order(i: usize) -> OrderRow {
        OrderRow {
            order_id: format!("o{i}"),
            customer_email: format!("c{}@example.com", i % 7),
            created_at: Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap(),
            amount: i as f64,
            currency: "EUR".into(),
        }
    }

    /// Batches of several statements each, one transaction: nothing is seen before the
    /// commit, everything after; an import dropped or rolled back leaves nothing.
    async fn an_import_in_batches_is_one_transaction(store: Store) {
        let rows: Vec<OrderRow> = (0..6_000).map(order).collect();
        let mut w = store
            .begin_import(ImportTarget::Orders, "support")
            .await
            .unwrap();
        for batch in rows.chunks(2_000) {
            w.write_orders(batch).await.unwrap();
        }
        assert_eq!(store.counts().await.unwrap()["orders"], 0);
        assert_eq!(store.inputs_version().await.unwrap(), 0);
        let s = w.commit().await.unwrap();
        assert_eq!(
            store.inputs_version().await.unwrap(),
            1,
            "an import that wrote moves it"
        );
        assert_eq!(
            (s.rows, s.new, s.changed, s.unchanged),
            (6_000, 6_000, 0, 0)
        );
        let before = store.dump().await.unwrap();

        // The same rows again: nothing changes.
        let mut w = store
            .begin_import(ImportTarget::Orders, "support")
            .await
            .unwrap();
        for batch in rows.chunks(1_500) {
            w.write_orders(batch).await.unwrap();
        }
        let s = w.commit().await.unwrap();
        assert_eq!(
            (s.rows, s.new, s.changed, s.unchanged),
            (6_000, 0, 0, 6_000)
        );
        assert_eq!(store.dump().await.unwrap(), before);
        assert_eq!(
            store.inputs_version().await.unwrap(),
            1,
            "nothing written, no move"
        );

        // Dropped, or rolled back, after writing: nothing of it stays.
        let mut changed = rows.clone();
        changed.iter_mut().for_each(|r| r.amount += 1.0);
        let mut w = store
            .begin_import(ImportTarget::Orders, "support")
            .await
            .unwrap();
        w.write_orders(&changed).await.unwrap();
        drop(w);
        let mut w = store
            .begin_import(ImportTarget::Orders, "support")
            .await
            .unwrap();
        w.write_orders(&changed[..10]).await.unwrap();
        w.rollback().await.unwrap();
        assert_eq!(store.dump().await.unwrap(), before);
        assert_eq!(store.inputs_version().await.unwrap(), 1);

        // Rows of another kind, or out of bounds, are refused; the import stays usable.
        let mut w = store
            .begin_import(ImportTarget::Monthly(Monthly::Costs), "support")
            .await
            .unwrap();
        let err = w.write_orders(&rows[..1]).await.unwrap_err();
        assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
        let huge = MonthlyAmount {
            month: (2026, 11),
            amount: 1e307,
            currency: "EUR".into(),
        };
        let err = w.write_monthly(&[huge]).await.unwrap_err();
        assert!(err.to_string().contains("from 0 to 1e15"), "{err}");
        let ok = MonthlyAmount {
            month: (2026, 11),
            amount: MAX_AMOUNT,
            currency: "EUR".into(),
        };
        w.write_monthly(&[ok]).await.unwrap();
        assert_eq!(w.commit().await.unwrap().new, 1);
        assert_eq!(store.inputs_version().await.unwrap(), 2);
    }

    #[tokio::test]
    async fn an_import_in_batches_is_one_transaction_on_sqlite() {
        let db = TestDb::sqlite();
        an_import_in_batches_is_one_transaction(db.open().await).await;
    }

    #[tokio::test]
    async fn an_import_in_batches_is_one_transaction_on_postgres() {
        let Some(db) = TestDb::postgres().await else {
            return;
        };
        let store = db.open().await;
        an_import_in_batches_is_one_transaction(store.clone()).await;
        store.close().await;
        db.cleanup().await;
    }
}
