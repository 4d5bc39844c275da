//! Batch commits: idempotent upserts, newer versions, checkpoints with their batch, all or
//! nothing, times to the microsecond, chunked statements.

use super::*;

pub(super) async fn upserts_are_idempotent(store: Store) {
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
        ("rating_snapshots", 2),
        ("ratings", 1),
        ("revenue", 0),
        ("reviews", 2),
        ("social_interactions", 1),
        ("social_stats", 2),
        ("status_changes", 1),
        ("subscriptions", 0),
        ("ticket_facts", 2),
        ("tickets", 2),
        ("vendor_metrics", 1),
    ];
    assert_eq!(counts1.into_iter().collect::<Vec<_>>(), expected);
    assert_eq!(dump1.len(), 21);
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

pub(super) async fn later_version_replaces(store: Store) {
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

pub(super) async fn checkpoints_commit_with_their_batch(store: Store) {
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

pub(super) async fn a_failing_batch_writes_nothing(store: Store) {
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

async fn dump_has(store: &Store, needle: &str) -> bool {
    store
        .dump()
        .await
        .unwrap()
        .iter()
        .any(|l| l.contains(needle))
}

pub(super) async fn times_round_trip_to_the_microsecond(store: Store) {
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

pub(super) async fn large_batches_are_chunked(store: Store) {
    // More rows than one statement takes on either backend (SQLite's 128 rows, Postgres's
    // 1 MiB of values on a plain connection), to exercise the chunking.
    let records: Vec<Record> = (0..10_000)
        .map(|i| {
            Record::Ticket(ticket(
                &format!("bulk-{i}"),
                TicketStatus::Open,
                at(i),
                at(i),
            ))
        })
        .chain(
            (0..10_000)
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
    assert_eq!((counts["tickets"], counts["messages"]), (10_000, 10_000));
}
