//! Logging: `tracing` to stderr, as text or JSON; `RUST_LOG` overrides the level.

use crate::cli::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

pub(crate) fn init(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "warn,deskpulse=info,deskpulse_connector=info",
        1 => {
            "info,deskpulse=debug,deskpulse_connector=debug,deskpulse_connector_zendesk=debug,deskpulse_storage=debug"
        }
        _ => {
            "debug,deskpulse=trace,deskpulse_connector=trace,deskpulse_connector_zendesk=trace,deskpulse_storage=trace"
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        // Colour only for a person at a terminal; files and CI logs get plain text.
        .with_ansi(std::io::stderr().is_terminal());
    let result = match format {
        LogFormat::Text => builder.compact().try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    // A second init (tests calling main_entry twice in-process) keeps the first subscriber.
    let _ = result;
}
