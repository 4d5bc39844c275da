//! What a ticket's messages and status history mean for the KPIs: who replied, when, how
//! often it was solved and reopened. Everything order-dependent is sorted here first, so
//! the facts of a ticket never depend on the order storage handed its rows over.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use deskpulse_model::{Agent, AuthorKind, Channel, Message, StatusChange};

use crate::input::{AgentInput, TicketInput};

/// The agents of every source, for resolving `AuthorKind::Unknown` and naming assignees.
#[derive(Debug, Clone, Default)]
pub struct AgentIndex<'a> {
    by_key: HashMap<(&'a str, &'a str), &'a Agent>,
}

impl<'a> AgentIndex<'a> {
    pub fn new(agents: &'a [AgentInput]) -> Self {
        let mut by_key: HashMap<(&str, &str), &Agent> = HashMap::with_capacity(agents.len());
        for a in agents {
            let key = (a.source.as_str(), a.agent.external_id.as_str());
            // Storage keys agents by (source, id), so duplicates should not happen; if they
            // do, pick one by content rather than by position so order cannot matter.
            let keep = match by_key.get(&key) {
                Some(old) => (old.is_bot, &old.name) < (a.agent.is_bot, &a.agent.name),
                None => true,
            };
            if keep {
                by_key.insert(key, &a.agent);
            }
        }
        AgentIndex { by_key }
    }

    pub fn get(&self, source: &str, agent_id: &str) -> Option<&'a Agent> {
        self.by_key.get(&(source, agent_id)).copied()
    }

    /// Who an author really is. `Unknown` authors are agents (or bots) when the source has
    /// an agent with that id, customers otherwise. An `Agent` author whose account is a bot
    /// is a bot: DESIGN counts replies by *human* agents.
    pub fn resolve(&self, source: &str, kind: AuthorKind, author_id: Option<&str>) -> AuthorKind {
        let agent = author_id.and_then(|id| self.get(source, id));
        match (kind, agent) {
            (AuthorKind::Unknown, Some(a)) | (AuthorKind::Agent, Some(a)) if a.is_bot => {
                AuthorKind::Bot
            }
            (AuthorKind::Unknown, Some(_)) => AuthorKind::Agent,
            (AuthorKind::Unknown, None) => AuthorKind::Customer,
            (k, _) => k,
        }
    }
}

/// One reply-time sample: a run of customer messages answered by a public reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplySample {
    /// The first customer message of the run.
    pub asked_at: DateTime<Utc>,
    /// The reply that ended the run; the sample belongs to the period this falls in.
    pub replied_at: DateTime<Utc>,
    /// Whether the sample holds when a team counts bot replies (`count_bot_replies = true`).
    pub with_bots: bool,
    /// Whether it holds when only human replies count (`count_bot_replies = false`).
    pub without_bots: bool,
}

impl ReplySample {
    /// Whether the sample counts for a team with this `count_bot_replies` setting.
    pub fn counts(&self, count_bot_replies: bool) -> bool {
        if count_bot_replies {
            self.with_bots
        } else {
            self.without_bots
        }
    }
}

/// A stretch of time in which a ticket was open (created and not solved): it is in the
/// backlog at every instant `t` with `from <= t` and `t < until` (`until` `None`: open now).
/// Creation itself is exclusive (a ticket created at `end` is not in the backlog at `end`),
/// so a span opened by creation starts one microsecond after `created_at`; one opened by a
/// reopen starts at the reopen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenSpan {
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

impl OpenSpan {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && self.until.is_none_or(|u| t < u)
    }
}

