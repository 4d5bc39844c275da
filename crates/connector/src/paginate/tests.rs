//! The paginators against wiremock servers serving the vendors' documented page envelopes
//! (Zendesk exports and lists, Gorgias lists, Intercom search, Help Scout HAL pages,
//! Freshdesk `Link` headers), read as the runner reads them (inside a `StreamRun`).

use super::*;
use crate::http::{Auth, HttpSettings, RetryPolicy};
use crate::{Clock, StreamRun};
use deskpulse_model::Agent;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{body_partial_json, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn http(server: &MockServer) -> HttpClient {
    let mut s = HttpSettings::new(url::Url::parse(&server.uri()).unwrap(), Auth::None);
    s.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        max_retry_after: Duration::from_secs(1),
    };
    HttpClient::new(s).unwrap()
}

async fn read(stream: BatchStream<'_>) -> (Vec<Batch>, Option<ConnectorError>) {
    let run = StreamRun::new("test", "s");
    let mut stream = stream;
    let mut out = Vec::new();
    while let Some(b) = run.scope(stream.next()).await {
        match b {
            Ok(b) => out.push(b),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

fn ids(batches: &[Batch]) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| b.records.iter())
        .map(|r| match r {
            Record::Agent(a) => a.external_id.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn cps(batches: &[Batch]) -> Vec<Value> {
    batches
        .iter()
        .map(|b| b.checkpoint.value().clone())
        .collect()
}

fn agent(id: &str) -> Vec<Record> {
    vec![Record::Agent(Agent {
        external_id: id.to_owned(),
        name: String::new(),
        is_bot: false,
    })]
}

async fn serve(server: &MockServer, m: Mock) {
    m.mount(server).await;
}

// ------------------------------------------------------------------- Zendesk cursor export

/// A user as Zendesk's users export lists it (fields of go-zendesk's recorded `users.json`).
#[derive(Deserialize)]
struct ZUser {
    id: i64,
    #[allow(dead_code)]
    updated_at: String,
}

#[derive(Deserialize)]
struct ZUsersPage {
    users: Vec<ZUser>,
    after_cursor: Option<String>,
    end_of_stream: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ExportCp {
    Cursor { cursor: String },
    StartTime { start_time: i64 },
}

struct ZendeskUsers;

impl Mapping for ZendeskUsers {
    type Item = ZUser;
    const STREAM: &'static str = "users";
    const GROUP: &'static str = "incremental";
    fn map(&self, u: ZUser) -> Result<Vec<Record>, String> {
        Ok(agent(&u.id.to_string()))
    }
}

impl CursorStream for ZendeskUsers {
    type Page = ZUsersPage;
    type Bookmark = i64;
    type Checkpoint = ExportCp;
    fn start(&self, from: Option<ExportCp>) -> CursorPos<i64> {
        match from {
            None => CursorPos::first(Some(0), None),
            Some(ExportCp::StartTime { start_time }) => CursorPos::first(Some(start_time), None),
            Some(ExportCp::Cursor { cursor }) => CursorPos::resume(cursor, None, None),
        }
    }
    fn request(&self, pos: &CursorPos<i64>) -> PageRequest {
        let req = PageRequest::get("/api/v2/incremental/users/cursor.json");
        match &pos.cursor {
            Some(c) => req.query("cursor", c),
            None => req.query_opt("start_time", pos.from),
        }
    }
    fn page(&self, p: ZUsersPage) -> Result<CursorPage<ZUser>, String> {
        Ok(CursorPage {
            items: p.users,
            next: p.after_cursor,
            more: More::Flag(!p.end_of_stream),
        })
    }
    fn checkpoint(&self, pos: &CursorPos<i64>, _done: bool) -> ExportCp {
        match &pos.cursor {
            Some(c) => ExportCp::Cursor { cursor: c.clone() },
            None => ExportCp::StartTime {
                start_time: pos.from.unwrap_or(0),
            },
        }
    }
}

fn zusers(ids: &[i64], after: Option<&str>, end: bool) -> Value {
    let users: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "url": format!("https://example.zendesk.com/api/v2/users/{id}.json"), "name": "Sample customer", "updated_at": "2018-11-23T16:05:14Z", "role": "end-user"}))
        .collect();
    json!({"users": users, "after_url": after.map(|a| format!("https://example.zendesk.com/api/v2/incremental/users/cursor.json?cursor={a}")), "before_cursor": null, "after_cursor": after, "end_of_stream": end})
}

#[tokio::test]
async fn zendesk_cursor_export_reads_to_end_of_stream_and_keeps_the_last_after_cursor() {
    let server = MockServer::start().await;
    let p = "/api/v2/incremental/users/cursor.json";
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("start_time", "0"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zusers(
                &[1, 2],
                Some("c1"),
                false,
            ))),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("cursor", "c1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zusers(&[3], Some("c2"), true))),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("cursor", "c2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zusers(&[], Some("c2"), true))),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(cursor_stream(&c, ZendeskUsers, None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&batches), ["1", "2", "3"]);
    // The last page's after_cursor is where the next sync continues (Zendesk answers it with
    // an empty page and end_of_stream).
    assert_eq!(
        cps(&batches),
        [json!({"cursor": "c1"}), json!({"cursor": "c2"})]
    );
    let (resumed, err) = read(cursor_stream(
        &c,
        ZendeskUsers,
        Some(batches[1].checkpoint.clone()),
    ))
    .await;
    assert!(err.is_none(), "{err:?}");
    assert!(ids(&resumed).is_empty());
    assert_eq!(cps(&resumed), [json!({"cursor": "c2"})]);
}

