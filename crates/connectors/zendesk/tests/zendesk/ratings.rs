//! The satisfaction ratings list: paging, offered surveys skipped, and ratings dated and
//! bookmarked by when the customer answered (`updated_at`), so late answers are read.

use crate::common::*;
use chrono::{DateTime, Utc};
use deskpulse_connector::Record;
use deskpulse_model::{Rating, RatingKind, RatingScale};
use serde_json::{Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// A small model of the list endpoint: filters on `start_time`, sorts by `created_at`,
/// pages with `page[size]` and `page[after]` (an opaque offset), and answers like Zendesk,
/// with an absolute `links.next` on the production host. Zendesk does not document which
/// timestamp `start_time` compares, so the model takes it as a parameter (`created_at` by
/// default, the reading that hides late answers).
struct RatingsApi(Vec<Value>, &'static str);

impl RatingsApi {
    fn new(ratings: Vec<Value>) -> Self {
        RatingsApi(ratings, "created_at")
    }
}

impl Respond for RatingsApi {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let q: std::collections::HashMap<String, String> =
            req.url.query_pairs().into_owned().collect();
        assert_eq!(q.get("sort").map(String::as_str), Some("created_at"));
        let start: i64 = q["start_time"].parse().unwrap();
        let size: usize = q["page[size]"].parse().unwrap();
        let offset: usize = q
            .get("page[after]")
            .map(|a| a.trim_start_matches("after-").parse().unwrap())
            .unwrap_or(0);
        let mut all: Vec<&Value> = self
            .0
            .iter()
            .filter(|r| ts(r[self.1].as_str().unwrap()) >= start)
            .collect();
        all.sort_by_key(|r| r["created_at"].as_str().unwrap().to_owned());
        let page: Vec<&Value> = all.iter().skip(offset).take(size).copied().collect();
        let has_more = offset + size < all.len();
        let after = format!("after-{}", offset + size);
        ok(json!({
            "satisfaction_ratings": page,
            "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": format!("before-{offset}")},
            "links": {
                "next": if has_more { json!(format!("{PROD}{RATINGS}?page%5Bafter%5D={after}&page%5Bsize%5D={size}")) } else { Value::Null },
                "prev": null
            }
        }))
    }
}

/// A mock server whose ratings list is `api`.
async fn serving(api: RatingsApi) -> MockServer {
    let server = MockServer::start().await;
    get(RATINGS, &[], api).mount(&server).await;
    server
}

/// A rating answered when it was offered.
fn unchanged(id: u64, score: &str, created: &str, comment: Option<&str>) -> Value {
    rating(id, score, created, created, comment)
}

fn dataset() -> Vec<Value> {
    vec![
        // Not the documented rating 35436 (that one, in satisfaction_ratings.json, has assignee
        // 135, "Awesome support!" and 2011-07-20): a rating on the documented layout carrying the
        // Incremental Tickets example ticket's values (ticket, assignee, group and requester ids,
        // created 2009-07-20, updated 2011-05-05), i.e. an answer long after the offer.
        json!({"id": 35436, "assignee_id": 235323, "group_id": 98738, "requester_id": 20978392,
               "ticket_id": 35436, "score": "good", "comment": "Great support!",
               "reason": "The issue was resolved quickly", "reason_id": 123,
               "created_at": "2009-07-20T22:55:29Z", "updated_at": "2011-05-05T10:38:52Z"}),
        unchanged(2, "offered", "2024-01-01T00:00:00Z", None),
        unchanged(3, "bad", "2024-01-02T00:00:00Z", Some("Too slow")),
        unchanged(4, "unoffered", "2024-01-03T00:00:00Z", None),
        unchanged(5, "good", "2024-01-04T00:00:00Z", Some("")),
    ]
}

#[tokio::test]
async fn pages_maps_and_skips_offered() {
    let server = serving(RatingsApi::new(dataset())).await;
    let c = connector_with(&server, |s| {
        s.page_size = Some(2);
    });
    let batches = read_ok(&c, "satisfaction_ratings", None).await;
    assert_eq!(
        checkpoints(&batches),
        vec![
            // The bookmark follows every rating read, answered or only offered.
            json!({"start_time": ts("2024-01-01T00:00:00Z")}),
            json!({"start_time": ts("2024-01-03T00:00:00Z")}),
            json!({"start_time": ts("2024-01-04T00:00:00Z")}),
        ]
    );
    let recs = records(&batches);
    assert_eq!(
        recs.iter().map(Record::key).collect::<Vec<_>>(),
        ["rating:35436", "rating:3", "rating:5"],
        "offered and unoffered surveys are not responses"
    );
    assert_eq!(
        recs[0],
        Record::Rating(Rating {
            external_id: "35436".into(),
            kind: RatingKind::Csat,
            score: 1.0,
            scale: RatingScale::BINARY,
            ticket_id: Some("35436".into()),
            agent_id: Some("235323".into()),
            comment: Some("Great support!".into()),
            // Answered (last updated) 2011-05-05, not offered 2009-07-20.
            created_at: t("2011-05-05T10:38:52Z"),
        })
    );
    match (&recs[1], &recs[2]) {
        (Record::Rating(bad), Record::Rating(good)) => {
            assert_eq!((bad.score, bad.comment.as_deref()), (0.0, Some("Too slow")));
            assert_eq!((good.score, good.comment.as_deref()), (1.0, None));
        }
        other => panic!("{other:?}"),
    }
}

