//! Postgres: for teams that outgrow one machine. Times are TIMESTAMPTZ (microseconds).
//! Everything here is what the Postgres dialect does differently; the SQL both share is in
//! the modules of each concern.

use crate::db::{Dialect, Query, Time};
use crate::{StorageError, Store};
use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{
    PgArgumentBuffer, PgConnectOptions, PgConnection, PgHasArrayType, PgPoolOptions, PgSslMode,
    PgTypeInfo,
};
use sqlx::{Connection, Encode, Postgres, Type};
use std::str::FromStr;
use std::time::Duration;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Stored as `TIMESTAMPTZ`, truncated to whole microseconds up front, exactly as the SQLite
/// backend stores them (read back as `DateTime<Utc>` as it is).
impl Type<Postgres> for Time {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Time {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        use chrono::SubsecRound;
        Encode::<Postgres>::encode(self.0.trunc_subsecs(6), buf)
    }

    fn size_hint(&self) -> usize {
        Encode::<Postgres>::size_hint(&self.0)
    }
}

/// `TIMESTAMPTZ[]`, for the arrays of bulk writes (`db::Bulk`).
impl PgHasArrayType for Time {
    fn array_type_info() -> PgTypeInfo {
        <DateTime<Utc> as PgHasArrayType>::array_type_info()
    }
}

pub(crate) async fn open(url: &str) -> Result<Store, StorageError> {
    let masked = crate::error::mask_url(url);
    let open_err = |e: &dyn std::fmt::Display| StorageError::Open {
        url: masked.clone(),
        reason: crate::error::scrub(url, &e.to_string()),
        hint: "check that the server is running and reachable and that the user, password \
               and database in [database] url exist",
    };
    let opts =
        PgConnectOptions::from_str(&without_unsupported_secrets(url)).map_err(|e| open_err(&e))?;
    let opts = plain_on_loopback(url, std::env::var_os("PGSSLMODE").is_some(), opts);
    // One direct attempt first: the pool would retry a refused connection until its acquire
    // timeout, and a wrong URL should fail at once with the server's own reason.
    let probe = PgConnection::connect_with(&opts)
        .await
        .map_err(|e| open_err(&e))?;
    let _ = probe.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .map_err(|e| open_err(&e))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StorageError::Migrate {
            url: masked.clone(),
            reason: crate::error::scrub(url, &e.to_string()),
        })?;
    let store = Store::Postgres(pool);
    crate::refresh::rebuild_facts_if_needed(&store).await?;
    Ok(store)
}

/// How a pool's connections reach the server, which decides how big a bulk statement may be
/// (`bulk::Bulk`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    /// `sslmode=disable` (a loopback server, see [`plain_on_loopback`]): a message of any
    /// size goes out at once.
    Plain,
    /// TLS, or possibly TLS (`prefer`, `allow`, `require`, `verify-*`).
    Tls,
}

/// The wire of `pool`'s connections.
pub(crate) fn wire(pool: &sqlx::PgPool) -> Wire {
    match pool.connect_options().get_ssl_mode() {
        PgSslMode::Disable => Wire::Plain,
        _ => Wire::Tls,
    }
}

/// Over loopback, TLS protects nothing (the bytes never leave the machine) and costs a
/// handshake on every pooled connection: about 90 ms each with rustls here, 0.35 s of a
/// `deskpulse report` over 1M tickets (BENCHMARKS.md, section 1). The driver's default,
/// `prefer`, negotiates TLS whenever the server offers it, as Debian's does. So unless the URL
/// (`sslmode`) or `PGSSLMODE` asks for a mode, a server on this machine is reached without it;
/// any other host keeps the driver's default.
fn plain_on_loopback(url: &str, env_mode: bool, opts: PgConnectOptions) -> PgConnectOptions {
    let asked = env_mode
        || url::Url::parse(url).is_ok_and(|u| {
            u.query_pairs()
                .any(|(k, _)| k.eq_ignore_ascii_case("sslmode") || k == "ssl-mode")
        });
    let host = opts
        .get_host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback && !asked {
        opts.ssl_mode(PgSslMode::Disable)
    } else {
        opts
    }
}

