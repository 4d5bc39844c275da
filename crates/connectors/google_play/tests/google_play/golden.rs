//! A hand-made week of Google Play reviews, synced through the whole pipeline
//! (`sync_stream` → `Store` → `load_report_input` → `compute_report`) on SQLite and, when
//! `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres. Every expected value is computed by hand
//! below.
//!
//! Period: ISO week 2026-W46 in UTC = [Mon 2026-11-09 00:00, Mon 2026-11-16 00:00). The
//! clock is pinned at Sun 2026-11-15 12:00 (the snapshot's `observed_at`, inside the week).
//!
//! | review | stars | created (userComment.lastModified) | reply (developerComment.lastModified) |
//! |--------|-------|------------------------------------|---------------------------------------|
//! | gp:a   | 5     | Mon 11-09 10:00                    | Mon 11-09 12:00 (7 200 s)             |
//! | gp:b   | 1     | Tue 11-10 08:00                    | Wed 11-11 08:00 (86 400 s)            |
//! | gp:c   | 2     | Thu 11-12 09:00                    | —                                     |
//! | gp:d   | 4     | Fri 11-13 15:00                    | Fri 11-13 15:30 (1 800 s)             |
//! | gp:e   | 3     | Sun 11-08 23:00 (the week before)  | Mon 11-09 09:00                       |
//! | gp:f   | 5     | Sat 11-14 10:00                    | —                                     |
//!
//! Served newest first on two pages: [f, d, c] (next token `p2`), then [b, a, e].

use crate::common::*;
use deskpulse_connector::prelude::*;
use deskpulse_connector::{NoProgress, SyncOptions, sync_stream};
use deskpulse_connector_google_play::{GooglePlay, GooglePlayConnector};
use deskpulse_storage::testing::{TestDb, period_report};
use wiremock::MockServer;

async fn account() -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let d = |s: &str| format!("2026-11-{s}:00Z");
    let page1 = page(
        vec![
            review("gp:f", 5, "Love it", &d("14T10:00"), None),
            review(
                "gp:d",
                4,
                "Good, one bug",
                &d("13T15:00"),
                Some(("Fixed in 5.5", &d("13T15:30"))),
            ),
            review("gp:c", 2, "Slow sync", &d("12T09:00"), None),
        ],
        Some("p2"),
    );
    let page2 = page(
        vec![
            review(
                "gp:b",
                1,
                "\tLost my data",
                &d("10T08:00"),
                Some(("We restored it", &d("11T08:00"))),
            ),
            review(
                "gp:a",
                5,
                "Great",
                &d("09T10:00"),
                Some(("Thanks!", &d("09T12:00"))),
            ),
            review(
                "gp:e",
                3,
                "Fine",
                &d("08T23:00"),
                Some(("Thanks", &d("09T09:00"))),
            ),
        ],
        None,
    );
    mount_page(&server, None, page1).await;
    mount_page(&server, Some("p2"), page2).await;
    server
}

