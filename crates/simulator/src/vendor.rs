//! Zendesk's ticket metrics and deskpulse's, both computed from a ticket's recorded history,
//! and the classification of every figure on which they disagree. The rules and their
//! sources are documented on [`ZendeskMetrics::from_history`] and [`DeskpulseValues`].

use chrono::{DateTime, Utc};
use deskpulse_model::{AuthorKind, TicketStatus};

use crate::config::BusinessHours;
use crate::generate::SYSTEM;
use crate::truth::{
    Clock, DeskpulseValues, DifferenceReason, TrueMessage, TrueTicket, VendorDifference,
    VendorField, VendorMinutes, ZendeskMetrics,
};

/// Zendesk counts a comment as an agent's when its author is an agent user: a human agent,
/// or a trigger whose comment Zendesk attributed to the assignee (not the system user).
fn by_agent_user(m: &TrueMessage) -> bool {
    match m.author_kind {
        AuthorKind::Agent => true,
        AuthorKind::Bot => m.author_id != SYSTEM,
        _ => false,
    }
}

/// Index of the comment that ends Zendesk's first reply time: the first public comment by an
/// agent user after the opening one (an agent's public opening comment shifts the end to
/// the second; a customer's or a private one never ends it either).
fn vendor_reply_index(t: &TrueTicket) -> Option<usize> {
    t.messages
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, m)| m.public && by_agent_user(m))
        .map(|(i, _)| i)
}

/// Index of the message that ends deskpulse's first response time.
fn our_reply_index(t: &TrueTicket) -> Option<usize> {
    if t.outbound || t.excluded.is_some() {
        return None;
    }
    t.messages
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, m)| m.public && m.author_kind == AuthorKind::Agent)
        .map(|(i, _)| i)
}

/// Zendesk resolves a ticket when it is set to solved, or when an unsolved ticket is closed.
fn vendor_resolves(from: Option<TicketStatus>, to: TicketStatus) -> bool {
    let was_done = matches!(from, Some(TicketStatus::Solved | TicketStatus::Closed));
    match to {
        TicketStatus::Solved => from != Some(TicketStatus::Solved),
        TicketStatus::Closed => !was_done,
        _ => false,
    }
}

/// Deskpulse's solve: a change into solved or closed from anything else (as the metrics
/// crate reads a status history).
fn our_solve(from: Option<TicketStatus>, to: TicketStatus) -> bool {
    to.is_solved() && !from.is_some_and(TicketStatus::is_solved)
}

fn unsolved(s: TicketStatus) -> bool {
    matches!(
        s,
        TicketStatus::New | TicketStatus::Open | TicketStatus::Pending | TicketStatus::OnHold
    )
}

fn solved_now(t: &TrueTicket) -> bool {
    t.transitions.last().is_some_and(|x| x.to.is_solved())
}

fn secs(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_seconds()
}

/// Whole minutes, rounded down (Zendesk does not document its rounding).
fn minutes(seconds: i64) -> i64 {
    seconds.div_euclid(60)
}

fn duration(
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
    hours: Option<&BusinessHours>,
) -> VendorMinutes {
    let Some(to) = to else {
        return VendorMinutes::default();
    };
    VendorMinutes {
        calendar: Some(minutes(secs(from, to))),
        business: hours.map(|h| minutes(h.seconds_between(from, to))),
    }
}

/// A running total of seconds in some statuses; `started` once a span has been added.
#[derive(Default)]
struct Total {
    calendar: i64,
    business: i64,
    started: bool,
}

impl Total {
    fn add(&mut self, calendar: i64, business: i64) {
        self.calendar += calendar;
        self.business += business;
        self.started = true;
    }

    /// The metric value: `null` until a span counted, unless the total starts at zero.
    fn minutes(&self, hours: Option<&BusinessHours>, starts_at_zero: bool) -> VendorMinutes {
        if !self.started && !starts_at_zero {
            return VendorMinutes::default();
        }
        VendorMinutes {
            calendar: Some(minutes(self.calendar)),
            business: hours.map(|_| minutes(self.business)),
        }
    }
}

