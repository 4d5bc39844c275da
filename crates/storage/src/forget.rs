//! Forgetting (privacy): a source's whole copy, or one customer's rows, deleted in one
//! transaction each, with the count of rows deleted per table.

use crate::error::query;
use crate::secret::{existing_secret, hash_email};
use crate::{StorageError, Store};

/// Every table holding rows of a source, in the order [`Store::forget_source`] reports
/// them: the synced records, their checkpoints, the facts derived from them, the vendor's
/// own values and the pages of an unfinished sweep of ticket ids.
pub const SOURCE_TABLES: &[&str] = &[
    "tickets",
    "messages",
    "status_changes",
    "agents",
    "ratings",
    "reviews",
    "social_stats",
    "rating_snapshots",
    "social_interactions",
    "customers",
    "checkpoints",
    "ticket_facts",
    "open_spans",
    "facts_dirty",
    "vendor_metrics",
    "roster_seen",
    "stream_freshness",
];

/// The tables [`Store::forget_customer`] deletes from: imported orders (every team) and
/// the helpdesks' customers (every source), matched by the keyed hash of the address.
pub const CUSTOMER_TABLES: &[&str] = &["orders", "customers"];

/// What a forget deleted: rows per table, in the order of the table list it used.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Forgotten {
    pub tables: Vec<(&'static str, u64)>,
}

impl Forgotten {
    /// Rows deleted in all tables.
    pub fn total(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }

    /// Rows deleted from `table` (0 when it is not among them).
    pub fn of(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }
}

impl Store {
    /// Deletes every row of `source` from [`SOURCE_TABLES`] in one transaction: all of it or
    /// nothing. Other sources, the teams' imports and the delivery and run logs are left as
    /// they are. A source still configured is read again, from its start, by its next sync.
    pub async fn forget_source(&self, source: &str) -> Result<Forgotten, StorageError> {
        if source.is_empty() {
            return Err(StorageError::Invalid {
                what: "source".into(),
                reason: "the source name is empty".into(),
            });
        }
        let op = "forgetting a source";
        let mut tx = self
            .begin()
            .await
            .map_err(query("starting a transaction"))?;
        // A refresh running meanwhile cannot write the source's facts back.
        tx.lock_facts(source).await?;
        let mut tables = Vec::with_capacity(SOURCE_TABLES.len());
        for &table in SOURCE_TABLES {
            let n = tx
                .sql(format!("DELETE FROM {table} WHERE source = $1"))
                .bind(source)
                .execute(&mut tx)
                .await
                .map_err(query(op))?;
            tables.push((table, n));
        }
        tx.commit().await.map_err(query(op))?;
        Ok(Forgotten { tables })
    }

