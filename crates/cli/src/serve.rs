//! `deskpulse serve`, and the same server inside `deskpulse run` when `[serve] listen` is set:
//! the dashboard, the JSON API and `/metrics` of the `deskpulse-serve` crate, fed with this
//! binary's report path ([`CliReports`]: `report::compute_as_reported`, the function
//! `deskpulse report` calls), its configuration's secrets and its telemetry hooks.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use deskpulse_connector::{StreamOutcome, SyncError};
use deskpulse_digest::delivery::{Delivery, DeliveryError};
use deskpulse_model::{PeriodSpec, Rating, Review};
use deskpulse_serve::{
    DeliveryOutcome, Options, ReportError, Reports, ServeError, ServeSettings, Server,
    StreamResult, TeamInfo, TeamReport, telemetry,
};
use deskpulse_storage::{Store, sync_job};

use crate::CommandError;
use crate::config::{self, Settings, SourceSettings, TeamSettings};

/// `deskpulse serve`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Pages: / (every team), /teams/NAME?period=2026-W46 (a team; &trend=52 for a year of weeks), \
/teams/NAME/agents/ID (an agent). API: /api/teams, /api/teams/NAME/report?period=P (what `report --format json` \
prints). /metrics (Prometheus), /healthz. It listens on 127.0.0.1:8080 unless told otherwise; \
any other address needs [serve.auth], and with it every route but /healthz asks for the token or \
the user's password. Nothing it serves changes data."
)]
pub struct ServeArgs {
    /// Address and port to listen on [default: [serve] listen, else 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Read a password on standard input, print its Argon2 hash for `[serve.auth]
    /// hashed_password`, and exit
    #[arg(long)]
    pub hash_password: bool,
}

/// The configuration's teams and this binary's report path, for the server.
pub struct CliReports {
    settings: Arc<Settings>,
    store: Store,
    teams: Vec<TeamInfo>,
    /// Every configured source, for the data version.
    sources: Vec<String>,
    /// Period reports computed before, valid for `version`.
    kept: crate::report::KeptPeriods,
    /// The data version `kept` belongs to.
    version: std::sync::Mutex<Option<u64>>,
    /// Reports computed for viewers right now (the background walk gives way to them).
    foreground: crate::report::Foreground,
}

/// How far back the background walk computes a team's periods: three years of weeks and of
/// months (what the dashboard's 52-week charts and its previous links reach).
const WARM_WEEKS: usize = 156;
const WARM_MONTHS: usize = 36;

impl CliReports {
    /// A failed computation as the server shows it: free of this configuration's secrets.
    fn failed(&self, e: CommandError) -> ReportError {
        ReportError::Failed(self.settings.secrets().scrub(e.message()))
    }

    fn team(&self, name: &str) -> Result<&TeamSettings, ReportError> {
        self.settings
            .teams
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| ReportError::NoTeam(name.to_owned()))
    }
}

