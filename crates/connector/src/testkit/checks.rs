//! The conformance checks, one function per check (see the numbering of the module docs),
//! and the reads they make: each read runs as the runner runs it, inside a `StreamRun` and
//! through the runner's guard.

use super::Page;
use super::fixtures::{
    AnyRequest, DeclaredHuge, Fault, OVERSIZED_DECLARED, PageMatcher, PageResponder, RepeatFirst,
    Scenario, WithoutSecret, has_arrays,
};
use super::logs::LogCapture;
use super::report::Report;
use super::{Conformance, streams};
use crate::bounds::{RunGuard, Stop, StreamRun};
use crate::{Batch, Checkpoint, ConnectorError, Record};
use base64::Engine as _;
use futures::{FutureExt, StreamExt};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

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

/// The clean run of a stream, which every other check compares with.
struct Clean {
    run: Run,
    /// The latest version of each record, by kind and external id.
    set: BTreeMap<(String, String), Record>,
    /// The fixture pages the clean run read, in fixture order.
    used: Vec<usize>,
    /// The fixture page that answered the first request.
    first_page: Option<usize>,
}

/// What the checks of one stream gather for the run's closing checks.
pub(super) struct Gathered<'a> {
    pub(super) report: &'a mut Report,
    pub(super) errors: &'a mut Vec<String>,
    pub(super) wire: &'a mut BTreeSet<String>,
    pub(super) used_pages: &'a mut BTreeSet<usize>,
}

impl Conformance {
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

    /// Every check of one stream, in the order of the module docs.
    pub(super) async fn check_stream(&self, stream: &str, g: &mut Gathered<'_>) {
        let Some(clean) = self.check_clean_run(stream, g).await else {
            return;
        };
        self.check_resume(stream, &clean, g).await;
        self.check_typed_checkpoints(stream, &clean, g.report);
        self.check_rate_limited(stream, &clean, g).await;
        self.check_server_error_once(stream, &clean, g).await;
        for &i in &clean.used {
            self.check_broken_page(stream, i, &clean, g).await;
        }
        if let Some(first) = clean.first_page {
            self.check_endless_paging(stream, first, clean.run.batches.len(), g.report, g.errors)
                .await;
            self.check_oversized(stream, first, g.report, g.errors)
                .await;
        }
        self.check_credentials(stream, g).await;
    }

    /// Check 1: the stream reads to its end, `Ok`, at least one page.
    async fn check_clean_run(&self, stream: &str, g: &mut Gathered<'_>) -> Option<Clean> {
        let sc = self.scenario(None).await;
        g.report.scenarios += 1;
        let run = self.read(&sc.server, &self.secret, stream, None).await;
        note(&run, g.errors);
        for msg in self.ambiguous_requests(&sc.server).await {
            g.report.fail(stream, "fixtures", msg);
        }
        self.collect_wire_credentials(&sc.server, g.wire).await;
        let requests = sc.server.received_requests().await.unwrap_or_default();
        let first_page = requests.first().and_then(|req| self.page_of(req));
        let used = sc.used();
        if run.error.is_some() || run.panic.is_some() || run.timed_out {
            let unmatched = self.unmatched_requests(&sc.server).await;
            let mut msg = format!("the stream must read to its end, but {}", run.outcome());
            if !unmatched.is_empty() {
                msg.push_str(&format!(
                    "; requests no fixture page matched: {}",
                    unmatched.join(", ")
                ));
            }
            if run
                .error
                .as_ref()
                .is_some_and(ConnectorError::is_unauthorized)
                && self.auth_matching
            {
                msg.push_str("; the requests did not carry the secret verbatim or as Basic credentials (use `without_auth_matching()` if the connector exchanges it for a token)");
            }
            g.report.fail(stream, "clean run", msg);
            return None;
        }
        if run.batches.is_empty() || used.is_empty() {
            g.report.fail(
                stream,
                "clean run",
                "the stream yielded no batch from the fixture pages: give it at least one page"
                    .into(),
            );
            return None;
        }
        g.used_pages.extend(used.iter().copied());
        let set = keyed(&run.records());
        Some(Clean {
            run,
            set,
            used,
            first_page,
        })
    }

    /// Check 2: from every batch's checkpoint, a new run yields exactly the later records.
    async fn check_resume(&self, stream: &str, clean: &Clean, g: &mut Gathered<'_>) {
        let sc = self.scenario(None).await;
        g.report.scenarios += 1;
        for (i, batch) in clean.run.batches.iter().enumerate() {
            let run = self
                .read(
                    &sc.server,
                    &self.secret,
                    stream,
                    Some(batch.checkpoint.clone()),
                )
                .await;
            note(&run, g.errors);
            let cp = batch.checkpoint.value();
            if run.error.is_some() || run.panic.is_some() || run.timed_out {
                let unmatched = self.unmatched_requests(&sc.server).await;
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
                g.report.fail(stream, "resume", msg);
                continue;
            }
            let problems = self.resume_problems(stream, clean, i, &run);
            if !problems.is_empty() {
                g.report.fail(
                    stream,
                    "resume",
                    format!(
                        "resuming from batch {i}'s checkpoint {cp}: {}",
                        problems.join("; ")
                    ),
                );
            }
        }
        g.used_pages.extend(sc.used());
    }

