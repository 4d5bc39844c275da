//! A hand-made location synced through the whole pipeline by the kit's golden runner
//! (`sync_stream` → `Store` → `load_report_input` → `compute_report`; each sync twice) on
//! SQLite and, when `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres; every expected figure is
//! computed by hand below.
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
use crate::golden_db::Db;
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::prelude::ReviewCoverage;
use deskpulse_connector::testkit::{Golden, stars};
use deskpulse_connector_google_business_profile::GoogleBusinessProfile;
use deskpulse_metrics::{ComplaintsKpi, PlatformReviews, ReviewStats};
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

#[tokio::test]
async fn golden_report() {
    Golden::new("gbp", GoogleBusinessProfile::LIMITS)
        .run::<Db>(async |g| {
            let server = location().await;
            // The runner's second sync re-reads the 30-day window behind the bookmark (all of
            // it here): upserts, and the day's snapshot replaced by the same figures.
            g.sync(&connector(&server)).await;

            let r = g.report("2026-W46").await;
            let reviews = &r.kpis.reviews;
            let week = ReviewStats {
                // New reviews of the week: g1, g2, g3, g4, g5, g7 = 6 (g6 was written the
                // Sunday before).
                n: 6,
                // Mean: (5 + 1 + 2 + 4 + 3 + 5) / 6 = 20 / 6 = 3.333333 (six decimals).
                mean_rating: Some(3.333333),
                // 1★ g2, 2★ g3, 3★ g5, 4★ g4, 5★ g1 g7.
                distribution: stars([1, 1, 1, 1, 2]),
                // Negative (≤ 2): g2, g3 → 2 / 6.
                share_negative: Some(2.0 / 6.0),
                // Answered: g1, g2, g5, g7 → 4 / 6.
                share_answered: Some(4.0 / 6.0),
                // Reply times (created → the reply's last edit): 7200, 86400, 21600, 7200;
                // sorted [7200, 7200, 21600, 86400]; the R-7 median of four is (7200 +
                // 21600) / 2 = 14400.
                median_reply_seconds: Some(14400.0),
            };
            r.expect(&reviews.all, week.clone());
            // Unanswered: g3, g4; the negative one among them: g3.
            assert_eq!(reviews.unanswered, 2);
            assert_eq!(reviews.unanswered_negative_count, 1);
            assert_eq!(reviews.unanswered_negative[0].external_id, "g3");

            let platform = PlatformReviews {
                stats: week,
                // The location's own figures, from the sync's snapshot (Sun 12:00, before the
                // week's end); no snapshot before the week's start, so no change.
                overall_rating: Some(4.3),
                total_reviews: Some(128),
                overall_change: None,
                total_change: None,
                coverage: Some(ReviewCoverage::Full),
            };
            r.expect(&reviews.by_platform["google_business_profile"], platform);

            // Complaints: no tickets; negative reviews of the week g2 (1★) and g3 (2★) = 2
            // (g6's 1★ is the week before).
            let complaints = ComplaintsKpi {
                n: 2,
                value: 2,
                tickets: 0,
                reviews: 2,
                social: 0,
            };
            r.expect(&r.kpis.complaints, complaints);
        })
        .await;
}
