//! A hand-built place followed through two syncs of the whole pipeline by the kit's golden
//! runner (`sync_stream` → `Store` → `load_report_input` → `compute_report`; each sync
//! twice: syncing again the same day replaces that day's snapshot and upserts the same
//! reviews, and changes nothing), on SQLite and, when
//! `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres. Every expected value is computed by hand
//! below. The answers have the shape of `constructed_place_details_new.json` (Places API
//! (New)); the values are this test's own.
//!
//! Period: ISO week 2026-W46 in UTC = [Mon 2026-11-09 00:00, Mon 2026-11-16 00:00).
//!
//! Sync 1, Sun 2026-11-08 12:00 (before the week): rating 4.3, userRatingCount 600, sample
//! r0 (5★, 10-30 10:00), r5 (3★, 11-02 08:00).
//! Sync 2, Sun 2026-11-15 20:00 (in the week): rating 4.4, userRatingCount 612, sample
//!
//! | review | stars | published (2026)  | in W46? |
//! |--------|-------|-------------------|---------|
//! | r1     | 2     | Tue 11-10 09:00   | yes     |
//! | r2     | 5     | Wed 11-11 12:30   | yes     |
//! | r3     | 1     | Sun 11-15 18:00   | yes     |
//! | r4     | 4     | Sun 11-08 20:00   | no (the day before) |
//! | r5     | 3     | Mon 11-02 08:00   | no      |
//!
//! r0 dropped out of Google's sample on the second sync; it stays stored (published before
//! the week, so it counts nowhere here).

use crate::common::*;
use crate::golden_db::Db;
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::testkit::{Golden, stars};
use deskpulse_connector_google_places::{GooglePlaces, GooglePlacesConnector};
use deskpulse_metrics::{ComplaintsKpi, PlatformReviews, ReviewStats};
use deskpulse_model::ReviewCoverage;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PLACE: &str = SYDNEY;

/// A review in the documented shape (its text and author included, as Google sends them).
fn review(id: &str, stars: u8, published: &str) -> Value {
    let mut r = json(NEW_PLACE)["reviews"][0].clone();
    r["name"] = json!(format!("places/{PLACE}/reviews/{id}"));
    r["rating"] = json!(stars);
    r["publishTime"] = json!(format!("2026-{published}:00Z"));
    r["text"]["text"] = json!(format!("Review {id}: <b>untrusted</b> & stored nowhere"));
    r
}

fn place(rating: f64, count: u64, reviews: Vec<Value>) -> Value {
    let mut p = json(NEW_PLACE);
    p["rating"] = json!(rating);
    p["userRatingCount"] = json!(count);
    p["reviews"] = json!(reviews);
    p
}

async fn answer(server: &MockServer, body: Value) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/places/{PLACE}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

fn connector_at(server: &MockServer, clock: &str) -> GooglePlacesConnector {
    connector_with(settings_at(&server.uri(), "new", PLACE, API_KEY), at(clock))
}

#[tokio::test]
async fn golden_report() {
    Golden::new("src", GooglePlaces::LIMITS)
        .run::<Db>(async |g| {
            let server = MockServer::start().await;
            let sample = vec![
                review("r0", 5, "10-30T10:00"),
                review("r5", 3, "11-02T08:00"),
            ];
            answer(&server, place(4.3, 600, sample)).await;
            g.sync(&connector_at(&server, "2026-11-08T12:00:00Z")).await;

            let sample = vec![
                review("r1", 2, "11-10T09:00"),
                review("r2", 5, "11-11T12:30"),
                review("r3", 1, "11-15T18:00"),
                review("r4", 4, "11-08T20:00"),
                review("r5", 3, "11-02T08:00"),
            ];
            answer(&server, place(4.4, 612, sample)).await;
            g.sync(&connector_at(&server, "2026-11-15T20:00:00Z")).await;

            let r = g.report("2026-W46").await;
            let k = &r.kpis.reviews;
            let sampled = ReviewStats {
                // New reviews in the week: r1 (2★), r2 (5★), r3 (1★) → n = 3.
                n: 3,
                // Mean: (2 + 5 + 1) / 3 = 8 / 3 = 2.666667 (rounded to 6 places).
                mean_rating: Some(2.666667),
                // One 1★ (r3), one 2★ (r1), one 5★ (r2).
                distribution: stars([1, 1, 0, 0, 1]),
                // Negative (≤ 2★): r1 and r3 → 2 / 3.
                share_negative: Some(2.0 / 3.0),
                // Places gives no owner replies: answered share and reply time are unknown,
                // not 0.
                share_answered: None,
                median_reply_seconds: None,
            };
            let platform = PlatformReviews {
                stats: sampled,
                // The platform's own figures: the last snapshot before the week's end is
                // sync 2's (4.4, 612); the last before its start is sync 1's (4.3, 600) →
                // changes 4.4 − 4.3 = 0.1 and 612 − 600 = 12.
                overall_rating: Some(4.4),
                total_reviews: Some(612),
                overall_change: Some(0.1),
                total_change: Some(12),
                coverage: Some(ReviewCoverage::AggregateSample),
            };
            r.expect(&k.by_platform["google_places"], platform);
            // A sample is left out of the all-platform figures (and quotes): no other
            // platform here, so they are empty.
            let none = ReviewStats {
                distribution: stars([0; 5]),
                ..ReviewStats::default()
            };
            r.expect(&k.all, none);
            assert!(k.worst.is_empty());
            assert_eq!(k.unanswered_negative_count, 0);
            // Complaints count negative reviews of every platform: r1 and r3 = 2; no tickets.
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
