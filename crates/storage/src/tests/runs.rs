//! Run records, job locks and the daemon lease; the `pub(super)` functions run on both
//! backends by the suite in `tests.rs`, the two-handle tests below open one database twice.

use crate::testing::TestDb;
use crate::{LeaseHolder, LeaseOutcome, RunEnd, RunOutcome, Store, sync_job};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn t(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap() + Duration::hours(h)
}

fn end(outcome: RunOutcome, records: Option<u64>, error: Option<&str>) -> RunEnd {
    RunEnd {
        outcome,
        records,
        error: error.map(str::to_owned),
    }
}

pub(super) async fn runs_are_claimed_once_and_finished_by_their_owner(store: Store) {
    let job = sync_job("zendesk-main");
    assert_eq!(store.last_run(&job).await.unwrap(), None);
    assert!(store.claim_run(&job, t(0), "a", t(0)).await.unwrap());
    assert!(!store.claim_run(&job, t(0), "b", t(0)).await.unwrap());
    let r = store.last_run(&job).await.unwrap().unwrap();
    assert_eq!(
        (
            r.slot,
            r.owner.as_str(),
            r.started_at,
            r.finished_at,
            r.outcome
        ),
        (t(0), "a", t(0), None, None)
    );
    // Only the owner finishes it, once.
    let ok = end(RunOutcome::Ok, Some(42), None);
    assert!(!store.finish_run(&job, t(0), "b", t(1), &ok).await.unwrap());
    assert!(store.finish_run(&job, t(0), "a", t(1), &ok).await.unwrap());
    assert!(!store.finish_run(&job, t(0), "a", t(2), &ok).await.unwrap());
    let r = store.last_run(&job).await.unwrap().unwrap();
    assert_eq!(
        (r.finished_at, r.outcome, r.records, r.error),
        (Some(t(1)), Some(RunOutcome::Ok), Some(42), None)
    );
    // Later slots, other jobs; microseconds survive.
    let precise = t(2) + Duration::microseconds(123_456);
    assert!(store.claim_run(&job, precise, "b", t(2)).await.unwrap());
    let failed = end(
        RunOutcome::Failed,
        Some(0),
        Some("401 \"unauthorized\" ünï"),
    );
    assert!(
        store
            .finish_run(&job, precise, "b", t(3), &failed)
            .await
            .unwrap()
    );
    assert!(store.claim_run(&job, t(4), "a", t(4)).await.unwrap());
    assert!(
        store
            .claim_run("digest:support", t(0), "a", t(0))
            .await
            .unwrap()
    );
    let recent = store.recent_runs(&job, 10).await.unwrap();
    let slots: Vec<_> = recent.iter().map(|r| r.slot).collect();
    assert_eq!(slots, [t(4), precise, t(0)]);
    assert_eq!(recent[1].error.as_deref(), Some("401 \"unauthorized\" ünï"));
    assert_eq!(store.recent_runs(&job, 1).await.unwrap().len(), 1);
    let last_ok = store
        .last_run_with(&job, RunOutcome::Ok)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last_ok.slot, t(0));
    let last_failed = store
        .last_run_with(&job, RunOutcome::Failed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last_failed.slot, precise);
    assert_eq!(
        store
            .last_run_with(&job, RunOutcome::Cancelled)
            .await
            .unwrap(),
        None
    );
    assert!(store.claim_run("", t(0), "a", t(0)).await.is_err());
}

/// Many claimers of one slot at once, on several connections: exactly one wins.
pub(super) async fn concurrent_run_claims_have_one_winner(store: Store) {
    for round in 0..3 {
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .claim_run("sync:s", t(round), &format!("owner-{i}"), t(round))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            won += usize::from(task.await.unwrap());
        }
        assert_eq!(won, 1, "round {round}");
    }
}

pub(super) async fn failing_sources_are_those_that_failed_a_whole_period(store: Store) {
    let sources: Vec<String> = ["down", "flaky", "fine", "idle", "cancelled"]
        .map(String::from)
        .to_vec();
    let run = |source: &str, h: i64, e: RunEnd| {
        let store = store.clone();
        let job = sync_job(source);
        async move {
            assert!(store.claim_run(&job, t(h), "o", t(h)).await.unwrap());
            assert!(store.finish_run(&job, t(h), "o", t(h), &e).await.unwrap());
        }
    };
    let fail = |msg: &str| end(RunOutcome::Failed, None, Some(msg));
    // Before the period: a success does not save "down".
    run("down", -5, end(RunOutcome::Ok, Some(1), None)).await;
    run("down", 1, fail("timeout")).await;
    run("down", 2, fail("401 unauthorized")).await;
    run("flaky", 1, fail("timeout")).await;
    run("flaky", 2, end(RunOutcome::Ok, Some(3), None)).await;
    run("fine", 1, end(RunOutcome::Ok, Some(3), None)).await;
    run("cancelled", 1, end(RunOutcome::Cancelled, Some(3), None)).await;
    // After the period: does not count.
    run("flaky", 30, fail("late")).await;
    run("fine", 30, fail("late")).await;
    // Claimed, never finished: does not count.
    assert!(
        store
            .claim_run(&sync_job("idle"), t(3), "o", t(3))
            .await
            .unwrap()
    );
    let failing = store.failing_sources(&sources, t(0), t(24)).await.unwrap();
    assert_eq!(
        failing,
        [("down".to_owned(), "401 unauthorized".to_owned())]
    );
    let failing = store.failing_sources(&sources, t(24), t(48)).await.unwrap();
    assert_eq!(
        failing,
        [
            ("flaky".to_owned(), "late".to_owned()),
            ("fine".to_owned(), "late".to_owned())
        ]
    );
}

