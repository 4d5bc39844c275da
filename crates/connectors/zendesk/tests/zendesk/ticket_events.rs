//! The ticket events export: comments and status changes in the export's documented layout
//! (the changed field as its own key), the audits layout, paging by time, and seconds with
//! more updates than a page holds.

use crate::common::*;
use deskpulse_connector::{Batch, Checkpoint, Record};
use deskpulse_model::{AuthorKind, Message, StatusChange, TicketStatus};
use serde_json::{Value, json};
use wiremock::matchers::query_param_is_missing;
use wiremock::{MockServer, ResponseTemplate};

/// A server with three pages of the events export (the second repeats the first's boundary
/// audit) and the next sync's empty page.
async fn events_server() -> MockServer {
    let server = MockServer::start().await;
    let create = audit(
        900,
        1,
        20978392,
        "2024-03-01T09:00:00Z",
        1709283600,
        vec![
            comment(901, 20978392, true, "web"),
            status(902, "Create", None, "new", "Web form"),
            json!({"id": 903, "via": "Web form", "via_reference_id": null, "priority": "high", "event_type": "Create"}),
        ],
    );
    let trigger = audit(
        910,
        1,
        20978392,
        "2024-03-01T09:00:05Z",
        1709283605,
        vec![
            comment(911, 35436, true, "rule"),
            status(912, "Change", Some("new"), "open", "Rule"),
            json!({"id": 913, "event_type": "Notification", "via": {"channel": "rule"}, "subject": "x", "body": "y", "recipients": [1]}),
        ],
    );
    let first = [
        ("start_time", "0"),
        ("include", "comment_events"),
        ("support_type_scope", "all"),
    ];
    let page1 = events_page(json!([create, trigger.clone()]), 1709283605, false);
    get(EVENTS, &first, page1).mount(&server).await;
    // Page 2 starts at page 1's end_time: the boundary audit comes again.
    let agent = audit(
        920,
        1,
        235323,
        "2024-03-01T10:00:00Z",
        1709287200,
        vec![
            comment(921, 235323, false, "web"),
            comment(922, 235323, true, "web"),
            status(923, "Change", Some("open"), "hold", "Web form"),
        ],
    );
    let page2 = events_page(json!([trigger, agent]), 1709287200, false);
    let query = [("start_time", "1709283605"), ("include", "comment_events")];
    get(EVENTS, &query, page2).mount(&server).await;
    let automation = audit(
        930,
        1,
        -1,
        "2024-03-04T10:00:00Z",
        1709546400,
        vec![
            comment(931, -1, true, "web"),
            status(932, "Change", Some("hold"), "solved", "Rule"),
        ],
    );
    let closed = audit(
        940,
        1,
        -1,
        "2024-03-08T10:00:00Z",
        1709892000,
        vec![status(941, "Change", Some("solved"), "closed", "Rule")],
    );
    let page3 = events_page(json!([automation, closed]), 1709892000, true);
    get(EVENTS, &[("start_time", "1709287200")], page3)
        .mount(&server)
        .await;
    let next_sync = events_page(json!([]), 1709892000, true);
    get(EVENTS, &[("start_time", "1709892000")], next_sync)
        .mount(&server)
        .await;
    server
}

fn msg(id: &str, kind: AuthorKind, author: &str, public: bool) -> Record {
    Record::Message(Message {
        external_id: id.into(),
        ticket_id: "1".into(),
        author_kind: kind,
        author_id: Some(author.into()),
        public,
        created_at: t("2024-03-01T09:00:00Z"),
    })
}

fn change(
    id: &str,
    from: Option<TicketStatus>,
    to: TicketStatus,
    kind: AuthorKind,
    author: &str,
    at: &str,
) -> Record {
    Record::StatusChange(StatusChange {
        external_id: id.into(),
        ticket_id: "1".into(),
        from,
        to,
        author_kind: kind,
        author_id: Some(author.into()),
        at: t(at),
    })
}

