//! Social counters are kept one per counter and UTC day; interactions keep their author only
//! as a keyed hash and a report reads those received in its period.

use super::*;

fn followers(value: f64, observed_at: DateTime<Utc>) -> Record {
    Record::SocialStat(SocialStat {
        platform: "x".into(),
        account: "acme".into(),
        metric: SocialMetric::Followers,
        value,
        observed_at,
    })
}

fn mention(id: &str, created_at: DateTime<Utc>, replied_at: Option<DateTime<Utc>>) -> Record {
    Record::SocialInteraction(SocialInteraction {
        platform: "x".into(),
        account: "acme".into(),
        external_id: id.into(),
        kind: InteractionKind::Mention,
        created_at,
        author_id: Some("987654321012345".into()),
        positive: None,
        replied_at,
        deleted: false,
    })
}

async fn commit(store: &Store, records: Vec<Record>, n: u64) {
    let batch = Batch {
        records,
        checkpoint: Checkpoint::new(json!(n)),
    };
    store.commit_batch(SRC, "social", &batch).await.unwrap();
}

pub(super) async fn social_counters_are_one_per_day(store: Store) {
    commit(&store, vec![followers(100.0, at(1))], 1).await;
    commit(&store, vec![followers(103.0, at(20))], 2).await;
    // A replayed earlier batch of the same day does not replace the later value.
    commit(&store, vec![followers(100.0, at(1))], 1).await;
    commit(&store, vec![followers(110.0, at(25))], 3).await;
    assert_eq!(store.counts().await.unwrap()["social_stats"], 2);
    let input = store
        .load_report_input(&[SRC.into()], at(0), at(48))
        .await
        .unwrap();
    let values: Vec<f64> = input.social.iter().map(|s| s.stat.value).collect();
    assert_eq!(values, vec![103.0, 110.0]);
}

pub(super) async fn interactions_keep_a_hashed_author_and_the_first_reply(store: Store) {
    commit(&store, vec![mention("m1", at(2), Some(at(3)))], 1).await;
    // A later sync sees the reply later (edited): the first time stays.
    commit(&store, vec![mention("m1", at(2), Some(at(5)))], 2).await;
    commit(&store, vec![mention("m0", at(-30), None)], 3).await;
    let dump = store.dump().await.unwrap().join("\n");
    assert!(
        !dump.contains("987654321012345"),
        "a raw author id is stored:\n{dump}"
    );
    let input = store
        .load_report_input(&[SRC.into()], at(0), at(24))
        .await
        .unwrap();
    assert_eq!(input.social_interactions.len(), 1, "only the period's");
    let i = &input.social_interactions[0].interaction;
    assert_eq!((i.external_id.as_str(), i.replied_at), ("m1", Some(at(3))));
    let hash = i.author_id.as_deref().unwrap();
    assert_eq!(hash.len(), 64, "an HMAC-SHA256 in hex: {hash}");
}
