//! A hand-made week of Google Play reviews, synced through the whole pipeline by the kit's
//! golden runner (`sync_stream` → `Store` → `load_report_input` → `compute_report`; each
//! sync twice: the same window read again, upserts by review id change nothing) on SQLite
//! and, when `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres. Every expected value is
//! computed by hand below.
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
use crate::golden_db::Db;
use deskpulse_connector::prelude::*;
use deskpulse_connector::testkit::{Golden, GoldenRun, stars};
use deskpulse_connector_google_play::{GooglePlay, GooglePlayConnector};
use deskpulse_metrics::{ComplaintsKpi, PlatformReviews, ReviewStats};
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

/// The API has no creation time and gives only a reply's last edit. A later sync sees two
/// edits: c's author rewrote it on Mon 11-16 10:00 (and got a reply at 11:00), d's reply was
/// edited on Sat 11-14 09:00.
async fn edits(server: &MockServer, c: &GooglePlayConnector, g: &GoldenRun<Db>) {
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
    g.sync(c).await;

    let r = g.report("2026-W46").await;
    let rv = &r.kpis.reviews;
    let week = ReviewStats {
        // c's edit moved its `created_at` out of the week: a, b, d, f = 4.
        n: 4,
        // Mean (5 + 1 + 4 + 5) / 4 = 3.75.
        mean_rating: Some(3.75),
        distribution: stars([1, 0, 0, 1, 2]),
        // Negative b = 1 / 4 = 0.25.
        share_negative: Some(0.25),
        // Answered a, b, d = 3 / 4 = 0.75.
        share_answered: Some(0.75),
        // d's edited reply (Sat 09:00) keeps the earliest time a sync saw (Fri 15:30): reply
        // times stay [1 800, 7 200, 86 400] s, median 7 200 s; its text is the edited one.
        median_reply_seconds: Some(7200.0),
    };
    r.expect(&rv.all, week);
    assert_eq!(r.kpis.complaints.reviews, 1);
    g.assert_stored("Fixed in 5.5 (edited)").await;

    // Next week: c alone, created Mon 10:00, answered 11:00 → 3 600 s.
    let r = g.report("2026-W47").await;
    let rv = &r.kpis.reviews;
    let next_week = ReviewStats {
        n: 1,
        mean_rating: Some(2.0),
        distribution: stars([0, 1, 0, 0, 0]),
        share_negative: Some(1.0),
        share_answered: Some(1.0),
        median_reply_seconds: Some(3600.0),
    };
    r.expect(&rv.all, next_week);
    assert_eq!(r.kpis.complaints.reviews, 1);
    assert_eq!(
        rv.by_platform["google_play"].coverage,
        Some(ReviewCoverage::RecentWindow)
    );
}

#[tokio::test]
async fn golden_week() {
    Golden::new("src", GooglePlay::LIMITS)
        .run::<Db>(async |g| {
            let server = account().await;
            let c = connector(&server);
            g.sync(&c).await;

            let r = g.report("2026-W46").await;
            let rv = &r.kpis.reviews;
            let week = ReviewStats {
                // New reviews in the week: a, b, c, d, f = 5 (e was written the week before).
                n: 5,
                // Mean: (5 + 1 + 2 + 4 + 5) / 5 = 17 / 5 = 3.4.
                mean_rating: Some(3.4),
                // 1★ b; 2★ c; 3★ none (e is outside); 4★ d; 5★ a, f.
                distribution: stars([1, 1, 0, 1, 2]),
                // Negative (≤ 2 stars): b, c → 2 / 5 = 0.4.
                share_negative: Some(0.4),
                // Answered: a, b, d → 3 / 5 = 0.6.
                share_answered: Some(0.6),
                // Reply times: d 1 800 s, a 7 200 s, b 86 400 s → median (R-7, n = 3) =
                // 7 200 s.
                median_reply_seconds: Some(7200.0),
            };
            r.expect(&rv.all, week.clone());
            // Unanswered: c, f = 2; unanswered negative: c alone.
            assert_eq!(rv.unanswered, 2);
            assert_eq!(rv.unanswered_negative_count, 1);
            assert_eq!(rv.unanswered_negative[0].external_id, "gp:c");
            // Worst first: b (1★), then c (2★).
            let worst: Vec<&str> = rv.worst.iter().map(|q| q.external_id.as_str()).collect();
            assert_eq!(worst, ["gp:b", "gp:c"]);
            assert_eq!(rv.worst[0].text.as_deref(), Some("\tLost my data"));

            // The platform's row: the same five reviews; no overall figures (Google Play
            // exposes none), the coverage from the snapshot of Sun 12:00.
            let platform = PlatformReviews {
                stats: week,
                overall_rating: None,
                total_reviews: None,
                overall_change: None,
                total_change: None,
                coverage: Some(ReviewCoverage::RecentWindow),
            };
            r.expect(&rv.by_platform["google_play"], platform);
            assert_eq!(rv.by_platform.len(), 1);

            // Complaints: no tickets; negative reviews of the week b, c = 2.
            let complaints = ComplaintsKpi {
                n: 2,
                value: 2,
                tickets: 0,
                reviews: 2,
                social: 0,
            };
            r.expect(&r.kpis.complaints, complaints);

            edits(&server, &c, g).await;
        })
        .await;
}
