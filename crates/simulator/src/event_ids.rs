//! Event ids as Zendesk gives them: one account-wide sequence drawn at write time, so ids
//! grow with time across tickets, and an audit's id comes just before its child events'.
//!
//! The generator writes a ticket's whole story at once, so the ids it draws on the way are
//! consecutive per ticket: a ticket created in March would hold ids below every event of a
//! ticket created in April, even its own events of May. Zendesk's recorded audits show the
//! vendor's order instead: in go-zendesk's `ticket_audits.json` fixture the audit 2127301143
//! is followed by its child events 2127301148 and 2127301163, with other ids in between
//! (events of other tickets written meanwhile). Numbering after generation, in time order,
//! gives the export what a real account gives: ids ascending with `created_at`, the export's
//! own order. It matters beyond looks: a store keyed by event id inserts such ids at the end
//! of its index, where per-ticket blocks land all over it.

use crate::generate::{ZAudit, ZEvent};
use crate::truth::TrueTicket;

/// The id before the first one drawn (the generator's own first id, kept).
pub(crate) const FIRST_ID: i64 = 10_000_001;

/// Renumbers `audits` (sorted by `(at, id)`, so in time order with a ticket's own order kept
/// for ties), their child `events` and the ids the ground truth recorded for them.
pub(crate) fn number_in_time_order(
    audits: &mut [ZAudit],
    events: &mut [ZEvent],
    truth: &mut [TrueTicket],
) {
    // The generator's ids are dense from `FIRST_ID + 1`: a table indexed by old id. Only
    // events are looked up (the truth names no audit).
    let slot = |old: i64| usize::try_from(old - FIRST_ID - 1).ok();
    let mut renumbered = vec![0i64; audits.len() + events.len()];
    let mut next = FIRST_ID;
    for a in audits.iter_mut() {
        next += 1;
        a.id = next;
        for e in &mut events[a.children.start as usize..a.children.end as usize] {
            next += 1;
            let id = e.id_mut();
            if let Some(new) = slot(*id).and_then(|i| renumbered.get_mut(i)) {
                *new = next;
            }
            *id = next;
        }
    }
    let lookup = |old: i64| {
        slot(old)
            .and_then(|i| renumbered.get(i).copied())
            .filter(|&id| id != 0)
            .unwrap_or(old)
    };
    for t in truth.iter_mut() {
        for m in &mut t.messages {
            m.id = lookup(m.id);
        }
        for c in &mut t.transitions {
            c.id = lookup(c.id);
        }
    }
}

impl ZEvent {
    fn id_mut(&mut self) -> &mut i64 {
        match self {
            ZEvent::Comment { id, .. } | ZEvent::Create { id, .. } | ZEvent::Change { id, .. } => {
                id
            }
        }
    }
}
