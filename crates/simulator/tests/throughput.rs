//! Size and speed at the scale of the sync benchmark (100,000 tickets). Ignored by default:
//! `cargo test -p deskpulse-simulator --release --test throughput -- --ignored --nocapture`.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use deskpulse_simulator::{DataConfig, Dataset, Limits, SimConfig, Simulator};
use serde::Deserialize;
use serde::de::IgnoredAny;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

#[derive(Deserialize)]
struct TicketsPage {
    tickets: Vec<IgnoredAny>,
    after_url: String,
    end_of_stream: bool,
}

#[derive(Deserialize)]
struct EventsPage {
    ticket_events: Vec<IgnoredAny>,
    next_page: String,
    end_of_stream: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "large: run with --release --ignored"]
async fn hundred_thousand_tickets() {
    let cfg = SimConfig {
        data: DataConfig {
            days: 90,
            tickets_per_day: 1112.0,
            followup_rate: 0.75,
            ..DataConfig::default()
        },
        limits: Limits::off(),
        ..SimConfig::default()
    };
    let t0 = Instant::now();
    let data = Arc::new(Dataset::generate(&cfg));
    let gen_time = t0.elapsed();
    let truth = data.truth();
    println!(
        "generated {} tickets, {} comments, {} status changes, {} ratings, {} users in {:?}; dataset ~{:.0} MB; peak RSS {:.0} MB",
        truth.ticket_count(),
        truth.comment_count(),
        truth.status_change_count(),
        truth.rating_count(),
        truth.user_count(),
        gen_time,
        data.approx_heap_bytes() as f64 / 1e6,
        peak_rss_mb()
    );
    let sim = Simulator::start(data.clone(), cfg.clone())
        .await
        .expect("start");
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let base = sim.base_url().to_string();
    let get = |url: String| {
        let c = c.clone();
        async move {
            c.get(url)
                .basic_auth("demo@example.com/token", Some("sim-token"))
                .send()
                .await
                .expect("request")
                .bytes()
                .await
                .expect("body")
        }
    };

    let t0 = Instant::now();
    let mut url =
        format!("{base}/api/v2/incremental/tickets/cursor.json?start_time=0&include=metric_sets");
    let (mut n, mut pages) = (0, 0);
    loop {
        let body: TicketsPage = serde_json::from_slice(&get(url).await).expect("json");
        n += body.tickets.len();
        pages += 1;
        if body.end_of_stream {
            break;
        }
        url = body.after_url;
    }
    let dt = t0.elapsed();
    println!(
        "tickets: {n} in {pages} pages, {dt:?} ({:.0} tickets/s)",
        n as f64 / dt.as_secs_f64()
    );
    assert_eq!(n, truth.ticket_count());

    let t0 = Instant::now();
    let mut url =
        format!("{base}/api/v2/incremental/ticket_events.json?start_time=0&include=comment_events");
    let (mut n, mut pages) = (0, 0);
    loop {
        let body: EventsPage = serde_json::from_slice(&get(url).await).expect("json");
        n += body.ticket_events.len();
        pages += 1;
        if body.end_of_stream {
            break;
        }
        url = body.next_page;
    }
    let dt = t0.elapsed();
    println!(
        "ticket events: {n} audits (with boundary repeats) in {pages} pages, {dt:?} ({:.0} audits/s); peak RSS {:.0} MB",
        n as f64 / dt.as_secs_f64(),
        peak_rss_mb()
    );
    assert!(n >= data.record_counts().2);
    sim.shutdown().await;
}
