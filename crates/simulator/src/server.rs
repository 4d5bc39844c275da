//! The HTTP server: routing (axum), auth, rate limits, fault injection, and paging over the
//! dataset's pre-sorted vectors. Zendesk's endpoints are in `zendesk` and `zendesk_lists`,
//! the review vendors' in `reviews`, Facebook's Graph API in `facebook` and X's API v2 in `x`.

mod facebook;
mod limits;
mod reviews;
mod x;
mod zendesk;
mod zendesk_lists;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::config::{Credentials, Faults, Limits, SimConfig};
use crate::generate::Dataset;
use limits::{Bucket, Minute, zendesk_headers};

const USERS: &str = "/api/v2/incremental/users/cursor.json";
const TICKETS: &str = "/api/v2/incremental/tickets/cursor.json";
const EVENTS: &str = "/api/v2/incremental/ticket_events.json";
const RATINGS: &str = "/api/v2/satisfaction_ratings.json";
const RATINGS_BARE: &str = "/api/v2/satisfaction_ratings";

/// Counters of what the server did, as a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Every request received (including 401s and 429s).
    pub requests: u64,
    /// Requests answered 401.
    pub unauthorized: u64,
    /// Requests answered 429.
    pub rate_limited: u64,
    /// Faults injected, by kind.
    pub server_errors: u64,
    pub dropped: u64,
    pub truncated: u64,
    pub slow: u64,
    pub repeated: u64,
    /// Requests by endpoint: `users`, `tickets`, `ticket_events`, `satisfaction_ratings`,
    /// `other`, `trustpilot` (every `/v1` path), `google_business_profile` (`/token` and
    /// every `/v4` path), `facebook_page` (every `/v{N}.{M}` path), `x` (every `/2` path),
    /// `search_export` (Zendesk's Export Search Results).
    pub per_endpoint: BTreeMap<&'static str, u64>,
}

impl SimStats {
    /// All faults injected, of every kind.
    pub fn faults_injected(&self) -> u64 {
        self.server_errors + self.dropped + self.truncated + self.slow + self.repeated
    }
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    unauthorized: AtomicU64,
    rate_limited: AtomicU64,
    server_errors: AtomicU64,
    dropped: AtomicU64,
    truncated: AtomicU64,
    slow: AtomicU64,
    repeated: AtomicU64,
    endpoints: [AtomicU64; 10],
}

const ENDPOINT_NAMES: [&str; 10] = [
    "users",
    "tickets",
    "ticket_events",
    "satisfaction_ratings",
    "other",
    "trustpilot",
    "google_business_profile",
    "facebook_page",
    "x",
    "search_export",
];

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    fn snapshot(&self) -> SimStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SimStats {
            requests: g(&self.requests),
            unauthorized: g(&self.unauthorized),
            rate_limited: g(&self.rate_limited),
            server_errors: g(&self.server_errors),
            dropped: g(&self.dropped),
            truncated: g(&self.truncated),
            slow: g(&self.slow),
            repeated: g(&self.repeated),
            per_endpoint: ENDPOINT_NAMES
                .iter()
                .zip(&self.endpoints)
                .map(|(n, c)| (*n, g(c)))
                .collect(),
        }
    }
}

struct Limiter {
    /// Zendesk's account-wide minute, and the incremental exports' and search export's own.
    global: Minute,
    incremental: Minute,
    search_export: Minute,
    trustpilot: Bucket,
    google: Bucket,
    facebook: Bucket,
    /// X's windows, by [`x::Endpoint`].
    x: [x::Window; 3],
}

struct Shared {
    data: Arc<Dataset>,
    base: String,
    seed: u64,
    page_cap: usize,
    limits: Limits,
    faults: Faults,
    basic: String,
    bearer: String,
    limiter: Mutex<Limiter>,
    attempts: Mutex<HashMap<String, u64>>,
    counters: Counters,
    /// What the review endpoints accept.
    credentials: Credentials,
    /// Google access tokens issued so far.
    tokens: reviews::Tokens,
    /// The tickets' order of Export Search Results.
    lists: zendesk_lists::Index,
}

/// Entry point: `Simulator::start(dataset, cfg)`.
pub struct Simulator;

