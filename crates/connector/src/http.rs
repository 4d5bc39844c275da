//! The one HTTP client every connector uses: auth, timeouts, retries with exponential
//! backoff and jitter, `Retry-After`, a client-side rate limiter per endpoint group, and a
//! `tracing` span per request that never records credentials.
//!
//! Paths and "next" URLs are always resolved onto the configured `base_url` (see
//! [`HttpClient::rebase`]), so a connector pointed at a mock or a proxy never reaches the
//! vendor's production host.
//!
//! Hostile servers are expected:
//! - every error the client makes and every log line it writes passes through its
//!   [`Scrubber`], which knows the client's credential in every form a server may echo
//!   (see [`crate::Scrubber`]); error bodies are read up to 64 KiB, scrubbed, stripped of
//!   control characters and cut to 300 characters;
//! - a response body is read as a stream up to a cap ([`DEFAULT_MAX_BODY_BYTES`], see
//!   [`HttpClient::with_max_body_bytes`]), never whole: a larger one is
//!   [`ConnectorError::Malformed`] naming the endpoint and the cap;
//! - a page request ([`HttpClient::get_page_json`], [`HttpClient::post_page_json`]) made
//!   twice in one [`StreamRun`] is a paging loop, refused before it is sent.

pub use crate::auth::Auth;
use crate::auth::TokenAuth;
use crate::bounds::StreamRun;
use crate::clock::Clock;
#[cfg(test)]
use crate::ratelimit::server_wait;
use crate::ratelimit::{RateBudget, RateBudgets};
use crate::scrub::Scrubber;
use crate::{ConnectorError, Secret};
use backon::{BackoffBuilder, ExponentialBuilder};
use base64::Engine as _;
#[cfg(test)]
use governor::DefaultDirectRateLimiter;
pub use reqwest::header::HeaderMap;
use reqwest::header::{self, HeaderValue};
use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;
use std::fmt;
#[cfg(test)]
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;
use url::Url;

/// The default cap on one response body: far above any documented page (Zendesk's
/// 1000-ticket export pages with side-loads are a few MB), far below what hurts.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// How much of an error body is read: enough for any vendor's explanation.
const ERROR_BODY_READ: usize = 64 * 1024;

/// How much of an error body goes into an error message.
const ERROR_EXCERPT_CHARS: usize = 300;

/// How often and how long to retry transient failures (5xx, 429, connection errors,
/// timeouts, bodies cut short).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first one included (at least 1).
    pub max_attempts: u32,
    /// First backoff delay; it doubles on each retry, with jitter.
    pub base_delay: Duration,
    /// Ceiling of one backoff delay.
    pub max_delay: Duration,
    /// Ceiling of a wait the server asks for (`Retry-After` and friends), so a bogus header
    /// cannot park a sync for hours.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Everything the client needs; connectors build it from their own settings.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// Scheme, host, port and an optional path prefix (`http://127.0.0.1:8080/zendesk`).
    pub base_url: Url,
    pub auth: Auth,
    /// Per request, body included.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub user_agent: String,
    /// Headers every request carries besides auth (an API version pin such as
    /// `Intercom-Version: 2.11`). Never put credentials here: they are not redacted.
    pub headers: Vec<(&'static str, String)>,
}

impl HttpSettings {
    /// Settings with a 60 s timeout, the default retry policy and the SDK's user agent.
    pub fn new(base_url: Url, auth: Auth) -> Self {
        Self {
            base_url,
            auth,
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            user_agent: concat!("deskpulse/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
        }
    }
}

/// A parsed answer and the response's headers (a `Link` header, rate-limit headers).
#[derive(Debug)]
pub struct PageResponse<T> {
    pub body: T,
    pub headers: HeaderMap,
}

/// A client bound to one `base_url`. Cheap to clone; clones share the rate budgets, the
/// token cache and the scrubber (a secret one clone learns, every clone scrubs).
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    base_url: Url,
    retry: RetryPolicy,
    budgets: RateBudgets,
    scrubber: Scrubber,
    max_body_bytes: u64,
    clock: Clock,
    user_agent: String,
    /// An API key sent in every request's query (`Auth::Query`).
    query_auth: Option<(String, Secret)>,
    /// A token obtained at run time (`Auth::Token`).
    token: Option<TokenAuth>,
    /// An `Authorization` value set after construction (a token request's Basic client
    /// authentication).
    authorization: Option<HeaderValue>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("base_url", &self.base_url.as_str())
            .field("retry", &self.retry)
            .field("rate_budgets", &self.budgets)
            .field("token", &self.token)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("scrubber", &self.scrubber)
            .finish_non_exhaustive()
    }
}

/// Why a body did not become the type asked for.
enum Undecoded {
    Json(serde_json::Error),
    /// The blocking pool refused the work: the runtime is shutting down.
    Cancelled,
}

/// Parses a body on the blocking pool, not on the async thread: a page of a thousand records
/// is milliseconds of CPU, and on the thread that drives the sync it would hold back the
/// previous page's commit, which the runner overlaps with reading the next page.
async fn decode<T: DeserializeOwned + Send + 'static>(body: Vec<u8>) -> Result<T, Undecoded> {
    match tokio::task::spawn_blocking(move || serde_json::from_slice::<T>(&body)).await {
        Ok(parsed) => parsed.map_err(Undecoded::Json),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Undecoded::Cancelled),
    }
}

