//! `deskpulse-bench sync`: the Zendesk connector against the out-of-process simulator.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use deskpulse_connector::{
    CheckpointStore, Leg, NoProgress, Secret, StreamLimits, SyncOptions, legs, sync_stream_leg,
};
use deskpulse_connector_zendesk::{STREAMS, ZendeskConnector, ZendeskSettings};
use deskpulse_model::{Batch, Checkpoint};
use deskpulse_storage::Store;

use crate::{Backend, DEFAULT_PG, create_pg_db, drop_pg_db, load, peak_mb, reset_peak};

const SOURCE: &str = "zendesk-main";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Tickets the simulator serves (limits off).
    #[arg(long, default_value_t = 100_000)]
    tickets: u64,
    /// Days of history the simulator generates.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Tickets for the run with the vendor's rate limits (0: skip it).
    #[arg(long, default_value_t = 100_000)]
    limited_tickets: u64,
    /// Speed factor of the limits (the simulator's `--speed`; the connector's limits are
    /// the vendor's times this factor).
    #[arg(long, default_value_t = 60.0)]
    speed: f64,
    /// Skip the run with limits off.
    #[arg(long)]
    skip_unlimited: bool,
    /// `per_page` of the exports.
    #[arg(long, default_value_t = 1000)]
    page_size: u32,
    /// The vendor's limit on every endpoint (the simulator's default plan: 700).
    #[arg(long, default_value_t = 700)]
    vendor_rpm: u32,
    /// The vendor's limit on the incremental exports (Zendesk: 10).
    #[arg(long, default_value_t = 10)]
    vendor_incremental_rpm: u32,
    /// The vendor's limit on Export Search Results (Zendesk: 100; the simulator's default).
    #[arg(long, default_value_t = 100)]
    vendor_search_rpm: u32,
    #[arg(long, value_enum, default_value_t = Backend::Both)]
    backend: Backend,
    /// Postgres server: its database is only used to create and drop `deskpulse_bench`.
    #[arg(long, default_value = DEFAULT_PG)]
    postgres_url: String,
    /// The `deskpulse-simulator` binary; by default the workspace's release build, which
    /// is brought up to date first (`cargo build --release -p deskpulse-simulator`).
    #[arg(long)]
    simulator: Option<PathBuf>,
    /// After the limits-off sync, write its stored events again at the storage engine's own
    /// floor (no driver on SQLite, `COPY` and a merge on Postgres) and print it against the
    /// sync's events commit (`floor.rs`).
    #[arg(long)]
    floor: bool,
    /// Seed of the simulated account.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The first sync's recent window, in days, for the run with limits (the CLI's
    /// `first_window`, default 14 weeks); 0 reads the whole history in one pass.
    #[arg(long, default_value_t = 98)]
    first_window_days: i64,
}

/// Builds the simulator in release (a no-op when it is up to date) and returns its path.
fn build_simulator() -> anyhow::Result<PathBuf> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "deskpulse-simulator"])
        .current_dir(&root)
        .status()?;
    anyhow::ensure!(
        status.success(),
        "`cargo build --release -p deskpulse-simulator` failed"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release").join("deskpulse-simulator"))
}

/// A simulator process; stopped with SIGINT so it prints its request statistics.
struct Sim {
    child: Child,
    base_url: String,
    email: String,
    token: String,
    tickets: u64,
    comments: u64,
    ratings: u64,
    users: u64,
    /// The simulator's "now": its history ends there.
    now: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Default)]
struct SimStats {
    requests: u64,
    rate_limited: u64,
    line: String,
}

