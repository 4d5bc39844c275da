//! deskpulse connector for Trustpilot (Business Units API): one business unit's reviews,
//! with the business's replies, and its overall rating and review count.
//!
//! **What it reads.**
//! - `business_unit`: `GET /business-units/{businessUnitId}` (API key), once per sync →
//!   one `RatingSnapshot`: `overall_rating` = `score.stars` (the stars Trustpilot displays,
//!   rounded to a half), `total_reviews` = `numberOfReviews.total`. `score.trustScore` is not
//!   used: it is Trustpilot's weighted score, not a mean of the stars, and the period's own
//!   mean comes from the reviews.
//! - `reviews`: every review, newest first (`orderBy=createdat.desc`, `page`/`perPage`),
//!   from `GET /business-units/{id}/reviews` with the API key, or, when business-user OAuth
//!   is configured, from `GET /private/business-units/{id}/reviews` with its token (the
//!   private endpoint is the business's own view). Each review → one `Review`: `id`,
//!   `stars` (1–5; anything else is an error naming the review), `title`, `text` (stored
//!   exactly as given: untrusted), `createdAt`, and the business reply's `text` and
//!   `createdAt` as `reply_text` / `replied_at`. Incremental passes, checkpoints and the
//!   rescan window for late replies are described in `streams.rs`.
//!
//! **Coverage: `full`.** Trustpilot lists every review of a business unit, so the period's
//! KPIs describe all of them.
//!
//! **Known limits.**
//! - Reply time is from the review to the reply's **first publication**
//!   (`companyReply.createdAt`); `companyReply.updatedAt` is its last edit and is not used.
//!   A review's own `updatedAt` (an edit by the consumer, may be `null`) is not kept: the
//!   model keeps the stars and text as last read.
//! - Replies and edits are seen when their review is within `rescan_days` of the newest
//!   review already stored (default 30 days); a reply to an older review is seen only by a
//!   full sync (`--full`).
//! - Authors are not read (`author_name` is always empty: deskpulse never displays
//!   authors), nor consumer e-mails and order ids of the private endpoint.
//! - `url` is empty: the API gives none, and Trustpilot documents no pattern for one.
//! - Trustpilot may hand out a new refresh token when the connector refreshes; deskpulse
//!   keeps it for that sync only (it has nowhere to store a secret), logs a warning, and the
//!   configured `refresh_token` must be replaced if a later sync is refused. Refresh tokens
//!   expire after 30 days (Trustpilot's authentication docs).
//! - Times: RFC 3339 and the docs' naive `2013-09-07T13:37:00` (read as UTC) are accepted.
//! - Rate limit: Trustpilot asks for at most 833 calls per 5 minutes or 10 000 per hour and
//!   documents no rate-limit headers; `requests_per_minute` (default 166) spaces requests
//!   under both; a 429 is waited out.
//!
//! A source of this kind in `deskpulse.toml`:
//!
//! ```toml
//! [[sources]]
//! name = "trustpilot"
//! kind = "trustpilot"
//! business_unit_id = "5f1e7c0b2a9d4b0001a1b2c3"   # GET /business-units/find?name=example.com
//! api_key = "${TRUSTPILOT_API_KEY}"               # sent as the `apikey` header
//! # base_url = "https://api.trustpilot.com/v1"    # every request (tests, proxies)
//! # page_size = 100                               # perPage, 1 to 100
//! # start_date = "2024-01-01"                     # reviews created before it are not read
//! # requests_per_minute = 166                     # ≤ 833 per 5 min / 10 000 per hour; 0 = no pacing
//! # rescan_days = 30                              # each sync re-reads this far back for replies
//! # Business-user OAuth (all three or none): reviews from the private endpoint.
//! # client_id = "${TRUSTPILOT_API_KEY}"           # the API key
//! # client_secret = "${TRUSTPILOT_API_SECRET}"    # the API secret
//! # refresh_token = "${TRUSTPILOT_REFRESH_TOKEN}" # a business user's refresh token
//! # token_url = "https://api.trustpilot.com/v1/oauth/oauth-business-users-for-applications/refresh"
//! ```
//!
//! The connector reads through two clients sharing one rate budget: the business unit always
//! with the API key (a public endpoint), the private reviews with the business-user token
//! (HTTP Basic `client_id:client_secret` at the token endpoint, `grant_type=refresh_token`).

mod api;
mod settings;
mod streams;

pub use settings::{
    DEFAULT_BASE_URL, DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_RESCAN_DAYS, TOKEN_PATH,
    TrustpilotSettings,
};
pub use streams::{BusinessUnitCheckpoint, ReviewsCheckpoint};

/// The settings of a Trustpilot source, by the name every connector crate uses.
pub type Settings = TrustpilotSettings;

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;

