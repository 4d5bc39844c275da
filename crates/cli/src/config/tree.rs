//! The configuration as one JSON tree: the TOML file, read with its literals kept, and the
//! `DESKPULSE__SECTION__KEY` environment overrides laid over it.
//!
//! The file is parsed here rather than through a configuration library because its errors
//! must never quote the file: a syntax error on `api_token = "…` would print the token. A
//! syntax error says the line, the column and what is wrong, nothing of the line itself.
//! Environment values stay text; the lenient reader of the connector SDK
//! (`deskpulse_connector::settings::from_value`) reads them as the type each key needs, so
//! `DESKPULSE__SMTP__PASSWORD=00123` keeps its zeros.

use serde_json::{Map, Value};
use toml::de::{DeInteger, DeTable, DeValue};

/// Where the file's TOML is broken, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub column: usize,
    /// The parser's description (what it expected), never the text it found.
    pub message: String,
}

/// The prefix of the environment variables that override keys of the file.
const ENV_KEY_PREFIX: &str = "DESKPULSE__";

/// Parses the TOML file into a tree. Integers become JSON numbers when they fit (their text
/// otherwise, so a long numeric token stays exact); floats stay numbers when that changes
/// nothing, their literal otherwise (`1.50` is not `1.5` as a token); dates become text.
pub(crate) fn parse_toml(text: &str) -> Result<Value, SyntaxError> {
    match DeTable::parse(text) {
        Ok(doc) => Ok(table(doc.get_ref())),
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start).min(text.len());
            let (line, column) = line_column(text, at);
            Err(SyntaxError {
                line,
                column,
                message: e.message().trim().to_owned(),
            })
        }
    }
}

fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn table(t: &DeTable<'_>) -> Value {
    Value::Object(
        t.iter()
            .map(|(k, v)| (k.get_ref().to_string(), value(v.get_ref())))
            .collect(),
    )
}

fn value(v: &DeValue<'_>) -> Value {
    match v {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => integer(i),
        DeValue::Float(f) => {
            let raw = f.as_str();
            match raw
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                Some(n) if n.to_string() == raw => Value::Number(n),
                _ => Value::String(raw.to_owned()),
            }
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(|x| value(x.get_ref())).collect()),
        DeValue::Table(t) => table(t),
    }
}

fn integer(i: &DeInteger<'_>) -> Value {
    let raw = i.as_str();
    if let Ok(n) = i64::from_str_radix(raw, i.radix()) {
        return Value::from(n);
    }
    if let Ok(n) = u64::from_str_radix(raw, i.radix()) {
        return Value::from(n);
    }
    // Too large for a number: a token made of digits. Its text, as written.
    Value::String(i.to_string())
}

