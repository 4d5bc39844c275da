//! Logging: `tracing` to stderr, as text or JSON; `RUST_LOG` overrides the level.

use crate::cli::LogFormat;
use indicatif::{MultiProgress, ProgressDrawTarget};
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;

/// The progress display every command draws on when stderr is a terminal. Log lines go
/// through it too, so a warning printed mid-sync does not tear the bars apart.
static PROGRESS: OnceLock<Option<MultiProgress>> = OnceLock::new();

/// The shared progress display, or `None` when stderr is not a terminal (then commands
/// print plain log lines instead of bars).
pub(crate) fn progress() -> Option<&'static MultiProgress> {
    PROGRESS
        .get_or_init(|| {
            std::io::stderr()
                .is_terminal()
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        })
        .as_ref()
}

/// Writes each log event to stderr with the progress bars hidden for that moment.
struct BarSafeStderr;

impl Write for BarSafeStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match progress() {
            Some(bars) => bars
                .suspend(|| std::io::stderr().write_all(buf))
                .map(|()| buf.len()),
            None => std::io::stderr().write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

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
        .with_writer(|| BarSafeStderr)
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
