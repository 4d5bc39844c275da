//! The data generator: builds a Zendesk account ticket by ticket from a seed, recording the
//! ground truth as it goes, and keeps the vendor records compact and pre-sorted for paging.

use std::ops::Range;

use chrono::{DateTime, Datelike, Utc, Weekday};
use deskpulse_model::{AuthorKind, Channel, TicketStatus};
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{LogNormal, Poisson};

use crate::config::{DataConfig, SimConfig};
use crate::reviews::ReviewData;
use crate::truth::{
    Exclusion, GroundTruth, TrueAgent, TrueMessage, TrueRating, TrueScore, TrueTicket,
    TrueTransition, ZendeskMetrics,
};

/// First agent id; agents are `AGENT_BASE + i`.
pub const AGENT_BASE: i64 = 9001;
/// First customer id.
pub const CUSTOMER_BASE: i64 = 20_000_001;
/// First rating id.
pub const RATING_BASE: i64 = 50_000_001;
/// The two groups agents belong to.
pub const GROUPS: [i64; 2] = [360_000_000_001, 360_000_000_002];
/// Zendesk's system user: the updater of automations' audits, and the author of a trigger's
/// comment on an unassigned ticket (on an assigned one Zendesk names the assignee).
pub const SYSTEM: i64 = -1;

const DAY: i64 = 86_400;

/// A user record (end-user, agent or admin).
#[derive(Debug, Clone)]
pub(crate) struct ZUser {
    pub id: i64,
    pub name: String,
    pub role: &'static str,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A ticket record as the incremental export shows it. Its metric values are the ground
/// truth's [`TrueTicket::vendor`], not copied here.
#[derive(Debug, Clone)]
pub(crate) struct ZTicket {
    pub id: i64,
    pub channel: &'static str,
    pub status: &'static str,
    pub priority: &'static str,
    pub requester: i64,
    pub submitter: i64,
    pub assignee: Option<i64>,
    pub group: i64,
    pub tags: Vec<&'static str>,
    pub created_at: i64,
    pub updated_at: i64,
    pub assigned_at: Option<i64>,
    pub latest_comment_at: i64,
    pub status_updated_at: i64,
    /// (id, score, comment) of the ticket's rating.
    pub rating: Option<(i64, &'static str, Option<&'static str>)>,
}

/// A child event of an audit, kept small (strings as one-byte codes, see [`word`]): the
/// event export holds most of the account.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ZEvent {
    Comment {
        id: i64,
        author: i64,
        public: bool,
        /// `via.channel` of the comment.
        channel: u8,
        /// `via.source.rel` is `trigger` (a trigger's reply).
        trigger: bool,
    },
    Create {
        id: i64,
        value: u8,
    },
    Change {
        id: i64,
        value: u8,
        previous: u8,
    },
}

/// The strings child events use, by one-byte code.
const WORDS: [&str; 16] = [
    "new",
    "open",
    "pending",
    "hold",
    "solved",
    "closed",
    "deleted",
    "email",
    "chat",
    "voice",
    "facebook",
    "web",
    "api",
    "mobile_sdk",
    "rule",
    "merge",
];

/// The string of a one-byte code.
pub(crate) fn word(code: u8) -> &'static str {
    WORDS.get(usize::from(code)).copied().unwrap_or("")
}

fn code(w: &str) -> u8 {
    let i = WORDS.iter().position(|x| *x == w);
    debug_assert!(i.is_some(), "no code for {w:?}");
    i.unwrap_or(0) as u8
}

/// An audit (parent event) of the ticket-event export; children index `Dataset::events`.
#[derive(Debug, Clone)]
pub(crate) struct ZAudit {
    pub id: i64,
    pub ticket_id: i64,
    pub at: i64,
    pub updater: i64,
    pub via: &'static str,
    pub children: Range<u32>,
}

