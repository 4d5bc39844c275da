//! A fake Intercom workspace on wiremock: `POST /conversations/search` (filtered, sorted and
//! paged like the real one, answering with the documented envelope), `GET /conversations/{id}`
//! and `GET /admins`, with conversations built from the OpenAPI 2.14 examples. The search
//! answers the two queries the connector sends: `updated_at` from a bookmark (offset-like
//! cursors, bound to the query), and the roster's `created_at < T` sorted by `created_at`,
//! whose cursor is a position (the last hit's `created_at` and id), like the decoded cursors
//! of Intercom's pagination guide (`[1707930081000,131,2]`).

use chrono::{DateTime, Utc};
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::Record;
use deskpulse_connector::testkit::{fast_retry, settings_of};
pub use deskpulse_connector::testkit::{read, read_ok, records};
use deskpulse_connector_intercom::{Clock, Intercom, IntercomConnector, IntercomSettings};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const TOKEN: &str = "dG9rOmIc-Secret-Access-Token-93kd==";
pub const SEARCH: &str = "/conversations/search";

pub fn settings(server: &MockServer) -> IntercomSettings {
    settings_at(server.uri(), TOKEN)
}

/// The tests' settings for the server at `base_url`, with `token`.
pub fn settings_at(base_url: String, token: &str) -> IntercomSettings {
    // The mock is not rate limited (`requests_per_minute` 0 keeps the tests fast).
    settings_of::<Intercom>(json!({
        "access_token": token, "base_url": base_url, "page_size": 2,
        "requests_per_minute": 0, "lookback_minutes": 0
    }))
}

pub fn connector_with(s: IntercomSettings) -> IntercomConnector {
    IntercomConnector::new(s)
        .unwrap()
        .with_retry_policy(fast_retry())
}

pub fn connector(server: &MockServer) -> IntercomConnector {
    connector_with(settings(server))
}

/// Unix seconds → UTC.
pub fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

/// A connector whose clock stands at `now` (unix seconds).
pub fn connector_at(server: &MockServer, now: i64) -> IntercomConnector {
    connector(server).with_clock(Clock::fixed(at(now)))
}

pub fn tickets(records: &[Record]) -> Vec<&deskpulse_model::Ticket> {
    records.iter().filter_map(Record::as_ticket).collect()
}

/// Syncs `stream` of `c` into `store` as source `src` with the SDK's runner: the batches
/// committed.
pub async fn sync_into(
    c: &IntercomConnector,
    store: &deskpulse_storage::Store,
    stream: &str,
) -> u64 {
    let options = deskpulse_connector::SyncOptions::default();
    deskpulse_connector::sync_stream(
        c,
        "src",
        stream,
        store,
        &options,
        &deskpulse_connector::NoProgress,
    )
    .await
    .unwrap_or_else(|e| panic!("sync of {stream}: {e}"))
    .batches
}

/// The records of one `conversations` read of a fake workspace holding `conversations`,
/// the `deleted` among them found by the search and gone (404) when fetched.
pub async fn synced(conversations: Vec<Value>, deleted: &[&str]) -> Vec<Record> {
    let (server, fake) = Fake::serve(conversations).await;
    fake.delete(deleted);
    records(&read_ok(&connector(&server), "conversations", None).await)
}

pub fn ticket_ids(records: &[Record]) -> Vec<&str> {
    tickets(records)
        .into_iter()
        .map(|t| t.external_id.as_str())
        .collect()
}

