//! Freshness verdicts and restatements: which sources are late for a period, and which told
//! figures moved enough to restate, with their causes.

use super::*;
use deskpulse_metrics::{RESTATEMENT_THRESHOLD, attach_freshness, restate, told_figures};
use deskpulse_model::{LateChanges, SourceFreshness, ToldFigures};

fn fresh(source: &str, through: Option<&str>) -> SourceFreshness {
    SourceFreshness {
        complete_through: through.map(at),
        last_success_at: through.map(at),
        ..SourceFreshness::never_synced(source)
    }
}

#[test]
fn a_period_is_complete_when_every_source_is_complete_through_its_end() {
    // W46 ends 2026-11-16T00:00:00Z.
    let mut r = report(vec![]);
    assert_eq!(
        r.data_complete, None,
        "not judged before freshness is attached"
    );
    let exactly = fresh("zd", Some("2026-11-16T00:00:00Z"));
    let mut late = fresh("fd", Some("2026-11-15T21:30:00Z"));
    late.incomplete_streams = vec![];
    let mut running = SourceFreshness::never_synced("gorgias");
    running.incomplete_streams = vec!["tickets".into(), "events".into()];
    let mut failing = fresh("hs", Some("2026-11-16T09:00:00Z"));
    failing.failing_since = Some(at("2026-11-17T08:00:00Z"));
    failing.last_error = Some("HTTP 401".into());
    let as_of = at("2026-11-18T09:00:00Z");
    attach_freshness(
        &mut r,
        &[
            exactly,
            late,
            running,
            SourceFreshness::never_synced("x"),
            failing,
        ],
        &[],
        as_of,
    );
    assert_eq!(r.data_complete, Some(false));
    let verdicts: Vec<(bool, bool, Option<&str>)> = r
        .freshness
        .iter()
        .map(|f| (f.complete, f.failing, f.missing.as_deref()))
        .collect();
    assert_eq!(
        verdicts,
        [
            (true, false, None),
            (false, false, Some("data only through 2026-11-15 21:30 UTC")),
            (
                false,
                false,
                Some("its first sync is still running (tickets, events not read to the end yet)")
            ),
            (false, false, Some("never synced")),
            // Failing for 25 h at `as_of`: news; its data is complete for W46 still.
            (true, true, None),
        ]
    );
    assert_eq!(
        r.freshness[4].failing_message(chrono_tz::UTC).unwrap(),
        "Source hs has failed every sync since 2026-11-17 08:00 UTC: its numbers stop there (last error: HTTP 401)"
    );
    // 23 h of failures is not news yet.
    let hs = r.freshness[4].data.clone();
    attach_freshness(&mut r, &[hs], &[], at("2026-11-18T07:00:00Z"));
    assert!(!r.freshness[0].failing);
    assert_eq!(r.data_complete, Some(true));
    // The JSON contract's keys.
    let json = serde_json::to_value(&r).unwrap();
    let f = &json["freshness"][0];
    for key in [
        "source",
        "complete_through",
        "last_success_at",
        "last_error",
        "complete",
    ] {
        assert!(f.get(key).is_some(), "freshness lacks {key}: {f}");
    }
    assert_eq!(json["data_complete"], true);
}

#[test]
fn a_period_needs_the_history_its_tickets_began_in_while_a_backfill_runs() {
    // W46 is [2026-11-09, 2026-11-16) UTC; every source is complete through its end, and
    // each first sync read its recent window first.
    let backfilling = |source: &str, from: &str| SourceFreshness {
        complete_from: Some(at(from)),
        backfilling_streams: vec!["ticket_events".into()],
        ..fresh(source, Some("2026-11-17T00:00:00Z"))
    };
    let mut r = report(vec![]);
    let sources = [
        backfilling("before", "2026-11-01T00:00:00Z"),
        backfilling("one", "2026-11-01T00:00:00Z"),
        backfilling("three", "2026-11-01T00:00:00Z"),
        backfilling("after", "2026-11-12T06:00:00Z"),
    ];
    attach_freshness(&mut r, &sources, &[0, 1, 3, 0], at("2026-11-17T09:00:00Z"));
    let verdicts: Vec<(bool, Option<&str>, u64)> = r
        .freshness
        .iter()
        .map(|f| (f.complete, f.missing.as_deref(), f.opened_before_window))
        .collect();
    assert_eq!(
        verdicts,
        [
            (true, None, 0),
            (
                false,
                Some(
                    "1 ticket active in the period was opened before 2026-11-01 00:00 UTC: its earlier events are still being read (ticket_events backfilling)"
                ),
                1
            ),
            (
                false,
                Some(
                    "3 tickets active in the period were opened before 2026-11-01 00:00 UTC: their earlier events are still being read (ticket_events backfilling)"
                ),
                3
            ),
            (
                false,
                Some(
                    "its history before 2026-11-12 06:00 UTC is still being read (first sync, recent weeks first; ticket_events backfilling)"
                ),
                0
            ),
        ]
    );
    assert_eq!(r.data_complete, Some(false));
    // The JSON says where the data starts and what is still being read.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["freshness"][1]["complete_from"],
        "2026-11-01T00:00:00Z"
    );
    assert_eq!(
        json["freshness"][1]["backfilling_streams"][0],
        "ticket_events"
    );
    assert_eq!(json["freshness"][1]["opened_before_window"], 1);
    // Once the backfills end the same period is complete, counts or not.
    let done: Vec<SourceFreshness> = sources
        .iter()
        .map(|s| SourceFreshness {
            complete_from: None,
            backfilling_streams: vec![],
            ..s.clone()
        })
        .collect();
    attach_freshness(&mut r, &done, &[0, 1, 3, 0], at("2026-11-17T09:00:00Z"));
    assert_eq!(r.data_complete, Some(true));
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["freshness"][1].get("opened_before_window").is_none());
}

