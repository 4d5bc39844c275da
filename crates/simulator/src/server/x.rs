//! X API v2 endpoints of the simulated brand account, under `/2` (a source's `base_url` is
//! the simulator's root, as `https://api.x.com` is X's).
//!
//! Shapes (reference notes `review-social-apis.md` §1.7; docs.x.com user object, post object,
//! timelines, pagination, rate limits, "Response codes and errors"; tweepy's recorded
//! cassettes `test_client_get_users_mentions.yaml` / `test_client_get_user.yaml`):
//! * `GET /2/users/{id}`: `{"data": {"id", "name", "username"}}`, plus with
//!   `user.fields=public_metrics` `public_metrics{followers_count, following_count,
//!   tweet_count, listed_count, like_count, media_count}` (also `created_at`, `description`,
//!   `protected`, `verified`). An unknown id is X's partial error on HTTP 200 (`errors[]`
//!   with `value`, `detail` "Could not find user with id: [id].", `title` "Not Found Error",
//!   `resource_type` "user", `parameter` "id", `resource_id`, `type`
//!   `https://api.twitter.com/2/problems/resource-not-found`).
//! * `GET /2/users/{id}/mentions`: the posts mentioning the account, newest first, only the
//!   **800 most recent** ("up to the most recent 800 Tweets can be retrieved"); `max_results`
//!   5 to 100 (default 10), `pagination_token` (opaque; the `meta.next_token` of the previous
//!   page), `since_id` / `until_id` (exclusive), `start_time` (inclusive) / `end_time`
//!   (exclusive) in RFC 3339, `tweet.fields` (`created_at`, `author_id`, `conversation_id`,
//!   `referenced_tweets`, `in_reply_to_user_id`, `lang`, `public_metrics`; others X knows are
//!   accepted and left out), `expansions=author_id` with `user.fields` → `includes.users`.
//!   A post always has `id`, `text`, `edit_history_tweet_ids`; `created_at` is
//!   `…T09:01:12.000Z`. `meta{result_count, newest_id, oldest_id, next_token?}`; an empty
//!   page is `{"meta": {"result_count": 0}}` (X leaves `data` out).
//! * `GET /2/users/{id}/tweets`: the account's own posts (originals and replies with
//!   `referenced_tweets: [{"type": "replied_to", "id"}]`, `in_reply_to_user_id`), newest
//!   first, the 3 200 most recent, the same parameters plus `exclude=replies,retweets`.
//! * Auth: `Authorization: Bearer` with [`crate::Credentials::x_bearer_token`], else 401 with
//!   X's problem `{"title": "Unauthorized", "type": "about:blank", "status": 401, "detail":
//!   "Unauthorized"}` (the body X's v2 API returns, as client libraries' tests and logs
//!   record it; docs.x.com does not print it). Bad parameters: 400 `{"errors": [{"parameters": {name:
//!   [value]}, "message"}], "title": "Invalid Request", "detail": "One or more parameters to
//!   your request was invalid.", "type": "https://api.twitter.com/2/problems/invalid-request"}`
//!   with X's recorded messages ("The `max_results` query parameter value [3] is not between
//!   5 and 100", "The `tweet.fields` query parameter value [x] is not one of [...]", "The
//!   query parameter [next_token] is not one of [...]": a parameter the endpoint does not
//!   take is refused).
//! * Rate limits: each endpoint its own 15-minute window ([`crate::Limits`]
//!   `x_user_per_15_minutes` 300, `x_mentions_per_15_minutes` 450, `x_tweets_per_15_minutes`
//!   1 500: app auth, per the reference notes and tweepy's recorded `x-rate-limit-limit`),
//!   shortened by the speed factor; every answer carries `x-rate-limit-limit`,
//!   `x-rate-limit-remaining` and `x-rate-limit-reset` (unix seconds of the window's end);
//!   over the limit, 429 `{"title": "Too Many Requests", "detail": "Too Many Requests",
//!   "type": "about:blank", "status": 429}` with the same headers.