/// An example of Intercom's OpenAPI description (`tests/fixtures/intercom-openapi`).
pub fn openapi(example: &str) -> Value {
    fixture(&format!(
        "intercom-openapi/descriptions_2.14__{example}.json"
    ))
}

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The Airbyte records of one stream (each API object is under `data`).
pub fn airbyte(stream: &str) -> Vec<Value> {
    let path = format!(
        "{}/tests/fixtures/airbyte-integration/expected_records.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["stream"] == stream)
        .map(|v| v["data"].clone())
        .collect()
}

/// The documented conversation (OpenAPI 2.14 "conversation found"), re-dated and emptied:
/// no tags, no parts, no assignee, opened by a customer through the Messenger.
pub fn conversation(id: &str, created_at: i64, updated_at: i64, state: &str) -> Value {
    let mut c = fixture(
        "intercom-openapi/descriptions_2.14__GET_conversations_id__200_conversation_found.json",
    );
    c["id"] = json!(id);
    c["created_at"] = json!(created_at);
    c["updated_at"] = json!(updated_at);
    c["state"] = json!(state);
    c["open"] = json!(state != "closed");
    c["source"]["id"] = json!(format!("9{id}"));
    c["source"]["delivered_as"] = json!("customer_initiated");
    c["source"]["author"] = json!({
        "type": "user",
        "id": format!("contact-{id}"),
        "name": "Jane Customer",
        "email": format!("jane{id}@example.com")
    });
    c["contacts"]["contacts"] = json!([{
        "type": "contact",
        "id": format!("contact-{id}"),
        "external_id": "70"
    }]);
    c["admin_assignee_id"] = Value::Null;
    c["team_assignee_id"] = Value::Null;
    c["tags"]["tags"] = json!([]);
    c["conversation_parts"]["conversation_parts"] = json!([]);
    c["conversation_parts"]["total_count"] = json!(0);
    c
}

/// A part shaped like the documented one; `author_type` user/lead/admin/bot/team. Only a
/// comment or a note keeps the documented body: Intercom's examples give state changes,
/// assignments and quick replies `"body": null` unless they carry a message (tests of
/// those use the documented examples that do).
pub fn part(id: &str, part_type: &str, at: i64, author_type: &str, author_id: &str) -> Value {
    let doc = fixture(
        "intercom-openapi/descriptions_2.14__GET_conversations_id__200_conversation_found.json",
    );
    let mut p = doc["conversation_parts"]["conversation_parts"][0].clone();
    if !matches!(part_type, "comment" | "note" | "note_and_reopen") {
        p["body"] = Value::Null;
    }
    p["id"] = json!(id);
    p["part_type"] = json!(part_type);
    p["created_at"] = json!(at);
    p["updated_at"] = json!(at);
    p["notified_at"] = json!(at);
    p["assigned_to"] = Value::Null;
    p["tags"] = json!([]);
    p["author"] = json!({
        "type": author_type,
        "id": author_id,
        "name": "Someone",
        "email": "someone@example.com"
    });
    p
}

/// The parts `name` of `tests/fixtures/conversation_parts.json`: each `[id, part_type,
/// created_at, author type, author id]` made a [`part`], and an object after them merged
/// into its author.
pub fn parts_of(name: &str) -> Vec<Value> {
    let parts = fixture("conversation_parts.json")[name].clone();
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    (parts.as_array().unwrap().iter())
        .map(|p| {
            let mut made = part(
                &s(&p[0]),
                &s(&p[1]),
                p[2].as_i64().unwrap(),
                &s(&p[3]),
                &s(&p[4]),
            );
            for (k, v) in p.get(5).and_then(Value::as_object).into_iter().flatten() {
                made["author"][k] = v.clone();
            }
            made
        })
        .collect()
}

pub fn with_parts(mut c: Value, parts: Vec<Value>) -> Value {
    c["conversation_parts"]["total_count"] = json!(parts.len());
    c["conversation_parts"]["conversation_parts"] = Value::Array(parts);
    c
}

/// What the fake workspace holds and what it saw.
#[derive(Clone, Default)]
pub struct Fake {
    /// Full conversations (with their parts), by id.
    pub conversations: Arc<Mutex<BTreeMap<String, Value>>>,
    /// Found by the search, but 404 on `GET /conversations/{id}` (deleted in between).
    pub deleted: Arc<Mutex<BTreeSet<String>>>,
    /// Every search body received.
    pub searches: Arc<Mutex<Vec<Value>>>,
}

impl Fake {
    pub fn new(conversations: Vec<Value>) -> Self {
        let f = Fake::default();
        for c in conversations {
            f.conversations
                .lock()
                .unwrap()
                .insert(c["id"].as_str().unwrap().to_owned(), c);
        }
        f
    }

    /// A fake workspace holding `conversations`, mounted on a server of its own.
    pub async fn serve(conversations: Vec<Value>) -> (MockServer, Fake) {
        let server = MockServer::start().await;
        let fake = Fake::new(conversations);
        fake.mount(&server).await;
        (server, fake)
    }

    /// Deletes `ids` behind the search: still found, 404 when fetched.
    pub fn delete(&self, ids: &[&str]) {
        let mut deleted = self.deleted.lock().unwrap();
        deleted.extend(ids.iter().map(|id| (*id).to_owned()));
    }

    pub fn searches(&self) -> Vec<Value> {
        self.searches.lock().unwrap().clone()
    }

    pub async fn mount(&self, server: &MockServer) {
        self.mount_under(server, "").await;
    }

    /// [`Fake::mount`] under a path prefix (`/proxy`).
    pub async fn mount_under(&self, server: &MockServer, prefix: &str) {
        Mock::given(method("POST"))
            .and(path(format!("{prefix}{SEARCH}")))
            .respond_with(self.clone())
            .mount(server)
            .await;
        let me = self.clone();
        Mock::given(method("GET"))
            .and(path_regex(format!("^{prefix}/conversations/[^/]+$")))
            .respond_with(move |req: &Request| me.get(req))
            .mount(server)
            .await;
    }

    pub fn get(&self, req: &Request) -> ResponseTemplate {
        let id = req.url.path().rsplit('/').next().unwrap().to_owned();
        if self.deleted.lock().unwrap().contains(&id) {
            return not_found();
        }
        match self.conversations.lock().unwrap().get(&id) {
            Some(c) => ResponseTemplate::new(200).set_body_json(c),
            None => not_found(),
        }
    }

    /// The search: `updated_at >= T` (the `>`/`=` pair the connector sends), ascending by
    /// `updated_at`, `per_page` at a time, the cursor an opaque token bound to the query.
    fn search(&self, body: &Value) -> ResponseTemplate {
        if body["query"]["field"] == "created_at" {
            return self.roster(body);
        }
        let q = &body["query"];
        let from = q["value"][0]["value"]
            .as_i64()
            .expect("a numeric updated_at");
        if *q != updated_since(from)
            || body["sort"] != json!({"field": "updated_at", "order": "ascending"})
        {
            return bad_request(&format!("unexpected search body {body}"));
        }
        let per_page = body["pagination"]["per_page"].as_u64().unwrap() as usize;
        assert!((1..=150).contains(&per_page), "per_page {per_page}");
        let offset = match body["pagination"]["starting_after"].as_str() {
            None => 0,
            Some(c) => match c
                .strip_prefix(&format!("Wz{from}x"))
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) => n,
                None => return bad_request("invalid starting_after"),
            },
        };
        let mut hits: Vec<Value> = self
            .conversations
            .lock()
            .unwrap()
            .values()
            .filter(|c| c["updated_at"].as_i64().unwrap() >= from)
            .cloned()
            .collect();
        hits.sort_by_key(|c| {
            (
                c["updated_at"].as_i64().unwrap(),
                c["id"].as_str().unwrap().to_owned(),
            )
        });
        let total = hits.len();
        let page: Vec<Value> = hits.into_iter().skip(offset).take(per_page).collect();
        let total_pages = total.div_ceil(per_page).max(1);
        let mut pages = json!({
            "type": "pages",
            "page": offset / per_page + 1,
            "per_page": per_page,
            "total_pages": total_pages,
        });
        if offset + per_page < total {
            pages["next"] = json!({
                "per_page": per_page,
                "starting_after": format!("Wz{from}x{}", offset + per_page),
            });
        }
        ResponseTemplate::new(200).set_body_json(search_page(pages, total, page))
    }
}

