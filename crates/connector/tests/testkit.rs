//! The conformance kit against a toy connector: a correct one passes, and each kind of misbehaviour is
//! reported under its check.

use deskpulse_connector::http::{Auth, HttpClient, HttpSettings};
use deskpulse_connector::testkit::{self, Conformance, Fixtures, Report, Target};
use deskpulse_connector::{Batch, BatchStream, Checkpoint, Connector, Record, StreamSpec};
use deskpulse_model::Agent;
use serde_json::json;
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq)]
enum Flaw {
    None,
    /// Ends the stream `Ok` on any error (a silently shortened sync).
    SwallowsErrors,
    /// Logs its credential.
    LogsSecret,
    /// Checkpoints where it started the page, so a resume reads the page again.
    StaleCheckpoint,
    /// Puts a page counter in its checkpoints (so they never repeat), leaves out the records
    /// it yielded already in this read (so a page served again is an empty batch), and
    /// follows whatever cursor the server gives with plain `get_json`: a page served again
    /// loops, and nothing the runner sees repeats.
    SkipsSeenRecords,
    /// Like `SkipsSeenRecords`, but reads its pages with `get_page_json`.
    SkipsSeenRecordsWithPageRequests,
}

struct Toy {
    http: HttpClient,
    secret: String,
    flaw: Flaw,
}

const STREAMS: &[StreamSpec] = &[StreamSpec {
    name: "items",
    description: "toy items",
}];

#[derive(serde::Deserialize)]
struct ItemsPage {
    items: Vec<Item>,
    after: String,
    more: bool,
}

#[derive(serde::Deserialize)]
struct Item {
    id: u64,
    name: String,
}

impl Connector for Toy {
    fn kind(&self) -> &'static str {
        "toy"
    }
    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }
    fn read<'a>(&'a self, _stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        if self.flaw == Flaw::LogsSecret {
            tracing::debug!(token = %self.secret, "starting");
        }
        let start = from.and_then(|c| c.value()["cursor"].as_str().map(str::to_owned));
        let counter = std::sync::atomic::AtomicU64::new(0);
        let seen = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
        let s = futures::stream::try_unfold(Some(start), move |state| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let seen = seen.clone();
            async move {
                let Some(cursor) = state else { return Ok(None) };
                let query = match &cursor {
                    Some(c) => vec![("cursor", c.clone())],
                    None => vec![("since", "0".to_owned())],
                };
                let got = if self.flaw == Flaw::SkipsSeenRecordsWithPageRequests {
                    self.http.get_page_json("default", "/items", &query).await
                } else {
                    self.http.get_json("default", "/items", &query).await
                };
                let page: ItemsPage = match got {
                    Ok(p) => p,
                    Err(_) if self.flaw == Flaw::SwallowsErrors => return Ok(None),
                    Err(e) => return Err(e),
                };
                let skips = matches!(
                    self.flaw,
                    Flaw::SkipsSeenRecords | Flaw::SkipsSeenRecordsWithPageRequests
                );
                let records = page
                    .items
                    .into_iter()
                    .filter(|i| !skips || seen.lock().unwrap().insert(i.id))
                    .map(|i| {
                        Record::Agent(Agent {
                            external_id: i.id.to_string(),
                            name: i.name,
                            is_bot: false,
                        })
                    })
                    .collect();
                let at = if self.flaw == Flaw::StaleCheckpoint {
                    cursor
                } else {
                    Some(page.after.clone())
                };
                let checkpoint = match self.flaw {
                    Flaw::SkipsSeenRecords | Flaw::SkipsSeenRecordsWithPageRequests => {
                        Checkpoint::new(json!({ "cursor": at, "page": n }))
                    }
                    _ => Checkpoint::new(json!({ "cursor": at })),
                };
                let next = page.more.then_some(Some(page.after));
                Ok(Some((
                    Batch {
                        records,
                        checkpoint,
                    },
                    next,
                )))
            }
        });
        Box::pin(s)
    }
}

fn fixtures() -> Fixtures {
    fixtures_with(true)
}

