//! Stored rows back into model values: one function per table, the same on both backends
//! (times go through [`Row::time`], which knows how each backend stores them).

use crate::StorageError;
use crate::db::{Col, Get, Row};
use crate::error::query;
use crate::inputs::parse_month;
use chrono::{DateTime, Utc};
use deskpulse_metrics::{MonthlyAmount, OrderInput, RatingInput, SubscriptionInput, TicketInput};
use deskpulse_model::{
    Agent, Message, Rating, RatingScale, RatingSnapshot, Review, SocialInteraction, SocialStat,
    StatusChange, Ticket, TicketStatus, VendorDuration, VendorMetrics,
};
use sqlx::types::Json;
use std::collections::HashMap;
use std::str::FromStr;

pub(crate) fn get<'r, T: Get<'r>>(r: &'r Row, column: impl Col) -> Result<T, StorageError> {
    r.get(column).map_err(query("reading a row"))
}

pub(crate) fn time(
    r: &Row,
    table: &'static str,
    column: &'static str,
) -> Result<DateTime<Utc>, StorageError> {
    r.time(table, column, "reading a row")
}

pub(crate) fn opt_time(
    r: &Row,
    table: &'static str,
    column: &'static str,
) -> Result<Option<DateTime<Utc>>, StorageError> {
    r.opt_time(table, column, "reading a row")
}

fn parse<T: FromStr<Err = String>>(
    r: &Row,
    table: &'static str,
    column: &'static str,
) -> Result<T, StorageError> {
    let s: String = get(r, column)?;
    s.parse().map_err(|reason| StorageError::Corrupt {
        table,
        column,
        reason,
    })
}

/// Tickets with their messages and status changes, keyed by (source, id); messages and
/// changes of tickets not among `tickets` are dropped.
pub(crate) fn assemble(
    tickets: &[Row],
    messages: &[Row],
    changes: &[Row],
) -> Result<HashMap<(String, String), TicketInput>, StorageError> {
    let mut out: HashMap<(String, String), TicketInput> = HashMap::new();
    for r in tickets {
        let (source, ticket) = ticket(r)?;
        out.insert(
            (source.clone(), ticket.external_id.clone()),
            TicketInput {
                source,
                ticket,
                messages: Vec::new(),
                status_changes: Vec::new(),
            },
        );
    }
    for r in messages {
        let (source, m) = message(r)?;
        if let Some(t) = out.get_mut(&(source, m.ticket_id.clone())) {
            t.messages.push(m);
        }
    }
    for r in changes {
        let (source, c) = status_change(r)?;
        if let Some(t) = out.get_mut(&(source, c.ticket_id.clone())) {
            t.status_changes.push(c);
        }
    }
    Ok(out)
}

/// The tickets of `tickets` with their messages and status changes as the facts refresh
/// reads them: each as one text of JSON arrays ([`Dialect::history_json`]).
///
/// [`Dialect::history_json`]: crate::db::Dialect::history_json
pub(crate) fn assemble_json(
    source: &str,
    tickets: &[Row],
    messages: Option<&str>,
    changes: Option<&str>,
) -> Result<HashMap<(String, String), TicketInput>, StorageError> {
    let mut out = assemble(tickets, &[], &[])?;
    // The events are all of `source`: found by ticket id alone, a lookup allocates no key
    // (two strings an event, 1.1M events at 100k tickets).
    let mut by_id: HashMap<&str, &mut TicketInput> = out
        .iter_mut()
        .filter(|((s, _), _)| s == source)
        .map(|((_, id), t)| (id.as_str(), t))
        .collect();
    for m in messages_from_json(messages.unwrap_or_default())? {
        if let Some(t) = by_id.get_mut(m.ticket_id.as_str()) {
            t.messages.push(m);
        }
    }
    for c in changes_from_json(changes.unwrap_or_default())? {
        if let Some(t) = by_id.get_mut(c.ticket_id.as_str()) {
            t.status_changes.push(c);
        }
    }
    Ok(out)
}

/// A JSON boolean or SQLite's 0/1, read as either without the buffering of an untagged enum
/// (one per message the facts refresh reads).
struct Flag(bool);

