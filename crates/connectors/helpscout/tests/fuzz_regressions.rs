//! The `helpscout_pages` fuzz target's checked-in inputs, run as ordinary tests (CI needs no
//! cargo-fuzz): the seed corpus (`tests/fuzz/corpus/`, Help Scout's own test fixtures shaped as
//! the pages the connector reads; see `tests/fuzz/README.md`) and every input the fuzzer
//! found a bug with (`tests/fuzz/regressions/`), through the same entry point as the
//! target, [`deskpulse_connector_helpscout::fuzzing::pages`], with the shared harness of
//! `crates/connectors/fuzzing_invariants.rs`.

deskpulse_connector_helpscout::fuzz_regression_tests!();

// Findings. Each input is Help Scout's documented Get Conversation v2 example
// (tests/fixtures/helpscout-docs/PROVENANCE.md) in a list page, `createdAt` changed to what
// the fuzzer found.

/// A sweep page whose conversation was created at chrono's first instant: the order check
/// subtracted a second from the bound and panicked (`DateTime - TimeDelta` overflowed).
/// As the sweep's last page it is read; nothing is before the first instant to refuse.
#[test]
fn sweep_page_created_at_the_first_instant_does_not_panic() {
    assert!(finding("roster_created_at_first_instant.json").contains(&"roster"));
}

/// The same conversation on a page that is not the sweep's last: the next bound (a second
/// before the newest `createdAt`) does not exist, so the page is malformed.
#[test]
fn sweep_page_whose_next_bound_is_before_the_first_instant_is_malformed() {
    assert!(!finding("roster_created_at_first_instant_not_last_page.json").contains(&"roster"));
}