#[test]
fn told_figures_are_restated_when_they_move_with_their_causes() {
    // W46 as told: two tickets, first responses of 1 h and 2 h (median 1.5 h).
    let told_report = report(vec![
        ticket("1", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Customer, "c1", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Agent, "100", "2026-11-10T10:00:00Z"),
        ticket("2", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Customer, "c2", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Agent, "100", "2026-11-10T11:00:00Z"),
    ]);
    let told = ToldFigures {
        period: "2026-W46".into(),
        told_at: at("2026-11-16T08:00:00Z"),
        values: told_figures(&told_report),
    };
    assert_eq!(told.values["ticket_volume.value"], 2.0);
    assert_eq!(told.values["first_response_time.median_seconds"], 5400.0);
    // Nothing moved: no restatement.
    assert_eq!(
        restate(
            &told,
            &told_report,
            &LateChanges::default(),
            RESTATEMENT_THRESHOLD
        ),
        None
    );
    // A late ticket answered in 3 h: volume 2 → 3, median 1.5 h → 2 h (+33 %).
    let now = report(vec![
        ticket("1", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Customer, "c1", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Agent, "100", "2026-11-10T10:00:00Z"),
        ticket("2", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Customer, "c2", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Agent, "100", "2026-11-10T11:00:00Z"),
        ticket("3", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Customer, "c3", "2026-11-10T09:00:00Z")
            .say(AuthorKind::Agent, "100", "2026-11-10T12:00:00Z"),
    ]);
    let late = LateChanges {
        late_tickets: 1,
        removed_tickets: 0,
        late_ratings: 4,
    };
    let r = restate(&told, &now, &late, RESTATEMENT_THRESHOLD).unwrap();
    assert_eq!(r.period, "2026-W46");
    let lines: Vec<String> = r.changes.iter().map(|c| c.line()).collect();
    assert!(
        lines.contains(&"Tickets created: 2 → 3".to_owned()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"First response (median): 1h 30m → 2h 00m".to_owned()),
        "{lines:#?}"
    );
    assert!(!r.changes.iter().any(|c| c.kpi == "csat.value"));
    // Ticket figures name the late ticket; the late ratings moved nothing here, so they are
    // the cause of nothing.
    assert_eq!(
        r.why(),
        "Why: 1 ticket was created in 2026-W46 but arrived after it was reported (created late or backfilled)."
    );
    let gone = LateChanges {
        removed_tickets: 2,
        ..late
    };
    let r = restate(&told, &now, &gone, RESTATEMENT_THRESHOLD).unwrap();
    assert!(
        r.why().contains(
            "2 tickets of 2026-W46 were deleted, merged or marked spam since it was reported"
        ),
        "{}",
        r.why()
    );
    let r = restate(&told, &now, &LateChanges::default(), RESTATEMENT_THRESHOLD).unwrap();
    assert_eq!(
        r.why(),
        "Why: the data changed at the source since (edits, late replies or status changes)."
    );
    // Under the threshold a duration is not restated; a count always is.
    let r = restate(&told, &now, &late, 0.5).unwrap();
    let keys: Vec<&str> = r.changes.iter().map(|c| c.kpi.as_str()).collect();
    assert!(keys.contains(&"ticket_volume.value"));
    assert!(
        !keys.contains(&"first_response_time.median_seconds"),
        "{keys:?}"
    );
}
