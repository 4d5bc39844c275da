//! A small hand-built X account, synced three times through the whole pipeline by the kit's
//! golden runner (`sync_stream` → `Store` → report; each sync twice, the second storing
//! exactly the same), on SQLite and, when `DESKPULSE_TEST_POSTGRES_URL` is set, Postgres.
//! Every expected value is computed by hand below.
//!
//! Period: ISO week 2026-W46 in UTC = [Mon 2026-11-09 00:00, Mon 2026-11-16 00:00). The
//! brand account is `BRAND`; one page each; rescan window 7 days.
//!
//! | sync | clock           | followers | mentions window start                             |
//! |------|-----------------|-----------|---------------------------------------------------|
//! | 1    | Sun 11-08 20:00 | 23 000    | now − 7 d = 11-01 20:00                            |
//! | 2    | Fri 11-13 12:00 | 23 410    | min(newest gp 11-07 10:00, 11-06 12:00) = 11-06 12:00 |
//! | 3    | Wed 11-18 09:00 | 23 500    | min(newest g6 11-13 09:30, 11-11 09:00) = 11-11 09:00 |
//!
//! | mention | by  | created           | brand's first reply                  | notes |
//! |---------|-----|-------------------|--------------------------------------|-------|
//! | gp      | c1  | Sat 11-07 10:00   | Sat 11-07 11:00                      | the week before |
//! | g0      | c2  | Sun 11-08 22:00   | Mon 11-09 01:00                      | the week before |
//! | g1      | c3  | Mon 11-09 09:00   | Mon 11-09 09:30 (1 800 s)            | |
//! | g2      | c4  | Tue 11-10 10:00   | Tue 11-10 12:00 (7 200 s)            | |
//! | g3      | c5  | Wed 11-11 08:00   | none: only c6 answered (t3)          | |
//! | t3      | c6  | Wed 11-11 09:00   | none                                 | c6's reply to g3, mentioning the brand |
//! | g4      | c7  | Thu 11-12 15:00   | Thu 11-12 15:20 (1 200 s)            | |
//! | g5      | c8  | Fri 11-13 09:00   | Mon 11-16 09:00 (259 200 s), seen by sync 3 | after the week's end |
//! | g6      | c9  | Fri 11-13 09:30   | none                                 | deleted between syncs 2 and 3 |
//! | g7      | c1  | Tue 11-17 10:00   | none                                 | the week after |
//!
//! The brand's own posts also hold a post that is no reply, and its reply b3 to g3 is a
//! *quote* (not `replied_to`): not an answer.

use crate::common::*;
use crate::golden_db::{Db, counter};
use deskpulse_connector::ConnectorFactory as _;
use deskpulse_connector::prelude::SocialMetric;
use deskpulse_connector::testkit::{Golden, GoldenRun};
use deskpulse_connector_x::X;
use deskpulse_metrics::ResponseStats;
use serde_json::{Value, json};
use wiremock::MockServer;

fn c(n: u8) -> String {
    format!("29000000000000000{n:02}")
}

fn gp() -> Value {
    post("gp", &c(1), "2026-11-07T10:00:00.000Z", None)
}
fn g0() -> Value {
    post("g0", &c(2), "2026-11-08T22:00:00.000Z", None)
}
fn g1() -> Value {
    post("g1", &c(3), "2026-11-09T09:00:00.000Z", None)
}
fn g2() -> Value {
    post("g2", &c(4), "2026-11-10T10:00:00.000Z", None)
}
fn g3() -> Value {
    post("g3", &c(5), "2026-11-11T08:00:00.000Z", None)
}
fn t3() -> Value {
    post("t3", &c(6), "2026-11-11T09:00:00.000Z", Some("g3"))
}
fn g4() -> Value {
    post("g4", &c(7), "2026-11-12T15:00:00.000Z", None)
}
fn g5() -> Value {
    post("g5", &c(8), "2026-11-13T09:00:00.000Z", None)
}
fn g6() -> Value {
    post("g6", &c(9), "2026-11-13T09:30:00.000Z", None)
}
fn g7() -> Value {
    post("g7", &c(1), "2026-11-17T10:00:00.000Z", None)
}

fn quote(id: &str, created: &str, of: &str) -> Value {
    let mut p = brand_post(id, created, None);
    p["referenced_tweets"] = json!([{"type": "quoted", "id": of}]);
    p
}

/// What X serves at each sync: the followers, the mentions pages from the window's start
/// (newest first, one page) and the brand's posts since then.
async fn serve(
    server: &MockServer,
    followers: u64,
    start: &str,
    mentions: Vec<Value>,
    brand: Vec<Value>,
) {
    server.reset().await;
    mount_user(
        server,
        json!({"data": {"id": BRAND, "name": "Example Outdoor", "username": "exampleoutdoor",
            "public_metrics": {"followers_count": followers, "following_count": 812,
            "tweet_count": 15877, "listed_count": 121, "like_count": 4210, "media_count": 1290}}}),
    )
    .await;
    let pages: Vec<Vec<Value>> = mentions.chunks(100).map(<[Value]>::to_vec).collect();
    let n = pages.len().max(1);
    for i in 0..n {
        let token_in = (i > 0).then(|| format!("m-{start}-{i}"));
        let token_out = (i + 1 < n).then(|| format!("m-{start}-{}", i + 1));
        let posts = pages.get(i).cloned().unwrap_or_default();
        mount_mentions(
            server,
            start,
            token_in.as_deref(),
            page(posts, token_out.as_deref()),
        )
        .await;
    }
    mount_tweets(server, start, None, page(brand, None)).await;
}

