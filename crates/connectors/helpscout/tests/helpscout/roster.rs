//! The `ticket_roster` stream: a sweep over every conversation id Help Scout still lists
//! (List Conversations without `embed`, `status=all` then `status=spam`, `createdAt`
//! keyset), its interval, its resume, and what storage makes of it. The clock is pinned.

use crate::common::*;
use chrono::{DateTime, Utc};
use deskpulse_connector::Clock;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::{Checkpoint, ConnectorError, Record};
use deskpulse_connector_helpscout::{HelpScoutConnector, HelpScoutSettings};
use deskpulse_model::{TicketRoster, TicketStatus};
use deskpulse_storage::testing::TestDb;
use serde_json::json;
use wiremock::matchers::{query_param, query_param_is_missing};
use wiremock::{MockBuilder, MockServer, ResponseTemplate};

const NOW: &str = "2026-11-12T00:00:00Z";

fn now() -> DateTime<Utc> {
    t(NOW)
}

/// Page 1 of the sweep's list for `status`, from `from` (inclusive) if given. Never with
/// `embed`: ids only, the cheapest list.
fn sweep(status: &str, from: Option<&str>) -> MockBuilder {
    let m = list_conversations(status, "createdAt", 1)
        .and(query_param_is_missing("embed"))
        .and(query_param_is_missing("modifiedSince"));
    match from {
        Some(f) => m.and(query_param("query", format!("(createdAt:[{f} TO *])"))),
        None => m.and(query_param_is_missing("query")),
    }
}

/// Page `page` of the stretch `[from TO to]` that a crowded page is read over.
fn stretch(status: &str, from: &str, to: &str, page: u64) -> MockBuilder {
    list_conversations(status, "createdAt", page).and(query_param(
        "query",
        format!("(createdAt:[{from} TO {to}])"),
    ))
}

/// A sweep over two keyset pages of `status=all` (page 1, then page 1 again from `bound`, the
/// newest `createdAt` read minus a second: never `page=2`), then `status=spam`.
async fn mount_sweep(
    server: &MockServer,
    first: ResponseTemplate,
    bound: &str,
    second: ResponseTemplate,
    spam: ResponseTemplate,
) {
    serve(server, sweep("all", None), first).await;
    serve(server, sweep("all", Some(bound)), second).await;
    serve(server, sweep("spam", None), spam).await;
}

/// A page of the list: `(id, status, createdAt)` conversations as `listed` sends them.
fn listing(
    convs: &[(i64, &str, &str)],
    number: u64,
    total_pages: u64,
    total: u64,
) -> ResponseTemplate {
    let convs = convs.iter().map(|&(id, status, at)| listed(id, status, at));
    conv_page(convs.collect(), number, total_pages, total)
}

fn roster_connector(server: &MockServer, every: &str) -> HelpScoutConnector {
    let s = HelpScoutSettings {
        roster_every: every.into(),
        ..settings(server)
    };
    connector_with(s).with_clock(Clock::from_fn(now))
}

fn rosters(records: &[Record]) -> Vec<TicketRoster> {
    records
        .iter()
        .map(|r| {
            r.as_ticket_roster()
                .cloned()
                .unwrap_or_else(|| panic!("the sweep emitted {r:?}"))
        })
        .collect()
}

fn page(started: &str, ids: &[&str], complete: bool) -> TicketRoster {
    TicketRoster {
        sweep_started_at: t(started),
        listed_before: t(started) - chrono::Duration::hours(1),
        ids: ids.iter().map(|i| (*i).to_owned()).collect(),
        complete,
    }
}

