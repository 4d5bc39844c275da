//! Unit tests of the settings helpers.

use super::*;
use serde::Deserialize;
use serde_json::json;

#[test]
fn blank_is_absent() {
    assert_eq!(present(&Some("  acme ".into())), Some("acme"));
    assert_eq!(present(&Some("   ".into())), None);
    assert_eq!(present(&None), None);
    assert!(present_secret(&Some(Secret::new(" "))).is_none());
    assert!(present_secret(&Some(Secret::new("t"))).is_some());
}

#[test]
fn base_url_accepts_http_and_https_and_drops_a_trailing_slash() {
    let u = base_url(
        &Some("http://127.0.0.1:8080/zendesk/".into()),
        None,
        "https://acme.zendesk.com",
    )
    .unwrap();
    assert_eq!(u.as_str(), "http://127.0.0.1:8080/zendesk");
    let u = base_url(
        &None,
        Some("https://api.helpscout.net/"),
        "https://api.helpscout.net",
    )
    .unwrap();
    assert_eq!(u.as_str(), "https://api.helpscout.net/");
    let u = base_url(&Some("  ".into()), Some("https://api.intercom.io"), "x").unwrap();
    assert_eq!(u.host_str(), Some("api.intercom.io"));
}

#[test]
fn base_url_errors_name_the_key_and_show_the_form() {
    let msg = |raw: &str| {
        let e = base_url(&Some(raw.into()), None, "https://acme.zendesk.com").unwrap_err();
        assert_eq!(e.setting_key(), Some("base_url"), "{e}");
        e.to_string()
    };
    assert!(msg("acme.zendesk.com").contains("is not a URL"));
    assert!(msg("acme.zendesk.com").contains("`https://acme.zendesk.com`"));
    assert!(msg("ftp://acme.zendesk.com").contains("must start with `http://` or `https://`"));
    assert!(msg("https://u:p@acme.zendesk.com").contains("user name or password"));
    assert!(msg("https://acme.zendesk.com/?x=1").contains("query string"));
    let e = base_url(&None, None, "https://api.example.com").unwrap_err();
    assert!(e.to_string().contains("`base_url` is not set"), "{e}");
}

#[test]
fn account_urls_are_checked_labels() {
    assert_eq!(
        account_url("subdomain", "Acme", "zendesk.com", false)
            .unwrap()
            .as_str(),
        "https://acme.zendesk.com/"
    );
    assert_eq!(
        account_url("domain", "acme.freshdesk.com", "freshdesk.com", true)
            .unwrap()
            .as_str(),
        "https://acme.freshdesk.com/"
    );
    let e = account_url("subdomain", "acme.zendesk.com", "zendesk.com", false).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("invalid settings: `subdomain` must be only the account name"),
        "{e}"
    );
    assert!(account_url("domain", "a..b", "freshdesk.com", true).is_err());
}

#[test]
fn page_size_and_bounds_name_the_key_and_range() {
    assert_eq!(page_size(None, 100, "page_size").unwrap(), 100);
    assert_eq!(page_size(Some(30), 100, "page_size").unwrap(), 30);
    let e = page_size(Some(0), 100, "page_size").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid settings: `page_size` must be between 1 and 100, got 0"
    );
    assert!(bounded("parts_concurrency", 17, 1, 16).is_err());
}

#[test]
fn start_dates_read_a_date_or_rfc3339() {
    let d = start_date(Some("2024-03-01"), "start_date")
        .unwrap()
        .unwrap();
    assert_eq!(d.to_rfc3339(), "2024-03-01T00:00:00+00:00");
    let t = start_date(Some("2024-03-01T09:00:00+01:00"), "start_date")
        .unwrap()
        .unwrap();
    assert_eq!(t.timestamp(), 1709280000);
    assert_eq!(start_date(Some(" "), "start_date").unwrap(), None);
    let e = start_date(Some("01/03/2024"), "start_date").unwrap_err();
    assert!(e.to_string().contains("`start_date` is not a date"), "{e}");

    #[derive(Deserialize)]
    struct S {
        start_date: Option<StartDate>,
    }
    let s: S = from_value(&json!({"start_date": "1960-01-01"})).unwrap();
    assert_eq!(s.start_date.unwrap().unix(), 0);
    let e = from_value::<S>(&json!({"start_date": "soon"}))
        .err()
        .unwrap();
    assert_eq!(e.key, "start_date");
}

