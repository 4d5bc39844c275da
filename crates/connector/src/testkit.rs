//! The conformance kit (feature `testkit`): one call checks that a connector behaves the way
//! the SDK promises, against wiremock servers loaded with the connector's fixture pages.
//!
//! The connector author hands over
//! - [`Fixtures`]: the API's pages (`GET path?query → JSON`), including the pages an
//!   incremental resume asks for (a real API answers them from its data; a fixture must list
//!   them), and
//! - a make-closure that builds the connector from a [`Target`] (base URL, credential, a short
//!   retry policy), with client-side rate limits off.
//!
//! [`Conformance::run`] then starts a fresh server per scenario and checks, stream by stream:
//! 1. **clean run**: the stream ends `Ok` and reads at least one page;
//! 2. **resume**: from every batch's checkpoint, a new run yields exactly the records of the
//!    batches after it (as sets keyed by record kind and external id, each at its latest
//!    version; a boundary record may repeat only where [`Conformance::boundary_repeats`]
//!    allows it);
//! 3. **429**: a one-shot `429 Retry-After: 1` on the first request is waited out (≥ 1 s)
//!    and the stream still yields the same records;
//! 4. **5xx**: a one-shot 503 on the stream's last page is retried (same records); a
//!    persistent 500 on any page ends the stream with [`ConnectorError::Http`] after more
//!    than one attempt, never with a shortened `Ok`;
//! 5. **credentials**: a server answering 401 (and one answering 403) to everything gives
//!    [`ConnectorError::Unauthorized`]; with auth matching on (the default), a wrong secret
//!    against the fixture pages does too;
//! 6. **broken pages**: each page the stream reads, replaced in turn by invalid JSON, a
//!    truncated body, and the same JSON without its arrays (the records), gives an `Err`:
//!    never a panic, never an `Ok` end with fewer records;
//! 7. **no credential in logs or errors**: every `tracing` event at TRACE (captured by a
//!    global subscriber the kit installs once per test binary, see [`captured_logs`]), and
//!    the `Display`/`Debug` of every error seen, contain neither the secret, nor its base64
//!    form, nor any credential header value the server received;
//! 8. **endless paging**: a server that answers every request with the stream's first page
//!    (whatever cursor, page number or body is asked for) ends the stream with
//!    [`ConnectorError::Malformed`] — from the connector, from the client's
//!    [`get_page_json`](crate::http::HttpClient::get_page_json), or from the runner's guard,
//!    which the kit applies to every read as [`crate::sync_stream`] does — unless the first
//!    page is also the last;
//! 9. **oversized body**: each page the stream reads, answered with a body that declares
//!    1 TiB (more than any client's cap), gives [`ConnectorError::Malformed`], never an `Ok`
//!    (the streaming cap on bodies that declare no length is the SDK's own test).
//!
//! Every read runs as [`crate::sync_stream`] runs it: inside a [`StreamRun`] (so the HTTP
//! client can refuse a page request made twice) and through the runner's guard (a cycling
//! checkpoint or the same page again ends the read with `Malformed`; a read past
//! 10 000 pages counts as endless).
//!
//! For a connector's own tests, the kit also has [`read`] / [`read_ok`] (a stream to its end),
//! [`records`], [`checkpoints`], [`assert_resumes_exactly`], [`assert_http_error`],
//! [`assert_malformed`], [`fast_retry`], [`captured_logs`] and [`basic_auth_header`].
//!
//! ```ignore
//! let fixtures = Fixtures::new()
//!     .get("/api/items", &[("since", "0")], json!({"items": [..], "next": "c1"}))
//!     .get("/api/items", &[("cursor", "c1")], json!({"items": [..], "next": null}));
//! Conformance::new(fixtures, |t: &Target| {
//!     Box::new(MyConnector::new(settings(&t.base_url, &t.secret)).unwrap().with_retry_policy(t.retry.clone()))
//! })
//! .run()
//! .await
//! .assert_ok();
//! ```

use crate::bounds::{RunGuard, Stop, StreamRun};
use crate::http::RetryPolicy;
use crate::{Batch, Checkpoint, Connector, ConnectorError, Record};
use base64::Engine as _;
use futures::{FutureExt, StreamExt};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the make-closure builds a connector from.
#[derive(Clone, Debug)]
pub struct Target {
    /// The mock server's URL: the connector's `base_url` setting.
    pub base_url: String,
    /// The credential (API token, key, password) to configure. The kit passes a wrong one
    /// for the wrong-credential check.
    pub secret: String,
    /// A short retry policy: pass it to the connector's HTTP client (its
    /// `with_retry_policy`), or the 5xx checks take minutes.
    pub retry: RetryPolicy,
}

/// The retry policy the kit hands to the connector: 3 attempts, millisecond backoff, and
/// `Retry-After` honoured up to 5 s.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

/// One fixture page: a request shape and the JSON the API answers.
#[derive(Clone, Debug)]
pub struct Page {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body_includes: Option<Value>,
    response: Value,
    headers: Vec<(String, String)>,
}

impl Page {
    /// Whether `req` is this page's request: same method and path, every listed query pair
    /// present (others may be too), and a JSON body containing `body_includes` (objects
    /// compared member by member, recursively).
    pub fn matches(&self, req: &Request) -> bool {
        if !req.method.as_str().eq_ignore_ascii_case(&self.method) || req.url.path() != self.path {
            return false;
        }
        let pairs: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if !self.query.iter().all(|p| pairs.contains(p)) {
            return false;
        }
        match &self.body_includes {
            None => true,
            Some(want) => serde_json::from_slice::<Value>(&req.body)
                .map(|got| json_includes(&got, want))
                .unwrap_or(false),
        }
    }