impl HttpClient {
    pub fn new(settings: HttpSettings) -> Result<Self, ConnectorError> {
        let base = &settings.base_url;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(ConnectorError::Settings(format!(
                "`base_url` must be an http(s) URL with a host, got scheme `{}`",
                base.scheme()
            )));
        }
        if !base.username().is_empty() || base.password().is_some() {
            // Credentials in a URL end up in logs and error messages sooner or later.
            return Err(ConnectorError::Settings(
                "`base_url` must not contain a user name or password: use the connector's credential settings"
                    .into(),
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(ConnectorError::Settings(
                "`base_url` must not have a query string or fragment".into(),
            ));
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        for (name, value) in &settings.headers {
            let name = header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ConnectorError::Settings(format!("`{name}` is not a valid HTTP header name"))
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                ConnectorError::Settings(format!(
                    "header `{name}` has a value that is not valid in HTTP"
                ))
            })?;
            headers.insert(name, value);
        }
        if let Some(value) = auth_header(&settings.auth)? {
            headers.insert(header::AUTHORIZATION, value);
        }
        let scrubber = Scrubber::new();
        let mut query_auth = None;
        let mut token = None;
        match &settings.auth {
            Auth::None => {}
            Auth::Basic { username, password } => scrubber.add_basic(username, password.expose()),
            Auth::Bearer(token) => scrubber.add_secret(token.expose()),
            Auth::Header { name, value } => {
                scrubber.add_secret(value.expose());
                let name = header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    ConnectorError::Settings(format!("`{name}` is not a valid HTTP header name"))
                })?;
                let mut v = HeaderValue::from_str(value.expose().trim()).map_err(|_| {
                    ConnectorError::Settings(
                        "the API key contains characters not allowed in an HTTP header".into(),
                    )
                })?;
                v.set_sensitive(true);
                headers.insert(name, v);
            }
            Auth::Query { name, value } => {
                scrubber.mark_param(name);
                scrubber.add_secret(value.expose());
                query_auth = Some((name.clone(), value.clone()));
            }
            Auth::Token(t) => {
                t.register(&scrubber);
                token = Some(t.clone());
            }
        }
        let inner = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(settings.user_agent.clone())
            .timeout(settings.timeout)
            // Redirects could carry the Authorization header elsewhere; vendors APIs don't need them.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConnectorError::Settings(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner,
            base_url: settings.base_url,
            retry: normalize(settings.retry),
            budgets: RateBudgets::new(),
            scrubber,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            clock: Clock::system(),
            user_agent: settings.user_agent,
            query_auth,
            token,
            authorization: None,
        })
    }

    /// Draws on `budgets` (the source's, shared by every client it makes) instead of this
    /// client's own: see [`RateBudgets`].
    pub fn with_budgets(mut self, budgets: RateBudgets) -> Self {
        self.budgets = budgets;
        self
    }

    /// Adds (or replaces) the group `group` with `budget` (`None` = unlimited), in this
    /// client's budgets (clones made before do not see it; a [`RateBudgets`] shared with
    /// [`HttpClient::with_budgets`] is the way to share a group).
    pub fn with_rate_budget(mut self, group: &str, budget: Option<RateBudget>) -> Self {
        self.budgets = self.budgets.with(group, budget);
        self
    }

    /// The rate budgets this client draws on.
    pub fn budgets(&self) -> &RateBudgets {
        &self.budgets
    }

    /// Replaces the clock (a server's `Retry-After` date, a token's expiry; tests pin it).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Shares `scrubber` (a token client reports with its main client's secrets).
    pub(crate) fn with_scrubber(mut self, scrubber: Scrubber) -> Self {
        if let Some(t) = &self.token {
            t.register(&scrubber);
        }
        self.scrubber = scrubber;
        self
    }

    /// Sends `authorization` as the `Authorization` header of every request (marked
    /// sensitive, scrubbed).
    pub(crate) fn with_authorization(
        mut self,
        authorization: Secret,
    ) -> Result<Self, ConnectorError> {
        self.scrubber.add_secret(authorization.expose());
        let mut v = HeaderValue::from_str(authorization.expose()).map_err(|_| {
            ConnectorError::Settings(
                "the credentials contain characters not allowed in an HTTP header".into(),
            )
        })?;
        v.set_sensitive(true);
        self.authorization = Some(v);
        Ok(self)
    }

    /// Adds (or replaces) the rate-limit group `group`: at most `requests_per_minute`
    /// requests a minute across every clone of this client (0 = unlimited). Requests in a
    /// group that was never added share the `"default"` group if there is one, else run
    /// unlimited.
    ///
    /// Requests are spaced evenly (a burst of one): a vendor's bucket may hold fewer than a
    /// minute's worth of requests, and a full-minute burst would earn a 429 that our own pace
    /// caused. Even spacing reaches the vendor's rate exactly, so a long sync still takes the
    /// theoretical minimum (requests ÷ allowed per minute).
    pub fn with_rate_limit(self, group: &'static str, requests_per_minute: u32) -> Self {
        self.with_rate_budget(group, RateBudget::per_minute(requests_per_minute))
    }

    /// Replaces the retry policy (tests shrink the delays).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = normalize(retry);
        self
    }

    /// The cap on one response body, in bytes (default [`DEFAULT_MAX_BODY_BYTES`]; at least
    /// 1). A longer body is not read: the request fails with [`ConnectorError::Malformed`].
    pub fn with_max_body_bytes(mut self, max: u64) -> Self {
        self.max_body_bytes = max.max(1);
        self
    }

    /// Another secret to scrub from every error and log line, besides the `auth` credential
    /// (a client secret sent in a token request's body, a key sent in a query).
    pub fn with_secret(self, secret: &Secret) -> Self {
        self.scrubber.add_secret(secret.expose());
        self
    }

    /// Marks a query or JSON-body parameter as secret (Google's `key`, OAuth's
    /// `client_secret`): every value sent under that name is scrubbed from errors and logs,
    /// and so is its value in any URL of such a text.
    pub fn with_secret_param(self, name: &str) -> Self {
        self.scrubber.mark_param(name);
        self
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The `User-Agent` every request sends.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    pub fn max_body_bytes(&self) -> u64 {
        self.max_body_bytes
    }

    /// This client's scrubber (shared by its clones).
    pub fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// `text` without any secret this client knows: for a text a connector builds from a
    /// vendor's answer (a serde message quoting a body, a next-page URL) before it goes into
    /// an error or a log line. Errors of the client itself are scrubbed already.
    pub fn scrub(&self, text: &str) -> String {
        self.scrubber.scrub(text)
    }

    /// `err` with every text field scrubbed (see [`HttpClient::scrub`]).
    pub fn scrub_error(&self, err: ConnectorError) -> ConnectorError {
        err.scrubbed(&self.scrubber)
    }

    /// Moves a vendor's absolute "next" URL onto the configured `base_url`, keeping its path
    /// and query.
    ///
    /// The rule for the path: the base URL's path prefix is kept, and the vendor path is
    /// appended after it, except for the longest run of leading vendor segments that the
    /// prefix already ends with, which is not repeated. So with the vendor path
    /// `/api/v2/tickets.json`:
    /// base `http://h` → `http://h/api/v2/tickets.json`;
    /// base `http://h/zendesk` → `http://h/zendesk/api/v2/tickets.json`;
    /// base `http://h/zendesk/api/v2/` → `http://h/zendesk/api/v2/tickets.json` (not doubled).
    pub fn rebase(&self, absolute_next_url: &str) -> Result<Url, ConnectorError> {
        self.rebase_unscrubbed(absolute_next_url)
            .map_err(|e| self.scrub_error(e))
    }

    fn rebase_unscrubbed(&self, absolute_next_url: &str) -> Result<Url, ConnectorError> {
        let vendor = Url::parse(absolute_next_url).map_err(|e| ConnectorError::Malformed {
            endpoint: self.base_url.path().to_owned(),
            detail: format!("the next-page link is not a URL: {e}"),
        })?;
        let mut url = self.base_url.clone();
        url.set_path(&join_paths(self.base_url.path(), vendor.path()));
        url.set_query(vendor.query());
        Ok(url)
    }

    /// Resolves `path_or_url` (a path under `base_url`, with the same prefix rule as
    /// [`HttpClient::rebase`], or an absolute URL on the base URL's origin).
    pub fn resolve(&self, path_or_url: &str) -> Result<Url, ConnectorError> {
        self.resolve_unscrubbed(path_or_url)
            .map_err(|e| self.scrub_error(e))
    }

    fn resolve_unscrubbed(&self, path_or_url: &str) -> Result<Url, ConnectorError> {
        if path_or_url.contains("://") {
            let url = Url::parse(path_or_url).map_err(|e| ConnectorError::Malformed {
                endpoint: self.base_url.path().to_owned(),
                detail: format!("not a URL: {e}"),
            })?;
            if url.origin() != self.base_url.origin() {
                return Err(ConnectorError::Malformed {
                    endpoint: url.path().to_owned(),
                    detail: "refusing a URL outside the configured `base_url` (rebase it first)"
                        .into(),
                });
            }
            return Ok(url);
        }
        let (path, query) = match path_or_url.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_or_url, None),
        };
        let mut url = self.base_url.clone();
        url.set_path(&join_paths(self.base_url.path(), path));
        url.set_query(query);
        Ok(url)
    }

    /// GETs a JSON document, waiting for the group's rate limiter and retrying transient
    /// failures. A body that does not parse as `T` is [`ConnectorError::Malformed`].
    pub async fn get_json<T: DeserializeOwned + Send + 'static>(
        &self,
        group: &str,
        path_or_url: &str,
        query: &[(&str, String)],
    ) -> Result<T, ConnectorError> {
        let url = self.request_url(path_or_url, query)?;
        Ok(self.fetch_parsed(group, &Req::get(), &url).await?.body)
    }

    /// [`HttpClient::get_json`] with the response's headers.
    pub async fn get_json_with_headers<T: DeserializeOwned + Send + 'static>(
        &self,
        group: &str,
        path_or_url: &str,
        query: &[(&str, String)],
    ) -> Result<PageResponse<T>, ConnectorError> {
        let url = self.request_url(path_or_url, query)?;
        self.fetch_parsed(group, &Req::get(), &url).await
    }

    /// [`HttpClient::get_page_json`] with the response's headers (a `Link` header names
    /// the next page).
    pub async fn get_page_json_with_headers<T: DeserializeOwned + Send + 'static>(
        &self,
        group: &str,
        path_or_url: &str,
        query: &[(&str, String)],
    ) -> Result<PageResponse<T>, ConnectorError> {
        let url = self.request_url(path_or_url, query)?;
        self.fetch_page(group, &Req::get(), &url).await
    }

    /// [`HttpClient::get_json`] for a request that reads a *page of the stream* (a list or
    /// export page, not a per-record lookup): inside a [`StreamRun`] (the runner opens one
    /// around every stream), the same URL and query answered once already in this run is a
    /// paging loop, and fails with [`ConnectorError::Malformed`] before it is sent. Retries
    /// inside the client, and a request made again after it failed, are not loops. Outside a
    /// run it is `get_json`.
    ///
    /// Use it for the requests whose answer decides the next request; not for per-record
    /// lookups, which a sync may legitimately repeat (a ticket listed on two pages of a
    /// keyset export has its conversations read twice).
    pub async fn get_page_json<T: DeserializeOwned + Send + 'static>(
        &self,
        group: &str,
        path_or_url: &str,
        query: &[(&str, String)],
    ) -> Result<T, ConnectorError> {
        let url = self.request_url(path_or_url, query)?;
        Ok(self.fetch_page(group, &Req::get(), &url).await?.body)
    }

    /// POSTs `body` as JSON to `path_or_url` (resolved like [`HttpClient::resolve`], so an
    /// absolute URL must be on the base URL's origin) and returns the response body, with
    /// the rules of [`HttpClient::get_json`]: the group's rate limiter, a 429 waited out
    /// (`Retry-After`), 5xx, broken connections and timeouts retried with backoff, any other
    /// 4xx an error at once (401/403 as [`ConnectorError::Unauthorized`]).
    ///
    /// The target is logged and reported by its **host only**, never its path or query:
    /// POST targets such as Slack incoming webhooks are capability URLs whose path is the
    /// secret. Build the client on the URL's origin and pass the full URL here.
    ///
    /// A request retried after a 5xx or a broken connection may reach the receiver twice:
    /// post only what tolerates that.
    pub async fn post_json<B: serde::Serialize + ?Sized>(
        &self,
        group: &str,
        path_or_url: &str,
        body: &B,
    ) -> Result<Vec<u8>, ConnectorError> {
        let mut url = self.resolve(path_or_url)?;
        self.with_query_auth(&mut url);
        let body = self.request_body(body)?;
        let req = Req::post(&body, true);
        let endpoint = self.scrub(&req.endpoint(&url));
        Ok(self.send(group, &req, &url, &endpoint).await?.1)
    }

    /// POSTs a form (`application/x-www-form-urlencoded`) and returns the response body,
    /// with the rules of [`HttpClient::post_json`] but naming the path (a token endpoint is
    /// no capability URL). Every value of a parameter marked secret is learned first.
    pub async fn post_form(
        &self,
        group: &str,
        path_or_url: &str,
        form: &[(&str, &str)],
    ) -> Result<Vec<u8>, ConnectorError> {
        let mut url = self.resolve(path_or_url)?;
        self.with_query_auth(&mut url);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish()
            .into_bytes();
        if self.scrubber.has_params()
            && let Ok(mut learn) = Url::parse("http://form.invalid/")
        {
            learn.query_pairs_mut().extend_pairs(form.iter());
            self.scrubber.learn_query(&learn);
        }
        let req = Req::form(&body);
        let endpoint = self.scrub(&req.endpoint(&url));
        Ok(self.send(group, &req, &url, &endpoint).await?.1)
    }

    /// POSTs `body` as JSON and returns the raw answer, naming the path (a token endpoint).
    pub(crate) async fn post_page_bytes<B: serde::Serialize + ?Sized>(
        &self,
        group: &str,
        path_or_url: &str,
        body: &B,
    ) -> Result<Vec<u8>, ConnectorError> {
        let mut url = self.resolve(path_or_url)?;
        self.with_query_auth(&mut url);
        let body = self.request_body(body)?;
        let req = Req::post(&body, false);
        let endpoint = self.scrub(&req.endpoint(&url));
        Ok(self.send(group, &req, &url, &endpoint).await?.1)
    }

    /// POSTs `body` as JSON and parses the answer as `T`, for an API that pages in the
    /// request body (a search with `starting_after`): the rules of
    /// [`HttpClient::get_page_json`] (an unreadable body fetched again, wrong JSON
    /// `Malformed` at once, the same URL and body answered once already in this
    /// [`StreamRun`] a paging loop). Unlike [`HttpClient::post_json`], errors and logs name
    /// the path: an API's search endpoint is no capability URL.
    pub async fn post_page_json<
        T: DeserializeOwned + Send + 'static,
        B: serde::Serialize + ?Sized,
    >(
        &self,
        group: &str,
        path_or_url: &str,
        body: &B,
    ) -> Result<T, ConnectorError> {
        Ok(self
            .post_page_json_with_headers(group, path_or_url, body)
            .await?
            .body)
    }

    /// [`HttpClient::post_page_json`] with the response's headers.
    pub async fn post_page_json_with_headers<
        T: DeserializeOwned + Send + 'static,
        B: serde::Serialize + ?Sized,
    >(
        &self,
        group: &str,
        path_or_url: &str,
        body: &B,
    ) -> Result<PageResponse<T>, ConnectorError> {
        let mut url = self.resolve(path_or_url)?;
        self.with_query_auth(&mut url);
        let body = self.request_body(body)?;
        self.fetch_page(group, &Req::post(&body, false), &url).await
    }

    /// The URL of a request: resolved, `query` appended, secret parameters learned.
    fn request_url(
        &self,
        path_or_url: &str,
        query: &[(&str, String)],
    ) -> Result<Url, ConnectorError> {
        let mut url = self.resolve(path_or_url)?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        self.with_query_auth(&mut url);
        self.scrubber.learn_query(&url);
        Ok(url)
    }

    /// `url`'s path and query as a checkpoint may store them: without the `Auth::Query` key
    /// (added again to every request), and without the scheme and host (a resumed read
    /// goes to whatever `base_url` is configured then).
    pub fn stored_path(&self, url: &Url) -> String {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| {
                self.query_auth
                    .as_ref()
                    .is_none_or(|(name, _)| k != name.as_str())
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if pairs.is_empty() {
            return url.path().to_owned();
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .finish();
        format!("{}?{query}", url.path())
    }

    /// Puts the `Auth::Query` key into `url`'s query, once (a next-page URL may carry it
    /// already).
    fn with_query_auth(&self, url: &mut Url) {
        let Some((name, value)) = &self.query_auth else {
            return;
        };
        let others: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != name.as_str())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut pairs = url.query_pairs_mut();
        pairs.clear();
        for (k, v) in &others {
            pairs.append_pair(k, v);
        }
        pairs.append_pair(name, value.expose());
    }

    /// A JSON request body, its secret parameters learned.
    fn request_body<B: serde::Serialize + ?Sized>(
        &self,
        body: &B,
    ) -> Result<Vec<u8>, ConnectorError> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            ConnectorError::Settings(format!("cannot serialize the request body: {e}"))
        })?;
        if self.scrubber.has_params()
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
        {
            self.scrubber.learn_json(&v);
        }
        Ok(bytes)
    }

    /// A page request: refused when this run had it answered already, remembered once it
    /// is (a failed request may be made again).
    async fn fetch_page<T: DeserializeOwned + Send + 'static>(
        &self,
        group: &str,
        req: &Req<'_>,
        url: &Url,
    ) -> Result<PageResponse<T>, ConnectorError> {
        let run = StreamRun::current();
        let fingerprint = run
            .as_ref()
            .map(|r| r.fingerprint(req.method, url.as_str(), req.body.unwrap_or_default()));
        if let (Some(run), Some(fp)) = (&run, fingerprint)
            && run.was_made(fp)
        {
            let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
            let query = if names.is_empty() {
                "no query".to_owned()
            } else {
                format!("the same values of {}", names.join(", "))
            };
            let body = if req.body.is_some() {
                " and the same body"
            } else {
                ""
            };
            return Err(self.scrub_error(ConnectorError::Malformed {
                endpoint: url.path().to_owned(),
                detail: format!(
                    "{} {} with {query}{body} was already answered in this run of stream `{}` of source `{}`: the API's \
                     paging leads back to a page it gave; stopped before asking again, nothing past the last good page \
                     is committed",
                    req.method,
                    url.path(),
                    run.stream(),
                    run.source()
                ),
            }));
        }
        let parsed = self.fetch_parsed(group, req, url).await?;
        if let (Some(run), Some(fp)) = (run, fingerprint) {
            run.record(fp);
        }
        Ok(parsed)
    }

    /// Sends `req` and parses the answer as `T`.
    ///
    /// A body cut short (a proxy or a server dying mid-answer) is usually gone on the next
    /// try, so unreadable JSON is fetched again like any transient failure. JSON of the
    /// wrong shape is the API's answer, not an accident: that fails at once. Either way a
    /// page that stays broken ends the sync with `Malformed`, never a shortened stream.
    async fn fetch_parsed<T: DeserializeOwned + Send + 'static>(
        &self,
        group: &str,
        req: &Req<'_>,
        url: &Url,
    ) -> Result<PageResponse<T>, ConnectorError> {
        // A path can hold a secret too (a vendor's next link): scrubbed once, here.
        let endpoint = self.scrub(&req.endpoint(url));
        let mut tries = 0u32;
        loop {
            tries += 1;
            let (headers, body) = self.send(group, req, url, &endpoint).await?;
            let err = match decode(body).await {
                Ok(v) => return Ok(PageResponse { body: v, headers }),
                Err(Undecoded::Json(e)) => e,
                Err(Undecoded::Cancelled) => {
                    return Err(self.scrub_error(ConnectorError::Malformed {
                        endpoint,
                        detail: "the page was not parsed: the process is shutting down".into(),
                    }));
                }
            };
            let transient = matches!(
                err.classify(),
                serde_json::error::Category::Eof | serde_json::error::Category::Syntax
            );
            if !transient || tries >= self.retry.max_attempts.max(1) {
                let after = if tries > 1 {
                    format!(" (after {tries} attempts)")
                } else {
                    String::new()
                };
                // serde quotes the body's strings ("invalid type: string \"…\""): scrubbed.
                return Err(self.scrub_error(ConnectorError::Malformed {
                    endpoint,
                    detail: format!("the body is not the JSON expected{after}: {err}"),
                }));
            }
            let wait = self
                .retry
                .base_delay
                .saturating_mul(2u32.saturating_pow(tries - 1))
                .min(self.retry.max_delay);
            let error = self.scrub(&err.to_string());
            tracing::warn!(endpoint = %endpoint, attempt = tries, wait_ms = wait.as_millis() as u64, error = %error, "unreadable body, fetching the page again");
            tokio::time::sleep(wait).await;
        }
    }

    #[cfg(test)]
    fn limiter(&self, group: &str) -> Option<&DefaultDirectRateLimiter> {
        self.budgets.group(group).and_then(|g| g.limiter())
    }

    fn token_context(&self) -> crate::auth::TokenContext {
        TokenAuth::context(&self.clock, &self.retry, &self.scrubber, &self.user_agent)
    }

    /// Sends `req` until it is answered, fails for good, or runs out of attempts. Every
    /// error is scrubbed here, where it is made.
    async fn send(
        &self,
        group: &str,
        req: &Req<'_>,
        url: &Url,
        endpoint: &str,
    ) -> Result<(HeaderMap, Vec<u8>), ConnectorError> {
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(self.retry.base_delay)
            .with_max_delay(self.retry.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build();
        if let Some(run) = StreamRun::current() {
            run.add_scrubber(&self.scrubber);
        }
        let mut attempt = 0u32;
        // The token generation the API refused with a 401, renewed once.
        let mut renewed: Option<u64> = None;
        loop {
            attempt += 1;
            let bearer = match &self.token {
                None => None,
                Some(t) => Some(
                    t.current(&self.token_context(), renewed)
                        .await
                        .map_err(|e| self.scrub_error(e))?,
                ),
            };
            let permit = self.budgets.acquire(group).await;
            let auth = match (&bearer, &self.authorization) {
                (Some((token, _)), _) => Some(bearer_value(token)?),
                (None, a) => a.clone(),
            };
            let (failure, server_wait) =
                match self.attempt(req, url, endpoint, group, attempt, auth).await {
                    Attempt::Done(headers, body) => {
                        self.budgets.observe_answer(
                            group,
                            permit,
                            &headers,
                            self.clock.now(),
                            self.retry.max_retry_after,
                        );
                        return Ok((headers, body));
                    }
                    Attempt::Fatal(ConnectorError::Unauthorized { status: 401, .. })
                        if renewed.is_none() && bearer.is_some() =>
                    {
                        // A token revoked or expired early: one new token, one more try.
                        tracing::info!(
                            endpoint,
                            "the API answered 401: renewing the access token once"
                        );
                        renewed = bearer.map(|(_, generation)| generation);
                        continue;
                    }
                    Attempt::Fatal(mut err) => {
                        // A 4xx after a few 5xx: report every attempt made.
                        if let ConnectorError::Http { attempts, .. } = &mut err {
                            *attempts = attempt;
                        }
                        return Err(self.scrub_error(err));
                    }
                    Attempt::Retry {
                        failure,
                        server_wait,
                    } => (failure, server_wait),
                };
            if attempt >= self.retry.max_attempts {
                return Err(self.scrub_error(failure.into_error(endpoint, attempt)));
            }
            let backoff = delays.next().unwrap_or(self.retry.max_delay);
            let wait = retry_wait(server_wait, backoff, &self.retry);
            if server_wait.is_some() {
                // The server's word holds for the whole group, not only for this request:
                // a request of another stream (or the next page, read ahead) waits too.
                self.budgets.pause(group, wait);
            }
            let reason = self.scrub(&failure.reason());
            if req.host_only {
                tracing::warn!(
                    host = endpoint,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    reason = %reason,
                    "POST failed; retrying"
                );
            } else {
                tracing::warn!(
                    endpoint,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    reason = %reason,
                    "request failed; retrying"
                );
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        req: &Req<'_>,
        url: &Url,
        endpoint: &str,
        group: &str,
        attempt: u32,
        authorization: Option<HeaderValue>,
    ) -> Attempt {
        let span = if req.host_only {
            tracing::debug_span!(
                "http_request",
                method = req.method,
                host = endpoint,
                group,
                attempt,
                status = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            )
        } else {
            tracing::debug_span!(
                "http_request",
                method = req.method,
                path = endpoint,
                group,
                attempt,
                status = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            )
        };
        let recorder = span.clone();
        async move {
            let started = Instant::now();
            let mut request = match req.body {
                None => self.inner.get(url.clone()),
                Some(body) => self
                    .inner
                    .post(url.clone())
                    .header(header::CONTENT_TYPE, req.content_type)
                    .body(body.to_vec()),
            };
            if let Some(a) = authorization {
                request = request.header(header::AUTHORIZATION, a);
            }
            let outcome = match request.send().await {
                Err(e) => Attempt::Retry {
                    failure: AttemptFailure::Transport(describe(&e)),
                    server_wait: None,
                },
                Ok(resp) => {
                    let status = resp.status();
                    recorder.record("status", status.as_u16());
                    classify(
                        resp,
                        status,
                        endpoint,
                        &self.scrubber,
                        self.max_body_bytes,
                        self.clock.now(),
                    )
                    .await
                }
            };
            recorder.record("duration_ms", started.elapsed().as_millis() as u64);
            tracing::debug!(ok = matches!(outcome, Attempt::Done(..)), "http response");
            outcome
        }
        .instrument(span)
        .await
    }
}

/// One request's shape: a GET, or a POST of a JSON body.
struct Req<'a> {
    method: &'static str,
    body: Option<&'a [u8]>,
    content_type: &'static str,
    /// Name the target by its host only (capability URLs, see [`HttpClient::post_json`]).
    host_only: bool,
}

impl<'a> Req<'a> {
    fn get() -> Self {
        Self {
            method: "GET",
            body: None,
            content_type: "application/json",
            host_only: false,
        }
    }

    fn post(body: &'a [u8], host_only: bool) -> Self {
        Self {
            method: "POST",
            body: Some(body),
            content_type: "application/json",
            host_only,
        }
    }

    fn form(body: &'a [u8]) -> Self {
        Self {
            method: "POST",
            body: Some(body),
            content_type: "application/x-www-form-urlencoded",
            host_only: false,
        }
    }

    /// How errors and logs name the target: its path, or its host.
    fn endpoint(&self, url: &Url) -> String {
        if !self.host_only {
            return url.path().to_owned();
        }
        match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => "(no host)".to_owned(),
        }
    }
}

