//! Business time: weekends, holidays, DST, before opening and after closing.

use super::*;
use chrono::{Duration, NaiveTime, Weekday};
use deskpulse_metrics::{BusinessCalendar, BusinessHours, BusinessTime, CalendarTime, Clock};
use proptest::prelude::*;

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn nine_to_five() -> BusinessHours {
    BusinessHours::weekdays(hm(9, 0), hm(17, 0))
}

fn team_with(hours: BusinessHours) -> TeamConfig {
    TeamConfig {
        business_hours: Some(hours),
        ..team(false)
    }
}

fn secs(hours: &BusinessHours, tz: chrono_tz::Tz, from: &str, to: &str) -> f64 {
    BusinessTime { hours, tz }.elapsed_seconds(at(from), at(to))
}

#[test]
fn over_a_weekend() {
    // Fri 11-13 16:00 → Mon 11-16 10:00 (UTC): Fri 16–17 (1 h) + Mon 09–10 (1 h) = 7200 s;
    // calendar: 8 h (Fri) + 48 h + 10 h = 66 h = 237600 s
    let h = nine_to_five();
    let tz = chrono_tz::UTC;
    assert_eq!(
        secs(&h, tz, "2026-11-13T16:00:00Z", "2026-11-16T10:00:00Z"),
        7200.0
    );
    // inside the weekend only: nothing
    assert_eq!(
        secs(&h, tz, "2026-11-14T10:00:00Z", "2026-11-15T18:00:00Z"),
        0.0
    );
}

#[test]
fn over_a_holiday() {
    // Wed 11-11 is a holiday: Tue 16:30 → Thu 09:30 = 30 min + 30 min = 3600 s
    let mut h = nine_to_five();
    h.holidays.push("2026-11-11".parse().unwrap());
    assert_eq!(
        secs(
            &h,
            chrono_tz::UTC,
            "2026-11-10T16:30:00Z",
            "2026-11-12T09:30:00Z"
        ),
        3600.0
    );
    // without the holiday the Wednesday's 8 h count: 3600 + 28800
    assert_eq!(
        secs(
            &nine_to_five(),
            chrono_tz::UTC,
            "2026-11-10T16:30:00Z",
            "2026-11-12T09:30:00Z"
        ),
        32400.0
    );
}

#[test]
fn before_opening_and_after_closing() {
    let h = nine_to_five();
    let tz = chrono_tz::UTC;
    // Tue 07:00 → Tue 19:00: only 09–17 = 28800 s
    assert_eq!(
        secs(&h, tz, "2026-11-10T07:00:00Z", "2026-11-10T19:00:00Z"),
        28800.0
    );
    // Tue 18:00 → Wed 08:00: closed all along
    assert_eq!(
        secs(&h, tz, "2026-11-10T18:00:00Z", "2026-11-11T08:00:00Z"),
        0.0
    );
    // reversed interval (clock skew): zero, never negative
    assert_eq!(
        secs(&h, tz, "2026-11-10T12:00:00Z", "2026-11-10T11:00:00Z"),
        0.0
    );
}

#[test]
fn across_a_dst_change() {
    // Berlin leaves summer time on Sun 2026-10-25. Fri 10-23 16:00 CEST (14:00Z) →
    // Mon 10-26 10:00 CET (09:00Z): 1 h + 1 h = 7200 s, though the wall clock moved.
    let berlin = chrono_tz::Europe::Berlin;
    let h = nine_to_five();
    assert_eq!(
        secs(&h, berlin, "2026-10-23T14:00:00Z", "2026-10-26T09:00:00Z"),
        7200.0
    );
    // Every day 09–17 over W43 (169 h long): 7 × 8 h = 56 h = 201600 s, the Sunday of
    // the change included.
    let mut daily = nine_to_five();
    daily.days = vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    let w43 = "2026-W43".parse::<PeriodSpec>().unwrap().in_zone(berlin);
    let clock = BusinessTime {
        hours: &daily,
        tz: berlin,
    };
    assert_eq!(clock.elapsed_seconds(w43.start, w43.end), 201_600.0);
    // Open round the clock (00:00–00:00): the Sunday of the change really is 25 h long.
    daily.start = hm(0, 0);
    daily.end = hm(0, 0);
    let clock = BusinessTime {
        hours: &daily,
        tz: berlin,
    };
    let sunday = |d: &str| local_midnight(berlin, d.parse().unwrap());
    assert_eq!(
        clock.elapsed_seconds(sunday("2026-10-25"), sunday("2026-10-26")),
        25.0 * 3600.0
    );
    assert_eq!(clock.elapsed_seconds(w43.start, w43.end), 169.0 * 3600.0);
}

#[test]
fn a_night_shift_closes_the_next_day() {
    // 22:00–06:00 Mon–Fri; Fri 23:00 → Sat 07:00 = 7 h (the Friday window runs into Saturday)
    let h = BusinessHours::weekdays(hm(22, 0), hm(6, 0));
    assert_eq!(
        secs(
            &h,
            chrono_tz::UTC,
            "2026-11-13T23:00:00Z",
            "2026-11-14T07:00:00Z"
        ),
        25200.0
    );
}

