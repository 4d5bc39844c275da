//! The review endpoints: Trustpilot's Business Units API under `/v1` and Google Business
//! Profile's reviews list under `/v4`, with Google's OAuth token endpoint at `/token`. The
//! guard (`server.rs`) counts, authenticates ([`authorize`]), rate-limits and injects faults
//! around them as around Zendesk's, with each vendor's own error bodies.
//!
//! Shapes (reference notes `review-social-apis.md` §1.1 and §1.2, and the fixtures written
//! from the vendors' documentation in `fixtures/reviews_social/`):
//! * Trustpilot business unit: `constructed_business_unit.json` (developers.trustpilot.com,
//!   Business Units API (public), "Get a business unit"); a reviews page:
//!   `constructed_public_reviews_page.json` ("Get a business unit's reviews": `page` 1-based,
//!   `perPage` 1 to 100, default 20, `orderBy` `createdat.asc|createdat.desc|stars.asc|
//!   stars.desc`, "if the page number requested is higher than the available number of pages
//!   an empty array will be returned"). API key in the `apikey` header (or query). Trustpilot
//!   answers through Apigee: a missing or wrong key is a 401 with Apigee's VerifyAPIKey fault
//!   (`{"fault":{"faultstring":"Invalid ApiKey","detail":{"errorcode":
//!   "oauth.v2.InvalidApiKey"}}}`, cloud.google.com/apigee/docs/api-platform/reference/
//!   policies/verify-api-key-policy), 429 is Apigee's quota fault. The bodies of its 400 and
//!   404 are not documented: the simulator answers `{"message": …}`.
//! * Google reviews list: `constructed_reviews_list.json` (developers.google.com/my-business/
//!   reference/rest/v4/accounts.locations.reviews/list: `pageSize` "the maximum pageSize is
//!   50", `pageToken`, `orderBy` `updateTime desc` (default), `rating`, `rating desc`;
//!   `nextPageToken` "if there are no more reviews, this field will not be present"). Errors
//!   are Google's `{"error":{"code","message","status"}}`. As in proto3's JSON mapping,
//!   fields at their default are left out: a location without reviews answers `{}`.
//! * Google token: RFC 6749 §6 refresh at `POST /token` (form `grant_type=refresh_token`,
//!   `client_id`, `client_secret` (or HTTP Basic), `refresh_token`), answered as
//!   oauth2.googleapis.com does: `{"access_token","expires_in":3599,"scope","token_type":
//!   "Bearer"}`; a wrong refresh token is 400 `invalid_grant`, an unknown client 401
//!   `invalid_client`. Issued tokens stay valid while the simulator runs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::{Repeat, Shared, bump, json_response};
use crate::config::Credentials;
use crate::generate::ts_ms;
use crate::review_truth::ReviewPlatform;
use crate::reviews::ZReview;

/// Trustpilot's routes (a source's `base_url` is `{sim}/v1`).
pub(super) const TP_BU: &str = "/v1/business-units/{id}";
pub(super) const TP_REVIEWS: &str = "/v1/business-units/{id}/reviews";
/// Google's token endpoint (a source's `token_url`) and reviews list (`base_url` is `{sim}`).
pub(super) const G_TOKEN: &str = "/token";
pub(super) const G_REVIEWS: &str = "/v4/accounts/{account}/locations/{location}/reviews";

const SCOPE: &str = "https://www.googleapis.com/auth/business.manage";
const BU_NAME: &str = "Deskpulse Demo Shop";
const BU_DOMAIN: &str = "demo-shop.example";

/// Which vendor API a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Api {
    Trustpilot,
    GoogleToken,
    Google,
}

impl Api {
    pub(super) fn of(path: &str) -> Option<Api> {
        if path.starts_with("/v1/") {
            Some(Api::Trustpilot)
        } else if path == G_TOKEN {
            Some(Api::GoogleToken)
        } else if path.starts_with("/v4/") {
            Some(Api::Google)
        } else {
            None
        }
    }

    /// Index in the server's per-endpoint counters.
    pub(super) fn endpoint(self) -> usize {
        match self {
            Api::Trustpilot => 5,
            Api::GoogleToken | Api::Google => 6,
        }
    }

