//! `deskpulse import`: every kind imports, re-imports as a no-op and feeds the report; a bad
//! row names FILE:LINE: column, exits 2 and imports nothing; so do unknown kinds.

use crate::harness::{Env, text};
use deskpulse_storage::Store;
use deskpulse_storage::testing::TestDb;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Output;

const VARS: &[(&str, &str)] = &[("ZENDESK_API_TOKEN", "t")];

fn config(db_url: &str, teams: &[&str]) -> String {
    let mut s = format!("[database]\nurl = \"{db_url}\"\n");
    for t in teams {
        s += &format!(
            "\n[[teams]]\nname = \"{t}\"\ntimezone = \"Europe/Berlin\"\nsources = [\"zd\"]\n"
        );
    }
    s + "\n[[sources]]\nname = \"zd\"\nkind = \"zendesk\"\nsubdomain = \"acme\"\n\
         email = \"a@example.com\"\napi_token = \"${ZENDESK_API_TOKEN}\"\n"
}

const COSTS: &str = "month,amount,currency\n2026-10,900,EUR\n2026-11,1000,EUR\n2026-12,1100,EUR\n";
const REVENUE: &str = "month,amount,currency\n2026-11,20000,EUR\n";
/// Europe/Berlin: November 2026 is [2026-10-31T23:00Z, 2026-11-30T23:00Z). At its start c1
/// and c2 are customers, at its end c1 and c3: one of two lost, churn 0.5, retention 0.5.
const CUSTOMERS: &str = "customer_id,started_at,ended_at\n\
c1,2026-01-01,\n\
c2,2026-01-01,2026-11-15\n\
c3,2026-11-10T09:30:00+01:00,\n\
c4,2025-01-01,2025-06-01\n";
const ORDERS: &str = "order_id,customer_email,created_at,amount,currency\n\
o1,Ann.Private@Example.com,2026-11-03T10:00:00Z,49.90,EUR\n\
o2,bob@example.com,2026-11-04,19.00,eur\n";
/// NPS in November: 10 and 9 promote, 3 detracts, 7 is passive: (2 − 1) / 4 = 25.
/// CSAT: 5 of 5 satisfied, 2 of 5 not: 0.5, mean 3.5. x1 is December's.
const SURVEYS: &str = "response_id,kind,score,scale_max,created_at,ticket_id,agent,comment\n\
n1,nps,10,10,2026-11-02,,,\n\
n2,nps,9,10,2026-11-03T12:00:00+01:00,,,\n\
n3,nps,3,10,2026-11-04,,,\"too slow, sorry\"\n\
n4,NPS,7,10,2026-11-05,,,\n\
s1,csat,5,5,2026-11-06,1234,42,\n\
s2,csat,2,5,2026-11-07,,,\n\
e1,ces,6,7,2026-11-08,,,\n\
x1,nps,10,10,2026-12-02,,,\n";

struct Case {
    env: Env,
    url: String,
}

impl Case {
    fn new(url: Option<&str>, teams: &[&str]) -> Case {
        let env = Env::new();
        let url = url.map_or_else(|| env.sqlite_url(), str::to_owned);
        env.write_config(&config(&url, teams));
        Case { env, url }
    }

    fn file(&self, name: &str, body: &str) -> String {
        std::fs::write(self.env.dir.path().join(name), body).expect("write csv");
        name.to_owned()
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.env.run(args, VARS).await
    }

