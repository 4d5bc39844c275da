//! `[[sources]]`: the helpdesks to sync. Every entry has a `name`, a `kind` (a connector of
//! [`crate::connectors`]), `sync_every` and `max_pages`; the other keys belong to the
//! connector, which reads them into its own settings type when it is built.

use super::KeyError;
use super::parse_duration;
use super::secrets::{self, Secrets};
use deskpulse_model::SourceName;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// The recent history a first sync reads first: 14 weeks, so that the last complete week
/// and the 12 before it (a weekly report with its history) lie inside it whatever the day
/// and time zone (they start at most 14 weeks before now).
pub const DEFAULT_FIRST_WINDOW: Duration = Duration::from_secs(14 * 7 * 86_400);

/// A `[[sources]]` entry: the keys every source has, and the rest for its connector.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    pub name: SourceName,
    pub kind: String,
    pub sync_every: Duration,
    /// The most pages one stream may read in one sync: a vendor that pages for ever (a
    /// cursor going round, an `end_time` creeping a second a page) fails the stream instead
    /// of keeping the source from ever syncing again.
    pub max_pages: u64,
    /// The cap on one response body, in MiB (`max_body_mb`, default 64).
    pub max_body_mb: u64,
    /// How much recent history a first sync reads before the rest (`first_window`, default
    /// [`DEFAULT_FIRST_WINDOW`]; `"off"`: the whole history in one pass). Only streams whose
    /// API can begin at an instant use it (Zendesk's ticket events); see
    /// [`deskpulse_connector::Leg`].
    pub first_window: Option<Duration>,
    /// The kind-specific keys, handed to the connector's own settings type.
    pub settings: KindSettings,
    /// Where this source sits in the file, for error messages (`sources[0]`).
    pub key: String,
}

impl SourceSettings {
    /// `first_window` as the runner's [`deskpulse_connector::legs`] takes it.
    pub fn window(&self) -> Option<chrono::Duration> {
        self.first_window
            .and_then(|w| chrono::Duration::from_std(w).ok())
    }

    /// Whether `key` of this source holds a credential: a key its connector reads as a
    /// `Secret` (Trustpilot's `client_id` is its API key), or one named like a secret
    /// ([`secrets::is_secret_key`]) for a kind this build does not know.
    pub fn is_secret(&self, key: &str) -> bool {
        secrets::is_secret_key(key) || self.kind_secret_keys().contains(&key)
    }

    /// The keys this source's connector reads as a `Secret` (each found by building its
    /// settings type once: asked once per source, not once per key).
    fn kind_secret_keys(&self) -> Vec<&'static str> {
        crate::connectors::find(&self.kind)
            .map(|k| k.factory.secret_keys())
            .unwrap_or_default()
    }

    /// The values of this source's secret keys ([`SourceSettings::is_secret`]).
    pub fn secrets(&self) -> Secrets {
        let mut s = Secrets::default();
        let kind_secrets = self.kind_secret_keys();
        if let Some(map) = self.settings.0.as_object() {
            for (k, v) in map {
                if (secrets::is_secret_key(k) || kind_secrets.contains(&k.as_str()))
                    && let Some(text) = scalar_text(v)
                {
                    s.add(&text);
                }
            }
        }
        s
    }
}

/// The kind-specific keys of a source. They hold credentials, so `Debug` shows key names only.
#[derive(Clone)]
pub struct KindSettings(pub Value);

impl std::fmt::Debug for KindSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&String> = self
            .0
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        write!(f, "KindSettings {{ keys: {keys:?} }}")
    }
}

/// A scalar as the text a secret key reads it as.
pub(super) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `[[sources]]` tables, in file order, with their common keys checked; names are unique.
pub(super) fn validate(tables: Vec<Map<String, Value>>) -> Result<Vec<SourceSettings>, KeyError> {
    let mut sources = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, table) in tables.into_iter().enumerate() {
        let source = validate_one(format!("sources[{i}]"), table)?;
        if !seen.insert(source.name.clone()) {
            return Err(KeyError::new(
                format!("{}.name", source.key),
                format!(
                    "{} is used by two sources: names must be unique",
                    source.name
                ),
            ));
        }
        sources.push(source);
    }
    Ok(sources)
}

/// Builds every source's connector once, so a bad kind-specific key fails at start, named.
pub(super) fn build_connectors(sources: &[SourceSettings]) -> Result<(), KeyError> {
    for s in sources {
        crate::connectors::build(s).map_err(KeyError::from)?;
    }
    Ok(())
}