/// Lays every `DESKPULSE__A__B__C=value` over the tree: `a.b.c = "value"` (keys lowercased;
/// a numeric segment indexes an array, so `DESKPULSE__SOURCES__0__API_TOKEN` reaches the first
/// `[[sources]]`). Errors name the variable, never its value.
pub(crate) fn overlay_env(
    tree: &mut Value,
    env: &[(String, String)],
) -> Result<(), (String, String)> {
    let mut vars: Vec<&(String, String)> = env
        .iter()
        .filter(|(k, _)| k.starts_with(ENV_KEY_PREFIX))
        .collect();
    // Deterministic whatever the environment's order: a table before the keys inside it.
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    for (var, val) in vars {
        let path: Vec<String> = var[ENV_KEY_PREFIX.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect();
        if path.iter().any(String::is_empty) {
            return Err((
                var.clone(),
                "has an empty key between `__`s: write DESKPULSE__SECTION__KEY, e.g. DESKPULSE__DATABASE__URL".into(),
            ));
        }
        set(tree, &path, Value::String(val.clone()), var)?;
    }
    Ok(())
}

fn set(node: &mut Value, path: &[String], new: Value, var: &str) -> Result<(), (String, String)> {
    let Some((head, rest)) = path.split_first() else {
        *node = new;
        return Ok(());
    };
    let child = match node {
        Value::Object(map) => map
            .entry(head.clone())
            .or_insert_with(|| match rest.is_empty() {
                true => Value::Null,
                false => Value::Object(Map::new()),
            }),
        Value::Array(items) => {
            let len = items.len();
            let i = head.parse::<usize>().ok().filter(|&i| i < len).ok_or_else(|| {
                (
                    var.to_owned(),
                    format!(
                        "`{head}` does not name an entry of a list of {len}: use its index (0 to {})",
                        len.saturating_sub(1)
                    ),
                )
            })?;
            &mut items[i]
        }
        _ => {
            return Err((
                var.to_owned(),
                format!("`{head}` is below a key that holds a single value, not a table"),
            ));
        }
    };
    set(child, rest, new, var)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn literals_are_kept() {
        let t = parse_toml(
            "a = 1234567890987\nb = 98765431234567890123456\nc = 1.50\nd = 0.8\ne = true\nf = 2026-01-02\ng = 0x1F\n[h]\ni = \"x\"\n",
        )
        .unwrap();
        assert_eq!(
            t,
            json!({"a": 1234567890987i64, "b": "98765431234567890123456", "c": "1.50", "d": 0.8,
                   "e": true, "f": "2026-01-02", "g": 31, "h": {"i": "x"}})
        );
    }

    /// Whatever is wrong on a line, the error says where and what, and nothing of the line.
    #[test]
    fn syntax_errors_never_quote_the_text() {
        let secret = "S3cr3tV4lue";
        for (doc, line) in [
            (format!("[smtp]\npassword = \"{secret}\n"), 2),
            (format!("[smtp]\npassword = {secret}\n"), 2),
            (format!("api_token = '{secret}\n"), 1),
            (format!("api_token = \"{secret}\\q\"\n"), 1),
            (format!("api_token = \"\"\"{secret}\n"), 2),
            (
                format!("x = 1\napi_token = \"\"\"a\n{secret}\\q\"\"\"\n"),
                3,
            ),
            (format!("api_token = \"{secret}\" trailing\n"), 1),
            (
                format!("api_token = \"{secret}\"\napi_token = \"{secret}\"\n"),
                2,
            ),
            (format!("api_token = {secret}99\n"), 1),
            (format!("api_token = 0{secret}\n"), 1),
            (format!("api_token = 1979-05-27T{secret}\n"), 1),
            (format!("api_token = [\"{secret}\",\n"), 1),
            (format!("t = {{ api_token = \"{secret}\" x }}\n"), 1),
            (format!("{secret} = 1\n{secret} = 2\n"), 2),
            (format!("[{secret}\n"), 1),
            (format!("api_token = \"{secret}\u{7}\"\n"), 1),
        ] {
            let e = parse_toml(&doc).expect_err(&doc);
            assert_eq!(e.line, line, "{doc:?}: {e:?}");
            assert!(!e.message.is_empty(), "{doc:?}");
            for fragment in [secret, "S3cr", "V4lue", "r3tV"] {
                assert!(!e.message.contains(fragment), "{doc:?}: {e:?}");
            }
        }
    }

    #[test]
    fn line_and_column_count_characters() {
        let e = parse_toml("a = 1\n\"ü\" = 1 x\n").unwrap_err();
        // `1 x` is read as an unquoted string at the 7th character (the 8th byte).
        assert_eq!((e.line, e.column), (2, 7), "{e:?}");
    }

    #[test]
    fn environment_overrides_are_text_at_their_path() {
        let mut t = json!({"smtp": {"host": "h"}, "sources": [{"name": "zd"}]});
        overlay_env(
            &mut t,
            &env(&[
                ("DESKPULSE__SMTP__PASSWORD", "00123"),
                ("DESKPULSE__DATABASE__URL", "sqlite://x.db"),
                ("DESKPULSE__SOURCES__0__API_TOKEN", "tok"),
                ("DESKPULSE_CONFIG", "ignored.toml"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(
            t,
            json!({"smtp": {"host": "h", "password": "00123"}, "database": {"url": "sqlite://x.db"},
                   "sources": [{"name": "zd", "api_token": "tok"}]})
        );
    }

    #[test]
    fn bad_overrides_name_the_variable_not_the_value() {
        let mut t = json!({"smtp": {"host": "h"}, "sources": []});
        for (var, needle) in [
            ("DESKPULSE__SOURCES__0__API_TOKEN", "list of 0"),
            ("DESKPULSE__SMTP__HOST__X", "single value"),
            ("DESKPULSE____X", "empty key"),
        ] {
            let (k, d) = overlay_env(&mut t, &env(&[(var, "v4lue-s3cret")])).unwrap_err();
            assert_eq!(k, var);
            assert!(d.contains(needle) && !d.contains("s3cret"), "{d}");
        }
    }
}