impl Sim {
    fn start(a: &Args, tickets: u64, limits: Option<f64>) -> anyhow::Result<Sim> {
        let per_day = tickets as f64 / f64::from(a.days);
        let path = a.simulator.clone().unwrap_or_default();
        let mut cmd = Command::new(&path);
        cmd.args([
            "--seed",
            &a.seed.to_string(),
            "--days",
            &a.days.to_string(),
            "--tickets-per-day",
            &per_day.to_string(),
        ]);
        match limits {
            None => {
                cmd.arg("--no-limits");
            }
            Some(speed) => {
                cmd.args(["--speed", &speed.to_string()]);
            }
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot start {} ({e}): build it with `cargo build --release -p deskpulse-simulator`",
                    path.display()
                )
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("simulator said {line:?}: {e}"))?;
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        Ok(Sim {
            base_url: s("base_url"),
            email: s("email"),
            token: s("token"),
            tickets: v["tickets"].as_u64().unwrap_or(0),
            comments: v["comments"].as_u64().unwrap_or(0),
            ratings: v["ratings"].as_u64().unwrap_or(0),
            users: v["users"].as_u64().unwrap_or(0),
            now: v["now"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("simulator said no \"now\": {line:?}"))?,
            child,
        })
    }

    /// SIGINT, wait, and parse "served N requests (M rate-limited, K faults)".
    fn stop(mut self) -> anyhow::Result<SimStats> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err)?;
        }
        self.child.wait()?;
        let mut st = SimStats::default();
        if let Some(l) = err.lines().find(|l| l.starts_with("served ")) {
            st.line = l.to_string();
            let nums: Vec<u64> = l
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .collect();
            st.requests = nums.first().copied().unwrap_or(0);
            st.rate_limited = nums.get(1).copied().unwrap_or(0);
        }
        Ok(st)
    }
}

/// The store, with the time spent in `commit` (the rest of a sync is fetching and parsing),
/// and the pages of a first sync's tickets window read from Export Search Results, on its own
/// budget of 100 a minute (their checkpoints are the window's prelude: `before_window`, or
/// the export's `start_time` after the search's last page).
struct Timed<'a> {
    store: &'a Store,
    commit_ns: AtomicU64,
    search_pages: AtomicU64,
}

