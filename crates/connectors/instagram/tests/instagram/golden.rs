//! A small hand-built Instagram account, synced through the whole pipeline by the kit's
//! golden runner (`sync_stream` → `Store` → report) three times, each sync twice (the second
//! changing nothing), on SQLite and, when `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres.
//! Every expected value is computed by hand below.
//!
//! Period: ISO week 2026-W46 in UTC = [Mon 2026-11-09 00:00, Mon 2026-11-16 00:00). Account
//! 17841400000000000 (`exampleoutdoor`); `rescan_days` 7; pages of two.
//!
//! | sync | clock           | followers | media Graph lists, newest first                     |
//! |------|-----------------|-----------|-----------------------------------------------------|
//! | S1   | Sun 11-08 20:00 | 84 000    | m0 (10-20, no comments)                             |
//! | S2   | Fri 11-13 18:00 | 84 213    | [m2 (11-11 09:00), m1 (11-09 08:00)] → [m0]          |
//! | S3   | Tue 11-17 09:00 | 84 350    | the same                                            |
//!
//! At S2 and S3 the window is m2 − 7 days = 11-04 09:00: m0 (10-20) ends the pass, and its
//! comments are never asked for.
//!
//! Comments (all 2026-11, UTC):
//!
//! | comment | medium | by          | created  | replies                                          | counts as |
//! |---------|--------|-------------|----------|--------------------------------------------------|-----------|
//! | c1      | m1     | customer 1  | 09 10:00 | another user 10:10; the account (`from.id`) 10:30 | answered, 1 800 s |
//! | c2      | m1     | customer 2  | 09 12:00 | another user 12:30 only                          | unanswered |
//! | c3      | m1     | customer 3  | 10 09:00 | the account 09:05; hidden                        | drops out |
//! | b1      | m2     | the account | 11 09:05 | —                                                | not an interaction |
//! | c4      | m2     | customer 4  | 11 10:00 | another user 10:05; the account (only `username`) 10:50 | answered, 3 000 s |
//! | c6      | m2     | customer 6  | 12 08:00 | the account (`user`) 09:00 and (`from.id`) 08:20 | answered, 1 200 s (the earliest) |
//! | c5      | m2     | customer 5  | 13 16:00 | none at S2; at S3 the account Mon 16 10:00 (after the week) | answered at S3, 237 600 s |

use crate::common::*;
use crate::golden_db::{Db, counter};
use chrono::{DateTime, Utc};
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::prelude::SocialMetric;
use deskpulse_connector::testkit::{Golden, GoldenRun};
use deskpulse_connector_instagram::Instagram;
use deskpulse_metrics::{KpiReport, ResponseStats};
use serde_json::{Value, json};
use wiremock::MockServer;

/// The customers' platform ids: never stored in the clear.
const AUTHORS: [&str; 6] = [
    "17841409010000001",
    "17841409010000002",
    "17841409010000003",
    "17841409010000004",
    "17841409010000005",
    "17841409010000006",
];
const OTHER_USER: &str = "17841409990000009";

fn s1() -> DateTime<Utc> {
    t("2026-11-08T20:00:00Z")
}
fn s2() -> DateTime<Utc> {
    t("2026-11-13T18:00:00Z")
}
fn s3() -> DateTime<Utc> {
    t("2026-11-17T09:00:00Z")
}

fn m1_comments() -> Value {
    list(
        vec![
            comment(
                "c1",
                "2026-11-09T10:00:00+0000",
                AUTHORS[0],
                false,
                vec![
                    reply("r11", "2026-11-09T10:10:00+0000", By::Other(OTHER_USER)),
                    reply("r12", "2026-11-09T10:30:00+0000", By::FromId),
                ],
            ),
            comment(
                "c2",
                "2026-11-09T12:00:00+0000",
                AUTHORS[1],
                false,
                vec![reply(
                    "r21",
                    "2026-11-09T12:30:00+0000",
                    By::Other(OTHER_USER),
                )],
            ),
            comment(
                "c3",
                "2026-11-10T09:00:00+0000",
                AUTHORS[2],
                true,
                vec![reply("r31", "2026-11-10T09:05:00+0000", By::FromId)],
            ),
        ],
        None,
    )
}

fn m2_comments(c5_answered: bool) -> Value {
    let mut own = comment("b1", "2026-11-11T09:05:00+0000", IG, false, vec![]);
    own["username"] = json!(USERNAME);
    let c5_replies = if c5_answered {
        vec![reply("r51", "2026-11-16T10:00:00+0000", By::FromId)]
    } else {
        vec![]
    };
    list(
        vec![
            own,
            comment(
                "c4",
                "2026-11-11T10:00:00+0000",
                AUTHORS[3],
                false,
                vec![
                    reply("r41", "2026-11-11T10:05:00+0000", By::Other(OTHER_USER)),
                    reply("r42", "2026-11-11T10:50:00+0000", By::Username),
                ],
            ),
            comment(
                "c6",
                "2026-11-12T08:00:00+0000",
                AUTHORS[5],
                false,
                vec![
                    reply("r61", "2026-11-12T09:00:00+0000", By::User),
                    reply("r62", "2026-11-12T08:20:00+0000", By::FromId),
                ],
            ),
            comment(
                "c5",
                "2026-11-13T16:00:00+0000",
                AUTHORS[4],
                false,
                c5_replies,
            ),
        ],
        None,
    )
}

