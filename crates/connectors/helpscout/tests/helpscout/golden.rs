//! A small Help Scout account through the whole pipeline, by the kit's golden runner:
//! wiremock → connector → `sync_stream` → a real store (SQLite, and Postgres when
//! configured) → report input → `compute_report`, against numbers computed by hand.
//!
//! The account, week 2026-W46 (Mon 2026-11-09 00:00 UTC to Mon 2026-11-16 00:00 UTC):
//!
//! | conv | created      | threads (status set)                                        | now     |
//! |------|--------------|-------------------------------------------------------------|---------|
//! | 201  | Mon 09:00    | customer (active); agent 5 reply 09:30 (closed, rated great) | closed  |
//! | 202  | Mon 10:00    | customer (active); agent 5 10:20 (pending); customer 11:00 (active); agent 6 12:00 (closed, rated not-good) | closed |
//! | 203  | Tue 08:00    | customer (active); agent 6 10:00 (closed); customer Wed 09:00 (active, a reopen); agent 6 Wed 09:30 (closed, rated ok) | closed |
//! | 204  | Tue 14:00    | customer (active); note by agent 5 14:30 (internal)         | active  |
//! | 205  | Wed 09:00    | agent 5 outbound message (active); customer 10:00; agent 5 11:00 (closed) | closed |
//! | 206  | Wed 12:00    | customer (spam)                                             | spam    |
//! | 207  | Thu 10:00    | customer (active); agent 5 10:15 (nochange)                  | active  |
//!
//! Users: agents 5 and 6. Two pages of conversations (201–204, then 205–207).

use crate::common::*;
use crate::golden_db::Db;
use deskpulse_connector::testkit::Golden;
use deskpulse_model::Channel;
use serde_json::{Value, json};
use wiremock::MockServer;

const SOURCE: &str = "hs-main";

