//! `deskpulse import KIND FILE [--team NAME]`: a team's manual inputs from a CSV file.
//!
//! The whole file is checked before anything is written, so a bad row imports nothing; each
//! problem is reported as `FILE:LINE: column: what is wrong (what is expected)`. Storage then
//! writes the rows in one transaction of upserts keyed by each row's natural key, so
//! importing the same file again is a no-op and a corrected row replaces the stored one.
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
//! zone); amounts are decimal numbers ≥ 0; currencies three-letter codes (upper-cased).

use crate::Failure;
use crate::cli::{ImportArgs, ImportKind};
use crate::config::Settings;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use deskpulse_metrics::{MonthlyAmount, SubscriptionInput};
use deskpulse_model::{Rating, RatingKind, RatingScale};
use deskpulse_storage::{ImportSummary, Monthly, OrderRow, Store};
use std::collections::HashMap;
use std::path::Path;

/// At most this many problems are listed; the rest are counted.
const MAX_PROBLEMS: usize = 20;

pub(crate) async fn run(settings: &Settings, args: ImportArgs) -> Result<(), Failure> {
    let team = settings
        .team(args.team.as_deref())
        .map_err(Failure::Usage)?;
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", args.file.display())))?;
    let rows = parse(args.kind, &args.file, &bytes, team.timezone).map_err(Failure::Usage)?;
    let store = Store::open(&settings.database.url)
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    let name = team.name.as_str();
    let done = match rows {
        Rows::Monthly(kind, rows) => store.import_monthly(kind, name, &rows).await,
        Rows::Subscriptions(rows) => store.import_subscriptions(name, &rows).await,
        Rows::Orders(rows) => store.import_orders(name, &rows).await,
        Rows::Surveys(rows) => store.import_surveys(name, &rows).await,
    };
    let summary = done.map_err(|e| Failure::Runtime(e.to_string()))?;
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

/// The parsed rows of a file, ready for storage.
#[derive(Debug)]
pub(crate) enum Rows {
    Monthly(Monthly, Vec<MonthlyAmount>),
    Subscriptions(Vec<SubscriptionInput>),
    Orders(Vec<OrderRow>),
    Surveys(Vec<Rating>),
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

/// Collects problems as `FILE:LINE: column: message` lines.
struct Problems<'a> {
    file: &'a str,
    list: Vec<String>,
    total: usize,
}

impl Problems<'_> {
    fn add(&mut self, line: u64, column: &str, message: impl std::fmt::Display) {
        self.total += 1;
        if self.list.len() < MAX_PROBLEMS {
            self.list
                .push(format!("{}:{line}: {column}: {message}", self.file));
        }
    }

    fn into_result(self) -> Result<(), String> {
        if self.total == 0 {
            return Ok(());
        }
        let mut msg = self.list.join("\n");
        if self.total > self.list.len() {
            msg.push_str(&format!(
                "\n… and {} more problems",
                self.total - self.list.len()
            ));
        }
        msg.push_str("\nnothing was imported: fix the file and import it again");
        Err(msg)
    }
}

/// One data row: its line and fields by column name.
struct Row<'r> {
    line: u64,
    record: &'r csv::StringRecord,
    columns: &'static [&'static str],
}

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        let i = self
            .columns
            .iter()
            .position(|c| *c == column)
            .expect("a column of the format");
        self.record.get(i).unwrap_or("")
    }
}

