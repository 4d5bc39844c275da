//! Paginators: a connector declares how a stream's pages are asked for, read and mapped; the
//! SDK runs the loop. Four shapes cover the vendors we read:
//!
//! | paginator | trait | vendors |
//! |---|---|---|
//! | cursor | [`CursorStream`] → [`cursor_stream`] | Zendesk cursor exports (`after_cursor`, `end_of_stream`) and lists (`meta.has_more`, `meta.after_cursor`), Gorgias (`meta.next_cursor`), Intercom search (`pages.next.starting_after`, a POST), Google (`nextPageToken`), X (`meta.next_token`) |
//! | time window | [`TimeWindowStream`] → [`time_window_stream`] | Zendesk time-based exports (`start_time`, `end_time`, `end_of_stream`) |
//! | page number | [`PageNumberStream`] → [`page_number_stream`] | Freshdesk (`page`, `per_page`), Help Scout (`page`, `totalPages`), Trustpilot (`page`, `perPage`) |
//! | next URL | [`NextUrlStream`] → [`next_url_stream`] | a `Link: <…>; rel="next"` header (Freshdesk), a next link in the body (Facebook `paging.next`, App Store Connect `links.next`) |
//!
//! What every paginator does, so no connector writes it again:
//! - the stored checkpoint is read into the declaration's type ([`CheckpointExt`]); one that
//!   does not parse is [`ConnectorError::bad_checkpoint`] (run `--full`);
//! - every page is read with the client's page requests
//!   ([`HttpClient::get_page_json`](crate::http::HttpClient::get_page_json) or
//!   [`post_page_json`](crate::http::HttpClient::post_page_json)), so the same request twice
//!   in one run is refused, and the runner's guard sees every checkpoint;
//! - a checkpoint after every page; the end only on the API's own end-of-stream signal,
//!   never on an empty page; a "more" without a cursor, a cursor that does not move, a page
//!   number the API did not echo, a next link that points at the same page: `Malformed`;
//! - an incremental bookmark that is the highest value actually read ([`CursorPos::bookmark`]),
//!   never the time the sync ended;
//! - item mapping errors are `Malformed` naming the endpoint.

use crate::http::{HeaderMap, HttpClient, PageResponse};
use crate::{Batch, BatchStream, Checkpoint, CheckpointExt, ConnectorError, Record};
use chrono::{DateTime, Utc};
use futures::stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// One request a paginator sends: a GET with a query, or a POST of a JSON body (a search
/// that pages in the body), to a path under the client's base URL (or a URL on it).
#[derive(Clone, Debug, PartialEq)]
pub struct PageRequest {
    pub path: String,
    pub query: Vec<(String, String)>,
    /// `Some` = POST this JSON.
    pub body: Option<serde_json::Value>,
}

impl PageRequest {
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    pub fn post(path: impl Into<String>, body: serde_json::Value) -> Self {
        Self {
            path: path.into(),
            query: Vec::new(),
            body: Some(body),
        }
    }

    /// Adds a query pair.
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    /// Adds a query pair when `value` is `Some`.
    pub fn query_opt(self, key: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Adds fixed pairs (`&[("include", "metric_sets")]`).
    pub fn pairs(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query.extend(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self
    }

    /// The path errors name.
    pub fn endpoint(&self) -> &str {
        self.path.split('?').next().unwrap_or(&self.path)
    }

    /// Sends it as a page request of `group`.
    pub async fn send<P: DeserializeOwned + Send + 'static>(
        &self,
        http: &HttpClient,
        group: &str,
    ) -> Result<PageResponse<P>, ConnectorError> {
        match &self.body {
            None => {
                let q: Vec<(&str, String)> = self
                    .query
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.clone()))
                    .collect();
                http.get_page_json_with_headers(group, &self.path, &q).await
            }
            Some(body) => {
                http.post_page_json_with_headers(group, &self.path, body)
                    .await
            }
        }
    }
}

/// What a stream's items become, shared by every paginator: the stream's name, its
/// rate-limit group, and the mapping of one item to records.
#[async_trait::async_trait]
pub trait Mapping: Send + Sync {
    /// What one page holds a list of.
    type Item: Send + 'static;

    /// The stream's name (errors and checkpoints name it).
    const STREAM: &'static str;

