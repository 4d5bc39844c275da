//! Unit tests of the kit's helpers. The kit's runs are tested in `tests/testkit.rs`, a
//! binary of its own: the kit installs a global subscriber, as do this crate's unit tests.

use super::fixtures::{has_arrays, strip_arrays};
use serde_json::json;

#[test]
fn strips_arrays_two_levels_deep() {
    let mut v = json!({"a": [1], "meta": {"n": 1}, "_embedded": {"rows": [1], "x": 2}});
    strip_arrays(&mut v, 2);
    assert_eq!(v, json!({"meta": {"n": 1}, "_embedded": {"x": 2}}));
    assert!(!has_arrays(&v, 2));
}
