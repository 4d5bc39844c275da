//! The digest delivery log (table `digest_deliveries`): which team's digest of which period
//! went to which channel, so a digest is sent at most once per `(team, period, channel)`.
//!
//! The protocol is the digest crate's `DeliveryLog` (claim before send):
//!
//! * [`Store::claim_delivery`] is **one statement**: an insert of a `sending` row that
//!   conflicts on the primary key `(team, period, channel)`. The database decides which of
//!   several concurrent claimers wins — across processes and, on Postgres, across machines
//!   sharing the database. Without `force` a conflicting insert changes nothing and the
//!   row's state is returned; with `force` the insert takes the row over (`ON CONFLICT … DO
//!   UPDATE`) with a fresh token, whatever its state.
//! * [`Store::mark_delivery_sent`] moves a `sending` row to `sent`, and
//!   [`Store::release_delivery`] deletes a `sending` row (the send failed, so the next run
//!   tries again); both only when the row still carries the caller's token, so a process
//!   whose claim was taken over by `--force` can neither confirm nor release it.
//!
//! A claim that is never confirmed (the process died between the send and the log write)
//! stays `sending` and is reported, not resent: at most once (see the digest crate).

use crate::{StorageError, Store};
use chrono::{DateTime, Utc};

/// What [`Store::claim_delivery`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryClaim {
    /// The key is the caller's, in state `sending`: send, then
    /// [`Store::mark_delivery_sent`] or [`Store::release_delivery`] with this token.
    Acquired { token: String },
    /// Already delivered at `at`.
    Sent { at: DateTime<Utc> },
    /// Claimed at `since` and never confirmed: another process is sending it, or one died
    /// between the send and the log write.
    Sending { since: DateTime<Utc> },
}

/// The state of a delivery row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Sending,
    Sent,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
        }
    }
}

/// One row of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub team: String,
    pub period: String,
    pub channel: String,
    pub state: DeliveryState,
    pub claimed_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub token: String,
}

/// A fresh claim token: 128 random bits, hex.
fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn check_key(team: &str, period: &str, channel: &str) -> Result<(), StorageError> {
    for (what, v) in [("team", team), ("period", period), ("channel", channel)] {
        if v.is_empty() {
            return Err(StorageError::Invalid {
                what: format!("delivery {what}"),
                reason: "it is empty".into(),
            });
        }
    }
    Ok(())
}

/// How often a claim is retried when its conflicting row vanished before it could be read
/// (released by a failed send in between).
const CLAIM_ATTEMPTS: usize = 5;

impl Store {
    /// Claims the delivery of `team`'s digest of `period` to `channel` (see the module docs).
    /// Without `force`: [`DeliveryClaim::Acquired`] if nobody claimed it, else its state.
    /// With `force`: always `Acquired`, with a new token (the old one becomes void).
    pub async fn claim_delivery(
        &self,
        team: &str,
        period: &str,
        channel: &str,
        force: bool,
    ) -> Result<DeliveryClaim, StorageError> {
        check_key(team, period, channel)?;
        for _ in 0..CLAIM_ATTEMPTS {
            let token = new_token();
            let now = Utc::now();
            let won = match self {
                Store::Sqlite(p) => {
                    sqlite_sql::insert(p, team, period, channel, force, &token, now).await?
                }
                Store::Postgres(p) => {
                    postgres_sql::insert(p, team, period, channel, force, &token, now).await?
                }
            };
            if won {
                return Ok(DeliveryClaim::Acquired { token });
            }
            match self.delivery(team, period, channel).await? {
                Some(r) => {
                    return Ok(match (r.state, r.sent_at) {
                        (DeliveryState::Sent, Some(at)) => DeliveryClaim::Sent { at },
                        _ => DeliveryClaim::Sending {
                            since: r.claimed_at,
                        },
                    });
                }
                // Released between our insert and the read: try again.
                None => continue,
            }
        }
        Err(StorageError::Invalid {
            what: format!("delivery claim of {team}/{period}/{channel}"),
            reason: format!(
                "the row kept appearing and vanishing over {CLAIM_ATTEMPTS} attempts (other processes claiming and releasing it); try again"
            ),
        })
    }