    /// Whether its pages can start with records of the page before (the repeat fault).
    pub(super) fn pages(self, path: &str) -> bool {
        match self {
            Api::Trustpilot => path.ends_with("/reviews"),
            Api::Google => true,
            Api::GoogleToken => false,
        }
    }
}

/// Access tokens issued by `POST /token`.
#[derive(Default)]
pub(super) struct Tokens {
    issued: std::sync::Mutex<Vec<String>>,
}

fn trustpilot_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "message": message }))).into_response()
}

fn apigee_fault(status: StatusCode, faultstring: &str, errorcode: &str) -> Response {
    let body = json!({"fault": {"faultstring": faultstring, "detail": {"errorcode": errorcode}}});
    (status, axum::Json(body)).into_response()
}

fn google_error(status: StatusCode, message: &str, state: &str) -> Response {
    let body = json!({"error": {"code": status.as_u16(), "message": message, "status": state}});
    (status, axum::Json(body)).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn bad_argument() -> Response {
    google_error(
        StatusCode::BAD_REQUEST,
        "Request contains an invalid argument.",
        "INVALID_ARGUMENT",
    )
}

/// Checks the request's credentials for `api`: `None` when they are good, else the vendor's
/// 401.
pub(super) fn authorize(shared: &Shared, api: Api, req: &Request) -> Option<Response> {
    let creds = &shared.credentials;
    match api {
        // The token endpoint checks its form itself.
        Api::GoogleToken => None,
        Api::Trustpilot => {
            let header = req.headers().get("apikey").and_then(|v| v.to_str().ok());
            let query = req.uri().query().and_then(|q| {
                form_pairs(q.as_bytes())
                    .into_iter()
                    .find(|(k, _)| k == "apikey")
                    .map(|(_, v)| v)
            });
            match header.map(str::to_string).or(query) {
                None => Some(apigee_fault(
                    StatusCode::UNAUTHORIZED,
                    "Failed to resolve API Key variable request.header.apikey",
                    "steps.oauth.v2.FailedToResolveAPIKey",
                )),
                Some(k) if k.trim() == creds.trustpilot_api_key => None,
                Some(_) => Some(apigee_fault(
                    StatusCode::UNAUTHORIZED,
                    "Invalid ApiKey",
                    "oauth.v2.InvalidApiKey",
                )),
            }
        }
        Api::Google => {
            let token = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.trim()
                        .strip_prefix("Bearer ")
                        .or_else(|| v.trim().strip_prefix("bearer "))
                })
                .map(str::trim);
            let issued = shared
                .tokens
                .issued
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if token.is_some_and(|t| issued.iter().any(|i| i == t)) {
                return None;
            }
            let mut resp = google_error(
                StatusCode::UNAUTHORIZED,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "UNAUTHENTICATED",
            );
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""),
            );
            Some(resp)
        }
    }
}

/// Auth and rate limit of a review vendor's request: `None` to go on, else the vendor's 401
/// or 429 (neither vendor documents rate-limit headers or `Retry-After`: none are sent).
pub(super) fn admit(shared: &Shared, api: Api, req: &Request) -> Option<Response> {
    let c = &shared.counters;
    if let Some(resp) = authorize(shared, api, req) {
        bump(&c.unauthorized);
        return Some(resp);
    }
    let mut l = shared.limiter.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let bucket = match api {
        Api::Trustpilot => &mut l.trustpilot,
        Api::Google | Api::GoogleToken => &mut l.google,
    };
    bucket.refill(now);
    if shared.limits.enabled {
        if !bucket.can_take() {
            bump(&c.rate_limited);
            return Some(rate_limited(api));
        }
        bucket.take();
    }
    None
}

/// The vendor's 429.
pub(super) fn rate_limited(api: Api) -> Response {
    match api {
        Api::Trustpilot => apigee_fault(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit quota violation. Quota limit  exceeded. Identifier : _default",
            "policies.ratelimit.QuotaViolation",
        ),
        Api::Google | Api::GoogleToken => google_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Resource has been exhausted (e.g. check quota).",
            "RESOURCE_EXHAUSTED",
        ),
    }
}

/// The vendor's 500 or 503.
pub(super) fn server_error(api: Api, unavailable: bool) -> Response {
    match (api, unavailable) {
        (Api::Trustpilot, false) => {
            trustpilot_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        }
        (Api::Trustpilot, true) => {
            trustpilot_error(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable")
        }
        (_, false) => google_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error encountered.",
            "INTERNAL",
        ),
        (_, true) => google_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is currently unavailable.",
            "UNAVAILABLE",
        ),
    }
}

