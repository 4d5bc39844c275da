//! A small hand-built app, synced through the whole pipeline by the kit's golden runner
//! (`sync_stream` → `Store` → `load_report_input` → `compute_report`; each sync twice), on
//! SQLite and, when `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres. Every expected value is
//! computed by hand below.
//!
//! Period: ISO week 2026-W46 in UTC = [Mon 2026-11-09 00:00, Mon 2026-11-16 00:00). The
//! clock stands at Sun 2026-11-15 23:50 UTC (the snapshot is inside the week).
//!
//! | review | stars | createdDate (as Apple writes it) | in UTC        | response                                 |
//! |--------|-------|----------------------------------|---------------|------------------------------------------|
//! | r8     | 1     | 2026-11-16T00:30:00+01:00        | 11-15 23:30   | none (`data: null`)                      |
//! | r1     | 5     | 2026-11-14T20:30:00-08:00        | 11-15 04:30   | PUBLISHED, modified 11-15 06:30 Z (+2 h) |
//! | r2     | 1     | 2026-11-13T10:00:00Z             | 11-13 10:00   | none (`data: null`)                      |
//! | r3     | 2     | 2026-11-12T09:00:00+01:00        | 11-12 08:00   | PUBLISHED, modified 11-12 20:00 Z (+12 h)|
//! | r4     | 4     | 2026-11-11T12:00:00Z             | 11-11 12:00   | PENDING_PUBLISH (no reply)               |
//! | r5     | 3     | 2026-11-10T00:30:00+02:00        | 11-09 22:30   | PUBLISHED, modified 11-10 22:30 Z (+24 h)|
//! | r6     | 5     | 2026-11-08T23:30:00-01:00        | 11-09 00:30   | none (Apple's `links`-only layout)       |
//! | r7     | 2     | 2026-11-08T22:00:00Z             | 11-08 22:00   | PUBLISHED 11-09 10:00 Z — week before     |
//!
//! Two pages of 4 (`page_size = 4`), newest first; `meta.paging.total` = 8.

use crate::common::*;
use crate::golden_db::Db;
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::prelude::ReviewCoverage;
use deskpulse_connector::testkit::{Golden, stars};
use deskpulse_connector_app_store::AppStore;
use deskpulse_metrics::{ComplaintsKpi, PlatformReviews, ReviewStats};
use serde_json::Value;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLOCK: &str = "2026-11-15T23:50:00Z";

async fn app() -> MockServer {
    let server = MockServer::start().await;
    let mut r6 = review("r6", 5, "2026-11-08T23:30:00-01:00", None);
    // Apple's example layout: `relationships.response` with `links` only.
    r6.0["relationships"]["response"]
        .as_object_mut()
        .unwrap()
        .remove("data");
    let page1 = page(
        vec![
            review("r8", 1, "2026-11-16T00:30:00+01:00", None),
            review(
                "r1",
                5,
                "2026-11-14T20:30:00-08:00",
                Some(("p1", "PUBLISHED", "Thank you!", "2026-11-15T06:30:00Z")),
            ),
            review("r2", 1, "2026-11-13T10:00:00Z", None),
            review(
                "r3",
                2,
                "2026-11-12T09:00:00+01:00",
                Some((
                    "p3",
                    "PUBLISHED",
                    "Sorry, fixed in 2.1",
                    "2026-11-12T20:00:00Z",
                )),
            ),
        ],
        Some("g2"),
        8,
    );
    let page2 = page(
        vec![
            review(
                "r4",
                4,
                "2026-11-11T12:00:00Z",
                Some(("p4", "PENDING_PUBLISH", "Draft", "2026-11-11T13:00:00Z")),
            ),
            review(
                "r5",
                3,
                "2026-11-10T00:30:00+02:00",
                Some(("p5", "PUBLISHED", "Noted.", "2026-11-10T22:30:00Z")),
            ),
            r6,
            review(
                "r7",
                2,
                "2026-11-08T22:00:00Z",
                Some(("p7", "PUBLISHED", "We are on it", "2026-11-09T10:00:00Z")),
            ),
        ],
        None,
        8,
    );
    mount(&server, None, page1).await;
    mount(&server, Some("g2"), page2).await;
    server
}

async fn mount(server: &MockServer, cursor: Option<&str>, body: Value) {
    let m = Mock::given(method("GET"))
        .and(path(REVIEWS))
        .and(query_param("sort", "-createdDate"))
        .and(query_param("include", "response"));
    let m = match cursor {
        Some(c) => m.and(query_param("cursor", c)),
        None => m
            .and(query_param("limit", "4"))
            .and(query_param_is_missing("cursor")),
    };
    m.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn golden_report() {
    Golden::new("src", AppStore::LIMITS)
        .run::<Db>(async |g| {
            let server = app().await;
            let mut s = settings(&server.uri());
            s.page_size = Some(4);
            // The second sync of the runner re-reads the rescan window (all 8 reviews are
            // within 30 days of the newest): upserts, nothing changes.
            g.sync(&connector_with(s, CLOCK)).await;

            let r = g.report("2026-W46").await;
            let reviews = &r.kpis.reviews;
            let week = ReviewStats {
                // New reviews in the week: r8 (its local date is Monday but 23:30 UTC
                // Sunday), r1, r2, r3, r4, r5, r6 (22:30 Sunday at −01:00 is 00:30 Monday
                // UTC) = 7; r7 is the week before (its reply in the week does not bring it
                // in).
                n: 7,
                // Mean: (1 + 5 + 1 + 2 + 4 + 3 + 5) / 7 = 21 / 7 = 3.
                mean_rating: Some(3.0),
                // 1★ r8, r2 = 2; 2★ r3 = 1; 3★ r5 = 1; 4★ r4 = 1; 5★ r1, r6 = 2.
                distribution: stars([2, 1, 1, 1, 2]),
                // Negative (≤ 2 stars): r8, r2, r3 = 3 / 7.
                share_negative: Some(3.0 / 7.0),
                // Answered (a PUBLISHED response): r1, r3, r5 = 3 / 7 (r4's is pending).
                share_answered: Some(3.0 / 7.0),
                // Reply times (created → the response's last modification): r1 04:30 →
                // 06:30 = 7200 s; r3 08:00 → 20:00 = 43200 s; r5 11-09 22:30 → 11-10 22:30 =
                // 86400 s. Median of three = 43200 s.
                median_reply_seconds: Some(43200.0),
            };
            r.expect(&reviews.all, week.clone());
            // Unanswered: r8, r2, r4, r6 = 4; of them negative: r8, r2 = 2.
            assert_eq!(reviews.unanswered, 4);
            assert_eq!(reviews.unanswered_negative_count, 2);
            // The one platform: the same figures, no store-wide average (this API has none),
            // the written-review count of `meta.paging.total` = 8 from the snapshot of 11-15
            // 23:50, coverage full.
            let app_store = PlatformReviews {
                stats: week,
                overall_rating: None,
                total_reviews: Some(8),
                overall_change: None,
                total_change: None,
                coverage: Some(ReviewCoverage::Full),
            };
            r.expect(&reviews.by_platform["app_store"], app_store);
            assert_eq!(reviews.by_platform.len(), 1);
            // Complaints from reviews: rated ≤ 2 in the week = r8, r2, r3 = 3; no tickets.
            let complaints = ComplaintsKpi {
                n: 3,
                value: 3,
                tickets: 0,
                reviews: 3,
                social: 0,
            };
            r.expect(&r.kpis.complaints, complaints);
        })
        .await;
}
