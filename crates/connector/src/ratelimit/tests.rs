//! Rate budgets and server hints, with fixed times and tokio's paused clock (no sleeps).

use super::*;
use reqwest::header::HeaderValue;
use tokio::time::Instant;

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

/// The send instants of `n` requests through `group`, on tokio's (paused) clock.
async fn sends(budgets: &RateBudgets, group: &str, n: usize) -> Vec<Instant> {
    let mut at = Vec::new();
    for _ in 0..n {
        budgets.acquire(group).await;
        at.push(Instant::now());
    }
    at
}

/// Zendesk's list-endpoint headers (developer.zendesk.com, "Best practices for avoiding
/// rate limiting": `ratelimit-limit: 700`, `ratelimit-remaining: 699`, `ratelimit-reset:
/// 41`, seconds until the window resets).
fn ietf(limit: u32, remaining: u32, reset: u64) -> HeaderMap {
    headers(&[
        ("ratelimit-limit", &limit.to_string()),
        ("ratelimit-remaining", &remaining.to_string()),
        ("ratelimit-reset", &reset.to_string()),
    ])
}

const MINUTE: Duration = Duration::from_secs(60);
const CAP: Duration = Duration::from_secs(120);

/// One request of `group` sent now, answered with `answer`.
async fn answered(budgets: &RateBudgets, group: &str, answer: &HeaderMap) {
    let p = budgets.acquire(group).await;
    budgets.observe_answer(group, p, answer, now(), CAP);
}

#[tokio::test(start_paused = true)]
async fn a_window_sends_its_whole_budget_at_once_then_waits_for_the_oldest_to_leave() {
    let b = RateBudget::window(10, MINUTE).unwrap();
    assert_eq!(b.pace, Pace::Window);
    assert_eq!(b.burst.get(), 10);
    assert!(b.quota().is_none(), "no GCRA: the log paces a window");
    assert!(RateBudget::window(0, MINUTE).is_none());
    assert!(RateBudget::window(10, Duration::ZERO).is_none());
    let budgets = RateBudgets::new().with("incremental", Some(b));
    let start = Instant::now();
    let at = sends(&budgets, "incremental", 10).await;
    assert!(at.iter().all(|t| *t == start), "the window's 10 go at once");
    // The 11th goes exactly when the first is a minute old, not 6 s after the 10th.
    let at = sends(&budgets, "incremental", 1).await;
    assert_eq!(at[0] - start, MINUTE);
    // A request sent later leaves the window later: the log, not a refill, decides. At
    // 90 s the first ten are gone, the 11th (sent at 60 s) is not.
    tokio::time::advance(Duration::from_secs(30)).await;
    let t = Instant::now();
    let at = sends(&budgets, "incremental", 10).await;
    assert_eq!(&at[..9], &[t; 9]);
    assert_eq!(
        at[9] - start,
        Duration::from_secs(120),
        "when the 11th is a minute old"
    );
}

