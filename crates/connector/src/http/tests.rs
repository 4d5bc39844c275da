//! The HTTP client against wiremock and raw sockets: retries, rate budgets, caps, redirects.

use super::*;
use std::io::Write;
use std::sync::Mutex;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

fn client(base: &str, auth: Auth) -> HttpClient {
    let mut s = HttpSettings::new(Url::parse(base).unwrap(), auth);
    s.retry = fast();
    s.timeout = Duration::from_secs(5);
    HttpClient::new(s).unwrap()
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Doc {
    ok: bool,
}

#[tokio::test]
async fn waits_out_429_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/x.json"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/x.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let started = Instant::now();
    let doc: Doc = c.get_json("default", "/api/v2/x.json", &[]).await.unwrap();
    assert!(doc.ok);
    // A lower bound only: a loaded machine makes it longer, never shorter.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After was not waited out"
    );
}

#[test]
fn a_server_wait_is_capped_and_otherwise_the_backoff_applies() {
    let policy = RetryPolicy {
        max_retry_after: Duration::from_millis(50),
        ..fast()
    };
    let backoff = Duration::from_millis(7);
    assert_eq!(
        retry_wait(Some(Duration::from_secs(3600)), backoff, &policy),
        Duration::from_millis(50)
    );
    assert_eq!(
        retry_wait(Some(Duration::from_millis(20)), backoff, &policy),
        Duration::from_millis(20)
    );
    assert_eq!(retry_wait(None, backoff, &policy), backoff);
}

/// A server that answers the first request 429 with `Retry-After: {retry_after}`, then
/// `{"ok": true}`.
async fn refuses_once(retry_after: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", retry_after))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_huge_retry_after_is_capped() {
    let logs = global_trace_logs();
    let server = refuses_once("3600").await;
    let c = client(&server.uri(), Auth::None).with_retry_policy(RetryPolicy {
        max_retry_after: Duration::from_millis(50),
        ..fast()
    });
    // What is checked is the wait the client chose (its log line), not how long the test
    // took; the deadline only turns a broken cap into a failure instead of an hour's hang.
    let r = tokio::time::timeout(
        Duration::from_secs(600),
        c.get_json::<Doc>("default", "/capped-retry-after", &[]),
    )
    .await;
    assert!(matches!(r, Ok(Ok(Doc { ok: true }))), "{r:?}");
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.contains("endpoint=\"/capped-retry-after\"")
                || l.contains("endpoint=/capped-retry-after")
        })
        .unwrap_or_else(|| panic!("no retry line for the endpoint: {text}"));
    assert!(line.contains("wait_ms=50"), "{line}");
}

#[tokio::test]
async fn retries_5xx_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("a", "1 2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let doc: Doc = c
        .get_json("default", "/y", &[("a", "1 2".into())])
        .await
        .unwrap();
    assert!(doc.ok);
}

