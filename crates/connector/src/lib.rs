//! deskpulse-connector: the connector SDK.
//!
//! A connector turns an external API into one [`BatchStream`] per stream: a batch per page,
//! each with the [`Checkpoint`] to resume after it. The SDK owns what every connector needs
//! and none should write twice: the HTTP client ([`http`]: auth, timeouts, retries with
//! backoff and jitter, `Retry-After`, a client-side rate limiter, secrets that never print,
//! a `tracing` span per request) and the sync runner ([`sync_stream`]), which resumes each
//! stream from its last committed checkpoint and hands every batch to a [`CheckpointStore`].
//!
//! Hostile servers are part of the design: every text that came from a vendor is scrubbed
//! of the client's secrets before it goes into an error or a log line ([`Scrubber`]), a
//! response body is read up to a cap, and a stream run is bounded ([`bounds`]: a cycling
//! cursor, the same page again, a page cap, a page request made twice, a time cursor past
//! now), each ending with [`ConnectorError::Malformed`] before anything past the last good
//! page is committed.
//!
//! A connector declares; the SDK owns the rest (see `docs/connectors.md`):
//! - settings: [`settings`] (URLs, page sizes, start dates, durations, keys from the serde
//!   derive, lenient reading of the CLI's JSON);
//! - auth: [`auth`] (Basic, Bearer, API key in a header or the query, OAuth2 client
//!   credentials and refresh tokens, App Store Connect and Google service-account JWTs);
//! - a paginator per stream: [`paginate`] (cursor, time window, page number, next URL),
//!   with typed checkpoints ([`CheckpointExt`]);
//! - rate budgets per endpoint group, shared by a source ([`ratelimit`]);
//! - registration: [`registry`] ([`ConnectorFactory`], listed as `&dyn ConnectorKind`; the
//!   connector itself an [`HttpConnector`], whose kind, streams and builders follow from it);
//! - Meta's Graph API, shared by the Facebook Page and Instagram connectors: [`meta_graph`];
//! - the conformance kit and the golden runner: `testkit` (feature `testkit`).
//!
//! `use deskpulse_connector::prelude::*;` brings what a connector's code names.
//!
//! **Architecture invariant:** connectors never touch storage. They yield batches; the
//! runner hands them to whatever implements [`CheckpointStore`] (the storage crate does).

pub mod auth;
pub mod bounds;
mod checkpoint;
pub mod clock;
pub mod http;
pub mod jwt;
pub mod meta_graph;
pub mod paginate;
pub mod prelude;
pub mod ratelimit;
pub mod registry;
mod runner;
mod scrub;
mod secret;
pub mod settings;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use bounds::{
    StreamRun, ensure_not_future, ensure_not_future_within, ensure_unix_not_future, not_future,
};
pub use checkpoint::{CheckpointExt, parse_optional};
pub use clock::Clock;
pub use deskpulse_model::{Batch, Checkpoint, Record};
pub use registry::{ConnectorFactory, ConnectorKind, HttpConnector, Opened};
pub use runner::{
    BACKFILL_SUFFIX, CheckpointStore, Leg, NoProgress, Progress, StreamLimits, StreamOutcome,
    SyncError, SyncOptions, legs, sync_stream, sync_stream_leg, sync_stream_with_limits,
};
pub use scrub::{REDACTED, Scrubber};
pub use secret::Secret;

use chrono::{DateTime, Utc};
use futures::Stream;
use std::fmt;
use std::pin::Pin;

/// The stream of pages a connector yields for one stream.
pub type BatchStream<'a> = Pin<Box<dyn Stream<Item = Result<Batch, ConnectorError>> + Send + 'a>>;

/// A stream a connector offers: its name (`tickets`, `ticket_events`, ...) and what it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpec {
    pub name: &'static str,
    pub description: &'static str,
}

impl StreamSpec {
    /// `StreamSpec::new("tickets", "tickets by update, …")`, for `STREAMS` lists.
    pub const fn new(name: &'static str, description: &'static str) -> Self {
        Self { name, description }
    }
}

