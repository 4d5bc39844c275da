//! One behavioural suite, run on SQLite always and on Postgres when
//! `DESKPULSE_TEST_POSTGRES_URL` is set (see `testing`).

use crate::testing::TestDb;
use crate::{StorageError, Store, TABLES};
use chrono::{DateTime, Duration, TimeZone, Utc};
use deskpulse_connector::CheckpointStore;
use deskpulse_metrics::BacklogCount;
use deskpulse_model::{
    Agent, AuthorKind, Batch, Channel, Checkpoint, Message, Rating, RatingKind, RatingScale,
    Record, Review, SocialMetric, SocialStat, StatusChange, Ticket, TicketStatus,
};
use serde_json::json;

mod deliveries;
mod inputs;
mod runs;
mod sweeps;
use deliveries::{
    a_released_delivery_is_claimed_again, concurrent_claims_have_one_winner,
    deliveries_are_claimed_once_and_forced_again,
};
use inputs::{
    a_failing_import_writes_nothing, customers_store_only_a_keyed_hash,
    imports_are_idempotent_and_replace_corrections, ratings_and_orders_find_their_tickets,
    report_input_windows,
};
use runs::{
    concurrent_run_claims_have_one_winner, failing_sources_are_those_that_failed_a_whole_period,
    job_locks_exclude_other_sessions, runs_are_claimed_once_and_finished_by_their_owner,
    the_daemon_lease_refuses_a_second_daemon_until_stale,
};
use sweeps::{
    a_completed_sweep_excludes_what_it_did_not_find, a_status_history_replaces_the_stored_one,
    vendor_metrics_keep_the_newest_version,
};

const SRC: &str = "zendesk-main";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 9, 0, 0, 0).unwrap()
}

fn at(hours: i64) -> DateTime<Utc> {
    t0() + Duration::hours(hours)
}