    /// Records the claimed delivery as sent. `false` (and no change) when `token` is not the
    /// key's current claim — it was taken over, released, or already confirmed.
    pub async fn mark_delivery_sent(
        &self,
        team: &str,
        period: &str,
        channel: &str,
        token: &str,
    ) -> Result<bool, StorageError> {
        let now = Utc::now();
        match self {
            Store::Sqlite(p) => sqlite_sql::mark_sent(p, team, period, channel, token, now).await,
            Store::Postgres(p) => {
                postgres_sql::mark_sent(p, team, period, channel, token, now).await
            }
        }
    }

    /// Forgets a claim whose send failed, so the next run tries again. `false` (and no
    /// change) when `token` is not the key's current, unconfirmed claim.
    pub async fn release_delivery(
        &self,
        team: &str,
        period: &str,
        channel: &str,
        token: &str,
    ) -> Result<bool, StorageError> {
        match self {
            Store::Sqlite(p) => sqlite_sql::release(p, team, period, channel, token).await,
            Store::Postgres(p) => postgres_sql::release(p, team, period, channel, token).await,
        }
    }

    /// The log row of one delivery, if any.
    pub async fn delivery(
        &self,
        team: &str,
        period: &str,
        channel: &str,
    ) -> Result<Option<DeliveryRecord>, StorageError> {
        let mut rows = match self {
            Store::Sqlite(p) => sqlite_sql::select(p, team, Some((period, channel))).await?,
            Store::Postgres(p) => postgres_sql::select(p, team, Some((period, channel))).await?,
        };
        Ok(rows.pop())
    }

    /// Every delivery-log row of `team`, by period and channel (for `check` and tests).
    pub async fn deliveries(&self, team: &str) -> Result<Vec<DeliveryRecord>, StorageError> {
        match self {
            Store::Sqlite(p) => sqlite_sql::select(p, team, None).await,
            Store::Postgres(p) => postgres_sql::select(p, team, None).await,
        }
    }
}

