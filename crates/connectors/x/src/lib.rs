//! deskpulse connector for X (API v2): a brand account's followers, and the posts that
//! mention it with when the brand's own account first replied.
//!
//! **What it reads** (app-only OAuth 2.0 Bearer token; X API v2 on `https://api.x.com`):
//! - `user`: `GET /2/users/{user_id}?user.fields=public_metrics`, once per sync → one
//!   `SocialStat` `followers` = `public_metrics.followers_count`. The other counters are not
//!   the model's metrics: `like_count` is how many posts the account liked (not likes it
//!   received), `tweet_count`, `listed_count`, `following_count`, `media_count` are not
//!   read. X keeps no history of them: trends come from deskpulse's daily snapshots.
//! - `mentions`: `GET /2/users/{user_id}/mentions` (newest first, `start_time`,
//!   `pagination_token`, `tweet.fields=author_id,created_at,conversation_id,referenced_tweets`)
//!   → one `SocialInteraction` `mention` per post by someone other than the brand (id, time,
//!   author id: storage keeps only its keyed hash; no text). Retweets are left out. The
//!   brand's replies come from `GET /2/users/{user_id}/tweets`
//!   (`tweet.fields=created_at,referenced_tweets`) over the same window: a brand post with
//!   `referenced_tweets` `{type: "replied_to", id: <mention>}` answers it, and the earliest
//!   one is `replied_at` — a reply by anyone else is not an answer. Passes, checkpoints and
//!   the rescan window are described in `streams.rs`.
//!
//! **Known limits.**
//! - X lists only the **~800 most recent mentions** (and the 3 200 most recent posts of the
//!   brand): sync often enough (hourly for a busy account) that no mention falls off between
//!   two syncs.
//! - Late replies: each sync re-reads the mentions of the last `rescan_days` (default 7) and
//!   the brand's posts since then; a first reply to an older mention is not seen.
//! - Deleted mentions: X sets no "deleted" flag, it stops listing them. A mention the last
//!   pass read, still inside the rescan window, that X no longer lists is emitted again with
//!   `deleted = true` (and no author); one deleted after it left the window, or past X's
//!   800-mention horizon, keeps its stored record and still counts.
//! - A post withheld in some countries (`withheld`) is still a mention: it is kept.
//! - An edited mention is kept under its first version's id (`edit_history_tweet_ids[0]`)
//!   with the `created_at` X gives for the version read; a reply to any version counts.
//! - Access: X's API is paid (pay-per-use credits, or a legacy Basic/Pro plan). Every post
//!   read (mentions and the brand's own posts) is billed and counts towards the project's
//!   monthly usage cap. When the cap is exhausted X answers 429 `UsageCapExceeded`: the sync
//!   stops with an error naming `bearer_token`'s project and saying the cap resets monthly;
//!   the next sync resumes from its checkpoint. (The SDK first retries that 429 like any
//!   other, waiting until `x-rate-limit-reset` each time; a cap X reports as 403 arrives as
//!   the SDK's `Unauthorized`, whose body the connector never sees.)
//! - Rate limits: X's per-endpoint 15-minute limits for app auth (user lookup 300, mentions
//!   450, the user's posts 1 500; plans may grant less) are client-side budgets, one per
//!   endpoint group; X's `x-rate-limit-remaining: 0` pauses the group until
//!   `x-rate-limit-reset`, and a 429 is waited out until `x-rate-limit-reset` (the SDK's
//!   ceiling on one wait applies).
//!
//! A source of this kind in `deskpulse.toml`:
//!
//! ```toml
//! [[sources]]
//! name = "x"
//! kind = "x"
//! user_id = "2244994945"                  # the brand account's numeric id (not the @handle)
//! bearer_token = "${X_BEARER_TOKEN}"      # the app's OAuth 2.0 Bearer token (app-only)
//! # base_url = "https://api.x.com"        # every request (tests, proxies)
//! # start_date = "2026-11-01"             # the first sync's mentions start here (default: rescan_days ago)
//! # rescan_days = 7                       # mentions read again each sync for late brand replies (0–90)
//! # max_results = 100                     # page size of both timelines (5–100)
//! # user_requests_per_15_minutes = 300    # GET /2/users/{id}; 0 = no client-side pace
//! # mentions_requests_per_15_minutes = 450  # GET /2/users/{id}/mentions
//! # tweets_requests_per_15_minutes = 1500   # GET /2/users/{id}/tweets (the brand's replies)
//! ```

