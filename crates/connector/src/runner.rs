//! The sync runner: one stream, from its last committed checkpoint to the end of the stream.

use crate::{Batch, Checkpoint, Connector, ConnectorError};
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
/// committed; the next run resumes after the last of them.
pub async fn sync_stream<S: CheckpointStore>(
    connector: &dyn Connector,
    source: &str,
    stream: &str,
    store: &S,
    opts: &SyncOptions,
    progress: &dyn Progress,
) -> Result<StreamOutcome, SyncError> {
    let span = tracing::info_span!("sync_stream", source, stream, kind = connector.kind());
    async move {
        let from = if opts.full {
            None
        } else {
            store
                .checkpoint(source, stream)
                .await
                .map_err(|e| SyncError::Store(Box::new(e)))?
        };
        tracing::debug!(resume = from.is_some(), "stream start");
        let mut pages = connector.read(stream, from);
        let mut outcome = StreamOutcome::default();
        while let Some(batch) = pages.next().await {
            let batch = batch?;
            store
                .commit(source, stream, &batch)
                .await
                .map_err(|e| SyncError::Store(Box::new(e)))?;
            outcome.batches += 1;
            outcome.records += batch.records.len() as u64;
            progress.batch_committed(stream, batch.records.len());
        }
        tracing::info!(
            batches = outcome.batches,
            records = outcome.records,
            "stream done"
        );
        Ok(outcome)
    }
    .instrument(span)
    .await
}
