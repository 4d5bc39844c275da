//! `cargo xtask new-connector NAME`: generates `crates/connectors/NAME` from the templates in
//! `templates/` and registers it with two lines outside the crate: the CLI's dependency
//! (`crates/cli/Cargo.toml`) and its line in `KINDS` (`crates/cli/src/connectors.rs`). The
//! workspace takes the crate by its `crates/connectors/*` glob; the crate's docs hold its
//! `[[sources]]` example. Every edit is computed first and written only if all of them
//! apply, so a refusal leaves the tree untouched.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const CARGO_TOML: &str = include_str!("templates/Cargo.toml.tmpl");
const LIB_RS: &str = include_str!("templates/lib.rs.tmpl");
const SETTINGS_RS: &str = include_str!("templates/settings.rs.tmpl");
const TEST_MAIN_RS: &str = include_str!("templates/test_main.rs.tmpl");

/// Lowercase ASCII letters, digits and `_`, starting with a letter: a valid `kind`, crate
/// suffix and Rust identifier.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__");
    if !ok {
        bail!(
            "invalid connector name {name:?}: use lowercase letters, digits and single underscores, starting with a letter (e.g. `acme` or `help_desk2`)"
        );
    }
    if matches!(
        name,
        "connector" | "testkit" | "all" | "self" | "crate" | "super"
    ) {
        bail!("{name:?} is reserved: pick the vendor's name");
    }
    Ok(())
}

/// `help_desk2` → `HelpDesk2`.
pub fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut cs = part.chars();
            match cs.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

pub fn render(template: &str, name: &str) -> String {
    template
        .replace("__NAME__", &name.to_ascii_uppercase())
        .replace("__Name__", &camel(name))
        .replace("__name__", name)
}

/// The generated files, relative to the workspace root.
pub fn crate_files(name: &str) -> Vec<(PathBuf, String)> {
    let dir = PathBuf::from("crates/connectors").join(name);
    vec![
        (dir.join("Cargo.toml"), render(CARGO_TOML, name)),
        (dir.join("src/lib.rs"), render(LIB_RS, name)),
        (dir.join("src/settings.rs"), render(SETTINGS_RS, name)),
        (
            dir.join(format!("tests/{name}/main.rs")),
            render(TEST_MAIN_RS, name),
        ),
    ]
}

/// Inserts `line` after the last line of `text` (between `from` and the next line equal to
/// `until`) that starts with one of `after_prefixes` (tried in order).
fn insert_after_last(
    text: &str,
    section_start: &str,
    section_end: &str,
    after_prefixes: &[&str],
    line: &str,
) -> Option<String> {
    let start = text.find(section_start)?;
    let end = start
        + text[start..]
            .find(section_end)
            .unwrap_or(text.len() - start);
    let section = &text[start..end];
    for prefix in after_prefixes {
        let mut at = None;
        let mut offset = 0;
        for l in section.split_inclusive('\n') {
            if l.trim_start().starts_with(prefix) {
                at = Some(start + offset + l.len());
            }
            offset += l.len();
        }
        if let Some(at) = at {
            let mut out = String::with_capacity(text.len() + line.len() + 1);
            out.push_str(&text[..at]);
            out.push_str(line);
            out.push('\n');
            out.push_str(&text[at..]);
            return Some(out);
        }
    }
    None
}

/// `crates/cli/Cargo.toml` with the dependency (a path: the root manifest needs no entry).
pub fn edit_cli_manifest(text: &str, name: &str) -> Result<String> {
    insert_after_last(
        text,
        "[dependencies]",
        "\n[",
        &["deskpulse-connector-", "deskpulse-connector."],
        &format!("deskpulse-connector-{name} = {{ path = \"../connectors/{name}\" }}"),
    )
    .context("cannot find `deskpulse-connector` in [dependencies] of crates/cli/Cargo.toml")
}

