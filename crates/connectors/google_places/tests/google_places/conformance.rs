//! The SDK's conformance kit on both layouts: resume from the checkpoint, 429, 5xx, 401/403
//! and a wrong key, broken and oversized answers, an endlessly repeated answer, no key in any
//! log line or error, the typed checkpoint and the kind's declaration.

use crate::common::*;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector::{Clock, HttpConnector as _};
use deskpulse_connector_google_places::{GooglePlaces, GooglePlacesConnector, PlaceCheckpoint};

/// The connector the kit asks for: `api` against the kit's server and key, the clock pinned
/// so each read's snapshot is the same record.
fn make(
    api: &'static str,
    place_id: &'static str,
) -> impl Fn(&Target) -> Box<dyn deskpulse_connector::Connector> {
    move |t: &Target| {
        t.connector(
            GooglePlacesConnector::new(settings_at(&t.base_url, api, place_id, &t.secret))
                .map(|c| c.with_clock(Clock::fixed(now()))),
        )
    }
}

fn kit(fixtures: Fixtures, api: &'static str, place_id: &'static str) -> Conformance {
    Conformance::new(fixtures, make(api, place_id))
        // Every sync reads the place again: a resume from the one checkpoint repeats its
        // records (upserts, and the same day's snapshot).
        .boundary_repeats(&["place"])
        .checkpoint_type::<PlaceCheckpoint>("place")
        .kind(&GooglePlaces)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_api_passes_the_conformance_kit() {
    let fixtures = Fixtures::new().get(
        "/v1/places/ChIJN1t_tDeuEmsRUsoyG83frY4",
        &[],
        json(NEW_PLACE),
    );
    kit(fixtures, "new", SYDNEY).run().await.assert_ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_api_passes_the_conformance_kit() {
    let fixtures = Fixtures::new().get(
        "/maps/api/place/details/json",
        &[
            ("place_id", QUAY),
            ("fields", "rating,user_ratings_total,reviews"),
        ],
        json(QUAY_DETAILS),
    );
    kit(fixtures, "legacy", QUAY).run().await.assert_ok();
}