    /// More listed conditions = more specific = matched first (wiremock: lower is first).
    fn priority(&self) -> u8 {
        let n = self.query.len() + self.body_includes.as_ref().map_or(0, leaves);
        (60 - n.min(50)) as u8
    }

    fn describe(&self) -> String {
        let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut s = format!("{} {}", self.method, self.path);
        if !q.is_empty() {
            s.push('?');
            s.push_str(&q.join("&"));
        }
        if let Some(b) = &self.body_includes {
            s.push_str(&format!(" with body ⊇ {b}"));
        }
        s
    }

    fn template(&self) -> ResponseTemplate {
        let mut t = ResponseTemplate::new(200).set_body_json(self.response.clone());
        for (k, v) in &self.headers {
            t = t.insert_header(k.as_str(), v.as_str());
        }
        t
    }
}

fn json_includes(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| g.get(k).is_some_and(|gv| json_includes(gv, wv))),
        _ => got == want,
    }
}

fn leaves(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.values().map(leaves).sum::<usize>().max(1),
        _ => 1,
    }
}

/// The pages of an API, as the connector's tests mock them. Every page belongs to whatever
/// stream requests it; the kit finds out by running each stream.
#[derive(Clone, Debug, Default)]
pub struct Fixtures {
    pages: Vec<Page>,
}

impl Fixtures {
    pub fn new() -> Self {
        Self::default()
    }

    /// A `GET path` whose query has (at least) `query`, answered with `body` (status 200).
    pub fn get(self, path: &str, query: &[(&str, &str)], body: Value) -> Self {
        self.page("GET", path, query, None, body)
    }

    /// A `POST path` whose JSON body contains `request_includes`, answered with `body`
    /// (search endpoints that page in the request body).
    pub fn post(self, path: &str, request_includes: Value, body: Value) -> Self {
        self.page("POST", path, &[], Some(request_includes), body)
    }

    /// Any method, query pairs and body condition.
    pub fn page(
        mut self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        request_includes: Option<Value>,
        body: Value,
    ) -> Self {
        self.pages.push(Page {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body_includes: request_includes,
            response: body,
            headers: Vec::new(),
        });
        self
    }

    /// Adds a response header to the page added last (a `Link` header, rate-limit headers).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Some(p) = self.pages.last_mut() {
            p.headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    pub fn pages(&self) -> &[Page] {
        &self.pages
    }
}

/// A fault the kit puts in place of one page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    InvalidJson,
    Truncated,
    NoArrays,
    Persistent500,
    OneShot503,
}

/// The body length the oversized-body check declares: more than any client's cap.
const OVERSIZED_DECLARED: u64 = 1 << 40;

impl Fault {
    fn describe(self) -> &'static str {
        match self {
            Fault::InvalidJson => "a page replaced by invalid JSON",
            Fault::Truncated => "a page whose body is cut in half",
            Fault::NoArrays => "a page without its records array(s)",
            Fault::Persistent500 => "a page answering 500 on every attempt",
            Fault::OneShot503 => "a one-shot 503 on the last page",
        }
    }

    fn response(self, page: &Page) -> ResponseTemplate {
        let text = page.response.to_string();
        match self {
            Fault::InvalidJson => ResponseTemplate::new(200).set_body_raw(
                "<html><body>502 Bad Gateway</body></html>",
                "application/json",
            ),
            Fault::Truncated => {
                let mut cut = text.len() / 2;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                ResponseTemplate::new(200).set_body_raw(text[..cut].to_owned(), "application/json")
            }
            Fault::NoArrays => {
                let mut v = page.response.clone();
                strip_arrays(&mut v, 2);
                ResponseTemplate::new(200).set_body_json(v)
            }
            Fault::Persistent500 => {
                ResponseTemplate::new(500).set_body_string("{\"error\":\"InternalError\"}")
            }
            Fault::OneShot503 => ResponseTemplate::new(503).set_body_string("upstream unavailable"),
        }
    }
}

/// Removes every array member of `v` and of its objects down to `depth` levels (a bare
/// array becomes `{}`).
fn strip_arrays(v: &mut Value, depth: usize) {
    match v {
        Value::Array(_) => *v = Value::Object(Default::default()),
        Value::Object(m) => {
            m.retain(|_, x| !x.is_array());
            if depth > 1 {
                for x in m.values_mut() {
                    strip_arrays(x, depth - 1);
                }
            }
        }
        _ => {}
    }
}

/// Answers a page, counting hits; the first `fault_times` hits get the fault instead.
struct PageResponder {
    normal: ResponseTemplate,
    fault: Option<ResponseTemplate>,
    fault_times: usize,
    hits: Arc<AtomicUsize>,
}

impl Respond for PageResponder {
    fn respond(&self, _req: &Request) -> ResponseTemplate {
        let n = self.hits.fetch_add(1, Ordering::SeqCst);
        match &self.fault {
            Some(f) if n < self.fault_times => f.clone(),
            _ => self.normal.clone(),
        }
    }
}

struct PageMatcher {
    page: Page,
    secret: Option<String>,
}

impl Match for PageMatcher {
    fn matches(&self, req: &Request) -> bool {
        self.page.matches(req) && self.secret.as_deref().is_none_or(|s| carries(req, s))
    }
}

/// Requests that do not carry the secret (answered 401 when auth matching is on).
struct WithoutSecret(String);