#[tokio::test]
async fn pages_and_maps() {
    let server = events_server().await;
    let batches = read_ok(&connector(&server), "ticket_events", None).await;
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"start_time": 1709283605}),
            json!({"start_time": 1709287200}),
            json!({"start_time": 1709892000})
        ]
    );
    use AuthorKind::*;
    use TicketStatus::*;
    let trigger = [
        msg("911", Bot, "35436", true),
        change(
            "912",
            Some(New),
            Open,
            System,
            "20978392",
            "2024-03-01T09:00:05Z",
        ),
    ];
    let mut expected = vec![
        msg("901", Unknown, "20978392", true),
        change(
            "902",
            None,
            New,
            Unknown,
            "20978392",
            "2024-03-01T09:00:00Z",
        ),
    ];
    expected.extend(trigger.clone());
    expected.extend(trigger); // the boundary audit, again: same ids, so storage upserts it
    expected.extend([
        msg("921", Unknown, "235323", false),
        msg("922", Unknown, "235323", true),
        change(
            "923",
            Some(Open),
            OnHold,
            Unknown,
            "235323",
            "2024-03-01T10:00:00Z",
        ),
        // The system user's public comment: an AI agent's or automation's reply.
        msg("931", Bot, "-1", true),
        change(
            "932",
            Some(OnHold),
            Solved,
            System,
            "-1",
            "2024-03-04T10:00:00Z",
        ),
        change(
            "941",
            Some(Solved),
            Closed,
            System,
            "-1",
            "2024-03-08T10:00:00Z",
        ),
    ]);
    assert_eq!(records(&batches), expected);
    assert!(
        !format!("{batches:?}").contains("secret body"),
        "message bodies must not be kept"
    );
}

fn status_changes(records: &[Record]) -> Vec<&StatusChange> {
    records
        .iter()
        .filter_map(Record::as_status_change)
        .collect::<Vec<_>>()
}

async fn read_page(body: Value) -> Vec<Record> {
    let page = ok(body);
    records_of_one_page("ticket_events", EVENTS, page, |_| {}).await
}

/// The records of the documented export example (tests/fixtures/zendesk-docs).
async fn documented_export() -> Vec<Record> {
    read_page(doc_fixture("ticket_events_export.json")).await
}

/// The documented export's status changes, each as the expected fixture has it whole
/// (`tests/fixtures/expected`, with why): the export layout's `Change` child (issue 11), and
/// the older example's bare child made by the system user.
#[tokio::test]
async fn documented_status_changes_are_stored() {
    let recs = documented_export().await;
    let changes = status_changes(&recs);
    let cases = expected("documented_export_status_changes.json")["cases"].clone();
    let cases = cases.as_array().unwrap();
    assert_eq!(
        cases.len(),
        2,
        "the export layout's change and the older bare child"
    );
    for case in cases {
        let find = case["find"].as_object().unwrap();
        let got = (changes.iter().map(|c| serde_json::to_value(c).unwrap()))
            .find(|c| find.iter().all(|(k, v)| c[k] == *v))
            .unwrap_or_else(|| panic!("no status change like {find:?}"));
        let want: StatusChange = serde_json::from_value(case["is"].clone()).unwrap();
        assert_eq!(
            serde_json::from_value::<StatusChange>(got).unwrap(),
            want,
            "{}",
            case["why"]
        );
    }
}

/// A `Create` child in the export has the field as its key and no `previous_value`; a
/// `Create` of another field (`priority`) is no status change.
#[tokio::test]
async fn status_create_in_export_layout_has_no_previous_status() {
    let recs = documented_export().await;
    let changes = status_changes(&recs);
    let create = changes.iter().find(|s| s.external_id == "3010").unwrap();
    assert_eq!((create.from, create.to), (None, TicketStatus::New));
    assert!(
        !changes.iter().any(|s| s.external_id == "3012"),
        "a priority change is not a status change"
    );
}

/// The documented `comment_events` child (`via` an object, both `type` and `event_type`),
/// dated by its own `created_at`.
#[tokio::test]
async fn documented_comment_event_is_a_message() {
    let recs = documented_export().await;
    assert_eq!(
        recs.iter()
            .filter_map(Record::as_message)
            .collect::<Vec<_>>(),
        vec![&Message {
            external_id: "91048994488".into(),
            ticket_id: "123".into(),
            author_kind: AuthorKind::Unknown,
            author_id: Some("5031726587".into()),
            public: true,
            created_at: t("2009-06-25T10:15:18Z"),
        }]
    );
    assert!(!format!("{recs:?}").contains("This is a comment"));
}

/// The audits layout (`field_name`/`value`) is still read: the recorded go-zendesk audit's
/// `Change` event, made by a trigger (`via.channel` rule), served as an export child.
#[tokio::test]
async fn status_change_in_audits_layout_is_stored() {
    let audit = &fixture("ticket_audits.json")["audits"][0];
    let update = json!({
        "id": audit["id"], "ticket_id": audit["ticket_id"], "created_at": audit["created_at"],
        "timestamp": 1316990144, "updater_id": audit["author_id"], "via": "Web form",
        "event_type": "Audit", "child_events": audit["events"],
    });
    let body = events_body(json!([update]), 1316990144, true);
    let recs = read_page(body).await;
    assert_eq!(
        status_changes(&recs),
        vec![&StatusChange {
            external_id: "2127301163".into(),
            ticket_id: "666".into(),
            from: Some(TicketStatus::New),
            to: TicketStatus::Open,
            author_kind: AuthorKind::System,
            author_id: Some("5246746".into()),
            at: t("2011-09-25T22:35:44Z"),
        }]
    );
    // The recorded private comment has no `author_id` at all: kept, author unknown.
    assert!(recs.iter().any(|r| matches!(r, Record::Message(m)
        if m.external_id == "2127301148" && !m.public && m.author_id.is_none())));
}

