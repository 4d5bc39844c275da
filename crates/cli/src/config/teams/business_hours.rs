//! `[teams.business_hours]`: when the team works — weekdays, opening and closing times in the
//! team's zone (a night shift closes the next morning, `24:00` closes at midnight), and
//! holidays. With them, duration KPIs are judged in business time.

use crate::config::KeyError;
use chrono::{NaiveDate, NaiveTime, Weekday};
use deskpulse_metrics::BusinessHours;
use serde::Deserialize;

/// `[teams.business_hours]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileBusinessHours {
    days: String,
    start: String,
    end: String,
    #[serde(default)]
    holidays: Vec<String>,
}

impl FileBusinessHours {
    /// The business hours, keys named under `key` (`teams[0].business_hours`).
    pub(super) fn validate(self, key: &str) -> Result<BusinessHours, KeyError> {
        let at = |k: &str| format!("{key}.{k}");
        let days = days(&self.days).map_err(|d| KeyError::new(at("days"), d))?;
        let start = time_of_day("start", &self.start).map_err(|d| KeyError::new(at("start"), d))?;
        let end = time_of_day("end", &self.end).map_err(|d| KeyError::new(at("end"), d))?;
        // An end before the start is a night shift (22:00–06:00 closes the next morning); an
        // end equal to the start other than midnight is almost surely a typo.
        if end == start && start != NaiveTime::MIN {
            return Err(KeyError::new(
                at("end"),
                format!(
                    "{} is the same time as start {}; for round-the-clock support write start = \"00:00\", end = \"24:00\"",
                    self.end, self.start
                ),
            ));
        }
        let mut holidays = Vec::new();
        for (i, h) in self.holidays.iter().enumerate() {
            holidays.push(NaiveDate::parse_from_str(h, "%Y-%m-%d").map_err(|_| {
                KeyError::new(
                    at(&format!("holidays[{i}]")),
                    format!("{h:?} is not a date like \"2026-12-25\""),
                )
            })?);
        }
        Ok(BusinessHours {
            days,
            start,
            end,
            holidays,
        })
    }
}

/// `Mon-Fri`, `Mon,Wed,Fri`, `Sat-Sun,Tue`: a range runs forward and wraps (`Fri-Mon`).
fn days(s: &str) -> Result<Vec<Weekday>, String> {
    let day = |s: &str| -> Result<Weekday, String> {
        s.trim()
            .parse::<Weekday>()
            .map_err(|_| format!("{s:?} is not a weekday (Mon, Tue, …)"))
    };
    let mut days = Vec::new();
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, z)) => {
                let (mut d, z) = (day(a)?, day(z)?);
                days.push(d);
                while d != z {
                    d = d.succ();
                    days.push(d);
                }
            }
            None => days.push(day(part)?),
        }
    }
    Ok(days)
}

/// `09:00`; for `end`, `24:00` closes at the end of the day (round-the-clock support is
/// 00:00–24:00).
fn time_of_day(which: &str, s: &str) -> Result<NaiveTime, String> {
    if which == "end" && s.trim() == "24:00" {
        return Ok(NaiveTime::MIN);
    }
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| {
        format!("{s:?} is not a time of day like \"09:00\" (or \"24:00\" for an end at midnight)")
    })
}

#[cfg(test)]
mod tests {
    use crate::config::testing::parse;
    use chrono::{NaiveTime, Weekday};

    #[test]
    fn bad_values_are_named() {
        let e = parse("[[teams]]\nname = \"a\"\nbusiness_hours = { days = \"Mon-Fry\", start = \"09:00\", end = \"17:00\" }\n", &[]).unwrap_err();
        assert!(e.contains("`teams[0].business_hours.days`"), "{e}");
    }

    #[test]
    fn business_hours_and_targets() {
        let s = parse(
            "[[teams]]\nname = \"a\"\nbusiness_hours = { days = \"Mon-Fri\", start = \"09:00\", end = \"17:00\", holidays = [\"2026-12-25\"] }\ntargets = { first_response_time = \"2h\", csat = 0.8 }\n",
            &[],
        )
        .unwrap();
        let b = s.teams[0].business_hours.as_ref().unwrap();
        assert_eq!(b.days.len(), 5);
    }

    #[test]
    fn night_shifts_and_round_the_clock_support_are_business_hours() {
        let hours = |start: &str, end: &str| {
            parse(
                &format!("[[teams]]\nname = \"a\"\nbusiness_hours = {{ days = \"Mon-Sun\", start = \"{start}\", end = \"{end}\" }}\n"),
                &[],
            )
            .map(|s| {
                let b = s.teams[0].business_hours.clone().unwrap();
                (b.start, b.end)
            })
        };
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        // 22:00–06:00 closes the next morning; the metrics read end <= start that way.
        assert_eq!(hours("22:00", "06:00").unwrap(), (t("22:00"), t("06:00")));
        // 24/7: midnight to midnight, a full day (no minute lost at 23:59).
        assert_eq!(hours("00:00", "24:00").unwrap(), (t("00:00"), t("00:00")));
        assert_eq!(hours("00:00", "00:00").unwrap(), (t("00:00"), t("00:00")));
        let e = hours("09:00", "09:00").unwrap_err();
        assert!(
            e.contains("`teams[0].business_hours.end`") && e.contains("24:00"),
            "{e}"
        );
        let e = hours("24:00", "08:00").unwrap_err();
        assert!(e.contains("`teams[0].business_hours.start`"), "{e}");
    }

    #[test]
    fn day_lists_ranges_that_wrap_and_holidays() {
        let days = |spec: &str| {
            parse(
                &format!("[[teams]]\nname = \"a\"\nbusiness_hours = {{ days = \"{spec}\", start = \"09:00\", end = \"17:00\" }}\n"),
                &[],
            )
            .map(|s| s.teams[0].business_hours.clone().unwrap().days)
        };
        use Weekday::*;
        assert_eq!(days("Mon,Wed,Fri").unwrap(), [Mon, Wed, Fri]);
        assert_eq!(days("Fri-Mon").unwrap(), [Fri, Sat, Sun, Mon]);
        let e = parse(
            "[[teams]]\nname = \"a\"\nbusiness_hours = { days = \"Mon\", start = \"09:00\", end = \"17:00\", holidays = [\"2026-12-25\", \"Christmas\"] }\n",
            &[],
        )
        .unwrap_err();
        assert!(
            e.contains("`teams[0].business_hours.holidays[1]`") && e.contains("Christmas"),
            "{e}"
        );
    }
}
