//! The daemon's run records (table `job_runs`), its job locks and the single-daemon lease
//! (table `daemon_lease`). The scheduler crate decides what is due; this module makes each
//! decision hold across processes.
//!
//! * **Run records.** A job is `sync:SOURCE` or `digest:TEAM` ([`sync_job`], [`digest_job`]);
//!   a slot is the instant a run was scheduled for, which every daemon computes alike.
//!   [`Store::claim_run`] is **one statement**, an insert that conflicts on the primary key
//!   `(job, slot)`: of several daemons sharing a database exactly one gets the row and runs
//!   the job; [`Store::finish_run`] records how it ended. A row never finished is a run in
//!   progress or one whose process died; later slots run regardless.
//! * **Job locks** (Postgres). [`Store::try_lock_job`] takes a session advisory lock,
//!   `pg_try_advisory_lock(key)` with a stable 64-bit hash of the job name, on a connection
//!   of its own (outside the pool). It is held while the job runs, so a slow sync on one
//!   daemon never overlaps a later slot claimed on another; if the process dies, its
//!   connection closes and Postgres releases the lock. On SQLite only one daemon may run
//!   (see the lease), so the lock is a no-op there.
//! * **Daemon lease** (SQLite). One row: who runs the daemon, and a heartbeat. Acquiring is
//!   one upsert that only takes the row over when it is free, stale (the heartbeat is older
//!   than the caller's cut-off) or named by the caller (its holder is known dead), so a
//!   second daemon on the same file is refused and a crashed one blocks a restart only
//!   until its heartbeat goes stale.

use crate::db::{Row, Time};
use crate::error::query;
use crate::{StorageError, Store};
use chrono::{DateTime, Utc};
use sqlx::Connection;

/// The job name of a source's sync.
pub fn sync_job(source: &str) -> String {
    format!("sync:{source}")
}

/// The job name of a team's digest.
pub fn digest_job(team: &str) -> String {
    format!("digest:{team}")
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunOutcome {
    Ok,
    Failed,
    /// Stopped early by a shutdown, after committing what it had read.
    Cancelled,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Ok => "ok",
            RunOutcome::Failed => "failed",
            RunOutcome::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Result<RunOutcome, StorageError> {
        match s {
            "ok" => Ok(RunOutcome::Ok),
            "failed" => Ok(RunOutcome::Failed),
            "cancelled" => Ok(RunOutcome::Cancelled),
            other => Err(StorageError::Corrupt {
                table: "job_runs",
                column: "outcome",
                reason: format!("unknown outcome {other:?}"),
            }),
        }
    }
}

/// One row of `job_runs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub job: String,
    pub slot: DateTime<Utc>,
    /// The daemon that claimed it ([`LeaseHolder::owner`]-style id: host, pid, random).
    pub owner: String,
    pub started_at: DateTime<Utc>,
    /// `None` while it runs, or if its process died.
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Option<RunOutcome>,
    /// Records synced (syncs), or channels delivered (digests).
    pub records: Option<i64>,
    pub error: Option<String>,
}

/// How a run ended, for [`Store::finish_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEnd {
    pub outcome: RunOutcome,
    pub records: Option<u64>,
    pub error: Option<String>,
}

/// Who holds (or asks for) the daemon lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    /// Unique per daemon process.
    pub owner: String,
    pub pid: u32,
    pub host: String,
    pub acquired_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
}

/// What [`Store::acquire_daemon_lease`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    Acquired,
    /// Another daemon holds it and its heartbeat is fresh.
    Held(LeaseHolder),
}

/// A job lock; release it with [`JobLock::release`]. Dropped without release (a panic,
/// an aborted task), its connection is dropped, which releases the lock on the server too.
#[derive(Debug)]
pub struct JobLock {
    /// The session holding the lock, and the lock's key.
    conn: Option<(sqlx::PgConnection, i64)>,
}

