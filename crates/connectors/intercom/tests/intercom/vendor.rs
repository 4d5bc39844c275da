//! Intercom's own figures (`statistics`) as `VendorMetrics`, for `deskpulse reconcile`: on
//! Airbyte's recorded statistics of a real workspace and on the documented conversation.

use crate::common::*;
use deskpulse_connector::Record;
use deskpulse_model::{VendorDuration, VendorMetrics};
use serde_json::{Value, json};

/// The conversation's `VendorMetrics`, which comes right after its `Ticket`.
fn vendor_of(records: &[Record], id: &str) -> VendorMetrics {
    let pos = records
        .iter()
        .position(|r| matches!(r, Record::Ticket(t) if t.external_id == id))
        .unwrap_or_else(|| panic!("no ticket {id}"));
    match &records[pos + 1] {
        Record::VendorMetrics(v) => {
            assert_eq!(v.ticket_id, id);
            assert_eq!(
                records
                    .iter()
                    .filter_map(Record::as_vendor_metrics)
                    .filter(|v| v.ticket_id == id)
                    .count(),
                1
            );
            v.clone()
        }
        other => panic!("after ticket {id} comes {other:?}, not its vendor metrics"),
    }
}

/// `id`'s figures with no duration at all (nothing answered or closed, or no statistics).
fn no_durations(id: &str, updated: i64, reopens: Option<u32>) -> VendorMetrics {
    VendorMetrics {
        ticket_id: id.into(),
        updated_at: at(updated),
        first_response: VendorDuration::NONE,
        first_resolution: VendorDuration::NONE,
        full_resolution: VendorDuration::NONE,
        reopens,
        replies: None,
    }
}

fn d(calendar: Option<i64>, business: Option<i64>) -> VendorDuration {
    VendorDuration {
        calendar_seconds: calendar,
        business_seconds: business,
    }
}

/// The Airbyte conversations as `GET /conversations/{id}` gives them (with their parts list).
fn recorded() -> Vec<Value> {
    airbyte("conversations")
        .into_iter()
        .map(|mut c| {
            c["conversation_parts"] = json!({
                "type": "conversation_part.list", "total_count": 0, "conversation_parts": []
            });
            c
        })
        .collect()
}

/// Airbyte's conversation 1: opened by a lead at 1607553243 (= `first_contact_reply_at`),
/// first teammate reply at 1625654131: 18 100 888 calendar seconds after creation, of which
/// Intercom counts 4 317 957 in office hours (`time_to_admin_reply`, "subtracts out of
/// business hours"). Not closed yet; `count_reopens` 0. Conversations 60 and 61 (automated
/// outbound messages nobody answered) have null times and 0 reopens.
#[tokio::test]
async fn vendor_metrics_from_the_recorded_statistics() {
    let recs = synced(recorded(), &[]).await;
    assert_eq!(
        vendor_of(&recs, "1"),
        VendorMetrics {
            first_response: d(Some(18_100_888), Some(4_317_957)),
            ..no_durations("1", 1_626_346_673, Some(0))
        }
    );
    for (id, updated) in [("60", 1_676_461_134), ("61", 1_676_461_197)] {
        assert_eq!(vendor_of(&recs, id), no_durations(id, updated, Some(0)));
    }
}

/// The recorded `statistics` object of conversation 1, re-dated onto a conversation created
/// at `created`.
fn statistics(created: i64, first_contact: i64) -> Value {
    let mut s = airbyte("conversations")[0]["statistics"].clone();
    s["first_contact_reply_at"] = json!(first_contact);
    s["first_admin_reply_at"] = json!(created + 3_600);
    s["time_to_admin_reply"] = json!(1_800);
    s["first_close_at"] = json!(created + 7_200);
    s["time_to_first_close"] = json!(3_600);
    s["last_close_at"] = json!(created + 90_000);
    s["time_to_last_close"] = json!(40_000);
    s["last_closed_by_id"] = json!("4423433");
    s["count_reopens"] = json!(2);
    s
}

/// Closed, opened by the customer: calendar seconds after creation from the timestamps,
/// business seconds from the `time_to_*` durations (they start at `first_contact_reply_at`,
/// which is the creation here). The same conversation reopened (open now) has no latest
/// solve. An outbound conversation's durations start at the customer's first answer, not
/// at the creation: no business figure then.
#[tokio::test]
async fn vendor_metrics_of_solved_reopened_and_outbound_conversations() {
    let t = 1_700_000_000;
    let mut closed = conversation("closed", t, t + 90_000, "closed");
    closed["statistics"] = statistics(t, t);
    let mut reopened = conversation("reopened", t, t + 95_000, "open");
    reopened["statistics"] = statistics(t, t);
    let mut outbound = conversation("outbound", t, t + 90_001, "closed");
    outbound["source"]["delivered_as"] = json!("admin_initiated");
    outbound["statistics"] = statistics(t, t + 600);
    let recs = synced(vec![closed, reopened, outbound], &[]).await;

    let v = vendor_of(&recs, "closed");
    assert_eq!(v.updated_at, at(t + 90_000));
    assert_eq!(v.first_response, d(Some(3_600), Some(1_800)));
    assert_eq!(v.first_resolution, d(Some(7_200), Some(3_600)));
    assert_eq!(v.full_resolution, d(Some(90_000), Some(40_000)));
    assert_eq!((v.reopens, v.replies), (Some(2), None));

    let v = vendor_of(&recs, "reopened");
    assert_eq!(v.first_resolution, d(Some(7_200), Some(3_600)));
    assert_eq!(v.full_resolution, VendorDuration::NONE, "not solved now");
    assert_eq!(v.reopens, Some(2));

    let v = vendor_of(&recs, "outbound");
    assert_eq!(v.first_response, d(Some(3_600), None));
    assert_eq!(v.first_resolution, d(Some(7_200), None));
    assert_eq!(v.full_resolution, d(Some(90_000), None));
}

/// OpenAPI 2.14's conversation example has `"statistics": null` (not computed): no vendor
/// figure at all, not zeros.
#[tokio::test]
async fn documented_conversation_without_statistics_has_no_vendor_values() {
    let doc = openapi("GET_conversations_id__200_conversation_found");
    let recs = synced(vec![doc], &[]).await;
    assert_eq!(
        vendor_of(&recs, "503"),
        no_durations("503", 1_734_537_511, None)
    );
}
