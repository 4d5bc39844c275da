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

use crate::db::{Row, Time};
use crate::error::query;
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
            let won: Option<String> = self
                .sql(if force { TAKE_OVER } else { INSERT })
                .bind(team)
                .bind(period)
                .bind(channel)
                .bind(Time(now))
                .bind(&token)
                .optional_scalar(self)
                .await
                .map_err(query("claiming a digest delivery"))?;
            let won = won.is_some_and(|t| t == token);
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
        let done = self
            .sql(
                "UPDATE digest_deliveries SET state = 'sent', sent_at = $1 \
                 WHERE team = $2 AND period = $3 AND channel = $4 AND token = $5 \
                 AND state = 'sending'",
            )
            .bind(Time(now))
            .bind(team)
            .bind(period)
            .bind(channel)
            .bind(token)
            .execute(self)
            .await
            .map_err(query("recording a digest delivery as sent"))?;
        Ok(done == 1)
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
        let done = self
            .sql(
                "DELETE FROM digest_deliveries \
                 WHERE team = $1 AND period = $2 AND channel = $3 AND token = $4 \
                 AND state = 'sending'",
            )
            .bind(team)
            .bind(period)
            .bind(channel)
            .bind(token)
            .execute(self)
            .await
            .map_err(query("releasing a digest delivery claim"))?;
        Ok(done == 1)
    }

    /// The log row of one delivery, if any.
    pub async fn delivery(
        &self,
        team: &str,
        period: &str,
        channel: &str,
    ) -> Result<Option<DeliveryRecord>, StorageError> {
        let mut rows = self
            .select_deliveries(team, Some((period, channel)))
            .await?;
        Ok(rows.pop())
    }

    /// Every delivery-log row of `team`, by period and channel (for `check` and tests).
    pub async fn deliveries(&self, team: &str) -> Result<Vec<DeliveryRecord>, StorageError> {
        self.select_deliveries(team, None).await
    }

    async fn select_deliveries(
        &self,
        team: &str,
        key: Option<(&str, &str)>,
    ) -> Result<Vec<DeliveryRecord>, StorageError> {
        const COLUMNS: &str = "SELECT team, period, channel, state, claimed_at, sent_at, \
             token FROM digest_deliveries WHERE team = $1";
        let op = "reading the digest delivery log";
        let q = match key {
            Some((period, channel)) => self
                .sql(format!("{COLUMNS} AND period = $2 AND channel = $3"))
                .bind(team)
                .bind(period)
                .bind(channel),
            None => self
                .sql(format!("{COLUMNS} ORDER BY period, channel"))
                .bind(team),
        };
        let rows = q.fetch_all(self).await.map_err(query(op))?;
        rows.iter().map(record).collect()
    }
}

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

fn record(r: &Row) -> Result<DeliveryRecord, StorageError> {
    const OP: &str = "reading the digest delivery log";
    const T: &str = "digest_deliveries";
    let state: String = r.get("state").map_err(query(OP))?;
    let state = match state.as_str() {
        "sent" => DeliveryState::Sent,
        "sending" => DeliveryState::Sending,
        other => {
            return Err(StorageError::Corrupt {
                table: T,
                column: "state",
                reason: format!("unknown state {other:?}"),
            });
        }
    };
    Ok(DeliveryRecord {
        team: r.get("team").map_err(query(OP))?,
        period: r.get("period").map_err(query(OP))?,
        channel: r.get("channel").map_err(query(OP))?,
        state,
        claimed_at: r.time(T, "claimed_at", OP)?,
        sent_at: r.opt_time(T, "sent_at", OP)?,
        token: r.get("token").map_err(query(OP))?,
    })
}
