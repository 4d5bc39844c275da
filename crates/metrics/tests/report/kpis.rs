//! Golden tests for NPS, CES, churn, costs, complaints, conversions, reviews and social.

use super::*;
use deskpulse_metrics::{
    MonthlyAmount, OrderInput, RequesterInput, ReviewInput, SocialInput, SubscriptionInput,
};
use deskpulse_model::{Review, SocialMetric, SocialStat};
use serde_json::json;

fn survey(id: &str, kind: RatingKind, score: f64, scale: RatingScale, time: &str) -> RatingInput {
    let mut r = rating(id, score, scale, time);
    r.rating.kind = kind;
    r
}

/// A survey imported from CSV rather than synced from the helpdesk.
fn imported(mut r: RatingInput) -> RatingInput {
    r.source = "import:surveys".into();
    r
}

pub(super) fn run(period: &Period, team: &TeamConfig, input: ReportInput) -> KpiReport {
    compute_report(
        team,
        period,
        &ReportInput {
            agents: agents(),
            ..input
        },
    )
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn nps_from_helpdesk_and_imported_surveys() {
    use RatingKind::Nps;
    let ten = RatingScale::ZERO_TO_TEN;
    let t = "2026-11-10T12:00:00Z";
    let ratings = vec![
        survey("a", Nps, 10.0, ten, t),
        imported(survey("b", Nps, 10.0, ten, t)),
        imported(survey("c", Nps, 9.0, ten, t)),
        survey("d", Nps, 7.0, ten, t),
        survey("e", Nps, 6.0, ten, t),
        imported(survey("f", Nps, 0.0, ten, t)),
        // not NPS answers: another scale, another kind, another week
        survey("g", Nps, 5.0, RatingScale::ONE_TO_FIVE, t),
        survey("h", RatingKind::Csat, 10.0, ten, t),
        survey("i", Nps, 10.0, ten, "2026-11-16T00:00:00Z"),
    ];
    let r = report_with(team(false), vec![], ratings);
    let k = &r.kpis.nps;
    // promoters a, b, c = 3; passive d = 1; detractors e, f = 2; n = 6
    // (3 − 2) / 6 · 100 = 16.666… → 16.7
    assert_eq!((k.n, k.promoters, k.passives, k.detractors), (6, 3, 1, 2));
    assert_eq!(k.value, Some(16.7));
    // the CSAT answer on 0–10 is CSAT, not NPS: 10/10 satisfied
    assert_eq!((r.kpis.csat.n, r.kpis.csat.value), (1, Some(1.0)));
}

#[test]
fn ces_on_one_scale_and_on_mixed_scales() {
    use RatingKind::Ces;
    let seven = RatingScale::ONE_TO_SEVEN;
    let t = "2026-11-10T12:00:00Z";
    let ratings = vec![
        survey("a", Ces, 7.0, seven, t),
        survey("b", Ces, 5.0, seven, t),
        imported(survey("c", Ces, 4.0, seven, t)),
        survey("d", Ces, 2.0, seven, t),
    ];
    let r = report_with(team(false), vec![], ratings);
    let k = &r.kpis.ces;
    // mean (7 + 5 + 4 + 2) / 4 = 4.5 on 1–7; easy: 7 and 5 → 2/4
    assert_eq!(k.n, 4);
    assert!(close(k.value, 4.5), "{k:?}");
    assert_eq!(k.easy_share, Some(0.5));
    assert_eq!((k.scale_min, k.scale_max), (Some(1.0), Some(7.0)));

    // 1–5 only: 4 and 5 easy, 3 not: mean (5 + 4 + 3) / 3 = 4 on 1–5, easy 2/3
    let five = RatingScale::ONE_TO_FIVE;
    let r = report_with(
        team(false),
        vec![],
        vec![
            survey("a", Ces, 5.0, five, t),
            survey("b", Ces, 4.0, five, t),
            survey("c", Ces, 3.0, five, t),
        ],
    );
    assert!(close(r.kpis.ces.value, 4.0));
    assert!(close(r.kpis.ces.easy_share, 2.0 / 3.0));
    assert_eq!(r.kpis.ces.scale_max, Some(5.0));

    // mixed: 7/7 → 1, 1/7 → 0, 4/5 → 0.75; mean 1.75/3 = 0.58333 → 1 + 6·0.58333 = 4.5
    // on 1–7; easy: 7/7 and 4/5 → 2/3
    let r = report_with(
        team(false),
        vec![],
        vec![
            survey("a", Ces, 7.0, seven, t),
            survey("b", Ces, 1.0, seven, t),
            imported(survey("c", Ces, 4.0, five, t)),
        ],
    );
    assert!(close(r.kpis.ces.value, 4.5), "{:?}", r.kpis.ces);
    assert!(close(r.kpis.ces.easy_share, 2.0 / 3.0));
    assert_eq!(
        (r.kpis.ces.scale_min, r.kpis.ces.scale_max),
        (Some(1.0), Some(7.0))
    );
}

#[test]
fn csat_from_two_sources() {
    // helpdesk 1–5: 5 (satisfied), 2 with a comment (x = 0.25, unsatisfied);
    // imported 1–10: 10 (x = 1), 7 (x = 6/9 = 0.667 < 0.75, unsatisfied, no comment)
    let ten = RatingScale {
        min: 1.0,
        max: 10.0,
    };
    let t = "2026-11-10T12:00:00Z";
    let mut bad = rating("b", 2.0, RatingScale::ONE_TO_FIVE, t);
    bad.rating.comment = Some("took days".into());
    let ratings = vec![
        rating("a", 5.0, RatingScale::ONE_TO_FIVE, t),
        bad,
        imported(rating("c", 10.0, ten, t)),
        imported(rating("d", 7.0, ten, t)),
    ];
    let r = report_with(team(false), vec![], ratings);
    let c = &r.kpis.csat;
    // 2 satisfied of 4
    assert_eq!((c.n, c.value), (4, Some(0.5)));
    // on 1–5: 5, 2, 5, 1 + 4·6/9 = 3.6667 → 15.6667 / 4 = 3.916667
    assert!(close(
        c.mean,
        (5.0 + 2.0 + 5.0 + 1.0 + 4.0 * 6.0 / 9.0) / 4.0
    ));
    // bands: 5 and 10 very positive; 7/10 → 2.667 → 3 positive; 2/5 → 1 negative
    let b = c.distribution.clone().unwrap();
    assert_eq!(
        (
            b.very_positive,
            b.positive,
            b.neutral,
            b.negative,
            b.very_negative
        ),
        (2, 1, 0, 1, 0)
    );
    assert_eq!(c.unsatisfied_with_comment, 1);
}

fn sub(id: &str, start: &str, end: Option<&str>) -> SubscriptionInput {
    SubscriptionInput {
        customer_id: id.into(),
        started_at: at(start),
        ended_at: end.map(at),
    }
}

#[test]
fn churn_with_customers_joining_and_leaving_inside_the_period() {
    let subscriptions = vec![
        sub("A", "2026-01-01T00:00:00Z", None), // there all along: retained
        sub("B", "2026-01-01T00:00:00Z", Some("2026-11-11T00:00:00Z")), // lost
        sub("C", "2026-11-10T00:00:00Z", None), // new
        sub("D", "2026-11-10T00:00:00Z", Some("2026-11-12T00:00:00Z")), // in and out: neither
        // E pauses inside the period and comes back: retained
        sub("E", "2026-01-01T00:00:00Z", Some("2026-11-10T00:00:00Z")),
        sub("E", "2026-11-13T00:00:00Z", None),
        // F ended at the very start: not a customer at the start
        sub("F", "2026-01-01T00:00:00Z", Some("2026-11-09T00:00:00Z")),
    ];
    let r = run(
        &w46(),
        &team(false),
        ReportInput {
            subscriptions,
            ..ReportInput::default()
        },
    );
    let (c, ret) = (&r.kpis.churn_rate, &r.kpis.retention_rate);
    // at start: A, B, E = 3; at end: A, C, E = 3; lost: B; new: C
    // churn = 1/3; retention = (3 − 1) / 3 = 2/3
    assert_eq!((c.n, c.lost), (3, 1));
    assert_eq!(c.value, Some(1.0 / 3.0));
    assert_eq!((ret.n, ret.at_end, ret.new), (3, 3, 1));
    assert_eq!(ret.value, Some(2.0 / 3.0));
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["kpis"]["churn_rate"]["n"], 3);
}

