//! End-to-end tests: the real `deskpulse` binary against wiremock fakes of the vendor APIs,
//! on a real SQLite file and (when `DESKPULSE_TEST_POSTGRES_URL` is set) a real Postgres.
//! One test binary, modules per scenario (linking once keeps the suite fast).

mod bounded;
mod chaos;
mod check;
mod config_errors;
mod crash;
mod credentials;
mod daemon;
mod dashboard;
mod demo;
mod digest;
mod forget;
mod golden;
mod gorgias_csat;
mod harness;
mod helpscout_fidelity;
mod import;
mod intercom_fidelity;
mod reconcile;
mod reviews;
mod secrets;
mod serve;
mod teams;
mod trust;
mod window;
mod zendesk_fidelity;
mod zendesk_week;
