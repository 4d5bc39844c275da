//! One behavioural suite, run on SQLite always and on Postgres when
//! `DESKPULSE_TEST_POSTGRES_URL` is set (see `testing`).

use crate::testing::TestDb;
use crate::{StorageError, Store, TABLES};
use chrono::{DateTime, Duration, TimeZone, Utc};
use deskpulse_connector::CheckpointStore;
use deskpulse_metrics::BacklogCount;
use deskpulse_model::{
    Agent, AuthorKind, Batch, Channel, Checkpoint, InteractionKind, Message, Rating, RatingKind,
    RatingScale, RatingSnapshot, Record, Review, ReviewCoverage, SocialInteraction, SocialMetric,
    SocialStat, StatusChange, Ticket, TicketStatus,
};
use serde_json::json;

mod backends;
mod batches;
mod deliveries;
mod freshness;
mod inputs;
mod reports;
mod reviews;
mod runs;
mod social;
mod sweeps;
use batches::{
    a_failing_batch_writes_nothing, checkpoints_commit_with_their_batch, large_batches_are_chunked,
    later_version_replaces, times_round_trip_to_the_microsecond, upserts_are_idempotent,
};
use deliveries::{
    a_released_delivery_is_claimed_again, concurrent_claims_have_one_winner,
    deliveries_are_claimed_once_and_forced_again,
};
use freshness::{
    a_window_pending_makes_the_source_complete_only_from_its_start,
    freshness_is_the_earliest_complete_stream_of_a_source,
    late_changes_count_what_arrived_or_went_after_an_instant,
    told_figures_are_kept_per_team_and_period,
};
use inputs::{
    a_failing_import_writes_nothing, customers_store_only_a_keyed_hash,
    imports_are_idempotent_and_replace_corrections, ratings_and_orders_find_their_tickets,
    report_input_windows,
};
use reports::report_input_candidates;
use reviews::{
    a_reply_keeps_the_earliest_time_it_was_seen,
    rating_snapshots_are_one_per_day_and_read_for_the_period,
};
use runs::{
    concurrent_run_claims_have_one_winner, failing_sources_are_those_that_failed_a_whole_period,
    job_locks_exclude_other_sessions, runs_are_claimed_once_and_finished_by_their_owner,
    the_daemon_lease_refuses_a_second_daemon_until_stale,
};
use social::{
    interactions_keep_a_hashed_author_and_the_first_reply, social_counters_are_one_per_day,
};
use sweeps::{
    a_completed_sweep_excludes_what_it_did_not_find, a_status_history_replaces_the_stored_one,
    vendor_metrics_keep_the_newest_version,
};

const SRC: &str = "zendesk-main";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 9, 0, 0, 0).unwrap()
}

fn at(hours: i64) -> DateTime<Utc> {
    t0() + Duration::hours(hours)
}

