//! The tickets stream: keyset paging by `updated_since`, the spam and deleted passes, the
//! conversations fan-out, checkpoints and resumes.

use crate::common::*;
use deskpulse_connector::Checkpoint;
use deskpulse_model::TicketStatus;
use serde_json::json;
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer};

/// Three pages of the default pass (the seam ticket repeats, as Freshdesk's inclusive
/// `updated_since` returns it again), one of spam, one of deleted.
pub async fn mount_tickets(server: &MockServer) {
    mount_all(
        server,
        EPOCH,
        1,
        json!([ticket(1, T1, T1), ticket(2, T1, T2)]),
    )
    .await;
    mount_all(server, T2, 1, json!([ticket(2, T1, T2), ticket(3, T1, T3)])).await;
    mount_all(server, T3, 1, json!([ticket(3, T1, T3)])).await;
    let mut spam = ticket(7, T1, T2);
    spam["spam"] = true.into();
    mount_filter(server, "spam", EPOCH, 1, json!([spam])).await;
    mount_filter(server, "deleted", EPOCH, 1, json!([ticket(8, T1, T1)])).await;
    mount_conversations(server, 1, json!([reply(101, 1, T1)])).await;
    mount_no_conversations(server).await;
}

#[tokio::test]
async fn pages_through_every_pass_and_checkpoints_each_page() {
    let server = MockServer::start().await;
    mount_tickets(&server).await;
    let c = connector(&server);
    let batches = read_ok(&c, "tickets", None).await;
    assert_eq!(batches.len(), 5);
    assert_eq!(
        statuses(&records(&batches)),
        vec![
            ("1".into(), TicketStatus::Pending),
            ("2".into(), TicketStatus::Pending),
            ("2".into(), TicketStatus::Pending),
            ("3".into(), TicketStatus::Pending),
            ("3".into(), TicketStatus::Pending),
            ("7".into(), TicketStatus::Spam),
            ("8".into(), TicketStatus::Deleted),
        ]
    );
    // The first page: each ticket's opening message, requester, ticket and Freshdesk's own
    // figures (its `stats`), then the conversations of the page's tickets.
    assert_eq!(
        keys(&batches[..1]),
        vec![
            "message:description-1",
            "customer:67032849498",
            "ticket:1",
            "vendor_metrics:1",
            "message:description-2",
            "customer:67032849498",
            "ticket:2",
            "vendor_metrics:2",
            "message:101"
        ]
    );
    let cp = |pass: &str, since: &str, page: u32, bookmark: &str| json!({"pass": pass, "since": EPOCH, "updated_since": since, "page": page, "bookmark": bookmark});
    assert_eq!(
        checkpoints(&batches),
        vec![
            cp("all", T2, 1, T2),
            cp("all", T3, 1, T3),
            cp("spam", EPOCH, 1, T3),
            cp("deleted", EPOCH, 1, T3),
            // Done: the next sync starts at the newest update stored by the default pass
            // (the spam ticket's update does not move it).
            json!({"pass": "all", "since": T3, "updated_since": T3, "page": 1, "bookmark": T3}),
        ]
    );
    // Spam and deleted tickets' conversations are never fetched.
    let mut asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .filter(|p| p.ends_with("/conversations"))
        .collect();
    // Fetched concurrently: compare as a multiset.
    asked.sort();
    assert_eq!(
        asked,
        vec![
            "/api/v2/tickets/1/conversations",
            "/api/v2/tickets/2/conversations",
            "/api/v2/tickets/2/conversations",
            "/api/v2/tickets/3/conversations",
            "/api/v2/tickets/3/conversations",
        ]
    );
}

#[tokio::test]
async fn the_next_sync_starts_at_the_bookmark() {
    let server = MockServer::start().await;
    mount_tickets(&server).await;
    // The next sync's window: the seam ticket again, nothing spam or deleted since.
    mount_quiet_passes(&server, T3).await;
    let c = connector(&server);
    let first = read_ok(&c, "tickets", None).await;
    let last = first.last().unwrap().checkpoint.clone();
    let next = read_ok(&c, "tickets", Some(last.clone())).await;
    assert_eq!(
        statuses(&records(&next)),
        vec![("3".into(), TicketStatus::Pending)]
    );
    assert_eq!(
        next.last().unwrap().checkpoint,
        last,
        "nothing new: same bookmark"
    );
}

#[tokio::test]
async fn a_page_sharing_one_updated_at_moves_on_by_page_number() {
    let server = MockServer::start().await;
    // The first page, then the same page again from its one `updated_at`.
    for since in [EPOCH, T1] {
        let page = json!([ticket(1, T1, T1), ticket(2, T1, T1)]);
        mount_all(&server, since, 1, page).await;
    }
    mount_all(&server, T1, 2, json!([ticket(3, T1, T1)])).await;
    mount_quiet_passes(&server, EPOCH).await;
    let c = connector(&server);
    let batches = read_ok(&c, "tickets", None).await;
    let ids: Vec<String> = statuses(&records(&batches))
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids, vec!["1", "2", "1", "2", "3"]);
    assert_eq!(batches[1].checkpoint.value()["page"], 2);
    assert_resumes_exactly_mid_pass(&c, "tickets", &batches).await;
}

#[tokio::test]
async fn a_full_last_page_ends_on_the_empty_page_after_it() {
    let server = MockServer::start().await;
    mount_all(
        &server,
        EPOCH,
        1,
        json!([ticket(1, T1, T1), ticket(2, T1, T2)]),
    )
    .await;
    mount_all(&server, T2, 1, json!([])).await;
    mount_quiet_passes(&server, EPOCH).await;
    let batches = read_ok(&connector(&server), "tickets", None).await;
    assert_eq!(batches.len(), 4);
    assert_eq!(
        batches[3].checkpoint.value()["since"],
        json!(T2),
        "bookmark = the newest update stored"
    );
}

#[tokio::test]
async fn conversations_page_until_a_short_page() {
    let server = MockServer::start().await;
    mount_all(&server, EPOCH, 1, json!([ticket(1, T1, T1)])).await;
    mount_quiet_passes(&server, EPOCH).await;
    for (page, list) in [
        (1, json!([reply(11, 1, T1), reply(12, 1, T1)])),
        (2, json!([reply(13, 1, T2)])),
    ] {
        Mock::given(path(format!("{TICKETS}/1/conversations")))
            .and(query_param("page", page.to_string()))
            .and(query_param("per_page", "2"))
            .respond_with(json(list))
            .expect(1)
            .mount(&server)
            .await;
    }
    let batches = read_ok(&connector(&server), "tickets", None).await;
    let msgs: Vec<String> = keys(&batches[..1])
        .into_iter()
        .filter(|k| k.starts_with("message:"))
        .collect();
    let want = [
        "message:description-1",
        "message:11",
        "message:12",
        "message:13",
    ];
    assert_eq!(msgs, want);
}

#[tokio::test]
async fn start_date_is_the_first_updated_since() {
    let server = MockServer::start().await;
    let since = "2026-01-01T00:00:00Z";
    mount_all(&server, since, 1, json!([])).await;
    mount_quiet_passes(&server, since).await;
    let c = connector_of(deskpulse_connector_freshdesk::FreshdeskSettings {
        start_date: Some(serde_json::from_value(json!("2026-01-01")).unwrap()),
        ..settings(&server)
    });
    let batches = read_ok(&c, "tickets", None).await;
    assert_eq!(batches.len(), 3);
    assert_eq!(
        batches[2].checkpoint,
        Checkpoint::new(
            json!({"pass": "all", "since": since, "updated_since": since, "page": 1, "bookmark": since})
        )
    );
}
