//! The log capture of a test binary: one global `tracing` subscriber at TRACE into a buffer,
//! which the secrets check reads.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// Every `tracing` event of the test binary at TRACE, captured by a global subscriber.
#[derive(Clone, Default)]
pub struct LogCapture {
    buf: Arc<Mutex<Vec<u8>>>,
    installed: bool,
}

impl LogCapture {
    /// Everything captured so far, or why nothing can be.
    pub fn text(&self) -> Result<String, String> {
        if !self.installed {
            return Err("another global tracing subscriber was installed first, so the kit cannot see the logs: in this test binary, use `testkit::captured_logs()` instead of your own subscriber".into());
        }
        let buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

impl Write for LogCapture {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs (once per test binary) a global subscriber writing every event at TRACE, span
/// fields included, into a buffer, and returns it. A global subscriber, not `set_default`:
/// events from other threads and tasks must be seen too. Tests of the same binary that need
/// the logs share this one.
pub fn captured_logs() -> LogCapture {
    static LOGS: OnceLock<LogCapture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let mut capture = LogCapture {
            buf: Arc::default(),
            installed: true,
        };
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(capture.clone())
            .finish();
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            capture.installed = false;
        }
        capture
    })
    .clone()
}
