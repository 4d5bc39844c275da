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

/// `[day, hour, minute]` of the fixture: that time of the week.
fn time(v: &Value) -> i64 {
    t(
        v[0].as_i64().unwrap(),
        v[1].as_i64().unwrap(),
        v[2].as_i64().unwrap(),
    )
}

/// A conversation of `tests/fixtures/golden/workspace.json`, assigned to Alice and last
/// updated a minute after its last part.
fn conv(c: &Value) -> Value {
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    let parts: Vec<Value> = (c["parts"].as_array().unwrap().iter())
        .map(|p| part(&s(&p[0]), &s(&p[1]), time(&p[2]), &s(&p[3]), &s(&p[4])))
        .collect();
    let created = time(&c["created"]);
    let last = parts.iter().map(|p| p["created_at"].as_i64().unwrap());
    let updated = last.max().unwrap_or(created) + 60;
    let mut conv = with_parts(
        conversation(&s(&c["id"]), created, updated, &s(&c["state"])),
        parts,
    );
    conv["source"]["type"] = c["channel"].clone();
    conv["admin_assignee_id"] = json!(ALICE.parse::<i64>().unwrap());
    if let Some(r) = c.get("rating") {
        conv["conversation_rating"] = json!({
            "rating": r["score"],
            "remark": null,
            "created_at": time(&r["at"]),
            "contact": {"type": "contact", "id": "x"},
            "teammate": {"type": "admin", "id": ALICE}
        });
    }
    for (k, v) in c
        .get("source")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        conv["source"][k] = v.clone();
    }
    conv
}

/// The workspace's conversations, and those deleted after the search found them.
fn workspace() -> (Vec<Value>, Vec<String>) {
    let w = fixture("golden/workspace.json");
    let convs = w["conversations"].as_array().unwrap().iter().map(conv);
    let deleted = w["deleted"].as_array().unwrap().iter();
    (
        convs.collect(),
        deleted.map(|d| d.as_str().unwrap().into()).collect(),
    )
}

#[tokio::test]
async fn golden_week() {
    Golden::new("src", &[])
        .run::<Db>(async |g| {
            let (convs, deleted) = workspace();
            let (server, fake) = Fake::serve(convs).await;
            fake.delete(&deleted.iter().map(String::as_str).collect::<Vec<_>>());
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
