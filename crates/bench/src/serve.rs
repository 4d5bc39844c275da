//! `deskpulse-bench serve`: the dashboard of `deskpulse serve` over the metrics benchmark's
//! generated history (1,000,000 tickets by default, on SQLite), measured over HTTP as a
//! browser meets it, with the release build of `deskpulse` as a child process.
//!
//! * **Walk**: after start the server computes each team's past weeks and months in the
//!   background (`deskpulse_report_warm_seconds`); one week far back is asked for while it
//!   runs (the worst first view), then the bench waits for the walk to end.
//! * **Cold** team page: a week no one has opened since the server started — its report
//!   computed on the request (`report`'s own path, its history's period reports kept by the
//!   walk), then rendered. Weeks six apart, so the background prefetch of a page's previous
//!   week never serves a measured one; before each, the bench waits until the server's
//!   computations (read from its `/metrics`) are done, so none competes with the measured
//!   request. Months the same way.
//! * **Previous** week: the "previous" link of a page opened cold, whose report the server
//!   computed in the background after serving that page.
//! * **Warm** team page: the same week again (the report kept, the data unchanged): what
//!   every view after the first costs. Also `/`, the JSON API and the 52-week page.
//!
//! The server's own report computation time is read from its `/metrics`
//! (`deskpulse_report_compute_seconds`). Peak memory is the child's `VmHWM`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use deskpulse_model::PeriodSpec;
use deskpulse_storage::Store;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::metrics::{HistoryArgs, populate};
use crate::{load, median};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The history generated when the SQLite file is new (the metrics benchmark's).
    #[command(flatten)]
    history: HistoryArgs,
    /// Keep the SQLite database in this file (reused when it exists: the metrics bench's
    /// `--sqlite-file` is the same history).
    #[arg(long)]
    sqlite_file: Option<PathBuf>,
    /// Timed runs of each warm request.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Cold team pages (different weeks).
    #[arg(long, default_value_t = 5)]
    cold: usize,
    /// The `deskpulse` binary; by default the workspace's release build, brought up to date.
    #[arg(long)]
    deskpulse: Option<PathBuf>,
}

const TEAM: &str = "support";

/// The metrics bench's team (Europe/Berlin, business hours) on its one Zendesk source.
fn config_text(db_url: &str) -> String {
    format!(
        r#"[database]
url = "{db_url}"

[[teams]]
name = "{TEAM}"
timezone = "Europe/Berlin"
sources = ["zendesk-main"]
business_hours = {{ days = "Mon-Fri", start = "09:00", end = "17:00" }}

[[sources]]
name = "zendesk-main"
kind = "zendesk"
subdomain = "bench"
email = "bench@example.com"
api_token = "bench-token-not-used"
"#
    )
}

/// The running `deskpulse serve`.
struct Served {
    child: tokio::process::Child,
    base: String,
    http: reqwest::Client,
}

impl Served {
    async fn start(bin: &PathBuf, config: &PathBuf) -> anyhow::Result<Served> {
        let mut child = tokio::process::Command::new(bin)
            .arg("--config")
            .arg(config)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let line = BufReader::new(stdout)
            .lines()
            .next_line()
            .await?
            .ok_or_else(|| anyhow::anyhow!("deskpulse serve exited"))?;
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .ok_or_else(|| anyhow::anyhow!("no address in {line:?}"))?;
        Ok(Served {
            child,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
        })
    }

    /// GET `path`: seconds until the whole body arrived, and its size.
    async fn get(&self, path: &str) -> anyhow::Result<(f64, usize)> {
        let t = Instant::now();
        let r = self.http.get(format!("{}{path}", self.base)).send().await?;
        anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
        let body = r.bytes().await?;
        Ok((t.elapsed().as_secs_f64(), body.len()))
    }

    /// The server's report computations so far: (count, seconds in all).
    async fn computed(&self) -> anyhow::Result<(u64, f64)> {
        self.histogram("deskpulse_report_compute_seconds").await
    }

    /// A histogram of the server's `/metrics`: (count, sum).
    async fn histogram(&self, name: &str) -> anyhow::Result<(u64, f64)> {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await?
            .text()
            .await?;
        let value = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        Ok((
            value(&format!("{name}_count")) as u64,
            value(&format!("{name}_sum")),
        ))
    }