fn month(y: i32, m: u32, amount: f64, currency: &str) -> MonthlyAmount {
    MonthlyAmount {
        month: (y, m),
        amount,
        currency: currency.into(),
    }
}

fn tickets_on(day: &str, n: usize) -> Vec<TicketInput> {
    (0..n)
        .map(|i| ticket(&format!("{day}-{i}"), &format!("{day}T12:00:00Z")))
        .collect()
}

#[test]
fn costs_for_a_month_period() {
    let nov = "2026-11"
        .parse::<PeriodSpec>()
        .unwrap()
        .in_zone(chrono_tz::UTC);
    let mut tickets = tickets_on("2026-11-03", 2);
    tickets.extend(tickets_on("2026-11-30", 1));
    tickets.extend(tickets_on("2026-12-01", 1)); // next month
    let r = run(
        &nov,
        &team(false),
        ReportInput {
            tickets,
            // two cost items of November add up: 2000 + 1000 = 3000
            costs: vec![
                month(2026, 11, 2000.0, "EUR"),
                month(2026, 11, 1000.0, "EUR"),
                month(2026, 10, 9999.0, "EUR"),
            ],
            revenue: vec![month(2026, 11, 40_000.0, "EUR")],
            ..ReportInput::default()
        },
    );
    let k = &r.kpis;
    assert_eq!(r.period.label, "2026-11");
    assert_eq!(k.ticket_volume.value, 3);
    // 3000 / 3 tickets = 1000 per ticket; 3000 / 40000 = 0.075
    assert_eq!(k.support_cost_per_ticket.value, Some(1000.0));
    assert_eq!(k.support_cost_per_ticket.currency.as_deref(), Some("EUR"));
    assert_eq!(k.support_cost_ratio.value, Some(0.075));
    assert_eq!(k.support_cost_ratio.n, 30); // days covered
    assert_eq!(k.ticket_volume.by_day.len(), 30);
}

