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
    /// Public reviews on Trustpilot and Google Business Profile over the same `days`.
    pub reviews: ReviewsConfig,
    /// Facebook Page and X activity (comments, mentions, recommendations, followers) over the
    /// same `days`.
    pub social: SocialConfig,
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
            reviews: ReviewsConfig::default(),
            social: SocialConfig::default(),
        }
    }
}

/// The reviews the simulator generates for Trustpilot and Google Business Profile, over the
/// dataset's `days` before `now`, from the same seed (their own random stream: changing these
/// settings never changes the Zendesk account). Rates are probabilities in [0, 1].
#[derive(Debug, Clone)]
pub struct ReviewsConfig {
    /// Mean Trustpilot reviews a day (Poisson); 0 disables them.
    pub trustpilot_per_day: f64,
    /// Mean Google Business Profile reviews a day (Poisson); 0 disables them.
    pub google_per_day: f64,
    /// Relative weights of 1★ to 5★ (index 0 is 1★). Review platforms are J-shaped: many
    /// 5★, fewer 1★, few in between.
    pub star_weights: [f64; 5],
    /// Chance that the business replies to a negative review (≤ 2★).
    pub reply_rate_negative: f64,
    /// Chance that the business replies to a 3★ review.
    pub reply_rate_neutral: f64,
    /// Chance that the business replies to a positive review (4★ or 5★).
    pub reply_rate_positive: f64,
    /// Median delay of a reply after the review, in hours (log-normal). A reply that would
    /// come after `now` has not come yet: the review is unanswered.
    pub reply_median_hours: f64,
    /// Log-normal sigma of the reply delay.
    pub reply_sigma: f64,
    /// Chance that a reply is edited later (after a log-normal delay, median two days).
    pub reply_edit_rate: f64,
    /// Chance that the reviewer edits the review later (Trustpilot `updatedAt`, Google
    /// `updateTime`).
    pub review_edit_rate: f64,
    /// Share of Google reviews with a rating and no text (`comment` absent).
    pub rating_only_rate: f64,
    /// Share of reviews carrying a string of the hostile list ([`crate::HOSTILE_STRINGS`]:
    /// HTML, Slack mrkdwn, bidi and zero-width characters, emoji) as their title, at the start
    /// of their text, and for one in three as their author's name; they take the list in
    /// order, so as many such reviews (per platform) as the list is long cover all of it.
    pub hostile_rate: f64,
    /// Share of reviews with a text of [`crate::HUGE_TEXT_BYTES`] bytes.
    pub huge_text_rate: f64,
}

impl Default for ReviewsConfig {
    fn default() -> Self {
        ReviewsConfig {
            trustpilot_per_day: 3.0,
            google_per_day: 2.0,
            star_weights: [0.15, 0.10, 0.10, 0.20, 0.45],
            reply_rate_negative: 0.85,
            reply_rate_neutral: 0.6,
            reply_rate_positive: 0.35,
            reply_median_hours: 18.0,
            reply_sigma: 1.1,
            reply_edit_rate: 0.2,
            review_edit_rate: 0.05,
            rating_only_rate: 0.15,
            hostile_rate: 0.08,
            huge_text_rate: 0.005,
        }
    }
}

impl ReviewsConfig {
    /// No reviews at all.
    pub fn off() -> Self {
        ReviewsConfig {
            trustpilot_per_day: 0.0,
            google_per_day: 0.0,
            ..ReviewsConfig::default()
        }
    }
}