fn ticket(
    id: &str,
    status: TicketStatus,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> Ticket {
    Ticket {
        external_id: id.into(),
        channel: Channel::Email,
        status,
        created_at: created,
        updated_at: updated,
        first_solved_at: None,
        final_solved_at: None,
        reopens: None,
        opened_by_agent: None,
        requester_id: Some(format!("req-{id}")),
        assignee_id: None,
        group_id: None,
        tags: vec![],
        priority: None,
    }
}

fn message(id: &str, ticket_id: &str, created: DateTime<Utc>) -> Message {
    Message {
        external_id: id.into(),
        ticket_id: ticket_id.into(),
        author_kind: AuthorKind::Agent,
        author_id: Some("100".into()),
        public: true,
        created_at: created,
    }
}

fn change(id: &str, ticket_id: &str, to: TicketStatus, when: DateTime<Utc>) -> StatusChange {
    StatusChange {
        external_id: id.into(),
        ticket_id: ticket_id.into(),
        from: Some(TicketStatus::Open),
        to,
        author_kind: AuthorKind::Unknown,
        author_id: None,
        at: when,
    }
}

fn rating(id: &str, created: DateTime<Utc>) -> Rating {
    Rating {
        external_id: id.into(),
        kind: RatingKind::Csat,
        score: 4.0,
        scale: RatingScale::ONE_TO_FIVE,
        ticket_id: Some("1".into()),
        agent_id: Some("100".into()),
        comment: None,
        created_at: created,
    }
}

/// A batch with every kind of record and awkward values: micros, NULLs, quotes, unicode.
fn full_batch(cp: u64) -> Batch {
    let precise =
        Utc.with_ymd_and_hms(2026, 11, 10, 8, 21, 10).unwrap() + Duration::microseconds(123_456);
    let mut t = ticket("1", TicketStatus::Solved, at(-48), precise);
    t.first_solved_at = Some(precise - Duration::microseconds(1));
    t.final_solved_at = Some(precise);
    t.reopens = Some(2);
    t.opened_by_agent = Some(false);
    t.assignee_id = Some("100".into());
    t.group_id = Some("g1".into());
    t.tags = vec![
        "vip".into(),
        "complaint".into(),
        "ünïcode \"quoted\"".into(),
    ];
    t.priority = Some("high".into());
    let mut m2 = message("m2", "1", at(-47));
    m2.author_kind = AuthorKind::Customer;
    m2.author_id = None;
    m2.public = false;
    let mut sc = change("s1", "1", TicketStatus::Solved, precise);
    sc.from = None;
    Batch {
        records: vec![
            Record::Ticket(t),
            Record::Ticket(ticket("2", TicketStatus::Open, at(1), at(2))),
            Record::Message(message("m1", "1", at(-48))),
            Record::Message(m2),
            Record::StatusChange(sc),
            Record::Agent(Agent {
                external_id: "100".into(),
                name: "Alice O'Brien".into(),
                is_bot: false,
            }),
            Record::Agent(Agent {
                external_id: "200".into(),
                name: "Answer Bot".into(),
                is_bot: true,
            }),
            Record::Rating(Rating {
                comment: Some("great, 'thanks'".into()),
                ..rating("r1", at(3))
            }),
            Record::Review(Review {
                platform: "trustpilot".into(),
                external_id: "rv1".into(),
                rating: 1.5,
                title: Some("<b>bad</b>".into()),
                text: Some("line1\nline2".into()),
                author_name: None,
                created_at: at(4),
                reply_text: Some("sorry".into()),
                replied_at: Some(at(5)),
                url: Some("https://example.com/r/1".into()),
            }),
            Record::Review(Review {
                platform: "google".into(),
                external_id: "rv1".into(),
                rating: 5.0,
                title: None,
                text: None,
                author_name: Some("Bob".into()),
                created_at: at(4),
                reply_text: None,
                replied_at: None,
                url: None,
            }),
            Record::VendorMetrics(deskpulse_model::VendorMetrics {
                ticket_id: "1".into(),
                updated_at: precise,
                first_response: deskpulse_model::VendorDuration {
                    calendar_seconds: Some(3060),
                    business_seconds: Some(0),
                },
                first_resolution: deskpulse_model::VendorDuration::calendar(Some(7200)),
                full_resolution: deskpulse_model::VendorDuration::NONE,
                reopens: Some(2),
                replies: None,
            }),
            Record::SocialStat(SocialStat {
                platform: "x".into(),
                account: "@acme".into(),
                metric: SocialMetric::Followers,
                value: 1234.0,
                observed_at: at(6),
            }),
            Record::SocialStat(SocialStat {
                platform: "x".into(),
                account: "@acme".into(),
                metric: SocialMetric::Followers,
                value: 1240.0,
                observed_at: at(30),
            }),
        ],
        checkpoint: Checkpoint::new(
            json!({"cursor": format!("c{cp}"), "n": cp, "nested": {"b": 1, "a": [1.5, null]}}),
        ),
    }
}

async fn upserts_are_idempotent(store: Store) {
    let batch = full_batch(1);
    store.commit_batch(SRC, "tickets", &batch).await.unwrap();
    // The batch marked its two tickets; the refresh derives them, once.
    assert_eq!(store.refresh_facts().await.unwrap(), 2);
    assert_eq!(store.refresh_facts().await.unwrap(), 0);
    let dump1 = store.dump().await.unwrap();
    let counts1 = store.counts().await.unwrap();
    store.commit_batch(SRC, "tickets", &batch).await.unwrap();
    assert_eq!(store.refresh_facts().await.unwrap(), 2);
    assert_eq!(store.dump().await.unwrap(), dump1);
    assert_eq!(store.counts().await.unwrap(), counts1);
    let expected = [
        ("agents", 2),
        ("checkpoints", 1),
        ("costs", 0),
        ("customers", 0),
        ("messages", 2),
        ("open_spans", 2),
        ("orders", 0),
        ("ratings", 1),
        ("revenue", 0),
        ("reviews", 2),
        ("social_stats", 2),
        ("status_changes", 1),
        ("subscriptions", 0),
        ("ticket_facts", 2),
        ("tickets", 2),
        ("vendor_metrics", 1),
    ];
    assert_eq!(counts1.into_iter().collect::<Vec<_>>(), expected);
    assert_eq!(dump1.len(), 18);
    // The same records under another source are other rows.
    store
        .commit_batch("other", "tickets", &batch)
        .await
        .unwrap();
    assert_eq!(store.counts().await.unwrap()["tickets"], 4);
    // Duplicates inside one batch collapse to the last version.
    let mut dup = full_batch(2);
    let mut t = ticket("2", TicketStatus::Pending, at(1), at(2));
    t.tags = vec!["second".into()];
    dup.records.push(Record::Ticket(t.clone()));
    dup.records.push(Record::Message(Message {
        public: false,
        ..message("m1", "1", at(-48))
    }));
    store.commit_batch(SRC, "tickets", &dup).await.unwrap();
    let input = store
        .load_report_input(&[SRC.into()], at(0), at(24))
        .await
        .unwrap();
    let got = input.facts.iter().find(|f| f.ticket_id == "2").unwrap();
    assert_eq!(got.tags, ["second"]);
    let dump = store.dump().await.unwrap();
    let m1: Vec<&String> = dump
        .iter()
        .filter(|l| l.starts_with("messages ") && l.contains("\"m1\""))
        .collect();
    assert_eq!(m1.len(), 2, "one per source: {m1:?}");
    assert!(
        m1.iter()
            .any(|l| l.contains(&format!("\"{SRC}\"")) && l.contains(",false,")),
        "the last version (internal) won: {m1:?}"
    );
}

async fn later_version_replaces(store: Store) {
    let v1 = ticket("7", TicketStatus::Open, at(0), at(1));
    let mut v2 = ticket("7", TicketStatus::Solved, at(0), at(5));
    v2.final_solved_at = Some(at(5));
    v2.tags = vec!["done".into()];
    v2.assignee_id = Some("100".into());
    let b = |t: &Ticket, m: Message, n: u64| Batch {
        records: vec![Record::Ticket(t.clone()), Record::Message(m)],
        checkpoint: Checkpoint::new(json!(n)),
    };
    store
        .commit_batch(SRC, "s", &b(&v1, message("m", "7", at(1)), 1))
        .await
        .unwrap();
    let mut m2 = message("m", "7", at(2));
    m2.author_kind = AuthorKind::Bot;
    store
        .commit_batch(SRC, "s", &b(&v2, m2.clone(), 2))
        .await
        .unwrap();
    let input = store
        .load_report_input(&[SRC.into()], at(0), at(24))
        .await
        .unwrap();
    assert_eq!(input.facts.len(), 1);
    let f = &input.facts[0];
    assert_eq!(
        (&f.tags, f.final_solved_at, f.assignee_id.as_deref()),
        (&v2.tags, Some(at(5)), Some("100"))
    );
    let facts_v2 = input.facts.clone();
    // Replaying the older page keeps the newer ticket (messages have no version: last wins).
    store.commit_batch(SRC, "s", &b(&v1, m2, 1)).await.unwrap();
    let input = store
        .load_report_input(&[SRC.into()], at(0), at(24))
        .await
        .unwrap();
    assert_eq!(input.facts, facts_v2);
    assert_eq!(store.counts().await.unwrap()["tickets"], 1);
    assert_eq!(store.counts().await.unwrap()["messages"], 1);
}

async fn checkpoints_commit_with_their_batch(store: Store) {
    assert_eq!(store.checkpoint(SRC, "tickets").await.unwrap(), None);
    let b1 = full_batch(1);
    store.commit_batch(SRC, "tickets", &b1).await.unwrap();
    assert_eq!(
        store.checkpoint(SRC, "tickets").await.unwrap(),
        Some(b1.checkpoint.clone())
    );
    assert_eq!(store.checkpoint(SRC, "ratings").await.unwrap(), None);
    assert_eq!(store.checkpoint("other", "tickets").await.unwrap(), None);
    // Through the connector SDK's trait, as the sync runner uses it.
    let b2 = Batch {
        records: vec![],
        checkpoint: Checkpoint::new(json!({"cursor": "c2"})),
    };
    CheckpointStore::commit(&store, SRC, "tickets", &b2)
        .await
        .unwrap();
    assert_eq!(
        CheckpointStore::checkpoint(&store, SRC, "tickets")
            .await
            .unwrap(),
        Some(b2.checkpoint)
    );
    assert_eq!(store.counts().await.unwrap()["checkpoints"], 1);
}

async fn a_failing_batch_writes_nothing(store: Store) {
    let b1 = full_batch(1);
    store.commit_batch(SRC, "tickets", &b1).await.unwrap();
    let before = store.dump().await.unwrap();
    // Valid records first, so the transaction has written rows when the bad one fails.
    let mut t = ticket("1", TicketStatus::Open, at(-48), at(100));
    t.tags = vec!["changed".into()];
    let bad = Batch {
        records: vec![
            Record::Ticket(t),
            Record::Ticket(ticket("99", TicketStatus::New, at(1), at(1))),
            Record::Message(message("", "99", at(1))),
        ],
        checkpoint: Checkpoint::new(json!({"cursor": "c2"})),
    };
    let err = store.commit_batch(SRC, "tickets", &bad).await.unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Query {
                op: "writing messages",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(store.dump().await.unwrap(), before);
    assert_eq!(
        store.checkpoint(SRC, "tickets").await.unwrap(),
        Some(b1.checkpoint)
    );
    // On a fresh stream no checkpoint appears either.
    store.commit_batch(SRC, "fresh", &bad).await.unwrap_err();
    assert_eq!(store.checkpoint(SRC, "fresh").await.unwrap(), None);
    // A value one backend could not store faithfully is refused before anything is written.
    let nan = Batch {
        records: vec![Record::Rating(Rating {
            score: f64::NAN,
            ..rating("r9", at(1))
        })],
        checkpoint: Checkpoint::new(json!(3)),
    };
    let err = store.commit_batch(SRC, "tickets", &nan).await.unwrap_err();
    assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
    assert_eq!(store.dump().await.unwrap(), before);
    // And the store still works after a rollback.
    store
        .commit_batch(SRC, "tickets", &full_batch(2))
        .await
        .unwrap();
}

/// The period is [at(0), at(168)): one week.
async fn report_input_candidates(store: Store) {
    use TicketStatus::*;
    let (start, end) = (at(0), at(168));
    let long_ago = at(-24 * 60);
    let customer = |id: &str, ticket: &str, t| Message {
        author_kind: AuthorKind::Customer,
        author_id: None,
        ..message(id, ticket, t)
    };
    let records = vec![
        // Created in the period.
        Record::Ticket(ticket("created", Solved, at(10), at(11))),
        // Created at exactly `end`: not in the period, and not open at `end`.
        Record::Ticket(ticket("at-end", New, end, end)),
        // Old, answered in the period (its updated_at left stale: the reply decides).
        Record::Ticket(ticket("replied", Solved, long_ago, long_ago)),
        Record::Message(customer("rep-old", "replied", long_ago)),
        Record::Message(message("rep-new", "replied", at(20))),
        // Old, solved in the period.
        Record::Ticket(ticket("solved-in", Closed, long_ago, at(50))),
        Record::StatusChange(change("si-1", "solved-in", Solved, at(50))),
        // Old, solved after the period: open at its end.
        Record::Ticket(ticket("solved-later", Closed, long_ago, long_ago)),
        Record::StatusChange(change("sl-1", "solved-later", Solved, at(200))),
        // Old, only updated in the period: nothing of it counts in the period.
        Record::Ticket(ticket("updated", Closed, long_ago, at(30))),
        // Old and still open: backlog, whatever its activity.
        Record::Ticket(ticket("backlog", Pending, long_ago, long_ago)),
        Record::Ticket(ticket("backlog-spam", Spam, long_ago, long_ago)),
        // Spam created in the period: in nothing, but its rating must be recognizable.
        Record::Ticket(ticket("spam-in", Spam, at(12), at(12))),
        // A reply at exactly `start` counts.
        Record::Ticket(ticket("edge-msg", Solved, long_ago, long_ago)),
        Record::Message(customer("edge-q", "edge-msg", long_ago)),
        Record::Message(message("edge", "edge-msg", start)),
        // Solved and answered just before the start.
        Record::Ticket(ticket("stale", Solved, long_ago, at(-1))),
        Record::Message(customer("stale-q", "stale", long_ago)),
        Record::Message(message(
            "stale-m",
            "stale",
            start - Duration::microseconds(1),
        )),
        Record::StatusChange(change("stale-s", "stale", Solved, at(-1))),
        Record::Agent(Agent {
            external_id: "100".into(),
            name: "A".into(),
            is_bot: false,
        }),
        Record::Rating(rating("r-start", start)),
        Record::Rating(rating("r-in", at(100))),
        Record::Rating(Rating {
            ticket_id: Some("spam-in".into()),
            ..rating("r-spam", at(100))
        }),
        Record::Rating(rating("r-end", end)),
        Record::Rating(rating("r-before", start - Duration::microseconds(1))),
    ];
    store
        .commit_batch(
            SRC,
            "all",
            &Batch {
                records,
                checkpoint: Checkpoint::new(json!(1)),
            },
        )
        .await
        .unwrap();
    // Excluded: another source's records.
    let other = Batch {
        records: vec![
            Record::Ticket(ticket("created", Open, at(10), at(11))),
            Record::Agent(Agent {
                external_id: "900".into(),
                name: "Other".into(),
                is_bot: false,
            }),
            Record::Rating(rating("r-other", at(100))),
        ],
        checkpoint: Checkpoint::new(json!(1)),
    };
    store
        .commit_batch("other-src", "all", &other)
        .await
        .unwrap();

    let input = store
        .load_report_input(&[SRC.into()], start, end)
        .await
        .unwrap();
    assert!(input.tickets.is_empty(), "no raw ticket is read");
    let mut ids: Vec<&str> = input.facts.iter().map(|f| f.ticket_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["created", "edge-msg", "replied", "solved-in"]);
    assert!(input.facts.iter().all(|f| f.source == SRC));
    let replied = input
        .facts
        .iter()
        .find(|f| f.ticket_id == "replied")
        .unwrap();
    assert_eq!(replied.reply_samples.len(), 1);
    assert_eq!(replied.reply_samples[0].asked_at, long_ago);
    assert_eq!(replied.reply_samples[0].replied_at, at(20));
    // Open at `end`: "backlog" and "solved-later".
    assert_eq!(input.backlog, [BacklogCount { at: end, open: 2 }]);
    assert_eq!(input.agents.len(), 1);
    assert_eq!(input.agents[0].agent.external_id, "100");
    let ratings: Vec<&str> = input
        .ratings
        .iter()
        .map(|r| r.rating.external_id.as_str())
        .collect();
    assert_eq!(ratings, ["r-in", "r-spam", "r-start"]);
    assert_eq!(
        input.excluded_tickets,
        [(SRC.to_owned(), "spam-in".to_owned())]
    );

    // Both sources at once; none at all.
    let both = store
        .load_report_input(&[SRC.into(), "other-src".into()], start, end)
        .await
        .unwrap();
    assert_eq!(both.facts.len(), 5);
    assert_eq!(both.backlog, [BacklogCount { at: end, open: 3 }]);
    assert_eq!(both.agents.len(), 2);
    assert_eq!(both.ratings.len(), 4);
    let none = store.load_report_input(&[], start, end).await.unwrap();
    assert_eq!(none, Default::default());
    // A later period: created at its start, solved in it.
    let next = store
        .load_report_input(&[SRC.into()], at(168), at(336))
        .await
        .unwrap();
    let mut ids: Vec<&str> = next.facts.iter().map(|f| f.ticket_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["at-end", "solved-later"]);
    assert_eq!(
        next.backlog,
        [BacklogCount {
            at: at(336),
            open: 2
        }]
    );
    // Any instants at once.
    let counts = store
        .backlog_at(&[SRC.into()], &[at(-1), at(10), at(201)])
        .await
        .unwrap();
    let open: Vec<u64> = counts.iter().map(|c| c.open).collect();
    // at(-1): backlog, solved-in, solved-later, updated (solved without a time: out of the
    // backlog from its last update, at(30)); not stale (solved at exactly -1).
    // at(10): the same ("created" is in it only after its creation instant).
    // at(201): backlog and at-end.
    assert_eq!(open, [4, 4, 2]);
}

async fn dump_has(store: &Store, needle: &str) -> bool {
    store
        .dump()
        .await
        .unwrap()
        .iter()
        .any(|l| l.contains(needle))
}

async fn times_round_trip_to_the_microsecond(store: Store) {
    let times = [
        Utc.with_ymd_and_hms(2026, 11, 23, 8, 21, 10).unwrap() + Duration::microseconds(123_456),
        Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap() + Duration::microseconds(999_999),
        Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap() + Duration::microseconds(1),
        Utc.with_ymd_and_hms(2099, 12, 31, 23, 59, 59).unwrap() + Duration::microseconds(999_999),
    ];
    let mut records = Vec::new();
    for (i, t) in times.iter().enumerate() {
        let mut tk = ticket(&format!("t{i}"), TicketStatus::Open, *t, *t);
        tk.final_solved_at = Some(*t);
        records.push(Record::Ticket(tk));
    }
    // Nanoseconds are floored to microseconds on both backends.
    let nanos = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::nanoseconds(1_999);
    records.push(Record::Ticket(ticket(
        "nanos",
        TicketStatus::Open,
        nanos,
        nanos,
    )));
    store
        .commit_batch(
            SRC,
            "s",
            &Batch {
                records: records.clone(),
                checkpoint: Checkpoint::new(json!(0)),
            },
        )
        .await
        .unwrap();
    let input = store
        .load_report_input(&[SRC.into()], times[1], times[3] + Duration::days(1))
        .await
        .unwrap();
    for (i, t) in times.iter().enumerate() {
        let got = input
            .facts
            .iter()
            .find(|f| f.ticket_id == format!("t{i}"))
            .unwrap();
        assert_eq!(got.created_at, *t);
        // Open now: a solve time of the API without the status is not a solve.
        assert_eq!(got.final_solved_at, None);
    }
    let got = input.facts.iter().find(|f| f.ticket_id == "nanos").unwrap();
    assert_eq!(got.created_at, nanos - Duration::nanoseconds(999));
    assert!(
        dump_has(&store, "\"2099-12-31T23:59:59.999999Z\"").await,
        "final_solved_at is stored to the microsecond"
    );
    let dump = store.dump().await.unwrap();
    assert!(
        dump.iter()
            .any(|l| l.contains("\"2026-11-23T08:21:10.123456Z\"")),
        "{dump:#?}"
    );
    assert!(
        dump.iter()
            .any(|l| l.contains("\"1969-12-31T23:59:59.999999Z\"")),
        "{dump:#?}"
    );
    // Range edges are exact: a period starting one microsecond later misses times[1]'s ticket
    // (it is open, so it stays a backlog candidate, but not via created_at in the period).
    let ratings = Batch {
        records: vec![Record::Rating(rating("edge", times[0]))],
        checkpoint: Checkpoint::new(json!(1)),
    };
    store.commit_batch(SRC, "r", &ratings).await.unwrap();
    let srcs = [SRC.to_string()];
    let r = |s, e| store.load_report_input(&srcs, s, e);
    assert_eq!(
        r(times[0], times[0] + Duration::microseconds(1))
            .await
            .unwrap()
            .ratings
            .len(),
        1
    );
    assert_eq!(
        r(times[0] + Duration::microseconds(1), times[3])
            .await
            .unwrap()
            .ratings
            .len(),
        0
    );
    assert_eq!(r(times[2], times[0]).await.unwrap().ratings.len(), 0);
}

async fn large_batches_are_chunked(store: Store) {
    // More rows than fit one statement's bind parameters, to exercise the chunking.
    let records: Vec<Record> = (0..3_000)
        .map(|i| {
            Record::Ticket(ticket(
                &format!("bulk-{i}"),
                TicketStatus::Open,
                at(i),
                at(i),
            ))
        })
        .chain(
            (0..3_000)
                .map(|i| Record::Message(message(&format!("bm-{i}"), &format!("bulk-{i}"), at(i)))),
        )
        .collect();
    let batch = Batch {
        records,
        checkpoint: Checkpoint::new(json!("bulk")),
    };
    store.commit_batch(SRC, "bulk", &batch).await.unwrap();
    store.commit_batch(SRC, "bulk", &batch).await.unwrap();
    let counts = store.counts().await.unwrap();
    assert_eq!((counts["tickets"], counts["messages"]), (3_000, 3_000));
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            use super::TestDb;
            $(
                #[tokio::test]
                async fn $name() {
                    let db = TestDb::sqlite();
                    super::$name(db.open().await).await;
                }
            )*
        }
        mod on_postgres {
            use super::TestDb;
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = TestDb::postgres().await else { return };
                    let store = db.open().await;
                    super::$name(store.clone()).await;
                    store.close().await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

suite!(
    upserts_are_idempotent,
    later_version_replaces,
    checkpoints_commit_with_their_batch,
    a_failing_batch_writes_nothing,
    report_input_candidates,
    times_round_trip_to_the_microsecond,
    large_batches_are_chunked,
    customers_store_only_a_keyed_hash,
    imports_are_idempotent_and_replace_corrections,
    a_failing_import_writes_nothing,
    report_input_windows,
    deliveries_are_claimed_once_and_forced_again,
    a_released_delivery_is_claimed_again,
    concurrent_claims_have_one_winner,
    runs_are_claimed_once_and_finished_by_their_owner,
    concurrent_run_claims_have_one_winner,
    failing_sources_are_those_that_failed_a_whole_period,
    the_daemon_lease_refuses_a_second_daemon_until_stale,
    job_locks_exclude_other_sessions,
    a_status_history_replaces_the_stored_one,
    vendor_metrics_keep_the_newest_version,
    a_completed_sweep_excludes_what_it_did_not_find,
    ratings_and_orders_find_their_tickets,
);

/// Feeds the same batches to a store, as a sync would.
async fn fill(store: &Store) {
    store
        .commit_batch(SRC, "tickets", &full_batch(1))
        .await
        .unwrap();
    store
        .commit_batch(SRC, "tickets", &full_batch(2))
        .await
        .unwrap();
    store
        .commit_batch("other", "reviews", &full_batch(3))
        .await
        .unwrap();
    // Hashed e-mails differ per install; dumps must not.
    let customers = Batch {
        records: vec![Record::Customer(deskpulse_model::Customer {
            external_id: "req-1".into(),
            email: Some("ann@example.com".into()),
        })],
        checkpoint: Checkpoint::new(json!(4)),
    };
    store.commit_batch(SRC, "users", &customers).await.unwrap();
    let order = crate::OrderRow {
        order_id: "o1".into(),
        customer_email: "ANN@example.com".into(),
        created_at: at(1),
        amount: 12.5,
        currency: "EUR".into(),
    };
    store.import_orders("support", &[order]).await.unwrap();
}

#[tokio::test]
async fn sqlite_and_postgres_dump_identically() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let lite = TestDb::sqlite();
    let (a, b) = (lite.open().await, pg.open().await);
    fill(&a).await;
    fill(&b).await;
    let (da, db) = (a.dump().await.unwrap(), b.dump().await.unwrap());
    assert_eq!(da, db);
    assert_eq!(a.counts().await.unwrap(), b.counts().await.unwrap());
    let period = (at(-100), at(100));
    let load = async |s: &Store| {
        let mut input = s
            .load_report_input_for("support", &[SRC.into(), "other".into()], period.0, period.1)
            .await
            .unwrap();
        // Hashes are per install (each database has its own secret); the rest is equal.
        assert_eq!(input.requesters.len(), 1);
        assert_eq!(input.orders.len(), 1);
        assert_eq!(
            input.requesters[0].email_hash,
            input.orders[0].customer_hash
        );
        input.requesters[0].email_hash.clear();
        input.orders[0].customer_hash.clear();
        input
    };
    assert_eq!(load(&a).await, load(&b).await);
    b.close().await;
    pg.cleanup().await;
}

#[tokio::test]
async fn sqlite_memory_works() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    fill(&store).await;
    assert_eq!(store.counts().await.unwrap()["tickets"], 4);
}

#[tokio::test]
async fn sqlite_file_is_created_if_missing_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("dir").join("deskpulse.db");
    let url = format!("sqlite://{}", path.display());
    assert!(!path.exists());
    let store = Store::open(&url).await.unwrap();
    assert!(path.exists());
    fill(&store).await;
    let dump = store.dump().await.unwrap();
    store.close().await;
    // Reopening migrates nothing new and finds the data.
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.dump().await.unwrap(), dump);
    assert_eq!(
        store
            .counts()
            .await
            .unwrap()
            .keys()
            .copied()
            .collect::<Vec<_>>()
            .len(),
        TABLES.len()
    );
}