#[test]
fn costs_for_a_week_across_two_months_are_prorated_by_day() {
    // W44 2026: Mon 10-26 … Sun 11-01 → 6 days of October, 1 of November
    let w44 = "2026-W44"
        .parse::<PeriodSpec>()
        .unwrap()
        .in_zone(chrono_tz::UTC);
    let mut tickets = tickets_on("2026-10-26", 4);
    tickets.extend(tickets_on("2026-11-01", 3));
    let both = ReportInput {
        tickets: tickets.clone(),
        costs: vec![
            month(2026, 10, 3100.0, "EUR"),
            month(2026, 11, 3000.0, "EUR"),
        ],
        revenue: vec![
            month(2026, 10, 31_000.0, "EUR"),
            month(2026, 11, 30_000.0, "EUR"),
        ],
        ..ReportInput::default()
    };
    let r = run(&w44, &team(false), both.clone());
    // costs: 3100·6/31 + 3000·1/30 = 600 + 100 = 700; 7 tickets → 100 each
    // revenue: 31000·6/31 + 30000/30 = 6000 + 1000 = 7000 → ratio 0.1
    assert_eq!(r.kpis.support_cost_per_ticket.costs, Some(700.0));
    assert_eq!(r.kpis.support_cost_per_ticket.value, Some(100.0));
    assert_eq!(r.kpis.support_cost_ratio.value, Some(0.1));
    assert_eq!(r.kpis.support_cost_ratio.n, 7);

    // November's figures missing: the week is not fully known → null, never a guess
    let only_oct = ReportInput {
        costs: vec![month(2026, 10, 3100.0, "EUR")],
        revenue: vec![month(2026, 10, 31_000.0, "EUR")],
        ..both.clone()
    };
    let r = run(&w44, &team(false), only_oct);
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(
        j["kpis"]["support_cost_per_ticket"],
        json!({"n": 7, "value": null, "currency": null, "costs": null})
    );
    assert_eq!(
        j["kpis"]["support_cost_ratio"],
        json!({"n": 0, "value": null, "revenue": null})
    );

    // mixed currencies cannot be added up: null
    let mixed = ReportInput {
        costs: vec![
            month(2026, 10, 3100.0, "EUR"),
            month(2026, 11, 3000.0, "USD"),
        ],
        ..both
    };
    let r = run(&w44, &team(false), mixed);
    assert_eq!(r.kpis.support_cost_per_ticket.value, None);
}

