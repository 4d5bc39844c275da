//! Per-ticket facts kept at ingest (table `ticket_facts`, plus `open_spans` for the
//! backlog): the metrics crate's [`derive_facts`](deskpulse_metrics::derive_facts) result
//! for every stored ticket. A batch that touches the ticket, its messages, its status
//! changes or an agent who wrote on it marks the ticket (`facts_dirty`) in its own
//! transaction; `Store::refresh_facts` derives marked tickets again, once each (at the end of
//! a sync, and before every report read). A report reads
//! these narrow rows by index range instead of re-reading every message (see
//! `Store::load_report_input`); the KPI definitions stay in the metrics crate alone.
//!
//! The `data` column is a compact JSON form of [`TicketFacts`] (times as integer
//! microseconds, short keys): it is only ever written and read here. When the derivation or
//! this encoding changes, [`FACTS_VERSION`] goes up and `Store::open` rebuilds every row.

use chrono::{DateTime, Utc};
use deskpulse_metrics::{ReplySample, TicketFacts};
use serde::{Deserialize, Serialize};

use crate::StorageError;

/// The version of the derivation and of the `data` encoding that stored rows follow
/// (`meta.facts_version`). Bump it with any change to either: the next open rebuilds.
pub(crate) const FACTS_VERSION: &str = "3";

/// The `data` JSON. Times after `t` are microseconds relative to it (shorter numbers:
/// a report parses over 100k of these), and fields at their default are left out.
#[derive(Serialize, Deserialize)]
struct Stored {
    /// source, ticket id, channel
    s: String,
    i: String,
    c: String,
    /// created (µs since 1970)
    t: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    g: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    x: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    o: bool,
    /// human and bot replies, first human and first bot reply
    #[serde(default, skip_serializing_if = "is_zero")]
    h: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    b: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fh: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fb: Option<i64>,
    /// reply samples: (asked, replied, 1 = with bots | 2 = without bots)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    rs: Vec<(i64, i64, u8)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s1: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s2: Option<i64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    ro: u32,
    #[serde(default, skip_serializing_if = "is_false")]
    au: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    sn: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The `data` of a facts row. Open spans are not in it: they have their own table.
pub(crate) fn encode(f: &TicketFacts) -> String {
    let t = f.created_at.timestamp_micros();
    let rel = |x: DateTime<Utc>| x.timestamp_micros() - t;
    let stored = Stored {
        s: f.source.clone(),
        i: f.ticket_id.clone(),
        c: f.channel.as_str().to_owned(),
        t,
        a: f.assignee_id.clone(),
        r: f.requester_id.clone(),
        g: f.tags.clone(),
        x: f.excluded,
        o: f.outbound,
        h: f.human_replies,
        b: f.bot_replies,
        fh: f.first_human_reply_at.map(rel),
        fb: f.first_bot_reply_at.map(rel),
        rs: f
            .reply_samples
            .iter()
            .map(|s| {
                let modes = u8::from(s.with_bots) | (u8::from(s.without_bots) << 1);
                (rel(s.asked_at), rel(s.replied_at), modes)
            })
            .collect(),
        s1: f.first_solved_at.map(rel),
        s2: f.final_solved_at.map(rel),
        ro: f.reopens,
        au: f.solved_by_automation,
        sn: f.solved_now,
    };
    serde_json::to_string(&stored).expect("facts serialize to JSON")
}

fn corrupt(reason: String) -> StorageError {
    StorageError::Corrupt {
        table: "ticket_facts",
        column: "data",
        reason,
    }
}

/// Reads many `data` columns joined with `,` (as `string_agg(data, ',')` gives them).
pub(crate) fn decode_joined(joined: &str) -> Result<Vec<TicketFacts>, StorageError> {
    let list = format!("[{joined}]");
    let stored: Vec<Stored> = serde_json::from_str(&list).map_err(|e| corrupt(e.to_string()))?;
    stored.into_iter().map(from_stored).collect()
}

fn from_stored(s: Stored) -> Result<TicketFacts, StorageError> {
    let created = DateTime::from_timestamp_micros(s.t)
        .ok_or_else(|| corrupt(format!("{} µs since 1970 is out of range", s.t)))?;
    // Every other time is relative to the creation.
    let time = |v: i64| {
        v.checked_add(s.t)
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(|| corrupt(format!("{v} µs after the creation is out of range")))
    };
    let opt = |v: Option<i64>| v.map(time).transpose();
    Ok(TicketFacts {
        channel: s.c.parse().map_err(corrupt)?,
        created_at: created,
        source: s.s,
        ticket_id: s.i,
        assignee_id: s.a,
        requester_id: s.r,
        tags: s.g,
        excluded: s.x,
        outbound: s.o,
        human_replies: s.h,
        bot_replies: s.b,
        first_human_reply_at: opt(s.fh)?,
        first_bot_reply_at: opt(s.fb)?,
        reply_samples: s
            .rs
            .into_iter()
            .map(|(a, r, m)| {
                Ok(ReplySample {
                    asked_at: time(a)?,
                    replied_at: time(r)?,
                    with_bots: m & 1 != 0,
                    without_bots: m & 2 != 0,
                })
            })
            .collect::<Result<_, StorageError>>()?,
        first_solved_at: opt(s.s1)?,
        final_solved_at: opt(s.s2)?,
        reopens: s.ro,
        solved_by_automation: s.au,
        solved_now: s.sn,
        open_spans: Vec::new(),
    })
}

/// The first and last reply of any sample: the row's `first_replied_at` / `last_replied_at`,
/// so a report finds the tickets replied to in its period by index.
pub(crate) fn replied_range(f: &TicketFacts) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let times = f.reply_samples.iter().map(|s| s.replied_at);
    (times.clone().min(), times.max())
}