/// `url` without the credential parameters sqlx does not read (`sslpassword`, `passfile`, a
/// `PASSWORD` in capitals): sqlx would log each as "ignoring unrecognized connect parameter"
/// with its value, at `warn`, so a client key's passphrase would reach the terminal. Each is
/// dropped with a warning that names it and says what to do instead; `password` (which sqlx
/// reads) stays.
fn without_unsupported_secrets(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let unsupported = |k: &str| k != "password" && crate::error::is_secret_param(k);
    if !pairs.iter().any(|(k, _)| unsupported(k)) {
        return url.to_owned();
    }
    for (k, _) in pairs.iter().filter(|(k, _)| unsupported(k)) {
        tracing::warn!(
            parameter = %k,
            "[database] url: the Postgres driver does not support `{k}`, so it is ignored (its \
             value is not shown); give the password as `password=` or in the URL's user info, \
             and use an unencrypted client key"
        );
    }
    let kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| !unsupported(k)).collect();
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        let mut q = parsed.query_pairs_mut();
        q.clear();
        for (k, v) in kept {
            q.append_pair(k, v);
        }
    }
    parsed.to_string()
}

/// Serializes the transactions that refresh a source's facts (two streams of one source, or
/// a sync and a rebuild), so each derives from everything committed before it: a
/// transaction-scoped advisory lock, released at commit or rollback.
pub(crate) fn facts_lock(source: &str) -> Option<Query> {
    Some(
        Query::new(Dialect::Postgres, "SELECT pg_advisory_xact_lock($1)")
            .bind(crate::job_lock_key(&format!("facts:{source}"))),
    )
}

/// The rows of `table` of `source` whose `key` column is one of `ids`: one index probe per
/// id, whatever the statistics say. (An `IN` list of a thousand values on a table never
/// analyzed, as during a first sync with autovacuum off, was planned as a scan of all the
/// source's rows testing each against the list: seconds per batch, growing with the table.)
/// `OFFSET 0` keeps the per-id subquery a subquery: without it Postgres may flatten it into
/// a join, and on a table analyzed while it was smaller (a facts refresh fills `ticket_facts`
/// and `open_spans` as it goes) it chose a hash or merge join over all the source's rows:
/// 573 ms a chunk of 1,000 ids at 1M rows, against 6 ms probing.
pub(crate) fn rows_keyed(
    columns: &str,
    table: &str,
    key: &str,
    source: &str,
    ids: &[String],
) -> Query {
    let mut qb = Query::new(Dialect::Postgres, format!("SELECT {columns} FROM unnest("));
    qb.push_bind_array(ids)
        .push(format!(
            "::text[]) AS k(id), LATERAL (SELECT * FROM {table} WHERE source = "
        ))
        .push_bind(source)
        .push(format!(" AND {key} = k.id OFFSET 0) AS x"));
    qb
}

/// Deletes the rows of `table` of `source` whose `ticket_id` is one of `ids`, found the same
/// way as [`rows_keyed`] (by row address, so the plan cannot turn into a scan).
pub(crate) fn delete_keyed(table: &str, source: &str, ids: &[String]) -> Query {
    let mut qb = Query::new(
        Dialect::Postgres,
        format!("DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT x.ctid FROM unnest("),
    );
    qb.push_bind_array(ids)
        .push(format!(
            "::text[]) AS k(id), LATERAL (SELECT ctid FROM {table} WHERE source = "
        ))
        .push_bind(source)
        .push(" AND ticket_id = k.id OFFSET 0) AS x))");
    qb
}

