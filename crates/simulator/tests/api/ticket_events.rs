//! The ticket-event export over HTTP: paging through shared seconds, and event ids as
//! Zendesk draws them.

use std::collections::HashMap;

use deskpulse_simulator::{DataConfig, Limits, SimConfig};
use serde_json::Value;

use super::{client, events_export, small, start};

#[tokio::test]
async fn ticket_events_always_advance_even_when_a_page_shares_one_timestamp() {
    // A busy single day: many audits share a second.
    let cfg = SimConfig {
        data: DataConfig {
            days: 1,
            tickets_per_day: 1500.0,
            ..DataConfig::default()
        },
        limits: Limits::off(),
        ..SimConfig::default()
    };
    let (sim, data) = start(cfg).await;
    let total = data.record_counts().2;
    let c = client();
    for per_page in [1, 2, 3] {
        let (audits, _) = events_export(&c, sim.base_url(), per_page).await;
        assert_eq!(audits.len(), total, "per_page {per_page}");
        let mut secs: Vec<i64> = audits
            .values()
            .map(|a| a["timestamp"].as_i64().expect("ts"))
            .collect();
        secs.sort_unstable();
        let shared = secs.windows(2).filter(|w| w[0] == w[1]).count();
        assert!(shared > 50, "many audits share a second ({shared})");
    }
    sim.shutdown().await;
}

/// Event ids come from one account-wide sequence at write time, so they ascend in the
/// export's order across tickets, an audit's just before its children's (as in go-zendesk's
/// recorded audit 2127301143, whose children are 2127301148 and 2127301163), and the ground
/// truth names the ids the export serves.
#[tokio::test]
async fn event_ids_ascend_in_time_across_tickets_and_the_truth_names_them() {
    let (sim, data) = start(small(5)).await;
    let truth = data.truth();
    let (audits, _) = events_export(&client(), sim.base_url(), 200).await;
    let mut in_order: Vec<&Value> = audits.values().collect();
    in_order.sort_by_key(|a| (a["timestamp"].as_i64(), a["id"].as_i64()));

    let mut last = 0;
    let mut served: HashMap<i64, Vec<(i64, &str)>> = HashMap::new();
    for a in in_order {
        let id = a["id"].as_i64().expect("audit id");
        assert!(id > last, "audit {id} comes after id {last}");
        last = id;
        let ticket = a["ticket_id"].as_i64().expect("ticket id");
        for ch in a["child_events"].as_array().expect("children") {
            let id = ch["id"].as_i64().expect("child id");
            assert!(
                id > last,
                "child {id} of audit {} comes after id {last}",
                a["id"]
            );
            last = id;
            let kind = ch["event_type"].as_str().expect("event type");
            served.entry(ticket).or_default().push((id, kind));
        }
    }
    // Tickets created early keep drawing ids after later tickets were created: the
    // sequence is the account's, not the ticket's.
    let spans: Vec<(i64, i64)> = served
        .values()
        .map(|evs| (evs[0].0, evs[evs.len() - 1].0))
        .collect();
    assert!(
        spans
            .iter()
            .any(|a| spans.iter().any(|b| a.0 < b.0 && b.0 < a.1)),
        "no two tickets' ids interleave"
    );

    for t in &truth.tickets {
        let evs = &served[&t.id];
        let comments: Vec<i64> = evs
            .iter()
            .filter(|(_, k)| *k == "Comment")
            .map(|(id, _)| *id)
            .collect();
        let changes: Vec<i64> = evs
            .iter()
            .filter(|(_, k)| *k != "Comment")
            .map(|(id, _)| *id)
            .collect();
        let true_comments: Vec<i64> = t.messages.iter().map(|m| m.id).collect();
        let true_changes: Vec<i64> = t.transitions.iter().map(|c| c.id).collect();
        assert_eq!(comments, true_comments, "comments of ticket {}", t.id);
        assert_eq!(changes, true_changes, "status changes of ticket {}", t.id);
    }
    sim.shutdown().await;
}
