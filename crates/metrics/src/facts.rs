//! What a ticket's messages and status history mean for the KPIs: who replied, when, how
//! often it was solved and reopened. Everything order-dependent is sorted here first, so
//! the facts of a ticket never depend on the order storage handed its rows over.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
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
}

/// Everything the KPIs need to know about one ticket.
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
    /// The first response as the team counts it: the first human reply, or the first bot
    /// reply if earlier and the team counts bot replies.
    pub first_response_at: Option<DateTime<Utc>>,
    pub reply_samples: Vec<ReplySample>,
    pub first_solved_at: Option<DateTime<Utc>>,
    /// The last solve, if the ticket is solved now.
    pub final_solved_at: Option<DateTime<Utc>>,
    pub reopens: u32,
    /// The final solve was made by a bot or a trigger/automation (system), not a human.
    pub solved_by_automation: bool,
    /// (instant, solved after it), ascending: each status change of the history, or without
    /// history the one solve we know of (none if the ticket is not solved now).
    solved_timeline: Vec<(DateTime<Utc>, bool)>,
}

impl TicketFacts {
    /// Whether the ticket was solved (or closed) at instant `t`: the state after the last
    /// change at or before `t`, unsolved before any. Without history that is "solved now and
    /// finally solved at or before `t`", all a history-less API can tell.
    pub fn is_solved_at(&self, t: DateTime<Utc>) -> bool {
        // Index of the first change after t; the one before it gives the state at t.
        let i = self.solved_timeline.partition_point(|(at, _)| *at <= t);
        i > 0 && self.solved_timeline[i - 1].1
    }

    /// Whether the ticket is solved (or closed) in its latest known state.
    pub fn is_solved_now(&self) -> bool {
        self.solved_timeline
            .last()
            .is_some_and(|(_, solved)| *solved)
    }

    /// Reopened at least once.
    pub fn reopened(&self) -> bool {
        self.reopens > 0
    }
}

/// Derives a ticket's facts from its messages and status history.
pub fn derive_facts(
    t: &TicketInput,
    agents: &AgentIndex<'_>,
    count_bot_replies: bool,
) -> TicketFacts {
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

    let opened_by_team = messages
        .first()
        .is_some_and(|(_, k)| matches!(k, AuthorKind::Agent | AuthorKind::Bot));
    let outbound = ticket.opened_by_agent.unwrap_or(opened_by_team);

    let mut human_replies = 0;
    let mut bot_replies = 0;
    let mut first_human_reply_at = None;
    let mut first_response_at = None;
    let mut reply_samples = Vec::new();
    // Start of the current run of customer messages waiting for an answer.
    let mut waiting_since: Option<DateTime<Utc>> = None;
    for (i, (m, kind)) in messages.iter().enumerate() {
        // Internal notes and system events are never part of the conversation.
        if !m.public || *kind == AuthorKind::System {
            continue;
        }
        let answers = match kind {
            AuthorKind::Customer => {
                waiting_since.get_or_insert(m.created_at);
                false
            }
            // The opening message is never a reply, whoever wrote it.
            _ if i == 0 => false,
            AuthorKind::Agent => {
                human_replies += 1;
                first_human_reply_at.get_or_insert(m.created_at);
                true
            }
            AuthorKind::Bot => {
                bot_replies += 1;
                count_bot_replies
            }
            _ => false,
        };
        if answers {
            first_response_at.get_or_insert(m.created_at);
            if let Some(asked_at) = waiting_since.take() {
                reply_samples.push(ReplySample {
                    asked_at,
                    replied_at: m.created_at,
                });
            }
        }
    }

    let solves = if t.status_changes.is_empty() {
        solves_without_history(t)
    } else {
        solves_from_history(source, &t.status_changes, agents)
    };

    TicketFacts {
        source: t.source.clone(),
        ticket_id: ticket.external_id.clone(),
        channel: ticket.channel,
        created_at: ticket.created_at,
        assignee_id: ticket.assignee_id.clone(),
        requester_id: ticket.requester_id.clone(),
        tags: ticket.tags.clone(),
        excluded: ticket.status.is_excluded(),
        outbound,
        human_replies,
        bot_replies,
        first_human_reply_at,
        first_response_at,
        reply_samples,
        first_solved_at: solves.first,
        final_solved_at: solves.last,
        reopens: solves.reopens,
        solved_by_automation: solves.by_automation,
        solved_timeline: solves.timeline,
    }
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

/// Without history, the API's own solve fields are all there is. A ticket solved first at
/// one time and finally at a later one was reopened in between, even if the API gives no
/// reopen count.
fn solves_without_history(t: &TicketInput) -> Solves {
    let ticket = &t.ticket;
    let last = ticket.final_solved_at.filter(|_| ticket.status.is_solved());
    // Bad data (first after final) must not make the first resolution the longer one.
    let first = match (ticket.first_solved_at.or(ticket.final_solved_at), last) {
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
