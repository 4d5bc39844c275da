//! The SDK's conformance kit on the `reviews` stream, with the refresh-token exchange on the
//! kit's mock server: resume from every checkpoint (the next pass re-reads the rescan window,
//! so boundary repeats are allowed), 429, 5xx, 401/403, broken pages, endless paging,
//! oversized bodies, no credential (the kit's secret as client secret and refresh token, the
//! access token it buys) in any log line or error, the typed checkpoint and the kind's
//! declaration.

use crate::common::*;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector::{Clock, HttpConnector as _, Secret};
use deskpulse_connector_google_business_profile::{
    GoogleBusinessProfile, GoogleBusinessProfileConnector, GoogleBusinessProfileSettings,
    ReviewsCheckpoint,
};
use serde_json::json;

/// Three pages of a first pass; the next pass (rescan 0 days: the cutoff is the bookmark)
/// asks for the first page again, keeps its newest review and ends on page 2, all older.
fn fixtures() -> Fixtures {
    let rv = |id: &str, stars: &str, t: &str, reply: Option<&str>| review(id, stars, t, t, reply);
    let token = json!({
        "access_token": "ya29.kit-access-3b7e1d",
        "expires_in": 3599,
        "scope": "https://www.googleapis.com/auth/business.manage",
        "token_type": "Bearer",
    });
    let q = |t: Option<&'static str>| {
        let mut q = vec![("pageSize", "50"), ("orderBy", "updateTime desc")];
        q.extend(t.map(|t| ("pageToken", t)));
        q
    };
    Fixtures::new()
        // Google's token endpoint takes a form, not JSON: matched by method and path.
        .page("POST", TOKEN_PATH, &[], None, token)
        .get(
            REVIEWS,
            &q(None),
            page(
                vec![
                    rv(
                        "k1",
                        "FIVE",
                        "2026-11-12T10:00:00Z",
                        Some("2026-11-12T11:00:00Z"),
                    ),
                    rv("k2", "TWO", "2026-11-11T10:00:00Z", None),
                ],
                4.2,
                5,
                Some("kit-p2"),
            ),
        )
        .get(
            REVIEWS,
            &q(Some("kit-p2")),
            page(
                vec![
                    rv("k3", "FOUR", "2026-11-10T10:00:00Z", None),
                    rv(
                        "k4",
                        "ONE",
                        "2026-11-09T10:00:00Z",
                        Some("2026-11-10T08:00:00Z"),
                    ),
                ],
                4.2,
                5,
                Some("kit-p3"),
            ),
        )
        .get(
            REVIEWS,
            &q(Some("kit-p3")),
            page(
                vec![rv("k5", "THREE", "2026-11-08T10:00:00Z", None)],
                4.2,
                5,
                None,
            ),
        )
}

fn connector_for(t: &Target) -> Box<dyn deskpulse_connector::Connector> {
    let s = GoogleBusinessProfileSettings {
        account_id: Some(ACCOUNT.into()),
        location_id: Some(LOCATION.into()),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(Secret::new(&t.secret)),
        refresh_token: Some(Secret::new(&t.secret)),
        token_url: Some(format!("{}{TOKEN_PATH}", t.base_url)),
        base_url: Some(t.base_url.clone()),
        requests_per_minute: 0,
        rescan_days: 0,
        ..GoogleBusinessProfileSettings::default()
    };
    // The snapshot's `observed_at` is the clock's: pinned, so every run gives the same one.
    t.connector(GoogleBusinessProfileConnector::new(s).map(|c| c.with_clock(Clock::fixed(now()))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), connector_for)
        // The secret is exchanged for a token: the pages cannot check for it.
        .without_auth_matching()
        // Every read takes the location's snapshot from its first page, and the next pass
        // re-reads its newest review (the cutoff is inclusive).
        .boundary_repeats(&["reviews"])
        .checkpoint_type::<ReviewsCheckpoint>("reviews")
        .kind(&GoogleBusinessProfile)
        .run()
        .await
        .assert_ok();
}
