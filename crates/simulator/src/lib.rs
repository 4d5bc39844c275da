//! deskpulse-simulator: a local fake of Zendesk Support that speaks the real API, with data
//! generated from a seed, ground truth recorded while generating (Zendesk's own per-ticket
//! metric values included, with why each differs from deskpulse's), the vendor's rate
//! limits, and fault injection.
//!
//! # What it covers
//! * `GET /api/v2/incremental/users/cursor.json` and `/api/v2/incremental/tickets/cursor.json`:
//!   cursor exports (`start_time` then `cursor`, `per_page` ≤ 1000, `include=metric_sets`,
//!   `exclude_deleted=true`, `support_type_scope` on tickets), ordered by `(updated_at, id)`.
//!   A page carries exactly the documented paging fields, `after_cursor`, `after_url`,
//!   `before_cursor`, `before_url` and `end_of_stream` (Zendesk's OpenAPI schema
//!   `CursorBasedExportIncrementalTicketsResponse`; no `count`). Deleted and spam tickets show
//!   as `status: "deleted"`; merged tickets are `closed` with tag `closed_by_merge`.
//! * `metric_set` (with `include=metric_sets`): every field of the Ticket Metrics object
//!   (developer.zendesk.com/rest_api/docs/core/ticket_metrics: `url`, `id`, `ticket_id`,
//!   the stations, `reopens`, `replies`, the `*_at` times, the six `*_in_minutes` durations as
//!   `{calendar, business}`, `custom_status_updated_at`, `created_at`, `updated_at`). The
//!   values are computed by **Zendesk's** definitions, not deskpulse's, and recorded in the
//!   ground truth ([`TrueTicket::vendor`]); the rules and sources are on
//!   [`ZendeskMetrics::from_history`]. In short: first reply time ends at the first public
//!   comment by an agent user after the opening comment (an agent-opened ticket's own public
//!   opening does not count); a trigger's comment is attributed to the assignee, or to the
//!   system user `-1` on an unassigned ticket ("comments and notes added by triggers appear as
//!   if added by the current assignee; if the ticket is unassigned they are attributed to the
//!   system user", support.zendesk.com/hc/zh-cn/articles/6191477770906), and counts as an
//!   agent's reply only in the first case; private comments never count; first and full
//!   resolution end at the first and latest solve, and closing an unsolved ticket (a merge)
//!   counts as one ("About native Support time duration metrics",
//!   support.zendesk.com/hc/en-us/articles/4408834848154); minutes are whole, rounded down
//!   (Zendesk does not document its rounding). Business values are computed on
//!   [`DataConfig::business_hours`] (default Monday to Friday, 09:00–17:00 UTC, no holidays;
//!   `None` serves `null`). [`TrueTicket::vendor_differences`] lists each value that differs
//!   from deskpulse's definitions ([`TrueTicket::deskpulse_values`], which the tests check
//!   against the metrics crate) with its [`DifferenceReason`].
//! * `GET /api/v2/incremental/ticket_events.json?start_time=…&include=comment_events`:
//!   time-based export of audits, in the **export's own layout**, which is not the audits
//!   API's (`{"type":"Change","field_name":"status","value":…}`):
//!   - a parent is `{id, ticket_id, timestamp, created_at, updater_id, via, via_reference_id,
//!     event_type: "Audit", child_events}` with `via` a **string** (`"Web form"`, `"Mail"`,
//!     `"Rule"`, `"Merge"`, …), as in Zendesk's documented example and Airbyte's template of
//!     it (airbytehq/airbyte `source-zendesk-support/unit_tests/resource/http/response/
//!     ticket_events.json`);
//!   - a status child carries the changed field as its own key, as recorded from a real
//!     export (aladingg/zendesk-java-client `src/main/java/org/zendesk/client/v2/model/
//!     ChildEvent.java`, commit a409360):
//!     `{"id": 1561823056871, "via": "Web form", "via_reference_id": null, "status": "solved",
//!     "event_type": "Change", "previous_value": "open"}`; a `Create` child is the same
//!     without `previous_value`. Its `via` is the audit's, a string, as recorded;
//!   - with `include=comment_events`, a comment child is the API reference's example
//!     field for field: `{"id", "via": {"channel", "source": {"from", "to", "rel"}},
//!     "via_reference_id": null, "type": "Comment", "author_id", "body", "html_body",
//!     "public", "attachments", "audit_id", "created_at", "event_type": "Comment"}` (its
//!     `via` an **object**: `rule` with `source.rel: "trigger"` for a trigger's reply);
//!   - without the sideload, "any comment present in the ticket update is described only by
//!     Boolean `comment_present` and `comment_public` object properties in the event's
//!     `child_events` array": a child `{id, via, via_reference_id, comment_present: true,
//!     comment_public, event_type: "Comment"}` (the `event_type` of that child is not
//!     documented; the simulator's choice).
//!
//!   Paging: `count`, `end_time`, `next_page` on the simulator's own base URL (keeping
//!   `include`, `per_page`, `support_type_scope`), `end_of_stream`. As on Zendesk, the next
//!   page starts at `end_time`, so the audits of the boundary second are served again (exact
//!   copies). When a whole page shares one timestamp, the page grows to the end of that
//!   second and `end_time` moves one second past it, so paging always advances.
//! * `support_type_scope=all|agent|ai_agent` (default `agent`) on the tickets and ticket
//!   events exports, as documented for both (Incremental Ticket Export / Incremental Ticket
//!   Event Export reference): the account's tickets are all agent-handled, so `all` and
//!   `agent` serve everything and `ai_agent` an empty stream; any other value is a 400.
//! * `GET /api/v2/satisfaction_ratings.json` (and without `.json`): `start_time` (on
//!   `created_at`), `sort=created_at`, cursor pagination with `page[size]` ≤ 100,
//!   `page[after]`, `page[before]`, `meta{has_more, after_cursor, before_cursor}`,
//!   `links{next, prev}`. A record is created when the survey is offered (`score:
//!   "offered"`) and updated when answered: `created_at` is the offer time, `updated_at` the
//!   answer time (the offer time while unanswered), as in the API reference's example
//!   (`"created_at": "2012-02-01T04:31:29Z", "updated_at": "2012-02-02T10:32:59Z"`). So
//!   `start_time` and the sort follow the offer, and an answer to a survey offered before a
//!   bookmark is not found by paging from that bookmark.
//! * Auth: `Basic base64("{email}/token:{token}")` or `Bearer {token}`, else 401
//!   `{"error":"Couldn't authenticate you"}`.
//! * Rate limits (token buckets scaled by a speed factor): 10 a minute on the incremental
//!   exports, `requests_per_minute` (700) on everything; 429 with `Retry-After`;
//!   `X-Rate-Limit` / `X-Rate-Limit-Remaining` on every response.
//! * Faults from the seed: 500/503, slow answers, dropped connections, truncated bodies,
//!   records repeated across pages.
//!
//! * Data: [`Dataset::generate`] builds the account from `seed` and [`DataConfig`] (arrivals
//!   by weekday and hour, log-normal reply delays, runs of customer messages, internal notes,
//!   reopens, routing that assigns some tickets on arrival, trigger replies (the assignee's or
//!   the system user's) and automation solves, outbound, deleted, spam and merged tickets,
//!   CSAT answers and unanswered surveys) and records [`GroundTruth`] as it goes. Records are
//!   kept compact and pre-sorted per endpoint; a page is a slice serialized on demand
//!   (100,000 tickets with ~590,000 comments take ~190 MB with their ground truth, and page
//!   at tens of thousands of tickets a second).
//! * The `deskpulse-simulator` binary serves an account out of process (for benchmarks that
//!   must not count the simulator's memory) and prints its base URL as JSON.
//!
//! # What it does not cover
//! Any other endpoint (404), writes, side-loads other than `metric_sets` and
//! `comment_events`, AI-agent tickets (`support_type_scope=ai_agent` is always empty),
//! custom statuses, `hold` status, organizations, holidays in business hours, child events
//! other than status and comments (tags, priority, notifications, satisfaction events…),
//! audits for survey offers and answers (they only move the ticket's `updated_at`), shared
//! tickets (whose first private note would end first reply time), the "last minute is
//! excluded" rule of the exports (all data is before `now` anyway), data changing while a
//! sync runs (the dataset is fixed), and `sort=-created_at`. Of the [`DifferenceReason`]s,
//! `internal_note`, `reopened` and `vendor_counts_different_event` never arise in generated
//! data: under Zendesk's documented rules those cases agree with deskpulse (see each
//! variant).
//!
//! # Use
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use deskpulse_simulator::{Dataset, SimConfig, Simulator};
//! let cfg = SimConfig::default();
//! let data = Arc::new(Dataset::generate(&cfg));
//! let sim = Simulator::start(data.clone(), cfg).await?;
//! let _base = sim.base_url(); // point the Zendesk connector's base_url here
//! let _truth = data.truth();  // compare what was synced against this
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod config;
mod generate;
mod render;
mod review_truth;
mod reviews;
mod server;
mod truth;
mod vendor;

pub use config::{
    BusinessHours, Credentials, DataConfig, Faults, Limits, ReviewsConfig, SimConfig, default_now,
};
pub use generate::{AGENT_BASE, CUSTOMER_BASE, Dataset, GROUPS, RATING_BASE, SYSTEM};
pub use review_truth::{
    GoogleAggregate, ReviewKpis, ReviewPlatform, TrueReview, TrustpilotAggregate,
};
pub use reviews::{HOSTILE_STRINGS, HUGE_TEXT_BYTES};
pub use server::{RunningSimulator, SimStats, Simulator};
pub use truth::{
    Clock, DeskpulseValues, DifferenceReason, Exclusion, GroundTruth, TrueAgent, TrueMessage,
    TrueRating, TrueScore, TrueTicket, TrueTransition, VendorDifference, VendorField,
    VendorMinutes, ZendeskMetrics,
};
