//! Replaced status histories, vendor values and sweeps of vendor ids (issue 11): what a
//! connector that cannot report deletions or append-only history relies on storage for.

use super::{SRC, at, change, ticket};
use crate::Store;
use deskpulse_model::{
    Batch, Checkpoint, Record, StatusHistory, TicketRoster, TicketStatus, VendorDuration,
    VendorMetrics,
};
use serde_json::json;

async fn commit(store: &Store, stream: &str, records: Vec<Record>) {
    let batch = Batch {
        records,
        checkpoint: Checkpoint::new(json!({"n": 1})),
    };
    store.commit_batch(SRC, stream, &batch).await.unwrap();
}

async fn status_of(store: &Store, id: &str) -> TicketStatus {
    let all = store
        .load_tickets(&[SRC.to_owned()], at(-10_000), at(10_000))
        .await
        .unwrap();
    all.iter()
        .find(|t| t.ticket.external_id == id)
        .unwrap_or_else(|| panic!("ticket {id} is not stored"))
        .ticket
        .status
}

async fn changes_of(store: &Store, id: &str) -> Vec<String> {
    let all = store
        .load_tickets(&[SRC.to_owned()], at(-10_000), at(10_000))
        .await
        .unwrap();
    let t = all.iter().find(|t| t.ticket.external_id == id).unwrap();
    t.status_changes
        .iter()
        .map(|c| format!("{}:{}", c.external_id, c.to))
        .collect()
}

/// A connector that synthesizes history (Help Scout threads, Intercom parts) re-reads the
/// whole conversation: what it no longer shows must not stay behind.
pub(super) async fn a_status_history_replaces_the_stored_one(store: Store) {
    use TicketStatus::*;
    commit(
        &store,
        "conversations",
        vec![
            Record::Ticket(ticket("7", Solved, at(0), at(5))),
            Record::StatusHistory(StatusHistory {
                ticket_id: "7".into(),
                changes: vec![
                    change("7-closed-1", "7", Solved, at(2)),
                    change("t1", "7", Solved, at(5)),
                ],
            }),
            // Another ticket's loose change is untouched.
            Record::Ticket(ticket("8", Solved, at(0), at(5))),
            Record::StatusChange(change("x1", "8", Solved, at(3))),
        ],
    )
    .await;
    assert_eq!(
        changes_of(&store, "7").await,
        ["7-closed-1:solved", "t1:solved"]
    );
    // Read again later: the synthetic close is gone, a reopen appeared.
    commit(
        &store,
        "conversations",
        vec![
            Record::Ticket(ticket("7", Open, at(0), at(9))),
            Record::StatusHistory(StatusHistory {
                ticket_id: "7".into(),
                changes: vec![
                    change("t1", "7", Solved, at(5)),
                    deskpulse_model::StatusChange {
                        from: Some(Solved),
                        ..change("t2", "7", Open, at(9))
                    },
                ],
            }),
        ],
    )
    .await;
    assert_eq!(changes_of(&store, "7").await, ["t1:solved", "t2:open"]);
    assert_eq!(changes_of(&store, "8").await, ["x1:solved"]);
    // The facts follow: reopened once, open now (in the backlog at the end).
    let input = store
        .load_report_input(&[SRC.to_owned()], at(0), at(24))
        .await
        .unwrap();
    let f = input.facts.iter().find(|f| f.ticket_id == "7").unwrap();
    assert_eq!((f.reopens, f.solved_now), (1, false));
    // An empty history clears it.
    commit(
        &store,
        "conversations",
        vec![Record::StatusHistory(StatusHistory {
            ticket_id: "7".into(),
            changes: vec![],
        })],
    )
    .await;
    assert!(changes_of(&store, "7").await.is_empty());
    // A change of another ticket inside a history is refused, and nothing is written.
    let bad = Batch {
        records: vec![Record::StatusHistory(StatusHistory {
            ticket_id: "8".into(),
            changes: vec![change("y", "9", Solved, at(1))],
        })],
        checkpoint: Checkpoint::new(json!({"n": 2})),
    };
    let err = store
        .commit_batch(SRC, "conversations", &bad)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ticket 9"), "{err}");
    assert_eq!(changes_of(&store, "8").await, ["x1:solved"]);
}