fn ticket(
    id: &str,
    status: TicketStatus,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> Ticket {
    Ticket {
        external_id: id.into(),
        channel: Channel::Email,
        status,
        created_at: created,
        updated_at: updated,
        first_solved_at: None,
        final_solved_at: None,
        reopens: None,
        opened_by_agent: None,
        requester_id: Some(format!("req-{id}")),
        assignee_id: None,
        group_id: None,
        tags: vec![],
        priority: None,
    }
}

fn message(id: &str, ticket_id: &str, created: DateTime<Utc>) -> Message {
    Message {
        external_id: id.into(),
        ticket_id: ticket_id.into(),
        author_kind: AuthorKind::Agent,
        author_id: Some("100".into()),
        public: true,
        created_at: created,
    }
}

fn change(id: &str, ticket_id: &str, to: TicketStatus, when: DateTime<Utc>) -> StatusChange {
    StatusChange {
        external_id: id.into(),
        ticket_id: ticket_id.into(),
        from: Some(TicketStatus::Open),
        to,
        author_kind: AuthorKind::Unknown,
        author_id: None,
        at: when,
    }
}

fn rating(id: &str, created: DateTime<Utc>) -> Rating {
    Rating {
        external_id: id.into(),
        kind: RatingKind::Csat,
        score: 4.0,
        scale: RatingScale::ONE_TO_FIVE,
        ticket_id: Some("1".into()),
        agent_id: Some("100".into()),
        comment: None,
        created_at: created,
    }
}

/// A batch with every kind of record and awkward values: micros, NULLs, quotes, unicode.
fn full_batch(cp: u64) -> Batch {
    let precise =
        Utc.with_ymd_and_hms(2026, 11, 10, 8, 21, 10).unwrap() + Duration::microseconds(123_456);
    let mut t = ticket("1", TicketStatus::Solved, at(-48), precise);
    t.first_solved_at = Some(precise - Duration::microseconds(1));
    t.final_solved_at = Some(precise);
    t.reopens = Some(2);
    t.opened_by_agent = Some(false);
    t.assignee_id = Some("100".into());
    t.group_id = Some("g1".into());
    t.tags = vec![
        "vip".into(),
        "complaint".into(),
        "ünïcode \"quoted\"".into(),
    ];
    t.priority = Some("high".into());
    let mut m2 = message("m2", "1", at(-47));
    m2.author_kind = AuthorKind::Customer;
    m2.author_id = None;
    m2.public = false;
    let mut sc = change("s1", "1", TicketStatus::Solved, precise);
    sc.from = None;
    Batch {
        records: vec![
            Record::Ticket(t),
            Record::Ticket(ticket("2", TicketStatus::Open, at(1), at(2))),
            Record::Message(message("m1", "1", at(-48))),
            Record::Message(m2),
            Record::StatusChange(sc),
            Record::Agent(Agent {
                external_id: "100".into(),
                name: "Alice O'Brien".into(),
                is_bot: false,
            }),
            Record::Agent(Agent {
                external_id: "200".into(),
                name: "Answer Bot".into(),
                is_bot: true,
            }),
            Record::Rating(Rating {
                comment: Some("great, 'thanks'".into()),
                ..rating("r1", at(3))
            }),
            Record::Review(Review {
                platform: "trustpilot".into(),
                external_id: "rv1".into(),
                rating: 1.5,
                title: Some("<b>bad</b>".into()),
                text: Some("line1\nline2".into()),
                author_name: None,
                created_at: at(4),
                reply_text: Some("sorry".into()),
                replied_at: Some(at(5)),
                url: Some("https://example.com/r/1".into()),
            }),
            Record::Review(Review {
                platform: "google".into(),
                external_id: "rv1".into(),
                rating: 5.0,
                title: None,
                text: None,
                author_name: Some("Bob".into()),
                created_at: at(4),
                reply_text: None,
                replied_at: None,
                url: None,
            }),
            Record::VendorMetrics(deskpulse_model::VendorMetrics {
                ticket_id: "1".into(),
                updated_at: precise,
                first_response: deskpulse_model::VendorDuration {
                    calendar_seconds: Some(3060),
                    business_seconds: Some(0),
                },
                first_resolution: deskpulse_model::VendorDuration::calendar(Some(7200)),
                full_resolution: deskpulse_model::VendorDuration::NONE,
                reopens: Some(2),
                replies: None,
            }),
            Record::SocialStat(SocialStat {
                platform: "x".into(),
                account: "@acme".into(),
                metric: SocialMetric::Followers,
                value: 1234.0,
                observed_at: at(6),
            }),
            Record::SocialStat(SocialStat {
                platform: "x".into(),
                account: "@acme".into(),
                metric: SocialMetric::Followers,
                value: 1240.0,
                observed_at: at(30),
            }),
            Record::SocialInteraction(SocialInteraction {
                platform: "x".into(),
                account: "@acme".into(),
                external_id: "1850000000000000001".into(),
                kind: InteractionKind::Mention,
                created_at: at(6),
                author_id: Some("2244994945".into()),
                positive: None,
                replied_at: Some(at(7)),
                deleted: false,
            }),
            // Two of one day (the later wins) and one of the next.
            Record::RatingSnapshot(RatingSnapshot {
                platform: "trustpilot".into(),
                account: "bu-1".into(),
                overall_rating: Some(4.1),
                total_reviews: Some(99),
                coverage: ReviewCoverage::Full,
                observed_at: at(6),
            }),
            Record::RatingSnapshot(RatingSnapshot {
                platform: "trustpilot".into(),
                account: "bu-1".into(),
                overall_rating: Some(4.2),
                total_reviews: Some(100),
                coverage: ReviewCoverage::Full,
                observed_at: at(7),
            }),
            Record::RatingSnapshot(RatingSnapshot {
                platform: "yelp".into(),
                account: "acme-sf".into(),
                overall_rating: None,
                total_reviews: None,
                coverage: ReviewCoverage::AggregateSample,
                observed_at: at(30),
            }),
        ],
        checkpoint: Checkpoint::new(
            json!({"cursor": format!("c{cp}"), "n": cp, "nested": {"b": 1, "a": [1.5, null]}}),
        ),
    }
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            use super::TestDb;
            $(
                #[tokio::test]
                async fn $name() {
                    let db = TestDb::sqlite();
                    super::$name(db.open().await).await;
                }
            )*
        }
        mod on_postgres {
            use super::TestDb;
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = TestDb::postgres().await else { return };
                    let store = db.open().await;
                    super::$name(store.clone()).await;
                    store.close().await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

/// SQLite write transactions queue for one connection (whose page cache then lasts from batch
/// to batch) while reads go on beside them.
#[tokio::test]
async fn sqlite_writes_share_one_connection_and_reads_go_on() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let Store::Sqlite(pools) = &store else {
        panic!("a SQLite store")
    };
    assert_eq!(pools.writes.options().get_max_connections(), 1);
    let mut conn = pools.writes.acquire().await.unwrap();
    let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        cache,
        -32 * 1024,
        "the write connection's page cache, in KiB"
    );
    drop(conn);
    let first = store.begin().await.unwrap();
    let second = tokio::spawn({
        let store = store.clone();
        async move { store.begin().await.map(drop) }
    });
    let read: i64 = store
        .sql("SELECT COUNT(*) FROM tickets")
        .scalar(&store)
        .await
        .unwrap();
    assert_eq!(read, 0);
    // The writer's one connection is held: the second write cannot have started.
    assert!(!second.is_finished());
    first.commit().await.unwrap();
    second.await.unwrap().unwrap();
}