/// The social activity the simulator generates for a Facebook Page and an X account, over the
/// dataset's `days` before `now`, from the same seed (their own random streams: changing
/// these settings never changes the Zendesk account or the reviews). Rates are probabilities
/// in [0, 1]; a `…_per_day` of 0 disables that flow.
#[derive(Debug, Clone)]
pub struct SocialConfig {
    /// Mean posts a day the page publishes (Poisson).
    pub facebook_posts_per_day: f64,
    /// Mean customer comments a day on the page's posts (Poisson).
    pub facebook_comments_per_day: f64,
    /// Mean recommendations a day (Poisson).
    pub facebook_recommendations_per_day: f64,
    /// Share of recommendations that are negative ("doesn't recommend").
    pub negative_recommendation_rate: f64,
    /// Mean customer posts a day mentioning the X account (Poisson).
    pub x_mentions_per_day: f64,
    /// Mean original posts a day by the X account (besides its replies).
    pub x_posts_per_day: f64,
    /// Share of the mentions timeline that are retweets of the brand's posts (not customer
    /// mentions: the ground truth leaves them out, as the connector does).
    pub x_retweet_rate: f64,
    /// Chance that the brand (page or X account) replies to a comment or mention.
    pub reply_rate: f64,
    /// Chance that the page replies to a negative / positive recommendation.
    pub recommendation_reply_rate_negative: f64,
    pub recommendation_reply_rate_positive: f64,
    /// Median delay of the brand's reply, in minutes (log-normal); a reply that would come
    /// after `now` has not come yet.
    pub reply_median_minutes: f64,
    /// Log-normal sigma of the reply delay.
    pub reply_sigma: f64,
    /// Share of replies that come late instead: 1 to 6 days after.
    pub late_reply_rate: f64,
    /// Chance that the brand, having replied, replies a second time later.
    pub second_reply_rate: f64,
    /// Chance that another user replies to a comment or mention (on X that reply is itself a
    /// post mentioning the brand). Not an answer.
    pub third_party_reply_rate: f64,
    /// Share of Facebook comments hidden by the page (`is_hidden: true`; they count nowhere).
    pub hidden_rate: f64,
    /// Chance that the page writes a top-level comment of its own under a post (not a reply).
    pub page_comment_rate: f64,
    /// Followers of the page `days` before `now`.
    pub facebook_followers: u64,
    /// Likes (`fan_count`) of the page `days` before `now`.
    pub facebook_likes: u64,
    /// Followers of the X account `days` before `now`.
    pub x_followers: u64,
    /// Mean daily change of each follower count.
    pub followers_growth_per_day: f64,
    /// Standard deviation of the daily change (counts can fall).
    pub followers_noise: f64,
}

impl Default for SocialConfig {
    fn default() -> Self {
        SocialConfig {
            facebook_posts_per_day: 1.0,
            facebook_comments_per_day: 4.0,
            facebook_recommendations_per_day: 0.3,
            negative_recommendation_rate: 0.25,
            x_mentions_per_day: 6.0,
            x_posts_per_day: 1.0,
            x_retweet_rate: 0.05,
            reply_rate: 0.7,
            recommendation_reply_rate_negative: 0.8,
            recommendation_reply_rate_positive: 0.3,
            reply_median_minutes: 120.0,
            reply_sigma: 1.3,
            late_reply_rate: 0.06,
            second_reply_rate: 0.15,
            third_party_reply_rate: 0.2,
            hidden_rate: 0.05,
            page_comment_rate: 0.2,
            facebook_followers: 12_400,
            facebook_likes: 11_050,
            x_followers: 8_300,
            followers_growth_per_day: 6.0,
            followers_noise: 14.0,
        }
    }
}

