//! What is due when: pure functions of the settings, the last run records and `now`.
//!
//! Nothing here reads a clock or a database, so every rule is tested with fixed instants.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use deskpulse_model::PeriodSpec;
use std::fmt;

/// A cron expression that cannot be used as a digest schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid digest schedule {cron:?}: {reason} (write six fields, seconds first, e.g. \"0 0 8 * * Mon\")"
)]
pub struct InvalidSchedule {
    pub cron: String,
    pub reason: String,
}

/// Which period a digest covers: the last complete one at its due instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PeriodKind {
    /// ISO weeks, Monday to Sunday in the team's zone.
    #[default]
    Week,
    /// Calendar months in the team's zone.
    Month,
}

impl PeriodKind {
    /// The last period of this kind that had ended at `at` in `tz`.
    pub fn last_complete(self, at: DateTime<Utc>, tz: Tz) -> PeriodSpec {
        match self {
            PeriodKind::Week => PeriodSpec::last_complete_week(at, tz),
            PeriodKind::Month => {
                PeriodSpec::month_of(at.with_timezone(&tz).date_naive()).previous()
            }
        }
    }
}

/// A digest schedule: a six-field cron (seconds first) read as wall-clock time in `tz`.
///
/// Occurrences are computed by croner on `DateTime<Tz>`, so `0 0 8 * * Mon` is 08:00 local
/// on both sides of a DST change (never a fixed offset). Day-of-month and day-of-week are
/// ANDed when both are given, as in tokio-cron-scheduler (`0 0 8 1 * Mon` is a Monday the 1st).
/// A local time skipped by a spring-forward change fires at the first instant after the gap;
/// a local time repeated in autumn fires once, at its first occurrence.
#[derive(Clone)]
pub struct DigestSchedule {
    cron: Cron,
    text: String,
    tz: Tz,
}

impl fmt::Debug for DigestSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestSchedule")
            .field("cron", &self.text)
            .field("tz", &self.tz)
            .finish()
    }
}

impl PartialEq for DigestSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.tz == other.tz
    }
}

impl DigestSchedule {
    pub fn parse(cron: &str, tz: Tz) -> Result<DigestSchedule, InvalidSchedule> {
        let err = |reason: String| InvalidSchedule {
            cron: cron.to_owned(),
            reason,
        };
        let fields = cron.split_whitespace().count();
        if fields != 6 {
            return Err(err(format!("it has {fields} fields, not 6")));
        }
        let parsed = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Disallowed)
            .dom_and_dow(true)
            .build()
            .parse(cron)
            .map_err(|e| err(e.to_string()))?;
        let s = DigestSchedule {
            cron: parsed,
            text: cron.trim().to_owned(),
            tz,
        };
        // A pattern that never matches (30 February) would make every lookup fail.
        if s.next_due(Utc::now()).is_none() {
            return Err(err("it never fires".into()));
        }
        Ok(s)
    }

    pub fn cron(&self) -> &str {
        &self.text
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The most recent due instant at or before `now`.
    pub fn last_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&now.with_timezone(&self.tz), true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The first due instant strictly after `now`.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&now.with_timezone(&self.tz), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// `last_due`/`next_due` as free functions, for callers holding a cron string and a zone.
pub fn last_due(cron: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    DigestSchedule::parse(cron, tz).ok()?.last_due(now)
}

/// See [`last_due`].
pub fn next_due(cron: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    DigestSchedule::parse(cron, tz).ok()?.next_due(now)
}

/// A digest that is due: claim `slot`, then send the digest of `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDigest {
    /// The due instant: the run record's key, the same on every instance.
    pub slot: DateTime<Utc>,
    pub period: PeriodSpec,
}

/// The catch-up rule. `last_slot` is the slot of the team's last recorded digest run;
/// `first_start` stands in for it when there is none (the daemon's start: a new install
/// does not send an old digest, but one due while it runs is sent).
///
/// Due when the most recent due instant is after the last recorded run, and then only for
/// the last complete period at that instant: a daemon down over two Monday mornings sends
/// one digest, last week's, when it comes back.
pub fn digest_due(
    schedule: &DigestSchedule,
    kind: PeriodKind,
    now: DateTime<Utc>,
    last_slot: Option<DateTime<Utc>>,
    first_start: DateTime<Utc>,
) -> Option<DueDigest> {
    let slot = schedule.last_due(now)?;
    let due = match last_slot {
        Some(last) => slot > last,
        None => slot >= first_start,
    };
    due.then(|| DueDigest {
        slot,
        period: kind.last_complete(slot, schedule.tz()),
    })
}

