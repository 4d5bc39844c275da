//! Manual inputs (`deskpulse import`) and keyed e-mail hashes.
//!
//! Every import is one transaction of upserts keyed by the row's natural key, so a file is
//! imported whole or not at all, re-importing it changes nothing and a corrected row
//! replaces the old one. Inputs belong to a team (not a source): a team's imported surveys
//! are ratings of the pseudo-source `import:{team}` (a colon never occurs in a source name).

use crate::{StorageError, Store, last_wins, postgres, sqlite};
use deskpulse_metrics::{MonthlyAmount, SubscriptionInput};
use deskpulse_model::Rating;
use hmac::{Hmac, Mac};
use sha2::Sha256;
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
    pub(crate) fn from_counts(rows: usize, before: i64, after: i64, written: u64) -> Self {
        let rows = rows as u64;
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

/// Hex HMAC-SHA256 of the trimmed, lowercased address under the install's secret: equal
/// addresses match across tickets and orders, and nobody without the secret can test a guess.
pub(crate) fn hash_email(secret: &[u8], email: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret).expect("HMAC-SHA256 accepts keys of any length");
    mac.update(email.trim().to_lowercase().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A fresh install secret, hex-encoded: 32 bytes from the operating system's RNG.
pub(crate) fn new_secret() -> Result<String, StorageError> {
    use rand::TryRngCore;
    let mut buf = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|e| StorageError::Invalid {
            what: "install secret".into(),
            reason: format!("the operating system's random generator failed: {e}"),
        })?;
    Ok(hex::encode(buf))
}

fn invalid(what: String, reason: impl Into<String>) -> StorageError {
    StorageError::Invalid {
        what,
        reason: reason.into(),
    }
}

fn check_amount(what: &str, key: &str, v: f64) -> Result<(), StorageError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(
            format!("{what} of {key:?}"),
            format!("{v} is not a finite amount ≥ 0"),
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
    /// The keyed hash of an e-mail address (see [`hash_email`]); creates the install
    /// secret on first use.
    pub async fn email_hash(&self, email: &str) -> Result<String, StorageError> {
        match self {
            Store::Sqlite(p) => sqlite::email_hash(p, email).await,
            Store::Postgres(p) => postgres::email_hash(p, email).await,
        }
    }

    /// Imports a team's monthly costs or revenue, keyed by (month, currency).
    pub async fn import_monthly(
        &self,
        kind: Monthly,
        team: &str,
        rows: &[MonthlyAmount],
    ) -> Result<ImportSummary, StorageError> {
        check_team(team)?;
        for r in rows {
            let key = month_text(r.month);
            if !(1..=12).contains(&r.month.1) || !(0..=9999).contains(&r.month.0) {
                return Err(invalid(format!("month {key:?}"), "not a month YYYY-MM"));
            }
            check_amount(kind.table(), &key, r.amount)?;
        }
        let rows = last_wins(rows.iter().collect(), |r| (r.month, r.currency.as_str()));
        match self {
            Store::Sqlite(p) => sqlite::import_monthly(p, kind.table(), team, &rows).await,
            Store::Postgres(p) => postgres::import_monthly(p, kind.table(), team, &rows).await,
        }
    }

    /// Imports a team's subscriptions (for churn), keyed by (customer_id, started_at).
    pub async fn import_subscriptions(
        &self,
        team: &str,
        rows: &[SubscriptionInput],
    ) -> Result<ImportSummary, StorageError> {
        check_team(team)?;
        let rows = last_wins(rows.iter().collect(), |r| {
            (r.customer_id.as_str(), r.started_at.timestamp_micros())
        });
        match self {
            Store::Sqlite(p) => sqlite::import_subscriptions(p, team, &rows).await,
            Store::Postgres(p) => postgres::import_subscriptions(p, team, &rows).await,
        }
    }

    /// Imports a team's orders, keyed by order_id; only the e-mail's hash is stored.
    pub async fn import_orders(
        &self,
        team: &str,
        rows: &[OrderRow],
    ) -> Result<ImportSummary, StorageError> {
        check_team(team)?;
        for r in rows {
            check_amount("order amount", &r.order_id, r.amount)?;
            if r.customer_email.trim().is_empty() {
                return Err(invalid(
                    format!("customer e-mail of order {:?}", r.order_id),
                    "it is empty",
                ));
            }
        }
        let rows = last_wins(rows.iter().collect(), |r| r.order_id.as_str());
        match self {
            Store::Sqlite(p) => sqlite::import_orders(p, team, &rows).await,
            Store::Postgres(p) => postgres::import_orders(p, team, &rows).await,
        }
    }

    /// Imports a team's survey answers as ratings of the source `import:{team}`, keyed by
    /// `Rating::external_id` (the response id).
    pub async fn import_surveys(
        &self,
        team: &str,
        rows: &[Rating],
    ) -> Result<ImportSummary, StorageError> {
        check_team(team)?;
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
        let source = import_source(team);
        let rows = last_wins(rows.iter().collect(), |r| r.external_id.as_str());
        match self {
            Store::Sqlite(p) => sqlite::import_ratings(p, &source, &rows).await,
            Store::Postgres(p) => postgres::import_ratings(p, &source, &rows).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