#[cfg(test)]
mod tests {
    use super::*;
    use deskpulse_metrics::{AgentIndex, TicketInput, derive_facts};
    use deskpulse_model::{AuthorKind, Channel, Message, Ticket, TicketStatus};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn data_round_trips_everything_but_the_spans() {
        let ticket = Ticket {
            external_id: "7".into(),
            channel: Channel::Chat,
            status: TicketStatus::Solved,
            created_at: at("2026-11-09T08:00:00.123456Z"),
            updated_at: at("2026-11-10T08:00:00Z"),
            first_solved_at: None,
            final_solved_at: Some(at("2026-11-10T08:00:00Z")),
            reopens: None,
            opened_by_agent: None,
            requester_id: Some("r1".into()),
            assignee_id: Some("a1".into()),
            group_id: None,
            tags: vec!["billing".into(), "vip \"quoted\"".into()],
            priority: None,
        };
        let msg = |id: &str, kind, t: &str| Message {
            external_id: id.into(),
            ticket_id: "7".into(),
            author_kind: kind,
            author_id: None,
            public: true,
            created_at: at(t),
        };
        let input = TicketInput {
            source: "zd".into(),
            ticket,
            messages: vec![
                msg("1", AuthorKind::Customer, "2026-11-09T08:00:00.123456Z"),
                msg("2", AuthorKind::Bot, "2026-11-09T08:01:00Z"),
                msg("3", AuthorKind::Agent, "2026-11-09T09:00:00Z"),
            ],
            status_changes: Vec::new(),
        };
        let f = derive_facts(&input, &AgentIndex::new(&[]));
        assert_eq!(f.reply_samples.len(), 2, "one sample per bot setting");
        let back = decode_joined(&encode(&f)).unwrap().remove(0);
        assert!(!f.open_spans.is_empty());
        assert_eq!(
            back,
            TicketFacts {
                open_spans: Vec::new(),
                ..f
            }
        );
    }

    #[test]
    fn corrupt_data_is_an_error_naming_the_column() {
        let e = decode_joined("{\"s\":1}").unwrap_err().to_string();
        assert!(e.contains("ticket_facts") && e.contains("data"), "{e}");
    }
}