#[tokio::test]
async fn a_cursor_that_does_not_move_or_is_missing_is_malformed_not_the_end() {
    let server = MockServer::start().await;
    let p = "/api/v2/incremental/users/cursor.json";
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("start_time", "0"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zusers(
                &[1],
                Some("c1"),
                false,
            ))),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("cursor", "c1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zusers(
                &[2],
                Some("c1"),
                false,
            ))),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(cursor_stream(&c, ZendeskUsers, None)).await;
    assert_eq!(batches.len(), 1);
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { endpoint, detail }) if endpoint == p && detail.contains("did not move")),
        "{err:?}"
    );

    let server = MockServer::start().await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(zusers(&[1], None, false))),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(cursor_stream(&c, ZendeskUsers, None)).await;
    assert!(batches.is_empty());
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { detail, .. }) if detail.contains("no next cursor")),
        "{err:?}"
    );

    // An unreadable stored checkpoint: the --full hint, before any request.
    let (_, err) = read(cursor_stream(
        &c,
        ZendeskUsers,
        Some(Checkpoint::new(json!({"page": 2}))),
    ))
    .await;
    assert!(err.unwrap().to_string().contains("--full"));
}

// ------------------------------------------------------------------- Gorgias data feed

/// A Gorgias list page: `{"object": "list", "uri", "data", "meta": {"prev_cursor", "next_cursor"}}`.
#[derive(Deserialize)]
struct GList {
    data: Vec<GTicket>,
    meta: GMeta,
}
#[derive(Deserialize)]
struct GMeta {
    next_cursor: Option<String>,
}
#[derive(Deserialize)]
struct GTicket {
    id: i64,
    updated_datetime: DateTime<Utc>,
}

#[derive(Serialize, Deserialize, Default)]
struct FeedCp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bookmark: Option<DateTime<Utc>>,
}

struct GorgiasTickets;

impl Mapping for GorgiasTickets {
    type Item = GTicket;
    const STREAM: &'static str = "tickets";
    fn map(&self, t: GTicket) -> Result<Vec<Record>, String> {
        Ok(agent(&t.id.to_string()))
    }
}

