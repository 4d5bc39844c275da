//! Running the binary in an isolated directory with its own configuration, and waiting for
//! what it does without guessing how long it takes.

use std::future::Future;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_deskpulse-e2e");

/// How long a test waits for something that must happen (a daemon's sync, its exit) before
/// it fails saying what it waited for: a deadline for a hang, never a measure of speed. CI
/// runs on two cores shared with other work, so it is far above any honest delay.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// The same for one command of the binary (a sync, a report, the demo).
pub const RUN_DEADLINE: Duration = Duration::from_secs(300);

/// Calls `probe` until it returns `Some`, every 100 ms; `None` once `deadline` has passed.
/// The pause between probes is not a guess at a duration: the condition is checked again
/// until it holds.
pub async fn poll_until<T, F, Fut>(deadline: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(v) = probe().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= end {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A temporary working directory holding a `deskpulse.toml`.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("deskpulse.toml")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// A SQLite URL for a file in this directory.
    pub fn sqlite_url(&self) -> String {
        format!(
            "sqlite://{}",
            self.dir.path().join("deskpulse.db").display()
        )
    }

    /// Runs the binary with `args` in this directory; `env` adds variables (the test's own
    /// `DESKPULSE*` and `RUST_LOG` variables are removed first, so runs are hermetic). A run
    /// still going after [`RUN_DEADLINE`] is killed and the test fails.
    pub async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(args)
            .current_dir(self.dir.path())
            .kill_on_drop(true)
            .env_remove("RUST_LOG");
        for (k, _) in std::env::vars() {
            if k.starts_with("DESKPULSE") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        tokio::time::timeout(RUN_DEADLINE, cmd.output())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "`deskpulse {}` did not finish within {RUN_DEADLINE:?}",
                    args.join(" ")
                )
            })
            .expect("run deskpulse")
    }
}

pub fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// A config with one team on one Zendesk source served by `base_url`.
pub fn zendesk_config(db_url: &str, base_url: &str, timezone: &str) -> String {
    format!(
        r#"[database]
url = "{db_url}"

[[teams]]
name = "support"
timezone = "{timezone}"
sources = ["zd"]

[[sources]]
name = "zd"
kind = "zendesk"
subdomain = "acme"
email = "agent@example.com"
api_token = "${{ZENDESK_API_TOKEN}}"
base_url = "{base_url}"
page_size = 2
requests_per_minute = 6000
incremental_requests_per_minute = 6000
"#
    )
}