/// One `[[sources]]` table (at `key`): its common keys taken out, the rest left to its kind.
fn validate_one(key: String, mut table: Map<String, Value>) -> Result<SourceSettings, KeyError> {
    let name = name(&key, table.remove("name"))?;
    let kind = kind(&key, table.remove("kind"))?;
    let sync_every = match table.remove("sync_every") {
        None => Duration::from_secs(15 * 60),
        Some(v) => parse_duration(v.as_str().unwrap_or_default())
            .map_err(|d| KeyError::new(format!("{key}.sync_every"), d))?,
    };
    let max_pages = match table.remove("max_pages") {
        None => deskpulse_connector::bounds::DEFAULT_MAX_PAGES,
        Some(v) => whole_number(&key, "max_pages", "pages", 1..=u64::MAX, &v)?,
    };
    let first_window = match table.remove("first_window") {
        None => Some(DEFAULT_FIRST_WINDOW),
        Some(v) if v.as_str().is_some_and(|s| s.trim() == "off") => None,
        Some(v) => Some(parse_duration(v.as_str().unwrap_or_default()).map_err(|d| {
            KeyError::new(format!("{key}.first_window"), format!("{d}, or \"off\""))
        })?),
    };
    let max_body_mb = match table.remove("max_body_mb") {
        None => DEFAULT_MAX_BODY_MB,
        Some(v) => whole_number(&key, "max_body_mb", "MiB", MAX_BODY_MB_RANGE, &v)?,
    };
    Ok(SourceSettings {
        name,
        kind,
        sync_every,
        max_pages,
        max_body_mb,
        first_window,
        settings: KindSettings(Value::Object(table)),
        key,
    })
}

fn name(key: &str, v: Option<Value>) -> Result<SourceName, KeyError> {
    let err = |detail: String| KeyError::new(format!("{key}.name"), detail);
    let v = v.ok_or_else(|| err("missing: every source needs a name".into()))?;
    let s = v.as_str().ok_or_else(|| err("must be a string".into()))?;
    SourceName::parse(s).map_err(|e| err(e.to_string()))
}

fn kind(key: &str, v: Option<Value>) -> Result<String, KeyError> {
    let known = || crate::connectors::kind_names().join(", ");
    let v = v.ok_or_else(|| {
        KeyError::new(
            format!("{key}.kind"),
            format!("missing: one of {}", known()),
        )
    })?;
    let kind = v.as_str().unwrap_or_default().to_owned();
    if crate::connectors::find(&kind).is_none() {
        return Err(KeyError::new(
            format!("{key}.kind"),
            format!("unknown connector kind {kind:?} (known: {})", known()),
        ));
    }
    Ok(kind)
}

/// The default of `max_body_mb`: the SDK's own cap, in MiB.
pub const DEFAULT_MAX_BODY_MB: u64 = deskpulse_connector::http::DEFAULT_MAX_BODY_BYTES >> 20;
/// 1 MiB to 4 GiB: a page is never smaller than a megabyte's worth of records in practice, and
/// a cap above 4 GiB is no cap on this machine class.
const MAX_BODY_MB_RANGE: std::ops::RangeInclusive<u64> = 1..=4096;

