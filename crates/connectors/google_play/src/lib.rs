//! deskpulse connector for Google Play: the reviews of one app, read with the Google Play
//! Developer API's Reply to Reviews endpoint (`reviews.list`, v3).
//!
//! **What it reads.** `GET /androidpublisher/v3/applications/{package_name}/reviews?maxResults=…`
//! page by page (`tokenPagination.nextPageToken`, sent back as `token`), one `Review` per
//! review (platform `google_play`): `reviewId`, `starRating` (1–5) and `text` of the user
//! comment, the developer comment's `text` and time as the reply. Once per sync (with the
//! first page) a `RatingSnapshot` for the app (`account` = the package name) with no overall
//! rating and no count (the API exposes neither) and coverage `recent_window`.
//!
//! **Coverage and limits** (developers.google.com/android-publisher/reply-to-reviews and the
//! `reviews.list` reference):
//! - Only *recent* reviews are listed: "only reviews from last week will be returned" (v2
//!   reference; v3 says "all recent reviews"). History is what our own syncs kept: **sync at
//!   least weekly** (the `deskpulse run` daemon's schedule, or cron; daily is safer), or
//!   reviews older than the window are lost for good.
//! - Only reviews **with a text**, of **production** versions: a star rating without a
//!   comment is not in the API, so counts and means are over written reviews only.
//! - No overall rating or rating count (Play Console's report exports have them; not read).
//! - **No creation time.** `created_at` is the user comment's `lastModified`: a user who
//!   edits a review moves it (into a later period, too).
//! - **Reply time is the reply's last edit**: `replied_at` is the developer comment's
//!   `lastModified`. Storage keeps the earliest reply time any sync saw, so a reply edited
//!   after a sync keeps its first time; one written and edited between two syncs reads as
//!   answered at the edit.
//! - Author names are not kept (`author_name` is `None`); `title` is `None`: where a user
//!   wrote a title, Google gives it in `text` before a tab, kept as given.
//! - With `translation_language` set, `text` is Google's translation (the untranslated
//!   `originalText` is not kept).
//! - Quota: 200 GET requests an hour per app (`requests_per_hour`), spent evenly (one
//!   request every 18 s); a window of a few hundred reviews is a handful of pages.
//!
//! **Auth.** A service account's JSON key file (`service_account_path`, read when the
//! connector is built): an RS256 JWT (`iss` = `client_email`, `scope` =
//! `https://www.googleapis.com/auth/androidpublisher`, `aud` = the key file's `token_uri`)
//! exchanged for an access token with the JWT bearer grant, by the SDK's
//! `GoogleServiceAccount` behind a `TokenAuth` (renewed before expiry and once on a 401). In
//! Play Console the service account needs the "Reply to reviews" permission for the app.
//! The private key, the JWT and the access token are scrubbed from every log line and error.
//!
//! **Checkpoints.** Inside a pass, the next page's token; at its end, `{}`. The API has no
//! time filter, so every sync reads the whole window again and storage upserts by review id.
//! A stored token the API refuses (expired) restarts the window from its first page. A first
//! page answered `{}` is an empty window (Google leaves empty lists out); any other page
//! without `reviews` is `Malformed`, as is a review without an id, a user comment, a time or
//! a `starRating` of 1 to 5 (named by its id: never a made-up rating).
//!
//! A source of this kind in `deskpulse.toml`:
//!
//! ```toml
//! [[sources]]
//! name = "play"
//! kind = "google_play"
//! package_name = "com.example.app"                     # the app (required)
//! service_account_path = "/etc/deskpulse/play-key.json" # its JSON key file (required)
//! # base_url = "https://androidpublisher.googleapis.com" # API host (tests, proxies)
//! # token_url = "https://oauth2.googleapis.com/token"    # default: the key file's token_uri
//! # page_size = 100                                     # maxResults, 1 to 100
//! # requests_per_hour = 200                              # the app's GET quota (0 = no client-side limit)
//! # translation_language = "en"                          # have Google translate review texts
//! ```

mod api;
mod settings;
mod streams;

pub use api::PLATFORM;
pub use settings::{DEFAULT_BASE_URL, DEFAULT_REQUESTS_PER_HOUR, GooglePlaySettings, MAX_PAGE};
pub use streams::ReviewsCheckpoint;

/// The settings of a Google Play source, by the name every connector crate uses.
pub type Settings = GooglePlaySettings;

use deskpulse_connector::prelude::*;
use std::time::Duration;

/// Google Play, as the CLI registers it.
pub struct GooglePlay;

impl ConnectorFactory for GooglePlay {
    const KIND: &'static str = "google_play";
    const DESCRIPTION: &'static str = "Google Play (Developer API reviews.list): the app's recent reviews with text (about the last week) and developer replies; no overall rating";
    const STREAMS: &'static [StreamSpec] = &[StreamSpec::new(
        "reviews",
        "the recent reviews with text (about a week: sync at least weekly), star rating, text and the developer's reply; a rating snapshot (coverage only) per sync",
    )];
    const COVERAGE: Option<ReviewCoverage> = Some(ReviewCoverage::RecentWindow);
    build_from!(GooglePlaySettings => GooglePlayConnector::new);
}

/// A configured Google Play source.
#[derive(Debug)]
pub struct GooglePlayConnector {
    http: HttpClient,
    package_name: String,
    page_size: u32,
    translation_language: Option<String>,
}

impl GooglePlayConnector {
    /// Validates `settings` and reads the key file; errors name the key to fix.
    pub fn new(settings: GooglePlaySettings) -> Result<Self, ConnectorError> {
        let v = settings.validate()?;
        // The quota is per app and per hour: spread it evenly, so a sync never spends the
        // hour's requests at once (token requests are a group of their own, unlimited).
        let budgets = RateBudgets::new().with(
            "default",
            RateBudget::new(settings.requests_per_hour, Duration::from_secs(3600), 1),
        );
        let auth = Auth::Token(TokenAuth::new(v.account));
        let http = HttpSettings::for_kind::<GooglePlay>(v.base_url, auth);
        Ok(Self {
            http: HttpClient::new(http)?.with_budgets(budgets),
            package_name: v.package_name,
            page_size: v.page_size,
            translation_language: v.translation_language,
        })
    }

    /// The app whose reviews are read.
    pub fn package_name(&self) -> &str {
        &self.package_name
    }
}

impl HttpConnector for GooglePlayConnector {
    type Kind = GooglePlay;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        Some(match stream {
            "reviews" => cursor_stream(&self.http, streams::Reviews::new(self), from),
            _ => return None,
        })
    }
}
