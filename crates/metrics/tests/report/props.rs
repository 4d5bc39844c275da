//! Properties over random inputs: rates stay in [0, 1], and input order never matters.

use super::*;
use chrono::Duration;
use deskpulse_metrics::{
    MonthlyAmount, OrderInput, RequesterInput, ReviewInput, SocialInput, SubscriptionInput,
};
use deskpulse_model::{Review, SocialMetric, SocialStat};
use proptest::prelude::*;

/// Minutes from Mon 2026-11-02 00:00 UTC: three weeks around W46.
fn time(min: i64) -> DateTime<Utc> {
    at("2026-11-02T00:00:00Z") + Duration::minutes(min)
}

const MINUTES: i64 = 3 * 7 * 24 * 60;
const KINDS: [AuthorKind; 5] = [C, A, B, Sys, U];
const AUTHORS: [&str; 5] = ["r1", "100", "200", "900", "555"];
const STATUSES: [TicketStatus; 9] = [
    TicketStatus::New,
    Open,
    Pending,
    TicketStatus::OnHold,
    Solved,
    Closed,
    Deleted,
    Spam,
    Merged,
];
const SCALES: [RatingScale; 4] = [
    RatingScale::BINARY,
    RatingScale::ONE_TO_FIVE,
    RatingScale::ONE_TO_SEVEN,
    RatingScale::ZERO_TO_TEN,
];

fn message() -> impl Strategy<Value = (usize, usize, bool, i64)> {
    (
        0..KINDS.len(),
        0..AUTHORS.len(),
        prop::bool::weighted(0.8),
        0..MINUTES,
    )
}

fn change() -> impl Strategy<Value = (Option<usize>, usize, usize, i64)> {
    (
        prop::option::of(0..STATUSES.len()),
        0..STATUSES.len(),
        0..KINDS.len(),
        0..MINUTES,
    )
}

prop_compose! {
    fn arb_ticket(id: usize)(
        created in 0..MINUTES,
        status in 0..STATUSES.len(),
        opened_by_agent in prop::option::of(any::<bool>()),
        chat in any::<bool>(),
        assignee in prop::option::of(0..AUTHORS.len()),
        solves in (prop::option::of(0..MINUTES), prop::option::of(0..MINUTES), prop::option::of(0u32..3)),
        messages in prop::collection::vec(message(), 0..6),
        changes in prop::collection::vec(change(), 0..4),
    ) -> TicketInput {
        let mut t = ticket(&format!("t{id}"), "2026-11-02T00:00:00Z");
        let tk = &mut t.ticket;
        tk.created_at = time(created);
        tk.status = STATUSES[status];
        tk.opened_by_agent = opened_by_agent;
        tk.channel = if chat { Channel::Chat } else { Channel::Email };
        tk.assignee_id = assignee.map(|a| AUTHORS[a].to_owned());
        tk.first_solved_at = solves.0.map(time);
        tk.final_solved_at = solves.1.map(time);
        tk.reopens = solves.2;
        for (i, (kind, author, public, min)) in messages.into_iter().enumerate() {
            t.messages.push(Message {
                external_id: format!("m{i}"),
                ticket_id: t.ticket.external_id.clone(),
                author_kind: KINDS[kind],
                author_id: Some(AUTHORS[author].to_owned()),
                public,
                created_at: time(min),
            });
        }
        for (i, (from, to, kind, min)) in changes.into_iter().enumerate() {
            t.status_changes.push(StatusChange {
                external_id: format!("s{i}"),
                ticket_id: t.ticket.external_id.clone(),
                from: from.map(|f| STATUSES[f]),
                to: STATUSES[to],
                author_kind: KINDS[kind],
                author_id: Some(AUTHORS[0].to_owned()),
                at: time(min),
            });
        }
        t
    }
}

