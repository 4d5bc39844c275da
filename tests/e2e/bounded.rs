//! Hostile servers against the real binary and the Zendesk connector (issue 12): a cursor
//! that goes round, an `end_time` that creeps a second a page, an `end_time` in the future,
//! and a per-source page cap. Each ends the sync with a clear error after a handful of
//! requests, and nothing past the last good page is committed.

use crate::harness::{Env, text, zendesk_config};
use deskpulse_storage::Store;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "zd-hostile-token-77f1";

fn user(id: i64) -> Value {
    json!({"id": id, "name": format!("Agent {id}"), "role": "agent", "email": format!("a{id}@example.com")})
}

/// The users export, answered by a server whose `after_cursor` alternates between two
/// values and never says `end_of_stream` (a real account of this shape never ends).
async fn alternating_users(server: &MockServer) {
    for (from, next, id) in [("A", "B", 2), ("B", "A", 3)] {
        Mock::given(method("GET"))
            .and(path("/api/v2/incremental/users/cursor.json"))
            .and(query_param("cursor", from))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "users": [user(id)], "after_cursor": next, "end_of_stream": false,
                "after_url": format!("https://acme.zendesk.com/api/v2/incremental/users/cursor.json?cursor={next}")
            })))
            .mount(server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/users/cursor.json"))
        .and(query_param("start_time", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [user(1)], "after_cursor": "A", "end_of_stream": false
        })))
        .mount(server)
        .await;
}

fn config(env: &Env, server: &MockServer, extra: &str) -> String {
    let mut c = zendesk_config(&env.sqlite_url(), &server.uri(), "UTC");
    c.push_str("start_date = \"1970-01-01\"\n");
    // These servers answer the export's pages from `start_time=0` only: the guards are
    // pinned on a whole read (the recent window first is tests/e2e/crash.rs's and
    // window.rs's).
    c.push_str("first_window = \"off\"\n");
    c.push_str(extra);
    c
}

async fn requests_to(server: &MockServer, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == p)
        .count()
}

async fn checkpoint(env: &Env, stream: &str) -> Option<Value> {
    let store = Store::open(&env.sqlite_url()).await.unwrap();
    let cp = store.checkpoint("zd", stream).await.unwrap();
    store.close().await;
    cp.map(|c| c.value().clone())
}

#[tokio::test]
async fn a_cursor_that_goes_round_ends_the_sync_with_a_clear_error() {
    let server = MockServer::start().await;
    alternating_users(&server).await;
    let env = Env::new();
    env.write_config(&config(&env, &server, ""));
    let out = env.run(&["sync"], &[("ZENDESK_API_TOKEN", TOKEN)]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("zd") && err.contains("users"), "{err}");
    // Pages: start (→A), A (→B), B (→A): the cursor A comes back on the third page; the
    // client refuses to ask for it again, or the runner sees the checkpoint cycle.
    let n = requests_to(&server, "/api/v2/incremental/users/cursor.json").await;
    assert!(n <= 4, "{n} requests to a cursor going round");
    assert!(!err.contains(TOKEN), "{err}");
    // Nothing past the last good page: the checkpoint is one the server really gave.
    let cp = checkpoint(&env, "users")
        .await
        .expect("the good pages committed");
    assert!(
        cp == json!({"cursor": "A"}) || cp == json!({"cursor": "B"}),
        "{cp}"
    );
}