impl Match for WithoutSecret {
    fn matches(&self, req: &Request) -> bool {
        !carries(req, &self.0)
    }
}

/// Whether the request carries `secret`: verbatim in a header value or the query, or inside
/// a base64 `Basic` credential.
fn carries(req: &Request, secret: &str) -> bool {
    let in_headers = req.headers.values().any(|v| {
        let v = v.to_str().unwrap_or_default();
        v.contains(secret)
            || v.strip_prefix("Basic ")
                .and_then(|b| {
                    base64::engine::general_purpose::STANDARD
                        .decode(b.trim())
                        .ok()
                })
                .is_some_and(|d| String::from_utf8_lossy(&d).contains(secret))
    });
    in_headers || req.url.query().is_some_and(|q| q.contains(secret))
}

/// One scenario's server: every page mounted, with an optional fault on one of them.
struct Scenario {
    server: MockServer,
    hits: Vec<Arc<AtomicUsize>>,
}

/// A finding of the kit.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The stream, or `*` for the whole connector.
    pub stream: String,
    /// The check: `fixtures`, `clean run`, `resume`, `429`, `5xx`, `credentials`, `broken page`,
    /// `secrets`, `endless paging`, `oversized body`.
    pub check: &'static str,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.stream, self.check, self.message)
    }
}

/// What [`Conformance::run`] found.
#[derive(Debug, Default)]
pub struct Report {
    pub failures: Vec<Failure>,
    /// How many scenarios ran (each on its own server).
    pub scenarios: usize,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// Panics listing every failure.
    #[track_caller]
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.failures.is_empty() {
            return write!(f, "conformance: all {} scenarios passed", self.scenarios);
        }
        writeln!(
            f,
            "conformance: {} failure(s) in {} scenarios:",
            self.failures.len(),
            self.scenarios
        )?;
        for fail in &self.failures {
            writeln!(f, "  - {fail}")?;
        }
        Ok(())
    }
}

type Make = Box<dyn Fn(&Target) -> Box<dyn Connector> + Send + Sync>;

/// The conformance run of one connector; see the [module docs](self).
pub struct Conformance {
    make: Make,
    fixtures: Fixtures,
    streams: Option<Vec<String>>,
    boundary_repeats: BTreeSet<String>,
    secret: String,
    auth_matching: bool,
    run_timeout: Duration,
}

/// What one read of a stream gave.
struct Run {
    batches: Vec<Batch>,
    error: Option<ConnectorError>,
    panic: Option<String>,
    timed_out: bool,
    elapsed: Duration,
}

impl Run {
    fn records(&self) -> Vec<Record> {
        self.batches
            .iter()
            .flat_map(|b| b.records.iter().cloned())
            .collect()
    }

    fn outcome(&self) -> String {
        if let Some(p) = &self.panic {
            return format!("panicked: {p}");
        }
        if self.timed_out && !self.batches.is_empty() {
            return format!(
                "did not end after {} pages (endless pagination?)",
                self.batches.len()
            );
        }
        if self.timed_out {
            return "did not finish in time (endless pagination?)".into();
        }
        match &self.error {
            Some(e) => format!("Err after {} batch(es): {e}", self.batches.len()),
            None => format!(
                "Ok with {} batch(es), {} record(s)",
                self.batches.len(),
                self.batches.iter().map(|b| b.records.len()).sum::<usize>()
            ),
        }
    }
}

/// Where a stream's pages stop: a read past this many pages counts as endless.
const MAX_BATCHES: u64 = 10_000;

/// The page cap of the endless-paging check (at least; more for a stream whose clean run
/// has many pages): a stack that catches a repeated page catches it within a few pages.
const REPEAT_CAP: u64 = 200;

impl Conformance {
    /// `make` builds the connector for a [`Target`]; switch its client-side rate limits off
    /// (the kit makes many requests) and pass `target.retry` to its HTTP client.
    pub fn new<F>(fixtures: Fixtures, make: F) -> Self
    where
        F: Fn(&Target) -> Box<dyn Connector> + Send + Sync + 'static,
    {
        let salt = std::process::id()
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
        Self {
            make: Box::new(make),
            fixtures,
            streams: None,
            boundary_repeats: BTreeSet::new(),
            secret: format!("dpConformanceSecret{salt:08x}Zq7"),
            auth_matching: true,
            run_timeout: Duration::from_secs(300),
        }
    }

