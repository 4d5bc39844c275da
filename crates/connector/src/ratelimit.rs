//! Rate budgets: what a source may send, per endpoint group, shared by every stream and every
//! client of the source, and the server's own word on when to send next.
//!
//! A [`RateBudgets`] is built once per source (by the connector's constructor) and handed
//! to every [`HttpClient`](crate::http::HttpClient) it makes, so a token client, a client
//! rebuilt after a token refresh and every stream's requests draw on the same budget. A
//! [`RateBudget`] has one of two [`Pace`]s:
//! - a **bucket** (governor's GCRA): `per_minute(n)` spaces requests evenly (a burst of one:
//!   a vendor's bucket may hold less than a minute's worth), `leaky_bucket(40, 20 s)` lets 40
//!   go at once and then one every half second (Gorgias);
//! - a **window**: `window(n, per)` lets at most `n` requests go in any span of `per` (a log
//!   of send instants): the whole window at once, then each request exactly when the oldest
//!   of the last `n` leaves the span. Never more than `n` in any `per` is safe against a
//!   server that counts fixed windows (Zendesk's minutes, X's 15 minutes) and one that counts
//!   sliding windows alike.
//!
//! Server hints, read from every successful response by [`pacing_hint`] and
//! [`server_window`], pause the group until the server says there is room again:
//! - `RateLimit-Remaining: 0` with `RateLimit-Reset` (seconds from now; the IETF draft's
//!   names, which Zendesk's list endpoints send), `X-RateLimit-Remaining: 0` (or X's
//!   `x-rate-limit-remaining: 0`) with `X-RateLimit-Reset` / `x-rate-limit-reset` (Unix
//!   seconds): until the reset;
//! - Gorgias' `X-Gorgias-Account-Api-Call-Limit: 40/40` (calls made / allowed in the
//!   window): one leak interval of the group's budget (the window is not in the header).
//!
//! A window group goes further ("spend the window's budget as fast as the server allows"):
//! while the latest answer's window has not reset, its remaining count is the group's, counted
//! down locally for every request sent after that answer's request (so the requests in flight
//! — the runner reads a page ahead — never exceed it), and when the server's stated limit is
//! the group's own `n`, those requests go without waiting for the log. When the server's
//! window resets, one request goes at once (a new window has room) and its answer tells the
//! rest. A limit that is not the group's (an account-wide figure on an endpoint with a
//! smaller limit of its own) only ever slows the group down. Without a fresh answer, the log
//! paces alone.
//!
//! A 429's wait is [`server_wait`]: `Retry-After` (seconds or an HTTP date), then
//! `X-RateLimit-Retry-After`, then `X-RateLimit-Reset`; the client pauses the whole group
//! for it. Both take `now` as an argument, so tests need no wall clock.

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// How a [`RateBudget`] lets requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// governor's GCRA: `burst` at once, then one every `per / requests`.
    Bucket,
    /// At most `requests` in any span of `per`, the whole window at once.
    Window,
}

/// A pace: at most `requests` per `per`, of which `burst` may go at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    pub requests: NonZeroU32,
    pub per: Duration,
    pub burst: NonZeroU32,
    pub pace: Pace,
}

impl RateBudget {
    /// `requests` a minute, evenly spaced (a burst of one); `None` for 0 (no client-side
    /// limit).
    pub fn per_minute(requests: u32) -> Option<Self> {
        Some(Self {
            requests: NonZeroU32::new(requests)?,
            per: Duration::from_secs(60),
            burst: NonZeroU32::MIN,
            pace: Pace::Bucket,
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
            pace: Pace::Bucket,
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
            pace: Pace::Bucket,
        })
    }

    /// At most `requests` in any span of `per`: all of them at once, then each one when the
    /// oldest of the last `requests` sends is `per` old (see the [module docs](self)). `None`
    /// for 0 requests or a zero period.
    pub fn window(requests: u32, per: Duration) -> Option<Self> {
        if per.is_zero() {
            return None;
        }
        let n = NonZeroU32::new(requests)?;
        Some(Self {
            requests: n,
            per,
            burst: n,
            pace: Pace::Window,
        })
    }

    /// The time one request's worth of budget takes to come back (on average, for a window).
    pub fn interval(&self) -> Duration {
        (self.per / self.requests.get()).max(Duration::from_nanos(1))
    }

    /// The governor quota of a bucket; `None` for a window (its log paces it).
    pub(crate) fn quota(&self) -> Option<Quota> {
        match self.pace {
            Pace::Bucket => Quota::with_period(self.interval()).map(|q| q.allow_burst(self.burst)),
            Pace::Window => None,
        }
    }
}

/// What a group knows of the server's current window, from the latest answer that said.
#[derive(Debug, Clone, Copy)]
struct ServerWindow {
    /// Requests the server has room for before `reset_at`, less those sent since.
    remaining: u32,
    reset_at: Instant,
    /// The server's limit is the group's own: its remaining requests go without the log.
    credit: bool,
    /// `remaining` is the server's word (not our guess for a window that just began).
    stated: bool,
    /// Answers to permits before this one describe an older state of the server.
    basis: u64,
}