/// A satisfaction rating record: created when the survey is offered, updated when answered.
#[derive(Debug, Clone)]
pub(crate) struct ZRating {
    pub id: i64,
    pub ticket_id: i64,
    pub assignee: Option<i64>,
    pub group: i64,
    pub requester: i64,
    pub score: &'static str,
    pub comment: Option<&'static str>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A generated account: the vendor records, pre-sorted the way each endpoint pages them, and
/// the ground truth. Build it once (`Dataset::generate`) and share it (`Arc`) with servers.
#[derive(Debug)]
pub struct Dataset {
    /// The fixed "now" of the account (unix seconds).
    pub(crate) now: i64,
    /// By (updated_at, id).
    pub(crate) users: Vec<ZUser>,
    /// By (updated_at, id).
    pub(crate) tickets: Vec<ZTicket>,
    /// By (timestamp, id).
    pub(crate) audits: Vec<ZAudit>,
    pub(crate) events: Vec<ZEvent>,
    /// By (created_at, id): the offer time, as Zendesk sorts them.
    pub(crate) ratings: Vec<ZRating>,
    /// Trustpilot and Google Business Profile reviews.
    pub(crate) reviews: ReviewData,
    /// Facebook Page and X activity.
    pub(crate) social: crate::social::SocialData,
    truth: GroundTruth,
}

impl Dataset {
    /// Generates the account described by `cfg.data` from `cfg.seed`, before `cfg.now`.
    /// Deterministic: the same config gives the same dataset.
    pub fn generate(cfg: &SimConfig) -> Dataset {
        let mut d = Generator::new(cfg).run();
        let start = (d.now - i64::from(cfg.data.days) * DAY).div_euclid(DAY) * DAY;
        let (reviews, truth) = crate::reviews::generate(cfg, start);
        d.reviews = reviews;
        d.truth.reviews = truth;
        let (social, truth) = crate::social::generate(cfg, start);
        d.social = social;
        d.truth.social = truth;
        d
    }

    /// What really happened, recorded while generating.
    pub fn truth(&self) -> &GroundTruth {
        &self.truth
    }

    /// The account's fixed "now".
    pub fn now(&self) -> DateTime<Utc> {
        ts(self.now)
    }

    /// Approximate heap memory the dataset holds (vendor records and ground truth), for
    /// benchmarks that run the simulator in-process and want to tell its memory apart.
    pub fn approx_heap_bytes(&self) -> usize {
        use std::mem::size_of;
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        let t = &self.truth;
        vec(&self.users)
            + self.users.iter().map(|u| u.name.capacity()).sum::<usize>()
            + vec(&self.tickets)
            + self.tickets.iter().map(|x| vec(&x.tags)).sum::<usize>()
            + vec(&self.audits)
            + vec(&self.events)
            + vec(&self.ratings)
            + vec(&t.tickets)
            + t.tickets
                .iter()
                .map(|x| vec(&x.messages) + vec(&x.transitions) + vec(&x.tags))
                .sum::<usize>()
            + vec(&t.agents)
            + vec(&t.ratings)
            + self.reviews.approx_heap_bytes()
            + vec(&t.reviews)
            + t.reviews.iter().map(|r| r.id.capacity()).sum::<usize>()
            + self.social.approx_heap_bytes()
            + vec(&t.social.interactions)
    }

    /// Numbers of records each endpoint serves in full: (users, tickets, audits, ratings).
    pub fn record_counts(&self) -> (usize, usize, usize, usize) {
        (
            self.users.len(),
            self.tickets.len(),
            self.audits.len(),
            self.ratings.len(),
        )
    }
}

pub(crate) fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

pub(crate) fn ts_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn vendor_channel(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Chat => "chat",
        Channel::Phone => "voice",
        Channel::Social => "facebook",
        Channel::Web => "web",
        Channel::Api => "api",
        Channel::Other => "mobile_sdk",
    }
}

fn audit_via(c: Channel) -> &'static str {
    match c {
        Channel::Email => "Mail",
        Channel::Chat => "Chat",
        Channel::Phone => "Voice",
        Channel::Social => "Facebook",
        Channel::Web => "Web form",
        Channel::Api => "Web service",
        Channel::Other => "Mobile SDK",
    }
}

fn model_status(s: &'static str) -> TicketStatus {
    match s {
        "new" => TicketStatus::New,
        "open" => TicketStatus::Open,
        "pending" => TicketStatus::Pending,
        "hold" => TicketStatus::OnHold,
        "solved" => TicketStatus::Solved,
        "closed" => TicketStatus::Closed,
        _ => TicketStatus::Deleted,
    }
}

