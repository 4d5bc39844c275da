//! Posting to a wiremock Slack incoming webhook.

use std::time::Duration;

use deskpulse_connector::Secret;
use deskpulse_connector::http::RetryPolicy;
use deskpulse_digest::delivery::{Delivery, DeliveryError, DeliveryKey, SlackWebhook, send_once};
use deskpulse_digest::render_slack;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixtures::sample;
use crate::log::MemoryLog;
use crate::{assert_valid_block_kit, build, slack_texts};

const HOOK: &str = "/services/T0001/B0001/s3cretHookToken";

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(2),
    }
}

fn webhook(server: &MockServer) -> SlackWebhook {
    SlackWebhook::with_retry_policy(&Secret::new(format!("{}{HOOK}", server.uri())), fast())
        .unwrap()
}

#[tokio::test]
async fn posts_valid_block_kit_with_the_right_numbers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let d = build(&sample(false));
    webhook(&server).post(&render_slack(&d)).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_valid_block_kit(&v);
    let header = v["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(
        header.contains("support") && header.contains("2026-W47"),
        "{header}"
    );
    // The KPI fields: value, change against last week, target status, sparkline.
    let fields: Vec<&str> = v["blocks"][2]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(fields.len(), 6);
    assert!(
        fields[0].starts_with("*Tickets created*\n142  ▼ −3 (−2.1%)"),
        "{}",
        fields[0]
    );
    assert!(
        fields[1].starts_with("*Tickets solved*\n131"),
        "{}",
        fields[1]
    );
    assert!(
        fields[3].starts_with(
            "*First response (median)*\n1h 30m  ▲ +3m (+3.4%)\n:x: target ≤ 1h missed"
        ),
        "{}",
        fields[3]
    );
    assert!(
        fields[5].starts_with("*CSAT*\n84%  ▼ −0.6 pp\n:x: target ≥ 90% missed"),
        "{}",
        fields[5]
    );
    for f in &fields {
        let spark = f.lines().last().unwrap();
        assert!(
            spark.starts_with('`') && spark.chars().count() == 14,
            "sparkline {spark:?}"
        );
        assert!(spark.chars().all(|c| c == '`' || ('▁'..='█').contains(&c)));
    }
    let all = slack_texts(&v).join("\n");
    assert!(all.contains("```"), "agent table in a code block");
    assert!(all.contains("Alice Martin") && all.contains("93% (n=10)"));
    assert!(
        all.contains(">Waited four days for a refund"),
        "quoted review"
    );
    assert!(all.contains("Cost per ticket: *14.20 EUR*"));
}

#[tokio::test]
async fn a_429_is_waited_out_and_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    webhook(&server)
        .post(&render_slack(&build(&sample(false))))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After not honoured"
    );
}

#[tokio::test]
async fn a_400_is_a_clear_error_without_the_secret_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("invalid_blocks"))
        .expect(1)
        .mount(&server)
        .await;
    let e = webhook(&server)
        .post(&render_slack(&build(&sample(false))))
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, DeliveryError::Slack(_)));
    assert!(
        msg.contains("HTTP 400") && msg.contains("invalid_blocks"),
        "{msg}"
    );
    assert!(msg.contains("Slack rejected the message"), "{msg}");
    assert!(
        !msg.contains("s3cretHookToken") && !msg.contains("/services"),
        "{msg}"
    );

    // A revoked webhook.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .mount(&server)
        .await;
    let msg = webhook(&server)
        .post(&render_slack(&build(&sample(false))))
        .await
        .unwrap_err()
        .to_string();
    assert!(msg.contains("create a new incoming webhook"), "{msg}");
}

#[test]
fn the_webhook_url_must_be_https_and_never_prints() {
    let e =
        SlackWebhook::new(&Secret::new("http://hooks.slack.com/services/T/B/secretX")).unwrap_err();
    assert!(e.to_string().contains("must be https"), "{e}");
    assert!(!e.to_string().contains("secretX"));
    let e = SlackWebhook::new(&Secret::new("not a url secretX")).unwrap_err();
    assert!(!e.to_string().contains("secretX"));
    let w =
        SlackWebhook::new(&Secret::new("https://hooks.slack.com/services/T/B/secretX")).unwrap();
    let printed = format!("{w:?}");
    assert!(
        printed.contains("hooks.slack.com") && !printed.contains("secretX"),
        "{printed}"
    );
}

#[tokio::test]
async fn the_same_period_is_posted_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(2)
        .mount(&server)
        .await;
    let hook = webhook(&server);
    let message = render_slack(&build(&sample(false)));
    let log = MemoryLog::default();
    let key = DeliveryKey::new("support", "2026-W47", "slack");
    let post = || hook.post(&message);
    assert_eq!(
        send_once(&log, &key, false, post).await.unwrap(),
        Delivery::Sent
    );
    assert!(matches!(
        send_once(&log, &key, false, post).await.unwrap(),
        Delivery::AlreadySent { .. }
    ));
    assert_eq!(
        send_once(&log, &key, true, post).await.unwrap(),
        Delivery::Sent
    );
    // expect(2) is verified when the server drops.
}