/// The reports the server shows: `deskpulse report`'s own computation.
pub fn reports(settings: Arc<Settings>, store: Store) -> Arc<CliReports> {
    let teams = settings
        .teams
        .iter()
        .map(|t| TeamInfo {
            name: t.name.clone(),
            timezone: t.timezone,
            sources: t.sources.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    let sources = settings
        .sources
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    Arc::new(CliReports {
        settings,
        store,
        teams,
        sources,
        kept: crate::report::KeptPeriods::default(),
        version: std::sync::Mutex::new(None),
        foreground: crate::report::Foreground::default(),
    })
}

/// The server's options for this configuration: errors scrubbed of its secrets.
pub fn options(settings: &Settings) -> Options {
    let secrets = settings.secrets();
    Options {
        scrub: Arc::new(move |s: &str| secrets.scrub(&config::secrets::scrub(s))),
        ..Options::default()
    }
}

/// The period's reviews and survey answers of a computation, as the digest quotes them.
fn quoted(
    c: &crate::report::Computed,
    team: &TeamSettings,
    spec: PeriodSpec,
) -> (Vec<Review>, Vec<Rating>) {
    let period = spec.in_zone(team.timezone);
    let reviews = c
        .input
        .reviews
        .iter()
        .filter(|r| period.contains(r.review.created_at))
        .map(|r| r.review.clone())
        .collect();
    let ratings = c
        .input
        .ratings
        .iter()
        .filter(|r| period.contains(r.rating.created_at))
        .map(|r| r.rating.clone())
        .collect();
    (reviews, ratings)
}

#[async_trait]
impl Reports for CliReports {
    fn teams(&self) -> &[TeamInfo] {
        &self.teams
    }

    async fn report(&self, team: &str, period: PeriodSpec) -> Result<TeamReport, ReportError> {
        let t = self.team(team)?;
        let _busy = self.foreground.enter();
        // Exactly what `deskpulse report` prints, the period's restatement included.
        let c = crate::report::compute_as_reported(&self.store, t, period, Some(&self.kept))
            .await
            .map_err(|e| self.failed(e))?;
        let (reviews, ratings) = quoted(&c, t, period);
        Ok(TeamReport {
            report: c.report,
            history: c.history,
            reviews,
            ratings,
        })
    }

    /// Every source's freshness (each stream a sync reads to its end, or fails, moves it)
    /// and latest daemon run, hashed: what a sync that may have changed the data leaves.
    async fn data_version(&self) -> Result<u64, ReportError> {
        let fail = |e: deskpulse_storage::StorageError| ReportError::Failed(e.to_string());
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let lines = self.store.freshness(&self.sources).await.map_err(fail)?;
        serde_json::to_string(&lines)
            .unwrap_or_default()
            .hash(&mut h);
        for s in &self.sources {
            let run = self.store.last_run(&sync_job(s)).await.map_err(fail)?;
            run.map(|r| (r.slot, r.finished_at)).hash(&mut h);
        }
        self.store
            .inputs_version()
            .await
            .map_err(fail)?
            .hash(&mut h);
        let version = h.finish();
        if let Ok(mut v) = self.version.lock()
            && v.replace(version).is_some_and(|old| old != version)
        {
            self.kept.clear();
        }
        Ok(version)
    }

    /// Computes the team's weeks before `period` (or months, for a month) in blocks, three
    /// years back at most, so that the first view of any of them loads only its own period.
    async fn warm(&self, team: &str, period: PeriodSpec) -> Result<(), ReportError> {
        let t = self.team(team)?;
        let max = match period {
            PeriodSpec::IsoWeek { .. } => WARM_WEEKS,
            PeriodSpec::Month { .. } => WARM_MONTHS,
        };
        let started = Instant::now();
        let n = crate::report::warm(&self.store, t, period, (&self.kept, &self.foreground), max)
            .await
            .map_err(|e| self.failed(e))?;
        tracing::debug!(
            team,
            %period,
            computed = n,
            kept = self.kept.len(),
            seconds = started.elapsed().as_secs_f64(),
            "periods computed ahead"
        );
        Ok(())
    }
}

fn serve_error(e: ServeError) -> CommandError {
    match e {
        ServeError::NeedsAuth { .. } => CommandError::Usage(e.to_string()),
        e => CommandError::Runtime(e.to_string()),
    }
}

fn listen_address(settings: &Settings, flag: Option<&str>) -> Result<ServeSettings, CommandError> {
    let mut s = ServeSettings::loopback();
    if let Some(l) = settings.serve.listen {
        s.listen = l;
    }
    if let Some(flag) = flag {
        s.listen = config::parse_listen(flag)
            .map_err(|e| CommandError::Usage(format!("--listen: {e}")))?;
    }
    s.auth = settings.serve.auth.clone();
    Ok(s)
}

async fn bind(settings: Settings, serve: &ServeSettings) -> Result<Server, CommandError> {
    serve.check().map_err(serve_error)?;
    let store = Store::open(settings.database.url.expose())
        .await
        .map_err(|e| CommandError::Runtime(settings.secrets().scrub(&e.to_string())))?;
    let options = options(&settings);
    let reports = reports(Arc::new(settings), store.clone());
    Server::bind(serve, store, reports, options)
        .await
        .map_err(serve_error)
}

/// `deskpulse serve [--listen ADDR] [--hash-password]`.
pub async fn run(config_path: &Path, args: ServeArgs) -> Result<(), CommandError> {
    if args.hash_password {
        return hash_from_stdin();
    }
    let settings = Settings::load(config_path)?;
    let serve = listen_address(&settings, args.listen.as_deref())?;
    let server = bind(settings, &serve).await?;
    let addr = server.local_addr();
    println!(
        "deskpulse serve: the dashboard is at http://{addr}/ ({}; Ctrl-C stops it)",
        if serve.auth.is_some() {
            "authentication on"
        } else {
            "this machine only"
        }
    );
    tracing::info!(%addr, "dashboard listening");
    server
        .run(deskpulse_scheduler::shutdown_signal())
        .await
        .map_err(serve_error)
}

/// The dashboard inside `deskpulse run`, when `[serve] listen` is set: bound now (a busy
/// port or a missing `auth` stops the daemon from starting), served until SIGTERM.
pub async fn spawn_in_daemon(settings: &Settings) -> Result<(), CommandError> {
    if settings.serve.listen.is_none() {
        return Ok(());
    }
    let serve = listen_address(settings, None)?;
    let server = bind(settings.clone(), &serve).await?;
    tracing::info!(addr = %server.local_addr(), "dashboard listening (http://{}/)", server.local_addr());
    tokio::spawn(async move {
        if let Err(e) = server.run(deskpulse_scheduler::shutdown_signal()).await {
            tracing::error!(error = %e, "the dashboard stopped");
        }
    });
    Ok(())
}

fn hash_from_stdin() -> Result<(), CommandError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CommandError::Runtime(format!("cannot read the password: {e}")))?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(CommandError::Usage(
            "no password on standard input: `printf '%s' 'PASSWORD' | deskpulse serve --hash-password`".into(),
        ));
    }
    let hash = deskpulse_serve::hash_password(password).map_err(CommandError::Runtime)?;
    println!("{hash}");
    Ok(())
}

