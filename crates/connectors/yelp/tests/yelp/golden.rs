//! A hand-built Yelp business synced through the whole pipeline by the kit's golden runner
//! (`sync_stream` → `Store` → `load_report_input` → `compute_report`), on SQLite and, when
//! `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres. Every expected value is computed by hand
//! below.
//!
//! Period: ISO week 2026-W46 in UTC = [Mon 2026-11-09 00:00, Mon 2026-11-16 00:00).
//!
//! Three syncs, each done twice by the runner (the second changing nothing), each reading
//! the business details (Yelp's recorded answer, with `rating` and
//! `review_count` changed where noted) and the same three excerpts:
//!
//! | sync | clock (UTC)      | business rating / review_count        |
//! |------|------------------|---------------------------------------|
//! | 1    | Fri 11-06 12:00  | 2.5 / 8400 (the week before)          |
//! | 2    | Thu 11-12 12:00  | 2.0 / 8422 (the recording, unchanged) |
//! | 3    | Tue 11-17 09:00  | 4.0 / 8430 (after the week)           |
//!
//! Excerpts (`time_created` is Pacific time; on these November days, after daylight saving
//! ended on Sun 11-01, that is PST = UTC−8):
//!
//! | id     | stars | time_created        | UTC              | in W46? |
//! |--------|-------|---------------------|------------------|---------|
//! | y-sun1 | 2     | 2026-11-08 20:00:00 | Mon 11-09 04:00  | yes     |
//! | y-wed  | 5     | 2026-11-11 09:30:00 | Wed 11-11 17:30  | yes     |
//! | y-sun2 | 1     | 2026-11-15 19:30:00 | Mon 11-16 03:30  | no      |

use crate::common::*;
use crate::golden_db::Db;
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::testkit::{Golden, GoldenRun, stars};
use deskpulse_connector_yelp::Yelp;
use deskpulse_metrics::{ComplaintsKpi, PlatformReviews, ReviewStats};
use deskpulse_model::ReviewCoverage;
use serde_json::{Value, json};
use wiremock::MockServer;

fn business(rating: f64, count: u64) -> Value {
    let mut b = recorded_business();
    b["rating"] = json!(rating);
    b["review_count"] = json!(count);
    b
}

fn excerpts() -> Value {
    let r = |id: &str, stars: u8, at: &str| {
        json!({
            "id": id,
            "url": format!("https://www.yelp.com/biz/yelp-san-francisco?hrid={id}"),
            "text": format!("Excerpt of {id}..."),
            "rating": stars,
            "time_created": at,
            "user": {"id": format!("u-{id}"), "profile_url": null, "image_url": null, "name": "A. Reviewer"},
        })
    };
    json!({
        "reviews": [
            r("y-sun1", 2, "2026-11-08 20:00:00"),
            r("y-wed", 5, "2026-11-11 09:30:00"),
            r("y-sun2", 1, "2026-11-15 19:30:00"),
        ],
        "total": 8422,
        "possible_languages": ["en"],
    })
}

/// One sync of both streams at `at` (a repeated sync the same day replaces the day's
/// snapshot and upserts the excerpts), Yelp answering `business`.
async fn sync_at(g: &GoldenRun<Db>, server: &MockServer, at: &str, business: Value) {
    server.reset().await;
    mount_json(server, &business_path(ALIAS), business).await;
    mount_json(server, &reviews_path(ALIAS), excerpts()).await;
    g.sync(&connector_with(
        settings_at(&server.uri(), API_KEY),
        utc(at),
    ))
    .await;
}

#[tokio::test]
async fn golden_report() {
    Golden::new("src", Yelp::LIMITS)
        .run::<Db>(async |g| {
            let server = MockServer::start().await;
            sync_at(g, &server, "2026-11-06T12:00:00Z", business(2.5, 8400)).await;
            sync_at(g, &server, "2026-11-12T12:00:00Z", recorded_business()).await;
            sync_at(g, &server, "2026-11-17T09:00:00Z", business(4.0, 8430)).await;

            let r = g.report("2026-W46").await;
            let reviews = &r.kpis.reviews;
            let sample = ReviewStats {
                // New Yelp excerpts in the week: y-sun1 (2★, Mon 04:00 UTC) and y-wed (5★);
                // y-sun2 is Sunday evening in Pacific time but Monday 11-16 03:30 UTC, the
                // next week. n = 2.
                n: 2,
                // Mean of the sample (not the business's rating): (2 + 5) / 2 = 3.5.
                mean_rating: Some(3.5),
                distribution: stars([0, 1, 0, 0, 1]),
                // Negative (≤ 2★): y-sun1 → 1 / 2.
                share_negative: Some(0.5),
                // Yelp's REST API gives no replies: unknown, not 0 % answered.
                share_answered: None,
                median_reply_seconds: None,
            };
            let yelp = PlatformReviews {
                stats: sample,
                // Yelp's own figures at the week's end: the last snapshot before Mon 11-16,
                // sync 2's (sync 3 is after the end): 2.0 over 8422 reviews; at the start,
                // sync 1's 2.5 / 8400: change 2.0 − 2.5 = −0.5 and 8422 − 8400 = +22.
                overall_rating: Some(2.0),
                total_reviews: Some(8422),
                overall_change: Some(-0.5),
                total_change: Some(22),
                coverage: Some(ReviewCoverage::AggregateSample),
            };
            r.expect(&reviews.by_platform["yelp"], yelp);

            // The all-platform figures and the unanswered lists leave a sampled platform
            // out: Yelp is the only one here, so they are empty, never "2 unanswered".
            let none = ReviewStats {
                distribution: stars([0; 5]),
                ..ReviewStats::default()
            };
            r.expect(&reviews.all, none);
            assert_eq!(reviews.unanswered, 0);
            assert_eq!(reviews.unanswered_negative_count, 0);
            assert!(reviews.worst.is_empty());

            // Complaints: negative reviews of every platform in the week: y-sun1 = 1; no
            // tickets.
            let complaints = ComplaintsKpi {
                n: 1,
                value: 1,
                tickets: 0,
                reviews: 1,
                social: 0,
            };
            r.expect(&r.kpis.complaints, complaints);
        })
        .await;
}