/// A failed digest is retried like a sync (backoff from [`RETRY_BASE`], at most an hour
/// apart) for the period of the most recent due instant, until the next due instant takes
/// over. The retry's slot is its instant, computed alike on every instance from the stored
/// record; channels already delivered are skipped by the delivery log, not here.
pub fn digest_retry(
    schedule: &DigestSchedule,
    kind: PeriodKind,
    now: DateTime<Utc>,
    last: LastRun,
) -> Option<DueDigest> {
    let at = retry_at(Duration::hours(1), &last)?;
    let due = schedule.last_due(now)?;
    (now >= at && at > last.slot && due <= last.slot).then(|| DueDigest {
        slot: at,
        period: kind.last_complete(due, schedule.tz()),
    })
}

/// The last recorded run of a job, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastRun {
    pub slot: DateTime<Utc>,
    /// `None` while it runs (or if its process died).
    pub finished_at: Option<DateTime<Utc>>,
    /// How many runs in a row failed or were cancelled, this one included (0 if it
    /// succeeded or still runs).
    pub consecutive_failures: u32,
}

/// The first retry waits this long; each further failure doubles it, up to the interval.
pub const RETRY_BASE: Duration = Duration::seconds(30);

/// How long after a run's `n`-th consecutive failure it is retried: 30 s, 1 min, 2 min, …,
/// never longer than `every` (the regular slot comes first anyway).
pub fn retry_backoff(every: Duration, n: u32) -> Duration {
    let doubled = RETRY_BASE * 2i32.saturating_pow(n.saturating_sub(1).min(20));
    doubled.min(every).max(Duration::seconds(1))
}

/// `t` rounded down to a multiple of `every` since the Unix epoch: every instance computes
/// the same slots, so the slot identifies a tick across the cluster.
pub fn align_down(t: DateTime<Utc>, every: Duration) -> DateTime<Utc> {
    let step = every.num_milliseconds().max(1000);
    let ms = t.timestamp_millis();
    let floored = ms - ms.rem_euclid(step);
    Utc.timestamp_millis_opt(floored).single().unwrap_or(t)
}

/// How long after its slot a sync starts: up to a tenth of the interval (at most a
/// minute), derived from a hash of the source and slot, so it spreads the sources, is the
/// same on every instance and in every test run.
pub fn jitter(source: &str, slot: DateTime<Utc>, every: Duration) -> Duration {
    let max_ms = (every.num_milliseconds() / 10).clamp(0, 60_000);
    if max_ms == 0 {
        return Duration::zero();
    }
    let h = fnv1a(source.as_bytes(), slot.timestamp_millis().to_le_bytes());
    Duration::milliseconds((h % max_ms as u64) as i64)
}

/// FNV-1a 64: stable across builds and platforms (unlike `DefaultHasher`'s contract).
pub(crate) fn fnv1a(bytes: &[u8], extra: [u8; 8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes.iter().chain(extra.iter()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The slot a sync of `source` should claim at `now`, if one is due.
///
/// * The regular slot is `align_down(now, every)`; it is due once `now` reaches it plus its
///   jitter, unless the last run already has it (or a later retry slot). Slots missed while
///   no daemon ran are not replayed: the next sync resumes from its checkpoint anyway.
/// * After a failed run, a retry is due at its end plus [`retry_backoff`]; the retry's slot
///   is that instant, which every instance computes alike from the stored record.
pub fn sync_due(
    source: &str,
    every: Duration,
    now: DateTime<Utc>,
    last: Option<LastRun>,
) -> Option<DateTime<Utc>> {
    let current = align_down(now, every);
    let regular = now >= current + jitter(source, current, every);
    let Some(last) = last else {
        return regular.then_some(current);
    };
    if regular && current > last.slot {
        return Some(current);
    }
    let retry = retry_at(every, &last)?;
    (now >= retry && retry > last.slot).then_some(retry)
}

fn retry_at(every: Duration, last: &LastRun) -> Option<DateTime<Utc>> {
    let finished = last.finished_at?;
    if last.consecutive_failures == 0 {
        return None;
    }
    // Whole seconds, so the slot is exact on both backends.
    let at = finished + retry_backoff(every, last.consecutive_failures);
    Some(Utc.timestamp_opt(at.timestamp(), 0).single().unwrap_or(at))
}

/// When the next sync of `source` will be due, seen at `now` (for `status`): `now` itself
/// if one is due already.
pub fn next_sync(
    source: &str,
    every: Duration,
    now: DateTime<Utc>,
    last: Option<LastRun>,
) -> DateTime<Utc> {
    if sync_due(source, every, now, last).is_some() {
        return now;
    }
    let current = align_down(now, every);
    let mut next = if last.is_none_or(|l| current > l.slot) {
        current + jitter(source, current, every)
    } else {
        let n = current + every;
        n + jitter(source, n, every)
    };
    if let Some(l) = last
        && let Some(r) = retry_at(every, &l)
        && r > l.slot
        && r < next
    {
        next = r;
    }
    next
}

#[cfg(test)]
mod tests;
