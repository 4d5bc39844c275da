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
    /// The start of the recent window a first sync of `stream` read first, while the
    /// history before it is still to be backfilled; `None` once the whole history is read
    /// (or when it never was windowed).
    fn window_start(
        &self,
        source: &str,
        stream: &str,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, Self::Error>> + Send;
    /// Records the window's start (before the recent leg's first page, so a killed first
    /// sync resumes the same window) or, with `None`, that the backfill reached it.
    fn set_window_start(
        &self,
        source: &str,
        stream: &str,
        start: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// The suffix of the checkpoint key a stream's backfill keeps its own position under
/// (`ticket_events#backfill`), apart from the stream's, which goes on from the window.
pub const BACKFILL_SUFFIX: &str = "#backfill";

/// Which part of a stream's history one run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// From the stored checkpoint to the end of the stream. A first sync (no checkpoint, not
    /// `full`) of a stream that can begin at an instant ([`Connector::start_at`]) with a
    /// `window` reads only the window, `now - window` onwards, and leaves the history before
    /// it to [`Leg::Backfill`]; its data is complete from the window's start meanwhile.
    Recent { window: Option<chrono::Duration> },
    /// The history before the window's start, under its own checkpoint (`stream` +
    /// [`BACKFILL_SUFFIX`]), resumable like any stream; nothing to do when no window is
    /// pending. Stops after the page that reached the window's start
    /// ([`Connector::reached`]), or at the stream's end.
    Backfill,
}

impl Leg {
    /// The key this leg of `stream` keeps its checkpoint under (and tells [`Progress`]):
    /// the stream's name, or for the backfill the name and [`BACKFILL_SUFFIX`].
    pub fn checkpoint_key(self, stream: &str) -> String {
        match self {
            Leg::Recent { .. } => stream.to_owned(),
            Leg::Backfill => format!("{stream}{BACKFILL_SUFFIX}"),
        }
    }

    /// `recent` or `backfill`, for logs and spans.
    pub fn name(self) -> &'static str {
        match self {
            Leg::Recent { .. } => "recent",
            Leg::Backfill => "backfill",
        }
    }
}