#[test]
fn costs_in_a_dst_week_follow_local_dates() {
    // 2026-W43 in Berlin (Mon 10-19 00:00 CEST … Mon 10-26 00:00 CET, 169 h): 7 October days
    let berlin = chrono_tz::Europe::Berlin;
    let w43 = "2026-W43".parse::<PeriodSpec>().unwrap().in_zone(berlin);
    // Sun 10-18 22:30Z is Mon 10-19 00:30 CEST: in; Sun 10-25 23:30Z is Mon 00:30 CET: out
    let tickets = vec![
        ticket("1", "2026-10-18T22:30:00Z"),
        ticket("2", "2026-10-25T22:59:00Z"),
        ticket("3", "2026-10-25T23:30:00Z"),
    ];
    let r = run(
        &w43,
        &team(false),
        ReportInput {
            tickets,
            costs: vec![month(2026, 10, 3100.0, "EUR")],
            revenue: vec![month(2026, 10, 62_000.0, "EUR")],
            ..ReportInput::default()
        },
    );
    // 3100 · 7/31 = 700 over 2 tickets = 350; revenue 62000 · 7/31 = 14000 → 0.05
    assert_eq!(r.kpis.ticket_volume.value, 2);
    assert_eq!(r.kpis.support_cost_per_ticket.value, Some(350.0));
    assert_eq!(r.kpis.support_cost_ratio.value, Some(0.05));
}

pub(super) fn review(platform: &str, id: &str, stars: f64, time: &str) -> ReviewInput {
    ReviewInput {
        source: format!("{platform}-main"),
        review: Review {
            platform: platform.into(),
            external_id: id.into(),
            rating: stars,
            title: None,
            text: Some("<b>untrusted</b>".into()),
            author_name: None,
            created_at: at(time),
            reply_text: None,
            replied_at: None,
            url: None,
        },
    }
}

pub(super) fn replied(mut r: ReviewInput, time: &str) -> ReviewInput {
    r.review.reply_text = Some("Thanks".into());
    r.review.replied_at = Some(at(time));
    r
}

fn some_reviews() -> Vec<ReviewInput> {
    let mut text_only = review("google", "g1", 4.0, "2026-11-11T08:00:00Z");
    text_only.review.reply_text = Some("Thanks!".into()); // answered, but no reply time known
    vec![
        replied(
            review("trustpilot", "t1", 5.0, "2026-11-10T08:00:00Z"),
            "2026-11-10T10:00:00Z",
        ),
        replied(
            review("trustpilot", "t2", 1.0, "2026-11-10T08:00:00Z"),
            "2026-11-10T12:00:00Z",
        ),
        review("trustpilot", "t3", 2.0, "2026-11-12T08:00:00Z"),
        text_only,
        review("google", "g2", 3.0, "2026-11-13T08:00:00Z"),
        review("google", "g0", 1.0, "2026-11-06T08:00:00Z"), // W45
    ]
}