#[test]
fn durations_read_humantime() {
    assert_eq!(
        duration("roster_every", "24h").unwrap(),
        chrono::Duration::hours(24)
    );
    assert!(duration("roster_every", "0s").unwrap().is_zero());
    let e = duration("roster_every", "daily").unwrap_err();
    assert!(
        e.to_string()
            .contains("`roster_every` = \"daily\" is not a duration"),
        "{e}"
    );
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Acme {
    #[serde(default)]
    api_token: Option<Secret>,
    #[serde(rename = "region")]
    host_region: Option<String>,
    #[serde(default)]
    page_size: Option<u32>,
    #[serde(default)]
    bot_user_ids: Vec<i64>,
    #[serde(default)]
    verbose: bool,
}

#[test]
fn keys_are_read_from_the_serde_derive() {
    assert_eq!(
        keys_of::<Acme>(),
        &[
            "api_token",
            "region",
            "page_size",
            "bot_user_ids",
            "verbose"
        ]
    );
    assert!(keys_of::<u32>().is_empty());
}

#[test]
fn from_value_reads_scalars_as_the_field_asks_and_names_the_key_path() {
    let a: Acme = from_value(&json!({
        "api_token": 98765431234u64, "region": "eu", "page_size": "50",
        "bot_user_ids": ["1", 2], "verbose": "true"
    }))
    .unwrap();
    assert_eq!(a.api_token.unwrap().expose(), "98765431234");
    assert_eq!(a.page_size, Some(50));
    assert_eq!(a.bot_user_ids, vec![1, 2]);
    assert!(a.verbose);
    let e = from_value::<Acme>(&json!({"bot_user_ids": [1, "x"]}))
        .err()
        .unwrap();
    assert_eq!(e.key, "bot_user_ids[1]");
    let e = from_value::<Acme>(&json!({"pagesize": 5})).err().unwrap();
    assert!(e.detail.contains("unknown field `pagesize`"), "{e}");
}

#[test]
fn a_connector_error_names_its_key_for_the_registry() {
    let e = ConnectorError::settings("page_size", "must be between 1 and 100, got 0");
    let s = SettingsError::from_connector(&e);
    assert_eq!(s.key, "page_size");
    let e = ConnectorError::Settings("set `email` and `api_token`, or `oauth_token`".into());
    assert_eq!(SettingsError::from_connector(&e).key, "");
}

// ---- the lenient reader, as the CLI reads its whole configuration with it ----

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct LenientS {
    token: String,
    secret: Option<String>,
    port: u16,
    ratio: Option<f64>,
    on: bool,
    ids: Vec<i64>,
    mode: Option<LenientMode>,
}
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum LenientMode {
    Tls,
    None,
}

fn de(v: serde_json::Value) -> Result<LenientS, String> {
    super::from_value::<LenientS>(&v).map_err(|e| e.detail)
}

#[test]
fn lenient_scalars_become_what_the_field_asks_for() {
    let s = de(json!({
        "token": 1234567890987u64, "secret": true, "port": "2525", "ratio": "0.80",
        "on": "true", "ids": ["1", -2], "mode": "tls"
    }))
    .unwrap();
    assert_eq!(
        s,
        LenientS {
            token: "1234567890987".into(),
            secret: Some("true".into()),
            port: 2525,
            ratio: Some(0.8),
            on: true,
            ids: vec![1, -2],
            mode: Some(LenientMode::Tls),
        }
    );
    let s = de(json!({"token": -7, "port": 1, "on": false, "ids": [], "mode": "none"})).unwrap();
    assert_eq!(
        (s.token.as_str(), s.secret, s.mode),
        ("-7", None, Some(LenientMode::None))
    );
}

#[test]
fn lenient_wrong_values_are_still_refused() {
    let e = de(json!({"token": "t", "port": "soon", "on": true, "ids": []})).unwrap_err();
    assert!(e.contains("soon") && e.contains("u16"), "{e}");
    let e = de(json!({"token": "t", "port": 70000, "on": true, "ids": []})).unwrap_err();
    assert!(e.contains("70000"), "{e}");
    let e = de(json!({"token": ["a"], "port": 1, "on": true, "ids": []})).unwrap_err();
    assert!(e.contains("sequence"), "{e}");
    let e = de(json!({"token": "t", "port": 1, "on": true, "ids": [], "x": 1})).unwrap_err();
    assert!(e.contains("unknown field `x`"), "{e}");
}

/// Every combination of the two kinds of credentials: one kind whole is auth, anything else
/// names the key to fix, in the words the connectors' own tests pin.
#[test]
fn key_or_token_takes_exactly_one_kind_and_names_the_key() {
    let some = |s: &str| Some(s.to_owned());
    let secret = |s: &str| Some(Secret::new(s));
    let run = |user: Option<String>, key: Option<Secret>, token: Option<Secret>| {
        KeyOrToken {
            user: ("email", &user, "set `email` (whose key it is)"),
            key: ("api_key", &key, "set `api_key`, or `oauth_token`"),
            token: ("oauth_token", &token),
        }
        .auth(|u| format!("{u}/token"))
    };
    let err = |r: Result<Auth, ConnectorError>| r.unwrap_err().to_string();
    match run(some("a@b.c"), secret("k"), None).unwrap() {
        Auth::Basic { username, password } => {
            assert_eq!((username.as_str(), password.expose()), ("a@b.c/token", "k"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(run(None, None, secret("t")).unwrap(), Auth::Bearer(t) if t.expose() == "t"));
    assert!(matches!(
        run(some(" "), secret(""), secret("t")),
        Ok(Auth::Bearer(_))
    ));
    for (user, key, token, message) in [
        (
            some("a"),
            secret("k"),
            secret("t"),
            "`oauth_token` and `api_key` are both set: set either `email` and `api_key`, or `oauth_token`, not both kinds of credentials",
        ),
        (
            None,
            secret("k"),
            secret("t"),
            "`oauth_token` and `api_key` are both set: set either `email` and `api_key`, or `oauth_token`, not both kinds of credentials",
        ),
        (
            some("a"),
            None,
            secret("t"),
            "`email` is only used with `api_key`: remove it to use `oauth_token`",
        ),
        (
            None,
            secret("k"),
            None,
            "`email` is not set: set `email` (whose key it is)",
        ),
        (
            some("a"),
            None,
            None,
            "`api_key` is not set: set `api_key`, or `oauth_token`",
        ),
        (
            None,
            None,
            None,
            "`api_key` is not set: set `email` and `api_key`, or `oauth_token`",
        ),
    ] {
        assert!(err(run(user, key, token)).ends_with(message), "{message}");
    }
}
