//! The generator: deterministic for a seed, realistic in shape, and its ground truth
//! internally consistent.

use chrono::{Datelike, Timelike, Weekday};
use deskpulse_model::{AuthorKind, TicketStatus};
use deskpulse_simulator::{DataConfig, Dataset, Exclusion, SYSTEM, SimConfig, TrueScore};

fn cfg(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        data: DataConfig {
            days: 60,
            tickets_per_day: 40.0,
            ..DataConfig::default()
        },
        ..SimConfig::default()
    }
}

#[test]
fn the_generator_is_deterministic_for_a_seed() {
    let a = Dataset::generate(&cfg(7));
    let b = Dataset::generate(&cfg(7));
    let c = Dataset::generate(&cfg(8));
    assert_eq!(a.truth(), b.truth());
    assert_eq!(a.record_counts(), b.record_counts());
    assert_ne!(a.truth(), c.truth());
}

#[test]
fn the_ground_truth_is_internally_consistent() {
    let data = Dataset::generate(&cfg(1));
    let truth = data.truth();
    let now = data.now();
    assert!(truth.ticket_count() > 1500);
    for (i, t) in truth.tickets.iter().enumerate() {
        assert_eq!(t.id, i as i64 + 1);
        assert!(t.created_at < now && t.updated_at < now);
        assert!(t.updated_at >= t.created_at);
        assert_eq!(t.created_at.nanosecond(), 0);
        // Messages and transitions in time order, starting at creation.
        let first = t.messages.first().expect("an opening message");
        assert_eq!(first.at, t.created_at);
        assert!(first.public);
        assert!(t.messages.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(t.transitions.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(t.messages.iter().all(|m| m.at <= t.updated_at));
        if t.outbound {
            assert_eq!(first.author_kind, AuthorKind::Agent, "ticket {}", t.id);
            assert_eq!(first.author_id, t.submitter);
            assert_ne!(t.submitter, t.requester);
        } else {
            assert_eq!(first.author_kind, AuthorKind::Customer, "ticket {}", t.id);
            assert_eq!(t.submitter, t.requester);
        }
        let create = &t.transitions[0];
        assert_eq!(create.from, None);
        assert_eq!(create.at, t.created_at);
        for w in t.transitions.windows(2) {
            assert_eq!(
                w[1].from,
                Some(w[0].to),
                "ticket {}: chained transitions",
                t.id
            );
            assert_ne!(w[1].from, Some(w[1].to));
        }
        // Reopens are transitions out of solved into an unsolved status.
        let reopens = t
            .transitions
            .iter()
            .filter(|x| {
                x.from == Some(TicketStatus::Solved) && !x.to.is_solved() && !x.to.is_excluded()
            })
            .count();
        assert_eq!(t.reopens as usize, reopens);
        // Solves.
        let solves: Vec<_> = t
            .transitions
            .iter()
            .filter(|x| x.to == TicketStatus::Solved)
            .collect();
        assert_eq!(t.first_solved_at, solves.first().map(|x| x.at));
        let last = t.transitions.last().expect("transitions").to;
        match t.excluded {
            Some(Exclusion::Deleted | Exclusion::Spam) => {
                assert_eq!(t.status, TicketStatus::Deleted);
                assert_eq!(t.vendor_status, "deleted");
                assert_eq!(last, TicketStatus::Deleted);
            }
            Some(Exclusion::Merged) => {
                assert_eq!(t.status, TicketStatus::Merged);
                assert_eq!(t.vendor_status, "closed");
                assert!(t.tags.contains(&"closed_by_merge"));
            }
            None => {
                assert_eq!(t.status, last);
                assert!(!t.tags.contains(&"closed_by_merge"));
            }
        }
        if t.excluded.is_none() && t.status.is_solved() {
            let fin = t
                .final_solved_at
                .expect("a solved ticket has a final solve");
            assert_eq!(Some(fin), solves.last().map(|x| x.at));
            assert!(fin >= t.first_solved_at.expect("first solve"));
        } else {
            assert_eq!(t.final_solved_at, None, "ticket {}", t.id);
        }
        if t.reopens > 0 {
            assert!(t.final_solved_at.is_none() || t.final_solved_at > t.first_solved_at);
        }
        if t.bot_answered {
            assert!(t.messages.iter().any(|m| m.author_kind == AuthorKind::Bot));
        }
        if t.automation_solved {
            assert!(
                t.transitions
                    .iter()
                    .any(|x| x.to == TicketStatus::Solved && x.by_kind == AuthorKind::System)
            );
        }
        for m in &t.messages {
            match m.author_kind {
                AuthorKind::Customer => assert_eq!(m.author_id, t.requester),
                AuthorKind::Agent => assert!(truth.agents.iter().any(|a| a.id == m.author_id)),
                // Zendesk attributes a trigger's comment to the assignee, else to the system
                // user (support.zendesk.com/hc/zh-cn/articles/6191477770906).
                AuthorKind::Bot => assert!(
                    m.author_id == SYSTEM || Some(m.author_id) == t.assignee,
                    "ticket {}: bot comment by {}",
                    t.id,
                    m.author_id
                ),
                other => panic!("unexpected author kind {other:?}"),
            }
            assert!(
                m.public || m.author_kind == AuthorKind::Agent,
                "only agents write notes"
            );
        }
        if let Some(a) = t.assignee {
            assert!(truth.agents.iter().any(|x| x.id == a));
        }
    }
    // Ratings: only on finally solved tickets, after the solve, in the API's order (by the
    // offer, which is the record's `created_at`), ids in order.
    assert!(
        truth
            .ratings
            .windows(2)
            .all(|w| (w[0].offered_at, w[0].id) < (w[1].offered_at, w[1].id))
    );
    for r in &truth.ratings {
        let t = truth.ticket(r.ticket_id).expect("rated ticket");
        let solved = t.final_solved_at.expect("rated tickets are solved");
        assert!(r.offered_at > solved && r.created_at < now);
        assert_eq!(r.answered(), r.answered_at.is_some());
        assert_eq!(r.created_at, r.answered_at.unwrap_or(r.offered_at));
    }
}

#[test]
fn the_data_has_every_kind_of_ticket_and_realistic_arrivals() {
    let data = Dataset::generate(&cfg(2));
    let truth = data.truth();
    let n = |f: &dyn Fn(&deskpulse_simulator::TrueTicket) -> bool| {
        truth.tickets.iter().filter(|t| f(t)).count()
    };
    assert!(n(&|t| t.outbound) > 0);
    assert!(n(&|t| t.bot_answered) > 0);
    // Trigger replies on assigned tickets carry the assignee's id, on unassigned ones the
    // system user's.
    let bot_by = |system: bool| {
        n(&|t| {
            t.messages
                .iter()
                .any(|m| m.author_kind == AuthorKind::Bot && (m.author_id == SYSTEM) == system)
        })
    };
    assert!(bot_by(true) > 0 && bot_by(false) > 0);
    assert!(n(&|t| t.automation_solved) > 0);
    assert!(n(&|t| t.reopens > 0) > 0);
    assert!(n(&|t| t.excluded == Some(Exclusion::Deleted)) > 0);
    assert!(n(&|t| t.excluded == Some(Exclusion::Spam)) > 0);
    assert!(n(&|t| t.excluded == Some(Exclusion::Merged)) > 0);
    assert!(n(&|t| t.status == TicketStatus::Closed) > 0);
    assert!(
        n(&|t| matches!(
            t.status,
            TicketStatus::New | TicketStatus::Open | TicketStatus::Pending
        )) > 0
    );
    assert!(
        n(&|t| t.messages.iter().any(|m| !m.public)) > 0,
        "internal notes"
    );
    assert!(
        n(&|t| {
            t.messages.windows(2).any(|w| {
                w[0].author_kind == AuthorKind::Customer && w[1].author_kind == AuthorKind::Customer
            })
        }) > 0,
        "runs of customer messages"
    );
    for s in [TrueScore::Good, TrueScore::Bad, TrueScore::Offered] {
        assert!(truth.ratings.iter().any(|r| r.score == s), "{s:?}");
    }
    // More tickets on weekdays and in office hours.
    let weekday =
        n(&|t| !matches!(t.created_at.weekday(), Weekday::Sat | Weekday::Sun)) as f64 / 5.0;
    let weekend =
        n(&|t| matches!(t.created_at.weekday(), Weekday::Sat | Weekday::Sun)) as f64 / 2.0;
    assert!(weekday > 1.5 * weekend, "{weekday} vs {weekend}");
    let office = n(&|t| (9..17).contains(&t.created_at.hour())) as f64 / 8.0;
    let night = n(&|t| t.created_at.hour() < 6) as f64 / 6.0;
    assert!(office > 4.0 * night);
    // About 4-7 messages a ticket.
    let per = truth.comment_count() as f64 / truth.ticket_count() as f64;
    assert!((2.5..8.0).contains(&per), "{per} messages a ticket");
}

#[test]
fn bots_off_means_no_bot_messages() {
    let mut c = cfg(3);
    c.data.bots = false;
    let data = Dataset::generate(&c);
    let truth = data.truth();
    assert!(
        truth
            .tickets
            .iter()
            .all(|t| !t.bot_answered && !t.automation_solved)
    );
    assert!(
        truth
            .tickets
            .iter()
            .flat_map(|t| &t.messages)
            .all(|m| m.author_kind != AuthorKind::Bot)
    );
}