#[derive(Default)]
struct State {
    paused_until: Option<Instant>,
    /// A window budget's send instants within the last `per`, oldest first.
    sent: VecDeque<Instant>,
    server: Option<ServerWindow>,
    /// Permits handed out so far.
    issued: u64,
}

impl State {
    /// A window group's turn: `Ok(permit number)`, or `Err(instant)` to look again at.
    fn take_window(&mut self, b: &RateBudget, now: Instant) -> Result<u64, Instant> {
        if let Some(t) = self.paused_until
            && t > now
        {
            return Err(t);
        }
        if let Some(s) = self.server
            && now >= s.reset_at
        {
            self.server = s.credit.then(|| {
                // The server's window began again: it has room for at least one request,
                // whose answer tells the rest; and if none comes, one more each window.
                let behind = (now - s.reset_at).as_nanos() / b.per.as_nanos().max(1);
                let windows = u32::try_from(behind + 1).unwrap_or(u32::MAX);
                ServerWindow {
                    remaining: 1,
                    reset_at: s.reset_at + b.per.saturating_mul(windows),
                    credit: true,
                    stated: false,
                    basis: self.issued,
                }
            });
        }
        let credit = match self.server {
            Some(s) if s.remaining == 0 && s.stated => return Err(s.reset_at),
            Some(s) => s.credit && s.remaining > 0,
            None => false,
        };
        while self.sent.front().is_some_and(|&t| t + b.per <= now) {
            self.sent.pop_front();
        }
        let n = b.requests.get() as usize;
        if !credit && self.sent.len() >= n {
            // Sends on the server's credit may have overfilled the log: wait until all but
            // n - 1 of them are `per` old.
            let ready = self.sent[self.sent.len() - n] + b.per;
            return Err(match self.server {
                Some(s) if s.credit => ready.min(s.reset_at),
                _ => ready,
            });
        }
        self.sent.push_back(now);
        if let Some(s) = &mut self.server {
            s.remaining = s.remaining.saturating_sub(1);
        }
        self.issued += 1;
        Ok(self.issued - 1)
    }
}

/// One endpoint group: its budget, its limiter (a bucket's), what the server said, and the
/// requests waiting for their turn.
pub(crate) struct Group {
    budget: Option<RateBudget>,
    limiter: Option<DefaultDirectRateLimiter>,
    state: Mutex<State>,
    /// Woken when an answer or a pause changes what the server allows.
    changed: Notify,
}

impl Group {
    fn new(budget: Option<RateBudget>) -> Self {
        Self {
            limiter: budget.and_then(|b| b.quota()).map(RateLimiter::direct),
            budget,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn window(&self) -> Option<RateBudget> {
        self.budget.filter(|b| b.pace == Pace::Window)
    }

    #[cfg(test)]
    pub(crate) fn limiter(&self) -> Option<&DefaultDirectRateLimiter> {
        self.limiter.as_ref()
    }

    /// The latest pause the group was given (past or not).
    #[cfg(test)]
    pub(crate) fn paused_until(&self) -> Option<Instant> {
        self.state().paused_until
    }
}

/// A request's turn in its group, from [`RateBudgets::acquire`]: its answer goes back with
/// [`RateBudgets::observe_answer`], which then knows which requests left after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    seq: u64,
}

/// The budgets of one source, by endpoint group. Cheap to clone; clones share every group
/// (its limiter, its log and what the server said). Requests in a group never declared use
/// `"default"` when there is one, else run unlimited.
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