impl<'de> serde::Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a boolean or 0/1")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Flag, E> {
                Ok(Flag(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Flag, E> {
                Ok(Flag(i != 0))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Flag, E> {
                Ok(Flag(u != 0))
            }
        }
        d.deserialize_any(Visit)
    }
}

fn micros(
    table: &'static str,
    column: &'static str,
    at: i64,
) -> Result<DateTime<Utc>, StorageError> {
    DateTime::from_timestamp_micros(at).ok_or_else(|| StorageError::Corrupt {
        table,
        column,
        reason: format!("{at} µs since 1970 is out of range"),
    })
}

fn parsed<T: FromStr<Err = String>>(
    table: &'static str,
    column: &'static str,
    text: &str,
) -> Result<T, StorageError> {
    text.parse().map_err(|reason| StorageError::Corrupt {
        table,
        column,
        reason,
    })
}

fn json_rows<R: serde::de::DeserializeOwned>(
    table: &'static str,
    joined: &str,
) -> Result<Vec<R>, StorageError> {
    serde_json::from_str(&format!("[{joined}]")).map_err(|e| StorageError::Corrupt {
        table,
        column: "*",
        reason: e.to_string(),
    })
}

pub(crate) fn messages_from_json(joined: &str) -> Result<Vec<Message>, StorageError> {
    const T: &str = "messages";
    type Row = (String, String, String, Option<String>, Flag, i64);
    json_rows::<Row>(T, joined)?
        .into_iter()
        .map(|(external_id, ticket_id, kind, author_id, public, at)| {
            Ok(Message {
                external_id,
                ticket_id,
                author_kind: parsed(T, "author_kind", &kind)?,
                author_id,
                public: public.0,
                created_at: micros(T, "created_at", at)?,
            })
        })
        .collect()
}

pub(crate) fn changes_from_json(joined: &str) -> Result<Vec<StatusChange>, StorageError> {
    const T: &str = "status_changes";
    type Row = (
        String,
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        i64,
    );
    json_rows::<Row>(T, joined)?
        .into_iter()
        .map(|(external_id, ticket_id, from, to, kind, author_id, at)| {
            Ok(StatusChange {
                external_id,
                ticket_id,
                from: from.map(|f| parsed(T, "from_status", &f)).transpose()?,
                to: parsed(T, "to_status", &to)?,
                author_kind: parsed(T, "author_kind", &kind)?,
                author_id,
                at: micros(T, "changed_at", at)?,
            })
        })
        .collect()
}

pub(crate) fn ticket(r: &Row) -> Result<(String, Ticket), StorageError> {
    const T: &str = "tickets";
    let reopens = get::<Option<i64>>(r, "reopens")?
        .map(u32::try_from)
        .transpose()
        .map_err(|e| StorageError::Corrupt {
            table: T,
            column: "reopens",
            reason: e.to_string(),
        })?;
    let Json(tags): Json<Vec<String>> = get(r, "tags")?;
    // A ticket a sweep of the vendor's ids no longer found is gone (deleted or merged
    // away) for every reader, whatever status the vendor last gave it.
    let missing = opt_time(r, T, "missing_since")?.is_some();
    let status = if missing {
        TicketStatus::Deleted
    } else {
        parse(r, T, "status")?
    };
    Ok((
        get(r, "source")?,
        Ticket {
            external_id: get(r, "external_id")?,
            channel: parse(r, T, "channel")?,
            status,
            created_at: time(r, T, "created_at")?,
            updated_at: time(r, T, "updated_at")?,
            first_solved_at: opt_time(r, T, "first_solved_at")?,
            final_solved_at: opt_time(r, T, "final_solved_at")?,
            reopens,
            opened_by_agent: get(r, "opened_by_agent")?,
            requester_id: get(r, "requester_id")?,
            assignee_id: get(r, "assignee_id")?,
            group_id: get(r, "group_id")?,
            tags,
            priority: get(r, "priority")?,
        },
    ))
}