/// Checks the whole file and returns its rows, or every problem found.
pub(crate) fn parse(kind: ImportKind, path: &Path, bytes: &[u8], tz: Tz) -> Result<Rows, String> {
    let file = path.display().to_string();
    let columns = header(kind);
    let expected = columns.join(",");
    let mut p = Problems {
        file: &file,
        list: Vec::new(),
        total: 0,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut records = Vec::new();
    for result in reader.records() {
        match result {
            Ok(r) => records.push(r),
            Err(e) => {
                let line = e.position().map_or(0, |pos| pos.line());
                p.add(line, "row", format!("unreadable CSV: {e}"));
                return Err(p.into_result().unwrap_err());
            }
        }
    }
    let line_of = |r: &csv::StringRecord| r.position().map_or(0, |pos| pos.line());
    let Some((head, data)) = records.split_first() else {
        p.add(
            1,
            "header",
            format!("the file is empty (expected the header {expected})"),
        );
        return Err(p.into_result().unwrap_err());
    };
    let found: Vec<&str> = head.iter().collect();
    if found != columns {
        let which = columns
            .iter()
            .zip(found.iter().copied().chain(std::iter::repeat("")))
            .position(|(want, got)| *want != got)
            .unwrap_or(columns.len());
        let what = match (columns.get(which), found.get(which)) {
            (Some(want), Some(got)) => format!("column {} is {got:?}, not {want:?}", which + 1),
            (Some(want), None) => format!("column {} ({want:?}) is missing", which + 1),
            (None, Some(got)) => format!("unexpected extra column {got:?}"),
            (None, None) => "malformed".to_string(),
        };
        p.add(
            line_of(head),
            "header",
            format!("{what} (expected {expected})"),
        );
        return Err(p.into_result().unwrap_err());
    }

    let mut rows = Vec::new();
    for record in data {
        let line = line_of(record);
        // A blank line reads as one empty field: skip it, as a spreadsheet would write one.
        if record.len() == 1 && record.get(0) == Some("") {
            continue;
        }
        if record.len() != columns.len() {
            p.add(
                line,
                "row",
                format!(
                    "{} fields, expected {} ({expected})",
                    record.len(),
                    columns.len()
                ),
            );
            continue;
        }
        rows.push(Row {
            line,
            record,
            columns,
        });
    }

    let parsed = match kind {
        ImportKind::Costs => Rows::Monthly(Monthly::Costs, monthly(&rows, &mut p)),
        ImportKind::Revenue => Rows::Monthly(Monthly::Revenue, monthly(&rows, &mut p)),
        ImportKind::Customers => Rows::Subscriptions(customers(&rows, tz, &mut p)),
        ImportKind::Orders => Rows::Orders(orders(&rows, tz, &mut p)),
        ImportKind::Surveys => Rows::Surveys(surveys(&rows, tz, &mut p)),
    };
    p.into_result()?;
    Ok(parsed)
}

/// Remembers each key's first line, to name both lines of a duplicate.
struct Keys<K>(HashMap<K, u64>);

impl<K: std::hash::Hash + Eq> Keys<K> {
    fn new() -> Self {
        Keys(HashMap::new())
    }
    fn check(&mut self, key: K, line: u64, column: &str, shown: &str, p: &mut Problems<'_>) {
        if let Some(first) = self.0.get(&key) {
            p.add(
                line,
                column,
                format!("{shown} repeats line {first} (expected each key once per file)"),
            );
        } else {
            self.0.insert(key, line);
        }
    }
}

fn monthly(rows: &[Row<'_>], p: &mut Problems<'_>) -> Vec<MonthlyAmount> {
    let mut out = Vec::new();
    let mut keys = Keys::new();
    for r in rows {
        let month = month(r.get("month")).map_err(|e| p.add(r.line, "month", e));
        let amount = amount(r.get("amount")).map_err(|e| p.add(r.line, "amount", e));
        let currency = currency(r.get("currency")).map_err(|e| p.add(r.line, "currency", e));
        if let (Ok(month), Ok(amount), Ok(currency)) = (month, amount, currency) {
            let shown = format!("month {} in {currency}", r.get("month"));
            keys.check((month, currency.clone()), r.line, "month", &shown, p);
            out.push(MonthlyAmount {
                month,
                amount,
                currency,
            });
        }
    }
    out
}

fn customers(rows: &[Row<'_>], tz: Tz, p: &mut Problems<'_>) -> Vec<SubscriptionInput> {
    let mut out = Vec::new();
    let mut keys = Keys::new();
    for r in rows {
        let id = required(r.get("customer_id")).map_err(|e| p.add(r.line, "customer_id", e));
        let started = time(r.get("started_at"), tz).map_err(|e| p.add(r.line, "started_at", e));
        let ended = match r.get("ended_at") {
            "" => Ok(None),
            s => time(s, tz)
                .map(Some)
                .map_err(|e| p.add(r.line, "ended_at", e)),
        };
        let (Ok(id), Ok(started), Ok(ended)) = (id, started, ended) else {
            continue;
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
            continue;
        }
        let shown = format!("customer {id:?} starting {}", r.get("started_at"));
        keys.check((id.clone(), started), r.line, "customer_id", &shown, p);
        out.push(SubscriptionInput {
            customer_id: id,
            started_at: started,
            ended_at: ended,
        });
    }
    out
}

fn orders(rows: &[Row<'_>], tz: Tz, p: &mut Problems<'_>) -> Vec<OrderRow> {
    let mut out = Vec::new();
    let mut keys = Keys::new();
    for r in rows {
        let id = required(r.get("order_id")).map_err(|e| p.add(r.line, "order_id", e));
        let email = email(r.get("customer_email")).map_err(|e| p.add(r.line, "customer_email", e));
        let created = time(r.get("created_at"), tz).map_err(|e| p.add(r.line, "created_at", e));
        let amount = amount(r.get("amount")).map_err(|e| p.add(r.line, "amount", e));
        let currency = currency(r.get("currency")).map_err(|e| p.add(r.line, "currency", e));
        let (Ok(id), Ok(email), Ok(created), Ok(amount), Ok(currency)) =
            (id, email, created, amount, currency)
        else {
            continue;
        };
        keys.check(id.clone(), r.line, "order_id", &format!("order {id:?}"), p);
        out.push(OrderRow {
            order_id: id,
            customer_email: email,
            created_at: created,
            amount,
            currency,
        });
    }
    out
}

fn surveys(rows: &[Row<'_>], tz: Tz, p: &mut Problems<'_>) -> Vec<Rating> {
    let mut out = Vec::new();
    let mut keys = Keys::new();
    for r in rows {
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
            continue;
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
            continue;
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
            continue;
        };
        keys.check(
            id.clone(),
            r.line,
            "response_id",
            &format!("response {id:?}"),
            p,
        );
        let optional = |c: &str| Some(r.get(c).to_string()).filter(|s| !s.is_empty());
        out.push(Rating {
            external_id: id,
            kind,
            score,
            scale: RatingScale { min, max },
            ticket_id: optional("ticket_id"),
            agent_id: optional("agent"),
            comment: optional("comment"),
            created_at: created,
        });
    }
    out
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
        _ => Err(format!("{s:?} is not a number")),
    }
}

fn amount(s: &str) -> Result<f64, String> {
    let v = number(s).map_err(|e| format!("{e} (expected a decimal amount like 1234.50)"))?;
    if v < 0.0 {
        return Err(format!(
            "{s:?} is negative (expected an amount of 0 or more)"
        ));
    }
    Ok(v)
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

    fn parse_str(kind: ImportKind, text: &str) -> Result<Rows, String> {
        parse(
            kind,
            Path::new("in.csv"),
            text.as_bytes(),
            chrono_tz::Europe::Berlin,
        )
    }

    #[test]
    fn good_files_parse() {
        let Rows::Monthly(Monthly::Costs, rows) = parse_str(
            ImportKind::Costs,
            "month,amount,currency\n2026-11,1200.5,eur\n\n2026-12,0,EUR\n",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].month, rows[0].currency.as_str()),
            ((2026, 11), "EUR")
        );
        let Rows::Subscriptions(s) = parse_str(
            ImportKind::Customers,
            "customer_id,started_at,ended_at\nc1,2026-11-01,\nc1,2026-01-01,2026-03-01T10:00:00+01:00\n",
        )
        .unwrap() else {
            panic!()
        };
        // Midnight in Berlin (CET, UTC+1).
        assert_eq!(s[0].started_at.to_rfc3339(), "2026-10-31T23:00:00+00:00");
        assert_eq!(
            s[1].ended_at.unwrap().to_rfc3339(),
            "2026-03-01T09:00:00+00:00"
        );
        let Rows::Surveys(r) = parse_str(
            ImportKind::Surveys,
            "response_id,kind,score,scale_max,created_at,ticket_id,agent,comment\n\
             a,nps,0,10,2026-11-02,,,\nb,csat,5,5,2026-11-02,42,7,\"great, thanks\"\n",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(r[0].scale, RatingScale::ZERO_TO_TEN);
        assert_eq!(r[0].ticket_id, None);
        assert_eq!(r[1].scale, RatingScale::ONE_TO_FIVE);
        assert_eq!(r[1].comment.as_deref(), Some("great, thanks"));
    }

    #[test]
    fn bad_rows_name_file_line_and_column() {
        let err = |kind, text: &str| parse_str(kind, text).unwrap_err();
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
}