/// The ticket-events export of a server whose `end_time` creeps forward one second a page
/// and whose pages bring nothing new (the same audit over and over).
async fn creeping_events(server: &MockServer, future: bool) {
    // Users and tickets end at once.
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/users/cursor.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [user(1)], "after_cursor": null, "end_of_stream": true
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/tickets/cursor.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tickets": [], "after_cursor": null, "end_of_stream": true
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/satisfaction_ratings.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "satisfaction_ratings": [], "meta": {"has_more": false, "after_cursor": null},
            "links": {"next": null}
        })))
        .mount(server)
        .await;
    let audit = json!({"id": 9001, "ticket_id": 1, "timestamp": 1_700_000_000,
        "created_at": "2023-11-14T22:13:20Z", "updater_id": 1, "via": "Web form",
        "event_type": "Audit", "child_events": [
            {"id": 9002, "via": "Web form", "via_reference_id": null,
             "status": "open", "event_type": "Change", "previous_value": "new"}]});
    // One response per start_time from 0: the next page starts one second later.
    let base: i64 = if future { 4_000_000_000 } else { 1_700_000_000 };
    for i in 0..40i64 {
        let start = if i == 0 { 0 } else { base + i - 1 };
        Mock::given(method("GET"))
            .and(path("/api/v2/incremental/ticket_events.json"))
            .and(query_param("start_time", start.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "ticket_events": [audit.clone()], "count": 1, "end_of_stream": false,
                "end_time": base + i, "next_page": null
            })))
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn an_end_time_creeping_a_second_a_page_ends_the_sync_with_a_clear_error() {
    let server = MockServer::start().await;
    creeping_events(&server, false).await;
    let env = Env::new();
    env.write_config(&config(&env, &server, ""));
    let out = env.run(&["sync"], &[("ZENDESK_API_TOKEN", TOKEN)]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("ticket_events"), "{err}");
    // The same audit three pages in a row is no progress.
    let n = requests_to(&server, "/api/v2/incremental/ticket_events.json").await;
    assert!(n <= 4, "{n} requests to a creeping export");
    let cp = checkpoint(&env, "ticket_events").await.expect("good pages");
    let t = cp["start_time"].as_i64().unwrap();
    assert!((1_700_000_000..1_700_000_003).contains(&t), "{cp}");
}

#[tokio::test]
async fn an_end_time_in_the_future_fails_the_page_that_gives_it() {
    let server = MockServer::start().await;
    creeping_events(&server, true).await;
    let env = Env::new();
    env.write_config(&config(&env, &server, ""));
    let out = env.run(&["sync"], &[("ZENDESK_API_TOKEN", TOKEN)]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("end_time"), "{err}");
    assert_eq!(
        requests_to(&server, "/api/v2/incremental/ticket_events.json").await,
        1
    );
    // The page that gave it was not committed: no checkpoint for the stream.
    assert_eq!(checkpoint(&env, "ticket_events").await, None);
}

#[tokio::test]
async fn a_source_page_cap_ends_a_long_stream_and_the_next_sync_resumes() {
    let server = MockServer::start().await;
    creeping_events(&server, false).await;
    let env = Env::new();
    env.write_config(&config(&env, &server, "max_pages = 1\n"));
    let out = env.run(&["sync"], &[("ZENDESK_API_TOKEN", TOKEN)]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("page"), "{err}");
    // One page committed per stream run, then the cap: the first stream stops there.
    let cp = checkpoint(&env, "users").await;
    assert!(cp.is_some(), "the page before the cap is committed");

    // A cap of 0 is a configuration error that names the key.
    env.write_config(&config(&env, &server, "max_pages = 0\n"));
    let out = env.run(&["sync"], &[("ZENDESK_API_TOKEN", TOKEN)]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`sources[0].max_pages`"), "{err}");
}

#[tokio::test]
async fn a_body_over_the_source_cap_fails_the_stream_and_names_the_key() {
    let server = MockServer::start().await;
    // A users page of about 1.5 MiB: under the default cap of 64 MiB, over a cap of 1 MiB.
    let big: Vec<Value> = (1..=6000)
        .map(|id| {
            let mut u = user(id);
            u["notes"] = json!("x".repeat(240));
            u
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/users/cursor.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": big, "after_cursor": null, "end_of_stream": true
        })))
        .mount(&server)
        .await;
    let env = Env::new();
    env.write_config(&config(&env, &server, "max_body_mb = 1\n"));
    let out = env.run(&["sync"], &[("ZENDESK_API_TOKEN", TOKEN)]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("users") && err.contains("larger than the cap") && err.contains("max_body_mb"),
        "{err}"
    );
    assert_eq!(checkpoint(&env, "users").await, None, "nothing committed");

    // Without the key the default cap holds the same page, and the stream commits it.
    env.write_config(&config(&env, &server, ""));
    let _ = env.run(&["sync"], &[("ZENDESK_API_TOKEN", TOKEN)]).await;
    assert!(
        checkpoint(&env, "users").await.is_some(),
        "read under the default cap"
    );

    // A cap of 0 is a configuration error that names the key.
    env.write_config(&config(&env, &server, "max_body_mb = 0\n"));
    let out = env.run(&["sync"], &[("ZENDESK_API_TOKEN", TOKEN)]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`sources[0].max_body_mb`"), "{err}");
}
