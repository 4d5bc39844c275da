//! `deskpulse import KIND FILE [--team NAME]`: a team's manual inputs from a CSV file.
//!
//! A bad row imports nothing of its file; each problem is reported as
//! `FILE:LINE: column: what is wrong (what is expected)`. Storage writes the rows as upserts
//! keyed by each row's natural key in one transaction, so importing the same file again is a
//! no-op and a corrected row replaces the stored one.
//!
//! Formats (the header line must be exactly these names, in this order):
//! - `costs`, `revenue`: `month,amount,currency` — key (month, currency);
//! - `customers`: `customer_id,started_at,ended_at` — one row per subscription, `ended_at`
//!   empty while active; key (customer_id, started_at);
//! - `orders`: `order_id,customer_email,created_at,amount,currency` — key order_id; only a
//!   keyed hash of the address is stored;
//! - `surveys`: `response_id,kind,score,scale_max,created_at,ticket_id,agent,comment` — kind
//!   `csat|nps|ces`; the scale is `0..=scale_max` for NPS (where scale_max must be 10) and
//!   `1..=scale_max` otherwise;
//!   `ticket_id`, `agent` and `comment` may be empty; key response_id.
//!
//! Months are `YYYY-MM`; times RFC 3339 or `YYYY-MM-DD` (midnight in the team's time
//! zone); amounts are decimal numbers from 0 to 1e15; currencies three-letter codes
//! (upper-cased).
//!
//! # Any size in bounded memory, still all or nothing: two streaming passes
//!
//! 1. **Check**: the file is read record by record and every row parsed and checked; of
//!    each row only a 64-bit hash of its key is kept (8 bytes a row), to find repeated keys
//!    at the end. Equal hashes are confirmed by a second read that compares the keys
//!    themselves, so a hash collision never refuses a good file. Nothing is written: a bad
//!    file is refused, every problem listed, before the database is even opened.
//! 2. **Write**: the file is read again and its rows written in batches of [`BATCH`] into
//!    one transaction ([`ImportWriter`]), committed only if this read saw exactly the bytes
//!    the check saw (length and hash): a file edited in between is refused, not
//!    half-checked.
//!
//! Why not write while checking, rolling back on a bad row: a bad row found at the end of a
//! 200 MB file would cost the whole write (and hold SQLite's write lock) for nothing, and
//! repeated keys are only known once the file has been read to its end. Reading twice costs
//! about a second per 200 MB; the writes dominate.
//!
//! # The CSV reader
//!
//! RFC 4180 with what spreadsheets write: records end with CRLF, LF or CR; a UTF-8 byte order
//! mark (Excel's "CSV UTF-8") is skipped; a field that starts with `"` is quoted, may hold
//! commas and line breaks, and writes a quote as `""`; fields are trimmed; blank lines are
//! skipped. Line numbers are counted exactly (CRLF as one line break) and a row is named by
//! the line it starts on. A quote that never closes is reported as such with the line it
//! opens on (instead of swallowing the rest of the file into one field), as is a record
//! longer than [`MAX_RECORD_BYTES`] (the same mistake, seen before the end of the file).

use crate::CommandError;
use crate::cli::{ImportArgs, ImportKind};
use crate::config::Settings;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use deskpulse_metrics::{MonthlyAmount, SubscriptionInput};
use deskpulse_model::{Rating, RatingKind, RatingScale};
use deskpulse_storage::{
    ImportSummary, ImportTarget, ImportWriter, MAX_AMOUNT, Monthly, OrderRow, Store,
};
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// At most this many problems are listed; the rest are counted.
const MAX_PROBLEMS: usize = 20;
/// Rows per write: a few statements' worth, a few hundred kilobytes.
const BATCH: usize = 4_000;
/// A record (a row, all its fields) longer than this is refused: no real row of these
/// formats comes near it, and a quote that never closes is the usual cause.
const MAX_RECORD_BYTES: usize = 1 << 20;
/// The read buffer.
const READ_BUFFER: usize = 256 * 1024;

pub(crate) async fn run(settings: &Settings, args: ImportArgs) -> Result<(), CommandError> {
    let team = settings
        .team(args.team.as_deref())
        .map_err(CommandError::Usage)?;
    let (kind, path, tz) = (args.kind, args.file.clone(), team.timezone);
    let checked = tokio::task::spawn_blocking(move || check_file(kind, &path, tz))
        .await
        .map_err(|e| CommandError::Runtime(format!("the import check stopped: {e}")))??;
    let store = Store::open(&settings.database.url)
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let name = team.name.as_str();
    let summary = write_file(&store, args.kind, &args.file, tz, name, &checked).await?;
    println!("{}", summary_line(args.kind, name, &summary));
    Ok(())
}

fn kind_name(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Costs => "costs",
        ImportKind::Revenue => "revenue",
        ImportKind::Customers => "customers",
        ImportKind::Orders => "orders",
        ImportKind::Surveys => "surveys",
    }
}

fn summary_line(kind: ImportKind, team: &str, s: &ImportSummary) -> String {
    format!(
        "imported {} row{} of {} for team {team} ({} new, {} changed, {} unchanged)",
        s.rows,
        if s.rows == 1 { "" } else { "s" },
        kind_name(kind),
        s.new,
        s.changed,
        s.unchanged
    )
}

fn header(kind: ImportKind) -> &'static [&'static str] {
    match kind {
        ImportKind::Costs | ImportKind::Revenue => &["month", "amount", "currency"],
        ImportKind::Customers => &["customer_id", "started_at", "ended_at"],
        ImportKind::Orders => &[
            "order_id",
            "customer_email",
            "created_at",
            "amount",
            "currency",
        ],
        ImportKind::Surveys => &[
            "response_id",
            "kind",
            "score",
            "scale_max",
            "created_at",
            "ticket_id",
            "agent",
            "comment",
        ],
    }
}

/// The widest format's column count.
const MAX_COLUMNS: usize = 8;

fn target(kind: ImportKind) -> ImportTarget {
    match kind {
        ImportKind::Costs => ImportTarget::Monthly(Monthly::Costs),
        ImportKind::Revenue => ImportTarget::Monthly(Monthly::Revenue),
        ImportKind::Customers => ImportTarget::Subscriptions,
        ImportKind::Orders => ImportTarget::Orders,
        ImportKind::Surveys => ImportTarget::Surveys,
    }
}

// ---- problems ----

