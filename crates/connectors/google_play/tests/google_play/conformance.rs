//! The SDK's conformance kit on the `reviews` stream (resume from every checkpoint, 429,
//! 5xx, 401/403, broken pages, endless paging, oversized bodies, no credential in logs), and
//! the service account's own secrets (private key, JWT assertion, access token) kept out of
//! every log line and error, even when a server echoes them back.

use crate::common::*;
use deskpulse_connector::prelude::*;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target, captured_logs, read};
use deskpulse_connector_google_play::{GooglePlay, ReviewsCheckpoint};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn fixtures() -> Fixtures {
    let q1 = [("maxResults", "100")];
    let q2 = [("maxResults", "100"), ("token", "p2")];
    let q3 = [("maxResults", "100"), ("token", "p3")];
    Fixtures::new()
        .page(
            "POST",
            TOKEN_PATH,
            &[],
            None,
            json!({"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"}),
        )
        .get(
            REVIEWS,
            &q1,
            page(
                vec![
                    review("gp:r4", 5, "great", "2026-11-14T10:00:00Z", None),
                    review(
                        "gp:r3",
                        1,
                        "crashes",
                        "2026-11-13T10:00:00Z",
                        Some(("fixed", "2026-11-13T12:00:00Z")),
                    ),
                ],
                Some("p2"),
            ),
        )
        .get(
            REVIEWS,
            &q2,
            page(
                vec![review("gp:r2", 3, "ok", "2026-11-12T10:00:00Z", None)],
                Some("p3"),
            ),
        )
        .get(
            REVIEWS,
            &q3,
            page(
                vec![review("gp:r1", 4, "nice", "2026-11-11T10:00:00Z", None)],
                None,
            ),
        )
}

fn make(t: &Target) -> Box<dyn Connector> {
    // The key file is the credential; the kit's secret is set to a line of its private key.
    t.connector(
        deskpulse_connector_google_play::GooglePlayConnector::new(settings(&t.base_url))
            .map(|c| c.with_clock(Clock::fixed(now()))),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), make)
        // The private key is exchanged for a token: pages cannot check for it.
        .without_auth_matching()
        .secret(&key_line())
        // Every sync reads the whole recent window again: after a finished pass, a resume
        // repeats what the pass read (upserts by review id).
        .boundary_repeats(&["reviews"])
        .kind(&GooglePlay)
        .checkpoint_type::<ReviewsCheckpoint>("reviews")
        .run()
        .await
        .assert_ok();
}

/// Answers `status` with a body quoting the request's body and `Authorization` header, as a
/// careless proxy or error page might.
struct Echo(u16);

impl Respond for Echo {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let body = json!({
            "error": "invalid_request",
            "echo": String::from_utf8_lossy(&req.body),
            "authorization": auth,
        });
        ResponseTemplate::new(self.0).set_body_string(body.to_string())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_private_key_assertion_or_access_token_in_logs_or_errors() {
    let logs = captured_logs();
    // The assertion the connector sends at `now()` (deterministic: RS256 is).
    let assertion =
        GoogleServiceAccount::from_json(&Secret::new(key_file()), ANDROID_PUBLISHER_SCOPE)
            .unwrap()
            .assertion_at(now())
            .unwrap();
    let mut errors = Vec::new();

    // A token endpoint that echoes the grant (the assertion) in its error.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(Echo(400))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "reviews", None).await;
    let err = err.expect("the grant fails");
    errors.push(format!("{err} / {err:?}"));
    let grant = server.received_requests().await.unwrap()[0].body.clone();
    assert!(
        String::from_utf8_lossy(&grant).contains(assertion.expose()),
        "the grant carried the expected assertion"
    );

    // An API that echoes the access token in its error, on every attempt.
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("GET"))
        .and(path(REVIEWS))
        .respond_with(Echo(400))
        .mount(&server)
        .await;
    let (_, err) = read(&connector(&server), "reviews", None).await;
    let err = err.expect("the page fails");
    errors.push(format!("{err} / {err:?}"));

    let text = logs.text().expect("the log capture is installed");
    assert!(!text.is_empty(), "TRACE lines were captured");
    for secret in [assertion.expose(), ACCESS_TOKEN, key_line().as_str()] {
        for e in &errors {
            assert!(!e.contains(secret), "an error carries a credential: {e}");
        }
        if let Some(line) = text.lines().find(|l| l.contains(secret)) {
            panic!(
                "a log line carries a credential: {}",
                line.replace(secret, "<SECRET>")
            );
        }
    }
}