    /// Checks only these streams (default: every stream the connector declares).
    pub fn streams(mut self, streams: &[&str]) -> Self {
        self.streams = Some(streams.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    /// These streams may repeat boundary records on resume (an API filtered by `>=` a
    /// timestamp bookmark): a record of the batches up to the checkpoint may come again, at
    /// its latest version.
    pub fn boundary_repeats(mut self, streams: &[&str]) -> Self {
        self.boundary_repeats
            .extend(streams.iter().map(|s| (*s).to_owned()));
        self
    }

    /// The credential the kit configures (default: a random-looking token). Use it when the
    /// connector validates the shape of its credential.
    pub fn secret(mut self, secret: &str) -> Self {
        self.secret = secret.to_owned();
        self
    }

    /// Fixture pages answer whether or not the request carries the secret, and the
    /// wrong-credential check is skipped. For credentials exchanged for a token (OAuth
    /// client credentials) or otherwise not sent as given.
    pub fn without_auth_matching(mut self) -> Self {
        self.auth_matching = false;
        self
    }

    /// The longest one read of a stream may take (default 300 s). A backstop against a
    /// connector that hangs: endless paging is caught by counting pages, not by this
    /// clock, so a loaded machine never turns a slow read into a failure.
    pub fn run_timeout(mut self, timeout: Duration) -> Self {
        self.run_timeout = timeout;
        self
    }

    /// Runs every check on every stream and reports every failure.
    pub async fn run(self) -> Report {
        let logs = captured_logs();
        let mut report = Report::default();
        let mut errors: Vec<String> = Vec::new();
        let mut wire_credentials: BTreeSet<String> = BTreeSet::new();
        let streams: Vec<String> = match &self.streams {
            Some(s) => s.clone(),
            None => {
                let probe = (self.make)(&self.target("http://127.0.0.1:9", &self.secret));
                probe.streams().iter().map(|s| s.name.to_owned()).collect()
            }
        };
        if streams.is_empty() {
            report.fail("*", "clean run", "the connector declares no stream".into());
        }
        let mut used_pages = BTreeSet::new();
        for stream in &streams {
            self.check_stream(
                stream,
                &mut report,
                &mut errors,
                &mut wire_credentials,
                &mut used_pages,
            )
            .await;
        }
        if self.streams.is_none() && report.is_ok() {
            for (i, page) in self.fixtures.pages.iter().enumerate() {
                if !used_pages.contains(&i) {
                    report.fail(
                        "*",
                        "fixtures",
                        format!(
                            "no clean run or resume requested the page {} (a typo in its query pairs?)",
                            page.describe()
                        ),
                    );
                }
            }
        }
        self.check_secrets(&logs, &errors, &wire_credentials, &mut report);
        report
    }

    fn target(&self, base_url: &str, secret: &str) -> Target {
        Target {
            base_url: base_url.to_owned(),
            secret: secret.to_owned(),
            retry: fast_retry(),
        }
    }

    async fn scenario(&self, fault: Option<(usize, Fault)>) -> Scenario {
        let server = MockServer::start().await;
        let mut hits = Vec::new();
        for (i, page) in self.fixtures.pages.iter().enumerate() {
            let counter = Arc::new(AtomicUsize::new(0));
            let (fault_resp, times) = match fault {
                Some((j, f)) if j == i => (
                    Some(f.response(page)),
                    if f == Fault::OneShot503 {
                        1
                    } else {
                        usize::MAX
                    },
                ),
                _ => (None, 0),
            };
            Mock::given(PageMatcher {
                page: page.clone(),
                secret: self.auth_matching.then(|| self.secret.clone()),
            })
            .respond_with(PageResponder {
                normal: page.template(),
                fault: fault_resp,
                fault_times: times,
                hits: counter.clone(),
            })
            .with_priority(page.priority())
            .named(page.describe())
            .mount(&server)
            .await;
            hits.push(counter);
        }
        if self.auth_matching {
            Mock::given(WithoutSecret(self.secret.clone()))
                .respond_with(
                    ResponseTemplate::new(401)
                        .set_body_string("{\"error\":\"Couldn't authenticate you\"}"),
                )
                .with_priority(250)
                .mount(&server)
                .await;
        }
        Scenario { server, hits }
    }

    async fn read(
        &self,
        server: &MockServer,
        secret: &str,
        stream: &str,
        from: Option<Checkpoint>,
    ) -> Run {
        self.read_capped(server, secret, stream, from, MAX_BATCHES)
            .await
    }

    /// One read of `stream`, as the runner reads it (see the module docs); a read stopped
    /// by the page cap `max_pages` counts as endless (`timed_out`), not as the
    /// connector's error.
    async fn read_capped(
        &self,
        server: &MockServer,
        secret: &str,
        stream: &str,
        from: Option<Checkpoint>,
        max_pages: u64,
    ) -> Run {
        let connector = (self.make)(&self.target(&server.uri(), secret));
        let started = Instant::now();
        let collect = async {
            let mut batches = Vec::new();
            let mut error = None;
            let mut capped = false;
            let run = StreamRun::new("conformance", stream);
            let mut guard = RunGuard::new("conformance", stream, max_pages);
            let mut pages = connector.read(stream, from);
            while let Some(item) = run.scope(pages.next()).await {
                match item.map(|b| (guard.admit(&b), b)) {
                    Ok((Ok(()), b)) => batches.push(b),
                    Ok((Err((Stop::PageCap, _)), _)) => {
                        capped = true;
                        break;
                    }
                    Ok((Err((_, e)), _)) | Err(e) => {
                        error = Some(run.scrub_error(e));
                        break;
                    }
                }
            }
            (batches, error, capped)
        };
        let guarded = AssertUnwindSafe(collect).catch_unwind();
        match tokio::time::timeout(self.run_timeout, guarded).await {
            Err(_) => Run {
                batches: Vec::new(),
                error: None,
                panic: None,
                timed_out: true,
                elapsed: started.elapsed(),
            },
            Ok(Err(panic)) => Run {
                batches: Vec::new(),
                error: None,
                panic: Some(panic_message(&panic)),
                timed_out: false,
                elapsed: started.elapsed(),
            },
            Ok(Ok((batches, error, capped))) => Run {
                timed_out: capped,
                batches,
                error,
                panic: None,
                elapsed: started.elapsed(),
            },
        }
    }

    async fn check_stream(
        &self,
        stream: &str,
        report: &mut Report,
        errors: &mut Vec<String>,
        wire: &mut BTreeSet<String>,
        used_pages: &mut BTreeSet<usize>,
    ) {
        // 1. Clean run.
        let clean_sc = self.scenario(None).await;
        report.scenarios += 1;
        let clean = self
            .read(&clean_sc.server, &self.secret, stream, None)
            .await;
        note(&clean, errors);
        for msg in self.ambiguous_requests(&clean_sc.server).await {
            report.fail(stream, "fixtures", msg);
        }
        self.collect_wire_credentials(&clean_sc.server, wire).await;
        let first_page = clean_sc
            .server
            .received_requests()
            .await
            .unwrap_or_default()
            .first()
            .and_then(|req| self.page_of(req));
        let used: Vec<usize> = clean_sc
            .hits
            .iter()
            .enumerate()
            .filter(|(_, h)| h.load(Ordering::SeqCst) > 0)
            .map(|(i, _)| i)
            .collect();
        if clean.error.is_some() || clean.panic.is_some() || clean.timed_out {
            let unmatched = self.unmatched_requests(&clean_sc.server).await;
            let mut msg = format!("the stream must read to its end, but {}", clean.outcome());
            if !unmatched.is_empty() {
                msg.push_str(&format!(
                    "; requests no fixture page matched: {}",
                    unmatched.join(", ")
                ));
            }
            if clean
                .error
                .as_ref()
                .is_some_and(ConnectorError::is_unauthorized)
                && self.auth_matching
            {
                msg.push_str("; the requests did not carry the secret verbatim or as Basic credentials (use `without_auth_matching()` if the connector exchanges it for a token)");
            }
            report.fail(stream, "clean run", msg);
            return;
        }
        if clean.batches.is_empty() || used.is_empty() {
            report.fail(
                stream,
                "clean run",
                "the stream yielded no batch from the fixture pages: give it at least one page"
                    .into(),
            );
            return;
        }
        used_pages.extend(used.iter().copied());
        let clean_records = clean.records();
        let clean_set = keyed(&clean_records);

        // 2. Resume from every checkpoint.
        let resume_sc = self.scenario(None).await;
        report.scenarios += 1;
        for (i, batch) in clean.batches.iter().enumerate() {
            let run = self
                .read(
                    &resume_sc.server,
                    &self.secret,
                    stream,
                    Some(batch.checkpoint.clone()),
                )
                .await;
            note(&run, errors);
            let cp = batch.checkpoint.value();
            if run.error.is_some() || run.panic.is_some() || run.timed_out {
                let unmatched = self.unmatched_requests(&resume_sc.server).await;
                let mut msg = format!(
                    "resuming from batch {i}'s checkpoint {cp} {}",
                    run.outcome()
                );
                if !unmatched.is_empty() {
                    msg.push_str(&format!(
                        "; requests no fixture page matched (add the pages a resume asks for): {}",
                        unmatched.join(", ")
                    ));
                }
                report.fail(stream, "resume", msg);
                continue;
            }
            let after: Vec<Record> = clean.batches[i + 1..]
                .iter()
                .flat_map(|b| b.records.iter().cloned())
                .collect();
            let expected = keyed(&after);
            let got = keyed(&run.records());
            let mut problems = Vec::new();
            for (k, want) in &expected {
                match got.get(k) {
                    None => problems.push(format!("missing {}", show_key(k))),
                    Some(g) if g != want => problems.push(format!(
                        "{} differs from the clean run's latest version",
                        show_key(k)
                    )),
                    _ => {}
                }
            }
            let repeats_ok = self.boundary_repeats.contains(stream);
            for (k, g) in &got {
                if expected.contains_key(k) {
                    continue;
                }
                match clean_set.get(k) {
                    None => problems.push(format!("{} was not in the clean run", show_key(k))),
                    Some(_) if !repeats_ok => problems.push(format!(
                        "{} repeats from before the checkpoint (call `boundary_repeats(&[\"{stream}\"])` if the API's bookmark is inclusive)",
                        show_key(k)
                    )),
                    Some(c) if c != g => problems.push(format!(
                        "repeated {} differs from the clean run's latest version",
                        show_key(k)
                    )),
                    _ => {}
                }
            }
            if !problems.is_empty() {
                report.fail(
                    stream,
                    "resume",
                    format!(
                        "resuming from batch {i}'s checkpoint {cp}: {}",
                        problems.join("; ")
                    ),
                );
            }
        }

        used_pages.extend(
            resume_sc
                .hits
                .iter()
                .enumerate()
                .filter(|(_, h)| h.load(Ordering::SeqCst) > 0)
                .map(|(i, _)| i),
        );

        // 3. A one-shot 429 with Retry-After on the first request is waited out.
        let sc = self.scenario(None).await;
        report.scenarios += 1;
        Mock::given(AnyRequest)
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "1")
                    .set_body_string("{\"error\":\"TooManyRequests\"}"),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&sc.server)
            .await;
        let run = self.read(&sc.server, &self.secret, stream, None).await;
        note(&run, errors);
        if let Some(msg) = same_records(&run, &clean_set) {
            report.fail(
                stream,
                "429",
                format!("after a 429 with `Retry-After: 1` on the first request: {msg}"),
            );
        } else if run.elapsed < Duration::from_millis(950) {
            report.fail(
                stream,
                "429",
                format!(
                    "`Retry-After: 1` was not waited out (the stream finished in {:?})",
                    run.elapsed
                ),
            );
        }

        // 4a. A one-shot 503 on the last page is retried.
        let last = *used.last().unwrap_or(&0);
        let sc = self.scenario(Some((last, Fault::OneShot503))).await;
        report.scenarios += 1;
        let run = self.read(&sc.server, &self.secret, stream, None).await;
        note(&run, errors);
        if let Some(msg) = same_records(&run, &clean_set) {
            report.fail(
                stream,
                "5xx",
                format!(
                    "after {} ({}): {msg}",
                    Fault::OneShot503.describe(),
                    self.fixtures.pages[last].describe()
                ),
            );
        }

        // 4b + 6. Persistent 500 and broken pages: always an error.
        for &i in &used {
            for fault in [
                Fault::Persistent500,
                Fault::InvalidJson,
                Fault::Truncated,
                Fault::NoArrays,
            ] {
                let page = &self.fixtures.pages[i];
                if fault == Fault::NoArrays && !has_arrays(&page.response, 2) {
                    continue;
                }
                let sc = self.scenario(Some((i, fault))).await;
                report.scenarios += 1;
                let run = self.read(&sc.server, &self.secret, stream, None).await;
                note(&run, errors);
                let check = if fault == Fault::Persistent500 {
                    "5xx"
                } else {
                    "broken page"
                };
                let what = format!("with {} ({})", fault.describe(), page.describe());
                if run.panic.is_some() || run.timed_out || run.error.is_none() {
                    report.fail(
                        stream,
                        check,
                        format!(
                            "{what}: the stream must end with an error, but {}",
                            run.outcome()
                        ),
                    );
                    continue;
                }
                if fault == Fault::Persistent500 {
                    match &run.error {
                        Some(ConnectorError::Http {
                            status: 500,
                            attempts,
                            ..
                        }) if *attempts > 1 => {}
                        Some(e) => report.fail(
                            stream,
                            check,
                            format!(
                                "{what}: expected ConnectorError::Http {{ status: 500, attempts > 1 }} (retried, then reported), got {e:?}"
                            ),
                        ),
                        None => {}
                    }
                }
            }
        }

        // 8. A server that answers every request with the first page, for ever.
        // 9. A server whose answer declares a body larger than any cap.
        if let Some(first) = first_page {
            self.check_endless_paging(stream, first, clean.batches.len(), report, errors)
                .await;
            self.check_oversized(stream, first, report, errors).await;
        }

        // 5. Credentials: 401/403 everywhere, and a wrong secret against the fixtures.
        for status in [401u16, 403] {
            let server = MockServer::start().await;
            report.scenarios += 1;
            Mock::given(AnyRequest)
                .respond_with(
                    ResponseTemplate::new(status).set_body_string("{\"error\":\"denied\"}"),
                )
                .mount(&server)
                .await;
            let run = self.read(&server, &self.secret, stream, None).await;
            note(&run, errors);
            expect_unauthorized(
                report,
                stream,
                &run,
                &format!("a server answering {status} to everything"),
            );
        }
        if self.auth_matching {
            let sc = self.scenario(None).await;
            report.scenarios += 1;
            let run = self
                .read(&sc.server, "wrong-Secret-0000", stream, None)
                .await;
            note(&run, errors);
            expect_unauthorized(report, stream, &run, "a wrong secret");
        }
    }

