//! What every connector's fuzz target asserts about a page, shared by the five connector
//! crates: each compiles this file as `fuzzing::invariants` (a `#[path]` module), so the fuzz
//! targets in `fuzz/` and the `fuzz_regressions` tests of each crate run the same checks.
//!
//! A page is tried as every page type the connector reads ([`Kind`]); for each that parses
//! and maps:
//! * every id storage needs is non-blank (storage refuses an empty `external_id`, and an
//!   empty optional id would join to nothing), and a status history holds only changes of
//!   its own ticket (storage refuses it otherwise);
//! * a rating's score is finite and on its scale;
//! * **times parse or the page is an error**: every time-like value of the JSON (a key
//!   ending in `_at`, `At`, `datetime`, `timestamp`, `time`, …) replaced by a string that is
//!   no time makes the page fail, or leaves the records unchanged (the value is not read).
//!   A connector that silently drops or replaces a time it cannot read fails this.
//!
//! Blank ids and extreme times seldom open a new branch, so coverage alone rarely steers the
//! fuzzer to them: for every page that maps, each id-like value (`id`, `*_id`, `*Id`) and
//! time-like value is also tried with edge values (`""`, `" "`, `0`, `-1`, the `i64`
//! bounds; the first and last instants chrono can hold), and what still maps must keep the
//! record invariants (and never panic).
//!
//! A violation panics with the page type and what is wrong: that is what the fuzzer reports.
//!
//! Each crate's `tests/fuzz_regressions.rs` runs its checked-in inputs with
//! [`fuzz_regression_tests!`](crate::fuzz_regression_tests) (the seed corpus and the findings
//! under `tests/fuzz/`, through the crate's `fuzzing::pages`), so CI needs no cargo-fuzz.