    /// The rate-limit group of the stream's page requests.
    const GROUP: &'static str = "default";

    /// The records of one item; an `Err` (what is wrong with it) is
    /// [`ConnectorError::Malformed`] at the page's endpoint.
    fn map(&self, item: Self::Item) -> Result<Vec<Record>, String>;

    /// The records of one page's items. Override to fetch what a list does not carry (a
    /// bounded fan-out committed with its page: Intercom's parts, Freshdesk's
    /// conversations).
    async fn records(
        &self,
        _http: &HttpClient,
        endpoint: &str,
        items: Vec<Self::Item>,
    ) -> Result<Vec<Record>, ConnectorError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.extend(
                self.map(item)
                    .map_err(|e| ConnectorError::malformed(endpoint, e))?,
            );
        }
        Ok(out)
    }
}

/// A stream that fails at once (a checkpoint or setting that cannot work).
pub fn failed<'a>(err: ConnectorError) -> BatchStream<'a> {
    Box::pin(stream::once(async move { Err(err) }))
}

fn parse_from<C: DeserializeOwned>(
    stream: &str,
    from: Option<Checkpoint>,
) -> Result<Option<C>, ConnectorError> {
    from.map(|cp| cp.parse_for::<C>(stream)).transpose()
}

// ---------------------------------------------------------------------------------------
// cursor

/// Whether a cursor page says there is more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum More {
    /// The API's explicit flag (`has_more`, `!end_of_stream`): a `true` without a next
    /// cursor is `Malformed`.
    Flag(bool),
    /// A next cursor is the only signal (`meta.next_cursor`, `nextPageToken`): none = end.
    IfNext,
}

/// One page of a cursor-paged list.
#[derive(Debug)]
pub struct CursorPage<I> {
    pub items: Vec<I>,
    /// The next page's cursor (empty text counts as none).
    pub next: Option<String>,
    pub more: More,
}

/// What to do with an item of a newest-first feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    Yes,
    /// Leave it out (read by an earlier pass) and go on.
    Skip,
    /// Leave it out, and end the pass after this page (a newest-first feed reached the
    /// bookmark).
    SkipAndStop,
}

/// Where a cursor stream stands.
#[derive(Clone, Debug, PartialEq)]
pub struct CursorPos<B> {
    /// The next page's cursor; `None` before the first page (and at the end of a pass whose
    /// last page gave none).
    pub cursor: Option<String>,
    /// The pass's filter (a `start_time`, an `updated_at` lower bound), fixed for the pass.
    pub from: Option<B>,
    /// The highest bookmark value read so far (or the one the pass resumed from).
    pub bookmark: Option<B>,
    /// The cursor came from a stored checkpoint (and was not used yet).
    stored_cursor: bool,
}

impl<B> CursorPos<B> {
    /// The first page of a pass filtered by `from`, keeping `bookmark`.
    pub fn first(from: Option<B>, bookmark: Option<B>) -> Self {
        Self {
            cursor: None,
            from,
            bookmark,
            stored_cursor: false,
        }
    }

    /// A pass resumed at a stored `cursor`.
    pub fn resume(cursor: String, from: Option<B>, bookmark: Option<B>) -> Self {
        Self {
            stored_cursor: !cursor.is_empty(),
            cursor: Some(cursor).filter(|c| !c.is_empty()),
            from,
            bookmark,
        }
    }
}

/// A cursor-paged stream; see the [module docs](self).
#[async_trait::async_trait]
pub trait CursorStream: Mapping {
    /// The page's JSON.
    type Page: DeserializeOwned + Send + 'static;
    /// The incremental value tracked across items (`i64` seconds, `DateTime<Utc>`); `()`
    /// for a full refresh.
    type Bookmark: Clone + Ord + Send + Sync + Debug + 'static;
    /// The stored checkpoint.
    type Checkpoint: Serialize + DeserializeOwned + Send;

