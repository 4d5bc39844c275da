//! The facts kept at ingest give the same reports as deriving everything from the raw
//! records: random tickets (every status, author kind, history shape), fed in shuffled
//! batches with messages before their tickets and agents last (so stored facts must be
//! refreshed when an agent appears), then every KPI of several weeks, a month and a
//! 12-week history compared, on SQLite and Postgres.

use crate::Store;
use crate::testing::TestDb;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use deskpulse_metrics::{
    AgentInput, BusinessHours, RatingInput, ReportInput, TeamConfig, TicketInput, compute_report,
};
use deskpulse_model::{
    Agent, AuthorKind, Batch, Channel, Checkpoint, Message, PeriodSpec, Rating, RatingKind,
    RatingScale, Record, StatusChange, Ticket, TicketStatus,
};
use serde_json::json;

const SRC: &str = "zd";
const STATUSES: [TicketStatus; 9] = [
    TicketStatus::New,
    TicketStatus::Open,
    TicketStatus::Pending,
    TicketStatus::OnHold,
    TicketStatus::Solved,
    TicketStatus::Closed,
    TicketStatus::Deleted,
    TicketStatus::Spam,
    TicketStatus::Merged,
];
const KINDS: [AuthorKind; 5] = [
    AuthorKind::Customer,
    AuthorKind::Agent,
    AuthorKind::Bot,
    AuthorKind::System,
    AuthorKind::Unknown,
];
/// "100" a human agent, "200" a bot, "555" unknown until the last batch names it an agent.
const AUTHORS: [&str; 4] = ["100", "200", "555", "cust"];

/// splitmix64: a small deterministic generator (no dependency, reproducible by seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 5, 0, 0, 0).unwrap()
}

/// Minutes after t0, rounded to whole seconds plus some microseconds (storage keeps µs).
fn time(rng: &mut Rng, max_minutes: u64) -> DateTime<Utc> {
    t0() + Duration::seconds(rng.below(max_minutes * 60) as i64)
        + Duration::microseconds(rng.below(3) as i64)
}

fn random_ticket(rng: &mut Rng, i: usize) -> TicketInput {
    // Created over ten weeks; activity up to a week later.
    let created = time(rng, 10 * 7 * 24 * 60);
    let later = |rng: &mut Rng| {
        // Sometimes exactly at creation, sometimes (bad data) before it.
        match rng.below(12) {
            0 => created,
            1 => created - Duration::minutes(5),
            _ => created + Duration::seconds(rng.below(7 * 24 * 3600) as i64),
        }
    };
    let id = format!("t{i}");
    let status = rng.pick(&STATUSES);
    let mut ticket = Ticket {
        external_id: id.clone(),
        channel: rng.pick(&[Channel::Email, Channel::Chat, Channel::Web]),
        status,
        created_at: created,
        updated_at: created,
        first_solved_at: None,
        final_solved_at: None,
        reopens: None,
        opened_by_agent: rng.pick(&[None, None, Some(true), Some(false)]),
        requester_id: Some(format!("req{}", rng.below(20))),
        assignee_id: rng
            .chance(80)
            .then(|| rng.pick(&["100", "555", "777"]).to_owned()),
        group_id: None,
        tags: match rng.below(3) {
            0 => vec![],
            1 => vec!["complaint".into()],
            _ => vec!["billing".into(), "vip".into()],
        },
        priority: None,
    };
    let messages: Vec<Message> = (0..rng.below(7))
        .map(|m| Message {
            external_id: format!("{id}-m{m}"),
            ticket_id: id.clone(),
            author_kind: rng.pick(&KINDS),
            author_id: Some(rng.pick(&AUTHORS).to_owned()),
            public: rng.chance(80),
            created_at: if m == 0 { created } else { later(rng) },
        })
        .collect();
    let status_changes: Vec<StatusChange> = if rng.chance(60) {
        (0..rng.below(5))
            .map(|c| StatusChange {
                external_id: format!("{id}-s{c}"),
                ticket_id: id.clone(),
                from: rng.chance(50).then(|| rng.pick(&STATUSES)),
                to: rng.pick(&STATUSES),
                author_kind: rng.pick(&KINDS),
                author_id: Some(rng.pick(&AUTHORS).to_owned()),
                at: later(rng),
            })
            .collect()
    } else {
        Vec::new()
    };
    if status_changes.is_empty() && status.is_solved() {
        ticket.final_solved_at = rng.chance(80).then(|| later(rng));
        ticket.first_solved_at = rng.chance(50).then(|| later(rng));
        ticket.reopens = rng.chance(30).then(|| rng.below(3) as u32);
    }
    ticket.updated_at = later(rng).max(created);
    TicketInput {
        source: SRC.into(),
        ticket,
        messages,
        status_changes,
    }
}

fn agents(with_555: bool) -> Vec<Agent> {
    let mut a = vec![
        Agent {
            external_id: "100".into(),
            name: "Alice".into(),
            is_bot: false,
        },
        Agent {
            external_id: "200".into(),
            name: "Answer Bot".into(),
            is_bot: true,
        },
    ];
    if with_555 {
        a.push(Agent {
            external_id: "555".into(),
            name: "Late Hire".into(),
            is_bot: false,
        });
    }
    a
}

fn team(bots: bool) -> TeamConfig {
    TeamConfig {
        name: "support".into(),
        count_bot_replies: bots,
        targets: Default::default(),
        business_hours: Some(BusinessHours::weekdays(
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        )),
        complaint_tags: vec!["complaint".into()],
    }
}