impl Simulator {
    /// Binds `127.0.0.1` (on `cfg.port`, or a free port) and serves `dataset` until the
    /// returned handle is shut down or dropped.
    pub async fn start(dataset: Arc<Dataset>, cfg: SimConfig) -> std::io::Result<RunningSimulator> {
        let listener = TcpListener::bind(("127.0.0.1", cfg.port.unwrap_or(0))).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let creds = &cfg.credentials;
        let started = Instant::now();
        let shared = Arc::new(Shared {
            data: dataset,
            base: base.clone(),
            seed: cfg.seed,
            page_cap: cfg.page_size_cap.max(1),
            basic: STANDARD.encode(format!("{}/token:{}", creds.email, creds.token)),
            bearer: creds.token.clone(),
            limiter: Mutex::new(Limiter {
                global: Minute::new(cfg.limits.requests_per_minute, cfg.limits.speed, started),
                incremental: Minute::new(
                    cfg.limits.incremental_per_minute,
                    cfg.limits.speed,
                    started,
                ),
                search_export: Minute::new(
                    cfg.limits.search_export_per_minute,
                    cfg.limits.speed,
                    started,
                ),
                trustpilot: Bucket::per_window(
                    cfg.limits.trustpilot_per_5_minutes,
                    300.0,
                    cfg.limits.speed,
                ),
                google: Bucket::new(cfg.limits.google_per_minute, cfg.limits.speed),
                facebook: Bucket::per_window(
                    cfg.limits.facebook_per_hour,
                    3600.0,
                    cfg.limits.speed,
                ),
                x: [
                    x::Window::new(cfg.limits.x_user_per_15_minutes, cfg.limits.speed),
                    x::Window::new(cfg.limits.x_mentions_per_15_minutes, cfg.limits.speed),
                    x::Window::new(cfg.limits.x_tweets_per_15_minutes, cfg.limits.speed),
                ],
            }),
            limits: cfg.limits,
            faults: cfg.faults,
            attempts: Mutex::new(HashMap::new()),
            counters: Counters::default(),
            credentials: cfg.credentials.clone(),
            tokens: reviews::Tokens::default(),
            lists: zendesk_lists::Index::default(),
        });
        let router = zendesk_lists::routes(Router::new())
            .route(USERS, get(zendesk::users))
            .route(TICKETS, get(zendesk::tickets))
            .route(EVENTS, get(zendesk::ticket_events))
            .route(RATINGS, get(zendesk::ratings))
            .route(RATINGS_BARE, get(zendesk::ratings))
            .route(reviews::TP_BU, get(reviews::business_unit))
            .route(reviews::TP_REVIEWS, get(reviews::trustpilot_reviews))
            .route(reviews::G_TOKEN, post(reviews::token))
            .route(reviews::G_REVIEWS, get(reviews::google_reviews))
            .route(x::USER, get(x::user))
            .route(x::MENTIONS, get(x::mentions))
            .route(x::TWEETS, get(x::tweets))
            .fallback(fallback)
            .layer(middleware::from_fn_with_state(shared.clone(), guard))
            .with_state(shared.clone());
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router, rx));
        Ok(RunningSimulator {
            base_url: base,
            addr,
            shared,
            shutdown: tx,
            task: Some(task),
        })
    }
}

/// A running simulator. Dropping it stops the server (in-flight requests are cut);
/// `shutdown().await` stops it gracefully.
pub struct RunningSimulator {
    base_url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningSimulator {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// The Trustpilot `base_url` of a review source: `{base_url}/v1`.
    pub fn trustpilot_base_url(&self) -> String {
        format!("{}/v1", self.base_url)
    }
    /// The Google OAuth `token_url` of a Google Business Profile source: `{base_url}/token`
    /// (its API `base_url` is [`RunningSimulator::base_url`]).
    pub fn google_token_url(&self) -> String {
        format!("{}{}", self.base_url, reviews::G_TOKEN)
    }
    /// The `base_url` of a `facebook_page` source: the simulator's root (Graph's paths,
    /// `/{api_version}/{page_id}/…`, are served under any `vN.N`).
    pub fn facebook_base_url(&self) -> String {
        self.base_url.clone()
    }
    /// The `base_url` of an `x` source: the simulator's root (X's paths start with `/2`).
    pub fn x_base_url(&self) -> String {
        self.base_url.clone()
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The dataset being served.
    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.shared.data
    }
    /// What the server has done so far.
    pub fn stats(&self) -> SimStats {
        self.shared.counters.snapshot()
    }
    /// Stops accepting, lets in-flight requests finish (up to 5 s), and returns.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Marks a response whose connection must be closed without answering.
#[derive(Clone, Copy)]
struct DropConnection;

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("simulated dropped connection")
    }
}

