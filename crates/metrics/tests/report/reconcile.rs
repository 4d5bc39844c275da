//! `reconcile`: ours next to the vendor's figures, with hand-computed agreement and reasons.
//! W46 in UTC; every ticket is created Tue 2026-11-10 09:00.

use super::*;
use deskpulse_metrics::{Reason, ReconcileInput, reconcile};
use deskpulse_model::{VendorDuration, VendorMetrics};

fn vendor(
    id: &str,
    frt: Option<i64>,
    first_res: Option<i64>,
    full_res: Option<i64>,
) -> VendorMetrics {
    VendorMetrics {
        ticket_id: id.into(),
        updated_at: at("2026-11-12T00:00:00Z"),
        first_response: VendorDuration::calendar(frt),
        first_resolution: VendorDuration::calendar(first_res),
        full_resolution: VendorDuration::calendar(full_res),
        reopens: Some(0),
        replies: Some(1),
    }
}

const T0: &str = "2026-11-10T09:00:00Z";

#[test]
fn first_response_and_resolution_with_every_reason() {
    // 1: plain, both agree (reply 09:30 = 1800 s; vendor 30 min; solved 11:00 = 7200 s).
    let t1 = ticket("1", T0)
        .say(C, "r1", T0)
        .say(A, "100", "2026-11-10T09:30:00Z")
        .status(Some(Open), Solved, A, "2026-11-10T11:00:00Z");
    // 2: outbound (an agent opened it): no first response of ours; vendor counts 1 min.
    let t2 = ticket("2", T0)
        .say(A, "100", T0)
        .say(C, "r1", "2026-11-10T09:01:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z");
    // 3: a trigger's auto-reply at 09:05 (bot), a human at 10:00 (3600 s); the vendor's
    //    first response is the auto-reply's 300 s.
    let t3 = ticket("3", T0)
        .say(C, "r1", T0)
        .say(B, "900", "2026-11-10T09:05:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z");
    // 4: an internal note at 09:10, the public reply at 09:40 (2400 s); vendor: 600 s.
    let t4 = ticket("4", T0)
        .say(C, "r1", T0)
        .note("100", "2026-11-10T09:10:00Z")
        .say(A, "100", "2026-11-10T09:40:00Z");
    // 5: spam: counts nowhere for us; the vendor has 1200 s.
    let t5 = ticket("5", T0)
        .say(C, "r1", T0)
        .say(A, "100", "2026-11-10T09:20:00Z")
        .with(|t| t.status = Spam);
    // 6: reopened: solved 10:00, reopened 12:00, solved 13:00. Ours: first 3600, final
    //    14400; the vendor's full resolution is the first solve's 3600.
    let t6 = ticket("6", T0)
        .say(C, "r1", T0)
        .say(A, "100", "2026-11-10T09:30:00Z")
        .status(Some(Open), Solved, A, "2026-11-10T10:00:00Z")
        .status(Some(Solved), Open, C, "2026-11-10T12:00:00Z")
        .status(Some(Open), Solved, A, "2026-11-10T13:00:00Z");
    // 7: the vendor's first response is the second reply (10:30 = 5400 s), ours 09:15 = 900 s.
    let t7 = ticket("7", T0)
        .say(C, "r1", T0)
        .say(A, "100", "2026-11-10T09:15:00Z")
        .say(A, "101", "2026-11-10T10:30:00Z");
    // 8: the vendor says 7 h, nothing on the ticket explains it.
    let t8 = ticket("8", T0)
        .say(C, "r1", T0)
        .say(A, "100", "2026-11-10T09:50:00Z");
    let mut v6 = vendor("6", Some(1800), Some(3600), Some(3600));
    v6.reopens = Some(1);
    let input = ReconcileInput {
        source: SRC.into(),
        tickets: vec![t1, t2, t3, t4, t5, t6, t7, t8],
        agents: agents(),
        vendor: vec![
            // within 60 s: 1830 vs 1800 agrees
            vendor("1", Some(1830), Some(7200), Some(7200)),
            vendor("2", Some(60), None, None),
            vendor("3", Some(300), None, None),
            vendor("4", Some(600), None, None),
            vendor("5", Some(1200), None, None),
            v6,
            vendor("7", Some(5400), None, None),
            vendor("8", Some(7 * 3600), None, None),
        ],
        unsupported: Default::default(),
    };
    let r = reconcile(&team(false), &w46(), &input);
    let frt = &r.kpis["first_response_time"];
    // Ours: 1, 3, 4, 6, 7, 8 → 1800, 3600, 2400, 1800, 900, 3000; sorted 900 1800 1800 2400
    // 3000 3600: median (1800 + 2400) / 2 = 2100.
    assert_eq!((frt.ours.n, frt.ours.median_seconds), (6, Some(2100.0)));
    // Vendor: all 8 → 1830 60 300 600 1200 1800 5400 25200; sorted 60 300 600 1200 1800
    // 1830 5400 25200: median (1200 + 1800) / 2 = 1500.
    assert_eq!((frt.vendor.n, frt.vendor.median_seconds), (8, Some(1500.0)));
    // Agree: 1 (1830 vs 1800) and 6 (1800 vs 1800): 2 of the 8 tickets either side counts.
    assert_eq!(
        (frt.agree.n, frt.agree.share, frt.agree.tickets),
        (2, Some(0.25), 8)
    );
    let ids = |reason: Reason| frt.reasons[&reason].tickets.clone();
    assert_eq!(ids(Reason::Outbound), ["2"]);
    assert_eq!(ids(Reason::BotOrAutomationReply), ["3"]);
    assert_eq!(ids(Reason::InternalNote), ["4"]);
    assert_eq!(ids(Reason::MergedOrDeleted), ["5"]);
    assert_eq!(ids(Reason::VendorCountsDifferentEvent), ["7"]);
    assert_eq!(ids(Reason::Unknown), ["8"]);
    assert_eq!(frt.reasons[&Reason::Reopened].count, 0);
    // The main reason is the most frequent one, ties to the more specific.
    assert_eq!(
        r.main_reason("first_response_time"),
        Some(Reason::MergedOrDeleted)
    );

    let res = &r.kpis["resolution_time"];
    // Solved in W46: 1 (7200 vs 7200) and 6 (14400 vs 3600, reopened).
    assert_eq!((res.ours.n, res.vendor.n, res.agree.n), (2, 2, 1));
    assert_eq!(res.agree.share, Some(0.5));
    assert_eq!(res.reasons[&Reason::Reopened].tickets, ["6"]);
    let first = &r.kpis["first_resolution_time"];
    // First solves: 1 at 7200 (vendor 7200), 6 at 3600 (vendor 3600): both agree.
    assert_eq!((first.ours.n, first.agree.n), (2, 2));
    let reopen = &r.kpis["reopen_rate"];
    // 1: neither reopened; 6: both say reopened.
    assert_eq!(
        (reopen.ours.value, reopen.vendor.value),
        (Some(0.5), Some(0.5))
    );
    assert_eq!(reopen.agree.share, Some(1.0));

    // The JSON shape the issue documents.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["source"], SRC);
    assert_eq!(json["kpis"]["first_response_time"]["ours"]["n"], 6);
    assert_eq!(
        json["kpis"]["first_response_time"]["ours"]["median_seconds"],
        2100
    );
    assert_eq!(json["kpis"]["first_response_time"]["agree"]["share"], 0.25);
    assert_eq!(
        json["kpis"]["first_response_time"]["reasons"]["outbound"],
        serde_json::json!({"count": 1, "tickets": ["2"]})
    );
    assert_eq!(
        json["kpis"]["first_response_time"]["reasons"]["reopened"],
        serde_json::json!({"count": 0, "tickets": []})
    );
}