async fn stored_facts_give_the_reports_of_the_raw_records(store: Store) {
    let mut rng = Rng(20261123);
    let tickets: Vec<TicketInput> = (0..1200).map(|i| random_ticket(&mut rng, i)).collect();
    let ratings: Vec<Rating> = (0..360)
        .map(|i| Rating {
            external_id: format!("r{i}"),
            kind: RatingKind::Csat,
            score: rng.below(5) as f64 + 1.0,
            scale: RatingScale::ONE_TO_FIVE,
            ticket_id: Some(format!("t{}", rng.below(1200))),
            agent_id: Some(rng.pick(&["100", "555"]).to_owned()),
            comment: None,
            created_at: time(&mut rng, 11 * 7 * 24 * 60),
        })
        .collect();

    // Every record, shuffled: messages and changes often arrive before their ticket.
    let mut records: Vec<Record> = Vec::new();
    for t in &tickets {
        records.push(Record::Ticket(t.ticket.clone()));
        records.extend(t.messages.iter().cloned().map(Record::Message));
        records.extend(t.status_changes.iter().cloned().map(Record::StatusChange));
    }
    records.extend(ratings.iter().cloned().map(Record::Rating));
    for i in (1..records.len()).rev() {
        records.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut n = 0u64;
    let mut rest = records.as_slice();
    while !rest.is_empty() {
        let k = (1 + rng.below(300) as usize).min(rest.len());
        n += 1;
        let batch = Batch {
            records: rest[..k].to_vec(),
            checkpoint: Checkpoint::new(json!(n)),
        };
        store.commit_batch(SRC, "all", &batch).await.unwrap();
        rest = &rest[k..];
    }
    // The agents last (as a users stream might), then a hire that turns "555" from an
    // unknown customer into an agent on tickets stored long before.
    for (i, with_555) in [false, true].into_iter().enumerate() {
        let batch = Batch {
            records: agents(with_555).into_iter().map(Record::Agent).collect(),
            checkpoint: Checkpoint::new(json!(1000 + i)),
        };
        store.commit_batch(SRC, "users", &batch).await.unwrap();
    }

    let raw = ReportInput {
        tickets: tickets.clone(),
        agents: agents(true)
            .into_iter()
            .map(|agent| AgentInput {
                source: SRC.into(),
                agent,
            })
            .collect(),
        ratings: ratings
            .iter()
            .map(|rating| RatingInput {
                source: SRC.into(),
                ticket_source: None,
                rating: rating.clone(),
            })
            .collect(),
        ..ReportInput::default()
    };
    let tz = chrono_tz::Europe::Berlin;
    let sources = [SRC.to_owned()];
    let mut compared = 0;
    for label in [
        "2026-W41", "2026-W43", "2026-W44", "2026-W47", "2026-W49", "2026-10", "2026-11",
    ] {
        let period = label.parse::<PeriodSpec>().unwrap().in_zone(tz);
        let stored = store
            .load_report_input_for("support", &sources, period.start, period.end)
            .await
            .unwrap();
        for bots in [false, true] {
            let want = serde_json::to_value(compute_report(&team(bots), &period, &raw)).unwrap();
            let got = serde_json::to_value(compute_report(&team(bots), &period, &stored)).unwrap();
            assert_eq!(got, want, "{label}, count_bot_replies {bots}");
            compared += 1;
        }
        assert!(
            stored.facts.len() < tickets.len(),
            "{label}: the load picks the period's tickets ({} of {})",
            stored.facts.len(),
            tickets.len()
        );
    }
    // The history: one load for twelve weeks, each week's report as its own load gives.
    let newest = "2026-W48".parse::<PeriodSpec>().unwrap();
    let weeks: Vec<_> = std::iter::successors(Some(newest), |s| Some(s.previous()))
        .take(12)
        .map(|s| s.in_zone(tz))
        .collect();
    let bounds: Vec<_> = weeks.iter().map(|p| (p.start, p.end)).collect();
    let span = store
        .load_periods_input_for("support", &sources, &bounds)
        .await
        .unwrap();
    for p in &weeks {
        let want = serde_json::to_value(compute_report(&team(false), p, &raw)).unwrap();
        let got = serde_json::to_value(compute_report(&team(false), p, &span)).unwrap();
        assert_eq!(got, want, "history week {}", p.label());
        compared += 1;
    }
    // Not a vacuous comparison: the weeks have tickets, solves, replies and a backlog.
    let w44 = "2026-W44".parse::<PeriodSpec>().unwrap().in_zone(tz);
    let r = compute_report(&team(false), &w44, &raw);
    let k = &r.kpis;
    assert!(
        k.ticket_volume.value > 10 && k.solved.value > 3,
        "{:?}",
        k.solved
    );
    let seen = (k.backlog.value, k.reply_time.stats.n, k.csat.n);
    assert!(seen.0 > 10 && seen.1 > 5 && seen.2 > 3, "{seen:?}");
    assert!(!r.agents.is_empty());
    assert_eq!(compared, 26);

    // Facts are a pure function of the stored records: a rebuild changes nothing.
    let before = store.dump().await.unwrap();
    assert_eq!(store.rebuild_facts().await.unwrap(), 1200);
    assert_eq!(store.dump().await.unwrap(), before);
}

mod on_sqlite {
    use super::TestDb;

    #[tokio::test]
    async fn stored_facts_give_the_reports_of_the_raw_records() {
        let db = TestDb::sqlite();
        super::stored_facts_give_the_reports_of_the_raw_records(db.open().await).await;
    }
}

mod on_postgres {
    use super::TestDb;

    #[tokio::test]
    async fn stored_facts_give_the_reports_of_the_raw_records() {
        let Some(db) = TestDb::postgres().await else {
            return;
        };
        let store = db.open().await;
        super::stored_facts_give_the_reports_of_the_raw_records(store.clone()).await;
        store.close().await;
        db.cleanup().await;
    }
}