/// The order a sync reads a connector's streams in: every stream's recent leg, in the
/// connector's order, then every stream's backfill, so reports of the recent window are
/// ready before any older history is read.
pub fn legs<'a>(
    streams: &'a [crate::StreamSpec],
    window: Option<chrono::Duration>,
) -> impl Iterator<Item = (&'a str, Leg)> + 'a {
    let recent = streams
        .iter()
        .map(move |s| (s.name, Leg::Recent { window }));
    let backfill = streams.iter().map(|s| (s.name, Leg::Backfill));
    recent.chain(backfill)
}

/// Told of every committed batch (progress bars, log lines).
pub trait Progress: Send + Sync {
    /// `key` is the stream's name, or for its backfill the name and [`BACKFILL_SUFFIX`]
    /// (`ticket_events#backfill`): the key its checkpoint is kept under.
    fn batch_committed(&self, key: &str, records: usize);
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
    let leg = Leg::Recent { window: None };
    sync_stream_leg(
        connector, source, stream, store, opts, limits, leg, progress,
    )
    .await
}

/// One [`Leg`] of one stream (see [`sync_stream_with_limits`], which is the recent leg
/// without a window). A leg read to its end records the stream's freshness: the recent leg
/// "complete through" the run's start less the vendor's delay, the backfill that the window
/// is no more.
#[allow(clippy::too_many_arguments)]
pub async fn sync_stream_leg<S: CheckpointStore>(
    connector: &dyn Connector,
    source: &str,
    stream: &str,
    store: &S,
    opts: &SyncOptions,
    limits: &StreamLimits,
    leg: Leg,
    progress: &dyn Progress,
) -> Result<StreamOutcome, SyncError> {
    let span = tracing::info_span!(
        "sync_stream",
        source,
        stream,
        kind = connector.kind(),
        leg = leg.name()
    );
    async move {
        let started_at = Utc::now();
        // Whether this run reads the stream from the start of its history.
        let mut whole = false;
        let result = match leg {
            Leg::Recent { window } => {
                let start = recent_start(connector, source, stream, store, opts, window).await?;
                whole = start.is_none();
                let pages = Pages {
                    stream,
                    key: stream,
                    until: None,
                };
                let run = read_pages(connector, source, pages, store, start, limits, progress);
                Box::pin(run).await
            }
            Leg::Backfill => backfill(connector, source, stream, store, limits, progress).await,
        };
        match &result {
            Ok(_) if leg == Leg::Backfill => {}
            Ok(_) => {
                let settle = chrono::Duration::from_std(connector.settle(stream))
                    .unwrap_or(chrono::Duration::zero());
                store
                    .stream_complete(source, stream, started_at - settle, Utc::now())
                    .await
                    .map_err(store_err)?;
                if whole {
                    // The whole history was read (`--full`, or a window given up): no
                    // backfill is pending any more.
                    store
                        .set_window_start(source, stream, None)
                        .await
                        .map_err(store_err)?;
                }
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

fn store_err<E: StdError + Send + Sync + 'static>(e: E) -> SyncError {
    SyncError::Store(Box::new(e))
}

/// Where the recent leg begins: the stored checkpoint; on a first sync with a window, the
/// window's start (the one a killed first sync recorded, else `now - window`), recorded
/// before any page; otherwise the start of the history.
async fn recent_start<S: CheckpointStore>(
    connector: &dyn Connector,
    source: &str,
    stream: &str,
    store: &S,
    opts: &SyncOptions,
    window: Option<chrono::Duration>,
) -> Result<Option<Checkpoint>, SyncError> {
    if opts.full {
        return Ok(None);
    }
    let stored = store.checkpoint(source, stream).await.map_err(store_err)?;
    let Some(window) = window.filter(|_| stored.is_none()) else {
        return Ok(stored);
    };
    let pending = store
        .window_start(source, stream)
        .await
        .map_err(store_err)?;
    let at = pending.unwrap_or_else(|| Utc::now() - window);
    let Some(start) = connector.start_at(stream, at) else {
        return Ok(None);
    };
    if pending.is_none() {
        store
            .set_window_start(source, stream, Some(at))
            .await
            .map_err(store_err)?;
    }
    tracing::info!(window_start = %at, "first sync: the recent window first");
    Ok(Some(start))
}

/// The backfill leg: the stream from its backfill checkpoint (or the start of the history)
/// until a page reaches the window's start, committed under the backfill's own key.
async fn backfill<S: CheckpointStore>(
    connector: &dyn Connector,
    source: &str,
    stream: &str,
    store: &S,
    limits: &StreamLimits,
    progress: &dyn Progress,
) -> Result<StreamOutcome, SyncError> {
    let Some(until) = store
        .window_start(source, stream)
        .await
        .map_err(store_err)?
    else {
        return Ok(StreamOutcome::default());
    };
    let key = Leg::Backfill.checkpoint_key(stream);
    let from = store.checkpoint(source, &key).await.map_err(store_err)?;
    tracing::info!(window_start = %until, resume = from.is_some(), "backfill");
    let reached = |cp: &Checkpoint| connector.reached(stream, cp).is_some_and(|r| r >= until);
    let outcome = match from.as_ref().is_some_and(&reached) {
        // Killed between its last page and recording the end.
        true => StreamOutcome::default(),
        false => {
            let pages = Pages {
                stream,
                key: &key,
                until: Some(&reached),
            };
            let run = read_pages(connector, source, pages, store, from, limits, progress);
            Box::pin(run).await?
        }
    };
    store
        .set_window_start(source, stream, None)
        .await
        .map_err(store_err)?;
    Ok(outcome)
}

/// The stream a run reads, the checkpoint key it commits under, and where it stops early.
struct Pages<'a> {
    stream: &'a str,
    key: &'a str,
    until: Option<&'a (dyn Fn(&Checkpoint) -> bool + Sync)>,
}

/// The run itself: from the checkpoint to the end of `pages.stream`, a commit per page under
/// `pages.key`, in order, ending early after the first committed page whose checkpoint
/// satisfies `pages.until` (no page is read ahead of that one: the backfill asks for nothing
/// past the window's start).
///
/// One page ahead: page n+1 is fetched and parsed while page n commits, so a sync takes
/// about the longer of reading and writing rather than their sum. Never further: a page is
/// admitted by the guard and committed only after every page before it committed, and a
/// failed commit drops the page read ahead (its request may have been made, its records are
/// never written), so the stored checkpoint is still the last committed page's.
///
/// Callers box it: the page loop is a deep future, and their own futures (a test's whole
/// golden run, say) would otherwise carry its layout and pass the compiler's depth limit.
async fn read_pages<S: CheckpointStore>(
    connector: &dyn Connector,
    source: &str,
    pages_of: Pages<'_>,
    store: &S,
    from: Option<Checkpoint>,
    limits: &StreamLimits,
    progress: &dyn Progress,
) -> Result<StreamOutcome, SyncError> {
    let Pages { stream, key, until } = pages_of;
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
        let commit = async { store.commit(source, key, &batch).await.map_err(store_err) };
        let last = until.is_some_and(|u| u(&batch.checkpoint));
        // The fetch cannot fail here: its error, if any, is the next page's, handled after
        // this page committed (as it would have been without the read-ahead).
        let fetch = async {
            match last {
                true => Ok(None),
                false => Ok(run.scope(pages.next()).await),
            }
        };
        // A failed commit ends the join at once, dropping the fetch.
        let ((), ahead) = futures::future::try_join(commit, fetch).await?;
        outcome.batches += 1;
        outcome.records += batch.records.len() as u64;
        progress.batch_committed(key, batch.records.len());
        next = ahead;
    }
    tracing::info!(
        batches = outcome.batches,
        records = outcome.records,
        "stream done"
    );
    Ok(outcome)
}
