//! The recent window first, then the backfill (`Leg`, `legs`, `sync_stream_leg`): what each
//! leg reads, commits and records, across failures, kills and later syncs.
//!
//! The connector is a toy written for the test (items at whole seconds, pages of 10 by a
//! `{"t": next}` checkpoint): what is pinned is the runner's legs, not a vendor's payload
//! (Zendesk's own `start_at`/`reached` are tested in its crate against its documented
//! export).

use chrono::{DateTime, Duration, Utc};
use deskpulse_connector::{
    BACKFILL_SUFFIX, Batch, BatchStream, Checkpoint, CheckpointStore, Connector, ConnectorError,
    Leg, NoProgress, Record, StreamLimits, StreamSpec, SyncError, SyncOptions, legs,
    sync_stream_leg,
};
use deskpulse_model::Agent;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

const STREAMS: &[StreamSpec] = &[
    StreamSpec::new("items", "toy items at an instant"),
    StreamSpec::new("whole", "toy items that cannot begin at an instant"),
];
const PAGE: usize = 10;

/// Items one an hour, the newest an hour ago; the stream `whole` has no `start_at`.
struct Toy {
    times: Vec<i64>,
    /// Page starts asked for, in order (a request each).
    reads: Mutex<Vec<(String, i64)>>,
    /// Fail the read of this stream's page starting at this time, once.
    fail_at: Mutex<Option<(&'static str, i64)>>,
}

impl Toy {
    fn new(now: DateTime<Utc>, hours: i64) -> Toy {
        let mut times: Vec<i64> = (1..=hours)
            .map(|h| (now - Duration::hours(h)).timestamp())
            .collect();
        times.sort();
        Toy {
            times,
            reads: Mutex::new(Vec::new()),
            fail_at: Mutex::new(None),
        }
    }

    fn reads(&self, stream: &str) -> Vec<i64> {
        let r = self.reads.lock().unwrap();
        r.iter()
            .filter(|(s, _)| s == stream)
            .map(|(_, t)| *t)
            .collect()
    }
}

fn t_of(cp: &Checkpoint) -> i64 {
    cp.value()["t"].as_i64().unwrap()
}

impl Connector for Toy {
    fn kind(&self) -> &'static str {
        "toy"
    }
    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }
    fn read<'a>(&'a self, stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        let first = from.as_ref().map_or(i64::MIN, t_of);
        Box::pin(futures::stream::unfold(
            Some(first),
            move |next| async move {
                let next = next?;
                self.reads.lock().unwrap().push((stream.to_owned(), next));
                if self
                    .fail_at
                    .lock()
                    .unwrap()
                    .take_if(|(s, t)| *s == stream && *t == next)
                    .is_some()
                {
                    let e = ConnectorError::malformed("toy", "a failing page");
                    return Some((Err(e), None));
                }
                let page: Vec<i64> = self
                    .times
                    .iter()
                    .copied()
                    .filter(|t| *t >= next)
                    .take(PAGE)
                    .collect();
                let last = *page.last()?;
                let records = page
                    .iter()
                    .map(|t| {
                        Record::Agent(Agent {
                            external_id: t.to_string(),
                            name: "a".into(),
                            is_bot: false,
                        })
                    })
                    .collect();
                let batch = Batch {
                    records,
                    checkpoint: Checkpoint::new(json!({ "t": last + 1 })),
                };
                let more = (page.len() == PAGE).then_some(last + 1);
                Some((Ok(batch), more))
            },
        ))
    }
    fn start_at(&self, stream: &str, at: DateTime<Utc>) -> Option<Checkpoint> {
        (stream == "items").then(|| Checkpoint::new(json!({ "t": at.timestamp() })))
    }
    fn reached(&self, stream: &str, cp: &Checkpoint) -> Option<DateTime<Utc>> {
        (stream == "items").then(|| DateTime::from_timestamp(t_of(cp), 0))?
    }
}

/// Commits in memory, like storage: records by id, checkpoints, windows, freshness.
#[derive(Default)]
struct MemStore {
    items: Mutex<HashMap<String, BTreeSet<String>>>,
    checkpoints: Mutex<HashMap<String, Checkpoint>>,
    windows: Mutex<HashMap<String, DateTime<Utc>>>,
    completed: Mutex<Vec<String>>,
    failed: Mutex<Vec<String>>,
}

impl MemStore {
    fn ids(&self, stream: &str) -> BTreeSet<String> {
        self.items
            .lock()
            .unwrap()
            .get(stream)
            .cloned()
            .unwrap_or_default()
    }
    fn window(&self, stream: &str) -> Option<DateTime<Utc>> {
        self.windows.lock().unwrap().get(stream).copied()
    }
    fn checkpoint_t(&self, key: &str) -> Option<i64> {
        self.checkpoints.lock().unwrap().get(key).map(t_of)
    }
}

