//! Whose reply answers a comment, over paged media, comments and replies, and where a pass
//! ends. Payloads: the fields of the fixtures (`common.rs`), values made up here.
//!
//! Clock 2026-11-13 18:00; pages of two. Media, newest first:
//! [m3 11-12 10:00, m2 11-08 09:00] → after M1 → [m1 11-05 10:00, m0 11-05 09:59:59]. The
//! window is m3 − 7 days = 11-05 10:00: m1 (exactly on it) is read, m0 ends the pass, and
//! nothing after it is asked for (no mock: a request would fail the read).

use crate::common::*;
use deskpulse_connector::prelude::Checkpoint;
use serde_json::json;
use wiremock::MockServer;

async fn serve(server: &MockServer) {
    mount(
        server,
        &media_path(),
        None,
        list(
            vec![
                medium("m3", "2026-11-12T10:00:00+0000", 5),
                medium("m2", "2026-11-08T09:00:00+0000", 2),
            ],
            Some("M1"),
        ),
    )
    .await;
    mount(
        server,
        &media_path(),
        Some("M1"),
        list(
            vec![
                medium("m1", "2026-11-05T10:00:00+0000", 1),
                medium("m0", "2026-11-05T09:59:59+0000", 4),
            ],
            Some("M2"),
        ),
    )
    .await;
    // m3: two comment pages.
    let mut brand_own = comment("a2", "2026-11-12T10:01:00+0000", IG, false, vec![]);
    brand_own["username"] = json!(USERNAME);
    mount(
        server,
        &comments_path("m3"),
        None,
        list(
            vec![
                comment(
                    "a1",
                    "2026-11-12T10:00:30+0000",
                    "111",
                    false,
                    vec![
                        reply("r11", "2026-11-12T10:05:00+0000", By::Other("222")),
                        reply("r12", "2026-11-12T10:50:00+0000", By::Username),
                    ],
                ),
                brand_own,
            ],
            Some("C1"),
        ),
    )
    .await;
    mount(
        server,
        &comments_path("m3"),
        Some("C1"),
        list(
            vec![
                comment(
                    "a3",
                    "2026-11-12T11:00:00+0000",
                    "333",
                    true,
                    vec![reply("r31", "2026-11-12T11:01:00+0000", By::FromId)],
                ),
                comment(
                    "a4",
                    "2026-11-12T11:00:00+0000",
                    "444",
                    false,
                    vec![
                        reply("r41", "2026-11-12T12:00:00+0000", By::User),
                        reply("r42", "2026-11-12T11:20:00+0000", By::FromId),
                    ],
                ),
            ],
            None,
        ),
    )
    .await;
    // m2: a comment whose nested replies go on at the replies edge.
    let b1 = b1_with_more_replies();
    mount(server, &comments_path("m2"), None, list(vec![b1], None)).await;
    mount(
        server,
        &replies_path("b1"),
        Some("R1"),
        list(
            vec![reply("r52", "2026-11-09T08:00:00+0000", By::FromId)],
            None,
        ),
    )
    .await;
    // m1: a comment nobody answered, without `from` (only `username`).
    mount(
        server,
        &comments_path("m1"),
        None,
        list(
            vec![
                json!({"id": "c1", "timestamp": "2026-11-05T11:00:00+0000", "username": "someone"}),
            ],
            None,
        ),
    )
    .await;
}

#[tokio::test]
async fn only_the_accounts_own_replies_answer_and_the_earliest_counts() {
    let server = MockServer::start().await;
    serve(&server).await;
    let batches = read_ok(&connector(&server), "comments", None).await;
    let got = interactions(&records(&batches));
    let ids: Vec<&str> = got.iter().map(|i| i.external_id.as_str()).collect();
    // a2 is the account's own comment: not an interaction.
    assert_eq!(ids, ["a1", "a3", "a4", "b1", "c1"]);
    let by = |id: &str| got.iter().find(|i| i.external_id == id).unwrap();
    // a1: another user's reply at 10:05 is no answer; the account's (by username) at 10:50.
    assert_eq!(by("a1").replied_at, Some(t("2026-11-12T10:50:00Z")));
    assert_eq!(by("a1").author_id.as_deref(), Some("111"));
    // a3: hidden → deleted (its reply is still read).
    assert!(by("a3").deleted);
    assert!(!by("a1").deleted);
    // a4: the account's replies by `user` at 12:00 and by `from.id` at 11:20: the earliest.
    assert_eq!(by("a4").replied_at, Some(t("2026-11-12T11:20:00Z")));
    // b1: the account's reply is on the replies edge's next page.
    assert_eq!(by("b1").replied_at, Some(t("2026-11-09T08:00:00Z")));
    // c1: unanswered, and no `from`: no author id (a username is not passed as one).
    assert_eq!(by("c1").replied_at, None);
    assert_eq!(by("c1").author_id, None);
    // Two media pages; the second ends the pass at m0: the next sync starts afresh.
    let cps: Vec<_> = batches
        .iter()
        .map(|b| b.checkpoint.value().clone())
        .collect();
    assert_eq!(
        cps,
        [
            json!({"after": "M1", "newest": "2026-11-12T10:00:00Z"}),
            json!({}),
        ]
    );
}

