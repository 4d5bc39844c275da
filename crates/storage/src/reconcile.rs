//! Raw ticket reads: the stored tickets with all their messages and status changes, for
//! tools that look at what was stored (`deskpulse reconcile`, tests against a ground truth,
//! exports). Reports never need these: they read the derived facts (`report.rs`).

use crate::error::query;
use crate::report::source_list;
use crate::rows::{agent, assemble, vendor_metrics};
use crate::{StorageError, Store};
use chrono::{DateTime, Utc};
use deskpulse_metrics::{AgentInput, ReconcileInput, TicketInput};
use std::collections::BTreeMap;

use crate::db::Time;

impl Store {
    /// The raw tickets of `sources` created in `[start, end)`, each with all its messages
    /// and status changes, sorted by (source, id), messages and changes by time. Reports
    /// never need these (they read the derived facts); tools that look at what was stored
    /// (tests against a ground truth, exports) do.
    pub async fn load_tickets(
        &self,
        sources: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<TicketInput>, StorageError> {
        let mut tickets = load_tickets(self, sources, start, end).await?;
        tickets.sort_by(|a, b| {
            (&a.source, &a.ticket.external_id).cmp(&(&b.source, &b.ticket.external_id))
        });
        for t in &mut tickets {
            t.messages.sort_by(|a, b| {
                (a.created_at, &a.external_id).cmp(&(b.created_at, &b.external_id))
            });
            t.status_changes
                .sort_by(|a, b| (a.at, &a.external_id).cmp(&(b.at, &b.external_id)));
        }
        Ok(tickets)
    }

    /// What `deskpulse reconcile` compares for `source` over `[start, end)`: the raw tickets
    /// created before `end` and updated since `start` (every ticket created, replied to or
    /// solved in the period), with their messages and status changes, the source's agents,
    /// and the vendor's own values of those tickets. Tickets sorted by id.
    pub async fn load_reconcile_input(
        &self,
        source: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<ReconcileInput, StorageError> {
        let (mut tickets, agents, mut vendor) = load_reconcile(self, source, start, end).await?;
        tickets.sort_by(|a, b| a.ticket.external_id.cmp(&b.ticket.external_id));
        vendor.sort_by(|a, b| a.ticket_id.cmp(&b.ticket_id));
        Ok(ReconcileInput {
            source: source.to_owned(),
            tickets,
            agents,
            vendor,
            unsupported: BTreeMap::new(),
        })
    }
}

/// Raw tickets of `sources` created in `[start, end)`, each with all its messages and
/// status changes (see `Store::load_tickets`), unsorted.
async fn load_tickets(
    db: &Store,
    sources: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<TicketInput>, StorageError> {
    let op = "loading tickets";
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let of_tickets = |select: &str, key: &str| {
        let mut qb = db.sql(format!(
            "{select} JOIN tickets t ON t.source = x.source AND t.external_id = x.{key} \
             WHERE t.source IN "
        ));
        source_list(&mut qb, sources);
        qb.push(" AND t.created_at >= ")
            .push_bind(Time(start))
            .push(" AND t.created_at < ")
            .push_bind(Time(end));
        qb
    };
    let mut rows = Vec::with_capacity(3);
    for (select, key) in [
        ("SELECT x.* FROM tickets x", "external_id"),
        ("SELECT x.* FROM messages x", "ticket_id"),
        ("SELECT x.* FROM status_changes x", "ticket_id"),
    ] {
        rows.push(
            of_tickets(select, key)
                .fetch_all(db)
                .await
                .map_err(query(op))?,
        );
    }
    let tickets = assemble(&rows[0], &rows[1], &rows[2])?;
    Ok(tickets.into_values().collect())
}

/// What `deskpulse reconcile` compares for `source` over `[start, end)` (see
/// `Store::load_reconcile_input`), unsorted.
async fn load_reconcile(
    db: &Store,
    source: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<
    (
        Vec<TicketInput>,
        Vec<AgentInput>,
        Vec<deskpulse_model::VendorMetrics>,
    ),
    StorageError,
> {
    let op = "loading what reconcile compares";
    let of_tickets = |select: &str, key: &str| {
        let mut qb = db.sql(format!(
            "{select} JOIN tickets t ON t.source = x.source AND t.external_id = x.{key} \
             WHERE t.source = "
        ));
        qb.push_bind(source.to_owned())
            .push(" AND t.created_at < ")
            .push_bind(Time(end))
            .push(" AND t.updated_at >= ")
            .push_bind(Time(start));
        qb
    };
    let mut rows = Vec::with_capacity(4);
    for (select, key) in [
        ("SELECT x.* FROM tickets x", "external_id"),
        ("SELECT x.* FROM messages x", "ticket_id"),
        ("SELECT x.* FROM status_changes x", "ticket_id"),
        ("SELECT x.* FROM vendor_metrics x", "ticket_id"),
    ] {
        rows.push(
            of_tickets(select, key)
                .fetch_all(db)
                .await
                .map_err(query(op))?,
        );
    }
    let tickets = assemble(&rows[0], &rows[1], &rows[2])?
        .into_values()
        .collect();
    let vendor = rows[3]
        .iter()
        .map(|r| vendor_metrics(r).map(|(_, v)| v))
        .collect::<Result<_, _>>()?;
    let agents = db
        .sql("SELECT * FROM agents WHERE source = $1")
        .bind(source)
        .fetch_all(db)
        .await
        .map_err(query(op))?
        .iter()
        .map(|r| agent(r).map(|(source, agent)| AgentInput { source, agent }))
        .collect::<Result<_, _>>()?;
    Ok((tickets, agents, vendor))
}