    /// Where a read starts: from the stored checkpoint, or (`None`) the configured start.
    fn start(&self, from: Option<Self::Checkpoint>) -> CursorPos<Self::Bookmark>;
    /// The request of the page at `pos`.
    fn request(&self, pos: &CursorPos<Self::Bookmark>) -> PageRequest;
    /// The items and the paging signal of a page (an `Err` is `Malformed`).
    fn page(&self, page: Self::Page) -> Result<CursorPage<Self::Item>, String>;
    /// The checkpoint after a page: `done` is the pass's last page, where `pos.cursor` is
    /// what the last page gave (Zendesk's exports continue there next sync) and
    /// `pos.bookmark` the highest value read.
    fn checkpoint(&self, pos: &CursorPos<Self::Bookmark>, done: bool) -> Self::Checkpoint;

    /// An item's bookmark value (`updated_at`), if the stream is incremental.
    fn bookmark(&self, _item: &Self::Item) -> Option<Self::Bookmark> {
        None
    }
    /// Whether to keep an item (newest-first feeds stop at the bookmark).
    fn keep(&self, _pos: &CursorPos<Self::Bookmark>, _item: &Self::Item) -> Keep {
        Keep::Yes
    }
    /// Whether a stored cursor the API refuses (a 4xx other than 401/403/429: expired)
    /// restarts the pass from its first page with the same filter, instead of failing.
    fn restart_on_refused_cursor(&self) -> bool {
        false
    }
}

/// Reads a [`CursorStream`] from `from` to the API's end.
pub fn cursor_stream<'a, S: CursorStream + 'a>(
    http: &'a HttpClient,
    decl: S,
    from: Option<Checkpoint>,
) -> BatchStream<'a> {
    let pos = match parse_from::<S::Checkpoint>(S::STREAM, from) {
        Ok(cp) => decl.start(cp),
        Err(e) => return failed(e),
    };
    let pages = stream::try_unfold((Some(pos), decl), move |(state, decl)| async move {
        let Some(mut pos) = state else {
            return Ok(None);
        };
        let req = decl.request(&pos);
        let endpoint = req.endpoint().to_owned();
        let answer = match req.send::<S::Page>(http, S::GROUP).await {
            Err(ConnectorError::Http { status, .. })
                if pos.stored_cursor
                    && decl.restart_on_refused_cursor()
                    && (400..500).contains(&status)
                    && status != 429 =>
            {
                tracing::warn!(
                    stream = S::STREAM,
                    status,
                    "the stored cursor was refused; restarting the pass from its first page"
                );
                pos.cursor = None;
                decl.request(&pos).send::<S::Page>(http, S::GROUP).await?
            }
            other => other?,
        };
        pos.stored_cursor = false;
        let page = decl
            .page(answer.body)
            .map_err(|e| ConnectorError::malformed(&endpoint, e))?;
        let mut kept = Vec::with_capacity(page.items.len());
        let mut stop = false;
        for item in page.items {
            match decl.keep(&pos, &item) {
                Keep::Yes => {}
                Keep::Skip => continue,
                Keep::SkipAndStop => {
                    stop = true;
                    continue;
                }
            }
            if let Some(b) = decl.bookmark(&item)
                && pos.bookmark.as_ref().is_none_or(|cur| b > *cur)
            {
                pos.bookmark = Some(b);
            }
            kept.push(item);
        }
        let records = decl.records(http, &endpoint, kept).await?;
        let next = page.next.filter(|c| !c.is_empty());
        let more = match page.more {
            More::Flag(m) => m,
            More::IfNext => next.is_some(),
        };
        let done = stop || !more;
        if !done {
            match &next {
                None => {
                    return Err(ConnectorError::malformed(
                        &endpoint,
                        "the page says there is more but gives no next cursor",
                    ));
                }
                Some(c) if pos.cursor.as_ref() == Some(c) => {
                    return Err(ConnectorError::malformed(
                        &endpoint,
                        "the next cursor did not move (the same page again)",
                    ));
                }
                Some(_) => {}
            }
        }
        if next.is_some() {
            pos.cursor = next;
        }
        let checkpoint = Checkpoint::of(&decl.checkpoint(&pos, done));
        let batch = Batch {
            records,
            checkpoint,
        };
        Ok(Some((batch, ((!done).then_some(pos), decl))))
    });
    Box::pin(pages)
}

// ---------------------------------------------------------------------------------------
// time window

/// One page of a time-based export.
#[derive(Debug)]
pub struct WindowPage<I> {
    pub items: Vec<I>,
    /// Where the next page starts (the time of the page's last item), in Unix seconds.
    pub end_time: Option<i64>,
    pub end_of_stream: bool,
}

