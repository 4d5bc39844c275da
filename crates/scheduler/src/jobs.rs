//! The work the daemon schedules, supplied by the caller (the CLI), so this crate depends
//! on storage and the model only, never on connectors, metrics or the digest.

use async_trait::async_trait;
use deskpulse_model::PeriodSpec;
use std::fmt;
use tokio_util::sync::CancellationToken;

/// What a sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Records committed.
    pub records: u64,
    /// It stopped early because `cancel` fired, after committing its current batch.
    pub cancelled: bool,
}

/// What a digest run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestOutcome {
    /// Channels the digest went to in this run.
    pub delivered: u64,
    /// Channels skipped because the delivery log says they already have it.
    pub already_sent: u64,
}

/// A digest to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRequest {
    pub team: String,
    /// The last complete period at the due instant (see the catch-up rule).
    pub period: PeriodSpec,
    /// The team's sources whose every sync failed during the period, with their last
    /// error: the digest shows them as a warning.
    pub failing_sources: Vec<(String, String)>,
}

/// Why a job failed: a message for the run record and the log (no secrets in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError(pub String);

impl JobError {
    pub fn new(message: impl fmt::Display) -> JobError {
        JobError(message.to_string())
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JobError {}

impl From<String> for JobError {
    fn from(s: String) -> JobError {
        JobError(s)
    }
}

/// The work itself. Implementations must be safe to call for different sources and teams
/// at once; the daemon never calls one job (one source, or one team's digest) twice at once.
#[async_trait]
pub trait Jobs: Send + Sync + 'static {
    /// Syncs every stream of `source` from its checkpoints. When `cancel` fires (shutdown),
    /// finish and commit the current batch, then return `Ok` with `cancelled: true`; the
    /// daemon waits for that up to its grace period (10 s by default).
    async fn sync_source(
        &self,
        source: &str,
        cancel: CancellationToken,
    ) -> Result<SyncOutcome, JobError>;

    /// Sends `request.team`'s digest of `request.period` to each of its channels not yet
    /// in the delivery log (claim each `(team, period, channel)` before sending).
    async fn send_digest(&self, request: DigestRequest) -> Result<DigestOutcome, JobError>;
}