/// Counts a stream sync of the daemon for `/metrics` (one that ended in an error while the
/// daemon was shutting down was cancelled, not failed).
pub fn stream_finished(
    source: &str,
    stream: &str,
    started: Instant,
    result: &Result<StreamOutcome, SyncError>,
    shutting_down: bool,
) {
    let error;
    let r = match result {
        Ok(o) => StreamResult::Ok { records: o.records },
        Err(_) if shutting_down => StreamResult::Cancelled,
        Err(e) => {
            error = config::secrets::scrub(&e.to_string());
            StreamResult::Failed { error: &error }
        }
    };
    telemetry().record_stream(source, stream, started.elapsed(), r);
}

/// Counts a digest delivery of the daemon for `/metrics`.
pub fn delivery_finished(team: &str, channel: &str, result: &Result<Delivery, DeliveryError>) {
    let outcome = match result {
        Ok(Delivery::Sent) => DeliveryOutcome::Sent,
        Ok(Delivery::AlreadySent { .. }) => DeliveryOutcome::AlreadySent,
        Ok(Delivery::InProgress { .. }) => DeliveryOutcome::InProgress,
        Err(DeliveryError::Uncertain { .. }) => DeliveryOutcome::Uncertain,
        Err(_) => DeliveryOutcome::Failed,
    };
    telemetry().record_delivery(team, channel, outcome);
}

/// Writes the demo's configuration (its database, team and sources) into `dir`, so
/// `deskpulse serve --config FILE` opens the dashboard on the demo's data; returns the line
/// the demo prints last: that command.
pub fn demo_config(
    dir: &Path,
    database_url: &str,
    team: &TeamSettings,
    sources: &[SourceSettings],
) -> Result<String, CommandError> {
    use toml::{Table, Value};
    let mut doc = Table::new();
    let mut db = Table::new();
    db.insert("url".into(), Value::String(database_url.to_owned()));
    doc.insert("database".into(), Value::Table(db));
    let mut t = Table::new();
    t.insert("name".into(), Value::String(team.name.clone()));
    t.insert(
        "timezone".into(),
        Value::String(team.timezone.name().to_owned()),
    );
    t.insert(
        "sources".into(),
        Value::Array(
            team.sources
                .iter()
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
    );
    t.insert(
        "complaint_tags".into(),
        Value::Array(
            team.complaint_tags
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        ),
    );
    doc.insert("teams".into(), Value::Array(vec![Value::Table(t)]));
    let mut list = Vec::new();
    for s in sources {
        let mut src = Table::new();
        src.insert("name".into(), Value::String(s.name.to_string()));
        src.insert("kind".into(), Value::String(s.kind.clone()));
        if let Some(map) = s.settings.0.as_object() {
            for (k, v) in map {
                let value = match v {
                    serde_json::Value::String(x) => Value::String(x.clone()),
                    serde_json::Value::Bool(b) => Value::Boolean(*b),
                    serde_json::Value::Number(n) => match n.as_i64() {
                        Some(i) => Value::Integer(i),
                        None => Value::Float(n.as_f64().unwrap_or_default()),
                    },
                    _ => continue,
                };
                src.insert(k.clone(), value);
            }
        }
        list.push(Value::Table(src));
    }
    doc.insert("sources".into(), Value::Array(list));
    let body = toml::to_string(&doc).map_err(|e| {
        CommandError::Runtime(format!("cannot write the demo's configuration: {e}"))
    })?;
    let path = dir.join("deskpulse.toml");
    let text = format!(
        "# Written by `deskpulse demo`: its database, team and (simulated) sources, for\n#   deskpulse serve --config {}\n\n{body}",
        path.display()
    );
    std::fs::write(&path, text)
        .map_err(|e| CommandError::Runtime(format!("cannot write {}: {e}", path.display())))?;
    Ok(format!(
        "dashboard: deskpulse serve --config {} — then open http://{}/",
        path.display(),
        deskpulse_serve::DEFAULT_LISTEN
    ))
}
