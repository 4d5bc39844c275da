//! deskpulse: the command-line application. It parses arguments, loads the configuration once,
//! and wires connectors, storage and metrics together. It is the only crate that reads the
//! configuration file and the only one that prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod check;
pub mod cli;
pub mod config;
pub mod connectors;
mod daemon;
mod demo;
mod digest;
mod forget;
#[doc(hidden)]
pub mod fuzzing;
mod import;
mod init;
mod reconcile;
mod report;
pub mod serve;
mod sync;
mod telemetry;

use clap::Parser;
use std::process::ExitCode;

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum CommandError {
    /// A usage or configuration error: exit code 2.
    Usage(String),
    /// A failure at run time (network, credentials, database): exit code 1.
    Runtime(String),
}

impl CommandError {
    pub fn code(&self) -> u8 {
        match self {
            CommandError::Usage(_) => 2,
            CommandError::Runtime(_) => 1,
        }
    }
    pub(crate) fn message(&self) -> &str {
        match self {
            CommandError::Usage(m) | CommandError::Runtime(m) => m,
        }
    }
}

impl From<config::ConfigError> for CommandError {
    fn from(e: config::ConfigError) -> Self {
        CommandError::Usage(e.to_string())
    }
}

/// Runs the binary: parse, dispatch, print errors as one line, map them to exit codes
/// (0 success, 1 failure at run time, 2 usage or configuration error).
pub fn main_entry() -> ExitCode {
    let args = cli::Cli::parse();
    telemetry::init(args.log_format, args.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // The last word on every failure: no configured secret, in any encoding, leaves.
            eprintln!("error: {}", config::secrets::scrub(f.message()));
            ExitCode::from(f.code())
        }
    }
}

async fn run(args: cli::Cli) -> Result<(), CommandError> {
    let config_path = config::locate(args.config.as_deref());
    match args.command {
        cli::Command::Init(a) => init::run(&config_path, a).await,
        cli::Command::Sync(a) => {
            let settings = config::Settings::load(&config_path)?;
            sync::run(&settings, a).await
        }
        cli::Command::Demo(a) => demo::run(a).await,
        cli::Command::Run => {
            let settings = config::Settings::load(&config_path)?;
            daemon::run(settings).await
        }
        cli::Command::Status => {
            let settings = config::Settings::load(&config_path)?;
            daemon::status(&settings).await
        }
        cli::Command::Connectors => {
            print!("{}", connectors::describe());
            Ok(())
        }
        cli::Command::Report(a) => {
            let settings = config::Settings::load(&config_path)?;
            report::run(&settings, a).await
        }
        cli::Command::Reconcile(a) => {
            let settings = config::Settings::load(&config_path)?;
            reconcile::run(&settings, a).await
        }
        cli::Command::Digest(c) => {
            let settings = config::Settings::load(&config_path)?;
            digest::run(&settings, c).await
        }
        cli::Command::Import(a) => {
            let settings = config::Settings::load(&config_path)?;
            import::run(&settings, a).await
        }
        cli::Command::Check => check::run(&config_path).await,
        cli::Command::Serve(a) => serve::run(&config_path, a).await,
        cli::Command::Forget(a) => {
            let settings = config::Settings::load(&config_path)?;
            forget::run(&settings, a).await
        }
    }
}
