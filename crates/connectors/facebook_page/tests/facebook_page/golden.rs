//! A small hand-built Facebook Page, synced through the whole pipeline by the kit's golden
//! runner (`sync_stream` → `Store` → report) three times, each sync twice (the second
//! changing nothing), on SQLite and, when `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres.
//! Every expected value is computed by hand below.
//!
//! Period: ISO week 2026-W46 in UTC = [Mon 2026-11-09 00:00, Mon 2026-11-16 00:00). Page id
//! 112233445566778 ("the page"); `rescan_days` 7, so each sync asks for posts since its
//! clock − 7 days.
//!
//! | sync | clock           | since          | followers | likes | what Graph serves                          |
//! |------|-----------------|----------------|-----------|-------|--------------------------------------------|
//! | S1   | Sun 11-08 20:00 | 11-01 20:00    | 1000      | 800   | no posts, no recommendations               |
//! | S2   | Sun 11-15 20:00 | 11-08 20:00    | 1030      | 805   | p1, p2; r1, r2                             |
//! | S3   | Tue 11-17 09:00 | 11-10 09:00    | 1041      | 806   | p2 only (p1 is older than the window); r1, r2 |
//!
//! Comments (all 2026-11, UTC):
//!
//! | comment | post | by        | created    | replies in its thread                         | counts as |
//! |---------|------|-----------|------------|-----------------------------------------------|-----------|
//! | c1      | p1   | customer  | 09 12:00   | another user 12:05; the page 12:30, 12:45     | answered, 1 800 s |
//! | c2      | p1   | customer  | 10 09:00   | another user 09:30 only                       | unanswered |
//! | c3      | p1   | customer  | 11 08:00   | the page 08:10; hidden (`is_hidden`)          | drops out |
//! | c4      | p1   | the page  | 11 09:00   | —                                             | not an interaction |
//! | c5      | p2   | customer  | 12 11:00   | the page 13:00                                | answered, 7 200 s |
//! | c6      | p2   | customer  | 14 16:00   | the page 16:20                                | answered, 1 200 s |
//! | c7      | p2   | customer  | 15 18:00   | none at S2; at S3 the page Mon 16 10:00 (after the week) | answered, 57 600 s |
//!
//! Recommendations: r1 negative Wed 11 14:00 (the page comments 16:00), r2 positive Fri 13
//! 10:00 (no reply). They are not comments or mentions (not in `public_response`); r1 is a
//! complaint.

use crate::common::*;
use crate::golden_db::{Db, counter};
use chrono::{DateTime, Duration, Utc};
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::testkit::{Golden, GoldenRun};
use deskpulse_connector_facebook_page::{FacebookPage, FacebookPageConnector};
use deskpulse_metrics::{ComplaintsKpi, KpiReport, ResponseStats};
use deskpulse_model::SocialMetric;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn s1() -> DateTime<Utc> {
    at("2026-11-08T20:00:00Z")
}
fn s2() -> DateTime<Utc> {
    at("2026-11-15T20:00:00Z")
}
fn s3() -> DateTime<Utc> {
    at("2026-11-17T09:00:00Z")
}

/// The authors' Facebook ids (never stored in the clear).
const AUTHORS: [&str; 4] = [
    "7012345678900101",
    "7012345678900202",
    "7012345678900303",
    "7012345678900404",
];
const OTHER_USER: &str = "7012345678900999";

fn reply(by: &str, at: &str, text: &str) -> Value {
    json!({"id": format!("r_{at}"), "from": {"id": by, "name": "Someone"}, "message": text, "created_time": at})
}

fn comment(id: &str, by: &str, at: &str, hidden: bool, replies: Vec<Value>) -> Value {
    let mut c = json!({
        "id": id, "from": {"id": by, "name": "Someone"},
        "message": format!("text of {id}: where is my parcel"),
        "created_time": at, "is_hidden": hidden,
    });
    if !replies.is_empty() {
        c["comments"] =
            json!({"data": replies, "paging": {"cursors": {"before": "b", "after": "a"}}});
    }
    c
}

