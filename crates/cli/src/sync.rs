//! `deskpulse sync`: every stream of every source (or one), resumed from its checkpoint.
//!
//! Every error it prints goes through [`Secrets::scrub`](secrets::Secrets::scrub) with the
//! configuration's secrets: a last defence behind the SDK's own scrubbing of vendor errors.

use crate::CommandError;
use crate::cli::SyncArgs;
use crate::config::secrets;
use crate::config::{Settings, SourceSettings};
use deskpulse_connector::{
    BACKFILL_SUFFIX, Leg, Progress, StreamLimits, SyncError, SyncOptions, legs, sync_stream_leg,
};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub(crate) async fn run(settings: &Settings, args: SyncArgs) -> Result<(), CommandError> {
    let selected: Vec<&SourceSettings> = match &args.source {
        Some(name) => vec![settings.source(name).ok_or_else(|| {
            CommandError::Usage(format!(
                "no source named {name:?} in {} (sources: {})",
                settings.path.display(),
                settings
                    .sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?],
        None => settings.sources.iter().collect(),
    };
    if selected.is_empty() {
        return Err(CommandError::Usage(format!(
            "{} has no [[sources]]: add your helpdesk there (see the commented example) and run sync again",
            settings.path.display()
        )));
    }
    let secrets = settings.secrets();
    let store = deskpulse_storage::Store::open(settings.database.url.expose())
        .await
        .map_err(|e| CommandError::Runtime(secrets.scrub(&e.to_string())))?;
    let opts = SyncOptions { full: args.full };
    let mut failures = Vec::new();
    for source in selected {
        if let Err(msg) = sync_source(&store, source, &opts).await {
            failures.push(secrets.scrub(&msg));
        }
    }
    match failures.len() {
        0 => Ok(()),
        1 => Err(CommandError::Runtime(failures.remove(0))),
        _ => Err(CommandError::Runtime(failures.join("\nerror: "))),
    }
}

/// Syncs every stream of `source`. The error names the source and says what to do, scrubbed
/// of the source's secrets and of every secret registered in the process.
pub(crate) async fn sync_source(
    store: &deskpulse_storage::Store,
    source: &SourceSettings,
    opts: &SyncOptions,
) -> Result<(), String> {
    let mut known = source.secrets();
    known.extend(&secrets::registered());
    sync_source_unscrubbed(store, source, opts)
        .await
        .map_err(|e| known.scrub(&e))
}

async fn sync_source_unscrubbed(
    store: &deskpulse_storage::Store,
    source: &SourceSettings,
    opts: &SyncOptions,
) -> Result<(), String> {
    let name = source.name.as_str();
    let connector = crate::connectors::build(source).map_err(|(k, d)| format!("`{k}`: {d}"))?;
    let progress = SyncProgress::new(name, connector.streams().iter().map(|s| s.name));
    let started = Instant::now();
    let mut total = 0;
    let limits = StreamLimits {
        max_pages: source.max_pages,
    };
    let streams: Vec<&str> = connector.streams().iter().map(|s| s.name).collect();
    store
        .register_streams(name, &streams)
        .await
        .map_err(|e| format!("source {name}: {e}"))?;
    let mut recent_done = false;
    for (stream, leg) in legs(connector.streams(), source.window()) {
        if leg == Leg::Backfill && !recent_done {
            recent_done = true;
            let Some(from) = recent_legs_done(store, name).await? else {
                break;
            };
            eprintln!(
                "{name}: the recent window is synced: reports of periods from {} on are ready; now reading the history before it (resumable: stop any time, the next sync goes on)",
                from.format("%Y-%m-%d")
            );
        }
        let run = sync_stream_leg(
            connector.as_ref(),
            name,
            stream,
            store,
            opts,
            &limits,
            leg,
            &progress,
        );
        match run.await {
            Ok(outcome) => {
                total += outcome.records;
                progress.finish(&leg.checkpoint_key(stream));
            }
            Err(e) => {
                progress.abandon();
                return Err(describe(source, stream, e));
            }
        }
    }
    // Each ticket the pages touched gets its facts derived once, now (reports would do it
    // otherwise, on their first read).
    store
        .refresh_facts()
        .await
        .map_err(|e| format!("source {name}: deriving ticket facts: {e}"))?;
    println!(
        "synced {name}: {total} records in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Between the recent legs and the backfills (for `sync` and the daemon alike): the start of
/// the source's pending window, after deriving the facts read so far so that reports of the
/// window are ready while the history before it is read; `None` when no stream has a
/// backfill pending (every sync but the first ones), and the backfill legs can be skipped.
pub(crate) async fn recent_legs_done(
    store: &deskpulse_storage::Store,
    name: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    let freshness = store
        .freshness(&[name.to_owned()])
        .await
        .map_err(|e| format!("source {name}: {e}"))?;
    let Some(from) = freshness.first().and_then(|f| f.complete_from) else {
        return Ok(None);
    };
    store
        .refresh_facts()
        .await
        .map_err(|e| format!("source {name}: deriving ticket facts: {e}"))?;
    tracing::info!(source = name, complete_from = %from, "recent window synced; backfilling the history before it");
    Ok(Some(from))
}

/// One line that names the source and says what to do.
fn describe(source: &SourceSettings, stream: &str, e: SyncError) -> String {
    let name = source.name.as_str();
    match e {
        SyncError::Connector(c) if c.is_unauthorized() => format!(
            "the credentials of source {name} were rejected ({c}): check its credentials in [[sources]] {name} of the configuration"
        ),
        SyncError::Connector(c) => format!(
            "source {name}, stream {stream}: {c} (synced pages are kept; run sync again to resume)"
        ),
        SyncError::Store(s) => format!("source {name}, stream {stream}: {s}"),
    }
}

/// A spinner per stream on a terminal (and one per backfill, added when it first commits);
/// a log line per page otherwise.
struct SyncProgress {
    bars: Option<Bars>,
    counts: Mutex<HashMap<String, u64>>,
}

/// The spinners, by checkpoint key (`tickets`, `ticket_events#backfill`).
struct Bars {
    multi: &'static MultiProgress,
    style: ProgressStyle,
    source: String,
    by_key: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    fn add(&self, key: &str) -> ProgressBar {
        let pb = self.multi.add(ProgressBar::new_spinner());
        pb.set_style(self.style.clone());
        let label = match key.strip_suffix(BACKFILL_SUFFIX) {
            Some(stream) => format!("{}/{stream} (older history)", self.source),
            None => format!("{}/{key}", self.source),
        };
        pb.set_prefix(label);
        pb.set_message("waiting");
        pb
    }

    /// The key's spinner; a backfill's is made on its first page.
    fn get(&self, key: &str, make: bool) -> Option<ProgressBar> {
        let mut bars = self.by_key.lock().ok()?;
        if !bars.contains_key(key) && make {
            bars.insert(key.to_owned(), self.add(key));
        }
        bars.get(key).cloned()
    }
}

impl SyncProgress {
    fn new(source: &str, streams: impl Iterator<Item = &'static str>) -> Self {
        let bars = crate::telemetry::progress().map(|multi| {
            let style = ProgressStyle::with_template("{spinner} {prefix:.bold} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            let bars = Bars {
                multi,
                style,
                source: source.to_owned(),
                by_key: Mutex::new(HashMap::new()),
            };
            for s in streams {
                bars.get(s, true);
            }
            bars
        });
        SyncProgress {
            bars,
            counts: Mutex::new(HashMap::new()),
        }
    }

    fn finish(&self, key: &str) {
        if let Some(pb) = self.bars.as_ref().and_then(|b| b.get(key, false)) {
            pb.finish_with_message(format!("{} records, done", self.count(key)));
        }
    }

    fn abandon(&self) {
        if let Some(bars) = self.bars.as_ref().and_then(|b| b.by_key.lock().ok()) {
            for pb in bars.values() {
                pb.abandon();
            }
        }
    }

    fn count(&self, key: &str) -> u64 {
        self.counts
            .lock()
            .map(|c| c.get(key).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

impl Progress for SyncProgress {
    fn batch_committed(&self, key: &str, records: usize) {
        let total = match self.counts.lock() {
            Ok(mut c) => {
                let t = c.entry(key.to_owned()).or_insert(0);
                *t += records as u64;
                *t
            }
            Err(_) => 0,
        };
        match &self.bars {
            Some(bars) => {
                if let Some(pb) = bars.get(key, true) {
                    pb.set_message(format!("{total} records"));
                    pb.tick();
                }
            }
            None => {
                // Inside the runner's `sync_stream` span, which names the source and stream.
                tracing::info!(page_records = records, total, "page committed")
            }
        }
    }
}