impl Fake {
    /// The roster's search: `created_at < T` ("lower (or equal) than", as documented),
    /// ascending by `created_at` then id; the cursor names the last hit, so a deletion or
    /// an update between two pages moves nothing after it. The `deleted` conversations are
    /// gone from the search by then. The `pages` object is laid out
    /// like the pagination guide's example (`next.page`, `per_page` as a string).
    fn roster(&self, body: &Value) -> ResponseTemplate {
        let q = &body["query"];
        let Some(before) = q["value"].as_i64() else {
            return bad_request("created_at needs a number");
        };
        if q["operator"] != "<"
            || body["sort"] != json!({"field": "created_at", "order": "ascending"})
        {
            return bad_request(&format!("unexpected roster body {body}"));
        }
        let per_page = body["pagination"]["per_page"].as_u64().unwrap() as usize;
        assert!((1..=150).contains(&per_page), "per_page {per_page}");
        let after: Option<(i64, String)> = match body["pagination"]["starting_after"].as_str() {
            None => None,
            Some(c) => match c
                .strip_prefix("WzC")
                .and_then(|r| r.split_once('|'))
                .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.to_owned())))
            {
                Some(k) => Some(k),
                None => return bad_request("invalid starting_after"),
            },
        };
        let key = |c: &Value| {
            (
                c["created_at"].as_i64().unwrap(),
                c["id"].as_str().unwrap().to_owned(),
            )
        };
        let deleted = self.deleted.lock().unwrap().clone();
        let mut hits: Vec<Value> = self
            .conversations
            .lock()
            .unwrap()
            .values()
            .filter(|c| c["created_at"].as_i64().unwrap() <= before)
            .filter(|c| !deleted.contains(c["id"].as_str().unwrap()))
            .filter(|c| after.as_ref().is_none_or(|a| key(c) > *a))
            .cloned()
            .collect();
        hits.sort_by_key(key);
        let more = hits.len() > per_page;
        let page: Vec<Value> = hits.into_iter().take(per_page).collect();
        let mut pages =
            json!({"type": "pages", "page": 1, "per_page": per_page.to_string(), "total_pages": 1});
        if more {
            let (t, id) = key(page.last().unwrap());
            pages["next"] = json!({"page": 2, "starting_after": format!("WzC{t}|{id}")});
        }
        ResponseTemplate::new(200).set_body_json(search_page(pages, page.len(), page))
    }
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = match serde_json::from_slice(&req.body) {
            Ok(b) => b,
            Err(_) => return bad_request("body is not JSON"),
        };
        self.searches.lock().unwrap().push(body.clone());
        self.search(&body)
    }
}