/// Everything the KPIs need to know about one ticket. It does not depend on any team
/// setting (both readings of `count_bot_replies` are kept), so storage can keep it at
/// ingest, next to the ticket, and a report never re-reads messages.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    pub source: String,
    pub ticket_id: String,
    pub channel: Channel,
    pub created_at: DateTime<Utc>,
    pub assignee_id: Option<String>,
    /// The vendor's pseudonymous requester id (joined to e-mail hashes for conversions).
    pub requester_id: Option<String>,
    pub tags: Vec<String>,
    /// Spam, deleted or merged: counts nowhere.
    pub excluded: bool,
    /// Opened by the team (an agent or a bot), not by the customer.
    pub outbound: bool,
    /// Public replies by human agents after the opening message.
    pub human_replies: u32,
    /// Public replies by bots after the opening message.
    pub bot_replies: u32,
    pub first_human_reply_at: Option<DateTime<Utc>>,
    /// The first public bot reply after the opening message.
    pub first_bot_reply_at: Option<DateTime<Utc>>,
    /// Reply-time samples under both settings of `count_bot_replies`; empty for outbound
    /// and excluded tickets (reply time is over inbound conversations only).
    pub reply_samples: Vec<ReplySample>,
    pub first_solved_at: Option<DateTime<Utc>>,
    /// The last solve, if the ticket is solved now.
    pub final_solved_at: Option<DateTime<Utc>>,
    pub reopens: u32,
    /// The final solve was made by a bot or a trigger/automation (system), not a human.
    pub solved_by_automation: bool,
    /// Solved (or closed) in its latest known state.
    pub solved_now: bool,
    /// When the ticket was open, ascending and disjoint; empty for excluded tickets (they
    /// are in no backlog).
    pub open_spans: Vec<OpenSpan>,
}

impl TicketFacts {
    /// The first response as a team counts it: the first human reply, or the first bot
    /// reply if earlier and the team counts bot replies.
    pub fn first_response_at(&self, count_bot_replies: bool) -> Option<DateTime<Utc>> {
        match (self.first_human_reply_at, self.first_bot_reply_at) {
            (Some(h), Some(b)) if count_bot_replies => Some(h.min(b)),
            (None, b) if count_bot_replies => b,
            (h, _) => h,
        }
    }

    /// Whether the ticket was in the backlog at instant `t`: created before `t` and not
    /// solved at `t` (the state after the last change at or before `t`).
    pub fn is_open_at(&self, t: DateTime<Utc>) -> bool {
        self.open_spans.iter().any(|s| s.contains(t))
    }

    /// Whether any KPI of the period `[start, end)` can count this ticket: created, finally
    /// solved or replied to in it, or open at its end. Storage selects by the same rule
    /// (the open ones it counts instead of handing them over).
    pub fn matters_to(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let within = |t: DateTime<Utc>| start <= t && t < end;
        within(self.created_at)
            || self.final_solved_at.is_some_and(within)
            || self.reply_samples.iter().any(|s| within(s.replied_at))
            || self.is_open_at(end)
    }

    /// Reopened at least once.
    pub fn reopened(&self) -> bool {
        self.reopens > 0
    }
}

/// Derives a ticket's facts from its messages and status history.
pub fn derive_facts(t: &TicketInput, agents: &AgentIndex<'_>) -> TicketFacts {
    let source = t.source.as_str();
    let ticket = &t.ticket;

    let mut messages: Vec<(&Message, AuthorKind)> = t
        .messages
        .iter()
        .map(|m| {
            (
                m,
                agents.resolve(source, m.author_kind, m.author_id.as_deref()),
            )
        })
        .collect();
    messages.sort_by(|(a, _), (b, _)| {
        (a.created_at, &a.external_id).cmp(&(b.created_at, &b.external_id))
    });

    // The public conversation, in order. At one instant the customer's message comes first:
    // an auto-response stamped in the same second as the message it answers must not open
    // the ticket. Private notes and system messages are never part of it.
    let mut conversation: Vec<(DateTime<Utc>, AuthorKind, &str)> = messages
        .iter()
        .filter(|(m, kind)| m.public && *kind != AuthorKind::System)
        .map(|(m, kind)| (m.created_at, *kind, m.external_id.as_str()))
        .collect();
    conversation.sort_by(|a, b| {
        (a.0, a.1 != AuthorKind::Customer, a.2).cmp(&(b.0, b.1 != AuthorKind::Customer, b.2))
    });
    let team = |k: AuthorKind| matches!(k, AuthorKind::Agent | AuthorKind::Bot);
    let outbound = ticket
        .opened_by_agent
        .unwrap_or_else(|| conversation.first().is_some_and(|(_, k, _)| team(*k)));
    let excluded = ticket.status.is_excluded();
    // The opening message is never a reply, whoever wrote it: the first public message, or
    // the first public customer message when the API says the customer opened the ticket.
    // Team messages before the opening answer nothing either.
    let opening = match ticket.opened_by_agent {
        Some(false) => conversation
            .iter()
            .position(|(_, k, _)| *k == AuthorKind::Customer),
        _ => (!conversation.is_empty()).then_some(0),
    };
    let conversation: Vec<(DateTime<Utc>, AuthorKind, bool)> = conversation
        .iter()
        .enumerate()
        .map(|(i, &(at, kind, _))| (at, kind, opening.is_none_or(|o| i <= o)))
        .collect();

    let mut human_replies = 0;
    let mut bot_replies = 0;
    let mut first_human_reply_at = None;
    let mut first_bot_reply_at = None;
    for &(at, kind, opening) in &conversation {
        match kind {
            AuthorKind::Agent if !opening => {
                human_replies += 1;
                first_human_reply_at.get_or_insert(at);
            }
            AuthorKind::Bot if !opening => {
                bot_replies += 1;
                first_bot_reply_at.get_or_insert(at);
            }
            _ => {}
        }
    }

    let reply_samples = if outbound || excluded {
        Vec::new()
    } else {
        merge_samples(
            reply_runs(&conversation, true),
            reply_runs(&conversation, false),
        )
    };

    let solves = if t.status_changes.is_empty() {
        solves_without_history(t)
    } else {
        let mut s = solves_from_history(source, &t.status_changes, agents);
        if !excluded {
            trust_current_status(&mut s, ticket);
        }
        s
    };
    let solved_now = solves.timeline.last().is_some_and(|(_, solved)| *solved);
    let open_spans = if excluded {
        Vec::new()
    } else {
        open_spans(ticket.created_at, &solves.timeline)
    };

    TicketFacts {
        source: t.source.clone(),
        ticket_id: ticket.external_id.clone(),
        channel: ticket.channel,
        created_at: ticket.created_at,
        assignee_id: ticket.assignee_id.clone(),
        requester_id: ticket.requester_id.clone(),
        tags: ticket.tags.clone(),
        excluded,
        outbound,
        human_replies,
        bot_replies,
        first_human_reply_at,
        first_bot_reply_at,
        reply_samples,
        first_solved_at: solves.first,
        final_solved_at: solves.last,
        reopens: solves.reopens,
        solved_by_automation: solves.by_automation,
        solved_now,
        open_spans,
    }
}