#[tokio::test]
async fn sweep_lists_every_status_by_created_at_keyset_then_spam() {
    let server = token_server().await;
    let first = [
        (1, "closed", "2026-11-10T10:00:00Z"),
        (2, "active", "2026-11-10T10:05:00Z"),
    ];
    let second = [
        (2, "active", "2026-11-10T10:05:00Z"),
        (3, "pending", "2026-11-10T10:20:00Z"),
    ];
    // Help Scout lists `spam` as a status of its own beside `all`: swept too.
    let spam = listing(&[(9, "spam", "2026-11-09T08:00:00Z")], 1, 1, 1);
    let (first, second) = (listing(&first, 1, 2, 3), listing(&second, 1, 1, 2));
    mount_sweep(&server, first, "2026-11-10T10:04:59Z", second, spam).await;
    let c = roster_connector(&server, "24h");
    let batches = read_ok(&c, "ticket_roster", None).await;
    assert_eq!(
        rosters(&records(&batches)),
        [
            page(NOW, &["1", "2"], false),
            page(NOW, &["2", "3"], false),
            page(NOW, &["9"], true),
        ]
    );
    assert_eq!(
        checkpoints(&batches),
        [
            json!({"sweep_started_at": NOW, "status": "all", "created_from": "2026-11-10T10:04:59Z"}),
            json!({"sweep_started_at": NOW, "status": "spam", "created_from": null}),
            json!({"completed_at": NOW}),
        ]
    );
    // Every page resumes exactly; after the last, the interval has not passed: nothing.
    assert_resumes_exactly(&c, "ticket_roster", &batches).await;
    for r in server.received_requests().await.unwrap() {
        let q = r.url.query().unwrap_or_default();
        assert!(
            r.url.path() == TOKEN_PATH || (!q.contains("embed") && !q.contains("mailbox")),
            "{q}"
        );
    }
}

/// Page numbers shift when a conversation of an earlier page is deleted mid-sweep; the keyset
/// does not. Conversation 2 is deleted after page 1 was read: by page number (`page=2`, 3 a
/// page) the next page would start at 5 and skip the live 4.
#[tokio::test]
async fn a_conversation_deleted_mid_sweep_does_not_hide_a_live_one() {
    let server = token_server().await;
    let first = [
        (1, "active", "2026-11-10T10:00:00Z"),
        (2, "active", "2026-11-10T10:01:00Z"),
        (3, "active", "2026-11-10T10:02:00Z"),
    ];
    let second = [
        (3, "active", "2026-11-10T10:02:00Z"),
        (4, "active", "2026-11-10T10:03:00Z"),
        (5, "active", "2026-11-10T10:04:00Z"),
    ];
    let (first, second) = (listing(&first, 1, 2, 5), listing(&second, 1, 1, 3));
    mount_sweep(&server, first, "2026-11-10T10:01:59Z", second, empty_page()).await;
    get(CONVERSATIONS, Some(2))
        .respond_with(listing(&[(5, "active", "2026-11-10T10:04:00Z")], 2, 2, 4))
        .expect(0)
        .mount(&server)
        .await;
    let recs = records(&read_ok(&roster_connector(&server, "24h"), "ticket_roster", None).await);
    let mut seen: Vec<String> = rosters(&recs).into_iter().flat_map(|r| r.ids).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, ["1", "2", "3", "4", "5"]);
}

/// More conversations created within a second than a page holds (a bulk import): the
/// bound cannot move, so the stretch is read by page number, and read again when it
/// changed during the pass (its `totalElements` moved).
#[tokio::test]
async fn a_crowded_second_is_read_in_full_and_again_when_it_changed() {
    let server = token_server().await;
    let crowd = || {
        vec![
            listed(1, "active", "2026-11-10T10:00:00Z"),
            listed(2, "active", "2026-11-10T10:00:00Z"),
            listed(3, "active", "2026-11-10T10:00:00Z"),
        ]
    };
    serve(&server, sweep("all", None), conv_page(crowd(), 1, 2, 5)).await;
    sweep("all", Some("2026-11-10T09:59:59Z"))
        .respond_with(conv_page(crowd(), 1, 2, 5))
        .mount(&server)
        .await;
    let (from, to) = ("2026-11-10T09:59:59Z", "2026-11-10T10:00:01Z");
    stretch("all", from, to, 1)
        .respond_with(conv_page(crowd(), 1, 2, 5))
        .expect(2)
        .mount(&server)
        .await;
    // The first pass's page 2 counts one more conversation (an import landed meanwhile):
    // that pass is not trusted.
    stretch("all", from, to, 2)
        .respond_with(listing(&[(4, "active", "2026-11-10T10:00:00Z")], 2, 2, 6))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    stretch("all", from, to, 2)
        .respond_with(listing(
            &[
                (4, "active", "2026-11-10T10:00:00Z"),
                (5, "active", "2026-11-10T10:00:01Z"),
            ],
            2,
            2,
            5,
        ))
        .mount(&server)
        .await;
    sweep("all", Some(to))
        .respond_with(listing(&[(5, "active", "2026-11-10T10:00:01Z")], 1, 1, 1))
        .mount(&server)
        .await;
    serve(&server, sweep("spam", None), empty_page()).await;
    let batches = read_ok(&roster_connector(&server, "24h"), "ticket_roster", None).await;
    let pages = rosters(&records(&batches));
    assert_eq!(pages[1].ids, ["1", "2", "3", "1", "2", "3", "4", "5"]);
    assert_eq!(
        batches[1].checkpoint.value()["created_from"],
        json!("2026-11-10T10:00:01Z")
    );
    assert!(pages.last().unwrap().complete);
}

