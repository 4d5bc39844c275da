//! The users export: agents, customers, and which users are bots.

use crate::common::*;
use deskpulse_connector::Record;
use deskpulse_model::{Agent, Customer};
use serde_json::json;
use wiremock::matchers::query_param_is_missing;
use wiremock::{MockServer, ResponseTemplate};

fn page(users: serde_json::Value, after: &str, eos: bool) -> ResponseTemplate {
    export_page("users", USERS, users, after, eos)
}

#[tokio::test]
async fn pages_agents_and_customers() {
    let server = MockServer::start().await;
    // Page 1: the recorded go-zendesk users (an end-user and an admin).
    let recorded = fixture("users.json")["users"].clone();
    given(USERS, &[("start_time", "0")])
        .and(query_param_is_missing("cursor"))
        .respond_with(page(recorded, "u1", false))
        .mount(&server)
        .await;
    let page2 = json!([
        {"id": 501, "name": "Bea Agent", "email": "bea@acme.test", "role": "agent", "role_type": 0,
         "active": true, "suspended": false, "created_at": "2024-01-02T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z"},
        {"id": 502, "name": "Carl Customer", "email": "carl@example.com", "role": "end-user",
         "active": true, "created_at": "2024-01-03T00:00:00Z", "updated_at": "2024-01-03T00:00:00Z"}
    ]);
    get(USERS, &[("cursor", "u1")], page(page2, "u2", true))
        .mount(&server)
        .await;
    // After the end of the stream, the next sync resumes with the same cursor.
    get(USERS, &[("cursor", "u2")], page(json!([]), "u2", true))
        .mount(&server)
        .await;

    let c = connector(&server);
    let batches = read_ok(&c, "users", None).await;
    assert_eq!(
        checkpoints(&batches),
        // `reached`: the latest `updated_at` read (the recorded admin's, then Carl's).
        vec![
            json!({"cursor": "u1", "reached": 1543605154}),
            json!({"cursor": "u2", "reached": ts("2024-01-03T00:00:00Z")})
        ]
    );
    let all = records(&batches);
    let agents = all.iter().filter_map(Record::as_agent).collect::<Vec<_>>();
    assert_eq!(
        agents,
        vec![
            &Agent {
                external_id: "369537351454".into(),
                name: "nukosuke".into(),
                is_bot: false
            },
            &Agent {
                external_id: "501".into(),
                name: "Bea Agent".into(),
                is_bot: false
            },
        ]
    );
    // End-users become customers: an id and an address for storage to hash, no name.
    let customers = all
        .iter()
        .filter_map(Record::as_customer)
        .collect::<Vec<_>>();
    assert_eq!(
        customers,
        vec![
            &Customer {
                external_id: "369531345753".into(),
                email: Some("customer@example.com".into()),
            },
            &Customer {
                external_id: "502".into(),
                email: Some("carl@example.com".into()),
            },
        ]
    );
    assert_eq!(all.len(), agents.len() + customers.len());
    let debug = format!("{batches:?}");
    assert!(
        !debug.contains("Sample customer")
            && !debug.contains("Carl")
            && !debug.contains("@example.com"),
        "end-user names or addresses leaked into Debug output: {debug}"
    );
}

/// The Incremental User Export's documented user ("Johnny Agent", `role` agent, `role_type` 0).
fn johnny() -> serde_json::Value {
    json!({"active": true, "alias": "Mr. Johnny", "created_at": "2009-07-20T22:55:29Z",
        "custom_role_id": 9373643, "details": "", "email": "johnny@example.com",
        "external_id": "sai989sur98w9", "id": 35436, "last_login_at": "2011-05-05T10:38:52Z",
        "locale": "en-US", "locale_id": 1, "moderator": true, "name": "Johnny Agent",
        "notes": "Johnny is a nice guy!", "only_private_comments": false, "organization_id": 57542,
        "phone": "+15551234567", "restricted_agent": true, "role": "agent", "role_type": 0,
        "shared": false, "shared_agent": false, "signature": "Have a nice day, Johnny",
        "suspended": true, "tags": ["enterprise", "other_tag"], "ticket_restriction": "assigned",
        "time_zone": "Copenhagen", "updated_at": "2011-05-05T10:38:52Z",
        "url": "https://company.zendesk.com/api/v2/users/35436",
        "user_fields": {"user_date": "2012-07-23T00:00:00Z", "user_decimal": 5.1, "user_dropdown": "option_1"},
        "verified": true})
}

async fn read_users(users: serde_json::Value, bot_user_ids: Vec<i64>) -> Vec<Record> {
    records_of_one_page("users", USERS, page(users, "u1", true), |s| {
        s.bot_user_ids = bot_user_ids;
    })
    .await
}

/// Zendesk's users export has no bot flag (`role_type` 0 is a custom agent, a person): a
/// documented agent is a person unless configured as a bot. The user an admin picked as an
/// AI agent's sender is an ordinary agent in the export
/// (support.zendesk.com/hc/en-us/articles/9985221852954): listed in `bot_user_ids`, it is a bot.
#[tokio::test]
async fn a_documented_agent_is_a_person_unless_listed_in_bot_user_ids() {
    for (bot_user_ids, is_bot) in [(vec![], false), (vec![35436], true)] {
        assert_eq!(
            read_users(json!([johnny()]), bot_user_ids).await,
            vec![Record::Agent(Agent {
                external_id: "35436".into(),
                name: "Johnny Agent".into(),
                is_bot
            })]
        );
    }
}

/// A third-party bot added as an end-user (Zendesk QA asks admins to mark such users as bots
/// by hand) is a bot agent when listed, never a customer.
#[tokio::test]
async fn an_end_user_listed_in_bot_user_ids_is_a_bot_not_a_customer() {
    let end_user = fixture("users.json")["users"][0].clone();
    assert_eq!(end_user["role"], "end-user");
    assert_eq!(
        read_users(json!([end_user]), vec![369531345753]).await,
        vec![Record::Agent(Agent {
            external_id: "369531345753".into(),
            name: "Sample customer".into(),
            is_bot: true
        })]
    );
}