#[test]
fn reviews_overall_and_per_platform() {
    let r = run(
        &w46(),
        &team(false),
        ReportInput {
            reviews: some_reviews(),
            ..ReportInput::default()
        },
    );
    let k = &r.kpis.reviews;
    // new: t1, t2, t3, g1, g2 = 5; mean (5 + 1 + 2 + 4 + 3) / 5 = 3
    assert_eq!(k.all.n, 5);
    assert_eq!(k.all.mean_rating, Some(3.0));
    assert!(k.all.distribution.values().all(|&c| c == 1));
    // negative (≤ 2): t2, t3 → 0.4; answered: t1, t2, g1 → 0.6
    assert_eq!(k.all.share_negative, Some(0.4));
    assert_eq!(k.all.share_answered, Some(0.6));
    // reply times 2 h and 4 h → median 3 h = 10800 s
    assert_eq!(k.all.median_reply_seconds, Some(10_800.0));
    let tp = &k.by_platform["trustpilot"];
    // 8 / 3 = 2.666667 (rounded to 6 places); 2 of 3 negative, 2 of 3 answered
    assert_eq!((tp.n, tp.mean_rating), (3, Some(2.666667)));
    assert!(close(tp.share_negative, 2.0 / 3.0));
    let g = &k.by_platform["google"];
    assert_eq!(
        (g.n, g.mean_rating, g.share_negative),
        (2, Some(3.5), Some(0.0))
    );
    assert_eq!(
        (g.share_answered, g.median_reply_seconds),
        (Some(0.5), None)
    );
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(
        j["kpis"]["reviews"]["distribution"],
        json!({"1": 1, "2": 1, "3": 1, "4": 1, "5": 1})
    );
    assert_eq!(j["kpis"]["reviews"]["by_platform"]["google"]["n"], 2);
    // worst: t2 (1★) then t3 (2★); unanswered: t3 and g2
    let worst: Vec<(&str, bool)> = k
        .worst
        .iter()
        .map(|q| (q.external_id.as_str(), q.answered))
        .collect();
    assert_eq!(worst, vec![("t2", true), ("t3", false)]);
    assert_eq!(k.unanswered, 2);
    assert_eq!(j["kpis"]["reviews"]["worst"][0]["text"], "<b>untrusted</b>");
}

#[test]
fn complaints_from_tags_and_negative_reviews() {
    let team = TeamConfig {
        complaint_tags: vec!["Complaint".into()],
        ..team(false)
    };
    let tagged = |id: &str, time: &str, tags: &[&str]| {
        ticket(id, time).with(|t| t.tags = tags.iter().map(|s| s.to_string()).collect())
    };
    let tickets = vec![
        tagged("1", "2026-11-10T09:00:00Z", &["complaint"]),
        tagged("2", "2026-11-10T09:00:00Z", &["billing", "COMPLAINT"]),
        tagged("3", "2026-11-10T09:00:00Z", &["billing"]),
        tagged("4", "2026-11-10T09:00:00Z", &["complaint"]).with(|t| t.status = Spam),
        tagged("5", "2026-11-02T09:00:00Z", &["complaint"]), // W45
    ];
    let r = run(
        &w46(),
        &team,
        ReportInput {
            tickets,
            reviews: some_reviews(),
            ..ReportInput::default()
        },
    );
    // tickets 1 and 2 (case-insensitive; spam and W45 out); reviews ≤ 2 of W46: t2, t3
    let c = &r.kpis.complaints;
    assert_eq!((c.value, c.tickets, c.reviews, c.n), (4, 2, 2, 4));
}

