//! The `intercom_pages` fuzz target's checked-in inputs, run as ordinary tests (CI needs no
//! cargo-fuzz): the seed corpus (`tests/fuzz/corpus/`, Intercom's own test fixtures shaped as
//! the pages the connector reads; see `tests/fuzz/README.md`) and every input the fuzzer
//! found a bug with (`tests/fuzz/regressions/`), through the same entry point as the
//! target, [`deskpulse_connector_intercom::fuzzing::pages`].

use deskpulse_connector_intercom::fuzzing::pages;
use std::path::PathBuf;

fn inputs(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md"))
        .map(|p| {
            let data = std::fs::read(&p).expect("a readable input");
            (p.display().to_string(), data)
        })
        .collect();
    out.sort();
    out
}

/// Runs one input, naming it when an invariant breaks.
fn run(name: &str, data: &[u8]) -> Vec<&'static str> {
    std::panic::catch_unwind(|| pages(data)).unwrap_or_else(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        panic!("{name}: {msg}")
    })
}

/// One checked-in finding, by file name: the page types it still maps as.
#[allow(dead_code)]
fn finding(name: &str) -> Vec<&'static str> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/regressions")
        .join(name);
    run(name, &std::fs::read(path).expect("a checked-in finding"))
}

#[test]
fn every_seed_is_a_page_the_connector_reads_and_keeps_the_invariants() {
    let seeds = inputs("corpus");
    assert!(!seeds.is_empty(), "no seed corpus in tests/fuzz/corpus");
    for (name, data) in seeds {
        let kinds = run(&name, &data);
        assert!(!kinds.is_empty(), "{name} maps as no page type");
    }
}

#[test]
fn every_fuzz_finding_stays_fixed() {
    for (name, data) in inputs("regressions") {
        run(&name, &data);
    }
}

// Findings. Each input is an example of Intercom's OpenAPI description 2.14 (`GET /admins`,
// `GET /conversations/{id}` "conversation found"; see tests/fixtures/PROVENANCE.md) with one
// field changed to what the fuzzer found.

/// An admin whose `id` is `""`: storage refuses an empty id, so the page is malformed
/// rather than an agent nobody can be matched to (it used to map to one).
#[test]
fn admin_with_an_empty_id_fails_the_admins_page() {
    assert!(!finding("admin_empty_id.json").contains(&"admins"));
}

/// A conversation part (a comment) whose `id` is `""`: its message would have no id.
#[test]
fn conversation_part_with_an_empty_id_fails_the_conversation() {
    assert!(!finding("part_empty_id.json").contains(&"conversation"));
}

/// `statistics.first_admin_reply_at` of `i64::MAX`: subtracting `created_at` overflowed
/// (a panic with overflow checks, a wrong figure without); now no instant, so an error.
#[test]
fn statistics_time_past_any_instant_fails_the_conversation_instead_of_overflowing() {
    assert!(!finding("statistics_time_past_any_instant.json").contains(&"conversation"));
}

/// `statistics.last_close_at` past the last instant of a closed conversation: it used to
/// become "no solve time" silently; a time that does not parse fails the page.
#[test]
fn statistics_close_time_past_any_instant_is_an_error_not_a_missing_solve() {
    assert!(!finding("statistics_close_time_past_any_instant.json").contains(&"conversation"));
}
