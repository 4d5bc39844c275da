//! The `place` stream: one request per sync, one batch. Places has no list to page through
//! (at most 5 reviews, no cursor, no date filter), so there is no paginator here: the read is
//! a single page request (`get_page_json`, inside the runner's `StreamRun`), and what this
//! module adds is turning Google's answers that are not a place into errors that name the
//! setting to fix — a legacy `status` other than `OK` arrives as HTTP 200 and must never
//! read as a place without reviews.
//!
//! The checkpoint records when the place was last read; every sync reads the place again
//! (the snapshot is the point), and the reviews it lists again are upserts.

use crate::GooglePlacesConnector;
use crate::api::{LegacyDetails, LegacyPlace, NewPlace};
use crate::settings::Api;
use chrono::{DateTime, Utc};
use deskpulse_connector::prelude::*;
use serde::{Deserialize, Serialize};

/// The stream's name.
pub const STREAM: &str = "place";

/// The rate-limit group of the one request.
const GROUP: &str = "default";

/// The fields the Places API (New) is asked for ("There is no default list of returned
/// fields. If you omit this list, the methods return an error").
pub const NEW_FIELD_MASK: &str = "rating,userRatingCount,reviews";

/// The legacy Place Details endpoint and the fields it is asked for.
pub const LEGACY_PATH: &str = "/maps/api/place/details/json";
pub const LEGACY_FIELDS: &str = "rating,user_ratings_total,reviews";

/// How a Place ID looks, for messages.
const PLACE_ID_EXAMPLE: &str = "a Place ID such as \"ChIJN1t_tDeuEmsRUsoyG83frY4\"";

/// The stored checkpoint of `place`: when the place was last read (informational: every sync
/// reads the place again). Change it only in ways that still read what was stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceCheckpoint {
    pub observed_at: DateTime<Utc>,
}

/// Reads the place once, from `from` or from nothing (the read is the same either way; a
/// stored checkpoint must still be one this connector wrote).
pub(crate) fn place_stream<'a>(
    c: &'a GooglePlacesConnector,
    from: Option<Checkpoint>,
) -> BatchStream<'a> {
    if let Some(Err(e)) = from.map(|cp| cp.parse_for::<PlaceCheckpoint>(STREAM)) {
        return failed(e);
    }
    Box::pin(futures::stream::once(async move {
        c.read_place().await.map_err(|e| c.http().scrub_error(e))
    }))
}

impl GooglePlacesConnector {
    async fn read_place(&self) -> Result<Batch, ConnectorError> {
        let new_path = format!("/v1/places/{}", self.place_id);
        let answer = match self.api {
            Api::New => Answer::New(self.read_new(&new_path).await?),
            Api::Legacy => Answer::Legacy(self.read_legacy().await?),
        };
        // When the answer arrived, by the client's clock (tests pin it).
        let observed_at = self.clock().now();
        let id = self.place_id.as_str();
        let records = match answer {
            Answer::New(p) => p
                .records(id, observed_at)
                .map_err(|d| ConnectorError::malformed(&new_path, d)),
            Answer::Legacy(p) => p
                .records(id, observed_at)
                .map_err(|d| ConnectorError::malformed(LEGACY_PATH, d)),
        }?;
        Ok(Batch {
            records,
            checkpoint: Checkpoint::of(&PlaceCheckpoint { observed_at }),
        })
    }

    /// `GET /v1/places/{place_id}` with the field mask (a default header of the client).
    async fn read_new(&self, path: &str) -> Result<NewPlace, ConnectorError> {
        let query: Vec<(&str, String)> = self
            .language
            .iter()
            .map(|l| ("languageCode", l.clone()))
            .collect();
        self.http
            .get_page_json(GROUP, path, &query)
            .await
            .map_err(new_api_error)
    }

    /// `GET /maps/api/place/details/json?place_id=…&fields=…` (the key is added by the
    /// client's `Auth::Query`).
    async fn read_legacy(&self) -> Result<LegacyPlace, ConnectorError> {
        let mut query = vec![
            ("place_id", self.place_id.clone()),
            ("fields", LEGACY_FIELDS.to_owned()),
        ];
        query.extend(self.language.iter().map(|l| ("language", l.clone())));
        let answer: LegacyDetails = self.http.get_page_json(GROUP, LEGACY_PATH, &query).await?;
        match answer.status.as_str() {
            "OK" => answer
                .result
                .ok_or_else(|| ConnectorError::malformed(LEGACY_PATH, "status OK but no `result`")),
            status => Err(legacy_status_error(status, answer.error_message.as_deref())),
        }
    }
}

