//! `deskpulse-bench`: the benchmarks of `cargo xtask bench metrics|sync|import`.
//!
//! * `metrics`: a generated two-year history (1,000,000 tickets, 8,000,000 messages,
//!   200,000 ratings by default) written with `Store::commit_batch`, then the last complete
//!   week's report with its 12-week history (13 loads and reports, `attach_history`) and the
//!   per-agent table, timed on a warm database (best and median of `--runs`).
//! * `sync`: the `deskpulse-simulator` binary serves 100,000 tickets out of process; the
//!   Zendesk connector syncs every stream into SQLite and Postgres with limits off
//!   (throughput, requests per 1,000 tickets, peak memory), then with the vendor's limits at
//!   a speed factor (elapsed time against the theoretical minimum, 429s). With `--floor`,
//!   the synced events are written again at the storage engine's own floor (`floor.rs`).
//! * `import`: `deskpulse import orders` of a generated 200 MB file, run as a child process
//!   (the release build of the workspace): wall time and the child's peak memory, for the
//!   first import, the same file again and the file with a bad last row.
//!
//! * `serve`: the dashboard of `deskpulse serve` (release build, a child process) over the
//!   `metrics` history on SQLite, over HTTP: a team page cold (its report computed on the
//!   request) and warm (kept), `/`, the JSON API and the 52-week page.
//!
//! Peak memory is the process's `VmHWM`, reset (`/proc/self/clear_refs`) before each phase.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod floor;
mod history;
mod import;
mod metrics;
mod serve;
mod sync;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    about = "deskpulse benchmarks (metrics: the weekly report; sync: Zendesk from the simulator; import: a 200 MB orders file; serve: the dashboard)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Weekly report with 12-week history and per-agent table over a generated history.
    Metrics(metrics::Args),
    /// Zendesk sync from the out-of-process simulator, limits off and on.
    Sync(sync::Args),
    /// `deskpulse import orders` of a generated 200 MB file, as a child process.
    Import(import::Args),
    /// The dashboard of `deskpulse serve` over the generated history: team pages cold and warm.
    Serve(serve::Args),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
    Both,
}

impl Backend {
    pub fn list(self) -> Vec<Backend> {
        match self {
            Backend::Both => vec![Backend::Sqlite, Backend::Postgres],
            b => vec![b],
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Both => "both",
        }
    }
}

/// The default Postgres server (its `test` database is only used to create and drop ours).
pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";
/// The database the benchmarks create on that server, and drop afterwards.
pub const BENCH_DB: &str = "deskpulse_bench";
const DROP_DB: &str = "DROP DATABASE IF EXISTS deskpulse_bench WITH (FORCE)";
const CREATE_DB: &str = "CREATE DATABASE deskpulse_bench";

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    print_machine();
    match cli.cmd {
        Cmd::Metrics(a) => rt.block_on(metrics::run(a)),
        Cmd::Sync(a) => rt.block_on(sync::run(a)),
        Cmd::Import(a) => rt.block_on(import::run(a)),
        Cmd::Serve(a) => rt.block_on(serve::run(a)),
    }
}

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("machine: {cores} cores, {cpu}; load {}", load());
}

/// `/proc/loadavg`'s three averages.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Peak resident set size since the last [`reset_peak`], in MB.
pub fn peak_mb() -> f64 {
    status_kb("VmHWM:") as f64 / 1024.0
}

/// Current resident set size, in MB.
pub fn rss_mb() -> f64 {
    status_kb("VmRSS:") as f64 / 1024.0
}

/// Resets `VmHWM` to the current RSS (Linux ≥ 4.0); false when the kernel refuses.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

/// Drops and creates the benchmark database on the server of `admin_url`; returns its URL.
pub async fn create_pg_db(admin_url: &str) -> anyhow::Result<String> {
    use sqlx::Executor;
    let pool = sqlx::PgPool::connect(admin_url).await?;
    pool.execute(DROP_DB).await?;
    pool.execute(CREATE_DB).await?;
    pool.close().await;
    Ok(with_database(admin_url, BENCH_DB))
}

/// Drops the benchmark database.
pub async fn drop_pg_db(admin_url: &str) -> anyhow::Result<()> {
    use sqlx::Executor;
    let pool = sqlx::PgPool::connect(admin_url).await?;
    pool.execute(DROP_DB).await?;
    pool.close().await;
    Ok(())
}

/// Median of `xs` (sorted copy; the mean of the two middle values for an even count).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn database_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }
}