/// How long to wait before the next attempt: what the server asked for, up to the policy's
/// ceiling, else the backoff.
fn retry_wait(server_wait: Option<Duration>, backoff: Duration, policy: &RetryPolicy) -> Duration {
    match server_wait {
        Some(w) => w.min(policy.max_retry_after),
        None => backoff,
    }
}

enum AttemptFailure {
    Status { status: u16, detail: String },
    Transport(String),
}

impl AttemptFailure {
    fn reason(&self) -> String {
        match self {
            AttemptFailure::Status { status, .. } => format!("HTTP {status}"),
            AttemptFailure::Transport(d) => d.clone(),
        }
    }
    fn into_error(self, endpoint: &str, attempts: u32) -> ConnectorError {
        match self {
            AttemptFailure::Status { status, detail } => ConnectorError::Http {
                status,
                endpoint: endpoint.to_owned(),
                attempts,
                detail,
            },
            AttemptFailure::Transport(detail) => ConnectorError::Transport {
                endpoint: endpoint.to_owned(),
                attempts,
                detail,
            },
        }
    }
}

enum Attempt {
    Done(HeaderMap, Vec<u8>),
    Fatal(ConnectorError),
    Retry {
        failure: AttemptFailure,
        server_wait: Option<Duration>,
    },
}