fn fixtures_with(c1: bool) -> Fixtures {
    let f = Fixtures::new().get(
            "/items",
            &[("since", "0")],
            json!({"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], "after": "c1", "more": true}),
    );
    let f = if c1 {
        f.get(
            "/items",
            &[("cursor", "c1")],
            json!({"items": [{"id": 3, "name": "c"}], "after": "c2", "more": true}),
        )
    } else {
        f
    };
    f.get(
        "/items",
        &[("cursor", "c2")],
        json!({"items": [{"id": 4, "name": "d"}], "after": "c3", "more": false}),
    )
    // What the next incremental sync sees: nothing new.
    .get(
        "/items",
        &[("cursor", "c3")],
        json!({"items": [], "after": "c3", "more": false}),
    )
}

fn kit(flaw: Flaw) -> Conformance {
    kit_on(flaw, fixtures())
}

fn kit_on(flaw: Flaw, fixtures: Fixtures) -> Conformance {
    Conformance::new(fixtures, move |t: &Target| {
        let settings = HttpSettings::new(
            t.base_url.parse().unwrap(),
            Auth::Basic {
                username: "me@example.com".into(),
                password: deskpulse_connector::Secret::new(t.secret.clone()),
            },
        );
        Box::new(Toy {
            http: HttpClient::new(settings)
                .unwrap()
                .with_retry_policy(t.retry.clone()),
            secret: t.secret.clone(),
            flaw,
        })
    })
}

fn checks(report: &Report) -> BTreeSet<&'static str> {
    report.findings.iter().map(|f| f.check).collect()
}

#[tokio::test]
async fn a_correct_connector_passes() {
    let report = kit(Flaw::None).run().await;
    report.assert_ok();
    assert!(report.scenarios > 10);
}

#[tokio::test]
async fn swallowed_errors_are_reported() {
    let report = kit(Flaw::SwallowsErrors).run().await;
    let c = checks(&report);
    assert!(
        c.contains("5xx") && c.contains("broken page") && c.contains("oversized body"),
        "{report}"
    );
}

#[tokio::test]
async fn a_connector_that_follows_a_repeated_page_for_ever_is_reported() {
    let report = kit(Flaw::SkipsSeenRecords).run().await;
    let endless: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.check == "endless paging")
        .collect();
    assert_eq!(endless.len(), 1, "{report}");
    assert!(
        endless[0].message.contains("GET /items?since=0")
            && endless[0].message.contains("200 pages"),
        "{report}"
    );
    assert_eq!(checks(&report).len(), 1, "only that check fails: {report}");
}

#[tokio::test]
async fn page_requests_end_a_repeated_page_whatever_the_checkpoints() {
    kit(Flaw::SkipsSeenRecordsWithPageRequests)
        .run()
        .await
        .assert_ok();
}

#[tokio::test]
async fn a_logged_secret_is_reported() {
    let report = kit(Flaw::LogsSecret).secret("toy-Secret-4f9a").run().await;
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.check == "secrets" && !f.message.contains("toy-Secret-4f9a")),
        "{report}"
    );
}

#[tokio::test]
async fn a_stale_checkpoint_is_reported() {
    let report = kit(Flaw::StaleCheckpoint).run().await;
    assert!(checks(&report).contains("resume"), "{report}");
}

#[tokio::test]
async fn a_missing_page_is_named() {
    let report = kit_on(Flaw::None, fixtures_with(false)).run().await;
    let text = report.to_string();
    assert!(text.contains("GET /items?cursor=c1"), "{text}");
}

#[tokio::test]
async fn a_page_nothing_requests_is_reported() {
    let f = fixtures().get(
        "/items",
        &[("cursr", "c9")],
        json!({"items": [], "after": "c9", "more": false}),
    );
    let report = kit_on(Flaw::None, f).run().await;
    assert!(
        report
            .findings
            .iter()
            .any(|x| x.check == "fixtures" && x.message.contains("cursr=c9")),
        "{report}"
    );
}

