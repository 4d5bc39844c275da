//! The digest delivery log; run on both backends by the suite in `tests.rs`.

use crate::{DeliveryClaim, DeliveryState, Store};

const KEY: (&str, &str, &str) = ("support", "2026-W46", "email");

async fn claim(store: &Store, force: bool) -> DeliveryClaim {
    store
        .claim_delivery(KEY.0, KEY.1, KEY.2, force)
        .await
        .unwrap()
}

fn token(c: DeliveryClaim) -> String {
    match c {
        DeliveryClaim::Acquired { token } => token,
        other => panic!("expected an acquired claim, got {other:?}"),
    }
}

pub(super) async fn deliveries_are_claimed_once_and_forced_again(store: Store) {
    let (team, period, channel) = KEY;
    let t1 = token(claim(&store, false).await);
    // Claimed and unconfirmed: a second claim finds it sending.
    let since = match claim(&store, false).await {
        DeliveryClaim::Sending { since } => since,
        other => panic!("{other:?}"),
    };
    let row = store
        .delivery(team, period, channel)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, DeliveryState::Sending);
    assert_eq!(row.claimed_at, since);
    assert_eq!(row.sent_at, None);
    assert_eq!(row.token, t1);
    // A wrong token neither confirms nor releases.
    assert!(
        !store
            .mark_delivery_sent(team, period, channel, "nope")
            .await
            .unwrap()
    );
    assert!(
        !store
            .release_delivery(team, period, channel, "nope")
            .await
            .unwrap()
    );
    assert!(
        store
            .mark_delivery_sent(team, period, channel, &t1)
            .await
            .unwrap()
    );
    // Confirmed once only; a sent row cannot be released.
    assert!(
        !store
            .mark_delivery_sent(team, period, channel, &t1)
            .await
            .unwrap()
    );
    assert!(
        !store
            .release_delivery(team, period, channel, &t1)
            .await
            .unwrap()
    );
    let at = match claim(&store, false).await {
        DeliveryClaim::Sent { at } => at,
        other => panic!("{other:?}"),
    };
    assert!(at >= since);
    // Other channels, periods and teams are their own keys.
    for (t, p, c) in [
        (team, period, "slack"),
        (team, "2026-W47", channel),
        ("sales", period, channel),
    ] {
        assert!(matches!(
            store.claim_delivery(t, p, c, false).await.unwrap(),
            DeliveryClaim::Acquired { .. }
        ));
    }
    // Force takes a sent row over with a new token; the old token is void.
    let t2 = token(claim(&store, true).await);
    assert_ne!(t1, t2);
    let row = store
        .delivery(team, period, channel)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.state, row.sent_at), (DeliveryState::Sending, None));
    assert!(
        !store
            .mark_delivery_sent(team, period, channel, &t1)
            .await
            .unwrap()
    );
    // Force takes a sending row over too (the crash case), and a stale process whose claim
    // was taken over can neither release nor confirm it.
    let t3 = token(claim(&store, true).await);
    assert!(
        !store
            .release_delivery(team, period, channel, &t2)
            .await
            .unwrap()
    );
    assert!(
        store
            .mark_delivery_sent(team, period, channel, &t3)
            .await
            .unwrap()
    );
    let all = store.deliveries(team).await.unwrap();
    let keys: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|r| (r.period.as_str(), r.channel.as_str(), r.state.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("2026-W46", "email", "sent"),
            ("2026-W46", "slack", "sending"),
            ("2026-W47", "email", "sending"),
        ]
    );
    assert!(
        store
            .claim_delivery("", period, channel, false)
            .await
            .is_err()
    );
}

pub(super) async fn a_released_delivery_is_claimed_again(store: Store) {
    let (team, period, channel) = KEY;
    let t1 = token(claim(&store, false).await);
    assert!(
        store
            .release_delivery(team, period, channel, &t1)
            .await
            .unwrap()
    );
    assert_eq!(store.delivery(team, period, channel).await.unwrap(), None);
    let t2 = token(claim(&store, false).await);
    assert_ne!(t1, t2);
}

/// Many claimers at once, on several connections: exactly one wins; the others see it
/// sending (or, once it is confirmed, sent).
pub(super) async fn concurrent_claims_have_one_winner(store: Store) {
    // A second, independent pool on the same database stands in for another process.
    let other = match &store {
        Store::Sqlite(p) => {
            let pool = sqlx::SqlitePool::connect_with((*p.reads.connect_options()).clone())
                .await
                .unwrap();
            Store::Sqlite(crate::sqlite::SqlitePools {
                reads: pool.clone(),
                writes: pool,
            })
        }
        Store::Postgres(p) => Store::Postgres(
            sqlx::PgPool::connect_with((*p.connect_options()).clone())
                .await
                .unwrap(),
        ),
    };
    for round in 0..3 {
        let period = format!("2026-W{:02}", 40 + round);
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let store = if i % 2 == 0 { &store } else { &other }.clone();
                let period = period.clone();
                tokio::spawn(async move {
                    store
                        .claim_delivery("support", &period, "slack", false)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                DeliveryClaim::Acquired { .. } => won += 1,
                DeliveryClaim::Sending { .. } => {}
                DeliveryClaim::Sent { .. } => panic!("nobody confirmed"),
            }
        }
        assert_eq!(won, 1, "round {round}");
    }
    other.close().await;
    // Forced claims at once: each takes the row over; exactly the last one's token holds.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                match store
                    .claim_delivery("support", "2026-W40", "slack", true)
                    .await
                    .unwrap()
                {
                    DeliveryClaim::Acquired { token } => token,
                    other => panic!("{other:?}"),
                }
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap());
    }
    let mut confirmed = 0;
    for token in tokens {
        if store
            .mark_delivery_sent("support", "2026-W40", "slack", &token)
            .await
            .unwrap()
        {
            confirmed += 1;
        }
    }
    assert_eq!(confirmed, 1);
}