impl CursorStream for GorgiasTickets {
    type Page = GList;
    type Bookmark = DateTime<Utc>;
    type Checkpoint = FeedCp;
    fn start(&self, from: Option<FeedCp>) -> CursorPos<DateTime<Utc>> {
        match from {
            None => CursorPos::first(None, None),
            Some(FeedCp {
                cursor: Some(c),
                after,
                bookmark,
            }) => CursorPos::resume(c, after, bookmark),
            Some(FeedCp { bookmark, .. }) => CursorPos::first(bookmark, bookmark),
        }
    }
    fn request(&self, pos: &CursorPos<DateTime<Utc>>) -> PageRequest {
        PageRequest::get("/api/tickets")
            .query("order_by", "updated_datetime:desc")
            .query("limit", 2)
            .query_opt("cursor", pos.cursor.as_ref())
    }
    fn page(&self, p: GList) -> Result<CursorPage<GTicket>, String> {
        Ok(CursorPage {
            items: p.data,
            next: p.meta.next_cursor,
            more: More::IfNext,
        })
    }
    fn bookmark(&self, t: &GTicket) -> Option<DateTime<Utc>> {
        Some(t.updated_datetime)
    }
    fn keep(&self, pos: &CursorPos<DateTime<Utc>>, t: &GTicket) -> Keep {
        match pos.from {
            Some(after) if t.updated_datetime <= after => Keep::SkipAndStop,
            _ => Keep::Yes,
        }
    }
    fn checkpoint(&self, pos: &CursorPos<DateTime<Utc>>, done: bool) -> FeedCp {
        if done {
            FeedCp {
                bookmark: pos.bookmark.or(pos.from),
                ..FeedCp::default()
            }
        } else {
            FeedCp {
                after: pos.from,
                cursor: pos.cursor.clone(),
                bookmark: pos.bookmark,
            }
        }
    }
    fn restart_on_refused_cursor(&self) -> bool {
        true
    }
}

fn glist(items: &[(i64, &str)], next: Option<&str>) -> Value {
    let data: Vec<Value> = items
        .iter()
        .map(|(id, t)| json!({"id": id, "uri": format!("/api/tickets/{id}/"), "status": "open", "updated_datetime": t}))
        .collect();
    json!({"object": "list", "uri": "/api/tickets", "data": data, "meta": {"prev_cursor": null, "next_cursor": next}})
}

#[tokio::test]
async fn gorgias_newest_first_feed_stops_at_the_bookmark_and_bookmarks_the_newest_time_read() {
    let server = MockServer::start().await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/tickets"))
            .and(query_param_is_missing("cursor"))
            .respond_with(ResponseTemplate::new(200).set_body_json(glist(
                &[(9, "2024-03-02T10:00:00Z"), (8, "2024-03-02T09:00:00Z")],
                Some("g2"),
            ))),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/tickets"))
            .and(query_param("cursor", "g2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(glist(
                &[(7, "2024-03-01T12:00:00Z"), (6, "2024-03-01T08:00:00Z")],
                Some("g3"),
            ))),
    )
    .await;
    let c = http(&server);
    let stored = Checkpoint::new(json!({"bookmark": "2024-03-01T12:00:00Z"}));
    let (batches, err) = read(cursor_stream(&c, GorgiasTickets, Some(stored))).await;
    assert!(err.is_none(), "{err:?}");
    // Ticket 7 is at the bookmark (read by the last pass): the feed stops there, g3 unread.
    assert_eq!(ids(&batches), ["9", "8"]);
    assert_eq!(
        cps(&batches).last().unwrap(),
        &json!({"bookmark": "2024-03-02T10:00:00Z"})
    );
    assert_eq!(cps(&batches)[0]["cursor"], "g2");
}

#[tokio::test]
async fn gorgias_refused_stored_cursor_restarts_the_pass() {
    let server = MockServer::start().await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/tickets"))
            .and(query_param("cursor", "expired"))
            .respond_with(
                ResponseTemplate::new(400)
                    .set_body_json(json!({"error": {"msg": "Invalid cursor"}})),
            ),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/tickets"))
            .and(query_param_is_missing("cursor"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(glist(&[(9, "2024-03-02T10:00:00Z")], None)),
            ),
    )
    .await;
    let c = http(&server);
    let stored = Checkpoint::new(json!({"after": "2024-03-01T00:00:00Z", "cursor": "expired"}));
    let (batches, err) = read(cursor_stream(&c, GorgiasTickets, Some(stored))).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&batches), ["9"]);
}

