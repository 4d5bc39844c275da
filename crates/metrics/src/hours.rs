//! Business hours: how much of an interval fell inside a team's opening hours, in its time
//! zone. Windows are cut per local date, so weekends, holidays and DST changes fall out of
//! the calendar itself (a 09:00–17:00 day is 8 h on a DST day too: the change happens at night).

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

use crate::stats::Clock;

/// A team's opening hours, as local times of its zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    /// Days the team opens (a window belongs to the day it starts on).
    pub days: Vec<Weekday>,
    pub start: NaiveTime,
    /// `end <= start` means the window closes the next day (night shifts; `00:00–00:00` is
    /// a full day).
    pub end: NaiveTime,
    /// Local dates on which the team stays closed.
    pub holidays: Vec<NaiveDate>,
}

impl BusinessHours {
    /// Monday to Friday, `start`–`end`, no holidays.
    pub fn weekdays(start: NaiveTime, end: NaiveTime) -> Self {
        use Weekday::*;
        BusinessHours {
            days: vec![Mon, Tue, Wed, Thu, Fri],
            start,
            end,
            holidays: Vec::new(),
        }
    }

    /// The open window starting on local date `d`, as UTC instants.
    pub fn window(&self, tz: Tz, d: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.days.contains(&d.weekday()) || self.holidays.contains(&d) {
            return None;
        }
        let open = local_instant(tz, d.and_time(self.start));
        let close_day = if self.end > self.start {
            d
        } else {
            d.succ_opt()?
        };
        let close = local_instant(tz, close_day.and_time(self.end));
        (close > open).then_some((open, close))
    }
}

/// The instant a local wall-clock time happens. In a DST gap, the first instant after it
/// (clocks jump over 02:30, so "02:30" happens at the jump); when repeated, the first time.
pub fn local_instant(tz: Tz, t: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = t;
    for _ in 0..(4 * 24) {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(x) => return x.with_timezone(&Utc),
            LocalResult::Ambiguous(a, _) => return a.with_timezone(&Utc),
            LocalResult::None => probe += Duration::minutes(15),
        }
    }
    // No zone skips a day; fall back to reading the time as UTC rather than panic.
    Utc.from_utc_datetime(&t)
}

/// Business time: only the seconds inside the team's windows count.
#[derive(Debug, Clone, Copy)]
pub struct BusinessTime<'a> {
    pub hours: &'a BusinessHours,
    pub tz: Tz,
}

impl Clock for BusinessTime<'_> {
    fn elapsed_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        if to <= from {
            return 0.0;
        }
        // A night window opened the day before `from` may still be open at `from`.
        let first = from.with_timezone(&self.tz).date_naive() - Duration::days(1);
        let last = to.with_timezone(&self.tz).date_naive();
        let mut millis = 0i64;
        for d in first.iter_days().take_while(|d| *d <= last) {
            if let Some((open, close)) = self.hours.window(self.tz, d) {
                let (a, b) = (open.max(from), close.min(to));
                if b > a {
                    millis += (b - a).num_milliseconds();
                }
            }
        }
        millis as f64 / 1000.0
    }
}

/// [`BusinessTime`] with the windows of a date range cut once: each duration is then two
/// binary searches instead of a walk over its days (a report times thousands of tickets,
/// some open for months). Instants outside the range fall back to [`BusinessTime`].
#[derive(Debug, Clone)]
pub struct BusinessCalendar<'a> {
    clock: BusinessTime<'a>,
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    /// `(open, close)` in ms since the epoch, ascending, non-overlapping.
    windows: Vec<(i64, i64)>,
    /// Business ms before each window.
    before: Vec<i64>,
}

impl<'a> BusinessCalendar<'a> {
    /// Precomputes the windows that can touch `[lo, hi]`.
    pub fn new(clock: BusinessTime<'a>, lo: DateTime<Utc>, hi: DateTime<Utc>) -> Self {
        let first = lo.with_timezone(&clock.tz).date_naive() - Duration::days(1);
        let last = hi.with_timezone(&clock.tz).date_naive();
        let mut windows: Vec<(i64, i64)> = Vec::new();
        for d in first.iter_days().take_while(|d| *d <= last) {
            if let Some((open, close)) = clock.hours.window(clock.tz, d) {
                let prev_close = windows.last().map_or(i64::MIN, |w| w.1);
                let open = open.timestamp_millis().max(prev_close);
                let close = close.timestamp_millis();
                if close > open {
                    windows.push((open, close));
                }
            }
        }
        let mut before = Vec::with_capacity(windows.len());
        let mut sum = 0;
        for (open, close) in &windows {
            before.push(sum);
            sum += close - open;
        }
        BusinessCalendar {
            clock,
            lo,
            hi,
            windows,
            before,
        }
    }

    /// Business ms from the first window up to instant `t`.
    fn cumulative(&self, t: i64) -> i64 {
        let i = self.windows.partition_point(|w| w.0 <= t);
        if i == 0 {
            return 0;
        }
        let (open, close) = self.windows[i - 1];
        self.before[i - 1] + (t.min(close) - open)
    }
}

impl Clock for BusinessCalendar<'_> {
    fn elapsed_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        if to <= from {
            return 0.0;
        }
        if from < self.lo || to > self.hi {
            return self.clock.elapsed_seconds(from, to);
        }
        let ms = self.cumulative(to.timestamp_millis()) - self.cumulative(from.timestamp_millis());
        ms as f64 / 1000.0
    }
}
