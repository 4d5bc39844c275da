//! Registration of a toy kind, as a connector crate and the CLI would do it.

use super::*;
use crate::{BatchStream, Checkpoint, Secret};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcmeSettings {
    #[serde(default)]
    api_token: Option<Secret>,
    #[serde(default)]
    page_size: Option<u32>,
    #[serde(default)]
    bot_user_ids: Vec<i64>,
}

struct AcmeConnector {
    http: HttpClient,
    page_size: u32,
}

impl AcmeConnector {
    fn new(page_size: u32) -> Self {
        let url = url::Url::parse("https://acme.example").unwrap();
        let settings = HttpSettings::for_kind::<Acme>(url, crate::auth::Auth::None);
        Self {
            http: HttpClient::new(settings).unwrap(),
            page_size,
        }
    }
}

impl HttpConnector for AcmeConnector {
    type Kind = Acme;
    fn http(&self) -> &HttpClient {
        &self.http
    }
    fn http_mut(&mut self) -> &mut HttpClient {
        &mut self.http
    }
    fn read_stream<'a>(&'a self, stream: &str, _: Option<Checkpoint>) -> Option<BatchStream<'a>> {
        (stream == "tickets").then(|| Box::pin(futures::stream::empty()) as BatchStream<'a>)
    }
}

struct Acme;

impl ConnectorFactory for Acme {
    const KIND: &'static str = "acme";
    const DESCRIPTION: &'static str = "Acme Helpdesk: tickets";
    const STREAMS: &'static [StreamSpec] = &[StreamSpec {
        name: "tickets",
        description: "tickets by update",
    }];
    const LIMITS: &'static [KpiLimit] = &[KpiLimit {
        kpi: "reopen_rate",
        reason: "Acme keeps no status history.",
    }];
    type Settings = AcmeSettings;
    fn build(s: AcmeSettings) -> Result<Box<dyn Connector>, ConnectorError> {
        if crate::settings::present_secret(&s.api_token).is_none() {
            return Err(ConnectorError::Settings(
                "set `api_token` (Acme → Settings → API)".into(),
            ));
        }
        let page_size = crate::settings::page_size(s.page_size, 100, "page_size")?;
        let _ = s.bot_user_ids;
        Ok(Box::new(AcmeConnector::new(page_size)))
    }
}

/// The CLI's list: one line per kind.
const KINDS: &[&dyn ConnectorKind] = &[&Acme];

#[test]
fn a_kind_is_listed_in_one_line_and_declares_everything_once() {
    let k = find(KINDS, "acme").unwrap();
    assert_eq!(k.kind(), "acme");
    assert_eq!(k.streams()[0].name, "tickets");
    assert_eq!(
        k.settings_keys(),
        &["api_token", "page_size", "bot_user_ids"]
    );
    assert_eq!(k.limits()[0].kpi, "reopen_rate");
    assert!(k.unreconcilable().is_empty());
    assert!(find(KINDS, "zendesk").is_none());
    assert!(check_kind(k).is_empty(), "{:?}", check_kind(k));
}

#[test]
fn building_from_the_clis_json_reads_scalars_leniently_and_errors_carry_the_key() {
    let k = find(KINDS, "acme").unwrap();
    // A numeric token (TOML `api_token = 1234567890987`) and a page size from an
    // environment override (text).
    let c = k
        .build(&json!({"api_token": 1234567890987u64, "page_size": "50"}))
        .unwrap();
    assert_eq!(c.kind(), "acme");
    let e = k
        .build(&json!({"api_token": "t", "page_size": 500}))
        .err()
        .unwrap();
    assert_eq!(e.key, "page_size");
    assert_eq!(e.detail, "`page_size` must be between 1 and 100, got 500");
    let e = k
        .build(&json!({"api_token": "t", "bot_user_ids": [1, "two"]}))
        .err()
        .unwrap();
    assert_eq!(e.key, "bot_user_ids[1]");
    let e = k.build(&json!({"page_size": 5})).err().unwrap();
    assert_eq!(
        e.key, "",
        "a message that names no single key leaves the key to the CLI"
    );
    assert!(e.detail.contains("set `api_token`"), "{e}");
    let e = k.build(&json!({"api_tokn": "t"})).err().unwrap();
    assert!(e.detail.contains("unknown field `api_tokn`"), "{e}");
    assert_eq!(AcmeConnector::new(1).page_size, 1);
}

#[tokio::test]
async fn an_http_connector_is_a_connector_of_its_kind_with_the_sdks_builders() {
    use futures::StreamExt;
    let retry = RetryPolicy {
        max_attempts: 2,
        ..RetryPolicy::default()
    };
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let c = AcmeConnector::new(1)
        .with_retry_policy(retry.clone())
        .with_clock(Clock::fixed(at));
    assert_eq!((c.kind(), c.streams()), (Acme::KIND, Acme::STREAMS));
    assert_eq!(c.http().retry_policy(), &retry);
    assert_eq!(c.clock().now(), at);
    assert_eq!(c.base_url().as_str(), "https://acme.example/");
    assert!(c.http().user_agent().starts_with("deskpulse-acme/"));
    assert!(c.read("tickets", None).next().await.is_none());
    let err = c.read("tikets", None).next().await.unwrap().err().unwrap();
    assert!(
        matches!(&err, ConnectorError::UnknownStream { stream, known } if stream == "tikets" && known == "tickets"),
        "{err:?}"
    );
}

#[derive(Debug, Deserialize)]
struct Loose {
    #[serde(default, rename = "Token")]
    #[allow(dead_code)]
    token: Option<String>,
}

struct Sloppy;
impl ConnectorFactory for Sloppy {
    const KIND: &'static str = "Sloppy-Kind";
    const DESCRIPTION: &'static str = " ";
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec {
            name: "items",
            description: "",
        },
        StreamSpec {
            name: "items",
            description: "again",
        },
    ];
    type Settings = Loose;
    fn build(_: Loose) -> Result<Box<dyn Connector>, ConnectorError> {
        Ok(Box::new(AcmeConnector::new(1)))
    }
}

#[test]
fn check_kind_names_every_problem_of_a_declaration() {
    let problems = check_kind(&Sloppy).join("\n");
    for part in [
        "kind \"Sloppy-Kind\"",
        "description is empty",
        "stream `items` has no description",
        "stream `items` is declared twice",
        "settings key \"Token\" is not snake_case",
        "deny_unknown_fields",
    ] {
        assert!(problems.contains(part), "{part} missing from:\n{problems}");
    }
}
