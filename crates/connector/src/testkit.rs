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
//!    (the streaming cap on bodies that declare no length is the SDK's own test);
//! 10. **typed checkpoint** (for the streams given [`Conformance::checkpoint_type`]): every
//!     checkpoint of the clean run parses into the declared type and writes back exactly as
//!     stored (check 2 shows it resumes).
//!
//! The kit's rooms: `fixtures` (pages, faults, the scenario servers), `checks` (one
//! function per check), `report` (findings), `logs` (the global log capture), `streams`
//! (helpers for a connector's own tests), `golden` (the golden runner: a connector synced
//! into real databases, each sync twice, and the report compared whole) and
//! `settings_table` (settings tests as a table).
//!
//! Every read runs as [`crate::sync_stream`] runs it: inside a [`StreamRun`] (so the HTTP
//! client can refuse a page request made twice) and through the runner's guard (a cycling
//! checkpoint or the same page again ends the read with `Malformed`; a read past
//! 10 000 pages counts as endless).
//!
//! For a connector's own tests, the kit also has [`read`] / [`read_ok`] (a stream to its end),
//! [`records`], [`checkpoints`], [`assert_resumes_exactly`], [`assert_http_error`],
//! [`assert_malformed`], [`fast_retry`], [`under_test`] (a connector with fast retries and a
//! fixed clock), [`captured_logs`] and [`basic_auth_header`]; the
//! golden runner [`Golden`] (what a golden test declares: the fake server, the connector,
//! the figures worked out by hand) and [`SettingsCases`] (a valid settings object and the
//! changes that must be refused by name, or accepted).
//!
//! ```text
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

use crate::http::RetryPolicy;
use crate::{Connector, registry};
#[allow(unused_imports)] // named by the module docs' links
use crate::{ConnectorError, StreamRun};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

mod checks;
mod fixtures;
mod golden;
mod logs;
mod report;
mod settings_table;
mod streams;

pub use fixtures::{Fixtures, Page};
pub use golden::{Golden, GoldenDb, GoldenReport, GoldenRun, Synced, stars};
pub use logs::{LogCapture, captured_logs};
pub use report::{Finding, Report};
pub use settings_table::{SettingsCases, debug_hiding, every_key, settings_of};
pub use streams::{
    assert_http_error, assert_malformed, assert_refuses_checkpoints, assert_resumes_exactly,
    assert_resumes_exactly_mid_pass, assert_unknown_stream, basic_auth_header, checkpoints, read,
    read_ok, records,
};

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

impl Target {
    /// The connector the make-closure returns: `built` (its constructor's result, which must
    /// succeed) with the kit's retry policy.
    pub fn connector<C: crate::HttpConnector + 'static>(
        &self,
        built: Result<C, ConnectorError>,
    ) -> Box<dyn Connector> {
        match built {
            Ok(c) => Box::new(c.with_retry_policy(self.retry.clone())),
            Err(e) => panic!("the kit's settings must build a connector: {e}"),
        }
    }
}

/// The connector a test drives: `built` (its constructor's result, which must succeed) with
/// the kit's [`fast_retry`] and its clock fixed at `now` (bookmarks, snapshots, token expiry
/// and `Retry-After` dates are all read from it).
pub fn under_test<C: crate::HttpConnector>(
    built: Result<C, ConnectorError>,
    now: chrono::DateTime<chrono::Utc>,
) -> C {
    match built {
        Ok(c) => c
            .with_retry_policy(fast_retry())
            .with_clock(crate::Clock::fixed(now)),
        Err(e) => panic!("the test's settings must build a connector: {e}"),
    }
}

/// The message of a settings error (`ConnectorError::Settings`), for tests of what a bad
/// setting says; panics on success or on any other error.
pub fn settings_error<T: std::fmt::Debug>(built: Result<T, ConnectorError>) -> String {
    match built {
        Err(e @ ConnectorError::Settings(_)) => e.to_string(),
        other => panic!("expected a settings error, got {other:?}"),
    }
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

type Make = Box<dyn Fn(&Target) -> Box<dyn Connector> + Send + Sync>;

/// Parses a stored checkpoint as a declared type and writes it back.
type RoundTrip = fn(&Value) -> Result<Value, String>;

fn round_trip<T: Serialize + DeserializeOwned>(v: &Value) -> Result<Value, String> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&t).map_err(|e| e.to_string())
}

/// The conformance run of one connector; see the [module docs](self).
pub struct Conformance {
    make: Make,
    fixtures: Fixtures,
    streams: Option<Vec<String>>,
    boundary_repeats: BTreeSet<String>,
    secret: String,
    auth_matching: bool,
    run_timeout: Duration,
    checkpoint_types: BTreeMap<String, RoundTrip>,
    kind: Option<&'static dyn registry::ConnectorKind>,
}

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
            checkpoint_types: BTreeMap::new(),
            kind: None,
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

    /// Checks that every checkpoint `stream` yields parses into `T` (the type its
    /// paginator declares) and writes back as stored (check 10).
    pub fn checkpoint_type<T: Serialize + DeserializeOwned>(mut self, stream: &str) -> Self {
        self.checkpoint_types
            .insert(stream.to_owned(), round_trip::<T>);
        self
    }

    /// Checks a connector kind's declaration too ([`registry::check_kind`]): reported under
    /// `registration`.
    pub fn kind(mut self, kind: &'static dyn registry::ConnectorKind) -> Self {
        self.kind = Some(kind);
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
        if let Some(kind) = self.kind {
            for problem in registry::check_kind(kind) {
                report.fail("*", "registration", problem);
            }
        }
        let mut used_pages = BTreeSet::new();
        for stream in &streams {
            let mut gathered = checks::Gathered {
                report: &mut report,
                errors: &mut errors,
                wire: &mut wire_credentials,
                used_pages: &mut used_pages,
            };
            self.check_stream(stream, &mut gathered).await;
        }
        if self.streams.is_none() && report.is_ok() {
            for (i, page) in self.fixtures.pages().iter().enumerate() {
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
}

#[cfg(test)]
mod tests;
