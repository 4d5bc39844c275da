//! Bounded work through the runner: hostile servers whose paging never ends, each stopped
//! with `Malformed` after a counted number of requests (never a wall-clock bound), with the
//! last good page's checkpoint in the store and nothing after it.
//!
//! The connectors here are toys written for the test: what is pinned is the SDK's guard,
//! not a vendor's payload.

use chrono::{DateTime, Utc};
use deskpulse_connector::http::{Auth, HttpClient, HttpSettings, RetryPolicy};
use deskpulse_connector::{
    Batch, BatchStream, Checkpoint, CheckpointStore, Connector, ConnectorError, NoProgress, Record,
    StreamLimits, StreamSpec, SyncError, SyncOptions, ensure_unix_not_future, sync_stream,
    sync_stream_with_limits,
};
use deskpulse_model::Agent;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const STREAMS: &[StreamSpec] = &[StreamSpec {
    name: "items",
    description: "toy items",
}];

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

fn http(server: &MockServer) -> HttpClient {
    HttpClient::new(HttpSettings::new(server.uri().parse().unwrap(), Auth::None))
        .unwrap()
        .with_retry_policy(fast())
}

fn agent(id: &str) -> Record {
    Record::Agent(Agent {
        external_id: id.to_owned(),
        name: format!("agent {id}"),
        is_bot: false,
    })
}

/// Commits in memory, like storage: the checkpoint of the last committed batch.
#[derive(Default)]
struct MemStore {
    checkpoints: Mutex<HashMap<(String, String), Checkpoint>>,
    commits: Mutex<u64>,
}

impl MemStore {
    fn stored(&self) -> Option<Value> {
        self.checkpoints
            .lock()
            .unwrap()
            .get(&("acme".to_owned(), "items".to_owned()))
            .map(|c| c.value().clone())
    }
    fn commits(&self) -> u64 {
        *self.commits.lock().unwrap()
    }
}