/// The system user (`-1`) replies for AI agents on e-mail, web form and API tickets: its
/// public comment is a bot reply, its internal note a system note.
#[tokio::test]
async fn system_user_public_comment_is_a_bot_reply_and_its_note_is_system() {
    let update = audit(
        950,
        5,
        -1,
        "2024-03-01T09:00:00Z",
        1709283600,
        vec![
            comment(951, -1, true, "web"),
            comment(952, -1, false, "web"),
        ],
    );
    let body = events_body(json!([update]), 1709283600, true);
    let recs = read_page(body).await;
    let kinds: Vec<(&str, AuthorKind)> = recs
        .iter()
        .filter_map(Record::as_message)
        .map(|m| (m.external_id.as_str(), m.author_kind))
        .collect();
    assert_eq!(
        kinds,
        vec![("951", AuthorKind::Bot), ("952", AuthorKind::System)]
    );
}

const SECOND: i64 = 1709283600;

fn one_second_audits(first_id: u64, n: u64) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                let id = first_id + 10 * i;
                audit(
                    id,
                    id,
                    235323,
                    "2024-03-01T09:00:00Z",
                    SECOND,
                    vec![status(id + 1, "Change", Some("open"), "solved", "Web form")],
                )
            })
            .collect(),
    )
}

/// The batches read from `SECOND` with `per_page` 2, the server answering each
/// `(start_time, per_page, page)` exactly once (`per_page` `None`: whatever is asked).
async fn read_from_second(pages: Vec<(i64, Option<&str>, ResponseTemplate)>) -> Vec<Batch> {
    let server = MockServer::start().await;
    for (start, per_page, response) in pages {
        let start = start.to_string();
        let mut query = vec![("start_time", start.as_str())];
        query.extend(per_page.map(|n| ("per_page", n)));
        get(EVENTS, &query, response).expect(1).mount(&server).await;
    }
    let c = connector_with(&server, |s| s.page_size = Some(2));
    let from = Checkpoint::new(json!({"start_time": SECOND}));
    read_ok(&c, "ticket_events", Some(from)).await
}

/// "In time-based exports, the system may exceed the 1000-item default return limit if items
/// share the same timestamp": a page larger than `per_page`, all of one second, holds the whole
/// second, so paging moves one second on even when `end_time` names that second.
#[tokio::test]
async fn a_page_grown_past_per_page_by_one_second_moves_paging_past_that_second() {
    let batches = read_from_second(vec![
        (
            SECOND,
            Some("2"),
            events_page(one_second_audits(1000, 5), SECOND, false),
        ),
        (SECOND + 1, None, events_page(json!([]), SECOND + 1, true)),
    ])
    .await;
    assert_eq!(
        checkpoints(&batches),
        vec![
            json!({"start_time": SECOND + 1}),
            json!({"start_time": SECOND + 1})
        ]
    );
    assert_eq!(status_changes(&records(&batches)).len(), 5);
}

/// A page exactly full (our smaller `per_page`) of one second whose `end_time` does not move
/// is asked again with the largest page, which Zendesk grows to hold the second.
#[tokio::test]
async fn a_full_page_of_one_second_is_asked_again_with_the_largest_page() {
    let batches = read_from_second(vec![
        (
            SECOND,
            Some("2"),
            events_page(one_second_audits(2000, 2), SECOND, false),
        ),
        (
            SECOND,
            Some("1000"),
            events_page(one_second_audits(2000, 3), SECOND + 5, true),
        ),
    ])
    .await;
    assert_eq!(
        checkpoints(&batches),
        vec![json!({"start_time": SECOND + 5})]
    );
    let ids: Vec<String> = status_changes(&records(&batches))
        .iter()
        .map(|s| s.external_id.clone())
        .collect();
    assert_eq!(ids, vec!["2001", "2011", "2021"]);
}

/// A full page of the largest size, all of one second, with an `end_time` that does not move:
/// nothing can page further without skipping updates, so the stream says so instead of
/// looping on the same request.
#[tokio::test]
async fn a_second_fuller_than_the_largest_page_fails_loudly_instead_of_looping() {
    let server = MockServer::start().await;
    given(EVENTS, &[("start_time", &SECOND.to_string())])
        .and(query_param_is_missing("per_page"))
        .respond_with(events_page(one_second_audits(10_000, 1000), SECOND, false))
        .expect(1)
        .mount(&server)
        .await;
    let from = Checkpoint::new(json!({"start_time": SECOND}));
    let (batches, err) = read(&connector(&server), "ticket_events", Some(from)).await;
    assert!(batches.is_empty());
    assert!(
        matches!(&err, Some(deskpulse_connector::ConnectorError::Malformed { detail, .. })
            if detail.contains("does not move") && detail.contains("2024-03-01T09:00:00")),
        "{err:?}"
    );
}

