//! `deskpulse demo`: the whole job with no account — the built-in simulator of Zendesk,
//! Trustpilot, Google Business Profile, a Facebook Page and X on a free local port, a
//! throwaway SQLite database (or `--database`), a synced quarter of history (tickets,
//! reviews, public comments and mentions), and the last complete week's report, checked
//! against the simulator's ground truth.

use crate::CommandError;
use crate::cli::DemoArgs;
use crate::config::{KindSettings, SourceSettings, TeamSettings};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use deskpulse_metrics::{KpiReport, platform_label};
use deskpulse_model::{PeriodSpec, SourceName};
use deskpulse_scheduler::DigestSchedule;
use deskpulse_simulator::{
    Dataset, Faults, GroundTruth, ReviewPlatform, RunningSimulator, SimConfig, Simulator, TrueScore,
};
use deskpulse_storage::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SOURCE: &str = "demo-zendesk";
const TRUSTPILOT: &str = "demo-trustpilot";
const GOOGLE: &str = "demo-google";
const FACEBOOK: &str = "demo-facebook";
const X: &str = "demo-x";

/// The whole demo, step by step; each step prints its own lines.
pub(crate) async fn run(args: DemoArgs) -> Result<(), CommandError> {
    let (timezone, now) = check_args(&args)?;
    let started = Instant::now();
    let sim = start_simulator(&args, now).await?;
    let (store, db_url, db_note) = open_database(&args).await?;
    let sources = sync(&args, &sim, &store).await?;
    let stats = sim.server.stats();
    println!(
        "sync: {} requests, {} answered 429, {} faults injected — {:.1}s in all{db_note}",
        stats.requests,
        stats.rate_limited,
        stats.faults_injected(),
        started.elapsed().as_secs_f64()
    );
    let team = team(timezone, &sources)?;
    let spec = PeriodSpec::last_complete_week(now, timezone);
    let report = report(&store, &team, spec).await?;
    digest_preview(&store, &team, spec).await?;
    let truth = sim.dataset.truth();
    let mut bad = check_against_truth(&report, truth, spec, timezone);
    bad.extend(reconcile_summary(&store, &team, spec, truth).await?);
    sim.server.shutdown().await;
    let dashboard = crate::serve::demo_config(&demo_dir(), &db_url, &team, &sources)?;
    verdict(spec, &bad)?;
    println!("{dashboard}");
    Ok(())
}

/// The time zone and the instant the demo runs at, with every flag checked.
fn check_args(args: &DemoArgs) -> Result<(Tz, DateTime<Utc>), CommandError> {
    let timezone: Tz = args.timezone.parse().map_err(|_| {
        CommandError::Usage(format!(
            "--timezone: unknown time zone {:?} (use an IANA name such as Europe/Berlin)",
            args.timezone
        ))
    })?;
    for (flag, rate) in [("--faults", args.faults)] {
        if !(0.0..=1.0).contains(&rate) {
            return Err(CommandError::Usage(format!(
                "{flag}: {rate} is not a rate between 0 and 1"
            )));
        }
    }
    if args.speed <= 0.0 {
        return Err(CommandError::Usage(format!(
            "--speed: {} must be positive",
            args.speed
        )));
    }
    let now = match &args.now {
        Some(s) => s.parse::<DateTime<Utc>>().map_err(|e| {
            CommandError::Usage(format!("--now: {s:?} is not an RFC 3339 time ({e})"))
        })?,
        None => Utc::now(),
    };
    let now = DateTime::<Utc>::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    Ok((timezone, now))
}

/// The running simulator, the data it serves and how it was configured.
struct Sim {
    server: RunningSimulator,
    dataset: Arc<Dataset>,
    config: SimConfig,
}

