//! Pages that cannot be followed are errors, never panics or silently shortened streams;
//! the batches before them stay valid.

use crate::common::*;
use crate::tickets::{EP, page};
use deskpulse_connector::testkit;
use deskpulse_connector::{Checkpoint, Connector, ConnectorError};
use serde_json::json;
use wiremock::matchers::{path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn first_page_then(server: &MockServer, second: ResponseTemplate) {
    Mock::given(path(EP))
        .and(query_param_is_missing("cursor"))
        .respond_with(page(
            json!([ticket(
                2,
                "open",
                "2026-11-20T08:00:00",
                "2026-11-20T09:00:00"
            )]),
            Some("c1"),
        ))
        .mount(server)
        .await;
    Mock::given(path(EP))
        .and(query_param("cursor", "c1"))
        .respond_with(second)
        .mount(server)
        .await;
}

async fn expect_malformed(second: ResponseTemplate, needle: &str) {
    let server = MockServer::start().await;
    first_page_then(&server, second).await;
    let (batches, err) = read(&connector(&server), "tickets", None).await;
    assert_eq!(batches.len(), 1, "the good page before the bad one is kept");
    testkit::assert_malformed(&err, EP, needle);
}

#[tokio::test]
async fn missing_meta() {
    expect_malformed(
        ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": []})),
        "meta",
    )
    .await;
}

#[tokio::test]
async fn unknown_status() {
    let t = json!([ticket(
        1,
        "archived",
        "2026-11-20T07:00:00",
        "2026-11-20T08:00:00"
    )]);
    expect_malformed(page(t, None), "archived").await;
}

#[tokio::test]
async fn bad_time() {
    let t = json!([ticket(1, "open", "2026-11-20T07:00:00", "last tuesday")]);
    expect_malformed(page(t, None), "last tuesday").await;
}

#[tokio::test]
async fn unusable_checkpoint_and_unknown_stream() {
    let server = MockServer::start().await;
    let c = connector(&server);
    for bad in [
        json!({"page": 3}),
        json!({"bookmark": "yesterday"}),
        json!({"cursor": 5}),
        json!({"after": null, "upper": 7, "cursor": "c1"}),
    ] {
        let (_, err) = read(&c, "tickets", Some(Checkpoint::new(bad.clone()))).await;
        assert!(
            matches!(&err, Some(ConnectorError::Malformed { detail, .. }) if detail.contains("--full")),
            "{bad}: {err:?}"
        );
    }
    let (_, err) = read(
        &c,
        "users",
        Some(Checkpoint::new(json!({"bookmark": null}))),
    )
    .await;
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { detail, .. }) if detail.contains("--full")),
        "{err:?}"
    );
    let (_, err) = read(&c, "organizations", None).await;
    assert!(
        matches!(&err, Some(ConnectorError::UnknownStream { known, .. }) if known == "users, tickets, messages, satisfaction_surveys"),
        "{err:?}"
    );
    assert_eq!(c.kind(), "gorgias");
}