/// The toy without faults on a server answering the fixture pages (c1 → c2 → end).
async fn toy_server() -> (wiremock::MockServer, Toy) {
    use wiremock::matchers::{path, query_param};
    use wiremock::{Mock, ResponseTemplate};
    let server = wiremock::MockServer::start().await;
    for (k, v, body) in [
        (
            "since",
            "0",
            json!({"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], "after": "c1", "more": true}),
        ),
        (
            "cursor",
            "c1",
            json!({"items": [{"id": 3, "name": "c"}], "after": "c2", "more": true}),
        ),
        (
            "cursor",
            "c2",
            json!({"items": [{"id": 4, "name": "d"}], "after": "c3", "more": false}),
        ),
        (
            "cursor",
            "c3",
            json!({"items": [], "after": "c3", "more": false}),
        ),
    ] {
        Mock::given(path("/items"))
            .and(query_param(k, v))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    let settings = HttpSettings::new(server.uri().parse().unwrap(), Auth::None);
    let toy = Toy {
        http: HttpClient::new(settings)
            .unwrap()
            .with_retry_policy(testkit::fast_retry()),
        secret: String::new(),
        flaw: Flaw::None,
    };
    (server, toy)
}

fn agent_ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| match r {
            Record::Agent(a) => a.external_id.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn read_ok_records_and_checkpoints() {
    let (_server, toy) = toy_server().await;
    let batches = testkit::read_ok(&toy, "items", None).await;
    assert_eq!(agent_ids(&testkit::records(&batches)), ["1", "2", "3", "4"]);
    assert_eq!(
        testkit::checkpoints(&batches),
        [
            json!({"cursor": "c1"}),
            json!({"cursor": "c2"}),
            json!({"cursor": "c3"})
        ]
    );
    testkit::assert_resumes_exactly(&toy, "items", &batches).await;
    testkit::assert_resumes_exactly_mid_pass(&toy, "items", &batches).await;
    // Through `dyn Connector` too.
    let dynamic: &dyn Connector = &toy;
    assert_eq!(testkit::read_ok(dynamic, "items", None).await.len(), 3);
}

#[tokio::test]
async fn read_keeps_the_batches_before_an_error() {
    let (server, toy) = toy_server().await;
    server.reset().await;
    wiremock::Mock::given(wiremock::matchers::query_param("since", "0"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(
                json!({"items": [{"id": 1, "name": "a"}], "after": "c1", "more": true}),
            ),
        )
        .mount(&server)
        .await;
    let (batches, err) = testkit::read(&toy, "items", None).await;
    assert_eq!(batches.len(), 1);
    assert!(err.is_some(), "the unmocked second page is an error");
}

#[tokio::test]
#[should_panic(expected = "items: unexpected error after 0 batches")]
async fn read_ok_panics_on_an_error() {
    let (server, toy) = toy_server().await;
    server.reset().await;
    testkit::read_ok(&toy, "items", None).await;
}

#[tokio::test]
#[should_panic(expected = "resuming from checkpoint")]
async fn a_stale_checkpoint_fails_assert_resumes_exactly() {
    let (_server, mut toy) = toy_server().await;
    toy.flaw = Flaw::StaleCheckpoint;
    let batches = testkit::read_ok(&toy, "items", None).await;
    testkit::assert_resumes_exactly_mid_pass(&toy, "items", &batches).await;
}

#[test]
fn basic_auth_header_is_base64_of_user_colon_password() {
    // RFC 7617's example.
    assert_eq!(
        testkit::basic_auth_header("Aladdin", "open sesame"),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
}

#[test]
fn assert_http_error_and_assert_malformed_accept_their_error() {
    use deskpulse_connector::ConnectorError;
    let http = Some(ConnectorError::Http {
        status: 502,
        endpoint: "/items".into(),
        attempts: 3,
        detail: "bad gateway".into(),
    });
    testkit::assert_http_error(&http, 502, 3);
    let malformed = Some(ConnectorError::Malformed {
        endpoint: "/items".into(),
        detail: "expected JSON at line 1".into(),
    });
    testkit::assert_malformed(&malformed, "/items", "JSON");
}

#[test]
#[should_panic(expected = "attempts: 3")]
fn assert_http_error_checks_the_attempts() {
    let err = Some(deskpulse_connector::ConnectorError::Http {
        status: 502,
        endpoint: "/items".into(),
        attempts: 1,
        detail: String::new(),
    });
    testkit::assert_http_error(&err, 502, 3);
}

#[test]
#[should_panic]
fn assert_malformed_checks_the_endpoint_exactly() {
    let err = Some(deskpulse_connector::ConnectorError::Malformed {
        endpoint: "/items/1".into(),
        detail: "JSON".into(),
    });
    testkit::assert_malformed(&err, "/items", "JSON");
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ToyCp {
    cursor: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct WrongCp {
    #[allow(dead_code)]
    page: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct WidenedCp {
    cursor: String,
    #[serde(default)]
    page: u64,
}

#[tokio::test]
async fn typed_checkpoints_that_parse_and_write_back_pass() {
    kit(Flaw::None)
        .checkpoint_type::<ToyCp>("items")
        .run()
        .await
        .assert_ok();
}

#[tokio::test]
async fn a_checkpoint_that_does_not_parse_as_its_type_is_reported() {
    let report = kit(Flaw::None)
        .checkpoint_type::<WrongCp>("items")
        .run()
        .await;
    assert_eq!(
        checks(&report),
        BTreeSet::from(["typed checkpoint"]),
        "{report}"
    );
    assert!(
        report.to_string().contains("missing field `page`"),
        "{report}"
    );
}

#[tokio::test]
async fn a_checkpoint_that_writes_back_another_shape_is_reported() {
    let report = kit(Flaw::None)
        .checkpoint_type::<WidenedCp>("items")
        .run()
        .await;
    assert_eq!(
        checks(&report),
        BTreeSet::from(["typed checkpoint"]),
        "{report}"
    );
    assert!(report.to_string().contains("writes back as"), "{report}");
}