/// Collects problems as `FILE:LINE: column: message` lines, listed by line.
struct Problems {
    file: String,
    list: Vec<(u64, String)>,
    total: usize,
}

impl Problems {
    fn new(file: String) -> Self {
        Problems {
            file,
            list: Vec::new(),
            total: 0,
        }
    }

    fn add(&mut self, line: u64, column: &str, message: impl std::fmt::Display) {
        self.total += 1;
        if self.list.len() < MAX_PROBLEMS {
            self.list
                .push((line, format!("{}:{line}: {column}: {message}", self.file)));
        }
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }

    fn into_message(mut self) -> String {
        self.list.sort_by_key(|(line, _)| *line);
        let mut msg = self
            .list
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        if self.total > self.list.len() {
            msg.push_str(&format!(
                "\n… and {} more problems",
                self.total - self.list.len()
            ));
        }
        msg.push_str("\nnothing was imported: fix the file and import it again");
        msg
    }
}

// ---- the CSV reader ----

/// A record as read: the line it starts on and its fields (unquoted bytes, untrimmed).
#[derive(Default)]
struct Record {
    line: u64,
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl Record {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }
}

/// Why the reader stopped before the end of the file. Nothing after it can be read.
#[derive(Debug)]
enum CsvError {
    Io(std::io::Error),
    /// A quoted field, field `field` (0-based) of the record starting on `record_line`,
    /// opened on `line` and never closed (or ran past [`MAX_RECORD_BYTES`]).
    Unclosed {
        line: u64,
        record_line: u64,
        field: usize,
    },
    /// A record longer than [`MAX_RECORD_BYTES`], outside any quote.
    TooLong {
        line: u64,
        field: usize,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: the field's end, or the first half of `""`.
    QuoteInQuoted,
}

/// What the file's first bytes say about its encoding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Utf8,
    /// UTF-16 (either byte order), which this reader cannot read.
    Utf16,
}

/// Reads records of a CSV stream, counting lines exactly and fingerprinting every byte.
struct CsvReader<R> {
    inner: BufReader<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>,
    /// The line of the next byte (1-based).
    line: u64,
    /// The last byte was a CR: an LF right after it ends the same line.
    prev_cr: bool,
    hasher: DefaultHasher,
    bytes: u64,
    encoding: Encoding,
}

impl<R: Read> CsvReader<R> {
    /// Reads the first bytes to skip a UTF-8 byte order mark (and recognize UTF-16).
    fn new(mut r: R) -> std::io::Result<Self> {
        let mut head = [0u8; 3];
        let mut n = 0;
        while n < head.len() {
            match r.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let mut hasher = DefaultHasher::new();
        hasher.write(&head[..n]);
        let (skip, encoding) = match &head[..n] {
            [0xEF, 0xBB, 0xBF] => (3, Encoding::Utf8),
            [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => (0, Encoding::Utf16),
            _ => (0, Encoding::Utf8),
        };
        let rest = std::io::Cursor::new(head[skip..n].to_vec());
        Ok(CsvReader {
            inner: BufReader::with_capacity(READ_BUFFER, rest.chain(r)),
            line: 1,
            prev_cr: false,
            hasher,
            bytes: n as u64 - skip as u64,
            encoding,
        })
    }

    /// The bytes read (after the byte order mark) and a hash of all of them (with it).
    fn fingerprint(&self) -> (u64, u64) {
        (self.bytes, self.hasher.finish())
    }

    /// Reads the next record into `rec`; `false` at the end of the file.
    fn read_record(&mut self, rec: &mut Record) -> Result<bool, CsvError> {
        rec.buf.clear();
        rec.ends.clear();
        let mut state = State::RecordStart;
        let mut quote_line = 0;
        // Every byte of the record, delimiters and quotes too: a line of commas alone must
        // not grow the field list without bound.
        let mut record_bytes = 0usize;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CsvError::Io(e)),
            };
            if chunk.is_empty() {
                return match state {
                    State::RecordStart => Ok(false),
                    State::Quoted => Err(CsvError::Unclosed {
                        line: quote_line,
                        record_line: rec.line,
                        field: rec.ends.len(),
                    }),
                    _ => {
                        rec.ends.push(rec.buf.len());
                        Ok(true)
                    }
                };
            }
            let mut used = 0;
            let mut done = false;
            for &b in chunk {
                used += 1;
                match b {
                    b'\n' => {
                        if !self.prev_cr {
                            self.line += 1;
                        }
                        self.prev_cr = false;
                    }
                    b'\r' => {
                        self.line += 1;
                        self.prev_cr = true;
                    }
                    _ => self.prev_cr = false,
                }
                if state == State::RecordStart {
                    if b == b'\r' || b == b'\n' {
                        continue;
                    }
                    // `line` only moves on a line break, so it is this byte's line.
                    rec.line = self.line;
                    state = State::FieldStart;
                }
                record_bytes += 1;
                match (state, b) {
                    (State::FieldStart, b'"') => {
                        state = State::Quoted;
                        quote_line = self.line;
                    }
                    (State::Quoted, b'"') => state = State::QuoteInQuoted,
                    (State::Quoted, _) => rec.buf.push(b),
                    (State::QuoteInQuoted, b'"') => {
                        rec.buf.push(b'"');
                        state = State::Quoted;
                    }
                    (_, b',') => {
                        rec.ends.push(rec.buf.len());
                        state = State::FieldStart;
                    }
                    (_, b'\r' | b'\n') => {
                        rec.ends.push(rec.buf.len());
                        done = true;
                        break;
                    }
                    // Text after a closing quote is kept as written, as most readers do.
                    _ => {
                        rec.buf.push(b);
                        state = State::Unquoted;
                    }
                }
                if record_bytes > MAX_RECORD_BYTES {
                    return Err(if state == State::Quoted {
                        CsvError::Unclosed {
                            line: quote_line,
                            record_line: rec.line,
                            field: rec.ends.len(),
                        }
                    } else {
                        CsvError::TooLong {
                            line: rec.line,
                            field: rec.ends.len(),
                        }
                    });
                }
            }
            self.hasher.write(&chunk[..used]);
            self.bytes += used as u64;
            self.inner.consume(used);
            if done {
                return Ok(true);
            }
        }
    }
}

// ---- rows ----

/// One checked row, ready for storage.
#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    Monthly(MonthlyAmount),
    Subscription(SubscriptionInput),
    Order(OrderRow),
    Survey(Rating),
}

