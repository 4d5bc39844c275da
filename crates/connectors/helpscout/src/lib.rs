//! deskpulse connector for Help Scout (Mailbox API 2.0).
//!
//! Reads Help Scout's one bulk incremental endpoint, never one request per conversation:
//! `GET /v2/conversations?status=all&modifiedSince=…&sortField=modifiedAt&sortOrder=asc&embed=threads`,
//! which carries every conversation with its threads (messages, notes, line items with the
//! status they set, and thread ratings), then the same with `status=spam` (Help Scout lists
//! spam as a status of its own and does not say `all` includes it). Agents come from
//! `GET /v2/users` and AI agents from `GET /v3/system-users`.
//!
//! Authentication is OAuth2 client credentials (`POST /v2/oauth2/token`, on `base_url`
//! unless `token_url` is set), renewed before expiry and once on a 401; or a pre-issued
//! `access_token`. Every request goes to the configured base URL: next pages are rebuilt
//! from the query sent, never taken from `_links` (which name the production host and,
//! Help Scout documents, lose the query).
//!
//! Satisfaction comes from the thread `rating` embedded in the conversations export
//! (`great` / `ok` / `not-good`, every plan, no extra request; the Ratings endpoint's
//! `okay` / `not_good` / `unknown` spellings are read too), mapped onto 1–5 as 5 / 3 / 1.
//! The happiness ratings report (`/v2/reports/happiness/ratings`, Plus/Pro plans only) is
//! not read.
//!
//! **Status history** is synthesized from the threads (a thread's `status` is the status it
//! set) and the conversation's `closedAt`, so each conversation read emits one
//! `Record::StatusHistory` with all of it, which storage puts in place of what an earlier
//! read said: a history a later read tells differently leaves no stale change behind.
//!
//! **Deleted, merged and spam conversations.** A read shows spam (`status: spam`) and, where
//! the list still carries one, a deleted conversation (`state: deleted`); both are mapped.
//! Deleted and merged conversations otherwise vanish from every list (`GET` answers 404, or
//! 301 to the surviving conversation after a merge), so the `ticket_roster` stream sweeps
//! every id Help Scout still lists, at most every `roster_every`, and storage treats a
//! stored conversation the sweep no longer finds as gone (see `roster.rs`). A merge is
//! recorded as a disappearance: the model has no record that would mark the merged-away
//! conversation `Merged` without rewriting the rest of it.
//!
//! **AI agents and automation.** Help Scout's AI agents are "system users". The v2 endpoints
//! this connector reads normalize their `system_user` type to `user` (Help Scout documents
//! it on its v3 endpoints), and `GET /v2/users` leaves them out; so the `users` stream also
//! reads `GET /v3/system-users` and emits them as bot agents, and a reply or close whose
//! author id is one of them counts as a bot's. A `system_user` type, where a payload has one
//! (v3 shapes, `closedByUser`), is a bot directly. Replies sent by a workflow carry
//! `source.type = workflows` and are bots too. What v2 cannot tell: an AI agent removed from
//! the account (no longer listed by `/v3/system-users`) reads as a person, and replies that
//! never reach a mailbox (Beacon AI Answers the customer did not escalate) are not there at
//! all.
//!
//! **Reconciling with Help Scout's own numbers.** Help Scout keeps no per-conversation
//! figures to compare ours with: the Reports API (Plus/Pro plans) gives aggregates over a
//! period (response and resolution times, happiness) and drill-downs that list conversations
//! without figures of their own. So this connector emits no `VendorMetrics`, and no KPI can
//! be reconciled per ticket for a Help Scout source; [`NOT_RECONCILABLE`] says why.

mod api;
mod client;
#[doc(hidden)]
pub mod fuzzing;
mod roster;
mod settings;
mod streams;

pub use settings::{DEFAULT_BASE_URL, DEFAULT_ROSTER_EVERY, HelpScoutSettings, settings_keys};

/// The settings of a Help Scout source, by the name every connector crate uses.
pub type Settings = HelpScoutSettings;

use deskpulse_connector::http::RetryPolicy;
use deskpulse_connector::{BatchStream, Checkpoint, Connector, ConnectorError, StreamSpec};

/// The `kind` of a Help Scout source.
pub const KIND: &str = "helpscout";

/// The streams, in the order a sync reads them (agents first, so authors resolve).
pub const STREAMS: &[StreamSpec] = &[
    StreamSpec {
        name: "users",
        description: "Help Scout users as agents, and AI agents (system users, `/v3/system-users`) as bots",
    },
    StreamSpec {
        name: "conversations",
        description: "conversations with embedded threads: tickets, customers (id and an e-mail that storage keeps only as a keyed hash), messages (author, public or note; no bodies), status history, thread ratings (great/ok/not-good)",
    },
    StreamSpec {
        name: "ticket_roster",
        description: "every conversation id Help Scout still lists (all statuses, spam included), swept at most every `roster_every`, so deleted and merged conversations leave the KPIs",
    },
];

/// Why no KPI of a Help Scout source can be reconciled with the vendor's own figures (for
/// `deskpulse reconcile`).
pub const NOT_RECONCILABLE: &str = "Help Scout keeps no per-conversation figures: its Reports API gives only aggregates over a period (Plus/Pro plans), so first response, resolution, reopens and replies cannot be compared conversation by conversation";

/// A configured Help Scout source.
pub struct HelpScoutConnector {
    session: client::Session,
    start: Option<chrono::DateTime<chrono::Utc>>,
    lookback: chrono::Duration,
    roster_every: chrono::Duration,
    now: streams::Clock,
}

impl std::fmt::Debug for HelpScoutConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelpScoutConnector")
            .field("session", &self.session)
            .field("start", &self.start)
            .field("lookback", &self.lookback)
            .field("roster_every", &self.roster_every)
            .finish_non_exhaustive()
    }
}

impl HelpScoutConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: HelpScoutSettings) -> Result<Self, ConnectorError> {
        let base_url = settings.resolved_base_url()?;
        let token_url = settings.resolved_token_url()?;
        let credentials = settings.credentials()?;
        let roster_every = settings.roster_interval()?;
        let session = client::Session::new(
            base_url,
            token_url,
            credentials,
            settings.requests_per_minute,
        )?;
        Ok(Self {
            session,
            start: settings.start(),
            lookback: chrono::Duration::minutes(i64::from(settings.lookback_minutes)),
            roster_every,
            now: std::sync::Arc::new(chrono::Utc::now),
        })
    }

    /// Replaces the clock the `ticket_roster` stream reads (tests pin the time).
    pub fn with_clock(
        mut self,
        now: impl Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync + 'static,
    ) -> Self {
        self.now = std::sync::Arc::new(now);
        self
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.session = self.session.with_retry_policy(retry);
        self
    }

    /// The base URL every request goes to.
    pub fn base_url(&self) -> &url::Url {
        self.session.base_url()
    }
}

impl Connector for HelpScoutConnector {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }

    fn read<'a>(&'a self, stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        let ctx = streams::Ctx {
            session: &self.session,
            start: self.start,
            lookback: self.lookback,
            now: &self.now,
            roster_every: self.roster_every,
        };
        match stream {
            "users" => streams::users(ctx, from),
            "conversations" => streams::conversations(ctx, from),
            "ticket_roster" => roster::roster(ctx, from),
            other => {
                let err = ConnectorError::unknown_stream(other, STREAMS);
                Box::pin(futures::stream::once(async move { Err(err) }))
            }
        }
    }
}
