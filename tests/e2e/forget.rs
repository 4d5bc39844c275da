//! `deskpulse forget` end to end, on SQLite and Postgres: the golden Zendesk week synced by
//! the real binary into two sources (`zd` and `zd2`, the same fake account) and orders
//! imported; `forget --source zd` deletes every row of zd in every table that holds a
//! source's rows (the rows are really gone, counted per table), leaves zd2 and the imports
//! as they were, and the team's report halves; `forget --customer` deletes that customer's
//! orders and helpdesk customer rows only. Without a terminal, `--yes` is required.

use crate::harness::{Env, text};
use crate::zendesk_week;
use deskpulse_storage::testing::TestDb;
use deskpulse_storage::{SOURCE_TABLES, Store};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Output;

const TOKEN: &str = "zd-forget-token-4411";
const VARS: &[(&str, &str)] = &[("ZENDESK_API_TOKEN", TOKEN)];
/// A customer of the week (Zendesk end-user 8001), in another case.
const CAROL: &str = "User8001@Example.com";

fn config(db: &str, zendesk: &str) -> String {
    let source = |name: &str| {
        format!(
            "\n[[sources]]\nname = \"{name}\"\nkind = \"zendesk\"\nsubdomain = \"acme\"\n\
             email = \"agent@example.com\"\napi_token = \"${{ZENDESK_API_TOKEN}}\"\n\
             base_url = \"{zendesk}\"\npage_size = 2\nrequests_per_minute = 6000\n\
             incremental_requests_per_minute = 6000\n"
        )
    };
    format!(
        "[database]\nurl = \"{db}\"\n\n[[teams]]\nname = \"support\"\ntimezone = \"Europe/Berlin\"\n\
         sources = [\"zd\", \"zd2\"]\n{}{}",
        source("zd"),
        source("zd2")
    )
}

async fn run(env: &Env, args: &[&str]) -> Output {
    env.run(args, VARS).await
}

#[track_caller]
fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