impl Parsed {
    /// The row's natural key, as storage compares it (normalized values), as one text.
    fn key(&self) -> String {
        match self {
            Parsed::Monthly(m) => format!("{:04}-{:02}\u{0}{}", m.month.0, m.month.1, m.currency),
            Parsed::Subscription(s) => {
                format!("{}\u{0}{}", s.customer_id, s.started_at.timestamp_micros())
            }
            Parsed::Order(o) => o.order_id.clone(),
            Parsed::Survey(r) => r.external_id.clone(),
        }
    }

    /// The column a repeated key is reported on, and the key as the file wrote it.
    fn key_shown(&self, row: &Row<'_>) -> (&'static str, String) {
        match self {
            Parsed::Monthly(m) => (
                "month",
                format!("month {} in {}", row.get("month"), m.currency),
            ),
            Parsed::Subscription(s) => (
                "customer_id",
                format!(
                    "customer {:?} starting {}",
                    s.customer_id,
                    row.get("started_at")
                ),
            ),
            Parsed::Order(o) => ("order_id", format!("order {:?}", o.order_id)),
            Parsed::Survey(r) => ("response_id", format!("response {:?}", r.external_id)),
        }
    }
}

fn key_hash(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// A good row as [`Rows`] yields it: its line, its value, and (when asked for) the column
/// its key is reported on with the key as the file wrote it.
struct Good {
    line: u64,
    row: Parsed,
    key: Option<(&'static str, String)>,
}

/// One data row: its line and fields by column name.
struct Row<'r> {
    line: u64,
    fields: [&'r str; MAX_COLUMNS],
    columns: &'static [&'static str],
}

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        self.columns
            .iter()
            .position(|c| *c == column)
            .map_or("", |i| self.fields[i])
    }
}

/// The rows of a file, parsed and checked one at a time.
struct Rows<R> {
    reader: CsvReader<R>,
    rec: Record,
    kind: ImportKind,
    columns: &'static [&'static str],
    tz: Tz,
    /// The reader stopped (end of file, or a record it could not read).
    ended: bool,
}

