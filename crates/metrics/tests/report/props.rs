//! Properties over random inputs: rates stay in [0, 1], and input order never matters.

use super::*;
use chrono::Duration;
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

fn arb_input() -> impl Strategy<Value = ReportInput> {
    let tickets = (0usize..8).prop_flat_map(|n| (0..n).map(arb_ticket).collect::<Vec<_>>());
    (tickets, prop::collection::vec(arb_rating(), 0..6)).prop_map(|(tickets, ratings)| {
        ReportInput {
            tickets,
            agents: agents(),
            ratings,
            ..ReportInput::default()
        }
    })
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
        mut seed in any::<u64>(),
    ) {
        let team = team(bots);
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
        prop_assert!(in_unit(k.csat.value));
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
        for t in &mut shuffled.tickets {
            shuffle(&mut t.messages, &mut seed);
            shuffle(&mut t.status_changes, &mut seed);
        }
        prop_assert_eq!(compute_report(&team, &w46(), &shuffled), r);
    }
}
