//! The SDK's conformance kit on both streams: resume from every checkpoint, 429, 5xx,
//! 401/403, broken pages (the comment lookups included), endless paging, oversized bodies,
//! no token in logs and errors, the typed checkpoints and the registration.
//!
//! The pages: the documented account; media [m3 m2] → after M1 → [m1 m0] (m0 is older than
//! m3 − 7 days: the pass ends there); m3's comments on two pages, m2's with replies continued
//! on the replies edge, m1's on one page.

use crate::common::*;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector::{Clock, Connector, HttpConnector as _, Secret};
use deskpulse_connector_instagram::{
    AccountCheckpoint, CommentsCheckpoint, Instagram, InstagramConnector, InstagramSettings,
};
use serde_json::Value;

const MEDIA_FIELDS: &str = "id,timestamp,comments_count,username";

fn fixtures() -> Fixtures {
    let media = |after: Option<&'static str>| {
        let mut q: Vec<(&str, &str)> = vec![("fields", MEDIA_FIELDS), ("limit", "2")];
        q.extend(after.map(|a| ("after", a)));
        q
    };
    let after = |a: &'static str| [("after", a)];
    let b1 = b1_with_more_replies();
    let page2: Value = list(
        vec![comment(
            "a4",
            "2026-11-12T11:00:00+0000",
            "444",
            true,
            vec![reply("r41", "2026-11-12T11:20:00+0000", By::User)],
        )],
        None,
    );
    Fixtures::new()
        .get(&account_path(), &[], fixture("constructed_ig_user.json"))
        .get(
            &media_path(),
            &media(None),
            list(
                vec![
                    medium("m3", "2026-11-12T10:00:00+0000", 3),
                    medium("m2", "2026-11-08T09:00:00+0000", 2),
                ],
                Some("M1"),
            ),
        )
        .get(
            &media_path(),
            &media(Some("M1")),
            list(
                vec![
                    medium("m1", "2026-11-05T10:00:00+0000", 1),
                    medium("m0", "2026-11-01T10:00:00+0000", 1),
                ],
                Some("M2"),
            ),
        )
        .get(
            &comments_path("m3"),
            &[],
            list(
                vec![comment(
                    "a1",
                    "2026-11-12T10:00:30+0000",
                    "111",
                    false,
                    vec![reply("r11", "2026-11-12T10:50:00+0000", By::Username)],
                )],
                Some("C1"),
            ),
        )
        .get(&comments_path("m3"), &after("C1"), page2)
        .get(&comments_path("m2"), &[], list(vec![b1], None))
        .get(
            &replies_path("b1"),
            &after("R1"),
            list(
                vec![reply("r52", "2026-11-09T08:00:00+0000", By::FromId)],
                None,
            ),
        )
        .get(
            &comments_path("m1"),
            &[],
            list(
                vec![comment(
                    "c1",
                    "2026-11-05T11:00:00+0000",
                    "777",
                    false,
                    vec![],
                )],
                None,
            ),
        )
}

fn connector(t: &Target) -> Box<dyn Connector> {
    let s = InstagramSettings {
        ig_user_id: Some(IG.into()),
        access_token: Some(Secret::new(&t.secret)),
        base_url: Some(t.base_url.clone()),
        page_size: Some(2),
        requests_per_hour: 0,
        ..InstagramSettings::default()
    };
    let c = InstagramConnector::new(s)
        .expect("the kit's settings build a connector")
        .with_retry_policy(t.retry.clone())
        // The kit compares runs record by record: the followers' time must not move.
        .with_clock(Clock::fixed(now()));
    Box::new(c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), connector)
        .kind(&Instagram)
        // One request a sync (`account`), and the whole window again each pass (`comments`).
        .boundary_repeats(&["account", "comments"])
        .checkpoint_type::<AccountCheckpoint>("account")
        .checkpoint_type::<CommentsCheckpoint>("comments")
        .run()
        .await
        .assert_ok();
}
