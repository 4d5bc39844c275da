//! The configuration loader and the CSV importers under arbitrary input, for the
//! `config_settings` and `import_csv` fuzz targets (`fuzz/`) and `tests/fuzz_regressions.rs`.
//! Not part of the CLI's API.
//!
//! [`import`] runs the importers' check pass (every row parsed and validated, repeated keys
//! confirmed) on the input as a file of each kind and asserts that it never panics and that
//! a refusal is a list of `FILE:LINE: column: problem` lines naming lines the file has,
//! ending with what to do.
//!
//! [`config`] reads the input as a configuration file plus an environment: lines
//! `#env NAME=VALUE` (TOML comments, so the file reads the same) are the environment, and
//! every `@S@` in the file or the environment becomes [`SECRET`]. It runs
//! [`Settings::parse`] and asserts that it never panics and that, when the secret is planted
//! only where it is a credential, neither the error (`Display` and `Debug`) nor the settings'
//! `Debug` ever show it — not whole, not percent-encoded, not its first ten characters.
//!
//! "Only where it is a credential": each `@S@` of the file sits on a line `key = …` whose key
//! (the last dotted part) is a secret key ([`is_secret_key`]) and each `@S@` of the
//! environment is in a `DESKPULSE__…` override of a secret key or in a variable that only
//! secret keys' lines name (`${NAME}`). Elsewhere (a team name, say) the text is no secret
//! and the check is skipped.

use crate::config::Settings;
use crate::config::secrets::is_secret_key;
use std::path::Path;

/// The value planted: characters that travel encoded (`/`, `+`, `%`, `!`) included.
pub const SECRET: &str = "hunter2-Zq8!x/y+%41";
/// What the fuzzer writes where the secret goes.
pub const MARK: &str = "@S@";

/// The file name problems are reported under.
const CSV: &str = "fuzz.csv";

/// Fuzz entry point: the check pass of every import kind on `data`. Never panics unless a
/// refusal is not `FILE:LINE: column: problem` lines about lines the file has.
pub fn import(data: &[u8]) {
    use crate::cli::ImportKind;
    // Lines a reader can number: every `\n`, and every `\r` not followed by one.
    let breaks = data
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && data.get(i + 1) != Some(&b'\n')))
        .count() as u64;
    for kind in [
        ImportKind::Costs,
        ImportKind::Revenue,
        ImportKind::Customers,
        ImportKind::Orders,
        ImportKind::Surveys,
    ] {
        let open = || Ok(std::io::Cursor::new(data));
        match crate::import::check(kind, CSV, open, chrono_tz::UTC) {
            Ok(checked) => assert!(
                checked.rows() <= breaks + 1,
                "{kind:?}: {} rows from {} lines",
                checked.rows(),
                breaks + 1
            ),
            Err(crate::CommandError::Usage(msg)) => refusal_names_lines(&msg, breaks + 1),
            Err(other) => panic!("{kind:?}: a check is refused as a usage error, got {other:?}"),
        }
    }
}

/// `fuzz.csv:LINE: column: problem` lines (LINE within the file), then at most a count of
/// the rest, then what to do.
fn refusal_names_lines(msg: &str, lines: u64) {
    let mut rows = msg.lines().collect::<Vec<_>>();
    assert_eq!(
        rows.pop(),
        Some("nothing was imported: fix the file and import it again"),
        "{msg}"
    );
    if rows.last().is_some_and(|l| l.starts_with("… and ")) {
        rows.pop();
    }
    assert!(!rows.is_empty(), "a refusal names a problem: {msg:?}");
    for row in rows {
        let rest = row
            .strip_prefix(CSV)
            .and_then(|r| r.strip_prefix(':'))
            .unwrap_or_else(|| panic!("not `{CSV}:LINE: …`: {row:?}"));
        let (line, rest) = rest.split_once(": ").unwrap_or_else(|| panic!("{row:?}"));
        let line: u64 = line
            .parse()
            .unwrap_or_else(|_| panic!("no line number: {row:?}"));
        assert!(
            (1..=lines).contains(&line),
            "line {line} of a {lines}-line file: {row:?}"
        );
        assert!(rest.contains(": "), "no `column: problem`: {row:?}");
    }
}

