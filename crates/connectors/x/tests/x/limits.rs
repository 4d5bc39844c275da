//! X's rate limits and its monthly usage cap: a 429 is waited out until
//! `x-rate-limit-reset`; an exhausted usage cap (429 `UsageCapExceeded`) ends the sync with
//! an error that names `bearer_token` and says the cap resets monthly, and the next sync
//! resumes from the last committed page. No secret in any error or log line.

use crate::common::*;
use deskpulse_connector::testkit::captured_logs;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_429_with_x_rate_limit_reset_is_waited_out() {
    let server = MockServer::start().await;
    // X's own headers (no Retry-After): the reset is now by the connector's clock.
    Mock::given(method("GET"))
        .and(path(user_path()))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-rate-limit-limit", "300")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", now().timestamp().to_string())
                .set_body_json(json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_user(&server, fixture("constructed_user_public_metrics.json")).await;
    let batches = read_ok(&connector(&server), "user", None).await;
    assert_eq!(records(&batches).len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_exhausted_monthly_cap_is_a_clear_error_and_the_next_sync_resumes() {
    let logs = captured_logs();
    let server = MockServer::start().await;
    mount_mentions(
        &server,
        WINDOW,
        None,
        page(
            vec![post("m2", C2, "2026-11-12T10:00:00.000Z", None)],
            Some("tok-2"),
        ),
    )
    .await;
    mount_tweets(&server, WINDOW, None, page(vec![], None)).await;
    // Page 2 hits the cap: X's problem JSON, with its rate-limit headers (the window itself
    // has room: this is not a rate limit).
    Mock::given(method("GET"))
        .and(path(mentions_path()))
        .and(query_param("pagination_token", "tok-2"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-rate-limit-limit", "450")
                .insert_header("x-rate-limit-remaining", "449")
                .insert_header("x-rate-limit-reset", now().timestamp().to_string())
                .set_body_json(fixture("constructed_usage_capped.json")),
        )
        .mount(&server)
        .await;
    let c = connector(&server);
    let (batches, err) = read(&c, "mentions", None).await;
    assert_eq!(batches.len(), 1, "page 1 is committed");
    let err = err.expect("the cap ends the sync");
    let text = err.to_string();
    assert!(text.contains("HTTP 429"), "{text}");
    assert!(text.contains("UsageCapExceeded"), "{text}");
    assert!(text.contains("`bearer_token`"), "{text}");
    assert!(text.contains("resets monthly"), "{text}");
    assert!(text.contains("resumes"), "{text}");
    assert!(!text.contains(TOKEN));
    assert!(!logs.text().unwrap().contains(TOKEN));

    // Next month: the sync goes on from page 1's checkpoint, at page 2, same window.
    server.reset().await;
    mount_mentions(
        &server,
        WINDOW,
        Some("tok-2"),
        page(vec![post("m1", C1, "2026-11-11T10:00:00.000Z", None)], None),
    )
    .await;
    mount_tweets(
        &server,
        WINDOW,
        None,
        page(
            vec![brand_post("b1", "2026-11-11T10:10:00.000Z", Some("m1"))],
            None,
        ),
    )
    .await;
    let from = batches[0].checkpoint.clone();
    let resumed = read_ok(&c, "mentions", Some(from)).await;
    assert_eq!(
        replies(&records(&resumed)),
        vec![("m1".to_owned(), Some(at("2026-11-11T10:10:00Z")))]
    );
    assert_eq!(
        resumed.last().unwrap().checkpoint.value(),
        &json!({"newest": "2026-11-12T10:00:00Z",
            "seen": {"m1": "2026-11-11T10:00:00Z", "m2": "2026-11-12T10:00:00Z"}})
    );
}

#[tokio::test]
async fn no_secret_in_errors_or_logs_even_when_echoed() {
    let logs = captured_logs();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "title": "Invalid Request",
            "detail": format!("bad header Authorization: Bearer {TOKEN}"),
        })))
        .mount(&server)
        .await;
    for stream in ["user", "mentions"] {
        let (_, err) = read(&connector(&server), stream, None).await;
        let err = err.expect("a 400 is an error");
        assert!(!format!("{err} {err:?}").contains(TOKEN), "{err}");
    }
    assert!(!logs.text().unwrap().contains(TOKEN));
}

#[test]
fn xs_rate_limit_headers_are_read_whatever_their_case() {
    use deskpulse_connector::http::HeaderMap;
    use deskpulse_connector::ratelimit::{pacing_hint, server_wait};
    use std::collections::HashMap;
    use std::time::Duration;
    // X's names (docs.x.com: `x-rate-limit-limit`, `-remaining`, `-reset` in epoch
    // seconds), as a proxy might capitalise them: header names are case-insensitive.
    let reset = (now().timestamp() + 90).to_string();
    let raw: HashMap<String, String> = [
        ("X-Rate-Limit-Limit".to_owned(), "450".to_owned()),
        ("X-Rate-Limit-Remaining".to_owned(), "0".to_owned()),
        ("X-Rate-Limit-Reset".to_owned(), reset),
    ]
    .into();
    let headers = HeaderMap::try_from(&raw).unwrap();
    // A 429 waits until the reset; a 200 with nothing left pauses the group until then.
    assert_eq!(server_wait(&headers, now()), Some(Duration::from_secs(90)));
    assert_eq!(
        pacing_hint(&headers, now(), None),
        Some(Duration::from_secs(90))
    );
}