pub(crate) fn message(r: &Row) -> Result<(String, Message), StorageError> {
    const T: &str = "messages";
    Ok((
        get(r, "source")?,
        Message {
            external_id: get(r, "external_id")?,
            ticket_id: get(r, "ticket_id")?,
            author_kind: parse(r, T, "author_kind")?,
            author_id: get(r, "author_id")?,
            public: get(r, "is_public")?,
            created_at: time(r, T, "created_at")?,
        },
    ))
}

pub(crate) fn status_change(r: &Row) -> Result<(String, StatusChange), StorageError> {
    const T: &str = "status_changes";
    let from = get::<Option<String>>(r, "from_status")?
        .map(|s| s.parse())
        .transpose()
        .map_err(|reason| StorageError::Corrupt {
            table: T,
            column: "from_status",
            reason,
        })?;
    Ok((
        get(r, "source")?,
        StatusChange {
            external_id: get(r, "external_id")?,
            ticket_id: get(r, "ticket_id")?,
            from,
            to: parse(r, T, "to_status")?,
            author_kind: parse(r, T, "author_kind")?,
            author_id: get(r, "author_id")?,
            at: time(r, T, "changed_at")?,
        },
    ))
}

pub(crate) fn vendor_metrics(r: &Row) -> Result<(String, VendorMetrics), StorageError> {
    const T: &str = "vendor_metrics";
    let count = |column: &'static str| -> Result<Option<u32>, StorageError> {
        get::<Option<i64>>(r, column)?
            .map(u32::try_from)
            .transpose()
            .map_err(|e| StorageError::Corrupt {
                table: T,
                column,
                reason: e.to_string(),
            })
    };
    let duration =
        |calendar: &'static str, business: &'static str| -> Result<VendorDuration, StorageError> {
            Ok(VendorDuration {
                calendar_seconds: get(r, calendar)?,
                business_seconds: get(r, business)?,
            })
        };
    Ok((
        get(r, "source")?,
        VendorMetrics {
            ticket_id: get(r, "ticket_id")?,
            updated_at: time(r, T, "updated_at")?,
            first_response: duration("first_response_seconds", "first_response_business_seconds")?,
            first_resolution: duration(
                "first_resolution_seconds",
                "first_resolution_business_seconds",
            )?,
            full_resolution: duration(
                "full_resolution_seconds",
                "full_resolution_business_seconds",
            )?,
            reopens: count("reopens")?,
            replies: count("replies")?,
        },
    ))
}

pub(crate) fn agent(r: &Row) -> Result<(String, Agent), StorageError> {
    Ok((
        get(r, "source")?,
        Agent {
            external_id: get(r, "external_id")?,
            name: get(r, "name")?,
            is_bot: get(r, "is_bot")?,
        },
    ))
}

/// Ratings as the dialect's rating JSON arrays (`Dialect::rating_json`) joined with `,`.
pub(crate) fn ratings_from_json(joined: &str) -> Result<Vec<RatingInput>, StorageError> {
    type Row = (
        String,
        String,
        String,
        f64,
        f64,
        f64,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        Option<String>,
    );
    json_rows::<Row>("ratings", joined)?
        .into_iter()
        .map(
            |(
                source,
                external_id,
                kind,
                score,
                min,
                max,
                ticket_id,
                agent_id,
                comment,
                at,
                ticket_source,
            )| {
                // Only an imported survey's ticket lives elsewhere.
                let ticket_source = ticket_source.filter(|t| *t != source);
                Ok(RatingInput {
                    source,
                    ticket_source,
                    rating: Rating {
                        external_id,
                        kind: parsed("ratings", "kind", &kind)?,
                        score,
                        scale: RatingScale { min, max },
                        ticket_id,
                        agent_id,
                        comment,
                        created_at: micros("ratings", "created_at", at)?,
                    },
                })
            },
        )
        .collect()
}

