//! The conversations of a page's tickets (`GET /api/v2/tickets/{id}/conversations`):
//! Freshdesk has no bulk endpoint for them, so the ticket stream fetches them per ticket, a
//! bounded number at once, in order, and commits them with the page.
//!
//! These are per-record lookups (`get_json`), not page requests: the keyset restarts of the
//! ticket list re-read the seam ticket, whose conversations are then fetched again in the
//! same run, legitimately.

use crate::FreshdeskConnector;
use crate::api::{self, Conversation, TicketCheck};
use crate::streams::{PAGE_CAP, TICKETS};
use deskpulse_connector::prelude::*;
use deskpulse_model::TicketStatus;
use futures::{StreamExt, TryStreamExt, stream};

/// Appends the conversations of tickets `ids` to `records`; a ticket deleted since the list
/// was read (see [`of_ticket`]) is set to deleted among `records` instead. The sync goes
/// on (the `filter=deleted` pass lists it too, if it is only in the trash).
pub(crate) async fn add(
    c: &FreshdeskConnector,
    ids: Vec<i64>,
    records: &mut Vec<Record>,
) -> Result<(), ConnectorError> {
    let per_ticket: Vec<(i64, Option<Vec<Record>>)> = stream::iter(ids)
        .map(|id| async move { of_ticket(c, id).await.map(|found| (id, found)) })
        .buffered(c.concurrency)
        .try_collect()
        .await?;
    let mut gone = Vec::new();
    for (id, found) in per_ticket {
        match found {
            Some(messages) => records.extend(messages),
            None => gone.push(id.to_string()),
        }
    }
    for r in records.iter_mut() {
        if let Record::Ticket(t) = r
            && gone.contains(&t.external_id)
        {
            t.status = TicketStatus::Deleted;
        }
    }
    Ok(())
}

/// Every conversation of one ticket, page by page until a short page; `None` when the
/// ticket was deleted after the list was read.
///
/// Freshdesk answers 404 for the conversations of a ticket that no longer exists, but a 404
/// alone does not say why (its body is not documented). So a 404 is checked against the
/// ticket itself (`GET /api/v2/tickets/{id}`): a ticket that is gone too (404), or in the
/// trash (`deleted: true`), was deleted; a ticket that is still there leaves the 404
/// unexplained, and it is an error, never an empty conversation.
async fn of_ticket(
    c: &FreshdeskConnector,
    ticket_id: i64,
) -> Result<Option<Vec<Record>>, ConnectorError> {
    let endpoint = format!("{TICKETS}/{ticket_id}/conversations");
    let mut out = Vec::new();
    // At most as many pages as Freshdesk serves of any list.
    for page_no in 1..=PAGE_CAP {
        let query = [
            ("per_page", c.page_size.to_string()),
            ("page", page_no.to_string()),
        ];
        let page: Vec<Conversation> = match c.http.get_json("default", &endpoint, &query).await {
            Ok(page) => page,
            Err(ConnectorError::Http {
                status: 404,
                endpoint,
                attempts,
                detail,
            }) => {
                if is_deleted(c, ticket_id).await? {
                    tracing::info!(
                        ticket = ticket_id,
                        "the ticket was deleted while the sync ran: stored as deleted"
                    );
                    return Ok(None);
                }
                return Err(ConnectorError::Http {
                    status: 404,
                    endpoint,
                    attempts,
                    detail: format!(
                        "{detail} (the ticket itself still exists and is not deleted: check `base_url` and any proxy in front of Freshdesk)"
                    ),
                });
            }
            Err(e) => return Err(e),
        };
        let full = page.len() >= c.page_size as usize;
        for conv in page {
            out.extend(
                api::map_conversation(conv, ticket_id)
                    .map_err(|e| ConnectorError::malformed(&endpoint, e))?,
            );
        }
        if !full {
            return Ok(Some(out));
        }
    }
    Err(ConnectorError::malformed(
        &endpoint,
        format!("more than {PAGE_CAP} full pages of conversations"),
    ))
}

/// Whether ticket `id` is deleted: gone (404) or in the trash (`deleted: true`).
async fn is_deleted(c: &FreshdeskConnector, id: i64) -> Result<bool, ConnectorError> {
    let endpoint = format!("{TICKETS}/{id}");
    match c
        .http
        .get_json::<TicketCheck>("default", &endpoint, &[])
        .await
    {
        Ok(t) => Ok(t.deleted == Some(true)),
        Err(ConnectorError::Http { status: 404, .. }) => Ok(true),
        Err(e) => Err(e),
    }
}
