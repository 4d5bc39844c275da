//! `deskpulse-bench metrics`: the weekly report over a long generated history.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, Utc};
use deskpulse_metrics::{
    BusinessHours, KpiReport, TeamConfig, attach_history, compute_report, compute_reports,
};
use deskpulse_model::{Batch, Checkpoint, Period, PeriodSpec, Record, RecordKind};
use deskpulse_storage::Store;

use crate::history::{History, HistoryConfig};
use crate::{
    Backend, DEFAULT_PG, create_pg_db, drop_pg_db, load, median, peak_mb, reset_peak, rss_mb,
};

const SOURCE: &str = "zendesk-main";
pub(crate) const TEAM: &str = "support";

/// The generated history: its size and shape (the `metrics` and `serve` benchmarks share
/// it, so one `--sqlite-file` serves both).
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// Tickets in the history.
    #[arg(long, default_value_t = 1_000_000)]
    pub tickets: u64,
    /// Messages in the history (approximate: a mean per ticket is derived from it).
    #[arg(long)]
    messages: Option<u64>,
    /// CSAT answers in the history (approximate); default 20 % of the tickets.
    #[arg(long)]
    ratings: Option<u64>,
    /// Days of history.
    #[arg(long, default_value_t = 730)]
    pub days: u32,
    /// Human agents.
    #[arg(long, default_value_t = 60)]
    agents: u32,
    /// Seed of the generated history.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Tickets per `commit_batch` while loading.
    #[arg(long, default_value_t = 5_000)]
    pub batch_tickets: usize,
    /// The end of the history ("now", RFC 3339); default: the simulator's, Monday
    /// 2026-11-23T06:00:00Z.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
}

