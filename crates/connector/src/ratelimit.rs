//! Rate budgets: what a source may send, per endpoint group, shared by every stream and every
//! client of the source, and the server's own word on when to send next.
//!
//! A [`RateBudgets`] is built once per source (by the connector's constructor) and handed
//! to every [`HttpClient`](crate::http::HttpClient) it makes, so a token client, a client
//! rebuilt after a token refresh and every stream's requests draw on the same budget. A
//! [`RateBudget`] is a pace with a burst: `per_minute(n)` spaces requests evenly (a burst of
//! one: a vendor's bucket may hold less than a minute's worth), `leaky_bucket(40, 20 s)` lets
//! 40 go at once and then one every half second (Gorgias).
//!
//! Server hints, read from every response (not only 429s) by [`pacing_hint`], pause the
//! group until the server says there is room again:
//! - `X-RateLimit-Remaining: 0` (or X's `x-rate-limit-remaining: 0`) with `X-RateLimit-Reset`
//!   / `x-rate-limit-reset` (Unix seconds): until the reset;
//! - Gorgias' `X-Gorgias-Account-Api-Call-Limit: 40/40` (calls made / allowed in the
//!   window): one leak interval of the group's budget (the window is not in the header).
//!
//! A 429's wait is [`server_wait`]: `Retry-After` (seconds or an HTTP date), then
//! `X-RateLimit-Retry-After`, then `X-RateLimit-Reset`. Both take `now` as an argument, so
//! tests need no wall clock.

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A pace: at most `requests` per `per`, of which `burst` may go at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    pub requests: NonZeroU32,
    pub per: Duration,
    pub burst: NonZeroU32,
}

impl RateBudget {
    /// `requests` a minute, evenly spaced (a burst of one); `None` for 0 (no client-side
    /// limit).
    pub fn per_minute(requests: u32) -> Option<Self> {
        Some(Self {
            requests: NonZeroU32::new(requests)?,
            per: Duration::from_secs(60),
            burst: NonZeroU32::MIN,
        })
    }

    /// A leaky bucket of `requests` per `per`: a full bucket at once, then one request every
    /// `per / requests`. `None` for 0.
    pub fn leaky_bucket(requests: u32, per: Duration) -> Option<Self> {
        let n = NonZeroU32::new(requests)?;
        Some(Self {
            requests: n,
            per,
            burst: n,
        })
    }

    /// `requests` per `per` with a burst of `burst` (at least 1). `None` for 0 requests or a
    /// zero period.
    pub fn new(requests: u32, per: Duration, burst: u32) -> Option<Self> {
        if per.is_zero() {
            return None;
        }
        Some(Self {
            requests: NonZeroU32::new(requests)?,
            per,
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        })
    }

    /// The time one request's worth of budget takes to come back.
    pub fn interval(&self) -> Duration {
        (self.per / self.requests.get()).max(Duration::from_nanos(1))
    }

    pub(crate) fn quota(&self) -> Option<Quota> {
        Quota::with_period(self.interval()).map(|q| q.allow_burst(self.burst))
    }
}

/// One endpoint group: its limiter (if any) and a pause the server asked for.
pub(crate) struct Group {
    budget: Option<RateBudget>,
    limiter: Option<DefaultDirectRateLimiter>,
    paused_until: Mutex<Option<tokio::time::Instant>>,
}

impl Group {
    fn new(budget: Option<RateBudget>) -> Self {
        Self {
            limiter: budget.and_then(|b| b.quota()).map(RateLimiter::direct),
            budget,
            paused_until: Mutex::new(None),
        }
    }

    #[cfg(test)]
    pub(crate) fn limiter(&self) -> Option<&DefaultDirectRateLimiter> {
        self.limiter.as_ref()
    }
}

/// The budgets of one source, by endpoint group. Cheap to clone; clones share every group
/// (its limiter and its server pause). Requests in a group never declared use `"default"`
/// when there is one, else run unlimited.
#[derive(Clone, Default)]
pub struct RateBudgets {
    groups: Arc<HashMap<String, Arc<Group>>>,
}

impl fmt::Debug for RateBudgets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, g) in self.groups.iter() {
            m.entry(k, &g.budget);
        }
        m.finish()
    }
}

impl RateBudgets {
    pub fn new() -> Self {
        Self::default()
    }

    /// These budgets plus `group` (replaced if declared already; `None` = unlimited). The
    /// other groups stay shared with `self`; the new one is shared by whatever clones the
    /// result.
    pub fn with(&self, group: &str, budget: Option<RateBudget>) -> Self {
        let mut groups = (*self.groups).clone();
        groups.insert(group.to_owned(), Arc::new(Group::new(budget)));
        Self {
            groups: Arc::new(groups),
        }
    }