/// The documented list example: rating 120447 was created (offered) 2012-02-01 and updated
/// (answered) 2012-02-02; it counts on the day of the answer.
#[tokio::test]
async fn a_rating_is_dated_when_the_customer_answered() {
    let server = MockServer::start().await;
    let mut body = doc_fixture("satisfaction_ratings.json");
    body["meta"] = json!({"has_more": false, "after_cursor": null, "before_cursor": null});
    body["links"] = json!({"next": null, "prev": null});
    get(RATINGS, &[], ok(body)).expect(1).mount(&server).await;
    let batches = read_ok(&connector(&server), "satisfaction_ratings", None).await;
    let dates: Vec<(String, DateTime<Utc>)> = records(&batches)
        .into_iter()
        .map(|r| match r {
            Record::Rating(r) => (r.external_id, r.created_at),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        dates,
        vec![
            ("35436".into(), t("2011-07-20T22:55:29Z")),
            ("120447".into(), t("2012-02-02T10:32:59Z")),
        ]
    );
    // The bookmark is the latest answer, not the latest offer.
    let answered = ts("2012-02-02T10:32:59Z");
    assert_eq!(checkpoints(&batches), vec![json!({"start_time": answered})]);
}

/// A survey offered three weeks before the last sync's bookmark and answered after it is read
/// by the next sync and dated by the answer, whichever timestamp the list's `start_time`
/// compares (`created_at` or `updated_at`; Zendesk documents neither).
#[tokio::test]
async fn a_late_answer_is_read_by_the_next_sync_and_lands_in_its_week() {
    let offered = "2024-03-01T09:00:00Z";
    let before = vec![
        rating(7, "offered", offered, offered, None),
        unchanged(8, "good", "2024-03-20T09:00:00Z", None),
        unchanged(9, "bad", "2024-03-21T09:00:00Z", None),
    ];
    let after: Vec<Value> = before
        .iter()
        .map(|r| {
            if r["id"] == 7 {
                rating(
                    7,
                    "bad",
                    offered,
                    "2024-03-25T16:00:00Z",
                    Some("Never fixed"),
                )
            } else {
                r.clone()
            }
        })
        .collect();
    for field in ["created_at", "updated_at"] {
        let server = serving(RatingsApi(before.clone(), field)).await;
        let first = read_ok(&connector(&server), "satisfaction_ratings", None).await;
        let keys: Vec<String> = records(&first).iter().map(Record::key).collect();
        assert_eq!(keys, ["rating:8", "rating:9"], "{field}");
        let bookmark = first.last().unwrap().checkpoint.clone();
        assert_eq!(
            bookmark.value(),
            &json!({"start_time": ts("2024-03-21T09:00:00Z")})
        );

        let later = serving(RatingsApi(after.clone(), field)).await;
        let next = read_ok(&connector(&later), "satisfaction_ratings", Some(bookmark)).await;
        let late = records(&next)
            .into_iter()
            .find(|r| r.key() == "rating:7")
            .and_then(|r| r.as_rating().cloned())
            .unwrap_or_else(|| panic!("the late answer was missed ({field})"));
        assert_eq!(late.created_at, t("2024-03-25T16:00:00Z"));
        assert_eq!(late.score, 0.0);
        assert_eq!(
            next.last().unwrap().checkpoint.value(),
            &json!({"start_time": ts("2024-03-25T16:00:00Z")}),
            "the bookmark follows updated_at ({field})"
        );
    }
}

/// Without the lookback, a `created_at` filter would hide that answer: what the setting is for.
#[tokio::test]
async fn without_lookback_a_created_at_filter_hides_a_late_answer() {
    let offered = "2024-03-01T09:00:00Z";
    let ratings = vec![
        rating(7, "bad", offered, "2024-03-25T16:00:00Z", None),
        unchanged(9, "bad", "2024-03-21T09:00:00Z", None),
    ];
    let server = serving(RatingsApi::new(ratings)).await;
    let c = connector_with(&server, |s| {
        s.ratings_lookback_days = 0;
    });
    let bookmark =
        deskpulse_connector::Checkpoint::new(json!({"start_time": ts("2024-03-21T09:00:00Z")}));
    let strict = read_ok(&c, "satisfaction_ratings", Some(bookmark)).await;
    assert!(!records(&strict).iter().any(|r| r.key() == "rating:7"));
}