#[tokio::test]
async fn a_resumed_pass_keeps_its_window() {
    let server = MockServer::start().await;
    serve(&server).await;
    let from = Checkpoint::new(json!({"after": "M1", "newest": "2026-11-12T10:00:00Z"}));
    let got = interactions(&records(
        &read_ok(&connector(&server), "comments", Some(from)).await,
    ));
    let ids: Vec<&str> = got.iter().map(|i| i.external_id.as_str()).collect();
    // m1 only: the window is still m3 − 7 days, so m0 ends it.
    assert_eq!(ids, ["c1"]);
}

#[tokio::test]
async fn a_shorter_window_reads_fewer_media() {
    let server = MockServer::start().await;
    serve(&server).await;
    let s = deskpulse_connector_instagram::InstagramSettings {
        rescan_days: 1,
        ..settings(&server)
    };
    let got = interactions(&records(
        &read_ok(&connector_at(s, now()), "comments", None).await,
    ));
    // m3 − 1 day = 11-11 10:00: m2 (11-08) ends the pass on the first page.
    let ids: Vec<&str> = got.iter().map(|i| i.external_id.as_str()).collect();
    assert_eq!(ids, ["a1", "a3", "a4"]);
}

#[tokio::test]
async fn a_comment_cursor_that_comes_back_is_malformed() {
    let server = MockServer::start().await;
    serve_media(&server, vec![medium("m9", "2026-11-12T10:00:00+0000", 1)]).await;
    let page = list(
        vec![comment(
            "z1",
            "2026-11-12T10:00:00+0000",
            "1",
            false,
            vec![],
        )],
        Some("Z"),
    );
    mount(&server, &comments_path("m9"), None, page.clone()).await;
    mount(&server, &comments_path("m9"), Some("Z"), page).await;
    let err = comments_error(&server).await;
    assert!(err.contains("came back"), "{err}");
}

#[tokio::test]
async fn a_medium_id_that_could_leave_its_path_is_malformed() {
    let server = MockServer::start().await;
    serve_media(
        &server,
        vec![medium("../me", "2026-11-12T10:00:00+0000", 1)],
    )
    .await;
    let err = comments_error(&server).await;
    assert!(err.contains("not a Graph API id"), "{err}");
}

#[tokio::test]
async fn the_next_cursor_comes_from_the_next_link_when_cursors_lack_it() {
    let server = MockServer::start().await;
    mount(
        &server,
        &media_path(),
        None,
        json!({
            "data": [medium("m1", "2026-11-12T10:00:00+0000", 0)],
            "paging": {"next": format!("https://graph.facebook.com/{V}/{IG}/media?limit=2&after=XYZ&access_token=VENDOR-TOKEN")},
        }),
    )
    .await;
    mount(
        &server,
        &media_path(),
        Some("XYZ"),
        list(vec![medium("m0", "2026-11-12T09:00:00+0000", 0)], None),
    )
    .await;
    read_ok(&connector(&server), "comments", None).await;
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.to_string())
        .collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    // Asked of the mock server (not graph.facebook.com), with our token, not the link's.
    assert!(asked[1].contains("after=XYZ"), "{asked:?}");
    assert!(!asked[1].contains("VENDOR-TOKEN"), "{}", asked[1]);
}

#[tokio::test]
async fn a_next_link_without_a_cursor_is_malformed() {
    let server = MockServer::start().await;
    mount(
        &server,
        &media_path(),
        None,
        json!({
            "data": [medium("m1", "2026-11-12T10:00:00+0000", 0)],
            "paging": {"next": "https://graph.facebook.com/v21.0/1/media?limit=2"},
        }),
    )
    .await;
    let err = comments_error(&server).await;
    assert!(err.contains("after"), "{err}");
}