/// A conversation of `tests/fixtures/golden/account.json`; a closed one takes its last
/// thread's author and time as its `closedBy` and `closedAt` (and its last update).
fn from_fixture(c: &Value) -> Value {
    let threads: Vec<Value> = c["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(thread_of)
        .collect();
    let (id, status) = (c["id"].as_i64().unwrap(), c["status"].as_str().unwrap());
    let last = threads.last().unwrap();
    let (by, when) = (last["createdBy"]["id"].clone(), last["createdAt"].clone());
    let mut conv = conversation(id, status, c["createdAt"].as_str().unwrap(), threads);
    if status == "closed" {
        conv["closedBy"] = by;
        conv["closedAt"] = when.clone();
        conv["userUpdatedAt"] = when;
    }
    if let Some(created_by) = c.get("createdBy") {
        conv["createdBy"] = created_by.clone();
    }
    conv
}

fn thread_of(t: &Value) -> Value {
    let s = |k: &str| t[k].as_str().unwrap();
    let by = (t["by"][0].as_str().unwrap(), t["by"][1].as_i64().unwrap());
    let mut thread = thread(
        t["id"].as_i64().unwrap(),
        s("type"),
        by,
        s("status"),
        s("at"),
    );
    if let Some(rating) = t.get("rating") {
        thread["rating"] = rating.clone();
    }
    thread
}

/// The two pages of conversations (201–204, then 205–207).
fn account() -> (Vec<Value>, Vec<Value>) {
    let pages = golden_fixture("account.json")["pages"].clone();
    let page = |i: usize| {
        pages[i]
            .as_array()
            .unwrap()
            .iter()
            .map(from_fixture)
            .collect()
    };
    (page(0), page(1))
}

async fn mount_account(server: &MockServer) {
    mount_token(server).await;
    mount_no_spam(server).await;
    mount_no_system_users(server).await;
    serve(server, get(USERS, None), hal_page(
            "users",
            vec![
                json!({"id": 5, "firstName": "Ann", "lastName": "Agent", "type": "user", "updatedAt": "2026-01-01T00:00:00Z"}),
                json!({"id": 6, "firstName": "Bob", "lastName": "Agent", "type": "user", "updatedAt": "2026-01-01T00:00:00Z"}),
            ],
            1,
            1,
            2,
        )).await;
    let (first, second) = account();
    serve(server, export(None, 1), conv_page(first, 1, 2, 7)).await;
    // Page 1 ends with 203 touched Wed 09:30 (its last reply), so the export restarts there.
    export(Some("2026-11-11T09:30:00Z"), 1)
        .respond_with(conv_page(second, 1, 1, 3))
        .mount(server)
        .await;
}

#[tokio::test]
async fn golden_week() {
    Golden::new(SOURCE, &[])
        .run::<Db>(async |g| {
            let server = MockServer::start().await;
            mount_account(&server).await;
            // The runner's second sync resumes from the stored checkpoint: conversations
            // since Thu 10:15 (207's last thread) minus the 10-minute lookback.
            export(Some("2026-11-12T10:05:00Z"), 1)
                .respond_with(empty_page())
                .expect(1)
                .mount(&server)
                .await;
            let c = connector(&server);
            let synced = g.sync_streams(&c, &["users", "conversations"]).await;
            assert_eq!(synced.again("conversations").records, 0);

            let r = g.report("2026-W46").await;
            let k = &r.kpis;

            // Volume: 201, 202, 203, 204, 205, 207 = 6 (206 is spam, excluded everywhere).
            assert_eq!(k.ticket_volume.value, 6);
            assert_eq!(k.ticket_volume.by_channel.get(&Channel::Email), Some(&6));
            // Solved (final solve in the week): 201 (Mon 09:30), 202 (Mon 12:00), 203 (Wed 09:30),
            // 205 (Wed 11:00) = 4.
            assert_eq!(k.solved.value, 4);
            // First response, inbound tickets created in the week (205 is outbound): 201: 09:00 →
            // 09:30 = 1800 s; 202: 10:00 → 10:20 = 1200 s; 203: 08:00 → 10:00 = 7200 s; 207: 10:00
            // → 10:15 = 900 s; 204 has only an internal note: waiting. Sorted 900, 1200, 1800,
            // 7200: n = 4, median = (1200 + 1800) / 2 = 1500 s.
            assert_eq!(k.first_response_time.stats.n, 4);
            assert_eq!(k.first_response_time.stats.median_seconds, Some(1500.0));
            assert_eq!(k.first_response_time.waiting, 1);
            // One-touch: solved tickets with exactly one public agent reply: 201 (1 reply); 202 has
            // 2, 203 has 2; 205 has 1 reply after its opening message (2053; the opening 2051 is
            // no reply) → 201 and 205 = 2 of 4 = 0.5.
            assert_eq!(k.one_touch_resolution_rate.n, 4);
            assert_eq!(k.one_touch_resolution_rate.value, Some(0.5));
            // Reopen rate: 203 was solved Tue 10:00 and reopened Wed 09:00 (202 went pending, never
            // solved, before its solve) → 1 of 4 = 0.25.
            assert_eq!(k.reopen_rate.value, Some(0.25));
            // Resolution time of 203 runs to its final solve; of the four: 201 1800 s, 202 7200 s,
            // 203 25 h 30 min = 91800 s, 205 7200 s → median (7200 + 7200) / 2 = 7200 s.
            assert_eq!(k.resolution_time.stats.n, 4);
            assert_eq!(k.resolution_time.stats.median_seconds, Some(7200.0));
            // CSAT: great (5), not-good (1), ok (3) → satisfied (4–5 of 5) = 1 of 3; mean
            // (5 + 1 + 3) / 3 = 3.
            assert_eq!(k.csat.n, 3);
            assert!(
                (k.csat.value.unwrap() - 1.0 / 3.0).abs() < 1e-9,
                "{:?}",
                k.csat.value
            );
            assert_eq!(k.csat.mean, Some(3.0));
            // Backlog at the end: 204 and 207 are open = 2.
            assert_eq!(k.backlog.value, 2);
        })
        .await;
}
