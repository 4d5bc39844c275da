//! Data freshness, told figures and late changes; run on both backends by the suite in
//! `tests.rs`.

use super::{SRC, at, change, message, rating, ticket};
use crate::Store;
use chrono::Utc;
use deskpulse_model::{
    Batch, Checkpoint, LateChanges, Record, SourceFreshness, TicketStatus, ToldFigures,
};
use serde_json::json;
use std::collections::BTreeMap;

pub(super) async fn freshness_is_the_earliest_complete_stream_of_a_source(store: Store) {
    let sources = vec![SRC.to_owned(), "never".to_owned()];
    assert_eq!(
        store.freshness(&sources).await.unwrap(),
        [
            SourceFreshness::never_synced(SRC),
            SourceFreshness::never_synced("never")
        ]
    );
    // A first sync: both streams known, one read to its end.
    store
        .register_streams(SRC, &["tickets", "events"])
        .await
        .unwrap();
    store
        .record_stream_complete(SRC, "tickets", at(10), at(11))
        .await
        .unwrap();
    let f = &store.freshness(&sources).await.unwrap()[0];
    assert_eq!(f.complete_through, None);
    assert_eq!(f.incomplete_streams, ["events"]);
    assert!(!f.is_complete_through(at(0)));
    // The other stream fails, twice: failing since the first failure, with the last error.
    store
        .record_stream_failure(SRC, "events", "HTTP 500 (first)", at(12))
        .await
        .unwrap();
    store
        .record_stream_failure(SRC, "events", "HTTP 502 (second)", at(13))
        .await
        .unwrap();
    let f = &store.freshness(&sources).await.unwrap()[0];
    assert_eq!(f.failing_since, Some(at(12)));
    assert_eq!(f.last_error.as_deref(), Some("HTTP 502 (second)"));
    // It completes: the source is complete through the earlier stream; failing no more.
    store
        .record_stream_complete(SRC, "events", at(20), at(21))
        .await
        .unwrap();
    let f = &store.freshness(&sources).await.unwrap()[0];
    assert_eq!(
        (
            f.complete_through,
            f.last_success_at,
            f.failing_since,
            f.last_error.clone()
        ),
        (Some(at(10)), Some(at(11)), None, None)
    );
    assert!(f.incomplete_streams.is_empty());
    assert!(f.is_complete_through(at(10)) && !f.is_complete_through(at(11)));
    // Complete-through never moves back (a replayed older run); a failure keeps it.
    store
        .record_stream_complete(SRC, "tickets", at(30), at(31))
        .await
        .unwrap();
    store
        .record_stream_complete(SRC, "tickets", at(5), at(32))
        .await
        .unwrap();
    store
        .record_stream_failure(SRC, "events", "timeout", at(33))
        .await
        .unwrap();
    let f = &store.freshness(&sources).await.unwrap()[0];
    assert_eq!(f.complete_through, Some(at(20)));
    assert_eq!(f.failing_since, Some(at(33)));
    // A stream the connector dropped no longer counts; forgetting the source resets it.
    store.register_streams(SRC, &["tickets"]).await.unwrap();
    assert_eq!(
        store.freshness(&sources).await.unwrap()[0].complete_through,
        Some(at(30))
    );
    store.forget_source(SRC).await.unwrap();
    assert_eq!(
        store.freshness(&sources).await.unwrap()[0],
        SourceFreshness::never_synced(SRC)
    );
}

pub(super) async fn a_window_pending_makes_the_source_complete_only_from_its_start(store: Store) {
    let sources = vec![SRC.to_owned()];
    store
        .register_streams(SRC, &["tickets", "ticket_events"])
        .await
        .unwrap();
    assert_eq!(
        store.window_start(SRC, "ticket_events").await.unwrap(),
        None
    );
    // A first sync read the events' recent window (from at(100)) and both streams to
    // their end; the events before at(100) are still to be backfilled.
    store
        .set_window_start(SRC, "ticket_events", Some(at(100)))
        .await
        .unwrap();
    for stream in ["tickets", "ticket_events"] {
        store
            .record_stream_complete(SRC, stream, at(300), at(301))
            .await
            .unwrap();
    }
    assert_eq!(
        store.window_start(SRC, "ticket_events").await.unwrap(),
        Some(at(100))
    );
    let f = &store.freshness(&sources).await.unwrap()[0];
    assert_eq!(f.complete_from, Some(at(100)));
    assert_eq!(f.backfilling_streams, ["ticket_events"]);
    assert!(f.is_complete_through(at(300)));
    assert!(
        !f.is_complete_for((at(0), at(168)), 0),
        "a period before the window"
    );
    assert!(f.is_complete_for((at(168), at(300)), 0));
    assert!(
        !f.is_complete_for((at(168), at(300)), 1),
        "a ticket lacks its early events"
    );

    // Tickets with activity in [at(168), at(300)): "old" was opened before the window and
    // solved in the period, "new" inside it; "quiet" opened before and untouched since,
    // "replied" opened before and replied to in the period.
    let mut old = ticket("old", TicketStatus::Solved, at(50), at(200));
    old.final_solved_at = Some(at(200));
    let new = ticket("new", TicketStatus::Open, at(170), at(171));
    let quiet = ticket("quiet", TicketStatus::Open, at(60), at(60));
    // Opened before the window, touched only after the period.
    let later = ticket("later", TicketStatus::Open, at(65), at(350));
    let replied = ticket("replied", TicketStatus::Open, at(70), at(250));
    store
        .commit_batch(
            SRC,
            "tickets",
            &Batch {
                records: vec![
                    Record::Agent(deskpulse_model::Agent {
                        external_id: "100".into(),
                        name: "Ana".into(),
                        is_bot: false,
                    }),
                    Record::Ticket(old),
                    Record::Ticket(new),
                    Record::Ticket(quiet),
                    Record::Ticket(later),
                    Record::Message(message("m-later", "later", at(350))),
                    Record::Ticket(replied),
                    Record::Message(message("m-new", "new", at(180))),
                    Record::Message(customer("m-replied-1", "replied", at(70))),
                    Record::Message(customer("m-replied-2", "replied", at(240))),
                    Record::Message(message("m-replied-3", "replied", at(250))),
                    Record::StatusChange(change("c-old", "old", TicketStatus::Solved, at(200))),
                ],
                checkpoint: Checkpoint::new(json!({ "n": 1 })),
            },
        )
        .await
        .unwrap();
    let period = (at(168), at(300));
    assert_eq!(
        store
            .opened_before_window(SRC, at(100), period)
            .await
            .unwrap(),
        2,
        "old (solved in the period) and replied (messages in it); not new, opened in the window, nor quiet or later"
    );
    assert_eq!(
        store
            .opened_before_window(SRC, at(10), period)
            .await
            .unwrap(),
        0,
        "with the window before every ticket"
    );
    // The backfill reached the window: complete for every period it is complete through.
    store
        .set_window_start(SRC, "ticket_events", None)
        .await
        .unwrap();
    let f = &store.freshness(&sources).await.unwrap()[0];
    assert_eq!((f.complete_from, f.backfilling_streams.len()), (None, 0));
    assert!(f.is_complete_for((at(0), at(168)), 5));
}

