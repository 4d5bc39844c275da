//! Wiremock tests of the FacebookPage connector. Replace the fixture pages with payloads shaped
//! exactly like the vendor's documented or recorded responses (see `docs/connectors.md`).

use deskpulse_connector::registry::check_kind;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector::{Connector, HttpConnector as _, Secret};
use deskpulse_connector_facebook_page::{
    FacebookPage, FacebookPageConnector, FacebookPageSettings,
};
use serde_json::{Value, json};

const TICKETS: &str = "/api/v1/tickets";

fn ticket(id: u64, status: &str, channel: &str, updated_at: &str) -> Value {
    json!({
        "id": id, "status": status, "channel": channel,
        "created_at": "2024-03-01T09:00:00Z", "updated_at": updated_at,
        "requester_id": 900 + id, "assignee_id": 7, "group_id": null,
        "tags": ["example"], "priority": "normal", "subject": "never stored",
    })
}

/// Two pages of a first sync, and what the next sync asks for (changes since the highest
/// `updated_at` stored: the last ticket again, as the filter is inclusive).
fn fixtures() -> Fixtures {
    let t3 = ticket(3, "solved", "chat", "2024-03-03T10:00:00Z");
    Fixtures::new()
        .get(
            TICKETS,
            &[("updated_since", "0")],
            json!({
                "tickets": [
                    ticket(1, "open", "email", "2024-03-01T10:00:00Z"),
                    ticket(2, "pending", "web", "2024-03-02T10:00:00Z"),
                ],
                "next_cursor": "c1",
                "has_more": true,
            }),
        )
        .get(
            TICKETS,
            &[("updated_since", "0"), ("cursor", "c1")],
            json!({"tickets": [t3.clone()], "next_cursor": null, "has_more": false}),
        )
        .get(
            TICKETS,
            &[("updated_since", "1709460000")],
            json!({"tickets": [t3], "next_cursor": null, "has_more": false}),
        )
}

fn connector(t: &Target) -> Box<dyn Connector> {
    let settings = FacebookPageSettings {
        api_token: Some(Secret::new(t.secret.clone())),
        base_url: Some(t.base_url.clone()),
        requests_per_minute: 0,
        ..FacebookPageSettings::default()
    };
    Box::new(
        FacebookPageConnector::new(settings)
            .expect("valid settings")
            .with_retry_policy(t.retry.clone()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), connector)
        .boundary_repeats(&["tickets"])
        .run()
        .await
        .assert_ok();
}

#[test]
fn the_kind_is_well_declared() {
    assert_eq!(check_kind(&FacebookPage), Vec::<String>::new());
}

#[test]
fn settings_errors_name_the_key() {
    let bad: Result<FacebookPageSettings, _> =
        serde_json::from_value(json!({"api_token": "x", "nope": 1}));
    assert!(bad.is_err());
    for (s, key) in [
        (json!({"page_size": 0, "api_token": "x"}), "page_size"),
        (json!({}), "api_token"),
        (json!({"api_token": "x", "base_url": "ftp://h"}), "base_url"),
    ] {
        let s: FacebookPageSettings = serde_json::from_value(s).unwrap();
        let err = FacebookPageConnector::new(s).unwrap_err().to_string();
        assert!(err.contains(key), "{err}");
    }
}
