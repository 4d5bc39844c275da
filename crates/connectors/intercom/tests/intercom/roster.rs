//! The `ticket_roster` stream: a sweep over every conversation id Intercom still lists, by
//! `created_at` with the search's position cursor, at most every `roster_every`, resumable,
//! on a clock the tests set. Deleted conversations never show up in Intercom's search
//! otherwise (`GET /conversations/{id}` answers 404, the search drops them).

use crate::common::*;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::{Batch, Checkpoint, Connector};
use deskpulse_connector_intercom::{Clock, IntercomConnector, IntercomSettings};
use deskpulse_model::TicketRoster;
use deskpulse_storage::testing::TestDb;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use wiremock::MockServer;

/// The sweep's clock: 2025-11-14T06:00:00Z.
const NOW: i64 = 1_763_100_000;
const HOUR: i64 = 3_600;

/// Five conversations created days before `NOW` (3 and 4 in the same second), and one
/// created ten minutes before it: not judged, so not listed.
fn workspace() -> Vec<Value> {
    let created = [
        NOW - 400_000,
        NOW - 300_000,
        NOW - 200_000,
        NOW - 200_000,
        NOW - 2 * HOUR,
    ];
    let mut convs: Vec<Value> = created
        .iter()
        .enumerate()
        .map(|(i, t)| conversation(&format!("{}", i + 1), *t, t + 500, "open"))
        .collect();
    convs.push(conversation("new", NOW - 600, NOW - 600, "open"));
    convs
}

fn pages(batches: &[Batch]) -> Vec<TicketRoster> {
    records(batches)
        .into_iter()
        .map(|r| match r.as_ticket_roster() {
            Some(p) => p.clone(),
            None => panic!("the roster yields roster pages only, got {r:?}"),
        })
        .collect()
}

fn page(started: i64, ids: &[&str], complete: bool) -> TicketRoster {
    TicketRoster {
        sweep_started_at: at(started),
        listed_before: at(started - HOUR),
        ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        complete,
    }
}

fn roster_settings(server: &MockServer, every: &str) -> IntercomSettings {
    IntercomSettings {
        roster_every: every.into(),
        ..settings(server)
    }
}

#[tokio::test]
async fn a_sweep_lists_every_id_by_created_at_with_the_search_cursor() {
    let (server, fake) = Fake::serve(workspace()).await;
    let batches = read_ok(&connector_at(&server, NOW), "ticket_roster", None).await;
    assert_eq!(
        pages(&batches),
        [
            page(NOW, &["1", "2"], false),
            page(NOW, &["3", "4"], false),
            page(NOW, &["5"], true),
        ]
    );
    let searches = fake.searches();
    assert_eq!(
        searches[0],
        json!({
            "query": {"field": "created_at", "operator": "<", "value": NOW - HOUR},
            "sort": {"field": "created_at", "order": "ascending"},
            "pagination": {"per_page": 2}
        })
    );
    // Each next page sends back `pages.next.starting_after`, nothing else changes.
    let cursors: Vec<&Value> = searches
        .iter()
        .map(|s| &s["pagination"]["starting_after"])
        .collect();
    assert_eq!(
        cursors,
        [
            &Value::Null,
            &json!(format!("WzC{}|2", NOW - 300_000)),
            &json!(format!("WzC{}|4", NOW - 200_000)),
        ]
    );
    let checkpoints: Vec<&Value> = batches.iter().map(|b| b.checkpoint.value()).collect();
    assert_eq!(
        checkpoints,
        [
            &json!({"sweep_started_at": NOW, "starting_after": format!("WzC{}|2", NOW - 300_000), "last_completed_at": null}),
            &json!({"sweep_started_at": NOW, "starting_after": format!("WzC{}|4", NOW - 200_000), "last_completed_at": null}),
            &json!({"last_completed_at": NOW}),
        ]
    );
}

