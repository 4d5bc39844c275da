//! What the tests share: the account, the token, the fixture files, Graph-shaped media and
//! comments (the fields of the fixtures), the connector built against a mock server with its
//! clock pinned, and the mocks of the endpoints.

use deskpulse_connector::prelude::{Record, Secret, SocialInteraction};
use deskpulse_connector::testkit::under_test;
pub use deskpulse_connector::testkit::{read, read_ok, records};
use deskpulse_connector_instagram::{InstagramConnector, InstagramSettings};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The account of `constructed_ig_user.json`.
pub const IG: &str = "17841400000000000";
pub const USERNAME: &str = "exampleoutdoor";
pub const TOKEN: &str = "IGQVJ-test-Token-9xKp2Lm";
pub const V: &str = "v21.0";

pub fn account_path() -> String {
    format!("/{V}/{IG}")
}
pub fn media_path() -> String {
    format!("/{V}/{IG}/media")
}
pub fn comments_path(media: &str) -> String {
    format!("/{V}/{media}/comments")
}
pub fn replies_path(comment: &str) -> String {
    format!("/{V}/{comment}/replies")
}

/// The clock the connectors run on.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-13T18:00:00Z".parse().unwrap()
}

pub fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

/// A fixture file of `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// A medium with the fields of `media_for_general_media.json` that the connector reads.
pub fn medium(id: &str, timestamp: &str, comments: u64) -> Value {
    json!({
        "id": id, "timestamp": timestamp, "comments_count": comments,
        "username": USERNAME, "caption": "never read",
    })
}

/// A media (or comments) page; `after` = the next page's cursor.
pub fn list(data: Vec<Value>, after: Option<&str>) -> Value {
    match after {
        Some(a) => json!({
            "data": data,
            "paging": {
                "cursors": {"before": "QVFIUmJ", "after": a},
                "next": format!("https://graph.facebook.com/{V}/{IG}/media?limit=2&after={a}&access_token=VENDOR-TOKEN"),
            },
        }),
        None => {
            json!({"data": data, "paging": {"cursors": {"before": "QVFIUmJ", "after": "QVFIUmE"}}})
        }
    }
}

/// A customer's comment (the fields of `constructed_media_comments.json`, with `hidden`).
pub fn comment(id: &str, at: &str, by: &str, hidden: bool, replies: Vec<Value>) -> Value {
    json!({
        "id": id, "timestamp": at, "text": format!("Text of {id} — private"),
        "username": format!("user_{by}"), "like_count": 1, "hidden": hidden,
        "from": {"id": by, "username": format!("user_{by}")},
        "replies": {"data": replies},
    })
}

/// A reply by the brand, in one of the documented layouts.
pub enum By {
    /// `from.id` is the IG user id.
    FromId,
    /// `user` (the IG user id; only on the app user's comments).
    User,
    /// Only `username`, as the reference's example reply.
    Username,
    /// Someone else (`from.id`).
    Other(&'static str),
}

pub fn reply(id: &str, at: &str, by: By) -> Value {
    let mut r = json!({"id": id, "timestamp": at, "text": format!("Reply {id} — private")});
    match by {
        By::FromId => r["from"] = json!({"id": IG, "username": USERNAME}),
        By::User => {
            r["user"] = json!({"id": IG});
            r["username"] = json!(USERNAME);
        }
        By::Username => r["username"] = json!(USERNAME),
        By::Other(who) => {
            r["from"] = json!({"id": who, "username": format!("user_{who}")});
            r["username"] = json!(format!("user_{who}"));
        }
    }
    r
}

pub fn settings(server: &MockServer) -> InstagramSettings {
    InstagramSettings {
        ig_user_id: Some(IG.into()),
        access_token: Some(Secret::new(TOKEN)),
        base_url: Some(server.uri()),
        page_size: Some(2),
        // The mock is not rate limited; keep the tests fast.
        requests_per_hour: 0,
        ..InstagramSettings::default()
    }
}

/// The connector of `s`, with the kit's fast retries and the clock pinned at `at`.
pub fn connector_at(s: InstagramSettings, at: chrono::DateTime<chrono::Utc>) -> InstagramConnector {
    under_test(InstagramConnector::new(s), at)
}

pub fn connector(server: &MockServer) -> InstagramConnector {
    connector_at(settings(server), now())
}

/// `b1`: a comment whose nested replies go on at the replies edge (after `R1`).
pub fn b1_with_more_replies() -> Value {
    let mut b1 = comment(
        "b1",
        "2026-11-08T10:00:00+0000",
        "555",
        false,
        vec![reply("r51", "2026-11-08T10:10:00+0000", By::Other("666"))],
    );
    b1["replies"]["paging"] = json!({
        "cursors": {"after": "R1"},
        "next": format!("https://graph.facebook.com/{V}/b1/replies?after=R1"),
    });
    b1
}

/// The error that ends a read of `comments` from `server`, as text.
pub async fn comments_error(server: &MockServer) -> String {
    let (_, err) = read(&connector(server), "comments", None).await;
    err.expect("the read ends with an error").to_string()
}

/// The account's media, in one page.
pub async fn serve_media(server: &MockServer, media: Vec<Value>) {
    mount(server, &media_path(), None, list(media, None)).await;
}

/// `GET path` with the token (and `after` when given; none otherwise) → `body`.
pub async fn mount(server: &MockServer, p: &str, after: Option<&str>, body: Value) {
    let m = Mock::given(method("GET"))
        .and(path(p))
        .and(query_param("access_token", TOKEN));
    let m = match after {
        Some(a) => m.and(query_param("after", a)),
        None => m.and(query_param_is_missing("after")),
    };
    m.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// The interactions among `records`, in order.
pub fn interactions(records: &[Record]) -> Vec<SocialInteraction> {
    records
        .iter()
        .filter_map(|r| r.as_social_interaction().cloned())
        .collect()
}