/// Generates the history and serves it as Zendesk on a free local port.
async fn start_simulator(args: &DemoArgs, now: DateTime<Utc>) -> Result<Sim, CommandError> {
    let mut cfg = SimConfig {
        seed: args.seed,
        now,
        ..SimConfig::default()
    };
    cfg.data.days = args.days;
    cfg.data.tickets_per_day = args.tickets_per_day;
    cfg.data.agents = args.agents;
    cfg.limits.enabled = !args.no_limits;
    cfg.limits.speed = args.speed;
    if args.faults > 0.0 {
        cfg.faults = Faults {
            slow_delay: Duration::from_millis(50),
            ..Faults::all(args.faults)
        };
    }
    let gen_cfg = cfg.clone();
    let dataset = tokio::task::spawn_blocking(move || Dataset::generate(&gen_cfg))
        .await
        .map_err(|e| {
            CommandError::Runtime(format!("the simulator's data generator failed: {e}"))
        })?;
    let dataset = Arc::new(dataset);
    let server = Simulator::start(dataset.clone(), cfg.clone())
        .await
        .map_err(|e| {
            CommandError::Runtime(format!("cannot start the simulator on 127.0.0.1: {e}"))
        })?;
    let truth = dataset.truth();
    println!(
        "simulator: {} tickets, {} comments, {} agents over {} days, seed {} — at {}",
        truth.ticket_count(),
        truth.comment_count(),
        truth.agents.len(),
        args.days,
        args.seed,
        server.base_url()
    );
    Ok(Sim {
        server,
        dataset,
        config: cfg,
    })
}

/// Where the demo keeps its files: the database (unless `--database`) and the digest preview.
fn demo_dir() -> PathBuf {
    std::env::temp_dir().join(format!("deskpulse-demo-{}", std::process::id()))
}

/// `--database`, else a fresh SQLite file in [`demo_dir`]; its URL, and the note saying where
/// it is.
async fn open_database(args: &DemoArgs) -> Result<(Store, String, String), CommandError> {
    let (db_url, db_note) = match &args.database {
        Some(url) => (url.clone(), String::new()),
        None => {
            let dir = demo_dir();
            std::fs::create_dir_all(&dir).map_err(|e| {
                CommandError::Runtime(format!("cannot create {}: {e}", dir.display()))
            })?;
            let path = dir.join("demo.db");
            let _ = std::fs::remove_file(&path);
            (
                format!("sqlite://{}", path.display()),
                format!(" (kept at {}; delete it when done)", path.display()),
            )
        }
    };
    let store = Store::open(&db_url)
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    Ok((store, db_url, db_note))
}

/// Syncs the simulator as a Zendesk, a Trustpilot and a Google Business Profile source, the
/// way `deskpulse sync` would.
async fn sync(
    args: &DemoArgs,
    sim: &Sim,
    store: &Store,
) -> Result<Vec<SourceSettings>, CommandError> {
    let cfg = &sim.config;
    // The connector paces itself like it would against Zendesk, at the simulator's speed.
    let per_minute = |vendor: u32| -> u64 {
        if args.no_limits {
            0
        } else {
            ((f64::from(vendor) * args.speed).ceil() as u64).max(1)
        }
    };
    let source = |name: &str, kind: &str, settings: serde_json::Value| {
        Ok::<_, CommandError>(SourceSettings {
            name: SourceName::parse(name).map_err(|e| CommandError::Runtime(e.to_string()))?,
            kind: kind.into(),
            sync_every: Duration::from_secs(15 * 60),
            max_pages: deskpulse_connector::bounds::DEFAULT_MAX_PAGES,
            max_body_mb: crate::config::DEFAULT_MAX_BODY_MB,
            // The demo's account is small and its history ends at the simulator's clock,
            // not this machine's: one pass.
            first_window: None,
            settings: KindSettings(settings),
            key: format!("demo.{name}"),
        })
    };
    let c = &cfg.credentials;
    // The connectors' windows count back from the real clock; the simulated history ends at
    // `--now`, which may be earlier: read from the history's start, whatever the window.
    let history_start = cfg.now - chrono::Duration::days(i64::from(args.days));
    let behind = (Utc::now() - history_start).num_days().max(0) + 1;
    let window_days = u32::try_from(behind).unwrap_or(u32::MAX).clamp(1, 90);
    let sources = vec![
        source(
            SOURCE,
            "zendesk",
            serde_json::json!({
                "subdomain": "demo",
                "email": c.email,
                "api_token": c.token,
                "base_url": sim.server.base_url(),
                "requests_per_minute": per_minute(cfg.limits.requests_per_minute),
                "incremental_requests_per_minute": per_minute(cfg.limits.incremental_per_minute),
            }),
        )?,
        // Trustpilot allows 833 requests per 5 minutes; Google 300 a minute.
        source(
            TRUSTPILOT,
            "trustpilot",
            serde_json::json!({
                "business_unit_id": c.trustpilot_business_unit,
                "api_key": c.trustpilot_api_key,
                "base_url": sim.server.trustpilot_base_url(),
                "requests_per_minute": per_minute(166),
            }),
        )?,
        source(
            GOOGLE,
            "google_business_profile",
            serde_json::json!({
                "account_id": c.google_account_id,
                "location_id": c.google_location_id,
                "client_id": c.google_client_id,
                "client_secret": c.google_client_secret,
                "refresh_token": c.google_refresh_token,
                "base_url": sim.server.base_url(),
                "token_url": sim.server.google_token_url(),
                "requests_per_minute": per_minute(300),
            }),
        )?,
        // The whole simulated history is read (the connectors' windows default to a week).
        source(
            FACEBOOK,
            "facebook_page",
            serde_json::json!({
                "page_id": c.facebook_page_id,
                "access_token": c.facebook_page_token,
                "base_url": sim.server.facebook_base_url(),
                "rescan_days": window_days,
                "requests_per_hour": per_minute(80) * 60,
            }),
        )?,
        source(
            X,
            "x",
            serde_json::json!({
                "user_id": c.x_user_id,
                "bearer_token": c.x_bearer_token,
                "base_url": sim.server.x_base_url(),
                "start_date": history_start.to_rfc3339(),
                "rescan_days": window_days,
            }),
        )?,
    ];
    for source in &sources {
        crate::sync::sync_source(store, source, &deskpulse_connector::SyncOptions::default())
            .await
            .map_err(CommandError::Runtime)?;
    }
    Ok(sources)
}