/// The search query for conversations updated at or after `from`, as the connector sends
/// it: `>` or `=`.
pub fn updated_since(from: i64) -> Value {
    json!({
        "operator": "OR",
        "value": [
            { "field": "updated_at", "operator": ">", "value": from },
            { "field": "updated_at", "operator": "=", "value": from },
        ]
    })
}

/// The documented search envelope around `hits`, which the search returns without their
/// parts.
pub fn search_page(pages: Value, total_count: usize, hits: Vec<Value>) -> Value {
    let conversations: Vec<Value> = hits
        .into_iter()
        .map(|mut c| {
            c.as_object_mut().unwrap().remove("conversation_parts");
            c
        })
        .collect();
    json!({
        "type": "conversation.list",
        "pages": pages,
        "total_count": total_count,
        "conversations": conversations,
    })
}

/// OpenAPI 2.14, `GET /conversations/{conversation_id}`, 404 "Not found".
pub fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "type": "error.list",
        "request_id": "8c288c4f-b699-4209-9de4-064398f02785",
        "errors": [{ "code": "not_found", "message": "Resource Not Found" }]
    }))
}

fn bad_request(msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({
        "type": "error.list",
        "errors": [{ "code": "parameter_invalid", "message": msg }]
    }))
}

pub async fn mount_admins(server: &MockServer, admins: Value) {
    Mock::given(method("GET"))
        .and(path("/admins"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"type": "admin.list", "admins": admins})),
        )
        .mount(server)
        .await;
}