/// The column a field index stands for, for problems found before a row is parsed.
fn column_name(columns: &[&'static str], i: usize) -> &'static str {
    columns.get(i).copied().unwrap_or("row")
}

impl<R: Read> Rows<R> {
    /// Opens the file and checks its header. `None` (with the problem recorded) when the
    /// header is missing or wrong: no row can be read then.
    fn open(kind: ImportKind, r: R, tz: Tz, p: &mut Problems) -> Option<Self> {
        let columns = header(kind);
        let expected = columns.join(",");
        let mut reader = match CsvReader::new(r) {
            Ok(r) => r,
            Err(e) => {
                p.add(1, "header", format!("the file cannot be read: {e}"));
                return None;
            }
        };
        if reader.encoding == Encoding::Utf16 {
            p.add(
                1,
                "header",
                "the file is UTF-16 text (save it as \"CSV UTF-8\" or plain UTF-8)",
            );
            return None;
        }
        let mut rec = Record::default();
        match reader.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => {
                p.add(
                    1,
                    "header",
                    format!("the file is empty (expected the header {expected})"),
                );
                return None;
            }
            Err(e) => {
                report_csv_error(e, &[], p);
                return None;
            }
        }
        let found: Vec<String> = (0..rec.len())
            .map(|i| String::from_utf8_lossy(rec.field(i)).trim().to_owned())
            .collect();
        if found.iter().map(String::as_str).ne(columns.iter().copied()) {
            let which = columns
                .iter()
                .zip(
                    found
                        .iter()
                        .map(String::as_str)
                        .chain(std::iter::repeat("")),
                )
                .position(|(want, got)| *want != got)
                .unwrap_or(columns.len());
            let mut what = match (columns.get(which), found.get(which)) {
                (Some(want), Some(got)) => format!("column {} is {got:?}, not {want:?}", which + 1),
                (Some(want), None) => format!("column {} ({want:?}) is missing", which + 1),
                (None, Some(got)) => format!("unexpected extra column {got:?}"),
                (None, None) => "malformed".to_string(),
            };
            if found.len() == 1 && found[0].contains(';') {
                what.push_str("; the file is separated by semicolons: save it with commas");
            }
            p.add(rec.line, "header", format!("{what} (expected {expected})"));
            return None;
        }
        Some(Rows {
            reader,
            rec,
            kind,
            columns,
            tz,
            ended: false,
        })
    }

    /// The next good row with its line; bad rows are recorded in `p` and skipped. `None` at
    /// the end of the file, or when a record cannot be read (recorded).
    fn next(&mut self, p: &mut Problems) -> Option<Good> {
        self.next_with(p, false)
    }

    /// [`Rows::next`], with the key's column and shown form when `shown`.
    fn next_with(&mut self, p: &mut Problems, shown: bool) -> Option<Good> {
        while !self.ended {
            match self.reader.read_record(&mut self.rec) {
                Ok(true) => {}
                Ok(false) => {
                    self.ended = true;
                    return None;
                }
                Err(e) => {
                    self.ended = true;
                    report_csv_error(e, self.columns, p);
                    return None;
                }
            }
            if let Some(row) = self.parse(p, shown) {
                return Some(row);
            }
        }
        None
    }

    fn parse(&self, p: &mut Problems, shown: bool) -> Option<Good> {
        let rec = &self.rec;
        let line = rec.line;
        let columns = self.columns;
        // A blank line reads as one empty field: skip it, as a spreadsheet would write one.
        if rec.len() == 1 && rec.field(0).trim_ascii().is_empty() {
            return None;
        }
        if rec.len() != columns.len() {
            p.add(
                line,
                "row",
                format!(
                    "{} fields, expected {} ({})",
                    rec.len(),
                    columns.len(),
                    columns.join(",")
                ),
            );
            return None;
        }
        let mut fields = [""; MAX_COLUMNS];
        let mut utf8 = true;
        for (i, slot) in fields.iter_mut().enumerate().take(rec.len()) {
            match std::str::from_utf8(rec.field(i)) {
                Ok(s) => *slot = s.trim(),
                Err(_) => {
                    p.add(
                        line,
                        columns[i],
                        "is not UTF-8 text (save the file as \"CSV UTF-8\" or plain UTF-8)",
                    );
                    utf8 = false;
                }
            }
        }
        if !utf8 {
            return None;
        }
        let row = Row {
            line,
            fields,
            columns,
        };
        let parsed = match self.kind {
            ImportKind::Costs | ImportKind::Revenue => monthly(&row, p).map(Parsed::Monthly),
            ImportKind::Customers => customer(&row, self.tz, p).map(Parsed::Subscription),
            ImportKind::Orders => order(&row, self.tz, p).map(Parsed::Order),
            ImportKind::Surveys => survey(&row, self.tz, p).map(Parsed::Survey),
        }?;
        let key = shown.then(|| parsed.key_shown(&row));
        Some(Good {
            line,
            row: parsed,
            key,
        })
    }

    fn fingerprint(&self) -> (u64, u64) {
        self.reader.fingerprint()
    }
}

fn report_csv_error(e: CsvError, columns: &[&'static str], p: &mut Problems) {
    match e {
        CsvError::Io(e) => p.add(0, "file", format!("cannot be read: {e}")),
        CsvError::Unclosed {
            line,
            record_line,
            field,
        } => {
            let column = if columns.is_empty() {
                "header"
            } else {
                column_name(columns, field)
            };
            let row = if record_line == line {
                String::new()
            } else {
                format!(" (in the row starting on line {record_line})")
            };
            p.add(
                line,
                column,
                format!(
                    "unclosed quote: the field opened with \" on line {line}{row} never closes \
                     (expected a closing \"; a quote inside a quoted field is written \"\"); \
                     nothing after it could be read"
                ),
            );
        }
        CsvError::TooLong { line, field } => {
            let column = if columns.is_empty() {
                "header"
            } else {
                column_name(columns, field)
            };
            p.add(
                line,
                column,
                format!(
                    "the row is longer than {} KiB (expected one row per line; is a quote \
                     missing?); nothing after it could be read",
                    MAX_RECORD_BYTES / 1024
                ),
            );
        }
    }
}

/// What the check found in a good file: its rows and the bytes it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checked {
    rows: u64,
    fingerprint: (u64, u64),
}

impl Checked {
    /// How many rows the file holds.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }
}

/// Pass 1 (see the module docs) over the file at `path`.
fn check_file(kind: ImportKind, path: &Path, tz: Tz) -> Result<Checked, CommandError> {
    let open = || {
        std::fs::File::open(path)
            .map_err(|e| CommandError::Usage(format!("cannot read {}: {e}", path.display())))
    };
    check(kind, &path.display().to_string(), open, tz)
}

/// Checks every row of what `open` reads, reading it a second time only to confirm repeated
/// keys. Every problem is listed (up to [`MAX_PROBLEMS`]) in the error.
pub(crate) fn check<R: Read>(
    kind: ImportKind,
    file: &str,
    open: impl Fn() -> Result<R, CommandError>,
    tz: Tz,
) -> Result<Checked, CommandError> {
    let mut p = Problems::new(file.to_owned());
    let Some(mut rows) = Rows::open(kind, open()?, tz, &mut p) else {
        return Err(CommandError::Usage(p.into_message()));
    };
    let mut hashes: Vec<u64> = Vec::new();
    let mut count = 0u64;
    while let Some(good) = rows.next(&mut p) {
        hashes.push(key_hash(&good.row.key()));
        count += 1;
    }
    let fingerprint = rows.fingerprint();
    drop(rows);
    hashes.sort_unstable();
    // Rows whose key's hash an earlier row has, and those hashes.
    let mut repeats = 0usize;
    let mut repeated: HashSet<u64> = HashSet::new();
    for w in hashes.windows(2) {
        if w[0] == w[1] {
            repeats += 1;
            repeated.insert(w[0]);
        }
    }
    drop(hashes);
    if !repeated.is_empty() {
        // Problems of this read were recorded by the first: record nowhere.
        let mut again = Problems::new(file.to_owned());
        if let Some(mut rows) = Rows::open(kind, open()?, tz, &mut again) {
            let mut first: HashMap<String, u64> = HashMap::new();
            let mut confirmed = 0usize;
            while let Some(Good {
                line,
                row: parsed,
                key: shown,
            }) = rows.next_with(&mut again, true)
            {
                let key = parsed.key();
                if !repeated.contains(&key_hash(&key)) {
                    continue;
                }
                match first.get(&key) {
                    Some(at) => {
                        let (column, shown) = shown.unwrap_or(("row", key.clone()));
                        p.add(
                            line,
                            column,
                            format!("{shown} repeats line {at} (expected each key once per file)"),
                        );
                        confirmed += 1;
                        // Enough to show: the rest are counted by their hashes, so a file
                        // repeating itself whole never fills memory with its keys.
                        if confirmed >= MAX_PROBLEMS {
                            p.total += repeats.saturating_sub(confirmed);
                            break;
                        }
                    }
                    None => {
                        first.insert(key, line);
                    }
                }
            }
        }
    }
    if !p.is_empty() {
        return Err(CommandError::Usage(p.into_message()));
    }
    Ok(Checked {
        rows: count,
        fingerprint,
    })
}

/// Rows of one kind waiting to be written.
enum Pending {
    Monthly(Vec<MonthlyAmount>),
    Subscriptions(Vec<SubscriptionInput>),
    Orders(Vec<OrderRow>),
    Surveys(Vec<Rating>),
}

impl Pending {
    fn new(kind: ImportKind) -> Self {
        match kind {
            ImportKind::Costs | ImportKind::Revenue => Pending::Monthly(Vec::with_capacity(BATCH)),
            ImportKind::Customers => Pending::Subscriptions(Vec::with_capacity(BATCH)),
            ImportKind::Orders => Pending::Orders(Vec::with_capacity(BATCH)),
            ImportKind::Surveys => Pending::Surveys(Vec::with_capacity(BATCH)),
        }
    }

    fn len(&self) -> usize {
        match self {
            Pending::Monthly(v) => v.len(),
            Pending::Subscriptions(v) => v.len(),
            Pending::Orders(v) => v.len(),
            Pending::Surveys(v) => v.len(),
        }
    }

    fn push(&mut self, row: Parsed) {
        match (self, row) {
            (Pending::Monthly(v), Parsed::Monthly(r)) => v.push(r),
            (Pending::Subscriptions(v), Parsed::Subscription(r)) => v.push(r),
            (Pending::Orders(v), Parsed::Order(r)) => v.push(r),
            (Pending::Surveys(v), Parsed::Survey(r)) => v.push(r),
            // The parser of a kind yields only that kind's rows.
            _ => {}
        }
    }

    async fn flush(&mut self, w: &mut ImportWriter) -> Result<(), deskpulse_storage::StorageError> {
        match self {
            Pending::Monthly(v) => w.write_monthly(v).await?,
            Pending::Subscriptions(v) => w.write_subscriptions(v).await?,
            Pending::Orders(v) => w.write_orders(v).await?,
            Pending::Surveys(v) => w.write_surveys(v).await?,
        }
        match self {
            Pending::Monthly(v) => v.clear(),
            Pending::Subscriptions(v) => v.clear(),
            Pending::Orders(v) => v.clear(),
            Pending::Surveys(v) => v.clear(),
        }
        Ok(())
    }
}

/// Pass 2 (see the module docs): writes the checked file in batches, in one transaction.
async fn write_file(
    store: &Store,
    kind: ImportKind,
    path: &Path,
    tz: Tz,
    team: &str,
    checked: &Checked,
) -> Result<ImportSummary, CommandError> {
    let changed = || {
        CommandError::Runtime(format!(
            "{} changed while it was being imported; nothing was imported: import it again",
            path.display()
        ))
    };
    let file = std::fs::File::open(path)
        .map_err(|e| CommandError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let mut p = Problems::new(path.display().to_string());
    let Some(mut rows) = Rows::open(kind, file, tz, &mut p) else {
        return Err(changed());
    };
    let runtime = |e: deskpulse_storage::StorageError| CommandError::Runtime(e.to_string());
    let mut writer = store
        .begin_import(target(kind), team)
        .await
        .map_err(runtime)?;
    let mut pending = Pending::new(kind);
    let mut count = 0u64;
    let mut failed = None;
    while let Some(good) = rows.next(&mut p) {
        pending.push(good.row);
        count += 1;
        if pending.len() >= BATCH
            && let Err(e) = pending.flush(&mut writer).await
        {
            failed = Some(runtime(e));
            break;
        }
    }
    if failed.is_none()
        && let Err(e) = pending.flush(&mut writer).await
    {
        failed = Some(runtime(e));
    }
    let same = p.is_empty() && count == checked.rows && rows.fingerprint() == checked.fingerprint;
    let failed = failed.or_else(|| (!same).then(changed));
    if let Some(f) = failed {
        // Rolled back on drop if this fails too: the failure to report is the first.
        let _ = writer.rollback().await;
        return Err(f);
    }
    writer.commit().await.map_err(runtime)
}

// ---- the formats ----

fn monthly(r: &Row<'_>, p: &mut Problems) -> Option<MonthlyAmount> {
    let month = month(r.get("month")).map_err(|e| p.add(r.line, "month", e));
    let amount = amount(r.get("amount")).map_err(|e| p.add(r.line, "amount", e));
    let currency = currency(r.get("currency")).map_err(|e| p.add(r.line, "currency", e));
    let (Ok(month), Ok(amount), Ok(currency)) = (month, amount, currency) else {
        return None;
    };
    Some(MonthlyAmount {
        month,
        amount,
        currency,
    })
}

fn customer(r: &Row<'_>, tz: Tz, p: &mut Problems) -> Option<SubscriptionInput> {
    let id = required(r.get("customer_id")).map_err(|e| p.add(r.line, "customer_id", e));
    let started = time(r.get("started_at"), tz).map_err(|e| p.add(r.line, "started_at", e));
    let ended = match r.get("ended_at") {
        "" => Ok(None),
        s => time(s, tz)
            .map(Some)
            .map_err(|e| p.add(r.line, "ended_at", e)),
    };
    let (Ok(id), Ok(started), Ok(ended)) = (id, started, ended) else {
        return None;
    };
    if let Some(e) = ended
        && e < started
    {
        p.add(
            r.line,
            "ended_at",
            format!(
                "{:?} is before started_at {:?} (expected the end at or after the start)",
                r.get("ended_at"),
                r.get("started_at")
            ),
        );
        return None;
    }
    Some(SubscriptionInput {
        customer_id: id,
        started_at: started,
        ended_at: ended,
    })
}

fn order(r: &Row<'_>, tz: Tz, p: &mut Problems) -> Option<OrderRow> {
    let id = required(r.get("order_id")).map_err(|e| p.add(r.line, "order_id", e));
    let email = email(r.get("customer_email")).map_err(|e| p.add(r.line, "customer_email", e));
    let created = time(r.get("created_at"), tz).map_err(|e| p.add(r.line, "created_at", e));
    let amount = amount(r.get("amount")).map_err(|e| p.add(r.line, "amount", e));
    let currency = currency(r.get("currency")).map_err(|e| p.add(r.line, "currency", e));
    let (Ok(id), Ok(email), Ok(created), Ok(amount), Ok(currency)) =
        (id, email, created, amount, currency)
    else {
        return None;
    };
    Some(OrderRow {
        order_id: id,
        customer_email: email,
        created_at: created,
        amount,
        currency,
    })
}

fn survey(r: &Row<'_>, tz: Tz, p: &mut Problems) -> Option<Rating> {
    let id = required(r.get("response_id")).map_err(|e| p.add(r.line, "response_id", e));
    let kind = r
        .get("kind")
        .to_ascii_lowercase()
        .parse::<RatingKind>()
        .map_err(|_| {
            p.add(
                r.line,
                "kind",
                format!(
                    "{:?} is not a survey kind (expected csat, nps or ces)",
                    r.get("kind")
                ),
            )
        });
    let created = time(r.get("created_at"), tz).map_err(|e| p.add(r.line, "created_at", e));
    let (Ok(id), Ok(kind), Ok(created)) = (id, kind, created) else {
        return None;
    };
    let min = if kind == RatingKind::Nps { 0.0 } else { 1.0 };
    let Ok(max) = number(r.get("scale_max"))
        .and_then(|m| {
            if kind == RatingKind::Nps && m != 10.0 {
                // The KPI's promoter and detractor bands only exist on 0–10.
                Err(format!("{m} is not 10 (NPS is asked on a 0–10 scale)"))
            } else if m > min {
                Ok(m)
            } else {
                Err(format!("{m} is not above the scale's minimum {min}"))
            }
        })
        .map_err(|e| {
            p.add(
                r.line,
                "scale_max",
                format!("{e} (expected the top of the scale, e.g. 5 or 10)"),
            )
        })
    else {
        return None;
    };
    let Ok(score) = number(r.get("score"))
        .and_then(|s| {
            if (min..=max).contains(&s) {
                Ok(s)
            } else {
                Err(format!("{s} is outside the scale"))
            }
        })
        .map_err(|e| {
            p.add(
                r.line,
                "score",
                format!("{e} (expected a number from {min} to {max} for {kind})"),
            )
        })
    else {
        return None;
    };
    let optional = |c: &str| Some(r.get(c).to_string()).filter(|s| !s.is_empty());
    Some(Rating {
        external_id: id,
        kind,
        score,
        scale: RatingScale { min, max },
        ticket_id: optional("ticket_id"),
        agent_id: optional("agent"),
        comment: optional("comment"),
        created_at: created,
    })
}

fn required(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("is empty (expected an id)".into())
    } else {
        Ok(s.to_string())
    }
}

fn month(s: &str) -> Result<(i32, u32), String> {
    let bad = || format!("{s:?} is not a month (expected YYYY-MM, e.g. 2026-11)");
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok((y, m))
}

fn number(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("{s:?} is not a finite number")),
        Err(_) => Err(format!("{s:?} is not a number")),
    }
}

