//! Incremental passes: the first pass stores the newest `updateTime` as its bookmark; the
//! next one reads newest-first down to the first page whose reviews all changed more than
//! `rescan_days` before it (reading that page, keeping nothing of it), never the pages after;
//! `start_date` bounds every pass; a page token Google refuses restarts the pass; a crash
//! mid-pass resumes on the next page.

use crate::common::*;
use deskpulse_connector::settings::StartDate;
use deskpulse_connector::testkit::{checkpoints, read_ok, records};
use deskpulse_connector::{Checkpoint, Record};
use deskpulse_connector_google_business_profile::{
    GoogleBusinessProfileConnector, GoogleBusinessProfileSettings,
};
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

/// The ids of the reviews among `records`, in order.
fn review_ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Review(r) => Some(r.external_id.clone()),
            _ => None,
        })
        .collect()
}

fn rv(id: &str, updated: &str) -> Value {
    review(id, "FOUR", "2026-08-01T00:00:00Z", updated, None)
}

/// Four pages, newest update first:
/// A: a 11-12, b 11-10 → B: c 10-20, d 10-01 → C: e 09-20, f 09-01 → D: g 08-15.
/// Page D must never be asked for: every test's pass stops on C at the latest.
async fn four_pages() -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let pages = [
        (
            None,
            vec![
                rv("a", "2026-11-12T00:00:00Z"),
                rv("b", "2026-11-10T00:00:00Z"),
            ],
            Some("B"),
        ),
        (
            Some("B"),
            vec![
                rv("c", "2026-10-20T00:00:00Z"),
                rv("d", "2026-10-01T00:00:00Z"),
            ],
            Some("C"),
        ),
        (
            Some("C"),
            vec![
                rv("e", "2026-09-20T00:00:00Z"),
                rv("f", "2026-09-01T00:00:00Z"),
            ],
            Some("D"),
        ),
    ];
    for (token, reviews, next) in pages {
        list(token)
            .respond_with(ok(page(reviews, 4.1, 7, next)))
            .mount(&server)
            .await;
    }
    list(Some("D"))
        .respond_with(ok(page(
            vec![rv("g", "2026-08-15T00:00:00Z")],
            4.1,
            7,
            None,
        )))
        .expect(0)
        .mount(&server)
        .await;
    server
}

fn bookmark(at: &str) -> Option<Checkpoint> {
    Some(Checkpoint::new(json!({ "bookmark": at })))
}

/// A pass of `c` from `from`: the ids of the reviews it read and its checkpoints.
async fn pass(
    c: &GoogleBusinessProfileConnector,
    from: Option<Checkpoint>,
) -> (Vec<String>, Vec<Value>) {
    let batches = read_ok(c, "reviews", from).await;
    (review_ids(&records(&batches)), checkpoints(&batches))
}

#[tokio::test]
async fn the_next_pass_stops_on_the_first_page_past_the_rescan_window() {
    let server = four_pages().await;
    // The last pass's newest update was 11-10; 30 days back is 10-11: a and b (changed
    // since), c (10-20, in the window) are read; d (10-01) is left out; page C is all older
    // than 10-11, so the pass ends there without keeping it, and D is never asked for.
    let (ids, cps) = pass(&connector(&server), bookmark("2026-11-10T00:00:00Z")).await;
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(cps.len(), 3);
    assert_eq!(
        cps,
        vec![
            json!({"page_token": "B", "since": "2026-10-11T00:00:00Z", "bookmark": "2026-11-12T00:00:00Z"}),
            json!({"page_token": "C", "since": "2026-10-11T00:00:00Z", "bookmark": "2026-11-12T00:00:00Z"}),
            json!({"bookmark": "2026-11-12T00:00:00Z"}),
        ]
    );
}

#[tokio::test]
async fn rescan_days_zero_rereads_only_what_changed_since_the_bookmark() {
    let server = four_pages().await;
    let s = GoogleBusinessProfileSettings {
        rescan_days: 0,
        ..settings(&server)
    };
    // Cutoff 11-10 itself: a, b (b's update is the bookmark: inclusive); page B is all older.
    let (ids, cps) = pass(&connector_with(s), bookmark("2026-11-10T00:00:00Z")).await;
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(
        cps.last(),
        Some(&json!({"bookmark": "2026-11-12T00:00:00Z"}))
    );
}