// ------------------------------------------------------------------- Intercom search (POST)

#[derive(Deserialize)]
struct ISearch {
    conversations: Vec<IConv>,
    pages: IPages,
}
#[derive(Deserialize)]
struct IPages {
    next: Option<INext>,
}
#[derive(Deserialize)]
struct INext {
    starting_after: Option<String>,
}
#[derive(Deserialize)]
struct IConv {
    id: String,
    updated_at: i64,
}

#[derive(Serialize, Deserialize)]
struct UpdatedAt {
    updated_at: i64,
}

struct IntercomSearch;

impl Mapping for IntercomSearch {
    type Item = IConv;
    const STREAM: &'static str = "conversations";
    fn map(&self, c: IConv) -> Result<Vec<Record>, String> {
        Ok(agent(&c.id))
    }
}

impl CursorStream for IntercomSearch {
    type Page = ISearch;
    type Bookmark = i64;
    type Checkpoint = UpdatedAt;
    fn start(&self, from: Option<UpdatedAt>) -> CursorPos<i64> {
        let t = from.map_or(0, |c| c.updated_at);
        CursorPos::first(Some((t - 300).max(0)), Some(t))
    }
    fn request(&self, pos: &CursorPos<i64>) -> PageRequest {
        let mut pagination = json!({"per_page": 5});
        if let Some(c) = &pos.cursor {
            pagination["starting_after"] = json!(c);
        }
        PageRequest::post(
            "/conversations/search",
            json!({"query": {"field": "updated_at", "operator": ">", "value": pos.from}, "pagination": pagination}),
        )
    }
    fn page(&self, p: ISearch) -> Result<CursorPage<IConv>, String> {
        let next = match p.pages.next {
            None => None,
            Some(n) => Some(
                n.starting_after
                    .ok_or("`pages.next` is present but has no `starting_after`")?,
            ),
        };
        Ok(CursorPage {
            items: p.conversations,
            next,
            more: More::IfNext,
        })
    }
    fn bookmark(&self, c: &IConv) -> Option<i64> {
        Some(c.updated_at)
    }
    fn checkpoint(&self, pos: &CursorPos<i64>, _done: bool) -> UpdatedAt {
        UpdatedAt {
            updated_at: pos.bookmark.unwrap_or(0),
        }
    }
}