impl SocialConfig {
    /// No social activity at all (the counters stay at their starting values).
    pub fn off() -> Self {
        SocialConfig {
            facebook_posts_per_day: 0.0,
            facebook_comments_per_day: 0.0,
            facebook_recommendations_per_day: 0.0,
            x_mentions_per_day: 0.0,
            x_posts_per_day: 0.0,
            ..SocialConfig::default()
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

/// The credentials the server accepts: for Zendesk, `Basic base64("{email}/token:{token}")`
/// or `Bearer {token}`; for Trustpilot, the `apikey` header on the business unit
/// `trustpilot_business_unit`; for Google Business Profile, an access token issued at
/// `POST /token` for the refresh token and OAuth client, on
/// `accounts/{google_account_id}/locations/{google_location_id}`.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub email: String,
    pub token: String,
    /// Trustpilot API key (header `apikey`, or the `apikey` query parameter).
    pub trustpilot_api_key: String,
    /// The Trustpilot business unit id served (24 hex digits, as Trustpilot's).
    pub trustpilot_business_unit: String,
    /// Google OAuth client id.
    pub google_client_id: String,
    /// Google OAuth client secret.
    pub google_client_secret: String,
    /// The refresh token exchanged at `POST /token`.
    pub google_refresh_token: String,
    /// Google Business Profile account id (`accounts/{id}`).
    pub google_account_id: String,
    /// Google Business Profile location id (`locations/{id}`).
    pub google_location_id: String,
    /// The Facebook Page's id (`/{v}/{page_id}`).
    pub facebook_page_id: String,
    /// The Page access token (`access_token` query parameter or `Authorization: Bearer`).
    pub facebook_page_token: String,
    /// The X account's numeric id (`/2/users/{id}`).
    pub x_user_id: String,
    /// The X account's handle (without `@`).
    pub x_username: String,
    /// The X app-only Bearer token.
    pub x_bearer_token: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            email: "demo@example.com".into(),
            token: "sim-token".into(),
            trustpilot_api_key: "sim-trustpilot-key".into(),
            trustpilot_business_unit: "5f1e7c0b2a9d4b0001a1b2c3".into(),
            google_client_id: "sim-client.apps.googleusercontent.com".into(),
            google_client_secret: "sim-client-secret".into(),
            google_refresh_token: "1//sim-refresh-token".into(),
            google_account_id: "108345521976543210987".into(),
            google_location_id: "4471862208765432109".into(),
            facebook_page_id: "104857600123456".into(),
            facebook_page_token: "EAAsim-page-token".into(),
            x_user_id: "1580000000000000001".into(),
            x_username: "deskpulsedemo".into(),
            x_bearer_token: "AAAAsim-x-bearer".into(),
        }
    }
}

/// Rate limits like Zendesk's, scaled by `speed` (speed 60 = a vendor minute lasts a second).
#[derive(Debug, Clone)]
pub struct Limits {
    /// `false` turns every limit off (the headers are still sent).
    pub enabled: bool,
    /// Time speed factor: every window is `speed` times shorter, with the same number of
    /// requests (so `speed` times as many per real minute).
    pub speed: f64,
    /// Requests a minute on the incremental exports (Zendesk: 10).
    pub incremental_per_minute: u32,
    /// Requests a minute on every endpoint together (Zendesk Enterprise: 700).
    pub requests_per_minute: u32,
    /// Requests a minute on the Export Search Results endpoint (`/api/v2/search/export`),
    /// which also count towards `requests_per_minute` (Zendesk: "rate-limited to 100
    /// requests per minute per account").
    pub search_export_per_minute: u32,
    /// Requests per 5 minutes on the Trustpilot endpoints (Trustpilot's guidance: "don't
    /// exceed 833 calls per 5 minutes").
    pub trustpilot_per_5_minutes: u32,
    /// Requests a minute on the Google endpoints, token included (Google Business Profile's
    /// default quota: 300 QPM).
    pub google_per_minute: u32,
    /// Requests an hour on the Facebook Graph endpoints (a stand-in for the Pages Business
    /// Use Case limit, 4 800 × engaged users per 24 h); over it, Graph's error 80001.
    pub facebook_per_hour: u32,
    /// Requests per 15-minute window on X's `GET /2/users/{id}` (app auth: 300).
    pub x_user_per_15_minutes: u32,
    /// Requests per 15-minute window on X's `GET /2/users/{id}/mentions` (app auth: 450).
    pub x_mentions_per_15_minutes: u32,
    /// Requests per 15-minute window on X's `GET /2/users/{id}/tweets` (app auth: 1 500).
    pub x_tweets_per_15_minutes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            enabled: true,
            speed: 1.0,
            incremental_per_minute: 10,
            requests_per_minute: 700,
            search_export_per_minute: 100,
            trustpilot_per_5_minutes: 833,
            google_per_minute: 300,
            facebook_per_hour: 4800,
            x_user_per_15_minutes: 300,
            x_mentions_per_15_minutes: 450,
            x_tweets_per_15_minutes: 1500,
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