/// Hourly arrival weights (UTC): quiet nights, busy office hours.
const HOUR_WEIGHTS: [f64; 24] = [
    0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 1.2, 2.0, 2.6, 2.8, 2.7, 2.3, 2.5, 2.6, 2.4, 2.1, 1.7,
    1.2, 0.9, 0.7, 0.5, 0.4, 0.3,
];

const AGENT_NAMES: [&str; 12] = [
    "Alice Adams",
    "Bob Brown",
    "Chandra Rao",
    "Diego Fernández",
    "Emma Schulz",
    "Fatima Zahra",
    "Gao Min",
    "Hugo Martin",
    "Ines Costa",
    "Jonas Berg",
    "Kemal Aydın",
    "Lena Novak",
];

const TOPICS: [&str; 6] = ["billing", "shipping", "login", "refund", "bug", "question"];
const GOOD_COMMENTS: [&str; 3] = ["Quick and kind", "Thanks, solved!", "Great support"];
const BAD_COMMENTS: [&str; 3] = ["Had to write twice", "Took too long", "Still not fixed"];

struct Generator<'a> {
    cfg: &'a DataConfig,
    now: i64,
    rng: StdRng,
    next_event_id: i64,
    agents: Vec<TrueAgent>,
    customers: Vec<i64>,
    users: Vec<ZUser>,
    tickets: Vec<ZTicket>,
    audits: Vec<ZAudit>,
    events: Vec<ZEvent>,
    truth: Vec<TrueTicket>,
    ratings: Vec<(ZRating, TrueRating)>,
}

/// The ticket being built: its state and its records so far.
struct Build {
    t: i64,
    status: &'static str,
    truth: TrueTicket,
    z: ZTicket,
    via: &'static str,
    channel: &'static str,
}

impl<'a> Generator<'a> {
    fn new(cfg: &'a SimConfig) -> Self {
        Generator {
            cfg: &cfg.data,
            now: cfg.now.timestamp(),
            rng: StdRng::seed_from_u64(cfg.seed),
            next_event_id: crate::event_ids::FIRST_ID,
            agents: Vec::new(),
            customers: Vec::new(),
            users: Vec::new(),
            tickets: Vec::new(),
            audits: Vec::new(),
            events: Vec::new(),
            truth: Vec::new(),
            ratings: Vec::new(),
        }
    }

    fn run(mut self) -> Dataset {
        let start = (self.now - i64::from(self.cfg.days) * DAY).div_euclid(DAY) * DAY;
        let agent_created = start - 365 * DAY;
        for i in 0..self.cfg.agents.max(1) {
            let id = AGENT_BASE + i64::from(i);
            let name = AGENT_NAMES[i as usize % AGENT_NAMES.len()].to_string();
            let name = if (i as usize) < AGENT_NAMES.len() {
                name
            } else {
                format!("{name} {}", i as usize / AGENT_NAMES.len() + 1)
            };
            let role = if i == 0 { "admin" } else { "agent" };
            self.users.push(ZUser {
                id,
                name: name.clone(),
                role,
                created_at: agent_created + i64::from(i) * 3600,
                updated_at: agent_created + i64::from(i) * 3600,
            });
            self.agents.push(TrueAgent { id, name, role });
        }

        let arrivals = self.arrivals(start);
        for (i, created) in arrivals.into_iter().enumerate() {
            self.ticket(i as i64 + 1, created);
        }

        let Generator {
            now,
            agents,
            customers,
            mut users,
            mut tickets,
            mut audits,
            mut events,
            truth: mut true_tickets,
            ratings,
            ..
        } = self;
        // Rating ids in created_at (offer) order, so both sorts agree.
        let mut ratings = ratings;
        ratings.sort_by_key(|(z, _)| (z.created_at, z.ticket_id));
        let mut z_ratings = Vec::with_capacity(ratings.len());
        let mut t_ratings = Vec::with_capacity(ratings.len());
        // `tickets` is still in creation order here: ticket `id` is at `id - 1`.
        for (i, (mut z, mut t)) in ratings.into_iter().enumerate() {
            z.id = RATING_BASE + i as i64;
            t.id = z.id;
            if let Some(t) = tickets.get_mut((z.ticket_id - 1) as usize) {
                t.rating = Some((z.id, z.score, z.comment));
            }
            z_ratings.push(z);
            t_ratings.push(t);
        }
        users.shrink_to_fit();
        tickets.shrink_to_fit();
        audits.shrink_to_fit();
        events.shrink_to_fit();
        true_tickets.shrink_to_fit();
        users.sort_by_key(|u| (u.updated_at, u.id));
        tickets.sort_by_key(|t| (t.updated_at, t.id));
        audits.sort_by_key(|a| (a.at, a.id));
        crate::event_ids::number_in_time_order(&mut audits, &mut events, &mut true_tickets);
        Dataset {
            now,
            users,
            tickets,
            audits,
            events,
            ratings: z_ratings,
            reviews: ReviewData::default(),
            social: Default::default(),
            truth: GroundTruth {
                tickets: true_tickets,
                agents,
                ratings: t_ratings,
                customers: customers.len(),
                reviews: Vec::new(),
                social: Default::default(),
            },
        }
    }