impl CheckpointStore for MemStore {
    type Error = std::convert::Infallible;
    async fn checkpoint(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<Checkpoint>, Self::Error> {
        Ok(self
            .checkpoints
            .lock()
            .unwrap()
            .get(&(source.to_owned(), stream.to_owned()))
            .cloned())
    }
    async fn commit(&self, source: &str, stream: &str, batch: &Batch) -> Result<(), Self::Error> {
        self.checkpoints.lock().unwrap().insert(
            (source.to_owned(), stream.to_owned()),
            batch.checkpoint.clone(),
        );
        *self.commits.lock().unwrap() += 1;
        Ok(())
    }
    async fn stream_complete(
        &self,
        _: &str,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Self::Error> {
        Ok(())
    }
    async fn stream_failed(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Self::Error> {
        Ok(())
    }
    async fn window_start(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, Self::Error> {
        Ok(None)
    }
    async fn set_window_start(
        &self,
        _: &str,
        _: &str,
        _: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// What the cursor toy puts in its checkpoints.
#[derive(Clone, Copy, PartialEq)]
enum Cp {
    /// The next cursor, as a connector should.
    Cursor,
    /// A page counter: every checkpoint differs, so only the HTTP client can see the loop.
    Counter,
}

/// A cursor pager: `GET /items?since=0`, then `GET /items?cursor=<next>` while `more`.
struct CursorToy {
    http: HttpClient,
    cp: Cp,
    /// Page requests through `get_page_json` (else plain `get_json`).
    pages: bool,
}

#[derive(serde::Deserialize)]
struct ItemsPage {
    items: Vec<Item>,
    next: Option<String>,
    more: bool,
}

#[derive(serde::Deserialize)]
struct Item {
    id: Value,
}

impl Connector for CursorToy {
    fn kind(&self) -> &'static str {
        "toy"
    }
    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }
    fn read<'a>(&'a self, _stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        let start = from.and_then(|c| c.value()["cursor"].as_str().map(str::to_owned));
        let s = futures::stream::try_unfold((Some(start), 0u64), move |(state, n)| async move {
            let Some(cursor) = state else { return Ok(None) };
            let query = match &cursor {
                Some(c) => vec![("cursor", c.clone())],
                None => vec![("since", "0".to_owned())],
            };
            let page: ItemsPage = if self.pages {
                self.http.get_page_json("default", "/items", &query).await?
            } else {
                self.http.get_json("default", "/items", &query).await?
            };
            let records = page
                .items
                .iter()
                .map(|i| agent(&i.id.to_string()))
                .collect();
            let checkpoint = match self.cp {
                Cp::Cursor => Checkpoint::new(json!({ "cursor": page.next })),
                Cp::Counter => Checkpoint::new(json!({ "cursor": page.next, "page": n + 1 })),
            };
            let next = page.more.then(|| page.next.clone());
            Ok(Some((
                Batch {
                    records,
                    checkpoint,
                },
                (next, n + 1),
            )))
        });
        Box::pin(s)
    }
}

async fn mount_page(server: &MockServer, key: &str, value: &str, body: Value) {
    Mock::given(path("/items"))
        .and(query_param(key, value))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn sync(connector: &dyn Connector, store: &MemStore) -> Result<(), SyncError> {
    sync_stream(
        connector,
        "acme",
        "items",
        store,
        &SyncOptions::default(),
        &NoProgress,
    )
    .await
    .map(|_| ())
}

#[track_caller]
fn malformed(r: Result<(), SyncError>) -> (String, String) {
    match r {
        Err(SyncError::Connector(ConnectorError::Malformed { endpoint, detail })) => {
            (endpoint, detail)
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_next_cursor_alternating_between_two_values_fails_the_run_at_the_third_page() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        "since",
        "0",
        json!({"items": [{"id": 1}], "next": "A", "more": true}),
    )
    .await;
    mount_page(
        &server,
        "cursor",
        "A",
        json!({"items": [{"id": 2}], "next": "B", "more": true}),
    )
    .await;
    mount_page(
        &server,
        "cursor",
        "B",
        json!({"items": [{"id": 3}], "next": "A", "more": true}),
    )
    .await;
    let toy = CursorToy {
        http: http(&server),
        cp: Cp::Cursor,
        pages: false,
    };
    let store = MemStore::default();
    let (endpoint, detail) = malformed(sync(&toy, &store).await);
    assert_eq!(endpoint, "stream `items` of source `acme`");
    assert!(detail.contains("{\"cursor\":\"A\"}"), "{detail}");
    assert!(detail.contains("cycle"), "{detail}");
    assert_eq!(requests(&server).await, 3);
    assert_eq!(store.commits(), 2);
    assert_eq!(store.stored(), Some(json!({"cursor": "B"})));

    // Every later sync ends as quickly: from B, the pages give A, B, then A again.
    let (_, detail) = malformed(sync(&toy, &store).await);
    assert!(detail.contains("{\"cursor\":\"A\"}"), "{detail}");
    assert_eq!(requests(&server).await, 6);
    assert_eq!(store.stored(), Some(json!({"cursor": "B"})));
}

#[tokio::test]
async fn a_server_repeating_a_page_fails_the_run_at_the_repeat() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        "since",
        "0",
        json!({"items": [{"id": 1}], "next": "c1", "more": true}),
    )
    .await;
    // `c1` answers with itself as the next cursor, the same items every time.
    mount_page(
        &server,
        "cursor",
        "c1",
        json!({"items": [{"id": 2}], "next": "c1", "more": true}),
    )
    .await;
    let toy = CursorToy {
        http: http(&server),
        cp: Cp::Cursor,
        pages: false,
    };
    let store = MemStore::default();
    let (_, detail) = malformed(sync(&toy, &store).await);
    assert!(detail.contains("page 3 is page 2 again"), "{detail}");
    assert_eq!(requests(&server).await, 3);
    assert_eq!(store.stored(), Some(json!({"cursor": "c1"})));
    assert_eq!(store.commits(), 2);
}

#[tokio::test]
async fn the_same_page_request_twice_in_a_run_is_refused_by_the_client() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        "since",
        "0",
        json!({"items": [{"id": 1}], "next": "c1", "more": true}),
    )
    .await;
    mount_page(
        &server,
        "cursor",
        "c1",
        json!({"items": [{"id": 2}], "next": "c1", "more": true}),
    )
    .await;
    // Checkpoints that always differ hide the loop from the runner; the client sees it.
    let toy = CursorToy {
        http: http(&server),
        cp: Cp::Counter,
        pages: true,
    };
    let store = MemStore::default();
    let (endpoint, detail) = malformed(sync(&toy, &store).await);
    assert_eq!(endpoint, "/items");
    assert!(
        detail.contains("already answered in this run of stream `items` of source `acme`"),
        "{detail}"
    );
    // The repeated request was never sent.
    assert_eq!(requests(&server).await, 2);
    assert_eq!(store.stored(), Some(json!({"cursor": "c1", "page": 2})));
}

#[tokio::test]
async fn a_run_past_its_page_cap_fails_and_keeps_what_it_committed() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        "since",
        "0",
        json!({"items": [{"id": 1}], "next": "c1", "more": true}),
    )
    .await;
    mount_page(
        &server,
        "cursor",
        "c1",
        json!({"items": [{"id": 2}], "next": "c2", "more": true}),
    )
    .await;
    mount_page(
        &server,
        "cursor",
        "c2",
        json!({"items": [{"id": 3}], "next": "c3", "more": true}),
    )
    .await;
    mount_page(
        &server,
        "cursor",
        "c3",
        json!({"items": [{"id": 4}], "next": "c4", "more": false}),
    )
    .await;
    let toy = CursorToy {
        http: http(&server),
        cp: Cp::Cursor,
        pages: false,
    };
    let store = MemStore::default();
    let limits = StreamLimits { max_pages: 2 };
    let r = sync_stream_with_limits(
        &toy,
        "acme",
        "items",
        &store,
        &SyncOptions::default(),
        &limits,
        &NoProgress,
    )
    .await
    .map(|_| ());
    let (_, detail) = malformed(r);
    assert!(detail.contains("cap of 2 pages"), "{detail}");
    assert!(detail.contains("`max_pages`"), "{detail}");
    assert_eq!(requests(&server).await, 3);
    assert_eq!(store.stored(), Some(json!({"cursor": "c2"})));
    // The next run goes on from there, and a long stream gets through in steps.
    let r = sync_stream_with_limits(
        &toy,
        "acme",
        "items",
        &store,
        &SyncOptions::default(),
        &limits,
        &NoProgress,
    )
    .await;
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(store.stored(), Some(json!({"cursor": "c4"})));
    assert_eq!(StreamLimits::default().max_pages, 100_000);
}