fn vendor(ticket_id: &str, updated_hours: i64, frt: i64) -> VendorMetrics {
    VendorMetrics {
        ticket_id: ticket_id.into(),
        updated_at: at(updated_hours),
        first_response: VendorDuration {
            calendar_seconds: Some(frt),
            business_seconds: None,
        },
        first_resolution: VendorDuration::calendar(Some(7200)),
        full_resolution: VendorDuration::NONE,
        reopens: Some(0),
        replies: Some(1),
    }
}

/// Vendor values are upserts; a replayed old page never undoes a newer version.
pub(super) async fn vendor_metrics_keep_the_newest_version(store: Store) {
    commit(
        &store,
        "tickets",
        vec![Record::VendorMetrics(vendor("5", 2, 60))],
    )
    .await;
    commit(
        &store,
        "tickets",
        vec![Record::VendorMetrics(vendor("5", 4, 120))],
    )
    .await;
    commit(
        &store,
        "tickets",
        vec![Record::VendorMetrics(vendor("5", 3, 999))],
    )
    .await;
    let dump = store.dump().await.unwrap();
    let rows: Vec<&String> = dump
        .iter()
        .filter(|l| l.starts_with("vendor_metrics "))
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("[120,null]"), "{}", rows[0]);
    assert_eq!(store.counts().await.unwrap()["vendor_metrics"], 1);
}

fn roster(sweep_hours: i64, ids: &[&str], complete: bool) -> Record {
    Record::TicketRoster(TicketRoster {
        sweep_started_at: at(sweep_hours),
        listed_before: at(sweep_hours - 1),
        ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        complete,
    })
}

/// Help Scout and Intercom never report a deletion: a completed sweep finds it by absence;
/// a later sweep (or sync) that lists the ticket again brings it back exactly as it was.
pub(super) async fn a_completed_sweep_excludes_what_it_did_not_find(store: Store) {
    use TicketStatus::*;
    commit(
        &store,
        "conversations",
        vec![
            Record::Ticket(ticket("1", Open, at(0), at(1))),
            Record::Ticket(ticket("2", Solved, at(0), at(1))),
            Record::Ticket(ticket("3", Pending, at(0), at(1))),
            // Created after `listed_before` of the sweep below: not judged.
            Record::Ticket(ticket("4", Open, at(99), at(99))),
        ],
    )
    .await;
    // Two pages; ticket 2 is on neither. Nothing changes before the last page.
    commit(&store, "ticket_roster", vec![roster(100, &["1"], false)]).await;
    assert_eq!(status_of(&store, "2").await, Solved);
    commit(&store, "ticket_roster", vec![roster(100, &["3"], true)]).await;
    assert_eq!(status_of(&store, "1").await, Open);
    assert_eq!(status_of(&store, "2").await, Deleted);
    assert_eq!(status_of(&store, "3").await, Pending);
    assert_eq!(status_of(&store, "4").await, Open);
    let input = store
        .load_report_input(&[SRC.to_owned()], at(0), at(24))
        .await
        .unwrap();
    let mut ids: Vec<&str> = input.facts.iter().map(|f| f.ticket_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["1", "3"], "the missing ticket counts nowhere");

    // A sweep that is cut short and replaced by a new one starts over: the pages of the
    // abandoned sweep do not count for the new one.
    commit(
        &store,
        "ticket_roster",
        vec![roster(200, &["1", "2", "3"], false)],
    )
    .await;
    commit(
        &store,
        "ticket_roster",
        vec![roster(300, &["2", "3"], true)],
    )
    .await;
    assert_eq!(
        status_of(&store, "1").await,
        Deleted,
        "1 was only in the abandoned sweep"
    );
    assert_eq!(
        status_of(&store, "2").await,
        Solved,
        "listed again: restored as it was"
    );
    assert_eq!(status_of(&store, "4").await, Deleted);

    // The incremental sync sees ticket 1 again: it exists.
    commit(
        &store,
        "conversations",
        vec![Record::Ticket(ticket("1", Open, at(0), at(301)))],
    )
    .await;
    assert_eq!(status_of(&store, "1").await, Open);
}