#[tokio::test]
async fn bad_urls_say_what_to_do_and_hide_passwords() {
    let err = Store::open("mysql://bob:hunter2@db.example.com/kpi")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StorageError::UnsupportedUrl { .. }));
    assert!(msg.contains("mysql://bob:****@db.example.com/kpi"), "{msg}");
    assert!(
        msg.contains("sqlite://") && msg.contains("postgres://"),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
    assert!(!format!("{err:?}").contains("hunter2"));

    // Nothing listens on port 1.
    let err = Store::open("postgres://bob:hunter2@127.0.0.1:1/kpi")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StorageError::Open { .. }), "{msg}");
    assert!(msg.contains("postgres://bob:****@127.0.0.1:1/kpi"), "{msg}");
    assert!(msg.contains("running and reachable"), "{msg}");
    assert!(
        !msg.contains("hunter2") && !format!("{err:?}").contains("hunter2"),
        "{msg}"
    );

    // A SQLite path that cannot be created.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let url = format!("sqlite://{}/x.db", blocker.display());
    let msg = Store::open(&url).await.unwrap_err().to_string();
    assert!(msg.contains(&url) && msg.contains("writable"), "{msg}");
}

/// The address is not in the database file (nor its WAL), and another install hashes it
/// differently: the hash cannot be matched against a list of known addresses elsewhere.
#[tokio::test]
async fn sqlite_file_holds_no_address_and_installs_differ() {
    let (a, b) = (TestDb::sqlite(), TestDb::sqlite());
    let (sa, sb) = (a.open().await, b.open().await);
    let email = "Secret.Person@Example.org";
    let records = vec![Record::Customer(deskpulse_model::Customer {
        external_id: "c1".into(),
        email: Some(email.into()),
    })];
    for s in [&sa, &sb] {
        s.commit_batch(
            SRC,
            "users",
            &Batch {
                records: records.clone(),
                checkpoint: Checkpoint::new(json!(1)),
            },
        )
        .await
        .unwrap();
        s.import_orders(
            "support",
            &[crate::OrderRow {
                order_id: "o1".into(),
                customer_email: email.into(),
                created_at: at(0),
                amount: 1.0,
                currency: "EUR".into(),
            }],
        )
        .await
        .unwrap();
    }
    let (ha, hb) = (
        sa.email_hash(email).await.unwrap(),
        sb.email_hash(email).await.unwrap(),
    );
    assert_ne!(ha, hb);
    assert_eq!(ha, sa.email_hash(email).await.unwrap());
    let path = a.url().trim_start_matches("sqlite://").to_string();
    sa.close().await;
    sb.close().await;
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(b);
        }
    }
    assert!(!bytes.is_empty());
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    assert!(
        !text.contains("secret.person"),
        "the address is in the file"
    );
    assert!(!text.contains("example.org"), "the address is in the file");
    assert!(text.contains(&ha), "the hash should be stored");
}

#[test]
fn migration_versions_match() {
    let versions = |dir: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations")
            .join(dir);
        let mut v: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(versions("sqlite"), versions("postgres"));
    assert!(!versions("sqlite").is_empty());
}

#[tokio::test]
async fn postgres_passwords_stay_out_of_debug_output() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let mut url = url::Url::parse(pg.url()).unwrap();
    url.set_password(Some("hunter2")).unwrap();
    // The test server may ignore the password (trust auth) or reject it: neither may leak it.
    match Store::open(url.as_str()).await {
        Ok(store) => {
            assert!(!format!("{store:?}").contains("hunter2"));
            store.close().await;
        }
        Err(e) => assert!(!format!("{e} {e:?}").contains("hunter2"), "{e}"),
    }
    pg.cleanup().await;
}