fn post(id: &str, at: &str, comments: Vec<Value>) -> Value {
    json!({"id": format!("{PAGE}_{id}"), "created_time": at,
        "comments": {"data": comments, "paging": {"cursors": {"before": "b", "after": "a"}}}})
}

fn p1() -> Value {
    post(
        "901",
        "2026-11-09T10:00:00+0000",
        vec![
            comment(
                "901_c1",
                AUTHORS[0],
                "2026-11-09T12:00:00+0000",
                false,
                vec![
                    reply(OTHER_USER, "2026-11-09T12:05:00+0000", "me too"),
                    reply(PAGE, "2026-11-09T12:30:00+0000", "brand reply one"),
                    reply(PAGE, "2026-11-09T12:45:00+0000", "brand reply two"),
                ],
            ),
            comment(
                "901_c2",
                AUTHORS[1],
                "2026-11-10T09:00:00+0000",
                false,
                vec![reply(OTHER_USER, "2026-11-10T09:30:00+0000", "try support")],
            ),
            comment(
                "901_c3",
                AUTHORS[2],
                "2026-11-11T08:00:00+0000",
                true,
                vec![reply(PAGE, "2026-11-11T08:10:00+0000", "removed")],
            ),
            comment("901_c4", PAGE, "2026-11-11T09:00:00+0000", false, vec![]),
        ],
    )
}

fn p2(c7_answered: bool) -> Value {
    let c7_replies = if c7_answered {
        vec![reply(PAGE, "2026-11-16T10:00:00+0000", "late brand reply")]
    } else {
        vec![]
    };
    post(
        "902",
        "2026-11-12T10:00:00+0000",
        vec![
            comment(
                "902_c5",
                AUTHORS[3],
                "2026-11-12T11:00:00+0000",
                false,
                vec![reply(PAGE, "2026-11-12T13:00:00+0000", "brand reply")],
            ),
            comment(
                "902_c6",
                AUTHORS[0],
                "2026-11-14T16:00:00+0000",
                false,
                vec![reply(PAGE, "2026-11-14T16:20:00+0000", "brand reply")],
            ),
            comment(
                "902_c7",
                AUTHORS[1],
                "2026-11-15T18:00:00+0000",
                false,
                c7_replies,
            ),
        ],
    )
}

fn ratings() -> Value {
    json!({"data": [
        {"created_time": "2026-11-13T10:00:00+0000", "recommendation_type": "positive",
         "review_text": "text of r2", "reviewer": {"id": AUTHORS[2], "name": "Someone"},
         "open_graph_story": {"id": "7012345678900303_555"}},
        {"created_time": "2026-11-11T14:00:00+0000", "recommendation_type": "negative",
         "review_text": "text of r1: never again", "reviewer": {"id": AUTHORS[3], "name": "Someone"},
         "open_graph_story": {"id": "7012345678900404_444", "comments": {"data": [
            reply(PAGE, "2026-11-11T16:00:00+0000", "sorry to hear")]}}}
    ], "paging": {"cursors": {"before": "b", "after": "a"}}})
}

/// What Graph serves at `clock`.
async fn serve(server: &MockServer, clock: DateTime<Utc>) {
    server.reset().await;
    let (followers, likes, posts, recs) = if clock == s1() {
        (1000, 800, vec![], json!({"data": []}))
    } else if clock == s2() {
        (1030, 805, vec![p2(false), p1()], ratings())
    } else {
        (1041, 806, vec![p2(true)], ratings())
    };
    let ok = |v: Value| ResponseTemplate::new(200).set_body_json(v);
    Mock::given(method("GET"))
        .and(path(page_path()))
        .respond_with(ok(
            json!({"id": PAGE, "followers_count": followers, "fan_count": likes}),
        ))
        .mount(server)
        .await;
    let since = (clock - Duration::days(7)).timestamp().to_string();
    Mock::given(method("GET"))
        .and(path(posts_path()))
        .and(query_param("since", since))
        .respond_with(ok(
            json!({"data": posts, "paging": {"cursors": {"before": "b", "after": "a"}}}),
        ))
        // Once by each of the runner's two syncs.
        .expect(2)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(ratings_path()))
        .respond_with(ok(recs))
        .mount(server)
        .await;
}