    /// How a resume from batch `i` differs from the clean run's later batches.
    fn resume_problems(&self, stream: &str, clean: &Clean, i: usize, run: &Run) -> Vec<String> {
        let after: Vec<Record> = clean.run.batches[i + 1..]
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
            match clean.set.get(k) {
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
        problems
    }

    /// Check 10: every checkpoint the stream yields parses back into the type declared for
    /// it ([`Conformance::checkpoint_type`]) and writes back as it was stored.
    fn check_typed_checkpoints(&self, stream: &str, clean: &Clean, report: &mut Report) {
        let Some(round_trip) = self.checkpoint_types.get(stream) else {
            return;
        };
        for (i, batch) in clean.run.batches.iter().enumerate() {
            let stored = batch.checkpoint.value();
            match round_trip(stored) {
                Err(e) => report.fail(
                    stream,
                    "typed checkpoint",
                    format!("batch {i}'s checkpoint {stored} does not parse as the declared type: {e}"),
                ),
                Ok(back) if &back != stored => report.fail(
                    stream,
                    "typed checkpoint",
                    format!(
                        "batch {i}'s checkpoint {stored} parses, but writes back as {back}: a resumed read would store another shape"
                    ),
                ),
                Ok(_) => {}
            }
        }
    }

    /// Check 3: a one-shot 429 with `Retry-After: 1` on the first request is waited out.
    async fn check_rate_limited(&self, stream: &str, clean: &Clean, g: &mut Gathered<'_>) {
        let sc = self.scenario(None).await;
        g.report.scenarios += 1;
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
        note(&run, g.errors);
        if let Some(msg) = same_records(&run, &clean.set) {
            g.report.fail(
                stream,
                "429",
                format!("after a 429 with `Retry-After: 1` on the first request: {msg}"),
            );
        } else if run.elapsed < Duration::from_millis(950) {
            g.report.fail(
                stream,
                "429",
                format!(
                    "`Retry-After: 1` was not waited out (the stream finished in {:?})",
                    run.elapsed
                ),
            );
        }
    }

    /// Check 4a: a one-shot 503 on the last page is retried.
    async fn check_server_error_once(&self, stream: &str, clean: &Clean, g: &mut Gathered<'_>) {
        let last = *clean.used.last().unwrap_or(&0);
        let sc = self.scenario(Some((last, Fault::OneShot503))).await;
        g.report.scenarios += 1;
        let run = self.read(&sc.server, &self.secret, stream, None).await;
        note(&run, g.errors);
        if let Some(msg) = same_records(&run, &clean.set) {
            g.report.fail(
                stream,
                "5xx",
                format!(
                    "after {} ({}): {msg}",
                    Fault::OneShot503.describe(),
                    self.fixtures.pages[last].describe()
                ),
            );
        }
    }

    /// Checks 4b and 6: page `i` answering 500 for good, invalid JSON, half a body, or its
    /// JSON without arrays: always an error (a persistent 500 retried first).
    async fn check_broken_page(
        &self,
        stream: &str,
        i: usize,
        _clean: &Clean,
        g: &mut Gathered<'_>,
    ) {
        let page = &self.fixtures.pages[i];
        for fault in [
            Fault::Persistent500,
            Fault::InvalidJson,
            Fault::Truncated,
            Fault::NoArrays,
        ] {
            if fault == Fault::NoArrays && !has_arrays(&page.response, 2) {
                continue;
            }
            let sc = self.scenario(Some((i, fault))).await;
            g.report.scenarios += 1;
            let run = self.read(&sc.server, &self.secret, stream, None).await;
            note(&run, g.errors);
            let check = if fault == Fault::Persistent500 {
                "5xx"
            } else {
                "broken page"
            };
            let what = format!("with {} ({})", fault.describe(), page.describe());
            if run.panic.is_some() || run.timed_out || run.error.is_none() {
                g.report.fail(
                    stream,
                    check,
                    format!(
                        "{what}: the stream must end with an error, but {}",
                        run.outcome()
                    ),
                );
                continue;
            }
            if fault == Fault::Persistent500
                && !matches!(&run.error, Some(ConnectorError::Http { status: 500, attempts, .. }) if *attempts > 1)
            {
                g.report.fail(
                    stream,
                    check,
                    format!(
                        "{what}: expected ConnectorError::Http {{ status: 500, attempts > 1 }} (retried, then reported), got {:?}",
                        run.error
                    ),
                );
            }
        }
    }

    /// Check 5: 401 and 403 everywhere, and a wrong secret against the fixtures.
    async fn check_credentials(&self, stream: &str, g: &mut Gathered<'_>) {
        for status in [401u16, 403] {
            let server = MockServer::start().await;
            g.report.scenarios += 1;
            Mock::given(AnyRequest)
                .respond_with(
                    ResponseTemplate::new(status).set_body_string("{\"error\":\"denied\"}"),
                )
                .mount(&server)
                .await;
            let run = self.read(&server, &self.secret, stream, None).await;
            note(&run, g.errors);
            expect_unauthorized(
                g.report,
                stream,
                &run,
                &format!("a server answering {status} to everything"),
            );
        }
        if self.auth_matching {
            let sc = self.scenario(None).await;
            g.report.scenarios += 1;
            let run = self
                .read(&sc.server, "wrong-Secret-0000", stream, None)
                .await;
            note(&run, g.errors);
            expect_unauthorized(g.report, stream, &run, "a wrong secret");
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

    pub(super) fn check_secrets(
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

fn note(run: &Run, errors: &mut Vec<String>) {
    if let Some(e) = &run.error {
        errors.push(format!("{e} / {e:?}"));
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