/// A team on the demo sources with DESIGN's defaults.
fn team(timezone: Tz, sources: &[SourceSettings]) -> Result<TeamSettings, CommandError> {
    let digest_schedule = DigestSchedule::parse(crate::config::DEFAULT_DIGEST_SCHEDULE, timezone)
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    Ok(TeamSettings {
        name: "demo".into(),
        timezone,
        sources: sources.iter().map(|s| s.name.clone()).collect(),
        digest_schedule,
        complaint_tags: vec!["complaint".into()],
        count_bot_replies: false,
        business_hours: None,
        targets: deskpulse_metrics::Targets::default(),
        channels: Vec::new(),
        limits: Vec::new(),
        source_kinds: sources
            .iter()
            .map(|s| (s.name.as_str().to_owned(), s.kind.clone()))
            .collect(),
        digest_hold_max: deskpulse_scheduler::DEFAULT_HOLD_MAX,
        restatement_threshold: deskpulse_metrics::RESTATEMENT_THRESHOLD,
    })
}

/// The week's report, printed as `deskpulse report` prints it.
async fn report(
    store: &Store,
    team: &TeamSettings,
    spec: PeriodSpec,
) -> Result<KpiReport, CommandError> {
    let report = crate::report::compute(store, team, spec).await?;
    println!();
    print!("{}", deskpulse_metrics::render_text(&report));
    println!();
    Ok(report)
}

/// The digest a manager would get, next to the demo database (HTML with its charts, text).
async fn digest_preview(
    store: &Store,
    team: &TeamSettings,
    spec: PeriodSpec,
) -> Result<(), CommandError> {
    let preview_dir = demo_dir();
    let rendered = crate::digest::render(store, team, spec).await?;
    let html = crate::digest::write_html(&rendered, &preview_dir)?;
    let text_path = preview_dir.join("digest.txt");
    std::fs::write(&text_path, &rendered.text)
        .map_err(|e| CommandError::Runtime(format!("cannot write {}: {e}", text_path.display())))?;
    println!(
        "digest preview: {} (text: {})",
        html.display(),
        text_path.display()
    );
    println!();
    Ok(())
}

/// Where the report disagrees with what the simulator generated (nothing when it agrees).
fn check_against_truth(
    report: &KpiReport,
    truth: &GroundTruth,
    spec: PeriodSpec,
    timezone: Tz,
) -> Vec<String> {
    let period = spec.in_zone(timezone);
    let expected = truth_kpis(truth, period.start, period.end);
    let k = &report.kpis;
    let checks = [
        (
            "tickets created",
            Some(expected.volume as f64),
            Some(k.ticket_volume.value as f64),
        ),
        (
            "solved",
            Some(expected.solved as f64),
            Some(k.solved.value as f64),
        ),
        (
            "backlog",
            Some(expected.backlog as f64),
            Some(k.backlog.value as f64),
        ),
        (
            "first responses",
            Some(expected.first_responses as f64),
            Some(k.first_response_time.stats.n as f64),
        ),
        (
            "CSAT responses",
            Some(expected.csat_n as f64),
            Some(k.csat.n as f64),
        ),
        ("CSAT", expected.csat, k.csat.value),
    ];
    let mut checks: Vec<Check> = checks
        .into_iter()
        .map(|(what, want, got)| (what.to_owned(), want, got))
        .collect();
    checks.extend(public_checks(report, truth, period.start, period.end));
    let mut bad = Vec::new();
    for (name, want, got) in checks {
        let same = match (want, got) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        if !same {
            bad.push(format!(
                "{name}: the simulator says {want:?}, the report {got:?}"
            ));
        }
    }
    bad
}

