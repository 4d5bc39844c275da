//! Reviews and rating snapshots: a reply keeps the first time it was seen, snapshots are one
//! per platform account and UTC day, and a report reads the ones its period needs.

use super::*;

fn review(replied_at: Option<DateTime<Utc>>) -> Review {
    Review {
        platform: "google_business_profile".into(),
        external_id: "rv9".into(),
        rating: 2.0,
        title: None,
        text: Some("slow".into()),
        author_name: None,
        created_at: at(0),
        reply_text: replied_at.map(|_| "sorry".to_owned()),
        replied_at,
        url: None,
    }
}

fn snapshot(rating: f64, total: u64, observed_at: DateTime<Utc>) -> Record {
    Record::RatingSnapshot(RatingSnapshot {
        platform: "trustpilot".into(),
        account: "bu-1".into(),
        overall_rating: Some(rating),
        total_reviews: Some(total),
        coverage: ReviewCoverage::Full,
        observed_at,
    })
}

async fn commit(store: &Store, records: Vec<Record>, n: u64) {
    let batch = Batch {
        records,
        checkpoint: Checkpoint::new(json!(n)),
    };
    store.commit_batch(SRC, "reviews", &batch).await.unwrap();
}

async fn stored_reply(store: &Store) -> Option<DateTime<Utc>> {
    let input = store
        .load_report_input(&[SRC.into()], at(0), at(24 * 7))
        .await
        .unwrap();
    input.reviews[0].review.replied_at
}

pub(super) async fn a_reply_keeps_the_earliest_time_it_was_seen(store: Store) {
    commit(&store, vec![Record::Review(review(Some(at(5))))], 1).await;
    // The API gives the reply's last edit: an edit at 9 h does not move the reply.
    commit(&store, vec![Record::Review(review(Some(at(9))))], 2).await;
    assert_eq!(stored_reply(&store).await, Some(at(5)));
    // An earlier time (a vendor correcting it) is taken.
    commit(&store, vec![Record::Review(review(Some(at(3))))], 3).await;
    assert_eq!(stored_reply(&store).await, Some(at(3)));
    // A removed reply is removed.
    commit(&store, vec![Record::Review(review(None))], 4).await;
    assert_eq!(stored_reply(&store).await, None);
}

pub(super) async fn rating_snapshots_are_one_per_day_and_read_for_the_period(store: Store) {
    // Day 0: two syncs (the later wins, also when replayed first); day 3 and day 9.
    commit(&store, vec![snapshot(4.0, 10, at(2))], 1).await;
    commit(&store, vec![snapshot(4.1, 11, at(20))], 2).await;
    commit(&store, vec![snapshot(4.0, 10, at(2))], 1).await; // a replayed older batch
    commit(&store, vec![snapshot(4.3, 14, at(3 * 24 + 1))], 3).await;
    commit(&store, vec![snapshot(4.4, 15, at(9 * 24 + 1))], 4).await;
    assert_eq!(store.counts().await.unwrap()["rating_snapshots"], 3);
    // A period from day 1 to day 7: day 0's snapshot (the last before the start), day 3's,
    // and the newest (day 9: its coverage is the connector's; metrics takes no figure
    // from after the end).
    let input = store
        .load_report_input(&[SRC.into()], at(24), at(7 * 24))
        .await
        .unwrap();
    let got: Vec<(f64, Option<u64>)> = input
        .rating_snapshots
        .iter()
        .map(|s| (s.snapshot.overall_rating.unwrap(), s.snapshot.total_reviews))
        .collect();
    assert_eq!(got, vec![(4.1, Some(11)), (4.3, Some(14)), (4.4, Some(15))]);
    assert_eq!(input.rating_snapshots[0].source, SRC);
}
