//! Logging: `tracing` to stderr, as text or JSON; `RUST_LOG` overrides the level. Every line
//! is scrubbed of the configured secrets before it is written (see `config::secrets`): a
//! library logging a request, a header or a vendor's error body at trace level cannot leak a
//! credential.

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

/// Collects one log event and writes it to stderr, scrubbed of every registered secret, with
/// the progress bars hidden for that moment. The formatter writes an event with one or more
/// `write` calls and then drops its writer: the event is written whole on drop (or flush), so
/// a secret split across two `write` calls is still found.
#[derive(Default)]
struct BarSafeStderr {
    event: Vec<u8>,
}

impl BarSafeStderr {
    fn emit(&mut self) -> std::io::Result<()> {
        if self.event.is_empty() {
            return Ok(());
        }
        let line = crate::config::secrets::scrub(&String::from_utf8_lossy(&self.event));
        self.event.clear();
        match progress() {
            Some(bars) => bars.suspend(|| std::io::stderr().write_all(line.as_bytes())),
            None => std::io::stderr().write_all(line.as_bytes()),
        }
    }
}

impl Write for BarSafeStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.event.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.emit()?;
        std::io::stderr().flush()
    }
}

impl Drop for BarSafeStderr {
    fn drop(&mut self) {
        let _ = self.emit();
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
        .with_writer(BarSafeStderr::default)
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
