//! How fresh and how final a source's data is: what storage knows of each source's syncs
//! (read by the metrics crate, which judges it against a period), and what storage knows of
//! the data that arrived or went after a digest was sent (the causes of a restatement).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One source's sync state, over all of its streams.
///
/// A stream is complete through `t` when a sync that started at `t + settle` read it to its
/// end (`settle` is the vendor's own delay, e.g. Zendesk's incremental exports leave out the
/// last minute). A source is complete through the earliest of its streams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFreshness {
    /// The `[[sources]]` name.
    pub source: String,
    /// Every stream complete through this instant; `None` while a stream has never been
    /// read to its end (or the source never synced).
    pub complete_through: Option<DateTime<Utc>>,
    /// When the source's streams last all succeeded: the earliest of their last successes.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The error of the latest failed stream run, when it failed after its last success.
    pub last_error: Option<String>,
    /// Since when the source has been failing: the first failure after the last success
    /// of a stream that has not succeeded since. `None` when no stream is failing.
    pub failing_since: Option<DateTime<Utc>>,
    /// Streams never read to their end, by name (a first sync still running, or failing).
    #[serde(default)]
    pub incomplete_streams: Vec<String>,
    /// A first sync read the recent window first and the history before this instant is
    /// still being backfilled: data is complete only from here on (the latest window start
    /// of the source's streams). `None` once every stream's whole history is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_from: Option<DateTime<Utc>>,
    /// The streams still backfilling the history before `complete_from`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backfilling_streams: Vec<String>,
}

impl SourceFreshness {
    /// Whether every stream of the source is complete through `t` (a period's end): the
    /// one rule of completeness, shared by the report and the daemon's digest hold.
    pub fn is_complete_through(&self, t: DateTime<Utc>) -> bool {
        self.complete_through.is_some_and(|c| c >= t)
    }

    /// Whether the period `[start, end)` is complete: complete through `end`, and no older
    /// history still to backfill that its figures depend on — the window began at or
    /// before `start` and none of the period's tickets (`opened_before_window`: tickets
    /// with activity in the period, opened before the window's start) lacks its early
    /// events. The rule the report and the daemon's digest hold share.
    pub fn is_complete_for(
        &self,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        opened_before_window: u64,
    ) -> bool {
        self.is_complete_through(end)
            && self
                .complete_from
                .is_none_or(|from| from <= start && opened_before_window == 0)
    }

    /// A source that has never synced (no stream known).
    pub fn never_synced(source: impl Into<String>) -> SourceFreshness {
        SourceFreshness {
            source: source.into(),
            complete_through: None,
            last_success_at: None,
            last_error: None,
            failing_since: None,
            incomplete_streams: Vec::new(),
            complete_from: None,
            backfilling_streams: Vec::new(),
        }
    }
}

/// The headline figures a digest told a team about one period, as the report gives them
/// (`ticket_volume`, `first_response_time.median_seconds`, ...), and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToldFigures {
    /// `2026-W46`.
    pub period: String,
    pub told_at: DateTime<Utc>,
    pub values: BTreeMap<String, f64>,
}

/// What reached or left storage after an instant, among the facts of one period: the
/// causes a restatement names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateChanges {
    /// Tickets created in the period that were first stored after the instant (created
    /// late at the vendor, backfilled, or imported late).
    pub late_tickets: u64,
    /// Tickets created in the period that became deleted, merged or spam after the instant
    /// (or went missing from the vendor's list of tickets).
    pub removed_tickets: u64,
    /// Ratings (CSAT, NPS, CES) of the period first stored after the instant (answered or
    /// synced late).
    pub late_ratings: u64,
}
