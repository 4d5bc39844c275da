//! `/metrics` in the Prometheus text exposition format (version 0.0.4).
//!
//! Two kinds of series:
//! * **read from storage** on each scrape, the same from every process on the database:
//!   per source its freshness (last success, complete through, failing since, the last
//!   error, streams never read to the end: what every sync records, `Store::freshness`)
//!   and the daemon's last sync run (start, duration, records, outcome); per team and
//!   channel the digest delivery log (periods delivered or claimed, the last delivery);
//!   whether the database answers.
//! * **counted by this process** ([`crate::telemetry`]): each stream sync it ran (runs by
//!   outcome, records, a duration histogram, last success, last error), each digest
//!   delivery it attempted by outcome, each report the server computed (a duration
//!   histogram). They are there when the server runs inside `deskpulse run`, which does the
//!   syncing; `deskpulse serve` alone counts its report computations only.
//!
//! Error texts become label values: scrubbed of every configured secret, cut, and escaped.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use deskpulse_digest::escape::truncate;
use deskpulse_storage::{DeliveryState, RunOutcome, Store, sync_job};

use crate::source::TeamInfo;
use crate::telemetry::{Histogram, Snapshot};

/// The longest error text in a label.
const ERROR_CHARS: usize = 200;

/// The exposition's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

struct Out {
    text: String,
    declared: BTreeSet<String>,
}

fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        if self.declared.insert(name.to_owned()) {
            let _ = writeln!(self.text, "# HELP {name} {help}");
            let _ = writeln!(self.text, "# TYPE {name} {kind}");
        }
    }

    /// One sample of the gauge `name`, declared with `help` the first time.
    fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], v: f64) {
        self.family(name, "gauge", help);
        self.sample(name, labels, v);
    }

    /// One sample of the counter `name`, declared with `help` the first time.
    fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], v: f64) {
        self.family(name, "counter", help);
        self.sample(name, labels, v);
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], v: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            let parts: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            let _ = write!(self.text, "{{{}}}", parts.join(","));
        }
        let _ = writeln!(self.text, " {}", number(v));
    }

    fn histogram(&mut self, name: &str, help: &str, labels: &[(&str, &str)], h: &Histogram) {
        self.family(name, "histogram", help);
        for (bound, count) in h.bounds.iter().zip(&h.buckets) {
            let le = number(*bound);
            let mut l = labels.to_vec();
            l.push(("le", &le));
            self.sample(&format!("{name}_bucket"), &l, *count as f64);
        }
        let mut l = labels.to_vec();
        l.push(("le", "+Inf"));
        self.sample(&format!("{name}_bucket"), &l, h.count as f64);
        self.sample(&format!("{name}_sum"), labels, h.sum);
        self.sample(&format!("{name}_count"), labels, h.count as f64);
    }
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// The whole exposition.
pub(crate) async fn render(
    store: &Store,
    teams: &[TeamInfo],
    snap: &Snapshot,
    scrub: &(dyn Fn(&str) -> String + Sync),
) -> String {
    let mut o = Out {
        text: String::new(),
        declared: BTreeSet::new(),
    };
    let error = |e: &str| truncate(&scrub(e), ERROR_CHARS);
    let up = store.schema_version().await.is_ok();
    o.gauge(
        "deskpulse_database_up",
        "Whether the database answered this scrape (1) or not (0).",
        &[],
        if up { 1.0 } else { 0.0 },
    );
    let sources: BTreeSet<&str> = teams
        .iter()
        .flat_map(|t| t.sources.iter().map(String::as_str))
        .collect();
    storage_syncs(&mut o, store, &sources, &error).await;
    storage_deliveries(&mut o, store, teams).await;
    process_counters(&mut o, snap, &error);
    o.text
}

