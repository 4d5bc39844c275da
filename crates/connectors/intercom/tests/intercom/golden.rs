//! The golden scenario: a small Intercom workspace served by wiremock, synced by the kit's
//! golden runner into a real store (SQLite, and Postgres when `DESKPULSE_TEST_POSTGRES_URL`
//! is set; each sync twice, the second changing nothing), and the week's report computed
//! from it equals the hand-computed values.

use crate::common::*;
use crate::golden_db::Db;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::testkit::Golden;
use deskpulse_connector_intercom::{Clock, IntercomSettings};
use deskpulse_model::Channel;
use serde_json::{Value, json};

/// Monday 2026-11-09 00:00 UTC: the start of ISO week 2026-W46.
const MON: i64 = 1_794_182_400;
const ALICE: &str = "991000001";
/// Intercom's Operator bot, listed among the admins.
const OPERATOR: &str = "991000009";

/// `day` days after Monday, at `h:m` UTC.
fn t(day: i64, h: i64, m: i64) -> i64 {
    MON + day * 86_400 + h * 3600 + m * 60
}

fn conv(id: &str, created: i64, state: &str, channel: &str, parts: Vec<Value>) -> Value {
    let updated = parts
        .iter()
        .map(|p| p["created_at"].as_i64().unwrap())
        .max()
        .unwrap_or(created)
        + 60;
    let mut c = with_parts(conversation(id, created, updated, state), parts);
    c["source"]["type"] = json!(channel);
    c["admin_assignee_id"] = json!(ALICE.parse::<i64>().unwrap());
    c
}

fn rating(score: Option<i64>, at: i64) -> Value {
    json!({
        "rating": score,
        "remark": null,
        "created_at": at,
        "contact": {"type": "contact", "id": "x"},
        "teammate": {"type": "admin", "id": ALICE}
    })
}

fn workspace() -> (Vec<Value>, Vec<&'static str>) {
    let user = |id: &str| format!("contact-{id}");
    // C1, Mon: e-mail; Alice answers after 30 min and closes; rated 5.
    let mut c1 = conv(
        "c1",
        t(0, 9, 0),
        "closed",
        "email",
        vec![
            part("101", "comment", t(0, 9, 30), "admin", ALICE),
            part("102", "close", t(0, 10, 0), "admin", ALICE),
        ],
    );
    c1["conversation_rating"] = rating(Some(5), t(0, 10, 30));
    // C2, Tue: chat; the bot answers at once (not a human reply), Alice after 1 h, twice;
    // closed; rated 2.
    let mut c2 = conv(
        "c2",
        t(1, 10, 0),
        "closed",
        "conversation",
        vec![
            part("201", "comment", t(1, 10, 1), "bot", OPERATOR),
            part("202", "comment", t(1, 11, 0), "admin", ALICE),
            part("203", "comment", t(1, 11, 30), "admin", ALICE),
            part("204", "close", t(1, 12, 0), "admin", ALICE),
        ],
    );
    c2["conversation_rating"] = rating(Some(2), t(1, 12, 30));
    // C3, Wed: chat; Alice answers after 20 min and closes; the customer writes again
    // (reopens it), Alice answers and closes again.
    let c3 = conv(
        "c3",
        t(2, 8, 0),
        "closed",
        "conversation",
        vec![
            part("301", "comment", t(2, 8, 20), "admin", ALICE),
            part("302", "close", t(2, 9, 0), "admin", ALICE),
            part("303", "comment", t(2, 10, 0), "user", &user("c3")),
            part("304", "comment", t(2, 10, 30), "admin", ALICE),
            part("305", "close", t(2, 11, 0), "admin", ALICE),
        ],
    );
    // C4, Thu: outbound (Alice wrote first); the customer answers, Alice replies, closes.
    let mut c4 = conv(
        "c4",
        t(3, 12, 0),
        "closed",
        "email",
        vec![
            part("401", "comment", t(3, 13, 0), "user", &user("c4")),
            part("402", "comment", t(3, 13, 30), "admin", ALICE),
            part("403", "close", t(3, 14, 0), "admin", ALICE),
        ],
    );
    c4["source"]["delivered_as"] = json!("admin_initiated");
    c4["source"]["author"] =
        json!({"type": "admin", "id": ALICE, "name": "Alice", "email": "alice@example.com"});
    // C5, Fri: chat; only an internal note; a survey was sent but never answered.
    let mut c5 = conv(
        "c5",
        t(4, 9, 0),
        "open",
        "conversation",
        vec![part("501", "note", t(4, 9, 10), "admin", ALICE)],
    );
    c5["conversation_rating"] = rating(None, t(4, 9, 20));
    // C6, Sat: found by the search, deleted before its parts were fetched (404).
    let c6 = conv(
        "c6",
        t(5, 10, 0),
        "open",
        "conversation",
        vec![part("601", "comment", t(5, 10, 5), "admin", ALICE)],
    );
    // C7, the Sunday before: Alice answers and closes on Monday.
    let c7 = conv(
        "c7",
        t(-1, 20, 0),
        "closed",
        "email",
        vec![
            part("701", "comment", t(0, 8, 0), "admin", ALICE),
            part("702", "close", t(0, 9, 0), "admin", ALICE),
        ],
    );
    // C8, Fri: WhatsApp; the Operator (an admin account that is a bot) answers, Alice
    // snoozes it; no human reply yet.
    let c8 = conv(
        "c8",
        t(4, 15, 0),
        "snoozed",
        "whatsapp",
        vec![
            part("801", "comment", t(4, 15, 1), "admin", OPERATOR),
            part("802", "snoozed", t(4, 15, 5), "admin", ALICE),
        ],
    );
    (vec![c1, c2, c3, c4, c5, c6, c7, c8], vec!["c6"])
}