    /// Creation times of all tickets, sorted: Poisson counts per day (weekdays busier),
    /// hours by office-hour weights, uniform minutes and seconds.
    fn arrivals(&mut self, start: i64) -> Vec<i64> {
        let hours = WeightedIndex::new(HOUR_WEIGHTS).ok();
        let mut out = Vec::new();
        let mut day = start;
        while day < self.now {
            let weekday = ts(day).weekday();
            let factor = match weekday {
                Weekday::Sat => 0.55,
                Weekday::Sun => 0.45,
                _ => 1.2,
            };
            let mean = self.cfg.tickets_per_day * factor;
            let n = if mean > 0.0 {
                Poisson::new(mean)
                    .map(|p| p.sample(&mut self.rng) as usize)
                    .unwrap_or(0)
            } else {
                0
            };
            for _ in 0..n {
                let h = hours
                    .as_ref()
                    .map(|w| w.sample(&mut self.rng) as i64)
                    .unwrap_or(12);
                let at = day + h * 3600 + self.rng.random_range(0..3600);
                if at < self.now - 60 {
                    out.push(at);
                }
            }
            day += DAY;
        }
        out.sort_unstable();
        out
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.random::<f64>() < p
    }

    /// A log-normal delay in seconds with the given median (minutes), at least `min` seconds.
    fn delay(&mut self, median_minutes: f64, sigma: f64, min: i64) -> i64 {
        let mu = (median_minutes.max(0.01) * 60.0).ln();
        let d = LogNormal::new(mu, sigma.max(0.01))
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(median_minutes * 60.0);
        (d.min(30.0 * DAY as f64) as i64).max(min)
    }

    fn event_id(&mut self) -> i64 {
        self.next_event_id += 1;
        self.next_event_id
    }

    fn pick_agent(&mut self) -> i64 {
        let n = self.agents.len().max(1) as i64;
        AGENT_BASE + self.rng.random_range(0..n)
    }

    fn customer(&mut self, at: i64) -> i64 {
        if self.customers.is_empty() || self.chance(0.4) {
            let id = CUSTOMER_BASE + self.customers.len() as i64;
            self.customers.push(id);
            self.users.push(ZUser {
                id,
                name: format!("Customer {}", id - CUSTOMER_BASE + 1),
                role: "end-user",
                created_at: at,
                updated_at: at,
            });
            id
        } else {
            let i = self.rng.random_range(0..self.customers.len());
            self.customers[i]
        }
    }

    fn channel(&mut self) -> Channel {
        let weights: Vec<f64> = self.cfg.channels.iter().map(|(_, w)| w.max(0.0)).collect();
        match WeightedIndex::new(&weights) {
            Ok(w) => self.cfg.channels[w.sample(&mut self.rng)].0,
            Err(_) => Channel::Email,
        }
    }

