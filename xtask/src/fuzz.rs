//! `cargo xtask fuzz [SECONDS] [TARGET…]`: runs every fuzz target of `fuzz/` (or the ones
//! named) for SECONDS each (default 120), one after the other, and prints per target the
//! seconds run, the executions and whether it found anything.
//!
//! * Needs cargo-fuzz (`cargo install cargo-fuzz`); CI does not: every target's seed corpus
//!   and findings are checked in next to the crate it tests and run by that crate's
//!   `tests/fuzz_regressions.rs` through the same entry point.
//! * cargo-fuzz builds with rustc flags that only a nightly compiler accepts (the libFuzzer
//!   coverage instrumentation). Rather than require a nightly toolchain, the build runs the
//!   pinned stable compiler with `RUSTC_BOOTSTRAP=1`, which unlocks those flags; set
//!   `DESKPULSE_FUZZ_TOOLCHAIN=nightly` to use `cargo +nightly fuzz` instead. The fuzz crate
//!   is a workspace of its own with its own `target/`, so this never touches the main
//!   build's artifacts.
//! * No sanitizer (`-s none`): the workspace forbids `unsafe` code, and the targets look for
//!   panics and broken invariants, which need none; the build has debug assertions and
//!   overflow checks on (cargo-fuzz's default).
//! * Each target is built just before it runs (`cargo fuzz run` builds it): a target whose
//!   crates do not compile is reported and the others still run.
//! * Each target reads its checked-in seeds and findings (read-only) and grows its own
//!   corpus in `fuzz/corpus/TARGET` (git-ignored). A crash is written to
//!   `fuzz/artifacts/TARGET/`; copy it into the crate's `tests/fuzz/regressions/` with the
//!   fix, so the regression test keeps it fixed.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Each target, with the directories of checked-in inputs it starts from.
const TARGETS: &[(&str, &[&str])] = &[
    (
        "zendesk_pages",
        &[
            "crates/connectors/zendesk/tests/fuzz/corpus",
            "crates/connectors/zendesk/tests/fuzz/regressions",
        ],
    ),
    (
        "freshdesk_pages",
        &[
            "crates/connectors/freshdesk/tests/fuzz/corpus",
            "crates/connectors/freshdesk/tests/fuzz/regressions",
        ],
    ),
    (
        "gorgias_pages",
        &[
            "crates/connectors/gorgias/tests/fuzz/corpus",
            "crates/connectors/gorgias/tests/fuzz/regressions",
        ],
    ),
    (
        "helpscout_pages",
        &[
            "crates/connectors/helpscout/tests/fuzz/corpus",
            "crates/connectors/helpscout/tests/fuzz/regressions",
        ],
    ),
    (
        "intercom_pages",
        &[
            "crates/connectors/intercom/tests/fuzz/corpus",
            "crates/connectors/intercom/tests/fuzz/regressions",
        ],
    ),
    (
        "digest_render",
        &[
            "crates/digest/tests/fuzz/digest_render/corpus",
            "crates/digest/tests/fuzz/digest_render/regressions",
        ],
    ),
    (
        "period_spec",
        &[
            "crates/digest/tests/fuzz/period_spec/corpus",
            "crates/digest/tests/fuzz/period_spec/regressions",
        ],
    ),
    (
        "config_settings",
        &[
            "crates/cli/tests/fuzz/config_settings/corpus",
            "crates/cli/tests/fuzz/config_settings/regressions",
        ],
    ),
    (
        "import_csv",
        &[
            "crates/cli/tests/fuzz/import_csv/corpus",
            "crates/cli/tests/fuzz/import_csv/regressions",
        ],
    ),
];

/// The fuzz crate's features a target needs (`required-features` in `fuzz/Cargo.toml`).
fn features(target: &str) -> Option<&'static str> {
    matches!(target, "config_settings" | "import_csv").then_some("cli")
}