/// What Graph answers at `clock`.
async fn serve(server: &MockServer, clock: DateTime<Utc>) {
    server.reset().await;
    let followers = if clock == s1() {
        84000
    } else if clock == s2() {
        84213
    } else {
        84350
    };
    let mut user = fixture("constructed_ig_user.json");
    user["followers_count"] = json!(followers);
    mount(server, &account_path(), None, user).await;
    let m0 = medium("m0", "2026-10-20T12:00:00+0000", 0);
    if clock == s1() {
        serve_media(server, vec![m0]).await;
        return;
    }
    mount(
        server,
        &media_path(),
        None,
        list(
            vec![
                medium("m2", "2026-11-11T09:00:00+0000", 9),
                medium("m1", "2026-11-09T08:00:00+0000", 6),
            ],
            Some("M1"),
        ),
    )
    .await;
    mount(server, &media_path(), Some("M1"), list(vec![m0], None)).await;
    mount(server, &comments_path("m1"), None, m1_comments()).await;
    mount(
        server,
        &comments_path("m2"),
        None,
        m2_comments(clock == s3()),
    )
    .await;
}

async fn sync_at(g: &GoldenRun<Db>, server: &MockServer, clock: DateTime<Utc>) {
    serve(server, clock).await;
    g.sync(&connector_at(settings(server), clock)).await;
}

/// The account's followers in `r`: (value, observed at, change).
fn followers(r: &KpiReport) -> (Option<f64>, Option<DateTime<Utc>>, Option<f64>) {
    counter(r, "instagram", IG, SocialMetric::Followers)
}

#[tokio::test]
async fn golden_week() {
    Golden::new("src", Instagram::LIMITS)
        .run::<Db>(async |g| {
            let server = MockServer::start().await;
            sync_at(g, &server, s1()).await;
            sync_at(g, &server, s2()).await;
            let r = g.report("2026-W46").await;
            // Followers: the last observation at or before the end (S2, 84 213) − the last
            // at or before the start (S1, 84 000) = +213.
            assert_eq!(followers(&r), (Some(84213.0), Some(s2()), Some(213.0)));
            let week = ResponseStats {
                // Received: c1, c2, c4, c5, c6 = 5 (c3 hidden, b1 the account's own).
                n: 5,
                // Answered by the account so far: c1, c4, c6 = 3 (c2 only by another user).
                answered: 3,
                rate: Some(0.6),
                // Delays sorted: 1 200 (c6), 1 800 (c1), 3 000 (c4). Median = 1 800. p90
                // (R-7): h = (3 − 1) × 0.9 = 1.8 → 1 800 + 0.8 × (3 000 − 1 800) = 2 760.
                median_seconds: Some(1800.0),
                p90_seconds: Some(2760.0),
                // All three within the 1 h target.
                within_target: Some(1.0),
            };
            r.expect(&r.kpis.public_response.all, week);

            sync_at(g, &server, s3()).await;
            let r = g.report("2026-W46").await;
            // S3 is after the week: the week's followers stay S2's.
            assert_eq!(followers(&r), (Some(84213.0), Some(s2()), Some(213.0)));
            let week = ResponseStats {
                // c5's reply came on Mon 11-16 10:00, after the week: it counts, with its
                // real delay 11-13 16:00 → 11-16 10:00 = 66 h = 237 600 s. Answered 4 / 5 =
                // 0.8.
                n: 5,
                answered: 4,
                rate: Some(0.8),
                // Sorted: 1 200, 1 800, 3 000, 237 600. Median: h = 3 × 0.5 = 1.5 → (1 800 +
                // 3 000) / 2 = 2 400. p90: h = 3 × 0.9 = 2.7 → 3 000 + 0.7 × (237 600 −
                // 3 000) = 167 220.
                median_seconds: Some(2400.0),
                p90_seconds: Some(167220.0),
                // Within 1 h: 3 of 4.
                within_target: Some(0.75),
            };
            r.expect(&r.kpis.public_response.all, week.clone());
            // The only platform: its figures are the whole.
            r.expect(&r.kpis.public_response.by_platform["instagram"], week);
            // The next week: S3's 84 350 − S2's 84 213 = +137; nothing received.
            let w47 = g.report("2026-W47").await;
            assert_eq!(followers(&w47), (Some(84350.0), Some(s3()), Some(137.0)));
            assert_eq!(w47.kpis.public_response.all.n, 0);

            // No comment text, and no author id in the clear, anywhere in the store.
            let texts = ["Text of", "Reply r", "private", USERNAME];
            g.assert_not_stored(texts.into_iter().chain(AUTHORS).chain([OTHER_USER]))
                .await;
        })
        .await;
}