#[test]
fn report_gives_business_figures_next_to_calendar_ones() {
    let mut hours = nine_to_five();
    hours.holidays.push("2026-11-11".parse().unwrap());
    // created Fri 11-13 16:00, answered Mon 11-16 10:00 (next period, still counts: FRT is
    // over tickets created in the period), solved Mon 11-16 — not solved in W46.
    let weekend = ticket("1", "2026-11-13T16:00:00Z")
        .say(C, "r1", "2026-11-13T16:00:00Z")
        .say(A, "100", "2026-11-16T10:00:00Z");
    // created Tue 11-10 16:30, answered Thu 11-12 09:30 over the holiday, solved Thu 11:30
    let holiday = ticket("2", "2026-11-10T16:30:00Z")
        .say(C, "r1", "2026-11-10T16:30:00Z")
        .say(A, "100", "2026-11-12T09:30:00Z")
        .with(solved_at("2026-11-12T11:30:00Z"));
    let r = report_with(team_with(hours), vec![weekend, holiday], vec![]);
    let frt = &r.kpis.first_response_time;
    // calendar: 66 h = 237600 and 41 h = 147600; median (147600+237600)/2 = 192600
    assert_eq!(frt.stats.median_seconds, Some(192_600.0));
    // business: 7200 and 3600 → median 5400, mean 5400; within 1 h: 1 of 2
    let b = frt.business.as_ref().unwrap();
    assert_eq!((b.n, b.median_seconds), (2, Some(5400.0)));
    assert_eq!(b.within_target, Some(0.5));
    // resolution of ticket 2: calendar 16:30 Tue → 11:30 Thu = 43 h = 154800;
    // business 30 min + 2 h 30 = 3 h = 10800
    let res = &r.kpis.resolution_time;
    assert_eq!(res.stats.median_seconds, Some(154_800.0));
    assert_eq!(
        res.business.as_ref().unwrap().median_seconds,
        Some(10_800.0)
    );
    // reply time: the same two runs as the first responses (the second one's reply is in W47:
    // only ticket 2's 3600 s sample)
    assert_eq!(
        r.kpis.reply_time.business.as_ref().unwrap().median_seconds,
        Some(3600.0)
    );
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(
        j["kpis"]["first_response_time"]["business"]["median_seconds"],
        5400
    );
    assert_eq!(j["kpis"]["first_response_time"]["median_seconds"], 192_600);
    // without business hours the key is absent, not null
    let plain = report_with(team(false), vec![], vec![]);
    let j = serde_json::to_value(&plain).unwrap();
    assert!(j["kpis"]["first_response_time"].get("business").is_none());
    assert!(j["kpis"]["resolution_time"].get("business").is_none());
    let back: KpiReport = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

proptest! {
    #[test]
    fn business_time_is_at_most_calendar_time_and_additive(
        a in 0i64..(40 * 24 * 60),
        b in 0i64..(40 * 24 * 60),
        c in 0i64..(40 * 24 * 60),
        zone in 0usize..3,
        night in any::<bool>(),
        holiday in 0i64..40,
    ) {
        let tz = [chrono_tz::UTC, chrono_tz::Europe::Berlin, chrono_tz::America::New_York][zone];
        let mut h = if night {
            BusinessHours::weekdays(hm(20, 0), hm(4, 30))
        } else {
            nine_to_five()
        };
        // Oct 10 – Nov 19: both the European and the American DST change
        let base = at("2026-10-10T00:00:00Z");
        h.holidays.push((base + Duration::days(holiday)).date_naive());
        let mut t = [a, b, c];
        t.sort();
        let [t0, t1, t2] = t.map(|m| base + Duration::minutes(m));
        let clock = BusinessTime { hours: &h, tz };
        let whole = clock.elapsed_seconds(t0, t2);
        prop_assert!(whole <= CalendarTime.elapsed_seconds(t0, t2));
        prop_assert!(whole >= 0.0);
        prop_assert_eq!(clock.elapsed_seconds(t0, t1) + clock.elapsed_seconds(t1, t2), whole);
    }

    /// The precomputed calendar gives exactly the day-walking clock's figures, inside its
    /// range and (by falling back) outside it.
    #[test]
    fn the_precomputed_calendar_agrees_with_the_clock(
        range in (0i64..(40 * 24 * 60), 0i64..(40 * 24 * 60)),
        a in 0i64..(50 * 24 * 60),
        b in 0i64..(50 * 24 * 60),
        zone in 0usize..3,
        night in any::<bool>(),
    ) {
        let tz = [chrono_tz::UTC, chrono_tz::Europe::Berlin, chrono_tz::America::New_York][zone];
        let h = if night {
            BusinessHours::weekdays(hm(20, 0), hm(4, 30))
        } else {
            nine_to_five()
        };
        let base = at("2026-10-10T00:00:00Z");
        let m = |x: i64| base + Duration::minutes(x);
        let clock = BusinessTime { hours: &h, tz };
        let (lo, hi) = (range.0.min(range.1), range.0.max(range.1) + 1);
        let cal = BusinessCalendar::new(clock, m(lo), m(hi));
        prop_assert_eq!(cal.elapsed_seconds(m(a), m(b)), clock.elapsed_seconds(m(a), m(b)));
    }
}
