//! Crash safety: abort a sync after page k — for every k — then resume; the stored data must
//! equal one clean run's, row for row, with no duplicates.

use crate::zendesk_week;
use deskpulse_connector::{
    Batch, Checkpoint, CheckpointStore, Connector, NoProgress, StreamLimits, SyncError,
    SyncOptions, legs, sync_stream, sync_stream_leg,
};
use deskpulse_connector_zendesk::{ZendeskConnector, ZendeskSettings};
use deskpulse_storage::Store;
use deskpulse_storage::testing::TestDb;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A commit that never happened because the process "died", or a real storage error.
#[derive(Debug)]
pub(crate) enum AbortError {
    Killed,
    Store(deskpulse_storage::StorageError),
}
impl std::fmt::Display for AbortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AbortError::Killed => f.write_str("process killed before this commit"),
            AbortError::Store(e) => write!(f, "{e}"),
        }
    }
}
impl std::error::Error for AbortError {}

/// The real store, with the power cut after `budget` committed pages: the next commit fails
/// before anything of it is written, as if the process had died there.
pub(crate) struct Abort<'a> {
    pub(crate) store: &'a Store,
    pub(crate) budget: usize,
    pub(crate) committed: AtomicUsize,
}

impl CheckpointStore for Abort<'_> {
    type Error = AbortError;
    async fn checkpoint(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<Checkpoint>, AbortError> {
        self.store
            .checkpoint(source, stream)
            .await
            .map_err(AbortError::Store)
    }
    async fn commit(&self, source: &str, stream: &str, batch: &Batch) -> Result<(), AbortError> {
        if self.committed.load(Ordering::SeqCst) >= self.budget {
            return Err(AbortError::Killed);
        }
        self.store
            .commit_batch(source, stream, batch)
            .await
            .map_err(AbortError::Store)?;
        self.committed.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn stream_complete(
        &self,
        source: &str,
        stream: &str,
        through: chrono::DateTime<chrono::Utc>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AbortError> {
        self.store
            .record_stream_complete(source, stream, through, at)
            .await
            .map_err(AbortError::Store)
    }
    async fn stream_failed(
        &self,
        source: &str,
        stream: &str,
        error: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AbortError> {
        self.store
            .record_stream_failure(source, stream, error, at)
            .await
            .map_err(AbortError::Store)
    }
    async fn window_start(
        &self,
        source: &str,
        stream: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, AbortError> {
        self.store
            .window_start(source, stream)
            .await
            .map_err(AbortError::Store)
    }
    async fn set_window_start(
        &self,
        source: &str,
        stream: &str,
        start: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), AbortError> {
        self.store
            .set_window_start(source, stream, start)
            .await
            .map_err(AbortError::Store)
    }
}

fn connector(base_url: &str) -> ZendeskConnector {
    let settings: ZendeskSettings = serde_json::from_value(serde_json::json!({
        "subdomain": "acme", "email": "agent@example.com", "api_token": "crash-token",
        "base_url": base_url, "page_size": 2,
        "requests_per_minute": 60000, "incremental_requests_per_minute": 60000,
    }))
    .expect("settings");
    ZendeskConnector::new(settings).expect("connector")
}

/// Syncs every stream; stops at the first error (like the CLI does for one source).
pub(crate) async fn sync_all<S: CheckpointStore>(
    c: &ZendeskConnector,
    store: &S,
) -> Result<(), SyncError> {
    for s in c.streams() {
        sync_stream(c, "zd", s.name, store, &SyncOptions::default(), &NoProgress).await?;
    }
    Ok(())
}

/// Every leg of every stream, the recent window first (as `deskpulse sync` does). The
/// window itself is recorded by [`start_windowed`] beforehand, so it is an exact page
/// boundary of the fixture rather than an instant of the clock.
async fn sync_windowed<S: CheckpointStore>(
    c: &ZendeskConnector,
    store: &S,
) -> Result<(), SyncError> {
    let (opts, limits) = (SyncOptions::default(), StreamLimits::default());
    for (stream, leg) in legs(c.streams(), Some(chrono::Duration::days(1))) {
        sync_stream_leg(c, "zd", stream, store, &opts, &limits, leg, &NoProgress).await?;
    }
    Ok(())
}

/// The start of the events export's third page: the window a first sync killed before its
/// first page had recorded.
async fn window_start(server: &str) -> chrono::DateTime<chrono::Utc> {
    let mut start = 0;
    for _ in 0..2 {
        let url = format!(
            "{server}/api/v2/incremental/ticket_events.json?start_time={start}&include=comment_events"
        );
        let page: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        start = page["end_time"].as_i64().unwrap();
    }
    chrono::DateTime::from_timestamp(start, 0).unwrap()
}

/// The window of every stream that begins at an instant.
const WINDOWED: [&str; 2] = ["tickets", "ticket_events"];

async fn start_windowed(store: &Store, at: chrono::DateTime<chrono::Utc>) {
    for stream in WINDOWED {
        store
            .set_window_start("zd", stream, Some(at))
            .await
            .unwrap();
    }
}

/// A checkpoint line without the cursor exports' `reached` (the latest update a pass read:
/// a pass from the window's start that found nothing newer has none, a whole pass has the
/// last update's); every other line as it is.
fn without_reached(line: &str) -> String {
    match line
        .find(",\"reached\":")
        .or_else(|| line.find("\"reached\":"))
    {
        Some(i) if line.contains("checkpoints") => {
            let rest = &line[i + 1..];
            let end = rest.find(['}', ',']).map_or(line.len(), |e| i + 1 + e);
            format!("{}{}", &line[..i], &line[end..])
        }
        _ => line.to_owned(),
    }
}

/// The recent window first, then the backfill, killed after every page of both: resumed,
/// the data is one clean windowed run's, and that is a whole run's but for the backfill's
/// own checkpoint.
async fn crash_at_every_page_of_a_windowed_sync(make_db: impl AsyncFn() -> Option<TestDb>) {
    let (server, _) = zendesk_week::start().await;
    let c = connector(&server.uri());
    let w = window_start(&server.uri()).await;
    let Some(whole_db) = make_db().await else {
        return;
    };
    let whole = Store::open(whole_db.url()).await.expect("open");
    sync_all(&c, &whole).await.expect("whole sync");
    let mut want_whole = whole.dump().await.expect("dump");
    whole_db.cleanup().await;

    let clean_db = make_db().await.expect("db");
    let clean = Store::open(clean_db.url()).await.expect("open");
    start_windowed(&clean, w).await;
    let counted = Abort {
        store: &clean,
        budget: usize::MAX,
        committed: AtomicUsize::new(0),
    };
    sync_windowed(&c, &counted)
        .await
        .expect("clean windowed sync");
    // Every page of every leg: the lists of the window, the exports from it, the backfills.
    let pages = counted.committed.load(Ordering::SeqCst);
    for stream in WINDOWED {
        assert_eq!(clean.window_start("zd", stream).await.unwrap(), None);
    }
    let want = clean.dump().await.expect("dump");
    let backfill_checkpoint = |lines: &mut Vec<String>| {
        let n = lines.len();
        lines.retain(|l| !l.contains("#backfill"));
        *lines = lines.iter().map(|l| without_reached(l)).collect();
        n - lines.len()
    };
    let mut data_only = want.clone();
    assert_eq!(backfill_checkpoint(&mut data_only), 2);
    assert_eq!(backfill_checkpoint(&mut want_whole), 0);
    assert_eq!(data_only, want_whole, "the windowed sync stored other data");
    clean_db.cleanup().await;

    for k in 0..=pages {
        let db = make_db().await.expect("db");
        let store = Store::open(db.url()).await.expect("open");
        start_windowed(&store, w).await;
        let killed = Abort {
            store: &store,
            budget: k,
            committed: AtomicUsize::new(0),
        };
        match sync_windowed(&c, &killed).await {
            Err(e) => assert!(e.to_string().contains("killed"), "k = {k}: {e}"),
            Ok(()) => assert_eq!(k, pages, "only the last k commits every page"),
        }
        let store = Store::open(db.url()).await.expect("reopen");
        sync_windowed(&c, &store).await.expect("resumed sync");
        assert_eq!(
            store.dump().await.expect("dump"),
            want,
            "after an abort at page {k} of a windowed sync, the resumed data differs"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn abort_after_every_page_of_a_windowed_sync_then_resume_on_sqlite() {
    crash_at_every_page_of_a_windowed_sync(async || Some(TestDb::sqlite())).await;
}

#[tokio::test]
async fn abort_after_every_page_of_a_windowed_sync_then_resume_on_postgres() {
    crash_at_every_page_of_a_windowed_sync(async || TestDb::postgres().await).await;
}

async fn crash_at_every_page(make_db: impl AsyncFn() -> Option<TestDb>) {
    let (server, pages) = zendesk_week::start().await;
    let c = connector(&server.uri());

    let Some(clean_db) = make_db().await else {
        return;
    };
    let clean = Store::open(clean_db.url()).await.expect("open");
    sync_all(&c, &clean).await.expect("clean sync");
    let want = clean.dump().await.expect("dump");
    assert!(
        want.len() > 40,
        "the clean run stored too little: {want:#?}"
    );
    clean_db.cleanup().await;

    for k in 0..pages {
        let db = make_db().await.expect("db");
        let store = Store::open(db.url()).await.expect("open");
        let killed = Abort {
            store: &store,
            budget: k,
            committed: AtomicUsize::new(0),
        };
        let err = sync_all(&c, &killed)
            .await
            .expect_err("the sync must be cut short");
        assert!(err.to_string().contains("killed"), "k = {k}: {err}");
        assert_eq!(killed.committed.load(Ordering::SeqCst), k);
        // Restart: a fresh process resumes from what was committed.
        let store = Store::open(db.url()).await.expect("reopen");
        sync_all(&c, &store).await.expect("resumed sync");
        let got = store.dump().await.expect("dump");
        assert_eq!(
            got, want,
            "after an abort at page {k} of {pages}, the resumed data differs"
        );
        // And a further sync adds nothing.
        sync_all(&c, &store).await.expect("third sync");
        assert_eq!(
            store.dump().await.expect("dump"),
            want,
            "k = {k}: a repeated sync changed the data"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn abort_after_every_page_then_resume_on_sqlite() {
    crash_at_every_page(async || Some(TestDb::sqlite())).await;
}

#[tokio::test]
async fn abort_after_every_page_then_resume_on_postgres() {
    crash_at_every_page(async || TestDb::postgres().await).await;
}