#[tokio::test]
async fn a_crowded_second_that_changes_on_every_pass_stops_the_sweep_with_an_error() {
    let server = token_server().await;
    let crowd = vec![
        listed(1, "active", "2026-11-10T10:00:00Z"),
        listed(2, "active", "2026-11-10T10:00:00Z"),
    ];
    sweep("all", Some("2026-11-10T09:59:59Z"))
        .respond_with(conv_page(crowd.clone(), 1, 2, 4))
        .mount(&server)
        .await;
    let (from, to) = ("2026-11-10T09:59:59Z", "2026-11-10T10:00:01Z");
    stretch("all", from, to, 1)
        .respond_with(conv_page(crowd, 1, 2, 4))
        .expect(3)
        .mount(&server)
        .await;
    stretch("all", from, to, 2)
        .respond_with(listing(&[(3, "active", "2026-11-10T10:00:00Z")], 2, 2, 3))
        .expect(3)
        .mount(&server)
        .await;
    let from_cp = Checkpoint::new(json!({
        "sweep_started_at": "2026-11-11T23:00:00Z", "status": "all", "created_from": from
    }));
    let (batches, err) = read(
        &roster_connector(&server, "24h"),
        "ticket_roster",
        Some(from_cp),
    )
    .await;
    assert!(
        batches.is_empty(),
        "no page of a stretch that was not listed consistently"
    );
    match err {
        Some(ConnectorError::Malformed { endpoint, detail }) => {
            assert_eq!(endpoint, CONVERSATIONS);
            assert!(detail.contains("changed every time"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn no_sweep_before_roster_every_has_passed_since_the_last_one_completed() {
    let server = token_server().await;
    serve(&server, sweep("all", None), empty_page()).await;
    serve(&server, sweep("spam", None), empty_page()).await;
    let done = |at: &str| Some(Checkpoint::new(json!({ "completed_at": at })));
    // Completed 12 h before NOW: a 24 h interval has not passed.
    let c = roster_connector(&server, "24h");
    assert!(
        read_ok(&c, "ticket_roster", done("2026-11-11T12:00:00Z"))
            .await
            .is_empty()
    );
    assert!(server.received_requests().await.unwrap().is_empty());
    // Exactly 24 h: it has.
    let batches = read_ok(&c, "ticket_roster", done("2026-11-11T00:00:00Z")).await;
    assert_eq!(
        rosters(&records(&batches)),
        [page(NOW, &[], false), page(NOW, &[], true)]
    );
    // `"0s"`: every sync sweeps, even right after a sweep.
    let every_sync = roster_connector(&server, "0s");
    assert_eq!(
        read_ok(&every_sync, "ticket_roster", done(NOW)).await.len(),
        2
    );
}

/// A sweep killed midway resumes from its checkpoint with the sweep's own start, whatever
/// the time now: storage joins its pages by `sweep_started_at`.
#[tokio::test]
async fn a_killed_sweep_resumes_with_its_own_sweep_started_at() {
    let server = token_server().await;
    sweep("spam", Some("2026-11-01T00:00:00Z"))
        .respond_with(listing(&[(7, "spam", "2026-11-02T00:00:00Z")], 1, 1, 1))
        .mount(&server)
        .await;
    let from = Checkpoint::new(json!({
        "sweep_started_at": "2026-11-10T03:00:00Z", "status": "spam", "created_from": "2026-11-01T00:00:00Z"
    }));
    let batches = read_ok(
        &roster_connector(&server, "24h"),
        "ticket_roster",
        Some(from),
    )
    .await;
    assert_eq!(
        rosters(&records(&batches)),
        [page("2026-11-10T03:00:00Z", &["7"], true)]
    );
    assert_eq!(checkpoints(&batches), [json!({ "completed_at": NOW })]);
}

/// `state` is one of `published`, `draft`, `deleted` (Get Conversation): a listed conversation
/// whose state is `deleted` is not present.
#[tokio::test]
async fn a_listed_conversation_in_state_deleted_is_not_present() {
    let server = token_server().await;
    let mut gone = listed(2, "closed", "2026-11-10T10:01:00Z");
    gone["state"] = json!("deleted");
    sweep("all", None)
        .respond_with(conv_page(
            vec![listed(1, "closed", "2026-11-10T10:00:00Z"), gone],
            1,
            1,
            2,
        ))
        .mount(&server)
        .await;
    serve(&server, sweep("spam", None), empty_page()).await;
    let recs = records(&read_ok(&roster_connector(&server, "24h"), "ticket_roster", None).await);
    assert_eq!(rosters(&recs)[0].ids, ["1"]);
}

/// A list that ignored the `query` range (or the order) cannot be followed by keyset: an
/// error, never a sweep that loops or stops short.
#[tokio::test]
async fn a_list_that_ignores_the_created_at_range_or_order_is_an_error() {
    let server = token_server().await;
    sweep("all", Some("2026-11-10T10:00:00Z"))
        .respond_with(listing(&[(1, "closed", "2017-04-21T14:39:56Z")], 1, 3, 60))
        .mount(&server)
        .await;
    sweep("all", None)
        .respond_with(listing(
            &[
                (2, "closed", "2026-11-10T10:05:00Z"),
                (1, "closed", "2026-11-10T10:00:00Z"),
            ],
            1,
            3,
            60,
        ))
        .mount(&server)
        .await;
    let c = roster_connector(&server, "24h");
    let from = Checkpoint::new(json!({
        "sweep_started_at": NOW, "status": "all", "created_from": "2026-11-10T10:00:00Z"
    }));
    let (_, err) = read(&c, "ticket_roster", Some(from)).await;
    deskpulse_connector::testkit::assert_malformed(&err, CONVERSATIONS, "range was not applied");
    let (_, err) = read(&c, "ticket_roster", None).await;
    deskpulse_connector::testkit::assert_malformed(&err, CONVERSATIONS, "not in that order");
}

/// Through storage: a conversation synced earlier that a complete sweep no longer lists
/// (deleted, or merged away: Help Scout answers 404 or 301 for it) counts nowhere; listed
/// again by a later sweep (restored), it is back.
#[tokio::test]
async fn a_conversation_the_sweep_no_longer_lists_leaves_the_report() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let server = token_server().await;
    mount_no_spam(&server).await;
    export(None, 1)
        .respond_with(conv_page(
            vec![
                simple(1, "2026-11-10T10:00:00Z"),
                simple(2, "2026-11-10T10:05:00Z"),
            ],
            1,
            1,
            2,
        ))
        .mount(&server)
        .await;
    sweep("all", None)
        .respond_with(listing(&[(1, "active", "2026-11-10T10:00:00Z")], 1, 1, 1))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    serve(&server, sweep("spam", None), empty_page()).await;
    let c = roster_connector(&server, "0s");
    for stream in ["conversations", "ticket_roster"] {
        sync(&c, "hs", stream, &store).await;
    }
    let status = |tickets: &[deskpulse_metrics::TicketInput], id: &str| {
        tickets
            .iter()
            .find(|x| x.ticket.external_id == id)
            .map(|x| x.ticket.status)
    };
    let (from, to) = (t("2026-11-01T00:00:00Z"), t("2026-12-01T00:00:00Z"));
    let tickets = store.load_tickets(&["hs".into()], from, to).await.unwrap();
    assert_eq!(status(&tickets, "1"), Some(TicketStatus::Open));
    assert_eq!(status(&tickets, "2"), Some(TicketStatus::Deleted));

    // Restored in Help Scout: the next sweep lists it again.
    sweep("all", None)
        .respond_with(listing(
            &[
                (1, "active", "2026-11-10T10:00:00Z"),
                (2, "active", "2026-11-10T10:05:00Z"),
            ],
            1,
            1,
            2,
        ))
        .mount(&server)
        .await;
    sync(&c, "hs", "ticket_roster", &store).await;
    let tickets = store.load_tickets(&["hs".into()], from, to).await.unwrap();
    assert_eq!(status(&tickets, "2"), Some(TicketStatus::Open));
}