async fn classify(
    resp: Response,
    status: StatusCode,
    endpoint: &str,
    scrubber: &Scrubber,
    max_body: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> Attempt {
    if status.is_success() {
        let headers = resp.headers().clone();
        return match read_capped(resp, max_body).await {
            Ok(b) => Attempt::Done(headers, b),
            Err(BodyError::TooLarge { declared }) => {
                let size = match declared {
                    Some(n) => format!("it declares {n} bytes"),
                    None => "it went on past that".to_owned(),
                };
                Attempt::Fatal(ConnectorError::Malformed {
                    endpoint: endpoint.to_owned(),
                    detail: format!(
                        "the response body is larger than the cap of {max_body} bytes ({}) on one response ({size}), so it \
                         was not read: ask the API for smaller pages (`page_size`) or raise the source's \
                         `max_body_mb`",
                        human_bytes(max_body)
                    ),
                })
            }
            // The connection broke mid-body (cut short, timed out): try again.
            Err(BodyError::Broken(e)) => Attempt::Retry {
                failure: AttemptFailure::Transport(format!("reading the body: {}", describe(&e))),
                server_wait: None,
            },
        };
    }
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Attempt::Fatal(ConnectorError::Unauthorized {
            status: status.as_u16(),
            endpoint: endpoint.to_owned(),
        });
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        let wait = crate::ratelimit::server_wait(resp.headers(), now);
        let detail = body_excerpt(resp, scrubber).await;
        return Attempt::Retry {
            failure: AttemptFailure::Status {
                status: status.as_u16(),
                detail,
            },
            server_wait: wait,
        };
    }
    let detail = body_excerpt(resp, scrubber).await;
    if status.is_server_error() {
        return Attempt::Retry {
            failure: AttemptFailure::Status {
                status: status.as_u16(),
                detail,
            },
            server_wait: None,
        };
    }
    Attempt::Fatal(ConnectorError::Http {
        status: status.as_u16(),
        endpoint: endpoint.to_owned(),
        attempts: 1,
        detail,
    })
}

