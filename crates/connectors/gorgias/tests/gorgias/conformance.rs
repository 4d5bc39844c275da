//! The SDK's conformance kit on the Gorgias connector: resume from every checkpoint, 429,
//! 5xx, 401/403, broken pages, endless paging, secrets in logs, typed checkpoints and the
//! kind's declaration, on every stream.

use crate::common::{list, message, settings_at, survey, ticket, user};
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector_gorgias::{FeedCheckpoint, Gorgias, GorgiasConnector, UsersCheckpoint};
use serde_json::{Value, json};

/// Each list as two pages: the first answers `query`, the second `query` and its cursor.
fn two_pages(f: Fixtures, ep: &str, query: &[(&str, &str)], p1: Value, p2: Value) -> Fixtures {
    let cursor = format!("{ep}-c1");
    let second = [query, &[("cursor", cursor.as_str())]].concat();
    f.get(ep, query, list(ep, p1, Some(&cursor)))
        .get(ep, &second, list(ep, p2, None))
}

fn fixtures() -> Fixtures {
    let f = two_pages(
        Fixtures::new(),
        "/api/users",
        &[("limit", "100")],
        json!([user(7, "Steve", "agent")]),
        json!([user(9, "Bot", "bot")]),
    );
    let by = |order| [("order_by", order), ("limit", "100")];
    let f = two_pages(
        f,
        "/api/tickets",
        &by("updated_datetime:desc"),
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
    let f = two_pages(
        f,
        "/api/messages",
        &by("created_datetime:desc"),
        json!([message(14, 3, false, 1003, "2024-03-03T09:00:00"), note]),
        json!([
            message(12, 1, true, 7, "2024-03-01T10:00:00"),
            message(11, 1, false, 1001, "2024-03-01T09:00:00")
        ]),
    );
    two_pages(
        f,
        "/api/satisfaction-surveys",
        &by("created_datetime:desc"),
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
    let mut kit = Conformance::new(fixtures(), |t: &Target| {
        t.connector(GorgiasConnector::new(settings_at(&t.base_url, &t.secret)))
    })
    // Every stream re-reads a window before its bookmark on a new pass (the overlap, the
    // surveys' lookback, the whole user list): those repeats are upserts.
    .boundary_repeats(&["users", "tickets", "messages", "satisfaction_surveys"])
    .kind(&Gorgias)
    .checkpoint_type::<UsersCheckpoint>("users");
    for feed in ["tickets", "messages", "satisfaction_surveys"] {
        kit = kit.checkpoint_type::<FeedCheckpoint>(feed);
    }
    kit.run().await.assert_ok();
}
