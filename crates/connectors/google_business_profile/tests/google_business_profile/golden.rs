//! A hand-made location synced through the whole pipeline (`sync_stream` → `Store` →
//! `load_report_input` → `compute_report`) on SQLite and, when
//! `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres; every expected figure is computed by hand
//! below.
//!
//! Period: ISO week 2026-W46 in UTC = [Mon 2026-11-09 00:00, Mon 2026-11-16 00:00). The
//! clock is pinned at Sun 2026-11-15 12:00, so the sync's snapshot is inside the week.
//!
//! | review | created          | stars | reply last edited | reply after |
//! |--------|------------------|-------|-------------------|-------------|
//! | g1     | Mon 11-09 10:00  | 5     | Mon 11-09 12:00   | 7200 s      |
//! | g2     | Tue 11-10 09:00  | 1     | Wed 11-11 09:00   | 86400 s     |
//! | g3     | Wed 11-11 15:00  | 2     | —                 |             |
//! | g4     | Thu 11-12 08:00  | 4     | — (rating only)   |             |
//! | g5     | Fri 11-13 20:00  | 3     | Sat 11-14 02:00   | 21600 s     |
//! | g6     | Sun 11-08 23:00  | 1     | Mon 11-09 01:00   | (week before) |
//! | g7     | Sun 11-15 09:00  | 5     | Sun 11-15 11:00   | 7200 s      |
//!
//! The location's own figures on the list: `averageRating` 4.3, `totalReviewCount` 128.

use crate::common::*;
use deskpulse_connector::prelude::ReviewCoverage;
use deskpulse_connector::{ConnectorFactory as _, NoProgress, SyncOptions, sync_stream};
use deskpulse_connector_google_business_profile::{
    GoogleBusinessProfile, GoogleBusinessProfileConnector,
};
use deskpulse_storage::testing::{TestDb, period_report};
use wiremock::MockServer;

async fn location() -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let rv =
        |id, stars, created: &str, reply: Option<&str>| review(id, stars, created, created, reply);
    // g4 is rating-only: no `comment` at all.
    let mut g4 = rv("g4", "FOUR", "2026-11-12T08:00:00Z", None);
    g4.as_object_mut().unwrap().remove("comment");
    // Newest update first, two pages.
    let page1 = vec![
        rv(
            "g7",
            "FIVE",
            "2026-11-15T09:00:00Z",
            Some("2026-11-15T11:00:00Z"),
        ),
        rv(
            "g5",
            "THREE",
            "2026-11-13T20:00:00Z",
            Some("2026-11-14T02:00:00Z"),
        ),
        g4,
    ];
    let page2 = vec![
        rv("g3", "TWO", "2026-11-11T15:00:00Z", None),
        rv(
            "g2",
            "ONE",
            "2026-11-10T09:00:00Z",
            Some("2026-11-11T09:00:00Z"),
        ),
        rv(
            "g1",
            "FIVE",
            "2026-11-09T10:00:00Z",
            Some("2026-11-09T12:00:00Z"),
        ),
        rv(
            "g6",
            "ONE",
            "2026-11-08T23:00:00Z",
            Some("2026-11-09T01:00:00Z"),
        ),
    ];
    list(None)
        .respond_with(ok(page(page1, 4.3, 128, Some("g-p2"))))
        .mount(&server)
        .await;
    list(Some("g-p2"))
        .respond_with(ok(page(page2, 4.3, 128, None)))
        .mount(&server)
        .await;
    server
}

async fn sync(c: &GoogleBusinessProfileConnector, store: &deskpulse_storage::Store) {
    sync_stream(
        c,
        "gbp",
        "reviews",
        store,
        &SyncOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap_or_else(|e| panic!("reviews: {e}"));
}

async fn golden(db: TestDb) {
    let server = location().await;
    let c = connector(&server);
    let store = db.open().await;
    sync(&c, &store).await;
    // The next sync re-reads the 30-day window behind the bookmark (all of it here): upserts,
    // and the day's snapshot replaced by the same figures.
    let before = store.dump().await.unwrap();
    sync(&c, &store).await;
    assert_eq!(
        store.dump().await.unwrap(),
        before,
        "an incremental sync is idempotent"
    );

    let r = period_report(&store, "gbp", "2026-W46", GoogleBusinessProfile::LIMITS).await;
    let reviews = &r.kpis.reviews;
    // New reviews of the week: g1, g2, g3, g4, g5, g7 = 6 (g6 was written the Sunday before).
    assert_eq!(reviews.all.n, 6);
    // Mean: (5 + 1 + 2 + 4 + 3 + 5) / 6 = 20 / 6 = 3.333333 (six decimals).
    assert_eq!(reviews.all.mean_rating, Some(3.333333));
    // Distribution: 1★ g2, 2★ g3, 3★ g5, 4★ g4, 5★ g1 g7.
    let dist: Vec<(String, u64)> = reviews.all.distribution.clone().into_iter().collect();
    assert_eq!(
        dist,
        [("1", 1), ("2", 1), ("3", 1), ("4", 1), ("5", 2)].map(|(s, n)| (s.to_owned(), n))
    );
    // Negative (≤ 2): g2, g3 → 2 / 6.
    assert_eq!(reviews.all.share_negative, Some(2.0 / 6.0));
    // Answered: g1, g2, g5, g7 → 4 / 6.
    assert_eq!(reviews.all.share_answered, Some(4.0 / 6.0));
    // Reply times (created → the reply's last edit): 7200, 86400, 21600, 7200; sorted
    // [7200, 7200, 21600, 86400]; the R-7 median of four is (7200 + 21600) / 2 = 14400.
    assert_eq!(reviews.all.median_reply_seconds, Some(14400.0));
    // Unanswered: g3, g4; the negative one among them: g3.
    assert_eq!(reviews.unanswered, 2);
    assert_eq!(reviews.unanswered_negative_count, 1);
    assert_eq!(reviews.unanswered_negative[0].external_id, "g3");

    let p = &reviews.by_platform["google_business_profile"];
    assert_eq!(p.n, 6);
    assert_eq!(p.mean_rating, Some(3.333333));
    assert_eq!(p.median_reply_seconds, Some(14400.0));
    // The location's own figures, from the sync's snapshot (Sun 12:00, before the week's
    // end); no snapshot before the week's start, so no change.
    assert_eq!(p.overall_rating, Some(4.3));
    assert_eq!(p.total_reviews, Some(128));
    assert_eq!(p.overall_change, None);
    assert_eq!(p.total_change, None);
    assert_eq!(p.coverage, Some(ReviewCoverage::Full));

    // Complaints: no tickets; negative reviews of the week g2 (1★) and g3 (2★) = 2 (g6's 1★
    // is the week before).
    assert_eq!(r.kpis.complaints.reviews, 2);
    assert_eq!(r.kpis.complaints.tickets, 0);
    assert_eq!(r.kpis.complaints.value, 2);

    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn golden_report_on_sqlite() {
    golden(TestDb::sqlite()).await;
}

#[tokio::test]
async fn golden_report_on_postgres() {
    // Skipped, with a note on stderr, when DESKPULSE_TEST_POSTGRES_URL is unset.
    if let Some(db) = TestDb::postgres().await {
        golden(db).await;
    }
}
