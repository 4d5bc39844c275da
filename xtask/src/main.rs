//! Developer chores, run as `cargo xtask <task>`. See <https://github.com/matklad/cargo-xtask/>.
//!
//! * `cargo xtask test` — the whole test-suite: SQLite always, Postgres when
//!   `DESKPULSE_TEST_POSTGRES_URL` is set (it says clearly when the Postgres half is skipped).
//! * `cargo xtask lint` — formatting, clippy with `-D warnings`, the migrations check.
//! * `cargo xtask ci` — `lint`, then `test` with Postgres required (what `.ci/run` does).
//! * `cargo xtask chaos [SEEDS]` — the chaos test with 200 seeds (the suite runs 24).
//! * `cargo xtask digest-screenshot [OUT_DIR]` — renders the sample digest e-mail
//!   (`deskpulse-digest`'s `render_sample` example) and screenshots it in headless Chromium
//!   to `OUT_DIR/digest.png` (default `target/digest-screenshot`), for a person to look at.
//! * `cargo xtask dashboard-screenshot [OUT_DIR]` — runs the dashboard's browser test
//!   (`tests/e2e/dashboard.rs`: `deskpulse serve` on the demo's data, walked in headless
//!   Chromium through chromedriver), which writes its screenshots (the overview, a team's
//!   week and the week before, an agent) to `OUT_DIR` (default `target/dashboard-screenshot`).
//! * `cargo xtask bench metrics|sync|import|serve [ARGS]` — the benchmarks (`crates/bench`,
//!   release builds; figures in `BENCHMARKS.md`).
//! * `cargo xtask fuzz [SECONDS] [TARGET…]` — runs every fuzz target of `fuzz/` (cargo-fuzz)
//!   for SECONDS each (default 120), one at a time; see `xtask/src/fuzz.rs` for how it builds
//!   on the stable compiler (`RUSTC_BOOTSTRAP=1`) and where inputs and findings live.
//! * `cargo xtask new-connector NAME` — generates `crates/connectors/NAME` (settings, an
//!   example stream, a wiremock test running the conformance kit) and registers it with two
//!   lines in the CLI (its dependency and its `KINDS` line; see `docs/connectors.md`).
//!
//! Its tests include the tidy checks (`tidy.rs`), so `cargo xtask test` runs them.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

mod fuzz;
mod new_connector;
#[cfg(test)]
mod tidy;

const PG_ENV: &str = "DESKPULSE_TEST_POSTGRES_URL";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("test") => test(
            &args[1..],
            std::env::var_os("DESKPULSE_REQUIRE_POSTGRES").is_some(),
        ),
        Some("lint") => lint(),
        Some("ci") => ci(),
        Some("migrations-check") => migrations_check(&root),
        Some("chaos") => chaos(&args[1..]),
        Some("bench") => {
            // The simulator runs as its own process so its memory is not counted.
            cargo(&["build", "--release", "-p", "deskpulse-simulator"])?;
            let mut a = vec!["run", "--release", "-p", "deskpulse-bench", "--"];
            a.extend(args[1..].iter().map(String::as_str));
            cargo(&a)
        }
        Some("digest-screenshot") => digest_screenshot(&root, args.get(1).map(PathBuf::from)),
        Some("dashboard-screenshot") => dashboard_screenshot(&root, args.get(1).map(PathBuf::from)),
        Some("fuzz") => fuzz::run(&root, &args[1..]),
        Some("new-connector") => new_connector::run(&root, &args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <test [ARGS] | lint | ci | migrations-check | digest-screenshot [DIR] | dashboard-screenshot [DIR] | bench KIND [ARGS] | fuzz [SECONDS] [TARGET…] | new-connector NAME>"
            );
            eprintln!(
                "  test              the whole test-suite (Postgres half when {PG_ENV} is set)"
            );
            eprintln!("  lint              fmt check, clippy -D warnings, migrations check");
            eprintln!(
                "  ci                fmt check, clippy -D warnings, migrations check, tests with Postgres required"
            );
            eprintln!(
                "  migrations-check  migrations/sqlite and migrations/postgres have the same versions"
            );
            eprintln!(
                "  digest-screenshot the sample digest e-mail in headless Chromium, to DIR/digest.png"
            );
            eprintln!(
                "  dashboard-screenshot  the dashboard on the demo's data in headless Chromium, to DIR/*.png"
            );
            eprintln!(
                "  bench             metrics | sync | import | serve (crates/bench, release)"
            );
            eprintln!(
                "  fuzz              every fuzz target (cargo-fuzz) for SECONDS each, default 120"
            );
            eprintln!(
                "  new-connector     generates and registers crates/connectors/NAME (docs/connectors.md)"
            );
            std::process::exit(2);
        }
    }
}

fn project_root() -> PathBuf {
    // `cargo run` sets CARGO_MANIFEST_DIR at run time too: prefer it over the path baked in at
    // compile time, which is stale when the binary was built from another checkout.
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    PathBuf::from(dir)
        .parent()
        .expect("xtask lives in the workspace root")
        .to_owned()
}

fn cargo(args: &[&str]) -> Result<()> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn test(extra: &[String], require_postgres: bool) -> Result<()> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.is_empty() => {
            eprintln!("Postgres half: ON, against {PG_ENV}={}", mask(&url))
        }
        _ if require_postgres => {
            bail!("{PG_ENV} is not set: CI must run the Postgres half of the suite")
        }
        _ => eprintln!(
            "Postgres half: SKIPPED — {PG_ENV} is not set. To run it against a server: \
             {PG_ENV}=postgres://postgres@127.0.0.1:5432/test cargo xtask test"
        ),
    }
    let mut args = vec!["test", "--workspace", "--all-features"];
    args.extend(extra.iter().map(String::as_str));
    cargo(&args)?;
    if std::env::var(PG_ENV).map(|u| u.is_empty()).unwrap_or(true) {
        eprintln!(
            "note: the Postgres half of the suite was SKIPPED ({PG_ENV} not set); everything else ran."
        );
    }
    Ok(())
}

