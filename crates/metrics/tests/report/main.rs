//! KPI definitions checked against hand-computed values. The period is 2026-W46 in UTC
//! (Mon 2026-11-09 00:00 to Mon 2026-11-16 00:00) unless a test says otherwise; times in the
//! comments are UTC.

use chrono::{DateTime, NaiveDate, Utc};
use deskpulse_metrics::{
    AgentIndex, AgentInput, AgentKpis, KpiReport, RatingInput, ReportInput, Targets, TeamConfig,
    TicketInput, compute_report, derive_facts, render_text,
};
use deskpulse_model::{
    Agent, AuthorKind, Channel, Message, Period, PeriodSpec, Rating, RatingKind, RatingScale,
    StatusChange, Ticket, TicketStatus, period::local_midnight,
};

mod hours;
mod insights;
mod kpis;
mod props;
mod reconcile;
mod reviews;
mod social;
mod trust;

const SRC: &str = "zendesk-main";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap_or_else(|e| panic!("bad time {s}: {e}"))
}

fn w46() -> Period {
    "2026-W46"
        .parse::<PeriodSpec>()
        .unwrap()
        .in_zone(chrono_tz::UTC)
}

fn team(count_bot_replies: bool) -> TeamConfig {
    TeamConfig {
        name: "support".into(),
        count_bot_replies,
        targets: Targets::default(),
        ..TeamConfig::default()
    }
}

fn ticket(id: &str, created: &str) -> TicketInput {
    let created = at(created);
    TicketInput {
        source: SRC.into(),
        ticket: Ticket {
            external_id: id.into(),
            channel: Channel::Email,
            status: TicketStatus::Open,
            created_at: created,
            updated_at: created,
            first_solved_at: None,
            final_solved_at: None,
            reopens: None,
            opened_by_agent: None,
            requester_id: Some("r1".into()),
            assignee_id: None,
            group_id: None,
            tags: vec![],
            priority: None,
        },
        messages: vec![],
        status_changes: vec![],
    }
}

/// Test-only builders, so each scenario reads as a conversation.
trait Build {
    fn say(self, kind: AuthorKind, author: &str, time: &str) -> Self;
    fn note(self, author: &str, time: &str) -> Self;
    fn status(
        self,
        from: Option<TicketStatus>,
        to: TicketStatus,
        by: AuthorKind,
        time: &str,
    ) -> Self;
    fn with(self, f: impl FnOnce(&mut Ticket)) -> Self;
}

impl Build for TicketInput {
    fn say(mut self, kind: AuthorKind, author: &str, time: &str) -> Self {
        let n = self.messages.len();
        self.messages.push(Message {
            external_id: format!("m{n:02}"),
            ticket_id: self.ticket.external_id.clone(),
            author_kind: kind,
            author_id: Some(author.into()),
            public: true,
            created_at: at(time),
        });
        self
    }
    fn note(mut self, author: &str, time: &str) -> Self {
        self = self.say(AuthorKind::Agent, author, time);
        self.messages.last_mut().unwrap().public = false;
        self
    }
    fn status(
        mut self,
        from: Option<TicketStatus>,
        to: TicketStatus,
        by: AuthorKind,
        time: &str,
    ) -> Self {
        let n = self.status_changes.len();
        self.status_changes.push(StatusChange {
            external_id: format!("s{n:02}"),
            ticket_id: self.ticket.external_id.clone(),
            from,
            to,
            author_kind: by,
            author_id: Some(if by == AuthorKind::Agent {
                "100".into()
            } else {
                "0".into()
            }),
            at: at(time),
        });
        self.ticket.status = to;
        self
    }
    fn with(mut self, f: impl FnOnce(&mut Ticket)) -> Self {
        f(&mut self.ticket);
        self
    }
}

use AuthorKind::{Agent as A, Bot as B, Customer as C, System as Sys, Unknown as U};
use TicketStatus::{Closed, Deleted, Merged, Open, Pending, Solved, Spam};

/// Solved at `time` with no history, the way a history-less API reports it.
fn solved_at(time: &str) -> impl FnOnce(&mut Ticket) {
    let t = at(time);
    move |tk| {
        tk.status = Solved;
        tk.first_solved_at = Some(t);
        tk.final_solved_at = Some(t);
    }
}

fn agents() -> Vec<AgentInput> {
    let a = |id: &str, name: &str, is_bot| AgentInput {
        source: SRC.into(),
        agent: Agent {
            external_id: id.into(),
            name: name.into(),
            is_bot,
        },
    };
    vec![
        a("100", "Alice", false),
        a("200", "Bob", false),
        a("900", "Answer Bot", true),
    ]
}

fn rating(id: &str, score: f64, scale: RatingScale, time: &str) -> RatingInput {
    RatingInput {
        source: SRC.into(),
        ticket_source: None,
        rating: Rating {
            external_id: id.into(),
            kind: RatingKind::Csat,
            score,
            scale,
            ticket_id: None,
            agent_id: None,
            comment: None,
            created_at: at(time),
        },
    }
}

fn report(tickets: Vec<TicketInput>) -> KpiReport {
    report_with(team(false), tickets, vec![])
}

fn report_with(
    team: TeamConfig,
    tickets: Vec<TicketInput>,
    ratings: Vec<RatingInput>,
) -> KpiReport {
    compute_report(
        &team,
        &w46(),
        &ReportInput {
            tickets,
            agents: agents(),
            ratings,
            ..ReportInput::default()
        },
    )
}

#[test]
fn internal_note_before_first_public_reply_is_not_a_response() {
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .note("100", "2026-11-10T09:10:00Z")
        .say(A, "100", "2026-11-10T09:30:00Z");
    let r = report(vec![t]);
    let frt = &r.kpis.first_response_time;
    // 09:00 → 09:30 = 1800 s; the 09:10 note is internal
    assert_eq!(frt.stats.n, 1);
    assert_eq!(frt.stats.median_seconds, Some(1800.0));
    assert_eq!(frt.stats.within_target, Some(1.0));
    assert_eq!(frt.waiting, 0);
    // one reply-time sample, the same 1800 s
    assert_eq!(r.kpis.reply_time.stats.n, 1);
    assert_eq!(r.kpis.reply_time.stats.mean_seconds, Some(1800.0));
}

