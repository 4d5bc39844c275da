//! deskpulse connector for Google Places: one place's overall rating and rating count, and
//! the at most 5 reviews Google samples of it.
//!
//! The Places API cannot list a place's reviews: "List of reviews about this place, sorted
//! by relevance. A maximum of 5 reviews can be returned." (Place resource), with no paging,
//! no date filter and no owner replies. So this connector declares
//! [`ReviewCoverage::AggregateSample`]: each sync stores the place's own figures as a
//! `RatingSnapshot` (`overall_rating` = `rating`, `total_reviews` = `userRatingCount` /
//! `user_ratings_total`, `account` = the Place ID; storage keeps one per UTC day, and trends
//! come from these snapshots) and the sampled reviews as `Review`s, whose statistics
//! describe the sample, never the business (reports leave `aggregate_sample` platforms out
//! of the all-platform review figures and give them no answered share or reply time).
//!
//! Two documented layouts, chosen by `api`:
//! - `"new"` (default), Places API (New): `GET {base_url}/v1/places/{place_id}` with the
//!   headers `X-Goog-Api-Key` and `X-Goog-FieldMask: rating,userRatingCount,reviews`
//!   (optional `languageCode`); review id = its resource name
//!   `places/{place_id}/reviews/{review_id}`; an unknown place (404) is an error naming
//!   `place_id`, an invalid key (Google's `400 INVALID_ARGUMENT` / `API_KEY_INVALID`, or
//!   401/403) `Unauthorized` naming `api_key`.
//! - `"legacy"`, Place Details: `GET {base_url}/maps/api/place/details/json?place_id=…&
//!   fields=rating,user_ratings_total,reviews&key=…` (optional `language`), the key in the
//!   query (`Auth::Query`: scrubbed from every log line and error, never in a checkpoint).
//!   Legacy reviews have no id: theirs is derived, [`api::legacy_review_id`] (`legacy-` + 32
//!   hex digits of SHA-256 over Place ID, author URL — or name — and publication time). A
//!   `status` other than `OK` is an error naming it: `REQUEST_DENIED` is `Unauthorized`
//!   naming `api_key`; `NOT_FOUND`, `ZERO_RESULTS`, `INVALID_REQUEST` a settings error
//!   naming `place_id`; `OVER_QUERY_LIMIT`, `UNKNOWN_ERROR` an HTTP error saying so.
//!
//! **What is stored (Google's terms).** The Places policies: "you must not pre-fetch,
//! index, store, or cache any Content except under the limited conditions stated in the
//! terms. Note that the place ID, used to uniquely identify a place, is exempt from the
//! caching restrictions." deskpulse keeps what it stores without expiry, so this connector
//! stores, per sampled review, only its id, its stars and its publication time — what the
//! period's review KPIs (count, mean, distribution, share negative, complaints) need — and
//! per sync the place's rating and count; review texts, titles, author names and links are
//! never read into records (`text`, `author_name`, `url` are `None`). The project's API
//! notes call own aggregates "the safer design (legal check recommended)"; storing even the
//! sampled stars is a judgement the deployment should confirm with its Google agreement.
//!
//! Known limits: the sample is Google's choice (relevance), not the newest reviews, so a
//! period's Places review count is what the sample happened to show; `language` only changes
//! which translation Google returns of texts this connector does not store; switching `api`
//! gives the same reviews new ids (new and legacy ids differ), so switch between periods.
//! Reply time: Places returns no owner replies, so `reply_text`/`replied_at` are always
//! `None` (neither first publication nor last edit is known).
//!
//! A source of this kind in `deskpulse.toml`:
//!
//! ```toml
//! [[sources]]
//! name = "places-leeds"
//! kind = "google_places"
//! place_id = "ChIJN1t_tDeuEmsRUsoyG83frY4"  # required: the place to follow
//! api_key = "${GOOGLE_PLACES_API_KEY}"       # required: a key with the Places API enabled
//! # api = "new"                              # "new" (Places API (New), default) or "legacy"
//! # base_url = "http://127.0.0.1:8080"       # default https://places.googleapis.com (new),
//! #                                          # https://maps.googleapis.com (legacy)
//! # language = "en"                          # languageCode / language sent to Google
//! # requests_per_minute = 60                 # client-side ceiling (0 = none); one request per sync
//! ```

pub mod api;
mod settings;
mod stream;

pub use api::PLATFORM;
pub use settings::{
    Api, DEFAULT_REQUESTS_PER_MINUTE, GooglePlacesSettings, LEGACY_BASE_URL, NEW_BASE_URL,
};
pub use stream::{LEGACY_FIELDS, LEGACY_PATH, NEW_FIELD_MASK, PlaceCheckpoint, STREAM};

use deskpulse_connector::prelude::*;

/// The Google Places connector kind: what it is, what it reads, and how it is built.
pub struct GooglePlaces;

impl ConnectorFactory for GooglePlaces {
    const KIND: &'static str = "google_places";
    const DESCRIPTION: &'static str = "Google Places: a place's overall rating and rating count (daily snapshots) and the at most 5 reviews Google samples (stars and dates only), Places API (New) or legacy Place Details";
    const STREAMS: &'static [StreamSpec] = &[stream::SPEC];
    const COVERAGE: Option<ReviewCoverage> = Some(ReviewCoverage::AggregateSample);
    build_from!(GooglePlacesSettings => GooglePlacesConnector::new);
}

/// A configured Google Places source.
#[derive(Debug)]
pub struct GooglePlacesConnector {
    http: HttpClient,
    api: Api,
    place_id: String,
    language: Option<String>,
}

impl GooglePlacesConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: GooglePlacesSettings) -> Result<Self, ConnectorError> {
        let v = settings.validate()?;
        let (auth, headers) = match v.api {
            Api::New => (
                Auth::Header {
                    name: "X-Goog-Api-Key".into(),
                    value: v.api_key,
                },
                vec![("X-Goog-FieldMask", NEW_FIELD_MASK.to_owned())],
            ),
            Api::Legacy => (
                Auth::Query {
                    name: "key".into(),
                    value: v.api_key,
                },
                Vec::new(),
            ),
        };
        let mut http = HttpSettings::for_kind::<GooglePlaces>(v.base_url, auth);
        http.headers = headers;
        let budgets = RateBudgets::new().with(
            "default",
            RateBudget::per_minute(settings.requests_per_minute),
        );
        Ok(Self {
            http: HttpClient::new(http)?.with_budgets(budgets),
            api: v.api,
            place_id: v.place_id,
            language: v.language,
        })
    }

    /// Which API this source reads.
    pub fn api(&self) -> Api {
        self.api
    }
}

impl HttpConnector for GooglePlacesConnector {
    type Kind = GooglePlaces;

    http_client_field!(http);

    fn read_stream<'a>(&'a self, stream: &str, from: Option<Checkpoint>) -> Opened<'a> {
        Some(match stream {
            STREAM => stream::place_stream(self, from),
            _ => return None,
        })
    }
}
