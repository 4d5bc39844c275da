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
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After was not waited out"
    );
}

#[tokio::test]
async fn a_huge_retry_after_is_capped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None).with_retry_policy(RetryPolicy {
        max_retry_after: Duration::from_millis(50),
        ..fast()
    });
    let started = Instant::now();
    let _: Doc = c.get_json("default", "/a", &[]).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
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

#[tokio::test]
async fn bodies_cut_short_are_retried() {
    let server = MockServer::start().await;
    // Content-Length larger than the body: the connection closes mid-body.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-length", "100")
                .set_body_string("{\"ok\":"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    let c = client(&server.uri(), Auth::None);
    // hyper reports the short body as an error; the client retries and the second answer heals it.
    let r = c.get_json::<Doc>("default", "/a", &[]).await;
    assert!(matches!(r, Ok(Doc { ok: true })), "{r:?}");
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
    let started = Instant::now();
    for _ in 0..5 {
        let _: Doc = c.get_json("default", "/a", &[]).await.unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(5));
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
    assert!(
        took >= Duration::from_millis(480),
        "6 requests at 600/min took only {took:?}"
    );
}