/// A live id skipped by the sweep would be taken for deleted. With the position cursor on
/// `created_at` (which an update never changes), a conversation deleted after its page, one
/// deleted before its page and one updated in between move nothing: every live id is
/// listed, the one deleted before its page is not.
#[tokio::test]
async fn a_sweep_skips_no_live_id_while_conversations_are_deleted_and_updated() {
    let (server, fake) = Fake::serve(workspace()).await;
    let c = connector_at(&server, NOW);
    let mut stream = c.read("ticket_roster", None);
    let mut batches = vec![stream.next().await.unwrap().unwrap()];
    {
        let mut convs = fake.conversations.lock().unwrap();
        convs.remove("1");
        convs.remove("5");
        let mut three = convs["3"].clone();
        three["updated_at"] = json!(NOW - 10);
        three["state"] = json!("closed");
        convs.insert("3".into(), three);
    }
    while let Some(b) = stream.next().await {
        batches.push(b.unwrap());
    }
    let listed: Vec<String> = pages(&batches).into_iter().flat_map(|p| p.ids).collect();
    assert_eq!(listed, ["1", "2", "3", "4"]);
    assert!(pages(&batches).last().unwrap().complete);
}

#[tokio::test]
async fn a_sweep_runs_at_most_every_roster_every() {
    let (server, fake) = Fake::serve(workspace()).await;
    let done = Checkpoint::new(json!({"last_completed_at": NOW}));

    // Default 24 h: an hour later, no batch and no request.
    let early = read_ok(
        &connector_at(&server, NOW + HOUR),
        "ticket_roster",
        Some(done.clone()),
    )
    .await;
    assert!(early.is_empty());
    assert!(fake.searches().is_empty(), "no request before the interval");
    // A day later, a new sweep starts now.
    let due = read_ok(
        &connector_at(&server, NOW + 24 * HOUR),
        "ticket_roster",
        Some(done.clone()),
    )
    .await;
    assert_eq!(pages(&due)[0].sweep_started_at, at(NOW + 24 * HOUR));
    assert_eq!(
        due.last().unwrap().checkpoint.value(),
        &json!({"last_completed_at": NOW + 24 * HOUR})
    );

    // `roster_every = "6h"`: due at six hours to the second; `"0s"`: every sync, even in the
    // same second.
    for (every, now, batches) in [
        ("6h", NOW + 6 * HOUR - 1, 0),
        ("6h", NOW + 6 * HOUR, 3),
        ("0s", NOW, 3),
    ] {
        let c = connector_with(roster_settings(&server, every)).with_clock(Clock::fixed(at(now)));
        let read = read_ok(&c, "ticket_roster", Some(done.clone())).await;
        assert_eq!(read.len(), batches, "{every} at {now}");
    }
}

/// Killed after its first page, the sweep resumes from the cursor with the same
/// `sweep_started_at` (so storage counts its pages together), whatever the time now; its
/// completion is recorded when it completes. The previous completion rides along meanwhile.
#[tokio::test]
async fn a_sweep_cut_short_resumes_with_its_sweep_started_at() {
    let (server, fake) = Fake::serve(workspace()).await;
    let previous = Checkpoint::new(json!({"last_completed_at": NOW - 30 * HOUR}));
    let clean = read_ok(&connector_at(&server, NOW), "ticket_roster", Some(previous)).await;
    assert_eq!(
        clean[0].checkpoint.value()["last_completed_at"],
        json!(NOW - 30 * HOUR)
    );
    let before = fake.searches().len();
    let resumed = read_ok(
        &connector_at(&server, NOW + 2 * HOUR),
        "ticket_roster",
        Some(clean[0].checkpoint.clone()),
    )
    .await;
    assert_eq!(pages(&resumed), pages(&clean[1..]));
    assert_eq!(
        fake.searches()[before]["pagination"]["starting_after"],
        clean[0].checkpoint.value()["starting_after"]
    );
    assert_eq!(
        resumed.last().unwrap().checkpoint.value(),
        &json!({"last_completed_at": NOW + 2 * HOUR})
    );
}

