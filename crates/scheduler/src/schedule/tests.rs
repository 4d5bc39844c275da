//! Digest schedules across time zones and daylight-saving changes.

use super::*;
use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn weekly(tz: Tz) -> DigestSchedule {
    DigestSchedule::parse("0 0 8 * * Mon", tz).unwrap()
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %F %T %Z").to_string()
}

/// Monday 08:00 local on both sides of each DST change, in two zones: the UTC instants move
/// by an hour, the local time does not.
#[test]
fn weekly_digest_stays_at_eight_local_across_dst() {
    let cases = [
        // (zone, a moment in the week before the change, due before, due after)
        (
            Berlin,
            "2027-03-23T12:00:00Z",
            "2027-03-22T07:00:00Z",
            "2027-03-29T06:00:00Z",
        ),
        (
            Berlin,
            "2026-10-20T12:00:00Z",
            "2026-10-19T06:00:00Z",
            "2026-10-26T07:00:00Z",
        ),
        (
            New_York,
            "2027-03-09T12:00:00Z",
            "2027-03-08T13:00:00Z",
            "2027-03-15T12:00:00Z",
        ),
        (
            New_York,
            "2026-10-27T12:00:00Z",
            "2026-10-26T12:00:00Z",
            "2026-11-02T13:00:00Z",
        ),
    ];
    for (tz, now, before, after) in cases {
        let s = weekly(tz);
        let (now, before, after) = (utc(now), utc(before), utc(after));
        assert_eq!(s.last_due(now), Some(before), "{tz} last before {now}");
        assert_eq!(s.next_due(now), Some(after), "{tz} next after {now}");
        assert_eq!(
            (after - before).num_hours(),
            7 * 24
                + if tz == Berlin && before.month() == 3 || tz == New_York && before.month() == 3 {
                    -1
                } else {
                    1
                }
        );
        for t in [before, after] {
            let l = t.with_timezone(&tz);
            assert_eq!(
                l.format("%a %T").to_string(),
                "Mon 08:00:00",
                "{}",
                local(t, tz)
            );
        }
        // Exactly at the due instant it is the last due one; a second later, still.
        assert_eq!(s.last_due(after), Some(after));
        assert_eq!(s.last_due(after + Duration::seconds(1)), Some(after));
        assert_eq!(s.next_due(after), s.next_due(after + Duration::seconds(1)));
        // The free functions agree.
        assert_eq!(last_due("0 0 8 * * Mon", tz, now), Some(before));
        assert_eq!(next_due("0 0 8 * * Mon", tz, now), Some(after));
        // The digest due after the change covers the week that contains it.
        let due = digest_due(
            &s,
            PeriodKind::Week,
            after + Duration::seconds(20),
            Some(before),
            before,
        )
        .unwrap();
        assert_eq!(due.slot, after);
        let p = due.period.in_zone(tz);
        assert!(p.contains(after - Duration::days(2)), "{}", p.label());
        assert_eq!(
            p.end,
            deskpulse_model::period::local_midnight(tz, after.with_timezone(&tz).date_naive())
        );
    }
}

use chrono::Datelike;

#[test]
fn daily_schedule_in_the_skipped_and_repeated_hour() {
    // 02:30 does not exist in Berlin on 2027-03-28 and exists twice on 2026-10-25.
    let s = DigestSchedule::parse("0 30 2 * * *", Berlin).unwrap();
    let spring = s.next_due(utc("2027-03-27T12:00:00Z")).unwrap();
    let after_spring = s.next_due(spring).unwrap();
    assert_eq!(local(after_spring, Berlin), "Mon 2027-03-29 02:30:00 CEST");
    assert_eq!(local(spring, Berlin), "Sun 2027-03-28 03:00:00 CEST");
    let autumn = s.next_due(utc("2026-10-24T12:00:00Z")).unwrap();
    let next = s.next_due(autumn).unwrap();
    assert_eq!(local(next, Berlin), "Mon 2026-10-26 02:30:00 CET");
    // Fires once on the repeated night.
    assert_eq!(
        autumn.with_timezone(&Berlin).date_naive().to_string(),
        "2026-10-25"
    );
}