pub(crate) fn rating(r: &Row) -> Result<(String, Rating), StorageError> {
    const T: &str = "ratings";
    Ok((
        get(r, "source")?,
        Rating {
            external_id: get(r, "external_id")?,
            kind: parse(r, T, "kind")?,
            score: get(r, "score")?,
            scale: RatingScale {
                min: get(r, "scale_min")?,
                max: get(r, "scale_max")?,
            },
            ticket_id: get(r, "ticket_id")?,
            agent_id: get(r, "agent_id")?,
            comment: get(r, "comment")?,
            created_at: time(r, T, "created_at")?,
        },
    ))
}

pub(crate) fn review(r: &Row) -> Result<(String, Review), StorageError> {
    const T: &str = "reviews";
    Ok((
        get(r, "source")?,
        Review {
            platform: get(r, "platform")?,
            external_id: get(r, "external_id")?,
            rating: get(r, "rating")?,
            title: get(r, "title")?,
            text: get(r, "review_text")?,
            author_name: get(r, "author_name")?,
            created_at: time(r, T, "created_at")?,
            reply_text: get(r, "reply_text")?,
            replied_at: opt_time(r, T, "replied_at")?,
            url: get(r, "url")?,
        },
    ))
}

pub(crate) fn monthly(
    r: &Row,
    table: &'static str,
) -> Result<(String, MonthlyAmount), StorageError> {
    let m: String = get(r, "month")?;
    let month = parse_month(&m).ok_or_else(|| StorageError::Corrupt {
        table,
        column: "month",
        reason: format!("{m:?} is not YYYY-MM"),
    })?;
    Ok((
        get(r, "team")?,
        MonthlyAmount {
            month,
            amount: get(r, "amount")?,
            currency: get(r, "currency")?,
        },
    ))
}

pub(crate) fn subscription(r: &Row) -> Result<(String, SubscriptionInput), StorageError> {
    const T: &str = "subscriptions";
    Ok((
        get(r, "team")?,
        SubscriptionInput {
            customer_id: get(r, "customer_id")?,
            started_at: time(r, T, "started_at")?,
            ended_at: opt_time(r, T, "ended_at")?,
        },
    ))
}

pub(crate) fn order(r: &Row) -> Result<(String, OrderInput), StorageError> {
    const T: &str = "orders";
    Ok((
        get(r, "team")?,
        OrderInput {
            order_id: get(r, "order_id")?,
            customer_hash: get(r, "customer_hash")?,
            created_at: time(r, T, "created_at")?,
            amount: get(r, "amount")?,
            currency: get(r, "currency")?,
        },
    ))
}

pub(crate) fn rating_snapshot(r: &Row) -> Result<(String, RatingSnapshot), StorageError> {
    const T: &str = "rating_snapshots";
    let total: Option<i64> = get(r, "total_reviews")?;
    Ok((
        get(r, "source")?,
        RatingSnapshot {
            platform: get(r, "platform")?,
            account: get(r, "account")?,
            overall_rating: get(r, "overall_rating")?,
            total_reviews: total.map(|n| u64::try_from(n).unwrap_or(0)),
            coverage: parse(r, T, "coverage")?,
            observed_at: time(r, T, "observed_at")?,
        },
    ))
}

/// A stored interaction: its author is the keyed hash (`author_id` holds it), never the id.
pub(crate) fn social_interaction(r: &Row) -> Result<(String, SocialInteraction), StorageError> {
    const T: &str = "social_interactions";
    Ok((
        get(r, "source")?,
        SocialInteraction {
            platform: get(r, "platform")?,
            account: get(r, "account")?,
            external_id: get(r, "external_id")?,
            kind: parse(r, T, "kind")?,
            created_at: time(r, T, "created_at")?,
            author_id: get(r, "author_hash")?,
            positive: get(r, "positive")?,
            replied_at: opt_time(r, T, "replied_at")?,
            deleted: get(r, "deleted")?,
        },
    ))
}

pub(crate) fn social_stat(r: &Row) -> Result<(String, SocialStat), StorageError> {
    const T: &str = "social_stats";
    Ok((
        get(r, "source")?,
        SocialStat {
            platform: get(r, "platform")?,
            account: get(r, "account")?,
            metric: parse(r, T, "metric")?,
            value: get(r, "value")?,
            observed_at: time(r, T, "observed_at")?,
        },
    ))
}
