//! Rate limits: Zendesk's fixed minutes and the review and social vendors' token buckets,
//! both scaled by the speed factor, and the rate-limit headers Zendesk sends.
//!
//! Zendesk (developer.zendesk.com, "Rate limits" and "Best practices for avoiding rate
//! limiting"; the Incremental Exports reference): the account's limit and the incremental
//! exports' 10 requests are per minute ("the number of requests remaining for the current
//! minute"; the exports' "rate limiting mechanism behaves identically"); every answer
//! carries `X-Rate-Limit` and `X-Rate-Limit-Remaining`, the account's; the list endpoints
//! also `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` (seconds until the
//! window resets: `41` in the docs, `8` in a recorded answer); a 429 carries `Retry-After` in
//! seconds. The exports document no header of their own. Where Zendesk's minutes start is
//! not documented: here they follow each other from the simulator's start.

use std::time::{Duration, Instant};

/// A token bucket: `cap` requests at once, refilled at `cap` per (scaled) window.
pub(super) struct Bucket {
    pub(super) cap: f64,
    per_sec: f64,
    pub(super) tokens: f64,
    last: Instant,
}

impl Bucket {
    pub(super) fn new(per_minute: u32, speed: f64) -> Bucket {
        Bucket::per_window(per_minute, 60.0, speed)
    }

    /// `n` requests at once, refilled at `n` per (scaled) `window_secs`.
    pub(super) fn per_window(n: u32, window_secs: f64, speed: f64) -> Bucket {
        let cap = f64::from(n.max(1));
        Bucket {
            cap,
            per_sec: cap / window_secs * speed.max(1e-6),
            tokens: cap,
            last: Instant::now(),
        }
    }

    pub(super) fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.per_sec).min(self.cap);
        self.last = now;
    }

    /// Slack for network jitter: 20 ms of refill, at least 5 % of a token.
    fn slack(&self) -> f64 {
        (0.02 * self.per_sec).max(0.05)
    }

    pub(super) fn can_take(&self) -> bool {
        self.tokens + self.slack() >= 1.0
    }

    pub(super) fn take(&mut self) {
        self.tokens = (self.tokens - 1.0).max(0.0);
    }

    /// Whole seconds until a token is back (at least 1).
    pub(super) fn retry_after(&self) -> u64 {
        let missing = (1.0 - self.tokens).max(0.0);
        ((missing / self.per_sec).ceil() as u64).max(1)
    }
}

/// Zendesk's fixed minute: `limit` requests in each window of one (scaled) minute, the
/// windows following each other from `origin`.
pub(super) struct Minute {
    limit: u32,
    len: Duration,
    origin: Instant,
    /// The window `used` counts: the `index`-th since `origin`.
    index: u128,
    used: u32,
}

impl Minute {
    pub(super) fn new(limit: u32, speed: f64, origin: Instant) -> Minute {
        Minute {
            limit: limit.max(1),
            len: Duration::from_secs_f64(60.0 / speed.max(1e-6)).max(Duration::from_micros(1)),
            origin,
            index: 0,
            used: 0,
        }
    }

    /// Moves to the window `now` falls in.
    pub(super) fn roll(&mut self, now: Instant) {
        let index = now.saturating_duration_since(self.origin).as_nanos() / self.len.as_nanos();
        if index != self.index {
            self.index = index;
            self.used = 0;
        }
    }

    pub(super) fn limit(&self) -> u32 {
        self.limit
    }

    pub(super) fn has_room(&self) -> bool {
        self.used < self.limit
    }

    pub(super) fn take(&mut self) {
        self.used = self.used.saturating_add(1);
    }

    pub(super) fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }

    /// Whole seconds until the current window ends, rounded up (`ratelimit-reset`).
    pub(super) fn reset_secs(&self, now: Instant) -> u64 {
        let end = self.origin
            + self
                .len
                .saturating_mul(u32::try_from(self.index + 1).unwrap_or(u32::MAX));
        end.saturating_duration_since(now).as_secs_f64().ceil() as u64
    }

    /// A 429's `Retry-After`: the seconds until the window ends, rounded up, at least 1.
    pub(super) fn retry_after(&self, now: Instant) -> u64 {
        self.reset_secs(now).max(1)
    }
}

/// The account's state in Zendesk's headers: `X-Rate-Limit` and `X-Rate-Limit-Remaining` on
/// every answer; on a list endpoint also the `ratelimit-*` triple.
pub(super) fn zendesk_headers(
    limit: u32,
    remaining: u32,
    reset_secs: u64,
    list: bool,
) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("x-rate-limit", limit.to_string()),
        ("x-rate-limit-remaining", remaining.to_string()),
    ];
    if list {
        h.extend([
            ("ratelimit-limit", limit.to_string()),
            ("ratelimit-remaining", remaining.to_string()),
            ("ratelimit-reset", reset_secs.to_string()),
        ]);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_holds_its_limit_and_empties_at_its_end_not_a_minute_after_a_request() {
        let origin = Instant::now();
        let at = |ms: u64| origin + Duration::from_millis(ms);
        // Speed 60: a vendor minute lasts a second.
        let mut m = Minute::new(10, 60.0, origin);
        m.roll(at(700));
        for _ in 0..10 {
            assert!(m.has_room());
            m.take();
        }
        assert!(!m.has_room(), "the 11th request of a minute is refused");
        assert_eq!(m.remaining(), 0);
        // 300 ms are left of the window: reset and Retry-After round up to whole seconds.
        assert_eq!(m.reset_secs(at(700)), 1);
        assert_eq!(m.retry_after(at(999)), 1);
        // The next window starts at 1 s, not at 1.7 s (a minute after the first request).
        m.roll(at(1_000));
        assert!(m.has_room());
        assert_eq!(m.remaining(), 10);
        // At speed 1, `ratelimit-reset` counts down the minute's seconds.
        let mut m = Minute::new(700, 1.0, origin);
        m.roll(at(19_200));
        m.take();
        assert_eq!(m.remaining(), 699);
        assert_eq!(m.reset_secs(at(19_200)), 41);
        assert_eq!(m.retry_after(at(59_999)), 1, "never 0");
        m.roll(at(125_000));
        assert_eq!(m.remaining(), 700);
        assert_eq!(m.reset_secs(at(125_000)), 55);
    }

    #[test]
    fn every_answer_has_the_account_headers_and_list_answers_the_ietf_triple() {
        let names =
            |h: Vec<(&'static str, String)>| h.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(
            names(zendesk_headers(700, 699, 41, false)),
            ["x-rate-limit", "x-rate-limit-remaining"]
        );
        assert_eq!(
            zendesk_headers(700, 583, 8, true),
            [
                ("x-rate-limit", "700".to_owned()),
                ("x-rate-limit-remaining", "583".to_owned()),
                ("ratelimit-limit", "700".to_owned()),
                ("ratelimit-remaining", "583".to_owned()),
                ("ratelimit-reset", "8".to_owned()),
            ]
        );
    }
}
