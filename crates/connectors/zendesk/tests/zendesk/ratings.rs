use crate::common::*;
use chrono::{DateTime, Utc};
use deskpulse_connector::Record;
use deskpulse_model::{Rating, RatingKind, RatingScale};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const EP: &str = "/api/v2/satisfaction_ratings.json";

/// A small model of the list endpoint: filters on `start_time`, sorts by `created_at`,
/// pages with `page[size]` and `page[after]` (an opaque offset), and answers like Zendesk,
/// with an absolute `links.next` on the production host.
struct RatingsApi(Vec<Value>);

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
            .filter(|r| {
                r["created_at"]
                    .as_str()
                    .unwrap()
                    .parse::<DateTime<Utc>>()
                    .unwrap()
                    .timestamp()
                    >= start
            })
            .collect();
        all.sort_by_key(|r| r["created_at"].as_str().unwrap().to_owned());
        let page: Vec<&Value> = all.iter().skip(offset).take(size).copied().collect();
        let has_more = offset + size < all.len();
        let after = format!("after-{}", offset + size);
        ResponseTemplate::new(200).set_body_json(json!({
            "satisfaction_ratings": page,
            "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": format!("before-{offset}")},
            "links": {
                "next": if has_more { json!(format!("{PROD}{EP}?page%5Bafter%5D={after}&page%5Bsize%5D={size}")) } else { Value::Null },
                "prev": null
            }
        }))
    }
}

fn rating(id: u64, score: &str, created: &str, comment: Option<&str>) -> Value {
    json!({
        "url": format!("{PROD}/api/v2/satisfaction_ratings/{id}.json"),
        "id": id, "assignee_id": 235323, "group_id": 98738, "requester_id": 20978392,
        "ticket_id": id + 1000, "score": score, "comment": comment,
        "reason": "The issue was resolved quickly", "reason_id": 123,
        "created_at": created, "updated_at": created
    })
}

fn dataset() -> Vec<Value> {
    vec![
        // The vendor's documented example.
        json!({"id": 35436, "assignee_id": 235323, "group_id": 98738, "requester_id": 20978392,
               "ticket_id": 35436, "score": "good", "comment": "Great support!",
               "reason": "The issue was resolved quickly", "reason_id": 123,
               "created_at": "2009-07-20T22:55:29Z", "updated_at": "2011-05-05T10:38:52Z"}),
        rating(2, "offered", "2024-01-01T00:00:00Z", None),
        rating(3, "bad", "2024-01-02T00:00:00Z", Some("Too slow")),
        rating(4, "unoffered", "2024-01-03T00:00:00Z", None),
        rating(5, "good", "2024-01-04T00:00:00Z", Some("")),
    ]
}

#[tokio::test]
async fn pages_maps_skips_offered_and_resumes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EP))
        .respond_with(RatingsApi(dataset()))
        .mount(&server)
        .await;
    let mut s = settings(&server);
    s.page_size = Some(2);
    let c = deskpulse_connector_zendesk::ZendeskConnector::new(s)
        .unwrap()
        .with_retry_policy(fast_retry());
    let batches = read_ok(&c, "satisfaction_ratings", None).await;
    let ts = |s: &str| s.parse::<DateTime<Utc>>().unwrap().timestamp();
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
        ids(&recs),
        vec!["35436", "3", "5"],
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
            created_at: "2009-07-20T22:55:29Z".parse().unwrap(),
        })
    );
    match (&recs[1], &recs[2]) {
        (Record::Rating(bad), Record::Rating(good)) => {
            assert_eq!((bad.score, bad.comment.as_deref()), (0.0, Some("Too slow")));
            assert_eq!((good.score, good.comment.as_deref()), (1.0, None));
        }
        other => panic!("{other:?}"),
    }

    // Resuming from any checkpoint yields every later rating (the boundary one may repeat).
    let all: BTreeSet<String> = ids(&recs).into_iter().collect();
    for (i, b) in batches.iter().enumerate() {
        let resumed: BTreeSet<String> = ids(&records(
            &read_ok(&c, "satisfaction_ratings", Some(b.checkpoint.clone())).await,
        ))
        .into_iter()
        .collect();
        let later: BTreeSet<String> = ids(&records(&batches[i + 1..])).into_iter().collect();
        assert!(
            resumed.is_superset(&later),
            "checkpoint {i}: {resumed:?} lacks some of {later:?}"
        );
        assert!(resumed.is_subset(&all));
    }
}

/// A survey offered before the bookmark and answered after the last sync is read by the next
/// sync, thanks to the lookback window: Zendesk keeps dating it by when it was offered.
#[tokio::test]
async fn a_late_answer_is_read_by_the_next_sync() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EP))
        .respond_with(RatingsApi(dataset()))
        .mount(&server)
        .await;
    let c = deskpulse_connector_zendesk::ZendeskConnector::new(settings(&server))
        .unwrap()
        .with_retry_policy(fast_retry());
    let first = read_ok(&c, "satisfaction_ratings", None).await;
    assert!(
        !ids(&records(&first)).contains(&"2".to_owned()),
        "2 is only offered yet"
    );
    let bookmark = first.last().unwrap().checkpoint.clone();

    // The customer answers survey 2 (offered 2024-01-01, three days before the bookmark).
    let answered: Vec<Value> = dataset()
        .into_iter()
        .map(|r| {
            if r["id"] == 2 {
                rating(2, "good", "2024-01-01T00:00:00Z", Some("Thanks"))
            } else {
                r
            }
        })
        .collect();
    let later = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EP))
        .respond_with(RatingsApi(answered))
        .mount(&later)
        .await;
    let c = deskpulse_connector_zendesk::ZendeskConnector::new(settings(&later))
        .unwrap()
        .with_retry_policy(fast_retry());
    let next = read_ok(&c, "satisfaction_ratings", Some(bookmark.clone())).await;
    assert!(
        ids(&records(&next)).contains(&"2".to_owned()),
        "the late answer was missed"
    );

    // Without a lookback it would have been missed: the point of the setting.
    let mut s = settings(&later);
    s.ratings_lookback_days = 0;
    let c = deskpulse_connector_zendesk::ZendeskConnector::new(s)
        .unwrap()
        .with_retry_policy(fast_retry());
    let strict = read_ok(&c, "satisfaction_ratings", Some(bookmark)).await;
    assert!(!ids(&records(&strict)).contains(&"2".to_owned()));
}