// Handlers return the vendor's error response as their `Err`: a large variant, on a path
// that is not hot.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat};
use serde_json::{Map, Value, json};

use super::{Repeat, Shared, json_response};
use crate::generate::ts;
use crate::social::XPost;
use crate::social_truth::BRAND_NAME;

pub(super) const USER: &str = "/2/users/{id}";
pub(super) const MENTIONS: &str = "/2/users/{id}/mentions";
pub(super) const TWEETS: &str = "/2/users/{id}/tweets";

/// How many of the newest mentions X lists.
pub const MENTIONS_HORIZON: usize = 800;
/// How many of its newest posts X lists for an account.
pub const TWEETS_HORIZON: usize = 3200;

const TWEET_FIELDS: [&str; 19] = [
    "attachments",
    "author_id",
    "card_uri",
    "context_annotations",
    "conversation_id",
    "created_at",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "note_tweet",
    "public_metrics",
    "possibly_sensitive",
    "referenced_tweets",
    "reply_settings",
    "text",
];
const USER_FIELDS: [&str; 14] = [
    "created_at",
    "description",
    "entities",
    "id",
    "location",
    "name",
    "pinned_tweet_id",
    "profile_image_url",
    "protected",
    "public_metrics",
    "url",
    "username",
    "verified",
    "withheld",
];

/// Which X endpoint (index into the limiter's windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    User = 0,
    Mentions = 1,
    Tweets = 2,
}

impl Endpoint {
    /// The endpoint of a `/2/…` path (`None`: not one X serves here).
    pub(super) fn of(path: &str) -> Option<Endpoint> {
        let rest = path.strip_prefix("/2/users/")?;
        match rest.split('/').collect::<Vec<_>>()[..] {
            [_] => Some(Endpoint::User),
            [_, "mentions"] => Some(Endpoint::Mentions),
            [_, "tweets"] => Some(Endpoint::Tweets),
            _ => None,
        }
    }
}

/// A fixed 15-minute window (shortened by the speed factor), as X counts.
pub(super) struct Window {
    limit: u32,
    len: Duration,
    start: Instant,
    start_unix: f64,
    used: u32,
}

impl Window {
    pub(super) fn new(limit: u32, speed: f64) -> Window {
        Window {
            limit: limit.max(1),
            len: Duration::from_secs_f64(900.0 / speed.max(1e-6)),
            start: Instant::now(),
            start_unix: unix_now(),
            used: 0,
        }
    }

    /// Counts a request: `Ok(headers)` or `Err(headers)` when over the limit (only when
    /// `enforce`).
    pub(super) fn take(&mut self, enforce: bool) -> Result<Headers, Headers> {
        let now = Instant::now();
        if now.saturating_duration_since(self.start) >= self.len {
            self.start = now;
            self.start_unix = unix_now();
            self.used = 0;
        }
        let reset = (self.start_unix + self.len.as_secs_f64()).ceil() as u64;
        if enforce && self.used >= self.limit {
            return Err(headers(self.limit, 0, reset));
        }
        self.used = self.used.saturating_add(1);
        Ok(headers(
            self.limit,
            self.limit.saturating_sub(self.used),
            reset,
        ))
    }
}

pub(super) type Headers = Vec<(&'static str, String)>;

fn headers(limit: u32, remaining: u32, reset: u64) -> Headers {
    vec![
        ("x-rate-limit-limit", limit.to_string()),
        ("x-rate-limit-remaining", remaining.to_string()),
        ("x-rate-limit-reset", reset.to_string()),
    ]
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        json!({"title": title, "type": "about:blank", "status": status.as_u16(), "detail": detail});
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// X's 401.
pub(super) fn unauthorized() -> Response {
    problem(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized")
}

/// X's 429.
pub(super) fn rate_limited() -> Response {
    problem(
        StatusCode::TOO_MANY_REQUESTS,
        "Too Many Requests",
        "Too Many Requests",
    )
}

/// X's 500 / 503.
pub(super) fn server_error(unavailable: bool) -> Response {
    if unavailable {
        problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "Service Unavailable",
        )
    } else {
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "Internal Server Error",
        )
    }
}

/// X's 404 for a path it does not serve.
pub(super) fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "Not Found Error", "Not Found")
}