fn holder(owner: &str, pid: u32, at: DateTime<Utc>) -> LeaseHolder {
    LeaseHolder {
        owner: owner.into(),
        pid,
        host: "box".into(),
        acquired_at: at,
        heartbeat_at: at,
    }
}

pub(super) async fn the_daemon_lease_refuses_a_second_daemon_until_stale(store: Store) {
    let stale_after = Duration::seconds(60);
    let a = holder("a", 100, t(0));
    assert_eq!(store.daemon_lease().await.unwrap(), None);
    assert_eq!(
        store
            .acquire_daemon_lease(&a, t(0) - stale_after, None)
            .await
            .unwrap(),
        LeaseOutcome::Acquired
    );
    // Its own owner may take it again (a retry after an error).
    assert_eq!(
        store
            .acquire_daemon_lease(&a, t(0) - stale_after, None)
            .await
            .unwrap(),
        LeaseOutcome::Acquired
    );
    // A second daemon is refused while the heartbeat is fresh.
    let later = t(0) + Duration::seconds(50);
    let b = holder("b", 200, later);
    match store
        .acquire_daemon_lease(&b, later - stale_after, None)
        .await
        .unwrap()
    {
        LeaseOutcome::Held(h) => assert_eq!(
            (h.owner.as_str(), h.pid, h.host.as_str()),
            ("a", 100, "box")
        ),
        other => panic!("{other:?}"),
    }
    assert!(store.heartbeat_daemon_lease("a", later).await.unwrap());
    assert!(!store.heartbeat_daemon_lease("b", later).await.unwrap());
    let h = store.daemon_lease().await.unwrap().unwrap();
    assert_eq!((h.acquired_at, h.heartbeat_at), (t(0), later));
    // Stale heartbeat (a crash): taken over; the old owner has lost it.
    let much_later = later + Duration::seconds(61);
    let b = holder("b", 200, much_later);
    assert_eq!(
        store
            .acquire_daemon_lease(&b, much_later - stale_after, None)
            .await
            .unwrap(),
        LeaseOutcome::Acquired
    );
    assert!(!store.heartbeat_daemon_lease("a", much_later).await.unwrap());
    assert!(!store.release_daemon_lease("a").await.unwrap());
    // A holder known dead is replaced at once.
    let c = holder("c", 300, much_later);
    assert!(matches!(
        store
            .acquire_daemon_lease(&c, much_later - stale_after, None)
            .await
            .unwrap(),
        LeaseOutcome::Held(_)
    ));
    assert_eq!(
        store
            .acquire_daemon_lease(&c, much_later - stale_after, Some("b"))
            .await
            .unwrap(),
        LeaseOutcome::Acquired
    );
    // Released: free for anyone.
    assert!(store.release_daemon_lease("c").await.unwrap());
    assert_eq!(store.daemon_lease().await.unwrap(), None);
    assert_eq!(
        store
            .acquire_daemon_lease(&a, much_later - stale_after, None)
            .await
            .unwrap(),
        LeaseOutcome::Acquired
    );
}

pub(super) async fn job_locks_exclude_other_sessions(store: Store) {
    let first = store.try_lock_job("sync:s").await.unwrap().expect("free");
    let other_job = store.try_lock_job("sync:t").await.unwrap().expect("free");
    let second = store.try_lock_job("sync:s").await.unwrap();
    match store {
        // One daemon per file: nothing to exclude.
        Store::Sqlite(_) => assert!(second.is_some()),
        Store::Postgres(_) => {
            assert!(second.is_none(), "a second session must not get the lock");
            first.release().await.unwrap();
            let again = store
                .try_lock_job("sync:s")
                .await
                .unwrap()
                .expect("released");
            // Dropped without release (a panicking task): the server frees it with the
            // connection, once its backend sees the connection gone: polled, with a
            // deadline for a hang rather than a guess at how long that takes.
            drop(again);
            let wait = std::time::Duration::from_secs(120);
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                if let Some(l) = store.try_lock_job("sync:s").await.unwrap() {
                    l.release().await.unwrap();
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "a dropped lock must be freed: still held after {wait:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    other_job.release().await.unwrap();
}

/// Two `Store` handles (two pools, as two daemons would have) on one database: each slot is
/// claimed by exactly one of them, and (Postgres) a lock taken through one excludes the
/// other.
async fn two_handles(a: Store, b: Store) {
    let mut tasks = Vec::new();
    for slot in 0..5 {
        for (i, s) in [&a, &b, &a, &b].into_iter().enumerate() {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let owner = format!("daemon-{}", i % 2);
                (
                    slot,
                    s.claim_run("sync:s", t(slot), &owner, t(slot))
                        .await
                        .unwrap(),
                )
            }));
        }
    }
    let mut wins = [0; 5];
    for task in tasks {
        let (slot, won) = task.await.unwrap();
        wins[slot as usize] += usize::from(won);
    }
    assert_eq!(wins, [1; 5]);
    assert_eq!(
        a.recent_runs("sync:s", 10).await.unwrap(),
        b.recent_runs("sync:s", 10).await.unwrap()
    );
    if let Store::Postgres(_) = a {
        let lock = a.try_lock_job("digest:support").await.unwrap().unwrap();
        assert!(b.try_lock_job("digest:support").await.unwrap().is_none());
        lock.release().await.unwrap();
        b.try_lock_job("digest:support")
            .await
            .unwrap()
            .unwrap()
            .release()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn two_sqlite_handles_claim_each_slot_once() {
    let db = TestDb::sqlite();
    two_handles(db.open().await, db.open().await).await;
}

#[tokio::test]
async fn two_postgres_handles_claim_each_slot_once() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let (a, b) = (db.open().await, db.open().await);
    two_handles(a.clone(), b.clone()).await;
    a.close().await;
    b.close().await;
    db.cleanup().await;
}
