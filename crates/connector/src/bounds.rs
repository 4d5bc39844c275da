//! Bounded work: what stops a stream whose API pages forever.
//!
//! A next cursor that cycles (A, B, A, …) or a time cursor that creeps one second a page
//! keeps a naive pager running until the process dies, and under the daemon that source
//! never syncs again. Three guards end such a run with [`ConnectorError::Malformed`], each
//! before anything past the last good page is committed:
//! - the runner's guard (in [`crate::sync_stream`]): a checkpoint the run gave
//!   earlier, then left, comes back (a cycle); a page gives the same checkpoint and the same
//!   records as the page before it (the same page again); three pages in a row hold the same
//!   records whatever their checkpoints (a page-number API that serves page 1 for any page
//!   number: only the content shows it); the run passes its page cap;
//! - the HTTP client's page requests ([`crate::http::HttpClient::get_page_json`]): the same
//!   request twice in one [`StreamRun`], which the runner opens around the stream, so the
//!   client knows the run without the connector passing anything;
//! - [`ensure_not_future`] for a connector's time cursors: a bookmark cannot be past now.
//!
//! Why the runner does not fail on *any* repeated checkpoint: a high-water-mark checkpoint
//! (`{"updated_at": <newest seen>}`) legitimately stays put for several pages while the
//! connector's in-memory cursor moves through a lookback window (Zendesk's ratings, Intercom's
//! conversation search). It never goes *back* to an earlier value, and its pages differ.
//! And why *three* pages of the same records, not two: a roster sweep's last page of one
//! pass and first page of the next may both list no live id, and be equal records.

use crate::scrub::Scrubber;
use crate::{Batch, ConnectorError};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The default page cap of one stream run: generous (a 100-per-page export of ten million
/// tickets), and still an end.
pub const DEFAULT_MAX_PAGES: u64 = 100_000;

/// How far past now a vendor's time cursor may be before it is an error: vendors' and our
/// clocks disagree by seconds, not by this much.
pub const FUTURE_TOLERANCE: Duration = Duration::from_secs(10 * 60);

tokio::task_local! {
    static CURRENT_RUN: StreamRun;
}

/// One run of one stream (from a checkpoint to the end of the stream). The runner opens it
/// around every poll of the connector's stream ([`StreamRun::scope`]); the HTTP client finds
/// it with [`StreamRun::current`] and refuses a page request made twice in it. Cheap to
/// clone; clones are the same run.
#[derive(Clone)]
pub struct StreamRun {
    inner: Arc<RunInner>,
}

struct RunInner {
    source: String,
    stream: String,
    hasher: RandomState,
    requests: Mutex<HashSet<u64>>,
    /// The scrubbers of every client that made a request in this run.
    scrubbers: Mutex<Vec<Scrubber>>,
}

impl fmt::Debug for StreamRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamRun")
            .field("source", &self.inner.source)
            .field("stream", &self.inner.stream)
            .finish_non_exhaustive()
    }
}

