//! A seeded generator of a long support history, written straight as model records (no HTTP),
//! shaped like the simulator's data: arrivals by weekday and hour, log-normal reply delays,
//! runs of customer follow-ups, internal notes, trigger replies and automation solves,
//! reopens, automatic closing after four days, outbound, deleted, spam and merged tickets,
//! and CSAT answers (good/bad, as Zendesk gives them). Records look like the Zendesk
//! connector's: comment authors are `Unknown` (resolved against the agents), trigger replies
//! are `Bot`, automations are `System`, and every ticket carries its status history.
//!
//! Tickets come in creation order, in chunks, so memory stays flat whatever the size.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use deskpulse_model::{
    Agent, AuthorKind, Channel, Message, Rating, RatingKind, RatingScale, Record, StatusChange,
    Ticket, TicketStatus,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};

const AGENT_BASE: u64 = 900_000_000;
const CUSTOMER_BASE: u64 = 100_000_000;
const TAGS: &[&str] = &[
    "billing",
    "shipping",
    "refund",
    "bug",
    "account",
    "login",
    "feature",
    "complaint",
    "vip",
    "returns",
];
const CHANNELS: &[(Channel, f64)] = &[
    (Channel::Email, 0.45),
    (Channel::Web, 0.2),
    (Channel::Chat, 0.2),
    (Channel::Phone, 0.08),
    (Channel::Api, 0.04),
    (Channel::Social, 0.03),
];
/// Relative arrivals per hour of day (UTC).
const HOURS: [f64; 24] = [
    0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0, 2.2, 2.2, 2.1, 1.8, 2.0, 2.1, 2.0, 1.8, 1.5, 1.1,
    0.9, 0.7, 0.5, 0.4, 0.3,
];

/// Size and shape of the history.
#[derive(Debug, Clone)]
pub struct HistoryConfig {
    pub seed: u64,
    /// The end of the history (every timestamp is before it).
    pub now: DateTime<Utc>,
    pub days: u32,
    pub tickets: u64,
    /// Mean messages a ticket (the follow-up rate is derived from it).
    pub messages_per_ticket: f64,
    /// Total CSAT answers wanted (the answer rate is derived from it).
    pub ratings: u64,
    pub agents: u32,
    pub customers: u32,
}

/// Generates the history chunk by chunk.
pub struct History {
    cfg: HistoryConfig,
    rng: StdRng,
    /// Tickets to create on each day, oldest first.
    per_day: Vec<u64>,
    day: usize,
    made_today: u64,
    first_day: DateTime<Utc>,
    next_id: u64,
    followup: f64,
    rating_rate: f64,
    reply: LogNormal<f64>,
    customer: LogNormal<f64>,
    solve: LogNormal<f64>,
    later: LogNormal<f64>,
    hour_cdf: Vec<f64>,
}