#[tokio::test]
async fn an_oversized_page_fails_the_run_after_the_last_good_page() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        "since",
        "0",
        json!({"items": [{"id": 1}], "next": "c1", "more": true}),
    )
    .await;
    let big: Vec<Value> = (0..5000).map(|i| json!({"id": i})).collect();
    mount_page(
        &server,
        "cursor",
        "c1",
        json!({"items": big, "next": "c2", "more": true}),
    )
    .await;
    let toy = CursorToy {
        http: http(&server).with_max_body_bytes(16 * 1024),
        cp: Cp::Cursor,
        pages: true,
    };
    let store = MemStore::default();
    let (endpoint, detail) = malformed(sync(&toy, &store).await);
    assert_eq!(endpoint, "/items");
    assert!(detail.contains("16384 bytes (16 KiB)"), "{detail}");
    // Not retried: the same answer would come back.
    assert_eq!(requests(&server).await, 2);
    assert_eq!(store.stored(), Some(json!({"cursor": "c1"})));
}

/// A time-based export like Zendesk's ticket events: `GET /events?start_time=T` answers
/// `end_time`, the next request's `start_time`, until `end_of_stream`.
struct TimeToy {
    http: HttpClient,
    /// The connector's clock.
    now: DateTime<Utc>,
}

#[derive(serde::Deserialize)]
struct EventsPage {
    events: Vec<Item>,
    end_time: i64,
    end_of_stream: bool,
}

impl Connector for TimeToy {
    fn kind(&self) -> &'static str {
        "toy"
    }
    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }
    fn read<'a>(&'a self, _stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        let start = from
            .and_then(|c| c.value()["start_time"].as_i64())
            .unwrap_or(0);
        let s = futures::stream::try_unfold(Some(start), move |state| async move {
            let Some(start_time) = state else {
                return Ok(None);
            };
            let page: EventsPage = self
                .http
                .get_json(
                    "default",
                    "/events",
                    &[("start_time", start_time.to_string())],
                )
                .await?;
            ensure_unix_not_future("/events", "end_time", page.end_time, self.now)?;
            let records = page
                .events
                .iter()
                .map(|i| agent(&i.id.to_string()))
                .collect();
            let checkpoint = Checkpoint::new(json!({ "start_time": page.end_time }));
            let next = (!page.end_of_stream).then_some(page.end_time);
            Ok(Some((
                Batch {
                    records,
                    checkpoint,
                },
                next,
            )))
        });
        Box::pin(s)
    }
}

/// Answers every `start_time=T` with one event at T and `end_time` = T + `step`, never the end.
struct Creeping {
    step: i64,
}

impl Respond for Creeping {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let t: i64 = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "start_time")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        ResponseTemplate::new(200).set_body_json(
            json!({"events": [{"id": t}], "end_time": t + self.step, "end_of_stream": false}),
        )
    }
}

