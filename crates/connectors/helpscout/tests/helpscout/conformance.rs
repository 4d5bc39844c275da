//! The SDK's conformance kit on the Help Scout connector, both ways it authenticates:
//! resume from every checkpoint, 429, 5xx, 401/403, broken pages and secrets in logs, the
//! typed checkpoints of every stream and the kind's registration.

use crate::common::{CONVERSATIONS, SYSTEM_USERS, USERS, conversation, hal_body, listed, thread};
use deskpulse_connector::Clock;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Secret;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector_helpscout::{
    ConversationsCheckpoint, HelpScout, HelpScoutConnector, HelpScoutSettings, RosterCheckpoint,
    UsersCheckpoint,
};
use serde_json::{Value, json};

/// A fixture page: `GET path?query` answering `items` (under `key`) as HAL page `number`
/// of `[number, total_pages, total_elements]`.
type Page<'a> = (
    &'a str,
    Vec<(&'a str, &'a str)>,
    &'a str,
    Vec<Value>,
    [u64; 3],
);

fn with_pages(f: Fixtures, pages: Vec<Page<'_>>) -> Fixtures {
    pages
        .into_iter()
        .fold(f, |f, (path, query, key, items, [n, of, total])| {
            f.get(path, &query, hal_body(key, items, n, of, total))
        })
}

fn conv(id: i64, at: &str) -> Value {
    let mut reply = thread(id * 10 + 1, "message", ("user", 5), "closed", at);
    reply["rating"] = json!({"customerId": 700 + id, "rating": "great"});
    conversation(
        id,
        "closed",
        at,
        vec![
            thread(id * 10, "customer", ("customer", 700 + id), "active", at),
            reply,
        ],
    )
}

fn data_pages(f: Fixtures) -> Fixtures {
    let user = |id: i64| json!({"id": id, "firstName": "Ann", "lastName": "Agent", "type": "user", "updatedAt": format!("2026-11-0{id}T10:00:00Z")});
    let ai_agent = json!({"id": 155250, "type": "system_user", "firstName": "AI Agent", "lastName": "",
                    "role": "user", "createdAt": "2026-04-22T15:17:33Z", "updatedAt": "2026-04-22T15:17:33Z"});
    let all = |since: Option<&'static str>| {
        let mut q = vec![("status", "all"), ("page", "1")];
        q.extend(since.map(|s| ("modifiedSince", s)));
        q
    };
    let (c1, c2, c3) = (
        || conv(1, "2026-11-10T10:00:00Z"),
        || conv(2, "2026-11-10T10:05:00Z"),
        || conv(3, "2026-11-10T10:20:00Z"),
    );
    let spam = vec![
        ("status", "spam"),
        ("sortField", "modifiedAt"),
        ("page", "1"),
    ];
    #[rustfmt::skip]
    let pages = vec![
        (USERS, vec![("page", "1")], "users", vec![user(1), user(2)], [1, 2, 3]),
        (USERS, vec![("page", "2")], "users", vec![user(3)], [2, 2, 3]),
        // AI agents, after the users.
        (SYSTEM_USERS, vec![("page", "1")], "system_users", vec![ai_agent], [1, 1, 1]),
        (CONVERSATIONS, all(None), "conversations", vec![c1(), c2()], [1, 2, 3]),
        // The restart after page 1, at the newest time it held.
        (CONVERSATIONS, all(Some("2026-11-10T10:05:00Z")), "conversations", vec![c2(), c3()], [1, 1, 2]),
        // The `status=spam` pass of the export (Help Scout lists spam as a status of its own).
        (CONVERSATIONS, spam, "conversations", vec![], [1, 0, 0]),
        // The next sync (lookback 0) starts at the bookmark: the last conversation again.
        (CONVERSATIONS, all(Some("2026-11-10T10:20:00Z")), "conversations", vec![c3()], [1, 1, 1]),
    ];
    with_pages(f, pages)
}

/// The id sweep: `status=all` by `createdAt` keyset (page 1, then page 1 again from the
/// newest `createdAt` read minus a second), then `status=spam` (empty).
fn roster_pages(f: Fixtures) -> Fixtures {
    let by_created = |status, from: Option<&'static str>| {
        let mut q = vec![
            ("status", status),
            ("sortField", "createdAt"),
            ("sortOrder", "asc"),
            ("page", "1"),
        ];
        q.extend(from.map(|f| ("query", f)));
        q
    };
    let c = |id, at| listed(id, "closed", at);
    #[rustfmt::skip]
    let pages = vec![
        (CONVERSATIONS, by_created("all", None), "conversations",
            vec![c(1, "2026-11-10T10:00:00Z"), c(2, "2026-11-10T10:05:00Z")], [1, 2, 3]),
        (CONVERSATIONS, by_created("all", Some("(createdAt:[2026-11-10T10:04:59Z TO *])")), "conversations",
            vec![c(2, "2026-11-10T10:05:00Z"), c(3, "2026-11-10T10:20:00Z")], [1, 1, 2]),
        (CONVERSATIONS, by_created("spam", None), "conversations", vec![], [1, 0, 0]),
    ];
    with_pages(f, pages)
}

/// The kit compares runs record by record: the sweep's times must not depend on the clock.
fn pinned_clock() -> chrono::DateTime<chrono::Utc> {
    "2026-11-12T00:00:00Z".parse().unwrap()
}

/// The kit on the connector built from `settings` (given the kit's target) and `fixtures`.
async fn conformance(
    fixtures: Fixtures,
    settings: impl Fn(&Target) -> HelpScoutSettings + Send + Sync + 'static,
    auth_matching: bool,
) {
    let kit = Conformance::new(roster_pages(data_pages(fixtures)), move |t: &Target| {
        let s = HelpScoutSettings {
            base_url: Some(t.base_url.clone()),
            requests_per_minute: 0,
            lookback_minutes: 0,
            ..settings(t)
        };
        t.connector(HelpScoutConnector::new(s).map(|c| c.with_clock(Clock::fixed(pinned_clock()))))
    });
    let kit = if auth_matching {
        kit
    } else {
        kit.without_auth_matching()
    };
    kit.boundary_repeats(&["conversations"])
        .kind(&HelpScout)
        .checkpoint_type::<UsersCheckpoint>("users")
        .checkpoint_type::<ConversationsCheckpoint>("conversations")
        .checkpoint_type::<RosterCheckpoint>("ticket_roster")
        .run()
        .await
        .assert_ok();
}

#[tokio::test]
async fn conformance_with_client_credentials() {
    let token = Fixtures::new().post(
        "/v2/oauth2/token",
        json!({"grant_type": "client_credentials", "client_id": "app-id"}),
        json!({"token_type": "bearer", "access_token": "kit-token-5f2c", "expires_in": 172800}),
    );
    // The secret is exchanged for a token: pages cannot check for it.
    let settings = |t: &Target| HelpScoutSettings {
        client_id: Some("app-id".into()),
        client_secret: Some(Secret::new(&t.secret)),
        ..HelpScoutSettings::default()
    };
    conformance(token, settings, false).await;
}

#[tokio::test]
async fn conformance_with_an_access_token() {
    let settings = |t: &Target| HelpScoutSettings {
        access_token: Some(Secret::new(&t.secret)),
        ..HelpScoutSettings::default()
    };
    conformance(Fixtures::new(), settings, true).await;
}