/// Trustpilot, as the CLI registers it.
pub struct Trustpilot;

impl ConnectorFactory for Trustpilot {
    const KIND: &'static str = "trustpilot";
    const DESCRIPTION: &'static str = "Trustpilot (Business Units API): a business unit's reviews with the business's replies (public endpoint, or private with business-user OAuth), and its displayed stars and review count";
    const STREAMS: &'static [StreamSpec] = &[
        StreamSpec::new(
            "business_unit",
            "the business unit's displayed stars (`score.stars`) and total review count, one rating snapshot per sync",
        ),
        StreamSpec::new(
            "reviews",
            "every review newest first (stars, title, text, created, the business reply and its first publication), re-reading `rescan_days` for late replies",
        ),
    ];
    /// The reviews list: the credentials a sync needs for the bulk of its work.
    const PROBE_STREAM: Option<&'static str> = Some("reviews");
    const COVERAGE: Option<ReviewCoverage> = Some(ReviewCoverage::Full);
    build_from!(TrustpilotSettings => TrustpilotConnector::new);
}

/// A configured Trustpilot source.
#[derive(Debug)]
pub struct TrustpilotConnector {
    /// The API key client: the business unit, and the public reviews.
    public: HttpClient,
    /// The business-user token client, when OAuth is configured: the private reviews.
    private: Option<HttpClient>,
    business_unit_id: String,
    page_size: u32,
    start: Option<DateTime<Utc>>,
    rescan: chrono::Duration,
}

impl TrustpilotConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: TrustpilotSettings) -> Result<Self, ConnectorError> {
        let v = settings.validate()?;
        // One budget for the source: Trustpilot's guidance is per application.
        let budgets = RateBudgets::new().with(
            "default",
            RateBudget::per_minute(settings.requests_per_minute),
        );
        let header = Auth::Header {
            name: "apikey".into(),
            value: v.api_key.clone(),
        };
        let mut public = HttpClient::new(HttpSettings::for_kind::<Trustpilot>(
            v.base_url.clone(),
            header,
        ))?
        .with_budgets(budgets.clone());
        let private = match v.oauth {
            None => None,
            Some(o) => {
                public = public.with_secret(&o.client_id);
                let hs = HttpSettings::for_kind::<Trustpilot>(v.base_url, o.auth);
                Some(
                    HttpClient::new(hs)?
                        .with_budgets(budgets)
                        .with_secret(&v.api_key)
                        .with_secret(&o.client_id),
                )
            }
        };
        Ok(Self {
            public,
            private,
            business_unit_id: v.business_unit_id,
            page_size: v.page_size,
            start: v.start,
            rescan: v.rescan,
        })
    }

    /// Every client with `f` applied (they must agree on retries, clock and body cap).
    fn map_clients(mut self, f: impl Fn(HttpClient) -> HttpClient) -> Self {
        self.public = f(self.public);
        self.private = self.private.map(&f);
        self
    }

    /// Replaces the retry policy of every request (tests use short delays).
    pub fn with_retry_policy(self, retry: RetryPolicy) -> Self {
        self.map_clients(|c| c.with_retry_policy(retry.clone()))
    }

    /// Replaces the clock: snapshots' `observed_at`, the future check of review times,
    /// token expiry and `Retry-After` dates (tests pin it).
    pub fn with_clock(self, clock: Clock) -> Self {
        self.map_clients(|c| c.with_clock(clock.clone()))
    }

    /// The connector's clock.
    pub fn clock(&self) -> &Clock {
        self.public.clock()
    }

    /// The base URL every request goes to.
    pub fn base_url(&self) -> &url::Url {
        self.public.base_url()
    }

    /// Whether reviews come from the private endpoint (business-user OAuth configured).
    pub fn reads_private_reviews(&self) -> bool {
        self.private.is_some()
    }
}

impl Connector for TrustpilotConnector {
    fn kind(&self) -> &'static str {
        Trustpilot::KIND
    }

    fn streams(&self) -> &'static [StreamSpec] {
        Trustpilot::STREAMS
    }

    fn read<'a>(&'a self, stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        match stream {
            "business_unit" => {
                page_number_stream(&self.public, streams::BusinessUnitStream { c: self }, from)
            }
            "reviews" => page_number_stream(
                self.private.as_ref().unwrap_or(&self.public),
                streams::Reviews { c: self },
                from,
            ),
            other => failed(ConnectorError::unknown_stream(other, Trustpilot::STREAMS)),
        }
    }

    fn set_max_body_bytes(&mut self, max: u64) {
        self.public = self.public.clone().with_max_body_bytes(max);
        self.private = self.private.take().map(|c| c.with_max_body_bytes(max));
    }
}