#[tokio::test]
async fn an_end_time_creeping_one_second_a_page_is_stopped_by_the_page_cap() {
    let server = MockServer::start().await;
    Mock::given(path("/events"))
        .respond_with(Creeping { step: 1 })
        .mount(&server)
        .await;
    let toy = TimeToy {
        http: http(&server),
        now: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
    };
    let store = MemStore::default();
    let limits = StreamLimits { max_pages: 50 };
    let r = sync_stream_with_limits(
        &toy,
        "acme",
        "items",
        &store,
        &SyncOptions::default(),
        &limits,
        &NoProgress,
    )
    .await
    .map(|_| ());
    let (endpoint, detail) = malformed(r);
    assert_eq!(endpoint, "stream `items` of source `acme`");
    assert!(detail.contains("cap of 50 pages"), "{detail}");
    assert_eq!(requests(&server).await, 51);
    assert_eq!(store.commits(), 50);
    assert_eq!(store.stored(), Some(json!({"start_time": 50})));
}

#[tokio::test]
async fn an_end_time_in_the_future_fails_the_page_that_gives_it() {
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let server = MockServer::start().await;
    let first = now.timestamp() - 3600;
    Mock::given(path("/events"))
        .and(query_param("start_time", first.to_string().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"events": [{"id": 1}], "end_time": now.timestamp() - 60, "end_of_stream": false}),
        ))
        .mount(&server)
        .await;
    // The next page jumps a day ahead of the connector's clock.
    Mock::given(path("/events"))
        .and(query_param("start_time", (now.timestamp() - 60).to_string().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"events": [{"id": 2}], "end_time": now.timestamp() + 86_400, "end_of_stream": false}),
        ))
        .mount(&server)
        .await;
    let toy = TimeToy {
        http: http(&server),
        now,
    };
    let store = MemStore::default();
    store
        .commit(
            "acme",
            "items",
            &Batch {
                records: vec![],
                checkpoint: Checkpoint::new(json!({"start_time": first})),
            },
        )
        .await
        .unwrap();
    let (endpoint, detail) = malformed(sync(&toy, &store).await);
    assert_eq!(endpoint, "/events");
    assert!(
        detail.contains("`end_time` 2023-11-15T22:13:20+00:00 is 24 h ahead"),
        "{detail}"
    );
    assert_eq!(requests(&server).await, 2);
    assert_eq!(
        store.stored(),
        Some(json!({"start_time": now.timestamp() - 60}))
    );
}

/// A connector that builds its own error from a vendor's value (a cursor it refuses),
/// without scrubbing it.
struct QuotingToy {
    http: HttpClient,
}

impl Connector for QuotingToy {
    fn kind(&self) -> &'static str {
        "toy"
    }
    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }
    fn read<'a>(&'a self, _stream: &'a str, _from: Option<Checkpoint>) -> BatchStream<'a> {
        Box::pin(futures::stream::once(async move {
            let page: ItemsPage = self
                .http
                .get_json("default", "/items", &[("since", "0".to_owned())])
                .await?;
            Err(ConnectorError::Malformed {
                endpoint: "/items".into(),
                detail: format!("the next cursor {:?} is not a cursor", page.next),
            })
        }))
    }
}

/// Puts the request's `Authorization` header in the page's `next` cursor.
struct EchoAuth;

impl Respond for EchoAuth {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        ResponseTemplate::new(200).set_body_json(json!({"items": [], "next": auth, "more": true}))
    }
}

#[tokio::test]
async fn a_connector_error_quoting_an_echoed_credential_is_scrubbed_by_the_runner() {
    use base64::Engine as _;
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(EchoAuth)
        .mount(&server)
        .await;
    let token = "quoted-t0ken-4b8e21";
    let settings = HttpSettings::new(
        server.uri().parse().unwrap(),
        Auth::Basic {
            username: "agent@example.com/token".into(),
            password: deskpulse_connector::Secret::new(token),
        },
    );
    let toy = QuotingToy {
        http: HttpClient::new(settings).unwrap().with_retry_policy(fast()),
    };
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("agent@example.com/token:{token}"));
    let store = MemStore::default();
    let (_, detail) = malformed(sync(&toy, &store).await);
    assert!(detail.contains("Basic [REDACTED]"), "{detail}");
    assert!(!detail.contains(&basic), "{detail}");
    // The conformance kit's reader scrubs the same way.
    #[cfg(feature = "testkit")]
    {
        let (_, err) = deskpulse_connector::testkit::read(&toy, "items", None).await;
        let shown = format!("{err:?}");
        assert!(
            shown.contains("[REDACTED]") && !shown.contains(&basic),
            "{shown}"
        );
    }
}