impl CheckpointStore for MemStore {
    type Error = std::convert::Infallible;
    async fn checkpoint(&self, _: &str, stream: &str) -> Result<Option<Checkpoint>, Self::Error> {
        Ok(self.checkpoints.lock().unwrap().get(stream).cloned())
    }
    async fn commit(&self, _: &str, key: &str, batch: &Batch) -> Result<(), Self::Error> {
        let stream = key.trim_end_matches(BACKFILL_SUFFIX).to_owned();
        let mut items = self.items.lock().unwrap();
        for r in &batch.records {
            if let Record::Agent(a) = r {
                items
                    .entry(stream.clone())
                    .or_default()
                    .insert(a.external_id.clone());
            }
        }
        self.checkpoints
            .lock()
            .unwrap()
            .insert(key.to_owned(), batch.checkpoint.clone());
        Ok(())
    }
    async fn stream_complete(
        &self,
        _: &str,
        stream: &str,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<(), Self::Error> {
        self.completed.lock().unwrap().push(stream.to_owned());
        Ok(())
    }
    async fn stream_failed(
        &self,
        _: &str,
        stream: &str,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<(), Self::Error> {
        self.failed.lock().unwrap().push(stream.to_owned());
        Ok(())
    }
    async fn window_start(
        &self,
        _: &str,
        stream: &str,
    ) -> Result<Option<DateTime<Utc>>, Self::Error> {
        Ok(self.window(stream))
    }
    async fn set_window_start(
        &self,
        _: &str,
        stream: &str,
        start: Option<DateTime<Utc>>,
    ) -> Result<(), Self::Error> {
        let mut w = self.windows.lock().unwrap();
        match start {
            Some(s) => w.insert(stream.to_owned(), s),
            None => w.remove(stream),
        };
        Ok(())
    }
}

async fn run(
    toy: &Toy,
    store: &MemStore,
    stream: &str,
    leg: Leg,
    opts: &SyncOptions,
) -> Result<u64, SyncError> {
    let limits = StreamLimits::default();
    let o = sync_stream_leg(toy, "src", stream, store, opts, &limits, leg, &NoProgress).await?;
    Ok(o.records)
}

/// Every leg of a whole sync, in `legs` order.
async fn sync(toy: &Toy, store: &MemStore, window: Option<Duration>) -> Result<(), SyncError> {
    for (stream, leg) in legs(STREAMS, window) {
        run(toy, store, stream, leg, &SyncOptions::default()).await?;
    }
    Ok(())
}

fn all(toy: &Toy) -> BTreeSet<String> {
    toy.times.iter().map(|t| t.to_string()).collect()
}

#[test]
fn the_order_is_every_recent_leg_then_every_backfill() {
    let w = Some(Duration::hours(3));
    let order: Vec<(&str, Leg)> = legs(STREAMS, w).collect();
    assert_eq!(
        order,
        [
            ("items", Leg::Recent { window: w }),
            ("whole", Leg::Recent { window: w }),
            ("items", Leg::Backfill),
            ("whole", Leg::Backfill),
        ]
    );
}

#[tokio::test]
async fn a_first_sync_reads_the_window_then_backfills_the_rest_once() {
    let now = Utc::now();
    let toy = Toy::new(now, 100);
    let store = MemStore::default();
    // 50.5 hours: the 50 newest items.
    let window = Duration::minutes(50 * 60 + 30);

    run(
        &toy,
        &store,
        "items",
        Leg::Recent {
            window: Some(window),
        },
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    let w = store
        .window("items")
        .expect("the window's start is recorded");
    assert!(
        w <= now - window + Duration::minutes(1) && w >= now - window - Duration::minutes(1),
        "{w}"
    );
    let recent: BTreeSet<String> = toy
        .times
        .iter()
        .filter(|t| **t >= w.timestamp())
        .map(|t| t.to_string())
        .collect();
    assert_eq!(recent.len(), 50);
    assert_eq!(
        store.ids("items"),
        recent,
        "the recent leg reads the window only"
    );
    assert_eq!(store.completed.lock().unwrap().as_slice(), ["items"]);
    let resume_at = store.checkpoint_t("items").unwrap();

    // A stream that cannot begin at an instant is read whole, with no window.
    run(
        &toy,
        &store,
        "whole",
        Leg::Recent {
            window: Some(window),
        },
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(store.ids("whole"), all(&toy));
    assert_eq!(store.window("whole"), None);

    run(
        &toy,
        &store,
        "items",
        Leg::Backfill,
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(store.ids("items"), all(&toy), "nothing lost");
    assert_eq!(
        store.window("items"),
        None,
        "the backfill reached the window"
    );
    assert_eq!(
        store.checkpoint_t("items"),
        Some(resume_at),
        "the stream's own checkpoint is the window's"
    );
    // From the start of the history, pages of 10, until the page that reached the window:
    // 50 older items are 5 pages, and the fifth ends just before the window, so a sixth
    // (crossing it) is the last one asked for; nothing is read ahead of it.
    let backfill_reads = toy.reads("items").len() - 6;
    assert_eq!(backfill_reads, 6, "{:?}", toy.reads("items"));
    // No backfill of a stream with no window; a later backfill does nothing.
    assert_eq!(
        run(
            &toy,
            &store,
            "whole",
            Leg::Backfill,
            &SyncOptions::default()
        )
        .await
        .unwrap(),
        0
    );
    let before = toy.reads("items").len();
    assert_eq!(
        run(
            &toy,
            &store,
            "items",
            Leg::Backfill,
            &SyncOptions::default()
        )
        .await
        .unwrap(),
        0
    );
    assert_eq!(toy.reads("items").len(), before);
}

#[tokio::test]
async fn a_failed_backfill_keeps_its_pages_and_the_next_sync_resumes_after_them() {
    let now = Utc::now();
    let toy = Toy::new(now, 100);
    let store = MemStore::default();
    let window = Some(Duration::minutes(50 * 60 + 30));
    // The backfill's third page (items 20..29 from the oldest) fails once.
    *toy.fail_at.lock().unwrap() = Some(("items", toy.times[19] + 1));
    let e = sync(&toy, &store, window).await.unwrap_err();
    assert!(e.to_string().contains("a failing page"), "{e}");
    assert_eq!(store.failed.lock().unwrap().as_slice(), ["items"]);
    assert!(store.window("items").is_some(), "still backfilling");
    assert_eq!(
        store.checkpoint_t(&format!("items{BACKFILL_SUFFIX}")),
        Some(toy.times[19] + 1)
    );
    assert_eq!(store.ids("items").len(), 50 + 20);

    // The next sync: the stream goes on from its own checkpoint (no new window), the
    // backfill from its own, and the first pages are not asked for again.
    let reads_before = toy.reads("items").len();
    sync(&toy, &store, window).await.unwrap();
    assert_eq!(store.ids("items"), all(&toy));
    assert_eq!(store.window("items"), None);
    let again: Vec<i64> = toy.reads("items")[reads_before..].to_vec();
    assert!(
        !again.contains(&i64::MIN),
        "the backfill resumed, not restarted: {again:?}"
    );
    assert_eq!(
        again[0],
        store.checkpoint_t("items").unwrap(),
        "the recent leg resumes first"
    );
}

#[tokio::test]
async fn a_first_sync_killed_before_its_first_page_keeps_its_window() {
    let now = Utc::now();
    let toy = Toy::new(now, 100);
    let store = MemStore::default();
    // Killed after the window was recorded, before any page committed.
    let earlier = now - Duration::hours(30) - Duration::minutes(30);
    store
        .set_window_start("src", "items", Some(earlier))
        .await
        .unwrap();
    // A later run with another window resumes the recorded one.
    run(
        &toy,
        &store,
        "items",
        Leg::Recent {
            window: Some(Duration::hours(80)),
        },
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(store.window("items"), Some(earlier));
    assert_eq!(store.ids("items").len(), 30);
    assert_eq!(toy.reads("items")[0], earlier.timestamp());
}

#[tokio::test]
async fn a_full_sync_reads_everything_and_ends_the_window() {
    let now = Utc::now();
    let toy = Toy::new(now, 40);
    let store = MemStore::default();
    let window = Some(Duration::hours(10));
    run(
        &toy,
        &store,
        "items",
        Leg::Recent { window },
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert!(store.window("items").is_some());
    run(
        &toy,
        &store,
        "items",
        Leg::Recent { window },
        &SyncOptions { full: true },
    )
    .await
    .unwrap();
    assert_eq!(store.ids("items"), all(&toy));
    assert_eq!(store.window("items"), None, "the whole history was read");
    // A window pending from a killed first sync, then synced with no window: the whole
    // stream is read, and nothing is left to backfill.
    let killed = MemStore::default();
    killed
        .set_window_start("src", "items", Some(now - Duration::hours(5)))
        .await
        .unwrap();
    run(
        &toy,
        &killed,
        "items",
        Leg::Recent { window: None },
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(killed.ids("items"), all(&toy));
    assert_eq!(killed.window("items"), None);
    // Without a window, a first sync reads the whole stream in its recent leg.
    let fresh = MemStore::default();
    run(
        &toy,
        &fresh,
        "items",
        Leg::Recent { window: None },
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(fresh.ids("items"), all(&toy));
    assert_eq!(fresh.window("items"), None);
}
