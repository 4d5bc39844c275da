//! The simulator's settings: data size and shape, credentials, rate limits and faults.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use deskpulse_model::Channel;

/// Everything the simulator needs: the seed, the data to generate, and how the server behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seeds both the data generator and the fault injection.
    pub seed: u64,
    /// The simulator's fixed "now": every generated timestamp is before it (whole seconds).
    pub now: DateTime<Utc>,
    /// Size and shape of the generated account.
    pub data: DataConfig,
    /// Credentials the server accepts.
    pub credentials: Credentials,
    /// Rate limits (and the speed factor that scales them).
    pub limits: Limits,
    /// Fault injection; all off by default.
    pub faults: Faults,
    /// Largest page the cursor and time-based exports serve (`per_page` is clamped to it).
    pub page_size_cap: usize,
    /// Port to bind on 127.0.0.1; `None` picks a free one.
    pub port: Option<u16>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            now: default_now(),
            data: DataConfig::default(),
            credentials: Credentials::default(),
            limits: Limits::default(),
            faults: Faults::default(),
            page_size_cap: 1000,
            port: None,
        }
    }
}

/// Monday 2026-11-23 06:00:00 UTC.
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Size and behaviour of the generated support account. Rates are probabilities in [0, 1].
#[derive(Debug, Clone)]
pub struct DataConfig {
    /// Days of history before `now`.
    pub days: u32,
    /// Mean tickets a day over a week (weekdays get more, weekends fewer).
    pub tickets_per_day: f64,
    /// Human agents (the first one is an admin).
    pub agents: u32,
    /// Channel mix: relative weights.
    pub channels: Vec<(Channel, f64)>,
    /// Triggers answer (and automations solve) some tickets.
    pub bots: bool,
    /// Share of tickets opened by an agent (outbound).
    pub outbound_rate: f64,
    /// Share of inbound tickets a trigger answers first (only when `bots`).
    pub bot_answer_rate: f64,
    /// Share of bot-answered tickets an automation then solves without a human.
    pub bot_solve_rate: f64,
    /// Chance that a solved ticket is reopened by the customer (each time it is solved).
    pub reopen_rate: f64,
    /// Share of tickets deleted by an agent.
    pub deleted_rate: f64,
    /// Share of tickets marked as spam (Zendesk deletes them).
    pub spam_rate: f64,
    /// Share of tickets merged into another one (closed with tag `closed_by_merge`).
    pub merged_rate: f64,
    /// Chance that an agent writes an internal note before a reply.
    pub internal_note_rate: f64,
    /// Chance that the customer writes again after an agent reply (decays each round).
    pub followup_rate: f64,
    /// Median agent reply delay, in minutes (log-normal).
    pub reply_median_minutes: f64,
    /// Log-normal sigma of the agent reply delay.
    pub reply_sigma: f64,
    /// Share of solved tickets that get a CSAT survey.
    pub csat_offer_rate: f64,
    /// Share of surveys answered.
    pub csat_answer_rate: f64,
    /// Share of answers that are "good".
    pub csat_good_rate: f64,
    /// Solved tickets are closed by an automation after this many days (`None`: never).
    pub close_after_days: Option<u32>,
    /// Share of inbound tickets that routing assigns to an agent the moment they arrive.
    /// A trigger's public reply on such a ticket is attributed to the assignee (Zendesk
    /// shows trigger comments "as if added by the current assignee"), so Zendesk counts it
    /// as the first agent reply while deskpulse, which excludes bots, does not.
    pub assign_on_create_rate: f64,
    /// The schedule Zendesk's business-hours metric values are computed on (`business` of
    /// the metric set); `None` serves them as `null`.
    pub business_hours: Option<BusinessHours>,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            days: 90,
            tickets_per_day: 40.0,
            agents: 8,
            channels: vec![
                (Channel::Email, 0.45),
                (Channel::Web, 0.2),
                (Channel::Chat, 0.2),
                (Channel::Phone, 0.08),
                (Channel::Api, 0.04),
                (Channel::Social, 0.03),
            ],
            bots: true,
            outbound_rate: 0.05,
            bot_answer_rate: 0.12,
            bot_solve_rate: 0.6,
            reopen_rate: 0.08,
            deleted_rate: 0.01,
            spam_rate: 0.015,
            merged_rate: 0.01,
            internal_note_rate: 0.2,
            followup_rate: 0.7,
            reply_median_minutes: 90.0,
            reply_sigma: 1.2,
            csat_offer_rate: 0.7,
            csat_answer_rate: 0.4,
            csat_good_rate: 0.85,
            close_after_days: Some(4),
            assign_on_create_rate: 0.3,
            business_hours: Some(BusinessHours::default()),
        }
    }
}