/// The vendor's 404 for a path it does not serve.
pub(super) fn not_found(api: Api) -> Response {
    match api {
        Api::Trustpilot => trustpilot_error(StatusCode::NOT_FOUND, "Not found"),
        _ => google_error(
            StatusCode::NOT_FOUND,
            "Requested entity was not found.",
            "NOT_FOUND",
        ),
    }
}

/// `application/x-www-form-urlencoded` pairs (`+` is a space, `%XX` a byte).
pub(super) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &[u8]) -> String {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < s.len() => {
                    let hex = std::str::from_utf8(&s[i + 1..i + 3]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|b| *b == b'=') {
            Some(i) => (decode(&p[..i]), decode(&p[i + 1..])),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Client id and secret of HTTP Basic (`client_secret_basic`).
fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let b = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// `POST /token`: a refresh-token grant.
pub(super) async fn token(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = form_pairs(&body).into_iter().collect();
    let c: &Credentials = &s.credentials;
    let Some(grant) = form.get("grant_type") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required parameter is missing: grant_type",
        );
    };
    if grant != "refresh_token" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {grant}"),
        );
    }
    let (id, secret) = match (form.get("client_id"), basic_client(&headers)) {
        (Some(id), _) => (
            id.clone(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
        (None, Some(pair)) => pair,
        (None, None) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Could not determine client ID from request.",
            );
        }
    };
    if id != c.google_client_id {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    }
    if secret != c.google_client_secret {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    if form.get("refresh_token") != Some(&c.google_refresh_token) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request");
    }
    let access = {
        let mut issued = s.tokens.issued.lock().unwrap_or_else(|e| e.into_inner());
        let t = format!(
            "ya29.sim-{:016x}-{}",
            super::mix(s.seed ^ 0x0074_6f6b_656e),
            issued.len() + 1
        );
        issued.push(t.clone());
        t
    };
    let mut resp = axum::Json(json!({
        "access_token": access,
        "expires_in": 3599,
        "scope": SCOPE,
        "token_type": "Bearer",
    }))
    .into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, max-age=0, must-revalidate"),
    );
    resp
}

fn rfc3339_secs(ms: i64) -> String {
    ts_ms(ms).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Google's times: whole seconds, or milliseconds when there are any.
fn google_time(ms: i64) -> String {
    let f = if ms.rem_euclid(1000) == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Millis
    };
    ts_ms(ms).to_rfc3339_opts(f, true)
}

fn trustpilot_review(r: &ZReview, bu: &str) -> Value {
    json!({
        "id": r.id,
        "consumer": {
            "id": r.author.id,
            "displayName": r.author.name,
            "displayLocation": r.author.location,
            "numberOfReviews": r.author.reviews,
        },
        "businessUnit": {"id": bu, "identifyingName": BU_DOMAIN, "displayName": BU_NAME},
        "stars": r.stars,
        "title": r.title,
        "text": r.text,
        "language": r.language,
        "location": null,
        "createdAt": rfc3339_secs(r.created_ms),
        "experiencedAt": rfc3339_secs(r.experienced_at * 1000),
        "updatedAt": r.edited_ms.map(rfc3339_secs),
        "companyReply": r.reply.as_ref().map(|c| json!({
            "text": c.text,
            "createdAt": rfc3339_secs(c.created_ms),
            "updatedAt": c.edited_ms.map(rfc3339_secs),
        })),
        "isVerified": r.verified,
        "numberOfLikes": r.likes,
        "status": "active",
        "countsTowardsTrustScore": true,
    })
}