    /// Check 8 (see the module docs): a server answering every request with page `first`.
    async fn check_endless_paging(
        &self,
        stream: &str,
        first: usize,
        clean_batches: usize,
        report: &mut Report,
        errors: &mut Vec<String>,
    ) {
        let page = &self.fixtures.pages[first];
        let server = MockServer::start().await;
        report.scenarios += 1;
        Mock::given(RepeatFirst {
            secret: self.auth_matching.then(|| self.secret.clone()),
        })
        .respond_with(page.template())
        .with_priority(1)
        .mount(&server)
        .await;
        if self.auth_matching {
            Mock::given(WithoutSecret(self.secret.clone()))
                .respond_with(ResponseTemplate::new(401))
                .with_priority(250)
                .mount(&server)
                .await;
        }
        let run = self
            .read_capped(
                &server,
                &self.secret,
                stream,
                None,
                REPEAT_CAP.max(2 * clean_batches as u64 + 10),
            )
            .await;
        note(&run, errors);
        let requests = server.received_requests().await.map_or(0, |r| r.len());
        let what = format!(
            "with a server answering every request with the first page ({})",
            page.describe()
        );
        let problem = if run.panic.is_some() || run.timed_out {
            Some(format!("the stream {}", run.outcome()))
        } else {
            match &run.error {
                Some(ConnectorError::Malformed { .. }) => None,
                Some(e) => Some(format!("expected ConnectorError::Malformed, got {e:?}")),
                // Stopping by the API's own count (a page-number stream with a total, each
                // pass of a multi-pass stream ending on a short page) is an end too.
                None if run.batches.len() <= clean_batches => None,
                None => Some(format!(
                    "the stream read {} pages (the clean run has {clean_batches}) and ended Ok by chance",
                    run.batches.len()
                )),
            }
        };
        if let Some(p) = problem {
            report.fail(
                stream,
                "endless paging",
                format!(
                    "{what}, after {requests} request(s): {p}. The stream must end with ConnectorError::Malformed: \
                     stop when the next cursor repeats, or read list pages with `HttpClient::get_page_json`, which \
                     refuses the same request twice in a run"
                ),
            );
        }
    }

