//! Checkpoints stored by earlier versions resume, exactly as those versions wrote them; and no
//! time bookmark from the API (an `end_time`, a rating's `updated_at`) that lies in the
//! future ever becomes a checkpoint.

use crate::common::*;
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::clock::Clock;
use deskpulse_connector::{Checkpoint, ConnectorError};
use serde_json::json;
use wiremock::MockServer;
use wiremock::matchers::query_param_is_missing;

/// An `after_cursor` of the tickets cursor export, as quoted from a Zendesk response in
/// fivetran.com/docs/connectors/applications/zendesk/troubleshooting/sync-tickets-incrementally.
const CURSOR: &str = "MTU4MDc1Mzc5OC4wfHw0MzJ8";

/// `{"cursor": …}` and `{"start_time": …}` of the cursor exports, `{"start_time": …}` of the
/// ticket events and ratings, literally as the previous version stored them: each resumes
/// where it says, and the next checkpoint is written in the same layout.
#[tokio::test]
async fn checkpoints_stored_by_the_previous_version_resume() {
    let server = MockServer::start().await;
    let empty = |key, ep| export_page(key, ep, json!([]), CURSOR, true);
    given(USERS, &[("cursor", CURSOR)])
        .and(query_param_is_missing("start_time"))
        .respond_with(empty("users", USERS))
        .expect(1)
        .mount(&server)
        .await;
    given(TICKETS, &[("start_time", "1332034771")])
        .and(query_param_is_missing("cursor"))
        .respond_with(empty("tickets", TICKETS))
        .expect(1)
        .mount(&server)
        .await;
    let events = events_page(json!([]), 1709283600, true);
    get(EVENTS, &[("start_time", "1709283600")], events)
        .expect(1)
        .mount(&server)
        .await;
    // The ratings bookmark is re-read from 28 days (the default lookback) before it.
    let bookmark = ts("2024-03-21T09:00:00Z");
    let since = (bookmark - 28 * 86_400).to_string();
    let answered = rating(
        5,
        "good",
        "2024-03-20T09:00:00Z",
        "2024-03-22T09:00:00Z",
        None,
    );
    get(
        RATINGS,
        &[("start_time", &since)],
        ratings_page(json!([answered])),
    )
    .expect(1)
    .mount(&server)
    .await;
    let c = connector(&server);
    let stored = [
        (
            "users",
            json!({"cursor": CURSOR}),
            json!({"cursor": CURSOR}),
        ),
        (
            "tickets",
            json!({"start_time": 1332034771}),
            json!({"cursor": CURSOR}),
        ),
        (
            "ticket_events",
            json!({"start_time": 1709283600}),
            json!({"start_time": 1709283600}),
        ),
        (
            "satisfaction_ratings",
            json!({"start_time": bookmark}),
            json!({"start_time": ts("2024-03-22T09:00:00Z")}),
        ),
    ];
    for (stream, from, next) in stored {
        let batches = read_ok(&c, stream, Some(Checkpoint::new(from))).await;
        assert_eq!(checkpoints(&batches), vec![next], "{stream}");
    }
}

/// A cursor export that ends on its first page without an `after_cursor` keeps its
/// `start_time`, as the previous version did.
#[tokio::test]
async fn an_export_without_after_cursor_keeps_its_start_time() {
    let server = MockServer::start().await;
    let page = ok(json!({
        "tickets": [], "after_cursor": null, "after_url": null, "before_cursor": null,
        "before_url": null, "end_of_stream": true,
    }));
    get(TICKETS, &[("start_time", "1332034771")], page)
        .expect(1)
        .mount(&server)
        .await;
    let from = Checkpoint::new(json!({"start_time": 1332034771}));
    let batches = read_ok(&connector(&server), "tickets", Some(from)).await;
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"start_time": 1332034771})]
    );
}

fn at(s: &str) -> Clock {
    Clock::fixed(s.parse().unwrap())
}

/// An `end_time` a day past now (a server whose clock runs ahead, or a bad proxy) would be
/// the next sync's `start_time`: the page is refused and nothing is committed.
#[tokio::test]
async fn an_end_time_past_now_is_malformed_and_never_a_checkpoint() {
    let server = MockServer::start().await;
    let ahead = events_page(json!([]), ts("2024-03-02T12:00:00Z"), false);
    get(EVENTS, &[("start_time", "1709283600")], ahead)
        .expect(1)
        .mount(&server)
        .await;
    let c = connector(&server).with_clock(at("2024-03-01T12:00:00Z"));
    let from = Checkpoint::new(json!({"start_time": 1709283600}));
    let (batches, err) = read(&c, "ticket_events", Some(from)).await;
    assert!(batches.is_empty());
    assert!(
        matches!(&err, Some(ConnectorError::Malformed { endpoint, detail })
            if endpoint == EVENTS && detail.contains("`end_time`")),
        "{err:?}"
    );
}

/// A rating whose `updated_at` is a year past now would make every later sync ask for ratings
/// from the future (and miss every answer until then): refused before it becomes the
/// bookmark. A few minutes of clock skew is tolerated.
#[tokio::test]
async fn a_rating_answered_in_the_future_never_becomes_the_bookmark() {
    let now = "2024-03-01T12:00:00Z";
    for (updated, ok) in [
        ("2024-03-01T12:03:00Z", true),
        ("2025-03-01T12:00:00Z", false),
    ] {
        let server = MockServer::start().await;
        let ratings = json!([
            rating(
                1,
                "good",
                "2024-03-01T09:00:00Z",
                "2024-03-01T10:00:00Z",
                None
            ),
            rating(2, "good", "2024-03-01T09:30:00Z", updated, None),
        ]);
        get(RATINGS, &[], ratings_page(ratings))
            .expect(1)
            .mount(&server)
            .await;
        let c = connector(&server).with_clock(at(now));
        let (batches, err) = read(&c, "satisfaction_ratings", None).await;
        if ok {
            assert!(err.is_none(), "{err:?}");
            assert_eq!(
                checkpoints(&batches),
                vec![json!({"start_time": ts(updated)})]
            );
        } else {
            assert!(batches.is_empty(), "{batches:?}");
            assert!(
                matches!(&err, Some(ConnectorError::Malformed { endpoint, detail })
                    if endpoint == RATINGS && detail.contains("rating 2") && detail.contains("`updated_at`")),
                "{err:?}"
            );
        }
    }
}