fn arb_rating() -> impl Strategy<Value = RatingInput> {
    (
        0..SCALES.len(),
        0u32..11,
        0..MINUTES,
        prop::option::of(0..AUTHORS.len()),
        0usize..3,
        0u32..1000,
    )
        .prop_map(|(scale, score, min, agent, kind, id)| {
            let scale = SCALES[scale];
            let mut r = rating(
                &format!("x{id}"),
                (score as f64).clamp(scale.min, scale.max),
                scale,
                "2026-11-02T00:00:00Z",
            );
            r.rating.created_at = time(min);
            r.rating.agent_id = agent.map(|a| AUTHORS[a].to_owned());
            r.rating.kind = [RatingKind::Csat, RatingKind::Nps, RatingKind::Ces][kind];
            r
        })
}

/// Subscriptions, orders, reviews and social observations around W46.
fn arb_extras() -> impl Strategy<Value = ReportInput> {
    let sub = (0u8..4, 0..MINUTES, prop::option::of(0..MINUTES)).prop_map(|(c, a, b)| {
        SubscriptionInput {
            customer_id: format!("c{c}"),
            started_at: time(a),
            ended_at: b.map(|b| time(a.max(b))),
        }
    });
    let order =
        (0u32..100, 0u8..3, 0..MINUTES, 1u32..100).prop_map(|(id, h, t, amount)| OrderInput {
            order_id: format!("o{id}"),
            customer_hash: format!("h{h}"),
            created_at: time(t),
            amount: f64::from(amount),
            currency: "EUR".into(),
        });
    let review = (
        0u32..100,
        0u8..2,
        1u8..6,
        0..MINUTES,
        prop::option::of(0..MINUTES),
    )
        .prop_map(|(id, p, stars, t, reply)| ReviewInput {
            source: "reviews".into(),
            review: Review {
                platform: ["google", "yelp"][usize::from(p)].into(),
                external_id: format!("v{id}"),
                rating: f64::from(stars),
                title: None,
                text: None,
                author_name: None,
                created_at: time(t),
                reply_text: None,
                replied_at: reply.map(|r| time(t.max(r))),
                url: None,
            },
        });
    let social = (0u8..2, 0u32..1000, 0..MINUTES).prop_map(|(m, v, t)| SocialInput {
        source: "social".into(),
        stat: SocialStat {
            platform: "instagram".into(),
            account: "acme".into(),
            metric: [SocialMetric::Followers, SocialMetric::Likes][usize::from(m)],
            value: f64::from(v),
            observed_at: time(t),
        },
    });
    let money = (0u32..2, 1u32..10_000).prop_map(|(m, a)| MonthlyAmount {
        month: (2026, 10 + m),
        amount: f64::from(a),
        currency: "EUR".into(),
    });
    (
        prop::collection::vec(sub, 0..6),
        prop::collection::vec(order, 0..5),
        prop::collection::vec(review, 0..5),
        prop::collection::vec(social, 0..5),
        prop::collection::vec(money.clone(), 0..3),
        prop::collection::vec(money, 0..3),
    )
        .prop_map(
            |(subscriptions, orders, reviews, social, costs, revenue)| ReportInput {
                subscriptions,
                orders,
                reviews,
                social,
                costs,
                revenue,
                requesters: ["r1", "r2"]
                    .iter()
                    .enumerate()
                    .map(|(i, r)| RequesterInput {
                        source: SRC.into(),
                        requester_id: (*r).into(),
                        email_hash: format!("h{i}"),
                    })
                    .collect(),
                ..ReportInput::default()
            },
        )
}

fn arb_input() -> impl Strategy<Value = ReportInput> {
    let tickets = (0usize..8).prop_flat_map(|n| (0..n).map(arb_ticket).collect::<Vec<_>>());
    (
        tickets,
        prop::collection::vec(arb_rating(), 0..6),
        arb_extras(),
    )
        .prop_map(|(tickets, ratings, extras)| ReportInput {
            tickets,
            agents: agents(),
            ratings,
            ..extras
        })
}

