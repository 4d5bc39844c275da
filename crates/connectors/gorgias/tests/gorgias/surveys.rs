//! Satisfaction surveys: 1–5 answers dated when scored, unanswered ones skipped, a lookback
//! for answers given after the bookmark.

use crate::common::*;
use deskpulse_connector::{Checkpoint, Record};
use deskpulse_connector_gorgias::GorgiasSettings;
use deskpulse_model::Rating;
use serde_json::json;
use wiremock::MockServer;

const EP: &str = "/api/satisfaction-surveys";

async fn served() -> MockServer {
    let server = MockServer::start().await;
    let p1 = json!([
        survey(1240, 20, None, "2019-12-01T10:00:00", None),
        survey(
            1239,
            19,
            Some(5),
            "2019-11-28T10:00:00",
            Some("2019-11-28T12:00:00+00:00")
        ),
    ]);
    let p2 = json!([
        survey(
            1235,
            13,
            Some(4),
            "2019-11-20T10:00:00",
            Some("2019-11-21T10:00:00")
        ),
        // The documented example (§4.7): created on the 16th, scored on the 25th.
        documented_survey()
    ]);
    let order = [("order_by", "created_datetime:desc")];
    mount_pages(&server, EP, &order, vec![(p1, Some("s1")), (p2, None)]).await;
    server
}

#[tokio::test]
async fn scored_surveys_are_ratings_on_one_to_five() {
    let server = served().await;
    let c = connector_with(GorgiasSettings {
        surveys_lookback_days: 0,
        ..settings(&server)
    });
    let batches = read_ok(&c, "satisfaction_surveys", None).await;
    assert_eq!(batches.len(), 2);
    let r: Vec<Rating> = all(&records(&batches), Record::as_rating);
    assert_eq!(
        r.iter()
            .map(|r| (r.external_id.as_str(), r.score))
            .collect::<Vec<_>>(),
        [("1239", 5.0), ("1235", 4.0), ("1234", 2.0)],
        "the unanswered survey 1240 is no response"
    );
    assert_eq!(r[2], documented_rating());
    // Bookmarked by creation (the feed's order), including the unanswered survey read.
    assert_eq!(
        batches[1].checkpoint.value(),
        &json!({"bookmark": "2019-12-01T10:00:00.000000Z"})
    );
}

#[tokio::test]
async fn the_lookback_rereads_surveys_answered_late() {
    let server = served().await;
    // Default lookback: 14 days before the bookmark of Dec 1st, i.e. back to Nov 17th.
    let c = connector(&server);
    let from = Checkpoint::new(json!({"bookmark": "2019-12-01T10:00:00.000000Z"}));
    let batches = read_ok(&c, "satisfaction_surveys", Some(from)).await;
    assert_eq!(
        keys(&records(&batches)),
        ["rating:1239", "rating:1235"],
        "1235 was created before the bookmark, and is read again; 1234 is older than the window"
    );
    assert_eq!(
        batches.last().unwrap().checkpoint.value(),
        &json!({"bookmark": "2019-12-01T10:00:00.000000Z"})
    );
}