struct Outcome {
    target: &'static str,
    seconds: u64,
    runs: Option<u64>,
    crash: Option<String>,
}

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let seconds: u64 = match args.first() {
        None => 120,
        Some(s) => s
            .parse()
            .with_context(|| format!("SECONDS must be a whole number, not {s:?}"))?,
    };
    let wanted: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    for w in &wanted {
        if !TARGETS.iter().any(|(t, _)| t == w) {
            let names: Vec<&str> = TARGETS.iter().map(|(t, _)| *t).collect();
            bail!("no fuzz target {w:?}; the targets are {}", names.join(", "));
        }
    }
    let fuzz = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO"));
        match std::env::var("DESKPULSE_FUZZ_TOOLCHAIN") {
            Ok(tc) if !tc.is_empty() => {
                c.arg(format!("+{tc}"));
            }
            _ => {
                c.env("RUSTC_BOOTSTRAP", "1");
            }
        }
        c.arg("fuzz").args(args).current_dir(root);
        c
    };
    let installed = fuzz(&["--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        bail!(
            "cargo-fuzz is not installed: `cargo install cargo-fuzz` (the fuzz regression tests run in `cargo test` without it)"
        );
    }
    let mut outcomes = Vec::new();
    for &(target, seeds) in TARGETS {
        if !wanted.is_empty() && !wanted.contains(&target) {
            continue;
        }
        let corpus = format!("fuzz/corpus/{target}");
        std::fs::create_dir_all(root.join(&corpus))
            .with_context(|| format!("cannot create {corpus}"))?;
        let mut args: Vec<String> = vec!["run".into(), "-s".into(), "none".into()];
        if let Some(f) = features(target) {
            args.extend(["--features".into(), f.into()]);
        }
        args.extend([target.into(), corpus]);
        args.extend(
            seeds
                .iter()
                .filter(|d| root.join(d).is_dir())
                .map(|d| (*d).to_owned()),
        );
        args.extend([
            "--".into(),
            format!("-max_total_time={seconds}"),
            // A page or a digest is small; a slow input is a finding too.
            "-max_len=65536".into(),
            "-timeout=20".into(),
            "-rss_limit_mb=2048".into(),
            "-print_final_stats=1".into(),
        ]);
        let dict = format!("fuzz/dicts/{target}.dict");
        if root.join(&dict).is_file() {
            args.push(format!("-dict={dict}"));
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        eprintln!("$ cargo fuzz {}", argv.join(" "));
        let started = Instant::now();
        let mut child = fuzz(&argv)
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run cargo fuzz")?;
        let mut runs = None;
        let mut fuzzed = None;
        let mut crash = None;
        if let Some(err) = child.stderr.take() {
            for line in BufReader::new(err).lines() {
                let line = line.unwrap_or_default();
                // libFuzzer's last words (`-print_final_stats=1`).
                if let Some(n) = line
                    .strip_prefix("stat::number_of_executed_units:")
                    .and_then(|n| n.trim().parse().ok())
                {
                    runs = Some(n);
                }
                // "Done 123456 runs in 120 second(s)": the time fuzzed, without the build.
                if let Some(secs) = line
                    .strip_prefix("Done ")
                    .and_then(|r| r.split(" runs in ").nth(1))
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse().ok())
                {
                    fuzzed = Some(secs);
                }
                if let Some(path) = line.split("Test unit written to ").nth(1) {
                    crash = Some(path.trim().to_owned());
                }
                eprintln!("{line}");
            }
        }
        let status = child.wait()?;
        if !status.success() && crash.is_none() {
            crash = Some(format!("cargo fuzz failed ({status})"));
        }
        outcomes.push(Outcome {
            target,
            seconds: fuzzed.unwrap_or_else(|| started.elapsed().as_secs()),
            runs,
            crash,
        });
    }

    eprintln!();
    eprintln!(
        "{:<20} {:>8} {:>14}  result",
        "target", "seconds", "executions"
    );
    for o in &outcomes {
        eprintln!(
            "{:<20} {:>8} {:>14}  {}",
            o.target,
            o.seconds,
            o.runs.map_or_else(|| "?".to_owned(), |r| r.to_string()),
            o.crash.as_deref().unwrap_or("no finding")
        );
    }
    let found = outcomes.iter().filter(|o| o.crash.is_some()).count();
    if found > 0 {
        bail!("{found} fuzz target(s) found a problem (inputs above, in fuzz/artifacts/)");
    }
    Ok(())
}
