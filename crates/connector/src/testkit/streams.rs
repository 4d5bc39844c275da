//! Helpers for a connector's own tests: read a stream to its end, take its records and
//! checkpoints apart, check resumes, build the `Authorization` value an API expects.

use crate::bounds::{DEFAULT_MAX_PAGES, RunGuard, StreamRun};
use crate::{Batch, Checkpoint, Connector, ConnectorError, Record};
use base64::Engine as _;
use futures::StreamExt;
use serde_json::Value;

/// Every batch until the end of the stream, or the batches before the first error and it.
/// Read as [`crate::sync_stream`] reads it: inside a [`StreamRun`] of source `test` (so
/// [`HttpClient::get_page_json`](crate::http::HttpClient::get_page_json) refuses a page
/// request made twice) and through the runner's guard (a cycling checkpoint, the same page
/// again, or more than [`DEFAULT_MAX_PAGES`] pages end it with `Malformed`).
pub async fn read<C: Connector + ?Sized>(
    connector: &C,
    stream: &str,
    from: Option<Checkpoint>,
) -> (Vec<Batch>, Option<ConnectorError>) {
    let run = StreamRun::new("test", stream);
    let mut guard = RunGuard::new("test", stream, DEFAULT_MAX_PAGES);
    let mut pages = connector.read(stream, from);
    let mut out = Vec::new();
    while let Some(item) = run.scope(pages.next()).await {
        match item {
            Ok(b) => match guard.admit(&b) {
                Ok(()) => out.push(b),
                Err((_, e)) => return (out, Some(run.scrub_error(e))),
            },
            Err(e) => return (out, Some(run.scrub_error(e))),
        }
    }
    (out, None)
}

/// Every batch of a stream that must end `Ok`; panics naming the stream and the error.
pub async fn read_ok<C: Connector + ?Sized>(
    connector: &C,
    stream: &str,
    from: Option<Checkpoint>,
) -> Vec<Batch> {
    let (batches, err) = read(connector, stream, from).await;
    if let Some(e) = err {
        panic!(
            "{stream}: unexpected error after {} batches: {e}",
            batches.len()
        );
    }
    batches
}

/// The records of the batches, in order.
pub fn records(batches: &[Batch]) -> Vec<Record> {
    batches.iter().flat_map(|b| b.records.clone()).collect()
}

/// The checkpoint value of each batch, in order.
pub fn checkpoints(batches: &[Batch]) -> Vec<Value> {
    batches
        .iter()
        .map(|b| b.checkpoint.value().clone())
        .collect()
}

/// Resuming from each batch's checkpoint (the last one included) yields exactly the records
/// of the batches after it, in the same order.
pub async fn assert_resumes_exactly<C: Connector + ?Sized>(
    connector: &C,
    stream: &str,
    batches: &[Batch],
) {
    assert_resumes_from(connector, stream, batches, batches.len()).await;
}

/// Like [`assert_resumes_exactly`], from the checkpoint of every batch but the last (the
/// last checkpoint starts the next sync, which may look back).
pub async fn assert_resumes_exactly_mid_pass<C: Connector + ?Sized>(
    connector: &C,
    stream: &str,
    batches: &[Batch],
) {
    assert_resumes_from(connector, stream, batches, batches.len().saturating_sub(1)).await;
}

async fn assert_resumes_from<C: Connector + ?Sized>(
    connector: &C,
    stream: &str,
    batches: &[Batch],
    first_n: usize,
) {
    for (i, b) in batches.iter().enumerate().take(first_n) {
        let resumed = read_ok(connector, stream, Some(b.checkpoint.clone())).await;
        assert_eq!(
            records(&resumed),
            records(&batches[i + 1..]),
            "{stream}: resuming from checkpoint {} of batch {i}",
            b.checkpoint.value()
        );
    }
}

/// The `Authorization` value of HTTP Basic auth: `Basic ` and base64 of `user:password`.
pub fn basic_auth_header(user: &str, password: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {b64}")
}

/// Panics unless `err` is [`ConnectorError::Http`] with `status`, reported after `attempts`
/// attempts (retried, then given up).
#[track_caller]
pub fn assert_http_error(err: &Option<ConnectorError>, status: u16, attempts: u32) {
    assert!(
        matches!(
            err,
            Some(ConnectorError::Http { status: s, attempts: a, .. }) if *s == status && *a == attempts
        ),
        "expected ConnectorError::Http {{ status: {status}, attempts: {attempts} }}, got {err:?}"
    );
}

/// Panics unless `err` is [`ConnectorError::Malformed`] at exactly `endpoint`, its detail
/// containing `detail_part`.
#[track_caller]
pub fn assert_malformed(err: &Option<ConnectorError>, endpoint: &str, detail_part: &str) {
    match err {
        Some(ConnectorError::Malformed {
            endpoint: got,
            detail,
        }) => {
            assert_eq!(got, endpoint);
            assert!(detail.contains(detail_part), "{detail}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

/// Panics unless each `(stream, stored)` checkpoint is refused before any page: `Malformed`
/// at `the checkpoint of stream …`, with the `--full` hint.
pub async fn assert_refuses_checkpoints<C: Connector + ?Sized>(
    connector: &C,
    cases: &[(&str, Value)],
) {
    for (stream, stored) in cases {
        let (batches, err) = read(connector, stream, Some(Checkpoint::new(stored.clone()))).await;
        assert!(batches.is_empty(), "{stream} {stored}: {batches:?}");
        let at = format!("the checkpoint of stream `{stream}`");
        assert_malformed(&err, &at, "--full");
    }
}

/// Panics unless reading `stream` fails at once with [`ConnectorError::UnknownStream`]
/// naming it and listing the `known` ones (`"users, tickets"`).
pub async fn assert_unknown_stream<C: Connector + ?Sized>(
    connector: &C,
    stream: &str,
    known: &str,
) {
    let (batches, err) = read(connector, stream, None).await;
    assert!(batches.is_empty(), "{stream}: {batches:?}");
    match err {
        Some(ConnectorError::UnknownStream {
            stream: named,
            known: listed,
        }) => assert_eq!((named.as_str(), listed.as_str()), (stream, known)),
        other => panic!("{stream}: expected UnknownStream, got {other:?}"),
    }
}