/// Reply samples (asked, replied) when bot replies answer (`bots`) or not.
fn reply_runs(
    conversation: &[(DateTime<Utc>, AuthorKind, bool)],
    bots: bool,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    // Start of the current run of customer messages waiting for an answer.
    let mut waiting_since: Option<DateTime<Utc>> = None;
    for &(at, kind, opening) in conversation {
        let answers = match kind {
            AuthorKind::Customer => {
                waiting_since.get_or_insert(at);
                false
            }
            _ if opening => false,
            AuthorKind::Agent => true,
            AuthorKind::Bot => bots,
            _ => false,
        };
        if answers && let Some(asked_at) = waiting_since.take() {
            out.push((asked_at, at));
        }
    }
    out
}

/// One list of samples, each marked with the settings it holds under.
fn merge_samples(
    with_bots: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    without_bots: Vec<(DateTime<Utc>, DateTime<Utc>)>,
) -> Vec<ReplySample> {
    let mut out: Vec<ReplySample> = with_bots
        .iter()
        .map(|&(asked_at, replied_at)| ReplySample {
            asked_at,
            replied_at,
            with_bots: true,
            without_bots: false,
        })
        .collect();
    for (asked_at, replied_at) in without_bots {
        match out
            .iter_mut()
            .find(|s| s.asked_at == asked_at && s.replied_at == replied_at)
        {
            Some(s) => s.without_bots = true,
            None => out.push(ReplySample {
                asked_at,
                replied_at,
                with_bots: false,
                without_bots: true,
            }),
        }
    }
    out.sort_by_key(|s| (s.replied_at, s.asked_at, s.with_bots));
    out
}

/// The stretches after `created_at` in which the ticket was not solved, from the solved
/// timeline (state after the last change at or before an instant; unsolved before any).
fn open_spans(created_at: DateTime<Utc>, timeline: &[(DateTime<Utc>, bool)]) -> Vec<OpenSpan> {
    let solved_at = |t: DateTime<Utc>| {
        let i = timeline.partition_point(|(at, _)| *at <= t);
        i > 0 && timeline[i - 1].1
    };
    let mut spans = Vec::new();
    // Just after creation (creation itself is not "in the backlog").
    let mut open_from = (!solved_at(created_at)).then(|| created_at + TimeDelta::microseconds(1));
    let mut i = timeline.partition_point(|(at, _)| *at <= created_at);
    while i < timeline.len() {
        let at = timeline[i].0;
        // Several changes at one instant: the last one is the state from then on.
        while i + 1 < timeline.len() && timeline[i + 1].0 == at {
            i += 1;
        }
        let solved = timeline[i].1;
        match (open_from, solved) {
            (Some(from), true) => {
                spans.push(OpenSpan {
                    from,
                    until: Some(at),
                });
                open_from = None;
            }
            (None, false) => open_from = Some(at),
            _ => {}
        }
        i += 1;
    }
    if let Some(from) = open_from {
        spans.push(OpenSpan { from, until: None });
    }
    spans
}