use deskpulse_model::Record;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One page type: its name, and the connector's own parsing and mapping of a body into it.
pub type Kind = (&'static str, fn(&[u8]) -> Result<Vec<Record>, String>);

/// Time-like values corrupted per page type: bounds the work per input.
const MAX_CORRUPTIONS: usize = 16;
/// Id-like and time-like values given edge values per page type.
const MAX_EDGES: usize = 8;

/// A page's JSON as `T`, its error as text (what a [`Kind`]'s function returns).
pub fn parse<T: serde::de::DeserializeOwned>(data: &[u8]) -> Result<T, String> {
    serde_json::from_slice(data).map_err(|e| e.to_string())
}

/// Runs `data` through every page type of `kinds` and asserts the invariants above; returns
/// the names of the page types it maps as.
pub fn check_page(data: &[u8], kinds: &[Kind]) -> Vec<&'static str> {
    let json = serde_json::from_slice::<Value>(data).ok();
    let mut mapped = Vec::new();
    for &(name, parse) in kinds {
        let Ok(records) = parse(data) else { continue };
        mapped.push(name);
        check_records(name, &records);
        let Some(json) = &json else { continue };
        for variant in edge_variants(json) {
            let bytes = serde_json::to_vec(&variant).expect("a JSON value serializes");
            if let Ok(records) = parse(&bytes) {
                check_records(name, &records);
            }
        }
        for (i, corrupted) in corruptions(json).into_iter().enumerate() {
            let bytes = serde_json::to_vec(&corrupted).expect("a JSON value serializes");
            if let Ok(after) = parse(&bytes)
                && after != records
            {
                panic!(
                    "{name}: time-like value #{i} replaced by a string that is no time, and the page \
                     still maps, to other records (a time that does not parse must fail the page): \
                     {}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }
    mapped
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn id(kind: &str, what: &str, v: &str) {
    assert!(!blank(v), "{kind}: {what} is blank ({v:?})");
}

fn opt_id(kind: &str, what: &str, v: Option<&String>) {
    if let Some(v) = v {
        id(kind, what, v);
    }
}

/// The record invariants (see the module docs).
pub fn check_records(kind: &str, records: &[Record]) {
    for r in records {
        match r {
            Record::Ticket(t) => {
                id(kind, "ticket external_id", &t.external_id);
                opt_id(kind, "ticket requester_id", t.requester_id.as_ref());
                opt_id(kind, "ticket assignee_id", t.assignee_id.as_ref());
                opt_id(kind, "ticket group_id", t.group_id.as_ref());
            }
            Record::Message(m) => {
                id(kind, "message external_id", &m.external_id);
                id(kind, "message ticket_id", &m.ticket_id);
                opt_id(kind, "message author_id", m.author_id.as_ref());
            }
            Record::StatusChange(c) => {
                id(kind, "status change external_id", &c.external_id);
                id(kind, "status change ticket_id", &c.ticket_id);
                opt_id(kind, "status change author_id", c.author_id.as_ref());
            }
            Record::StatusHistory(h) => {
                id(kind, "status history ticket_id", &h.ticket_id);
                for c in &h.changes {
                    id(kind, "status change external_id", &c.external_id);
                    opt_id(kind, "status change author_id", c.author_id.as_ref());
                    assert_eq!(
                        c.ticket_id, h.ticket_id,
                        "{kind}: change {} of the history of ticket {} belongs to another ticket",
                        c.external_id, h.ticket_id
                    );
                }
            }
            Record::Agent(a) => id(kind, "agent external_id", &a.external_id),
            Record::Customer(c) => id(kind, "customer external_id", &c.external_id),
            Record::Rating(r) => {
                id(kind, "rating external_id", &r.external_id);
                opt_id(kind, "rating ticket_id", r.ticket_id.as_ref());
                opt_id(kind, "rating agent_id", r.agent_id.as_ref());
                assert!(
                    r.score.is_finite() && r.scale.min <= r.score && r.score <= r.scale.max,
                    "{kind}: rating {} has score {} outside its scale {:?}",
                    r.external_id,
                    r.score,
                    r.scale
                );
            }
            Record::Review(r) => {
                id(kind, "review external_id", &r.external_id);
                assert!(r.rating.is_finite(), "{kind}: review rating {}", r.rating);
            }
            Record::RatingSnapshot(s) => {
                id(kind, "rating snapshot account", &s.account);
                assert!(
                    s.overall_rating.is_none_or(f64::is_finite),
                    "{kind}: overall rating {:?}",
                    s.overall_rating
                );
            }
            Record::SocialInteraction(i) => {
                id(kind, "social interaction external_id", &i.external_id);
                opt_id(kind, "social interaction author_id", i.author_id.as_ref());
            }
            Record::SocialStat(s) => {
                assert!(s.value.is_finite(), "{kind}: social stat {}", s.value)
            }
            Record::VendorMetrics(v) => id(kind, "vendor metrics ticket_id", &v.ticket_id),
            Record::TicketRoster(r) => {
                for i in &r.ids {
                    id(kind, "roster id", i);
                }
            }
        }
    }
}

/// Whether a key names a time (every vendor's spelling: `created_at`, `createdAt`,
/// `created_datetime`, `timestamp`, `customerWaitingSince.time`, …).
fn time_key(k: &str) -> bool {
    let lower = k.to_ascii_lowercase();
    k.ends_with("At")
        || k.ends_with("Since")
        || lower.ends_with("_at")
        || lower.ends_with("datetime")
        || lower.ends_with("timestamp")
        || lower.ends_with("_time")
        || lower == "time"
}

fn id_key(k: &str) -> bool {
    k == "id" || k.ends_with("_id") || k.ends_with("Id")
}

/// Copies of `v` with an id-like or time-like value replaced by an edge value (see the
/// module docs).
fn edge_variants(v: &Value) -> Vec<Value> {
    let mut paths = Vec::new();
    collect_where(v, &mut Vec::new(), &mut paths, &|k| {
        id_key(k) || time_key(k)
    });
    let ids = [
        Value::from(""),
        Value::from(" "),
        Value::from(0),
        Value::from(-1),
        Value::from(i64::MAX),
        Value::from(i64::MIN),
    ];
    let times = [
        Value::from("+262143-12-31T23:59:59.999999999Z"),
        Value::from("-262143-01-01T00:00:00Z"),
        Value::from("262143-12-31T23:59:59.999999"),
        Value::from(i64::MAX),
        Value::from(i64::MIN),
        Value::from(8_210_298_412_799_i64),
        Value::from(-8_334_601_228_800_i64),
        Value::from(0),
    ];
    let mut out = Vec::new();
    for (key, path) in paths.into_iter().take(MAX_EDGES) {
        let edges: &[Value] = if id_key(&key) { &ids } else { &times };
        for e in edges {
            let mut c = v.clone();
            if let Some(slot) = c.pointer_mut(&path) {
                *slot = e.clone();
            }
            out.push(c);
        }
    }
    out
}

/// One copy of `v` per time-like value (a string or a number under a [`time_key`]), that
/// value replaced by a string no time parser accepts.
fn corruptions(v: &Value) -> Vec<Value> {
    let mut paths = Vec::new();
    collect_where(v, &mut Vec::new(), &mut paths, &time_key);
    paths
        .into_iter()
        .take(MAX_CORRUPTIONS)
        .map(|(_, path)| {
            let mut c = v.clone();
            if let Some(slot) = c.pointer_mut(&path) {
                *slot = Value::String("not a time".into());
            }
            c
        })
        .collect()
}

/// The JSON pointers (with their keys) of the strings and numbers under a key `pick` likes.
fn collect_where(
    v: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(String, String)>,
    pick: &dyn Fn(&str) -> bool,
) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(escape(k));
                if pick(k) && matches!(child, Value::String(_) | Value::Number(_)) {
                    out.push((k.clone(), format!("/{}", path.join("/"))));
                } else {
                    collect_where(child, path, out, pick);
                }
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                path.push(i.to_string());
                collect_where(child, path, out, pick);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A JSON pointer token (RFC 6901).
fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// The inputs under `{manifest_dir}/tests/fuzz/{dir}` (every file but the notes), by path.
pub fn inputs(manifest_dir: &str, dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir(manifest_dir).join(dir);
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

fn fuzz_dir(manifest_dir: &str) -> PathBuf {
    Path::new(manifest_dir).join("tests/fuzz")
}

/// Runs one input through `pages` (a crate's fuzz entry point), naming the input when an
/// invariant breaks; returns the page types it maps as.
pub fn run(name: &str, data: &[u8], pages: fn(&[u8]) -> Vec<&'static str>) -> Vec<&'static str> {
    std::panic::catch_unwind(|| pages(data)).unwrap_or_else(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        panic!("{name}: {msg}")
    })
}

/// One checked-in finding (`tests/fuzz/regressions/{name}`): the page types it still maps as.
pub fn finding(
    manifest_dir: &str,
    name: &str,
    pages: fn(&[u8]) -> Vec<&'static str>,
) -> Vec<&'static str> {
    let path = fuzz_dir(manifest_dir).join("regressions").join(name);
    run(
        name,
        &std::fs::read(path).expect("a checked-in finding"),
        pages,
    )
}

/// Every seed (`tests/fuzz/corpus/`) maps as some page type and keeps the invariants.
pub fn check_seeds(manifest_dir: &str, pages: fn(&[u8]) -> Vec<&'static str>) {
    let seeds = inputs(manifest_dir, "corpus");
    assert!(!seeds.is_empty(), "no seed corpus in tests/fuzz/corpus");
    for (name, data) in seeds {
        let kinds = run(&name, &data, pages);
        assert!(!kinds.is_empty(), "{name} maps as no page type");
    }
}

/// Every finding (`tests/fuzz/regressions/`) keeps the invariants.
pub fn check_findings(manifest_dir: &str, pages: fn(&[u8]) -> Vec<&'static str>) {
    for (name, data) in inputs(manifest_dir, "regressions") {
        run(&name, &data, pages);
    }
}

/// The two regression tests of a connector crate's checked-in fuzz inputs, and
/// `finding(name)` for the tests that pin what one finding still maps as. Call it once in
/// the crate's `tests/fuzz_regressions.rs`.
#[macro_export]
#[doc(hidden)]
macro_rules! fuzz_regression_tests {
    () => {
        /// One checked-in finding, by file name: the page types it still maps as.
        #[allow(dead_code)]
        fn finding(name: &str) -> Vec<&'static str> {
            $crate::fuzzing::invariants::finding(
                env!("CARGO_MANIFEST_DIR"),
                name,
                $crate::fuzzing::pages,
            )
        }

        #[test]
        fn every_seed_is_a_page_the_connector_reads_and_keeps_the_invariants() {
            $crate::fuzzing::invariants::check_seeds(
                env!("CARGO_MANIFEST_DIR"),
                $crate::fuzzing::pages,
            );
        }

        #[test]
        fn every_fuzz_finding_stays_fixed() {
            $crate::fuzzing::invariants::check_findings(
                env!("CARGO_MANIFEST_DIR"),
                $crate::fuzzing::pages,
            );
        }
    };
}