mod api;
mod settings;
mod streams;

pub use settings::{
    DEFAULT_BASE_URL, DEFAULT_MENTIONS_REQUESTS, DEFAULT_RESCAN_DAYS, DEFAULT_TWEETS_REQUESTS,
    DEFAULT_USER_REQUESTS, XSettings,
};
pub use streams::{MentionsCheckpoint, UserCheckpoint};

/// The settings of an X source, by the name every connector crate uses.
pub type Settings = XSettings;

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use futures::TryStreamExt as _;
use std::time::Duration;

/// X, as the CLI registers it.
pub struct X;

impl ConnectorFactory for X {
    const KIND: &'static str = "x";
    const DESCRIPTION: &'static str = "X (API v2): the brand account's followers, and the posts mentioning it with the brand's first reply (from its own posts' `replied_to`)";
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec::new(
            "user",
            "the account's `public_metrics.followers_count`, one followers snapshot per sync",
        ),
        StreamSpec::new(
            "mentions",
            "posts mentioning the account (X keeps the ~800 most recent), each with the brand's first reply, re-reading `rescan_days` for late replies",
        ),
    ];
    /// The user lookup: one request, no post reads billed, and the same app-only token the
    /// timelines need (a first mentions page would also read every brand post of the window).
    const PROBE_STREAM: Option<&'static str> = Some("user");
    build_from!(XSettings => XConnector::new);
}

/// A configured X source.
#[derive(Debug)]
pub struct XConnector {
    http: HttpClient,
    user_id: String,
    start: Option<DateTime<Utc>>,
    rescan: chrono::Duration,
    max_results: u32,
}

/// `n` requests per 15-minute window; `None` (no client-side pace) for 0. X counts windows
/// ("up to 900 requests over any 15-minute interval is allowed", developer.x.com "Rate
/// limits"), and its `x-rate-limit-*` headers let the window's budget go as fast as X says.
fn per_15_minutes(n: u32) -> Option<RateBudget> {
    RateBudget::window(n, Duration::from_secs(15 * 60))
}

impl XConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: XSettings) -> Result<Self, ConnectorError> {
        let v = settings.validate()?;
        // X limits each endpoint on its own 15-minute window: one group each.
        let budgets = RateBudgets::new()
            .with(
                streams::USERS,
                per_15_minutes(settings.user_requests_per_15_minutes),
            )
            .with(
                streams::MENTIONS,
                per_15_minutes(settings.mentions_requests_per_15_minutes),
            )
            .with(
                streams::TWEETS,
                per_15_minutes(settings.tweets_requests_per_15_minutes),
            );
        let hs = HttpSettings::for_kind::<X>(v.base_url, Auth::Bearer(v.token));
        Ok(Self {
            http: HttpClient::new(hs)?.with_budgets(budgets),
            user_id: v.user_id,
            start: v.start,
            rescan: v.rescan,
            max_results: v.max_results,
        })
    }

    /// The brand account's id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

impl HttpConnector for XConnector {
    type Kind = X;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        let inner = match stream {
            "user" => page_number_stream(&self.http, streams::UserStream { c: self }, from),
            "mentions" => cursor_stream(&self.http, streams::Mentions::new(self), from),
            _ => return None,
        };
        Some(Box::pin(inner.map_err(api::explain_usage_cap)))
    }
}