fn customer(id: &str, ticket_id: &str, when: chrono::DateTime<Utc>) -> deskpulse_model::Message {
    let mut m = message(id, ticket_id, when);
    m.author_kind = deskpulse_model::AuthorKind::Customer;
    m.author_id = None;
    m
}

pub(super) async fn told_figures_are_kept_per_team_and_period(store: Store) {
    let told = |period: &str, volume: f64| ToldFigures {
        period: period.into(),
        told_at: at(100),
        values: BTreeMap::from([
            ("ticket_volume.value".to_owned(), volume),
            ("first_response_time.median_seconds".to_owned(), 2700.5),
        ]),
    };
    store
        .record_told_figures("support", &told("2026-W46", 40.0))
        .await
        .unwrap();
    store
        .record_told_figures("sales", &told("2026-W46", 7.0))
        .await
        .unwrap();
    let periods = vec!["2026-W45".to_owned(), "2026-W46".to_owned()];
    assert_eq!(
        store.told_figures("support", &periods).await.unwrap(),
        [told("2026-W46", 40.0)]
    );
    // Told again (a restatement): replaced.
    store
        .record_told_figures("support", &told("2026-W46", 42.0))
        .await
        .unwrap();
    assert_eq!(
        store.told_figures("support", &periods).await.unwrap(),
        [told("2026-W46", 42.0)]
    );
    assert_eq!(
        store.told_figures("sales", &periods).await.unwrap(),
        [told("2026-W46", 7.0)]
    );
}

pub(super) async fn late_changes_count_what_arrived_or_went_after_an_instant(store: Store) {
    let batch = |records: Vec<Record>, n: u64| Batch {
        records,
        checkpoint: Checkpoint::new(json!({ "n": n })),
    };
    // The period is [at(0), at(168)); three tickets and a rating stored "before the send".
    store
        .commit_batch(
            SRC,
            "tickets",
            &batch(
                vec![
                    Record::Ticket(ticket("1", TicketStatus::Open, at(1), at(2))),
                    Record::Ticket(ticket("2", TicketStatus::Open, at(3), at(4))),
                    Record::Ticket(ticket("3", TicketStatus::Open, at(200), at(201))),
                    Record::Rating(rating("r1", at(5))),
                ],
                1,
            ),
        )
        .await
        .unwrap();
    let sent = Utc::now();
    let period = (at(0), at(168));
    let sources = vec![SRC.to_owned()];
    assert_eq!(
        store.late_changes(&sources, period, sent).await.unwrap(),
        LateChanges::default()
    );
    // After the send: two late tickets of the period (one outside it), one deleted, a late
    // rating, and an update of a known ticket (not late).
    store
        .commit_batch(
            SRC,
            "tickets",
            &batch(
                vec![
                    Record::Ticket(ticket("4", TicketStatus::New, at(6), at(300))),
                    Record::Ticket(ticket("5", TicketStatus::Solved, at(7), at(300))),
                    Record::Ticket(ticket("6", TicketStatus::New, at(170), at(300))),
                    Record::Ticket(ticket("1", TicketStatus::Deleted, at(1), at(301))),
                    Record::Ticket(ticket("2", TicketStatus::Solved, at(3), at(302))),
                    Record::Rating(rating("r2", at(8))),
                ],
                2,
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        store.late_changes(&sources, period, sent).await.unwrap(),
        LateChanges {
            late_tickets: 2,
            removed_tickets: 1,
            late_ratings: 1,
        }
    );
    // Nothing is late for an instant after it all.
    assert_eq!(
        store
            .late_changes(&sources, period, Utc::now())
            .await
            .unwrap(),
        LateChanges::default()
    );
}
