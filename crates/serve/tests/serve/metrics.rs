//! `/metrics` read back with a Prometheus text-format parser: what storage recorded (sync
//! runs, sources' freshness, the delivery log) and what this process counted (stream syncs,
//! deliveries, report computations), before and after a sync.

use std::time::Duration;

use chrono::{DateTime, Utc};
use deskpulse_serve::{DeliveryOutcome, StreamResult, telemetry};
use deskpulse_storage::{DeliveryClaim, RunEnd, RunOutcome, Store, sync_job};
use prometheus_parse::{Sample, Scrape, Value};

use crate::harness::{SOURCE, TEAM, backends, get, options, seed, start};

const SECRET: &str = "zd-secret-token-9f8e7d";

async fn scrape(base: &str) -> Scrape {
    let r = get(&format!("{base}/metrics")).await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = r.text().await.unwrap();
    assert!(!text.contains(SECRET), "no secret in /metrics:\n{text}");
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("valid exposition")
}

fn find<'a>(s: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    s.samples
        .iter()
        .find(|x| x.metric == metric && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
}

fn value(s: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    find(s, metric, labels).map(|x| match &x.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        Value::Histogram(h) => h.last().map_or(0.0, |b| b.count),
        Value::Summary(_) => f64::NAN,
    })
}

fn secs(t: DateTime<Utc>) -> f64 {
    t.timestamp_micros() as f64 / 1e6
}

