//! `deskpulse-bench import`: `deskpulse import orders` of a generated orders file (200 MB by
//! default) run as a child process, as a user runs it: wall time and peak resident memory of
//! the first import (every row new), of the same file again (every row unchanged), and of the
//! file with one bad row at its very end (refused: nothing imported).
//!
//! The child's peak is its `VmHWM`, read from `/proc/PID/status` every 2 ms while it runs
//! (the kernel keeps the maximum; the last reading is at most 2 ms before the exit).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::{Backend, DEFAULT_PG, create_pg_db, drop_pg_db, load};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Size of the generated orders file, in MB (10^6 bytes).
    #[arg(long, default_value_t = 200)]
    mb: u64,
    #[arg(long, value_enum, default_value_t = Backend::Both)]
    backend: Backend,
    /// Postgres server: its database is only used to create and drop `deskpulse_bench`.
    #[arg(long, default_value = DEFAULT_PG)]
    postgres_url: String,
    /// The `deskpulse` binary; by default the workspace's release build, which is brought up
    /// to date first (`cargo build --release -p deskpulse`).
    #[arg(long)]
    deskpulse: Option<PathBuf>,
    /// Where to write the generated file (kept afterwards); default: a temporary directory.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Seed of the generated orders.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// Builds `deskpulse` in release (a no-op when it is up to date) and returns its path.
pub(crate) fn build_deskpulse() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "deskpulse"])
        .status()?;
    anyhow::ensure!(
        status.success(),
        "`cargo build --release -p deskpulse` failed"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join("target")
        });
    Ok(target.join("release").join("deskpulse"))
}

/// Writes orders (`order_id,customer_email,created_at,amount,currency`) until the file holds
/// `bytes`; returns the rows written. 50,000 customers, times over 2026, amounts 1–500.
fn generate(path: &Path, bytes: u64, seed: u64) -> anyhow::Result<u64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let head = "order_id,customer_email,created_at,amount,currency\n";
    out.write_all(head.as_bytes())?;
    let (mut written, mut rows) = (head.len() as u64, 0u64);
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")?.to_utc();
    let currencies = ["EUR", "USD", "GBP"];
    while written < bytes {
        let at = start + chrono::Duration::seconds(rng.random_range(0..365 * 86_400));
        let line = format!(
            "ORD-{rows:09},customer.{}@example.com,{},{}.{:02},{}\n",
            rng.random_range(0..50_000u32),
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            rng.random_range(1..500u32),
            rng.random_range(0..100u32),
            currencies[rng.random_range(0..currencies.len())]
        );
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        rows += 1;
    }
    out.flush()?;
    Ok(rows)
}

/// One run of the child: its exit status, stdout and stderr, wall time and peak RSS (MB).
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
    wall: Duration,
    peak_mb: f64,
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn run_import(bin: &Path, config: &Path, file: &Path) -> anyhow::Result<Run> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(config)
        .args(["import", "orders"])
        .arg(file)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    // Drained on threads, so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let mut peak = 0u64;
    let status = loop {
        if let Some(kb) = vm_hwm_kb(pid) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = started.elapsed();
    Ok(Run {
        ok: status.success(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        wall,
        peak_mb: peak as f64 / 1024.0,
    })
}

fn report(what: &str, r: &Run) {
    let said = if r.ok { &r.stdout } else { &r.stderr };
    let said = said.lines().next().unwrap_or("").trim();
    println!(
        "  {what:<38} {:>7.1} s  peak RSS {:>6.1} MB  exit {}  (load {})\n    {said}",
        r.wall.as_secs_f64(),
        r.peak_mb,
        if r.ok { "ok" } else { "error" },
        load()
    );
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let bin = match &a.deskpulse {
        Some(p) => p.clone(),
        None => build_deskpulse()?,
    };
    let dir = tempfile::tempdir()?;
    let file = a
        .file
        .clone()
        .unwrap_or_else(|| dir.path().join("orders.csv"));
    let t = Instant::now();
    let rows = generate(&file, a.mb * 1_000_000, a.seed)?;
    let size = std::fs::metadata(&file)?.len();
    println!(
        "import: {} ({:.1} MB, {rows} orders) generated in {:.1} s",
        file.display(),
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    // The same orders, and one bad row at the very end: the worst case for a refusal.
    let bad = dir.path().join("orders-bad.csv");
    std::fs::copy(&file, &bad)?;
    {
        let mut f = std::fs::OpenOptions::new().append(true).open(&bad)?;
        f.write_all(b"ORD-BAD,customer.1@example.com,2026-13-01,1.00,EUR\n")?;
    }
    for backend in a.backend.list() {
        let url = match backend {
            Backend::Postgres => create_pg_db(&a.postgres_url).await?,
            _ => format!("sqlite://{}", dir.path().join("bench.db").display()),
        };
        let config = dir.path().join(format!("{}.toml", backend.name()));
        std::fs::write(
            &config,
            format!(
                "[database]\nurl = \"{url}\"\n\n[[teams]]\nname = \"support\"\ntimezone = \"Europe/Berlin\"\n"
            ),
        )?;
        println!("{} ({}):", backend.name(), bin.display());
        let first = run_import(&bin, &config, &file)?;
        report("first import (every row new)", &first);
        anyhow::ensure!(first.ok, "the import failed: {}", first.stderr);
        let again = run_import(&bin, &config, &file)?;
        report("same file again (every row unchanged)", &again);
        let refused = run_import(&bin, &config, &bad)?;
        report("bad last row (refused)", &refused);
        anyhow::ensure!(!refused.ok, "the bad file was imported");
        if backend == Backend::Postgres {
            drop_pg_db(&a.postgres_url).await?;
        }
    }
    Ok(())
}
