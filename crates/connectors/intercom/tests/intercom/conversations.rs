//! Paging, checkpoints and resume of the `conversations` stream.

use crate::common::*;
use deskpulse_connector::Record;
use deskpulse_connector::settings::StartDate;
use deskpulse_connector_intercom::IntercomSettings;
use serde_json::json;
use wiremock::MockServer;

/// Five conversations updated at distinct seconds, each with a customer message and a reply.
fn five() -> Vec<serde_json::Value> {
    (1..=5)
        .map(|i| {
            let t = 1_763_000_000 + i * 100;
            with_parts(
                conversation(&i.to_string(), t - 50, t, "open"),
                vec![
                    part(
                        &format!("{i}01"),
                        "comment",
                        t - 40,
                        "user",
                        &format!("contact-{i}"),
                    ),
                    part(&format!("{i}02"), "comment", t - 10, "admin", "991267466"),
                ],
            )
        })
        .collect()
}

#[tokio::test]
async fn pages_through_the_search_and_fetches_each_conversation() {
    let (server, fake) = Fake::serve(five()).await;
    let c = connector(&server);
    let batches = read_ok(&c, "conversations", None).await;

    // page_size 2: pages of 2, 2 and 1, the last one without `pages.next`.
    assert_eq!(batches.len(), 3);
    let all = records(&batches);
    assert_eq!(ticket_ids(&all), ["1", "2", "3", "4", "5"]);
    let messages = all.iter().filter_map(Record::as_message).count();
    assert_eq!(
        messages, 15,
        "a source message and two parts per conversation"
    );
    let cps: Vec<_> = batches
        .iter()
        .map(|b| b.checkpoint.value().clone())
        .collect();
    assert_eq!(
        cps,
        [
            json!({"updated_at": 1_763_000_200}),
            json!({"updated_at": 1_763_000_400}),
            json!({"updated_at": 1_763_000_500}),
        ]
    );

    // The documented body: `updated_at` > or = the start, ascending, the cursor sent back.
    let searches = fake.searches();
    assert_eq!(searches.len(), 3);
    assert_eq!(
        searches[0],
        json!({
            "query": {"operator": "OR", "value": [
                {"field": "updated_at", "operator": ">", "value": 0},
                {"field": "updated_at", "operator": "=", "value": 0}
            ]},
            "sort": {"field": "updated_at", "order": "ascending"},
            "pagination": {"per_page": 2}
        })
    );
    assert_eq!(searches[1]["pagination"]["starting_after"], "Wz0x2");
    assert_eq!(searches[2]["pagination"]["starting_after"], "Wz0x4");
}

/// The nested keys of `v`, each list as the set of its items' shapes: a request's shape,
/// whatever its values (the documented example gives its time as the string "1306054154",
/// the connector a number, which is what the fake search reads).
fn keys(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), keys(v))).collect(),
        serde_json::Value::Array(a) => {
            let mut shapes: Vec<_> = a.iter().map(keys).collect();
            shapes.dedup();
            shapes.into()
        }
        _ => serde_json::Value::Null,
    }
}

/// OpenAPI 2.14's request example of `POST /conversations/search`: a `query` of an
/// `operator` and a `value` list of `field`/`operator`/`value` filters, and
/// `pagination.per_page`. The conversations search sends that shape (and the `sort` it
/// pages by); the roster's query is one such filter, with the same `pagination`.
#[tokio::test]
async fn the_searches_have_the_documented_request_shape() {
    let documented = keys(&openapi("POST_conversations_search__request_successful"));
    let (server, fake) = Fake::serve(five()).await;
    let c = connector(&server);
    read_ok(&c, "conversations", None).await;
    read_ok(&c, "ticket_roster", None).await;
    let searches = fake.searches();
    let (updated, roster) = searches
        .iter()
        .partition::<Vec<_>, _>(|s| s["query"]["field"] != "created_at");
    let mut first = updated[0].clone();
    assert!(first.as_object_mut().unwrap().remove("sort").is_some());
    assert_eq!(keys(&first), documented);
    assert_eq!(keys(&roster[0]["query"]), documented["query"]["value"][0]);
    assert_eq!(keys(&roster[0]["pagination"]), documented["pagination"]);
}

