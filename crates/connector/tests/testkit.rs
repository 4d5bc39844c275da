//! The conformance kit against a toy connector: a correct one passes, and each kind of misbehaviour is
//! reported under its check.

use deskpulse_connector::http::{Auth, HttpClient, HttpSettings};
use deskpulse_connector::testkit::{Conformance, Fixtures, Report, Target};
use deskpulse_connector::{Batch, BatchStream, Checkpoint, Connector, Record, StreamSpec};
use deskpulse_model::Agent;
use serde_json::json;
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq)]
enum Flaw {
    None,
    /// Ends the stream `Ok` on any error (a silently shortened sync).
    SwallowsErrors,
    /// Logs its credential.
    LogsSecret,
    /// Checkpoints where it started the page, so a resume reads the page again.
    StaleCheckpoint,
}

struct Toy {
    http: HttpClient,
    secret: String,
    flaw: Flaw,
}

const STREAMS: &[StreamSpec] = &[StreamSpec {
    name: "items",
    description: "toy items",
}];

#[derive(serde::Deserialize)]
struct ItemsPage {
    items: Vec<Item>,
    after: String,
    more: bool,
}

#[derive(serde::Deserialize)]
struct Item {
    id: u64,
    name: String,
}

impl Connector for Toy {
    fn kind(&self) -> &'static str {
        "toy"
    }
    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }
    fn read<'a>(&'a self, _stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        if self.flaw == Flaw::LogsSecret {
            tracing::debug!(token = %self.secret, "starting");
        }
        let start = from.and_then(|c| c.value()["cursor"].as_str().map(str::to_owned));
        let s = futures::stream::try_unfold(Some(start), move |state| async move {
            let Some(cursor) = state else { return Ok(None) };
            let query = match &cursor {
                Some(c) => vec![("cursor", c.clone())],
                None => vec![("since", "0".to_owned())],
            };
            let page: ItemsPage = match self.http.get_json("default", "/items", &query).await {
                Ok(p) => p,
                Err(_) if self.flaw == Flaw::SwallowsErrors => return Ok(None),
                Err(e) => return Err(e),
            };
            let records = page
                .items
                .into_iter()
                .map(|i| {
                    Record::Agent(Agent {
                        external_id: i.id.to_string(),
                        name: i.name,
                        is_bot: false,
                    })
                })
                .collect();
            let at = if self.flaw == Flaw::StaleCheckpoint {
                cursor
            } else {
                Some(page.after.clone())
            };
            let checkpoint = Checkpoint::new(json!({ "cursor": at }));
            let next = page.more.then_some(Some(page.after));
            Ok(Some((
                Batch {
                    records,
                    checkpoint,
                },
                next,
            )))
        });
        Box::pin(s)
    }
}

fn fixtures() -> Fixtures {
    fixtures_with(true)
}

fn fixtures_with(c1: bool) -> Fixtures {
    let f = Fixtures::new().get(
            "/items",
            &[("since", "0")],
            json!({"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], "after": "c1", "more": true}),
    );
    let f = if c1 {
        f.get(
            "/items",
            &[("cursor", "c1")],
            json!({"items": [{"id": 3, "name": "c"}], "after": "c2", "more": true}),
        )
    } else {
        f
    };
    f.get(
        "/items",
        &[("cursor", "c2")],
        json!({"items": [{"id": 4, "name": "d"}], "after": "c3", "more": false}),
    )
    // What the next incremental sync sees: nothing new.
    .get(
        "/items",
        &[("cursor", "c3")],
        json!({"items": [], "after": "c3", "more": false}),
    )
}

fn kit(flaw: Flaw) -> Conformance {
    kit_on(flaw, fixtures())
}

fn kit_on(flaw: Flaw, fixtures: Fixtures) -> Conformance {
    Conformance::new(fixtures, move |t: &Target| {
        let settings = HttpSettings::new(
            t.base_url.parse().unwrap(),
            Auth::Basic {
                username: "me@example.com".into(),
                password: deskpulse_connector::Secret::new(t.secret.clone()),
            },
        );
        Box::new(Toy {
            http: HttpClient::new(settings)
                .unwrap()
                .with_retry_policy(t.retry.clone()),
            secret: t.secret.clone(),
            flaw,
        })
    })
}

fn checks(report: &Report) -> BTreeSet<&'static str> {
    report.failures.iter().map(|f| f.check).collect()
}

#[tokio::test]
async fn a_correct_connector_passes() {
    let report = kit(Flaw::None).run().await;
    report.assert_ok();
    assert!(report.scenarios > 10);
}

#[tokio::test]
async fn swallowed_errors_are_reported() {
    let report = kit(Flaw::SwallowsErrors).run().await;
    let c = checks(&report);
    assert!(c.contains("5xx") && c.contains("broken page"), "{report}");
}

#[tokio::test]
async fn a_logged_secret_is_reported() {
    let report = kit(Flaw::LogsSecret).secret("toy-Secret-4f9a").run().await;
    assert!(
        report
            .failures
            .iter()
            .any(|f| f.check == "secrets" && !f.message.contains("toy-Secret-4f9a")),
        "{report}"
    );
}

#[tokio::test]
async fn a_stale_checkpoint_is_reported() {
    let report = kit(Flaw::StaleCheckpoint).run().await;
    assert!(checks(&report).contains("resume"), "{report}");
}

#[tokio::test]
async fn a_missing_page_is_named() {
    let report = kit_on(Flaw::None, fixtures_with(false)).run().await;
    let text = report.to_string();
    assert!(text.contains("GET /items?cursor=c1"), "{text}");
}

#[tokio::test]
async fn a_page_nothing_requests_is_reported() {
    let f = fixtures().get(
        "/items",
        &[("cursr", "c9")],
        json!({"items": [], "after": "c9", "more": false}),
    );
    let report = kit_on(Flaw::None, f).run().await;
    assert!(
        report
            .failures
            .iter()
            .any(|x| x.check == "fixtures" && x.message.contains("cursr=c9")),
        "{report}"
    );
}
