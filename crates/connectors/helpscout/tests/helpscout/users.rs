//! The users list: every page, agents only, and only users updated since the last sync.

use crate::common::*;
use deskpulse_connector::Record;
use deskpulse_model::Agent;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer};

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
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("page", "1"))
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
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("page", "2"))
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

fn agent(id: &str, name: &str) -> Record {
    Record::Agent(Agent {
        external_id: id.into(),
        name: name.into(),
        is_bot: false,
    })
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

#[tokio::test]
async fn the_sdk_user_shape_and_system_users() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let mut bot = user(9, "AI", "2026-11-01T10:00:00Z");
    bot["type"] = json!("system_user");
    bot["lastName"] = json!("Answers");
    Mock::given(method("GET"))
        .and(path(USERS))
        .respond_with(hal_page(
            "users",
            vec![user(1, "Big", "2017-04-21T14:43:24Z"), bot],
            1,
            1,
            2,
        ))
        .mount(&server)
        .await;
    let recs = records(&read_ok(&connector(&server), "users", None).await);
    assert_eq!(
        recs,
        [
            agent("1", "Big Bird"),
            Record::Agent(Agent {
                external_id: "9".into(),
                name: "AI Answers".into(),
                is_bot: true
            })
        ]
    );
}
