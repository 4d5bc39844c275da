//! Which stored facts a report's period reads, and the backlog counted at its instants.

use super::*;

/// The period is [at(0), at(168)): one week.
pub(super) async fn report_input_candidates(store: Store) {
    use TicketStatus::*;
    let (start, end) = (at(0), at(168));
    let long_ago = at(-24 * 60);
    let customer = |id: &str, ticket: &str, t| Message {
        author_kind: AuthorKind::Customer,
        author_id: None,
        ..message(id, ticket, t)
    };
    let records = vec![
        // Created in the period.
        Record::Ticket(ticket("created", Solved, at(10), at(11))),
        // Created at exactly `end`: not in the period, and not open at `end`.
        Record::Ticket(ticket("at-end", New, end, end)),
        // Old, answered in the period (its updated_at left stale: the reply decides).
        Record::Ticket(ticket("replied", Solved, long_ago, long_ago)),
        Record::Message(customer("rep-old", "replied", long_ago)),
        Record::Message(message("rep-new", "replied", at(20))),
        // Old, solved in the period.
        Record::Ticket(ticket("solved-in", Closed, long_ago, at(50))),
        Record::StatusChange(change("si-1", "solved-in", Solved, at(50))),
        // Old, solved after the period: open at its end.
        Record::Ticket(ticket("solved-later", Closed, long_ago, long_ago)),
        Record::StatusChange(change("sl-1", "solved-later", Solved, at(200))),
        // Old, only updated in the period: nothing of it counts in the period.
        Record::Ticket(ticket("updated", Closed, long_ago, at(30))),
        // Old and still open: backlog, whatever its activity.
        Record::Ticket(ticket("backlog", Pending, long_ago, long_ago)),
        Record::Ticket(ticket("backlog-spam", Spam, long_ago, long_ago)),
        // Spam created in the period: in nothing, but its rating must be recognizable.
        Record::Ticket(ticket("spam-in", Spam, at(12), at(12))),
        // A reply at exactly `start` counts.
        Record::Ticket(ticket("edge-msg", Solved, long_ago, long_ago)),
        Record::Message(customer("edge-q", "edge-msg", long_ago)),
        Record::Message(message("edge", "edge-msg", start)),
        // Solved and answered just before the start.
        Record::Ticket(ticket("stale", Solved, long_ago, at(-1))),
        Record::Message(customer("stale-q", "stale", long_ago)),
        Record::Message(message(
            "stale-m",
            "stale",
            start - Duration::microseconds(1),
        )),
        Record::StatusChange(change("stale-s", "stale", Solved, at(-1))),
        Record::Agent(Agent {
            external_id: "100".into(),
            name: "A".into(),
            is_bot: false,
        }),
        Record::Rating(rating("r-start", start)),
        Record::Rating(rating("r-in", at(100))),
        Record::Rating(Rating {
            ticket_id: Some("spam-in".into()),
            ..rating("r-spam", at(100))
        }),
        Record::Rating(rating("r-end", end)),
        Record::Rating(rating("r-before", start - Duration::microseconds(1))),
    ];
    store
        .commit_batch(
            SRC,
            "all",
            &Batch {
                records,
                checkpoint: Checkpoint::new(json!(1)),
            },
        )
        .await
        .unwrap();
    // Excluded: another source's records.
    let other = Batch {
        records: vec![
            Record::Ticket(ticket("created", Open, at(10), at(11))),
            Record::Agent(Agent {
                external_id: "900".into(),
                name: "Other".into(),
                is_bot: false,
            }),
            Record::Rating(rating("r-other", at(100))),
        ],
        checkpoint: Checkpoint::new(json!(1)),
    };
    store
        .commit_batch("other-src", "all", &other)
        .await
        .unwrap();

    let input = store
        .load_report_input(&[SRC.into()], start, end)
        .await
        .unwrap();
    assert!(input.tickets.is_empty(), "no raw ticket is read");
    let mut ids: Vec<&str> = input.facts.iter().map(|f| f.ticket_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["created", "edge-msg", "replied", "solved-in"]);
    assert!(input.facts.iter().all(|f| f.source == SRC));
    let replied = input
        .facts
        .iter()
        .find(|f| f.ticket_id == "replied")
        .unwrap();
    assert_eq!(replied.reply_samples.len(), 1);
    assert_eq!(replied.reply_samples[0].asked_at, long_ago);
    assert_eq!(replied.reply_samples[0].replied_at, at(20));
    // Open at `end`: "backlog" and "solved-later".
    assert_eq!(input.backlog, [BacklogCount { at: end, open: 2 }]);
    assert_eq!(input.agents.len(), 1);
    assert_eq!(input.agents[0].agent.external_id, "100");
    let ratings: Vec<&str> = input
        .ratings
        .iter()
        .map(|r| r.rating.external_id.as_str())
        .collect();
    assert_eq!(ratings, ["r-in", "r-spam", "r-start"]);
    assert_eq!(
        input.excluded_tickets,
        [(SRC.to_owned(), "spam-in".to_owned())]
    );

    // Both sources at once; none at all.
    let both = store
        .load_report_input(&[SRC.into(), "other-src".into()], start, end)
        .await
        .unwrap();
    assert_eq!(both.facts.len(), 5);
    assert_eq!(both.backlog, [BacklogCount { at: end, open: 3 }]);
    assert_eq!(both.agents.len(), 2);
    assert_eq!(both.ratings.len(), 4);
    let none = store.load_report_input(&[], start, end).await.unwrap();
    assert_eq!(none, Default::default());
    // A later period: created at its start, solved in it.
    let next = store
        .load_report_input(&[SRC.into()], at(168), at(336))
        .await
        .unwrap();
    let mut ids: Vec<&str> = next.facts.iter().map(|f| f.ticket_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["at-end", "solved-later"]);
    assert_eq!(
        next.backlog,
        [BacklogCount {
            at: at(336),
            open: 2
        }]
    );
    // Any instants at once.
    let counts = store
        .backlog_at(&[SRC.into()], &[at(-1), at(10), at(201)])
        .await
        .unwrap();
    let open: Vec<u64> = counts.iter().map(|c| c.open).collect();
    // at(-1): backlog, solved-in, solved-later, updated (solved without a time: out of the
    // backlog from its last update, at(30)); not stale (solved at exactly -1).
    // at(10): the same ("created" is in it only after its creation instant).
    // at(201): backlog and at-end.
    assert_eq!(open, [4, 4, 2]);
}
