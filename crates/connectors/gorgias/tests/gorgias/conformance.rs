//! The SDK's conformance kit on the Gorgias connector: resume from every checkpoint, 429,
//! 5xx, 401/403, broken pages, endless paging, secrets in logs, typed checkpoints and the
//! kind's declaration, on every stream.

use crate::common::{list, message, survey, ticket, user};
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Secret;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector_gorgias::{
    FeedCheckpoint, Gorgias, GorgiasConnector, GorgiasSettings, UsersCheckpoint,
};
use serde_json::{Value, json};

fn fixtures() -> Fixtures {
    let feed = |f: Fixtures, ep: &str, order: &str, p1: Value, p2: Value| {
        f.get(
            ep,
            &[("order_by", order), ("limit", "100")],
            list(ep, p1, Some(&format!("{ep}-c1"))),
        )
        .get(
            ep,
            &[
                ("order_by", order),
                ("limit", "100"),
                ("cursor", &format!("{ep}-c1")),
            ],
            list(ep, p2, None),
        )
    };
    let f = Fixtures::new()
        .get(
            "/api/users",
            &[("limit", "100")],
            list("/api/users", json!([user(7, "Steve", "agent")]), Some("u1")),
        )
        .get(
            "/api/users",
            &[("limit", "100"), ("cursor", "u1")],
            list("/api/users", json!([user(9, "Bot", "bot")]), None),
        );
    let f = feed(
        f,
        "/api/tickets",
        "updated_datetime:desc",
        json!([
            ticket(
                3,
                "open",
                "2024-03-03T09:00:00",
                "2024-03-03T12:00:00.000001"
            ),
            ticket(2, "closed", "2024-03-02T09:00:00", "2024-03-02T12:00:00")
        ]),
        json!([ticket(
            1,
            "closed",
            "2024-03-01T09:00:00",
            "2024-03-01T12:00:00"
        )]),
    );
    let mut note = message(13, 2, true, 7, "2024-03-02T10:00:00");
    note["public"] = json!(false);
    let f = feed(
        f,
        "/api/messages",
        "created_datetime:desc",
        json!([message(14, 3, false, 1003, "2024-03-03T09:00:00"), note]),
        json!([
            message(12, 1, true, 7, "2024-03-01T10:00:00"),
            message(11, 1, false, 1001, "2024-03-01T09:00:00")
        ]),
    );
    feed(
        f,
        "/api/satisfaction-surveys",
        "created_datetime:desc",
        json!([survey(
            22,
            2,
            Some(5),
            "2024-03-02T13:00:00",
            Some("2024-03-03T08:00:00")
        )]),
        json!([survey(
            21,
            1,
            Some(2),
            "2024-03-01T13:00:00",
            Some("2024-03-01T15:00:00")
        )]),
    )
}

#[tokio::test]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), |t: &Target| {
        let settings = GorgiasSettings {
            email: Some("agent@acme.com".into()),
            api_key: Some(Secret::new(t.secret.clone())),
            base_url: Some(t.base_url.clone()),
            requests_per_20_seconds: 0,
            ..GorgiasSettings::default()
        };
        Box::new(
            GorgiasConnector::new(settings)
                .unwrap()
                .with_retry_policy(t.retry.clone()),
        )
    })
    // Every stream re-reads a window before its bookmark on a new pass (the overlap, the
    // surveys' lookback, the whole user list): those repeats are upserts.
    .boundary_repeats(&["users", "tickets", "messages", "satisfaction_surveys"])
    .kind(&Gorgias)
    .checkpoint_type::<UsersCheckpoint>("users")
    .checkpoint_type::<FeedCheckpoint>("tickets")
    .checkpoint_type::<FeedCheckpoint>("messages")
    .checkpoint_type::<FeedCheckpoint>("satisfaction_surveys")
    .run()
    .await
    .assert_ok();
}