    /// Waits until `group` may send: first any pause the server asked for, then the budget
    /// (for a window, what the latest answer allows, else the log).
    pub async fn acquire(&self, group: &str) -> Permit {
        let Some(g) = self.group(group) else {
            return Permit { seq: 0 };
        };
        loop {
            // Registered before looking, so an answer arriving in between still wakes us.
            let changed = g.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let now = Instant::now();
            let turn = {
                let mut st = g.state();
                match g.window() {
                    Some(b) => st.take_window(&b, now),
                    None => match st.paused_until {
                        Some(t) if t > now => Err(t),
                        _ => {
                            st.issued += 1;
                            Ok(st.issued - 1)
                        }
                    },
                }
            };
            match turn {
                Ok(seq) => {
                    if let Some(l) = &g.limiter {
                        l.until_ready().await;
                    }
                    return Permit { seq };
                }
                Err(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = &mut changed => {}
                    }
                }
            }
        }
    }

    /// [`RateBudgets::acquire`] without keeping the permit.
    pub async fn until_ready(&self, group: &str) {
        self.acquire(group).await;
    }

    /// Pauses `group` for `wait` from now (a later pause already set stands).
    pub fn pause(&self, group: &str, wait: Duration) {
        let Some(g) = self.group(group) else { return };
        let until = Instant::now() + wait;
        {
            let mut st = g.state();
            if st.paused_until.is_none_or(|cur| cur < until) {
                st.paused_until = Some(until);
            }
        }
        g.changed.notify_waiters();
    }

    /// Reads the server's pacing headers of a response in `group` as the answer to the
    /// group's latest request (see [`RateBudgets::observe_answer`]).
    pub fn observe(&self, group: &str, headers: &HeaderMap, now: DateTime<Utc>, cap: Duration) {
        let Some(g) = self.group(group) else { return };
        let seq = g.state().issued.saturating_sub(1);
        self.observe_answer(group, Permit { seq }, headers, now, cap);
    }

    /// Reads the headers of the answer to `permit`'s request (see the [module docs](self)):
    /// a window group keeps the server's window, counted down by the requests sent after
    /// `permit`'s; any group pauses when the server has no room left, until its reset, at
    /// most `cap` from now.
    pub fn observe_answer(
        &self,
        group: &str,
        permit: Permit,
        headers: &HeaderMap,
        now: DateTime<Utc>,
        cap: Duration,
    ) {
        let Some(g) = self.group(group) else { return };
        if let (Some(b), Some(w)) = (g.window(), server_window(headers, now)) {
            {
                let mut st = g.state();
                if st.server.is_some_and(|s| permit.seq < s.basis) {
                    return; // a later request's answer came first
                }
                let after = st.issued.saturating_sub(permit.seq + 1);
                let remaining =
                    u32::try_from(u64::from(w.remaining).saturating_sub(after)).unwrap_or(u32::MAX);
                let credit = w.limit == Some(b.requests.get());
                tracing::trace!(
                    group,
                    remaining,
                    reset_ms = w.reset.as_millis() as u64,
                    credit,
                    "the server's window"
                );
                st.server = Some(ServerWindow {
                    remaining,
                    reset_at: Instant::now() + w.reset.min(cap),
                    credit,
                    stated: true,
                    basis: permit.seq + 1,
                });
            }
            g.changed.notify_waiters();
            return;
        }
        if let Some(wait) = pacing_hint(headers, now, g.budget) {
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

/// The leading whole number of a header (`10`, or the IETF draft's `10, 10;w=60`).
fn leading_number(headers: &HeaderMap, name: &str) -> Option<i64> {
    let v = header(headers, name)?;
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(v.len());
    v[..end].parse().ok()
}

/// A server's current window, as one response states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerWindowHint {
    /// Requests it has room for until the reset.
    pub remaining: u32,
    /// Time from `now` until the window resets.
    pub reset: Duration,
    /// Requests the window holds, when the server says.
    pub limit: Option<u32>,
}

/// The header triples of a server's window: remaining, reset, limit, and whether the reset
/// is Unix seconds (else seconds from now).
const WINDOW_HEADERS: [(&str, &str, &str, bool); 3] = [
    // IETF draft (draft-ietf-httpapi-ratelimit-headers), Zendesk's list endpoints:
    // developer.zendesk.com "Best practices for avoiding rate limiting" (`ratelimit-reset:
    // 41`, seconds until the window resets).
    (
        "ratelimit-remaining",
        "ratelimit-reset",
        "ratelimit-limit",
        false,
    ),
    (
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-limit",
        true,
    ),
    // X: docs.x.com "Rate limits" (`x-rate-limit-reset`: Unix time of the window's end).
    (
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
        "x-rate-limit-limit",
        true,
    ),
];

/// The server's current window from a response's headers: the first triple of
/// [`WINDOW_HEADERS`] with both a remaining count and a reset. `None` when the server does
/// not say (Zendesk's `X-Rate-Limit-Remaining` comes without a reset).
pub fn server_window(headers: &HeaderMap, now: DateTime<Utc>) -> Option<ServerWindowHint> {
    windows(headers, now).next()
}

/// Every window the headers state, in the order of [`WINDOW_HEADERS`].
fn windows(headers: &HeaderMap, now: DateTime<Utc>) -> impl Iterator<Item = ServerWindowHint> {
    WINDOW_HEADERS
        .iter()
        .filter_map(move |&(remaining, reset, limit, unix)| {
            let left = leading_number(headers, remaining)?;
            let at = leading_number(headers, reset)?;
            let secs = if unix { at - now.timestamp() } else { at };
            Some(ServerWindowHint {
                remaining: u32::try_from(left.max(0)).unwrap_or(u32::MAX),
                reset: Duration::from_secs(secs.max(0) as u64),
                limit: leading_number(headers, limit).and_then(|l| u32::try_from(l).ok()),
            })
        })
}

/// How long to wait before the next request of a group, from a successful response's
/// headers (see the [module docs](self)); `None` when the server leaves room. `budget` is
/// the group's, for hints that name no time (Gorgias').
pub fn pacing_hint(
    headers: &HeaderMap,
    now: DateTime<Utc>,
    budget: Option<RateBudget>,
) -> Option<Duration> {
    if let Some(w) = windows(headers, now).find(|w| w.remaining == 0) {
        return Some(w.reset);
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
