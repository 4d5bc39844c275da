//! The checked-in fuzz inputs of `customer_reviews`, run as ordinary tests: the seed corpus
//! (`tests/fuzz/corpus/`, the constructed fixture pages; see `tests/fuzz/README.md`) and
//! every input a fuzzer found a bug with (`tests/fuzz/regressions/`), through
//! [`deskpulse_connector_app_store::fuzzing::pages`], with the shared harness of
//! `crates/connectors/fuzzing_invariants.rs`.

deskpulse_connector_app_store::fuzz_regression_tests!();
