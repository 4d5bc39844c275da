//! Rate budgets and server hints, with fixed times and tokio's paused clock (no sleeps).

use super::*;
use reqwest::header::HeaderValue;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut m = HeaderMap::new();
    for (k, v) in pairs {
        m.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    m
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-03-01T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn gorgias_leaky_bucket_lets_40_through_then_one_every_half_second() {
    // developers.gorgias.com/reference/limitations: API keys, 40 requests per 20 s window,
    // leaky bucket (2 calls a second, a burst of 40).
    let b = RateBudget::leaky_bucket(40, Duration::from_secs(20)).unwrap();
    assert_eq!(b.interval(), Duration::from_millis(500));
    let budgets = RateBudgets::new().with("default", Some(b));
    let limiter = budgets.group("default").unwrap().limiter().unwrap();
    for i in 0..40 {
        assert!(limiter.check().is_ok(), "request {i} of the burst");
    }
    assert!(limiter.check().is_err(), "the 41st waits");
    assert!(RateBudget::leaky_bucket(0, Duration::from_secs(20)).is_none());
}

#[test]
fn per_minute_budgets_are_even_and_zero_is_unlimited() {
    let b = RateBudget::per_minute(600).unwrap();
    assert_eq!(b.interval(), Duration::from_millis(100));
    assert_eq!(b.burst.get(), 1);
    assert!(RateBudget::per_minute(0).is_none());
    let budgets = RateBudgets::new().with("incremental", RateBudget::per_minute(0));
    assert!(budgets.group("incremental").unwrap().limiter().is_none());
}

#[test]
fn clones_and_every_client_of_a_source_share_one_budget() {
    let source = RateBudgets::new().with("incremental", RateBudget::per_minute(1));
    let for_tickets = source.clone();
    let for_users = source.clone();
    assert!(
        for_tickets
            .group("incremental")
            .unwrap()
            .limiter()
            .unwrap()
            .check()
            .is_ok()
    );
    // The users stream's clone sees the request the tickets stream made.
    assert!(
        for_users
            .group("incremental")
            .unwrap()
            .limiter()
            .unwrap()
            .check()
            .is_err()
    );
    // A group never declared falls back to "default" when there is one.
    let with_default = source.with("default", RateBudget::per_minute(10));
    assert_eq!(with_default.budget("anything"), RateBudget::per_minute(10));
    assert_eq!(source.budget("anything"), None);
    // Adding a group keeps the existing ones shared.
    assert!(
        with_default
            .group("incremental")
            .unwrap()
            .limiter()
            .unwrap()
            .check()
            .is_err()
    );
}

#[test]
fn x_rate_limit_headers_pause_until_the_reset() {
    // docs.x.com rate limits: x-rate-limit-limit / -remaining / -reset (epoch seconds).
    let reset = (now().timestamp() + 42).to_string();
    let h = headers(&[
        ("x-rate-limit-limit", "450"),
        ("x-rate-limit-remaining", "0"),
        ("x-rate-limit-reset", &reset),
    ]);
    assert_eq!(pacing_hint(&h, now(), None), Some(Duration::from_secs(42)));
    let h = headers(&[
        ("x-rate-limit-remaining", "12"),
        ("x-rate-limit-reset", &reset),
    ]);
    assert_eq!(pacing_hint(&h, now(), None), None);
    let h = headers(&[
        ("X-RateLimit-Remaining", "0"),
        ("X-RateLimit-Reset", &reset),
    ]);
    assert_eq!(pacing_hint(&h, now(), None), Some(Duration::from_secs(42)));
    // A reset in the past asks for no wait.
    let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1")]);
    assert_eq!(pacing_hint(&h, now(), None), Some(Duration::ZERO));
}

#[test]
fn gorgias_call_limit_header_at_its_limit_waits_one_leak() {
    // developers.gorgias.com/reference/limitations: `X-Gorgias-Account-Api-Call-Limit: 10/40`
    // = 10 requests made of 40 in the current period.
    let bucket = RateBudget::leaky_bucket(40, Duration::from_secs(20));
    assert_eq!(
        pacing_hint(
            &headers(&[("x-gorgias-account-api-call-limit", "10/40")]),
            now(),
            bucket
        ),
        None
    );
    assert_eq!(
        pacing_hint(
            &headers(&[("x-gorgias-account-api-call-limit", "40/40")]),
            now(),
            bucket
        ),
        Some(Duration::from_millis(500))
    );
    assert_eq!(
        pacing_hint(
            &headers(&[("x-gorgias-account-api-call-limit", "80/80")]),
            now(),
            None
        ),
        Some(Duration::from_secs(1))
    );
    assert_eq!(
        pacing_hint(
            &headers(&[("x-gorgias-account-api-call-limit", "junk")]),
            now(),
            None
        ),
        None
    );
}

#[test]
fn a_429_waits_for_what_the_server_says_by_the_injected_clock() {
    let h = |pairs: &[(&'static str, &str)]| server_wait(&headers(pairs), now());
    // Gorgias' 429: `Retry-after: 5`.
    assert_eq!(h(&[("retry-after", "5")]), Some(Duration::from_secs(5)));
    assert_eq!(
        h(&[("retry-after", "Fri, 01 Mar 2024 08:01:00 GMT")]),
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        h(&[("x-ratelimit-retry-after", "3")]),
        Some(Duration::from_secs(3))
    );
    let reset = (now().timestamp() + 9).to_string();
    assert_eq!(
        h(&[("x-ratelimit-reset", &reset)]),
        Some(Duration::from_secs(9))
    );
    assert_eq!(
        h(&[("x-rate-limit-reset", &reset)]),
        Some(Duration::from_secs(9))
    );
    assert_eq!(h(&[]), None);
}

#[tokio::test(start_paused = true)]
async fn a_server_pause_holds_every_request_of_the_group_on_tokio_time() {
    let budgets = RateBudgets::new().with("default", None);
    let start = tokio::time::Instant::now();
    let reset = (now().timestamp() + 30).to_string();
    budgets.observe(
        "reviews",
        &headers(&[
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", &reset),
        ]),
        now(),
        Duration::from_secs(120),
    );
    budgets.until_ready("reviews").await;
    assert!(tokio::time::Instant::now() - start >= Duration::from_secs(30));
    // Capped by the policy's ceiling: a bogus reset cannot park the sync for hours.
    let start = tokio::time::Instant::now();
    let far = (now().timestamp() + 86_400).to_string();
    budgets.observe(
        "reviews",
        &headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &far)]),
        now(),
        Duration::from_secs(120),
    );
    budgets.until_ready("reviews").await;
    let waited = tokio::time::Instant::now() - start;
    assert!(
        waited >= Duration::from_secs(120) && waited < Duration::from_secs(121),
        "{waited:?}"
    );
}