#[tokio::test]
async fn golden_week() {
    Golden::new("src", &[])
        .run::<Db>(async |g| {
            let (convs, deleted) = workspace();
            let (server, fake) = Fake::serve(convs).await;
            fake.delete(&deleted);
            mount_admins(
                &server,
                json!([
                    {"type": "admin", "id": ALICE, "name": "Alice Agent", "email": "alice@example.com",
                     "away_mode_enabled": false, "away_mode_reassign": false, "has_inbox_seat": true, "team_ids": []},
                    {"type": "admin", "id": OPERATOR, "name": "Operator", "email": "operator+abcd1234@intercom.io",
                     "away_mode_enabled": false, "away_mode_reassign": false, "has_inbox_seat": false, "team_ids": []}
                ]),
            )
            .await;
            let c = connector_with(IntercomSettings {
                page_size: Some(3),
                ..settings(&server)
            })
            // The Monday after the week: every conversation is old enough for the roster to judge.
            .with_clock(Clock::fixed(at(t(7, 0, 0))));
            // Every stream, the roster last: it lists every conversation but C6, whose deletion its
            // 404 already told, so it changes none of the figures below; on the second sync it is
            // not due yet.
            let synced = g.sync(&c).await;
            // 8 conversations, 3 a page.
            assert_eq!(synced.first("conversations").batches, 3);
            // 7 still listed, 3 a page; a day has not passed before the second sync.
            assert_eq!(synced.first("ticket_roster").batches, 3);
            assert_eq!(synced.again("ticket_roster").batches, 0);

            let r = g.report("2026-W46").await;
            let k = &r.kpis;

            // Volume: created in the week, the deleted C6 excluded: C1 C2 C3 C4 C5 C8 = 6
            // (C7 was created the Sunday before). E-mail C1 C4, chat C2 C3 C5, social C8.
            assert_eq!(k.ticket_volume.value, 6);
            assert_eq!(k.ticket_volume.by_channel.get(&Channel::Email), Some(&2));
            assert_eq!(k.ticket_volume.by_channel.get(&Channel::Chat), Some(&3));
            assert_eq!(k.ticket_volume.by_channel.get(&Channel::Social), Some(&1));

            // Solved: final solve in the week: C1 (Mon 10:00), C2 (Tue 12:00), C3 (Wed 11:00, after
            // its reopen), C4 (Thu 14:00), C7 (Mon 09:00) = 5.
            assert_eq!(k.solved.value, 5);

            // First response, tickets created in the week and not outbound (C4 is): C1 30 min =
            // 1800 s, C2 1 h = 3600 s (the bot's reply at 10:01 does not count), C3 20 min = 1200
            // s. n = 3, median 1800, mean (1800 + 3600 + 1200) / 3 = 2200. C5 (a note only) and C8
            // (the Operator bot only) still wait: 2.
            let frt = &k.first_response_time;
            assert_eq!(frt.stats.n, 3);
            assert_eq!(frt.stats.median_seconds, Some(1800.0));
            assert_eq!(frt.stats.mean_seconds, Some(2200.0));
            assert_eq!(frt.waiting, 2);

            // One-touch: solved with exactly one public human reply: C1 (1), C4 (1: its opening
            // message is not a reply), C7 (1); not C2 (2) nor C3 (2) → 3 / 5.
            assert_eq!(k.one_touch_resolution_rate.n, 5);
            assert_eq!(k.one_touch_resolution_rate.value, Some(0.6));

            // Reopen rate: C3 was reopened by the customer's reply → 1 / 5.
            assert_eq!(k.reopen_rate.n, 5);
            assert_eq!(k.reopen_rate.value, Some(0.2));

            // CSAT: answers in the week: C1 5 (satisfied), C2 2 (not); C5's survey was never
            // answered → 1 / 2; mean (5 + 2) / 2 = 3.5.
            assert_eq!(k.csat.n, 2);
            assert_eq!(k.csat.value, Some(0.5));
            assert_eq!(k.csat.mean, Some(3.5));
        })
        .await;
}