fn order(id: &str, hash: &str, time: &str, amount: f64) -> OrderInput {
    OrderInput {
        order_id: id.into(),
        customer_hash: hash.into(),
        created_at: at(time),
        amount,
        currency: "EUR".into(),
    }
}

#[test]
fn converted_tickets() {
    let asked = |id: &str, req: &str, created: &str, reply: Option<&str>| {
        let mut t = ticket(id, created)
            .say(C, req, created)
            .with(|t| t.requester_id = Some(req.into()));
        if let Some(r) = reply {
            t = t.say(A, "100", r);
        }
        t
    };
    let tickets = vec![
        // reply Tue 10:00; order Sat 14 09:00 (4 d 23 h later): converted
        asked(
            "1",
            "r1",
            "2026-11-10T09:00:00Z",
            Some("2026-11-10T10:00:00Z"),
        ),
        // order an hour before the reply: not converted
        asked(
            "2",
            "r2",
            "2026-11-11T09:00:00Z",
            Some("2026-11-11T12:00:00Z"),
        ),
        // no reply: not in n
        asked("3", "r3", "2026-11-11T09:00:00Z", None),
        // requester without a known e-mail hash: not in n
        asked(
            "4",
            "r4",
            "2026-11-11T09:00:00Z",
            Some("2026-11-11T10:00:00Z"),
        ),
        // same customer as ticket 1, reply Thu 09:30: the same order converts it too
        asked(
            "5",
            "r1",
            "2026-11-12T09:00:00Z",
            Some("2026-11-12T09:30:00Z"),
        ),
    ];
    let requesters = ["r1", "r2", "r3"]
        .iter()
        .map(|r| RequesterInput {
            source: SRC.into(),
            requester_id: (*r).into(),
            email_hash: format!("h-{r}"),
        })
        .collect();
    let orders = vec![
        order("o1", "h-r1", "2026-11-14T09:00:00Z", 50.0),
        // exactly 5 days after ticket 5's reply (Thu 09:30 → Tue 09:30): outside [r, r + 5 d)
        order("o2", "h-r1", "2026-11-17T09:30:00Z", 70.0),
        order("o3", "h-r2", "2026-11-11T11:00:00Z", 20.0),
        order("o4", "h-r4", "2026-11-11T11:00:00Z", 20.0),
    ];
    let r = run(
        &w46(),
        &team(false),
        ReportInput {
            tickets,
            requesters,
            orders,
            ..ReportInput::default()
        },
    );
    let c = &r.kpis.converted_tickets;
    // n: tickets 1, 2, 5 = 3; converted 1 and 5 → 2/3; revenue: o1 once = 50 EUR
    assert_eq!((c.n, c.value), (3, 2));
    assert!(close(c.share, 2.0 / 3.0));
    assert_eq!(c.revenue.get("EUR"), Some(&50.0));
}

fn stat(platform: &str, account: &str, metric: SocialMetric, v: f64, time: &str) -> SocialInput {
    SocialInput {
        source: format!("{platform}-main"),
        stat: SocialStat {
            platform: platform.into(),
            account: account.into(),
            metric,
            value: v,
            observed_at: at(time),
        },
    }
}

