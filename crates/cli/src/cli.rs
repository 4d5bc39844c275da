//! The command line surface (clap derive). `--help` is the user's first documentation.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "deskpulse",
    version,
    about = "Customer-service KPIs from your helpdesk, in a weekly digest",
    long_about = "deskpulse syncs the facts that customer-service KPIs need from your helpdesk accounts \
into a local database (SQLite by default, or Postgres), and computes the KPIs for any week or month.\n\n\
Start with `deskpulse init`, add your sources to deskpulse.toml, then `deskpulse sync` and `deskpulse report`.",
    after_help = "Exit codes: 0 success, 1 a failure at run time (network, credentials, database), 2 a usage or configuration error."
)]
pub struct Cli {
    /// Configuration file [default: $DESKPULSE_CONFIG, else ./deskpulse.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log format on stderr
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More log output (-v: debug, -vv: trace); RUST_LOG overrides it
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter deskpulse.toml and create the database
    Init(InitArgs),
    /// Copy new and changed facts from every source (or one) into the database
    Sync(SyncArgs),
    /// Compute a team's KPIs for a week or a month
    Report(ReportArgs),
    /// Our KPIs next to the helpdesk's own per-ticket figures (Zendesk metric sets, Freshdesk
    /// stats, Intercom statistics), for the same tickets: agreement and, for every ticket
    /// that differs, why (outbound, bot reply, internal note, business hours, reopen, …)
    Reconcile(ReconcileArgs),
    /// Check the configuration, the database, each source's credentials (one cheap call;
    /// nothing stored), the SMTP server (nothing sent) and the Slack webhooks (never posted)
    #[command(
        after_help = "One line per item: `ok` or `FAIL` and what to fix. Exit code 0 when every \
item passes, 2 when a configuration item fails, 1 otherwise."
    )]
    Check,
    /// Import a CSV of costs, revenue, customers, orders or surveys (see `import --help`)
    Import(ImportArgs),
    /// Delete everything stored of a source, or one customer's rows (see `forget --help`)
    Forget(ForgetArgs),
    /// Preview a team's digest, or send it to the team's channels (e-mail, Slack)
    #[command(subcommand)]
    Digest(DigestCommand),
    /// List the connector kinds, with their settings keys and streams
    Connectors,
    /// The daemon: syncs every source on its `sync_every`, sends each team's digest on its
    /// `digest_schedule` in the team's time zone, catches up what was missed while it was
    /// down; several daemons may share one Postgres. Stops cleanly on SIGTERM or Ctrl-C
    Run,
    /// What the daemon did and will do: per source the last sync and the next; per team and
    /// channel the last digest and the next
    Status,
    /// The read-only web dashboard, the JSON report API and Prometheus /metrics (on
    /// 127.0.0.1:8080 by default; any other address needs [serve.auth])
    Serve(crate::serve::ServeArgs),
    /// Everything at once with no account: a built-in simulator of Zendesk, Trustpilot and
    /// Google reviews, a Facebook Page and X, a throwaway SQLite database, a synced quarter
    /// and last week's report, checked against the simulator
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generated account (same seed, same data)
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Days of history to generate and sync
    #[arg(long, default_value_t = 91, value_parser = clap::value_parser!(u32).range(7..=3650))]
    pub days: u32,
    /// Mean tickets a day
    #[arg(long, default_value_t = 40.0)]
    pub tickets_per_day: f64,
    /// Human agents in the generated team
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub agents: u32,
    /// Time speed of the simulated rate limits: 600 makes a vendor minute last 0.1 s
    #[arg(long, default_value_t = 600.0)]
    pub speed: f64,
    /// Turn the simulated rate limits off
    #[arg(long)]
    pub no_limits: bool,
    /// Rate (0 to 1) of injected faults: server errors, slow answers, dropped connections,
    /// truncated bodies, records repeated across pages
    #[arg(long, default_value_t = 0.0)]
    pub faults: f64,
    /// Database to sync into [default: a new SQLite file in the temp directory]
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Time zone of the demo team
    #[arg(long, default_value = "Europe/Berlin")]
    pub timezone: String,
    /// The simulator's "now" (RFC 3339) [default: the current time]
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite an existing configuration file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Sync only this source (a [[sources]] name)
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Read the whole history again instead of resuming from the last checkpoint
    #[arg(long)]
    pub full: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The team to report on (needed when the configuration has several)
    #[arg(long, value_name = "NAME")]
    pub team: Option<String>,
    /// An ISO week (2026-W46) or a month (2026-11) [default: the last complete week]
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The team whose sources to reconcile (needed when the configuration has several)
    #[arg(long, value_name = "NAME")]
    pub team: Option<String>,
    /// Only this source of the team [default: every source of the team]
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// An ISO week (2026-W46) or a month (2026-11) [default: the last complete week]
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Output format: text, or JSON (one object per source; an array when there are several)
    #[arg(long, value_enum, default_value_t = ReconcileFormat::Text)]
    pub format: ReconcileFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReconcileFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    /// One row per KPI: period, team, kpi, n, value, median, mean, p90, within target
    Csv,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Headers (first line, exactly): costs and revenue: month,amount,currency \
