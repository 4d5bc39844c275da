//! What this process counts as it works, for `/metrics`: each stream sync it ran (count by
//! outcome, duration, records, last success, last error), each digest delivery it attempted
//! (by team, channel and outcome) and each report the server computed (duration).
//!
//! The storage holds what every process recorded (sync runs, freshness, the delivery log)
//! and `/metrics` reads it too; these counters add what storage does not keep — per-stream
//! counts and durations, failed deliveries — for the process that did the work. They live
//! in one process-wide [`Telemetry`] ([`telemetry`]), so the daemon's jobs report to it
//! without being handed a server, and they start at zero with the process, as Prometheus
//! counters do (`rate()` and `increase()` handle the reset).

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Histogram buckets of a stream sync, in seconds.
pub const SYNC_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];
/// Histogram buckets of a report computation, in seconds.
pub const REPORT_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Histogram buckets of a background walk over a team's past periods, in seconds.
pub const WARM_BUCKETS: &[f64] = &[0.1, 1.0, 5.0, 15.0, 60.0, 300.0];

/// How a stream's sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamResult<'a> {
    Ok {
        records: u64,
    },
    /// The text is stored and shown: the caller scrubs it of secrets first.
    Failed {
        error: &'a str,
    },
    /// Stopped by a shutdown after its last committed page.
    Cancelled,
}

/// How one channel's delivery of a digest ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeliveryOutcome {
    Sent,
    /// The delivery log says it went out before.
    AlreadySent,
    /// Claimed earlier and never confirmed: not sent again.
    InProgress,
    /// It may or may not have arrived (a timeout after sending, a 5xx).
    Uncertain,
    Failed,
}

impl DeliveryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Sent => "sent",
            DeliveryOutcome::AlreadySent => "already_sent",
            DeliveryOutcome::InProgress => "in_progress",
            DeliveryOutcome::Uncertain => "uncertain",
            DeliveryOutcome::Failed => "failed",
        }
    }
}

/// A cumulative histogram (Prometheus semantics: each bucket counts the observations at
/// or under its bound).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub bounds: &'static [f64],
    /// One count per bound (cumulative), then `+Inf` is `count`.
    pub buckets: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, seconds: f64) {
        for (b, bound) in self.buckets.iter_mut().zip(self.bounds) {
            if seconds <= *bound {
                *b += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// One stream's counters.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStats {
    /// Runs by outcome (`ok`, `failed`, `cancelled`).
    pub runs: BTreeMap<&'static str, u64>,
    pub records: u64,
    pub duration: Histogram,
    pub last_success: Option<DateTime<Utc>>,
    /// When and why the last failed run failed, if it failed after the last success.
    pub last_error: Option<(DateTime<Utc>, String)>,
}

/// A copy of the counters at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// By `(source, stream)`.
    pub streams: BTreeMap<(String, String), StreamStats>,
    /// By `(team, channel, outcome)`.
    pub deliveries: BTreeMap<(String, String, &'static str), u64>,
    /// Report computations by team.
    pub reports: BTreeMap<String, Histogram>,
    /// Background walks computing a team's past periods ahead of views, by team.
    pub warms: BTreeMap<String, Histogram>,
}

/// The process's counters (see the module docs).
#[derive(Debug, Default)]
pub struct Telemetry {
    state: Mutex<Snapshot>,
}

/// The process-wide [`Telemetry`].
pub fn telemetry() -> &'static Telemetry {
    static T: OnceLock<Telemetry> = OnceLock::new();
    T.get_or_init(Telemetry::default)
}

impl Telemetry {
    /// One stream sync of `source` ended after `took`.
    pub fn record_stream(
        &self,
        source: &str,
        stream: &str,
        took: Duration,
        result: StreamResult<'_>,
    ) {
        let Ok(mut s) = self.state.lock() else { return };
        let st = s
            .streams
            .entry((source.to_owned(), stream.to_owned()))
            .or_insert_with(|| StreamStats {
                runs: BTreeMap::new(),
                records: 0,
                duration: Histogram::new(SYNC_BUCKETS),
                last_success: None,
                last_error: None,
            });
        st.duration.observe(took.as_secs_f64());
        let outcome = match result {
            StreamResult::Ok { records } => {
                st.records += records;
                st.last_success = Some(Utc::now());
                st.last_error = None;
                "ok"
            }
            StreamResult::Failed { error } => {
                st.last_error = Some((Utc::now(), error.to_owned()));
                "failed"
            }
            StreamResult::Cancelled => "cancelled",
        };
        *st.runs.entry(outcome).or_insert(0) += 1;
    }

    /// One channel's delivery of `team`'s digest ended with `outcome`.
    pub fn record_delivery(&self, team: &str, channel: &str, outcome: DeliveryOutcome) {
        let Ok(mut s) = self.state.lock() else { return };
        *s.deliveries
            .entry((team.to_owned(), channel.to_owned(), outcome.as_str()))
            .or_insert(0) += 1;
    }

    /// The server computed `team`'s report (with its history) in `took`.
    pub fn record_report(&self, team: &str, took: Duration) {
        let Ok(mut s) = self.state.lock() else { return };
        observe(&mut s.reports, team, REPORT_BUCKETS, took);
    }

    /// The server computed `team`'s past periods ahead of views (one background walk) in
    /// `took`.
    pub fn record_warm(&self, team: &str, took: Duration) {
        let Ok(mut s) = self.state.lock() else { return };
        observe(&mut s.warms, team, WARM_BUCKETS, took);
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Observes `took` in `team`'s histogram of `by_team`, created with `bounds` on first use.
fn observe(
    by_team: &mut BTreeMap<String, Histogram>,
    team: &str,
    bounds: &'static [f64],
    took: Duration,
) {
    by_team
        .entry(team.to_owned())
        .or_insert_with(|| Histogram::new(bounds))
        .observe(took.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_streams_deliveries_and_reports() {
        let t = Telemetry::default();
        let s = Duration::from_millis(700);
        t.record_stream("zd", "tickets", s, StreamResult::Ok { records: 5 });
        t.record_stream("zd", "tickets", s, StreamResult::Failed { error: "boom" });
        t.record_stream("zd", "tickets", s, StreamResult::Ok { records: 2 });
        t.record_delivery("support", "slack", DeliveryOutcome::Sent);
        t.record_delivery("support", "slack", DeliveryOutcome::Sent);
        t.record_report("support", Duration::from_millis(30));
        t.record_warm("support", Duration::from_secs(3));
        let snap = t.snapshot();
        let st = &snap.streams[&("zd".to_owned(), "tickets".to_owned())];
        assert_eq!(st.runs["ok"], 2);
        assert_eq!(st.runs["failed"], 1);
        assert_eq!(st.records, 7);
        assert!(st.last_error.is_none(), "a success clears the last error");
        assert_eq!(st.duration.count, 3);
        assert_eq!(st.duration.buckets[1], 0); // ≤ 0.5 s
        assert_eq!(st.duration.buckets[2], 3); // ≤ 1 s
        assert_eq!(
            snap.deliveries[&("support".into(), "slack".into(), "sent")],
            2
        );
        assert_eq!(snap.reports["support"].buckets[1], 1);
        assert_eq!(snap.warms["support"].buckets, vec![0, 0, 1, 1, 1, 1]);
    }
}