/// A `messages` row and a `status_changes` row as one JSON array each (times as integer
/// microseconds), in the order `rows::messages_from_json` and `rows::changes_from_json` read.
pub(crate) const MESSAGE_JSON: &str = "json_build_array(x.external_id, x.ticket_id, x.author_kind, x.author_id, x.is_public, (EXTRACT(EPOCH FROM x.created_at) * 1000000)::BIGINT)::TEXT";
pub(crate) const CHANGE_JSON: &str = "json_build_array(x.external_id, x.ticket_id, x.from_status, x.to_status, x.author_kind, x.author_id, (EXTRACT(EPOCH FROM x.changed_at) * 1000000)::BIGINT)::TEXT";

/// A ratings row as one JSON array (times as integer microseconds), in the order
/// `rows::ratings_from_json` reads.
pub(crate) const RATING_JSON: &str = "json_build_array(source, external_id, kind, score, scale_min, scale_max, ticket_id, agent_id, comment, (EXTRACT(EPOCH FROM created_at) * 1000000)::BIGINT, ticket_source)::TEXT";

#[cfg(test)]
mod tests {
    use super::{
        PgConnectOptions, PgSslMode, Wire, plain_on_loopback, wire, without_unsupported_secrets,
    };

    /// Only a connection that never negotiates TLS counts as plain.
    #[tokio::test]
    async fn only_a_disabled_ssl_mode_is_a_plain_wire() {
        for (mode, expected) in [
            (PgSslMode::Disable, Wire::Plain),
            (PgSslMode::Allow, Wire::Tls),
            (PgSslMode::Prefer, Wire::Tls),
            (PgSslMode::Require, Wire::Tls),
            (PgSslMode::VerifyFull, Wire::Tls),
        ] {
            let opts = PgConnectOptions::new().host("127.0.0.1").ssl_mode(mode);
            let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy_with(opts);
            assert_eq!(wire(&pool), expected, "{mode:?}");
        }
    }
    use std::str::FromStr;

    /// TLS is left out only for a server on this machine, and only when nobody asked for a
    /// mode: a remote host, an `sslmode` in the URL or `PGSSLMODE` keep theirs.
    #[test]
    fn tls_is_skipped_on_loopback_unless_a_mode_was_asked_for() {
        let mode = |url: &str, env: bool| {
            let opts = PgConnectOptions::from_str(url).expect("url");
            format!("{:?}", plain_on_loopback(url, env, opts).get_ssl_mode())
        };
        let disable = format!("{:?}", PgSslMode::Disable);
        for url in [
            "postgres://u@127.0.0.1:5432/db",
            "postgres://u@localhost/db",
            "postgres://u@[::1]:5432/db",
            "postgres://u@127.0.0.2/db",
        ] {
            assert_eq!(mode(url, false), disable, "{url}");
            assert_ne!(mode(url, true), disable, "{url} with PGSSLMODE set");
        }
        for url in [
            "postgres://u@db.example.com/db",
            "postgres://u@10.0.0.5/db",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@localhost/db?sslmode=prefer",
        ] {
            assert_ne!(mode(url, false), disable, "{url}");
        }
        assert_eq!(
            mode("postgres://u@127.0.0.1/db?sslmode=require", false),
            format!("{:?}", PgSslMode::Require)
        );
    }
    use crate::Store;

    /// sqlx logs an unrecognized parameter with its value at `warn`: the credential
    /// parameters it does not read are removed before it sees them.
    #[test]
    fn parameters_the_driver_would_log_are_removed() {
        assert_eq!(
            without_unsupported_secrets(
                "postgres://u@h/db?sslmode=require&sslpassword=K%20P&passfile=/p&password=x"
            ),
            "postgres://u@h/db?sslmode=require&password=x"
        );
        assert_eq!(
            without_unsupported_secrets("postgres://u@h/db?PASSWORD=x"),
            "postgres://u@h/db"
        );
        for same in [
            "postgres://u:p@h/db?password=x&sslmode=disable",
            "not a url ?sslpassword=",
        ] {
            assert_eq!(without_unsupported_secrets(same), same);
        }
    }
    use crate::testing::TestDb;

