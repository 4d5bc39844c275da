//! The reviews stream's passes: paging to a short or empty page, the checkpoint inside a pass
//! and after it, the next pass's rescan window (late replies seen again), `start_date`, and
//! a bookmark that never moves backwards.

use crate::common::*;
use deskpulse_connector::testkit::assert_resumes_exactly_mid_pass;
use deskpulse_connector::{Checkpoint, CheckpointExt};
use deskpulse_connector_trustpilot::{ReviewsCheckpoint, TrustpilotSettings};
use serde_json::{Value, json};
use wiremock::MockServer;

/// Five reviews, newest first, two a page: [r5 r4] [r3 r2] [r1].
/// r5 2026-11-10, r4 2026-11-01, r3 2026-10-20 (answered 10-21), r2 2026-09-01, r1 2026-06-01.
fn five() -> Vec<Vec<Value>> {
    vec![
        vec![
            review("r5", 5, "2026-11-10T10:00:00Z", None),
            review("r4", 4, "2026-11-01T10:00:00Z", None),
        ],
        vec![
            review(
                "r3",
                2,
                "2026-10-20T10:00:00Z",
                Some(("Sorry", "2026-10-21T10:00:00Z")),
            ),
            review("r2", 1, "2026-09-01T10:00:00Z", None),
        ],
        vec![review("r1", 3, "2026-06-01T10:00:00Z", None)],
    ]
}

fn two_a_page(server: &MockServer) -> TrustpilotSettings {
    TrustpilotSettings {
        page_size: Some(2),
        ..settings(server)
    }
}

fn cp(v: Value) -> Checkpoint {
    Checkpoint::new(v)
}

#[tokio::test]
async fn a_first_pass_reads_every_page_to_the_short_one_and_checkpoints_each() {
    let server = MockServer::start().await;
    mount_public(&server, 2, five()).await;
    let c = connector_with(two_a_page(&server));
    let batches = read_ok(&c, "reviews", None).await;
    assert_eq!(ids(&records(&batches)), ["r5", "r4", "r3", "r2", "r1"]);
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"page": 2, "newest": "2026-11-10T10:00:00Z"}),
            json!({"page": 3, "newest": "2026-11-10T10:00:00Z"}),
            json!({"bookmark": "2026-11-10T10:00:00Z"}),
        ]
    );
    // A sync killed after any page resumes on the next one.
    assert_resumes_exactly_mid_pass(&c, "reviews", &batches).await;
    // Every stored checkpoint reads back as the declared type and writes back unchanged.
    for b in &batches {
        let typed: ReviewsCheckpoint = b.checkpoint.parse_for("reviews").unwrap();
        assert_eq!(&Checkpoint::of(&typed), &b.checkpoint);
    }
}

#[tokio::test]
async fn a_full_last_page_ends_on_the_empty_page_after_it() {
    let server = MockServer::start().await;
    let mut pages = five();
    pages.pop();
    pages.push(vec![]);
    mount_public(&server, 2, pages).await;
    let batches = read_ok(&connector_with(two_a_page(&server)), "reviews", None).await;
    assert_eq!(ids(&records(&batches)), ["r5", "r4", "r3", "r2"]);
    assert_eq!(batches.len(), 3);
}

