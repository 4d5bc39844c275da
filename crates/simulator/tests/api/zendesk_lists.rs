//! Export Search Results over HTTP, with reqwest: the query subset, cursor paging to the
//! end, the documented errors, and the endpoint's own minute.

use chrono::{DateTime, Utc};
use deskpulse_simulator::{Dataset, Limits, SimConfig};
use serde_json::Value;

use super::{auth, client, get, num, small, start};

const SEARCH: &str = "/api/v2/search/export.json";

async fn fetch(c: &reqwest::Client, url: &str) -> reqwest::Response {
    auth(c.get(url)).send().await.expect("request")
}

async fn status_and_body(c: &reqwest::Client, url: &str) -> (u16, Value) {
    let resp = fetch(c, url).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON body"))
}

/// Follows `meta.after_cursor` from `first` (a URL with a query) to the end, checking the
/// paging fields of each page; the records of every page under `key`.
async fn chain(c: &reqwest::Client, first: &str, key: &str, size: usize) -> Vec<Value> {
    let mut url = first.to_owned();
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let page = get(c, &url).await;
        let recs = page[key].as_array().expect("records").clone();
        assert!(
            recs.len() <= size,
            "{} records on a page of {size}",
            recs.len()
        );
        let has_more = page["meta"]["has_more"].as_bool().expect("has_more");
        assert_eq!(
            page["links"]["next"].is_string(),
            has_more,
            "{url}: {}",
            page["links"]
        );
        assert!(page["links"]["prev"].is_null());
        assert!(page["meta"]["before_cursor"].is_null());
        if has_more {
            assert_eq!(recs.len(), size, "a page before the last is full");
        }
        out.extend(recs);
        if !has_more {
            return out;
        }
        let after = page["meta"]["after_cursor"].as_str().expect("after_cursor");
        url = format!("{first}&page%5Bafter%5D={after}");
    }
    panic!("paging from {first} never ended");
}

fn ids(recs: &[Value]) -> Vec<i64> {
    recs.iter().map(|r| r["id"].as_i64().expect("id")).collect()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The dataset's unsolved, non-deleted tickets updated before `before`, by (created_at, id).
fn unsolved_before(data: &Dataset, before: DateTime<Utc>) -> Vec<i64> {
    let mut want: Vec<_> = data
        .truth()
        .tickets
        .iter()
        .filter(|t| ["new", "open", "pending", "hold"].contains(&t.vendor_status))
        .filter(|t| t.updated_at < before)
        .map(|t| (t.created_at, t.id))
        .collect();
    want.sort_unstable();
    want.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test]
async fn search_export_finds_the_unsolved_tickets_not_updated_since_a_time() {
    let (sim, data) = start(small(23)).await;
    let c = client();
    let base = sim.base_url();
    let t = data.now() - chrono::Duration::hours(1);
    let want = unsolved_before(&data, t);
    assert!(want.len() > 10, "several pages: {}", want.len());

    let first = format!(
        "{base}{SEARCH}?filter%5Btype%5D=ticket&page%5Bsize%5D=4&query=status%3Csolved+updated%3C{}",
        rfc(t)
    );
    let results = chain(&c, &first, "results", 4).await;
    assert_eq!(ids(&results), want);
    for r in &results {
        assert_eq!(r["result_type"], "ticket");
        assert!(r.get("metric_set").is_none());
        assert!(["new", "open", "pending", "hold"].contains(&r["status"].as_str().unwrap()));
    }
    let created: Vec<&str> = results
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    assert!(
        created.windows(2).all(|w| w[0] <= w[1]),
        "ordered by created_at"
    );
    // The next link pages on exactly as the cursor does.
    let page = get(&c, &first).await;
    assert!(page["facets"].is_null());
    let next = page["links"]["next"].as_str().expect("next");
    assert!(next.starts_with(&format!("{base}{SEARCH}?")), "{next}");
    assert_eq!(
        ids(get(&c, next).await["results"].as_array().unwrap()),
        want[4..8]
    );

    // A date is midnight UTC; the bare path serves the same.
    let day = t.date_naive();
    let midnight = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let url = format!(
        "{base}/api/v2/search/export?filter%5Btype%5D=ticket&page%5Bsize%5D=1000&query=status%3Csolved%20updated%3C{day}"
    );
    let before_day = unsolved_before(&data, midnight);
    assert!(!before_day.is_empty() && before_day.len() < want.len());
    assert_eq!(ids(&chain(&c, &url, "results", 1000).await), before_day);

    for (bad, why) in [
        (
            "filter%5Btype%5D=ticket&query=type%3Aticket+status%3Csolved",
            "type in the query",
        ),
        ("query=status%3Csolved", "no filter[type]"),
        (
            "filter%5Btype%5D=user&query=status%3Csolved",
            "users are not served",
        ),
        ("filter%5Btype%5D=ticket", "no query"),
        (
            "filter%5Btype%5D=ticket&query=status%3C%3Dsolved",
            "an unsupported operator",
        ),
        ("filter%5Btype%5D=ticket&query=printer", "free text"),
        (
            "filter%5Btype%5D=ticket&query=status%3Copen&page%5Bafter%5D=nope",
            "a bad cursor",
        ),
    ] {
        let (status, body) = status_and_body(&c, &format!("{base}{SEARCH}?{bad}")).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert!(body["description"].is_string(), "{why}: {body}");
    }
    assert!(sim.stats().per_endpoint["search_export"] > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_search_export_has_its_own_minute_and_the_account_still_answers() {
    // Speed 6: a vendor minute lasts 10 s; two searches a minute.
    let cfg = SimConfig {
        limits: Limits {
            speed: 6.0,
            search_export_per_minute: 2,
            ..Limits::default()
        },
        ..small(24)
    };
    let (sim, _) = start(cfg).await;
    let c = client();
    let base = sim.base_url();
    let search = format!("{base}{SEARCH}?filter%5Btype%5D=ticket&query=status%3Csolved");
    let mut codes = Vec::new();
    let mut refused = None;
    while refused.is_none() && codes.len() < 20 {
        let resp = fetch(&c, &search).await;
        codes.push(resp.status().as_u16());
        // A list endpoint: the account's window in the IETF triple too.
        assert_eq!(num(&resp, "ratelimit-limit"), 700);
        if resp.status() == 429 {
            refused = Some(resp);
        }
    }
    let resp = refused.expect("a 429 within a few minutes' searches");
    // A minute starts anew wherever the first searches fell; the one refused is the third
    // of its minute, after two answered in it (the account's minute and the search's
    // begin together, so the account's remaining count tells how many were answered).
    assert!(codes.ends_with(&[200, 200, 429]), "{codes:?}");
    assert_eq!(num(&resp, "x-rate-limit-remaining"), 698);
    assert!(num(&resp, "retry-after") >= 1);
    let body: Value = resp.json().await.expect("JSON body");
    assert_eq!(body["error"], "APIRateLimitExceeded");

    // Other endpoints have only the account's minute (and the exports their own).
    let ratings = fetch(&c, &format!("{base}/api/v2/satisfaction_ratings.json")).await;
    assert_eq!(ratings.status(), 200);
    assert!(ratings.headers().contains_key("ratelimit-remaining"));
    let users = fetch(
        &c,
        &format!("{base}/api/v2/incremental/users/cursor.json?start_time=0"),
    )
    .await;
    assert_eq!(users.status(), 200);
    assert!(
        !users.headers().contains_key("ratelimit-remaining"),
        "not a list"
    );
    let stats = sim.stats();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.per_endpoint["search_export"], codes.len() as u64);
    sim.shutdown().await;
}