#[test]
fn bad_schedules_are_refused_with_the_reason() {
    for bad in [
        "0 8 * * Mon",
        "0 0 8 * * Mon 2027",
        "0 0 25 * * *",
        "x 0 8 * * *",
        "0 0 8 30 2 *",
    ] {
        let e = DigestSchedule::parse(bad, Berlin).unwrap_err();
        assert_eq!(e.cron, bad);
        assert!(e.to_string().contains("six fields"), "{e}");
    }
    // Day of month AND day of week, as in tokio-cron-scheduler.
    let s = DigestSchedule::parse("0 0 9 1 * Mon", chrono_tz::UTC).unwrap();
    let n = s.next_due(utc("2026-11-23T00:00:00Z")).unwrap();
    assert_eq!(n, utc("2027-02-01T09:00:00Z"));
}

/// Down over two Monday mornings: one digest when it comes back, for the last complete
/// week only; then nothing until the next Monday.
#[test]
fn catch_up_sends_the_last_complete_period_once() {
    let s = weekly(Berlin);
    let last = utc("2026-11-09T07:00:00Z"); // Mon 2026-11-09 08:00 CET, digest of W45
    let back = utc("2026-11-25T10:00:00Z"); // Wednesday, two Mondays later
    let due = digest_due(&s, PeriodKind::Week, back, Some(last), back).unwrap();
    assert_eq!(due.slot, utc("2026-11-23T07:00:00Z"));
    assert_eq!(due.period.to_string(), "2026-W47");
    // Recorded: nothing more is due this week, whatever the tick.
    for h in [0, 1, 24, 100] {
        let now = back + Duration::hours(h);
        assert_eq!(
            digest_due(&s, PeriodKind::Week, now, Some(due.slot), back),
            None
        );
    }
    // Next Monday 08:00 local: W48.
    let next = digest_due(
        &s,
        PeriodKind::Week,
        utc("2026-11-30T07:00:05Z"),
        Some(due.slot),
        back,
    )
    .unwrap();
    assert_eq!(next.period.to_string(), "2026-W48");
    // Just before 08:00 local (07:00Z in winter) it is not due.
    assert_eq!(
        digest_due(
            &s,
            PeriodKind::Week,
            utc("2026-11-30T06:59:59Z"),
            Some(due.slot),
            back
        ),
        None
    );
}

#[test]
fn a_new_install_does_not_send_an_old_digest() {
    let s = weekly(New_York);
    let start = utc("2026-11-25T10:00:00Z");
    assert_eq!(digest_due(&s, PeriodKind::Week, start, None, start), None);
    let monday = utc("2026-11-30T13:00:00Z");
    let due = digest_due(
        &s,
        PeriodKind::Week,
        monday + Duration::seconds(15),
        None,
        start,
    )
    .unwrap();
    assert_eq!(
        (due.slot, due.period.to_string().as_str()),
        (monday, "2026-W48")
    );
}

