//! deskpulse connector for Apple App Store Connect customer reviews.
//!
//! Reads an app's written customer reviews with the App Store Connect API,
//! `GET /v1/apps/{id}/customerReviews?limit=200&sort=-createdDate&include=response`
//! (developer.apple.com/documentation/appstoreconnectapi/get-v1-apps-_id_-customerreviews):
//! newest first, page by page by the page's `links.next`, rebuilt on the configured
//! `base_url`, with each review's response side-loaded (`include=response`), never one
//! request per review. The paginator and its checkpoints are in `src/stream.rs`, the
//! payloads and the mapping in `src/api.rs`.
//!
//! Auth: an App Store Connect API key. The SDK's [`AppStoreConnectKey`] signs an ES256 JWT
//! with the key's `.p8` private key (header `kid` = `key_id`; claims `iss` = `issuer_id`,
//! `aud` = `appstoreconnect-v1`, a 20-minute `exp`), sent as `Authorization: Bearer`, signed
//! again before it expires and once more on a 401. The key is read from `private_key_path`
//! when the source is built; no message or log line shows it or a token.
//!
//! What is read and what is not (coverage `full`, of what this API lists):
//! * **Written reviews only.** Star-only ratings (no title, no text) are not in this API, so
//!   the counts and the mean are those of written reviews, not of the App Store's rating.
//! * **No store-wide average**: each sync's [`RatingSnapshot`] has `overall_rating = null`
//!   and `total_reviews` = the list's `meta.paging.total` (written reviews), when given.
//! * **Replies**: a response counts only once `state` is `PUBLISHED`; a `PENDING_PUBLISH`
//!   one is not visible to customers yet and is no reply (a later sync within the rescan
//!   window sees it published). `replied_at` is the response's `lastModifiedDate`, its
//!   **last edit**, not its first publication (Apple keeps no such time): an edited reply
//!   makes the reply time look longer.
//! * Review edits are not dated by Apple; the reviewer's nickname (`author_name`) and the
//!   territory are not kept; a review has no public URL.
//!
//! Incremental: every sync reads newest first and stops at the first page that reaches
//! past the newest review already read minus `rescan_days` (default 30), so responses
//! written within that window are picked up; older responses are not.
//!
//! A source of this kind in `deskpulse.toml`:
//!
//! ```toml
//! [[sources]]
//! name = "ios-app"
//! kind = "app_store"
//! issuer_id = "57246542-96fe-1a63-e053-0824d011072a"  # Users and Access → Integrations
//! key_id = "2X9R4HXF34"                                # the key's id (`AuthKey_2X9R4HXF34.p8`)
//! private_key_path = "/etc/deskpulse/AuthKey_2X9R4HXF34.p8"  # read when the source is built
//! app_id = "1234567890"                                # the app's Apple ID (digits)
//! # base_url = "http://127.0.0.1:8080"  # replaces https://api.appstoreconnect.apple.com (tests, proxies)
//! # start_date = "2024-01-01"           # reviews written before are not read (default: all)
//! # page_size = 200                     # reviews per page (`limit`, 1 to 200)
//! # requests_per_minute = 60            # client-side limit (0 = none); Apple: an hourly budget per key
//! # rescan_days = 30                    # days before the newest stored review each sync reads again
//! ```

mod api;
#[doc(hidden)]
pub mod fuzzing;
mod settings;
mod stream;

pub use settings::{AppStoreSettings, DEFAULT_BASE_URL, MAX_PAGE};
pub use stream::ReviewsCheckpoint;

use chrono::{DateTime, Duration, Utc};
use deskpulse_connector::prelude::*;
use stream::CustomerReviews;

/// The App Store Connect connector kind: what it is, what it reads, and how it is built.
pub struct AppStore;

impl ConnectorFactory for AppStore {
    const KIND: &'static str = "app_store";
    const DESCRIPTION: &'static str = "Apple App Store Connect: an app's written customer reviews with their published responses (newest first, by next link)";
    const STREAMS: &'static [StreamSpec] = &[StreamSpec::new(
        "customer_reviews",
        "written reviews (stars, title, text, date) with the published response's text and last-edit time, newest first with a rescan window; the app's written-review count as a daily snapshot",
    )];
    /// Every review is read (of those with text): nothing is left out of the review KPIs.
    const COVERAGE: Option<ReviewCoverage> = Some(ReviewCoverage::Full);
    build_from!(AppStoreSettings => AppStoreConnector::new);
}

/// A configured App Store Connect source.
#[derive(Debug)]
pub struct AppStoreConnector {
    pub(crate) http: HttpClient,
    pub(crate) app_id: String,
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) page_size: u32,
    pub(crate) rescan: Duration,
}

impl AppStoreConnector {
    /// Validates `settings` and reads the private key; errors name the key to fix.
    pub fn new(settings: AppStoreSettings) -> Result<Self, ConnectorError> {
        let v = settings.validate()?;
        let budgets = RateBudgets::new().with(
            "default",
            RateBudget::per_minute(settings.requests_per_minute),
        );
        let auth = Auth::Token(TokenAuth::new(v.key));
        let http = HttpClient::new(HttpSettings::for_kind::<AppStore>(v.base_url, auth))?
            .with_budgets(budgets)
            // The key never goes into a request; should a message ever quote it, it is cut.
            .with_secret(&v.pem);
        Ok(Self {
            http,
            app_id: v.app_id,
            start: v.start,
            page_size: v.page_size,
            rescan: v.rescan,
        })
    }
}

impl HttpConnector for AppStoreConnector {
    type Kind = AppStore;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        Some(match stream {
            stream::STREAM => cursor_stream(&self.http, CustomerReviews::new(self), from),
            _ => return None,
        })
    }
}
