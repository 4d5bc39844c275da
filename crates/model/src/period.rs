//! Reporting periods: half-open `[start, end)` intervals whose edges are local midnights in
//! the team's time zone. This is the one place a team's zone turns into UTC instants.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// A period as a user names it: an ISO week (`2026-W46`) or a month (`2026-11`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodSpec {
    IsoWeek { year: i32, week: u32 },
    Month { year: i32, month: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid period {input:?}: {reason} (use an ISO week like 2026-W46 or a month like 2026-11)"
)]
pub struct InvalidPeriod {
    pub input: String,
    pub reason: &'static str,
}

impl FromStr for PeriodSpec {
    type Err = InvalidPeriod;
    fn from_str(s: &str) -> Result<Self, InvalidPeriod> {
        let err = |reason| InvalidPeriod {
            input: s.to_owned(),
            reason,
        };
        let (y, rest) = s
            .split_once('-')
            .ok_or_else(|| err("no '-' between year and week or month"))?;
        if y.len() != 4 {
            return Err(err("the year must have four digits"));
        }
        let year: i32 = y.parse().map_err(|_| err("the year is not a number"))?;
        if let Some(w) = rest.strip_prefix('W').or_else(|| rest.strip_prefix('w')) {
            let week: u32 = w.parse().map_err(|_| err("the week is not a number"))?;
            if week == 0 || NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).is_none() {
                return Err(err("that year has no such ISO week"));
            }
            Ok(PeriodSpec::IsoWeek { year, week })
        } else {
            let month: u32 = rest.parse().map_err(|_| err("the month is not a number"))?;
            if !(1..=12).contains(&month) || rest.len() != 2 {
                return Err(err("the month must be 01 to 12"));
            }
            Ok(PeriodSpec::Month { year, month })
        }
    }
}

impl fmt::Display for PeriodSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Four digits, as the parser requires: year 262 prints "0262", not "262".
            PeriodSpec::IsoWeek { year, week } => write!(f, "{year:04}-W{week:02}"),
            PeriodSpec::Month { year, month } => write!(f, "{year:04}-{month:02}"),
        }
    }
}

impl PeriodSpec {
    /// The local dates `[first, last_exclusive)` this period covers.
    pub fn dates(&self) -> (NaiveDate, NaiveDate) {
        match *self {
            PeriodSpec::IsoWeek { year, week } => {
                let first =
                    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).expect("validated week");
                (first, first + Duration::days(7))
            }
            PeriodSpec::Month { year, month } => {
                let first = NaiveDate::from_ymd_opt(year, month, 1).expect("validated month");
                let next = if month == 12 {
                    NaiveDate::from_ymd_opt(year + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(year, month + 1, 1)
                }
                .expect("valid date");
                (first, next)
            }
        }
    }

    /// The period just before this one, of the same kind.
    pub fn previous(&self) -> PeriodSpec {
        let (first, _) = self.dates();
        match self {
            PeriodSpec::IsoWeek { .. } => Self::week_of(first - Duration::days(1)),
            PeriodSpec::Month { .. } => Self::month_of(first - Duration::days(1)),
        }
    }

    /// The period just after this one, of the same kind.
    pub fn next(&self) -> PeriodSpec {
        let (_, end) = self.dates();
        match self {
            PeriodSpec::IsoWeek { .. } => Self::week_of(end),
            PeriodSpec::Month { .. } => Self::month_of(end),
        }
    }

    pub fn week_of(d: NaiveDate) -> PeriodSpec {
        let w = d.iso_week();
        PeriodSpec::IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    pub fn month_of(d: NaiveDate) -> PeriodSpec {
        PeriodSpec::Month {
            year: d.year(),
            month: d.month(),
        }
    }

    /// The last ISO week that had ended at `now` in zone `tz`.
    pub fn last_complete_week(now: DateTime<Utc>, tz: Tz) -> PeriodSpec {
        let today = now.with_timezone(&tz).date_naive();
        Self::week_of(today).previous()
    }

    /// Resolves the period in a time zone.
    pub fn in_zone(&self, tz: Tz) -> Period {
        let (first, end) = self.dates();
        Period {
            spec: *self,
            start: local_midnight(tz, first),
            end: local_midnight(tz, end),
            tz,
        }
    }
}

/// The first instant of local date `d` in `tz`. Where a DST change skips midnight, the day
/// starts at the first local time that exists.
pub fn local_midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    let mut t: NaiveDateTime = d.and_hms_opt(0, 0, 0).expect("midnight");
    for _ in 0..48 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.with_timezone(&Utc);
        }
        t += Duration::minutes(30);
    }
    // No zone skips a whole day of half hours; fall back to UTC midnight rather than panic.
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
}

/// A resolved period: `[start, end)` in UTC, with the zone it was cut in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub spec: PeriodSpec,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub tz: Tz,
}

impl Period {
    pub fn label(&self) -> String {
        self.spec.to_string()
    }
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
    pub fn previous(&self) -> Period {
        self.spec.previous().in_zone(self.tz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_weeks_and_months() {
        assert_eq!(
            "2026-W46".parse::<PeriodSpec>().unwrap(),
            PeriodSpec::IsoWeek {
                year: 2026,
                week: 46
            }
        );
        assert_eq!(
            "2026-11".parse::<PeriodSpec>().unwrap(),
            PeriodSpec::Month {
                year: 2026,
                month: 11
            }
        );
        assert_eq!(
            "2026-W46".parse::<PeriodSpec>().unwrap().to_string(),
            "2026-W46"
        );
        for bad in [
            "2026", "2026-W54", "2026-13", "26-11", "2026-W0", "2026-1", "abcd-11", "2025-W53",
        ] {
            assert!(bad.parse::<PeriodSpec>().is_err(), "{bad}");
        }
        assert!(
            "2026-W53".parse::<PeriodSpec>().is_ok(),
            "2026 has 53 ISO weeks"
        );
    }

    #[test]
    fn week_edges_are_local_midnights() {
        let p = "2026-W46"
            .parse::<PeriodSpec>()
            .unwrap()
            .in_zone(chrono_tz::Europe::Berlin);
        assert_eq!(p.start.to_rfc3339(), "2026-11-08T23:00:00+00:00");
        assert_eq!(p.end.to_rfc3339(), "2026-11-15T23:00:00+00:00");
        // The week containing the autumn DST change in New York (Sunday 2026-11-01) is 169 hours long.
        let p = "2026-W44"
            .parse::<PeriodSpec>()
            .unwrap()
            .in_zone(chrono_tz::America::New_York);
        assert_eq!((p.end - p.start).num_hours(), 169);
    }

    #[test]
    fn previous_and_last_complete() {
        let w1 = "2027-W01".parse::<PeriodSpec>().unwrap();
        assert_eq!(w1.previous().to_string(), "2026-W53");
        assert_eq!(
            "2026-01"
                .parse::<PeriodSpec>()
                .unwrap()
                .previous()
                .to_string(),
            "2025-12"
        );
        let now = "2026-11-23T08:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            PeriodSpec::last_complete_week(now, chrono_tz::UTC).to_string(),
            "2026-W47"
        );
    }
}

#[cfg(test)]
mod padding_tests {
    use super::PeriodSpec;

    /// Found by fuzzing: a year below 1000 printed without padding did not parse back.
    #[test]
    fn years_below_1000_print_with_four_digits_and_parse_back() {
        for s in ["0262-11", "0262-W05", "0001-01", "0999-W52"] {
            let p: PeriodSpec = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
            assert_eq!(p.to_string().parse::<PeriodSpec>().unwrap(), p);
        }
    }
}