/// A KPI that a connector's API cannot support honestly (Gorgias keeps no status history,
/// so it cannot tell a reopen). Each connector crate declares its limits in a `LIMITS`
/// constant; the report leaves the source's tickets out of those KPIs and says why, and a
/// KPI that no source of a team can support is `null` with `n = 0` and that note, never a
/// made-up zero. `kpi` is the KPI's key in the report JSON (`reopen_rate`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KpiLimit {
    pub kpi: &'static str,
    /// Why, in a sentence a manager understands ("Gorgias keeps no status history").
    pub reason: &'static str,
}

impl KpiLimit {
    /// `KpiLimit::new("reopen_rate", "… keeps no status history")`, for `LIMITS` lists.
    pub const fn new(kpi: &'static str, reason: &'static str) -> Self {
        Self { kpi, reason }
    }

    /// The five KPIs `deskpulse reconcile` compares, each with `reason`: the
    /// `UNRECONCILABLE` list of a vendor that keeps no per-ticket figures at all.
    pub const fn none_reconcilable(reason: &'static str) -> [KpiLimit; 5] {
        [
            KpiLimit::new("first_response_time", reason),
            KpiLimit::new("first_resolution_time", reason),
            KpiLimit::new("resolution_time", reason),
            KpiLimit::new("one_touch_resolution_rate", reason),
            KpiLimit::new("reopen_rate", reason),
        ]
    }
}

/// An external system, configured for one source.
pub trait Connector: Send + Sync {
    /// The kind, as written in `[[sources]] kind = "..."`.
    fn kind(&self) -> &'static str;
    /// The streams a sync reads, in the order it reads them.
    fn streams(&self) -> &'static [StreamSpec];
    /// Reads `stream` from `from` (its last committed checkpoint) or, when `None`, from the
    /// start of the history the settings ask for. Yields one batch per page read and ends
    /// when the API says the stream is exhausted (its end-of-stream flag, never merely an
    /// empty page). The last batch's checkpoint is where the next incremental sync starts.
    fn read<'a>(&'a self, stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a>;

    /// Caps one response body at `max` bytes (a source's `max_body_mb`); a connector that
    /// reads no HTTP ignores it. [`HttpConnector`]s set it on their client.
    fn set_max_body_bytes(&mut self, _max: u64) {}

    /// How long the vendor takes before a change shows in `stream` (Zendesk's incremental
    /// exports leave out the last minute): a sync that started at `t` and read the stream
    /// to its end has everything up to `t - settle`. Data freshness ("complete through")
    /// is measured so; a stream whose API shows changes at once keeps the default, zero.
    fn settle(&self, _stream: &str) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// The checkpoint from which `stream` reads only what happened since `at`: where a
    /// first sync begins when it reads the recent window first ([`Leg::Recent`]), leaving
    /// the history before `at` to a backfill ([`Leg::Backfill`]). `None` (the default): the
    /// stream cannot begin at an instant, or `at` is before the history the settings ask
    /// for, and a first sync reads it whole.
    fn start_at(&self, _stream: &str, _at: DateTime<Utc>) -> Option<Checkpoint> {
        None
    }

    /// How far in time a checkpoint of `stream` got: every item before the instant has been
    /// read. A backfill stops after the first page whose checkpoint reached the window's
    /// start. `None` (the default): not known, and a backfill reads on to the stream's end.
    fn reached(&self, _stream: &str, _checkpoint: &Checkpoint) -> Option<DateTime<Utc>> {
        None
    }
}