(month YYYY-MM); customers: customer_id,started_at,ended_at (one row per subscription, \
ended_at empty while active); orders: order_id,customer_email,created_at,amount,currency; \
surveys: response_id,kind,score,scale_max,created_at,ticket_id,agent,comment (kind csat|nps|ces; \
the scale is 0..=10 for nps, 1..=scale_max otherwise; ticket_id, agent and comment may be empty). \
Dates are RFC 3339 or YYYY-MM-DD (midnight in the team's time zone). A bad row is reported as \
FILE:LINE: column: problem, with exit code 2, and nothing of the file is imported. Importing \
the same file again changes nothing; a corrected row replaces the stored one."
)]
pub struct ImportArgs {
    /// What the file holds
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// The CSV file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The team the figures belong to (needed when the configuration has several)
    #[arg(long, value_name = "NAME")]
    pub team: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("what").required(true).args(["source", "customer"])),
    after_help = "--source deletes the source's tickets, messages, status changes, agents, \
ratings, reviews, social stats and customers, its checkpoints, the facts derived from it, the \
vendor's own values and any unfinished sweep, in one transaction; the name need not be configured \
any more. --customer deletes that customer's imported orders (every team) and helpdesk customer \
rows (every source), found by the keyed hash of the address. On a terminal it asks first; \
elsewhere it refuses without --yes. It prints the rows deleted per table."
)]
pub struct ForgetArgs {
    /// Delete everything stored of this source (a [[sources]] name, configured or not)
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Delete the rows of the customer with this e-mail address
    #[arg(long, value_name = "EMAIL")]
    pub customer: Option<String>,
    /// Delete without asking (needed when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    Costs,
    Revenue,
    Customers,
    Orders,
    Surveys,
}

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Render a team's digest for a period without sending it
    Preview(DigestPreviewArgs),
    /// Send a team's digest to its channels, once per (team, period, channel)
    #[command(
        after_help = "Each channel is sent at most once per period: a second run says \"already sent\", \
and --force sends again. If a run died between sending and recording the send, the next run says \
\"in progress since …\" and sends nothing: check the channel, then use --force. Exit code 1 when a \
channel failed, 2 for a configuration error (e.g. an e-mail channel without [smtp])."
    )]
    Send(DigestSendArgs),
}

#[derive(Debug, Args)]
pub struct DigestPreviewArgs {
    /// The team (needed when the configuration has several)
    #[arg(long, value_name = "NAME")]
    pub team: Option<String>,
    /// An ISO week (2026-W46) or a month (2026-11) [default: the last complete week]
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DigestFormat::Text)]
    pub format: DigestFormat,
    /// Write to this file instead of stdout; for html, a directory (or a file) that gets the
    /// HTML and its chart images as files next to it
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DigestFormat {
    Text,
    Html,
    Slack,
}

#[derive(Debug, Args)]
pub struct DigestSendArgs {
    /// The team (needed when the configuration has several)
    #[arg(long, value_name = "NAME")]
    pub team: Option<String>,
    /// An ISO week (2026-W46) or a month (2026-11) [default: the last complete week]
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Send only to this channel (its `name`, or its kind when it has none)
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Send again even if the delivery log says sent (or in progress)
    #[arg(long)]
    pub force: bool,
    /// Render and show what would be sent where; send nothing, record nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse (exit 1) instead of sending with the incomplete-data banner when a source of
    /// the team is not complete through the period's end
    #[arg(long)]
    pub require_complete: bool,
}
