//! The `zendesk_pages` fuzz target's checked-in inputs, run as ordinary tests (CI needs no
//! cargo-fuzz): the seed corpus (`tests/fuzz/corpus/`, Zendesk's own test fixtures shaped as
//! the pages the connector reads; see `tests/fuzz/README.md`) and every input the fuzzer
//! found a bug with (`tests/fuzz/regressions/`), through the same entry point as the
//! target, [`deskpulse_connector_zendesk::fuzzing::pages`], with the shared harness of
//! `crates/connectors/fuzzing_invariants.rs`.

deskpulse_connector_zendesk::fuzz_regression_tests!();