    /// The declared budget of `group` (after the `"default"` fallback).
    pub fn budget(&self, group: &str) -> Option<RateBudget> {
        self.group(group).and_then(|g| g.budget)
    }

    pub(crate) fn group(&self, group: &str) -> Option<&Group> {
        self.groups
            .get(group)
            .or_else(|| self.groups.get("default"))
            .map(|g| &**g)
    }

    /// Waits until `group` may send: first any pause the server asked for, then the budget.
    pub async fn until_ready(&self, group: &str) {
        let Some(g) = self.group(group) else { return };
        loop {
            let until = *g.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(t) if t > tokio::time::Instant::now() => tokio::time::sleep_until(t).await,
                _ => break,
            }
        }
        if let Some(l) = &g.limiter {
            l.until_ready().await;
        }
    }

    /// Pauses `group` for `wait` from now (a later pause already set stands).
    pub fn pause(&self, group: &str, wait: Duration) {
        let Some(g) = self.group(group) else { return };
        let until = tokio::time::Instant::now() + wait;
        let mut p = g.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_none_or(|cur| cur < until) {
            *p = Some(until);
        }
    }

    /// Reads the server's pacing headers of a response in `group` (see [`pacing_hint`]) and
    /// pauses the group if they ask for it, up to `cap`.
    pub fn observe(&self, group: &str, headers: &HeaderMap, now: DateTime<Utc>, cap: Duration) {
        if let Some(wait) = pacing_hint(headers, now, self.budget(group)) {
            tracing::debug!(
                group,
                wait_ms = wait.as_millis() as u64,
                "the server asks to slow down"
            );
            self.pause(group, wait.min(cap));
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// How long to wait before the next request of a group, from a successful response's
/// headers (see the [module docs](self)); `None` when the server leaves room. `budget` is
/// the group's, for hints that name no time (Gorgias').
pub fn pacing_hint(
    headers: &HeaderMap,
    now: DateTime<Utc>,
    budget: Option<RateBudget>,
) -> Option<Duration> {
    for (remaining, reset) in [
        ("x-ratelimit-remaining", "x-ratelimit-reset"),
        ("x-rate-limit-remaining", "x-rate-limit-reset"),
    ] {
        let left = header(headers, remaining).and_then(|v| v.parse::<i64>().ok());
        if left.is_some_and(|n| n <= 0)
            && let Some(at) = header(headers, reset).and_then(|v| v.parse::<i64>().ok())
        {
            return Some(Duration::from_secs((at - now.timestamp()).max(0) as u64));
        }
    }
    if let Some((used, limit)) = header(headers, "x-gorgias-account-api-call-limit")
        .and_then(|v| v.split_once('/'))
        .and_then(|(u, l)| Some((u.trim().parse::<u64>().ok()?, l.trim().parse::<u64>().ok()?)))
        && limit > 0
        && used >= limit
    {
        return Some(budget.map_or(Duration::from_secs(1), |b| b.interval()));
    }
    None
}

/// The wait a 429 asks for: `Retry-After` (seconds or HTTP-date), else
/// `X-RateLimit-Retry-After` (seconds, Help Scout), else `X-RateLimit-Reset` (unix time,
/// Intercom/Front), else X's `x-rate-limit-reset`.
pub fn server_wait(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(v) = header(headers, "retry-after") {
        if let Ok(secs) = v.parse::<f64>() {
            return Some(secs_to_duration(secs));
        }
        if let Ok(at) = DateTime::parse_from_rfc2822(v) {
            let ms = (at.with_timezone(&Utc) - now).num_milliseconds().max(0);
            return Some(Duration::from_millis(ms as u64));
        }
    }
    if let Some(secs) =
        header(headers, "x-ratelimit-retry-after").and_then(|v| v.parse::<f64>().ok())
    {
        return Some(secs_to_duration(secs));
    }
    for name in ["x-ratelimit-reset", "x-rate-limit-reset"] {
        if let Some(reset) = header(headers, name).and_then(|v| v.parse::<i64>().ok()) {
            return Some(Duration::from_secs((reset - now.timestamp()).max(0) as u64));
        }
    }
    None
}

fn secs_to_duration(secs: f64) -> Duration {
    if secs.is_finite() && secs > 0.0 {
        Duration::from_secs_f64(secs.min(1e9))
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests;
