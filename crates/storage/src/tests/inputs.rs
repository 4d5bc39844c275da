//! Customers' hashed e-mails, manual inputs and the report windows around them; run on both
//! backends by the suite in `tests.rs`.

use super::{SRC, at, message, rating, ticket};
use crate::{ImportSummary, Monthly, OrderRow, StorageError, Store};
use chrono::{DateTime, Duration, TimeZone, Utc};
use deskpulse_metrics::{MonthlyAmount, SubscriptionInput};
use deskpulse_model::{
    Batch, Checkpoint, Customer, Rating, RatingKind, RatingScale, Record, Review, SocialMetric,
    SocialStat, TicketStatus,
};
use serde_json::json;

const TEAM: &str = "support";
const EMAIL: &str = "Ann.Smith@Example.com";

fn batch(records: Vec<Record>) -> Batch {
    Batch {
        records,
        checkpoint: Checkpoint::new(json!(1)),
    }
}

fn customer(id: &str, email: Option<&str>) -> Record {
    Record::Customer(Customer {
        external_id: id.into(),
        email: email.map(Into::into),
    })
}

fn month(m: (i32, u32), amount: f64, currency: &str) -> MonthlyAmount {
    MonthlyAmount {
        month: m,
        amount,
        currency: currency.into(),
    }
}