    /// Check 9 (see the module docs): every request answered with page `first`'s JSON under
    /// a `Content-Length` of 1 TiB.
    async fn check_oversized(
        &self,
        stream: &str,
        first: usize,
        report: &mut Report,
        errors: &mut Vec<String>,
    ) {
        let page = &self.fixtures.pages[first];
        report.scenarios += 1;
        let server = match DeclaredHuge::start(page.response.to_string().into_bytes()) {
            Ok(s) => s,
            Err(e) => {
                report.fail(
                    stream,
                    "oversized body",
                    format!("the kit could not start its server: {e}"),
                );
                return;
            }
        };
        let connector = (self.make)(&self.target(&server.uri(), &self.secret));
        let (batches, error) = tokio::time::timeout(
            self.run_timeout,
            AssertUnwindSafe(streams::read(connector.as_ref(), stream, None)).catch_unwind(),
        )
        .await
        .unwrap_or_else(|_| Ok((Vec::new(), None)))
        .unwrap_or_else(|p| {
            (
                Vec::new(),
                Some(ConnectorError::Malformed {
                    endpoint: "(the kit)".into(),
                    detail: format!("panicked: {}", panic_message(&p)),
                }),
            )
        });
        if let Some(e) = &error {
            errors.push(format!("{e} / {e:?}"));
        }
        match &error {
            Some(ConnectorError::Malformed { detail, .. }) if !detail.starts_with("panicked") => {}
            other => report.fail(
                stream,
                "oversized body",
                format!(
                    "with every answer declaring a {OVERSIZED_DECLARED}-byte body (the first page's JSON under `Content-Length: {OVERSIZED_DECLARED}`): \
                     expected ConnectorError::Malformed naming the client's body cap before any batch, got {} batch(es) and {other:?}",
                    batches.len()
                ),
            ),
        }
    }