#[tokio::test(start_paused = true)]
async fn a_window_never_lets_more_than_its_budget_into_any_span() {
    let per = Duration::from_secs(60);
    let budgets = RateBudgets::new().with("default", RateBudget::window(7, per));
    let start = Instant::now();
    let mut at = Vec::new();
    // Gaps of a pseudo-random walk: bursts, pauses longer and shorter than the window.
    let mut x: u64 = 42;
    for _ in 0..60 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let gap = Duration::from_millis((x >> 33) % 25_000);
        if (x >> 20).is_multiple_of(3) {
            tokio::time::advance(gap).await;
        }
        at.extend(sends(&budgets, "default", 1).await);
    }
    for (i, t) in at.iter().enumerate() {
        let in_span = at[i..].iter().take_while(|u| **u < *t + per).count();
        assert!(
            in_span <= 7,
            "{in_span} sends in the minute from {:?}",
            *t - start
        );
        // And never later than needed: a send that waited went exactly when the 7th
        // send before it left the window.
        if i >= 7 && at[i] > at[i - 1] && at[i] - at[i - 7] < per + Duration::from_millis(1) {
            assert_eq!(at[i] - at[i - 7], per, "send {i}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_window_pauses_exactly_until_the_servers_reset_when_none_remain() {
    let budgets = RateBudgets::new().with("default", RateBudget::window(700, MINUTE));
    let start = Instant::now();
    answered(&budgets, "default", &ietf(700, 0, 41)).await;
    let at = sends(&budgets, "default", 1).await;
    assert_eq!(at[0] - start, Duration::from_secs(41));
    // X's Unix reset (docs.x.com): the same, by the injected clock.
    let reset = (now().timestamp() + 30).to_string();
    let p = budgets.acquire("default").await;
    let x = headers(&[
        ("x-rate-limit-limit", "700"),
        ("x-rate-limit-remaining", "0"),
        ("x-rate-limit-reset", &reset),
    ]);
    budgets.observe_answer("default", p, &x, now(), CAP);
    let t = Instant::now();
    let at = sends(&budgets, "default", 1).await;
    assert_eq!(at[0] - t, Duration::from_secs(30));
    // Capped: a bogus reset cannot park the sync for a day.
    answered(&budgets, "default", &ietf(700, 0, 86_400)).await;
    let t = Instant::now();
    let at = sends(&budgets, "default", 1).await;
    assert_eq!(at[0] - t, CAP);
}

#[tokio::test(start_paused = true)]
async fn the_servers_remaining_requests_go_before_the_log_would_let_them() {
    // Our log's minute began 55 s ago on the client's clock and is full until 60 s; the
    // server's fixed minute ends in 3 s and says 4 remain of it: they go now, the next one
    // at the server's reset.
    let budgets = RateBudgets::new().with("default", RateBudget::window(10, MINUTE));
    sends(&budgets, "default", 9).await;
    tokio::time::advance(Duration::from_secs(55)).await;
    answered(&budgets, "default", &ietf(10, 4, 3)).await;
    let t = Instant::now();
    let at = sends(&budgets, "default", 4).await;
    assert_eq!(at, vec![t; 4], "the server's 4 remaining go at once");
    // At the reset the server's new window has room for at least one, though the log is
    // still full: that one goes, and its answer tells the rest.
    let probe = budgets.acquire("default").await;
    assert_eq!(Instant::now() - t, Duration::from_secs(3));
    budgets.observe_answer("default", probe, &ietf(10, 8, 60), now(), CAP);
    let at = sends(&budgets, "default", 9).await;
    assert_eq!(&at[..8], &[t + Duration::from_secs(3); 8]);
    assert_eq!(
        at[8] - t,
        Duration::from_secs(63),
        "then the server's next reset"
    );
}

#[tokio::test(start_paused = true)]
async fn requests_in_flight_count_against_what_the_server_said() {
    // Two requests out (a page read ahead); the first's answer says 2 remain, which the
    // server counted before the second arrived: 1 is left for us, not 2.
    let budgets = RateBudgets::new().with("default", RateBudget::window(5, MINUTE));
    let start = Instant::now();
    let first = budgets.acquire("default").await;
    let second = budgets.acquire("default").await;
    budgets.observe_answer("default", first, &ietf(5, 2, 30), now(), CAP);
    let at = sends(&budgets, "default", 2).await;
    assert_eq!(at[0], start);
    assert_eq!(at[1] - start, Duration::from_secs(30));
    // An answer older than the one the group holds changes nothing.
    budgets.observe_answer("default", second, &ietf(5, 0, 45), now(), CAP);
    answered(&budgets, "default", &ietf(5, 3, 60)).await;
    budgets.observe_answer("default", second, &ietf(5, 0, 45), now(), CAP);
    let t = Instant::now();
    let at = sends(&budgets, "default", 3).await;
    assert_eq!(
        at,
        vec![t; 3],
        "the late answer to `second` did not pause the group"
    );
}

#[tokio::test(start_paused = true)]
async fn a_limit_that_is_not_the_groups_own_never_speeds_it_up() {
    // Zendesk's incremental exports (10 a minute) carry the account's headers (700): 650
    // remaining of the account is no licence to send 650 exports.
    let budgets = RateBudgets::new().with("incremental", RateBudget::window(10, MINUTE));
    let start = Instant::now();
    sends(&budgets, "incremental", 9).await;
    answered(&budgets, "incremental", &ietf(700, 650, 20)).await;
    let at = sends(&budgets, "incremental", 1).await;
    assert_eq!(at[0] - start, MINUTE, "the log decides");
    // It still counts down and pauses at 0: the account has no room left for anyone.
    answered(&budgets, "incremental", &ietf(700, 1, 20)).await;
    let t = Instant::now();
    sends(&budgets, "incremental", 1).await;
    let at = sends(&budgets, "incremental", 1).await;
    assert_eq!(at[0] - t, Duration::from_secs(20));
}

#[tokio::test(start_paused = true)]
async fn a_waiting_request_goes_as_soon_as_an_answer_makes_room() {
    let budgets = RateBudgets::new().with("default", RateBudget::window(2, MINUTE));
    let first = budgets.acquire("default").await;
    budgets.acquire("default").await;
    let start = Instant::now();
    let waiting = tokio::spawn({
        let budgets = budgets.clone();
        async move {
            budgets.acquire("default").await;
            Instant::now()
        }
    });
    // The waiting request sleeps on the log (a minute)...
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished());
    // ...until the server says its window has room: 2 remain, less the one still in flight.
    budgets.observe_answer("default", first, &ietf(2, 2, 40), now(), CAP);
    assert_eq!(waiting.await.unwrap(), start);
}

#[tokio::test(start_paused = true)]
async fn without_fresh_server_state_the_log_paces_alone() {
    let budgets = RateBudgets::new().with("default", RateBudget::window(3, MINUTE));
    let start = Instant::now();
    let p = budgets.acquire("default").await;
    // A stated window whose limit is not ours expires at its reset; then the log decides.
    budgets.observe_answer("default", p, &ietf(700, 500, 5), now(), CAP);
    tokio::time::advance(Duration::from_secs(6)).await;
    let at = sends(&budgets, "default", 3).await;
    assert_eq!(at[0] - start, Duration::from_secs(6));
    assert_eq!(at[1] - start, Duration::from_secs(6));
    assert_eq!(at[2] - start, MINUTE);
    // Zendesk's `X-Rate-Limit` / `X-Rate-Limit-Remaining` have no reset: no window to keep.
    assert_eq!(
        server_window(
            &headers(&[("x-rate-limit", "700"), ("x-rate-limit-remaining", "0")]),
            now()
        ),
        None
    );
}

#[tokio::test(start_paused = true)]
async fn buckets_keep_their_even_pace_and_only_pause_on_a_servers_zero() {
    // A bucket group ignores a remaining count (a vendor's bucket refills continuously: its
    // governor limiter paces it) but honours the IETF pair's zero like the others.
    let budgets = RateBudgets::new().with("default", RateBudget::per_minute(60));
    let p = budgets.acquire("default").await;
    budgets.observe_answer("default", p, &ietf(60, 59, 50), now(), CAP);
    assert_eq!(budgets.group("default").unwrap().paused_until(), None);
    let limiter = budgets.group("default").unwrap().limiter().unwrap();
    assert!(limiter.check().is_err(), "still one a second");
    budgets.observe_answer("default", p, &ietf(60, 0, 7), now(), CAP);
    assert_eq!(
        budgets.group("default").unwrap().paused_until(),
        Some(Instant::now() + Duration::from_secs(7))
    );
}

#[test]
fn the_ietf_pair_reads_seconds_from_now_and_the_structured_limit() {
    let w = server_window(&ietf(700, 583, 8), now()).unwrap();
    assert_eq!(
        w,
        ServerWindowHint {
            remaining: 583,
            reset: Duration::from_secs(8),
            limit: Some(700),
        }
    );
    // draft-ietf-httpapi-ratelimit-headers-03: `RateLimit-Limit: 10, 10;w=60`.
    let h = headers(&[
        ("RateLimit-Limit", "10, 10;w=60"),
        ("RateLimit-Remaining", "0"),
        ("RateLimit-Reset", "41"),
    ]);
    assert_eq!(pacing_hint(&h, now(), None), Some(Duration::from_secs(41)));
    assert_eq!(server_window(&h, now()).unwrap().limit, Some(10));
    assert_eq!(pacing_hint(&ietf(700, 1, 41), now(), None), None);
    // Yelp's daily `RateLimit-Remaining` comes with `RateLimit-ResetTime` (a date), not
    // the draft's reset: no window.
    let yelp = headers(&[
        ("RateLimit-Remaining", "0"),
        ("RateLimit-ResetTime", "2024-03-02T00:00:00+00:00"),
    ]);
    assert_eq!(server_window(&yelp, now()), None);
}