    /// Pushes one audit at `b.t` and records its facts in the ticket's truth.
    fn audit(&mut self, b: &mut Build, updater: i64, via: &'static str, children: Vec<Child>) {
        let first = self.events.len() as u32;
        let at = ts(b.t);
        for c in children {
            let id = self.event_id();
            match c {
                Child::Comment {
                    author,
                    kind,
                    public,
                    channel,
                    rel,
                } => {
                    self.events.push(ZEvent::Comment {
                        id,
                        author,
                        public,
                        channel: code(channel),
                        trigger: rel == Some("trigger"),
                    });
                    b.truth.messages.push(TrueMessage {
                        id,
                        author_kind: kind,
                        author_id: author,
                        public,
                        at,
                    });
                    b.z.latest_comment_at = b.t;
                }
                Child::Status { to, kind } => {
                    let from = if b.truth.transitions.is_empty() {
                        None
                    } else {
                        Some(b.status)
                    };
                    match from {
                        None => self.events.push(ZEvent::Create {
                            id,
                            value: code(to),
                        }),
                        Some(previous) => self.events.push(ZEvent::Change {
                            id,
                            value: code(to),
                            previous: code(previous),
                        }),
                    }
                    b.truth.transitions.push(TrueTransition {
                        id,
                        from: from.map(model_status),
                        to: model_status(to),
                        by_kind: kind,
                        by_id: updater,
                        at,
                    });
                    if from == Some("solved") && to != "closed" && to != "solved" {
                        b.truth.reopens += 1;
                    }
                    if to == "solved" {
                        b.truth.first_solved_at.get_or_insert(at);
                    }
                    b.status = to;
                    b.z.status_updated_at = b.t;
                }
            }
        }
        let last = self.events.len() as u32;
        let id = self.event_id();
        self.audits.push(ZAudit {
            id,
            ticket_id: b.z.id,
            at: b.t,
            updater,
            via,
            children: first..last,
        });
    }

    /// Advances the ticket's clock; `false` when that would reach `now` (the story stops).
    fn advance(&mut self, b: &mut Build, secs: i64) -> bool {
        let t = b.t + secs.max(1);
        if t >= self.now - 60 {
            return false;
        }
        b.t = t;
        true
    }

    fn assign(&mut self, b: &mut Build, agent: i64) {
        if b.z.assignee.is_none() {
            b.z.assignee = Some(agent);
            b.z.assigned_at = Some(b.t);
        }
    }

    /// A run of customer messages (the first may reopen or un-pend the ticket).
    fn customer_run(&mut self, b: &mut Build, extra_max: u32) {
        let requester = b.z.requester;
        let mut children = vec![Child::comment(
            requester,
            AuthorKind::Customer,
            true,
            b.channel,
        )];
        if b.status == "pending" || b.status == "solved" {
            children.push(Child::status("open", AuthorKind::Customer));
        }
        let via = b.via;
        self.audit(b, requester, via, children);
        for _ in 0..extra_max {
            if !self.chance(0.25) {
                break;
            }
            let d = self.delay(8.0, 0.8, 20);
            if !self.advance(b, d) {
                return;
            }
            let c = Child::comment(requester, AuthorKind::Customer, true, b.channel);
            self.audit(b, requester, via, vec![c]);
        }
    }