    /// The fixture page that answered `req` (the most specific one that matches).
    fn page_of(&self, req: &Request) -> Option<usize> {
        self.fixtures
            .pages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.matches(req))
            .min_by_key(|(i, p)| (p.priority(), *i))
            .map(|(i, _)| i)
    }

    /// Every `Authorization` value the server received (a token the connector obtained with
    /// the secret is a credential too), and every header value that carries the secret
    /// (however encoded): none may be logged.
    async fn collect_wire_credentials(&self, server: &MockServer, out: &mut BTreeSet<String>) {
        for req in server.received_requests().await.unwrap_or_default() {
            for v in req.headers.values() {
                let v = v.to_str().unwrap_or_default();
                let decoded = v
                    .split_whitespace()
                    .last()
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    .map(|d| String::from_utf8_lossy(&d).into_owned())
                    .unwrap_or_default();
                let credential = v.contains(&self.secret) || decoded.contains(&self.secret);
                if credential || req.headers.get("authorization").is_some_and(|a| a == v) {
                    out.insert(v.to_owned());
                    if let Some(token) = v.split_whitespace().last() {
                        out.insert(token.to_owned());
                    }
                }
            }
        }
    }

    /// Requests that two pages match equally well (the first mounted would answer).
    async fn ambiguous_requests(&self, server: &MockServer) -> Vec<String> {
        let mut out = Vec::new();
        for req in server.received_requests().await.unwrap_or_default() {
            let matching: Vec<&Page> = self
                .fixtures
                .pages
                .iter()
                .filter(|p| p.matches(&req))
                .collect();
            let Some(best) = matching.iter().map(|p| p.priority()).min() else {
                continue;
            };
            let tied: Vec<String> = matching
                .iter()
                .filter(|p| p.priority() == best)
                .map(|p| p.describe())
                .collect();
            if tied.len() > 1 {
                let msg = format!(
                    "{} {} matches {} equally: list the query pairs that tell them apart",
                    req.method,
                    req.url.path(),
                    tied.join(" and ")
                );
                if !out.contains(&msg) {
                    out.push(msg);
                }
            }
        }
        out
    }

    async fn unmatched_requests(&self, server: &MockServer) -> Vec<String> {
        let mut out = Vec::new();
        for req in server.received_requests().await.unwrap_or_default() {
            if !self.fixtures.pages.iter().any(|p| p.matches(&req)) {
                let q = req.url.query().map(|q| format!("?{q}")).unwrap_or_default();
                let s = format!("{} {}{q}", req.method, req.url.path());
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }

    fn check_secrets(
        &self,
        logs: &LogCapture,
        errors: &[String],
        wire: &BTreeSet<String>,
        report: &mut Report,
    ) {
        let mut forbidden: Vec<String> = vec![
            self.secret.clone(),
            base64::engine::general_purpose::STANDARD.encode(&self.secret),
        ];
        forbidden.extend(wire.iter().filter(|w| w.len() >= 8).cloned());
        match logs.text() {
            Ok(text) => {
                if text.is_empty() {
                    report.fail(
                        "*",
                        "secrets",
                        "no log line was captured: the kit's TRACE subscriber is not the global one".into(),
                    );
                }
                for f in &forbidden {
                    if let Some(line) = text.lines().find(|l| l.contains(f.as_str())) {
                        report.fail(
                            "*",
                            "secrets",
                            format!("a log line contains the credential: {}", redact(line, f)),
                        );
                    }
                }
            }
            Err(msg) => report.fail("*", "secrets", msg),
        }
        for e in errors {
            if forbidden.iter().any(|f| e.contains(f.as_str())) {
                let shown = forbidden.iter().fold(e.clone(), |acc, f| redact(&acc, f));
                report.fail(
                    "*",
                    "secrets",
                    format!("an error's Display/Debug contains the credential: {shown}"),
                );
            }
        }
    }
}

impl Report {
    fn fail(&mut self, stream: &str, check: &'static str, message: String) {
        self.failures.push(Failure {
            stream: stream.to_owned(),
            check,
            message,
        });
    }
}

fn note(run: &Run, errors: &mut Vec<String>) {
    if let Some(e) = &run.error {
        errors.push(format!("{e} / {e:?}"));
    }
}

/// A server answering every request with `200`, `Content-Length: 1 TiB` and a short body,
/// then closing: what a client's body cap must refuse before reading. wiremock cannot serve
/// it (hyper checks the length it sends against the body). One plain thread, stopped when
/// dropped.
struct DeclaredHuge {
    addr: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DeclaredHuge {
    fn start(body: Vec<u8>) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(sock) = conn {
                    // A client that misbehaves costs this connection, not the server.
                    let _ = answer_declared_huge(sock, &body);
                }
            }
        });
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DeclaredHuge {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request (head, and a body of its `Content-Length`: closing with unread bytes
/// would reset the connection before the client reads the answer) and answers it.
fn answer_declared_huge(mut sock: std::net::TcpStream, body: &[u8]) -> std::io::Result<()> {
    use std::io::Read;
    // Generous: a loaded machine may take its time to send the request; this only bounds
    // a client that connects and never sends.
    sock.set_read_timeout(Some(Duration::from_secs(300)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if sock.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    std::io::copy(&mut (&mut sock).take(length), &mut std::io::sink())?;
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {OVERSIZED_DECLARED}\r\n\r\n"
    )
    .into_bytes();
    response.extend_from_slice(body);
    sock.write_all(&response)?;
    sock.flush()
    // Closed here: the request was read whole, so the close is a clean FIN, and nothing
    // waits for the client (whose runtime may be blocked dropping this server).
}

/// Every request that carries the secret (or any request, without auth matching).
struct RepeatFirst {
    secret: Option<String>,
}

impl Match for RepeatFirst {
    fn matches(&self, req: &Request) -> bool {
        self.secret.as_deref().is_none_or(|s| carries(req, s))
    }
}

struct AnyRequest;
impl Match for AnyRequest {
    fn matches(&self, _req: &Request) -> bool {
        true
    }
}

fn has_arrays(v: &Value, depth: usize) -> bool {
    match v {
        Value::Array(_) => true,
        Value::Object(m) => m
            .values()
            .any(|x| x.is_array() || (depth > 1 && x.is_object() && has_arrays(x, depth - 1))),
        _ => false,
    }
}

fn redact(line: &str, secret: &str) -> String {
    line.replace(secret, "<SECRET>")
}

fn expect_unauthorized(report: &mut Report, stream: &str, run: &Run, what: &str) {
    match &run.error {
        Some(ConnectorError::Unauthorized { .. }) if run.batches.is_empty() => {}
        _ => report.fail(
            stream,
            "credentials",
            format!(
                "with {what}: expected ConnectorError::Unauthorized before any batch, but the stream {}",
                run.outcome()
            ),
        ),
    }
}

/// `None` if the run ended `Ok` with the clean run's records, else what differs.
fn same_records(run: &Run, clean: &BTreeMap<(String, String), Record>) -> Option<String> {
    if run.error.is_some() || run.panic.is_some() || run.timed_out {
        return Some(format!(
            "the stream must still complete, but {}",
            run.outcome()
        ));
    }
    let got = keyed(&run.records());
    if &got != clean {
        let missing = clean.keys().filter(|k| !got.contains_key(*k)).count();
        let extra = got.keys().filter(|k| !clean.contains_key(*k)).count();
        return Some(format!(
            "the records differ from the clean run ({missing} missing, {extra} extra, {} changed)",
            clean
                .iter()
                .filter(|(k, v)| got.get(*k).is_some_and(|g| g != *v))
                .count()
        ));
    }
    None
}

/// The latest version of each record, by (kind, external id).
fn keyed(records: &[Record]) -> BTreeMap<(String, String), Record> {
    let mut out = BTreeMap::new();
    for r in records {
        out.insert(key_of(r), r.clone());
    }
    out
}

fn key_of(r: &Record) -> (String, String) {
    let kind = format!("{:?}", r.kind());
    let v = serde_json::to_value(r).unwrap_or(Value::Null);
    let id = match v.get("external_id") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => v.to_string(),
    };
    (kind, id)
}

fn show_key(k: &(String, String)) -> String {
    format!("{} {:?}", k.0, k.1)
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic payload)".into())
}

/// Every `tracing` event of the test binary at TRACE, captured by a global subscriber.
#[derive(Clone, Default)]
pub struct LogCapture {
    buf: Arc<Mutex<Vec<u8>>>,
    installed: bool,
}

impl LogCapture {
    /// Everything captured so far, or why nothing can be.
    pub fn text(&self) -> Result<String, String> {
        if !self.installed {
            return Err("another global tracing subscriber was installed first, so the kit cannot see the logs: in this test binary, use `testkit::captured_logs()` instead of your own subscriber".into());
        }
        let buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

impl Write for LogCapture {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs (once per test binary) a global subscriber writing every event at TRACE, span
/// fields included, into a buffer, and returns it. A global subscriber, not `set_default`:
/// events from other threads and tasks must be seen too. Tests of the same binary that need
/// the logs share this one.
pub fn captured_logs() -> LogCapture {
    static LOGS: OnceLock<LogCapture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let mut capture = LogCapture {
            buf: Arc::default(),
            installed: true,
        };
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(capture.clone())
            .finish();
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            capture.installed = false;
        }
        capture
    })
    .clone()
}

mod streams;
pub use streams::{
    assert_http_error, assert_malformed, assert_resumes_exactly, assert_resumes_exactly_mid_pass,
    basic_auth_header, checkpoints, read, read_ok, records,
};

#[cfg(test)]
mod tests;
