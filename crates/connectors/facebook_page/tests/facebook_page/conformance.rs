//! The SDK's conformance kit on the Facebook Page connector: resume from every checkpoint,
//! 429, 5xx, 401/403, a wrong token, broken pages, endless paging, oversized bodies, no
//! token in logs and errors (it travels in the query), the typed checkpoints and the
//! registration.

use crate::common::*;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector::{Clock, Connector, HttpConnector as _, Secret};
use deskpulse_connector_facebook_page::{
    FacebookPage, FacebookPageConnector, FacebookPageSettings, PageCheckpoint, PassCheckpoint,
    RATING_FIELDS,
};
use serde_json::json;

/// The page; two pages of posts (the first is the documented fixture, its production next
/// link replaced by one without `since`, so the two pages' requests differ); the documented
/// ratings page and the page its next link names.
fn fixtures() -> Fixtures {
    let mut posts = fixture("constructed_page_posts.json");
    posts["paging"]["next"] = json!(format!(
        "https://graph.facebook.com/v21.0/{PAGE}/posts?access_token=EAAB-production-token&limit=2&after=P2"
    ));
    let posts2 = json!({"data": [{
        "id": "112233445566778_900000000000003",
        "created_time": "2026-11-08T09:00:00+0000",
        "comments": {"data": [{"id": "900000000000003_800000000000071", "from": {"id": "7012345678900071"},
            "created_time": "2026-11-08T10:00:00+0000", "is_hidden": false}]}
    }], "paging": {"cursors": {"before": "P2", "after": "P3"}}});
    let ratings2 = json!({"data": [{"created_time": "2024-07-20T08:00:00+0000", "recommendation_type": "positive",
        "reviewer": {"id": "7012345678905555"}, "open_graph_story": {"id": "7012345678905555_998877665544000"}}],
        "paging": {"cursors": {"before": "A", "after": "B"}}});
    let since = since();
    Fixtures::new()
        .get(&page_path(), &[], fixture("constructed_page_fields.json"))
        .get(
            &posts_path(),
            &[("since", since.as_str()), ("limit", "2")],
            posts,
        )
        .get(&posts_path(), &[("after", "P2")], posts2)
        .get(
            &ratings_path(),
            &[("fields", RATING_FIELDS), ("limit", "2")],
            fixture("constructed_page_ratings.json"),
        )
        .get(
            &ratings_path(),
            &[("after", "QVFIUmFaZA2RkZAUtU")],
            ratings2,
        )
}

fn connector(t: &Target) -> Box<dyn Connector> {
    let s = FacebookPageSettings {
        page_id: Some(PAGE.into()),
        access_token: Some(Secret::new(&t.secret)),
        base_url: Some(t.base_url.clone()),
        page_size: Some(2),
        requests_per_hour: 0,
        ..FacebookPageSettings::default()
    };
    Box::new(
        FacebookPageConnector::new(s)
            .expect("the kit's settings build a connector")
            .with_retry_policy(t.retry.clone())
            // The kit compares runs record by record: `since` and the stats' time are fixed.
            .with_clock(Clock::fixed(now())),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), connector)
        .kind(&FacebookPage)
        // Every sync reads the page, the window and the recommendations again.
        .boundary_repeats(&["page", "comments", "recommendations"])
        .checkpoint_type::<PageCheckpoint>("page")
        .checkpoint_type::<PassCheckpoint>("comments")
        .checkpoint_type::<PassCheckpoint>("recommendations")
        .run()
        .await
        .assert_ok();
}