#[test]
fn social_value_at_end_and_change() {
    use SocialMetric::{Followers, Likes};
    let social = vec![
        stat(
            "instagram",
            "acme",
            Followers,
            1000.0,
            "2026-11-01T06:00:00Z",
        ),
        stat(
            "instagram",
            "acme",
            Followers,
            1010.0,
            "2026-11-08T06:00:00Z",
        ),
        stat(
            "instagram",
            "acme",
            Followers,
            1030.0,
            "2026-11-12T06:00:00Z",
        ),
        stat(
            "instagram",
            "acme",
            Followers,
            1050.0,
            "2026-11-15T06:00:00Z",
        ),
        stat(
            "instagram",
            "acme",
            Followers,
            1100.0,
            "2026-11-17T06:00:00Z",
        ), // after the end
        stat("x", "acme", Followers, 500.0, "2026-11-12T06:00:00Z"), // first seen inside
        stat("x", "acme", Likes, 9.0, "2026-11-20T06:00:00Z"),       // only after the end
    ];
    let r = run(
        &w46(),
        &team(false),
        ReportInput {
            social,
            ..ReportInput::default()
        },
    );
    let s = &r.kpis.social;
    assert_eq!(s.len(), 2);
    // instagram: 1050 at the end, 1050 − 1010 = 40 since the start
    assert_eq!(
        (s[0].platform.as_str(), s[0].value, s[0].change),
        ("instagram", Some(1050.0), Some(40.0))
    );
    // x: no observation before the start → change null
    assert_eq!(
        (s[1].platform.as_str(), s[1].value, s[1].change),
        ("x", Some(500.0), None)
    );
}

#[test]
fn first_responses_by_local_hour_and_resolution_by_tag() {
    let berlin = chrono_tz::Europe::Berlin;
    let w46b = "2026-W46".parse::<PeriodSpec>().unwrap().in_zone(berlin);
    let tickets = vec![
        // 08:00Z = 09:00 CET, answered after 30 min
        ticket("1", "2026-11-10T08:00:00Z")
            .say(C, "r1", "2026-11-10T08:00:00Z")
            .say(A, "100", "2026-11-10T08:30:00Z")
            .with(|t| t.tags = vec!["billing".into()])
            .with(solved_at("2026-11-10T10:00:00Z")),
        // 08:20Z = 09:20 CET, answered after 90 min
        ticket("2", "2026-11-11T08:20:00Z")
            .say(C, "r1", "2026-11-11T08:20:00Z")
            .say(A, "100", "2026-11-11T09:50:00Z")
            .with(|t| t.tags = vec!["billing".into(), "Refund".into()])
            .with(solved_at("2026-11-11T12:20:00Z")),
        // 15:00Z = 16:00 CET, still waiting
        ticket("3", "2026-11-11T15:00:00Z").say(C, "r1", "2026-11-11T15:00:00Z"),
    ];
    let r = run(
        &w46b,
        &team(false),
        ReportInput {
            tickets,
            ..ReportInput::default()
        },
    );
    let h = &r.kpis.first_response_by_hour;
    assert_eq!(h.len(), 24);
    // hour 9 (CET): 1800 and 5400 → median 3600, total 7200
    assert_eq!(
        (h[9].n, h[9].median_seconds, h[9].total_wait_seconds),
        (2, Some(3600.0), 7200.0)
    );
    assert_eq!((h[16].n, h[16].waiting), (0, 1));
    // billing: 2 tickets, resolution 2 h and 4 h → median 3 h; refund (lowercased): 1
    let tags = &r.kpis.resolution_by_tag;
    assert_eq!(tags[0].tag, "billing");
    assert_eq!(
        (tags[0].n, tags[0].median_resolution_seconds),
        (2, Some(10_800.0))
    );
    assert_eq!((tags[1].tag.as_str(), tags[1].n), ("refund", 1));
}