/// The SQL of both backends, expanded in `sqlite_sql` and `postgres_sql` (which define
/// `Pool`, the stored timestamp type `Ts` and `enc`/`dec`).
macro_rules! delivery_sql {
    () => {
        use super::{DeliveryRecord, DeliveryState};
        use crate::StorageError;
        use crate::error::query;
        use chrono::{DateTime, Utc};
        use sqlx::Row;

        const INSERT: &str = "INSERT INTO digest_deliveries \
             (team, period, channel, state, claimed_at, sent_at, token) \
             VALUES ($1, $2, $3, 'sending', $4, NULL, $5) \
             ON CONFLICT (team, period, channel) DO NOTHING RETURNING token";
        const TAKE_OVER: &str = "INSERT INTO digest_deliveries \
             (team, period, channel, state, claimed_at, sent_at, token) \
             VALUES ($1, $2, $3, 'sending', $4, NULL, $5) \
             ON CONFLICT (team, period, channel) DO UPDATE SET state = 'sending', \
             claimed_at = excluded.claimed_at, sent_at = NULL, token = excluded.token \
             RETURNING token";

        /// Inserts (or with `force` takes over) the claim; whether the row is now ours.
        pub(super) async fn insert(
            pool: &Pool,
            team: &str,
            period: &str,
            channel: &str,
            force: bool,
            token: &str,
            now: DateTime<Utc>,
        ) -> Result<bool, StorageError> {
            let row: Option<(String,)> = sqlx::query_as(if force { TAKE_OVER } else { INSERT })
                .bind(team)
                .bind(period)
                .bind(channel)
                .bind(enc(now))
                .bind(token)
                .fetch_optional(pool)
                .await
                .map_err(query("claiming a digest delivery"))?;
            Ok(row.is_some_and(|(t,)| t == token))
        }

        pub(super) async fn mark_sent(
            pool: &Pool,
            team: &str,
            period: &str,
            channel: &str,
            token: &str,
            now: DateTime<Utc>,
        ) -> Result<bool, StorageError> {
            let done = sqlx::query(
                "UPDATE digest_deliveries SET state = 'sent', sent_at = $1 \
                 WHERE team = $2 AND period = $3 AND channel = $4 AND token = $5 \
                 AND state = 'sending'",
            )
            .bind(enc(now))
            .bind(team)
            .bind(period)
            .bind(channel)
            .bind(token)
            .execute(pool)
            .await
            .map_err(query("recording a digest delivery as sent"))?;
            Ok(done.rows_affected() == 1)
        }

        pub(super) async fn release(
            pool: &Pool,
            team: &str,
            period: &str,
            channel: &str,
            token: &str,
        ) -> Result<bool, StorageError> {
            let done = sqlx::query(
                "DELETE FROM digest_deliveries \
                 WHERE team = $1 AND period = $2 AND channel = $3 AND token = $4 \
                 AND state = 'sending'",
            )
            .bind(team)
            .bind(period)
            .bind(channel)
            .bind(token)
            .execute(pool)
            .await
            .map_err(query("releasing a digest delivery claim"))?;
            Ok(done.rows_affected() == 1)
        }

        pub(super) async fn select(
            pool: &Pool,
            team: &str,
            key: Option<(&str, &str)>,
        ) -> Result<Vec<DeliveryRecord>, StorageError> {
            const COLUMNS: &str = "SELECT team, period, channel, state, claimed_at, sent_at, \
                 token FROM digest_deliveries WHERE team = $1";
            let rows = match key {
                Some((period, channel)) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{COLUMNS} AND period = $2 AND channel = $3"
                    )))
                    .bind(team)
                    .bind(period)
                    .bind(channel)
                    .fetch_all(pool)
                    .await
                }
                None => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{COLUMNS} ORDER BY period, channel"
                    )))
                    .bind(team)
                    .fetch_all(pool)
                    .await
                }
            }
            .map_err(query("reading the digest delivery log"))?;
            let col = |e| query("reading the digest delivery log")(e);
            rows.iter()
                .map(|r| {
                    let state: String = r.try_get("state").map_err(col)?;
                    let state = match state.as_str() {
                        "sent" => DeliveryState::Sent,
                        "sending" => DeliveryState::Sending,
                        other => {
                            return Err(StorageError::Corrupt {
                                table: "digest_deliveries",
                                column: "state",
                                reason: format!("unknown state {other:?}"),
                            });
                        }
                    };
                    let claimed_at: Ts = r.try_get("claimed_at").map_err(col)?;
                    let sent_at: Option<Ts> = r.try_get("sent_at").map_err(col)?;
                    Ok(DeliveryRecord {
                        team: r.try_get("team").map_err(col)?,
                        period: r.try_get("period").map_err(col)?,
                        channel: r.try_get("channel").map_err(col)?,
                        state,
                        claimed_at: dec(claimed_at, "claimed_at")?,
                        sent_at: sent_at.map(|t| dec(t, "sent_at")).transpose()?,
                        token: r.try_get("token").map_err(col)?,
                    })
                })
                .collect()
        }
    };
}

mod sqlite_sql {
    type Pool = sqlx::SqlitePool;
    /// Microseconds since the epoch, as every SQLite time column.
    type Ts = i64;

    fn enc(t: DateTime<Utc>) -> Ts {
        t.timestamp_micros()
    }

    fn dec(v: Ts, column: &'static str) -> Result<DateTime<Utc>, StorageError> {
        DateTime::from_timestamp_micros(v).ok_or_else(|| StorageError::Corrupt {
            table: "digest_deliveries",
            column,
            reason: format!("{v} µs since 1970 is out of range"),
        })
    }

    delivery_sql!();
}

mod postgres_sql {
    type Pool = sqlx::PgPool;
    type Ts = DateTime<Utc>;

    fn enc(t: DateTime<Utc>) -> Ts {
        use chrono::SubsecRound;
        t.trunc_subsecs(6)
    }

    fn dec(v: Ts, _column: &'static str) -> Result<DateTime<Utc>, StorageError> {
        Ok(v)
    }

    delivery_sql!();
}