#[test]
fn business_minutes_against_calendar_time() {
    // Team hours 09:00–17:00 Mon–Fri. Created Tue 16:00, replied Wed 10:00: calendar 18 h
    // (64800 s), business 2 h (7200 s). The vendor gives business time as its only figure.
    let mut t = team(false);
    t.business_hours = Some(deskpulse_metrics::BusinessHours::weekdays(
        chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
    ));
    let tk = ticket("1", "2026-11-10T16:00:00Z")
        .say(C, "r1", "2026-11-10T16:00:00Z")
        .say(A, "100", "2026-11-11T10:00:00Z");
    let input = ReconcileInput {
        source: SRC.into(),
        tickets: vec![tk],
        agents: agents(),
        vendor: vec![vendor("1", Some(7200), None, None)],
        unsupported: Default::default(),
    };
    let r = reconcile(&t, &w46(), &input);
    let frt = &r.kpis["first_response_time"];
    assert_eq!(frt.agree.n, 0);
    assert_eq!(frt.reasons[&Reason::BusinessVsCalendar].tickets, ["1"]);
}

#[test]
fn a_vendor_without_figures_is_not_reconciled_and_says_why() {
    let tk = ticket("1", T0)
        .say(C, "r1", T0)
        .say(A, "100", "2026-11-10T09:30:00Z");
    let input = ReconcileInput {
        source: SRC.into(),
        tickets: vec![tk],
        agents: agents(),
        vendor: vec![],
        unsupported: [(
            "one_touch_resolution_rate".to_owned(),
            "the vendor counts no replies".to_owned(),
        )]
        .into_iter()
        .collect(),
    };
    let r = reconcile(&team(false), &w46(), &input);
    assert_eq!(
        r.unsupported["one_touch_resolution_rate"],
        "the vendor counts no replies"
    );
    assert!(r.unsupported["first_response_time"].contains("no vendor values"));
    // Not reconciled: our side only, no agreement (a share of 0 would read as total
    // disagreement), no reasons.
    let frt = &r.kpis["first_response_time"];
    assert_eq!((frt.ours.n, frt.vendor.n, frt.agree.share), (1, 0, None));
    assert!(frt.reasons.values().all(|t| t.count == 0));
}
