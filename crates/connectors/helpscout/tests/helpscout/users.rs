//! The users list: every page, agents only, and only users updated since the last sync.

use crate::common::*;
use serde_json::{Value, json};
use wiremock::MockServer;

/// A user shaped like `UserPayloads::user()`.
fn user(id: i64, first: &str, updated_at: &str) -> Value {
    json!({
        "id": id, "createdAt": "2017-04-21T14:39:56Z", "updatedAt": updated_at,
        "firstName": first, "lastName": "Bird", "email": "bird@sesamestreet.com",
        "role": "owner", "jobTitle": "Developer", "phone": "555-555-5555",
        "alternateEmails": ["bigb@sesamestreet.com"], "timezone": "America/New_York",
        "photoUrl": "https://helpscout.com/images/avatar.jpg", "type": "user",
        "_links": {"self": {"href": format!("{PROD}/v2/users/{id}")}}
    })
}

async fn mount_users(server: &MockServer) {
    mount_token(server).await;
    mount_no_system_users(server).await;
    get(USERS, Some(1))
        .respond_with(hal_page(
            "users",
            vec![
                user(1, "Big", "2026-11-01T10:00:00Z"),
                user(2, "Small", "2026-11-03T10:00:00Z"),
            ],
            1,
            2,
            3,
        ))
        .mount(server)
        .await;
    get(USERS, Some(2))
        .respond_with(hal_page(
            "users",
            vec![user(3, "Elmo", "2026-11-02T10:00:00Z")],
            2,
            2,
            3,
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn every_page_then_only_updates() {
    let server = MockServer::start().await;
    mount_users(&server).await;
    let c = connector(&server);
    let batches = read_ok(&c, "users", None).await;
    assert_eq!(
        records(&batches),
        [
            agent("1", "Big Bird"),
            agent("2", "Small Bird"),
            agent("3", "Elmo Bird")
        ]
    );
    assert_eq!(
        checkpoints(&batches),
        [
            json!({"page": 2, "updated_since": null, "newest": "2026-11-03T10:00:00Z"}),
            // `/v2/users` done: AI agents (`/v3/system-users`) next.
            json!({"system_users_page": 1, "updated_since": null, "newest": "2026-11-03T10:00:00Z"}),
            json!({"updated_since": "2026-11-03T10:00:00Z"}),
        ]
    );
    assert_resumes_exactly(&c, "users", &batches).await;

    // A later sync emits only the users updated after the newest one seen.
    let from =
        deskpulse_connector::Checkpoint::new(json!({"updated_since": "2026-11-01T12:00:00Z"}));
    let later = read_ok(&c, "users", Some(from)).await;
    assert_eq!(
        records(&later),
        [agent("2", "Small Bird"), agent("3", "Elmo Bird")]
    );
    assert_eq!(
        later.last().unwrap().checkpoint.value(),
        &json!({"updated_since": "2026-11-03T10:00:00Z"})
    );
}

/// Help Scout's List Users leaves AI agents out ("see List System Users instead"): they come
/// from `GET /v3/system-users` (`_embedded.system_users`, `type: system_user`), as bots. The
/// test before this one put a `system_user` into `/v2/users`, which Help Scout never sends.
#[tokio::test]
async fn ai_agents_come_from_the_documented_system_users_list_as_bots() {
    let server = token_server().await;
    serve(&server, get(USERS, Some(1)), doc_response("users_v2.json")).await;
    get(SYSTEM_USERS, Some(1))
        .respond_with(doc_response("system_users_v3.json"))
        .mount(&server)
        .await;
    let c = connector(&server);
    let batches = read_ok(&c, "users", None).await;
    assert_eq!(records(&batches), [agent("4", "Vernon Bear"), ai_agent()]);
    // The newest `updatedAt` of both lists is the next sync's threshold.
    assert_eq!(
        batches.last().unwrap().checkpoint.value(),
        &json!({"updated_since": "2026-04-22T15:17:33Z"})
    );
    assert_resumes_exactly(&c, "users", &batches).await;
}

/// The SDK's user payload shape (`UserPayloads::user()`).
#[tokio::test]
async fn the_sdk_user_shape_maps() {
    let server = token_server().await;
    mount_no_system_users(&server).await;
    get(USERS, None)
        .respond_with(hal_page(
            "users",
            vec![user(1, "Big", "2017-04-21T14:43:24Z")],
            1,
            1,
            1,
        ))
        .mount(&server)
        .await;
    let recs = records(&read_ok(&connector(&server), "users", None).await);
    assert_eq!(recs, [agent("1", "Big Bird")]);
}