    /// The conversation from an agent's turn on: replies, follow-ups, solves, reopens, close.
    fn conversation(&mut self, b: &mut Build, agent: i64) {
        let mut round = 0;
        'story: loop {
            // Agent's turn.
            if self.chance(self.cfg.internal_note_rate) {
                let d = self.delay(20.0, 1.0, 30);
                if !self.advance(b, d) {
                    return;
                }
                self.assign(b, agent);
                let note = Child::comment(agent, AuthorKind::Agent, false, "web");
                self.audit(b, agent, "Web form", vec![note]);
            }
            let d = self.delay(self.cfg.reply_median_minutes, self.cfg.reply_sigma, 30);
            if !self.advance(b, d) {
                return;
            }
            self.assign(b, agent);
            let mut children = vec![Child::comment(agent, AuthorKind::Agent, true, "web")];
            let next = if self.chance(0.5) { "pending" } else { "open" };
            if b.status != next {
                children.push(Child::status(next, AuthorKind::Agent));
            }
            self.audit(b, agent, "Web form", children);
            round += 1;
            // Customer follows up, or the agent solves.
            let follow = self.cfg.followup_rate * 0.8f64.powi(round - 1);
            if self.chance(follow) {
                let d = self.delay(180.0, 1.2, 60);
                if !self.advance(b, d) {
                    return;
                }
                self.customer_run(b, 2);
                continue 'story;
            }
            let d = self.delay(240.0, 1.4, 30);
            if !self.advance(b, d) {
                return;
            }
            self.audit(
                b,
                agent,
                "Web form",
                vec![Child::status("solved", AuthorKind::Agent)],
            );
            if self.after_solve(b) {
                continue 'story;
            }
            return;
        }
    }

    /// After a solve: maybe the customer reopens (`true`: the agent's turn again), else the
    /// ticket is closed by an automation after `close_after_days`.
    fn after_solve(&mut self, b: &mut Build) -> bool {
        let close_at = self.cfg.close_after_days.map(|d| b.t + i64::from(d) * DAY);
        if self.chance(self.cfg.reopen_rate) {
            let d = self.delay(600.0, 1.0, 300);
            let before_close = close_at.is_none_or(|c| b.t + d < c);
            if before_close && self.advance(b, d) {
                self.customer_run(b, 1);
                return true;
            }
        }
        if let Some(c) = close_at {
            let d = c - b.t;
            if self.advance(b, d) {
                self.audit(
                    b,
                    SYSTEM,
                    "Rule",
                    vec![Child::status("closed", AuthorKind::System)],
                );
            }
        }
        false
    }

    fn ticket(&mut self, id: i64, created: i64) {
        let channel = self.channel();
        let vchannel = vendor_channel(channel);
        let requester = self.customer(created);
        let agent = self.pick_agent();
        let group = GROUPS[((agent - AGENT_BASE) % 2) as usize];
        let outbound = self.chance(self.cfg.outbound_rate);
        let roll: f64 = self.rng.random();
        let (d, s, m) = (
            self.cfg.deleted_rate,
            self.cfg.spam_rate,
            self.cfg.merged_rate,
        );
        let fate = if outbound {
            None
        } else if roll < d {
            Some(Exclusion::Deleted)
        } else if roll < d + s {
            Some(Exclusion::Spam)
        } else if roll < d + s + m {
            Some(Exclusion::Merged)
        } else {
            None
        };
        let bot =
            fate.is_none() && !outbound && self.cfg.bots && self.chance(self.cfg.bot_answer_rate);
        let priority = ["low", "normal", "normal", "normal", "high", "urgent"]
            [self.rng.random_range(0..6usize)];
        let mut tags = vec![TOPICS[self.rng.random_range(0..TOPICS.len())]];
        if self.chance(0.05) {
            tags.push("complaint");
        }
        let submitter = if outbound { agent } else { requester };
        let mut b = Build {
            t: created,
            status: "new",
            via: if outbound {
                "Web form"
            } else {
                audit_via(channel)
            },
            channel: if outbound { "web" } else { vchannel },
            z: ZTicket {
                id,
                channel: if outbound { "web" } else { vchannel },
                status: "new",
                priority,
                requester,
                submitter,
                assignee: None,
                group,
                tags,
                created_at: created,
                updated_at: created,
                assigned_at: None,
                latest_comment_at: created,
                status_updated_at: created,
                rating: None,
            },
            truth: TrueTicket {
                id,
                created_at: ts(created),
                updated_at: ts(created),
                channel: if outbound { Channel::Web } else { channel },
                vendor_status: "new",
                status: TicketStatus::New,
                excluded: None,
                outbound,
                bot_answered: false,
                automation_solved: false,
                requester,
                submitter,
                assignee: None,
                group,
                tags: Vec::new(),
                messages: Vec::new(),
                transitions: Vec::new(),
                first_solved_at: None,
                final_solved_at: None,
                reopens: 0,
                vendor: ZendeskMetrics::default(),
            },
        };

        if outbound {
            self.assign(&mut b, agent);
            let children = vec![
                Child::status("open", AuthorKind::Agent),
                Child::comment(agent, AuthorKind::Agent, true, "web"),
            ];
            self.audit(&mut b, agent, "Web form", children);
            // The customer answers, or the agent solves after a while.
            if self.chance(0.6) {
                let d = self.delay(300.0, 1.0, 60);
                if self.advance(&mut b, d) {
                    self.customer_run(&mut b, 1);
                    self.conversation(&mut b, agent);
                }
            } else {
                let d = self.delay(1440.0, 0.8, 600);
                if self.advance(&mut b, d) {
                    let c = vec![Child::status("solved", AuthorKind::Agent)];
                    self.audit(&mut b, agent, "Web form", c);
                    if self.after_solve(&mut b) {
                        self.conversation(&mut b, agent);
                    }
                }
            }
        } else {
            // Routing may assign the ticket the moment it arrives.
            if self.chance(self.cfg.assign_on_create_rate) {
                self.assign(&mut b, agent);
            }
            let via = b.via;
            let children = vec![
                Child::status("new", AuthorKind::Customer),
                Child::comment(requester, AuthorKind::Customer, true, vchannel),
            ];
            self.audit(&mut b, requester, via, children);
            let mut extra = 0;
            while extra < 2 && self.chance(0.2) {
                extra += 1;
                let d = self.delay(6.0, 0.8, 20);
                if !self.advance(&mut b, d) {
                    break;
                }
                let c = Child::comment(requester, AuthorKind::Customer, true, vchannel);
                self.audit(&mut b, requester, via, vec![c]);
            }
            match fate {
                Some(Exclusion::Spam) => {
                    let d = self.delay(60.0, 1.0, 60);
                    if self.advance(&mut b, d) {
                        let c = vec![Child::status("deleted", AuthorKind::Agent)];
                        self.audit(&mut b, agent, "Web form", c);
                        b.truth.excluded = Some(Exclusion::Spam);
                    }
                }
                Some(Exclusion::Deleted) => {
                    let d = self.delay(self.cfg.reply_median_minutes, 1.0, 30);
                    if self.chance(0.5) && self.advance(&mut b, d) {
                        self.assign(&mut b, agent);
                        let c = vec![
                            Child::comment(agent, AuthorKind::Agent, true, "web"),
                            Child::status("open", AuthorKind::Agent),
                        ];
                        self.audit(&mut b, agent, "Web form", c);
                    }
                    let d = self.delay(120.0, 1.0, 60);
                    if self.advance(&mut b, d) {
                        self.assign(&mut b, agent);
                        let c = vec![Child::status("deleted", AuthorKind::Agent)];
                        self.audit(&mut b, agent, "Web form", c);
                        b.truth.excluded = Some(Exclusion::Deleted);
                    }
                }
                Some(Exclusion::Merged) => {
                    let d = self.delay(45.0, 1.0, 60);
                    if self.advance(&mut b, d) {
                        self.assign(&mut b, agent);
                        let c = vec![
                            Child::comment(agent, AuthorKind::Agent, false, "merge"),
                            Child::status("closed", AuthorKind::Agent),
                        ];
                        self.audit(&mut b, agent, "Merge", c);
                        b.truth.excluded = Some(Exclusion::Merged);
                        b.z.tags.push("closed_by_merge");
                    }
                }
                None if bot => {
                    let d = self.rng.random_range(30..180);
                    if self.advance(&mut b, d) {
                        b.truth.bot_answered = true;
                        // Zendesk attributes a trigger's comment to the current assignee, or
                        // to the system user on an unassigned ticket.
                        let c = vec![Child::Comment {
                            author: b.z.assignee.unwrap_or(SYSTEM),
                            kind: AuthorKind::Bot,
                            public: true,
                            channel: "rule",
                            rel: Some("trigger"),
                        }];
                        self.audit(&mut b, SYSTEM, "Rule", c);
                        if self.chance(self.cfg.bot_solve_rate) {
                            let d = self.rng.random_range(300..7200);
                            if self.advance(&mut b, d) {
                                b.truth.automation_solved = true;
                                let c = vec![Child::status("solved", AuthorKind::System)];
                                self.audit(&mut b, SYSTEM, "Rule", c);
                                if self.after_solve(&mut b) {
                                    self.conversation(&mut b, agent);
                                }
                            }
                        } else {
                            let d = self.delay(30.0, 1.0, 60);
                            if self.advance(&mut b, d) {
                                self.customer_run(&mut b, 1);
                                self.conversation(&mut b, agent);
                            }
                        }
                    }
                }
                None => self.conversation(&mut b, agent),
            }
        }
        self.finish(b);
    }

    /// Final facts of the ticket, its CSAT survey, and its records.
    fn finish(&mut self, mut b: Build) {
        let status = b.status;
        let solved_now = status == "solved" || status == "closed";
        let final_solve = if solved_now && b.truth.excluded.is_none() {
            b.truth
                .transitions
                .iter()
                .rev()
                .find(|t| t.to == TicketStatus::Solved)
                .map(|t| t.at)
        } else {
            None
        };
        b.truth.final_solved_at = final_solve;
        b.z.status = status;
        b.z.tags.sort_unstable();
        b.z.tags.dedup();
        b.truth.tags.clone_from(&b.z.tags);
        b.truth.vendor_status = status;
        b.truth.status = match b.truth.excluded {
            Some(Exclusion::Deleted | Exclusion::Spam) => TicketStatus::Deleted,
            Some(Exclusion::Merged) => TicketStatus::Merged,
            None => model_status(status),
        };
        b.truth.assignee = b.z.assignee;
        let mut updated = b.t;

        // CSAT: offered some hours after the final solve, maybe answered later.
        if let Some(solved) = final_solve.map(|t| t.timestamp())
            && self.chance(self.cfg.csat_offer_rate)
        {
            let offered = solved + self.rng.random_range(3600..24 * 3600);
            if offered < self.now - 60 {
                let answer = self.chance(self.cfg.csat_answer_rate);
                let answered_at = offered + self.delay(180.0, 1.0, 60);
                let answered = answer && answered_at < self.now - 60;
                let (score, tscore, comment) = if answered {
                    if self.chance(self.cfg.csat_good_rate) {
                        let c = self.pick_comment(&GOOD_COMMENTS);
                        ("good", TrueScore::Good, c)
                    } else {
                        let c = self.pick_comment(&BAD_COMMENTS);
                        ("bad", TrueScore::Bad, c)
                    }
                } else {
                    ("offered", TrueScore::Offered, None)
                };
                // Zendesk creates the rating record with the offer and updates it with the
                // answer; deskpulse counts the response when it is received.
                let received = if answered { answered_at } else { offered };
                updated = updated.max(received);
                self.ratings.push((
                    ZRating {
                        id: 0,
                        ticket_id: b.z.id,
                        assignee: b.z.assignee,
                        group: b.z.group,
                        requester: b.z.requester,
                        score,
                        comment,
                        created_at: offered,
                        updated_at: received,
                    },
                    TrueRating {
                        id: 0,
                        ticket_id: b.z.id,
                        assignee: b.z.assignee,
                        requester: b.z.requester,
                        score: tscore,
                        comment,
                        offered_at: ts(offered),
                        answered_at: answered.then(|| ts(answered_at)),
                        created_at: ts(received),
                    },
                ));
            }
        }
        b.z.updated_at = updated;
        b.truth.updated_at = ts(updated);
        b.truth.messages.shrink_to_fit();
        b.truth.transitions.shrink_to_fit();
        b.truth.vendor = ZendeskMetrics::from_history(&b.truth, self.cfg.business_hours.as_ref());
        b.z.tags.shrink_to_fit();
        b.truth.tags.shrink_to_fit();
        self.tickets.push(b.z);
        self.truth.push(b.truth);
    }

    fn pick_comment(&mut self, from: &[&'static str]) -> Option<&'static str> {
        if self.chance(0.5) {
            Some(from[self.rng.random_range(0..from.len())])
        } else {
            None
        }
    }
}

/// A child event to add to an audit.
enum Child {
    Comment {
        author: i64,
        kind: AuthorKind,
        public: bool,
        channel: &'static str,
        rel: Option<&'static str>,
    },
    Status {
        to: &'static str,
        kind: AuthorKind,
    },
}

impl Child {
    fn comment(author: i64, kind: AuthorKind, public: bool, channel: &'static str) -> Child {
        Child::Comment {
            author,
            kind,
            public,
            channel,
            rel: None,
        }
    }
    fn status(to: &'static str, kind: AuthorKind) -> Child {
        Child::Status { to, kind }
    }
}
