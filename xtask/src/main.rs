//! Developer chores, run as `cargo xtask <task>`. See <https://github.com/matklad/cargo-xtask/>.
//!
//! * `cargo xtask test` — the whole test-suite: SQLite always, Postgres when
//!   `DESKPULSE_TEST_POSTGRES_URL` is set (it says clearly when the Postgres half is skipped).
//! * `cargo xtask lint` — formatting, clippy with `-D warnings`, the migrations check.
//! * `cargo xtask ci` — `lint`, then `test` with Postgres required (what `.ci/run` does).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

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
        _ => {
            eprintln!("usage: cargo xtask <test [ARGS] | lint | ci | migrations-check>");
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
            std::process::exit(2);
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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