/// A sync of one stream as the daemon records it: its run record and the stream's
/// freshness in storage, the stream counted by the process. `Err`: it failed with that text.
async fn sync(store: &Store, stream: &str, slot: DateTime<Utc>, outcome: Result<u64, &str>) {
    let job = sync_job(SOURCE);
    assert!(store.claim_run(&job, slot, "test", slot).await.unwrap());
    store.register_streams(SOURCE, &[stream]).await.unwrap();
    let done = slot + chrono::Duration::seconds(3);
    let end = match outcome {
        Ok(records) => {
            store
                .record_stream_complete(SOURCE, stream, slot, done)
                .await
                .unwrap();
            let took = Duration::from_millis(1500);
            telemetry().record_stream(SOURCE, stream, took, StreamResult::Ok { records });
            RunEnd {
                outcome: RunOutcome::Ok,
                records: Some(records),
                error: None,
            }
        }
        Err(error) => {
            store
                .record_stream_failure(SOURCE, stream, error, done)
                .await
                .unwrap();
            let took = Duration::from_millis(10);
            telemetry().record_stream(SOURCE, stream, took, StreamResult::Failed { error });
            RunEnd {
                outcome: RunOutcome::Failed,
                records: Some(0),
                error: Some(error.to_owned()),
            }
        }
    };
    assert!(
        store
            .finish_run(&job, slot, "test", done, &end)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn metrics_parse_and_move_after_a_sync() {
    for (i, db) in backends().await.into_iter().enumerate() {
        let store = db.open().await;
        seed(&store).await;
        let s = start(&store, None, options(Some(SECRET))).await;
        // A stream and a channel per backend: the process-wide counters are shared.
        let stream = format!("tickets-{i}");
        let channel = format!("slack-{i}");
        let src = [("source", SOURCE)];
        let st = [("source", SOURCE), ("stream", stream.as_str())];
        let runs = |sc: &Scrape, outcome: &str| {
            let l = [
                ("source", SOURCE),
                ("stream", &stream),
                ("outcome", outcome),
            ];
            value(sc, "deskpulse_sync_stream_runs_total", &l).unwrap_or(0.0)
        };

        let before = scrape(&s.base).await;
        assert_eq!(value(&before, "deskpulse_database_up", &[]), Some(1.0));
        assert_eq!(runs(&before, "ok"), 0.0);
        assert_eq!(value(&before, "deskpulse_source_failing", &src), Some(0.0));
        assert!(value(&before, "deskpulse_sync_last_run_records", &src).is_none());

        let slot = Utc::now();
        sync(&store, &stream, slot, Ok(42)).await;
        // A digest delivered (the delivery log), and one that failed (this process).
        let claim = store.claim_delivery(TEAM, "2026-W46", "slack", false);
        let DeliveryClaim::Acquired { token } = claim.await.unwrap() else {
            panic!("a fresh claim");
        };
        let sent = store.mark_delivery_sent(TEAM, "2026-W46", "slack", &token);
        assert!(sent.await.unwrap());
        telemetry().record_delivery(TEAM, &channel, DeliveryOutcome::Failed);

        let after = scrape(&s.base).await;
        assert_eq!(
            runs(&after, "ok"),
            runs(&before, "ok") + 1.0,
            "the run counter moved"
        );
        let records = value(&after, "deskpulse_sync_stream_records_total", &st);
        assert_eq!(records, Some(42.0));
        let h = find(&after, "deskpulse_sync_stream_duration_seconds", &st).expect("a histogram");
        let Value::Histogram(buckets) = &h.value else {
            panic!("{h:?}")
        };
        let le = |b: f64| buckets.iter().find(|x| x.less_than == b).map(|x| x.count);
        assert_eq!(
            (le(1.0), le(5.0)),
            (Some(0.0), Some(1.0)),
            "1.5 s: the 5 s bucket"
        );
        assert_eq!(
            value(&after, "deskpulse_sync_last_run_records", &src),
            Some(42.0)
        );
        let took = value(&after, "deskpulse_sync_last_run_duration_seconds", &src);
        assert_eq!(took, Some(3.0));
        assert_eq!(
            value(&after, "deskpulse_sync_last_run_success", &src),
            Some(1.0)
        );
        let last_ok = value(
            &after,
            "deskpulse_source_last_success_timestamp_seconds",
            &src,
        );
        let done = slot + chrono::Duration::seconds(3);
        assert!((last_ok.unwrap() - secs(done)).abs() < 1e-3, "{last_ok:?}");
        let through = value(
            &after,
            "deskpulse_source_complete_through_timestamp_seconds",
            &src,
        );
        assert!((through.unwrap() - secs(slot)).abs() < 1e-3, "{through:?}");
        let incomplete = value(&after, "deskpulse_source_incomplete_streams", &src);
        assert_eq!(incomplete, Some(0.0));
        let l = [("team", TEAM), ("channel", "slack"), ("state", "sent")];
        assert_eq!(value(&after, "deskpulse_digest_deliveries", &l), Some(1.0));
        let l = [("team", TEAM), ("channel", "slack")];
        assert!(value(&after, "deskpulse_digest_last_sent_timestamp_seconds", &l).is_some());
        let l = [("team", TEAM), ("channel", &channel), ("outcome", "failed")];
        assert_eq!(
            value(&after, "deskpulse_digest_deliveries_total", &l),
            Some(1.0)
        );

        // A failed sync: the error becomes a label, scrubbed of the secret, on one line.
        let error = format!("401 \"Unauthorized\" for token {SECRET}\nsecond line");
        sync(
            &store,
            &stream,
            slot + chrono::Duration::seconds(10),
            Err(&error),
        )
        .await;
        let failed = scrape(&s.base).await;
        assert_eq!(value(&failed, "deskpulse_source_failing", &src), Some(1.0));
        let since = value(
            &failed,
            "deskpulse_source_failing_since_timestamp_seconds",
            &src,
        );
        assert!(since.is_some());
        assert_eq!(
            value(&failed, "deskpulse_sync_last_run_success", &src),
            Some(0.0)
        );
        assert_eq!(runs(&failed, "failed"), 1.0);
        for metric in [
            "deskpulse_source_last_error_info",
            "deskpulse_sync_stream_last_error_info",
        ] {
            let info = find(&failed, metric, &src).unwrap_or_else(|| panic!("{metric}"));
            let e = info.labels.get("error").unwrap();
            assert!(
                e.contains("Unauthorized") && e.contains("[REDACTED]") && !e.contains(SECRET),
                "{metric}: {e}"
            );
        }

        // A report computed by the server is timed.
        let _ = get(&format!("{}/teams/support?period=2026-W46", s.base)).await;
        let timed = scrape(&s.base).await;
        let n = value(
            &timed,
            "deskpulse_report_compute_seconds",
            &[("team", TEAM)],
        );
        assert!(n.unwrap_or(0.0) >= 1.0, "{n:?}");
        drop(s);
        db.cleanup().await;
    }
}