/// Postgres over TLS (or possibly TLS: `prefer`) writes in statements of at most 12 kB; the
/// suite's loopback server is reached plainly, in statements of up to 1 MiB.
#[tokio::test]
async fn large_batches_are_chunked_on_postgres_over_tls() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = Store::open(&format!("{}?sslmode=prefer", db.url()))
        .await
        .unwrap();
    large_batches_are_chunked(store.clone()).await;
    store.close().await;
    db.cleanup().await;
}

suite!(
    upserts_are_idempotent,
    later_version_replaces,
    checkpoints_commit_with_their_batch,
    a_failing_batch_writes_nothing,
    report_input_candidates,
    times_round_trip_to_the_microsecond,
    large_batches_are_chunked,
    customers_store_only_a_keyed_hash,
    imports_are_idempotent_and_replace_corrections,
    a_failing_import_writes_nothing,
    report_input_windows,
    deliveries_are_claimed_once_and_forced_again,
    a_released_delivery_is_claimed_again,
    concurrent_claims_have_one_winner,
    runs_are_claimed_once_and_finished_by_their_owner,
    concurrent_run_claims_have_one_winner,
    failing_sources_are_those_that_failed_a_whole_period,
    the_daemon_lease_refuses_a_second_daemon_until_stale,
    job_locks_exclude_other_sessions,
    a_status_history_replaces_the_stored_one,
    vendor_metrics_keep_the_newest_version,
    a_completed_sweep_excludes_what_it_did_not_find,
    ratings_and_orders_find_their_tickets,
    a_reply_keeps_the_earliest_time_it_was_seen,
    rating_snapshots_are_one_per_day_and_read_for_the_period,
    social_counters_are_one_per_day,
    interactions_keep_a_hashed_author_and_the_first_reply,
    freshness_is_the_earliest_complete_stream_of_a_source,
    a_window_pending_makes_the_source_complete_only_from_its_start,
    told_figures_are_kept_per_team_and_period,
    late_changes_count_what_arrived_or_went_after_an_instant,
);
