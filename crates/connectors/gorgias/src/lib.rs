//! deskpulse connector for Gorgias.
//!
//! Gorgias's REST API has no "changed since" filter on its lists, but every list pages with a
//! cursor (`limit` ≤ 100, `meta.next_cursor`) and orders by time. So tickets
//! (`GET /api/tickets?order_by=updated_datetime:desc`), messages
//! (`GET /api/messages?order_by=created_datetime:desc`) and satisfaction surveys
//! (`GET /api/satisfaction-surveys?order_by=created_datetime:desc`) are read as data feeds,
//! newest first until the bookmark, in bulk (never one request per ticket); the team comes
//! from `GET /api/users`. The checkpoints are described in `src/streams.rs`.
//!
//! Every request goes to the configured base URL (the cursor is a token, so no vendor URL is
//! ever followed). Gorgias limits an API key to a leaky bucket of 40 requests per 20 seconds:
//! the connector keeps to it by itself, and waits out a 429 for as long as its `Retry-after`
//! says.
//!
//! What the lists do not give: a status history. A ticket is `open` or `closed`, with the
//! time of its *last* close (`closed_datetime`), which is its final solve. Whether it was
//! closed before and reopened, and when it was first closed, Gorgias does not keep on the
//! ticket (the Events API has `ticket-closed` events, but its reopen vocabulary is not
//! documented well enough to build a history that could otherwise mark open tickets
//! solved). So the connector leaves `first_solved_at` and `reopens` empty — never a
//! `reopens: 0` or a first solve copied from the last close, which would read as "solved
//! at first contact, never reopened" — and declares the KPIs that need them in [`LIMITS`]:
//! the report leaves Gorgias tickets out of those, and says why. Nor do the lists give
//! merges (not distinguishable in the documented ticket payload) or the agent a survey
//! rates (the documented survey object names none: per-agent CSAT follows the ticket's
//! assignee). A closed ticket snoozed until after its last update is on hold: Gorgias
//! reopens it when the snooze ends.

mod api;
#[doc(hidden)]
pub mod fuzzing;
mod settings;
mod streams;

pub use settings::{GorgiasSettings, settings_keys};

use deskpulse_connector::http::{HttpClient, HttpSettings, RetryPolicy};
use deskpulse_connector::{BatchStream, Checkpoint, Connector, ConnectorError, StreamSpec};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// The `kind` of a Gorgias source.
pub const KIND: &str = "gorgias";

/// The KPIs Gorgias's API cannot support honestly: each needs to know whether, or when, a
/// ticket was solved before its last close, and Gorgias keeps only the last close.
pub const LIMITS: &[deskpulse_connector::KpiLimit] = &[
    deskpulse_connector::KpiLimit {
        kpi: "reopen_rate",
        reason: "Gorgias keeps no status history, only each ticket's last close, so it cannot tell whether a ticket was ever reopened.",
    },
    deskpulse_connector::KpiLimit {
        kpi: "first_contact_resolution_rate",
        reason: "Gorgias keeps no status history, so it cannot tell whether a ticket stayed solved after its first close or was reopened.",
    },
    deskpulse_connector::KpiLimit {
        kpi: "first_resolution_time",
        reason: "Gorgias records only when a ticket was last closed, not when it was first closed.",
    },
];

/// The SDK's rate-limit group (left unlimited: the connector's own leaky bucket governs).
pub(crate) const GROUP: &str = "default";

/// The streams, in the order a sync reads them (users first, so authors resolve).
pub const STREAMS: &[StreamSpec] = &[
    StreamSpec {
        name: "users",
        description: "the team: agents, and bot accounts as bots (the whole list on every sync)",
    },
    StreamSpec {
        name: "tickets",
        description: "tickets by last update with status (spam, trashed), channel, assignee, team, tags, opened by agent; requesters as customers (id and an e-mail that storage keeps only as a keyed hash)",
    },
    StreamSpec {
        name: "messages",
        description: "messages by creation: customer, agent or bot (rule), public or internal note; no bodies",
    },
    StreamSpec {
        name: "satisfaction_surveys",
        description: "CSAT answers (score 1–5, dated when scored) with a lookback for late answers; unanswered surveys are skipped",
    },
];

/// A configured Gorgias source.
#[derive(Debug)]
pub struct GorgiasConnector {
    http: HttpClient,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
    start: Option<chrono::DateTime<chrono::Utc>>,
    page_size: u32,
    surveys_lookback: chrono::Duration,
}

impl GorgiasConnector {
    /// Validates `settings`; errors name the key to fix.
    pub fn new(settings: GorgiasSettings) -> Result<Self, ConnectorError> {
        let base_url = settings.resolved_base_url()?;
        let auth = settings.auth()?;
        let page_size = settings.validated_page_size()?;
        let mut http_settings = HttpSettings::new(base_url, auth);
        http_settings.user_agent = concat!("deskpulse-gorgias/", env!("CARGO_PKG_VERSION")).into();
        let http = HttpClient::new(http_settings)?;
        // Leaky bucket: `n` requests at once, then one every 20 s / n.
        let limiter = NonZeroU32::new(settings.requests_per_20_seconds).and_then(|n| {
            Quota::with_period(Duration::from_secs(20) / n.get())
                .map(|q| Arc::new(RateLimiter::direct(q.allow_burst(n))))
        });
        Ok(Self {
            http,
            limiter,
            start: settings.start(),
            page_size,
            surveys_lookback: chrono::Duration::days(i64::from(settings.surveys_lookback_days)),
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.http = self.http.with_retry_policy(retry);
        self
    }

    /// The base URL every request goes to.
    pub fn base_url(&self) -> &url::Url {
        self.http.base_url()
    }
}

impl Connector for GorgiasConnector {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn streams(&self) -> &'static [StreamSpec] {
        STREAMS
    }

    fn read<'a>(&'a self, stream: &'a str, from: Option<Checkpoint>) -> BatchStream<'a> {
        let ctx = streams::Ctx {
            http: &self.http,
            limiter: self.limiter.as_deref(),
            start: self.start,
            page_size: self.page_size,
            surveys_lookback: self.surveys_lookback,
        };
        match stream {
            "users" => streams::users(ctx, from),
            "tickets" => streams::tickets(ctx, from),
            "messages" => streams::messages(ctx, from),
            "satisfaction_surveys" => streams::satisfaction_surveys(ctx, from),
            other => {
                let err = ConnectorError::unknown_stream(other, STREAMS);
                Box::pin(futures::stream::once(async move { Err(err) }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connector(n: u32) -> GorgiasConnector {
        GorgiasConnector::new(GorgiasSettings {
            domain: Some("acme".into()),
            email: Some("a@acme.com".into()),
            api_key: Some(deskpulse_connector::Secret::new("k")),
            requests_per_20_seconds: n,
            ..GorgiasSettings::default()
        })
        .unwrap()
    }

    #[test]
    fn the_leaky_bucket_lets_40_through_then_one_every_half_second() {
        let c = connector(40);
        let limiter = c.limiter.as_deref().unwrap();
        for i in 0..40 {
            assert!(limiter.check().is_ok(), "request {i} of the burst");
        }
        let Err(wait) = limiter.check() else {
            panic!("the 41st request must wait")
        };
        let wait = wait.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
        assert!(
            wait > Duration::from_millis(400) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert!(connector(0).limiter.is_none(), "0 = no client-side limit");
    }
}
