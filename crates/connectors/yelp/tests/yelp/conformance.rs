//! The SDK's conformance kit on both streams: resume from every checkpoint, 429, 5xx,
//! 401/403 and a wrong key, broken pages, a server repeating the first page, oversized
//! bodies, no key in logs or errors, typed checkpoints and the kind's declaration.
//!
//! Each stream is one request whose page is also its last, so "endless paging" ends after
//! that page, and a resume from its checkpoint reads the same document again (Yelp keeps no
//! history to resume into): those re-reads are the `boundary_repeats`. The clock is pinned
//! so that the re-read snapshot is the same record.

use crate::common::*;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector::{Clock, HttpConnector as _};
use deskpulse_connector_yelp::{SnapshotCheckpoint, Yelp, YelpConnector};

fn fixtures() -> Fixtures {
    Fixtures::new()
        .get(&business_path(ALIAS), &[], recorded_business())
        .get(&reviews_path(ALIAS), &[], constructed_reviews())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), |t: &Target| {
        t.connector(
            YelpConnector::new(settings_at(&t.base_url, &t.secret))
                .map(|c| c.with_clock(Clock::fixed(now()))),
        )
    })
    .boundary_repeats(&["business", "reviews"])
    .checkpoint_type::<SnapshotCheckpoint>("business")
    .checkpoint_type::<SnapshotCheckpoint>("reviews")
    .kind(&Yelp)
    .run()
    .await
    .assert_ok();
}