#[test]
fn the_opening_message_is_never_a_reply() {
    // An agent logs a phone call: the agent's own first message opens the ticket.
    let t = ticket("1", "2026-11-10T10:00:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .say(C, "r1", "2026-11-10T11:00:00Z")
        .say(A, "100", "2026-11-10T11:30:00Z")
        .with(solved_at("2026-11-10T12:00:00Z"));
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert!(f.outbound);
    assert_eq!(f.human_replies, 1, "only the 11:30 message is a reply");
    let r = report(vec![t]);
    // outbound: counted in volume, solved, one-touch; not in response times
    assert_eq!(r.kpis.ticket_volume.value, 1);
    assert_eq!(r.kpis.solved.value, 1);
    assert_eq!(r.kpis.one_touch_resolution_rate.value, Some(1.0));
    assert_eq!(r.kpis.first_response_time.stats.n, 0);
    assert_eq!(r.kpis.first_response_time.waiting, 0);
    assert_eq!(r.kpis.reply_time.stats.n, 0);
}

#[test]
fn opened_by_agent_flag_wins_over_the_first_message() {
    let t = ticket("1", "2026-11-10T10:00:00Z")
        .say(C, "r1", "2026-11-10T10:00:00Z")
        .say(A, "100", "2026-11-10T10:30:00Z")
        .with(|t| t.opened_by_agent = Some(true));
    let r = report(vec![t]);
    assert_eq!(r.kpis.ticket_volume.value, 1);
    assert_eq!(r.kpis.first_response_time.stats.n, 0);
    assert_eq!(r.kpis.reply_time.stats.n, 0);
}

#[test]
fn a_run_of_customer_messages_is_timed_from_its_first_message() {
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:20:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .say(C, "r1", "2026-11-10T12:00:00Z")
        .say(A, "200", "2026-11-10T12:15:00Z")
        // a second agent message with no customer message before it is no sample
        .say(A, "100", "2026-11-10T12:20:00Z");
    let r = report(vec![t]);
    let rt = &r.kpis.reply_time.stats;
    // samples: 09:00 → 10:00 = 3600 (not 09:20 → 10:00), 12:00 → 12:15 = 900
    assert_eq!(rt.n, 2);
    // sorted [900, 3600]: median h = 0.5 → 900 + 0.5·2700 = 2250; mean the same
    assert_eq!(rt.median_seconds, Some(2250.0));
    assert_eq!(rt.mean_seconds, Some(2250.0));
    // p90 h = 0.9 → 900 + 0.9·2700 = 3330
    assert_eq!(rt.p90_seconds, Some(3330.0));
    // both ≤ 3600 (the first-response target)
    assert_eq!(rt.within_target, Some(1.0));
    assert_eq!(
        r.kpis.first_response_time.stats.median_seconds,
        Some(3600.0)
    );
}

#[test]
fn reopened_ticket_from_history() {
    let t = ticket("1", "2026-11-09T09:00:00Z")
        .say(C, "r1", "2026-11-09T09:00:00Z")
        .say(A, "100", "2026-11-09T09:30:00Z")
        .status(Some(Open), Solved, A, "2026-11-10T10:00:00Z")
        .status(Some(Solved), Open, U, "2026-11-11T08:00:00Z")
        .status(Some(Open), Solved, A, "2026-11-12T12:00:00Z");
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert_eq!(f.first_solved_at, Some(at("2026-11-10T10:00:00Z")));
    assert_eq!(f.final_solved_at, Some(at("2026-11-12T12:00:00Z")));
    assert_eq!(f.reopens, 1);
    assert!(!f.solved_by_automation);

    let r = report(vec![t]);
    assert_eq!(r.kpis.solved.value, 1);
    assert_eq!(r.kpis.reopen_rate.value, Some(1.0));
    assert_eq!(r.kpis.one_touch_resolution_rate.value, Some(1.0));
    // one touch but reopened: not a first-contact resolution
    assert_eq!(r.kpis.first_contact_resolution_rate.value, Some(0.0));
    // Mon 09:00 → Thu 12:00 = 3 d 3 h = 259200 + 10800 = 270000 s
    assert_eq!(r.kpis.resolution_time.stats.median_seconds, Some(270_000.0));
    assert_eq!(r.kpis.resolution_time.stats.within_target, Some(0.0));
    // Mon 09:00 → Tue 10:00 = 25 h = 90000 s
    assert_eq!(
        r.kpis.first_resolution_time.stats.median_seconds,
        Some(90_000.0)
    );
}

#[test]
fn history_without_from_uses_the_previous_state_and_closed_is_still_solved() {
    let t = ticket("1", "2026-11-09T09:00:00Z")
        .status(None, Pending, A, "2026-11-09T10:00:00Z")
        .status(None, Solved, A, "2026-11-09T11:00:00Z")
        // solved → closed is not a new solve
        .status(None, Closed, Sys, "2026-11-13T11:00:00Z");
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert_eq!(f.final_solved_at, Some(at("2026-11-09T11:00:00Z")));
    assert_eq!(f.reopens, 0);
    assert!(
        !f.solved_by_automation,
        "the solve was the agent's; closing is not solving"
    );
}

#[test]
fn without_history_two_solve_times_mean_a_reopen() {
    let t = ticket("1", "2026-11-09T09:00:00Z").with(|t| {
        t.status = Solved;
        t.first_solved_at = Some(at("2026-11-09T10:00:00Z"));
        t.final_solved_at = Some(at("2026-11-10T10:00:00Z"));
    });
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert_eq!(f.reopens, 1);
    // final solve only counts while the ticket is solved
    let open = t.with(|t| t.status = Open);
    let f = derive_facts(&open, &AgentIndex::new(&agents()));
    assert_eq!(f.final_solved_at, None);
    assert_eq!(f.first_solved_at, Some(at("2026-11-09T10:00:00Z")));
}

#[test]
fn first_reply_after_period_end_still_counts_for_a_ticket_created_in_it() {
    let t = ticket("1", "2026-11-15T23:00:00Z")
        .say(C, "r1", "2026-11-15T23:00:00Z")
        .say(A, "100", "2026-11-16T01:00:00Z");
    let r = report(vec![t]);
    // 23:00 → 01:00 = 7200 s, over the 1 h target
    assert_eq!(r.kpis.first_response_time.stats.n, 1);
    assert_eq!(
        r.kpis.first_response_time.stats.median_seconds,
        Some(7200.0)
    );
    assert_eq!(r.kpis.first_response_time.stats.within_target, Some(0.0));
    // the reply itself was made in W47: no reply-time sample in W46
    assert_eq!(r.kpis.reply_time.stats.n, 0);
}

#[test]
fn a_ticket_created_before_the_period_gives_no_first_response_but_its_replies_count() {
    let t = ticket("1", "2026-11-06T09:00:00Z")
        .say(C, "r1", "2026-11-06T09:00:00Z")
        .say(A, "100", "2026-11-06T09:10:00Z")
        .say(C, "r1", "2026-11-09T08:00:00Z")
        .say(A, "100", "2026-11-09T08:45:00Z");
    let r = report(vec![t]);
    assert_eq!(r.kpis.first_response_time.stats.n, 0);
    assert_eq!(r.kpis.ticket_volume.value, 0);
    // only the Monday sample: 08:00 → 08:45 = 2700 s
    assert_eq!(r.kpis.reply_time.stats.n, 1);
    assert_eq!(r.kpis.reply_time.stats.median_seconds, Some(2700.0));
}

#[test]
fn deleted_spam_and_merged_tickets_count_nowhere() {
    let base = |id: &str| {
        ticket(id, "2026-11-10T09:00:00Z")
            .say(C, "r1", "2026-11-10T09:00:00Z")
            .say(A, "100", "2026-11-10T09:05:00Z")
            .with(|t| t.assignee_id = Some("100".into()))
    };
    let mut tickets = vec![base("keep").with(solved_at("2026-11-10T10:00:00Z"))];
    for (id, status) in [("d", Deleted), ("s", Spam), ("m", Merged)] {
        tickets.push(base(id).with(|t| {
            t.status = status;
            t.final_solved_at = Some(at("2026-11-10T10:00:00Z"));
        }));
    }
    let mut on_spam = rating("x", 1.0, RatingScale::ONE_TO_FIVE, "2026-11-10T12:00:00Z");
    on_spam.rating.ticket_id = Some("s".into());
    let mut on_kept = rating("y", 5.0, RatingScale::ONE_TO_FIVE, "2026-11-10T12:00:00Z");
    on_kept.rating.ticket_id = Some("keep".into());
    let r = report_with(team(false), tickets, vec![on_spam, on_kept]);
    assert_eq!(r.kpis.ticket_volume.value, 1);
    assert_eq!(r.kpis.solved.value, 1);
    assert_eq!(r.kpis.backlog.value, 0);
    assert_eq!(r.kpis.first_response_time.stats.n, 1);
    assert_eq!(r.kpis.reply_time.stats.n, 1);
    assert_eq!(
        r.kpis.csat.n, 1,
        "the rating of the spam ticket is dropped with it"
    );
    assert_eq!(r.agents.len(), 1);
    assert_eq!(r.agents[0].solved, 1);
}

fn bot_first() -> TicketInput {
    ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(B, "900", "2026-11-10T09:01:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .with(solved_at("2026-11-10T11:00:00Z"))
}

#[test]
fn bot_replies_do_not_count_by_default() {
    let r = report_with(team(false), vec![bot_first()], vec![]);
    // the human at 10:00 answers: 3600 s for both first response and the reply sample
    assert_eq!(
        r.kpis.first_response_time.stats.median_seconds,
        Some(3600.0)
    );
    assert_eq!(r.kpis.reply_time.stats.n, 1);
    assert_eq!(r.kpis.reply_time.stats.median_seconds, Some(3600.0));
    // a bot plus a human reply: one touch by a human, not automated
    assert_eq!(r.kpis.one_touch_resolution_rate.value, Some(1.0));
    assert_eq!(r.kpis.automated_resolution_rate.value, Some(0.0));
}

#[test]
fn bot_replies_count_when_the_team_says_so() {
    let r = report_with(team(true), vec![bot_first()], vec![]);
    // the bot at 09:01 answers: 60 s; it ends the run, so the human's 10:00 is no sample
    assert_eq!(r.kpis.first_response_time.stats.median_seconds, Some(60.0));
    assert_eq!(r.kpis.reply_time.stats.n, 1);
    assert_eq!(r.kpis.reply_time.stats.median_seconds, Some(60.0));
    // human-agent counts do not change with the setting
    assert_eq!(r.kpis.one_touch_resolution_rate.value, Some(1.0));
}

#[test]
fn unknown_authors_resolve_against_the_agents_of_the_source() {
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(U, "555", "2026-11-10T09:00:00Z") // not an agent: the customer
        .say(U, "900", "2026-11-10T09:02:00Z") // the bot account
        .say(U, "100", "2026-11-10T09:30:00Z") // Alice
        .say(A, "900", "2026-11-10T09:40:00Z"); // "agent" but a bot account
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert!(!f.outbound);
    assert_eq!((f.human_replies, f.bot_replies), (1, 2));
    assert_eq!(f.first_human_reply_at, Some(at("2026-11-10T09:30:00Z")));
    // in another source the same ids are nobody we know: the unknown authors are customers,
    // and the message the connector marked as an agent's stays an agent's
    let mut other = t.clone();
    other.source = "freshdesk".into();
    let f = derive_facts(&other, &AgentIndex::new(&agents()));
    assert_eq!((f.human_replies, f.bot_replies), (1, 0));
    assert_eq!(f.first_human_reply_at, Some(at("2026-11-10T09:40:00Z")));
}

#[test]
fn automated_resolutions() {
    // no reply, solved by a trigger (system)
    let by_trigger = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .status(Some(Open), Solved, Sys, "2026-11-10T09:05:00Z");
    // a bot answered, the customer's own "thanks" closes it (the requester is no agent)
    let by_bot_reply = ticket("2", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(B, "900", "2026-11-10T09:01:00Z")
        .status(Some(Open), Solved, U, "2026-11-10T09:10:00Z");
    // a human replied, then a trigger solved it: not automated
    let human_then_trigger = ticket("3", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T09:20:00Z")
        .status(Some(Open), Solved, Sys, "2026-11-12T09:00:00Z");
    // solved by Alice with no reply at all: neither one-touch nor automated
    let silent = ticket("4", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .status(Some(Open), Solved, A, "2026-11-10T09:30:00Z");
    let f = derive_facts(&by_trigger, &AgentIndex::new(&agents()));
    assert!(f.solved_by_automation);

    let r = report(vec![by_trigger, by_bot_reply, human_then_trigger, silent]);
    assert_eq!(r.kpis.solved.value, 4);
    // tickets 1 and 2 of 4
    assert_eq!(r.kpis.automated_resolution_rate.n, 4);
    assert_eq!(r.kpis.automated_resolution_rate.value, Some(0.5));
    // only ticket 3 had exactly one human reply
    assert_eq!(r.kpis.one_touch_resolution_rate.value, Some(0.25));
    // tickets 1, 2 and 4 are solved without a human response: neither sampled nor waiting
    assert_eq!(r.kpis.first_response_time.stats.n, 1);
    assert_eq!(r.kpis.first_response_time.waiting, 0);
}

#[test]
fn unanswered_tickets_are_counted_as_waiting() {
    let t = ticket("1", "2026-11-10T09:00:00Z").say(C, "r1", "2026-11-10T09:00:00Z");
    let r = report(vec![t]);
    let frt = &r.kpis.first_response_time;
    assert_eq!(frt.waiting, 1);
    assert_eq!(frt.stats.n, 0);
    assert_eq!(frt.stats.median_seconds, None);
    assert_eq!(r.kpis.backlog.value, 1);
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(
        j["kpis"]["first_response_time"],
        serde_json::json!({"n": 0, "median_seconds": null, "mean_seconds": null,
                           "p90_seconds": null, "within_target": null, "waiting": 1})
    );
}

#[test]
fn no_data_gives_n_zero_and_nulls_never_a_made_up_zero() {
    let r = report(vec![]);
    let j = serde_json::to_value(&r).unwrap();
    let k = &j["kpis"];
    assert_eq!(
        k["ticket_volume"]["value"], 0,
        "zero tickets is a real count"
    );
    for key in [
        "reply_time",
        "resolution_time",
        "first_resolution_time",
        "first_response_time",
    ] {
        assert_eq!(k[key]["n"], 0, "{key}");
        for v in [
            "median_seconds",
            "mean_seconds",
            "p90_seconds",
            "within_target",
        ] {
            assert!(k[key][v].is_null(), "{key}.{v}");
        }
    }
    for key in [
        "one_touch_resolution_rate",
        "first_contact_resolution_rate",
        "automated_resolution_rate",
        "reopen_rate",
    ] {
        assert_eq!(k[key], serde_json::json!({"n": 0, "value": null}), "{key}");
    }
    assert_eq!(
        k["csat"],
        serde_json::json!({"n": 0, "value": null, "mean": null, "distribution": null})
    );
    assert_eq!(j["agents"], serde_json::json!([]));
    // every day of the week is there, at zero
    assert_eq!(r.kpis.ticket_volume.by_day.len(), 7);
    assert!(r.kpis.ticket_volume.by_day.values().all(|&n| n == 0));
}

#[test]
fn backlog_is_the_state_at_the_end_of_the_period() {
    // solved in W45, reopened in W47: solved at the end of W46 → not backlog
    let reopened_later = ticket("1", "2026-11-02T09:00:00Z")
        .status(Some(Open), Solved, A, "2026-11-03T09:00:00Z")
        .status(Some(Solved), Open, U, "2026-11-17T09:00:00Z");
    // solved in W45, reopened in W46, still open → backlog
    let reopened_inside = ticket("2", "2026-11-02T09:00:00Z")
        .status(Some(Open), Solved, A, "2026-11-03T09:00:00Z")
        .status(Some(Solved), Open, U, "2026-11-10T09:00:00Z");
    // solved in W46 and reopened in W47: not backlog, and not solved either (its final
    // solve — there is none now — is what "solved" counts)
    let solved_then_reopened = ticket("3", "2026-11-09T09:00:00Z")
        .status(Some(Open), Solved, A, "2026-11-12T09:00:00Z")
        .status(Some(Solved), Open, U, "2026-11-18T09:00:00Z");
    // pending and on-hold are backlog alike
    let pending = ticket("4", "2026-11-09T09:00:00Z").with(|t| t.status = Pending);
    // created after the end: not backlog
    let later = ticket("5", "2026-11-16T00:00:00Z");
    // solved exactly at the end instant: solved at `end` → not backlog, and not solved in
    // W46 (the period is half-open)
    let at_end = ticket("6", "2026-11-13T09:00:00Z").with(solved_at("2026-11-16T00:00:00Z"));
    let r = report(vec![
        reopened_later,
        reopened_inside,
        solved_then_reopened,
        pending,
        later,
        at_end,
    ]);
    // tickets 2 and 4
    assert_eq!(r.kpis.backlog.value, 2);
    assert_eq!(r.kpis.solved.value, 0);
}

#[test]
fn by_day_follows_local_dates_across_a_dst_change() {
    // Europe/Berlin leaves summer time on Sun 2026-10-25 (03:00 CEST → 02:00 CET).
    // W43 runs from Mon 2026-10-19 00:00 CEST (= 10-18 22:00Z) to Mon 10-26 00:00 CET
    // (= 10-25 23:00Z): 169 hours.
    let period = "2026-W43"
        .parse::<PeriodSpec>()
        .unwrap()
        .in_zone(chrono_tz::Europe::Berlin);
    assert_eq!((period.end - period.start).num_hours(), 169);
    let tickets = vec![
        ticket("1", "2026-10-18T22:30:00Z"), // Mon 10-19 00:30 CEST
        ticket("2", "2026-10-25T00:30:00Z"), // Sun 10-25 02:30 CEST (before the change)
        ticket("3", "2026-10-25T22:30:00Z"), // Sun 10-25 23:30 CET
        ticket("4", "2026-10-25T23:30:00Z"), // Mon 10-26 00:30 CET: next week
        ticket("5", "2026-10-18T21:30:00Z"), // Sun 10-18 23:30 CEST: previous week
    ];
    let input = ReportInput {
        tickets,
        agents: agents(),
        ratings: vec![],
        ..ReportInput::default()
    };
    let r = compute_report(&team(false), &period, &input);
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let days: Vec<(NaiveDate, u64)> = r.kpis.ticket_volume.by_day.clone().into_iter().collect();
    assert_eq!(
        days,
        vec![
            (d("2026-10-19"), 1),
            (d("2026-10-20"), 0),
            (d("2026-10-21"), 0),
            (d("2026-10-22"), 0),
            (d("2026-10-23"), 0),
            (d("2026-10-24"), 0),
            (d("2026-10-25"), 2),
        ]
    );
    assert_eq!(r.kpis.ticket_volume.value, 3);
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["period"]["start"], "2026-10-18T22:00:00Z");
    assert_eq!(j["period"]["end"], "2026-10-25T23:00:00Z");
    assert_eq!(j["period"]["timezone"], "Europe/Berlin");
    assert_eq!(j["kpis"]["ticket_volume"]["by_day"]["2026-10-25"], 2);
}

#[test]
fn csat_counts_satisfied_responses_of_every_scale() {
    let five = RatingScale::ONE_TO_FIVE;
    let good_bad = RatingScale::BINARY;
    let mut nps = rating(
        "nps",
        10.0,
        RatingScale::ZERO_TO_TEN,
        "2026-11-10T12:00:00Z",
    );
    nps.rating.kind = RatingKind::Nps;
    let mut other_source = rating("o", 9.0, RatingScale::ZERO_TO_TEN, "2026-11-10T12:00:00Z");
    other_source.source = "freshdesk".into();
    let ratings = vec![
        rating("a", 5.0, five, "2026-11-09T00:00:00Z"), // first instant of the period
        rating("b", 4.0, five, "2026-11-10T12:00:00Z"),
        rating("c", 3.0, five, "2026-11-10T12:00:00Z"),
        rating("d", 1.0, good_bad, "2026-11-10T12:00:00Z"),
        rating("e", 0.0, good_bad, "2026-11-10T12:00:00Z"),
        other_source,
        nps,                                               // not CSAT
        rating("late", 5.0, five, "2026-11-16T00:00:00Z"), // W47
    ];
    let r = report_with(team(false), vec![], ratings);
    let c = &r.kpis.csat;
    // a, b, c, d, e, o = 6 responses; satisfied: a (1.0), b (0.75), d (1.0), o (0.9) = 4
    assert_eq!(c.n, 6);
    assert_eq!(c.value, Some(4.0 / 6.0));
    // mean on 1–5 over numeric scales: 5, 4, 3 and 9/10 → 1 + 4·0.9 = 4.6;
    // (5 + 4 + 3 + 4.6) / 4 = 16.6 / 4 = 4.15
    assert!((c.mean.unwrap() - 4.15).abs() < 1e-9, "{:?}", c.mean);
    // bands of the numeric answers: 5 → very positive, 4 → positive, 3 → neutral;
    // 9 of 0–10 → 0.9·4 = 3.6 → 4 → very positive
    let bands = c.distribution.clone().unwrap();
    assert_eq!(
        (
            bands.very_positive,
            bands.positive,
            bands.neutral,
            bands.negative,
            bands.very_negative
        ),
        (2, 1, 1, 0, 0)
    );
    // good/bad only: no mean
    let r = report_with(
        team(false),
        vec![],
        vec![rating("d", 1.0, good_bad, "2026-11-10T12:00:00Z")],
    );
    assert_eq!(
        (r.kpis.csat.n, r.kpis.csat.value, r.kpis.csat.mean),
        (1, Some(1.0), None)
    );
    assert_eq!(r.kpis.csat.distribution, None);
}

#[test]
fn agents_table() {
    let solved_by = |id: &str, assignee: &str, replies: usize, created: &str, solved: &str| {
        let mut t = ticket(id, created).say(C, "r1", created);
        for i in 0..replies {
            t = t.say(A, assignee, &format!("2026-11-10T1{i}:00:00Z"));
        }
        t.with(|t| t.assignee_id = Some(assignee.into()))
            .with(solved_at(solved))
    };
    let tickets = vec![
        solved_by(
            "1",
            "100",
            1,
            "2026-11-10T09:00:00Z",
            "2026-11-10T13:00:00Z",
        ),
        solved_by(
            "2",
            "100",
            2,
            "2026-11-10T08:00:00Z",
            "2026-11-10T14:00:00Z",
        ),
        solved_by(
            "3",
            "300",
            1,
            "2026-11-10T09:00:00Z",
            "2026-11-10T11:00:00Z",
        ),
        solved_by(
            "4",
            "200",
            1,
            "2026-11-10T09:30:00Z",
            "2026-11-10T11:00:00Z",
        ),
        // solved last week: nobody's row
        solved_by(
            "5",
            "200",
            1,
            "2026-11-02T09:00:00Z",
            "2026-11-02T11:00:00Z",
        ),
        // unassigned: in the team's numbers, in no row
        ticket("6", "2026-11-10T09:00:00Z").with(solved_at("2026-11-10T09:10:00Z")),
    ];
    let mut r1 = rating("r1", 5.0, RatingScale::ONE_TO_FIVE, "2026-11-10T15:00:00Z");
    r1.rating.agent_id = Some("100".into());
    let mut r2 = rating("r2", 2.0, RatingScale::ONE_TO_FIVE, "2026-11-10T15:00:00Z");
    r2.rating.agent_id = Some("100".into());
    let r = report_with(team(false), tickets, vec![r1, r2]);
    assert_eq!(r.kpis.solved.value, 5);
    let rows: Vec<(&str, &str, u64)> = r
        .agents
        .iter()
        .map(|a| (&*a.id, &*a.name, a.solved))
        .collect();
    // Alice 2, then Bob and the unknown 300 with 1 each, by id
    assert_eq!(
        rows,
        vec![
            ("zendesk-main:100", "Alice", 2),
            ("zendesk-main:200", "Bob", 1),
            ("zendesk-main:300", "300", 1),
        ]
    );
    let alice = &r.agents[0];
    // first replies at 10:00: ticket 1 09:00 → 3600, ticket 2 08:00 → 7200; median 5400
    assert_eq!(alice.first_response_time.n, 2);
    assert_eq!(alice.first_response_time.median_seconds, Some(5400.0));
    // resolution: 1: 09:00 → 13:00 = 14400; 2: 08:00 → 14:00 = 21600; mean 18000
    assert_eq!(alice.resolution_time.mean_seconds, Some(18000.0));
    assert_eq!(alice.resolution_time.within_target, Some(1.0));
    // one reply on ticket 1, two on ticket 2 → 1/2
    assert_eq!(alice.one_touch_resolution_rate.value, Some(0.5));
    // 5 of 5 satisfied, 2 of 5 not → 1/2; mean (5 + 2) / 2 = 3.5
    assert_eq!(
        (alice.csat.n, alice.csat.value, alice.csat.mean),
        (2, Some(0.5), Some(3.5))
    );
    assert_eq!(r.agents[1].csat.n, 0);
}

#[test]
fn an_answer_for_an_agent_who_solved_nothing_this_week_has_a_row() {
    // Carol (400) solved ticket 7 last week; its survey was answered this week. The team
    // counts the answer, and so does Carol's row: 0 solved, CSAT 1 of 1.
    let t = ticket("7", "2026-11-02T09:00:00Z")
        .say(C, "r1", "2026-11-02T09:00:00Z")
        .say(A, "400", "2026-11-02T10:00:00Z")
        .with(|t| t.assignee_id = Some("400".into()))
        .with(solved_at("2026-11-02T11:00:00Z"));
    let mut answer = rating("r7", 5.0, RatingScale::ONE_TO_FIVE, "2026-11-10T15:00:00Z");
    answer.rating.agent_id = Some("400".into());
    let r = report_with(team(false), vec![t], vec![answer]);
    assert_eq!(r.kpis.csat.n, 1);
    let rows: Vec<(&str, u64, u64, Option<f64>)> = r
        .agents
        .iter()
        .map(|a| (&*a.id, a.solved, a.csat.n, a.csat.value))
        .collect();
    assert_eq!(rows, vec![("zendesk-main:400", 0, 1, Some(1.0))]);
    assert_eq!(r.agents[0].first_response_time.n, 0);
}

#[test]
fn volume_by_channel() {
    let tickets = vec![
        ticket("1", "2026-11-09T09:00:00Z"),
        ticket("2", "2026-11-10T09:00:00Z").with(|t| t.channel = Channel::Chat),
        ticket("3", "2026-11-10T10:00:00Z").with(|t| t.channel = Channel::Chat),
        ticket("4", "2026-11-08T23:59:59Z"), // Sunday of W45
    ];
    let r = report(tickets);
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["kpis"]["ticket_volume"]["value"], 3);
    assert_eq!(
        j["kpis"]["ticket_volume"]["by_channel"],
        serde_json::json!({"chat": 2, "email": 1})
    );
    assert_eq!(j["kpis"]["ticket_volume"]["by_day"]["2026-11-09"], 1);
    assert_eq!(j["kpis"]["ticket_volume"]["by_day"]["2026-11-10"], 2);
    assert_eq!(j["kpis"]["ticket_volume"]["by_day"]["2026-11-15"], 0);
}

#[test]
fn json_contract_shape_and_round_trip() {
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T09:45:00Z")
        .with(|t| t.assignee_id = Some("100".into()))
        .with(solved_at("2026-11-10T11:05:00Z"));
    let mut csat = rating("a", 5.0, RatingScale::ONE_TO_FIVE, "2026-11-10T12:00:00Z");
    csat.rating.agent_id = Some("100".into());
    let r = report_with(team(false), vec![t], vec![csat]);
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(
        j["period"],
        serde_json::json!({"label": "2026-W46", "start": "2026-11-09T00:00:00Z",
                           "end": "2026-11-16T00:00:00Z", "timezone": "UTC"})
    );
    assert_eq!(j["team"], "support");
    let k = &j["kpis"];
    assert_eq!(k["solved"], serde_json::json!({"n": 1, "value": 1}));
    assert_eq!(k["backlog"], serde_json::json!({"n": 0, "value": 0}));
    // 09:00 → 09:45 = 2700 s, written as an integer
    assert_eq!(
        serde_json::to_string(&k["first_response_time"]).unwrap(),
        r#"{"mean_seconds":2700,"median_seconds":2700,"n":1,"p90_seconds":2700,"waiting":0,"within_target":1}"#
    );
    // 09:00 → 11:05 = 7500 s
    assert_eq!(k["resolution_time"]["median_seconds"], 7500);
    assert_eq!(
        k["one_touch_resolution_rate"],
        serde_json::json!({"n": 1, "value": 1})
    );
    assert_eq!(
        k["csat"],
        serde_json::json!({"n": 1, "value": 1, "mean": 5, "distribution": {"very_positive": 1,
            "positive": 0, "neutral": 0, "negative": 0, "very_negative": 0}})
    );
    let agent = &j["agents"][0];
    assert_eq!(agent["id"], "zendesk-main:100");
    assert_eq!(agent["name"], "Alice");
    assert_eq!(agent["solved"], 1);
    for key in [
        "first_response_time",
        "resolution_time",
        "one_touch_resolution_rate",
        "csat",
    ] {
        assert!(agent[key].is_object(), "{key}");
    }
    let back: KpiReport = serde_json::from_value(j).unwrap();
    assert_eq!(back, r);
}

#[test]
fn text_rendering() {
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T09:45:00Z")
        .with(|t| t.assignee_id = Some("100".into()))
        .with(solved_at("2026-11-10T11:05:00Z"));
    let waiting = ticket("2", "2026-11-11T09:00:00Z").say(C, "r1", "2026-11-11T09:00:00Z");
    let text = render_text(&report(vec![t, waiting]));
    for want in [
        "support — 2026-W46",
        "2 created · 1 solved · 1 in backlog",
        "email 2",
        "median 45m",
        "1 waiting",
        "median 2h 05m", // resolution 7500 s
        "100% (n=1)",    // one-touch
        "CSAT              – (n=0)",
        "Alice",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn a_ticket_opened_by_a_bot_is_outbound() {
    // a proactive chat: the bot writes first, the customer answers, a human follows up
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(B, "900", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:05:00Z")
        .say(A, "100", "2026-11-10T09:20:00Z");
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert!(f.outbound);
    // the bot's opening message is no reply
    assert_eq!((f.human_replies, f.bot_replies), (1, 0));
    let r = report_with(team(true), vec![t], vec![]);
    assert_eq!(r.kpis.ticket_volume.value, 1);
    assert_eq!(r.kpis.first_response_time.stats.n, 0);
    assert_eq!(r.kpis.reply_time.stats.n, 0);
}

#[test]
fn a_solved_ticket_without_a_solve_time_leaves_the_backlog_but_is_not_solved() {
    // solved now, no history, no solve times; last updated Tue of W46
    let t = ticket("1", "2026-11-02T09:00:00Z").with(|t| {
        t.status = Solved;
        t.updated_at = at("2026-11-10T09:00:00Z");
    });
    let r = report(vec![t.clone()]);
    assert_eq!(r.kpis.backlog.value, 0);
    assert_eq!(r.kpis.solved.value, 0);
    assert_eq!(r.kpis.resolution_time.stats.n, 0);
    // at the end of W45 it may not have been solved yet: backlog then
    let w45 = "2026-W45"
        .parse::<PeriodSpec>()
        .unwrap()
        .in_zone(chrono_tz::UTC);
    let input = ReportInput {
        tickets: vec![t],
        agents: agents(),
        ratings: vec![],
        ..ReportInput::default()
    };
    assert_eq!(
        compute_report(&team(false), &w45, &input)
            .kpis
            .backlog
            .value,
        1
    );
}

#[test]
fn a_private_note_before_the_customer_message_does_not_open_the_ticket() {
    // An agent's internal note is stored first (it was added while the e-mail was still
    // being parsed): the ticket is still the customer's, and the agent's first public
    // message is the first response.
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .note("100", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:01Z")
        .say(A, "100", "2026-11-10T09:40:01Z");
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert!(!f.outbound);
    assert_eq!(f.human_replies, 1);
    let r = report(vec![t]);
    // first response runs from the ticket's creation: 09:00:00 → 09:40:01 = 2401 s
    assert_eq!(
        r.kpis.first_response_time.stats.median_seconds,
        Some(2401.0)
    );
}

#[test]
fn a_private_customer_message_before_the_public_one_does_not_open_the_ticket() {
    // The customer's e-mail reached an agent first and was put on the ticket as a private
    // comment in the customer's name (Zendesk keeps the requester as its author, `public:
    // false`); the agent wrote to the customer, who then wrote publicly. The API says the
    // customer opened the ticket, so the opening is the first *public* customer message
    // (09:10): the agent's message before it answers nothing, the reply at 09:40 is the
    // first one.
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T09:05:00Z")
        .say(C, "r1", "2026-11-10T09:10:00Z")
        .say(A, "100", "2026-11-10T09:40:00Z")
        .with(|t| t.opened_by_agent = Some(false));
    let mut t = t;
    t.messages[0].public = false;
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert!(!f.outbound);
    // Had the private message opened it, 09:05 would be a reply (2 replies, the first
    // 5 minutes after creation).
    assert_eq!(f.human_replies, 1);
    let r = report(vec![t]);
    // first response from the ticket's creation: 09:00:00 → 09:40:00 = 2400 s
    assert_eq!(
        r.kpis.first_response_time.stats.median_seconds,
        Some(2400.0)
    );
}

#[test]
fn an_auto_response_stamped_in_the_same_second_does_not_open_the_ticket() {
    // The trigger's auto-response carries the same second as the customer's message and
    // would sort first by id: the customer's message opens the ticket all the same.
    let mut t = ticket("1", "2026-11-10T09:00:00Z")
        .say(B, "900", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z");
    t.messages[0].external_id = "a-auto".into();
    t.messages[1].external_id = "b-customer".into();
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert!(!f.outbound, "the auto-response must not make it outbound");
    assert_eq!((f.human_replies, f.bot_replies), (1, 1));
    assert_eq!(f.first_bot_reply_at, Some(at("2026-11-10T09:00:00Z")));
    let r = report(vec![t]);
    assert_eq!(
        r.kpis.first_response_time.stats.median_seconds,
        Some(3600.0)
    );
}

#[test]
fn team_messages_before_the_customer_opened_the_ticket_are_no_replies() {
    // The API says the customer opened it (opened_by_agent = false), although a bot's
    // greeting is stored before the customer's first message.
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(B, "900", "2026-11-10T08:59:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T09:30:00Z")
        .with(|t| t.opened_by_agent = Some(false));
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert!(!f.outbound);
    assert_eq!((f.human_replies, f.bot_replies), (1, 0));
    assert_eq!(f.first_bot_reply_at, None);
}

#[test]
fn the_current_status_wins_when_the_history_still_says_solved() {
    // History: solved Tue 12:00. The ticket is open now (updated Wed 08:00): a reopen the
    // history has not shown yet.
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .status(Some(Open), Solved, A, "2026-11-10T12:00:00Z")
        .with(|t| {
            t.status = Open;
            t.updated_at = at("2026-11-11T08:00:00Z");
        });
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert_eq!((f.reopens, f.solved_now), (1, false));
    assert_eq!(f.first_solved_at, Some(at("2026-11-10T12:00:00Z")));
    assert_eq!(f.final_solved_at, None);
    assert!(f.is_open_at(at("2026-11-11T09:00:00Z")));
    assert!(!f.is_open_at(at("2026-11-10T13:00:00Z")));
    let r = report(vec![t]);
    assert_eq!((r.kpis.solved.value, r.kpis.backlog.value), (0, 1));
}

#[test]
fn the_current_status_wins_when_the_history_misses_the_solve() {
    // History: opened, never solved. The ticket is solved now, with the API's own solve
    // time Wed 15:00 (updated later, Thu 09:00).
    let t = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .status(None, Open, A, "2026-11-10T09:00:00Z")
        .with(|t| {
            t.status = Solved;
            t.final_solved_at = Some(at("2026-11-11T15:00:00Z"));
            t.updated_at = at("2026-11-12T09:00:00Z");
        });
    let f = derive_facts(&t, &AgentIndex::new(&agents()));
    assert!(f.solved_now);
    assert_eq!(f.final_solved_at, Some(at("2026-11-11T15:00:00Z")));
    assert_eq!(f.reopens, 0);
    let r = report(vec![t]);
    assert_eq!(r.kpis.solved.value, 1);
    // 09:00 Tue → 15:00 Wed = 30 h = 108000 s
    assert_eq!(r.kpis.resolution_time.stats.median_seconds, Some(108_000.0));
}

#[test]
fn kpis_a_source_cannot_support_are_left_out_with_a_note() {
    use deskpulse_metrics::SourceLimit;
    // Two solved tickets: one from a source that keeps status history (reopened once), one
    // from a source that keeps none (its "0 reopens" is not knowledge, it is absence).
    let zd = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .status(Some(Open), Solved, A, "2026-11-10T11:00:00Z")
        .status(Some(Solved), Open, C, "2026-11-10T12:00:00Z")
        .status(Some(Open), Solved, A, "2026-11-10T13:00:00Z");
    let mut gorgias = ticket("g1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .with(solved_at("2026-11-10T11:00:00Z"));
    gorgias.source = "gorgias-main".into();
    let limit = |kpi: &str| SourceLimit {
        source: "gorgias-main".into(),
        kpi: kpi.into(),
        reason: "Gorgias keeps no status history".into(),
    };
    let limits = vec![
        limit("reopen_rate"),
        limit("first_contact_resolution_rate"),
        limit("first_resolution_time"),
    ];
    let input = |tickets| ReportInput {
        tickets,
        agents: agents(),
        limits: limits.clone(),
        ..ReportInput::default()
    };
    let r = compute_report(&team(false), &w46(), &input(vec![zd, gorgias.clone()]));
    let k = &r.kpis;
    assert_eq!(k.solved.value, 2);
    // Over the Zendesk ticket only: reopened (1/1), not a first-contact resolution (0/1).
    assert_eq!((k.reopen_rate.n, k.reopen_rate.value), (1, Some(1.0)));
    assert_eq!(
        (
            k.first_contact_resolution_rate.n,
            k.first_contact_resolution_rate.value
        ),
        (1, Some(0.0))
    );
    assert_eq!(k.first_resolution_time.stats.n, 1);
    let note = k.reopen_rate.note.as_deref().unwrap();
    assert!(
        note.contains("gorgias-main: Gorgias keeps no status history"),
        "{note}"
    );
    // Both tickets count where the source can tell.
    assert_eq!(k.one_touch_resolution_rate.n, 2);
    assert_eq!(k.resolution_time.stats.n, 2);
    assert_eq!(k.first_contact_resolution_rate.note, k.reopen_rate.note);

    // A team with only the limited source: null with n = 0 and the note, never a zero.
    let r = compute_report(&team(false), &w46(), &input(vec![gorgias]));
    let json = serde_json::to_value(&r).unwrap();
    let reopen = &json["kpis"]["reopen_rate"];
    assert_eq!(reopen["n"], 0);
    assert!(reopen["value"].is_null());
    assert!(reopen["note"].as_str().unwrap().contains("gorgias-main"));
    assert_eq!(json["kpis"]["first_resolution_time"]["n"], 0);
    assert!(json["kpis"]["first_resolution_time"]["median_seconds"].is_null());
    // KPIs without limits carry no note key at all (the contract only grows).
    assert!(
        json["kpis"]["one_touch_resolution_rate"]
            .get("note")
            .is_none()
    );
}

#[test]
fn after_a_reopen_without_history_the_first_resolution_is_unknown() {
    // Freshdesk keeps only the last resolution (`resolved_at`) and that the ticket was
    // reopened (`reopened_at`): the first resolution is not the final one.
    let reopened = ticket("1", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .with(|t| {
            t.status = Solved;
            t.final_solved_at = Some(at("2026-11-11T09:00:00Z"));
            t.reopens = Some(1);
        });
    // Known never reopened: the final solve is the first one.
    let once = ticket("2", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .with(|t| {
            t.status = Solved;
            t.final_solved_at = Some(at("2026-11-10T11:00:00Z"));
            t.reopens = Some(0);
        });
    // No reopen count at all: unknown too.
    let unknown = ticket("3", "2026-11-10T09:00:00Z")
        .say(C, "r1", "2026-11-10T09:00:00Z")
        .say(A, "100", "2026-11-10T10:00:00Z")
        .with(|t| {
            t.status = Solved;
            t.final_solved_at = Some(at("2026-11-10T12:00:00Z"));
        });
    let r = report(vec![reopened, once, unknown]);
    assert_eq!(r.kpis.resolution_time.stats.n, 3);
    // only ticket 2: 09:00 → 11:00 = 7200 s
    assert_eq!(r.kpis.first_resolution_time.stats.n, 1);
    assert_eq!(
        r.kpis.first_resolution_time.stats.median_seconds,
        Some(7200.0)
    );
    assert_eq!(
        (r.kpis.reopen_rate.n, r.kpis.reopen_rate.value),
        (3, Some(1.0 / 3.0))
    );
}