async fn count(store: &Store, table: &str, source: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE source = $1");
    match store {
        Store::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(source)
            .fetch_one(p.reads())
            .await
            .unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(source)
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

/// Rows per table of `source`, in every table that holds a source's rows; and the dump.
async fn snapshot(url: &str, source: &str) -> (BTreeMap<&'static str, i64>, Vec<String>) {
    let store = Store::open(url).await.unwrap();
    let mut rows = BTreeMap::new();
    for table in SOURCE_TABLES {
        rows.insert(*table, count(&store, table, source).await);
    }
    let dump = store.dump().await.unwrap();
    store.close().await;
    (rows, dump)
}

/// The dump's lines that are not about source `zd` (its rows name it as `"zd"`; the
/// derived facts as `"s":"zd"`).
fn not_zd(dump: &[String]) -> Vec<String> {
    dump.iter()
        .filter(|l| !l.contains("\"zd\""))
        .cloned()
        .collect()
}

async fn volume(env: &Env) -> f64 {
    let out = run(env, &["report", "--period", "2026-W46", "--format", "json"]).await;
    let r: Value = serde_json::from_str(&succeeded(&out)).expect("report JSON");
    r["kpis"]["ticket_volume"]["value"]
        .as_f64()
        .expect("volume")
}

async fn forget_end_to_end(db: Option<&str>) {
    let env = Env::new();
    let url = db.map_or_else(|| env.sqlite_url(), str::to_owned);
    let (server, _) = zendesk_week::start().await;
    env.write_config(&config(&url, &server.uri()));
    succeeded(&run(&env, &["sync"]).await);
    std::fs::write(
        env.dir.path().join("orders.csv"),
        format!(
            "order_id,customer_email,created_at,amount,currency\n\
             o1,{CAROL},2026-11-10T10:00:00Z,49.90,EUR\no2,user8002@example.com,2026-11-11,19,EUR\n"
        ),
    )
    .unwrap();
    succeeded(&run(&env, &["import", "orders", "orders.csv"]).await);
    assert_eq!(
        volume(&env).await,
        14.0,
        "the week's 7 tickets in each source"
    );

    let (zd, before) = snapshot(&url, "zd").await;
    let (zd2, _) = snapshot(&url, "zd2").await;
    // The week fills most of the tables that hold a source's rows.
    for table in [
        "tickets",
        "messages",
        "status_changes",
        "agents",
        "ratings",
        "customers",
        "checkpoints",
        "ticket_facts",
        "open_spans",
        "vendor_metrics",
    ] {
        assert!(zd[table] > 0, "no {table} of zd to forget: {zd:?}");
    }

    // Not on a terminal, without --yes: refused, nothing deleted.
    let out = run(&env, &["forget", "--source", "zd"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("pass --yes"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(snapshot(&url, "zd").await.1, before);

    let out = run(&env, &["forget", "--source", "zd", "--yes"]).await;
    let stdout = succeeded(&out);
    let total: i64 = zd.values().sum();
    assert!(
        stdout.starts_with(&format!("forgot source zd: {total} rows deleted\n")),
        "{stdout}"
    );
    for (table, n) in &zd {
        assert!(
            stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == [*table, &n.to_string()]),
            "{table} {n} missing from:\n{stdout}"
        );
    }
    assert!(
        text(&out.stderr).contains("source zd is still in"),
        "{}",
        text(&out.stderr)
    );

    // Really gone, in every table; zd2 and the imports as they were.
    let (zd_after, after) = snapshot(&url, "zd").await;
    assert!(zd_after.values().all(|n| *n == 0), "{zd_after:?}");
    assert!(!after.iter().any(|l| l.contains("\"zd\"")), "{after:#?}");
    assert_eq!(snapshot(&url, "zd2").await.0, zd2);
    assert_eq!(after, not_zd(&before));
    assert!(
        after
            .iter()
            .any(|l| l.starts_with("orders [\"support\",\"o1\""))
    );
    assert_eq!(volume(&env).await, 7.0);

    let out = run(&env, &["forget", "--source", "zd", "--yes"]).await;
    assert!(
        succeeded(&out).starts_with("nothing was stored for source zd: 0 rows deleted"),
        "{}",
        text(&out.stdout)
    );

    // One customer: their order and their zd2 customer row; nothing else.
    let out = run(&env, &["forget", "--customer", CAROL, "--yes"]).await;
    let stdout = succeeded(&out);
    assert!(
        stdout.starts_with("forgot the customer with that e-mail address: 2 rows deleted"),
        "{stdout}"
    );
    assert!(!stdout.to_lowercase().contains("user8001"), "{stdout}");
    let (zd2_after, dump) = snapshot(&url, "zd2").await;
    assert_eq!(zd2_after["customers"], zd2["customers"] - 1);
    assert_eq!(zd2_after["tickets"], zd2["tickets"]);
    assert!(
        !dump
            .iter()
            .any(|l| l.starts_with("orders [\"support\",\"o1\""))
    );
    assert!(
        dump.iter()
            .any(|l| l.starts_with("orders [\"support\",\"o2\""))
    );
}

#[tokio::test]
async fn forget_end_to_end_on_sqlite() {
    forget_end_to_end(None).await;
}

#[tokio::test]
async fn forget_end_to_end_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    forget_end_to_end(Some(db.url())).await;
    db.cleanup().await;
}

#[tokio::test]
async fn forget_needs_exactly_one_valid_target() {
    let env = Env::new();
    env.write_config(&config(&env.sqlite_url(), "http://127.0.0.1:9"));
    for (args, needle) in [
        (&["forget", "--yes"][..], "--source"),
        (
            &["forget", "--source", "zd", "--customer", "a@b.c", "--yes"][..],
            "cannot be used with",
        ),
        (
            &["forget", "--source", "Not A Name", "--yes"][..],
            "not a source name",
        ),
        (
            &["forget", "--customer", "carol.example.com", "--yes"][..],
            "not an e-mail address",
        ),
    ] {
        let out = run(&env, args).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("carol.example"), "{stderr}");
    }
    // Nothing stored yet: no database is created to say so.
    let out = run(&env, &["forget", "--source", "zd", "--yes"]).await;
    assert!(succeeded(&out).contains("does not exist"));
    assert!(!env.dir.path().join("deskpulse.db").exists());
}