/// Sync at `clock`, what [`serve`] mounted.
async fn sync_at(g: &GoldenRun<Db>, server: &MockServer, clock: &str) {
    g.sync(&connector_at(settings(server), at(clock))).await;
}

#[tokio::test]
async fn golden_week() {
    Golden::new("src", X::LIMITS)
        .run::<Db>(async |g| {
            let server = MockServer::start().await;

            // Sync 1, Sun 11-08 20:00: gp and its reply.
            let brand1 = vec![brand_post("b0", "2026-11-07T11:00:00.000Z", Some("gp"))];
            serve(&server, 23_000, "2026-11-01T20:00:00Z", vec![gp()], brand1).await;
            sync_at(g, &server, "2026-11-08T20:00:00Z").await;

            // Sync 2, Fri 11-13 12:00.
            let brand2 = vec![
                brand_post("b4", "2026-11-12T15:20:00.000Z", Some("g4")),
                quote("b3", "2026-11-11T09:30:00.000Z", "g3"),
                brand_post("bx", "2026-11-11T07:00:00.000Z", None),
                brand_post("b2", "2026-11-10T12:00:00.000Z", Some("g2")),
                brand_post("b1", "2026-11-09T09:30:00.000Z", Some("g1")),
                brand_post("b0b", "2026-11-09T01:00:00.000Z", Some("g0")),
                brand_post("b0", "2026-11-07T11:00:00.000Z", Some("gp")),
            ];
            let mentions2 = vec![g6(), g5(), g4(), t3(), g3(), g2(), g1(), g0(), gp()];
            serve(&server, 23_410, "2026-11-06T12:00:00Z", mentions2, brand2).await;
            sync_at(g, &server, "2026-11-13T12:00:00Z").await;

            let r = g.report("2026-W46").await;
            // At the week's end: the last snapshot before it, Fri 11-13's 23 410; the change
            // since the last one before the week (Sun 11-08's 23 000) = 410.
            let followers = (
                Some(23_410.0),
                Some(at("2026-11-13T12:00:00Z")),
                Some(410.0),
            );
            assert_eq!(counter(&r, "x", BRAND, SocialMetric::Followers), followers);
            let k = &r.kpis.public_response;
            let week = ResponseStats {
                // In the week: g1 g2 g3 t3 g4 g5 g6 = 7 (gp, g0 the week before).
                n: 7,
                // Answered by the brand: g1 (1 800 s), g2 (7 200 s), g4 (1 200 s) = 3 / 7; g3
                // only by a customer (t3) and a quote: not answered.
                answered: 3,
                rate: Some(3.0 / 7.0),
                // Sorted 1 200, 1 800, 7 200: R-7 median = 1 800; p90 h = 2 · 0.9 = 1.8 →
                // 1 800 + 0.8 · (7 200 − 1 800) = 6 120.
                median_seconds: Some(1800.0),
                p90_seconds: Some(6120.0),
                // Within 1 h: 1 200 and 1 800 = 2 / 3.
                within_target: Some(2.0 / 3.0),
            };
            r.expect(&k.all, week.clone());
            r.expect(&k.by_platform["x"], week);

            // Sync 3, Wed 11-18 09:00: g5 answered on Mon 11-16 (after the week), g6
            // deleted, g7 new. The window starts at 11-11 09:00: t3 (09:00, inclusive) g4 g5
            // are read again; g6 was read by sync 2 inside this window and is missing now:
            // deleted.
            let brand3 = vec![
                brand_post("b5", "2026-11-16T09:00:00.000Z", Some("g5")),
                brand_post("b4", "2026-11-12T15:20:00.000Z", Some("g4")),
                quote("b3", "2026-11-11T09:30:00.000Z", "g3"),
            ];
            let mentions3 = vec![g7(), g5(), g4(), t3()];
            serve(&server, 23_500, "2026-11-11T09:00:00Z", mentions3, brand3).await;
            sync_at(g, &server, "2026-11-18T09:00:00Z").await;

            let r = g.report("2026-W46").await;
            // Sync 3's 23 500 is after the week's end: the week still ends at 23 410.
            assert_eq!(counter(&r, "x", BRAND, SocialMetric::Followers), followers);
            let k = &r.kpis.public_response;
            let week = ResponseStats {
                // g6 dropped out (deleted): n = 6; re-reads are upserts, nothing counts twice.
                n: 6,
                // Answered: g1, g2, g4, and g5 with its real delay (72 h = 259 200 s) = 4 / 6.
                answered: 4,
                rate: Some(4.0 / 6.0),
                // Sorted 1 200, 1 800, 7 200, 259 200: median h = 1.5 → (1 800 + 7 200) / 2 =
                // 4 500; p90 h = 3 · 0.9 = 2.7 → 7 200 + 0.7 · (259 200 − 7 200) = 183 600.
                median_seconds: Some(4500.0),
                p90_seconds: Some(183_600.0),
                // Within 1 h: 1 200, 1 800 = 2 / 4.
                within_target: Some(0.5),
            };
            r.expect(&k.all, week.clone());
            r.expect(&k.by_platform["x"], week);

            // No post text and no raw author id anywhere in the store (checkpoints included).
            let authors: Vec<String> = (1..=9).map(c).collect();
            let texts = ["text of"].into_iter();
            g.assert_not_stored(texts.chain(authors.iter().map(String::as_str)))
                .await;
        })
        .await;
}