    async fn import(&self, kind: &str, name: &str, body: &str) -> String {
        let file = self.file(name, body);
        let out = self.run(&["import", kind, &file]).await;
        assert!(
            out.status.success(),
            "import {kind}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    async fn db(&self) -> (Vec<String>, BTreeMap<&'static str, i64>) {
        let store = Store::open(&self.url)
            .await
            .expect("open the test database");
        let out = (store.dump().await.unwrap(), store.counts().await.unwrap());
        store.close().await;
        out
    }
}

async fn imports_feed_the_report(url: Option<&str>) {
    let c = Case::new(url, &["support"]);
    let files = [
        ("costs", COSTS, 3),
        ("revenue", REVENUE, 1),
        ("customers", CUSTOMERS, 4),
        ("orders", ORDERS, 2),
        ("surveys", SURVEYS, 8),
    ];
    for (kind, body, n) in files {
        let name = format!("{kind}.csv");
        let first = c.import(kind, &name, body).await;
        assert!(
            first.contains(&format!(
                "imported {n} row{} of {kind} for team support ({n} new, 0 changed, 0 unchanged)",
                if n == 1 { "" } else { "s" }
            )),
            "{first}"
        );
        let before = c.db().await;
        let again = c.import(kind, &name, body).await;
        assert!(
            again.contains(&format!("({n} unchanged)").replace('(', "(0 new, 0 changed, ")),
            "{again}"
        );
        assert_eq!(
            c.db().await,
            before,
            "re-importing {kind} changed the database"
        );
    }
    let (dump, counts) = c.db().await;
    assert_eq!(
        (
            counts["costs"],
            counts["revenue"],
            counts["subscriptions"],
            counts["orders"]
        ),
        (3, 1, 4, 2)
    );
    assert_eq!(counts["ratings"], 8);
    // Only the keyed hash of an order's address is stored.
    let all = dump.join("\n").to_lowercase();
    assert!(
        !all.contains("ann.private") && !all.contains("example.com"),
        "{all}"
    );
    assert!(all.contains("ratings [\"import:support\",\"n3\""), "{all}");

    // A corrected row replaces the stored one.
    let fixed = COSTS.replace("2026-11,1000,EUR", "2026-11,1200.50,EUR");
    let out = c.import("costs", "costs.csv", &fixed).await;
    assert!(out.contains("(0 new, 1 changed, 2 unchanged)"), "{out}");

    let out = c
        .run(&["report", "--format", "json", "--period", "2026-11"])
        .await;
    assert!(out.status.success(), "report: {}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    let k = &r["kpis"];
    // Costs: a month period takes the month's figure; no tickets, so no cost per ticket.
    assert_eq!(k["support_cost_per_ticket"]["costs"], 1200.5, "{k:#}");
    assert_eq!(k["support_cost_per_ticket"]["currency"], "EUR");
    assert_eq!(k["support_cost_per_ticket"]["value"], Value::Null);
    // 1200.50 / 20000.
    assert_eq!(k["support_cost_ratio"]["value"], 0.060025, "{k:#}");
    assert_eq!(k["support_cost_ratio"]["revenue"], 20000.0);
    assert_eq!(k["churn_rate"]["n"], 2, "{k:#}");
    assert_eq!(k["churn_rate"]["lost"], 1);
    assert_eq!(k["churn_rate"]["value"], 0.5);
    assert_eq!(k["retention_rate"]["value"], 0.5);
    assert_eq!(k["nps"]["n"], 4, "{k:#}");
    assert_eq!(k["nps"]["value"], 25.0);
    assert_eq!(
        (
            k["nps"]["promoters"].as_u64(),
            k["nps"]["detractors"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(k["csat"]["n"], 2, "{k:#}");
    assert_eq!(k["csat"]["value"], 0.5);
    assert_eq!(k["csat"]["mean"], 3.5);
    assert_eq!(k["ces"]["n"], 1, "{k:#}");
    // Orders feed converted tickets, which need synced tickets: none here.
    assert_eq!(k["converted_tickets"]["n"], 0, "{k:#}");
}

#[tokio::test]
async fn imports_feed_the_report_on_sqlite() {
    imports_feed_the_report(None).await;
}

#[tokio::test]
async fn imports_feed_the_report_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    imports_feed_the_report(Some(db.url())).await;
    db.cleanup().await;
}

#[track_caller]
fn fails_with(out: &Output, needles: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
    }
}

#[tokio::test]
async fn a_bad_row_imports_nothing_of_its_file() {
    let c = Case::new(None, &["support"]);
    c.import("costs", "costs.csv", COSTS).await;
    let before = c.db().await;
    let cases = [
        (
            "costs",
            "month,amount,currency\n2027-01,5,EUR\n2027-02,-5,EUR\n",
            "bad.csv:3: amount: \"-5\" is negative",
        ),
        (
            "revenue",
            "month,amount,currency\n2027-01,5,EUR\n2027-13,5,EUR\n",
            "bad.csv:3: month: \"2027-13\" is not a month (expected YYYY-MM",
        ),
        (
            "costs",
            "month,amount,currency\n2027-01,5,EUR\n2027-01,6,EUR\n",
            "bad.csv:3: month: month 2027-01 in EUR repeats line 2",
        ),
        (
            "costs",
            "month,amount,currency\n2027-01,5,EUR\n2027-02,5\n",
            "bad.csv:3: row: 2 fields, expected 3",
        ),
        (
            "costs",
            "month,amuont,currency\n2027-01,5,EUR\n",
            "bad.csv:1: header: column 2 is \"amuont\", not \"amount\"",
        ),
        ("costs", "", "bad.csv:1: header: the file is empty"),
        (
            "customers",
            "customer_id,started_at,ended_at\nc9,2026-11-01,\nc1,2026-11-05,2026-11-01\n",
            "bad.csv:3: ended_at: \"2026-11-01\" is before started_at",
        ),
        (
            "customers",
            "customer_id,started_at,ended_at\nc9,01/11/2026,\n",
            "bad.csv:2: started_at: \"01/11/2026\" is not a date (expected YYYY-MM-DD",
        ),
        (
            "orders",
            "order_id,customer_email,created_at,amount,currency\no9,a@b.c,2026-11-01,1,EUR\n\
             o9,a@b.c,2026-11-02,1,EUR\n",
            "bad.csv:3: order_id: order \"o9\" repeats line 2",
        ),
        (
            "surveys",
            "response_id,kind,score,scale_max,created_at,ticket_id,agent,comment\n\
             r9,csat,5,5,2026-11-01,,,\nr8,stars,5,5,2026-11-01,,,\n",
            "bad.csv:3: kind: \"stars\" is not a survey kind (expected csat, nps or ces)",
        ),
        (
            "surveys",
            "response_id,kind,score,scale_max,created_at,ticket_id,agent,comment\n\
             r9,csat,6,5,2026-11-01,,,\n",
            "bad.csv:2: score: 6 is outside the scale (expected a number from 1 to 5",
        ),
    ];
    for (kind, body, needle) in cases {
        let file = c.file("bad.csv", body);
        let out = c.run(&["import", kind, &file]).await;
        fails_with(&out, &[needle, "nothing was imported"]);
        assert_eq!(
            c.db().await,
            before,
            "a bad {kind} file changed the database"
        );
    }
}

#[tokio::test]
async fn unknown_kinds_teams_and_files_are_usage_errors() {
    let c = Case::new(None, &["support", "sales"]);
    let file = c.file("costs.csv", COSTS);
    let out = c.run(&["import", "invoices", &file]).await;
    fails_with(&out, &["invoices", "costs"]);
    // Several teams: --team is needed, and must name one.
    let out = c.run(&["import", "costs", &file]).await;
    fails_with(&out, &["--team"]);
    let out = c.run(&["import", "costs", &file, "--team", "ops"]).await;
    fails_with(&out, &["ops"]);
    let out = c
        .run(&["import", "costs", "missing.csv", "--team", "sales"])
        .await;
    fails_with(&out, &["missing.csv"]);
    let out = c.run(&["import", "costs", &file, "--team", "sales"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("for team sales"));
    let (dump, _) = c.db().await;
    assert!(
        dump.iter()
            .any(|l| l.starts_with("costs [\"sales\",\"2026-11\"")),
        "{dump:#?}"
    );
}

// ---- Bugs of issue 12: each test failed before the streaming reader. ----

const ORDERS_HEAD: &str = "order_id,customer_email,created_at,amount,currency";

/// RFC 4180 ends records with CRLF (and Excel on Windows writes them): the problem on the
/// third line is on line 3, not 2.
#[tokio::test]
async fn a_crlf_file_names_the_right_line() {
    let c = Case::new(None, &["support"]);
    let body = format!(
        "{ORDERS_HEAD}\r\no1,a@b.c,2026-11-01,1,EUR\r\no2,a@b.c,2026-11-01,-1,EUR\r\no3,a@b.c,2026-11-01,1,EUR\r\n"
    );
    let file = c.file("bad.csv", &body);
    let out = c.run(&["import", "orders", &file]).await;
    fails_with(&out, &["bad.csv:3: amount: \"-1\" is negative"]);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("bad.csv:2:"), "{stderr}");
    // A quoted field spanning lines counts its line breaks; the next row's problem is on
    // the line it starts on.
    let body = format!(
        "{ORDERS_HEAD}\r\n\"o\r\n1\",a@b.c,2026-11-01,1,EUR\r\no2,a@b.c,2026-11-01,x,EUR\r\n"
    );
    let file = c.file("bad.csv", &body);
    let out = c.run(&["import", "orders", &file]).await;
    fails_with(&out, &["bad.csv:4: amount: \"x\" is not a number"]);
}

/// Excel's "CSV UTF-8 (Comma delimited)" starts the file with the UTF-8 byte order mark
/// (EF BB BF): the header still matches, the rows import, and line numbers stay exact.
#[tokio::test]
async fn a_utf8_file_with_a_byte_order_mark_imports() {
    let c = Case::new(None, &["support"]);
    let body = format!("\u{feff}{ORDERS_HEAD}\r\no1,a@b.c,2026-11-01,1,EUR\r\n");
    let out = c.import("orders", "bom.csv", &body).await;
    assert!(out.contains("imported 1 row of orders"), "{out}");
    let (_, counts) = c.db().await;
    assert_eq!(counts["orders"], 1);
    let body =
        format!("\u{feff}{ORDERS_HEAD}\r\no2,a@b.c,2026-11-01,1,EUR\r\no3,a@b.c,someday,1,EUR\r\n");
    let file = c.file("bad.csv", &body);
    let out = c.run(&["import", "orders", &file]).await;
    fails_with(&out, &["bad.csv:3: created_at: \"someday\" is not a date"]);
}

/// An amount stored as a double beyond ±1e15 loses its cents and sums to infinity: refused
/// with its line, like a non-finite one.
#[tokio::test]
async fn amounts_beyond_1e15_are_refused() {
    let c = Case::new(None, &["support"]);
    c.import("costs", "costs.csv", COSTS).await;
    let before = c.db().await;
    for (kind, body, needle) in [
        (
            "orders",
            format!("{ORDERS_HEAD}\no1,a@b.c,2026-11-01,1,EUR\no2,a@b.c,2026-11-01,1e307,EUR\n"),
            "bad.csv:3: amount: \"1e307\" is beyond ±1e15",
        ),
        (
            "costs",
            "month,amount,currency\n2027-01,1000000000000000.01,EUR\n".to_owned(),
            "bad.csv:2: amount: \"1000000000000000.01\" is beyond ±1e15",
        ),
        (
            "revenue",
            "month,amount,currency\n2027-01,inf,EUR\n".to_owned(),
            "bad.csv:2: amount: \"inf\" is not a finite number",
        ),
        (
            "revenue",
            "month,amount,currency\n2027-01,NaN,EUR\n".to_owned(),
            "bad.csv:2: amount: \"NaN\" is not a finite number",
        ),
    ] {
        let file = c.file("bad.csv", &body);
        let out = c.run(&["import", kind, &file]).await;
        fails_with(&out, &[needle, "nothing was imported"]);
        assert_eq!(
            c.db().await,
            before,
            "a refused {kind} file changed the database"
        );
    }
    // The bound itself is an amount.
    let out = c
        .import(
            "revenue",
            "ok.csv",
            "month,amount,currency\n2027-01,1000000000000000,EUR\n",
        )
        .await;
    assert!(out.contains("imported 1 row of revenue"), "{out}");
}

/// A quote opened and never closed used to swallow every later line into one field (here
/// the comment), importing one row where the file has three: now it is named, with the
/// line the quote opens on, and nothing is imported.
#[tokio::test]
async fn an_unclosed_quote_is_named_with_its_line() {
    let c = Case::new(None, &["support"]);
    let before = c.db().await;
    let head = "response_id,kind,score,scale_max,created_at,ticket_id,agent,comment";
    let body = format!(
        "{head}\nr1,csat,5,5,2026-11-01,,,fine\nr2,csat,4,5,2026-11-01,,,\"good, but\nr3,csat,3,5,2026-11-01,,,ok\n"
    );
    let file = c.file("bad.csv", &body);
    let out = c.run(&["import", "surveys", &file]).await;
    fails_with(
        &out,
        &["bad.csv:3: comment: unclosed quote", "nothing was imported"],
    );
    assert_eq!(c.db().await, before);
    // In the middle of a row too (the field after it never starts).
    let body = format!("{ORDERS_HEAD}\no1,\"a@b.c,2026-11-01,1,EUR\no2,a@b.c,2026-11-01,1,EUR\n");
    let file = c.file("bad.csv", &body);
    let out = c.run(&["import", "orders", &file]).await;
    fails_with(&out, &["bad.csv:2: customer_email: unclosed quote"]);
}
