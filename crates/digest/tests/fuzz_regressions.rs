//! The `digest_render` and `period_spec` fuzz targets' checked-in inputs, run as ordinary
//! tests (CI needs no cargo-fuzz), through the same entry points as the targets
//! ([`deskpulse_digest::fuzzing::render`], [`deskpulse_digest::fuzzing::period_spec`]): the
//! seeds (`tests/fuzz/TARGET/corpus/`) and every input the fuzzer found a bug with
//! (`tests/fuzz/TARGET/regressions/`). Also the renderers' invariants on the realistic
//! sample digest, built by `Digest::build` from hostile facts.

#[path = "digest/fixtures.rs"]
mod fixtures;

use deskpulse_digest::fuzzing::{check, period_spec, render};
use deskpulse_digest::{Digest, DigestInput};
use std::path::PathBuf;

fn inputs(target: &str, dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(target)
        .join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let data = std::fs::read(&p).expect("a readable input");
            (p.display().to_string(), data)
        })
        .collect();
    out.sort();
    out
}

/// Runs one input, naming it when an invariant breaks.
fn run(name: &str, f: impl FnOnce() + std::panic::UnwindSafe) {
    if let Err(e) = std::panic::catch_unwind(f) {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        panic!("{name}: {msg}");
    }
}

#[test]
fn every_digest_render_seed_and_finding_keeps_the_invariants() {
    let seeds = inputs("digest_render", "corpus");
    assert!(!seeds.is_empty());
    for (name, data) in seeds
        .into_iter()
        .chain(inputs("digest_render", "regressions"))
    {
        run(&name, || render(&data));
    }
}

#[test]
fn every_period_spec_seed_and_finding_keeps_the_invariants() {
    let seeds = inputs("period_spec", "corpus");
    assert!(!seeds.is_empty());
    for (name, data) in seeds
        .into_iter()
        .chain(inputs("period_spec", "regressions"))
    {
        run(&name, || period_spec(&data));
    }
}

/// The sample digest (12 weeks of history, reviews, comments) with hostile agent names,
/// review and comment texts, and a team name of 5 000 characters with a Slack mention.
#[test]
fn sample_digest_from_hostile_facts_keeps_every_format_safe_and_bounded() {
    let mut s = fixtures::sample(true);
    s.report.team = format!("{}<!here>", "support ".repeat(625));
    let digest = Digest::build(&DigestInput {
        report: &s.report,
        history: &s.history,
        reviews: &s.reviews,
        ratings: &s.ratings,
    });
    check(&digest);
}

/// Findings of `period_spec`, fixed in `crates/model`: `0001-01` parsed as January of year 1
/// and printed as `1-01`, which did not parse back (the year must have four digits);
/// `+999-11` was taken as a four-digit year. `Display` now pads the year to four digits and
/// `FromStr` takes only ASCII digits.
#[test]
fn period_spec_findings() {
    for (name, data) in inputs("period_spec", "regressions") {
        run(&name, || period_spec(&data));
    }
}