fn google_review(r: &ZReview, parent: &str) -> Value {
    let mut reviewer = serde_json::Map::new();
    if let Some(p) = &r.author.photo {
        reviewer.insert("profilePhotoUrl".into(), json!(p));
    }
    reviewer.insert("displayName".into(), json!(r.author.name));
    reviewer.insert("isAnonymous".into(), json!(r.author.anonymous));
    let stars = ["ONE", "TWO", "THREE", "FOUR", "FIVE"][usize::from(r.stars.clamp(1, 5)) - 1];
    let mut v = serde_json::Map::new();
    v.insert("name".into(), json!(format!("{parent}/reviews/{}", r.id)));
    v.insert("reviewId".into(), json!(r.id));
    v.insert("reviewer".into(), Value::Object(reviewer));
    v.insert("starRating".into(), json!(stars));
    if let Some(t) = &r.text {
        v.insert("comment".into(), json!(t));
    }
    v.insert("createTime".into(), json!(google_time(r.created_ms)));
    let updated = r.edited_ms.unwrap_or(r.created_ms);
    v.insert("updateTime".into(), json!(google_time(updated)));
    if let Some(c) = &r.reply {
        v.insert(
            "reviewReply".into(),
            json!({"comment": c.text, "updateTime": google_time(c.edited_ms.unwrap_or(c.created_ms))}),
        );
    }
    Value::Object(v)
}

/// `GET /v1/business-units/{id}`.
pub(super) async fn business_unit(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    if id != s.credentials.trustpilot_business_unit {
        return trustpilot_error(StatusCode::NOT_FOUND, "Business unit not found");
    }
    let a = s.data.truth().trustpilot_aggregate();
    let body = json!({
        "links": [{"href": format!("{}/v1/business-units/{id}", s.base), "method": "GET", "rel": "self"}],
        "id": id,
        "displayName": BU_NAME,
        "name": {"identifying": BU_DOMAIN, "referring": [BU_DOMAIN, format!("www.{BU_DOMAIN}")]},
        "websiteUrl": format!("https://www.{BU_DOMAIN}"),
        "country": "GB",
        "numberOfReviews": {
            "total": a.total,
            "usedForTrustScoreCalculation": a.used_for_trust_score,
            "oneStar": a.by_stars[0],
            "twoStars": a.by_stars[1],
            "threeStars": a.by_stars[2],
            "fourStars": a.by_stars[3],
            "fiveStars": a.by_stars[4],
        },
        "status": "active",
        "score": {"trustScore": a.trust_score, "stars": a.stars},
        "badFit": false,
    });
    json_response(&body, None)
}

type Params = Query<HashMap<String, String>>;

/// `GET /v1/business-units/{id}/reviews`.
pub(super) async fn trustpilot_reviews(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(p): Params,
    repeat: Option<axum::Extension<Repeat>>,
) -> Response {
    if id != s.credentials.trustpilot_business_unit {
        return trustpilot_error(StatusCode::NOT_FOUND, "Business unit not found");
    }
    let page = match p.get("page").map(|v| v.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        _ => return trustpilot_error(StatusCode::BAD_REQUEST, "page must be a number from 1"),
    };
    let per = match p.get("perPage").map(|v| v.parse::<usize>()) {
        None => 20,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => {
            return trustpilot_error(
                StatusCode::BAD_REQUEST,
                "perPage must be a number from 1 to 100",
            );
        }
    };
    let order = p.get("orderBy").map_or("createdat.desc", String::as_str);
    let stars: Option<Vec<u8>> = match p.get("stars") {
        None => None,
        Some(v) => match v.split(',').map(|x| x.trim().parse::<u8>()).collect() {
            Ok(list) => Some(list),
            Err(_) => return trustpilot_error(StatusCode::BAD_REQUEST, "stars must be 1 to 5"),
        },
    };
    let language = p.get("language").filter(|l| l.as_str() != "all");
    let all = s.data.reviews.of(ReviewPlatform::Trustpilot);
    let mut recs: Vec<&ZReview> = all
        .iter()
        .filter(|r| stars.as_ref().is_none_or(|l| l.contains(&r.stars)))
        .filter(|r| language.is_none_or(|l| l == r.language))
        .collect();
    // `all` is by (created, id): reverse it for newest first.
    match order {
        "createdat.asc" => {}
        "createdat.desc" => recs.reverse(),
        "stars.asc" => recs.sort_by_key(|r| (r.stars, std::cmp::Reverse(r.created_ms))),
        "stars.desc" => recs.sort_by_key(|r| std::cmp::Reverse((r.stars, r.created_ms))),
        _ => {
            return trustpilot_error(
                StatusCode::BAD_REQUEST,
                "orderBy must be one of createdat.asc, createdat.desc, stars.asc, stars.desc",
            );
        }
    }
    let start = (page - 1).saturating_mul(per).min(recs.len());
    let end = (start + per).min(recs.len());
    let rep = repeat.map(|r| r.0.0).unwrap_or(0).min(start);
    let bu = &s.credentials.trustpilot_business_unit;
    let reviews: Vec<Value> = recs[start - rep..end]
        .iter()
        .map(|r| trustpilot_review(r, bu))
        .collect();
    let mut links = Vec::new();
    if end < recs.len() {
        let mut href = format!(
            "{}/v1/business-units/{id}/reviews?page={}&perPage={per}&orderBy={order}",
            s.base,
            page + 1
        );
        for key in ["stars", "language"] {
            if let Some(v) = p.get(key) {
                href.push_str(&format!("&{key}={}", v.replace(',', "%2C")));
            }
        }
        links.push(json!({"href": href, "method": "GET", "rel": "next-page"}));
    }
    let body = json!({"links": links, "reviews": reviews});
    json_response(&body, (rep > 0).then_some(Repeat(rep)))
}