/// The same records as if they came from another team's source.
fn from_other_source(mut input: ReportInput) -> ReportInput {
    let other = "freshdesk-other";
    for t in &mut input.tickets {
        t.source = other.into();
    }
    for a in &mut input.agents {
        a.source = other.into();
        a.agent.name = format!("other {}", a.agent.name);
    }
    for r in &mut input.ratings {
        r.source = other.into();
    }
    input
}

/// Fisher–Yates with a small deterministic generator (splitmix64).
fn shuffle<T>(v: &mut [T], seed: &mut u64) {
    for i in (1..v.len()).rev() {
        *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        v.swap(i, (z % (i as u64 + 1)) as usize);
    }
}

fn in_unit(v: Option<f64>) -> bool {
    v.is_none_or(|v| (0.0..=1.0).contains(&v))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn rates_stay_in_unit_interval_and_order_does_not_matter(
        input in arb_input(),
        bots in any::<bool>(),
        hours in any::<bool>(),
        mut seed in any::<u64>(),
    ) {
        let nine = chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let five = chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap();
        let team = TeamConfig {
            business_hours: hours.then(|| deskpulse_metrics::BusinessHours::weekdays(nine, five)),
            ..team(bots)
        };
        let r = compute_report(&team, &w46(), &input);
        let k = &r.kpis;
        for rate in [&k.one_touch_resolution_rate, &k.first_contact_resolution_rate,
                     &k.automated_resolution_rate, &k.reopen_rate] {
            prop_assert!(in_unit(rate.value), "{rate:?}");
            prop_assert_eq!(rate.n, k.solved.value);
        }
        for d in [&k.first_response_time.stats, &k.reply_time.stats, &k.resolution_time.stats, &k.first_resolution_time.stats] {
            prop_assert!(in_unit(d.within_target), "{d:?}");
            prop_assert_eq!(d.n == 0, d.median_seconds.is_none());
            if let (Some(m), Some(p)) = (d.median_seconds, d.p90_seconds) {
                prop_assert!(m <= p && m >= 0.0);
            }
        }
        // business figures: there exactly when the team has hours, same n, never longer
        for (cal, biz) in [
            (&k.first_response_time.stats, &k.first_response_time.business),
            (&k.reply_time.stats, &k.reply_time.business),
            (&k.resolution_time.stats, &k.resolution_time.business),
            (&k.first_resolution_time.stats, &k.first_resolution_time.business),
        ] {
            prop_assert_eq!(biz.is_some(), hours);
            if let Some(b) = biz {
                prop_assert_eq!(b.n, cal.n);
                prop_assert!(in_unit(b.within_target));
                prop_assert!(b.within_target >= cal.within_target);
                if let (Some(bm), Some(cm)) = (b.mean_seconds, cal.mean_seconds) {
                    prop_assert!(bm <= cm + 1e-6);
                }
            }
        }
        for t in &r.targets {
            prop_assert!(t.value.is_some() || t.status == deskpulse_metrics::TargetVerdict::Unknown);
        }
        prop_assert!(in_unit(k.csat.value));
        for v in [k.ces.easy_share, k.churn_rate.value, k.retention_rate.value,
                  k.converted_tickets.share, k.reviews.all.share_negative,
                  k.reviews.all.share_answered] {
            prop_assert!(in_unit(v), "{v:?}");
        }
        prop_assert!(k.nps.value.is_none_or(|v| (-100.0..=100.0).contains(&v)));
        if let (Some(v), Some(lo), Some(hi)) = (k.ces.value, k.ces.scale_min, k.ces.scale_max) {
            prop_assert!(lo <= v && v <= hi, "{:?}", k.ces);
        }
        prop_assert_eq!(k.churn_rate.value.is_some(), k.churn_rate.n > 0);
        if let (Some(c), Some(r)) = (k.churn_rate.value, k.retention_rate.value) {
            prop_assert!((c + r - 1.0).abs() < 1e-9);
        }
        prop_assert!(k.converted_tickets.value <= k.converted_tickets.n);
        prop_assert!(k.csat.mean.is_none_or(|m| (1.0..=5.0).contains(&m)));
        prop_assert_eq!(k.ticket_volume.by_day.values().sum::<u64>(), k.ticket_volume.value);
        prop_assert_eq!(r.agents.iter().map(|a| a.solved).sum::<u64>() <= k.solved.value, true);
        for a in &r.agents {
            prop_assert!(in_unit(a.one_touch_resolution_rate.value));
            prop_assert!(in_unit(a.csat.value));
            prop_assert!(in_unit(a.first_response_time.within_target));
        }

        let mut shuffled = input.clone();
        shuffle(&mut shuffled.tickets, &mut seed);
        shuffle(&mut shuffled.agents, &mut seed);
        shuffle(&mut shuffled.ratings, &mut seed);
        shuffle(&mut shuffled.subscriptions, &mut seed);
        shuffle(&mut shuffled.orders, &mut seed);
        shuffle(&mut shuffled.reviews, &mut seed);
        shuffle(&mut shuffled.social, &mut seed);
        shuffle(&mut shuffled.costs, &mut seed);
        shuffle(&mut shuffled.revenue, &mut seed);
        shuffle(&mut shuffled.requesters, &mut seed);
        for t in &mut shuffled.tickets {
            shuffle(&mut t.messages, &mut seed);
            shuffle(&mut t.status_changes, &mut seed);
        }
        prop_assert_eq!(compute_report(&team, &w46(), &shuffled), r);
    }

    /// Another source's records (same ids, same agent ids) never leak into this source's
    /// facts: merged with them, this source's agent rows are unchanged and every count is
    /// the sum of the two.
    #[test]
    fn another_sources_records_never_change_this_sources_figures(
        mine in arb_input(),
        theirs in arb_input(),
    ) {
        let team = team(false);
        let theirs = ReportInput {
            tickets: theirs.tickets,
            agents: theirs.agents,
            ratings: theirs.ratings,
            ..ReportInput::default()
        };
        let theirs = from_other_source(theirs);
        let mut both = mine.clone();
        both.tickets.extend(theirs.tickets.clone());
        both.agents.extend(theirs.agents.clone());
        both.ratings.extend(theirs.ratings.clone());
        let (a, b, ab) = (
            compute_report(&team, &w46(), &mine),
            compute_report(&team, &w46(), &theirs),
            compute_report(&team, &w46(), &both),
        );
        let mine_rows = |r: &KpiReport| -> Vec<AgentKpis> {
            r.agents.iter().filter(|x| x.id.starts_with(SRC)).cloned().collect()
        };
        prop_assert_eq!(mine_rows(&ab), mine_rows(&a));
        let k = |r: &KpiReport| (r.kpis.ticket_volume.value, r.kpis.solved.value,
            r.kpis.backlog.value, r.kpis.first_response_time.stats.n,
            r.kpis.first_response_time.waiting, r.kpis.reply_time.stats.n,
            r.kpis.csat.n, r.kpis.nps.n, r.kpis.ces.n, r.kpis.converted_tickets.n,
            r.kpis.converted_tickets.value);
        let (ka, kb, kab) = (k(&a), k(&b), k(&ab));
        prop_assert_eq!(kab.0, ka.0 + kb.0);
        prop_assert_eq!(kab.1, ka.1 + kb.1);
        prop_assert_eq!(kab.2, ka.2 + kb.2);
        prop_assert_eq!(kab.3, ka.3 + kb.3);
        prop_assert_eq!(kab.4, ka.4 + kb.4);
        prop_assert_eq!(kab.5, ka.5 + kb.5);
        prop_assert_eq!(kab.6, ka.6 + kb.6);
        prop_assert_eq!(kab.7, ka.7 + kb.7);
        prop_assert_eq!(kab.8, ka.8 + kb.8);
        // their requesters have no e-mail hash here: they never convert
        prop_assert_eq!((kab.9, kab.10), (ka.9, ka.10));
    }
}
