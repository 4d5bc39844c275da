//! deskpulse-scheduler: the `deskpulse run` daemon — periodic syncs, digests in each team's
//! time zone, catch-up after downtime, and several daemons on one Postgres.
//!
//! # Code map
//! * [`schedule`]: pure functions of settings, last run records and `now` — what is due.
//! * [`Daemon`]: the loop. [`status`]: what `deskpulse status` prints.
//! * [`Jobs`]: the work, supplied by the CLI (sync a source, send a digest), so this crate
//!   depends on storage and the model only.
//! * Storage (`deskpulse_storage::runs`): run records `job_runs`, job locks, the lease.
//!
//! # Decisions
//! * **tokio-cron-scheduler is only the tick.** One repeated UTC job ([`CronTrigger`],
//!   every `Settings::tick`, 15 s by default) wakes the daemon; our code decides what is
//!   due. Registering each team's cron on it would run an hour off after a DST change (it
//!   turns the zone into a fixed offset once, issue #107), never catch up a run missed
//!   while down, and fire on every instance. Its storage features stay off. The trigger is
//!   a trait ([`Trigger`]): [`IntervalTrigger`] is a plain tokio interval, [`ManualTrigger`]
//!   ticks on demand in tests.
//! * **Digests are due by croner on `DateTime<Tz>`** ([`DigestSchedule`]): `0 0 8 * * Mon`
//!   is 08:00 local on both sides of a DST change (six fields, seconds first; day-of-month
//!   and day-of-week ANDed, as in tokio-cron-scheduler).
//! * **Catch-up rule** ([`schedule::digest_due`]): at each tick, if the most recent due
//!   instant is after the team's last recorded digest run, the digest of the last complete
//!   period at that instant is sent — once, however many due instants were missed. With no
//!   record at all (a new install) only instants since the daemon started count. A failed
//!   digest is retried with backoff (30 s doubling, at most hourly) for the same period
//!   until the next due instant ([`schedule::digest_retry`]).
//! * **Syncs** run in slots aligned to multiples of `sync_every` since the epoch, started
//!   after a jitter of up to a tenth of the interval (≤ 1 min) derived from a hash of the
//!   source and slot: spread out, yet the same on every instance and in every test. Slots
//!   missed while down are not replayed (the next sync resumes from its checkpoint). A
//!   failed or cancelled run is retried 30 s after it ended, doubling per failure, never
//!   later than the next regular slot.
//! * **Exactly once in a cluster**: a run is the row `(job, slot)` in `job_runs`, claimed
//!   by an insert that conflicts on that key, so of several daemons exactly one runs each
//!   slot (`sync:SOURCE` or `digest:TEAM`; the slot is computed alike everywhere). The digest
//!   job itself claims each `(team, period, channel)` in the delivery log before sending.
//! * **Never overlapping**: in a process, a job with a task in flight is skipped by later
//!   ticks (logged, [`DaemonEvent::Busy`]). Across processes on Postgres, the run holds the
//!   job's advisory lock (`pg_try_advisory_lock`, on its own connection), so a slow sync on
//!   one daemon is never overlapped by a later slot claimed on another; a crashed daemon's
//!   lock dies with its connection.
//! * **SQLite: one daemon per file.** The daemon takes the `daemon_lease` row (one
//!   conditional upsert) and renews its heartbeat every quarter of
//!   `Settings::lease_stale_after` (60 s). A second daemon is refused with
//!   [`DaemonError::AlreadyRunning`]. A crashed daemon's lease is taken over once its
//!   heartbeat is stale, or at once by a daemon on the same host that sees its process is
//!   gone (the owner id carries pid and process start time, so a restarted container's pid 1
//!   is not mistaken for the old one). A lock file was rejected: it does not say who holds
//!   it, and on network filesystems locks are unreliable.
//! * **Holding a digest for late data** (`hold`): a due digest whose team has a source not
//!   complete through the period's end (storage's freshness: every stream read to its end
//!   by a run that started after it) is not claimed — [`DaemonEvent::Held`] — so every
//!   tick on every daemon looks again; once the sources are complete, one daemon claims and
//!   sends it. After `TeamSchedule::hold_max` (from the period's first due instant, or the
//!   daemon's start if later) it is sent anyway, and the digest carries the banner.
//! * **Failing sources**: `Store::failing_sources` lists the team's sources whose every
//!   finished sync in the digest's period failed; the daemon hands them to
//!   [`Jobs::send_digest`] in [`DigestRequest::failing_sources`] for the warning.
//! * **Shutdown** (SIGTERM/SIGINT, the caller's `shutdown` future): no new work; the running
//!   syncs' [`CancellationToken`]s fire, so they commit their current batch and return
//!   (recorded `cancelled`); after `Settings::shutdown_grace` (10 s) jobs still running are
//!   abandoned and recorded `cancelled`, and the lease is released.
//! * **Time is injected** ([`Clock`]): every decision takes `now`; tests drive a
//!   [`ManualClock`] and a [`ManualTrigger`] and observe [`DaemonEvent`]s.
//!
//! **Architecture Invariant:** the scheduler knows nothing of connectors, metrics, the
//! digest or configuration files; the CLI builds [`Settings`] and implements [`Jobs`].

mod clock;
mod daemon;
mod jobs;
pub mod schedule;
mod settings;
mod status;
mod trigger;

pub use clock::{Clock, ManualClock, SystemClock};
pub use daemon::{Daemon, DaemonError, DaemonEvent};
pub use jobs::{DigestOutcome, DigestRequest, JobError, Jobs, SyncOutcome};
pub use schedule::{DigestSchedule, DueDigest, InvalidSchedule, PeriodKind};
pub use settings::{DEFAULT_HOLD_MAX, Settings, SourceSchedule, TeamSchedule};
pub use status::{SourceStatus, StatusReport, TeamStatus, status};
pub use tokio_util::sync::CancellationToken;
pub use trigger::{CronTrigger, IntervalTrigger, ManualTrigger, Ticker, Trigger};

/// Completes on SIGTERM or SIGINT (Ctrl-C; only the latter off Unix): the `shutdown` to
/// hand to [`Daemon::run`]. If a handler cannot be installed, logs it and waits for the
/// other signal only.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}
