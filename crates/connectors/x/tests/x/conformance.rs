//! The SDK's conformance kit on the X connector: resume from every checkpoint, 429, 5xx,
//! 401/403, broken pages (mentions and the brand's posts), endless paging, oversized
//! bodies, no secret in logs and errors, the typed checkpoints and the registration.

use crate::common::*;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector::{Clock, Connector, HttpConnector as _, Secret};
use deskpulse_connector_x::{MentionsCheckpoint, UserCheckpoint, X, XConnector, XSettings};

fn connector_for(t: &Target) -> Box<dyn Connector> {
    let s = XSettings {
        user_id: Some(BRAND.into()),
        bearer_token: Some(Secret::new(&t.secret)),
        base_url: Some(t.base_url.clone()),
        max_results: Some(5),
        user_requests_per_15_minutes: 0,
        mentions_requests_per_15_minutes: 0,
        tweets_requests_per_15_minutes: 0,
        ..XSettings::default()
    };
    Box::new(
        XConnector::new(s)
            .expect("the kit's settings build a connector")
            .with_retry_policy(t.retry.clone())
            // The kit compares runs record by record: snapshots and windows must not depend
            // on the wall clock.
            .with_clock(Clock::fixed(now())),
    )
}

/// Mentions in two pages [m3 m2] [m1], the brand's posts in two pages (a reply to m2 on
/// the second), and what a resume after the pass asks for: the window then starts at
/// min(newest m3 11-12 10:00, now − 7 d = 11-06 12:00) = the same 11-06 12:00, so the same
/// pages (the rescan window: `boundary_repeats`).
fn fixtures() -> Fixtures {
    let q = |token: Option<&'static str>, fields: &'static str| {
        let mut v = vec![
            ("max_results", "5"),
            ("tweet.fields", fields),
            ("start_time", WINDOW),
        ];
        if let Some(t) = token {
            v.push(("pagination_token", t));
        }
        v
    };
    Fixtures::new()
        .get(
            &user_path(),
            &[("user.fields", "public_metrics")],
            fixture("constructed_user_public_metrics.json"),
        )
        .get(
            &mentions_path(),
            &q(None, MENTION_FIELDS),
            page(
                vec![
                    post(
                        "m3",
                        "2900000000000000023",
                        "2026-11-12T10:00:00.000Z",
                        None,
                    ),
                    post("m2", C2, "2026-11-11T10:00:00.000Z", None),
                ],
                Some("mtok-2"),
            ),
        )
        .get(
            &mentions_path(),
            &q(Some("mtok-2"), MENTION_FIELDS),
            page(vec![post("m1", C1, "2026-11-10T10:00:00.000Z", None)], None),
        )
        .get(
            &tweets_path(),
            &q(None, REPLY_FIELDS),
            page(
                vec![brand_post("b2", "2026-11-12T08:00:00.000Z", None)],
                Some("ttok-2"),
            ),
        )
        .get(
            &tweets_path(),
            &q(Some("ttok-2"), REPLY_FIELDS),
            page(
                vec![brand_post("b1", "2026-11-11T10:30:00.000Z", Some("m2"))],
                None,
            ),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), connector_for)
        .kind(&X)
        .boundary_repeats(&["user", "mentions"])
        .checkpoint_type::<UserCheckpoint>("user")
        .checkpoint_type::<MentionsCheckpoint>("mentions")
        .run()
        .await
        .assert_ok();
}