/// `true` when the request has the bearer token.
pub(super) fn authorized(shared: &Shared, req: &axum::extract::Request) -> bool {
    req.headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let v = v.trim();
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .is_some_and(|t| t.trim() == shared.credentials.x_bearer_token)
}

fn invalid(param: &str, value: &str, message: &str) -> Response {
    let body = json!({
        "errors": [{"parameters": {param: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn user_not_found(id: &str) -> Response {
    let body = json!({"errors": [{
        "value": id,
        "detail": format!("Could not find user with id: [{id}]."),
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": "id",
        "resource_id": id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }]});
    json_response(&body, None)
}

type Params = Query<std::collections::HashMap<String, String>>;

/// The parameters the timelines accept (X rejects any other: "The query parameter [x] is
/// not one of [...]").
const TIMELINE_PARAMS: [&str; 13] = [
    "id",
    "max_results",
    "pagination_token",
    "since_id",
    "until_id",
    "start_time",
    "end_time",
    "expansions",
    "tweet.fields",
    "media.fields",
    "poll.fields",
    "place.fields",
    "user.fields",
];
const USER_PARAMS: [&str; 4] = ["id", "expansions", "tweet.fields", "user.fields"];

/// X's 400 for a query parameter the endpoint does not take.
fn unknown_params(
    p: &std::collections::HashMap<String, String>,
    known: &[&str],
) -> Result<(), Response> {
    let mut names: Vec<&String> = p.keys().collect();
    names.sort();
    match names.into_iter().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(invalid(
            k,
            &p[k],
            &format!(
                "The query parameter [{k}] is not one of [{}]",
                known.join(",")
            ),
        )),
    }
}

/// The comma list of `key`, each checked against `known`.
fn list<'a>(
    p: &'a std::collections::HashMap<String, String>,
    key: &str,
    known: &[&str],
) -> Result<Vec<&'a str>, Response> {
    let Some(v) = p.get(key) else {
        return Ok(Vec::new());
    };
    let items: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    for i in &items {
        if !known.contains(i) {
            return Err(invalid(
                key,
                i,
                &format!(
                    "The `{key}` query parameter value [{i}] is not one of [{}]",
                    known.join(",")
                ),
            ));
        }
    }
    Ok(items)
}

fn user_json(s: &Shared, fields: &[&str]) -> Value {
    let c = &s.credentials;
    let d = &s.data.social;
    let mut u = Map::new();
    u.insert("id".into(), json!(c.x_user_id));
    u.insert("name".into(), json!(BRAND_NAME));
    u.insert("username".into(), json!(c.x_username));
    for f in fields {
        match *f {
            "public_metrics" => {
                u.insert(
                    "public_metrics".into(),
                    json!({
                        "followers_count": d.x_followers,
                        "following_count": d.x_following,
                        "tweet_count": d.brand_posts.len(),
                        "listed_count": 121,
                        "like_count": 4210,
                        "media_count": 0,
                    }),
                );
            }
            "created_at" => {
                u.insert("created_at".into(), json!("2014-03-02T10:11:12.000Z"));
            }
            "description" => {
                u.insert("description".into(), json!("Outdoor gear. Support: DM us."));
            }
            "protected" | "verified" => {
                u.insert((*f).into(), json!(false));
            }
            _ => {}
        }
    }
    Value::Object(u)
}

/// `GET /2/users/{id}`.
pub(super) async fn user(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(p): Params,
) -> Response {
    if let Err(e) = unknown_params(&p, &USER_PARAMS) {
        return e;
    }
    let fields = match list(&p, "user.fields", &USER_FIELDS) {
        Ok(f) => f,
        Err(e) => return e,
    };
    if id != s.credentials.x_user_id {
        return user_not_found(&id);
    }
    json_response(&json!({"data": user_json(&s, &fields)}), None)
}

fn x_time(secs: i64) -> String {
    ts(secs).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn post_json(p: &XPost, fields: &[&str]) -> Value {
    let mut v = Map::new();
    v.insert("edit_history_tweet_ids".into(), json!([p.id.to_string()]));
    v.insert("id".into(), json!(p.id.to_string()));
    v.insert("text".into(), json!(p.text));
    for f in fields {
        match *f {
            "author_id" => {
                v.insert("author_id".into(), json!(p.author_id));
            }
            "created_at" => {
                v.insert("created_at".into(), json!(x_time(p.created)));
            }
            "conversation_id" => {
                v.insert(
                    "conversation_id".into(),
                    json!(p.conversation_id.to_string()),
                );
            }
            "referenced_tweets" => {
                if let Some((kind, id)) = p.referenced {
                    v.insert(
                        "referenced_tweets".into(),
                        json!([{"type": kind, "id": id.to_string()}]),
                    );
                }
            }
            "in_reply_to_user_id" => {
                if let Some(u) = &p.in_reply_to_user_id {
                    v.insert("in_reply_to_user_id".into(), json!(u));
                }
            }
            "lang" => {
                v.insert("lang".into(), json!("en"));
            }
            "public_metrics" => {
                v.insert(
                    "public_metrics".into(),
                    json!({"retweet_count": 0, "reply_count": 0, "like_count": 0,
                        "quote_count": 0, "bookmark_count": 0, "impression_count": 0}),
                );
            }
            _ => {}
        }
    }
    Value::Object(v)
}

fn token(id: u64) -> String {
    let raw = format!("dp1:{id:x}");
    URL_SAFE_NO_PAD.encode(raw).to_ascii_lowercase()
}

/// The id a `pagination_token` points after (tokens are lower-cased base64 of `dp1:{hex}`,
/// so they are matched against the ids of `posts`).
fn read_token(t: &str, posts: &[&XPost]) -> Option<usize> {
    posts.iter().position(|p| token(p.id) == t)
}

/// The mentions and tweets timelines.
async fn timeline(
    s: &Shared,
    id: &str,
    p: &std::collections::HashMap<String, String>,
    own: bool,
    repeat: usize,
) -> Response {
    let known: Vec<&str> = TIMELINE_PARAMS
        .iter()
        .copied()
        .chain(own.then_some("exclude"))
        .collect();
    if let Err(e) = unknown_params(p, &known) {
        return e;
    }
    let fields = match list(p, "tweet.fields", &TWEET_FIELDS) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let user_fields = match list(p, "user.fields", &USER_FIELDS) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let expansions = match list(
        p,
        "expansions",
        &[
            "attachments.media_keys",
            "attachments.poll_ids",
            "author_id",
            "edit_history_tweet_ids",
            "entities.mentions.username",
            "geo.place_id",
            "in_reply_to_user_id",
            "referenced_tweets.id",
            "referenced_tweets.id.author_id",
        ],
    ) {
        Ok(f) => f,
        Err(e) => return e,
    };
    if id != s.credentials.x_user_id {
        return user_not_found(id);
    }
    let max = match p.get("max_results").map(|v| v.parse::<usize>()) {
        None => 10,
        Some(Ok(n)) if (5..=100).contains(&n) => n,
        _ => {
            let v = p.get("max_results").map_or("", String::as_str);
            return invalid(
                "max_results",
                v,
                &format!("The `max_results` query parameter value [{v}] is not between 5 and 100"),
            );
        }
    };
    let bound = |k: &str| -> Result<Option<i64>, Response> {
        match p.get(k) {
            None => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(v)
                .map(|t| Some(t.timestamp()))
                .map_err(|_| {
                    invalid(
                        k,
                        v,
                        &format!("Invalid '{k}':'{v}'. '{k}' must be a valid RFC 3339 date"),
                    )
                }),
        }
    };
    let (start, end) = match (bound("start_time"), bound("end_time")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let ids = |k: &str| -> Result<Option<u64>, Response> {
        match p.get(k) {
            None => Ok(None),
            Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
                invalid(
                    k,
                    v,
                    &format!("The `{k}` query parameter value [{v}] is not valid"),
                )
            }),
        }
    };
    let (since_id, until_id) = match (ids("since_id"), ids("until_id")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let exclude: Vec<&str> = p
        .get("exclude")
        .map(|v| v.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let social = &s.data.social;
    let (all, horizon) = if own {
        (&social.brand_posts, TWEETS_HORIZON)
    } else {
        (&social.mentions, MENTIONS_HORIZON)
    };
    let posts: Vec<&XPost> = all
        .iter()
        .take(horizon)
        .filter(|t| since_id.is_none_or(|x| t.id > x) && until_id.is_none_or(|x| t.id < x))
        .filter(|t| start.is_none_or(|x| t.created >= x) && end.is_none_or(|x| t.created < x))
        .filter(|t| {
            let kind = t.referenced.map(|r| r.0);
            !(exclude.contains(&"replies") && kind == Some("replied_to")
                || exclude.contains(&"retweets") && kind == Some("retweeted"))
        })
        .collect();
    let from = match p.get("pagination_token") {
        None => 0,
        Some(t) => match read_token(t, &posts) {
            Some(i) => i + 1,
            None => {
                return invalid(
                    "pagination_token",
                    t,
                    &format!("The `pagination_token` query parameter value [{t}] is not valid"),
                );
            }
        },
    };
    let to = (from + max).min(posts.len());
    let served = &posts[from - repeat.min(from)..to];
    let mut meta = Map::new();
    meta.insert("result_count".into(), json!(served.len()));
    let mut body = Map::new();
    if let (Some(first), Some(last)) = (served.first(), served.last()) {
        body.insert(
            "data".into(),
            Value::Array(served.iter().map(|t| post_json(t, &fields)).collect()),
        );
        if expansions.contains(&"author_id") {
            let mut users: Vec<Value> = Vec::new();
            let mut seen = std::collections::BTreeSet::new();
            for t in served {
                if seen.insert(t.author_id.as_str()) {
                    users.push(if t.author_id == s.credentials.x_user_id {
                        user_json(s, &user_fields)
                    } else {
                        json!({"id": t.author_id, "name": "Customer", "username": format!("user{}", &t.author_id[t.author_id.len().saturating_sub(6)..])})
                    });
                }
            }
            body.insert("includes".into(), json!({ "users": users }));
        }
        meta.insert("newest_id".into(), json!(first.id.to_string()));
        meta.insert("oldest_id".into(), json!(last.id.to_string()));
        if to < posts.len() {
            meta.insert("next_token".into(), json!(token(posts[to - 1].id)));
        }
    }
    body.insert("meta".into(), Value::Object(meta));
    json_response(&Value::Object(body), (repeat > 0).then_some(Repeat(repeat)))
}

/// `GET /2/users/{id}/mentions`.
pub(super) async fn mentions(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(p): Params,
    repeat: Option<axum::Extension<Repeat>>,
) -> Response {
    timeline(&s, &id, &p, false, repeat.map_or(0, |r| r.0.0)).await
}

/// `GET /2/users/{id}/tweets`.
pub(super) async fn tweets(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(p): Params,
    repeat: Option<axum::Extension<Repeat>>,
) -> Response {
    timeline(&s, &id, &p, true, repeat.map_or(0, |r| r.0.0)).await
}