#[tokio::test]
async fn the_bookmark_never_moves_backwards() {
    let server = four_pages().await;
    // A bookmark newer than anything listed (a review deleted since): it stays.
    let (ids, cps) = pass(&connector(&server), bookmark("2026-11-14T00:00:00Z")).await;
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(
        cps.last(),
        Some(&json!({"bookmark": "2026-11-14T00:00:00Z"}))
    );
}

#[tokio::test]
async fn start_date_bounds_the_first_pass() {
    let server = four_pages().await;
    let s = GoogleBusinessProfileSettings {
        start_date: Some(StartDate(at("2026-10-15T00:00:00Z"))),
        ..settings(&server)
    };
    let (ids, cps) = pass(&connector_with(s), None).await;
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(
        cps[0],
        json!({"page_token": "B", "since": "2026-10-15T00:00:00Z", "bookmark": "2026-11-12T00:00:00Z"})
    );
}

#[tokio::test]
async fn start_date_bounds_the_rescan_window_too() {
    let server = four_pages().await;
    let s = GoogleBusinessProfileSettings {
        start_date: Some(StartDate(at("2026-11-01T00:00:00Z"))),
        ..settings(&server)
    };
    // 30 days before 11-10 is 10-11, but nothing before 11-01 is read: page B is all older.
    let (ids, _) = pass(&connector_with(s), bookmark("2026-11-10T00:00:00Z")).await;
    assert_eq!(ids, ["a", "b"]);
}

#[tokio::test]
async fn a_full_first_pass_reads_to_the_end_and_resumes_mid_pass() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    list(None)
        .respond_with(ok(page(
            vec![rv("a", "2026-11-12T00:00:00Z")],
            4.0,
            3,
            Some("B"),
        )))
        .mount(&server)
        .await;
    list(Some("B"))
        .respond_with(ok(page(
            vec![rv("b", "2026-11-10T00:00:00Z")],
            4.0,
            3,
            Some("C"),
        )))
        .mount(&server)
        .await;
    list(Some("C"))
        .respond_with(ok(page(
            vec![rv("c", "2026-01-10T00:00:00Z")],
            4.0,
            3,
            None,
        )))
        .mount(&server)
        .await;
    let c = connector(&server);
    let batches = read_ok(&c, "reviews", None).await;
    // No start date: every review, to the API's end (no `nextPageToken`).
    assert_eq!(review_ids(&records(&batches)), ["a", "b", "c"]);
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"page_token": "B", "bookmark": "2026-11-12T00:00:00Z"}),
            json!({"page_token": "C", "bookmark": "2026-11-12T00:00:00Z"}),
            json!({"bookmark": "2026-11-12T00:00:00Z"}),
        ]
    );
    // A crash after any page: the next read goes on with the page after it: exactly the
    // later reviews, after the snapshot every read takes from its first page.
    for (i, b) in batches.iter().enumerate().take(batches.len() - 1) {
        let resumed = records(&read_ok(&c, "reviews", Some(b.checkpoint.clone())).await);
        assert!(
            matches!(resumed.first(), Some(Record::RatingSnapshot(_))),
            "{resumed:?}"
        );
        assert_eq!(
            resumed[1..],
            records(&batches[i + 1..]),
            "resuming after batch {i}"
        );
    }
}

/// Google refuses a page token it no longer knows (`400 INVALID_ARGUMENT`): the pass starts
/// again from its first page, with the cutoff it had.
#[tokio::test]
async fn a_refused_page_token_restarts_the_pass() {
    let server = four_pages().await;
    list(Some("stale"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let from = Checkpoint::new(json!({
        "page_token": "stale", "since": "2026-10-11T00:00:00Z", "bookmark": "2026-11-10T00:00:00Z"
    }));
    let (ids, _) = pass(&connector(&server), Some(from)).await;
    assert_eq!(ids, ["a", "b", "c"]);
}

/// A payload without `updateTime` (not what the reference shows, but nothing says it cannot
/// happen) orders and bookmarks by `createTime`.
#[tokio::test]
async fn a_review_without_update_time_is_bookmarked_by_create_time() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let mut only = rv("a", "2026-11-12T00:00:00Z");
    only.as_object_mut().unwrap().remove("updateTime");
    list(None)
        .respond_with(ok(page(vec![only], 4.0, 1, None)))
        .mount(&server)
        .await;
    let (ids, cps) = pass(&connector(&server), None).await;
    assert_eq!(ids, ["a"]);
    assert_eq!(cps, vec![json!({"bookmark": "2026-08-01T00:00:00Z"})]);
}