#[tokio::test]
async fn intercom_search_pages_in_the_post_body_and_bookmarks_the_highest_updated_at() {
    let server = MockServer::start().await;
    // Page 1 is Intercom's OpenAPI 2.14 "successful" search example (conversation 515) with a
    // `pages.next` as the pagination guide shows it.
    let first = json!({"type": "conversation.list", "pages": {"type": "pages", "page": 1, "per_page": 5, "total_pages": 2,
        "next": {"page": 2, "starting_after": "WzE3MzQ1Mzc1NDcwMDAsNTE1LDJd"}}, "total_count": 2,
        "conversations": [{"type": "conversation", "id": "515", "created_at": 1734537546, "updated_at": 1734537546}]});
    let second = json!({"type": "conversation.list", "pages": {"type": "pages", "page": 2, "per_page": 5, "total_pages": 2}, "total_count": 2,
        "conversations": [{"type": "conversation", "id": "516", "created_at": 1734537000, "updated_at": 1734537600}]});
    serve(
        &server,
        Mock::given(method("POST"))
            .and(path("/conversations/search"))
            .and(body_partial_json(
                json!({"pagination": {"starting_after": "WzE3MzQ1Mzc1NDcwMDAsNTE1LDJd"}}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(second))
            .with_priority(1),
    )
    .await;
    serve(
        &server,
        Mock::given(method("POST"))
            .and(path("/conversations/search"))
            .respond_with(ResponseTemplate::new(200).set_body_json(first))
            .with_priority(5),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(cursor_stream(&c, IntercomSearch, None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&batches), ["515", "516"]);
    assert_eq!(
        cps(&batches),
        [
            json!({"updated_at": 1734537546}),
            json!({"updated_at": 1734537600})
        ]
    );
}

// ------------------------------------------------------------------- Zendesk ticket events

#[derive(Deserialize)]
struct ZEvents {
    ticket_events: Vec<ZEvent>,
    end_time: Option<i64>,
    end_of_stream: bool,
}
#[derive(Deserialize)]
struct ZEvent {
    id: i64,
    timestamp: i64,
}
#[derive(Serialize, Deserialize)]
struct StartTime {
    start_time: i64,
}

struct TicketEvents {
    per_page: Option<u32>,
    now: Clock,
}

impl Mapping for TicketEvents {
    type Item = ZEvent;
    const STREAM: &'static str = "ticket_events";
    fn map(&self, e: ZEvent) -> Result<Vec<Record>, String> {
        Ok(agent(&e.id.to_string()))
    }
}

impl TimeWindowStream for TicketEvents {
    type Page = ZEvents;
    type Checkpoint = StartTime;
    fn start(&self, from: Option<StartTime>) -> i64 {
        from.map_or(0, |c| c.start_time)
    }
    fn per_page(&self) -> Option<u32> {
        self.per_page
    }
    fn request(&self, pos: &WindowPos) -> PageRequest {
        PageRequest::get("/api/v2/incremental/ticket_events.json")
            .query("start_time", pos.start_time)
            .query("include", "comment_events")
            .query_opt("per_page", pos.per_page)
    }
    fn page(&self, p: ZEvents) -> Result<WindowPage<ZEvent>, String> {
        Ok(WindowPage {
            items: p.ticket_events,
            end_time: p.end_time,
            end_of_stream: p.end_of_stream,
        })
    }
    fn item_time(&self, e: &ZEvent) -> Option<i64> {
        Some(e.timestamp)
    }
    fn checkpoint(&self, start_time: i64) -> StartTime {
        StartTime { start_time }
    }
    fn now(&self) -> DateTime<Utc> {
        self.now.now()
    }
}

fn zevents(events: &[(i64, i64)], end_time: Option<i64>, end: bool) -> Value {
    let evs: Vec<Value> = events
        .iter()
        .map(|(id, ts)| json!({"id": id, "ticket_id": 123, "timestamp": ts, "created_at": "2024-07-01T00:00:00Z", "updater_id": 35436, "via": "Web form", "event_type": "Audit", "child_events": []}))
        .collect();
    json!({"ticket_events": evs, "next_page": null, "count": evs.len(), "end_of_stream": end, "end_time": end_time})
}

fn july() -> Clock {
    Clock::fixed(
        DateTime::parse_from_rfc3339("2024-07-02T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
    )
}

#[tokio::test]
async fn zendesk_time_export_follows_end_time_to_end_of_stream() {
    let server = MockServer::start().await;
    let p = "/api/v2/incremental/ticket_events.json";
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("start_time", "0"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zevents(
                &[(1, 1719792000)],
                Some(1719792000),
                false,
            ))),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("start_time", "1719792000"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zevents(
                &[(1, 1719792000), (2, 1719792060)],
                Some(1719792060),
                true,
            ))),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(time_window_stream(
        &c,
        TicketEvents {
            per_page: None,
            now: july(),
        },
        None,
    ))
    .await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&batches), ["1", "1", "2"]);
    assert_eq!(
        cps(&batches),
        [
            json!({"start_time": 1719792000}),
            json!({"start_time": 1719792060})
        ]
    );
}

#[tokio::test]
async fn a_page_full_of_one_second_is_asked_again_at_the_largest_size() {
    let server = MockServer::start().await;
    let p = "/api/v2/incremental/ticket_events.json";
    // per_page=2 full of second 100 and end_time not moving: asked again with 1000 (the
    // default), which gets past the second.
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("per_page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zevents(
                &[(1, 100), (2, 100)],
                Some(100),
                false,
            ))),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("start_time", "100"))
            .and(query_param("per_page", "1000"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zevents(
                &[(1, 100), (2, 100), (3, 150)],
                Some(150),
                true,
            ))),
    )
    .await;
    let c = http(&server);
    let decl = TicketEvents {
        per_page: Some(2),
        now: july(),
    };
    let (batches, err) = read(time_window_stream(
        &c,
        decl,
        Some(Checkpoint::new(json!({"start_time": 100}))),
    ))
    .await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&batches), ["1", "2", "3"]);
    assert_eq!(cps(&batches), [json!({"start_time": 150})]);
}