fn amount(s: &str) -> Result<f64, String> {
    let v = number(s).map_err(|e| format!("{e} (expected a decimal amount like 1234.50)"))?;
    if v < 0.0 {
        return Err(format!(
            "{s:?} is negative (expected an amount of 0 or more)"
        ));
    }
    if beyond_max(s, v) {
        return Err(format!(
            "{s:?} is beyond ±1e15 (expected an amount of at most 1000000000000000)"
        ));
    }
    Ok(v)
}

/// Whether the amount `s` (read as `v`) is above [`MAX_AMOUNT`]. Near it a double rounds
/// `1000000000000000.01` to the bound itself, so a plain decimal that reads as the bound is
/// compared as text; an exponent form (`1e15`) is taken as the double reads it.
fn beyond_max(s: &str, v: f64) -> bool {
    if v != MAX_AMOUNT {
        return v > MAX_AMOUNT;
    }
    let digits = s.trim_start_matches('+');
    if !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return false;
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    // Only 1000000000000000.x and 999999999999999.9x read as the bound.
    int.trim_start_matches('0') == "1000000000000000" && frac.bytes().any(|b| b != b'0')
}

fn currency(s: &str) -> Result<String, String> {
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(s.to_ascii_uppercase())
    } else {
        Err(format!(
            "{s:?} is not a currency code (expected three letters, e.g. EUR)"
        ))
    }
}

