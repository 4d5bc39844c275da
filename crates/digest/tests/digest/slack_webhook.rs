//! Posting to a wiremock Slack incoming webhook, and what is retried: only what provably
//! did not post (a refused connection, a 429), never what may have (a 5xx, a timeout).
//!
//! No test waits on the clock: retries go through [`SlackWebhook::with_wait`], which the
//! tests replace with a function that records the wait and returns when the test says so.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use deskpulse_connector::Secret;
use deskpulse_connector::http::RetryPolicy;
use deskpulse_digest::delivery::{Delivery, DeliveryError, DeliveryKey, SlackWebhook, send_once};
use deskpulse_digest::render_slack;
use tokio::sync::{Semaphore, mpsc};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixtures::sample;
use crate::log::{MemoryLog, State};
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

/// Records every wait the webhook asks for and returns at once.
fn recorded_waits(hook: SlackWebhook) -> (SlackWebhook, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let w = Arc::clone(&waits);
    let hook = hook.with_wait(move |d| {
        w.lock().unwrap().push(d);
        async {}
    });
    (hook, waits)
}

/// The requests `server` has received, once it has at least `n` (polled, with a generous
/// deadline that only a broken test reaches).
async fn requests_at_least(server: &MockServer, n: usize) -> usize {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let got = server.received_requests().await.unwrap().len();
        if got >= n || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_retried() {
    let server = MockServer::start().await;
    // Slack's rate limit answer: 429 with `Retry-After` in seconds; the post was not made.
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
    let (hook, waits) = recorded_waits(webhook(&server));
    hook.post(&render_slack(&build(&sample(false))))
        .await
        .unwrap();
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_secs(1)],
        "Retry-After not honoured"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_500_is_not_retried_and_may_or_may_not_have_been_posted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(500).set_body_string("internal_error"))
        .expect(1)
        .mount(&server)
        .await;
    let (hook, waits) = recorded_waits(webhook(&server));
    let message = render_slack(&build(&sample(false)));
    let log = MemoryLog::default();
    let key = DeliveryKey::new("support", "2026-W47", "slack");
    let e = send_once(&log, &key, false, || hook.post(&message))
        .await
        .unwrap_err();
    assert!(matches!(e, DeliveryError::Uncertain { .. }), "{e:?}");
    assert!(e.may_have_been_delivered());
    let msg = e.to_string();
    assert!(
        msg.contains("HTTP 500")
            && msg.contains("may or may not have been delivered")
            && msg.contains("--force"),
        "{msg}"
    );
    assert!(
        !msg.contains("s3cretHookToken") && !msg.contains("/services"),
        "{msg}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(waits.lock().unwrap().is_empty(), "retried after a 500");
    // The claim stays "sending": the next run does not post it again.
    assert!(matches!(log.state(&key), Some(State::Sending { .. })));
    assert!(matches!(
        send_once(&log, &key, false, || hook.post(&message))
            .await
            .unwrap(),
        Delivery::InProgress { .. }
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_gets_exactly_one_request() {
    let server = MockServer::builder().start().await;
    // Slack took the post but its answer never comes within the client's timeout.
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("ok")
                .set_delay(Duration::from_secs(600)),
        )
        .mount(&server)
        .await;
    let hook = webhook(&server)
        .with_timeout(Duration::from_secs(2))
        .unwrap();
    let (hook, waits) = recorded_waits(hook);
    let e = hook
        .post(&render_slack(&build(&sample(false))))
        .await
        .unwrap_err();
    assert!(matches!(e, DeliveryError::Uncertain { .. }), "{e:?}");
    assert!(e.to_string().contains("no answer"), "{e}");
    assert!(waits.lock().unwrap().is_empty(), "retried after a timeout");
    // The post has returned, so no request is still to come: exactly the one.
    assert_eq!(requests_at_least(&server, 1).await, 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_because_nothing_was_sent() {
    // A port that refuses connections until the test lets the server listen on it: a
    // socket bound but not listening answers a connect with a reset (ECONNREFUSED).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let url = Secret::new(format!("http://127.0.0.1:{port}{HOOK}"));
    let (waited, mut waits) = mpsc::unbounded_channel();
    let go = Arc::new(Semaphore::new(0));
    let gate = Arc::clone(&go);
    let hook = SlackWebhook::with_retry_policy(&url, fast())
        .unwrap()
        .with_wait(move |d| {
            let (waited, gate) = (waited.clone(), Arc::clone(&gate));
            async move {
                waited.send(d).unwrap();
                gate.acquire().await.unwrap().forget();
            }
        });
    let message = render_slack(&build(&sample(false)));
    let post = tokio::spawn(async move { hook.post(&message).await });

    // The first attempt was refused: the webhook waits its backoff before the next one.
    assert_eq!(waits.recv().await, Some(fast().base_delay));
    let listener = socket.listen(16).unwrap().into_std().unwrap();
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    go.add_permits(1);
    post.await.unwrap().unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_webhook_that_stays_unreachable_fails_as_not_posted() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let url = Secret::new(format!("http://127.0.0.1:{port}{HOOK}"));
    let (hook, waits) = recorded_waits(SlackWebhook::with_retry_policy(&url, fast()).unwrap());
    let message = render_slack(&build(&sample(false)));
    let log = MemoryLog::default();
    let key = DeliveryKey::new("support", "2026-W47", "slack");
    let e = send_once(&log, &key, false, || hook.post(&message))
        .await
        .unwrap_err();
    assert!(!e.may_have_been_delivered(), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("cannot connect") && msg.contains("after 3 attempt(s)"),
        "{msg}"
    );
    assert!(!msg.contains("s3cretHookToken"), "{msg}");
    // Backoff between the three attempts: base, then doubled.
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_millis(5), Duration::from_millis(10)]
    );
    // Nothing was posted: the claim is released and the next run tries again.
    assert_eq!(log.state(&key), None);
    drop(socket);
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