#[tokio::test]
async fn a_page_grown_past_per_page_with_one_second_holds_the_second_and_moves_on() {
    // Zendesk: "In time-based exports, the system may exceed the 1000-item default return
    // limit if items share the same timestamp" (incremental_exports, `per_page`).
    let server = MockServer::start().await;
    let p = "/api/v2/incremental/ticket_events.json";
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("start_time", "100"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zevents(
                &[(1, 100), (2, 100), (3, 100)],
                Some(100),
                false,
            ))),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("start_time", "101"))
            .respond_with(ResponseTemplate::new(200).set_body_json(zevents(&[], Some(101), true))),
    )
    .await;
    let c = http(&server);
    let decl = TicketEvents {
        per_page: Some(2),
        now: july(),
    };
    let (batches, err) = read(time_window_stream(
        &c,
        decl,
        Some(Checkpoint::new(json!({"start_time": 100}))),
    ))
    .await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&batches), ["1", "2", "3"]);
    assert_eq!(
        cps(&batches),
        [json!({"start_time": 101}), json!({"start_time": 101})]
    );

    // The largest page full of one second and still stuck: an error naming the second.
    let server = MockServer::start().await;
    serve(
        &server,
        Mock::given(method("GET")).and(path(p)).respond_with(
            ResponseTemplate::new(200).set_body_json(zevents(
                &[(1, 100), (2, 100)],
                Some(100),
                false,
            )),
        ),
    )
    .await;
    let c = http(&server);
    let decl = TicketEvents {
        per_page: None,
        now: july(),
    };
    let (batches, err) = read(time_window_stream(
        &c,
        decl,
        Some(Checkpoint::new(json!({"start_time": 100}))),
    ))
    .await;
    assert!(batches.is_empty());
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { detail, .. }) if detail.contains("cannot page inside one second")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_end_time_in_the_future_is_malformed() {
    let server = MockServer::start().await;
    serve(
        &server,
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json(zevents(
            &[(1, 100)],
            Some(4_000_000_000),
            false,
        ))),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(time_window_stream(
        &c,
        TicketEvents {
            per_page: None,
            now: july(),
        },
        None,
    ))
    .await;
    assert!(batches.is_empty());
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { detail, .. }) if detail.contains("ahead of this machine's clock")),
        "{err:?}"
    );
}

// ------------------------------------------------------------------- page numbers

/// Help Scout's HAL list page (`users_v2.json` example): `_embedded.users`, `page`.
#[derive(Deserialize)]
struct HalUsers {
    #[serde(rename = "_embedded")]
    embedded: Option<HalEmbedded>,
    page: HalPage,
}
#[derive(Deserialize)]
struct HalEmbedded {
    users: Vec<HsUser>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HalPage {
    number: u64,
    total_pages: u64,
}
#[derive(Deserialize)]
struct HsUser {
    id: i64,
}

#[derive(Clone, Serialize, Deserialize)]
struct PagePos {
    page: u64,
}

struct HelpScoutUsers;

impl Mapping for HelpScoutUsers {
    type Item = HsUser;
    const STREAM: &'static str = "users";
    fn map(&self, u: HsUser) -> Result<Vec<Record>, String> {
        Ok(agent(&u.id.to_string()))
    }
}

impl PageNumberStream for HelpScoutUsers {
    type Page = HalUsers;
    type Position = PagePos;
    fn first(&self) -> PagePos {
        PagePos { page: 1 }
    }
    fn page_number(&self, p: &PagePos) -> u64 {
        p.page
    }
    fn with_page(&self, _: &PagePos, page: u64) -> PagePos {
        PagePos { page }
    }
    fn request(&self, p: &PagePos) -> PageRequest {
        PageRequest::get("/v2/users").query("page", p.page)
    }
    fn page(&self, _: &PagePos, p: HalUsers) -> Result<NumberedPage<HsUser>, String> {
        Ok(NumberedPage {
            items: p.embedded.map(|e| e.users).unwrap_or_default(),
            number: Some(p.page.number),
            total_pages: Some(p.page.total_pages),
        })
    }
}

fn hal(ids: &[i64], number: u64, total: u64) -> Value {
    let users: Vec<Value> = ids.iter().map(|id| json!({"id": id, "firstName": "Vernon", "lastName": "Bear", "email": "bear@acme.com", "role": "owner"})).collect();
    json!({"_embedded": {"users": users}, "_links": {"self": {"href": "https://api.helpscout.net/v2/users?page=1"}},
           "page": {"size": 50, "totalElements": ids.len() as u64 * total, "totalPages": total, "number": number}})
}

#[tokio::test]
async fn help_scout_pages_end_at_total_pages_and_a_wrong_page_number_is_malformed() {
    let server = MockServer::start().await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/v2/users"))
            .and(query_param("page", "1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(hal(&[4], 1, 2))),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/v2/users"))
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(hal(&[5], 2, 2))),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(page_number_stream(&c, HelpScoutUsers, None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&batches), ["4", "5"]);
    assert_eq!(cps(&batches), [json!({"page": 2}), json!({"page": 1})]);