/// The sort orders of Google's reviews list.
fn google_order(v: Option<&String>) -> Option<u8> {
    let v = v.map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));
    match v.as_deref() {
        None | Some("updateTime desc") => Some(0),
        Some("rating") | Some("rating asc") => Some(1),
        Some("rating desc") => Some(2),
        Some(_) => None,
    }
}

fn page_token(seed: u64, order: u8, offset: usize) -> String {
    use base64::Engine;
    let raw = format!(
        "{order}:{offset}:{:x}",
        super::mix(seed ^ offset as u64) & 0xffff
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn read_page_token(seed: u64, order: u8, token: &str) -> Option<usize> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let mut parts = raw.split(':');
    let o: u8 = parts.next()?.parse().ok()?;
    let offset: usize = parts.next()?.parse().ok()?;
    (o == order && page_token(seed, order, offset) == token.trim_end_matches('=')).then_some(offset)
}

/// `GET /v4/accounts/{account}/locations/{location}/reviews`.
pub(super) async fn google_reviews(
    State(s): State<Arc<Shared>>,
    Path((account, location)): Path<(String, String)>,
    Query(p): Params,
    repeat: Option<axum::Extension<Repeat>>,
) -> Response {
    let c = &s.credentials;
    if account != c.google_account_id || location != c.google_location_id {
        return not_found(Api::Google);
    }
    let size = match p.get("pageSize").map(|v| v.parse::<usize>()) {
        None | Some(Ok(0)) => 50,
        Some(Ok(n)) if n <= 50 => n,
        _ => return bad_argument(),
    };
    let Some(order) = google_order(p.get("orderBy")) else {
        return bad_argument();
    };
    let start = match p.get("pageToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match read_page_token(s.seed, order, t) {
            Some(o) => o,
            None => return bad_argument(),
        },
    };
    let mut recs: Vec<&ZReview> = s
        .data
        .reviews
        .of(ReviewPlatform::GoogleBusinessProfile)
        .iter()
        .collect();
    let updated = |r: &ZReview| r.edited_ms.unwrap_or(r.created_ms);
    let newest = |a: &&ZReview, b: &&ZReview| (updated(b), &b.id).cmp(&(updated(a), &a.id));
    match order {
        0 => recs.sort_by(newest),
        1 => recs.sort_by(|a, b| a.stars.cmp(&b.stars).then_with(|| newest(a, b))),
        _ => recs.sort_by(|a, b| b.stars.cmp(&a.stars).then_with(|| newest(a, b))),
    }
    let start = start.min(recs.len());
    let end = (start + size).min(recs.len());
    let rep = repeat.map(|r| r.0.0).unwrap_or(0).min(start);
    let parent = format!("accounts/{account}/locations/{location}");
    let reviews: Vec<Value> = recs[start - rep..end]
        .iter()
        .map(|r| google_review(r, &parent))
        .collect();
    let a = s.data.truth().google_aggregate();
    let mut body = serde_json::Map::new();
    if !reviews.is_empty() {
        body.insert("reviews".into(), Value::Array(reviews));
    }
    if a.total_review_count > 0 {
        body.insert("averageRating".into(), json!(a.average_rating));
        body.insert("totalReviewCount".into(), json!(a.total_review_count));
    }
    if end < recs.len() {
        body.insert(
            "nextPageToken".into(),
            json!(page_token(s.seed, order, end)),
        );
    }
    json_response(&Value::Object(body), (rep > 0).then_some(Repeat(rep)))
}
