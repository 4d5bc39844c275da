//! The SDK's conformance kit on the Intercom connector: resume from every checkpoint, 429,
//! 5xx, 401/403, broken pages, secrets in logs, typed checkpoints and the kind's
//! declaration, on all three streams.

use crate::common::{
    SEARCH, at, conversation, fixture, part, search_page, settings_at, updated_since, with_parts,
};
use deskpulse_connector::HttpConnector as _;
use deskpulse_connector::testkit::{Conformance, Fixtures, Target};
use deskpulse_connector_intercom::{
    AdminsCheckpoint, Clock, ConversationsCheckpoint, Intercom, IntercomConnector, RosterCheckpoint,
};
use serde_json::{Value, json};

/// The connector's clock: the roster sweep starts then, listing what was created an hour
/// before.
const NOW: i64 = 1_763_100_000;
/// A cursor as Intercom's pagination guide shows one (base64 of `[1707930081000,131,2]`).
const GUIDE_CURSOR: &str = "WzE3MDc5MzAwODEwMDAsMTMxLDJd";

fn roster_request(starting_after: Option<&str>) -> Value {
    let mut r = json!({
        "query": {"field": "created_at", "operator": "<", "value": NOW - 3_600},
        "sort": {"field": "created_at", "order": "ascending"}
    });
    if let Some(c) = starting_after {
        r["pagination"] = json!({"starting_after": c});
    }
    r
}

/// The documented search envelope; `pages.next` only when there is more.
fn page_of(convs: &[&Value], next: Option<&str>) -> Value {
    let mut pages = json!({"type": "pages", "page": 1, "per_page": 2, "total_pages": 2});
    if let Some(n) = next {
        pages["next"] = json!({"per_page": 2, "starting_after": n});
    }
    search_page(pages, 3, convs.iter().map(|c| (*c).clone()).collect())
}

fn fixtures() -> Fixtures {
    let convs: Vec<Value> = (0..3)
        .map(|i| {
            let id = format!("{}", 100 + i);
            let t = 2_000 + i;
            let mut c = with_parts(
                conversation(&id, 1_000, t, if i == 1 { "closed" } else { "open" }),
                vec![
                    part(
                        &format!("{id}1"),
                        "comment",
                        1_100,
                        "user",
                        &format!("contact-{id}"),
                    ),
                    part(&format!("{id}2"), "comment", 1_200, "admin", "991267466"),
                    part(&format!("{id}3"), "note", 1_300, "admin", "991267466"),
                ],
            );
            if i == 1 {
                c["conversation_parts"]["conversation_parts"]
                    .as_array_mut()
                    .unwrap()
                    .push(part(
                        &format!("{id}4"),
                        "close",
                        1_400,
                        "admin",
                        "991267466",
                    ));
                c["conversation_parts"]["total_count"] = json!(4);
                c["conversation_rating"] = json!({
                    "rating": 5, "remark": null, "created_at": 1_500,
                    "contact": {"type": "contact", "id": format!("contact-{id}")},
                    "teammate": {"type": "admin", "id": "991267466"}
                });
            }
            c
        })
        .collect();
    let (a, b, c) = (&convs[0], &convs[1], &convs[2]);
    let mut f = Fixtures::new()
        .get(
            "/admins",
            &[],
            fixture("intercom-openapi/descriptions_2.14__GET_admins__200.json"),
        )
        // A clean run: two pages.
        .post(
            SEARCH,
            json!({"query": updated_since(0)}),
            page_of(&[a, b], Some("WzIwMDEsMTAxXQ==")),
        )
        .post(
            SEARCH,
            json!({"query": updated_since(0), "pagination": {"starting_after": "WzIwMDEsMTAxXQ=="}}),
            page_of(&[c], None),
        )
        // Resumed from the first page's bookmark (2001) and from the last one (2002): the
        // conversation at the bookmark's second comes again.
        .post(
            SEARCH,
            json!({"query": updated_since(2_001)}),
            page_of(&[b, c], None),
        )
        .post(SEARCH, json!({"query": updated_since(2_002)}), page_of(&[c], None))
        .with_header("X-RateLimit-Limit", "167")
        .with_header("X-RateLimit-Remaining", "160")
        // The roster: every id, oldest first, in two pages.
        .post(
            SEARCH,
            roster_request(None),
            page_of(&[a, b], Some(GUIDE_CURSOR)),
        )
        .post(
            SEARCH,
            roster_request(Some(GUIDE_CURSOR)),
            page_of(&[c], None),
        );
    for conv in &convs {
        f = f.get(
            &format!("/conversations/{}", conv["id"].as_str().unwrap()),
            &[],
            conv.clone(),
        );
    }
    f
}

#[tokio::test]
async fn passes_the_conformance_kit() {
    Conformance::new(fixtures(), |t: &Target| {
        t.connector(
            IntercomConnector::new(settings_at(t.base_url.clone(), &t.secret))
                .map(|c| c.with_clock(Clock::fixed(at(NOW)))),
        )
    })
    // `conversations` re-reads the bookmark's second (`updated_at >=`); `admins` is a full
    // refresh of a small unpaged list, so a resume reads it all again. `ticket_roster`
    // resumes exactly from the search's cursor (and, resumed after its last page within
    // `roster_every`, yields nothing).
    .boundary_repeats(&["conversations", "admins"])
    .kind(&Intercom)
    .checkpoint_type::<AdminsCheckpoint>("admins")
    .checkpoint_type::<ConversationsCheckpoint>("conversations")
    .checkpoint_type::<RosterCheckpoint>("ticket_roster")
    .run()
    .await
    .assert_ok();
}