enum BodyError {
    TooLarge { declared: Option<u64> },
    Broken(reqwest::Error),
}

/// The whole body, read chunk by chunk and given up past `cap` bytes: a declared length
/// over the cap is refused before reading anything, an undeclared one when the cap is hit.
async fn read_capped(mut resp: Response, cap: u64) -> Result<Vec<u8>, BodyError> {
    let declared = resp.content_length();
    if let Some(n) = declared
        && n > cap
    {
        return Err(BodyError::TooLarge { declared });
    }
    let capacity = declared.unwrap_or(0).min(cap).min(8 * 1024 * 1024) as usize;
    let mut buf = Vec::with_capacity(capacity);
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Broken)? {
        if (buf.len() + chunk.len()) as u64 > cap {
            return Err(BodyError::TooLarge { declared: None });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// The start of an error body, for the error message (vendors explain 4xx there): at most
/// [`ERROR_BODY_READ`] bytes read, scrubbed *before* it is cut (a cut could split a secret
/// past recognition), control characters (a terminal's escape sequences) made spaces,
/// whitespace collapsed, [`ERROR_EXCERPT_CHARS`] characters kept.
async fn body_excerpt(mut resp: Response, scrubber: &Scrubber) -> String {
    let mut buf = Vec::new();
    let mut more = false;
    // A body that breaks off explains what it could.
    while let Ok(Some(chunk)) = resp.chunk().await {
        buf.extend_from_slice(&chunk);
        if buf.len() > ERROR_BODY_READ {
            more = true;
            break;
        }
    }
    excerpt(&buf, more, scrubber)
}

fn excerpt(bytes: &[u8], more: bool, scrubber: &Scrubber) -> String {
    let mut raw = String::from_utf8_lossy(bytes).into_owned();
    if more {
        // The read stopped mid-body: its last bytes may hold the start of a secret, which
        // no scrubbing can recognize. They are far past what is kept anyway.
        let mut keep = raw.len().saturating_sub(scrubber.longest());
        while !raw.is_char_boundary(keep) {
            keep -= 1;
        }
        raw.truncate(keep);
    }
    let scrubbed = scrubber.scrub(&raw);
    let cleaned: String = scrubbed
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let text = words.join(" ");
    let mut out: String = text.chars().take(ERROR_EXCERPT_CHARS).collect();
    if more || out.len() < text.len() {
        out.push('…');
    }
    out
}

fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} B")
    }
}