    /// Deletes the rows of the customer with this e-mail address from [`CUSTOMER_TABLES`],
    /// matched by the keyed hash of the address (trimmed and lowercased, as stored), in one
    /// transaction. Without an install secret nothing was ever hashed: nothing to delete,
    /// and none is created.
    pub async fn forget_customer(&self, email: &str) -> Result<Forgotten, StorageError> {
        if email.trim().is_empty() {
            return Err(StorageError::Invalid {
                what: "e-mail address".into(),
                reason: "it is empty".into(),
            });
        }
        let op = "forgetting a customer";
        let mut tx = self
            .begin()
            .await
            .map_err(query("starting a transaction"))?;
        let mut tables: Vec<(&'static str, u64)> =
            CUSTOMER_TABLES.iter().map(|t| (*t, 0)).collect();
        let Some(secret) = existing_secret(&mut tx, op).await? else {
            tx.rollback().await.map_err(query(op))?;
            return Ok(Forgotten { tables });
        };
        let hash = hash_email(&secret, email);
        for (table, n) in tables.iter_mut() {
            let column = if *table == "orders" {
                "customer_hash"
            } else {
                "email_hash"
            };
            *n = tx
                .sql(format!("DELETE FROM {table} WHERE {column} = $1"))
                .bind(&hash)
                .execute(&mut tx)
                .await
                .map_err(query(op))?;
        }
        tx.commit().await.map_err(query(op))?;
        Ok(Forgotten { tables })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrderRow;
    use crate::testing::TestDb;
    use chrono::{TimeZone, Utc};
    use deskpulse_model::{
        Agent, AuthorKind, Batch, Channel, Checkpoint, Customer, Message, Record, Ticket,
        TicketRoster, TicketStatus, VendorDuration, VendorMetrics,
    };
    use serde_json::json;

    fn t(h: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0).unwrap()
    }

    fn batch(id: &str) -> Batch {
        let ticket = Ticket {
            external_id: id.into(),
            channel: Channel::Email,
            status: TicketStatus::Open,
            created_at: t(1),
            updated_at: t(2),
            first_solved_at: None,
            final_solved_at: None,
            reopens: None,
            opened_by_agent: Some(false),
            requester_id: Some("req".into()),
            assignee_id: Some("ag".into()),
            group_id: None,
            tags: vec![],
            priority: None,
        };
        let message = Message {
            external_id: format!("{id}-m"),
            ticket_id: id.into(),
            author_kind: AuthorKind::Customer,
            author_id: Some("req".into()),
            public: true,
            created_at: t(1),
        };
        Batch {
            records: vec![
                Record::Ticket(ticket),
                Record::Message(message),
                Record::Agent(Agent {
                    external_id: "ag".into(),
                    name: "Ann".into(),
                    is_bot: false,
                }),
                Record::Customer(Customer {
                    external_id: "req".into(),
                    email: Some("Ann@Example.com".into()),
                }),
                Record::VendorMetrics(VendorMetrics {
                    ticket_id: id.into(),
                    updated_at: t(2),
                    first_response: VendorDuration::default(),
                    first_resolution: VendorDuration::default(),
                    full_resolution: VendorDuration::default(),
                    reopens: None,
                    replies: None,
                }),
                Record::TicketRoster(TicketRoster {
                    sweep_started_at: t(3),
                    listed_before: t(3),
                    ids: vec![id.into()],
                    complete: false,
                }),
            ],
            checkpoint: Checkpoint::new(json!({"page": 1})),
        }
    }

    async fn rows(store: &Store, table: &str, source: &str) -> i64 {
        store
            .sql(format!("SELECT COUNT(*) FROM {table} WHERE source = $1"))
            .bind(source)
            .scalar(store)
            .await
            .unwrap()
    }

    async fn forget_source_deletes_only_that_source(store: Store) {
        store
            .commit_batch("a", "tickets", &batch("1"))
            .await
            .unwrap();
        store
            .commit_batch("b", "tickets", &batch("1"))
            .await
            .unwrap();
        // Leave the facts of "a" marked out of date, so facts_dirty has rows too.
        store
            .commit_batch("a", "events", &batch("2"))
            .await
            .unwrap();
        store.refresh_facts().await.unwrap();
        store
            .commit_batch("a", "events", &batch("3"))
            .await
            .unwrap();
        let b_before: Vec<String> = store
            .dump()
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.contains("\"b\""))
            .collect();
        let gone = store.forget_source("a").await.unwrap();
        assert_eq!(
            gone.tables.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            SOURCE_TABLES
        );
        assert_eq!(
            (
                gone.of("tickets"),
                gone.of("messages"),
                gone.of("checkpoints")
            ),
            (3, 3, 2)
        );
        assert_eq!((gone.of("agents"), gone.of("customers")), (1, 1));
        assert!(
            gone.of("ticket_facts") >= 2 && gone.of("facts_dirty") >= 1,
            "{gone:?}"
        );
        assert_eq!((gone.of("vendor_metrics"), gone.of("roster_seen")), (3, 3));
        for table in SOURCE_TABLES {
            assert_eq!(rows(&store, table, "a").await, 0, "{table}");
        }
        let after: Vec<String> = store.dump().await.unwrap();
        assert_eq!(after, b_before, "only b's rows are left, unchanged");
        // Again: nothing left to delete.
        assert_eq!(store.forget_source("a").await.unwrap().total(), 0);
    }

    async fn forget_customer_deletes_their_orders_and_customer_rows(store: Store) {
        // No secret yet: nothing was hashed, nothing is deleted, no secret is created.
        assert_eq!(
            store
                .forget_customer("ann@example.com")
                .await
                .unwrap()
                .total(),
            0
        );
        store.commit_batch("a", "users", &batch("1")).await.unwrap();
        store.commit_batch("b", "users", &batch("1")).await.unwrap();
        let order = |id: &str, email: &str| OrderRow {
            order_id: id.into(),
            customer_email: email.into(),
            created_at: t(1),
            amount: 5.0,
            currency: "EUR".into(),
        };
        store
            .import_orders(
                "support",
                &[
                    order("o1", "ann@example.com"),
                    order("o2", "bob@example.com"),
                ],
            )
            .await
            .unwrap();
        store
            .import_orders("sales", &[order("o3", "ANN@example.com ")])
            .await
            .unwrap();
        let gone = store.forget_customer(" Ann@EXAMPLE.com").await.unwrap();
        assert_eq!(gone.tables, vec![("orders", 2), ("customers", 2)]);
        let dump = store.dump().await.unwrap();
        assert!(
            dump.iter()
                .any(|l| l.starts_with("orders [\"support\",\"o2\""))
        );
        assert!(
            !dump.iter().any(|l| l.starts_with("customers ")),
            "{dump:#?}"
        );
        assert_eq!(store.counts().await.unwrap()["orders"], 1);
        // The tickets that named the customer stay (their requester id is a pseudonym).
        assert_eq!(store.counts().await.unwrap()["tickets"], 2);
    }

    macro_rules! both {
        ($($name:ident),*) => {$(
            mod $name {
                use super::*;
                #[tokio::test]
                async fn on_sqlite() {
                    let db = TestDb::sqlite();
                    super::$name(db.open().await).await;
                }
                #[tokio::test]
                async fn on_postgres() {
                    let Some(db) = TestDb::postgres().await else { return };
                    let store = db.open().await;
                    super::$name(store.clone()).await;
                    store.close().await;
                    db.cleanup().await;
                }
            }
        )*};
    }

    both!(
        forget_source_deletes_only_that_source,
        forget_customer_deletes_their_orders_and_customer_rows
    );
}