    let server = MockServer::start().await;
    // A server that answers page 1 whatever is asked.
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/v2/users"))
            .respond_with(ResponseTemplate::new(200).set_body_json(hal(&[4], 1, 3))),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(page_number_stream(&c, HelpScoutUsers, None)).await;
    assert_eq!(batches.len(), 1);
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { detail, .. }) if detail == "asked for page 2, got page 1"),
        "{err:?}"
    );
}

/// Freshdesk's agents list: a bare JSON array, `page`/`per_page`, a short page is the last.
#[derive(Deserialize)]
struct FAgent {
    id: i64,
}

struct FreshdeskAgents;

impl Mapping for FreshdeskAgents {
    type Item = FAgent;
    const STREAM: &'static str = "agents";
    fn map(&self, a: FAgent) -> Result<Vec<Record>, String> {
        Ok(agent(&a.id.to_string()))
    }
}

impl PageNumberStream for FreshdeskAgents {
    type Page = Vec<FAgent>;
    type Position = PagePos;
    fn first(&self) -> PagePos {
        PagePos { page: 1 }
    }
    fn page_number(&self, p: &PagePos) -> u64 {
        p.page
    }
    fn with_page(&self, _: &PagePos, page: u64) -> PagePos {
        PagePos { page }
    }
    fn per_page(&self) -> Option<u32> {
        Some(2)
    }
    fn max_pages(&self) -> Option<u64> {
        Some(300)
    }
    fn request(&self, p: &PagePos) -> PageRequest {
        PageRequest::get("/api/v2/agents")
            .query("per_page", 2)
            .query("page", p.page)
    }
    fn page(&self, _: &PagePos, p: Vec<FAgent>) -> Result<NumberedPage<FAgent>, String> {
        Ok(NumberedPage {
            items: p,
            number: None,
            total_pages: None,
        })
    }
}

fn fagents(ids: &[i64]) -> Value {
    Value::Array(ids.iter().map(|id| json!({"available": true, "occasional": false, "id": id, "ticket_scope": 1, "created_at": "2015-08-18T16:18:05Z", "updated_at": "2015-08-18T16:18:05Z", "contact": {"name": "Agent"}})).collect())
}

#[tokio::test]
async fn freshdesk_short_page_is_the_last_and_a_full_last_page_is_followed_by_an_empty_one() {
    let server = MockServer::start().await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v2/agents"))
            .and(query_param("page", "1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(fagents(&[1, 2]))),
    )
    .await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v2/agents"))
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(fagents(&[]))),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(page_number_stream(&c, FreshdeskAgents, None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&batches), ["1", "2"]);
    assert_eq!(cps(&batches), [json!({"page": 2}), json!({"page": 1})]);
    let (_, err) = read(page_number_stream(
        &c,
        FreshdeskAgents,
        Some(Checkpoint::new(json!({"page": 301}))),
    ))
    .await;
    assert!(
        err.unwrap()
            .to_string()
            .contains("a page number from 1 to 300")
    );
}