fn sub(id: &str, start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> SubscriptionInput {
    SubscriptionInput {
        customer_id: id.into(),
        started_at: start,
        ended_at: end,
    }
}

fn order(id: &str, email: &str, created: DateTime<Utc>, amount: f64) -> OrderRow {
    OrderRow {
        order_id: id.into(),
        customer_email: email.into(),
        created_at: created,
        amount,
        currency: "EUR".into(),
    }
}

fn survey(id: &str, kind: RatingKind, score: f64, created: DateTime<Utc>) -> Rating {
    Rating {
        kind,
        score,
        scale: if kind == RatingKind::Nps {
            RatingScale::ZERO_TO_TEN
        } else {
            RatingScale::ONE_TO_FIVE
        },
        ticket_id: None,
        agent_id: None,
        ..rating(id, created)
    }
}

fn summary(rows: u64, new: u64, changed: u64, unchanged: u64) -> ImportSummary {
    ImportSummary {
        rows,
        new,
        changed,
        unchanged,
    }
}

/// The address reaches no table; equal addresses (any case, any padding) hash alike.
pub(super) async fn customers_store_only_a_keyed_hash(store: Store) {
    let mut t1 = ticket("1", TicketStatus::Open, at(1), at(1));
    t1.requester_id = Some("c1".into());
    let mut t2 = ticket("2", TicketStatus::Open, at(2), at(2));
    t2.requester_id = Some("c2".into());
    let b = batch(vec![
        Record::Ticket(t1),
        Record::Ticket(t2),
        customer("c1", Some(EMAIL)),
        customer("c2", None),
        customer("c3", Some("  ")),
        // Hashed, but no ticket of the period is theirs.
        customer("c4", Some("dora@example.com")),
    ]);
    store.commit_batch(SRC, "users", &b).await.unwrap();
    store.commit_batch(SRC, "users", &b).await.unwrap();
    assert_eq!(store.counts().await.unwrap()["customers"], 4);
    let dump = store.dump().await.unwrap().join("\n").to_lowercase();
    assert!(
        !dump.contains("ann.smith") && !dump.contains("example.com"),
        "{dump}"
    );

    let hash = store.email_hash(" ann.smith@EXAMPLE.com\n").await.unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(hash, store.email_hash(EMAIL).await.unwrap());
    assert_ne!(hash, store.email_hash("bob@example.com").await.unwrap());
    // Hashes show as install-independent pseudonyms.
    assert!(
        dump.contains(&format!("customers [\"{SRC}\",\"c1\",\"#1\"]")),
        "{dump}"
    );
    assert!(!dump.contains(&hash), "{dump}");
    assert!(
        dump.contains(&format!("customers [\"{SRC}\",\"c2\",null]")),
        "{dump}"
    );

    // Requesters of the period's tickets, with a hash only.
    let input = store
        .load_report_input(&[SRC.into()], at(0), at(24))
        .await
        .unwrap();
    assert_eq!(input.requesters.len(), 1);
    assert_eq!(
        (
            input.requesters[0].requester_id.as_str(),
            input.requesters[0].email_hash.as_str()
        ),
        ("c1", hash.as_str())
    );
    // A later address replaces the hash.
    store
        .commit_batch(
            SRC,
            "users",
            &batch(vec![customer("c1", Some("new@example.com"))]),
        )
        .await
        .unwrap();
    let input = store
        .load_report_input(&[SRC.into()], at(0), at(24))
        .await
        .unwrap();
    assert_eq!(
        input.requesters[0].email_hash,
        store.email_hash("new@example.com").await.unwrap()
    );
    // The same hash joins an order's e-mail to the requester.
    store
        .import_orders(TEAM, &[order("o1", "NEW@example.com ", at(3), 10.0)])
        .await
        .unwrap();
    let input = store
        .load_report_input_for(TEAM, &[SRC.into()], at(0), at(24))
        .await
        .unwrap();
    assert_eq!(
        input.orders[0].customer_hash,
        input.requesters[0].email_hash
    );
    let dump = store.dump().await.unwrap().join("\n").to_lowercase();
    assert!(!dump.contains("example.com"), "{dump}");
    // The order and its requester share a pseudonym.
    assert!(
        dump.contains(&format!("customers [\"{SRC}\",\"c1\",\"#1\"]")),
        "{dump}"
    );
    assert!(dump.contains("orders [\"support\",\"o1\",\"#1\""), "{dump}");
}

/// Every import: a re-import changes nothing, a corrected row replaces the stored one, and
/// teams and kinds stay apart.
pub(super) async fn imports_are_idempotent_and_replace_corrections(store: Store) {
    // Costs and revenue.
    let costs = vec![
        month((2026, 10), 900.0, "EUR"),
        month((2026, 11), 1000.0, "EUR"),
        month((2026, 11), 50.0, "USD"),
    ];
    let s = store
        .import_monthly(Monthly::Costs, TEAM, &costs)
        .await
        .unwrap();
    assert_eq!(s, summary(3, 3, 0, 0));
    let dump = store.dump().await.unwrap();
    let s = store
        .import_monthly(Monthly::Costs, TEAM, &costs)
        .await
        .unwrap();
    assert_eq!(s, summary(3, 0, 0, 3));
    assert_eq!(store.dump().await.unwrap(), dump);
    let mut fixed = costs.clone();
    fixed[1].amount = 1100.0;
    fixed.push(month((2026, 12), 1200.0, "EUR"));
    let s = store
        .import_monthly(Monthly::Costs, TEAM, &fixed)
        .await
        .unwrap();
    assert_eq!(s, summary(4, 1, 1, 2));
    store
        .import_monthly(Monthly::Revenue, TEAM, &costs[..1])
        .await
        .unwrap();
    store
        .import_monthly(Monthly::Costs, "sales", &costs[..1])
        .await
        .unwrap();
    let c = store.counts().await.unwrap();
    assert_eq!((c["costs"], c["revenue"]), (5, 1));
    let dump = store.dump().await.unwrap();
    assert!(
        dump.contains(&"costs [\"support\",\"2026-11\",\"EUR\",1100.0]".to_string()),
        "{dump:#?}"
    );

    // Subscriptions: keyed by (customer, start); an end date arrives later.
    let subs = vec![
        sub("c1", at(-1000), None),
        sub("c1", at(-5000), Some(at(-3000))),
        sub("c2", at(-1000), None),
    ];
    assert_eq!(
        store.import_subscriptions(TEAM, &subs).await.unwrap(),
        summary(3, 3, 0, 0)
    );
    assert_eq!(
        store.import_subscriptions(TEAM, &subs).await.unwrap(),
        summary(3, 0, 0, 3)
    );
    let mut ended = subs.clone();
    ended[2].ended_at = Some(at(10));
    assert_eq!(
        store.import_subscriptions(TEAM, &ended).await.unwrap(),
        summary(3, 0, 1, 2)
    );
    assert_eq!(store.counts().await.unwrap()["subscriptions"], 3);

    // Orders: keyed by order id.
    let orders = vec![
        order("o1", EMAIL, at(5), 19.99),
        order("o2", "b@x.org", at(6), 5.0),
    ];
    assert_eq!(
        store.import_orders(TEAM, &orders).await.unwrap(),
        summary(2, 2, 0, 0)
    );
    assert_eq!(
        store.import_orders(TEAM, &orders).await.unwrap(),
        summary(2, 0, 0, 2)
    );
    let mut fixed = orders.clone();
    fixed[0].amount = 29.99;
    assert_eq!(
        store.import_orders(TEAM, &fixed).await.unwrap(),
        summary(2, 0, 1, 1)
    );
    assert_eq!(store.counts().await.unwrap()["orders"], 2);

    // Surveys: ratings of the pseudo-source `import:{team}`, keyed by response id.
    let surveys = vec![
        survey("s1", RatingKind::Nps, 9.0, at(1)),
        survey("s2", RatingKind::Csat, 4.0, at(2)),
    ];
    assert_eq!(
        store.import_surveys(TEAM, &surveys).await.unwrap(),
        summary(2, 2, 0, 0)
    );
    let dump = store.dump().await.unwrap();
    assert_eq!(
        store.import_surveys(TEAM, &surveys).await.unwrap(),
        summary(2, 0, 0, 2)
    );
    assert_eq!(store.dump().await.unwrap(), dump);
    let mut fixed = surveys.clone();
    fixed[1].comment = Some("fixed".into());
    assert_eq!(
        store.import_surveys(TEAM, &fixed).await.unwrap(),
        summary(2, 0, 1, 1)
    );
    assert!(
        store
            .dump()
            .await
            .unwrap()
            .iter()
            .any(|l| l.starts_with("ratings [\"import:support\",\"s2\"") && l.contains("fixed"))
    );
    // A helpdesk rating with the same id is another row.
    store
        .commit_batch(SRC, "r", &batch(vec![Record::Rating(rating("s1", at(1)))]))
        .await
        .unwrap();
    assert_eq!(store.counts().await.unwrap()["ratings"], 3);
    // Duplicates within one call collapse to the last one.
    let dup = vec![month((2027, 1), 1.0, "EUR"), month((2027, 1), 2.0, "EUR")];
    assert_eq!(
        store
            .import_monthly(Monthly::Revenue, TEAM, &dup)
            .await
            .unwrap(),
        summary(1, 1, 0, 0)
    );
}

/// An import that fails anywhere, even in its last statement, leaves nothing behind.
pub(super) async fn a_failing_import_writes_nothing(store: Store) {
    store
        .import_monthly(Monthly::Costs, TEAM, &[month((2026, 11), 1.0, "EUR")])
        .await
        .unwrap();
    let before = store.dump().await.unwrap();
    // More rows than one statement takes, the bad one (ends before it starts) last.
    let mut subs: Vec<SubscriptionInput> = (0..2_500)
        .map(|i| sub(&format!("c{i}"), at(0), None))
        .collect();
    subs.push(sub("bad", at(10), Some(at(5))));
    let err = store.import_subscriptions(TEAM, &subs).await.unwrap_err();
    assert!(matches!(err, StorageError::Query { .. }), "{err}");
    assert_eq!(store.dump().await.unwrap(), before);

    let mut orders: Vec<OrderRow> = (0..1_500)
        .map(|i| order(&format!("o{i}"), "a@b.c", at(0), 1.0))
        .collect();
    orders.push(order("", "a@b.c", at(0), 1.0));
    store.import_orders(TEAM, &orders).await.unwrap_err();
    assert_eq!(store.counts().await.unwrap()["orders"], 0);

    let mut surveys: Vec<Rating> = (0..1_000)
        .map(|i| survey(&format!("s{i}"), RatingKind::Csat, 5.0, at(0)))
        .collect();
    surveys.push(survey("", RatingKind::Csat, 5.0, at(0)));
    store.import_surveys(TEAM, &surveys).await.unwrap_err();
    // Values that could not be stored faithfully are refused before anything is written.
    let err = store
        .import_monthly(
            Monthly::Costs,
            TEAM,
            &[
                month((2026, 12), 5.0, "EUR"),
                month((2026, 11), -1.0, "EUR"),
            ],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
    store
        .import_surveys(TEAM, &[survey("nan", RatingKind::Csat, f64::NAN, at(0))])
        .await
        .unwrap_err();
    store
        .import_monthly(Monthly::Costs, "", &[month((2026, 12), 5.0, "EUR")])
        .await
        .unwrap_err();
    assert_eq!(store.dump().await.unwrap(), before);
    // The store still works.
    store.import_subscriptions(TEAM, &subs[..10]).await.unwrap();
}

/// The period is November 2026 in UTC: [2026-11-01, 2026-12-01).
pub(super) async fn report_input_windows(store: Store) {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let us = Duration::microseconds(1);
    let day = Duration::days(1);

    // Orders: [start − 5 days, end + 5 days).
    let orders = vec![
        order("before", "a@b.c", start - day * 5 - us, 1.0),
        order("first", "a@b.c", start - day * 5, 1.0),
        order("last", "a@b.c", end + day * 5 - us, 1.0),
        order("after", "a@b.c", end + day * 5, 1.0),
    ];
    store.import_orders(TEAM, &orders).await.unwrap();
    store.import_orders("sales", &orders[1..2]).await.unwrap();

    // Subscriptions overlapping [start − 1 day, end].
    let subs = vec![
        sub("ended-long-ago", start - day * 90, Some(start - day - us)),
        sub("ended-day-before", start - day * 90, Some(start - day)),
        sub("active", start - day * 90, None),
        sub("churned", start - day * 90, Some(start + day * 3)),
        sub("joined", start + day, None),
        sub("starts-at-end", end, None),
        sub("starts-later", end + us, None),
    ];
    store.import_subscriptions(TEAM, &subs).await.unwrap();
    store
        .import_subscriptions("sales", &subs[2..3])
        .await
        .unwrap();

    // Costs and revenue of the months within a day of the period.
    let months: Vec<MonthlyAmount> = [(2026, 9), (2026, 10), (2026, 11), (2026, 12), (2027, 1)]
        .into_iter()
        .map(|m| month(m, 100.0, "EUR"))
        .collect();
    store
        .import_monthly(Monthly::Costs, TEAM, &months)
        .await
        .unwrap();
    store
        .import_monthly(Monthly::Revenue, TEAM, &months[2..3])
        .await
        .unwrap();
    store
        .import_monthly(Monthly::Costs, "sales", &months[2..3])
        .await
        .unwrap();

    // Imported surveys in the period, of this team only.
    let surveys = vec![
        survey("in", RatingKind::Nps, 10.0, start),
        survey("out", RatingKind::Nps, 10.0, end),
    ];
    store.import_surveys(TEAM, &surveys).await.unwrap();
    store.import_surveys("sales", &surveys[..1]).await.unwrap();

    // Reviews and social stats of the source.
    let review = |id: &str, created: DateTime<Utc>, replied: Option<DateTime<Utc>>| {
        Record::Review(Review {
            platform: "google".into(),
            external_id: id.into(),
            rating: 2.0,
            title: None,
            text: None,
            author_name: None,
            created_at: created,
            reply_text: replied.map(|_| "thanks".into()),
            replied_at: replied,
            url: None,
        })
    };
    let stat = |metric, value: f64, observed: DateTime<Utc>| {
        Record::SocialStat(SocialStat {
            platform: "x".into(),
            account: "@acme".into(),
            metric,
            value,
            observed_at: observed,
        })
    };
    use SocialMetric::{Followers, Likes};
    let records = vec![
        review("new", start + day, None),
        review("new-after", end, None),
        review("old-unanswered", start - day * 30, None),
        review("old-answered-in", start - day * 30, Some(start + day)),
        review("old-answered-before", start - day * 30, Some(start - us)),
        stat(Followers, 1.0, start - day * 10),
        stat(Followers, 2.0, start - day),
        stat(Followers, 3.0, start + day),
        stat(Followers, 4.0, end),
        // Counters are kept one per UTC day: the day after the end is another day.
        stat(Followers, 5.0, end + day),
        stat(Likes, 7.0, start - day * 2),
        Record::Ticket(ticket("t", TicketStatus::Open, start + day, start + day)),
        Record::Message(message("m", "t", start + day)),
    ];
    store.commit_batch(SRC, "x", &batch(records)).await.unwrap();

    let input = store
        .load_report_input_for(TEAM, &[SRC.into()], start, end)
        .await
        .unwrap();
    let ids = |v: Vec<&str>| v.join(" ");
    assert_eq!(
        ids(input.orders.iter().map(|o| o.order_id.as_str()).collect()),
        "first last"
    );
    assert_eq!(
        ids(input
            .subscriptions
            .iter()
            .map(|s| s.customer_id.as_str())
            .collect()),
        "active churned ended-day-before joined starts-at-end"
    );
    assert_eq!(
        input.costs.iter().map(|m| m.month).collect::<Vec<_>>(),
        [(2026, 10), (2026, 11), (2026, 12)]
    );
    assert_eq!(input.revenue, vec![month((2026, 11), 100.0, "EUR")]);
    let ratings: Vec<(&str, &str)> = input
        .ratings
        .iter()
        .map(|r| (r.source.as_str(), r.rating.external_id.as_str()))
        .collect();
    assert_eq!(ratings, [("import:support", "in")]);
    assert_eq!(
        ids(input
            .reviews
            .iter()
            .map(|r| r.review.external_id.as_str())
            .collect()),
        "new old-answered-in old-unanswered"
    );
    let social: Vec<(SocialMetric, f64)> = input
        .social
        .iter()
        .map(|s| (s.stat.metric, s.stat.value))
        .collect();
    assert_eq!(
        social,
        [
            (Followers, 2.0),
            (Followers, 3.0),
            (Followers, 4.0),
            (Likes, 7.0)
        ]
    );

    // Without a team: the sources' facts only.
    let plain = store
        .load_report_input(&[SRC.into()], start, end)
        .await
        .unwrap();
    assert!(plain.orders.is_empty() && plain.costs.is_empty() && plain.ratings.is_empty());
    assert_eq!(plain.reviews, input.reviews);
    // A team with no sources still gets its manual inputs.
    let only = store
        .load_report_input_for(TEAM, &[], start, end)
        .await
        .unwrap();
    assert_eq!((only.orders.len(), only.ratings.len()), (2, 1));
    assert!(only.tickets.is_empty());
}

/// Issue 11: ratings find their ticket. A helpdesk rating without an agent counts for its
/// ticket's assignee; an imported survey naming a ticket of the team's helpdesk is linked to
/// it (so a spam ticket's survey counts nowhere, and its agent row gets it); and a ticket of
/// the period answered after the period converts with orders up to 5 days after that answer.
pub(super) async fn ratings_and_orders_find_their_tickets(store: Store) {
    let (start, end) = (at(0), at(168));
    let day = Duration::days(1);
    let mut assigned = ticket("1", TicketStatus::Solved, at(1), at(2));
    assigned.assignee_id = Some("100".into());
    assigned.final_solved_at = Some(at(2));
    let mut spam = ticket("2", TicketStatus::Spam, at(1), at(2));
    spam.assignee_id = Some("100".into());
    // Created in the period, first answered 3 days after its end.
    let late = ticket("3", TicketStatus::Open, at(160), at(160 + 72));
    let customer_msg = |id: &str, t: &str, when| deskpulse_model::Message {
        author_kind: deskpulse_model::AuthorKind::Customer,
        author_id: None,
        ..message(id, t, when)
    };
    let no_agent = |id: &str, ticket: &str| Rating {
        ticket_id: Some(ticket.into()),
        agent_id: None,
        ..rating(id, at(5))
    };
    store
        .commit_batch(
            SRC,
            "tickets",
            &batch(vec![
                Record::Ticket(assigned),
                Record::Ticket(spam),
                Record::Ticket(late),
                Record::Message(customer_msg("q3", "3", at(160))),
                Record::Message(message("a3", "3", at(160 + 72))),
                customer("req-3", Some(EMAIL)),
                Record::Rating(no_agent("h1", "1")),
            ]),
        )
        .await
        .unwrap();
    let imported = |id: &str, ticket: &str| Rating {
        kind: RatingKind::Csat,
        ..no_agent(id, ticket)
    };
    store
        .import_surveys(
            TEAM,
            &[
                imported("s-linked", "1"),
                imported("s-spam", "2"),
                imported("s-unknown", "999"),
            ],
        )
        .await
        .unwrap();
    // The answer came at end + 3 days: an order at end + 7 days is inside its window.
    store
        .import_orders(
            TEAM,
            &[
                order("in-window", EMAIL, end + day * 7, 10.0),
                order("too-late", EMAIL, end + day * 8 + Duration::hours(1), 10.0),
            ],
        )
        .await
        .unwrap();

    let input = store
        .load_report_input_for(TEAM, &[SRC.to_owned()], start, end)
        .await
        .unwrap();
    let by_id = |id: &str| {
        input
            .ratings
            .iter()
            .find(|r| r.rating.external_id == id)
            .unwrap_or_else(|| panic!("rating {id} not loaded"))
    };
    assert_eq!(by_id("h1").rating.agent_id.as_deref(), Some("100"));
    assert_eq!(by_id("h1").ticket_source, None);
    let linked = by_id("s-linked");
    assert_eq!(linked.ticket_source.as_deref(), Some(SRC));
    assert_eq!(linked.rating.agent_id.as_deref(), Some("100"));
    assert_eq!(by_id("s-unknown").ticket_source, None);
    assert_eq!(by_id("s-unknown").rating.agent_id, None);
    assert!(
        input
            .excluded_tickets
            .contains(&(SRC.to_owned(), "2".to_owned())),
        "{:?}",
        input.excluded_tickets
    );
    let orders: Vec<&str> = input.orders.iter().map(|o| o.order_id.as_str()).collect();
    assert!(orders.contains(&"in-window"), "{orders:?}");
    assert!(!orders.contains(&"too-late"), "{orders:?}");

    // What the report makes of it: the spam ticket's survey counts nowhere; the agent has
    // the helpdesk rating and the linked survey; the late answer converted.
    let team = deskpulse_metrics::TeamConfig {
        name: TEAM.into(),
        ..Default::default()
    };
    let period = "2026-W46"
        .parse::<deskpulse_model::PeriodSpec>()
        .unwrap()
        .in_zone(chrono_tz::UTC);
    assert_eq!((period.start, period.end), (start, end));
    let r = deskpulse_metrics::compute_report(&team, &period, &input);
    // h1 and s-linked (both satisfied, 4 of 5) and s-unknown; not s-spam.
    assert_eq!(r.kpis.csat.n, 3);
    let agent = r
        .agents
        .iter()
        .find(|a| a.id == format!("{SRC}:100"))
        .unwrap();
    assert_eq!(agent.csat.n, 2);
    assert_eq!(r.kpis.converted_tickets.value, 1);
}
