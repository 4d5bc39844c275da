//! The server over real HTTP on loopback, on a real SQLite file and (when
//! `DESKPULSE_TEST_POSTGRES_URL` is set) a real Postgres: authentication, `/healthz`,
//! `/metrics` read back with a Prometheus parser, the pages' escaping and headers, the
//! report cache. The CLI's report path and a browser are exercised by the end-to-end tests
//! (`tests/e2e/dashboard.rs`).

mod harness;
mod http;
mod metrics;
mod pages;