    /// Waits until the server's background walk over the team's past weeks and months is
    /// done: (seconds it took).
    async fn warmed(&self) -> anyhow::Result<f64> {
        let deadline = Instant::now() + Duration::from_secs(1800);
        loop {
            let (n, secs) = self.histogram("deskpulse_report_warm_seconds").await?;
            if n >= 1 {
                return Ok(secs);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server never finished computing the past periods"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the server has finished `n` report computations (its background work).
    async fn settle(&self, n: u64) -> anyhow::Result<(u64, f64)> {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let c = self.computed().await?;
            if c.0 >= n {
                return Ok(c);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server never finished {n} reports"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn peak_mb(&self) -> f64 {
        let Some(pid) = self.child.id() else {
            return 0.0;
        };
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<f64>().ok())
            })
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

fn summary(xs: &[f64]) -> String {
    let best = xs.iter().copied().fold(f64::INFINITY, f64::min);
    format!(
        "best {:.1} ms, median {:.1} ms ({} runs)",
        best * 1e3,
        median(xs) * 1e3,
        xs.len()
    )
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let bin = match a.deskpulse {
        Some(b) => b,
        None => crate::import::build_deskpulse()?,
    };
    let tmp = tempfile::tempdir()?;
    let path = a
        .sqlite_file
        .clone()
        .unwrap_or_else(|| tmp.path().join("bench.db"));
    let url = format!("sqlite://{}", path.display());
    let (cfg, _, _) = a.history.config();
    let now = cfg.now;
    if !path.exists() {
        let store = Store::open(&url).await?;
        let (tickets, days) = (cfg.tickets, cfg.days);
        println!(
            "generating {tickets} tickets over {days} days into {}",
            path.display()
        );
        populate(&store, &cfg, a.history.batch_tickets).await?;
        store.close().await;
    } else {
        println!("reusing the history in {}", path.display());
    }
    let config = tmp.path().join("deskpulse.toml");
    std::fs::write(&config, config_text(&url))?;
    let started = Instant::now();
    let s = Served::start(&bin, &config).await?;
    // The server computes its default week in the background first.
    s.settle(1).await?;
    println!(
        "serve bench: {} on SQLite, server ready and warmed in {:.1} s; load {}",
        bin.display(),
        started.elapsed().as_secs_f64(),
        load()
    );
    let week = PeriodSpec::last_complete_week(now, chrono_tz::Europe::Berlin);
    // A week far back, asked for while the server still walks the past periods: the worst a
    // first view meets (its history not kept yet, the walk competing for the cores).
    let mut far = week;
    for _ in 0..90 {
        far = far.previous();
    }
    let (during, _) = s.get(&format!("/teams/{TEAM}?period={far}")).await?;
    println!(
        "team page {far} during the walk over past periods: {:.1} ms; load {}",
        during * 1e3,
        load()
    );
    let walk = s.warmed().await?;
    println!(
        "past weeks and months computed in {walk:.1} s (server start + {:.1} s); load {}",
        started.elapsed().as_secs_f64(),
        load()
    );
    let mut cold = Vec::new();
    let mut computes = Vec::new();
    let mut p = week;
    for _ in 0..a.cold {
        let (before, secs_before) = s.computed().await?;
        let (t, bytes) = s.get(&format!("/teams/{TEAM}?period={p}")).await?;
        // The page's own report, then the prefetch of the week before it.
        let (_, secs_after) = s.settle(before + 2).await?;
        computes.push((secs_after - secs_before) / 2.0);
        println!(
            "first view of the team page {p}: {:.1} ms, {bytes} bytes; load {}",
            t * 1e3,
            load()
        );
        cold.push(t);
        for _ in 0..6 {
            p = p.previous();
        }
    }
    // The "previous" link of each page opened cold: computed in the background meanwhile.
    let mut previous = Vec::new();
    let mut p = week.previous();
    for _ in 0..a.cold {
        let (before, _) = s.computed().await?;
        previous.push(s.get(&format!("/teams/{TEAM}?period={p}")).await?.0);
        // Its own previous week is prefetched in turn: let it finish.
        s.settle(before + 1).await?;
        for _ in 0..6 {
            p = p.previous();
        }
    }
    let page = format!("/teams/{TEAM}?period={week}");
    let mut warm = Vec::new();
    for _ in 0..a.runs {
        warm.push(s.get(&page).await?.0);
    }
    let mut index = Vec::new();
    let mut api = Vec::new();
    for _ in 0..a.runs {
        index.push(s.get("/").await?.0);
        api.push(
            s.get(&format!("/api/teams/{TEAM}/report?period={week}"))
                .await?
                .0,
        );
    }
    // Months: the first view of a month (its 12 months of history kept by the walk).
    let mut months = Vec::new();
    let mut m = PeriodSpec::month_of(week.dates().0);
    for _ in 0..a.cold {
        m = m.previous().previous().previous();
        let (before, _) = s.computed().await?;
        months.push(s.get(&format!("/teams/{TEAM}?period={m}")).await?.0);
        s.settle(before + 2).await?;
    }
    let long = format!("/teams/{TEAM}?period={week}&trend=52");
    let (long_cold, _) = s.get(&long).await?;
    let mut long_warm = Vec::new();
    for _ in 0..a.runs {
        long_warm.push(s.get(&long).await?.0);
    }
    println!(
        "RESULT past weeks and months computed in the background after start: {walk:.1} s; a week far back asked for meanwhile: {:.1} ms",
        during * 1e3
    );
    println!(
        "RESULT team page, first view of a week (its report computed on the request, its history kept): {}; server's report computation median {:.1} ms",
        summary(&cold),
        median(&computes) * 1e3
    );
    println!(
        "RESULT team page, first view of a month (its history kept): {}",
        summary(&months)
    );
    println!(
        "RESULT team page of the week before a page opened (prefetched): {}",
        summary(&previous)
    );
    println!("RESULT team page, warm (report kept): {}", summary(&warm));
    println!("RESULT overview `/`, warm: {}", summary(&index));
    println!("RESULT JSON API report, warm: {}", summary(&api));
    println!(
        "RESULT 52-week team page: cold {:.1} ms (three more 13-week blocks computed), warm {}",
        long_cold * 1e3,
        summary(&long_warm)
    );
    println!(
        "RESULT deskpulse serve peak RSS {:.0} MB; load {}",
        s.peak_mb(),
        load()
    );
    Ok(())
}
