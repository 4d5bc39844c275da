//! The sync runner: one stream, from its last committed checkpoint to the end of the stream,
//! with bounded work (see [`crate::bounds`]): a run whose paging cycles, serves the same page
//! again, or passes its page cap ends with [`ConnectorError::Malformed`] before the page that
//! shows it is committed.

use crate::bounds::{DEFAULT_MAX_PAGES, RunGuard, StreamRun};
use crate::{Batch, Checkpoint, Connector, ConnectorError};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use std::error::Error as StdError;
use std::future::Future;
use tracing::Instrument;

/// Where batches go. The storage crate implements it: `commit` writes the records and the
/// checkpoint in one transaction, so a crash at any point loses nothing and doubles nothing.
pub trait CheckpointStore: Send + Sync {
    type Error: StdError + Send + Sync + 'static;
    fn checkpoint(
        &self,
        source: &str,
        stream: &str,
    ) -> impl Future<Output = Result<Option<Checkpoint>, Self::Error>> + Send;
    fn commit(
        &self,
        source: &str,
        stream: &str,
        batch: &Batch,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// The stream was read to its end by a run that started at `started_at`: its data is
    /// complete through `through` (`started_at` less the connector's
    /// [`settle`](Connector::settle)). Storage keeps the latest such instant per stream.
    fn stream_complete(
        &self,
        source: &str,
        stream: &str,
        through: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// The stream's run failed with `error` (already scrubbed of secrets) at `at`; what it
    /// committed before stays committed.
    fn stream_failed(
        &self,
        source: &str,
        stream: &str,
        error: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Told of every committed batch (progress bars, log lines).
pub trait Progress: Send + Sync {
    fn batch_committed(&self, stream: &str, records: usize);
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {
    fn batch_committed(&self, _stream: &str, _records: usize) {}
}

#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Ignore the stored checkpoint and read the whole history again (upserts make it safe).
    pub full: bool,
}

/// The bounds of one stream run, per source. A separate type rather than a field of
/// [`SyncOptions`]: callers build `SyncOptions { full }` literally, and a new field would
/// break them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLimits {
    /// The most pages (batches) one run commits; the next page fails the run with
    /// [`ConnectorError::Malformed`], and the next sync resumes after the last one committed.
    pub max_pages: u64,
}

impl Default for StreamLimits {
    /// [`DEFAULT_MAX_PAGES`] pages.
    fn default() -> Self {
        Self {
            max_pages: DEFAULT_MAX_PAGES,
        }
    }
}

/// What one stream's sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamOutcome {
    pub batches: u64,
    pub records: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error("storage failed: {0}")]
    Store(Box<dyn StdError + Send + Sync>),
}

/// Syncs one stream of `connector` into `store` under `source`: resumes from the stored
/// checkpoint (unless `opts.full`), commits every batch with its checkpoint, and stops at
/// the end of the stream or at the first error. Batches committed before an error stay
/// committed; the next run resumes after the last of them. Bounded by the default
/// [`StreamLimits`]; see [`sync_stream_with_limits`].
pub async fn sync_stream<S: CheckpointStore>(
    connector: &dyn Connector,
    source: &str,
    stream: &str,
    store: &S,
    opts: &SyncOptions,
    progress: &dyn Progress,
) -> Result<StreamOutcome, SyncError> {
    sync_stream_with_limits(
        connector,
        source,
        stream,
        store,
        opts,
        &StreamLimits::default(),
        progress,
    )
    .await
}

/// [`sync_stream`] with the source's own [`StreamLimits`]. The run is a [`StreamRun`] the
/// HTTP client sees (so it refuses a page request made twice), and every batch passes the
/// run's guard before it is committed: a checkpoint that comes back after others (a cycling
/// cursor), the same page again, or one page past `limits.max_pages` ends the run with
/// [`ConnectorError::Malformed`] naming the source, the stream and what repeated, and
/// leaves the last good page's checkpoint in the store.
pub async fn sync_stream_with_limits<S: CheckpointStore>(
    connector: &dyn Connector,
    source: &str,
    stream: &str,
    store: &S,
    opts: &SyncOptions,
    limits: &StreamLimits,
    progress: &dyn Progress,
) -> Result<StreamOutcome, SyncError> {
    let span = tracing::info_span!("sync_stream", source, stream, kind = connector.kind());
    async move {
        let started_at = Utc::now();
        let result = read_to_end(connector, source, stream, store, opts, limits, progress).await;
        match &result {
            Ok(_) => {
                let settle = chrono::Duration::from_std(connector.settle(stream))
                    .unwrap_or(chrono::Duration::zero());
                store
                    .stream_complete(source, stream, started_at - settle, Utc::now())
                    .await
                    .map_err(|e| SyncError::Store(Box::new(e)))?;
            }
            // A storage failure is not the stream's: recording it would likely fail too.
            Err(SyncError::Store(_)) => {}
            Err(SyncError::Connector(e)) => {
                if let Err(e) = store
                    .stream_failed(source, stream, &e.to_string(), Utc::now())
                    .await
                {
                    tracing::warn!(error = %e, "could not record the stream's failure");
                }
            }
        }
        result
    }
    .instrument(span)
    .await
}

/// The run itself: from the checkpoint to the end of the stream, a commit per page, in order.
///
/// One page ahead: page n+1 is fetched and parsed while page n commits, so a sync takes
/// about the longer of reading and writing rather than their sum. Never further: a page is
/// admitted by the guard and committed only after every page before it committed, and a
/// failed commit drops the page read ahead (its request may have been made, its records are
/// never written), so the stored checkpoint is still the last committed page's.
async fn read_to_end<S: CheckpointStore>(
    connector: &dyn Connector,
    source: &str,
    stream: &str,
    store: &S,
    opts: &SyncOptions,
    limits: &StreamLimits,
    progress: &dyn Progress,
) -> Result<StreamOutcome, SyncError> {
    let from = if opts.full {
        None
    } else {
        store
            .checkpoint(source, stream)
            .await
            .map_err(|e| SyncError::Store(Box::new(e)))?
    };
    tracing::debug!(resume = from.is_some(), "stream start");
    let run = StreamRun::new(source, stream);
    let mut guard = RunGuard::new(source, stream, limits.max_pages);
    let mut pages = connector.read(stream, from);
    let mut outcome = StreamOutcome::default();
    let mut next = run.scope(pages.next()).await;
    while let Some(batch) = next {
        // A connector's own error may quote a vendor's text (a value its mapping
        // refused): scrubbed of every secret of the run's clients, like theirs.
        let batch = batch.map_err(|e| run.scrub_error(e))?;
        if let Err((stop, err)) = guard.admit(&batch) {
            let err = run.scrub_error(err);
            tracing::warn!(?stop, pages = guard.pages(), "stream run stopped: {err}");
            return Err(err.into());
        }
        let commit = async {
            store
                .commit(source, stream, &batch)
                .await
                .map_err(|e| SyncError::Store(Box::new(e)))
        };
        // The fetch cannot fail here: its error, if any, is the next page's, handled after
        // this page committed (as it would have been without the read-ahead).
        let fetch = async { Ok(run.scope(pages.next()).await) };
        // A failed commit ends the join at once, dropping the fetch.
        let ((), ahead) = futures::future::try_join(commit, fetch).await?;
        outcome.batches += 1;
        outcome.records += batch.records.len() as u64;
        progress.batch_committed(stream, batch.records.len());
        next = ahead;
    }
    tracing::info!(
        batches = outcome.batches,
        records = outcome.records,
        "stream done"
    );
    Ok(outcome)
}
