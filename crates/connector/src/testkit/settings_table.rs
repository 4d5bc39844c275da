//! Settings tests as a table ([`SettingsCases`]), and the settings a test writes once as JSON.

use crate::registry::{ConnectorFactory, ConnectorKind};
use serde_json::Value;

/// What a change to the valid settings must give.
enum Outcome {
    /// A settings error whose key is this one.
    Names(String),
    /// A settings error saying this key is not set.
    NotSet(String),
    /// A settings error that mentions this (a key the settings do not have).
    Mentions(String),
    /// A connector.
    Builds,
}

struct Case {
    /// What was changed, for the failure message.
    label: String,
    settings: Value,
    outcome: Outcome,
    /// What the error must also say (the fix it suggests).
    saying: Vec<String>,
}

/// Settings tests as a table: a valid settings object (the JSON the CLI hands over) and the
/// changes to it that must be refused — each with a message that names the key to fix —
/// or accepted.
///
/// Every case is built the way the CLI builds a source ([`ConnectorKind::build`]: the
/// lenient reading of the JSON, then the connector's constructor), and a refusal must name
/// the key first (the error's `key`, which the CLI prefixes with the source's path); a
/// required key left out or blank must be said to be "not set".
///
/// ```text
/// SettingsCases::new(&Acme, json!({"subdomain": "acme", "api_token": "t"}))
///     .required(&["subdomain", "api_token"])
///     .range("page_size", 1, 100)
///     .bad("subdomain", &[json!("acme.example.com"), json!("../admin")])
///     .good("requests_per_minute", json!(0))
///     .check();
/// ```
///
/// Besides the listed cases, [`check`](SettingsCases::check) tries what every connector
/// must refuse, for the keys the settings have: `base_url` and `token_url` that are no
/// http(s) URL, a `start_date` that is no date, and each key misspelled (its `_` dropped, or
/// an `s` added); and no error may show a credential of the valid settings (the values of
/// the kind's secret keys).
pub struct SettingsCases {
    kind: &'static dyn ConnectorKind,
    valid: Value,
    cases: Vec<Case>,
    /// Where the cases of the last call start, for [`saying`](Self::saying).
    last: usize,
    /// What no error may show (besides the valid settings' credentials).
    hidden: Vec<String>,
}

impl SettingsCases {
    /// The cases of `kind` (its factory, `&Acme`); `valid` must build a connector.
    pub fn new(kind: &'static dyn ConnectorKind, valid: Value) -> Self {
        assert!(
            valid.is_object(),
            "the valid settings must be a JSON object"
        );
        Self {
            kind,
            valid,
            cases: Vec::new(),
            last: 0,
            hidden: Vec::new(),
        }
    }

    fn push(mut self, label: String, settings: Value, outcome: Outcome) -> Self {
        self.cases.push(Case {
            label,
            settings,
            outcome,
            saying: Vec::new(),
        });
        self
    }

    fn with(&self, key: &str, value: Value) -> Value {
        let mut s = self.valid.clone();
        s[key] = value;
        s
    }

    /// The cases pushed by `add` are the last call's (for [`saying`](Self::saying)).
    fn call(mut self, add: impl FnOnce(Self) -> Self) -> Self {
        let from = self.cases.len();
        self = add(self);
        self.last = from;
        self
    }

    /// Without `key`, or with it empty or blank, the error says that `key` is not set.
    pub fn required(self, keys: &[&str]) -> Self {
        self.call(|mut this| {
            for key in keys {
                let mut without = this.valid.clone();
                if let Some(o) = without.as_object_mut() {
                    o.remove(*key);
                }
                let not_set = || Outcome::NotSet((*key).into());
                this = this.push(format!("without {key}"), without, not_set());
                for blank in ["", "  "] {
                    let s = this.with(key, Value::from(blank));
                    this = this.push(format!("{key} = {blank:?}"), s, not_set());
                }
            }
            this
        })
    }

    /// `key` accepts `min` and `max` and refuses `min - 1` (when `min > 0`) and `max + 1`,
    /// naming itself.
    pub fn range(self, key: &str, min: u64, max: u64) -> Self {
        self.call(|this| {
            let mut this = this.good(key, Value::from(min)).good(key, Value::from(max));
            if let Some(below) = min.checked_sub(1) {
                this = this.bad(key, &[Value::from(below)]);
            }
            this.bad(key, &[Value::from(max + 1)])
        })
    }

    /// `key` set to each of `values` gives an error naming `key`.
    pub fn bad(self, key: &str, values: &[Value]) -> Self {
        self.bad_naming(key, values, key)
    }

    /// `key` set to each of `values` gives an error naming `named` (another key the value
    /// conflicts with, or that needs it).
    pub fn bad_naming(self, key: &str, values: &[Value], named: &str) -> Self {
        self.call(|mut this| {
            for v in values {
                let s = this.with(key, v.clone());
                this = this.push(format!("{key} = {v}"), s, Outcome::Names(named.into()));
            }
            this
        })
    }

    /// These settings, whole, give an error naming `named` (`""`: a message that names no
    /// one key first, such as "set `a` and `b`, or `c`").
    pub fn bad_settings(self, settings: Value, named: &str) -> Self {
        self.call(|this| this.push(settings.to_string(), settings, Outcome::Names(named.into())))
    }

    /// `key` set to `value` builds.
    pub fn good(self, key: &str, value: Value) -> Self {
        self.call(|this| {
            let s = this.with(key, value.clone());
            this.push(format!("{key} = {value}"), s, Outcome::Builds)
        })
    }