/// Places API (New) errors that say which setting is wrong: 404 (no such place) names
/// `place_id`; a 400 about the key (Google answers an invalid key with `400
/// INVALID_ARGUMENT`, reason `API_KEY_INVALID`, not 401) is `Unauthorized` naming
/// `api_key`; 401/403 are `Unauthorized` already.
fn new_api_error(e: ConnectorError) -> ConnectorError {
    match e {
        ConnectorError::Http {
            status: 404,
            endpoint,
            detail,
            ..
        } => ConnectorError::settings(
            "place_id",
            format!(
                "names no place Google knows ({endpoint} answered 404: {detail}): set {PLACE_ID_EXAMPLE}, or check `base_url`"
            ),
        ),
        ConnectorError::Http {
            status: 400,
            endpoint,
            detail,
            ..
        } if detail.contains("API_KEY_INVALID") || detail.contains("API key not valid") => {
            ConnectorError::Unauthorized {
                status: 400,
                endpoint: format!("{endpoint}: the API key is not valid; check `api_key`"),
            }
        }
        ConnectorError::Http {
            status: 400,
            endpoint,
            attempts,
            detail,
        } => ConnectorError::Http {
            status: 400,
            endpoint,
            attempts,
            detail: format!("{detail} (check `place_id` and `language`)"),
        },
        other => other,
    }
}

/// A place in the layout of the configured API.
enum Answer {
    New(NewPlace),
    Legacy(LegacyPlace),
}

/// The error of a legacy answer whose `status` is not `OK` (it comes with HTTP 200), naming
/// the status and the setting to fix. Google's meanings: `ZERO_RESULTS` "the referenced
/// location, place_id, was valid but no longer refers to a valid result"; `NOT_FOUND` "the
/// referenced location, place_id, was not found in the Places database"; `INVALID_REQUEST`
/// "the API request was malformed"; `OVER_QUERY_LIMIT` QPS limits, billing or a usage cap;
/// `REQUEST_DENIED` "the request is missing an API key" or "the key parameter is invalid";
/// `UNKNOWN_ERROR` a server-side error that may succeed if tried again.
fn legacy_status_error(status: &str, message: Option<&str>) -> ConnectorError {
    let said = message.map_or(String::new(), |m| format!(" ({m:?})"));
    let http = |detail: String| ConnectorError::Http {
        status: 200,
        endpoint: LEGACY_PATH.to_owned(),
        attempts: 1,
        detail,
    };
    match status {
        "ZERO_RESULTS" | "NOT_FOUND" | "INVALID_REQUEST" => {
            let meaning = match status {
                "ZERO_RESULTS" => "the Place ID no longer refers to a place (closed or merged?)",
                "NOT_FOUND" => "the Place ID is not in the Places database",
                _ => "the request was refused as malformed (a bad Place ID or `language`)",
            };
            ConnectorError::settings(
                "place_id",
                format!(
                    "was refused by Google Places: status {status}{said}, {meaning}; set {PLACE_ID_EXAMPLE}"
                ),
            )
        }
        "REQUEST_DENIED" => ConnectorError::Unauthorized {
            status: 200,
            endpoint: format!(
                "{LEGACY_PATH}: status REQUEST_DENIED{said}; check `api_key` (a valid key of a project with the Places API and billing enabled)"
            ),
        },
        "OVER_QUERY_LIMIT" => http(format!(
            "status OVER_QUERY_LIMIT{said}: the project's quota, billing or usage cap (Google Cloud console) stopped the request; the next sync tries again"
        )),
        "UNKNOWN_ERROR" => http(format!(
            "status UNKNOWN_ERROR{said}: a server-side error at Google; the next sync tries again"
        )),
        other => ConnectorError::malformed(LEGACY_PATH, format!("unknown status {other:?}{said}")),
    }
}

/// `GooglePlaces` names this module's stream in its `STREAMS`.
pub(crate) const SPEC: StreamSpec = StreamSpec {
    name: STREAM,
    description: "the place's overall rating and rating count (a snapshot per sync) and the at most 5 reviews Google samples (stars and publication time only)",
};
