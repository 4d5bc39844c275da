//! The SDK's conformance kit on the Trustpilot connector, both ways it reads reviews (the
//! public endpoint with the API key, the private one with a business-user token): resume
//! from every checkpoint, 429, 5xx, 401/403, broken pages, endless paging, oversized bodies,
//! no secret or token in logs and errors, the typed checkpoints and the registration.

use crate::common::*;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector::{Clock, Connector, Secret};
use deskpulse_connector_trustpilot::{
    BusinessUnitCheckpoint, ReviewsCheckpoint, Trustpilot, TrustpilotConnector, TrustpilotSettings,
};
use serde_json::{Value, json};

/// Three pages of two (the last short): [r5 r4] [r3 r2] [r1]. A resume after the pass
/// starts the next one at the bookmark (r5, 11-10) − 30 days = 10-11: pages 1 to 3 again,
/// r5, r4, r3 repeated as they were (the rescan window: `boundary_repeats`).
fn review_pages(f: Fixtures, path: &str) -> Fixtures {
    let q = |n: &'static str| [("page", n), ("perPage", "2"), ("orderBy", "createdat.desc")];
    f.get(
        path,
        &q("1"),
        page(vec![
            review("r5", 5, "2026-11-10T10:00:00Z", None),
            review(
                "r4",
                4,
                "2026-11-01T10:00:00Z",
                Some(("Thanks!", "2026-11-02T08:00:00Z")),
            ),
        ]),
    )
    .get(
        path,
        &q("2"),
        page(vec![
            review("r3", 2, "2026-10-20T10:00:00Z", None),
            review("r2", 1, "2026-09-01T10:00:00Z", None),
        ]),
    )
    .get(
        path,
        &q("3"),
        page(vec![review("r1", 3, "2026-06-01T10:00:00Z", None)]),
    )
}

/// The documented business unit without its arrays (`links`, `name.referring`): it is one
/// object, not a list, and the kit's "page without its arrays" check is about lists of
/// records; the fields read (`score`, `numberOfReviews`) stay.
fn business_unit(f: Fixtures) -> Fixtures {
    let mut bu: Value = fixture("constructed_business_unit.json");
    let obj = bu.as_object_mut().unwrap();
    obj.remove("links");
    obj.remove("name");
    f.get(&format!("/business-units/{BU}"), &[], bu)
}

fn make(
    settings: impl Fn(&Target) -> TrustpilotSettings + Send + Sync + 'static,
) -> impl Fn(&Target) -> Box<dyn Connector> + Send + Sync + 'static {
    move |t: &Target| {
        let s = TrustpilotSettings {
            business_unit_id: Some(BU.into()),
            base_url: Some(t.base_url.clone()),
            page_size: Some(2),
            requests_per_minute: 0,
            ..settings(t)
        };
        let c = TrustpilotConnector::new(s)
            .expect("the kit's settings build a connector")
            .with_retry_policy(t.retry.clone())
            // The kit compares runs record by record: snapshots must not depend on the clock.
            .with_clock(Clock::fixed(now()));
        Box::new(c)
    }
}

async fn run(kit: Conformance) {
    let report = kit
        .kind(&Trustpilot)
        .boundary_repeats(&["business_unit", "reviews"])
        .checkpoint_type::<BusinessUnitCheckpoint>("business_unit")
        .checkpoint_type::<ReviewsCheckpoint>("reviews")
        .run()
        .await;
    report.assert_ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_the_public_endpoint_with_the_api_key() {
    let fixtures = review_pages(business_unit(Fixtures::new()), &public_reviews());
    let kit = Conformance::new(
        fixtures,
        make(|t| TrustpilotSettings {
            api_key: Some(Secret::new(&t.secret)),
            ..TrustpilotSettings::default()
        }),
    );
    run(kit).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_the_private_endpoint_with_a_business_user_token() {
    // The refresh exchange (a form, so no body condition): the token the pages then carry.
    let token = Fixtures::new().page(
        "POST",
        TOKEN_PATH,
        &[],
        None,
        json!({"access_token": "kit-access-Qw8e", "refresh_token": "kit-refresh-Rt5y", "expires_in": "359999"}),
    );
    let fixtures = review_pages(business_unit(token), &private_reviews());
    let kit = Conformance::new(
        fixtures,
        make(|t| TrustpilotSettings {
            api_key: Some(Secret::new(&t.secret)),
            client_id: Some(Secret::new("kit-client-id")),
            client_secret: Some(Secret::new(&t.secret)),
            refresh_token: Some(Secret::new("kit-refresh-Rt5y")),
            ..TrustpilotSettings::default()
        }),
    )
    // The secret is exchanged for a token: pages cannot check for it.
    .without_auth_matching();
    run(kit).await;
}
