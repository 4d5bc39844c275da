//! The golden scenario: a small Freshdesk account served by wiremock, synced by the kit's
//! golden runner into a real store (SQLite, and Postgres when configured; the sync twice,
//! the second changing nothing), reported by the metrics crate, equal to values computed by
//! hand.

use crate::common::*;
use crate::golden_db::Db;
use deskpulse_connector::testkit::Golden;
use deskpulse_connector_freshdesk::FreshdeskSettings;
use deskpulse_model::Channel;
use serde_json::{Value, json};
use wiremock::matchers::{path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer};

const SOURCE: &str = "fd";

#[allow(clippy::too_many_arguments)]
fn t(
    id: i64,
    source: i64,
    status: i64,
    created: &str,
    updated: &str,
    responder: Option<i64>,
    stats: Value,
) -> Value {
    let mut t = ticket(id, created, updated);
    t["source"] = source.into();
    t["status"] = status.into();
    t["responder_id"] = responder.into();
    let requester = 5000 + (id - 100);
    t["requester_id"] = requester.into();
    t["requester"]["id"] = requester.into();
    t["requester"]["email"] = format!("c{requester}@example.com").into();
    for (k, v) in stats.as_object().unwrap() {
        t["stats"][k] = v.clone();
    }
    t
}

fn conv(id: i64, ticket: i64, at: &str, user: i64, incoming: bool, private: bool) -> Value {
    let mut c = reply(id, ticket, at);
    c["user_id"] = user.into();
    c["incoming"] = incoming.into();
    c["private"] = private.into();
    if private {
        c["source"] = 2.into();
    }
    c
}

async fn mount_account(server: &MockServer) {
    let mut agents = crate::common::airbyte("agents");
    agents[0]["id"] = 900.into();
    agents[0]["contact"]["name"] = "Alice Agent".into();
    agents[1]["id"] = 901.into();
    agents[1]["contact"]["name"] = "Bob Agent".into();
    serve(server, AGENTS, &[], Value::Array(agents)).await;

    // The default list, oldest update first. The spam and deleted lists give every sync
    // the same answer: the second sync re-reads them, and upserts.
    let all = json!([
        // Email, solved 3 h after creation; one reply after 30 min.
        t(
            101,
            1,
            4,
            "2026-11-09T09:00:00Z",
            "2026-11-09T12:00:00Z",
            Some(900),
            json!({"resolved_at": "2026-11-09T12:00:00Z", "first_responded_at": "2026-11-09T09:30:00Z"})
        ),
        // Phone, open; a private note (no response) at 08:05, the reply at 09:00.
        t(
            103,
            3,
            2,
            "2026-11-11T08:00:00Z",
            "2026-11-11T09:00:00Z",
            Some(901),
            json!({})
        ),
        // Chat, closed; resolved, reopened, resolved again: the last resolve is 11-11 10:00.
        t(
            102,
            7,
            5,
            "2026-11-10T10:00:00Z",
            "2026-11-12T10:00:00Z",
            Some(900),
            json!({"resolved_at": "2026-11-11T10:00:00Z", "closed_at": "2026-11-12T10:00:00Z",
                 "reopened_at": "2026-11-10T15:00:00Z"})
        ),
        // Outbound Email, resolved after 1 h.
        t(
            105,
            10,
            4,
            "2026-11-12T09:00:00Z",
            "2026-11-12T10:00:00Z",
            Some(901),
            json!({"resolved_at": "2026-11-12T10:00:00Z"})
        ),
        // Email, open; only an automatic reply.
        t(
            104,
            1,
            2,
            "2026-11-12T12:00:00Z",
            "2026-11-12T12:01:00Z",
            None,
            json!({})
        ),
        // Email from the week before, resolved in this one.
        t(
            108,
            1,
            4,
            "2026-11-05T09:00:00Z",
            "2026-11-13T10:00:00Z",
            Some(901),
            json!({"resolved_at": "2026-11-13T10:00:00Z"})
        ),
    ]);
    Mock::given(path(TICKETS))
        .and(query_param_is_missing("filter"))
        .and(query_param("include", "stats,requester"))
        .and(query_param("updated_since", EPOCH))
        .respond_with(json(all.clone()))
        .mount(server)
        .await;
    // The second sync starts at the bookmark, the newest update stored: ticket 108 again.
    Mock::given(path(TICKETS))
        .and(query_param_is_missing("filter"))
        .and(query_param("updated_since", "2026-11-13T10:00:00Z"))
        .respond_with(json(json!([all[5].clone()])))
        .mount(server)
        .await;
    let mut spam = t(
        106,
        1,
        2,
        "2026-11-10T08:00:00Z",
        "2026-11-10T08:05:00Z",
        None,
        json!({}),
    );
    spam["spam"] = true.into();
    serve(server, TICKETS, &[("filter", "spam")], json!([spam])).await;
    let deleted = t(
        107,
        1,
        2,
        "2026-11-11T07:00:00Z",
        "2026-11-11T07:30:00Z",
        None,
        json!({}),
    );
    serve(server, TICKETS, &[("filter", "deleted")], json!([deleted])).await;

    let mut auto = conv(1041, 104, "2026-11-12T12:00:30Z", 900, false, false);
    auto["auto_response"] = true.into();
    for (ticket, list) in [
        // The reply's author has left the team since: Freshdesk turned them into a contact
        // (5999 is no agent), yet `incoming: false` keeps it the agents' reply.
        (
            101,
            json!([conv(1011, 101, "2026-11-09T09:30:00Z", 5999, false, false)]),
        ),
        (
            102,
            json!([
                conv(1021, 102, "2026-11-10T10:10:00Z", 900, false, false),
                conv(1022, 102, "2026-11-10T14:00:00Z", 5002, true, false),
                conv(1023, 102, "2026-11-10T16:00:00Z", 900, false, false),
            ]),
        ),
        (
            103,
            json!([
                conv(1031, 103, "2026-11-11T08:05:00Z", 901, false, true),
                conv(1032, 103, "2026-11-11T09:00:00Z", 901, false, false),
            ]),
        ),
        (104, json!([auto])),
        (
            105,
            json!([conv(1051, 105, "2026-11-12T09:30:00Z", 5005, true, false)]),
        ),
        (
            108,
            json!([conv(1081, 108, "2026-11-05T10:00:00Z", 901, false, false)]),
        ),
    ] {
        mount_conversations(server, ticket, list).await;
    }

    let rating = |id: i64, ticket: i64, at: &str, answer: Option<i64>, feedback: &str| {
        let mut r = rating(id, at, json!(answer));
        r["ticket_id"] = ticket.into();
        r["feedback"] = feedback.into();
        if answer.is_none() {
            r["ratings"]
                .as_object_mut()
                .unwrap()
                .remove("default_question");
        }
        r
    };
    let ratings = json!([
        rating(1, 101, "2026-11-09T13:00:00Z", Some(103), ""),
        rating(2, 102, "2026-11-12T11:00:00Z", Some(-103), "slow"),
        rating(3, 105, "2026-11-12T11:00:00Z", Some(100), ""),
        // Only custom questions answered: no CSAT response.
        rating(4, 108, "2026-11-13T11:00:00Z", None, ""),
        // The week before: outside the period.
        rating(5, 108, "2026-11-06T11:00:00Z", Some(103), ""),
    ]);
    serve(server, RATINGS, &[], ratings).await;
}

