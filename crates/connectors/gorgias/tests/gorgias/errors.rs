//! Pages that cannot be followed are errors, never panics or silently shortened streams;
//! the batches before them stay valid.

use crate::common::*;
use crate::tickets::{EP, page};
use deskpulse_connector::testkit;
use serde_json::json;
use wiremock::matchers::{path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_page_that_cannot_be_followed_is_malformed_and_the_page_before_it_stays() {
    let one = |status: &str, updated: &str| {
        page(
            json!([ticket(1, status, "2026-11-20T07:00:00", updated)]),
            None,
        )
    };
    for (second, needle) in [
        (
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": []})),
            "meta",
        ),
        (one("archived", "2026-11-20T08:00:00"), "archived"),
        (one("open", "last tuesday"), "last tuesday"),
    ] {
        let server = MockServer::start().await;
        let first = json!([ticket(
            2,
            "open",
            "2026-11-20T08:00:00",
            "2026-11-20T09:00:00"
        )]);
        Mock::given(path(EP))
            .and(query_param_is_missing("cursor"))
            .respond_with(page(first, Some("c1")))
            .mount(&server)
            .await;
        Mock::given(path(EP))
            .and(query_param("cursor", "c1"))
            .respond_with(second)
            .mount(&server)
            .await;
        let (batches, err) = read(&connector(&server), "tickets", None).await;
        assert_eq!(
            batches.len(),
            1,
            "{needle}: the good page before the bad one is kept"
        );
        testkit::assert_malformed(&err, EP, needle);
    }
}

#[tokio::test]
async fn unusable_checkpoint_and_unknown_stream() {
    let server = MockServer::start().await;
    let c = connector(&server);
    testkit::assert_refuses_checkpoints(
        &c,
        &[
            ("tickets", json!({"page": 3})),
            ("tickets", json!({"bookmark": "yesterday"})),
            ("tickets", json!({"cursor": 5})),
            (
                "tickets",
                json!({"after": null, "upper": 7, "cursor": "c1"}),
            ),
            ("users", json!({"bookmark": null})),
        ],
    )
    .await;
    testkit::assert_unknown_stream(
        &c,
        "organizations",
        "users, tickets, messages, satisfaction_surveys",
    )
    .await;
}