impl CheckpointStore for Timed<'_> {
    type Error = deskpulse_storage::StorageError;

    async fn checkpoint(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<Checkpoint>, Self::Error> {
        self.store.checkpoint(source, stream).await
    }

    async fn commit(&self, source: &str, stream: &str, batch: &Batch) -> Result<(), Self::Error> {
        let t = Instant::now();
        let r = self.store.commit_batch(source, stream, batch).await;
        self.commit_ns
            .fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        let cp = batch.checkpoint.value();
        if stream == "tickets"
            && (cp.get("before_window").is_some() || cp.get("start_time").is_some())
        {
            self.search_pages.fetch_add(1, Ordering::Relaxed);
        }
        r
    }
    async fn stream_complete(
        &self,
        source: &str,
        stream: &str,
        through: chrono::DateTime<chrono::Utc>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Self::Error> {
        self.store
            .record_stream_complete(source, stream, through, at)
            .await
    }
    async fn stream_failed(
        &self,
        source: &str,
        stream: &str,
        error: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Self::Error> {
        self.store
            .record_stream_failure(source, stream, error, at)
            .await
    }
    async fn window_start(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, Self::Error> {
        self.store.window_start(source, stream).await
    }
    async fn set_window_start(
        &self,
        source: &str,
        stream: &str,
        start: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), Self::Error> {
        self.store.set_window_start(source, stream, start).await
    }
}

struct StreamRun {
    name: String,
    pages: u64,
    records: u64,
    secs: f64,
    /// Of which in `commit_batch`.
    commit_secs: f64,
}

/// When the recent legs of a windowed first sync were done, and the report then.
struct FirstReport {
    /// Seconds from the sync's start to the end of the recent legs, and to the report of
    /// the last complete week with its 12-week history computed on what they read.
    recent_secs: f64,
    report_secs: f64,
    /// The 13 weeks whose freshness verdict is complete, of 13.
    complete_weeks: usize,
    /// Tickets active in those weeks but opened before the window, summed.
    opened_before_window: u64,
    /// Each of the 13 weeks, newest first: whether judged complete, and its own report.
    weeks: Vec<(bool, serde_json::Value)>,
}

/// Every stream of the Zendesk connector into `store`, as `deskpulse sync` does: with a
/// `window` start, the recent legs first (the window recorded as a killed first sync would
/// have, so it is the simulator's clock that counts, not this machine's), the report of the
/// last complete week then, and the backfills after.
async fn sync_all(
    sim: &Sim,
    store: &Store,
    page_size: u32,
    (rpm, incremental_rpm, search_rpm): (u32, u32, u32),
    window: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<(f64, Vec<StreamRun>, Option<FirstReport>, u64)> {
    let settings = ZendeskSettings {
        base_url: Some(sim.base_url.clone()),
        email: Some(sim.email.clone()),
        api_token: Some(Secret::new(sim.token.clone())),
        page_size: Some(page_size),
        requests_per_minute: rpm,
        incremental_requests_per_minute: incremental_rpm,
        search_export_requests_per_minute: search_rpm,
        ..ZendeskSettings::default()
    };
    let connector = ZendeskConnector::new(settings)?;
    let started = Instant::now();
    let mut runs: Vec<StreamRun> = Vec::new();
    let mut first = None;
    let timed = Timed {
        store,
        commit_ns: AtomicU64::new(0),
        search_pages: AtomicU64::new(0),
    };
    if let Some(w) = window {
        // Every stream that begins at an instant: the tickets and ticket events exports.
        for stream in ["tickets", "ticket_events"] {
            store.set_window_start(SOURCE, stream, Some(w)).await?;
        }
    }
    let span = window.map(|_| chrono::Duration::weeks(1));
    let (opts, limits) = (SyncOptions::default(), StreamLimits::default());
    for (stream, leg) in legs(STREAMS, span) {
        if leg == Leg::Backfill && window.is_some() && first.is_none() {
            let sync_peak = peak_mb();
            first = Some(first_report(store, sim.now, started).await?);
            // The report's memory is the report's (section 1), not the sync's: the peak
            // starts again, the recent legs' own kept.
            eprintln!(
                "  peak RSS: recent legs {sync_peak:.0} MB, with the first report {:.0} MB",
                peak_mb()
            );
            reset_peak();
        }
        let t = Instant::now();
        timed.commit_ns.store(0, Ordering::Relaxed);
        let o = sync_stream_leg(
            &connector,
            SOURCE,
            stream,
            &timed,
            &opts,
            &limits,
            leg,
            &NoProgress,
        )
        .await?;
        if leg == Leg::Backfill && o.batches == 0 {
            continue;
        }
        let name = match leg {
            Leg::Backfill => format!("{stream} (backfill)"),
            Leg::Recent { .. } => stream.to_owned(),
        };
        runs.push(StreamRun {
            name,
            pages: o.batches,
            records: o.records,
            secs: t.elapsed().as_secs_f64(),
            commit_secs: timed.commit_ns.load(Ordering::Relaxed) as f64 / 1e9,
        });
    }
    // As `deskpulse sync` does when a source's streams are done: derive the facts of every
    // ticket the pages touched, once each.
    let t = Instant::now();
    let refreshed = store.refresh_facts().await?;
    let secs = t.elapsed().as_secs_f64();
    runs.push(StreamRun {
        name: "(ticket facts refresh)".into(),
        pages: 0,
        records: 0,
        secs,
        commit_secs: secs,
    });
    eprintln!("  ticket facts of {refreshed} tickets derived in {secs:.1} s");
    let search_pages = timed.search_pages.load(Ordering::Relaxed);
    Ok((started.elapsed().as_secs_f64(), runs, first, search_pages))
}

/// The report a manager could read once the recent legs are done: the facts derived, the
/// last complete week's report with its 12-week history, and each of those 13 weeks judged
/// as `deskpulse report` judges them (complete from the window's start, and no ticket of
/// the week opened before it).
async fn first_report(
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
    started: Instant,
) -> anyhow::Result<FirstReport> {
    let recent_secs = started.elapsed().as_secs_f64();
    store.refresh_facts().await?;
    crate::metrics::one_run(store, now).await?;
    let report_secs = started.elapsed().as_secs_f64();
    let fresh = store.freshness(&[SOURCE.to_owned()]).await?;
    let f = &fresh[0];
    anyhow::ensure!(
        f.complete_from.is_some(),
        "no window pending after the recent legs"
    );
    let (mut complete_weeks, mut opened_before_window, mut weeks) = (0, 0, Vec::new());
    for week in crate::metrics::thirteen_weeks(now) {
        let bounds = (week.start, week.end);
        let opened = store.opened_before_windows(&fresh, bounds).await?[0];
        let complete = f.is_complete_for(bounds, opened);
        opened_before_window += opened;
        complete_weeks += usize::from(complete);
        weeks.push((
            complete,
            serde_json::to_value(crate::metrics::week_alone(store, &week).await?)?,
        ));
    }
    Ok(FirstReport {
        recent_secs,
        report_secs,
        complete_weeks,
        opened_before_window,
        weeks,
    })
}

async fn open(
    backend: Backend,
    a: &Args,
    dir: &std::path::Path,
) -> anyhow::Result<(Store, String)> {
    let url = match backend {
        Backend::Postgres => create_pg_db(&a.postgres_url).await?,
        _ => format!("sqlite://{}", dir.join("sync.db").display()),
    };
    Ok((Store::open(&url).await?, url))
}

async fn finish(backend: Backend, a: &Args, store: Store) -> anyhow::Result<()> {
    let c = store.counts().await?;
    println!(
        "stored: tickets {} messages {} status_changes {} ratings {} agents {} customers {}",
        c.get("tickets").unwrap_or(&0),
        c.get("messages").unwrap_or(&0),
        c.get("status_changes").unwrap_or(&0),
        c.get("ratings").unwrap_or(&0),
        c.get("agents").unwrap_or(&0),
        c.get("customers").unwrap_or(&0),
    );
    store.close().await;
    if backend == Backend::Postgres {
        drop_pg_db(&a.postgres_url).await?;
    }
    Ok(())
}

fn print_streams(runs: &[StreamRun]) {
    for r in runs {
        println!(
            "  {:<22} {:>6} pages {:>9} records {:>8.2} s (commit_batch {:>7.2} s, fetch + parse + wait {:>7.2} s)",
            r.name,
            r.pages,
            r.records,
            r.secs,
            r.commit_secs,
            r.secs - r.commit_secs
        );
    }
}

pub async fn run(mut a: Args) -> anyhow::Result<()> {
    if a.simulator.is_none() {
        a.simulator = Some(build_simulator()?);
    }
    for backend in a.backend.list() {
        if !a.skip_unlimited {
            unlimited(backend, &a).await?;
        }
        if a.limited_tickets > 0 {
            limited(backend, &a).await?;
        }
    }
    Ok(())
}

async fn unlimited(backend: Backend, a: &Args) -> anyhow::Result<()> {
    let sim = Sim::start(a, a.tickets, None)?;
    println!(
        "\n== sync, limits off, {}: simulator {} tickets, {} comments, {} ratings (incl. unanswered) at {} ==",
        backend.name(),
        sim.tickets,
        sim.comments,
        sim.ratings,
        sim.base_url
    );
    let dir = tempfile::tempdir()?;
    let (store, url) = open(backend, a, dir.path()).await?;
    reset_peak();
    let base = crate::rss_mb();
    let cpu0 = cpu_secs();
    let (secs, runs, _, _) = sync_all(&sim, &store, a.page_size, (0, 0, 0), None).await?;
    let cpu = cpu_secs() - cpu0;
    let peak = peak_mb();
    // The simulator's own count: the tickets stream also carries each ticket's vendor
    // metrics, so its records are about twice the tickets.
    let tickets = sim.tickets;
    let minimum = api_minimum(&sim, a.page_size, &runs);
    let stats = sim.stop()?;
    print_streams(&runs);
    let records: u64 = runs.iter().map(|r| r.records).sum();
    let pages: u64 = runs.iter().map(|r| r.pages).sum();
    println!(
        "RESULT {} limits off: {tickets} tickets, {records} records in {secs:.2} s = {:.0} tickets/s, {:.0} records/s; CPU {cpu:.2} s; {pages} pages, {} requests served ({:.1} requests per 1,000 tickets; {} rate-limited; API minimum {minimum}, ratio {:.3}); peak RSS {peak:.0} MB (RSS at start {base:.0} MB); load {}",
        backend.name(),
        tickets as f64 / secs,
        records as f64 / secs,
        stats.requests,
        stats.requests as f64 * 1000.0 / tickets.max(1) as f64,
        stats.rate_limited,
        stats.requests as f64 / minimum.max(1) as f64,
        load()
    );
    if a.floor {
        let events = runs
            .iter()
            .find(|r| r.name == "ticket_events")
            .map_or((0, 0.0), |r| (r.pages, r.commit_secs));
        let postgres = backend == Backend::Postgres;
        crate::floor::run(postgres, &url, dir.path(), SOURCE, tickets, events).await?;
    }
    finish(backend, a, store).await
}

/// The fewest requests that read the simulated account at the largest page sizes: the
/// cursor exports (users, tickets) `per_page` a page, the ratings list 100 a page, and the
/// ticket events as many pages as the export's time pagination needs (the server decides
/// where a page ends: at `per_page` audits, or further when audits share a second), which
/// is the pages the run read.
fn api_minimum(sim: &Sim, page_size: u32, runs: &[StreamRun]) -> u64 {
    let per = u64::from(page_size.clamp(1, 1000));
    let events = runs
        .iter()
        .filter(|r| r.name.starts_with("ticket_events"))
        .map(|r| r.pages)
        .sum::<u64>();
    sim.users.div_ceil(per) + sim.tickets.div_ceil(per) + events + sim.ratings.div_ceil(100)
}

/// Where two reports differ: each differing leaf's path with the first value and the whole
/// history's (at most 12).
fn differences(first: &serde_json::Value, whole: &serde_json::Value) -> Vec<String> {
    fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value::{Array, Object};
        match (a, b) {
            _ if a == b || out.len() >= 12 => {}
            (Object(x), Object(y)) => {
                for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                    let null = serde_json::Value::Null;
                    let (l, r) = (x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null));
                    walk(&format!("{path}.{k}"), l, r, out);
                }
            }
            (Array(x), Array(y)) if x.len() == y.len() => {
                for (i, (l, r)) in x.iter().zip(y).enumerate() {
                    walk(&format!("{path}[{i}]"), l, r, out);
                }
            }
            _ => out.push(format!(
                "{path}: {a} after the recent legs, {b} after the full sync"
            )),
        }
    }
    let mut out = Vec::new();
    walk("", first, whole, &mut out);
    out
}

/// CPU time of this process so far (user + system), in seconds.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces), from the state on.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; Linux
    // counts them at 100 Hz.
    (ticks(11) + ticks(12)) / 100.0
}

