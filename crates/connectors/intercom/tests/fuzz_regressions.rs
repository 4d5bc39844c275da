//! The `intercom_pages` fuzz target's checked-in inputs, run as ordinary tests (CI needs no
//! cargo-fuzz): the seed corpus (`tests/fuzz/corpus/`, Intercom's own test fixtures shaped as
//! the pages the connector reads; see `tests/fuzz/README.md`) and every input the fuzzer
//! found a bug with (`tests/fuzz/regressions/`), through the same entry point as the
//! target, [`deskpulse_connector_intercom::fuzzing::pages`], with the shared harness of
//! `crates/connectors/fuzzing_invariants.rs`.

deskpulse_connector_intercom::fuzz_regression_tests!();

/// Each finding fails the page type it was read as. Each input is an example of Intercom's
/// OpenAPI description 2.14 (`GET /admins`, `GET /conversations/{id}` "conversation found";
/// see tests/fixtures/PROVENANCE.md) with one field changed to what the fuzzer found.
#[test]
fn every_finding_fails_its_page() {
    for (input, page) in [
        // An admin whose `id` is `""`: storage refuses an empty id, so the page is malformed
        // rather than an agent nobody can be matched to (it used to map to one).
        ("admin_empty_id.json", "admins"),
        // A conversation part (a comment) whose `id` is `""`: its message would have no id.
        ("part_empty_id.json", "conversation"),
        // `statistics.first_admin_reply_at` of `i64::MAX`: subtracting `created_at`
        // overflowed (a panic with overflow checks, a wrong figure without); now no instant,
        // so an error.
        ("statistics_time_past_any_instant.json", "conversation"),
        // `statistics.last_close_at` past the last instant of a closed conversation: it used
        // to become "no solve time" silently; a time that does not parse fails the page.
        (
            "statistics_close_time_past_any_instant.json",
            "conversation",
        ),
    ] {
        assert!(!finding(input).contains(&page), "{input} read as {page}");
    }
}