    /// sqlx's Postgres migrator holds an advisory lock while it runs: twenty openers of a new
    /// database at once all succeed (runs when `DESKPULSE_TEST_POSTGRES_URL` is set).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn twenty_concurrent_opens_of_a_new_database_all_succeed() {
        for round in 0..3 {
            let Some(db) = TestDb::postgres().await else {
                return;
            };
            let opens: Vec<_> = (0..20)
                .map(|_| {
                    let url = db.url().to_owned();
                    tokio::spawn(async move { Store::open(&url).await })
                })
                .collect();
            for (i, open) in opens.into_iter().enumerate() {
                let store = open
                    .await
                    .expect("task")
                    .unwrap_or_else(|e| panic!("round {round}, opener {i}: {e}"));
                store.close().await;
            }
            db.cleanup().await;
        }
    }

    /// The keyed reads and deletes of a facts refresh look each id up in the index even on
    /// a table last analyzed empty and filled since, as `ticket_facts` and `open_spans` are
    /// during a first sync's refresh (which fills them). Measured before: Postgres turned
    /// the per-id subquery into a merge join over a scan of all the source's rows, 573 ms a
    /// chunk at 1M rows against 6 ms; in one 1M-ticket sync the `open_spans` deletes took
    /// 56 s of a 122 s refresh (1.2 s since).
    #[tokio::test]
    async fn keyed_statements_probe_the_index_per_id_whatever_the_statistics() {
        let Some(db) = TestDb::postgres().await else {
            return;
        };
        let store = Store::open(db.url()).await.expect("open");
        for sql in [
            "ALTER TABLE open_spans SET (autovacuum_enabled = false)",
            "ANALYZE open_spans",
            "INSERT INTO open_spans (source, ticket_id, opened_at) \
             SELECT 'zendesk', g::text, now() FROM generate_series(1, 300000) g",
        ] {
            store.sql(sql).execute(&store).await.expect(sql);
        }
        let ids: Vec<String> = (100_000..101_000).map(|i| i.to_string()).collect();
        let keyed = [
            (
                "read",
                super::rows_keyed("*", "open_spans", "ticket_id", "zendesk", &ids),
            ),
            ("delete", super::delete_keyed("open_spans", "zendesk", &ids)),
        ];
        for (what, query) in keyed {
            let plan: Vec<String> = query
                .explained()
                .fetch_all(&store)
                .await
                .expect("explain")
                .iter()
                .map(|r| r.get::<String>(0).expect("plan line"))
                .collect();
            let plan = plan.join("\n");
            assert!(plan.contains("Nested Loop"), "{what}:\n{plan}");
            assert!(plan.contains("ticket_id = k.id"), "{what}:\n{plan}");
            assert!(
                !plan.contains("Merge Join") && !plan.contains("Hash Join"),
                "{what}:\n{plan}"
            );
        }
        store.close().await;
        db.cleanup().await;
    }

    /// A server that refuses the connection: the error names the database with every form of
    /// its password masked (`:pw@`, `?password=`, `sslpassword=`, `passfile=`).
    #[tokio::test]
    async fn an_unreachable_server_is_named_without_its_password() {
        // Port 1 on the loopback: nothing listens there, the connection is refused at once.
        for url in [
            "postgres://deskpulse:Pw-9f3e1@127.0.0.1:1/db",
            "postgresql://deskpulse@127.0.0.1:1/db?password=Pw-9f3e1",
            "postgres://deskpulse:Pw%2D9f3e1@127.0.0.1:1/db?sslpassword=Pw-9f3e1&passfile=/x/Pw-9f3e1",
            "postgres://deskpulse@127.0.0.1:1/db?PASSWORD=Pw-9f3e1&sslmode=disable",
        ] {
            let e = Store::open(url)
                .await
                .expect_err("nothing listens on port 1");
            let text = format!("{e} {e:?}");
            assert!(text.contains("127.0.0.1:1"), "{text}");
            for leak in ["Pw-9f3e1", "Pw%2D9f3e1"] {
                assert!(!text.contains(leak), "{url}: {text}");
            }
        }
    }
}
