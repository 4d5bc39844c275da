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
    /// List the connector kinds, with their settings keys and streams
    Connectors,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}