#[tokio::test]
async fn the_next_pass_rereads_the_rescan_window_and_sees_new_reviews_and_late_replies() {
    let server = MockServer::start().await;
    // Since the bookmark (r5, 11-10): r6 is new, and r4 got a reply.
    let mut pages = five();
    pages[0].insert(0, review("r6", 1, "2026-11-12T10:00:00Z", None));
    pages[0][2] = review(
        "r4",
        4,
        "2026-11-01T10:00:00Z",
        Some(("Thanks", "2026-11-11T09:00:00Z")),
    );
    let flat: Vec<Value> = pages.concat();
    let pages: Vec<Vec<Value>> = flat.chunks(2).map(<[Value]>::to_vec).collect();
    // [r6 r5] [r4 r3] [r2 r1]
    mount_public(&server, 2, pages).await;
    let c = connector_with(two_a_page(&server));
    let from = cp(json!({"bookmark": "2026-11-10T10:00:00Z"}));
    let batches = read_ok(&c, "reviews", Some(from)).await;
    // Floor = 11-10 − 30 days = 10-11: r6, r5, r4, r3 kept; [r2 r1] are all older: the pass
    // ends there (page 3 is read, nothing from it kept).
    assert_eq!(ids(&records(&batches)), ["r6", "r5", "r4", "r3"]);
    let r4 = reviews(&records(&batches))
        .into_iter()
        .find(|r| r.external_id == "r4")
        .unwrap();
    assert_eq!(r4.reply_text.as_deref(), Some("Thanks"));
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"page": 2, "floor": "2026-10-11T10:00:00Z", "newest": "2026-11-12T10:00:00Z"}),
            json!({"page": 3, "floor": "2026-10-11T10:00:00Z", "newest": "2026-11-12T10:00:00Z"}),
            json!({"bookmark": "2026-11-12T10:00:00Z"}),
        ]
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn rescan_days_sets_how_far_back_a_pass_reads() {
    let server = MockServer::start().await;
    mount_public(&server, 2, five()).await;
    let c = connector_with(TrustpilotSettings {
        rescan_days: 0,
        ..two_a_page(&server)
    });
    let from = cp(json!({"bookmark": "2026-11-10T10:00:00Z"}));
    let batches = read_ok(&c, "reviews", Some(from)).await;
    // Floor = the bookmark itself: r5 only; page 1 kept one, page 2 none: the end.
    assert_eq!(ids(&records(&batches)), ["r5"]);
    assert_eq!(batches.len(), 2);
}

#[tokio::test]
async fn the_bookmark_never_moves_backwards() {
    let server = MockServer::start().await;
    mount_public(&server, 2, five()).await;
    let c = connector_with(two_a_page(&server));
    // A bookmark ahead of every review (reviews deleted since): it stays.
    let from = cp(json!({"bookmark": "2026-11-12T00:00:00Z"}));
    let batches = read_ok(&c, "reviews", Some(from)).await;
    assert_eq!(
        checkpoints(&batches).last().unwrap(),
        &json!({"bookmark": "2026-11-12T00:00:00Z"})
    );
}

#[tokio::test]
async fn start_date_skips_older_reviews_and_ends_the_pass() {
    let server = MockServer::start().await;
    mount_public(&server, 2, five()).await;
    let c = connector_with(TrustpilotSettings {
        start_date: Some(serde_json::from_value(json!("2026-10-01")).unwrap()),
        ..two_a_page(&server)
    });
    let batches = read_ok(&c, "reviews", None).await;
    // r2 (09-01) and r1 (06-01) are before `start_date`: skipped (page 3 is short anyway).
    assert_eq!(ids(&records(&batches)), ["r5", "r4", "r3"]);
    assert_eq!(
        checkpoints(&batches)[0],
        json!({"page": 2, "floor": "2026-10-01T00:00:00Z", "newest": "2026-11-10T10:00:00Z"})
    );
    // The next pass's floor is not before `start_date` either.
    let from = cp(json!({"bookmark": "2026-10-05T00:00:00Z"}));
    let again = read_ok(&c, "reviews", Some(from)).await;
    assert_eq!(ids(&records(&again)), ["r5", "r4", "r3"]);
    assert_eq!(
        checkpoints(&again)[0],
        json!({"page": 2, "floor": "2026-10-01T00:00:00Z", "newest": "2026-11-10T10:00:00Z"})
    );
}

#[tokio::test]
async fn an_account_without_reviews_stores_a_null_bookmark_and_reads_all_next_time() {
    let server = MockServer::start().await;
    mount_public(&server, 2, vec![vec![]]).await;
    let c = connector_with(two_a_page(&server));
    let batches = read_ok(&c, "reviews", None).await;
    assert!(records(&batches).is_empty());
    assert_eq!(checkpoints(&batches), vec![json!({"bookmark": null})]);
    let again = read_ok(&c, "reviews", Some(batches[0].checkpoint.clone())).await;
    assert_eq!(checkpoints(&again), vec![json!({"bookmark": null})]);
}

#[tokio::test]
async fn an_unreadable_checkpoint_asks_for_a_full_sync() {
    let server = MockServer::start().await;
    let c = connector_with(two_a_page(&server));
    for bad in [
        json!({"pag": 2}),
        json!({"page": 0}),
        json!({"bookmark": "soon"}),
    ] {
        let (_, err) = read(&c, "reviews", Some(cp(bad.clone()))).await;
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("--full"), "{bad}: {msg}");
    }
}
