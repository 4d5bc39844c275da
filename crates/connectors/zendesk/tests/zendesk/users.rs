use crate::common::*;
use deskpulse_connector::Record;
use deskpulse_model::{Agent, Customer};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EP: &str = "/api/v2/incremental/users/cursor.json";

fn page(users: serde_json::Value, after: &str, eos: bool) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "users": users,
        "after_cursor": after,
        "after_url": format!("{PROD}{EP}?cursor={after}"),
        "before_cursor": null,
        "before_url": null,
        "end_of_stream": eos,
    }))
}

#[tokio::test]
async fn pages_agents_and_customers_and_resumes() {
    let server = MockServer::start().await;
    // Page 1: the recorded go-zendesk users (an end-user and an admin).
    let recorded = fixture("users.json")["users"].clone();
    Mock::given(method("GET"))
        .and(path(EP))
        .and(query_param("start_time", "0"))
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
    Mock::given(path(EP))
        .and(query_param("cursor", "u1"))
        .respond_with(page(page2, "u2", true))
        .mount(&server)
        .await;
    // After the end of the stream, the next sync resumes with the same cursor.
    Mock::given(path(EP))
        .and(query_param("cursor", "u2"))
        .respond_with(page(json!([]), "u2", true))
        .mount(&server)
        .await;

    let c = connector(&server);
    let batches = read_ok(&c, "users", None).await;
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"cursor": "u1"}), json!({"cursor": "u2"})]
    );
    let all = records(&batches);
    let agents: Vec<&Record> = all
        .iter()
        .filter(|r| matches!(r, Record::Agent(_)))
        .collect();
    assert_eq!(
        agents,
        vec![
            &Record::Agent(Agent {
                external_id: "369537351454".into(),
                name: "nukosuke".into(),
                is_bot: false
            }),
            &Record::Agent(Agent {
                external_id: "501".into(),
                name: "Bea Agent".into(),
                is_bot: false
            }),
        ]
    );
    // End-users become customers: an id and an address for storage to hash, no name.
    let customers: Vec<&Record> = all
        .iter()
        .filter(|r| matches!(r, Record::Customer(_)))
        .collect();
    assert_eq!(
        customers,
        vec![
            &Record::Customer(Customer {
                external_id: "369531345753".into(),
                email: Some("customer@example.com".into()),
            }),
            &Record::Customer(Customer {
                external_id: "502".into(),
                email: Some("carl@example.com".into()),
            }),
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
    assert_resumes_exactly(&c, "users", &batches).await;
}