/// A check of the demo's verdict: what, the simulator's value, the report's.
type Check = (String, Option<f64>, Option<f64>);

/// The period's review KPIs and public response, over every platform and each one, and the
/// complaints they make, against what the simulator generated (Google's reply time to the
/// reply's last edit, as its API serves it).
fn public_checks(
    report: &KpiReport,
    truth: &GroundTruth,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<Check> {
    let mut out: Vec<Check> = Vec::new();
    let mut check = |what: String, want: Option<f64>, got: Option<f64>| out.push((what, want, got));
    let r = &report.kpis.reviews;
    let platforms = ReviewPlatform::ALL.map(|p| (Some(p), platform_label(p.as_str())));
    for (platform, name) in [(None, "all")].into_iter().chain(platforms) {
        let want = truth.review_kpis(platform, start, end);
        let got = match platform {
            None => Some(&r.all),
            Some(p) => r.by_platform.get(p.as_str()).map(|x| &x.stats),
        };
        let n = got.map_or(0.0, |g| g.n as f64);
        check(format!("{name} new reviews"), Some(want.n as f64), Some(n));
        check(
            format!("{name} mean rating"),
            want.mean_rating,
            got.and_then(|g| g.mean_rating),
        );
        check(
            format!("{name} negative reviews"),
            want.share_negative,
            got.and_then(|g| g.share_negative),
        );
        check(
            format!("{name} answered reviews"),
            want.share_answered,
            got.and_then(|g| g.share_answered),
        );
        check(
            format!("{name} review reply time"),
            want.median_reply_seconds,
            got.and_then(|g| g.median_reply_seconds),
        );
    }
    for platform in [None, Some("facebook_page"), Some("x")] {
        let name = platform.map_or("all", platform_label);
        let want = truth.public_response(platform, start, end);
        let p = &report.kpis.public_response;
        let got = match platform {
            None => Some(&p.all),
            Some(x) => p.by_platform.get(x),
        };
        let count = |f: fn(&deskpulse_metrics::ResponseStats) -> u64| {
            Some(got.map_or(0.0, |g| f(g) as f64))
        };
        check(
            format!("{name} comments and mentions received"),
            Some(want.n as f64),
            count(|g| g.n),
        );
        check(
            format!("{name} comments and mentions answered"),
            Some(want.answered as f64),
            count(|g| g.answered),
        );
        check(
            format!("{name} public response time"),
            want.median_seconds,
            got.and_then(|g| g.median_seconds),
        );
        check(
            format!("{name} public response p90"),
            want.p90_seconds,
            got.and_then(|g| g.p90_seconds),
        );
    }
    let within = |t: DateTime<Utc>| start <= t && t < end;
    let negative = truth
        .reviews
        .iter()
        .filter(|v| within(v.created_at) && v.stars <= 2)
        .count();
    let c = &report.kpis.complaints;
    check(
        "complaints from reviews".into(),
        Some(negative as f64),
        Some(c.reviews as f64),
    );
    check(
        "negative recommendations".into(),
        Some(truth.negative_recommendations(start, end) as f64),
        Some(c.social as f64),
    );
    out
}

/// Zendesk's own metric sets, which the simulator computes by Zendesk's definitions, next to
/// ours, printed; returned: every difference that is not one the simulator recorded, for that
/// reason.
async fn reconcile_summary(
    store: &Store,
    team: &TeamSettings,
    spec: PeriodSpec,
    truth: &GroundTruth,
) -> Result<Vec<String>, CommandError> {
    let reconciled = crate::reconcile::compute(store, team, &[SOURCE.to_owned()], spec).await?;
    let Some(r) = reconciled.first() else {
        return Ok(Vec::new());
    };
    for line in crate::reconcile::summary(r) {
        println!("{line}");
    }
    println!();
    Ok(unexplained_differences(r, truth))
}

/// The last line: all checks passed, or the failure listing what disagreed.
fn verdict(spec: PeriodSpec, bad: &[String]) -> Result<(), CommandError> {
    if bad.is_empty() {
        println!(
            "checked against the simulator's ground truth for {}: tickets created, solved, backlog, first responses, CSAT and the Trustpilot and Google reviews (count, mean, negative and answered shares, reply time, complaints) and the Facebook and X public response (received, answered, median and p90 reply time, negative recommendations) all match, and every difference from Zendesk's own metrics has the reason the simulator recorded",
            spec
        );
        Ok(())
    } else {
        Err(CommandError::Runtime(format!(
            "the report disagrees with the simulator's ground truth: {}",
            bad.join("; ")
        )))
    }
}

/// The reconcile's disagreeing tickets (those it lists) whose reason is not the one the
/// simulator recorded when it computed Zendesk's metric set for them, and any "unknown".
fn unexplained_differences(
    r: &deskpulse_metrics::ReconcileReport,
    truth: &GroundTruth,
) -> Vec<String> {
    use deskpulse_metrics::Reason;
    use deskpulse_simulator::{Clock, VendorField};
    let field = |kpi: &str| match kpi {
        "first_response_time" => Some(VendorField::ReplyTime(Clock::Calendar)),
        "first_resolution_time" => Some(VendorField::FirstResolutionTime(Clock::Calendar)),
        "resolution_time" => Some(VendorField::FullResolutionTime(Clock::Calendar)),
        "reopen_rate" => Some(VendorField::Reopens),
        "one_touch_resolution_rate" => Some(VendorField::Replies),
        _ => None,
    };
    let mut out = Vec::new();
    for (kpi, k) in &r.kpis {
        let Some(field) = field(kpi) else { continue };
        for (reason, listed) in &k.reasons {
            if *reason == Reason::Unknown && listed.count > 0 {
                out.push(format!(
                    "reconcile: {} {kpi} differences are unexplained (tickets {})",
                    listed.count,
                    listed.tickets.join(", ")
                ));
                continue;
            }
            let want = serde_json::to_value(reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            for id in &listed.tickets {
                let recorded = id
                    .parse::<i64>()
                    .ok()
                    .and_then(|id| truth.ticket(id))
                    .map(|t| t.vendor_differences())
                    .unwrap_or_default()
                    .into_iter()
                    .find(|d| d.field == field)
                    .and_then(|d| d.reason);
                if recorded.map(|r| r.as_str()) != Some(want.as_str()) {
                    out.push(format!(
                        "reconcile: ticket {id}'s {kpi} differs for \"{want}\", the simulator recorded {:?}",
                        recorded.map(|r| r.as_str())
                    ));
                }
            }
        }
    }
    out
}

/// A few KPIs counted straight from what the simulator generated — not through the connector,
/// storage or metrics — so the demo proves the pipeline end to end.
struct TruthKpis {
    volume: usize,
    solved: usize,
    backlog: usize,
    first_responses: usize,
    csat_n: usize,
    csat: Option<f64>,
}

fn truth_kpis(truth: &GroundTruth, start: DateTime<Utc>, end: DateTime<Utc>) -> TruthKpis {
    let within = |t: DateTime<Utc>| start <= t && t < end;
    let included: Vec<_> = truth.included_tickets().collect();
    let solved_at = |t: &deskpulse_simulator::TrueTicket, at: DateTime<Utc>| {
        t.transitions
            .iter()
            .rfind(|x| x.at <= at)
            .is_some_and(|x| x.to.is_solved())
    };
    let volume = included.iter().filter(|t| within(t.created_at)).count();
    let solved = included
        .iter()
        .filter(|t| t.final_solved_at.is_some_and(within))
        .count();
    let backlog = included
        .iter()
        .filter(|t| t.created_at < end && !solved_at(t, end))
        .count();
    let first_responses = included
        .iter()
        .filter(|t| within(t.created_at) && !t.outbound && t.first_agent_reply_at().is_some())
        .count();
    let answered: Vec<bool> = truth
        .ratings
        .iter()
        .filter(|r| within(r.created_at) && r.answered())
        .filter(|r| {
            truth
                .ticket(r.ticket_id)
                .is_some_and(|t| t.excluded.is_none())
        })
        .map(|r| r.score == TrueScore::Good)
        .collect();
    let good = answered.iter().filter(|g| **g).count();
    TruthKpis {
        volume,
        solved,
        backlog,
        first_responses,
        csat_n: answered.len(),
        csat: (!answered.is_empty()).then(|| good as f64 / answered.len() as f64),
    }
}