pub(crate) fn zendesk_metrics(t: &TrueTicket, hours: Option<&BusinessHours>) -> ZendeskMetrics {
    let reply_at = vendor_reply_index(t).map(|i| t.messages[i].at);
    let replies = t
        .messages
        .iter()
        .skip(1)
        .filter(|m| m.public && by_agent_user(m))
        .count();
    let resolutions: Vec<DateTime<Utc>> = t
        .transitions
        .iter()
        .filter(|x| vendor_resolves(x.from, x.to))
        .map(|x| x.at)
        .collect();
    let solved_at = resolutions.last().copied().filter(|_| solved_now(t));
    let reopens = t
        .transitions
        .iter()
        .filter(|x| x.from == Some(TicketStatus::Solved) && unsolved(x.to))
        .count();

    // Running totals over the spans a status change has ended.
    let (mut requester, mut agent, mut hold) =
        (Total::default(), Total::default(), Total::default());
    for w in t.transitions.windows(2) {
        let (state, from, to) = (w[0].to, w[0].at, w[1].at);
        let calendar = secs(from, to);
        let business = hours.map_or(0, |h| h.seconds_between(from, to));
        match state {
            TicketStatus::New | TicketStatus::Open => requester.add(calendar, business),
            TicketStatus::OnHold => {
                requester.add(calendar, business);
                hold.add(calendar, business);
            }
            TicketStatus::Pending => agent.add(calendar, business),
            _ => {}
        }
    }

    ZendeskMetrics {
        reply_time_in_minutes: duration(t.created_at, reply_at, hours),
        first_resolution_time_in_minutes: duration(
            t.created_at,
            resolutions.first().copied(),
            hours,
        ),
        full_resolution_time_in_minutes: duration(t.created_at, solved_at, hours),
        agent_wait_time_in_minutes: agent.minutes(hours, false),
        requester_wait_time_in_minutes: requester.minutes(hours, false),
        on_hold_time_in_minutes: hold.minutes(hours, true),
        reopens: reopens as u32,
        replies: replies as u32,
        solved_at,
    }
}

pub(crate) fn deskpulse_values(t: &TrueTicket) -> DeskpulseValues {
    if t.excluded.is_some() {
        return DeskpulseValues::default();
    }
    let solves: Vec<DateTime<Utc>> = t
        .transitions
        .iter()
        .filter(|x| our_solve(x.from, x.to))
        .map(|x| x.at)
        .collect();
    let reopens = t
        .transitions
        .iter()
        .filter(|x| x.from.is_some_and(TicketStatus::is_solved) && !x.to.is_solved())
        .count();
    let replies = t
        .messages
        .iter()
        .skip(1)
        .filter(|m| m.public && m.author_kind == AuthorKind::Agent)
        .count();
    DeskpulseValues {
        first_response: our_reply_index(t).map(|i| secs(t.created_at, t.messages[i].at)),
        first_resolution: solves.first().map(|&at| secs(t.created_at, at)),
        full_resolution: solves
            .last()
            .filter(|_| solved_now(t))
            .map(|&at| secs(t.created_at, at)),
        reopens: Some(reopens as u32),
        replies: Some(replies as u32),
    }
}

/// The instant that ends a duration on Zendesk's side and on deskpulse's.
struct Ends {
    vendor: Option<DateTime<Utc>>,
    ours: Option<DateTime<Utc>>,
}

fn ends(t: &TrueTicket, field: VendorField) -> Ends {
    let resolutions = |f: fn(Option<TicketStatus>, TicketStatus) -> bool| -> Vec<DateTime<Utc>> {
        t.transitions
            .iter()
            .filter(|x| f(x.from, x.to))
            .map(|x| x.at)
            .collect()
    };
    match field {
        VendorField::ReplyTime(_) => Ends {
            vendor: vendor_reply_index(t).map(|i| t.messages[i].at),
            ours: our_reply_index(t).map(|i| t.messages[i].at),
        },
        VendorField::FirstResolutionTime(_) => Ends {
            vendor: resolutions(vendor_resolves).first().copied(),
            ours: resolutions(our_solve).first().copied(),
        },
        _ => Ends {
            vendor: resolutions(vendor_resolves)
                .last()
                .copied()
                .filter(|_| solved_now(t)),
            ours: resolutions(our_solve)
                .last()
                .copied()
                .filter(|_| solved_now(t)),
        },
    }
}