impl HistoryArgs {
    /// The generator's settings, and the history's messages and ratings.
    pub fn config(&self) -> (HistoryConfig, u64, u64) {
        let messages = self.messages.unwrap_or(self.tickets * 8);
        let ratings = self.ratings.unwrap_or(self.tickets / 5);
        let cfg = HistoryConfig {
            seed: self.seed,
            now: self.now.unwrap_or_else(default_now),
            days: self.days,
            tickets: self.tickets,
            messages_per_ticket: messages as f64 / self.tickets.max(1) as f64,
            ratings,
            agents: self.agents,
            customers: (self.tickets / 3).max(1) as u32,
        };
        (cfg, messages, ratings)
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    history: HistoryArgs,
    /// Timed runs of the report (after one warm-up run).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    #[arg(long, value_enum, default_value_t = Backend::Both)]
    backend: Backend,
    /// Postgres server: its database is only used to create and drop `deskpulse_bench`.
    #[arg(long, default_value = DEFAULT_PG)]
    postgres_url: String,
    /// Keep the SQLite database in this file (reused, not regenerated, when it exists).
    #[arg(long)]
    sqlite_file: Option<PathBuf>,
    /// Keep `deskpulse_bench` on Postgres after the run and reuse it when it has tickets.
    #[arg(long)]
    keep_postgres: bool,
    /// Before the reports, time `Store::rebuild_facts` (what the first open after an upgrade
    /// that changes the derivation does).
    #[arg(long)]
    rebuild: bool,
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let (cfg, messages, ratings) = a.history.config();
    let now = cfg.now;
    println!(
        "metrics bench: {} tickets, ~{messages} messages, ~{ratings} ratings over {} days, {} agents, now {now}",
        cfg.tickets, cfg.days, cfg.agents
    );
    for backend in a.backend.list() {
        let tmp = tempfile::tempdir()?;
        let (url, fresh) = match backend {
            Backend::Postgres => {
                let url = crate::with_database(&a.postgres_url, crate::BENCH_DB);
                if a.keep_postgres && has_tickets(&url).await {
                    (url, false)
                } else {
                    (create_pg_db(&a.postgres_url).await?, true)
                }
            }
            _ => {
                let path = a
                    .sqlite_file
                    .clone()
                    .unwrap_or_else(|| tmp.path().join("bench.db"));
                let fresh = !path.exists();
                (format!("sqlite://{}", path.display()), fresh)
            }
        };
        let store = Store::open(&url).await?;
        println!("\n== {} ==", backend.name());
        if fresh {
            populate(&store, &cfg, a.history.batch_tickets).await?;
        } else {
            println!("reusing the stored history");
        }
        let counts = store.counts().await?;
        println!(
            "stored: tickets {} messages {} status_changes {} ratings {} agents {}",
            counts.get("tickets").unwrap_or(&0),
            counts.get("messages").unwrap_or(&0),
            counts.get("status_changes").unwrap_or(&0),
            counts.get("ratings").unwrap_or(&0),
            counts.get("agents").unwrap_or(&0),
        );
        if let Backend::Sqlite = backend {
            let path = url.trim_start_matches("sqlite://");
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            println!("database file: {:.0} MB", size as f64 / 1e6);
        }
        if a.rebuild {
            reset_peak();
            let t = Instant::now();
            let n = store.rebuild_facts().await?;
            println!(
                "RESULT rebuild of the ticket facts: {n} tickets in {:.1} s ({:.0} tickets/s); peak RSS {:.0} MB; load {}",
                t.elapsed().as_secs_f64(),
                n as f64 / t.elapsed().as_secs_f64(),
                peak_mb(),
                load()
            );
        }
        report_runs(&store, now, a.runs).await?;
        fresh_runs(&url, now, a.runs.min(3)).await?;
        store.close().await;
        if backend == Backend::Postgres && !a.keep_postgres {
            drop_pg_db(&a.postgres_url).await?;
        }
    }
    Ok(())
}

fn default_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T06:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

async fn has_tickets(url: &str) -> bool {
    match Store::open(url).await {
        Ok(s) => {
            let n = s
                .counts()
                .await
                .ok()
                .and_then(|c| c.get("tickets").copied())
                .unwrap_or(0);
            s.close().await;
            n > 0
        }
        Err(_) => false,
    }
}

pub(crate) async fn populate(
    store: &Store,
    cfg: &HistoryConfig,
    batch: usize,
) -> anyhow::Result<()> {
    reset_peak();
    let mut h = History::new(cfg.clone())?;
    let mut n = 0u64;
    let cp = |n: u64| Checkpoint::new(serde_json::json!({ "tickets": n }));
    store
        .commit_batch(
            SOURCE,
            "bench",
            &Batch {
                records: h.agents(),
                checkpoint: cp(0),
            },
        )
        .await?;
    let (mut gen_t, mut write_t) = (Duration::ZERO, Duration::ZERO);
    let mut kinds: BTreeMap<RecordKind, u64> = BTreeMap::new();
    let started = Instant::now();
    let mut next_report = 100_000;
    loop {
        let t = Instant::now();
        let Some(records) = h.next_chunk(batch) else {
            break;
        };
        gen_t += t.elapsed();
        for r in &records {
            *kinds.entry(r.kind()).or_default() += 1;
            if let Record::Ticket(_) = r {
                n += 1;
            }
        }
        let t = Instant::now();
        store
            .commit_batch(
                SOURCE,
                "bench",
                &Batch {
                    records,
                    checkpoint: cp(n),
                },
            )
            .await?;
        write_t += t.elapsed();
        if n >= next_report {
            eprintln!(
                "  {n} tickets in {:.1} s (load {})",
                started.elapsed().as_secs_f64(),
                load()
            );
            next_report += 100_000;
        }
    }
    let t = Instant::now();
    let refreshed = store.refresh_facts().await?;
    let refresh_t = t.elapsed().as_secs_f64();
    write_t += t.elapsed();
    println!("ticket facts of {refreshed} tickets derived in {refresh_t:.1} s (included below)");
    let total = started.elapsed().as_secs_f64();
    let records: u64 = kinds.values().sum();
    println!(
        "generated {records} records ({kinds:?}) in {:.1} s: generation {:.1} s, commit_batch {:.1} s ({:.0} records/s, {:.0} tickets/s written); peak RSS {:.0} MB; load {}",
        total,
        gen_t.as_secs_f64(),
        write_t.as_secs_f64(),
        records as f64 / write_t.as_secs_f64(),
        n as f64 / write_t.as_secs_f64(),
        peak_mb(),
        load()
    );
    Ok(())
}

pub(crate) fn team() -> TeamConfig {
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
    let five = NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default();
    TeamConfig {
        name: TEAM.into(),
        count_bot_replies: false,
        targets: Default::default(),
        business_hours: Some(BusinessHours::weekdays(nine, five)),
        complaint_tags: vec!["complaint".into()],
    }
}

pub(crate) struct RunTimes {
    total: f64,
    load: f64,
    compute: f64,
    /// The report week alone (load + compute, no history).
    week: f64,
    /// Per input: (what, facts loaded, load s (both loads run together), compute s).
    phases: Vec<(String, usize, f64, f64)>,
}

/// The week of the report of the last complete week before `now` (Berlin time) and the 12
/// before it, newest first.
pub(crate) fn thirteen_weeks(now: DateTime<Utc>) -> Vec<Period> {
    let tz = chrono_tz::Europe::Berlin;
    let week = PeriodSpec::last_complete_week(now, tz).in_zone(tz);
    std::iter::successors(Some(week), |w| Some(w.previous()))
        .take(13)
        .collect()
}

/// One week's own report, loaded and computed without history (as `report` of one period
/// loads it).
pub(crate) async fn week_alone(store: &Store, week: &Period) -> anyhow::Result<KpiReport> {
    let input = store
        .load_report_input_for(TEAM, &[SOURCE.to_string()], week.start, week.end)
        .await?;
    Ok(compute_report(&team(), week, &input))
}

/// What `deskpulse report` does (crates/cli/src/report.rs): the week's own load and, at the
/// same time, one load for the 12 previous weeks (with the backlog at each of their ends);
/// then the week's report, the 12 weeks' reports, and the history attached. Timed apart
/// (not in `total`): the week alone, loaded and computed without history.
pub(crate) async fn one_run(
    store: &Store,
    now: DateTime<Utc>,
) -> anyhow::Result<(RunTimes, KpiReport)> {
    let team = team();
    let sources = vec![SOURCE.to_string()];
    let weeks = thirteen_weeks(now);
    let (week, history) = (weeks[0], &weeks[1..]);
    let started = Instant::now();
    let bounds: Vec<_> = history.iter().map(|p| (p.start, p.end)).collect();
    let (input, span) = store
        .load_report_with_history_for(TEAM, &sources, (week.start, week.end), &bounds)
        .await?;
    let load_t = started.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut current = compute_report(&team, &week, &input);
    let week_compute = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let reports: Vec<KpiReport> = compute_reports(&team, history, &span);
    attach_history(&mut current, &team, &reports);
    let span_compute = t.elapsed().as_secs_f64();
    let t = Instant::now();
    week_alone(store, &week).await?;
    let alone_t = t.elapsed().as_secs_f64();
    let total = load_t + week_compute + span_compute;
    Ok((
        RunTimes {
            total,
            load: load_t,
            compute: week_compute + span_compute,
            week: alone_t,
            phases: vec![
                (week.label(), input.facts.len(), load_t, week_compute),
                (
                    format!("{}..{}", history[11].label(), history[0].label()),
                    span.facts.len(),
                    load_t,
                    span_compute,
                ),
            ],
        },
        current,
    ))
}

/// The report as one `deskpulse report` process meets it: a newly opened store (empty
/// connection pool and page caches; the OS file cache is warm from the runs before).
async fn fresh_runs(url: &str, now: DateTime<Utc>, runs: usize) -> anyhow::Result<()> {
    let mut totals = Vec::new();
    for i in 0..runs {
        let t = Instant::now();
        let store = Store::open(url).await?;
        let opened = t.elapsed().as_secs_f64();
        let (r, _) = one_run(&store, now).await?;
        store.close().await;
        println!(
            "fresh run {}: open {opened:.3} s + report with history {:.3} s = {:.3} s (load {:.3} s, compute {:.3} s)",
            i + 1,
            r.total,
            opened + r.total,
            r.load,
            r.compute
        );
        totals.push(opened + r.total);
    }
    if !totals.is_empty() {
        println!(
            "RESULT newly opened store (open + report with 12-week history): best {:.3} s, median {:.3} s; load {}",
            totals.iter().copied().fold(f64::INFINITY, f64::min),
            median(&totals),
            load()
        );
    }
    Ok(())
}

async fn report_runs(store: &Store, now: DateTime<Utc>, runs: usize) -> anyhow::Result<()> {
    reset_peak();
    let before = rss_mb();
    let (warm, report) = one_run(store, now).await?;
    let v = serde_json::to_value(&report)?;
    println!(
        "report {}: ticket_volume {} solved {} backlog {} frt median {} s, csat {} (n {}), agents rows {}, trends {}, forecast {}",
        report.period.label,
        v["kpis"]["ticket_volume"]["value"],
        v["kpis"]["solved"]["value"],
        v["kpis"]["backlog"]["value"],
        v["kpis"]["first_response_time"]["median_seconds"],
        v["kpis"]["csat"]["value"],
        v["kpis"]["csat"]["n"],
        report.agents.len(),
        report.trends.is_some(),
        report.forecast.is_some(),
    );
    println!("warm-up run: {:.3} s", warm.total);
    println!("load                   ticket facts   load s  compute s");
    for (label, n, l, c) in &warm.phases {
        println!("{label:<22} {n:>12} {l:>8.3} {c:>10.3}");
    }
    let mut totals = Vec::new();
    let mut loads = Vec::new();
    let mut computes = Vec::new();
    let mut weeks = Vec::new();
    for i in 0..runs {
        let (r, _) = one_run(store, now).await?;
        println!(
            "run {}: total {:.3} s (load {:.3} s, compute {:.3} s; report week alone {:.3} s); load {}",
            i + 1,
            r.total,
            r.load,
            r.compute,
            r.week,
            load()
        );
        totals.push(r.total);
        loads.push(r.load);
        computes.push(r.compute);
        weeks.push(r.week);
    }
    let best = totals.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "RESULT report with 12-week history + agents: best {best:.3} s, median {:.3} s (load median {:.3} s, compute median {:.3} s); week alone median {:.3} s; peak RSS during reports {:.0} MB (RSS before {:.0} MB); load {}",
        median(&totals),
        median(&loads),
        median(&computes),
        median(&weeks),
        peak_mb(),
        before,
        load()
    );
    Ok(())
}