impl History {
    pub fn new(cfg: HistoryConfig) -> anyhow::Result<History> {
        let first_day = (cfg.now - Duration::days(i64::from(cfg.days)))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc())
            .ok_or_else(|| anyhow::anyhow!("bad start date"))?;
        let weights: Vec<f64> = (0..cfg.days)
            .map(|d| {
                let wd = (first_day + Duration::days(i64::from(d))).weekday();
                if matches!(wd, Weekday::Sat | Weekday::Sun) {
                    0.6
                } else {
                    1.16
                }
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let mut per_day = Vec::with_capacity(weights.len());
        let mut cum = 0.0;
        let mut given = 0u64;
        for w in &weights {
            cum += w;
            let upto = (cum / total * cfg.tickets as f64).round() as u64;
            per_day.push(upto.saturating_sub(given));
            given = upto.max(given);
        }
        let mut hour_cdf = Vec::with_capacity(24);
        let hsum: f64 = HOURS.iter().sum();
        let mut acc = 0.0;
        for h in HOURS {
            acc += h / hsum;
            hour_cdf.push(acc);
        }
        // Messages of an answered inbound ticket ≈ 1 + (1.2 + p) / (1 − p) with follow-up
        // rate p (1.2: a reply plus an internal note one time in five); bot-solved and
        // excluded tickets have fewer, reopened ones more: aim a little higher.
        let m = cfg.messages_per_ticket + 0.35;
        let followup = ((m - 2.2) / m).clamp(0.0, 0.95);
        // About 88 % of tickets end solved.
        let rating_rate = (cfg.ratings as f64 / (cfg.tickets.max(1) as f64 * 0.88)).min(1.0);
        let ln = |median_secs: f64, sigma: f64| LogNormal::new(median_secs.ln(), sigma);
        Ok(History {
            rng: StdRng::seed_from_u64(cfg.seed),
            per_day,
            day: 0,
            made_today: 0,
            first_day,
            next_id: 1,
            followup,
            rating_rate,
            reply: ln(90.0 * 60.0, 1.2)?,
            customer: ln(3.0 * 3600.0, 1.0)?,
            solve: ln(30.0 * 60.0, 1.0)?,
            later: ln(86_400.0, 0.8)?,
            hour_cdf,
            cfg,
        })
    }

    /// The team's agents (and the trigger/automation account, as a bot).
    pub fn agents(&self) -> Vec<Record> {
        (0..self.cfg.agents)
            .map(|i| {
                Record::Agent(Agent {
                    external_id: (AGENT_BASE + u64::from(i)).to_string(),
                    name: format!("Agent {i}"),
                    is_bot: false,
                })
            })
            .collect()
    }

    /// The records of the next `tickets` tickets (with their messages, status changes and
    /// ratings); `None` when the history is complete.
    pub fn next_chunk(&mut self, tickets: usize) -> Option<Vec<Record>> {
        let mut out = Vec::with_capacity(tickets * 14);
        let mut made = 0;
        while made < tickets {
            while self.day < self.per_day.len() && self.made_today >= self.per_day[self.day] {
                self.day += 1;
                self.made_today = 0;
            }
            if self.day >= self.per_day.len() {
                break;
            }
            let day_start = self.first_day + Duration::days(self.day as i64);
            self.made_today += 1;
            self.ticket(day_start, &mut out);
            made += 1;
        }
        (made > 0).then_some(out)
    }

    fn secs(&mut self, d: LogNormal<f64>) -> i64 {
        d.sample(&mut self.rng).clamp(20.0, 60.0 * 86_400.0) as i64
    }

    fn ticket(&mut self, day_start: DateTime<Utc>, out: &mut Vec<Record>) {
        let id = self.next_id;
        self.next_id += 1;
        let tid = id.to_string();
        let rng = &mut self.rng;
        let u: f64 = rng.random();
        let hour = self.hour_cdf.iter().position(|c| u <= *c).unwrap_or(23) as i64;
        let created = day_start.timestamp() + hour * 3600 + rng.random_range(0..3600);
        let now = self.cfg.now.timestamp();
        let customer =
            (CUSTOMER_BASE + u64::from(rng.random_range(0..self.cfg.customers.max(1)))).to_string();
        let agent =
            (AGENT_BASE + u64::from(rng.random_range(0..self.cfg.agents.max(1)))).to_string();
        let cu: f64 = rng.random();
        let mut acc = 0.0;
        let mut channel = Channel::Email;
        for (c, w) in CHANNELS {
            acc += w;
            if cu <= acc {
                channel = *c;
                break;
            }
        }
        let outbound = rng.random_bool(0.05);
        let fate: f64 = rng.random();
        let excluded = match fate {
            f if f < 0.01 => Some(TicketStatus::Deleted),
            f if f < 0.025 => Some(TicketStatus::Spam),
            f if f < 0.035 => Some(TicketStatus::Merged),
            _ => None,
        };
        let mut tags = vec![TAGS[rng.random_range(0..TAGS.len())].to_string()];
        if rng.random_bool(0.3) {
            tags.push(TAGS[rng.random_range(0..TAGS.len())].to_string());
        }
        // (time, author kind, author, public)
        let mut msgs: Vec<(i64, AuthorKind, Option<String>, bool)> = Vec::with_capacity(12);
        // (time, from, to, by kind, by)
        type Change = (
            i64,
            Option<TicketStatus>,
            TicketStatus,
            AuthorKind,
            Option<String>,
        );
        let mut changes: Vec<Change> = Vec::with_capacity(6);
        let opener = if outbound { &agent } else { &customer };
        msgs.push((created, AuthorKind::Unknown, Some(opener.clone()), true));
        changes.push((
            created,
            None,
            if outbound {
                TicketStatus::Open
            } else {
                TicketStatus::New
            },
            AuthorKind::Unknown,
            Some(opener.clone()),
        ));
        let mut status = changes[0].2;
        let mut t = created;
        let mut solves: Vec<i64> = Vec::new();
        if let Some(x) = excluded {
            t += self.secs(self.solve);
            let to = if x == TicketStatus::Merged {
                tags.push("closed_by_merge".into());
                TicketStatus::Closed
            } else {
                TicketStatus::Deleted
            };
            changes.push((
                t,
                Some(status),
                to,
                AuthorKind::Unknown,
                Some(agent.clone()),
            ));
        } else {
            let bot = !outbound && self.rng.random_bool(0.12);
            let mut solved_by_bot = false;
            if bot {
                t += self.rng.random_range(30..600);
                msgs.push((t, AuthorKind::Bot, Some("-1".into()), true));
                if self.rng.random_bool(0.6) {
                    t += self.secs(self.solve);
                    changes.push((
                        t,
                        Some(status),
                        TicketStatus::Solved,
                        AuthorKind::System,
                        Some("-1".into()),
                    ));
                    status = TicketStatus::Solved;
                    solves.push(t);
                    solved_by_bot = true;
                }
            }
            if !solved_by_bot {
                for round in 0..30 {
                    t += self.secs(self.reply);
                    if self.rng.random_bool(0.2) {
                        msgs.push((t, AuthorKind::Unknown, Some(agent.clone()), false));
                        t += self.rng.random_range(30..600);
                    }
                    msgs.push((t, AuthorKind::Unknown, Some(agent.clone()), true));
                    if status == TicketStatus::New {
                        changes.push((
                            t,
                            Some(status),
                            TicketStatus::Open,
                            AuthorKind::Unknown,
                            Some(agent.clone()),
                        ));
                        status = TicketStatus::Open;
                    }
                    if round == 29 || !self.rng.random_bool(self.followup) {
                        break;
                    }
                    t += self.secs(self.customer);
                    msgs.push((t, AuthorKind::Unknown, Some(customer.clone()), true));
                }
                t += self.secs(self.solve);
                changes.push((
                    t,
                    Some(status),
                    TicketStatus::Solved,
                    AuthorKind::Unknown,
                    Some(agent.clone()),
                ));
                status = TicketStatus::Solved;
                solves.push(t);
                if self.rng.random_bool(0.08) {
                    t += self.secs(self.later);
                    msgs.push((t, AuthorKind::Unknown, Some(customer.clone()), true));
                    changes.push((
                        t,
                        Some(status),
                        TicketStatus::Open,
                        AuthorKind::Unknown,
                        Some(customer.clone()),
                    ));
                    t += self.secs(self.reply);
                    msgs.push((t, AuthorKind::Unknown, Some(agent.clone()), true));
                    t += self.secs(self.solve);
                    changes.push((
                        t,
                        Some(TicketStatus::Open),
                        TicketStatus::Solved,
                        AuthorKind::Unknown,
                        Some(agent.clone()),
                    ));
                    solves.push(t);
                }
            }
            t += 4 * 86_400;
            changes.push((
                t,
                Some(TicketStatus::Solved),
                TicketStatus::Closed,
                AuthorKind::System,
                Some("-1".into()),
            ));
        }
        // Only what happened before `now`.
        msgs.retain(|m| m.0 < now);
        changes.retain(|c| c.0 < now);
        solves.retain(|s| *s < now);
        let last = changes.last().map(|c| c.2).unwrap_or(TicketStatus::New);
        let final_status = excluded.unwrap_or(last);
        let reopens_kept = changes
            .iter()
            .filter(|c| c.1 == Some(TicketStatus::Solved) && c.2 == TicketStatus::Open)
            .count() as u32;
        let updated = msgs
            .iter()
            .map(|m| m.0)
            .chain(changes.iter().map(|c| c.0))
            .max()
            .unwrap_or(created);
        let ts = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let solved_now = final_status.is_solved();
        out.push(Record::Ticket(Ticket {
            external_id: tid.clone(),
            channel,
            status: final_status,
            created_at: ts(created),
            updated_at: ts(updated),
            first_solved_at: solves.first().map(|s| ts(*s)),
            final_solved_at: if solved_now {
                solves.last().map(|s| ts(*s))
            } else {
                None
            },
            reopens: Some(reopens_kept),
            opened_by_agent: None,
            requester_id: Some(customer),
            assignee_id: Some(agent.clone()),
            group_id: Some(format!("{}", 360_000 + id % 5)),
            tags,
            priority: Some("normal".into()),
        }));
        for (k, (at, kind, author, public)) in msgs.into_iter().enumerate() {
            out.push(Record::Message(Message {
                external_id: format!("{}", id * 64 + k as u64),
                ticket_id: tid.clone(),
                author_kind: kind,
                author_id: author,
                public,
                created_at: ts(at),
            }));
        }
        for (k, (at, from, to, kind, by)) in changes.into_iter().enumerate() {
            out.push(Record::StatusChange(StatusChange {
                external_id: format!("{}", id * 64 + 40 + k as u64),
                ticket_id: tid.clone(),
                from,
                to,
                author_kind: kind,
                author_id: by,
                at: ts(at),
            }));
        }
        if excluded.is_none() && solved_now && self.rng.random_bool(self.rating_rate) {
            let at = solves.last().copied().unwrap_or(t) + self.secs(self.later);
            if at < now {
                let good = self.rng.random_bool(0.85);
                let comment = self
                    .rng
                    .random_bool(0.3)
                    .then(|| if good { "Thanks!" } else { "Too slow" }.to_string());
                out.push(Record::Rating(Rating {
                    external_id: id.to_string(),
                    kind: RatingKind::Csat,
                    score: if good { 1.0 } else { 0.0 },
                    scale: RatingScale::BINARY,
                    ticket_id: Some(tid),
                    agent_id: Some(agent),
                    comment,
                    created_at: ts(at),
                }));
            }
        }
    }
}
