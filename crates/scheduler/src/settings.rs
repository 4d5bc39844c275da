//! The daemon's schedules, as plain values (the CLI builds them from its config).

use crate::schedule::{DigestSchedule, InvalidSchedule, PeriodKind};
use chrono_tz::Tz;
use std::time::Duration;

/// A source's sync schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSchedule {
    pub name: String,
    /// `sync_every`; at least a second.
    pub every: Duration,
}

/// A team's digest schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamSchedule {
    pub name: String,
    pub schedule: DigestSchedule,
    pub period: PeriodKind,
    /// The sources whose data the team sees (for the failing-source warning and the hold).
    pub sources: Vec<String>,
    /// How long a due digest waits for its sources to be complete through the period's end
    /// (`digest_hold_max`, default [`DEFAULT_HOLD_MAX`]); after that it is sent with the
    /// incomplete-data banner. Zero sends at once.
    pub hold_max: Duration,
}

/// Six hours: a weekend's failed sync has the Monday morning to recover before the digest
/// goes out with a banner.
pub const DEFAULT_HOLD_MAX: Duration = Duration::from_secs(6 * 3600);

impl TeamSchedule {
    /// A weekly digest on `cron` (six fields, seconds first) in `tz`.
    pub fn weekly(
        name: &str,
        tz: Tz,
        cron: &str,
        sources: Vec<String>,
    ) -> Result<TeamSchedule, InvalidSchedule> {
        Ok(TeamSchedule {
            name: name.to_owned(),
            schedule: DigestSchedule::parse(cron, tz)?,
            period: PeriodKind::Week,
            sources,
            hold_max: DEFAULT_HOLD_MAX,
        })
    }
}

/// Everything [`crate::Daemon`] and [`crate::status`] need.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub sources: Vec<SourceSchedule>,
    pub teams: Vec<TeamSchedule>,
    /// How often the daemon looks at what is due (default 15 s): the delay of a digest
    /// after its due instant is at most this.
    pub tick: Duration,
    /// How long a shutdown waits for running jobs (default 10 s).
    pub shutdown_grace: Duration,
    /// SQLite: a daemon lease whose heartbeat is older than this is taken over (default
    /// 60 s; the heartbeat runs every quarter of it).
    pub lease_stale_after: Duration,
}

impl Settings {
    pub fn new(sources: Vec<SourceSchedule>, teams: Vec<TeamSchedule>) -> Settings {
        Settings {
            sources,
            teams,
            tick: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(10),
            lease_stale_after: Duration::from_secs(60),
        }
    }
}
