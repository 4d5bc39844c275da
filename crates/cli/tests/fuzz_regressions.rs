//! The `config_settings` fuzz target's checked-in inputs, run as ordinary tests (CI needs no
//! cargo-fuzz), through the same entry point as the target, [`deskpulse::fuzzing::config`]:
//! the seeds (`tests/fuzz/config_settings/corpus/`: `config/default.toml`, and variants of
//! it with every block switched on and every credential the planted secret — inline, through
//! `${VAR}`, through a `DESKPULSE__` override, next to a typo, a bad value or a syntax error)
//! and every input the fuzzer found a bug with (`…/regressions/`).

use deskpulse::fuzzing::{MARK, config};
use std::path::PathBuf;

fn inputs(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/config_settings")
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

fn run(name: &str, data: &[u8]) {
    if let Err(e) = std::panic::catch_unwind(|| config(data)) {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        panic!("{name}: {msg}");
    }
}

#[test]
fn every_config_seed_and_finding_keeps_its_secret() {
    let seeds = inputs("corpus");
    assert!(
        seeds
            .iter()
            .any(|(_, d)| { std::str::from_utf8(d).is_ok_and(|s| s.contains(MARK)) })
    );
    for (name, data) in seeds.into_iter().chain(inputs("regressions")) {
        run(&name, &data);
    }
}