struct Solves {
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    reopens: u32,
    by_automation: bool,
    timeline: Vec<(DateTime<Utc>, bool)>,
}

/// Walks the history in time order. A change's own `from` says where it came from when the
/// API gives it (history may start mid-life); otherwise the previous change's `to` does.
fn solves_from_history(source: &str, changes: &[StatusChange], agents: &AgentIndex<'_>) -> Solves {
    let mut changes: Vec<&StatusChange> = changes.iter().collect();
    changes.sort_by(|a, b| (a.at, &a.external_id).cmp(&(b.at, &b.external_id)));

    let mut s = Solves {
        first: None,
        last: None,
        reopens: 0,
        by_automation: false,
        timeline: Vec::new(),
    };
    let mut solved = false;
    for c in changes {
        let was = c.from.map_or(solved, |f| f.is_solved());
        let now = c.to.is_solved();
        if now && !was {
            s.first.get_or_insert(c.at);
            s.last = Some(c.at);
            let by = agents.resolve(source, c.author_kind, c.author_id.as_deref());
            s.by_automation = matches!(by, AuthorKind::Bot | AuthorKind::System);
        } else if was && !now {
            s.reopens += 1;
        }
        solved = now;
        s.timeline.push((c.at, now));
    }
    if !solved {
        s.last = None;
        s.by_automation = false;
    }
    s
}

/// The ticket's current status is the vendor's latest word; the stored history may lag it
/// (an export that trails the ticket list) or miss a change (a synthesized history that
/// could not see it). When they disagree, the ticket changed after the last recorded change:
/// a solve at the API's own solve time (else the ticket's last update), or a reopen at the
/// last update. A later sync that brings the real change replaces this guess.
fn trust_current_status(s: &mut Solves, ticket: &deskpulse_model::Ticket) {
    let last_change = s.timeline.last().map(|(at, _)| *at);
    let history_solved = s.timeline.last().is_some_and(|(_, solved)| *solved);
    if history_solved == ticket.status.is_solved() {
        return;
    }
    let not_before = |t: DateTime<Utc>| last_change.map_or(t, |l| t.max(l));
    if ticket.status.is_solved() {
        let at = not_before(ticket.final_solved_at.unwrap_or(ticket.updated_at));
        s.first.get_or_insert(at);
        s.last = Some(at);
        s.by_automation = false;
        s.timeline.push((at, true));
    } else {
        let at = not_before(ticket.updated_at);
        s.reopens += 1;
        s.last = None;
        s.by_automation = false;
        s.timeline.push((at, false));
    }
}

/// Without history, the API's own solve fields are all there is. A ticket solved first at
/// one time and finally at a later one was reopened in between, even if the API gives no
/// reopen count.
fn solves_without_history(t: &TicketInput) -> Solves {
    let ticket = &t.ticket;
    let last = ticket.final_solved_at.filter(|_| ticket.status.is_solved());
    // The final solve is the first one only when the API says the ticket was never
    // reopened: after a reopen it cannot be (Freshdesk keeps only the last resolution), and
    // with no reopen count at all it is unknown. Bad data (first after final) must not make
    // the first resolution the longer one.
    let known_once = ticket.reopens == Some(0);
    let first_known = ticket
        .first_solved_at
        .or(ticket.final_solved_at.filter(|_| known_once));
    let first = match (first_known, last) {
        (Some(f), Some(l)) => Some(f.min(l)),
        (f, _) => f,
    };
    let inferred = u32::from(matches!((first, last), (Some(f), Some(l)) if f < l));
    // A ticket solved now whose API gives no solve time was solved by its last update at
    // the latest: enough to keep it out of later backlogs, never used as a solve time.
    let timeline = if ticket.status.is_solved() {
        vec![(last.unwrap_or(ticket.updated_at), true)]
    } else {
        Vec::new()
    };
    Solves {
        first,
        last,
        reopens: ticket.reopens.unwrap_or(0).max(inferred),
        by_automation: false,
        timeline,
    }
}
