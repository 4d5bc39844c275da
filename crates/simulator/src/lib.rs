//! deskpulse-simulator: a local fake of Zendesk Support that speaks the real API, with data
//! generated from a seed, ground truth recorded while generating, the vendor's rate limits,
//! and fault injection.
//!
//! # What it covers
//! * `GET /api/v2/incremental/users/cursor.json` and `/api/v2/incremental/tickets/cursor.json`:
//!   cursor exports (`start_time` then `cursor`, `per_page` ≤ 1000, `include=metric_sets`,
//!   `exclude_deleted=true`), ordered by `(updated_at, id)`, with `after_cursor`, `after_url`,
//!   `end_of_stream`. Deleted and spam tickets show as `status: "deleted"`; merged tickets are
//!   `closed` with tag `closed_by_merge`.
//! * `GET /api/v2/incremental/ticket_events.json?start_time=…&include=comment_events`:
//!   time-based export of audits (`Create` / `Change` status events, `Comment` events with
//!   `include=comment_events`, else `comment_present` / `comment_public`), `end_time`,
//!   `next_page` on the simulator's own base URL, `end_of_stream`. As on Zendesk, the next
//!   page starts at `end_time`, so the audits of the boundary second are served again (exact
//!   copies). When a whole page shares one timestamp, the page grows to the end of that
//!   second and `end_time` moves one second past it, so paging always advances.
//! * `GET /api/v2/satisfaction_ratings.json` (and without `.json`): `start_time`,
//!   `sort=created_at`, cursor pagination with `page[size]` ≤ 100, `page[after]`,
//!   `page[before]`, `meta{has_more, after_cursor, before_cursor}`, `links{next, prev}`.
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
//!   reopens, trigger replies and automation solves, outbound, deleted, spam and merged
//!   tickets, CSAT answers and unanswered surveys) and records [`GroundTruth`] as it goes.
//!   Records are kept compact and pre-sorted per endpoint; a page is a slice serialized on
//!   demand (100,000 tickets with ~620,000 comments take ~180 MB with their ground truth,
//!   and page at tens of thousands of tickets a second).
//! * The `deskpulse-simulator` binary serves an account out of process (for benchmarks that
//!   must not count the simulator's memory) and prints its base URL as JSON.
//!
//! # What it does not cover
//! Any other endpoint (404), writes, side-loads other than `metric_sets` and
//! `comment_events`, `support_type_scope`, custom statuses, `hold` status, organizations,
//! the "last minute is excluded" rule of the exports (all data is before `now` anyway),
//! data changing while a sync runs (the dataset is fixed), `sort=-created_at`, and
//! business-hours metric values (`business` is null). Rating `created_at` is the answer time
//! of answered surveys and the offer time of unanswered ones.
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
mod server;
mod truth;

pub use config::{Credentials, DataConfig, Faults, Limits, SimConfig, default_now};
pub use generate::{AGENT_BASE, CUSTOMER_BASE, Dataset, GROUPS, RATING_BASE, SYSTEM};
pub use server::{RunningSimulator, SimStats, Simulator};
pub use truth::{
    Exclusion, GroundTruth, TrueAgent, TrueMessage, TrueRating, TrueScore, TrueTicket,
    TrueTransition,
};
