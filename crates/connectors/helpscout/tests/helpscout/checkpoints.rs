//! Checkpoints: what the version before the SDK port stored still resumes (it parses into
//! the typed checkpoints and writes back unchanged), and no vendor time ahead of the clock
//! becomes a bookmark (the next sync would start in the future).

use crate::common::*;
use deskpulse_connector::Clock;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::{Checkpoint, CheckpointExt, ConnectorError};
use deskpulse_connector_helpscout::{ConversationsCheckpoint, RosterCheckpoint, UsersCheckpoint};
use deskpulse_model::TicketStatus;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const NOW: &str = "2026-11-12T00:00:00Z";

fn round_trip<T: Serialize + DeserializeOwned>(stream: &str, stored: &[Value]) {
    for v in stored {
        let parsed: T = Checkpoint::new(v.clone())
            .parse_for(stream)
            .unwrap_or_else(|e| panic!("{stream}: {v} does not parse: {e}"));
        assert_eq!(Checkpoint::of(&parsed).value(), v, "{stream}: written back");
    }
}

/// Every checkpoint shape the hand-written pagers of the version before wrote, literally as
/// its tests pinned them.
#[test]
fn checkpoints_as_the_version_before_wrote_them_parse_and_write_back_unchanged() {
    round_trip::<ConversationsCheckpoint>(
        "conversations",
        &[
            json!({"modified_since": "2026-11-10T10:05:00Z", "page": 1, "bookmark": "2026-11-10T10:05:00Z", "sync_since": null}),
            json!({"modified_since": "2026-11-01T00:00:00Z", "page": 3, "bookmark": null, "sync_since": "2026-11-01T00:00:00Z"}),
            json!({"modified_since": null, "page": 1, "bookmark": "2026-11-10T10:20:00Z", "sync_since": null, "status": "spam"}),
            json!({"modified_since": "2026-11-10T10:20:00Z"}),
            json!({"modified_since": null}),
        ],
    );
    round_trip::<UsersCheckpoint>(
        "users",
        &[
            json!({"page": 2, "updated_since": null, "newest": "2026-11-03T10:00:00Z"}),
            json!({"page": 3, "updated_since": "2026-11-01T12:00:00Z", "newest": null}),
            json!({"system_users_page": 1, "updated_since": null, "newest": "2026-11-03T10:00:00Z"}),
            json!({"updated_since": "2026-11-03T10:00:00Z"}),
            json!({"updated_since": null}),
        ],
    );
    round_trip::<RosterCheckpoint>(
        "ticket_roster",
        &[
            json!({"sweep_started_at": NOW, "status": "all", "created_from": "2026-11-10T10:04:59Z"}),
            json!({"sweep_started_at": NOW, "status": "spam", "created_from": null}),
            json!({"completed_at": NOW}),
        ],
    );
}

/// A sync stopped in the export's spam pass resumes that pass's request (`status=spam`,
/// no `modifiedSince`, page 1), never the `all` pass, and keeps the stored bookmark.
#[tokio::test]
async fn a_stored_spam_pass_checkpoint_resumes_that_request() {
    let server = token_server().await;
    let at = "2026-11-10T10:00:00Z";
    let spam = conversation(
        5,
        "spam",
        at,
        vec![thread(51, "customer", ("customer", 705), "spam", at)],
    );
    export_status("spam", None, 1)
        .respond_with(conv_page(vec![spam], 1, 1, 1))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CONVERSATIONS))
        .and(query_param("status", "all"))
        .respond_with(empty_page())
        .expect(0)
        .mount(&server)
        .await;
    let from = Checkpoint::new(json!({
        "modified_since": null, "page": 1, "bookmark": "2026-11-10T10:20:00Z", "sync_since": null, "status": "spam"
    }));
    let batches = read_ok(&connector(&server), "conversations", Some(from)).await;
    let recs = records(&batches);
    let tk = recs[0].as_ticket().unwrap();
    assert_eq!(tk.status, TicketStatus::Spam);
    assert_eq!(
        checkpoints(&batches),
        [json!({"modified_since": "2026-11-10T10:20:00Z"})]
    );
}

/// A sync stopped between the two users lists resumes with `/v3/system-users` (the AI
/// agents, as bots), and ends at the stored newest `updatedAt`.
#[tokio::test]
async fn a_stored_system_users_checkpoint_resumes_with_the_ai_agents() {
    let server = token_server().await;
    get(SYSTEM_USERS, Some(1))
        .respond_with(doc_response("system_users_v3.json"))
        .expect(1)
        .mount(&server)
        .await;
    get(USERS, None)
        .respond_with(hal_page("users", vec![], 1, 0, 0))
        .expect(0)
        .mount(&server)
        .await;
    let from = Checkpoint::new(json!({
        "system_users_page": 1, "updated_since": null, "newest": "2026-11-03T10:00:00Z"
    }));
    let batches = read_ok(&connector(&server), "users", Some(from)).await;
    assert_eq!(records(&batches), [ai_agent()]);
    assert_eq!(
        checkpoints(&batches),
        [json!({"updated_since": "2026-11-03T10:00:00Z"})]
    );
}

/// A conversation whose own times run ahead of the clock (a thread dated eight days after
/// now) would make the next sync's `modifiedSince` a time that has not come: the page is
/// `Malformed` and nothing past the last good page is committed. A few minutes ahead (clock
/// skew, within the SDK's tolerance) is a bookmark like any other.
#[tokio::test]
async fn a_conversation_dated_past_the_clock_is_malformed_and_never_a_bookmark() {
    let server = token_server().await;
    let skewed = "2026-11-12T00:05:00Z";
    let c1 = conversation(
        1,
        "active",
        skewed,
        vec![thread(10, "customer", ("customer", 701), "active", skewed)],
    );
    serve(&server, export(None, 1), conv_page(vec![c1], 1, 2, 2)).await;
    let c2 = conversation(
        2,
        "active",
        skewed,
        vec![thread(
            20,
            "customer",
            ("customer", 702),
            "active",
            "2026-11-20T00:00:00Z",
        )],
    );
    export(Some(skewed), 1)
        .respond_with(conv_page(vec![c2], 1, 1, 1))
        .mount(&server)
        .await;
    let c = connector(&server).with_clock(Clock::fixed(t(NOW)));
    let (batches, err) = read(&c, "conversations", None).await;
    assert_eq!(
        checkpoints(&batches),
        [json!({"modified_since": skewed, "page": 1, "bookmark": skewed, "sync_since": null})]
    );
    match err {
        Some(ConnectorError::Malformed { endpoint, detail }) => {
            assert_eq!(endpoint, CONVERSATIONS);
            assert!(
                detail.contains("conversation 2")
                    && detail.contains("ahead of this machine's clock"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A user `updatedAt` ahead of the clock would be the next sync's threshold, hiding every
/// user updated until then: the page is `Malformed`.
#[tokio::test]
async fn a_user_updated_past_the_clock_is_malformed_and_never_a_bookmark() {
    let server = token_server().await;
    let mut users = doc_fixture("users_v2.json");
    users["_embedded"]["users"][0]["updatedAt"] = json!("2027-01-01T00:00:00Z");
    get(USERS, None)
        .respond_with(ResponseTemplate::new(200).set_body_json(users))
        .mount(&server)
        .await;
    let c = connector(&server).with_clock(Clock::fixed(t(NOW)));
    let (batches, err) = read(&c, "users", None).await;
    assert!(batches.is_empty());
    deskpulse_connector::testkit::assert_malformed(&err, USERS, "ahead of this machine's clock");
}