#[test]
fn monthly_periods() {
    let s = DigestSchedule::parse("0 0 8 1 * *", Berlin).unwrap();
    let due = digest_due(
        &s,
        PeriodKind::Month,
        utc("2027-01-01T07:00:01Z"),
        Some(utc("2026-12-01T07:00:00Z")),
        utc("2026-11-01T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(due.period.to_string(), "2026-12");
}

#[test]
fn sync_slots_are_aligned_and_jittered_deterministically() {
    let every = Duration::minutes(15);
    let now = utc("2026-11-23T09:07:00Z");
    assert_eq!(align_down(now, every), utc("2026-11-23T09:00:00Z"));
    let j = jitter("zendesk-main", utc("2026-11-23T09:00:00Z"), every);
    assert!(j >= Duration::zero() && j < Duration::seconds(60), "{j}");
    assert_eq!(
        j,
        jitter("zendesk-main", utc("2026-11-23T09:00:00Z"), every)
    );
    // Different sources spread.
    let spread: std::collections::BTreeSet<i64> = (0..20)
        .map(|i| jitter(&format!("s{i}"), utc("2026-11-23T09:00:00Z"), every).num_milliseconds())
        .collect();
    assert!(spread.len() > 15);
    // Small intervals: at most a tenth.
    assert!(jitter("a", now, Duration::seconds(10)) < Duration::seconds(1));

    // First run: due at the current slot once its jitter passed.
    let slot = utc("2026-11-23T09:00:00Z");
    let j = jitter("src", slot, every);
    assert_eq!(sync_due("src", every, slot + j, None), Some(slot));
    if j > Duration::zero() {
        assert_eq!(
            sync_due("src", every, slot + j - Duration::milliseconds(1), None),
            None
        );
    }
    // Ran (or runs) in this slot: not due again until the next one.
    let ran = LastRun {
        slot,
        finished_at: None,
        consecutive_failures: 0,
    };
    assert_eq!(sync_due("src", every, now, Some(ran)), None);
    let ok = LastRun {
        finished_at: Some(slot + Duration::seconds(40)),
        ..ran
    };
    assert_eq!(sync_due("src", every, now, Some(ok)), None);
    let next = slot + every;
    let nj = jitter("src", next, every);
    assert_eq!(next_sync("src", every, now, Some(ok)), next + nj);
    assert_eq!(sync_due("src", every, next + nj, Some(ok)), Some(next));
    // Down for hours: one run, for the current slot only.
    assert_eq!(
        sync_due("src", every, utc("2026-11-23T15:59:00Z"), Some(ok)),
        Some(utc("2026-11-23T15:45:00Z"))
    );
}

#[test]
fn failing_syncs_are_retried_with_backoff() {
    let every = Duration::minutes(15);
    assert_eq!(retry_backoff(every, 1), Duration::seconds(30));
    assert_eq!(retry_backoff(every, 2), Duration::seconds(60));
    assert_eq!(retry_backoff(every, 4), Duration::seconds(240));
    assert_eq!(retry_backoff(every, 6), every);
    assert_eq!(retry_backoff(every, 60), every);
    let slot = utc("2026-11-23T09:00:00Z");
    let failed = LastRun {
        slot,
        finished_at: Some(slot + Duration::seconds(5)),
        consecutive_failures: 1,
    };
    let retry = utc("2026-11-23T09:00:35Z");
    assert_eq!(
        sync_due("src", every, retry - Duration::seconds(1), Some(failed)),
        None
    );
    assert_eq!(
        next_sync("src", every, slot + Duration::seconds(10), Some(failed)),
        retry
    );
    assert_eq!(sync_due("src", every, retry, Some(failed)), Some(retry));
    // The retry failed too: the next waits twice as long, from the retry's end.
    let again = LastRun {
        slot: retry,
        finished_at: Some(retry + Duration::seconds(2)),
        consecutive_failures: 2,
    };
    assert_eq!(
        sync_due("src", every, utc("2026-11-23T09:01:37Z"), Some(again)),
        Some(utc("2026-11-23T09:01:37Z"))
    );
    assert_eq!(
        sync_due("src", every, utc("2026-11-23T09:01:36Z"), Some(again)),
        None
    );
    // Failing for long: the regular slot comes first.
    let long = LastRun {
        slot,
        finished_at: Some(slot + Duration::seconds(5)),
        consecutive_failures: 30,
    };
    let next = slot + every;
    let nj = jitter("src", next, every);
    assert_eq!(sync_due("src", every, next + nj, Some(long)), Some(next));
}

#[test]
fn failed_digests_are_retried_for_their_period() {
    let s = weekly(Berlin);
    let due = utc("2026-11-23T07:00:00Z");
    let failed = LastRun {
        slot: due,
        finished_at: Some(due + Duration::seconds(3)),
        consecutive_failures: 1,
    };
    let kind = PeriodKind::Week;
    assert_eq!(
        digest_retry(&s, kind, due + Duration::seconds(32), failed),
        None
    );
    let r = digest_retry(&s, kind, due + Duration::seconds(33), failed).unwrap();
    assert_eq!(
        (r.slot, r.period.to_string().as_str()),
        (due + Duration::seconds(33), "2026-W47")
    );
    // The catch-up rule does not fire again for a retried week.
    assert_eq!(
        digest_due(&s, kind, due + Duration::hours(5), Some(r.slot), due),
        None
    );
    // Failing all week: hourly at most; the next Monday's digest takes over.
    let many = LastRun {
        slot: due + Duration::days(2),
        finished_at: Some(due + Duration::days(2)),
        consecutive_failures: 40,
    };
    assert!(
        digest_retry(
            &s,
            kind,
            due + Duration::days(2) + Duration::minutes(59),
            many
        )
        .is_none()
    );
    assert_eq!(
        digest_retry(&s, kind, due + Duration::days(2) + Duration::hours(1), many)
            .unwrap()
            .period
            .to_string(),
        "2026-W47"
    );
    let next_monday = due + Duration::days(7);
    assert_eq!(digest_retry(&s, kind, next_monday, many), None);
    let d = digest_due(&s, kind, next_monday, Some(many.slot), due).unwrap();
    assert_eq!(d.period.to_string(), "2026-W48");
    // A success is not retried.
    let ok = LastRun {
        consecutive_failures: 0,
        ..failed
    };
    assert_eq!(digest_retry(&s, kind, due + Duration::hours(2), ok), None);
}