/// Fuzz entry point: never panics unless a secret leaks.
pub fn config(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    // Only `@S@` becomes the secret: a secret the fuzzer wrote itself could sit anywhere.
    if input.contains(&SECRET[..10]) {
        return;
    }
    let env: Vec<(String, String)> = input
        .lines()
        .filter_map(|l| l.strip_prefix("#env "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace(MARK, SECRET)))
        .collect();
    let text = input.replace(MARK, SECRET);
    let planted = input.contains(MARK) && only_where_secret(input);
    let shown = match Settings::parse(Path::new("deskpulse.toml"), &text, &env) {
        Ok(settings) => vec![format!("{settings:?}")],
        Err(e) => vec![e.to_string(), format!("{e:?}")],
    };
    if !planted {
        return;
    }
    let encoded = "hunter2-Zq8%21x%2Fy%2B%2541";
    for s in shown {
        for form in [SECRET, encoded, &SECRET[..10]] {
            assert!(
                !s.contains(form),
                "the planted secret shows ({form:?}) in: {s}"
            );
        }
    }
}

/// The key of a line `key = value` (bare or quoted, dotted: the last part), and the value.
fn key_line(line: &str) -> Option<(String, &str)> {
    let (key, value) = line.split_once('=')?;
    let last = key.trim().rsplit('.').next()?.trim();
    let last = last.trim_matches(|c| c == '"' || c == '\'');
    if last.is_empty()
        || !last
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    Some((last.to_owned(), value))
}

fn only_where_secret(input: &str) -> bool {
    let mut secret_vars: Vec<&str> = Vec::new();
    let mut other_vars: Vec<&str> = Vec::new();
    for line in input.lines().filter(|l| !l.starts_with("#env ")) {
        let secret_line = key_line(line).is_some_and(|(k, _)| is_secret_key(&k));
        if line.contains(MARK) && !secret_line {
            return false;
        }
        for var in line.split("${").skip(1).filter_map(|r| r.split('}').next()) {
            if secret_line {
                secret_vars.push(var);
            } else {
                other_vars.push(var);
            }
        }
    }
    input
        .lines()
        .filter_map(|l| l.strip_prefix("#env "))
        .filter_map(|l| l.split_once('='))
        .filter(|(_, v)| v.contains(MARK))
        .all(|(name, _)| {
            let overlay = name.strip_prefix("DESKPULSE__").is_some_and(|path| {
                path.rsplit("__")
                    .next()
                    .is_some_and(|k| is_secret_key(&k.to_ascii_lowercase()))
            });
            overlay || (secret_vars.contains(&name) && !other_vars.contains(&name))
        })
}

#[cfg(test)]
mod tests {
    use super::only_where_secret;

    #[test]
    fn a_mark_counts_as_planted_only_under_a_credential() {
        assert!(only_where_secret("[smtp]\npassword = \"@S@\"\n"));
        assert!(only_where_secret("sources.0.api_token = '@S@'\n"));
        assert!(!only_where_secret("[[teams]]\nname = \"@S@\"\n"));
        assert!(!only_where_secret("# password = \"@S@\"\n"));
        assert!(only_where_secret(
            "#env DP=@S@\n[smtp]\npassword = \"${DP}\"\n"
        ));
        assert!(!only_where_secret(
            "#env DP=@S@\n[smtp]\npassword = \"${DP}\"\nhost = \"${DP}\"\n"
        ));
        assert!(only_where_secret("#env DESKPULSE__SMTP__PASSWORD=@S@\n"));
        assert!(!only_where_secret("#env DESKPULSE__SMTP__HOST=@S@\n"));
    }
}