/// Where a time-based export stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowPos {
    /// Unix seconds, inclusive.
    pub start_time: i64,
    /// The page size to ask for (`None`: the API's default).
    pub per_page: Option<u32>,
}

/// What to do when a page's `end_time` does not move past `start_time` (every item in the
/// same second: a time-based export cannot page inside one second).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stall {
    /// Ask for the same window again with a larger page.
    Retry { per_page: u32 },
    /// The page held the whole second: go on from this time.
    Advance(i64),
    /// Stop with `Malformed` saying this (nothing past the last good page is committed).
    Fail(String),
}

/// A time-based export; see the [module docs](self).
#[async_trait::async_trait]
pub trait TimeWindowStream: Mapping {
    type Page: DeserializeOwned + Send + 'static;
    type Checkpoint: Serialize + DeserializeOwned + Send;

    /// The first `start_time`: from the stored checkpoint, or the configured start.
    fn start(&self, from: Option<Self::Checkpoint>) -> i64;
    fn request(&self, pos: &WindowPos) -> PageRequest;
    fn page(&self, page: Self::Page) -> Result<WindowPage<Self::Item>, String>;
    /// The checkpoint that resumes at `start_time`.
    fn checkpoint(&self, start_time: i64) -> Self::Checkpoint;

    /// The page size asked for (`None`: the API's default).
    fn per_page(&self) -> Option<u32> {
        None
    }
    /// The API's largest page (Zendesk: 1000, also its default).
    fn max_per_page(&self) -> u32 {
        1000
    }
    /// An item's time in Unix seconds, for the stall remedy.
    fn item_time(&self, _item: &Self::Item) -> Option<i64> {
        None
    }
    /// The time now, against which `end_time` is checked ([`crate::ensure_unix_not_future`]).
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    /// The remedy for a stalled page (see [`Stall`]). The default is Zendesk's documented
    /// one: an export "may exceed the 1000-item default return limit if items share the
    /// same timestamp", so a page larger than asked, all of one second, held the whole
    /// second (advance a second); a full page of one second asked with a smaller
    /// `per_page` is asked again at the maximum; anything else fails, naming the second.
    fn on_stall(&self, pos: &WindowPos, items: &[Self::Item]) -> Stall {
        let asked = pos.per_page.unwrap_or(self.max_per_page()) as usize;
        let one_second = items
            .iter()
            .all(|i| self.item_time(i) == Some(pos.start_time));
        if items.len() > asked && one_second {
            return Stall::Advance(pos.start_time + 1);
        }
        if !items.is_empty() && one_second && asked < self.max_per_page() as usize {
            return Stall::Retry {
                per_page: self.max_per_page(),
            };
        }
        let when = DateTime::from_timestamp(pos.start_time, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        Stall::Fail(format!(
            "`end_time` does not move past `start_time` {} ({when}) although `end_of_stream` is false: {} updates of \
             that second fill the page and the time-based export cannot page inside one second; nothing was skipped, \
             the next sync retries from {}",
            pos.start_time,
            items.len(),
            pos.start_time
        ))
    }
}

/// Reads a [`TimeWindowStream`]: `start_time` → page → `end_time` → … until
/// `end_of_stream`; the checkpoint after each page is the next `start_time` (never moved
/// backwards, never past now).
pub fn time_window_stream<'a, S: TimeWindowStream + 'a>(
    http: &'a HttpClient,
    decl: S,
    from: Option<Checkpoint>,
) -> BatchStream<'a> {
    let start = match parse_from::<S::Checkpoint>(S::STREAM, from) {
        Ok(cp) => decl.start(cp),
        Err(e) => return failed(e),
    };
    let pages = stream::try_unfold((Some(start), decl), move |(state, decl)| async move {
        let Some(start_time) = state else {
            return Ok(None);
        };
        let mut pos = WindowPos {
            start_time,
            per_page: decl.per_page().map(|n| n.min(decl.max_per_page())),
        };
        let (items, end, next) = loop {
            let req = decl.request(&pos);
            let endpoint = req.endpoint().to_owned();
            let answer = req.send::<S::Page>(http, S::GROUP).await?;
            let page = decl
                .page(answer.body)
                .map_err(|e| ConnectorError::malformed(&endpoint, e))?;
            let next = match page.end_time {
                Some(t) => t,
                None if page.end_of_stream => start_time,
                None => {
                    return Err(ConnectorError::malformed(
                        &endpoint,
                        "no `end_time` although `end_of_stream` is false",
                    ));
                }
            };
            crate::ensure_unix_not_future(&endpoint, "end_time", next, decl.now())?;
            if page.end_of_stream || next > start_time {
                break (page.items, page.end_of_stream, next);
            }
            match decl.on_stall(&pos, &page.items) {
                Stall::Retry { per_page } if pos.per_page != Some(per_page) => {
                    pos.per_page = Some(per_page);
                }
                Stall::Advance(t) if t > start_time => break (page.items, false, t),
                Stall::Fail(detail) => return Err(ConnectorError::malformed(&endpoint, detail)),
                other => {
                    return Err(ConnectorError::malformed(
                        &endpoint,
                        format!(
                            "the stall remedy {other:?} does not move the export past `start_time` {start_time}"
                        ),
                    ));
                }
            }
        };
        let endpoint = decl.request(&pos).endpoint().to_owned();
        let records = decl.records(http, &endpoint, items).await?;
        let next = next.max(start_time);
        let batch = Batch {
            records,
            checkpoint: Checkpoint::of(&decl.checkpoint(next)),
        };
        Ok(Some((batch, ((!end).then_some(next), decl))))
    });
    Box::pin(pages)
}

