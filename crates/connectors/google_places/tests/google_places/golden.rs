//! A hand-built place followed through two syncs of the whole pipeline (`sync_stream` →
//! `Store` → `load_report_input` → `compute_report`), on SQLite and, when
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
use deskpulse_connector::clock::ManualClock;
use deskpulse_connector::{
    ConnectorFactory as _, HttpConnector as _, NoProgress, SyncOptions, sync_stream,
};
use deskpulse_connector_google_places::{GooglePlaces, GooglePlacesConnector};
use deskpulse_model::ReviewCoverage;
use deskpulse_storage::Store;
use deskpulse_storage::testing::{TestDb, period_report};
use serde_json::{Value, json};
use std::collections::BTreeMap;
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

async fn sync(c: &GooglePlacesConnector, store: &Store) {
    sync_stream(
        c,
        "src",
        "place",
        store,
        &SyncOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap_or_else(|e| panic!("place: {e}"));
}

async fn golden(db: TestDb) {
    let server = MockServer::start().await;
    let (clock, set) = ManualClock::at(at("2026-11-08T12:00:00Z"));
    let c = GooglePlacesConnector::new(settings_at(&server.uri(), "new", PLACE, API_KEY))
        .unwrap()
        .with_retry_policy(deskpulse_connector::testkit::fast_retry())
        .with_clock(clock);
    let store = db.open().await;

    answer(
        &server,
        place(
            4.3,
            600,
            vec![
                review("r0", 5, "10-30T10:00"),
                review("r5", 3, "11-02T08:00"),
            ],
        ),
    )
    .await;
    sync(&c, &store).await;

    set.set(at("2026-11-15T20:00:00Z"));
    answer(
        &server,
        place(
            4.4,
            612,
            vec![
                review("r1", 2, "11-10T09:00"),
                review("r2", 5, "11-11T12:30"),
                review("r3", 1, "11-15T18:00"),
                review("r4", 4, "11-08T20:00"),
                review("r5", 3, "11-02T08:00"),
            ],
        ),
    )
    .await;
    sync(&c, &store).await;
    // Syncing again the same day replaces that day's snapshot and upserts the same reviews.
    let before = store.dump().await.unwrap();
    sync(&c, &store).await;
    assert_eq!(
        store.dump().await.unwrap(),
        before,
        "a repeated sync is idempotent"
    );

    let r = period_report(&store, "src", "2026-W46", GooglePlaces::LIMITS).await;
    let k = &r.kpis.reviews;
    let p = &k.by_platform["google_places"];
    // New reviews in the week: r1 (2★), r2 (5★), r3 (1★) → n = 3.
    assert_eq!(p.n, 3);
    // Mean: (2 + 5 + 1) / 3 = 8 / 3 = 2.666667 (rounded to 6 places).
    assert_eq!(p.mean_rating, Some(2.666667));
    // Distribution: one 1★ (r3), one 2★ (r1), one 5★ (r2).
    let want: BTreeMap<String, u64> = [("1", 1), ("2", 1), ("3", 0), ("4", 0), ("5", 1)]
        .into_iter()
        .map(|(s, n)| (s.to_owned(), n))
        .collect();
    assert_eq!(p.distribution, want);
    // Negative (≤ 2★): r1 and r3 → 2 / 3.
    assert_eq!(p.share_negative, Some(2.0 / 3.0));
    // Places gives no owner replies: answered share and reply time are unknown, not 0.
    assert_eq!(p.share_answered, None);
    assert_eq!(p.median_reply_seconds, None);
    // The platform's own figures: the last snapshot before the week's end is sync 2's
    // (4.4, 612); the last before its start is sync 1's (4.3, 600) → changes 4.4 − 4.3 = 0.1
    // and 612 − 600 = 12.
    assert_eq!(p.overall_rating, Some(4.4));
    assert_eq!(p.total_reviews, Some(612));
    assert_eq!(p.overall_change, Some(0.1));
    assert_eq!(p.total_change, Some(12));
    assert_eq!(p.coverage, Some(ReviewCoverage::AggregateSample));
    // A sample is left out of the all-platform figures (and quotes): no other platform here,
    // so they are empty.
    assert_eq!(k.all.n, 0);
    assert_eq!(k.all.mean_rating, None);
    assert!(k.worst.is_empty());
    assert_eq!(k.unanswered_negative_count, 0);
    // Complaints count negative reviews of every platform: r1 and r3 = 2; no tickets.
    let complaints = &r.kpis.complaints;
    assert_eq!(complaints.reviews, 2);
    assert_eq!(complaints.tickets, 0);
    assert_eq!(complaints.value, 2);

    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn golden_report_on_sqlite() {
    golden(TestDb::sqlite()).await;
}

#[tokio::test]
async fn golden_report_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        golden(db).await;
    }
}