/// A weekly schedule like a Zendesk schedule without holidays: the same opening hours on
/// each working day, in UTC. Zendesk's single-event metrics (first reply, first and full
/// resolution) apply one schedule to the whole duration, as this does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    /// Working days.
    pub days: Vec<Weekday>,
    /// Opening time on a working day (UTC).
    pub opens: NaiveTime,
    /// Closing time on a working day (UTC); nothing counts when it is not after `opens`.
    pub closes: NaiveTime,
}

impl Default for BusinessHours {
    /// Monday to Friday, 09:00 to 17:00 UTC.
    fn default() -> Self {
        BusinessHours {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            opens: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            closes: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

impl BusinessHours {
    /// Seconds of `[from, to)` that fall inside the schedule (0 when `to` is not after
    /// `from`).
    pub fn seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from || self.closes <= self.opens {
            return 0;
        }
        let mut total = 0;
        let mut day = from.date_naive();
        let last = to.date_naive();
        while day <= last {
            if self.days.contains(&day.weekday()) {
                let open = day.and_time(self.opens).and_utc();
                let close = day.and_time(self.closes).and_utc();
                let (a, b) = (open.max(from), close.min(to));
                if b > a {
                    total += (b - a).num_seconds();
                }
            }
            match day.checked_add_signed(TimeDelta::days(1)) {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }
}

/// The credentials the server accepts: `Basic base64("{email}/token:{token}")` or
/// `Bearer {token}`.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub email: String,
    pub token: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            email: "demo@example.com".into(),
            token: "sim-token".into(),
        }
    }
}

/// Rate limits like Zendesk's, scaled by `speed` (speed 60 = a vendor minute lasts a second).
#[derive(Debug, Clone)]
pub struct Limits {
    /// `false` turns every limit off (the headers are still sent).
    pub enabled: bool,
    /// Time speed factor: limits allow `speed` times as many requests per real minute.
    pub speed: f64,
    /// Requests a minute on the incremental exports (Zendesk: 10).
    pub incremental_per_minute: u32,
    /// Requests a minute on every endpoint together (Zendesk Enterprise: 700).
    pub requests_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            enabled: true,
            speed: 1.0,
            incremental_per_minute: 10,
            requests_per_minute: 700,
        }
    }
}

impl Limits {
    /// No limits at all.
    pub fn off() -> Self {
        Limits {
            enabled: false,
            ..Limits::default()
        }
    }
}

/// Fault injection. Each rate is the share of (authenticated, not rate-limited) requests that
/// get the fault. `server_error`, `drop_connection` and `truncate` exclude each other (their
/// sum is capped at 1); `slow` and `repeat_records` combine with anything.
/// Decisions are a hash of (seed, path and query, attempt number of that same URL), so a
/// retried request gets a fresh draw and the whole run is deterministic for a seed.
#[derive(Debug, Clone)]
pub struct Faults {
    /// 500 or 503 with a JSON error body.
    pub server_error: f64,
    /// Answer after `slow_delay`.
    pub slow: f64,
    /// How long a slow answer takes.
    pub slow_delay: Duration,
    /// Close the connection without any response.
    pub drop_connection: f64,
    /// 200 with a valid `Content-Length` but the JSON cut in the middle.
    pub truncate: f64,
    /// A page starts with up to 3 records already served before its start (exact copies).
    pub repeat_records: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            server_error: 0.0,
            slow: 0.0,
            slow_delay: Duration::from_millis(1500),
            drop_connection: 0.0,
            truncate: 0.0,
            repeat_records: 0.0,
        }
    }
}

impl Faults {
    /// Every fault at the same rate (the slow delay stays at its default).
    pub fn all(rate: f64) -> Self {
        Faults {
            server_error: rate,
            slow: rate,
            drop_connection: rate,
            truncate: rate,
            repeat_records: rate,
            ..Faults::default()
        }
    }
}
