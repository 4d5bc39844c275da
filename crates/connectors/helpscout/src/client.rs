//! The authenticated HTTP session: an OAuth2 client-credentials token, fetched on first use,
//! renewed before it expires and once more when the API answers 401 (a token revoked or
//! expired early); a second 401 is the credentials' fault and reported as `Unauthorized`.
//!
//! The token lives only in a [`Secret`] and in the sensitive `Authorization` header of the
//! SDK's [`HttpClient`]; it is never logged and never part of an error.

use crate::settings::Credentials;
use deskpulse_connector::http::{Auth, HttpClient, HttpSettings, RetryPolicy};
use deskpulse_connector::{ConnectorError, Secret};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use url::Url;

/// Rate-limit group of every Mailbox API request (Help Scout's limit is account-wide).
pub(crate) const DEFAULT: &str = "default";
/// Rate-limit group of the token endpoint (unlimited: one request every two days).
const OAUTH: &str = "oauth";
/// Renew a token this long before Help Scout says it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

pub(crate) struct Session {
    base_url: Url,
    token_url: Url,
    credentials: Credentials,
    requests_per_minute: u32,
    retry: RetryPolicy,
    state: Mutex<Option<Authed>>,
}

struct Authed {
    http: HttpClient,
    /// `None` for a static token.
    expires_at: Option<Instant>,
    generation: u64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("base_url", &self.base_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("requests_per_minute", &self.requests_per_minute)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(
        base_url: Url,
        token_url: Option<Url>,
        credentials: Credentials,
        requests_per_minute: u32,
    ) -> Result<Self, ConnectorError> {
        // The token endpoint follows `base_url` unless configured on its own.
        let token_url = match token_url {
            Some(u) => u,
            None => HttpClient::new(HttpSettings::new(base_url.clone(), Auth::None))?
                .resolve("/v2/oauth2/token")?,
        };
        let session = Self {
            base_url,
            token_url,
            credentials,
            requests_per_minute,
            retry: RetryPolicy::default(),
            state: Mutex::new(None),
        };
        // Validate the URLs and the token now, so bad settings fail at construction.
        session.build_client(Auth::None)?;
        session.token_client()?;
        if let Credentials::Static(t) = &session.credentials {
            session.build_client(Auth::Bearer(t.clone()))?;
        }
        Ok(session)
    }

    pub(crate) fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self.state = Mutex::new(None);
        self
    }

    pub(crate) fn base_url(&self) -> &Url {
        &self.base_url
    }

    fn build_client(&self, auth: Auth) -> Result<HttpClient, ConnectorError> {
        let mut settings = HttpSettings::new(self.base_url.clone(), auth);
        settings.user_agent = concat!("deskpulse-helpscout/", env!("CARGO_PKG_VERSION")).into();
        settings.retry = self.retry.clone();
        Ok(HttpClient::new(settings)?.with_rate_limit(DEFAULT, self.requests_per_minute))
    }

    fn token_client(&self) -> Result<HttpClient, ConnectorError> {
        let mut settings = HttpSettings::new(self.token_url.clone(), Auth::None);
        settings.user_agent = concat!("deskpulse-helpscout/", env!("CARGO_PKG_VERSION")).into();
        settings.retry = self.retry.clone();
        HttpClient::new(settings)
    }

    /// The client to use: the cached one, or a new one with a fresh token when there is none,
    /// it expired, or `renew_generation` names the one that just got a 401.
    async fn client(
        &self,
        renew_generation: Option<u64>,
    ) -> Result<(HttpClient, u64), ConnectorError> {
        let mut state = self.state.lock().await;
        if let Some(a) = state.as_ref() {
            let expired = a.expires_at.is_some_and(|t| Instant::now() >= t);
            let renew = renew_generation == Some(a.generation);
            if !expired && !renew {
                return Ok((a.http.clone(), a.generation));
            }
        }
        let generation = state.as_ref().map_or(0, |a| a.generation + 1);
        let (token, expires_at) = match &self.credentials {
            Credentials::Static(t) => (t.clone(), None),
            Credentials::Client { id, secret } => {
                let (token, ttl) = self.fetch_token(id, secret).await?;
                (
                    token,
                    ttl.map(|s| Instant::now() + s.saturating_sub(EXPIRY_MARGIN)),
                )
            }
        };
        let http = self.build_client(Auth::Bearer(token))?;
        *state = Some(Authed {
            http: http.clone(),
            expires_at,
            generation,
        });
        Ok((http, generation))
    }

    /// `POST /v2/oauth2/token` with `grant_type=client_credentials` (JSON body, which Help
    /// Scout accepts like form data). A rejected id or secret is `Unauthorized`.
    async fn fetch_token(
        &self,
        id: &str,
        secret: &Secret,
    ) -> Result<(Secret, Option<Duration>), ConnectorError> {
        tracing::debug!("requesting a Help Scout access token (client credentials)");
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": id,
            "client_secret": secret.expose(),
        });
        let raw = self
            .token_client()?
            .post_json(OAUTH, self.token_url.as_str(), &body)
            .await
            .map_err(|e| match e {
                // OAuth2 answers a wrong client id or secret with 400 `invalid_client` as
                // often as with 401 (RFC 6749 §5.2): the credentials' fault either way.
                ConnectorError::Http {
                    status: 400,
                    endpoint,
                    detail,
                    ..
                } if ["invalid_client", "unauthorized_client", "invalid_grant"]
                    .iter()
                    .any(|code| detail.contains(code)) =>
                {
                    ConnectorError::Unauthorized {
                        status: 400,
                        endpoint,
                    }
                }
                other => other,
            })?;
        // Never put serde's message here: it may quote the body, and the body is the token.
        let parsed: TokenResponse =
            serde_json::from_slice(&raw).map_err(|_| ConnectorError::Malformed {
                endpoint: self.token_url.path().to_owned(),
                detail:
                    "the token response is not the documented JSON (`access_token`, `expires_in`)"
                        .into(),
            })?;
        if parsed.access_token.trim().is_empty() {
            return Err(ConnectorError::Malformed {
                endpoint: self.token_url.path().to_owned(),
                detail: "the token response has an empty `access_token`".into(),
            });
        }
        Ok((
            Secret::new(parsed.access_token),
            parsed.expires_in.map(Duration::from_secs),
        ))
    }

    /// GETs a JSON document with the current token; on a 401 renews the token once (client
    /// credentials only) and tries again.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ConnectorError> {
        let (http, generation) = self.client(None).await?;
        match http.get_json(DEFAULT, path, query).await {
            Err(ConnectorError::Unauthorized { status: 401, .. })
                if matches!(self.credentials, Credentials::Client { .. }) =>
            {
                tracing::info!("Help Scout answered 401: renewing the access token once");
                let (http, _) = self.client(Some(generation)).await?;
                http.get_json(DEFAULT, path, query).await
            }
            other => other,
        }
    }
}
