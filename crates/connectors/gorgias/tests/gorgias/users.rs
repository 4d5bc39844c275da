//! The team: agents and bots, the whole list on every sync.

use crate::common::*;
use deskpulse_connector::{Checkpoint, Record};
use deskpulse_model::Agent;
use serde_json::json;
use wiremock::matchers::{path, query_param_is_missing};
use wiremock::{Mock, MockServer};

const EP: &str = "/api/users";

#[tokio::test]
async fn agents_and_bots_over_pages() {
    let server = MockServer::start().await;
    let mut nameless = user(9, "", "agent");
    nameless["name"] = json!(null);
    nameless["firstname"] = json!("Ada");
    nameless["lastname"] = json!("Lovelace");
    let p1 = json!([user(7, "Steve", "admin"), user(8, "Amy", "lite-agent")]);
    let p2 = json!([nameless, user(10, "Gorgias Bot", "bot")]);
    mount_pages(
        &server,
        EP,
        &[("limit", "100")],
        vec![(p1, Some("u1")), (p2, None)],
    )
    .await;
    let c = connector(&server);
    let batches = read_ok(&c, "users", None).await;
    assert_eq!(
        checkpoints(&batches),
        [json!({"cursor": "u1"}), json!({"complete": true})]
    );
    let agents: Vec<Agent> = all(&records(&batches), Record::as_agent);
    let got: Vec<(&str, &str, bool)> = agents
        .iter()
        .map(|a| (a.external_id.as_str(), a.name.as_str(), a.is_bot))
        .collect();
    assert_eq!(
        got,
        [
            ("7", "Steve", false),
            ("8", "Amy", false),
            ("9", "Ada Lovelace", false),
            ("10", "Gorgias Bot", true)
        ]
    );
    // After a complete pass, the next sync reads the whole (small) list again.
    let again = read_ok(
        &c,
        "users",
        Some(Checkpoint::new(json!({"complete": true}))),
    )
    .await;
    assert_eq!(records(&again).len(), 4);
}

#[tokio::test]
async fn a_refused_stored_cursor_reads_the_list_again() {
    let server = MockServer::start().await;
    refuse_cursor(&server, EP, "stale").await;
    Mock::given(path(EP))
        .and(query_param_is_missing("cursor"))
        .respond_with(page_of(EP, json!([user(7, "Steve", "admin")]), None))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector(&server);
    let batches = read_ok(
        &c,
        "users",
        Some(Checkpoint::new(json!({"cursor": "stale"}))),
    )
    .await;
    assert_eq!(keys(&records(&batches)), ["agent:7"]);
}
