//! The `config_settings` and `import_csv` fuzz targets' checked-in inputs, run as ordinary
//! tests (CI needs no cargo-fuzz), through the same entry points as the targets
//! ([`deskpulse::fuzzing::config`], [`deskpulse::fuzzing::import`]). For `config_settings`:
//! the seeds (`tests/fuzz/config_settings/corpus/`: `config/default.toml`, and variants of
//! it with every block switched on and every credential the planted secret — inline, through
//! `${VAR}`, through a `DESKPULSE__` override, next to a typo, a bad value or a syntax error)
//! and every input the fuzzer found a bug with (`…/regressions/`). For `import_csv`: a file
//! of each kind, with quotes, CRLF and a byte-order mark, repeated keys and bad values
//! (`tests/fuzz/import_csv/corpus/`), and its findings.

use deskpulse::fuzzing::{MARK, config, import};
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

fn run(name: &str, data: &[u8], entry: fn(&[u8])) {
    if let Err(e) = std::panic::catch_unwind(|| entry(data)) {
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
    let seeds = inputs("config_settings", "corpus");
    assert!(
        seeds
            .iter()
            .any(|(_, d)| { std::str::from_utf8(d).is_ok_and(|s| s.contains(MARK)) })
    );
    for (name, data) in seeds
        .into_iter()
        .chain(inputs("config_settings", "regressions"))
    {
        run(&name, &data, config);
    }
}

#[test]
fn every_import_seed_and_finding_is_checked_without_a_panic_and_named_by_line() {
    let seeds = inputs("import_csv", "corpus");
    assert!(seeds.len() >= 5, "a seed per import kind");
    for (name, data) in seeds.into_iter().chain(inputs("import_csv", "regressions")) {
        run(&name, &data, import);
    }
}