impl std::error::Error for Dropped {}

async fn accept_loop(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let mut stop = stop.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let router = router.clone();
                        async move {
                            let resp = match router.oneshot(req.map(Body::new)).await {
                                Ok(r) => r,
                                Err(e) => match e {},
                            };
                            if resp.extensions().get::<DropConnection>().is_some() {
                                Err(Dropped)
                            } else {
                                Ok(resp)
                            }
                        }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        conns.abort_all();
    }
}

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "description": description})),
    )
        .into_response()
}

/// Facebook's Graph paths (any version), else each vendor's 404.
async fn fallback(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path();
    if facebook::is_graph(path) {
        return facebook::handle(shared, req).await;
    }
    if path.starts_with("/2/") {
        return x::not_found();
    }
    match reviews::Api::of(path) {
        Some(api) => reviews::not_found(api),
        None => error(StatusCode::NOT_FOUND, "InvalidEndpoint", "Not found"),
    }
}

/// The social vendors a path belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Social {
    Facebook,
    X(Option<x::Endpoint>),
}

impl Social {
    fn of(path: &str) -> Option<Social> {
        if facebook::is_graph(path) {
            Some(Social::Facebook)
        } else if path.starts_with("/2/") {
            Some(Social::X(x::Endpoint::of(path)))
        } else {
            None
        }
    }

    /// Whether a page can start with records of the page before (the repeat fault).
    fn pages(self, path: &str) -> bool {
        match self {
            Social::Facebook => path.trim_matches('/').split('/').count() == 3,
            Social::X(e) => matches!(e, Some(x::Endpoint::Mentions | x::Endpoint::Tweets)),
        }
    }

    /// Auth and rate limits: the headers to send with the answer, or the vendor's 401/429.
    #[allow(clippy::result_large_err)]
    fn admit(
        self,
        shared: &Shared,
        req: &Request,
    ) -> Result<Vec<(&'static str, String)>, Response> {
        let c = &shared.counters;
        match self {
            Social::Facebook => {
                if let Some(resp) = facebook::authorize(shared, req) {
                    bump(&c.unauthorized);
                    return Err(resp);
                }
                let mut l = shared.limiter.lock().unwrap_or_else(|e| e.into_inner());
                l.facebook.refill(Instant::now());
                let blocked = shared.limits.enabled && !l.facebook.can_take();
                if !blocked && shared.limits.enabled {
                    l.facebook.take();
                }
                let used = ((1.0 - l.facebook.tokens / l.facebook.cap) * 100.0)
                    .round()
                    .clamp(0.0, 100.0);
                let usage = json!({ shared.credentials.facebook_page_id.as_str(): [{
                    "type": "pages", "call_count": used as u64, "total_cputime": 0,
                    "total_time": 0, "estimated_time_to_regain_access": if blocked {
                        (l.facebook.retry_after() as f64 / 60.0).ceil() as u64 } else { 0 },
                }]});
                let headers = vec![("x-business-use-case-usage", usage.to_string())];
                drop(l);
                if blocked {
                    bump(&c.rate_limited);
                    let mut resp = facebook::rate_limited();
                    for (k, v) in headers {
                        set_header(&mut resp, k, v);
                    }
                    return Err(resp);
                }
                Ok(headers)
            }
            Social::X(endpoint) => {
                if !x::authorized(shared, req) {
                    bump(&c.unauthorized);
                    return Err(x::unauthorized());
                }
                let Some(e) = endpoint else {
                    return Ok(Vec::new());
                };
                let mut l = shared.limiter.lock().unwrap_or_else(|e| e.into_inner());
                match l.x[e as usize].take(shared.limits.enabled) {
                    Ok(h) => Ok(h),
                    Err(h) => {
                        drop(l);
                        bump(&c.rate_limited);
                        let mut resp = x::rate_limited();
                        for (k, v) in h {
                            set_header(&mut resp, k, v);
                        }
                        Err(resp)
                    }
                }
            }
        }
    }

