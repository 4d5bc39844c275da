//! Agents: page by page, every sync.

use crate::common::*;
use deskpulse_model::{Agent, Record};
use serde_json::{Value, json};
use wiremock::MockServer;

/// One page of the agents, asked for `page` (2 a page).
pub async fn mount_page(server: &MockServer, page: u32, body: Value) {
    let page = page.to_string();
    serve(server, AGENTS, &[("page", &page), ("per_page", "2")], body).await;
}

#[tokio::test]
async fn agents_from_both_fixtures_page_by_page() {
    let server = MockServer::start().await;
    mount_page(&server, 1, fixture("agents.json")).await;
    mount_page(&server, 2, Value::Array(airbyte("agents"))).await;
    mount_page(&server, 3, json!([])).await;
    let batches = read_ok(&connector(&server), "agents", None).await;
    assert_eq!(batches.len(), 3);
    let agent = |id: &str, name: &str| {
        Record::Agent(Agent {
            external_id: id.into(),
            name: name.into(),
            is_bot: false,
        })
    };
    assert_eq!(
        records(&batches),
        vec![
            agent("1", "Support"),
            agent("432", "Clark Kent"),
            agent("67013469930", "Customer Service"),
            agent("67013469919", "Team Airbyte"),
        ]
    );
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"page": 2}), json!({"page": 3}), json!({"page": 1})]
    );
}
