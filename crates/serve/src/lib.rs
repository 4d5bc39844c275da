//! deskpulse-serve: `deskpulse serve`, a read-only web dashboard for managers, a JSON API for
//! other tools and Prometheus metrics for operators.
//!
//! * Pages (askama, server-rendered, no script): `/` every team's last complete week;
//!   `/teams/{team}?period=2026-W46[&trend=52]` everything the digest shows and the full KPI
//!   table, by channel and by day, the per-agent table, reviews, social and costs, each
//!   headline KPI's trend as inline SVG; `/teams/{team}/agents/{agent}?period=…` one agent.
//! * `/api/teams` (the list), `/api/teams/{team}/report?period=…` (exactly what
//!   `deskpulse report --format json` prints).
//! * `/metrics` (Prometheus text format; [`metrics`](crate::telemetry) module docs say what
//!   is read from storage and what this process counts), `/healthz` (200 when the database
//!   answers).
//!
//! The numbers come from a [`Reports`] the caller supplies — the CLI's, which is the report
//! path of `deskpulse report` — kept per `(team, period)` until the data changes
//! ([`CacheSettings`]). This crate computes no KPI and judges nothing.
//!
//! **Safe by default** ([`ServeSettings::check`]): loopback unless `[serve] auth` is set
//! ([`Auth`]: a bearer token, or a user with an Argon2 hash); a strict Content-Security-
//! Policy ([`CSP`]) on every response; every untrusted string (team, agent and source names,
//! review texts, errors) escaped by askama or by the SVG writer; errors scrubbed of the
//! configured secrets before they are shown; only `GET`.

mod agent;
mod auth;
mod cache;
mod freshness;
mod kpis;
mod metrics;
mod pages;
mod routes;
mod settings;
mod source;
mod svg;
pub mod telemetry;
mod views;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deskpulse_model::PeriodSpec;
use deskpulse_storage::Store;

pub use cache::CacheSettings;
pub use metrics::CONTENT_TYPE as METRICS_CONTENT_TYPE;
pub use routes::CSP;
pub use settings::{
    Auth, DEFAULT_LISTEN, MIN_TOKEN_CHARS, ServeError, ServeSettings, hash_password,
};
pub use source::{ReportError, Reports, TeamInfo, TeamReport};
pub use telemetry::{DeliveryOutcome, StreamResult, telemetry};

/// How the server runs, besides where it listens.
#[derive(Clone)]
pub struct Options {
    /// Masks every configured secret in a text (errors shown on pages and in `/metrics`).
    pub scrub: Arc<dyn Fn(&str) -> String + Send + Sync>,
    /// "Now", for the default period (the last complete week in each team's zone).
    pub clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    pub cache: CacheSettings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scrub: Arc::new(str::to_owned),
            clock: Arc::new(Utc::now),
            cache: CacheSettings::default(),
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// The application: its routes over `store` and `reports`, for a listener of the caller's
/// (tests and the benchmark serve it on their own). Warms the report cache when it runs in
/// a tokio runtime.
pub fn app(
    store: Store,
    reports: Arc<dyn Reports>,
    auth: Option<Auth>,
    options: Options,
) -> axum::Router {
    let clock = options.clock.clone();
    let default_period =
        Arc::new(move |t: &TeamInfo| PeriodSpec::last_complete_week(clock(), t.timezone));
    let cache = cache::ReportCache::new(reports, options.cache.clone(), default_period);
    if tokio::runtime::Handle::try_current().is_ok() {
        cache.warm();
    }
    routes::router(routes::AppState {
        store,
        cache,
        auth: Arc::new(auth::Authenticator::new(auth)),
        scrub: options.scrub,
        clock: options.clock,
    })
}

/// A bound server, ready to run.
pub struct Server {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    app: axum::Router,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Checks the settings ([`ServeSettings::check`]) and binds the address.
    pub async fn bind(
        settings: &ServeSettings,
        store: Store,
        reports: Arc<dyn Reports>,
        options: Options,
    ) -> Result<Server, ServeError> {
        settings.check()?;
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|e| ServeError::Bind {
                listen: settings.listen,
                detail: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| ServeError::Bind {
            listen: settings.listen,
            detail: e.to_string(),
        })?;
        Ok(Server {
            listener,
            addr,
            app: app(store, reports, settings.auth.clone(), options),
        })
    }

    /// The address it listens on (the port chosen when `listen` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        axum::serve(self.listener, self.app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| ServeError::Io(e.to_string()))
    }
}