fn lint() -> Result<()> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    migrations_check(&project_root())?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ])
}

fn ci() -> Result<()> {
    lint()?;
    test(&[], true)
}

/// The first of `names` found on `PATH`.
fn find_on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Renders the sample digest to HTML + PNG charts, then screenshots the HTML in headless
/// Chromium (no network, a throw-away profile), so the e-mail can be looked at.
fn digest_screenshot(root: &Path, out: Option<PathBuf>) -> Result<()> {
    let Some(chromium) = find_on_path(&["chromium", "chromium-browser"]) else {
        eprintln!("chromium is not installed: apt-get install -y chromium");
        std::process::exit(2);
    };
    let out = out.unwrap_or_else(|| root.join("target/digest-screenshot"));
    let out = if out.is_absolute() {
        out
    } else {
        root.join(out)
    };
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let out_str = out.to_string_lossy().into_owned();
    cargo(&[
        "run",
        "--quiet",
        "-p",
        "deskpulse-digest",
        "--example",
        "render_sample",
        "--",
        &out_str,
    ])?;
    let html = out.join("digest.html");
    let png = out.join("digest.png");
    let _ = std::fs::remove_file(&png);
    let profile = std::env::temp_dir().join(format!("deskpulse-chromium-{}", std::process::id()));
    std::fs::create_dir_all(&profile)?;
    let mut child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        // Tall enough for the whole sample digest, its Reviews and Social sections included.
        .arg("--window-size=900,3600")
        .arg(format!("file://{}", html.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", chromium.display()))?;
    // Headless Chromium can hang on a broken setup: give it a minute.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&profile);
            bail!("chromium did not finish within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let _ = std::fs::remove_dir_all(&profile);
    if !status.success() || !png.is_file() {
        bail!("chromium failed ({status}) and wrote no {}", png.display());
    }
    println!("{}", png.display());
    Ok(())
}

/// The dashboard's browser test, with its screenshots sent to `out` (the test itself writes
/// them; this only chooses where and says where they are).
fn dashboard_screenshot(root: &Path, out: Option<PathBuf>) -> Result<()> {
    for (names, package) in [
        (&["chromium", "chromium-browser"][..], "chromium"),
        (&["chromedriver"][..], "chromium-driver"),
    ] {
        if find_on_path(names).is_none() {
            eprintln!(
                "{} is not installed: apt-get install -y {package}",
                names[0]
            );
            std::process::exit(2);
        }
    }
    let out = out.unwrap_or_else(|| root.join("target/dashboard-screenshot"));
    let out = if out.is_absolute() {
        out
    } else {
        root.join(out)
    };
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let test = "dashboard::a_browser_walks_the_dashboard_and_sees_the_report";
    eprintln!("$ cargo test -p deskpulse-tests --test e2e {test} -- --exact --nocapture");
    let status = Command::new(env!("CARGO"))
        .args(["test", "-p", "deskpulse-tests", "--test", "e2e", test])
        .args(["--", "--exact", "--nocapture"])
        .env("DESKPULSE_SCREENSHOT_DIR", &out)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("the dashboard's browser test failed ({status})");
    }
    let mut shots: Vec<PathBuf> = std::fs::read_dir(&out)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    shots.sort();
    if shots.is_empty() {
        bail!("the test wrote no screenshot to {}", out.display());
    }
    for s in shots {
        println!("{}", s.display());
    }
    Ok(())
}

/// The chaos test of `tests/e2e/chaos.rs` at full strength (the suite runs fewer seeds).
fn chaos(args: &[String]) -> Result<()> {
    let seeds = args.first().map(String::as_str).unwrap_or("200");
    eprintln!("chaos: {seeds} seeds (Postgres: a quarter of them, when {PG_ENV} is set)");
    let status = Command::new(env!("CARGO"))
        .args([
            "test",
            "-p",
            "deskpulse-tests",
            "--test",
            "e2e",
            "chaos",
            "--",
            "--nocapture",
        ])
        .env("DESKPULSE_CHAOS_SEEDS", seeds)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("the chaos test failed ({status})");
    }
    Ok(())
}

fn mask(url: &str) -> String {
    // postgres://user:password@host → postgres://user:***@host
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if url[s + 3..at].contains(':') => {
            let colon = s + 3 + url[s + 3..at].find(':').unwrap_or(0);
            format!("{}:***{}", &url[..colon], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn versions(dir: &Path) -> Result<Vec<String>> {
    let mut v = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".sql") {
            v.push(name.split('_').next().unwrap_or_default().to_owned());
        }
    }
    v.sort();
    Ok(v)
}

fn migrations_check(root: &Path) -> Result<()> {
    let sqlite = versions(&root.join("migrations/sqlite"))?;
    let postgres = versions(&root.join("migrations/postgres"))?;
    if sqlite != postgres {
        bail!(
            "migrations/sqlite has versions {sqlite:?} but migrations/postgres has {postgres:?}: every migration needs both dialects"
        );
    }
    eprintln!(
        "migrations: {} version(s), same in sqlite and postgres",
        sqlite.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_match() {
        super::migrations_check(&super::project_root()).unwrap();
    }
    #[test]
    fn masks_passwords() {
        assert_eq!(super::mask("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::mask("postgres://u@h/db"), "postgres://u@h/db");
    }
}
