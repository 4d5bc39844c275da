//! The fixture pages of a conformance run and the servers that serve them: a wiremock server
//! per scenario (every page mounted, one of them faulty), and a raw server whose answer
//! declares a body larger than any cap.

use base64::Engine as _;
use serde_json::Value;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::{Match, MockServer, Request, Respond, ResponseTemplate};

/// One fixture page: a request shape and the JSON the API answers.
#[derive(Clone, Debug)]
pub struct Page {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) body_includes: Option<Value>,
    pub(super) response: Value,
    pub(super) headers: Vec<(String, String)>,
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
    pub(super) fn priority(&self) -> u8 {
        let n = self.query.len() + self.body_includes.as_ref().map_or(0, leaves);
        (60 - n.min(50)) as u8
    }

    pub(super) fn describe(&self) -> String {
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

    pub(super) fn template(&self) -> ResponseTemplate {
        let mut t = ResponseTemplate::new(200).set_body_json(self.response.clone());
        for (k, v) in &self.headers {
            t = t.insert_header(k.as_str(), v.as_str());
        }
        t
    }
}

pub(super) fn json_includes(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| g.get(k).is_some_and(|gv| json_includes(gv, wv))),
        _ => got == want,
    }
}

pub(super) fn leaves(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.values().map(leaves).sum::<usize>().max(1),
        _ => 1,
    }
}

/// The pages of an API, as the connector's tests mock them. Every page belongs to whatever
/// stream requests it; the kit finds out by running each stream.
#[derive(Clone, Debug, Default)]
pub struct Fixtures {
    pub(super) pages: Vec<Page>,
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
pub(super) enum Fault {
    InvalidJson,
    Truncated,
    NoArrays,
    Persistent500,
    OneShot503,
}

/// The body length the oversized-body check declares: more than any client's cap.
pub(super) const OVERSIZED_DECLARED: u64 = 1 << 40;

impl Fault {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Fault::InvalidJson => "a page replaced by invalid JSON",
            Fault::Truncated => "a page whose body is cut in half",
            Fault::NoArrays => "a page without its records array(s)",
            Fault::Persistent500 => "a page answering 500 on every attempt",
            Fault::OneShot503 => "a one-shot 503 on the last page",
        }
    }

    pub(super) fn response(self, page: &Page) -> ResponseTemplate {
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
pub(super) fn strip_arrays(v: &mut Value, depth: usize) {
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
pub(super) struct PageResponder {
    pub(super) normal: ResponseTemplate,
    pub(super) fault: Option<ResponseTemplate>,
    pub(super) fault_times: usize,
    pub(super) hits: Arc<AtomicUsize>,
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

pub(super) struct PageMatcher {
    pub(super) page: Page,
    pub(super) secret: Option<String>,
}

impl Match for PageMatcher {
    fn matches(&self, req: &Request) -> bool {
        self.page.matches(req) && self.secret.as_deref().is_none_or(|s| carries(req, s))
    }
}

/// Requests that do not carry the secret (answered 401 when auth matching is on).
pub(super) struct WithoutSecret(pub(super) String);

impl Match for WithoutSecret {
    fn matches(&self, req: &Request) -> bool {
        !carries(req, &self.0)
    }
}

/// Whether the request carries `secret`: verbatim in a header value or the query, or inside
/// a base64 `Basic` credential.
pub(super) fn carries(req: &Request, secret: &str) -> bool {
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
pub(super) struct Scenario {
    pub(super) server: MockServer,
    pub(super) hits: Vec<Arc<AtomicUsize>>,
}

impl Scenario {
    /// The fixture pages this scenario's server answered at least once.
    pub(super) fn used(&self) -> Vec<usize> {
        self.hits
            .iter()
            .enumerate()
            .filter(|(_, h)| h.load(Ordering::SeqCst) > 0)
            .map(|(i, _)| i)
            .collect()
    }
}

/// A server answering every request with `200`, `Content-Length: 1 TiB` and a short body,
/// then closing: what a client's body cap must refuse before reading. wiremock cannot serve
/// it (hyper checks the length it sends against the body). One plain thread, stopped when
/// dropped.
pub(super) struct DeclaredHuge {
    pub(super) addr: std::net::SocketAddr,
    pub(super) stop: Arc<std::sync::atomic::AtomicBool>,
    pub(super) thread: Option<std::thread::JoinHandle<()>>,
}

impl DeclaredHuge {
    pub(super) fn start(body: Vec<u8>) -> std::io::Result<Self> {
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

    pub(super) fn uri(&self) -> String {
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
pub(super) fn answer_declared_huge(
    mut sock: std::net::TcpStream,
    body: &[u8],
) -> std::io::Result<()> {
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
pub(super) struct RepeatFirst {
    pub(super) secret: Option<String>,
}

impl Match for RepeatFirst {
    fn matches(&self, req: &Request) -> bool {
        self.secret.as_deref().is_none_or(|s| carries(req, s))
    }
}

pub(super) struct AnyRequest;
impl Match for AnyRequest {
    fn matches(&self, _req: &Request) -> bool {
        true
    }
}

pub(super) fn has_arrays(v: &Value, depth: usize) -> bool {
    match v {
        Value::Array(_) => true,
        Value::Object(m) => m
            .values()
            .any(|x| x.is_array() || (depth > 1 && x.is_object() && has_arrays(x, depth - 1))),
        _ => false,
    }
}
