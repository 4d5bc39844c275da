//! Holding a due digest while a source of the team is not complete through the period's
//! end: held (not claimed) while it is late, sent once it is complete, sent anyway when
//! the hold runs out — and on two daemons sharing one Postgres, sent exactly once.

use super::*;

/// The team of these tests: weekly on Mondays 08:00 Berlin, source `zd`, a 6 h hold.
fn team() -> TeamSchedule {
    let mut t =
        TeamSchedule::weekly("support", Berlin, "0 0 8 * * Mon", vec!["zd".into()]).unwrap();
    t.hold_max = std::time::Duration::from_secs(6 * 3600);
    t
}

/// W48 (Berlin) ends at 2026-11-29T23:00:00Z; its digest is due 2026-11-30T07:00:00Z.
const W48_END: &str = "2026-11-29T23:00:00Z";

fn held(job: &str, until: &str) -> DaemonEvent {
    DaemonEvent::Held {
        job: job.to_owned(),
        period: "2026-W48".into(),
        late: vec!["zd".into()],
        until: utc(until),
    }
}

async fn held_until_complete(store: Store) {
    let job = digest_job("support");
    // A first sync still running: its streams registered, one read to its end.
    store
        .register_streams("zd", &["tickets", "ticket_events"])
        .await
        .unwrap();
    store
        .record_stream_complete(
            "zd",
            "tickets",
            utc("2026-11-30T06:50:00Z"),
            utc("2026-11-30T06:55:00Z"),
        )
        .await
        .unwrap();
    let clock = ManualClock::new(utc("2026-11-30T06:59:50Z"));
    let fake = Fake::new(&[]);
    let s = Settings::new(vec![], vec![team()]);
    let mut h = Harness::start(store.clone(), &clock, fake.clone(), s).await;
    // The hold runs from the first due instant of the period.
    clock.set(utc("2026-11-30T07:00:10Z"));
    assert_eq!(h.tick().await, [held(&job, "2026-11-30T13:00:00Z")]);
    for _ in 0..3 {
        assert_eq!(
            h.advance_and_tick(Duration::minutes(20)).await,
            [held(&job, "2026-11-30T13:00:00Z")]
        );
    }
    assert!(fake.digests().is_empty(), "no digest while held");
    assert!(
        store.recent_runs(&job, 5).await.unwrap().is_empty(),
        "a held digest is not claimed"
    );
    // The first sync completes: the next tick sends W48, once.
    store
        .record_stream_complete(
            "zd",
            "ticket_events",
            utc("2026-11-30T07:55:00Z"),
            utc("2026-11-30T08:05:00Z"),
        )
        .await
        .unwrap();
    let d = h.advance_and_tick(Duration::minutes(20)).await;
    assert!(
        matches!(&d[..], [DaemonEvent::Started { job: j, .. }] if *j == job),
        "{d:?}"
    );
    h.wait_finished(&job).await;
    assert_eq!(
        h.advance_and_tick(Duration::minutes(20)).await,
        [DaemonEvent::NotDue { job: job.clone() }]
    );
    h.stop().await.unwrap();
    assert_eq!(
        fake.digests(),
        [("support".to_owned(), "2026-W48".to_owned(), vec![])]
    );
}

#[tokio::test]
async fn a_digest_waits_for_a_late_source_on_sqlite() {
    held_until_complete(TestDb::sqlite().open().await).await;
}

#[tokio::test]
async fn a_digest_waits_for_a_late_source_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    held_until_complete(db.open().await).await;
}

/// A source that never synced: held for `hold_max`, then sent (the digest job renders the
/// banner); a source complete through the period's end holds nothing.
#[tokio::test]
async fn the_hold_runs_out_and_a_complete_source_holds_nothing() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let job = digest_job("support");
    let clock = ManualClock::new(utc("2026-11-30T06:59:50Z"));
    let fake = Fake::new(&[]);
    let mut h = Harness::start(
        store.clone(),
        &clock,
        fake.clone(),
        Settings::new(vec![], vec![team()]),
    )
    .await;
    clock.set(utc("2026-11-30T07:00:10Z"));
    assert_eq!(h.tick().await, [held(&job, "2026-11-30T13:00:00Z")]);
    clock.set(utc("2026-11-30T12:59:59Z"));
    assert_eq!(h.tick().await, [held(&job, "2026-11-30T13:00:00Z")]);
    clock.set(utc("2026-11-30T13:00:00Z"));
    let d = h.tick().await;
    assert!(
        matches!(&d[..], [DaemonEvent::Started { job: j, .. }] if *j == job),
        "{d:?}"
    );
    h.wait_finished(&job).await;
    // W49: zd is complete through its end at the due instant: no hold.
    store.register_streams("zd", &["tickets"]).await.unwrap();
    store
        .record_stream_complete(
            "zd",
            "tickets",
            utc("2026-12-07T06:59:00Z"),
            utc("2026-12-07T07:00:00Z"),
        )
        .await
        .unwrap();
    clock.set(utc("2026-12-07T07:00:10Z"));
    let d = h.tick().await;
    assert!(
        matches!(&d[..], [DaemonEvent::Started { job: j, .. }] if *j == job),
        "{d:?}"
    );
    h.wait_finished(&job).await;
    h.stop().await.unwrap();
    let periods: Vec<String> = fake.digests().into_iter().map(|d| d.1).collect();
    assert_eq!(periods, ["2026-W48", "2026-W49"]);
    // A complete-through exactly at the period's end is complete.
    let f = store.freshness(&["zd".into()]).await.unwrap();
    assert!(f[0].is_complete_through(utc(W48_END)));
}

/// Two daemons on one Postgres: both hold while the source is late; once it is complete,
/// exactly one of them sends the digest.
#[tokio::test]
async fn two_daemons_hold_then_send_once_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.open().await;
    let job = digest_job("support");
    store.register_streams("zd", &["tickets"]).await.unwrap();
    let clock = ManualClock::new(utc("2026-11-30T06:59:50Z"));
    let (fa, fb) = (Fake::new(&[]), Fake::new(&[]));
    let mut a = Harness::start(
        store.clone(),
        &clock,
        fa.clone(),
        Settings::new(vec![], vec![team()]),
    )
    .await;
    let mut b = Harness::start(
        db.open().await,
        &clock,
        fb.clone(),
        Settings::new(vec![], vec![team()]),
    )
    .await;
    clock.set(utc("2026-11-30T07:00:10Z"));
    let (da, db_) = tokio::join!(a.tick(), b.tick());
    assert_eq!(da, [held(&job, "2026-11-30T13:00:00Z")]);
    assert_eq!(db_, [held(&job, "2026-11-30T13:00:00Z")]);
    store
        .record_stream_complete(
            "zd",
            "tickets",
            utc("2026-11-30T07:10:00Z"),
            utc("2026-11-30T07:11:00Z"),
        )
        .await
        .unwrap();
    clock.set(utc("2026-11-30T07:15:00Z"));
    let (da, db_) = tokio::join!(a.tick(), b.tick());
    let started = [&da, &db_]
        .iter()
        .filter(|d| matches!(&d[..], [DaemonEvent::Started { .. }]))
        .count();
    assert_eq!(started, 1, "one daemon sends: {da:?} {db_:?}");
    for h in [&mut a, &mut b] {
        h.wait_idle(&[]).await;
        h.stop().await.unwrap();
    }
    assert_eq!(fa.digests().len() + fb.digests().len(), 1);
    assert_eq!(store.recent_runs(&job, 5).await.unwrap().len(), 1);
}