// ---------------------------------------------------------------------------------------
// page number

/// One page of a page-numbered list.
#[derive(Debug)]
pub struct NumberedPage<I> {
    pub items: Vec<I>,
    /// The page number the API says this is (Help Scout's `page.number`), if it says.
    pub number: Option<u64>,
    /// How many pages the list has (Help Scout's `page.totalPages`), if it says.
    pub total_pages: Option<u64>,
}

/// A page-numbered list; see the [module docs](self). The position is the connector's own
/// type (it is also the checkpoint), so it can carry a pass (`status=spam`), a window
/// (`updated_since`) and a bookmark besides the page number.
#[async_trait::async_trait]
pub trait PageNumberStream: Mapping {
    type Page: DeserializeOwned + Send + 'static;
    type Position: Clone + Send + Sync + Serialize + DeserializeOwned + 'static;

    /// The position of a first read (the first page of the configured window).
    fn first(&self) -> Self::Position;
    /// Where a resumed read starts (default: the stored position as it is).
    fn resume(&self, stored: Self::Position) -> Self::Position {
        stored
    }
    fn page_number(&self, pos: &Self::Position) -> u64;
    fn with_page(&self, pos: &Self::Position, page: u64) -> Self::Position;
    fn request(&self, pos: &Self::Position) -> PageRequest;
    fn page(
        &self,
        pos: &Self::Position,
        page: Self::Page,
    ) -> Result<NumberedPage<Self::Item>, String>;

    /// The page size asked for: a shorter page is the last, where the API gives no total
    /// (Freshdesk). `None`: only an empty page or the total ends the list.
    fn per_page(&self) -> Option<u32> {
        None
    }
    /// The most pages the API serves of one query (Freshdesk: 300): asking past it is
    /// `Malformed` unless [`PageNumberStream::next`] moves elsewhere.
    fn max_pages(&self) -> Option<u64> {
        None
    }
    /// Sees every item before it is mapped (to move a bookmark in the position).
    fn observe(&self, _pos: &mut Self::Position, _item: &Self::Item) {}
    /// Where to go after a page: `last` says the list ended. Default: the next page, or
    /// the end. Override for several passes (a `status=spam` pass, `/v3/system-users` after
    /// `/v2/users`) or keyset restarts (page 1 from the last `updated_at` read).
    fn next(&self, pos: &Self::Position, last: bool) -> Option<Self::Position> {
        (!last).then(|| self.with_page(pos, self.page_number(pos) + 1))
    }
    /// The checkpoint of a finished read: where the next sync starts (default: the first
    /// page of the position).
    fn done(&self, pos: &Self::Position) -> Self::Position {
        self.with_page(pos, 1)
    }
}