async fn facts_ids(store: &deskpulse_storage::Store) -> BTreeSet<String> {
    store
        .load_report_input(&["src".into()], at(NOW - 500_000), at(NOW))
        .await
        .unwrap()
        .facts
        .into_iter()
        .map(|f| f.ticket_id)
        .collect()
}

async fn sync_all(c: &IntercomConnector, store: &deskpulse_storage::Store) {
    for stream in ["conversations", "ticket_roster"] {
        sync_into(c, store, stream).await;
    }
}

/// End to end: a conversation deleted in Intercom after it was synced is in no search and
/// nothing reports it; the next due sweep does not list it, and it leaves every KPI.
#[tokio::test]
async fn a_conversation_deleted_in_intercom_leaves_every_kpi_after_the_next_sweep() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let convs: Vec<Value> = workspace()
        .into_iter()
        .filter(|c| c["id"] != "new")
        .map(|c| {
            let id = c["id"].as_str().unwrap().to_owned();
            let t = c["created_at"].as_i64().unwrap();
            with_parts(
                c,
                vec![part(
                    &format!("{id}1"),
                    "comment",
                    t + 60,
                    "admin",
                    "991267466",
                )],
            )
        })
        .collect();
    let (server, fake) = Fake::serve(convs).await;
    sync_all(&connector_at(&server, NOW), &store).await;
    assert_eq!(
        facts_ids(&store).await,
        ["1", "2", "3", "4", "5"].map(String::from).into()
    );

    fake.conversations.lock().unwrap().remove("2");
    // Within the interval the sweep does not run: 2 is still counted.
    sync_all(&connector_at(&server, NOW + HOUR), &store).await;
    assert!(facts_ids(&store).await.contains("2"));
    sync_all(&connector_at(&server, NOW + 24 * HOUR), &store).await;
    assert_eq!(
        facts_ids(&store).await,
        ["1", "3", "4", "5"].map(String::from).into()
    );
    db.cleanup().await;
}

/// Should the search refuse a cursor saved by a sweep cut short long ago (a 400), the
/// sweep starts over now rather than failing on every sync.
#[tokio::test]
async fn a_refused_saved_cursor_starts_a_new_sweep() {
    let (server, _) = Fake::serve(workspace()).await;
    let stale = Checkpoint::new(json!({
        "sweep_started_at": NOW - 40 * HOUR,
        "starting_after": "WzE3MDc5MzAwODEwMDAsMTMxLDJd",
        "last_completed_at": null
    }));
    let batches = read_ok(&connector_at(&server, NOW), "ticket_roster", Some(stale)).await;
    assert_eq!(
        pages(&batches),
        [
            page(NOW, &["1", "2"], false),
            page(NOW, &["3", "4"], false),
            page(NOW, &["5"], true),
        ]
    );
}

/// A sweep's checkpoint stored by the connector before the SDK port, written out literally
/// (`last_completed_at: null` before any sweep completed), resumes at its cursor with its
/// `sweep_started_at`.
#[tokio::test]
async fn a_sweep_checkpoint_stored_before_the_port_still_resumes() {
    let (server, fake) = Fake::serve(workspace()).await;
    let stored = Checkpoint::new(json!({
        "sweep_started_at": NOW,
        "starting_after": format!("WzC{}|2", NOW - 300_000),
        "last_completed_at": null
    }));
    let batches = read_ok(
        &connector_at(&server, NOW + HOUR),
        "ticket_roster",
        Some(stored),
    )
    .await;
    assert_eq!(
        pages(&batches),
        [page(NOW, &["3", "4"], false), page(NOW, &["5"], true)]
    );
    assert_eq!(
        fake.searches()[0]["pagination"]["starting_after"],
        json!(format!("WzC{}|2", NOW - 300_000))
    );
    assert_eq!(
        batches[0].checkpoint.value(),
        &json!({"sweep_started_at": NOW, "starting_after": format!("WzC{}|4", NOW - 200_000), "last_completed_at": null})
    );
    assert_eq!(
        batches.last().unwrap().checkpoint.value(),
        &json!({"last_completed_at": NOW + HOUR})
    );
}