impl JobLock {
    /// Releases the lock, then closes its connection. The unlock is answered once the lock
    /// is free, so another session can take it as soon as this returns. Closing alone is not
    /// enough for that: the server frees a session's locks while its backend exits, after
    /// the client has already gone (`two_postgres_handles_claim_each_slot_once`, whose second
    /// handle takes the lock right after `release`, failed so once in CI).
    pub async fn release(mut self) -> Result<(), StorageError> {
        if let Some((mut conn, key)) = self.conn.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut conn)
                .await
                .map_err(crate::error::query("releasing a job lock"))?;
            conn.close()
                .await
                .map_err(crate::error::query("closing a job lock's connection"))?;
        }
        Ok(())
    }
}

/// The advisory lock key of a job: FNV-1a 64 of a prefixed name, stable across builds, so
/// every daemon version locks the same key.
pub fn job_lock_key(job: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "deskpulse:".bytes().chain(job.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

fn check_job(job: &str) -> Result<(), StorageError> {
    if job.is_empty() {
        return Err(StorageError::Invalid {
            what: "job name".into(),
            reason: "it is empty".into(),
        });
    }
    Ok(())
}

impl Store {
    /// Claims the run of `job` for `slot`: `true` if this call inserted the record (run it),
    /// `false` if someone already claimed that slot (skip it).
    pub async fn claim_run(
        &self,
        job: &str,
        slot: DateTime<Utc>,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        check_job(job)?;
        let done = self
            .sql(
                "INSERT INTO job_runs (job, slot, owner, started_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (job, slot) DO NOTHING",
            )
            .bind(job)
            .bind(Time(slot))
            .bind(owner)
            .bind(Time(now))
            .execute(self)
            .await
            .map_err(query("claiming a job run"))?;
        Ok(done == 1)
    }

    /// Records the end of a claimed run. `false` (and no change) unless the record exists,
    /// is `owner`'s and is not finished yet.
    pub async fn finish_run(
        &self,
        job: &str,
        slot: DateTime<Utc>,
        owner: &str,
        now: DateTime<Utc>,
        end: &RunEnd,
    ) -> Result<bool, StorageError> {
        let records = end.records.map(|r| i64::try_from(r).unwrap_or(i64::MAX));
        let done = self
            .sql(
                "UPDATE job_runs SET finished_at = $1, outcome = $2, records = $3, error = $4 \
                 WHERE job = $5 AND slot = $6 AND owner = $7 AND finished_at IS NULL",
            )
            .bind(Time(now))
            .bind(end.outcome.as_str())
            .bind(records)
            .bind(end.error.as_deref())
            .bind(job)
            .bind(Time(slot))
            .bind(owner)
            .execute(self)
            .await
            .map_err(query("recording the end of a job run"))?;
        Ok(done == 1)
    }

    /// The latest `limit` runs of `job`, latest slot first.
    pub async fn recent_runs(&self, job: &str, limit: u32) -> Result<Vec<RunRecord>, StorageError> {
        let rows = self
            .sql(format!(
                "{COLUMNS} WHERE job = $1 ORDER BY slot DESC LIMIT $2"
            ))
            .bind(job)
            .bind(i64::from(limit))
            .fetch_all(self)
            .await
            .map_err(query("reading job runs"))?;
        rows.iter().map(record).collect()
    }

    /// The run of `job` with the latest slot, if any.
    pub async fn last_run(&self, job: &str) -> Result<Option<RunRecord>, StorageError> {
        Ok(self.recent_runs(job, 1).await?.pop())
    }

    /// The latest finished run of `job` with `outcome`, if any (e.g. the last success).
    pub async fn last_run_with(
        &self,
        job: &str,
        outcome: RunOutcome,
    ) -> Result<Option<RunRecord>, StorageError> {
        let row = self
            .sql(format!(
                "{COLUMNS} WHERE job = $1 AND outcome = $2 ORDER BY slot DESC LIMIT 1"
            ))
            .bind(job)
            .bind(outcome.as_str())
            .fetch_optional(self)
            .await
            .map_err(query("reading job runs"))?;
        row.as_ref().map(record).transpose()
    }

    /// The sources among `sources` that synced during `[start, end)` (by slot) and failed
    /// every time — cancelled and unfinished runs do not count either way — each with the
    /// error of its last run, in the order given. For the digest's warning.
    pub async fn failing_sources(
        &self,
        sources: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StorageError> {
        let mut out = Vec::new();
        for source in sources {
            let job = sync_job(source);
            let runs = self.finished_between(&job, start, end).await?;
            if !runs.is_empty() && runs.iter().all(|(o, _)| *o == RunOutcome::Failed) {
                let error = runs
                    .last()
                    .and_then(|(_, e)| e.clone())
                    .unwrap_or_else(|| "unknown error".into());
                out.push((source.clone(), error));
            }
        }
        Ok(out)
    }

    /// Tries to take `job`'s lock without waiting: `None` if another session holds it. On
    /// SQLite always granted (one daemon per file, see the module docs).
    pub async fn try_lock_job(&self, job: &str) -> Result<Option<JobLock>, StorageError> {
        let Some(pool) = self.postgres_pool() else {
            return Ok(Some(JobLock { conn: None }));
        };
        let mut conn = sqlx::PgConnection::connect_with(&pool.connect_options())
            .await
            .map_err(crate::error::query("connecting for a job lock"))?;
        let key = job_lock_key(job);
        let (got,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await
            .map_err(crate::error::query("taking a job lock"))?;
        if got {
            Ok(Some(JobLock {
                conn: Some((conn, key)),
            }))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }

    /// Takes the daemon lease for `me` if it is free, held by `me.owner`, its heartbeat is
    /// older than `stale_before`, or it is held by `replace` (an owner the caller knows is
    /// dead); else returns its holder.
    pub async fn acquire_daemon_lease(
        &self,
        me: &LeaseHolder,
        stale_before: DateTime<Utc>,
        replace: Option<&str>,
    ) -> Result<LeaseOutcome, StorageError> {
        let won = self.lease(me, stale_before, replace).await?;
        if won {
            return Ok(LeaseOutcome::Acquired);
        }
        match self.daemon_lease().await? {
            Some(h) => Ok(LeaseOutcome::Held(h)),
            // Released in between: one more try.
            None => {
                let won = self.lease(me, stale_before, replace).await?;
                match (won, self.daemon_lease().await?) {
                    (true, _) => Ok(LeaseOutcome::Acquired),
                    (false, Some(h)) => Ok(LeaseOutcome::Held(h)),
                    (false, None) => Err(StorageError::Invalid {
                        what: "daemon lease".into(),
                        reason: "it kept being taken and released; try again".into(),
                    }),
                }
            }
        }
    }

    /// Renews `owner`'s lease; `false` if `owner` no longer holds it (taken over as stale).
    pub async fn heartbeat_daemon_lease(
        &self,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let done = self
            .sql("UPDATE daemon_lease SET heartbeat_at = $1 WHERE owner = $2")
            .bind(Time(now))
            .bind(owner)
            .execute(self)
            .await
            .map_err(query("renewing the daemon lease"))?;
        Ok(done == 1)
    }

    /// Gives the lease up; `false` if `owner` did not hold it.
    pub async fn release_daemon_lease(&self, owner: &str) -> Result<bool, StorageError> {
        let done = self
            .sql("DELETE FROM daemon_lease WHERE owner = $1")
            .bind(owner)
            .execute(self)
            .await
            .map_err(query("releasing the daemon lease"))?;
        Ok(done == 1)
    }

    /// The current lease holder, if any (fresh or not).
    pub async fn daemon_lease(&self) -> Result<Option<LeaseHolder>, StorageError> {
        let op = "reading the daemon lease";
        let row = self
            .sql(
                "SELECT owner, pid, host, acquired_at, heartbeat_at FROM daemon_lease \
                 WHERE id = 1",
            )
            .fetch_optional(self)
            .await
            .map_err(query(op))?;
        let Some(r) = row else { return Ok(None) };
        let pid: i64 = r.get("pid").map_err(query(op))?;
        Ok(Some(LeaseHolder {
            owner: r.get("owner").map_err(query(op))?,
            pid: u32::try_from(pid).unwrap_or(0),
            host: r.get("host").map_err(query(op))?,
            acquired_at: r.time("daemon_lease", "acquired_at", op)?,
            heartbeat_at: r.time("daemon_lease", "heartbeat_at", op)?,
        }))
    }

    /// Whether only one daemon may run on this database, holding the daemon lease (SQLite:
    /// [`Store::try_lock_job`] grants every lock); on Postgres daemons share the database,
    /// each job under its lock.
    pub fn needs_daemon_lease(&self) -> bool {
        self.dialect().one_daemon_per_database()
    }

    /// `(outcome, error)` of the ok or failed runs of `job` with a slot in `[start, end)`,
    /// oldest first.
    async fn finished_between(
        &self,
        job: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<(RunOutcome, Option<String>)>, StorageError> {
        let op = "reading failing sources";
        let rows = self
            .sql(
                "SELECT outcome, error FROM job_runs WHERE job = $1 AND slot >= $2 \
                 AND slot < $3 AND outcome IN ('ok', 'failed') ORDER BY slot",
            )
            .bind(job)
            .bind(Time(start))
            .bind(Time(end))
            .fetch_all(self)
            .await
            .map_err(query(op))?;
        rows.iter()
            .map(|r| {
                let outcome: String = r.get(0).map_err(query(op))?;
                let error: Option<String> = r.get(1).map_err(query(op))?;
                Ok((RunOutcome::parse(&outcome)?, error))
            })
            .collect()
    }

    /// The lease upsert: whether `me` holds the lease now.
    async fn lease(
        &self,
        me: &LeaseHolder,
        stale_before: DateTime<Utc>,
        replace: Option<&str>,
    ) -> Result<bool, StorageError> {
        let owner: Option<String> = self
            .sql(
                "INSERT INTO daemon_lease (id, owner, pid, host, acquired_at, heartbeat_at) \
                 VALUES (1, $1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, \
                 host = excluded.host, acquired_at = excluded.acquired_at, \
                 heartbeat_at = excluded.heartbeat_at \
                 WHERE daemon_lease.owner = excluded.owner OR daemon_lease.heartbeat_at < $6 \
                 OR daemon_lease.owner = $7 \
                 RETURNING owner",
            )
            .bind(&me.owner)
            .bind(i64::from(me.pid))
            .bind(&me.host)
            .bind(Time(me.acquired_at))
            .bind(Time(me.heartbeat_at))
            .bind(Time(stale_before))
            .bind(replace.unwrap_or(""))
            .optional_scalar(self)
            .await
            .map_err(query("taking the daemon lease"))?;
        Ok(owner.is_some_and(|o| o == me.owner))
    }
}

const COLUMNS: &str = "SELECT job, slot, owner, started_at, finished_at, outcome, records, error \
     FROM job_runs";

fn record(r: &Row) -> Result<RunRecord, StorageError> {
    const OP: &str = "reading job runs";
    const T: &str = "job_runs";
    let outcome: Option<String> = r.get("outcome").map_err(query(OP))?;
    Ok(RunRecord {
        job: r.get("job").map_err(query(OP))?,
        slot: r.time(T, "slot", OP)?,
        owner: r.get("owner").map_err(query(OP))?,
        started_at: r.time(T, "started_at", OP)?,
        finished_at: r.opt_time(T, "finished_at", OP)?,
        outcome: outcome.as_deref().map(RunOutcome::parse).transpose()?,
        records: r.get("records").map_err(query(OP))?,
        error: r.get("error").map_err(query(OP))?,
    })
}