async fn limited(backend: Backend, a: &Args) -> anyhow::Result<()> {
    let speed = a.speed;
    let sim = Sim::start(a, a.limited_tickets, Some(speed))?;
    let rpm = (f64::from(a.vendor_rpm) * speed).round() as u32;
    let inc = (f64::from(a.vendor_incremental_rpm) * speed).round() as u32;
    println!(
        "\n== sync, vendor limits at speed {speed}, {}: simulator {} tickets, {} comments; connector requests_per_minute {rpm}, incremental_requests_per_minute {inc} ==",
        backend.name(),
        sim.tickets,
        sim.comments,
    );
    let dir = tempfile::tempdir()?;
    let (store, _) = open(backend, a, dir.path()).await?;
    reset_peak();
    let window =
        (a.first_window_days > 0).then(|| sim.now - chrono::Duration::days(a.first_window_days));
    let search_rpm = (f64::from(a.vendor_search_rpm) * speed).round() as u32;
    let (secs, runs, first, search) =
        sync_all(&sim, &store, a.page_size, (rpm, inc, search_rpm), window).await?;
    let peak = peak_mb();
    let sim_now = sim.now;
    let stats = sim.stop()?;
    print_streams(&runs);
    if let Some(f) = &first {
        // Each week judged complete must be what the whole history gives, figure for
        // figure: a verdict the numbers do not bear out would be a lie.
        let (mut same_complete, mut same_incomplete) = (0, 0);
        for (week, (complete, first_json)) in
            crate::metrics::thirteen_weeks(sim_now).iter().zip(&f.weeks)
        {
            let whole = serde_json::to_value(crate::metrics::week_alone(&store, week).await?)?;
            let same = whole == *first_json;
            anyhow::ensure!(
                same || !complete,
                "{} was judged complete after the recent legs, but the whole history changes its figures: {}",
                week.label(),
                differences(first_json, &whole).join("; ")
            );
            same_complete += usize::from(same && *complete);
            same_incomplete += usize::from(same && !*complete);
        }
        println!(
            "RESULT {} first report (window {} days): recent legs done at {:.2} s, report of the last complete week with its 12-week history at {:.2} s = {:.3} of the full sync's {secs:.2} s; {} of 13 weeks judged complete ({} tickets active in the others opened before the window), each identical to its report after the full sync ({same_complete} of {}); of the weeks judged incomplete, {same_incomplete} did not change",
            backend.name(),
            a.first_window_days,
            f.recent_secs,
            f.report_secs,
            f.report_secs / secs,
            f.complete_weeks,
            f.opened_before_window,
            f.complete_weeks,
        );
    }
    // The window's search pages are on their own budget, Export Search Results' 100 a
    // minute; the ratings list on the plan's.
    let incremental: u64 = runs
        .iter()
        .filter(|r| r.name != "satisfaction_ratings")
        .map(|r| r.pages)
        .sum::<u64>()
        - search;
    let other: u64 = runs
        .iter()
        .filter(|r| r.name == "satisfaction_ratings")
        .map(|r| r.pages)
        .sum();
    // Vendor minutes → real seconds at this speed.
    let per_inc = 60.0 / (f64::from(a.vendor_incremental_rpm) * speed);
    let per_any = 60.0 / (f64::from(a.vendor_rpm) * speed);
    let per_search = 60.0 / (f64::from(a.vendor_search_rpm) * speed);
    // The minimum: incremental requests ÷ their allowance (the other endpoints'
    // allowance is 70× larger, and could run alongside).
    let theory = incremental as f64 * per_inc;
    // With our streams one after another: plus the lists' pages at their allowances.
    let theory_seq = theory + other as f64 * per_any + search as f64 * per_search;
    // Both buckets start full: the first `limit` requests of a minute are free.
    let burst_aware = (incremental.saturating_sub(u64::from(a.vendor_incremental_rpm))) as f64
        * per_inc
        + (other.saturating_sub(u64::from(a.vendor_rpm))) as f64 * per_any
        + (search.saturating_sub(u64::from(a.vendor_search_rpm))) as f64 * per_search;
    // The simulator counts Zendesk's limits in fixed (scaled) minutes, as Zendesk documents
    // "requests per minute": a window's whole allowance may go at its start, so the floor is
    // one window per allowance of pages, less the last window's wait. The facts refresh after
    // the streams is governed by no limit: it is left out of the paced time.
    let window = 60.0 / speed;
    let windows = |pages: u64, per: u32| pages.div_ceil(u64::from(per.max(1))).saturating_sub(1);
    let window_min = (windows(incremental, a.vendor_incremental_rpm)
        + windows(other, a.vendor_rpm)
        + windows(search, a.vendor_search_rpm)) as f64
        * window;
    let paced: f64 = runs.iter().filter(|r| r.pages > 0).map(|r| r.secs).sum();
    println!(
        "RESULT {} limits on (speed {speed}): {incremental} incremental + {other} other + {search} search pages, {} requests served, {} answered 429; elapsed {secs:.2} s; theoretical minimum {theory:.2} s (incremental pages ÷ allowance) → ratio {:.3}; sequential-streams minimum {theory_seq:.2} s → {:.3}; burst-aware minimum {burst_aware:.2} s → {:.3}; window minimum {window_min:.2} s against the streams' {paced:.2} s (facts refresh left out) → {:.3}; peak RSS {peak:.0} MB; load {}",
        backend.name(),
        stats.requests,
        stats.rate_limited,
        secs / theory,
        secs / theory_seq,
        secs / burst_aware.max(1e-9),
        paced / window_min.max(1e-9),
        load()
    );
    finish(backend, a, store).await
}