/// What can go wrong while reading an external API. Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// 401 or 403: the token, key or e-mail is wrong or lacks permission.
    #[error("the credentials were rejected (HTTP {status} on {endpoint})")]
    Unauthorized { status: u16, endpoint: String },
    /// A non-retryable status, or a retryable one that did not clear after every retry.
    #[error("HTTP {status} on {endpoint} after {attempts} attempt(s): {detail}")]
    Http {
        status: u16,
        endpoint: String,
        attempts: u32,
        detail: String,
    },
    /// The server could not be reached, or the connection broke, after every retry.
    #[error("could not reach {endpoint} after {attempts} attempt(s): {detail}")]
    Transport {
        endpoint: String,
        attempts: u32,
        detail: String,
    },
    /// The response was not what the API documents (bad JSON, a missing field, a cursor
    /// that does not move): an error, never a silently shortened sync.
    #[error("malformed response from {endpoint}: {detail}")]
    Malformed { endpoint: String, detail: String },
    #[error("unknown stream {stream:?} (this connector has: {known})")]
    UnknownStream { stream: String, known: String },
    /// The settings cannot work (a bad `base_url`, say).
    #[error("invalid settings: {0}")]
    Settings(String),
}

impl ConnectorError {
    /// Whether the error says the credentials are wrong (the user must fix the config).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ConnectorError::Unauthorized { .. })
    }

    /// The same error with every text field passed through `scrubber` (see [`Scrubber`]).
    /// The HTTP client does this to every error it makes; call it (or
    /// [`http::HttpClient::scrub_error`]) on an error you build from a vendor's text.
    pub fn scrubbed(self, scrubber: &Scrubber) -> Self {
        let s = |t: String| scrubber.scrub(&t);
        match self {
            ConnectorError::Unauthorized { status, endpoint } => ConnectorError::Unauthorized {
                status,
                endpoint: s(endpoint),
            },
            ConnectorError::Http {
                status,
                endpoint,
                attempts,
                detail,
            } => ConnectorError::Http {
                status,
                endpoint: s(endpoint),
                attempts,
                detail: s(detail),
            },
            ConnectorError::Transport {
                endpoint,
                attempts,
                detail,
            } => ConnectorError::Transport {
                endpoint: s(endpoint),
                attempts,
                detail: s(detail),
            },
            ConnectorError::Malformed { endpoint, detail } => ConnectorError::Malformed {
                endpoint: s(endpoint),
                detail: s(detail),
            },
            ConnectorError::UnknownStream { stream, known } => ConnectorError::UnknownStream {
                stream: s(stream),
                known,
            },
            ConnectorError::Settings(m) => ConnectorError::Settings(s(m)),
        }
    }

    /// A response that is not what the API documents (one spelling for every connector):
    /// `endpoint` is the path (or what was being read), `detail` says what is wrong.
    pub fn malformed(endpoint: impl Into<String>, detail: impl Into<String>) -> Self {
        ConnectorError::Malformed {
            endpoint: endpoint.into(),
            detail: detail.into(),
        }
    }

    /// A setting that cannot work: the message starts with the key in backticks and goes on
    /// with `detail` (``settings("page_size", "must be between 1 and 100, got 0")`` reads
    /// "`page_size` must be between 1 and 100, got 0"), so [`ConnectorError::setting_key`]
    /// can tell the registry which key to name.
    pub fn settings(key: &str, detail: impl fmt::Display) -> Self {
        ConnectorError::Settings(format!("`{key}` {detail}"))
    }

    /// The key a [`ConnectorError::Settings`] message names first (see
    /// [`ConnectorError::settings`]), if it starts with one.
    pub fn setting_key(&self) -> Option<&str> {
        let ConnectorError::Settings(m) = self else {
            return None;
        };
        let rest = m.strip_prefix('`')?;
        let key = &rest[..rest.find('`')?];
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
        plain.then_some(key)
    }

    /// A stored checkpoint this connector cannot resume from: names the stream, what was
    /// expected and what was found, and says how to start over.
    pub fn bad_checkpoint(
        stream: &str,
        got: &serde_json::Value,
        expected: impl fmt::Display,
    ) -> Self {
        ConnectorError::Malformed {
            endpoint: format!("the checkpoint of stream `{stream}`"),
            detail: format!(
                "expected {expected}, got {}; run a full sync (`--full`) to start over",
                bounds::show(got)
            ),
        }
    }

    /// The error for a stream name the connector does not have.
    pub fn unknown_stream(stream: &str, specs: &[StreamSpec]) -> Self {
        ConnectorError::UnknownStream {
            stream: stream.to_owned(),
            known: specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
        }
    }
}