async fn sync(c: &GooglePlayConnector, store: &deskpulse_storage::Store) {
    sync_stream(
        c,
        "src",
        "reviews",
        store,
        &SyncOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap_or_else(|e| panic!("reviews: {e}"));
}

/// The API has no creation time and gives only a reply's last edit. A later sync sees two
/// edits: c's author rewrote it on Mon 11-16 10:00 (and got a reply at 11:00), d's reply was
/// edited on Sat 11-14 09:00.
async fn edits(server: &MockServer, c: &GooglePlayConnector, store: &deskpulse_storage::Store) {
    server.reset().await;
    mount_token(server).await;
    let d = |s: &str| format!("2026-11-{s}:00Z");
    let edited = page(
        vec![
            review(
                "gp:c",
                2,
                "Slow sync, still",
                &d("16T10:00"),
                Some(("Looking into it", &d("16T11:00"))),
            ),
            review("gp:f", 5, "Love it", &d("14T10:00"), None),
            review(
                "gp:d",
                4,
                "Good, one bug",
                &d("13T15:00"),
                Some(("Fixed in 5.5 (edited)", &d("14T09:00"))),
            ),
            review(
                "gp:b",
                1,
                "\tLost my data",
                &d("10T08:00"),
                Some(("We restored it", &d("11T08:00"))),
            ),
            review(
                "gp:a",
                5,
                "Great",
                &d("09T10:00"),
                Some(("Thanks!", &d("09T12:00"))),
            ),
        ],
        None,
    );
    mount_page(server, None, edited).await;
    sync(c, store).await;

    let r = period_report(store, "src", "2026-W46", GooglePlay::LIMITS).await;
    let rv = &r.kpis.reviews;
    // c's edit moved its `created_at` out of the week: a, b, d, f = 4, mean (5 + 1 + 4 + 5)
    // / 4 = 3.75, negative b = 1 / 4 = 0.25, answered a, b, d = 3 / 4 = 0.75.
    assert_eq!(rv.all.n, 4);
    assert_eq!(rv.all.mean_rating, Some(3.75));
    assert_eq!(rv.all.share_negative, Some(0.25));
    assert_eq!(rv.all.share_answered, Some(0.75));
    // d's edited reply (Sat 09:00) keeps the earliest time a sync saw (Fri 15:30): reply
    // times stay [1 800, 7 200, 86 400] s, median 7 200 s; its text is the edited one.
    assert_eq!(rv.all.median_reply_seconds, Some(7200.0));
    assert_eq!(r.kpis.complaints.reviews, 1);
    let stored = store.dump().await.unwrap();
    assert!(
        stored.iter().any(|l| l.contains("Fixed in 5.5 (edited)")),
        "{stored:#?}"
    );

    // Next week: c alone, created Mon 10:00, answered 11:00 → 3 600 s.
    let r = period_report(store, "src", "2026-W47", GooglePlay::LIMITS).await;
    let rv = &r.kpis.reviews;
    assert_eq!(rv.all.n, 1);
    assert_eq!(rv.all.mean_rating, Some(2.0));
    assert_eq!(rv.all.median_reply_seconds, Some(3600.0));
    assert_eq!(r.kpis.complaints.reviews, 1);
    assert_eq!(
        rv.by_platform["google_play"].coverage,
        Some(ReviewCoverage::RecentWindow)
    );
}

async fn golden(db: TestDb) {
    let server = account().await;
    let c = connector(&server);
    let store = db.open().await;
    sync(&c, &store).await;
    // The next sync reads the same window again: upserts by review id change nothing.
    let before = store.dump().await.unwrap();
    sync(&c, &store).await;
    assert_eq!(
        store.dump().await.unwrap(),
        before,
        "a re-sync is idempotent"
    );

    let r = period_report(&store, "src", "2026-W46", GooglePlay::LIMITS).await;
    let rv = &r.kpis.reviews;
    // New reviews in the week: a, b, c, d, f = 5 (e was written the week before).
    assert_eq!(rv.all.n, 5);
    // Mean: (5 + 1 + 2 + 4 + 5) / 5 = 17 / 5 = 3.4.
    assert_eq!(rv.all.mean_rating, Some(3.4));
    // Distribution: 1★ b; 2★ c; 3★ none (e is outside); 4★ d; 5★ a, f.
    let dist: Vec<(&str, u64)> = rv
        .all
        .distribution
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(dist, [("1", 1), ("2", 1), ("3", 0), ("4", 1), ("5", 2)]);
    // Negative (≤ 2 stars): b, c → 2 / 5 = 0.4.
    assert_eq!(rv.all.share_negative, Some(0.4));
    // Answered: a, b, d → 3 / 5 = 0.6.
    assert_eq!(rv.all.share_answered, Some(0.6));
    // Reply times: d 1 800 s, a 7 200 s, b 86 400 s → median (R-7, n = 3) = 7 200 s.
    assert_eq!(rv.all.median_reply_seconds, Some(7200.0));
    // Unanswered: c, f = 2; unanswered negative: c alone.
    assert_eq!(rv.unanswered, 2);
    assert_eq!(rv.unanswered_negative_count, 1);
    assert_eq!(rv.unanswered_negative[0].external_id, "gp:c");
    // Worst first: b (1★), then c (2★).
    let worst: Vec<&str> = rv.worst.iter().map(|q| q.external_id.as_str()).collect();
    assert_eq!(worst, ["gp:b", "gp:c"]);
    assert_eq!(rv.worst[0].text.as_deref(), Some("\tLost my data"));

    // The platform's row: the same five reviews; no overall figures (Google Play exposes
    // none), the coverage from the snapshot of Sun 12:00.
    let gp = &rv.by_platform["google_play"];
    assert_eq!(gp.n, 5);
    assert_eq!(gp.mean_rating, Some(3.4));
    assert_eq!(gp.share_answered, Some(0.6));
    assert_eq!(gp.median_reply_seconds, Some(7200.0));
    assert_eq!(gp.overall_rating, None);
    assert_eq!(gp.total_reviews, None);
    assert_eq!(gp.coverage, Some(ReviewCoverage::RecentWindow));
    assert_eq!(rv.by_platform.len(), 1);

    // Complaints: no tickets; negative reviews of the week b, c = 2.
    assert_eq!(r.kpis.complaints.reviews, 2);
    assert_eq!(r.kpis.complaints.tickets, 0);
    assert_eq!(r.kpis.complaints.value, 2);

    edits(&server, &c, &store).await;
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn golden_week_on_sqlite() {
    golden(TestDb::sqlite()).await;
}

#[tokio::test]
async fn golden_week_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        golden(db).await;
    }
}
