//! The SDK's conformance kit on the App Store Connect connector: resume from every
//! checkpoint, 429, 5xx, 401/403, broken pages, endless paging, oversized bodies, no
//! credential in logs or errors (the `.p8` key, and every JWT the server received), the
//! typed checkpoint and the kind's declaration. A test binary of its own: the kit installs
//! a global log subscriber.
//!
//! The kit's secret is the test key's PEM text, which the connector reads from
//! `private_key_path`; what goes on the wire is a JWT signed with it, never the secret, so
//! pages answer without auth matching (the kit then checks every `Authorization` value it
//! received against the logs and errors).

use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector_app_store::{AppStore, ReviewsCheckpoint};

#[allow(dead_code)]
#[path = "app_store/common.rs"]
mod common;
use common::*;

/// The query pairs of a first page.
const FIRST: [(&str, &str); 3] = [
    ("limit", "200"),
    ("sort", "-createdDate"),
    ("include", "response"),
];

/// A first sync over three pages, and the next sync's first page (the same request): its
/// July 22 review is within 30 days of the bookmark (July 25) and repeats, its June 1
/// review is older and ends the pass. Every page gives the same `meta.paging.total`.
fn fixtures() -> Fixtures {
    let page1 = page(
        vec![
            review(
                "r1",
                1,
                "2024-07-25T08:00:00-07:00",
                Some(("p1", "PUBLISHED", "Sorry!", "2024-07-26T09:00:00-07:00")),
            ),
            review("r2", 5, "2024-07-22T10:00:00Z", None),
            review("r3", 4, "2024-06-01T10:00:00Z", None),
        ],
        Some("c2"),
        5,
    );
    let page2 = page(
        vec![review(
            "r4",
            2,
            "2024-05-20T10:00:00Z",
            Some(("p4", "PENDING_PUBLISH", "Draft", "2024-05-21T10:00:00Z")),
        )],
        Some("c3"),
        5,
    );
    let page3 = page(vec![review("r5", 3, "2024-04-01T10:00:00Z", None)], None, 5);
    // The next pages' requests carry the first page's pairs too (Apple's next link keeps
    // them): list them all, so these pages are more specific than the first.
    let with = |cursor| {
        let mut q = vec![("cursor", cursor)];
        q.extend(FIRST);
        q
    };
    Fixtures::new()
        .get(REVIEWS, &FIRST, page1)
        .get(REVIEWS, &with("c2"), page2)
        .get(REVIEWS, &with("c3"), page3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), |t: &Target| {
        // The key file holds the kit's secret; the clock is pinned so that each run's
        // snapshot (the first page of every run gives one) is the same record.
        t.connector(Ok(connector_with(settings(&t.base_url), NOW)))
    })
    .secret(&key_pem())
    .without_auth_matching()
    // Every pass re-reads `rescan_days` before its bookmark, and every run's first page
    // gives the app's snapshot again.
    .boundary_repeats(&["customer_reviews"])
    .kind(&AppStore)
    .checkpoint_type::<ReviewsCheckpoint>("customer_reviews")
    .run()
    .await
    .assert_ok();
}