/// Inside `impl PageNumberStream for …`: `page_number` and `with_page` as the position's
/// `page` field (`page_field!(TicketsPos);`), which every position that carries its page
/// otherwise writes out the same way.
#[macro_export]
macro_rules! page_field {
    ($pos:ident) => {
        fn page_number(&self, pos: &$pos) -> u64 {
            pos.page
        }
        // A position whose only field is its page has nothing else to keep.
        #[allow(clippy::needless_update)]
        fn with_page(&self, pos: &$pos, page: u64) -> $pos {
            $pos {
                page,
                ..pos.clone()
            }
        }
    };
}

/// Inside `impl PageNumberStream for …`: a position for one object, read as page 1 of 1
/// (`one_page!(PageCheckpoint);`), so the position keeps no page number.
#[macro_export]
macro_rules! one_page {
    ($pos:ty) => {
        fn page_number(&self, _pos: &$pos) -> u64 {
            1
        }
        fn with_page(&self, pos: &$pos, _page: u64) -> $pos {
            pos.clone()
        }
    };
}

/// Reads a [`PageNumberStream`].
pub fn page_number_stream<'a, S: PageNumberStream + 'a>(
    http: &'a HttpClient,
    decl: S,
    from: Option<Checkpoint>,
) -> BatchStream<'a> {
    let pos = match parse_from::<S::Position>(S::STREAM, from) {
        Ok(Some(p)) => decl.resume(p),
        Ok(None) => decl.first(),
        Err(e) => return failed(e),
    };
    if decl.page_number(&pos) == 0 || decl.max_pages().is_some_and(|m| decl.page_number(&pos) > m) {
        let got = Checkpoint::of(&pos);
        return failed(ConnectorError::bad_checkpoint(
            S::STREAM,
            got.value(),
            format_args!(
                "a page number from 1 to {}",
                decl.max_pages().unwrap_or(u64::MAX)
            ),
        ));
    }
    let pages = stream::try_unfold((Some(pos), decl), move |(state, decl)| async move {
        let Some(mut pos) = state else {
            return Ok(None);
        };
        let asked = decl.page_number(&pos);
        let req = decl.request(&pos);
        let endpoint = req.endpoint().to_owned();
        let answer = req.send::<S::Page>(http, S::GROUP).await?;
        let page = decl
            .page(&pos, answer.body)
            .map_err(|e| ConnectorError::malformed(&endpoint, e))?;
        let last = last_page(&endpoint, asked, &page, decl.per_page())?;
        for item in &page.items {
            decl.observe(&mut pos, item);
        }
        let records = decl.records(http, &endpoint, page.items).await?;
        let next = decl.next(&pos, last);
        if let (Some(n), Some(max)) = (&next, decl.max_pages())
            && decl.page_number(n) > max
        {
            return Err(ConnectorError::malformed(
                &endpoint,
                format!(
                    "the API serves at most {max} pages of one query, and the list goes on past page {asked}"
                ),
            ));
        }
        let checkpoint = match &next {
            Some(n) => Checkpoint::of(n),
            None => Checkpoint::of(&decl.done(&pos)),
        };
        Ok(Some((
            Batch {
                records,
                checkpoint,
            },
            (next, decl),
        )))
    });
    Box::pin(pages)
}

/// Whether `page` (asked as page `asked`) is the last, or why it cannot be followed.
fn last_page<I>(
    endpoint: &str,
    asked: u64,
    page: &NumberedPage<I>,
    per_page: Option<u32>,
) -> Result<bool, ConnectorError> {
    if let Some(total) = page.total_pages {
        if total == 0 {
            return Ok(true);
        }
        if let Some(n) = page.number
            && n != asked
        {
            return Err(ConnectorError::malformed(
                endpoint,
                format!("asked for page {asked}, got page {n}"),
            ));
        }
        if asked <= total && page.items.is_empty() {
            return Err(ConnectorError::malformed(
                endpoint,
                format!("page {asked} of {total} has no records"),
            ));
        }
        return Ok(asked >= total);
    }
    Ok(match per_page {
        Some(n) => page.items.len() < n as usize,
        None => page.items.is_empty(),
    })
}

// ---------------------------------------------------------------------------------------
// next URL

/// One page of a list that names its next page by URL.
#[derive(Debug)]
pub struct LinkedPage<I> {
    pub items: Vec<I>,
    /// The next page's URL (absolute on the vendor's host, or relative), `None` at the end.
    pub next: Option<String>,
}