/// A reqwest error without its URL (which could carry a query we'd rather not log).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the body was cut short"
    } else {
        "request failed"
    };
    let mut detail = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    detail
}

fn auth_header(auth: &Auth) -> Result<Option<HeaderValue>, ConnectorError> {
    let raw = match auth {
        Auth::None => return Ok(None),
        Auth::Basic { username, password } => {
            let creds = format!("{username}:{}", password.expose());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(creds)
            )
        }
        Auth::Bearer(token) => format!("Bearer {}", token.expose()),
        Auth::Header { .. } | Auth::Query { .. } | Auth::Token(_) => return Ok(None),
    };
    let mut value = HeaderValue::from_str(&raw).map_err(|_| {
        ConnectorError::Settings(
            "the credentials contain characters not allowed in an HTTP header".into(),
        )
    })?;
    value.set_sensitive(true);
    Ok(Some(value))
}

/// The pace of [`HttpClient::with_rate_limit`]: `requests_per_minute` spread evenly.
#[cfg(test)]
fn quota(requests_per_minute: u32) -> Option<governor::Quota> {
    RateBudget::per_minute(requests_per_minute).and_then(|b| b.quota())
}

/// `Bearer {token}`, marked sensitive.
fn bearer_value(token: &Secret) -> Result<HeaderValue, ConnectorError> {
    let mut v =
        HeaderValue::from_str(&format!("Bearer {}", token.expose().trim())).map_err(|_| {
            ConnectorError::malformed(
                "the access token",
                "the issuer gave a token with characters not allowed in an HTTP header",
            )
        })?;
    v.set_sensitive(true);
    Ok(v)
}

fn normalize(mut retry: RetryPolicy) -> RetryPolicy {
    retry.max_attempts = retry.max_attempts.max(1);
    retry.max_delay = retry.max_delay.max(retry.base_delay);
    retry
}

/// Joins `prefix` (the base URL's path) and `path` without repeating the segments the
/// prefix already ends with (see [`HttpClient::rebase`]).
fn join_paths(prefix: &str, path: &str) -> String {
    let pre: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    let rel: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let overlap = (1..=pre.len().min(rel.len()))
        .rev()
        .find(|&n| pre[pre.len() - n..] == rel[..n])
        .unwrap_or(0);
    let mut out = String::new();
    for seg in pre.iter().chain(rel[overlap..].iter()) {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() || (path.ends_with('/') && !rel.is_empty()) {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests;