#[test]
fn no_data_for_the_new_kpis_gives_n_zero_and_nulls() {
    let r = report(vec![]);
    let k = &serde_json::to_value(&r).unwrap()["kpis"];
    assert_eq!(
        k["nps"],
        json!({"n": 0, "value": null, "promoters": 0, "passives": 0, "detractors": 0})
    );
    assert_eq!(
        k["ces"],
        json!({"n": 0, "value": null, "easy_share": null, "scale_min": null, "scale_max": null})
    );
    assert_eq!(k["churn_rate"], json!({"n": 0, "value": null, "lost": 0}));
    assert_eq!(
        k["retention_rate"],
        json!({"n": 0, "value": null, "at_end": 0, "new": 0})
    );
    assert_eq!(
        k["support_cost_per_ticket"],
        json!({"n": 0, "value": null, "currency": null, "costs": null})
    );
    assert_eq!(
        k["support_cost_ratio"],
        json!({"n": 0, "value": null, "revenue": null})
    );
    // complaints are a count: zero is a real zero
    assert_eq!(
        k["complaints"],
        json!({"n": 0, "value": 0, "tickets": 0, "reviews": 0, "social": 0})
    );
    // Nothing received in public: n 0, nothing made up.
    assert_eq!(
        k["public_response"],
        json!({"n": 0, "answered": 0, "rate": null, "median_seconds": null,
               "p90_seconds": null, "within_target": null, "by_platform": {}})
    );
    assert_eq!(
        k["converted_tickets"],
        json!({"n": 0, "value": 0, "share": null, "revenue": {}})
    );
    assert_eq!(k["reviews"]["n"], 0);
    for key in [
        "mean_rating",
        "share_negative",
        "share_answered",
        "median_reply_seconds",
    ] {
        assert!(k["reviews"][key].is_null(), "{key}");
    }
    assert_eq!(k["social"], json!([]));
    assert_eq!(k["resolution_by_tag"], json!([]));
    assert_eq!(
        k["first_response_by_hour"][0],
        json!({"hour": 0, "n": 0, "median_seconds": null, "total_wait_seconds": 0, "waiting": 0})
    );
}

#[test]
fn every_new_key_is_in_the_json() {
    let r = run(
        &w46(),
        &TeamConfig {
            business_hours: Some(deskpulse_metrics::BusinessHours::weekdays(
                chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            )),
            ..team(false)
        },
        ReportInput {
            reviews: some_reviews(),
            ..ReportInput::default()
        },
    );
    let j = serde_json::to_value(&r).unwrap();
    let k = j["kpis"].as_object().unwrap();
    for key in [
        // the contract's keys, unchanged
        "ticket_volume",
        "solved",
        "backlog",
        "first_response_time",
        "reply_time",
        "resolution_time",
        "one_touch_resolution_rate",
        "first_contact_resolution_rate",
        "automated_resolution_rate",
        "reopen_rate",
        "csat",
        "nps",
        "ces",
        "churn_rate",
        "retention_rate",
        "support_cost_per_ticket",
        "support_cost_ratio",
        "complaints",
        // added
        "first_resolution_time",
        "converted_tickets",
        "reviews",
        "social",
        "first_response_by_hour",
        "resolution_by_tag",
    ] {
        assert!(k.contains_key(key), "{key}");
    }
    for key in [
        "first_response_time",
        "reply_time",
        "resolution_time",
        "first_resolution_time",
    ] {
        assert!(k[key]["business"].is_object(), "{key}.business");
    }
    for key in ["period", "team", "kpis", "agents", "targets", "suggestions"] {
        assert!(j.get(key).is_some(), "{key}");
    }
    assert_eq!(
        j["suggestions"][0]["rule"], "reviews_unanswered",
        "2 of the 5 new reviews have no reply"
    );
}

#[test]
fn a_report_stored_before_the_new_keys_still_reads() {
    // what an earlier version wrote: only the original keys
    let mut j = serde_json::to_value(report(vec![])).unwrap();
    let k = j["kpis"].as_object_mut().unwrap();
    for key in [
        "nps",
        "ces",
        "churn_rate",
        "retention_rate",
        "support_cost_per_ticket",
        "support_cost_ratio",
        "complaints",
        "converted_tickets",
        "reviews",
        "social",
        "first_response_by_hour",
        "resolution_by_tag",
    ] {
        k.remove(key);
    }
    let o = j.as_object_mut().unwrap();
    o.remove("targets");
    o.remove("suggestions");
    let back: KpiReport = serde_json::from_value(j).unwrap();
    assert_eq!(back.kpis.nps.n, 0);
    assert!(back.targets.is_empty() && back.trends.is_none());
}