fn email(s: &str) -> Result<String, String> {
    match s.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Ok(s.to_string()),
        // Never echo what might be personal data in full: say what is wrong with it.
        _ if s.is_empty() => Err("is empty (expected an e-mail address)".into()),
        _ => Err("is not an e-mail address (expected name@domain)".into()),
    }
}

/// RFC 3339, or a date meaning midnight in the team's time zone.
fn time(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && s.len() == 10
    {
        return Ok(deskpulse_model::period::local_midnight(tz, d));
    }
    if s.is_empty() {
        return Err("is empty (expected a date YYYY-MM-DD or an RFC 3339 time)".into());
    }
    Err(format!(
        "{s:?} is not a date (expected YYYY-MM-DD or an RFC 3339 time like 2026-11-09T08:30:00Z)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const TZ: Tz = chrono_tz::Europe::Berlin;

    /// Checks `text` as the file `in.csv`, then reads its rows as the write pass would.
    fn parse_str(kind: ImportKind, text: &str) -> Result<Vec<Parsed>, String> {
        let bytes = text.as_bytes().to_vec();
        check(kind, "in.csv", || Ok(Cursor::new(bytes.clone())), TZ)
            .map_err(|f| f.message().to_owned())?;
        let mut p = Problems::new("in.csv".into());
        let mut rows = Rows::open(kind, Cursor::new(bytes), TZ, &mut p).expect("a good header");
        let mut out = Vec::new();
        while let Some(good) = rows.next(&mut p) {
            out.push(good.row);
        }
        assert!(p.is_empty());
        Ok(out)
    }

    fn err(kind: ImportKind, text: &str) -> String {
        parse_str(kind, text).unwrap_err()
    }

    /// Every record of `bytes` as (line, fields), or the reader's error.
    fn records(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, CsvError> {
        let mut r = CsvReader::new(bytes).unwrap();
        let mut rec = Record::default();
        let mut out = Vec::new();
        while r.read_record(&mut rec)? {
            let fields = (0..rec.len())
                .map(|i| String::from_utf8_lossy(rec.field(i)).into_owned())
                .collect();
            out.push((rec.line, fields));
        }
        Ok(out)
    }

    #[test]
    fn good_files_parse() {
        let r = parse_str(
            ImportKind::Costs,
            "month,amount,currency\n2026-11,1200.5,eur\n\n2026-12,0,EUR\n",
        )
        .unwrap();
        let [Parsed::Monthly(a), Parsed::Monthly(_)] = r.as_slice() else {
            panic!("{r:?}")
        };
        assert_eq!((a.month, a.currency.as_str()), ((2026, 11), "EUR"));
        let r = parse_str(
            ImportKind::Customers,
            "customer_id,started_at,ended_at\nc1,2026-11-01,\nc1,2026-01-01,2026-03-01T10:00:00+01:00\n",
        )
        .unwrap();
        let [Parsed::Subscription(a), Parsed::Subscription(b)] = r.as_slice() else {
            panic!("{r:?}")
        };
        // Midnight in Berlin (CET, UTC+1).
        assert_eq!(a.started_at.to_rfc3339(), "2026-10-31T23:00:00+00:00");
        assert_eq!(
            b.ended_at.unwrap().to_rfc3339(),
            "2026-03-01T09:00:00+00:00"
        );
        let r = parse_str(
            ImportKind::Surveys,
            "response_id,kind,score,scale_max,created_at,ticket_id,agent,comment\n\
             a,nps,0,10,2026-11-02,,,\nb,csat,5,5,2026-11-02,42,7,\"great, thanks\"\n",
        )
        .unwrap();
        let [Parsed::Survey(a), Parsed::Survey(b)] = r.as_slice() else {
            panic!("{r:?}")
        };
        assert_eq!(a.scale, RatingScale::ZERO_TO_TEN);
        assert_eq!(a.ticket_id, None);
        assert_eq!(b.scale, RatingScale::ONE_TO_FIVE);
        assert_eq!(b.comment.as_deref(), Some("great, thanks"));
    }

    #[test]
    fn bad_rows_name_file_line_and_column() {
        let e = err(
            ImportKind::Costs,
            "month,amount,currency\n2026-11,10,EUR\n2026-11,-5,EUR\n",
        );
        assert!(e.starts_with("in.csv:3: amount: \"-5\" is negative"), "{e}");
        let e = err(ImportKind::Costs, "month,amont,currency\n");
        assert!(
            e.starts_with("in.csv:1: header: column 2 is \"amont\", not \"amount\""),
            "{e}"
        );
        let e = err(ImportKind::Costs, "");
        assert!(e.starts_with("in.csv:1: header: the file is empty"), "{e}");
        let e = err(ImportKind::Costs, "month,amount,currency\n2026-11,10\n");
        assert!(e.starts_with("in.csv:2: row: 2 fields, expected 3"), "{e}");
        let e = err(
            ImportKind::Costs,
            "month,amount,currency\n2026-11,10,EUR\n2026-11,11,eur\n",
        );
        assert!(
            e.starts_with("in.csv:3: month: month 2026-11 in EUR repeats line 2"),
            "{e}"
        );
        let e = err(
            ImportKind::Revenue,
            "month,amount,currency\n2026-13,10,EUR\n",
        );
        assert!(
            e.starts_with("in.csv:2: month: \"2026-13\" is not a month"),
            "{e}"
        );
        let e = err(
            ImportKind::Customers,
            "customer_id,started_at,ended_at\nc1,2026-11-05,2026-11-01\n",
        );
        assert!(
            e.starts_with("in.csv:2: ended_at: \"2026-11-01\" is before"),
            "{e}"
        );
        let e = err(
            ImportKind::Customers,
            "customer_id,started_at,ended_at\nc1,yesterday,\n",
        );
        assert!(
            e.starts_with("in.csv:2: started_at: \"yesterday\" is not a date"),
            "{e}"
        );
        let head = "response_id,kind,score,scale_max,created_at,ticket_id,agent,comment\n";
        let e = err(
            ImportKind::Surveys,
            &format!("{head}a,stars,3,5,2026-11-02,,,\n"),
        );
        assert!(
            e.starts_with("in.csv:2: kind: \"stars\" is not a survey kind"),
            "{e}"
        );
        let e = err(
            ImportKind::Surveys,
            &format!("{head}a,nps,3,5,2026-11-02,,,\n"),
        );
        assert!(e.starts_with("in.csv:2: scale_max: 5 is not 10"), "{e}");
        let e = err(
            ImportKind::Surveys,
            &format!("{head}a,csat,0,5,2026-11-02,,,\n"),
        );
        assert!(
            e.starts_with("in.csv:2: score: 0 is outside the scale (expected a number from 1 to 5"),
            "{e}"
        );
        let e = err(
            ImportKind::Orders,
            "order_id,customer_email,created_at,amount,currency\no1,ann.example.com,2026-11-02,5,EUR\n",
        );
        assert!(
            e.starts_with("in.csv:2: customer_email: is not an e-mail"),
            "{e}"
        );
        assert!(!e.contains("ann.example.com"), "{e}");
        // Every problem is listed, and the file is never half-accepted.
        let e = err(
            ImportKind::Costs,
            "month,amount,currency\nx,1,EUR\ny,1,EUR\n2026-01,1,EUR\n",
        );
        assert!(
            e.contains("in.csv:2: month") && e.contains("in.csv:3: month"),
            "{e}"
        );
        assert!(
            e.ends_with("nothing was imported: fix the file and import it again"),
            "{e}"
        );
    }

    #[test]
    fn line_breaks_of_every_kind_count_once() {
        let rows = records(b"a,b\r\nc,d\ne,f\rg,h\r\n\r\n\"i\r\nj\",k\nl,m").unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        // CRLF, LF and CR each end one line; the blank line 5 is skipped; the quoted field
        // spans lines 6 and 7.
        assert_eq!(lines, [1, 2, 3, 4, 6, 8]);
        assert_eq!(rows[4].1, ["i\r\nj", "k"]);
        assert_eq!(rows[5].1, ["l", "m"]);
        // A CRLF split across two reads of the buffer still counts once.
        let mut text = vec![b'x'; READ_BUFFER - 1];
        text.extend_from_slice(b"\r\ny\r\nz");
        let rows = records(&text).unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn quotes_follow_rfc_4180() {
        let rows = records(b"\"a,b\",\"say \"\"hi\"\"\",,\"\"\n").unwrap();
        assert_eq!(rows[0].1, ["a,b", "say \"hi\"", "", ""]);
        // A trailing comma is an empty last field.
        assert_eq!(records(b"a,\n").unwrap()[0].1, ["a", ""]);
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_utf16_named() {
        let rows = records(b"\xEF\xBB\xBFa,b\n").unwrap();
        assert_eq!(rows[0].1, ["a", "b"]);
        let r = parse_str(
            ImportKind::Costs,
            "\u{feff}month,amount,currency\r\n2026-11,1,EUR\r\n",
        )
        .unwrap();
        assert_eq!(r.len(), 1);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("month".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let mut p = Problems::new("in.csv".into());
        assert!(Rows::open(ImportKind::Costs, Cursor::new(utf16), TZ, &mut p).is_none());
        let e = p.into_message();
        assert!(e.starts_with("in.csv:1: header: the file is UTF-16"), "{e}");
    }

    #[test]
    fn an_unclosed_quote_names_its_line_at_the_end_or_past_the_limit() {
        let e = records(b"a,b\n\"c,d\ne,f\n").unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::Unclosed {
                    line: 2,
                    record_line: 2,
                    field: 0
                }
            ),
            "{e:?}"
        );
        // Opened on line 3 of a row starting on line 2 (a quoted field spanning lines).
        let e = records(b"h\n\"x\ny\",\"z\nw\n").unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::Unclosed {
                    line: 3,
                    record_line: 2,
                    field: 1
                }
            ),
            "{e:?}"
        );
        // A long file: the reader stops at the limit, not at the end of the file.
        let mut text = b"a,\"b\n".to_vec();
        text.extend(std::iter::repeat_n(b"x,y\n".as_slice(), MAX_RECORD_BYTES / 2).flatten());
        let e = records(&text).unwrap_err();
        assert!(matches!(e, CsvError::Unclosed { line: 1, .. }), "{e:?}");
        let mut long = vec![b'x'; MAX_RECORD_BYTES + 1];
        long.push(b'\n');
        assert!(matches!(
            records(&long).unwrap_err(),
            CsvError::TooLong { line: 1, field: 0 }
        ));
        let head = "response_id,kind,score,scale_max,created_at,ticket_id,agent,comment\n";
        let e = err(
            ImportKind::Surveys,
            &format!(
                "{head}r1,csat,5,5,2026-11-01,,,ok\nr2,csat,4,5,2026-11-01,,,\"no end\nr3,csat,3,5,2026-11-01,,,x\n"
            ),
        );
        assert!(
            e.starts_with(
                "in.csv:3: comment: unclosed quote: the field opened with \" on line 3 never closes"
            ),
            "{e}"
        );
    }

    #[test]
    fn not_utf8_and_semicolons_are_named() {
        let e = err(
            ImportKind::Costs,
            "month,amount,currency\n2026-11,1,E\u{fffd}R\n",
        );
        assert!(e.starts_with("in.csv:2: currency:"), "{e}");
        let bytes = b"month,amount,currency\n2026-11,1,\xE9UR\n".to_vec();
        let e = check(
            ImportKind::Costs,
            "in.csv",
            || Ok(Cursor::new(bytes.clone())),
            TZ,
        )
        .unwrap_err();
        assert!(
            e.message()
                .starts_with("in.csv:2: currency: is not UTF-8 text"),
            "{}",
            e.message()
        );
        let e = err(ImportKind::Costs, "month;amount;currency\n2026-11;1;EUR\n");
        assert!(e.contains("separated by semicolons"), "{e}");
    }

    #[test]
    fn amounts_stop_at_1e15_exactly() {
        for ok in [
            "0",
            "1234.50",
            "1000000000000000",
            "1000000000000000.000",
            "999999999999999.99",
            "1e15",
        ] {
            assert!(amount(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1000000000000000.01",
            "1000000000000001",
            "1e16",
            "1e307",
            "+1000000000000000.5",
        ] {
            let e = amount(bad).unwrap_err();
            assert!(e.contains("beyond ±1e15"), "{bad}: {e}");
        }
        for bad in ["inf", "-inf", "NaN", "infinity"] {
            let e = amount(bad).unwrap_err();
            assert!(e.contains("is not a finite number"), "{bad}: {e}");
        }
    }

    #[test]
    fn repeated_keys_name_both_lines_however_far_apart() {
        let mut text = String::from("order_id,customer_email,created_at,amount,currency\n");
        for i in 0..10_000 {
            text.push_str(&format!("o{i},a@b.c,2026-11-01,1,EUR\n"));
        }
        text.push_str("o17,a@b.c,2026-11-02,2,EUR\n");
        let e = err(ImportKind::Orders, &text);
        assert!(
            e.starts_with("in.csv:10002: order_id: order \"o17\" repeats line 19"),
            "{e}"
        );
        // The same instant written two ways is the same subscription.
        let e = err(
            ImportKind::Customers,
            "customer_id,started_at,ended_at\nc1,2026-11-01,\nc1,2026-10-31T23:00:00Z,\n",
        );
        assert!(
            e.starts_with("in.csv:3: customer_id: customer \"c1\" starting 2026-10-31T23:00:00Z repeats line 2"),
            "{e}"
        );
    }

    #[test]
    fn a_file_repeating_itself_lists_twenty_and_counts_the_rest() {
        let mut text = String::from("order_id,customer_email,created_at,amount,currency\n");
        let rows: String = (0..1_000)
            .map(|i| format!("o{i},a@b.c,2026-11-01,1,EUR\n"))
            .collect();
        text.push_str(&rows);
        text.push_str(&rows);
        let e = err(ImportKind::Orders, &text);
        let lines: Vec<&str> = e.lines().collect();
        assert!(
            lines[0].starts_with("in.csv:1002: order_id: order \"o0\" repeats line 2"),
            "{e}"
        );
        assert_eq!(lines[20], "… and 980 more problems", "{e}");
    }

    #[test]
    fn a_line_of_delimiters_is_too_long_too() {
        let mut line = vec![b','; MAX_RECORD_BYTES + 1];
        line.push(b'\n');
        assert!(matches!(
            records(&line).unwrap_err(),
            CsvError::TooLong { line: 1, .. }
        ));
    }

    #[test]
    fn many_problems_are_counted_and_listed_by_line() {
        let mut text = String::from("month,amount,currency\n");
        for _ in 0..30 {
            text.push_str("2026-11,x,EUR\n");
        }
        let e = err(ImportKind::Costs, &text);
        let lines: Vec<&str> = e.lines().collect();
        assert!(lines[0].starts_with("in.csv:2: amount"), "{e}");
        assert!(lines[19].starts_with("in.csv:21: amount"), "{e}");
        assert_eq!(lines[20], "… and 10 more problems");
    }

    #[tokio::test]
    async fn a_file_changed_after_its_check_imports_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("costs.csv");
        std::fs::write(&path, "month,amount,currency\n2026-11,1,EUR\n").unwrap();
        let checked = check_file(ImportKind::Costs, &path, TZ).unwrap();
        assert_eq!(checked.rows, 1);
        let store = Store::open("sqlite::memory:").await.unwrap();
        for edited in [
            "month,amount,currency\n2026-11,2,EUR\n",
            "month,amount,currency\n2026-11,1,EUR\n2026-12,1,EUR\n",
            "month,amount,currency\n2026-11,x,EUR\n",
        ] {
            std::fs::write(&path, edited).unwrap();
            let e = write_file(&store, ImportKind::Costs, &path, TZ, "support", &checked)
                .await
                .unwrap_err();
            assert!(
                e.message().contains("changed while it was being imported"),
                "{e:?}"
            );
            assert_eq!(store.counts().await.unwrap()["costs"], 0);
        }
        std::fs::write(&path, "month,amount,currency\n2026-11,1,EUR\n").unwrap();
        let s = write_file(&store, ImportKind::Costs, &path, TZ, "support", &checked)
            .await
            .unwrap();
        assert_eq!((s.rows, s.new), (1, 1));
    }
}