    fn server_error(self, unavailable: bool) -> Response {
        match self {
            Social::Facebook => facebook::server_error(unavailable),
            Social::X(_) => x::server_error(unavailable),
        }
    }
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in [0, 1) from (seed, url, attempt, salt).
fn draw(seed: u64, url: &str, attempt: u64, salt: u64) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in url.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let x = mix(mix(mix(seed ^ h) ^ attempt) ^ salt.wrapping_mul(0x9E37_79B9));
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Number of records to repeat at the start of a page (0: no fault).
#[derive(Clone, Copy, Default)]
struct Repeat(usize);

fn authorized(shared: &Shared, req: &Request) -> bool {
    let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let value = value.trim();
    if let Some(b) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    {
        b.trim() == shared.basic
    } else if let Some(t) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    {
        t.trim() == shared.bearer
    } else {
        false
    }
}

fn set_header(resp: &mut Response, name: &'static str, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().insert(name, v);
    }
}

/// Counting, auth, rate limits and faults around every request.
async fn guard(State(shared): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    let c = &shared.counters;
    bump(&c.requests);
    let path = req.uri().path().to_string();
    let social = Social::of(&path);
    let review = if social.is_some() {
        None
    } else {
        reviews::Api::of(&path)
    };
    let (endpoint, own) = match (review, path.as_str()) {
        _ if social == Some(Social::Facebook) => (7, Own::None),
        _ if social.is_some() => (8, Own::None),
        (Some(api), _) => (api.endpoint(), Own::None),
        (None, USERS) => (0, Own::Incremental),
        (None, TICKETS) => (1, Own::Incremental),
        (None, EVENTS) => (2, Own::Incremental),
        (None, RATINGS | RATINGS_BARE) => (3, Own::None),
        (None, p) if zendesk_lists::is_search(p) => (9, Own::SearchExport),
        _ => (4, Own::None),
    };
    bump(&c.endpoints[endpoint]);
    let limit = shared.limits.requests_per_minute;
    let pages = endpoint < 4
        || review.is_some_and(|a| a.pages(&path))
        || social.is_some_and(|s| s.pages(&path));

    // Social vendors: their own auth, limits and rate-limit headers.
    let mut vendor_headers = Vec::new();
    // Review vendors: their own auth and limits, and no Zendesk rate-limit headers.
    let zendesk = if let Some(s) = social {
        match s.admit(&shared, &req) {
            Ok(h) => vendor_headers = h,
            Err(resp) => return resp,
        }
        None
    } else if let Some(api) = review {
        if let Some(resp) = reviews::admit(&shared, api, &req) {
            return resp;
        }
        None
    } else if !authorized(&shared, &req) {
        bump(&c.unauthorized);
        let mut resp = (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "Couldn't authenticate you"})),
        )
            .into_response();
        set_header(&mut resp, "x-rate-limit", limit.to_string());
        set_header(&mut resp, "x-rate-limit-remaining", limit.to_string());
        return resp;
    } else {
        match zendesk_limits(&shared, own, endpoint == 3 || endpoint == 9) {
            Ok(h) => Some(h),
            Err(resp) => return resp,
        }
    };

    // Faults, drawn from (seed, url, attempt of that url).
    let f = &shared.faults;
    let url = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or(path);
    let attempt = {
        let mut a = shared.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let n = a.entry(url.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let seed = shared.seed;
    let u = draw(seed, &url, attempt, 1);
    let (drop_p, err_p, trunc_p) = (
        f.drop_connection.clamp(0.0, 1.0),
        f.server_error.clamp(0.0, 1.0),
        f.truncate.clamp(0.0, 1.0),
    );
    if draw(seed, &url, attempt, 2) < f.slow {
        bump(&c.slow);
        tokio::time::sleep(f.slow_delay).await;
    }
    if u < drop_p {
        bump(&c.dropped);
        let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        resp.extensions_mut().insert(DropConnection);
        return resp;
    }
    if u < drop_p + err_p {
        bump(&c.server_errors);
        let unavailable = draw(seed, &url, attempt, 3) >= 0.5;
        if let Some(s) = social {
            let mut resp = s.server_error(unavailable);
            for (k, v) in vendor_headers {
                set_header(&mut resp, k, v);
            }
            return resp;
        }
        if let Some(api) = review {
            return reviews::server_error(api, unavailable);
        }
        let mut resp = if !unavailable {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "Something went wrong",
            )
        } else {
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "Try again later",
            )
        };
        for (k, v) in zendesk.into_iter().flatten() {
            set_header(&mut resp, k, v);
        }
        return resp;
    }
    let truncate = u < drop_p + err_p + trunc_p;
    if pages && draw(seed, &url, attempt, 4) < f.repeat_records {
        let k = 1 + (draw(seed, &url, attempt, 5) * 3.0) as usize;
        req.extensions_mut().insert(Repeat(k.min(3)));
    }

    let mut resp = next.run(req).await;
    if resp.extensions().get::<Repeat>().is_some_and(|r| r.0 > 0) {
        bump(&c.repeated);
    }
    if truncate && resp.status() == StatusCode::OK {
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let cut = ((bytes.len() as f64) * (0.2 + 0.6 * draw(seed, &url, attempt, 6))) as usize;
        let cut = cut.min(bytes.len().saturating_sub(1));
        bump(&c.truncated);
        let mut parts = parts;
        parts.headers.remove(header::CONTENT_LENGTH);
        resp = Response::from_parts(parts, Body::from(bytes.slice(..cut)));
    }
    for (k, v) in zendesk.into_iter().flatten().chain(vendor_headers) {
        set_header(&mut resp, k, v);
    }
    resp
}