    /// These settings, whole, build.
    pub fn good_settings(self, settings: Value) -> Self {
        self.call(|this| this.push(settings.to_string(), settings, Outcome::Builds))
    }

    /// Each of `keys`, which the settings do not have, is refused by name.
    pub fn unknown(self, keys: &[&str]) -> Self {
        self.call(|mut this| {
            for key in keys {
                let s = this.with(key, Value::from("x"));
                this = this.push(
                    format!("the unknown {key}"),
                    s,
                    Outcome::Mentions((*key).into()),
                );
            }
            this
        })
    }

    /// The errors of the last call's cases must also say each of `texts` (the fix they
    /// suggest: "`base_url`", "API key").
    pub fn saying(mut self, texts: &[&str]) -> Self {
        for case in &mut self.cases[self.last..] {
            case.saying.extend(texts.iter().map(|t| (*t).to_owned()));
        }
        self
    }

    /// No error may show any of `texts` (a line of a key file the settings name).
    pub fn never_showing(mut self, texts: &[&str]) -> Self {
        self.hidden.extend(texts.iter().map(|t| (*t).to_owned()));
        self
    }

    /// The cases every connector must pass, for the keys its settings have.
    fn common(mut self) -> Self {
        let keys = self.kind.settings_keys();
        for key in ["base_url", "token_url"] {
            if keys.contains(&key) {
                self = self.bad(key, &[Value::from("ftp://h"), Value::from("not a url")]);
            }
        }
        if keys.contains(&"start_date") {
            self = self.bad("start_date", &[Value::from("last tuesday")]);
        }
        for key in keys {
            let unknown = [key.replace('_', ""), format!("{key}s")];
            for typo in unknown.iter().filter(|t| !keys.contains(&t.as_str())) {
                let s = self.with(typo, Value::from("x"));
                self = self.push(
                    format!("the unknown {typo}"),
                    s,
                    Outcome::Mentions(typo.clone()),
                );
            }
        }
        self
    }

    /// Builds the valid settings and every case; panics listing every case that went
    /// otherwise.
    #[track_caller]
    pub fn check(self) {
        let kind = self.kind;
        if let Err(e) = kind.build(&self.valid) {
            panic!("the valid settings {} do not build: {e}", self.valid);
        }
        // The credentials of the valid settings and the hidden texts: no message may show
        // them.
        let secrets: Vec<String> = kind
            .secret_keys()
            .iter()
            .filter_map(|k| self.valid.get(*k).and_then(Value::as_str))
            .filter(|v| v.len() >= 4)
            .map(str::to_owned)
            .chain(self.hidden.iter().cloned())
            .collect();
        let mut wrong = Vec::new();
        for case in self.common().cases {
            let built = kind.build(&case.settings);
            if let Err(e) = &built {
                let said = e.to_string();
                if secrets.iter().any(|secret| said.contains(secret.as_str())) {
                    wrong.push(format!("{}: the error shows a secret", case.label));
                }
                for text in case.saying.iter().filter(|t| !said.contains(t.as_str())) {
                    wrong.push(format!(
                        "{}: the error does not say {text:?}: {said}",
                        case.label
                    ));
                }
            }
            match (&case.outcome, built) {
                (Outcome::Builds, Ok(_)) => {}
                (Outcome::Builds, Err(e)) => wrong.push(format!("{}: refused: {e}", case.label)),
                (_, Ok(_)) => wrong.push(format!("{}: accepted", case.label)),
                (Outcome::Names(key), Err(e)) if e.key == *key => {}
                (Outcome::NotSet(key), Err(e))
                    if e.key == *key && e.detail.contains("is not set") => {}
                (Outcome::Mentions(text), Err(e)) if e.to_string().contains(text.as_str()) => {}
                (_, Err(e)) => {
                    wrong.push(format!("{}: the error names another key: {e}", case.label))
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "settings cases of {}:\n{}",
            kind.kind(),
            wrong.join("\n")
        );
    }
}

/// The settings `F` reads `value` as, through the SDK's own reading of a `[[sources]]` entry
/// ([`from_value`](crate::settings::from_value): unknown keys refused): a test's settings
/// written once, as JSON. Panics if they do not read.
pub fn settings_of<F: ConnectorFactory>(value: Value) -> F::Settings {
    crate::settings::from_value(&value).unwrap_or_else(|e| panic!("{} settings: {e}", F::KIND))
}

/// [`settings_of`] for a `value` that sets every key `F` lists (`settings_keys`), no more
/// and no fewer.
pub fn every_key<F: ConnectorFactory>(value: Value) -> F::Settings {
    let mut given: Vec<&str> = (value.as_object().expect("a JSON object").keys())
        .map(String::as_str)
        .collect();
    let mut keys = F::settings_keys().to_vec();
    given.sort_unstable();
    keys.sort_unstable();
    assert_eq!(given, keys, "the keys of {} settings", F::KIND);
    settings_of::<F>(value)
}

/// What `values` print with `Debug`, after checking that it shows none of `secrets`.
pub fn debug_hiding(values: &[&dyn std::fmt::Debug], secrets: &[&str]) -> String {
    let shown: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    let shown = shown.join(" ");
    for secret in secrets {
        assert!(!shown.contains(secret), "`Debug` shows {secret:?}: {shown}");
    }
    shown
}