// ------------------------------------------------------------------- Link header

struct FreshdeskLinked;

#[derive(Serialize, Deserialize)]
struct NextCp {
    next: Option<String>,
}

impl Mapping for FreshdeskLinked {
    type Item = FAgent;
    const STREAM: &'static str = "agents";
    fn map(&self, a: FAgent) -> Result<Vec<Record>, String> {
        Ok(agent(&a.id.to_string()))
    }
}

impl NextUrlStream for FreshdeskLinked {
    type Page = Vec<FAgent>;
    type Checkpoint = NextCp;
    fn first(&self, from: Option<NextCp>) -> PageRequest {
        match from.and_then(|c| c.next) {
            Some(n) => PageRequest::get(n),
            None => PageRequest::get("/api/v2/agents").query("per_page", 2),
        }
    }
    fn page(&self, p: Vec<FAgent>, headers: &HeaderMap) -> Result<LinkedPage<FAgent>, String> {
        Ok(LinkedPage {
            items: p,
            next: link_next(headers),
        })
    }
    fn checkpoint(&self, next: Option<&str>) -> NextCp {
        NextCp {
            next: next.map(str::to_owned),
        }
    }
}

#[tokio::test]
async fn freshdesk_link_header_is_followed_on_the_base_url_and_checkpointed() {
    // Freshdesk: `link: <https://domain.freshdesk.com/api/v2/agents?per_page=2&page=2>;rel="next"`.
    let server = MockServer::start().await;
    serve(&server, Mock::given(method("GET")).and(path("/api/v2/agents")).and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fagents(&[1, 2]))
            .insert_header("link", "<https://domain.freshdesk.com/api/v2/agents?per_page=2&page=2>;rel=\"next\""))).await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v2/agents"))
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(fagents(&[3]))),
    )
    .await;
    let c = http(&server);
    let (batches, err) = read(next_url_stream(&c, FreshdeskLinked, None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&batches), ["1", "2", "3"]);
    assert_eq!(
        cps(&batches),
        [
            json!({"next": "/api/v2/agents?per_page=2&page=2"}),
            json!({"next": null})
        ]
    );
    let (resumed, _) = read(next_url_stream(
        &c,
        FreshdeskLinked,
        Some(batches[0].checkpoint.clone()),
    ))
    .await;
    assert_eq!(ids(&resumed), ["3"]);

    // A link back to the page just read is a loop, not a next page.
    let server = MockServer::start().await;
    serve(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v2/agents"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(fagents(&[1, 2]))
                    .insert_header(
                        "link",
                        "<https://domain.freshdesk.com/api/v2/agents?per_page=2>; rel=\"next\"",
                    ),
            ),
    )
    .await;
    let c = http(&server);
    let (_, err) = read(next_url_stream(&c, FreshdeskLinked, None)).await;
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { detail, .. }) if detail.contains("page just read")),
        "{err:?}"
    );
}

#[test]
fn link_headers_are_read_as_rfc_8288_says() {
    let h = |v: &str| {
        let mut m = HeaderMap::new();
        m.insert("link", v.parse().unwrap());
        link_next(&m)
    };
    // GitHub-style list of links; quoted and unquoted rel; rel lists; commas inside <…>.
    assert_eq!(
        h("<https://api.x/p?page=1>; rel=\"prev\", <https://api.x/p?page=3&a=1,2>; rel=\"next\""),
        Some("https://api.x/p?page=3&a=1,2".into())
    );
    assert_eq!(h("</p?page=2>;rel=next"), Some("/p?page=2".into()));
    assert_eq!(
        h("<https://a/p?page=9>; rel=\"next last\""),
        Some("https://a/p?page=9".into())
    );
    assert_eq!(h("<https://a/p?page=1>; rel=\"prev\""), None);
    assert_eq!(link_next(&HeaderMap::new()), None);
}