/// A whole number in `range`, written as a number or (from the environment) as text.
fn whole_number(
    key: &str,
    field: &str,
    unit: &str,
    range: std::ops::RangeInclusive<u64>,
    v: &Value,
) -> Result<u64, KeyError> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            let bounds = match *range.end() {
                u64::MAX => format!("of at least {}", range.start()),
                end => format!("from {} to {end}", range.start()),
            };
            KeyError::new(
                format!("{key}.{field}"),
                format!("{v} is not a whole number of {unit} {bounds}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::secrets;
    use crate::config::testing::{ZD, ZD_NUMERIC, parse};
    use crate::config::{KindSettings, Settings};
    use std::path::Path;

    #[test]
    fn secrets_come_from_the_environment() {
        let s = parse(ZD, &[("ZD_TOKEN", "tok")]).unwrap();
        assert_eq!(s.sources[0].settings.0["api_token"], "tok");
        assert!(
            !format!("{s:?}").contains("tok\""),
            "Debug must not show the token"
        );
        assert_eq!(s.teams[0].timezone, chrono_tz::Europe::Berlin);
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = parse(&ZD.replace("subdomain", "subdomian"), &[("ZD_TOKEN", "t")]).unwrap_err();
        assert!(e.contains("sources[0]") && e.contains("subdomian"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let e = parse(
            &ZD.replace("kind = \"zendesk\"", "kind = \"zendeks\""),
            &[("ZD_TOKEN", "t")],
        )
        .unwrap_err();
        assert!(
            e.contains("`sources[0].kind`") && e.contains("zendesk"),
            "{e}"
        );
        let e = parse(
            &format!("{ZD}sync_every = \"soon\"\n"),
            &[("ZD_TOKEN", "t")],
        )
        .unwrap_err();
        assert!(e.contains("`sources[0].sync_every`"), "{e}");
    }

    #[test]
    fn names_are_unique_and_max_pages_is_a_whole_number() {
        let second = "[[sources]]\nname = \"zd\"\nkind = \"zendesk\"\nsubdomain = \"b\"\nemail = \"b@example.com\"\napi_token = \"t2\"\n";
        let e = parse(&format!("{ZD}{second}"), &[("ZD_TOKEN", "t")]).unwrap_err();
        assert!(
            e.contains("`sources[1].name`") && e.contains("names must be unique"),
            "{e}"
        );
        let s = parse(&format!("{ZD}max_pages = 7\n"), &[("ZD_TOKEN", "t")]).unwrap();
        assert_eq!(s.sources[0].max_pages, 7);
        for bad in ["0", "\"many\"", "1.5"] {
            let e = parse(&format!("{ZD}max_pages = {bad}\n"), &[("ZD_TOKEN", "t")]).unwrap_err();
            assert!(e.contains("`sources[0].max_pages`"), "{bad}: {e}");
        }
    }

    #[test]
    fn max_body_mb_defaults_to_the_sdk_cap_and_is_bounded() {
        let s = parse(ZD, &[("ZD_TOKEN", "t")]).unwrap();
        assert_eq!(s.sources[0].max_body_mb, 64);
        let s = parse(&format!("{ZD}max_body_mb = 2\n"), &[("ZD_TOKEN", "t")]).unwrap();
        assert_eq!(s.sources[0].max_body_mb, 2);
        for bad in ["0", "4097", "\"big\"", "1.5"] {
            let e = parse(&format!("{ZD}max_body_mb = {bad}\n"), &[("ZD_TOKEN", "t")]).unwrap_err();
            assert!(
                e.contains("`sources[0].max_body_mb`") && e.contains("from 1 to 4096"),
                "{bad}: {e}"
            );
        }
    }

    /// A numeric token is a valid token, from the file or from the environment, and it stays
    /// exactly as written (no float rounding, no lost leading zeros).
    #[test]
    fn a_numeric_or_boolean_secret_is_read_as_its_text() {
        let s = parse(ZD_NUMERIC, &[]).unwrap();
        assert_eq!(s.sources[0].settings.0["api_token"], 1234567890987i64);
        assert!(crate::connectors::build(&s.sources[0]).is_ok());

        let big = ZD_NUMERIC.replace("1234567890987", "98765431234567890123456");
        let s = parse(&big, &[]).unwrap();
        assert_eq!(
            s.sources[0].secrets().scrub("98765431234567890123456"),
            secrets::REDACTED
        );

        // An environment override reaches a [[sources]] entry by its index.
        let s = parse(
            &ZD_NUMERIC.replace("api_token = 1234567890987", ""),
            &[("DESKPULSE__SOURCES__0__API_TOKEN", "00777")],
        )
        .unwrap();
        assert_eq!(s.sources[0].settings.0["api_token"], "00777");
    }

    #[test]
    fn kind_settings_debug_shows_key_names_only() {
        let k = KindSettings(serde_json::json!({ "api_token": "tok-debug-1" }));
        assert_eq!(format!("{k:?}"), "KindSettings { keys: [\"api_token\"] }");
    }

    /// A source's secrets are exactly the keys its connector reads as a `Secret` (those
    /// whose text its settings' `Debug` hides); the name rule `is_secret_key` claims none
    /// that a connector reads as plain text.
    #[test]
    fn secret_keys_match_the_connectors_settings_types() {
        for k in crate::connectors::KINDS {
            let secret = k.factory.secret_keys();
            let source = super::SourceSettings {
                name: deskpulse_model::SourceName::parse("s").unwrap(),
                kind: k.kind.to_owned(),
                sync_every: std::time::Duration::from_secs(900),
                max_pages: 1,
                first_window: None,
                max_body_mb: 1,
                settings: KindSettings(serde_json::json!({})),
                key: "sources[0]".to_owned(),
            };
            for key in (k.keys)() {
                assert_eq!(
                    source.is_secret(key),
                    secret.contains(key),
                    "{}.{key}: is_secret disagrees with the settings type",
                    k.kind
                );
            }
        }
    }

    /// The commented `[[sources]]` blocks of `config/default.toml`, uncommented.
    fn documented_source_blocks() -> Vec<String> {
        let text = include_str!("../../../../config/default.toml");
        let mut blocks: Vec<String> = Vec::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if line.trim() == "# [[sources]]" {
                if let Some(b) = current.take() {
                    blocks.push(b);
                }
                current = Some(String::from("[[sources]]\n"));
            } else if let Some(b) = current.as_mut() {
                match line.strip_prefix("# ") {
                    // `# # key = …` lines are optional keys: they stay comments.
                    Some(rest) if !rest.starts_with('#') => {
                        b.push_str(rest);
                        b.push('\n');
                    }
                    Some(_) => {}
                    None => blocks.push(current.take().unwrap_or_default()),
                }
            }
        }
        blocks.extend(current);
        blocks
    }

    /// The `[[sources]]` examples of the connector crates' module docs (```toml blocks of
    /// `crates/connectors/*/src/lib.rs`, where `cargo xtask new-connector` writes one), their
    /// optional `# key = …` lines left out.
    fn crate_doc_source_blocks() -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../connectors");
        let mut libs: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path().join("src/lib.rs")).collect())
            .unwrap_or_default();
        libs.sort();
        let mut out = Vec::new();
        for lib in libs {
            let Ok(text) = std::fs::read_to_string(&lib) else {
                continue;
            };
            let mut block: Option<String> = None;
            for doc in text.lines().filter_map(|l| l.strip_prefix("//!")) {
                let doc = doc.strip_prefix(' ').unwrap_or(doc);
                match block.as_mut() {
                    None if doc.starts_with("```toml") => block = Some(String::new()),
                    None => {}
                    Some(b) if doc.starts_with("```") => {
                        if b.contains("[[sources]]") {
                            out.push(std::mem::take(b));
                        }
                        block = None;
                    }
                    Some(_) if doc.trim_start().starts_with('#') => {}
                    Some(b) => {
                        b.push_str(doc);
                        b.push('\n');
                    }
                }
            }
        }
        out
    }

    /// Every commented `[[sources]]` block of `config/default.toml`, uncommented, and every
    /// example in a connector crate's docs parses — so the documentation of each connector's
    /// keys cannot drift from what the code accepts — and every kind has one.
    #[test]
    fn every_commented_source_example_parses() {
        let mut blocks = documented_source_blocks();
        blocks.extend(crate_doc_source_blocks());
        assert!(
            blocks.len() >= 5,
            "expected an example per connector kind, found {}",
            blocks.len()
        );
        // Every ${VAR} the examples use, set to something plausible.
        let mut env: Vec<(String, String)> = blocks
            .iter()
            .flat_map(|b| b.split("${").skip(1))
            .filter_map(|rest| rest.split_once('}'))
            .map(|(name, _)| (name.to_owned(), "example-secret".to_owned()))
            .collect();
        env.sort();
        env.dedup();
        // Key files are read when a source is built: the examples' paths point at the
        // connector crates' test keys instead.
        let connectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../connectors");
        let key_files = [
            (
                "private_key_path",
                connectors.join("app_store/tests/fixtures/keys/asc_test_key.p8"),
            ),
            (
                "service_account_path",
                connectors.join("google_play/tests/fixtures/keys/google_service_account_test.json"),
            ),
        ];
        let blocks: Vec<String> = blocks
            .iter()
            .map(|b| {
                b.lines()
                    .map(|l| {
                        match key_files
                            .iter()
                            .find(|(k, _)| l.starts_with(&format!("{k} =")))
                        {
                            Some((k, file)) => format!("{k} = {:?}\n", file.display().to_string()),
                            None => format!("{l}\n"),
                        }
                    })
                    .collect()
            })
            .collect();
        let mut kinds = Vec::new();
        for block in &blocks {
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("name = "))
                .map(|n| n.trim_matches('"').to_owned())
                .unwrap_or_else(|| panic!("example without a name:\n{block}"));
            let doc = format!("[[teams]]\nname = \"t\"\nsources = [\"{name}\"]\n\n{block}");
            let s = Settings::parse(Path::new("default.toml"), &doc, &env)
                .unwrap_or_else(|e| panic!("the documented example does not parse: {e}\n{block}"));
            kinds.push(s.sources[0].kind.clone());
        }
        for k in crate::connectors::kind_names() {
            assert!(
                kinds.iter().any(|x| x == k),
                "neither config/default.toml nor the crate's docs document a `{k}` source"
            );
        }
    }
}
