//! deskpulse connector for Google Business Profile reviews (My Business API v4).
//!
//! Reads one verified location's reviews from the bulk list, never one request per review:
//! `GET {base_url}/v4/accounts/{account_id}/locations/{location_id}/reviews?pageSize=50&orderBy=updateTime desc`,
//! paged by `pageToken` / `nextPageToken` (developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews/list).
//! Only the profile's owners and managers can read it, and only for a verified location;
//! the project must have been granted Business Profile API access by Google.
//!
//! **Authentication**: OAuth 2.0 with a refresh token of an owner or manager, granted the
//! scope `https://www.googleapis.com/auth/business.manage`. The SDK's `RefreshToken` trades it
//! for access tokens at `token_url` (`grant_type=refresh_token` with `client_id` and
//! `client_secret` in the form body), keeps each until shortly before it expires, and fetches
//! a new one once when the API answers 401. No token, refresh token or client secret is
//! logged or put in an error.
//!
//! **Records** (`platform = "google_business_profile"`):
//! - a `Review` per review: `reviewId` (or the last segment of `name`) as the id,
//!   `starRating` `ONE`…`FIVE` as 1–5, `comment` as the text exactly as given (Google's
//!   "(Translated by Google)" / "(Original)" blocks included; absent on rating-only reviews),
//!   `createTime`, and the owner's reply `reviewReply.comment` and `reviewReply.updateTime`.
//!   The reviewer's name is not kept (`author_name` is `None`).
//! - a `RatingSnapshot` per sync, from the first page read: `averageRating` and
//!   `totalReviewCount`, the location's own figures; `account` is the location id;
//!   coverage `full`.
//!
//! **Reply time is an upper bound.** Google gives a reply's `updateTime`, the time it was
//! **last edited**, not when it was first published: a reply edited after it was written
//! makes the review look answered later than it was. `replied_at` is that last-edit time.
//!
//! **A review without a rating** (`STAR_RATING_UNSPECIFIED`, a missing or unknown
//! `starRating`) is `Malformed`, naming the review: Google documents no such reviews (the
//! value is proto3's "not specified" default), and a rating the model would have to invent is
//! worse than a sync that stops and says why. A review without `createTime` or an id is
//! `Malformed` too.
//!
//! **Incremental reads**: the list is newest-first by `updateTime` and has no "changed since"
//! filter. A completed pass stores the newest `updateTime` read (the bookmark); the next
//! pass reads from the newest review down and stops at the first page whose reviews all
//! changed more than `rescan_days` before the bookmark, so edits and replies within that
//! window are read again (as upserts). Inside a pass each checkpoint holds the next page's
//! token; a token Google refuses later restarts the pass. See `streams.rs`.
//!
//! **Known limits**: a reply written to a review whose own `updateTime` is older than
//! `rescan_days` before the bookmark is seen only if Google moves the review's `updateTime`
//! (a `--full` sync reads everything again); the v4 reviews quota is not published on Google's
//! usage-limits page (300 per minute is the documented default of the other Business Profile
//! APIs); other locations of the account are other sources.
//!
//! A source of this kind in `deskpulse.toml`:
//!
//! ```toml
//! [[sources]]
//! name = "google-shop"
//! kind = "google_business_profile"
//! account_id = "108345521976543210987"      # or "accounts/108345521976543210987"
//! location_id = "4471862208765432109"       # or "locations/…", or "accounts/…/locations/…"
//! client_id = "1234567890-abc.apps.googleusercontent.com"
//! client_secret = "${GBP_CLIENT_SECRET}"
//! refresh_token = "${GBP_REFRESH_TOKEN}"    # scope https://www.googleapis.com/auth/business.manage
//! # token_url = "https://oauth2.googleapis.com/token"   # where the refresh token is exchanged
//! # base_url = "https://mybusiness.googleapis.com"      # every API request goes here (tests, proxies)
//! # page_size = 50                         # reviews per page, 1 to 50
//! # start_date = "2024-01-01"              # reviews last updated before this are not read
//! # requests_per_minute = 300              # client-side limit (0 = none)
//! # rescan_days = 30                       # how far behind the bookmark a sync reads again
//! ```

mod api;
mod settings;
mod streams;

pub use settings::{
    DEFAULT_BASE_URL, DEFAULT_RESCAN_DAYS, DEFAULT_TOKEN_URL, GoogleBusinessProfileSettings,
    MAX_PAGE_SIZE,
};
pub use streams::ReviewsCheckpoint;

/// The settings of a Google Business Profile source, by the name every connector crate uses.
pub type Settings = GoogleBusinessProfileSettings;

use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;

/// Google Business Profile, as the CLI registers it.
pub struct GoogleBusinessProfile;

impl ConnectorFactory for GoogleBusinessProfile {
    const KIND: &'static str = "google_business_profile";
    const DESCRIPTION: &'static str = "Google Business Profile (My Business API v4): a verified location's reviews, newest updateTime first, and its average rating and review count";
    const STREAMS: &'static [StreamSpec] = &[StreamSpec::new(
        "reviews",
        "the location's reviews (stars, text as given, owner reply and its last-edit time) and, once per sync, its averageRating and totalReviewCount",
    )];
    /// Every review of the owner's own verified location can be listed.
    const COVERAGE: Option<ReviewCoverage> = Some(ReviewCoverage::Full);
    type Settings = GoogleBusinessProfileSettings;

    fn build(
        settings: GoogleBusinessProfileSettings,
    ) -> Result<Box<dyn Connector>, ConnectorError> {
        Ok(Box::new(GoogleBusinessProfileConnector::new(settings)?))
    }
}

/// A configured Google Business Profile source: one location.
#[derive(Debug)]
pub struct GoogleBusinessProfileConnector {
    http: HttpClient,
    account_id: String,
    location_id: String,
    page_size: u32,
    start: Option<DateTime<Utc>>,
    rescan: chrono::Duration,
}

impl GoogleBusinessProfileConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: GoogleBusinessProfileSettings) -> Result<Self, ConnectorError> {
        let v = settings.validate()?;
        let hs = HttpSettings::for_kind::<GoogleBusinessProfile>(v.base_url, v.auth);
        // One budget for the source: the quota is per project and API, not per endpoint.
        let http = HttpClient::new(hs)?
            .with_rate_limit("default", settings.requests_per_minute)
            .with_secret_param("refresh_token")
            .with_secret_param("client_secret");
        Ok(Self {
            http,
            account_id: v.account_id,
            location_id: v.location_id,
            page_size: v.page_size,
            start: v.start,
            rescan: v.rescan,
        })
    }
}

impl HttpConnector for GoogleBusinessProfileConnector {
    type Kind = GoogleBusinessProfile;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        Some(match stream {
            "reviews" => cursor_stream(&self.http, streams::Reviews::new(self), from),
            _ => return None,
        })
    }
}