#[tokio::test]
async fn a_resumed_sync_looks_back_and_picks_up_updates() {
    let (server, fake) = Fake::serve(five()).await;
    let c = connector_with(IntercomSettings {
        lookback_minutes: 5,
        ..settings(&server)
    });
    let first = read_ok(&c, "conversations", None).await;
    let bookmark = first.last().unwrap().checkpoint.clone();
    // Conversation 2 is updated after the first sync.
    let mut two = fake.conversations.lock().unwrap()["2"].clone();
    two["updated_at"] = json!(1_763_000_900);
    two["state"] = json!("closed");
    fake.conversations.lock().unwrap().insert("2".into(), two);

    let second = read_ok(&c, "conversations", Some(bookmark)).await;
    let searches = fake.searches();
    let last = searches.last().unwrap();
    // 1_763_000_500 − 300 s of lookback.
    assert_eq!(last["query"]["value"][0]["value"], 1_763_000_200);
    assert_eq!(ticket_ids(&records(&second)), ["3", "4", "5", "2"]);
    assert_eq!(
        second.last().unwrap().checkpoint.value(),
        &json!({"updated_at": 1_763_000_900})
    );
}

#[tokio::test]
async fn start_date_bounds_the_first_sync() {
    let (server, fake) = Fake::serve(five()).await;
    let c = connector_with(IntercomSettings {
        start_date: Some(StartDate("2025-11-13T00:00:00Z".parse().unwrap())),
        ..settings(&server)
    });
    let batches = read_ok(&c, "conversations", None).await;
    // 2025-11-13T00:00:00Z = 1 762 992 000.
    assert_eq!(
        fake.searches()[0]["query"]["value"][0]["value"],
        1_762_992_000
    );
    assert_eq!(ticket_ids(&records(&batches)).len(), 5);
}

#[tokio::test]
async fn an_empty_workspace_is_one_empty_batch_at_the_start() {
    let (server, _) = Fake::serve(vec![]).await;
    let batches = read_ok(&connector(&server), "conversations", None).await;
    assert_eq!(batches.len(), 1);
    assert!(batches[0].records.is_empty());
    assert_eq!(batches[0].checkpoint.value(), &json!({"updated_at": 0}));
}

#[tokio::test]
async fn admins_are_one_full_refresh_batch() {
    let server = MockServer::start().await;
    let doc = fixture("intercom-openapi/descriptions_2.14__GET_admins__200.json");
    mount_admins(&server, doc["admins"].clone()).await;
    let c = connector(&server);
    let batches = read_ok(&c, "admins", None).await;
    assert_eq!(batches.len(), 1);
    assert_eq!(
        batches[0].records,
        [Record::Agent(deskpulse_model::Agent {
            external_id: "991267466".into(),
            name: "Ciaran7 Lee".into(),
            is_bot: false,
        })]
    );
    // Resuming reads the (small, unpaged) list again.
    let again = read_ok(&c, "admins", Some(batches[0].checkpoint.clone())).await;
    assert_eq!(again[0].records, batches[0].records);
}

#[tokio::test]
async fn the_documented_search_page_is_read_as_the_last_page() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let server = MockServer::start().await;
    // OpenAPI 2.14's example answer: one conversation, `pages` without `next`.
    let page = fixture(
        "intercom-openapi/descriptions_2.14__POST_conversations_search__200_successful.json",
    );
    let mut full = page["conversations"][0].clone();
    full["conversation_parts"] = json!({
        "type": "conversation_part.list", "conversation_parts": [], "total_count": 0
    });
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/conversations/515"))
        .respond_with(ResponseTemplate::new(200).set_body_json(full))
        .expect(1)
        .mount(&server)
        .await;
    let batches = read_ok(&connector(&server), "conversations", None).await;
    assert_eq!(batches.len(), 1);
    let t = &tickets(&batches[0].records)[0];
    assert_eq!(t.external_id, "515");
    assert_eq!(t.status, deskpulse_model::TicketStatus::Solved);
    assert_eq!(
        batches[0].checkpoint.value(),
        &json!({"updated_at": 1_734_537_546})
    );
}

/// Checkpoints stored by the connector before the SDK port, written out literally as it
/// wrote them, still resume: `{"updated_at": …}` for conversations, `{"full_refresh": true}`
/// for admins.
#[tokio::test]
async fn checkpoints_stored_before_the_port_still_resume() {
    let (server, fake) = Fake::serve(five()).await;
    let c = connector(&server);
    let stored = deskpulse_connector::Checkpoint::new(json!({"updated_at": 1_763_000_200}));
    let batches = read_ok(&c, "conversations", Some(stored)).await;
    assert_eq!(
        fake.searches()[0]["query"]["value"][0]["value"],
        1_763_000_200
    );
    assert_eq!(ticket_ids(&records(&batches)), ["2", "3", "4", "5"]);
    assert_eq!(
        batches.last().unwrap().checkpoint.value(),
        &json!({"updated_at": 1_763_000_500})
    );

    let doc = fixture("intercom-openapi/descriptions_2.14__GET_admins__200.json");
    mount_admins(&server, doc["admins"].clone()).await;
    let stored = deskpulse_connector::Checkpoint::new(json!({"full_refresh": true}));
    let admins = read_ok(&c, "admins", Some(stored)).await;
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0].checkpoint.value(), &json!({"full_refresh": true}));
}