/// Why a calendar duration differs (`vendor` in whole minutes × 60, `ours` in seconds).
fn duration_reason(
    t: &TrueTicket,
    field: VendorField,
    vendor: Option<i64>,
    ours: Option<i64>,
) -> Option<DifferenceReason> {
    if t.excluded.is_some() {
        return Some(DifferenceReason::MergedOrDeleted);
    }
    let e = ends(t, field);
    if e.vendor != e.ours {
        return match field {
            VendorField::ReplyTime(_) if t.outbound => Some(DifferenceReason::Outbound),
            VendorField::ReplyTime(_) => {
                let m = &t.messages[vendor_reply_index(t)?];
                if m.author_kind == AuthorKind::Bot {
                    Some(DifferenceReason::BotOrAutomationReply)
                } else if !m.public {
                    Some(DifferenceReason::InternalNote)
                } else {
                    None
                }
            }
            // Zendesk's own rule (an unsolved ticket closed) is also a solve for deskpulse,
            // so different resolution events have no documented cause.
            _ => None,
        };
    }
    // Same event: the only difference left is Zendesk's whole minutes.
    let expected = ours.map(|o| minutes(o) * 60);
    (vendor == expected).then_some(DifferenceReason::Rounding)
}

/// A duration field (by clock), Zendesk's minutes and deskpulse's seconds.
type DurationRow = (fn(Clock) -> VendorField, VendorMinutes, Option<i64>);

pub(crate) fn differences(t: &TrueTicket) -> Vec<VendorDifference> {
    // A deleted ticket has no metric set any more (Zendesk deletes it with the ticket) and
    // counts nowhere for us: nothing to compare.
    if t.vendor_status == "deleted" {
        return Vec::new();
    }
    let ours = deskpulse_values(t);
    let v = &t.vendor;
    let mut out = Vec::new();

    let durations: [DurationRow; 3] = [
        (
            VendorField::ReplyTime,
            v.reply_time_in_minutes,
            ours.first_response,
        ),
        (
            VendorField::FirstResolutionTime,
            v.first_resolution_time_in_minutes,
            ours.first_resolution,
        ),
        (
            VendorField::FullResolutionTime,
            v.full_resolution_time_in_minutes,
            ours.full_resolution,
        ),
    ];
    for (field, vendor, our) in durations {
        let calendar = vendor.calendar.map(|m| m * 60);
        let calendar_reason =
            (calendar != our).then(|| duration_reason(t, field(Clock::Calendar), calendar, our));
        if let Some(reason) = calendar_reason {
            out.push(VendorDifference {
                field: field(Clock::Calendar),
                ours: our,
                vendor: calendar,
                reason,
            });
        }
        let Some(business) = vendor.business.map(|m| m * 60) else {
            continue;
        };
        if Some(business) == our {
            continue;
        }
        let reason = match calendar_reason {
            _ if t.excluded.is_some() => Some(DifferenceReason::MergedOrDeleted),
            // Whatever made the calendar value differ makes this one differ first.
            Some(None) => None,
            Some(Some(r)) if r != DifferenceReason::Rounding => Some(r),
            // The schedule changed nothing: what is left is the calendar rounding.
            r if vendor.business == vendor.calendar => r.flatten(),
            _ => Some(DifferenceReason::BusinessVsCalendar),
        };
        out.push(VendorDifference {
            field: field(Clock::Business),
            ours: our,
            vendor: Some(business),
            reason,
        });
    }

    let bot_replies = t
        .messages
        .iter()
        .skip(1)
        .filter(|m| m.public && m.author_kind == AuthorKind::Bot && by_agent_user(m))
        .count() as i64;
    for (field, vendor, our) in [
        (VendorField::Reopens, v.reopens, ours.reopens),
        (VendorField::Replies, v.replies, ours.replies),
    ] {
        let (vendor, our) = (Some(i64::from(vendor)), our.map(i64::from));
        if vendor == our {
            continue;
        }
        let reason = if t.excluded.is_some() {
            Some(DifferenceReason::MergedOrDeleted)
        } else if field == VendorField::Replies
            && vendor.zip(our).is_some_and(|(v, o)| v - o == bot_replies)
        {
            Some(DifferenceReason::BotOrAutomationReply)
        } else {
            None
        };
        out.push(VendorDifference {
            field,
            ours: our,
            vendor,
            reason,
        });
    }
    out
}