impl StreamRun {
    pub fn new(source: &str, stream: &str) -> Self {
        Self {
            inner: Arc::new(RunInner {
                source: source.to_owned(),
                stream: stream.to_owned(),
                hasher: RandomState::new(),
                requests: Mutex::new(HashSet::new()),
                scrubbers: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn source(&self) -> &str {
        &self.inner.source
    }

    pub fn stream(&self) -> &str {
        &self.inner.stream
    }

    /// The run the current task is in, if any (none outside a runner: a connector's own
    /// test reading a stream directly).
    pub fn current() -> Option<StreamRun> {
        CURRENT_RUN.try_with(Clone::clone).ok()
    }

    /// Runs `fut` inside this run. Wrap every poll of the stream (`run.scope(pages.next())`):
    /// whatever the connector does while producing a page then belongs to the run. A task
    /// the connector spawns does not inherit it (its requests go unchecked, never wrongly
    /// refused).
    pub fn scope<F: Future>(&self, fut: F) -> tokio::task::futures::TaskLocalFuture<StreamRun, F> {
        CURRENT_RUN.scope(self.clone(), fut)
    }

    /// Remembers the scrubber of a client that makes a request in this run (the client does
    /// this itself), so an error the connector builds from a vendor's text is scrubbed by
    /// the runner before anyone sees it.
    pub(crate) fn add_scrubber(&self, scrubber: &Scrubber) {
        let mut all = self
            .inner
            .scrubbers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !all.iter().any(|s| s.same_as(scrubber)) {
            all.push(scrubber.clone());
        }
    }

    /// `err` scrubbed of every secret of every client that made a request in this run.
    pub fn scrub_error(&self, err: ConnectorError) -> ConnectorError {
        let all = self
            .inner
            .scrubbers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        all.iter().fold(err, |e, s| e.scrubbed(s))
    }

    /// A fingerprint of a request (method, URL with its query, body).
    pub(crate) fn fingerprint(&self, method: &str, url: &str, body: &[u8]) -> u64 {
        let mut h = self.inner.hasher.build_hasher();
        h.write(method.as_bytes());
        h.write_u8(0);
        h.write(url.as_bytes());
        h.write_u8(0);
        h.write(body);
        h.finish()
    }

    pub(crate) fn was_made(&self, fingerprint: u64) -> bool {
        self.requests().contains(&fingerprint)
    }

    pub(crate) fn record(&self, fingerprint: u64) {
        self.requests().insert(fingerprint);
    }

    fn requests(&self) -> std::sync::MutexGuard<'_, HashSet<u64>> {
        self.inner
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// The runner's bounds on one stream run; see the [module docs](self). Feed it every batch
/// before committing it: an error means "do not commit this one, stop".
#[derive(Debug)]
pub(crate) struct RunGuard {
    source: String,
    stream: String,
    max_pages: u64,
    pages: u64,
    hasher: RandomState,
    /// Checkpoint fingerprint → the page (1-based) that gave it first.
    seen: HashMap<u64, u64>,
    /// The previous page's checkpoint and records fingerprints.
    last: Option<(u64, Option<u64>)>,
    /// How many pages in a row had the previous page's records fingerprint, and the full
    /// fingerprint of the previous page's records when it was one of them.
    same_records: u32,
    last_full: Option<u64>,
}

/// Why a [`RunGuard`] stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Cycle,
    SamePage,
    SameRecords,
    PageCap,
}

impl RunGuard {
    pub(crate) fn new(source: &str, stream: &str, max_pages: u64) -> Self {
        Self {
            source: source.to_owned(),
            stream: stream.to_owned(),
            max_pages: max_pages.max(1),
            pages: 0,
            hasher: RandomState::new(),
            seen: HashMap::new(),
            last: None,
            same_records: 0,
            last_full: None,
        }
    }

    /// Pages admitted so far.
    pub(crate) fn pages(&self) -> u64 {
        self.pages
    }

    fn where_(&self) -> String {
        format!("stream `{}` of source `{}`", self.stream, self.source)
    }

    /// Admits the next page, or says why the run must stop before committing it.
    pub(crate) fn admit(&mut self, batch: &Batch) -> Result<(), (Stop, ConnectorError)> {
        let page = self.pages + 1;
        if page > self.max_pages {
            return Err((
                Stop::PageCap,
                ConnectorError::Malformed {
                    endpoint: self.where_(),
                    detail: format!(
                        "the run passed its cap of {} pages without reaching the end of the stream: either the API's paging \
                         never ends (a cursor that creeps on) or the stream is longer than the cap. The {} pages read are \
                         committed and the next sync resumes after them; if the stream really is this long, raise \
                         `max_pages` for this source",
                        self.max_pages, self.max_pages
                    ),
                },
            ));
        }
        let cp = self.hash_json(batch.checkpoint.value());
        let records = (!batch.records.is_empty()).then(|| self.hash_records(batch));
        match self.last {
            Some((last_cp, last_records)) if last_cp == cp => {
                if records.is_some() && records == last_records {
                    return Err((
                        Stop::SamePage,
                        ConnectorError::Malformed {
                            endpoint: self.where_(),
                            detail: format!(
                                "page {page} is page {} again (the same checkpoint {} and the same {} record(s)): the API serves \
                                 the same page over and over; stopped before committing it, the next sync resumes after page {}",
                                page - 1,
                                show(batch.checkpoint.value()),
                                batch.records.len(),
                                page - 1
                            ),
                        },
                    ));
                }
            }
            _ => {
                if let Some(first) = self.seen.get(&cp) {
                    return Err((
                        Stop::Cycle,
                        ConnectorError::Malformed {
                            endpoint: self.where_(),
                            detail: format!(
                                "page {page} gave the checkpoint {} that page {first} gave, after others in between: the API's \
                                 paging goes round in a cycle (a next-page cursor that alternates); stopped before committing \
                                 it, the next sync resumes after page {}",
                                show(batch.checkpoint.value()),
                                page - 1
                            ),
                        },
                    ));
                }
                self.seen.insert(cp, page);
            }
        }
        let last_records = self.last.and_then(|(_, r)| r);
        if records.is_some() && records == last_records {
            // The cheap fingerprint matched: compare whole, when the page before was
            // fingerprinted whole too (the first pair of a run is compared cheaply).
            let full = self.hash_all_records(batch);
            self.same_records = match self.last_full {
                Some(f) if f == full => self.same_records + 1,
                Some(_) => 0,
                None => 1,
            };
            if self.same_records >= 2 {
                return Err((
                    Stop::SameRecords,
                    ConnectorError::Malformed {
                        endpoint: self.where_(),
                        detail: format!(
                            "pages {}, {} and {page} hold the same {} record(s) although their checkpoints differ (the last: {}): \
                             the API serves the same page whatever page is asked for; stopped before committing page {page}, \
                             the next sync resumes after page {}",
                            page - 2,
                            page - 1,
                            batch.records.len(),
                            show(batch.checkpoint.value()),
                            page - 1
                        ),
                    },
                ));
            }
            self.last_full = Some(full);
        } else {
            self.same_records = 0;
            self.last_full = None;
        }
        self.last = Some((cp, records));
        self.pages = page;
        Ok(())
    }

    fn hash_all_records(&self, batch: &Batch) -> u64 {
        let mut w = HashWriter(self.hasher.build_hasher());
        let _ = serde_json::to_writer(&mut w, &batch.records);
        w.0.finish()
    }

    fn hash_json(&self, v: &serde_json::Value) -> u64 {
        let mut w = HashWriter(self.hasher.build_hasher());
        // Writing into a hasher cannot fail; a value that cannot serialize hashes as written so far.
        let _ = serde_json::to_writer(&mut w, v);
        w.0.finish()
    }

    /// The count and the first and last records: pages that differ differ there (a page
    /// of other records starts with another record), and hashing them all would cost a
    /// serialization of every record synced.
    fn hash_records(&self, batch: &Batch) -> u64 {
        let mut w = HashWriter(self.hasher.build_hasher());
        w.0.write_usize(batch.records.len());
        for r in [batch.records.first(), batch.records.last()]
            .into_iter()
            .flatten()
        {
            let _ = serde_json::to_writer(&mut w, r);
            w.0.write_u8(0);
        }
        w.0.finish()
    }
}

struct HashWriter<H: Hasher>(H);

impl<H: Hasher> std::io::Write for HashWriter<H> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A checkpoint for a message: cursors can be long.
pub(crate) fn show(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.len() <= 200 {
        return s;
    }
    let mut end = 200;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Fails with [`ConnectorError::Malformed`] when a vendor's time cursor (`end_time`, an
/// `updated_since` bookmark) is more than [`FUTURE_TOLERANCE`] past `now`: an API cannot have
/// read up to a time that has not come, and a pager that follows it creeps on for ever.
/// `cursor` names the field (`"end_time"`); pass the connector's clock as `now`.
pub fn ensure_not_future(
    endpoint: &str,
    cursor: &str,
    t: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ConnectorError> {
    ensure_not_future_within(endpoint, cursor, t, now, FUTURE_TOLERANCE)
}

/// [`ensure_not_future`] for a paginator's `page()` or `map()`, whose errors are the detail
/// alone (the SDK puts the endpoint in front).
pub fn not_future(cursor: &str, t: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String> {
    ensure_not_future("", cursor, t, now).map_err(|e| match e {
        ConnectorError::Malformed { detail, .. } => detail,
        other => other.to_string(),
    })
}

/// [`ensure_not_future`] for a cursor in Unix seconds (Zendesk's `end_time`).
pub fn ensure_unix_not_future(
    endpoint: &str,
    cursor: &str,
    unix_seconds: i64,
    now: DateTime<Utc>,
) -> Result<(), ConnectorError> {
    match DateTime::from_timestamp(unix_seconds, 0) {
        Some(t) => ensure_not_future(endpoint, cursor, t, now),
        None => Err(ConnectorError::Malformed {
            endpoint: endpoint.to_owned(),
            detail: format!("`{cursor}` {unix_seconds} is not a time (Unix seconds out of range)"),
        }),
    }
}

/// [`ensure_not_future`] with a tolerance of your own.
pub fn ensure_not_future_within(
    endpoint: &str,
    cursor: &str,
    t: DateTime<Utc>,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), ConnectorError> {
    let limit = chrono::TimeDelta::from_std(tolerance).unwrap_or(chrono::TimeDelta::MAX);
    if t <= now
        .checked_add_signed(limit)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
    {
        return Ok(());
    }
    let ahead = (t - now).num_seconds();
    Err(ConnectorError::Malformed {
        endpoint: endpoint.to_owned(),
        detail: format!(
            "`{cursor}` {} is {} ahead of this machine's clock ({}): an API cannot have read up to a time that has \
             not come, and following it would page on for ever. Nothing past the last good page is committed; if this \
             machine's clock is behind, set it right",
            t.to_rfc3339(),
            human_secs(ahead),
            now.to_rfc3339()
        ),
    })
}

fn human_secs(s: i64) -> String {
    match s {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Checkpoint, Record};
    use serde_json::json;

    fn batch(cp: serde_json::Value, ids: &[&str]) -> Batch {
        Batch {
            records: ids
                .iter()
                .map(|id| {
                    Record::Agent(deskpulse_model::Agent {
                        external_id: (*id).to_owned(),
                        name: format!("agent {id}"),
                        is_bot: false,
                    })
                })
                .collect(),
            checkpoint: Checkpoint::new(cp),
        }
    }

    #[test]
    fn an_alternating_cursor_is_a_cycle() {
        let mut g = RunGuard::new("acme", "tickets", 100);
        g.admit(&batch(json!({"cursor": "A"}), &["1"])).unwrap();
        g.admit(&batch(json!({"cursor": "B"}), &["2"])).unwrap();
        let (stop, err) = g.admit(&batch(json!({"cursor": "A"}), &["1"])).unwrap_err();
        assert_eq!(stop, Stop::Cycle);
        let msg = err.to_string();
        for part in [
            "`tickets`",
            "`acme`",
            "{\"cursor\":\"A\"}",
            "page 3",
            "page 1",
        ] {
            assert!(msg.contains(part), "{part} missing from {msg}");
        }
        assert_eq!(g.pages(), 2);
    }

    #[test]
    fn a_high_water_mark_may_stay_put_while_pages_differ() {
        let mut g = RunGuard::new("acme", "satisfaction_ratings", 100);
        for ids in [["1"], ["2"], ["3"]] {
            g.admit(&batch(json!({"start_time": 100}), &ids)).unwrap();
        }
        // Pages whose records were all filtered out say nothing either way.
        g.admit(&batch(json!({"start_time": 100}), &[])).unwrap();
        g.admit(&batch(json!({"start_time": 100}), &[])).unwrap();
        g.admit(&batch(json!({"start_time": 120}), &["4"])).unwrap();
    }

    #[test]
    fn the_same_page_again_is_stopped() {
        let mut g = RunGuard::new("acme", "items", 100);
        g.admit(&batch(json!({"cursor": "c1"}), &["1", "2"]))
            .unwrap();
        let (stop, err) = g
            .admit(&batch(json!({"cursor": "c1"}), &["1", "2"]))
            .unwrap_err();
        assert_eq!(stop, Stop::SamePage);
        assert!(err.to_string().contains("page 2 is page 1 again"), "{err}");
    }

    #[test]
    fn the_same_records_three_pages_in_a_row_are_the_same_page() {
        let mut g = RunGuard::new("acme", "agents", 100);
        g.admit(&batch(json!({"page": 2}), &["1", "2"])).unwrap();
        g.admit(&batch(json!({"page": 3}), &["1", "2"])).unwrap();
        let (stop, err) = g
            .admit(&batch(json!({"page": 4}), &["1", "2"]))
            .unwrap_err();
        assert_eq!(stop, Stop::SameRecords);
        assert!(
            err.to_string()
                .contains("pages 1, 2 and 3 hold the same 2 record(s)"),
            "{err}"
        );
        // Two equal pages, or equal first and last records around another middle, pass.
        let mut g = RunGuard::new("acme", "ticket_roster", 100);
        g.admit(&batch(json!({"pass": "all"}), &[])).unwrap();
        g.admit(&batch(json!({"pass": "spam", "n": 1}), &["1", "2", "9"]))
            .unwrap();
        g.admit(&batch(json!({"pass": "spam", "n": 2}), &["1", "2", "9"]))
            .unwrap();
        g.admit(&batch(json!({"pass": "spam", "n": 3}), &["1", "3", "9"]))
            .unwrap();
        g.admit(&batch(json!({"pass": "spam", "n": 4}), &["1", "3", "9"]))
            .unwrap();
    }

    #[test]
    fn the_page_cap_is_an_end() {
        let mut g = RunGuard::new("acme", "items", 2);
        g.admit(&batch(json!({"n": 1}), &["1"])).unwrap();
        g.admit(&batch(json!({"n": 2}), &["2"])).unwrap();
        let (stop, err) = g.admit(&batch(json!({"n": 3}), &["3"])).unwrap_err();
        assert_eq!(stop, Stop::PageCap);
        assert!(err.to_string().contains("max_pages"), "{err}");
    }

    #[test]
    fn a_time_cursor_past_now_is_malformed() {
        let now = DateTime::parse_from_rfc3339("2025-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ep = "/api/v2/incremental/ticket_events.json";
        ensure_not_future(ep, "end_time", now, now).unwrap();
        ensure_not_future(ep, "end_time", now + chrono::TimeDelta::minutes(9), now).unwrap();
        let err =
            ensure_not_future(ep, "end_time", now + chrono::TimeDelta::days(3), now).unwrap_err();
        assert!(
            matches!(&err, ConnectorError::Malformed { endpoint, detail }
                if endpoint == ep && detail.contains("`end_time` 2025-03-04T12:00:00+00:00 is 3 days ahead")),
            "{err}"
        );
        assert!(ensure_unix_not_future(ep, "end_time", now.timestamp() + 3600, now).is_err());
        assert!(ensure_unix_not_future(ep, "end_time", i64::MAX, now).is_err());
        assert!(
            ensure_not_future_within(
                ep,
                "end_time",
                now + chrono::TimeDelta::seconds(5),
                now,
                Duration::ZERO
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn a_run_is_visible_inside_its_scope_only() {
        assert!(StreamRun::current().is_none());
        let run = StreamRun::new("acme", "tickets");
        let seen = run
            .scope(async {
                StreamRun::current().map(|r| (r.source().to_owned(), r.stream().to_owned()))
            })
            .await;
        assert_eq!(seen, Some(("acme".into(), "tickets".into())));
        assert!(StreamRun::current().is_none());
        let fp = run.fingerprint("GET", "http://h/a?x=1", b"");
        assert!(!run.was_made(fp));
        run.record(fp);
        assert!(run.clone().was_made(fp));
        assert_ne!(fp, run.fingerprint("GET", "http://h/a?x=2", b""));
    }
}