/// A child without its own via has the update's via ("An event will have its own via object
/// if it's different from the via object of the audit"): a status change inside an update made
/// by a trigger (the via object reference's rule example) is automated.
#[tokio::test]
async fn a_child_without_via_takes_the_updates_rule_via() {
    let mut update = audit(
        960,
        8,
        235323,
        "2024-03-01T09:00:00Z",
        1709283600,
        vec![
            json!({"id": 961, "type": "Change", "field_name": "status", "value": "open", "previous_value": "new"}),
        ],
    );
    update["via"] = json!({"channel": "rule", "source": {"to": {}, "from": {"id": 22472716, "title": "Assign to first responder"}, "rel": "trigger"}});
    let body = events_body(json!([update]), 1709283600, true);
    let recs = read_page(body).await;
    assert_eq!(status_changes(&recs)[0].author_kind, AuthorKind::System);
}

/// The connector reads only the child keys a fact needs and skips the rest unread: a
/// comment's bodies, attachments and metadata, or a tags change's array `value`, change
/// nothing; a `field_name` that is there but `null` names no field, so the child is no
/// status change (as when children were read as whole maps).
#[tokio::test]
async fn children_keys_a_fact_does_not_need_are_skipped_whatever_their_shape() {
    let update = audit(
        970,
        9,
        235323,
        "2024-03-01T09:00:00Z",
        1709283600,
        vec![
            json!({"id": 971, "type": "Comment", "event_type": "Comment", "public": false,
                   "author_id": 235323, "body": "x".repeat(10_000), "html_body": "<p>\"q\"</p>",
                   "attachments": [{"id": 1, "size": 2, "thumbnails": []}],
                   "metadata": {"system": {"ip_address": null}, "custom": {}}}),
            json!({"id": 972, "event_type": "Change", "tags": ["vip"], "value": ["vip", "x"],
                   "previous_value": []}),
            json!({"id": 973, "event_type": "Change", "field_name": null, "status": "open"}),
        ],
    );
    let recs = read_page(events_body(json!([update]), 1709283600, true)).await;
    let messages: Vec<_> = recs.iter().filter_map(Record::as_message).collect();
    assert_eq!(
        (
            messages.len(),
            messages[0].external_id.as_str(),
            messages[0].public
        ),
        (1, "971", false)
    );
    assert_eq!(status_changes(&recs), Vec::<&StatusChange>::new());
}

/// The recent window first: the events export begins at an instant (its documented
/// `start_time`), a checkpoint's instant is its next `start_time` (the last page's
/// `end_time`); the ratings list is read whole (the cursor exports: window.rs).
#[tokio::test]
async fn the_events_export_begins_at_the_window_and_says_how_far_it_got() {
    use deskpulse_connector::Connector;
    let server = events_server().await;
    let c = connector(&server);
    // A window from 2024-03-01T10:00:00Z (1709287200): the export's third page.
    let w = t("2024-03-01T10:00:00Z");
    let start = c
        .start_at("ticket_events", w)
        .expect("events begin at an instant");
    assert_eq!(start.value(), &json!({"start_time": 1709287200}));
    assert_eq!(c.start_at("satisfaction_ratings", w), None);
    // Read from there: the window's page, then the end.
    let recent = read_ok(&c, "ticket_events", Some(start)).await;
    assert_eq!(
        checkpoints(&recent),
        vec![json!({"start_time": 1709892000})]
    );
    // The backfill's pages from the configured start: each says how far it got, so the
    // runner stops after the second (it reached the window).
    let all = read_ok(&c, "ticket_events", None).await;
    let reached: Vec<_> = all
        .iter()
        .map(|b| c.reached("ticket_events", &b.checkpoint))
        .collect();
    assert_eq!(
        reached,
        [
            Some(t("2024-03-01T09:00:05Z")),
            Some(t("2024-03-01T10:00:00Z")),
            Some(t("2024-03-08T10:00:00Z"))
        ]
    );
    assert!(reached[1] >= Some(w) && reached[0] < Some(w));
    assert_eq!(c.reached("satisfaction_ratings", &all[0].checkpoint), None);
    // A window before the configured start date is no window: the export is read whole.
    let later = connector_with(&server, |s| {
        s.start_date = Some(serde_json::from_value(json!("2024-03-02")).unwrap())
    });
    assert_eq!(later.start_at("ticket_events", w), None);
}