/// A list paged by next URLs; see the [module docs](self). The URL is rebuilt on the
/// configured base URL ([`HttpClient::rebase`]); the checkpoint holds its path and query
/// (without an `Auth::Query` key).
#[async_trait::async_trait]
pub trait NextUrlStream: Mapping {
    type Page: DeserializeOwned + Send + 'static;
    type Checkpoint: Serialize + DeserializeOwned + Send;

    /// The first request: of a first read (`None`), or the stored next page.
    fn first(&self, from: Option<Self::Checkpoint>) -> PageRequest;
    /// The items and the next URL of a page; `headers` carry a `Link` header (read it with
    /// [`link_next`]).
    fn page(&self, page: Self::Page, headers: &HeaderMap)
    -> Result<LinkedPage<Self::Item>, String>;
    /// The checkpoint after a page: `next` is the next page's path and query, `None` at the
    /// end (return what the next sync starts from).
    fn checkpoint(&self, next: Option<&str>) -> Self::Checkpoint;
}

/// Reads a [`NextUrlStream`].
pub fn next_url_stream<'a, S: NextUrlStream + 'a>(
    http: &'a HttpClient,
    decl: S,
    from: Option<Checkpoint>,
) -> BatchStream<'a> {
    let first = match parse_from::<S::Checkpoint>(S::STREAM, from) {
        Ok(cp) => decl.first(cp),
        Err(e) => return failed(e),
    };
    let pages = stream::try_unfold((Some(first), decl), move |(state, decl)| async move {
        let Some(req) = state else {
            return Ok(None);
        };
        let endpoint = req.endpoint().to_owned();
        let answer = req.send::<S::Page>(http, S::GROUP).await?;
        let page = decl
            .page(answer.body, &answer.headers)
            .map_err(|e| ConnectorError::malformed(&endpoint, e))?;
        let records = decl.records(http, &endpoint, page.items).await?;
        let next = match page.next.filter(|n| !n.trim().is_empty()) {
            None => None,
            Some(n) => {
                let url = if n.contains("://") {
                    http.rebase(&n)?
                } else {
                    http.resolve(&n)?
                };
                let rel = http.stored_path(&url);
                if rel == stored_of(http, &req)? {
                    return Err(ConnectorError::malformed(
                        &endpoint,
                        "the next link points at the page just read",
                    ));
                }
                Some(rel)
            }
        };
        let checkpoint = Checkpoint::of(&decl.checkpoint(next.as_deref()));
        let state = next.map(PageRequest::get);
        Ok(Some((
            Batch {
                records,
                checkpoint,
            },
            (state, decl),
        )))
    });
    Box::pin(pages)
}

/// The stored form (path and query) of a request.
fn stored_of(http: &HttpClient, req: &PageRequest) -> Result<String, ConnectorError> {
    let mut url = http.resolve(&req.path)?;
    if !req.query.is_empty() {
        url.query_pairs_mut().extend_pairs(req.query.iter());
    }
    Ok(http.stored_path(&url))
}

/// The `rel="next"` target of a `Link` header (RFC 8288): `<https://…?page=2>; rel="next"`,
/// among other links, with any spacing and quoting of `rel`, and `rel` lists
/// (`rel="next last"`).
pub fn link_next(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all("link") {
        let Ok(value) = value.to_str() else { continue };
        for link in split_links(value) {
            let Some((target, params)) = link
                .trim()
                .strip_prefix('<')
                .and_then(|l| l.split_once('>'))
            else {
                continue;
            };
            let is_next = params.split(';').any(|p| {
                let Some((k, v)) = p.split_once('=') else {
                    return false;
                };
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            });
            if is_next {
                return Some(target.trim().to_owned());
            }
        }
    }
    None
}

/// The links of a `Link` value, split at commas outside `<…>` and quotes.
fn split_links(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut in_angle, mut in_quote, mut start) = (false, false, 0);
    for (i, c) in value.char_indices() {
        match c {
            '<' if !in_quote => in_angle = true,
            '>' if !in_quote => in_angle = false,
            '"' if !in_angle => in_quote = !in_quote,
            ',' if !in_angle && !in_quote => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

#[cfg(test)]
mod tests;