async fn sync_at(g: &GoldenRun<Db>, server: &MockServer, clock: DateTime<Utc>) {
    serve(server, clock).await;
    let c: FacebookPageConnector = connector_at(settings(server), clock);
    g.sync(&c).await;
    server.verify().await;
}

/// The page's `metric` in `r`: (value, observed at, change).
fn stat(r: &KpiReport, metric: SocialMetric) -> (Option<f64>, Option<DateTime<Utc>>, Option<f64>) {
    counter(r, "facebook_page", PAGE, metric)
}

#[tokio::test]
async fn golden_week() {
    Golden::new("src", FacebookPage::LIMITS)
        .run::<Db>(async |g| {
            let server = MockServer::start().await;
            sync_at(g, &server, s1()).await;
            sync_at(g, &server, s2()).await;
            let r = g.report("2026-W46").await;
            // Followers: the last observation at or before the end (S2, 1030) − the last at
            // or before the start (S1, 1000) = +30. Likes: 805 − 800 = +5.
            assert_eq!(
                stat(&r, SocialMetric::Followers),
                (Some(1030.0), Some(s2()), Some(30.0))
            );
            assert_eq!(
                stat(&r, SocialMetric::Likes),
                (Some(805.0), Some(s2()), Some(5.0))
            );
            let week = ResponseStats {
                // Received: c1, c2, c5, c6, c7 = 5 (c3 hidden, c4 the page's own, r1/r2 are
                // no comments).
                n: 5,
                // Answered by the page so far: c1, c5, c6 = 3.
                answered: 3,
                rate: Some(0.6),
                // Delays sorted: 1 200 (c6), 1 800 (c1), 7 200 (c5). R-7 median = 1 800;
                // p90 at 0.9 × 2 = 1.8: 1 800 + 0.8 × (7 200 − 1 800) = 6 120.
                median_seconds: Some(1800.0),
                p90_seconds: Some(6120.0),
                // Within 1 h: 2 / 3.
                within_target: Some(2.0 / 3.0),
            };
            r.expect(&r.kpis.public_response.all, week);
            // r1, the negative recommendation, is a complaint.
            let complaints = ComplaintsKpi {
                n: 1,
                value: 1,
                tickets: 0,
                reviews: 0,
                social: 1,
            };
            r.expect(&r.kpis.complaints, complaints.clone());

            // S3, after the week: c7's reply (Mon 11-16 10:00) is seen while p2 is in the
            // window.
            sync_at(g, &server, s3()).await;
            let r = g.report("2026-W46").await;
            // S3's counters are observed after the week's end: the week's figures stay.
            assert_eq!(
                stat(&r, SocialMetric::Followers),
                (Some(1030.0), Some(s2()), Some(30.0))
            );
            let week = ResponseStats {
                n: 5,
                // Answered: c1, c5, c6, c7 = 4 / 5 = 0.8; c2 (answered by another user) is
                // not.
                answered: 4,
                rate: Some(0.8),
                // Delays sorted: 1 200, 1 800, 7 200, 57 600 (c7: 15 18:00 → 16 10:00 =
                // 16 h). R-7 median at 1.5: 1 800 + 0.5 × 5 400 = 4 500; p90 at 2.7: 7 200 +
                // 0.7 × 50 400 = 42 480.
                median_seconds: Some(4500.0),
                p90_seconds: Some(42480.0),
                // Within 1 h: 1 200, 1 800 = 2 / 4 = 0.5.
                within_target: Some(0.5),
            };
            let k = &r.kpis.public_response;
            r.expect(&k.all, week.clone());
            // The only platform: its figures are the whole.
            r.expect(&k.by_platform["facebook_page"], week);
            assert_eq!(k.by_platform.len(), 1);
            r.expect(&r.kpis.complaints, complaints);

            // No comment or recommendation text, and no raw author id, anywhere in the store.
            let texts = [
                "where is my parcel",
                "brand reply",
                "me too",
                "never again",
                "text of r",
            ];
            g.assert_not_stored(texts.into_iter().chain(AUTHORS).chain([OTHER_USER]))
                .await;
        })
        .await;
}
