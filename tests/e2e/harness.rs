//! Running the binary in an isolated directory with its own configuration.

use std::path::PathBuf;
use std::process::Output;

pub const BIN: &str = env!("CARGO_BIN_EXE_deskpulse-e2e");

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
    /// `DESKPULSE*` and `RUST_LOG` variables are removed first, so runs are hermetic).
    pub async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG");
        for (k, _) in std::env::vars() {
            if k.starts_with("DESKPULSE") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().await.expect("run deskpulse")
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
