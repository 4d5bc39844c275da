//! deskpulse connector for Help Scout (Mailbox API 2.0).
//!
//! Reads Help Scout's one bulk incremental endpoint, never one request per conversation:
//! `GET /v2/conversations?status=all&modifiedSince=…&sortField=modifiedAt&sortOrder=asc&embed=threads`,
//! which carries every conversation with its threads (messages, notes, line items with the
//! status they set, and thread ratings). Agents come from `GET /v2/users`.
//!
//! Authentication is OAuth2 client credentials (`POST /v2/oauth2/token`, on `base_url`
//! unless `token_url` is set), renewed before expiry and once on a 401; or a pre-issued
//! `access_token`. Every request goes to the configured base URL: next pages are rebuilt
//! from the query sent, never taken from `_links` (which name the production host and,
//! Help Scout documents, lose the query).
//!
//! Satisfaction comes from the thread `rating` embedded in the conversations export
//! (`great` / `ok` / `not-good`, every plan, no extra request), mapped onto 1–5 as 5 / 3 / 1.
//! The happiness ratings report (`/v2/reports/happiness/ratings`, Plus/Pro plans only) is
//! not read.

mod api;
mod client;
mod settings;
mod streams;

pub use settings::{DEFAULT_BASE_URL, HelpScoutSettings, settings_keys};

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
        description: "Help Scout users as agents (AI system users as bots)",
    },
    StreamSpec {
        name: "conversations",
        description: "conversations with embedded threads: tickets, customers (id and an e-mail that storage keeps only as a keyed hash), messages (author, public or note; no bodies), status history, thread ratings (great/ok/not-good)",
    },
];

/// A configured Help Scout source.
#[derive(Debug)]
pub struct HelpScoutConnector {
    session: client::Session,
    start: Option<chrono::DateTime<chrono::Utc>>,
    lookback: chrono::Duration,
}

impl HelpScoutConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: HelpScoutSettings) -> Result<Self, ConnectorError> {
        let base_url = settings.resolved_base_url()?;
        let token_url = settings.resolved_token_url()?;
        let credentials = settings.credentials()?;
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
        })
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
        };
        match stream {
            "users" => streams::users(ctx, from),
            "conversations" => streams::conversations(ctx, from),
            other => {
                let err = ConnectorError::unknown_stream(other, STREAMS);
                Box::pin(futures::stream::once(async move { Err(err) }))
            }
        }
    }
}