/// A Zendesk endpoint's own minute, beside the account's.
#[derive(Clone, Copy)]
enum Own {
    None,
    Incremental,
    SearchExport,
}

impl Limiter {
    fn own(&mut self, own: Own) -> Option<&mut Minute> {
        match own {
            Own::None => None,
            Own::Incremental => Some(&mut self.incremental),
            Own::SearchExport => Some(&mut self.search_export),
        }
    }
}

/// Zendesk's account-wide minute and the endpoint's own, if any (the incremental exports',
/// the search export's): the headers of the answer (see [`limits`]), or a 429 when a window
/// is full. With the limits off nothing is counted and the headers say the window is all
/// but untouched.
#[allow(clippy::result_large_err)]
fn zendesk_limits(
    shared: &Shared,
    own: Own,
    list: bool,
) -> Result<Vec<(&'static str, String)>, Response> {
    let mut l = shared.limiter.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    l.global.roll(now);
    if let Some(m) = l.own(own) {
        m.roll(now);
    }
    let limit = l.global.limit();
    let reset = l.global.reset_secs(now);
    if !shared.limits.enabled {
        return Ok(zendesk_headers(limit, limit.saturating_sub(1), reset, list));
    }
    let full = if !l.global.has_room() {
        Some(l.global.retry_after(now))
    } else {
        l.own(own)
            .filter(|m| !m.has_room())
            .map(|m| m.retry_after(now))
    };
    if let Some(after) = full {
        let headers = zendesk_headers(limit, l.global.remaining(), reset, list);
        drop(l);
        bump(&shared.counters.rate_limited);
        let mut resp = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded"})),
        )
            .into_response();
        set_header(&mut resp, "retry-after", after.to_string());
        for (k, v) in headers {
            set_header(&mut resp, k, v);
        }
        return Err(resp);
    }
    l.global.take();
    if let Some(m) = l.own(own) {
        m.take();
    }
    Ok(zendesk_headers(limit, l.global.remaining(), reset, list))
}

/// Percent-encodes a query value: everything but RFC 3986's unreserved characters (the
/// simulator's next-page links).
fn percent_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn json_response<T: Serialize>(body: &T, repeat: Option<Repeat>) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut resp = Response::new(Body::from(bytes));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            if let Some(r) = repeat {
                resp.extensions_mut().insert(r);
            }
            resp
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "serialization",
        ),
    }
}
