//! Throwaway databases for tests, here and in other crates (feature `testing`).
//!
//! SQLite always runs. Postgres runs when `DESKPULSE_TEST_POSTGRES_URL` points at a server
//! (`postgres://postgres@127.0.0.1:5432/test`): each `TestDb` gets its own uniquely named
//! database there, dropped by [`TestDb::cleanup`] or, failing that, on drop.
#![allow(clippy::print_stderr)]

use crate::Store;
use deskpulse_connector::KpiLimit;
use deskpulse_metrics::{KpiReport, SourceLimit, TeamConfig, compute_report};
use deskpulse_model::PeriodSpec;
use sqlx::Connection;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable that enables the Postgres half of the test suites.
pub const POSTGRES_URL_VAR: &str = "DESKPULSE_TEST_POSTGRES_URL";

/// A database that lives as long as this value.
pub struct TestDb {
    url: String,
    kind: Kind,
}

enum Kind {
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
        dropped: bool,
    },
}

impl TestDb {
    /// A fresh SQLite file in a temporary directory (removed on drop).
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("create a temporary directory for a test database");
        let url = format!("sqlite://{}", dir.path().join("deskpulse.db").display());
        TestDb {
            url,
            kind: Kind::Sqlite { _dir: dir },
        }
    }

    /// A fresh, empty Postgres database, or `None` (with a note on stderr) when
    /// `DESKPULSE_TEST_POSTGRES_URL` is unset.
    ///
    /// # Panics
    /// When the variable is set but the server cannot be reached or the database cannot be
    /// created: a configured Postgres run must never pass by skipping silently.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!(
                "SKIPPED: Postgres tests need {POSTGRES_URL_VAR}=postgres://user@host:port/db"
            );
            return None;
        };
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "deskpulse_test_{}_{}_{}",
            std::process::id(),
            nanos,
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let masked = crate::error::mask_url(&admin_url);
        let mut url = url::Url::parse(&admin_url)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={masked} is not a URL: {e}"));
        url.set_path(&name);
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "{POSTGRES_URL_VAR}={masked} is set but the server cannot be reached: {}",
                    crate::error::scrub(&admin_url, &e.to_string())
                )
            });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name} on {masked}: {e}"));
        let _ = conn.close().await;
        Some(TestDb {
            url: url.to_string(),
            kind: Kind::Postgres {
                admin_url,
                name,
                dropped: false,
            },
        })
    }

    /// The URL to hand to [`Store::open`] (or to a config file).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens the database, migrating it.
    ///
    /// # Panics
    /// When it cannot be opened.
    pub async fn open(&self) -> Store {
        Store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("open test database: {e}"))
    }

    /// Drops the Postgres database (closing the connections still open on it); for SQLite,
    /// the same as dropping the value.
    pub async fn cleanup(mut self) {
        if let Kind::Postgres {
            admin_url,
            name,
            dropped,
        } = &mut self.kind
        {
            drop_database(admin_url, name).await;
            *dropped = true;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Kind::Postgres {
            admin_url,
            name,
            dropped: false,
        } = &self.kind
        {
            // Best effort from a thread of its own: Drop cannot await, and it may run inside
            // a runtime that must not be blocked on.
            let (admin_url, name) = (admin_url.clone(), name.clone());
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_database(&admin_url, &name));
                }
            })
            .join();
        }
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    let result = async {
        let mut conn = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await?;
        conn.close().await
    }
    .await;
    if let Err(e) = result {
        eprintln!(
            "warning: could not drop test database {name}: {}",
            crate::error::scrub(admin_url, &e.to_string())
        );
    }
}

/// The report of `period` (an ISO week `2026-W46` or a month `2026-11`, in UTC) over the
/// records of `source`, for a team with default settings, with the KPIs the connector
/// declares it cannot support (`limits`) handed on as the CLI hands them: the last step of a
/// connector's golden test (sync → store → report).
pub async fn period_report(
    store: &Store,
    source: &str,
    period: &str,
    limits: &[KpiLimit],
) -> KpiReport {
    let period = period
        .parse::<PeriodSpec>()
        .unwrap_or_else(|e| panic!("{period:?} is no period: {e}"))
        .in_zone(chrono_tz::UTC);
    let mut input = store
        .load_report_input(&[source.to_owned()], period.start, period.end)
        .await
        .unwrap_or_else(|e| panic!("the report input of {source} loads: {e}"));
    input.limits = limits
        .iter()
        .map(|l| SourceLimit {
            source: source.into(),
            kpi: l.kpi.into(),
            reason: l.reason.into(),
        })
        .collect();
    let team = TeamConfig {
        name: "support".into(),
        ..Default::default()
    };
    compute_report(&team, &period, &input)
}
