//! Tidy checks, run as tests by `cargo xtask test` (rust-analyzer's habit): rules about the
//! shape of the tree that review would otherwise have to remember.
//!
//! * every workspace crate has a section in `ARCHITECTURE.md`;
//! * every Rust source file starts with a `//!` module comment (what it is for);
//! * no Rust file is over [`MAX_LINES`] lines, except the ones in [`LONG_FILES`], each with
//!   its reason (and the list may not hold a file that has become short);
//! * every dependency a crate declares is named in its code;
//! * (each connector's `settings_keys()` matching its settings struct is checked where the
//!   kinds are registered: `keys_of` reads the keys from the struct's serde derive, and the
//!   CLI's `every_registered_kind_is_well_declared` runs `registry::check_kind` on each.)

/// The line cap of one Rust file.
pub const MAX_LINES: usize = 800;

/// Files allowed over [`MAX_LINES`], and why: test files that are a table of one vendor's
/// cases, and modules whose parts share private state that a split would have to expose.
pub const LONG_FILES: &[(&str, &str)] = &[
    (
        "tests/e2e/reconcile.rs",
        "one golden reconcile per vendor, each a hand-made week with its expected figures",
    ),
    (
        "crates/cli/src/import.rs",
        "the CSV importers share one streaming reader and its line-accurate errors",
    ),
    (
        "crates/connector/src/http.rs",
        "the client's retry, budget, cap and redirect logic share private request state",
    ),
    (
        "crates/connector/src/paginate/tests.rs",
        "one declaration per paginator shape, each with its hostile cases",
    ),
    (
        "crates/metrics/tests/report/main.rs",
        "the report's end-to-end cases on one shared fixture team",
    ),
    (
        "crates/connector/src/http/tests.rs",
        "the client against wiremock and raw sockets, one case per failure mode",
    ),
    (
        "crates/digest/src/model.rs",
        "the digest's view model: one struct per section, built from one KpiReport",
    ),
    (
        "crates/simulator/src/generate.rs",
        "the generated account: tickets, events and ratings drawn from one seeded stream",
    ),
    (
        "crates/scheduler/tests/daemon.rs",
        "the daemon's cases on one controlled clock and one harness",
    ),
    (
        "crates/simulator/tests/vendor.rs",
        "the simulator's payloads against each vendor's documented layout",
    ),
    (
        "crates/connector/src/testkit/checks.rs",
        "the conformance kit's checks, one function each, sharing the fixture replay",
    ),
    (
        "crates/connector/src/paginate.rs",
        "the four paginator loops share the page-request and checkpoint plumbing",
    ),
    (
        "crates/metrics/tests/report/kpis.rs",
        "one test per KPI definition of DESIGN.md",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        crate::project_root()
    }

    fn rel(path: &Path) -> String {
        path.strip_prefix(root())
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// The directories of the workspace's crates, from the root manifest's `members` (a
    /// trailing `/*` is every directory below it that has a `Cargo.toml`).
    fn crate_dirs() -> Vec<PathBuf> {
        let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
        let start = manifest.find("members = [").expect("members");
        let end = start + manifest[start..].find(']').expect("members end");
        let mut out = Vec::new();
        for line in manifest[start..end].lines().skip(1) {
            let line = line.trim();
            let Some(member) = line
                .strip_prefix('"')
                .and_then(|l| l.split('"').next())
                .filter(|_| !line.starts_with('#'))
            else {
                continue;
            };
            if let Some(parent) = member.strip_suffix("/*") {
                let mut dirs: Vec<_> = std::fs::read_dir(root().join(parent))
                    .unwrap()
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.join("Cargo.toml").is_file())
                    .collect();
                dirs.sort();
                out.extend(dirs);
            } else {
                out.push(root().join(member));
            }
        }
        assert!(out.len() >= 10, "read too few members: {out:?}");
        out
    }

    /// Every `.rs` file below `dir`, build output and fuzzing work directories left out.
    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    "target" | "corpus" | "artifacts" | ".git" | "node_modules"
                ) {
                    rust_files(&path, out);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }

    fn all_rust_files() -> Vec<PathBuf> {
        let mut out = Vec::new();
        for top in ["crates", "tests", "xtask", "fuzz"] {
            rust_files(&root().join(top), &mut out);
        }
        out.sort();
        assert!(out.len() > 100, "found too few Rust files: {}", out.len());
        out
    }

    #[test]
    fn every_crate_has_a_section_in_architecture_md() {
        let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
        let mut missing = Vec::new();
        for dir in crate_dirs() {
            let path = rel(&dir);
            let generic = path
                .rsplit_once('/')
                .map(|(parent, _)| format!("### `{parent}/<name>`"));
            let own = format!("### `{path}`");
            if !arch.contains(&own) && !generic.is_some_and(|g| arch.contains(&g)) {
                missing.push(path);
            }
        }
        assert!(
            missing.is_empty(),
            "ARCHITECTURE.md has no `### \\`PATH\\`` section for: {missing:?}"
        );
    }

    #[test]
    fn every_rust_file_starts_with_a_module_comment() {
        let missing: Vec<String> = all_rust_files()
            .into_iter()
            .filter(|p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                !text.trim_start().starts_with("//!")
            })
            .map(|p| rel(&p))
            .collect();
        assert!(
            missing.is_empty(),
            "start these files with a `//!` line saying what they are for: {missing:?}"
        );
    }

    #[test]
    fn no_rust_file_is_over_the_line_cap_unless_listed_with_a_reason() {
        let allowed: BTreeSet<&str> = LONG_FILES.iter().map(|(p, _)| *p).collect();
        assert_eq!(allowed.len(), LONG_FILES.len(), "a file is listed twice");
        let mut over = Vec::new();
        let mut long = BTreeSet::new();
        for p in all_rust_files() {
            let lines = std::fs::read_to_string(&p)
                .unwrap_or_default()
                .lines()
                .count();
            let path = rel(&p);
            if lines > MAX_LINES {
                long.insert(path.clone());
                if !allowed.contains(path.as_str()) {
                    over.push(format!("{path} ({lines} lines)"));
                }
            }
        }
        assert!(
            over.is_empty(),
            "over {MAX_LINES} lines: split them by concern, or list them in tidy::LONG_FILES with the reason: {over:?}"
        );
        let stale: Vec<_> = allowed.iter().filter(|p| !long.contains(**p)).collect();
        assert!(
            stale.is_empty(),
            "no longer over {MAX_LINES} lines (or gone): take them off tidy::LONG_FILES: {stale:?}"
        );
    }

    /// The dependency names of a manifest's `[dependencies]`, `[dev-dependencies]` and
    /// `[build-dependencies]` tables.
    fn dependencies(manifest: &str) -> Vec<String> {
        let mut section = "";
        let mut out = Vec::new();
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line;
                continue;
            }
            if !matches!(
                section,
                "[dependencies]" | "[dev-dependencies]" | "[build-dependencies]"
            ) {
                continue;
            }
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            let rest = line[name.len()..].trim_start();
            if !name.is_empty() && (rest.starts_with(".workspace") || rest.starts_with('=')) {
                out.push(name);
            }
        }
        out
    }

    fn mentions(text: &str, word: &str) -> bool {
        text.match_indices(word).any(|(i, _)| {
            let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
            let before = text[..i].chars().next_back().is_none_or(|c| !ident(c));
            let after = text[i + word.len()..]
                .chars()
                .next()
                .is_none_or(|c| !ident(c));
            before && after
        })
    }

    #[test]
    fn every_declared_dependency_is_used() {
        let mut unused = Vec::new();
        for dir in crate_dirs() {
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            let mut files = Vec::new();
            rust_files(&dir, &mut files);
            let mut code: String = files
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap_or_default())
                .collect();
            // A `#[path = "…"]` module outside the crate's directory (a file several crates
            // compile, like `crates/connectors/golden_db.rs`) is the crate's code too.
            for f in &files {
                let text = std::fs::read_to_string(f).unwrap_or_default();
                for line in text.lines() {
                    let Some(rest) = line.trim().strip_prefix("#[path = \"") else {
                        continue;
                    };
                    let target = f.parent().unwrap().join(rest.split('"').next().unwrap());
                    let (Ok(target), Ok(crate_dir)) = (target.canonicalize(), dir.canonicalize())
                    else {
                        continue;
                    };
                    if !target.starts_with(crate_dir) {
                        code.push_str(&std::fs::read_to_string(target).unwrap_or_default());
                    }
                }
            }
            for dep in dependencies(&manifest) {
                if !mentions(&code, &dep.replace('-', "_")) {
                    unused.push(format!("{}: {dep}", rel(&dir)));
                }
            }
        }
        assert!(
            unused.is_empty(),
            "declared but never named in the crate's code: remove them: {unused:?}"
        );
    }

    #[test]
    fn the_dependency_reader_reads_both_forms() {
        let deps = dependencies(
            "[package]\nname = \"x\"\n[dependencies]\nserde.workspace = true\nfoo-bar = { version = \"1\" }\n# c = 1\n[lints]\nworkspace = true\n",
        );
        assert_eq!(deps, ["serde", "foo-bar"]);
        assert!(mentions("use foo_bar::X;", "foo_bar"));
        assert!(!mentions("use foo_barx::X;", "foo_bar"));
    }
}