#[tokio::test]
async fn exhausted_5xx_reports_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .expect(3)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let err = c
        .get_json::<Doc>("default", "/api/v2/z.json", &[])
        .await
        .unwrap_err();
    match err {
        ConnectorError::Http {
            status,
            attempts,
            endpoint,
            detail,
        } => {
            assert_eq!((status, attempts), (502, 3));
            assert_eq!(endpoint, "/api/v2/z.json");
            assert!(detail.contains("bad gateway"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn unauthorized_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::Bearer(Secret::new("tok")));
    let err = c.get_json::<Doc>("default", "/a", &[]).await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
}

#[tokio::test]
async fn other_4xx_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_string("{\"error\":\"InvalidPaginationParameter\"}"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let err = c.get_json::<Doc>("default", "/a", &[]).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Http { status: 422, attempts: 1, detail, .. } if detail.contains("InvalidPagination")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_4xx_after_retries_counts_every_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let err = c.get_json::<Doc>("default", "/a", &[]).await.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Http {
                status: 404,
                attempts: 2,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_bodies_are_errors() {
    let server = MockServer::start().await;
    Mock::given(path("/bad"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"ok\": tru"))
        .mount(&server)
        .await;
    Mock::given(path("/shape"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": "yes"})))
        .mount(&server)
        .await;
    Mock::given(path("/html"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"))
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    for p in ["/bad", "/shape", "/html"] {
        let err = c.get_json::<Doc>("default", p, &[]).await.unwrap_err();
        match err {
            ConnectorError::Malformed { endpoint, detail } => {
                assert_eq!(endpoint, p);
                assert!(!detail.is_empty());
            }
            other => panic!("{p}: unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_retries() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = client(&format!("http://127.0.0.1:{port}"), Auth::None);
    let err = c.get_json::<Doc>("default", "/a", &[]).await.unwrap_err();
    assert!(
        matches!(err, ConnectorError::Transport { attempts: 3, .. }),
        "{err:?}"
    );
}

/// A raw HTTP/1.1 server answering its connections in turn with `answers` (whole HTTP
/// responses, written as given, then the connection closed). wiremock cannot cut a body
/// short: hyper asserts (in debug builds) that a declared length matches the body.
async fn raw_server(answers: Vec<Vec<u8>>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for answer in answers {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if sock.read(&mut byte).await.unwrap_or(0) == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            let _ = sock.write_all(&answer).await;
            let _ = sock.shutdown().await;
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn bodies_cut_short_are_retried() {
    // Content-Length larger than the body: the connection closes mid-body.
    let base = raw_server(vec![
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ok\":".to_vec(),
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}".to_vec(),
    ])
    .await;
    let c = client(&base, Auth::None);
    // hyper reports the short body as an error; the client retries and the second answer heals it.
    let r = c.get_json::<Doc>("default", "/a", &[]).await;
    assert!(matches!(r, Ok(Doc { ok: true })), "{r:?}");
}

#[tokio::test]
async fn a_body_that_stays_cut_short_is_a_transport_error_naming_the_body() {
    let cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\":".to_vec();
    let base = raw_server(vec![cut.clone(), cut.clone(), cut]).await;
    let c = client(&base, Auth::None);
    let e = c.get_json::<Doc>("default", "/a", &[]).await.unwrap_err();
    assert!(
        matches!(&e, ConnectorError::Transport { attempts: 3, detail, .. } if detail.starts_with("reading the body")),
        "{e:?}"
    );
}

#[test]
fn rebase_keeps_path_query_and_prefix() {
    let url = "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=abc%3D&include=metric_sets";
    let rebase = |base: &str| client(base, Auth::None).rebase(url).unwrap().to_string();
    assert_eq!(
        rebase("http://127.0.0.1:9000"),
        "http://127.0.0.1:9000/api/v2/incremental/tickets/cursor.json?cursor=abc%3D&include=metric_sets"
    );
    assert_eq!(
        rebase("http://127.0.0.1:9000/zendesk/"),
        "http://127.0.0.1:9000/zendesk/api/v2/incremental/tickets/cursor.json?cursor=abc%3D&include=metric_sets"
    );
    assert_eq!(
        rebase("http://127.0.0.1:9000/zendesk/api/v2"),
        "http://127.0.0.1:9000/zendesk/api/v2/incremental/tickets/cursor.json?cursor=abc%3D&include=metric_sets"
    );
    assert_eq!(
        rebase("http://127.0.0.1:9000/api/v2/"),
        "http://127.0.0.1:9000/api/v2/incremental/tickets/cursor.json?cursor=abc%3D&include=metric_sets"
    );
    let c = client("http://127.0.0.1:9000/p", Auth::None);
    assert!(matches!(
        c.rebase("not a url"),
        Err(ConnectorError::Malformed { .. })
    ));
}

#[test]
fn resolve_refuses_other_hosts_and_keeps_the_prefix() {
    let c = client("http://127.0.0.1:9000/p", Auth::None);
    assert_eq!(
        c.resolve("/api/v2/a.json?x=1").unwrap().as_str(),
        "http://127.0.0.1:9000/p/api/v2/a.json?x=1"
    );
    assert_eq!(
        c.resolve("api/v2/a.json").unwrap().as_str(),
        "http://127.0.0.1:9000/p/api/v2/a.json"
    );
    assert_eq!(
        c.resolve("http://127.0.0.1:9000/p/q").unwrap().as_str(),
        "http://127.0.0.1:9000/p/q"
    );
    assert!(c.resolve("https://acme.zendesk.com/api/v2/a.json").is_err());
}

#[test]
fn settings_are_validated() {
    let bad = |u: &str| {
        HttpClient::new(HttpSettings::new(Url::parse(u).unwrap(), Auth::None)).unwrap_err()
    };
    assert!(matches!(bad("http://user:pw@h/"), ConnectorError::Settings(m) if !m.contains("pw")));
    assert!(matches!(bad("ftp://h/"), ConnectorError::Settings(_)));
    assert!(matches!(bad("http://h/?a=1"), ConnectorError::Settings(_)));
}

#[test]
fn server_wait_headers() {
    let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let h = |pairs: &[(&'static str, &str)]| {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        server_wait(&m, now)
    };
    assert_eq!(h(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
    assert_eq!(
        h(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]),
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        h(&[("x-ratelimit-retry-after", "3")]),
        Some(Duration::from_secs(3))
    );
    assert_eq!(
        h(&[("x-ratelimit-reset", &(now.timestamp() + 9).to_string())]),
        Some(Duration::from_secs(9))
    );
    assert_eq!(
        h(&[("retry-after", "2"), ("x-ratelimit-reset", "1")]),
        Some(Duration::from_secs(2))
    );
    assert_eq!(h(&[]), None);
}

#[test]
fn debug_never_shows_secrets() {
    let auth = Auth::Basic {
        username: "a@b.c/token".into(),
        password: Secret::new("s3cr3t-token"),
    };
    let s = HttpSettings::new(Url::parse("http://h/").unwrap(), auth);
    let c = HttpClient::new(s.clone()).unwrap();
    let printed = format!("{s:?} {c:?}");
    assert!(!printed.contains("s3cr3t-token"), "{printed}");
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);
impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buf {
    type Writer = Buf;
    fn make_writer(&'a self) -> Buf {
        self.clone()
    }
}

/// Every event of the whole test binary at TRACE, into one buffer. A global subscriber,
/// because a thread-local one (`set_default`) misses callsites whose interest another
/// test thread cached first.
fn global_trace_logs() -> &'static Buf {
    static LOGS: std::sync::OnceLock<Buf> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Buf::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(buf.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        buf
    })
}

#[tokio::test]
async fn trace_logs_never_contain_credentials() {
    let buf = global_trace_logs();

    let server = MockServer::start().await;
    let token = "sup3r-s3cret-api-t0ken";
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("agent@example.com/token:{token}"));
    Mock::given(path("/ok"))
        .and(header("authorization", format!("Basic {basic}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path("/denied"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let auth = Auth::Basic {
        username: "agent@example.com/token".into(),
        password: Secret::new(token),
    };
    let c = client(&server.uri(), auth);
    let doc: Doc = c
        .get_json("default", "/ok", &[("q", "1".into())])
        .await
        .unwrap();
    assert!(doc.ok);
    let e1 = c
        .get_json::<Doc>("default", "/flaky", &[])
        .await
        .unwrap_err();
    let e2 = c
        .get_json::<Doc>("default", "/denied", &[])
        .await
        .unwrap_err();
    let bearer = client(&server.uri(), Auth::Bearer(Secret::new(token)));
    let _ = bearer.get_json::<Doc>("default", "/denied", &[]).await;

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("http_request"),
        "no request span was logged: {logs}"
    );
    assert!(logs.contains("status=200"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    for (what, text) in [
        ("logs", logs.as_str()),
        ("errors", &format!("{e1} {e1:?} {e2} {e2:?}")),
    ] {
        assert!(!text.contains(token), "token in {what}");
        assert!(!text.contains(&basic), "basic header in {what}");
        assert!(!text.contains("?q=1"), "query string in {what}");
    }
}

#[tokio::test]
async fn rate_limit_groups_are_independent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    // 1/min = one, then a minute's wait.
    let c = client(&server.uri(), Auth::None)
        .with_rate_limit("default", 0)
        .with_rate_limit("incremental", 1);
    let _: Doc = c.get_json("incremental", "/a", &[]).await.unwrap();
    // The default group (and any group never added, which falls back to it) has no limiter
    // at all, so its requests cannot wait for the incremental group's.
    assert!(c.limiter("default").is_none());
    assert!(c.limiter("never-added").is_none());
    for _ in 0..5 {
        let _: Doc = c.get_json("default", "/a", &[]).await.unwrap();
    }
    // The incremental group's one request a minute is spent (checked without waiting)...
    assert!(c.limiter("incremental").unwrap().check().is_err());
    // ...so its next request waits: it cannot finish first, however slow the machine.
    let blocked = tokio::time::timeout(
        Duration::from_millis(300),
        c.get_json::<Doc>("incremental", "/a", &[]),
    )
    .await;
    assert!(
        blocked.is_err(),
        "the second incremental request should wait for the limiter"
    );
}

#[tokio::test]
async fn post_json_retries_429_and_5xx_and_logs_only_the_host() {
    let buf = global_trace_logs();
    let server = MockServer::start().await;
    let secret_path = "/services/T0SECRET/B0SECRET/xyzzyWEBHOOKtoken";
    Mock::given(method("POST"))
        .and(path(secret_path))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(secret_path))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(secret_path))
        .and(header("content-type", "application/json"))
        .and(wiremock::matchers::body_json(
            serde_json::json!({"text": "hi"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let url = format!("{}{secret_path}", server.uri());
    let body = c
        .post_json("webhook", &url, &serde_json::json!({"text": "hi"}))
        .await
        .unwrap();
    assert_eq!(body, b"ok");

    Mock::given(method("POST"))
        .and(path("/services/T0SECRET/B0SECRET/bad"))
        .respond_with(ResponseTemplate::new(400).set_body_string("invalid_payload"))
        .expect(1)
        .mount(&server)
        .await;
    let err = c
        .post_json(
            "webhook",
            &format!("{}/services/T0SECRET/B0SECRET/bad", server.uri()),
            &serde_json::json!({}),
        )
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            ConnectorError::Http {
                status: 400,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains("invalid_payload"), "{msg}");
    assert!(!msg.contains("SECRET"), "{msg}");

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("POST failed; retrying"), "{logs}");
    assert!(
        !logs.contains("T0SECRET"),
        "the webhook path was logged: {logs}"
    );
    assert!(!logs.contains("xyzzyWEBHOOKtoken"), "{logs}");
}

#[tokio::test]
async fn truncated_json_is_fetched_again_and_fails_only_if_it_stays_broken() {
    // Cut once, then whole: the page is read.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/cut.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"ok": tr"#, "application/json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/cut.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let d: Doc = c
        .get_json("default", "/api/v2/cut.json", &[])
        .await
        .unwrap();
    assert_eq!(d, Doc { ok: true });

    // Always cut: Malformed after every attempt, never a silent success.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/cut.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"ok": tr"#, "application/json"))
        .expect(3)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let e = c
        .get_json::<Doc>("default", "/api/v2/cut.json", &[])
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::Malformed { .. }), "{e}");
    assert!(e.to_string().contains("after 3 attempts"), "{e}");

    // Whole JSON of the wrong shape is the API's answer: one request, then Malformed.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/shape.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"nope": 1})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let e = c
        .get_json::<Doc>("default", "/api/v2/shape.json", &[])
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::Malformed { .. }), "{e}");
}

#[test]
fn the_pace_is_even_with_a_burst_of_one() {
    let q = quota(600).unwrap();
    assert_eq!(q.replenish_interval(), Duration::from_millis(100));
    assert_eq!(q.burst_size().get(), 1);
    assert!(quota(0).is_none());
}

#[tokio::test]
async fn a_429_pauses_the_whole_group_for_its_retry_after() {
    let server = refuses_once("1").await;
    let c = client(&server.uri(), Auth::None).with_rate_budget(
        "incremental",
        RateBudget::window(10, Duration::from_secs(60)),
    );
    let started = tokio::time::Instant::now();
    let _: Doc = c.get_json("incremental", "/a", &[]).await.unwrap();
    // Every request of the group waits out the server's word, not only the one refused
    // (a page read ahead, another stream on the same endpoints).
    let paused = c.budgets().group("incremental").unwrap().paused_until();
    assert!(
        paused.is_some_and(|t| t >= started + Duration::from_secs(1)),
        "{paused:?}"
    );
}

/// `{"ok": true}` with Zendesk's list-endpoint headers for a window of 5.
fn window_of_5(remaining: &str, reset: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("ratelimit-limit", "5")
        .insert_header("ratelimit-remaining", remaining)
        .insert_header("ratelimit-reset", reset)
        .set_body_json(serde_json::json!({"ok": true}))
}

#[tokio::test]
async fn a_window_group_spends_what_the_servers_headers_say_remains() {
    // The server's window has room for 5 more whenever it answers. The log alone (5 an
    // hour) would hold the 6th request for an hour.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(window_of_5("5", "30"))
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None)
        .with_rate_budget("default", RateBudget::window(5, Duration::from_secs(3600)));
    // A deadline for a hang only, never a measure of speed.
    let all = tokio::time::timeout(Duration::from_secs(600), async {
        for _ in 0..12 {
            let _: Doc = c.get_json("default", "/a", &[]).await.unwrap();
        }
    })
    .await;
    assert!(all.is_ok(), "the client waited for its log, not the server");
    // And when the server says none remain, the next request waits for its reset.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(window_of_5("0", "1"))
        .mount(&server)
        .await;
    let _: Doc = c.get_json("default", "/a", &[]).await.unwrap();
    let started = Instant::now();
    let _: Doc = c.get_json("default", "/a", &[]).await.unwrap();
    // A lower bound only: a loaded machine makes it longer, never shorter.
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn requests_are_spaced_evenly_not_burst() {
    // A vendor bucket may hold fewer requests than a minute's worth: bursting a whole minute
    // at once would earn 429s our own pace caused. 600/min = one every 100 ms.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None).with_rate_limit("default", 600);
    let started = Instant::now();
    for _ in 0..6 {
        let _: Doc = c.get_json("default", "/a", &[]).await.unwrap();
    }
    let took = started.elapsed();
    // A lower bound only: a loaded machine makes it longer, never shorter.
    assert!(
        took >= Duration::from_millis(480),
        "6 requests at 600/min took only {took:?}"
    );
}

/// A server that echoes what it received, the way a hostile or careless one does: the
/// `Authorization` header, the query string and the request body, in the body of a status
/// of its choosing.
struct Echo {
    status: u16,
    /// Wrap the echo in JSON of the wrong shape (serde quotes the string in its message).
    json: bool,
}

impl wiremock::Respond for Echo {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let echo = format!(
            "you sent Authorization: {auth} to {}?{} with {}",
            req.url.path(),
            req.url.query().unwrap_or_default(),
            String::from_utf8_lossy(&req.body)
        );
        if self.json {
            ResponseTemplate::new(self.status).set_body_json(serde_json::json!({ "ok": echo }))
        } else {
            ResponseTemplate::new(self.status).set_body_string(echo)
        }
    }
}

async fn echo_server() -> MockServer {
    let server = MockServer::start().await;
    for (p, status, json) in [
        ("/echo/400", 400, false),
        ("/echo/500", 500, false),
        ("/echo/429", 429, false),
        ("/echo/200-text", 200, false),
        ("/echo/200-json", 200, true),
    ] {
        Mock::given(path(p))
            .respond_with(Echo { status, json })
            .mount(&server)
            .await;
    }
    server
}

/// Every way a client of `auth` can fail against the echo server, as Display and Debug.
async fn echoed_errors(c: &HttpClient, query: &[(&str, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for p in [
        "/echo/400",
        "/echo/500",
        "/echo/429",
        "/echo/200-text",
        "/echo/200-json",
    ] {
        let e = c.get_json::<Doc>("default", p, query).await.unwrap_err();
        out.push(format!("{e} {e:?}"));
        let e = c
            .get_page_json::<Doc>("default", p, query)
            .await
            .unwrap_err();
        out.push(format!("{e} {e:?}"));
        let e = c
            .post_page_json::<Doc, _>("default", p, &serde_json::json!({"q": 1}))
            .await
            .unwrap_err();
        out.push(format!("{e} {e:?}"));
    }
    out
}

fn assert_absent(what: &str, texts: &[String], forbidden: &[String]) {
    for t in texts {
        for f in forbidden {
            assert!(!t.contains(f.as_str()), "{what} contains {f:?}: {t}");
        }
    }
}

#[tokio::test]
async fn an_echoed_authorization_header_is_in_no_error_or_log_line() {
    let logs = global_trace_logs();
    let server = echo_server().await;
    let token = "echoed-Zd-t0ken-8f3a91c2";
    let user = "agent@example.com/token";
    let password = "echoed-pa55word-71d0";
    let forbidden = vec![
        token.to_owned(),
        password.to_owned(),
        // Zendesk's `email/token:tok` and a plain `user:pass`, as the header carries them.
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}")),
        base64::engine::general_purpose::STANDARD.encode(format!("me:{password}")),
    ];
    let mut errors = Vec::new();
    for auth in [
        Auth::Basic {
            username: user.into(),
            password: Secret::new(token),
        },
        Auth::Basic {
            username: "me".into(),
            password: Secret::new(password),
        },
        // A bearer token, as an OAuth exchange would hand it over.
        Auth::Bearer(Secret::new(token)),
    ] {
        let c = client(&server.uri(), auth);
        errors.extend(echoed_errors(&c, &[]).await);
    }
    assert!(
        errors.iter().any(|e| e.contains("you sent Authorization")),
        "the echo should reach the errors, scrubbed: {errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains(crate::REDACTED)),
        "{errors:?}"
    );
    assert_absent("an error", &errors, &forbidden);
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("/echo/500"),
        "no log line of the echo requests"
    );
    assert_absent("a TRACE log line", &[text], &forbidden);
}

#[tokio::test]
async fn a_secret_query_parameter_is_in_no_error_or_log_line() {
    let logs = global_trace_logs();
    let server = echo_server().await;
    // Google's style: the key as `?key=`.
    let key = "AIzaSyEchoedQueryKey-4c1d";
    let c = client(&server.uri(), Auth::None).with_secret_param("key");
    let errors = echoed_errors(&c, &[("key", key.to_owned()), ("page", "2".into())]).await;
    assert!(
        errors.iter().any(|e| e.contains("page=2")),
        "the rest of the query stays readable: {errors:?}"
    );
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_absent("an error", &errors, &[key.to_owned()]);
    assert_absent("a TRACE log line", &[text], &[key.to_owned()]);
}

#[tokio::test]
async fn a_secret_sent_in_a_token_request_body_is_in_no_error() {
    let server = echo_server().await;
    let secret = "oauth-Client-Secret-5e77";
    let c = client(&server.uri(), Auth::None).with_secret_param("client_secret");
    let body = serde_json::json!({"grant_type": "client_credentials", "client_id": "app", "client_secret": secret});
    let e = c.post_json("oauth", "/echo/400", &body).await.unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("client_credentials"), "{shown}");
    assert!(!shown.contains(secret), "{shown}");
}

#[tokio::test]
async fn error_bodies_are_cut_and_lose_their_control_characters() {
    let server = MockServer::start().await;
    let token = "cut-t0ken-9d2e44aa";
    // The token straddles the 64 KiB the client reads of an error body.
    let mut body = "\u{1b}[31mred\u{1b}[0m\r\nline two ".to_owned();
    body.push_str(&"x".repeat(ERROR_BODY_READ - body.len() - 5));
    body.push_str(token);
    body.push_str(&"y".repeat(1000));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string(body))
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::Bearer(Secret::new(token)));
    let e = c.get_json::<Doc>("default", "/a", &[]).await.unwrap_err();
    let ConnectorError::Http { detail, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(detail.starts_with("[31mred [0m line two xxx"), "{detail}");
    assert!(!detail.chars().any(char::is_control), "{detail:?}");
    assert_eq!(detail.chars().count(), ERROR_EXCERPT_CHARS + 1, "{detail}");
    assert!(detail.ends_with('…'));
    // What is cut off is gone, the part of the token at the read's edge included.
    let s = Scrubber::new();
    s.add_secret(token);
    let full: String = excerpt(
        format!("{}{}", "x".repeat(100), &token[..8]).as_bytes(),
        true,
        &s,
    );
    assert!(!full.contains(&token[..8]), "{full}");
}

#[tokio::test]
async fn an_oversized_declared_body_is_refused_unread_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/huge.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(vec![b' '; 3 * 1024 * 1024], "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None).with_max_body_bytes(1024 * 1024);
    assert_eq!(c.max_body_bytes(), 1024 * 1024);
    let e = c
        .get_json::<Doc>("default", "/api/v2/huge.json", &[])
        .await
        .unwrap_err();
    match &e {
        ConnectorError::Malformed { endpoint, detail } => {
            assert_eq!(endpoint, "/api/v2/huge.json");
            assert!(detail.contains("1048576 bytes (1 MiB)"), "{detail}");
            assert!(detail.contains("declares 3145728 bytes"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        HttpClient::new(HttpSettings::new(
            Url::parse("http://h/").unwrap(),
            Auth::None
        ))
        .unwrap()
        .max_body_bytes(),
        DEFAULT_MAX_BODY_BYTES
    );
}

/// A raw HTTP/1.1 server that answers one request with a chunked body that never ends (no
/// `Content-Length` to refuse it by), and reports how many body bytes it managed to send
/// before the client hung up; it gives up at `limit` bytes.
async fn endless_chunked_server(limit: usize) -> (String, tokio::task::JoinHandle<usize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if sock.read(&mut byte).await.unwrap_or(0) == 0 {
                return 0;
            }
            head.push(byte[0]);
        }
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await;
        let chunk = vec![b' '; 64 * 1024];
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        let mut sent = 0;
        while sent < limit {
            if sock.write_all(&frame).await.is_err() {
                break;
            }
            sent += chunk.len();
        }
        sent
    });
    (format!("http://{addr}"), task)
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_off_at_the_cap() {
    let limit = 100 * 1024 * 1024;
    let (base, server) = endless_chunked_server(limit).await;
    let c = client(&base, Auth::None).with_max_body_bytes(1024 * 1024);
    let e = c
        .get_json::<Doc>("default", "/export.json", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ConnectorError::Malformed { endpoint, detail } if endpoint == "/export.json" && detail.contains("went on past")),
        "{e:?}"
    );
    drop(c);
    let sent = server.await.unwrap();
    // The client stopped reading at 1 MiB; the socket buffers hold a few MiB more at most.
    assert!(sent < limit, "the client read the whole 100 MiB page");
}

#[tokio::test]
async fn a_page_request_answered_once_in_a_run_is_refused_before_it_is_sent() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .and(query_param("cursor", "c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let run = crate::StreamRun::new("acme", "items");
    let q = [("cursor", "c1".to_owned())];
    let e = run
        .scope(async {
            let _: Doc = c.get_page_json("default", "/items", &q).await.unwrap();
            c.get_page_json::<Doc>("default", "/items", &q)
                .await
                .unwrap_err()
        })
        .await;
    match &e {
        ConnectorError::Malformed { endpoint, detail } => {
            assert_eq!(endpoint, "/items");
            for part in ["GET /items", "cursor", "stream `items`", "source `acme`"] {
                assert!(detail.contains(part), "{part}: {detail}");
            }
            assert!(
                !detail.contains("c1"),
                "the query's values stay out: {detail}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Another run, or no run at all, may ask again.
    server.reset().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(3)
        .mount(&server)
        .await;
    crate::StreamRun::new("acme", "items")
        .scope(c.get_page_json::<Doc>("default", "/items", &q))
        .await
        .unwrap();
    for _ in 0..2 {
        c.get_page_json::<Doc>("default", "/items", &q)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn retries_and_a_request_made_again_after_a_failure_are_no_loop() {
    let server = MockServer::start().await;
    // A 503 retried inside the client, then a 404 the connector answers by asking again.
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(404))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // An unreadable body, fetched again by the client.
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"ok": tr"#, "application/json"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let run = crate::StreamRun::new("acme", "items");
    run.scope(async {
        let first = c.get_page_json::<Doc>("default", "/items", &[]).await;
        assert!(
            matches!(
                first,
                Err(ConnectorError::Http {
                    status: 404,
                    attempts: 2,
                    ..
                })
            ),
            "{first:?}"
        );
        let again: Doc = c.get_page_json("default", "/items", &[]).await.unwrap();
        assert!(again.ok);
    })
    .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_search_posted_twice_with_the_same_body_in_a_run_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/conversations/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    let page =
        |after: &str| serde_json::json!({"pagination": {"per_page": 2, "starting_after": after}});
    let e = crate::StreamRun::new("acme", "conversations")
        .scope(async {
            let _: Doc = c
                .post_page_json("default", "/conversations/search", &page("a"))
                .await
                .unwrap();
            let _: Doc = c
                .post_page_json("default", "/conversations/search", &page("b"))
                .await
                .unwrap();
            c.post_page_json::<Doc, _>("default", "/conversations/search", &page("a"))
                .await
                .unwrap_err()
        })
        .await;
    assert!(
        matches!(&e, ConnectorError::Malformed { endpoint, detail } if endpoint == "/conversations/search" && detail.contains("the same body")),
        "{e:?}"
    );
}
