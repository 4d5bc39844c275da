//! A small hand-built Trustpilot business unit, synced through the whole pipeline by the
//! kit's golden runner (`sync_stream` → `Store` → report; each sync twice, the second
//! changing nothing), on SQLite and, when `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres.
//! Every expected value is computed by hand below.
//!
//! Period: ISO week 2026-W46 in UTC = [Mon 2026-11-09 00:00, Mon 2026-11-16 00:00). The
//! connector's clock is pinned at Fri 11-13 12:00, so the snapshot falls inside the week.
//!
//! | review | stars | created              | company reply (first publication)         |
//! |--------|-------|----------------------|-------------------------------------------|
//! | g7     | 5     | Fri 11-13 09:00      | none                                      |
//! | g6     | 1     | Thu 11-12 10:00      | Thu 11-12 12:00 (7 200 s)                 |
//! | g5     | 4     | Wed 11-11 08:00 (naive `2026-11-11T08:00:00`) | Wed 11-11 09:00 (3 600 s), edited 11-13 |
//! | g4     | 2     | Tue 11-10 15:00      | none; on the second sync: Wed 11-11 15:00 (86 400 s) |
//! | g3     | 3     | Mon 11-09 00:00      | Tue 11-10 00:00 (86 400 s)                |
//! | g2     | 1     | Sun 11-08 23:59:59 (the week before) | Mon 11-09 10:00           |
//! | g1     | 5     | Mon 11-02 10:00 (the week before)    | none                      |
//!
//! Business unit: the documented fixture, `score.stars` 4.5, `numberOfReviews.total` 1843.
//! Pages of three, newest first: [g7 g6 g5] [g4 g3 g2] [g1].

use crate::common::*;
use crate::golden_db::Db;
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::testkit::{Golden, stars};
use deskpulse_connector_trustpilot::{Trustpilot, TrustpilotConnector, TrustpilotSettings};
use deskpulse_metrics::{ComplaintsKpi, PlatformReviews, ReviewStats};
use deskpulse_model::ReviewCoverage;
use serde_json::{Value, json};
use wiremock::MockServer;

/// The reviews, newest first; `g4_answered` adds g4's late reply.
fn account(g4_answered: bool) -> Vec<Vec<Value>> {
    let mut g5 = review(
        "g5",
        4,
        "2026-11-11T08:00:00",
        Some(("Glad to hear", "2026-11-11T09:00:00Z")),
    );
    g5["companyReply"]["updatedAt"] = json!("2026-11-13T08:00:00Z");
    let g4_reply = g4_answered.then_some(("We are on it", "2026-11-11T15:00:00Z"));
    vec![
        vec![
            review("g7", 5, "2026-11-13T09:00:00Z", None),
            review(
                "g6",
                1,
                "2026-11-12T10:00:00Z",
                Some(("Sorry!", "2026-11-12T12:00:00Z")),
            ),
            g5,
        ],
        vec![
            review("g4", 2, "2026-11-10T15:00:00Z", g4_reply),
            review(
                "g3",
                3,
                "2026-11-09T00:00:00Z",
                Some(("Thanks", "2026-11-10T00:00:00Z")),
            ),
            review(
                "g2",
                1,
                "2026-11-08T23:59:59Z",
                Some(("Sorry", "2026-11-09T10:00:00Z")),
            ),
        ],
        vec![review("g1", 5, "2026-11-02T10:00:00Z", None)],
    ]
}

async fn serve(server: &MockServer, g4_answered: bool) {
    server.reset().await;
    business_unit()
        .respond_with(documented_business_unit())
        .mount(server)
        .await;
    mount_public(server, 3, account(g4_answered)).await;
}

fn connector(server: &MockServer) -> TrustpilotConnector {
    connector_with(TrustpilotSettings {
        page_size: Some(3),
        ..settings(server)
    })
}

#[tokio::test]
async fn golden_week() {
    Golden::new("src", Trustpilot::LIMITS)
        .run::<Db>(async |g| {
            let server = MockServer::start().await;
            serve(&server, false).await;
            let c = connector(&server);
            g.sync(&c).await;
            let r = g.report("2026-W46").await;
            let k = &r.kpis.reviews;
            let week = ReviewStats {
                // New in the week: g7, g6, g5, g4, g3 = 5 (g2 is one second before Monday,
                // g1 a week before).
                n: 5,
                // Mean: (5 + 1 + 4 + 2 + 3) / 5 = 15 / 5 = 3.
                mean_rating: Some(3.0),
                // One review of each star.
                distribution: stars([1, 1, 1, 1, 1]),
                // Negative (≤ 2): g6, g4 = 2 / 5.
                share_negative: Some(0.4),
                // Answered: g6, g5, g3 = 3 / 5.
                share_answered: Some(0.6),
                // Reply times (first publication): g5 3 600, g6 7 200, g3 86 400 → median
                // 7 200 (g5's edit on 11-13 is not its reply time).
                median_reply_seconds: Some(7200.0),
            };
            r.expect(&k.all, week.clone());
            // Unanswered negative: g4.
            assert_eq!(k.unanswered_negative_count, 1);
            let platform = PlatformReviews {
                stats: week,
                // The platform's own figures: the snapshot of Fri 11-13 12:00 (before the
                // week's end).
                overall_rating: Some(4.5),
                total_reviews: Some(1843),
                // No snapshot before the week: no change is made up.
                overall_change: None,
                total_change: None,
                coverage: Some(ReviewCoverage::Full),
            };
            r.expect(&k.by_platform["trustpilot"], platform.clone());
            // Complaints: the negative reviews of the week, g6 and g4 = 2 (no tickets).
            let complaints = ComplaintsKpi {
                n: 2,
                value: 2,
                tickets: 0,
                reviews: 2,
                social: 0,
            };
            r.expect(&r.kpis.complaints, complaints.clone());

            // g4 gets its reply after the first sync. The next sync re-reads from the
            // bookmark (g7, 11-13 09:00) − 30 days = 10-14 09:00: every page again, g4's
            // reply is seen; re-reads are upserts, nothing counts twice.
            serve(&server, true).await;
            g.sync(&c).await;
            let r = g.report("2026-W46").await;
            let k = &r.kpis.reviews;
            let week = ReviewStats {
                // Answered: g6, g5, g4, g3 = 4 / 5.
                share_answered: Some(0.8),
                // Reply times sorted: 3 600, 7 200, 86 400 (g4), 86 400 (g3); R-7 median =
                // (7 200 + 86 400) / 2 = 46 800.
                median_reply_seconds: Some(46800.0),
                ..platform.stats.clone()
            };
            r.expect(&k.all, week.clone());
            assert_eq!(k.unanswered_negative_count, 0);
            r.expect(
                &k.by_platform["trustpilot"],
                PlatformReviews {
                    stats: week,
                    ..platform
                },
            );
            r.expect(&r.kpis.complaints, complaints);
        })
        .await;
}
