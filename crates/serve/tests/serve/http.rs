//! Starting safely, authentication, the health check, read-only routes, the JSON API and
//! the report cache.

use std::sync::atomic::Ordering;

use deskpulse_model::PeriodSpec;
use deskpulse_serve::{Auth, Reports, ServeError, ServeSettings, Server, hash_password};
use reqwest::StatusCode;

use crate::harness::{TEAM, TestReports, backends, get, options, seed, start};

#[tokio::test]
async fn a_non_loopback_address_without_auth_refuses_to_start() {
    let db = deskpulse_storage::testing::TestDb::sqlite();
    let store = db.open().await;
    let reports = TestReports::new(store.clone());
    let mut settings = ServeSettings {
        listen: "0.0.0.0:0".parse().unwrap(),
        auth: None,
    };
    let e = Server::bind(&settings, store.clone(), reports.clone(), options(None))
        .await
        .expect_err("no auth on 0.0.0.0");
    assert!(matches!(e, ServeError::NeedsAuth { .. }), "{e}");
    let msg = e.to_string();
    for hint in [
        "127.0.0.1:8080",
        "[serve.auth] token",
        "hashed_password",
        "--hash-password",
    ] {
        assert!(
            msg.contains(hint),
            "the error says how to fix it ({hint}): {msg}"
        );
    }
    // With a token it starts (on every interface, port chosen by the system).
    settings.auth = Some(Auth::token("a-long-enough-token-42").unwrap());
    let server = Server::bind(&settings, store, reports, options(None))
        .await
        .expect("binds with auth");
    assert!(server.local_addr().ip().is_unspecified());
}

#[tokio::test]
async fn without_the_token_401_and_with_it_200() {
    for db in backends().await {
        let store = db.open().await;
        seed(&store).await;
        let token = "serve-token-0123456789";
        let s = start(&store, Some(Auth::token(token).unwrap()), options(None)).await;
        let client = reqwest::Client::new();
        for path in [
            "/",
            "/teams/support",
            "/api/teams",
            "/api/teams/support/report",
            "/metrics",
            "/static/style.css",
        ] {
            let url = format!("{}{path}", s.base);
            let r = client.get(&url).send().await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{path} without a token"
            );
            let challenges: Vec<_> = r.headers().get_all("www-authenticate").iter().collect();
            assert!(
                challenges
                    .iter()
                    .any(|c| c.to_str().unwrap().starts_with("Basic")),
                "{path}: a browser is asked to log in: {challenges:?}"
            );
            let body = r.text().await.unwrap();
            assert!(
                !body.contains(TEAM),
                "{path}: nothing of the data without a token: {body}"
            );
            let r = client
                .get(&url)
                .bearer_auth("wrong-token-0123456789")
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{path} with a wrong token"
            );
            let r = client.get(&url).bearer_auth(token).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path} with the token");
            // A browser's login prompt sends it as a Basic password.
            let r = client
                .get(&url)
                .basic_auth("me", Some(token))
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                StatusCode::OK,
                "{path} with the token as a password"
            );
        }
        // The health check needs no token.
        let r = client
            .get(format!("{}/healthz", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        drop(s);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_user_with_an_argon2_hash_logs_in_by_basic_auth() {
    let db = deskpulse_storage::testing::TestDb::sqlite();
    let store = db.open().await;
    let hash = hash_password("correct horse battery").unwrap();
    let s = start(
        &store,
        Some(Auth::password("lead", &hash).unwrap()),
        options(None),
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/teams", s.base);
    let ok = client
        .get(&url)
        .basic_auth("lead", Some("correct horse battery"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    for (user, pw) in [("lead", "wrong"), ("other", "correct horse battery")] {
        let r = client
            .get(&url)
            .basic_auth(user, Some(pw))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{user}:{pw}");
    }
    let r = client.get(&url).bearer_auth(&hash).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the hash is no token");
}

#[tokio::test]
async fn healthz_is_200_while_the_database_answers() {
    for db in backends().await {
        let store = db.open().await;
        let s = start(&store, None, options(None)).await;
        let r = get(&format!("{}/healthz", s.base)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.unwrap(), "ok\n");
        store.close().await;
        let r = get(&format!("{}/healthz", s.base)).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        drop(s);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn no_route_changes_data() {
    let db = deskpulse_storage::testing::TestDb::sqlite();
    let store = db.open().await;
    let s = start(&store, None, options(None)).await;
    let client = reqwest::Client::new();
    for path in [
        "/",
        "/teams/support",
        "/teams/support/agents/zd:100",
        "/api/teams",
        "/api/teams/support/report",
        "/metrics",
        "/healthz",
    ] {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
            reqwest::Method::PATCH,
        ] {
            let r = client
                .request(method.clone(), format!("{}{path}", s.base))
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn the_api_serves_the_report_json_and_the_team_list() {
    for db in backends().await {
        let store = db.open().await;
        seed(&store).await;
        let s = start(&store, None, options(None)).await;
        let week: PeriodSpec = "2026-W46".parse().unwrap();
        let want = s.reports.report(TEAM, week).await.unwrap();
        let want = format!("{}\n", serde_json::to_string_pretty(&want.report).unwrap());
        // The default period is the last complete week of "now" (2026-11-18: W46).
        for path in [
            "/api/teams/support/report?period=2026-W46",
            "/api/teams/support/report",
        ] {
            let r = get(&format!("{}{path}", s.base)).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(r.headers()["content-type"], "application/json");
            assert_eq!(r.text().await.unwrap(), want, "{path}");
        }
        let r = get(&format!(
            "{}/api/teams/support/report?period=2026-W99",
            s.base
        ))
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let e: serde_json::Value = r.json().await.unwrap();
        assert!(e["error"].as_str().unwrap().contains("2026-W99"), "{e}");
        let r = get(&format!("{}/api/teams/nobody/report", s.base)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let list: serde_json::Value = get(&format!("{}/api/teams", s.base))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["teams"][0]["name"], TEAM);
        assert_eq!(list["teams"][0]["sources"][0], "zd");
        assert_eq!(list["teams"][0]["report"], "/api/teams/support/report");
        drop(s);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_report_is_computed_once_until_the_data_changes() {
    let db = deskpulse_storage::testing::TestDb::sqlite();
    let store = db.open().await;
    seed(&store).await;
    let s = start(&store, None, options(None)).await;
    let url = format!("{}/api/teams/support/report?period=2026-W46", s.base);
    let computed = || s.reports.computed.load(Ordering::SeqCst);
    let first = get(&url).await.text().await.unwrap();
    let after_first = computed();
    assert!(after_first >= 1);
    for _ in 0..3 {
        assert_eq!(get(&url).await.text().await.unwrap(), first);
    }
    assert_eq!(
        computed(),
        after_first,
        "kept while the data version stands"
    );
    s.reports.version.fetch_add(1, Ordering::SeqCst);
    assert_eq!(get(&url).await.text().await.unwrap(), first);
    assert_eq!(
        computed(),
        after_first + 1,
        "computed again after the data changed"
    );
}