async fn storage_syncs(
    o: &mut Out,
    store: &Store,
    sources: &BTreeSet<&str>,
    error: &(dyn Fn(&str) -> String + Sync),
) {
    let names: Vec<String> = sources.iter().map(|s| (*s).to_owned()).collect();
    let lines = store.freshness(&names).await.unwrap_or_default();
    for s in &lines {
        let l = [("source", s.source.as_str())];
        if let Some(t) = s.last_success_at {
            o.gauge(
                "deskpulse_source_last_success_timestamp_seconds",
                "When every stream of the source last succeeded (the earliest of their last successes).",
                &l, ts(t),
            );
        }
        if let Some(t) = s.complete_through {
            o.gauge(
                "deskpulse_source_complete_through_timestamp_seconds",
                "Through when every stream of the source is complete.",
                &l,
                ts(t),
            );
        }
        o.gauge(
            "deskpulse_source_incomplete_streams",
            "Streams of the source never read to their end (a first sync running or failing).",
            &l,
            s.incomplete_streams.len() as f64,
        );
        let failing = s.last_error.is_some() || s.failing_since.is_some();
        o.gauge(
            "deskpulse_source_failing",
            "Whether a stream of the source has failed since its last success (1) or not (0).",
            &l,
            if failing { 1.0 } else { 0.0 },
        );
        if let Some(t) = s.failing_since {
            o.gauge(
                "deskpulse_source_failing_since_timestamp_seconds",
                "Since when the source has been failing.",
                &l,
                ts(t),
            );
        }
        if let Some(e) = &s.last_error {
            let e = error(e);
            o.gauge(
                "deskpulse_source_last_error_info",
                "The error of the source's latest failed stream sync, as a label.",
                &[("source", s.source.as_str()), ("error", &e)],
                1.0,
            );
        }
    }
    for source in sources {
        let Ok(Some(run)) = store.last_run(&sync_job(source)).await else {
            continue;
        };
        let l = [("source", *source)];
        o.gauge(
            "deskpulse_sync_last_run_timestamp_seconds",
            "When the source's latest daemon sync run started (from storage).",
            &l,
            ts(run.started_at),
        );
        if let Some(end) = run.finished_at {
            let took = (end - run.started_at).num_milliseconds().max(0) as f64 / 1000.0;
            o.gauge(
                "deskpulse_sync_last_run_duration_seconds",
                "How long the source's latest finished daemon sync run took (from storage).",
                &l,
                took,
            );
        }
        if let Some(n) = run.records {
            o.gauge(
                "deskpulse_sync_last_run_records",
                "Records the source's latest daemon sync run committed (from storage).",
                &l,
                n as f64,
            );
        }
        if let Some(outcome) = run.outcome {
            let ok = if outcome == RunOutcome::Ok { 1.0 } else { 0.0 };
            o.gauge(
                "deskpulse_sync_last_run_success",
                "1 when the source's latest daemon sync run succeeded, 0 when it failed or was cancelled.",
                &l,
                ok,
            );
        }
    }
}

async fn storage_deliveries(o: &mut Out, store: &Store, teams: &[TeamInfo]) {
    for team in teams {
        let Ok(rows) = store.deliveries(&team.name).await else {
            continue;
        };
        let mut counts: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
        let mut last: BTreeMap<String, f64> = BTreeMap::new();
        for r in &rows {
            *counts
                .entry((r.channel.clone(), r.state.as_str()))
                .or_insert(0) += 1;
            if r.state == DeliveryState::Sent
                && let Some(at) = r.sent_at
            {
                let e = last.entry(r.channel.clone()).or_insert(0.0);
                *e = e.max(ts(at));
            }
        }
        for ((channel, state), n) in &counts {
            o.gauge(
                "deskpulse_digest_deliveries",
                "Periods in the digest delivery log per team, channel and state (sent, or sending: claimed, never confirmed).",
                &[("team", &team.name), ("channel", channel), ("state", state)],
                *n as f64,
            );
        }
        for (channel, at) in &last {
            o.gauge(
                "deskpulse_digest_last_sent_timestamp_seconds",
                "When the team's digest last went to the channel (from the delivery log).",
                &[("team", &team.name), ("channel", channel)],
                *at,
            );
        }
    }
}

fn process_counters(o: &mut Out, snap: &Snapshot, error: &(dyn Fn(&str) -> String + Sync)) {
    for ((source, stream), st) in &snap.streams {
        let l = [("source", source.as_str()), ("stream", stream.as_str())];
        for (outcome, n) in &st.runs {
            o.counter(
                "deskpulse_sync_stream_runs_total",
                "Stream syncs this process ran, by outcome.",
                &[("source", source), ("stream", stream), ("outcome", outcome)],
                *n as f64,
            );
        }
        o.counter(
            "deskpulse_sync_stream_records_total",
            "Records committed by this process's successful stream syncs.",
            &l,
            st.records as f64,
        );
        o.histogram(
            "deskpulse_sync_stream_duration_seconds",
            "How long this process's stream syncs took.",
            &l,
            &st.duration,
        );
        if let Some(t) = st.last_success {
            o.gauge(
                "deskpulse_sync_stream_last_success_timestamp_seconds",
                "When this process last synced the stream successfully.",
                &l,
                ts(t),
            );
        }
        if let Some((at, e)) = &st.last_error {
            o.gauge(
                "deskpulse_sync_stream_last_error_timestamp_seconds",
                "When this process's latest sync of the stream failed, since its last success.",
                &l,
                ts(*at),
            );
            let e = error(e);
            o.gauge(
                "deskpulse_sync_stream_last_error_info",
                "The error of this process's latest failed sync of the stream, as a label.",
                &[("source", source), ("stream", stream), ("error", &e)],
                1.0,
            );
        }
    }
    for ((team, channel, outcome), n) in &snap.deliveries {
        o.counter(
            "deskpulse_digest_deliveries_total",
            "Digest deliveries this process attempted, by team, channel and outcome.",
            &[("team", team), ("channel", channel), ("outcome", outcome)],
            *n as f64,
        );
    }
    for (team, h) in &snap.reports {
        o.histogram(
            "deskpulse_report_compute_seconds",
            "How long the server took to compute a team's report with its history (cache misses).",
            &[("team", team)],
            h,
        );
    }
    for (team, h) in &snap.warms {
        o.histogram(
            "deskpulse_report_warm_seconds",
            "How long the server took to compute a team's past weeks and months ahead of views (one background walk each time the data changes).",
            &[("team", team)],
            h,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd\te"), "a\\\"b\\\\c\\nd e");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(f64::INFINITY), "+Inf");
    }
}