#[tokio::test]
async fn golden_week() {
    Golden::new(SOURCE, &[])
        .run::<Db>(async |g| {
            let server = MockServer::start().await;
            mount_account(&server).await;
            let c = connector_of(FreshdeskSettings {
                page_size: None,
                ..settings(&server)
            });
            g.sync(&c).await;

            let r = g.report("2026-W46").await;
            let k = &r.kpis;

            // Volume: created in the period, spam (106) and deleted (107) excluded: 101, 102, 103,
            // 104, 105 = 5; email 101, 104, 105 (outbound email too) = 3, chat 1, phone 1.
            assert_eq!(k.ticket_volume.value, 5);
            assert_eq!(k.ticket_volume.by_channel.get(&Channel::Email), Some(&3));
            assert_eq!(k.ticket_volume.by_channel.get(&Channel::Chat), Some(&1));
            assert_eq!(k.ticket_volume.by_channel.get(&Channel::Phone), Some(&1));

            // Solved: final solve in the period: 101 (11-09 12:00), 102 (last resolve 11-11 10:00),
            // 105 (11-12 10:00), 108 (11-13 10:00) = 4.
            assert_eq!(k.solved.value, 4);
            // Backlog at the end: 103 and 104 are open = 2.
            assert_eq!(k.backlog.value, 2);

            // First response, over tickets created in the period and not outbound: 101: 09:00 →
            // 09:30 = 1800 s; 102: 10:00 → 10:10 = 600 s; 103: the 08:05 note is no response, 08:00
            // → 09:00 = 3600 s; 104 has only an automatic reply (bot replies do not count by
            // default): waiting; 105 is outbound. n = 3, median of (600, 1800, 3600) = 1800.
            let frt = &k.first_response_time;
            assert_eq!(frt.stats.n, 3);
            assert_eq!(frt.stats.median_seconds, Some(1800.0));
            assert_eq!(frt.waiting, 1);

            // Resolution, created → final solve, over the 4 solved: 101 3 h = 10800; 102 1 d =
            // 86400; 105 1 h = 3600; 108 11-05 09:00 → 11-13 10:00 = 8 d 1 h = 694800. Median of
            // (3600, 10800, 86400, 694800) = (10800 + 86400) / 2 = 48600.
            assert_eq!(k.resolution_time.stats.n, 4);
            assert_eq!(k.resolution_time.stats.median_seconds, Some(48600.0));

            // One touch: exactly one public human reply after the opening: 101 (1), 108 (1); not
            // 102 (2 replies) nor 105 (its opening is the agent's; then only the customer wrote) =
            // 2 / 4.
            assert_eq!(k.one_touch_resolution_rate.n, 4);
            assert_eq!(k.one_touch_resolution_rate.value, Some(0.5));

            // Reopens: 102 has `stats.reopened_at` = 1 of 4 solved.
            assert_eq!(k.reopen_rate.n, 4);
            assert_eq!(k.reopen_rate.value, Some(0.25));

            // CSAT, answers created in the period: 103 → 5 (satisfied), -103 → 1, 100 → 3; rating 4
            // answered no overall question, rating 5 is of the week before. n = 3, 1 satisfied:
            // 1/3; mean (5 + 1 + 3) / 3 = 3; the unsatisfied -103 has the comment "slow".
            assert_eq!(k.csat.n, 3);
            assert!(
                (k.csat.value.unwrap() - 1.0 / 3.0).abs() < 1e-9,
                "{:?}",
                k.csat
            );
            assert!((k.csat.mean.unwrap() - 3.0).abs() < 1e-9, "{:?}", k.csat);
            assert_eq!(k.csat.unsatisfied_with_comment, 1);
        })
        .await;
}