/// `crates/cli/src/connectors.rs` with a `ConnectorKind` appended to `KINDS`.
pub fn edit_kinds(text: &str, name: &str) -> Result<String> {
    let decl = text
        .find("pub const KINDS")
        .context("cannot find `pub const KINDS` in crates/cli/src/connectors.rs")?;
    let open = decl
        + text[decl..]
            .find("= &[")
            .context("`KINDS` is not written `= &[ … ];`")?
        + 4;
    let close = matching_bracket(text, open).context("unbalanced brackets after `KINDS`")?;
    let head = text[..close].trim_end();
    let comma = if head.ends_with(',') || head.ends_with('[') {
        ""
    } else {
        ","
    };
    Ok(format!(
        "{head}{comma}\n    {}\n{}",
        kind_line(name),
        &text[close..]
    ))
}

/// The registry line of a connector crate: `Kind::of(&deskpulse_connector_acme::Acme),`.
pub fn kind_line(name: &str) -> String {
    format!("Kind::of(&deskpulse_connector_{name}::{}),", camel(name))
}

/// The index of the `]` closing the `[` just before `from`, skipping strings and comments.
fn matching_bracket(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 1usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let [name] = args else {
        bail!("usage: cargo xtask new-connector NAME   (lowercase letters, digits, `_`)");
    };
    validate_name(name)?;
    let dir = root.join("crates/connectors").join(name);
    if dir.exists() {
        bail!(
            "{} already exists: nothing was changed (remove it, and its registrations, to generate it again)",
            dir.display()
        );
    }
    let read = |rel: &str| {
        std::fs::read_to_string(root.join(rel)).with_context(|| format!("cannot read {rel}"))
    };
    let kinds = read("crates/cli/src/connectors.rs")?;
    if kinds.contains(&format!("deskpulse_connector_{name}::")) {
        bail!("crates/cli/src/connectors.rs already registers {name:?}: nothing was changed");
    }
    let cli = read("crates/cli/Cargo.toml")?;
    if cli.contains(&format!("deskpulse-connector-{name}.")) {
        bail!(
            "crates/cli/Cargo.toml already depends on deskpulse-connector-{name}: nothing was changed"
        );
    }
    // Compute every edit before writing anything.
    let edits = vec![
        ("crates/cli/Cargo.toml", edit_cli_manifest(&cli, name)?),
        ("crates/cli/src/connectors.rs", edit_kinds(&kinds, name)?),
    ];
    let mut rust_files = vec![root.join("crates/cli/src/connectors.rs")];
    for (rel, text) in crate_files(name) {
        let path = root.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        if rel.extension().is_some_and(|e| e == "rs") {
            rust_files.push(path);
        }
        eprintln!("created  {}", rel.display());
    }
    for (rel, text) in edits {
        std::fs::write(root.join(rel), text).with_context(|| format!("cannot write {rel}"))?;
        eprintln!("edited   {rel}");
    }
    // Best effort: the generated code is written formatted; this also tidies `KINDS`.
    let fmt = Command::new("rustfmt")
        .arg("--edition=2024")
        .args(&rust_files)
        .status();
    if !matches!(fmt, Ok(s) if s.success()) {
        eprintln!("note: rustfmt did not run; run `cargo fmt` before committing");
    }
    eprintln!(
        "\nNext:\n  cargo test -p deskpulse-connector-{name}\n  cargo run -q -p deskpulse -- connectors\nthen replace the example endpoint, payloads and fixtures with the vendor's (docs/connectors.md)."
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balanced(text: &str) -> bool {
        let mut stack = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                c @ (b'(' | b'[' | b'{') => stack.push(c),
                b')' if stack.pop() != Some(b'(') => return false,
                b']' if stack.pop() != Some(b'[') => return false,
                b'}' if stack.pop() != Some(b'{') => return false,
                _ => {}
            }
            i += 1;
        }
        stack.is_empty()
    }

    /// Each line of a TOML document is blank, a comment, a `[table]`/`[[array]]` header or
    /// `key = value`.
    fn toml_ish(text: &str) -> bool {
        text.lines().all(|l| {
            let l = l.trim();
            l.is_empty()
                || l.starts_with('#')
                || (l.starts_with('[') && l.ends_with(']'))
                || l.split_once(" = ").is_some_and(|(k, v)| {
                    !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                        && !v.trim().is_empty()
                })
        })
    }

    #[test]
    fn names_are_validated() {
        for ok in ["acme", "help_desk2", "a1"] {
            validate_name(ok).unwrap();
        }
        for bad in [
            "",
            "Acme",
            "1acme",
            "ac-me",
            "acme_",
            "a__b",
            "connector",
            "ac me",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(camel("help_desk2"), "HelpDesk2");
    }

    #[test]
    fn templates_render_to_plausible_toml_and_rust() {
        for (path, text) in crate_files("help_desk2") {
            assert!(
                !text.contains("__name__")
                    && !text.contains("__Name__")
                    && !text.contains("__NAME__"),
                "{}",
                path.display()
            );
            if path.extension().is_some_and(|e| e == "toml") {
                assert!(
                    toml_ish(&text),
                    "{} is not TOML-ish:\n{text}",
                    path.display()
                );
            } else {
                assert!(
                    balanced(&text),
                    "{} has unbalanced brackets",
                    path.display()
                );
            }
        }
        let lib = render(LIB_RS, "help_desk2");
        assert!(lib.contains("const KIND: &'static str = \"help_desk2\";"));
        assert!(lib.contains("pub struct HelpDesk2Connector"));
        assert!(lib.contains("kind = \"help_desk2\"") && lib.contains("${HELP_DESK2_API_TOKEN}"));
        let test = render(TEST_MAIN_RS, "help_desk2");
        assert!(test.contains(
            "use deskpulse_connector_help_desk2::{HelpDesk2, HelpDesk2Connector, HelpDesk2Settings};"
        ));
    }

    /// Two lines outside the crate: the CLI's dependency and its `KINDS` line.
    #[test]
    fn registrations_apply_to_the_real_files() {
        let root = crate::project_root();
        let read = |rel: &str| std::fs::read_to_string(root.join(rel)).unwrap();
        let before = read("crates/cli/Cargo.toml");
        let cli = edit_cli_manifest(&before, "zz_test").unwrap();
        assert!(
            cli.contains("\ndeskpulse-connector-zz_test = { path = \"../connectors/zz_test\" }\n")
        );
        assert_eq!(cli.lines().count(), before.lines().count() + 1);
        let before = read("crates/cli/src/connectors.rs");
        let kinds = edit_kinds(&before, "zz_test").unwrap();
        assert_eq!(kinds.lines().count(), before.lines().count() + 1);
        let kinds_at = kinds.find("pub const KINDS").unwrap();
        assert!(
            kinds[kinds_at..].contains("    Kind::of(&deskpulse_connector_zz_test::ZzTest),\n];"),
            "{}",
            &kinds[kinds_at..]
        );
    }

    #[test]
    fn kinds_insertion_handles_one_and_many_entries() {
        let one = "pub const KINDS: &[Kind] = &[Kind::of(&a::A) /* [x] */];\n\nfn f() {}\n";
        let out = edit_kinds(one, "b").unwrap();
        assert!(balanced(&out));
        assert!(
            out.ends_with(
                "/* [x] */,\n    Kind::of(&deskpulse_connector_b::B),\n];\n\nfn f() {}\n"
            ),
            "{out}"
        );
        let many = "pub const KINDS: &[Kind] = &[\n    Kind::of(&a::A),\n    Kind::of(&c::C), // \"]\"\n];\n";
        let out = edit_kinds(many, "b").unwrap();
        assert!(balanced(&out));
        assert_eq!(out.matches("Kind::of(").count(), 3);
        assert!(
            out.ends_with("    Kind::of(&deskpulse_connector_b::B),\n];\n"),
            "{out}"
        );
    }
}
