//! How requests authenticate, as SDK types a connector picks from instead of writing its own:
//!
//! | scheme | [`Auth`] | vendors |
//! |---|---|---|
//! | HTTP Basic | [`Auth::Basic`] | Zendesk (`{email}/token`), Freshdesk (`{key}:X`), Gorgias |
//! | Bearer token | [`Auth::Bearer`] | Intercom, X, Yelp, a pre-issued OAuth token |
//! | API key in a header | [`Auth::Header`] | Trustpilot (`apikey`), Places New (`X-Goog-Api-Key`) |
//! | API key in the query | [`Auth::Query`] | Google Places legacy (`key`) |
//! | OAuth2 client credentials | [`Auth::Token`] + [`ClientCredentials`] | Help Scout |
//! | OAuth2 refresh token | [`Auth::Token`] + [`RefreshToken`] | Google Business Profile, Trustpilot business users |
//! | signed JWT (ES256) | [`Auth::Token`] + [`AppStoreConnectKey`] | App Store Connect |
//! | JWT bearer grant (RS256) | [`Auth::Token`] + [`GoogleServiceAccount`] | Google Play |
//!
//! Secrets are [`Secret`]s (never in `Debug`); static credentials go into headers marked
//! sensitive; a query key is a parameter marked secret for the scrubber. A [`TokenAuth`]
//! fetches its token on first use, keeps it until shortly before it expires (by the
//! client's [`Clock`]), fetches a new one then, and once more when the API answers 401 (a
//! token revoked early); a second 401 is the credentials' fault. Every token it obtains is
//! registered with the scrubber of every client that uses it, so no error or log line can
//! carry it.

use crate::clock::Clock;
use crate::http::{HttpClient, HttpSettings, RetryPolicy};
use crate::jwt::{JwtKey, sign_jwt};
use crate::scrub::Scrubber;
use crate::{ConnectorError, Secret};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// How requests authenticate. Secrets go only into headers marked sensitive, or into a query
/// parameter marked secret.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Basic {
        username: String,
        password: Secret,
    },
    Bearer(Secret),
    /// An API key in a header of its own (`apikey: …`, `X-Goog-Api-Key: …`).
    Header {
        name: String,
        value: Secret,
    },
    /// An API key in the query of every request (`?key=…`), next-page URLs included.
    Query {
        name: String,
        value: Secret,
    },
    /// A token obtained (and renewed) at run time, sent as `Authorization: Bearer`.
    Token(TokenAuth),
}

/// What a token endpoint (or a local signer) gives.
pub struct AccessToken {
    pub token: Secret,
    /// How long the token lives, if the issuer says.
    pub expires_in: Option<Duration>,
}

/// What a [`TokenProvider`] may use to get a token: the time, and POSTs to a token endpoint
/// with the requesting client's retry policy and scrubber.
pub struct TokenContext {
    clock: Clock,
    retry: RetryPolicy,
    scrubber: Scrubber,
    user_agent: String,
}

impl TokenContext {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The scrubber of the client asking (a provider adds the secrets it sends).
    pub fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// POSTs a form to a token endpoint and parses the standard answer (RFC 6749 §5.1):
    /// `access_token`, `expires_in`, optionally `refresh_token`. A 400 naming
    /// `invalid_client`, `unauthorized_client` or `invalid_grant` (RFC 6749 §5.2) is
    /// [`ConnectorError::Unauthorized`], like a 401: the credentials' fault. The answer is
    /// never quoted in an error: it is the token.
    pub async fn post_token_form(
        &self,
        token_url: &Url,
        form: &[(&str, &str)],
    ) -> Result<TokenResponse, ConnectorError> {
        let raw = self
            .client(token_url)?
            .post_form(TOKEN_GROUP, token_url.as_str(), form)
            .await;
        self.token_answer(token_url, raw)
    }

    /// [`TokenContext::post_token_form`] with a JSON body (Help Scout accepts either).
    pub async fn post_token_json(
        &self,
        token_url: &Url,
        body: &serde_json::Value,
    ) -> Result<TokenResponse, ConnectorError> {
        let raw = self
            .client(token_url)?
            .post_page_bytes(TOKEN_GROUP, token_url.as_str(), body)
            .await;
        self.token_answer(token_url, raw)
    }

    fn client(&self, token_url: &Url) -> Result<HttpClient, ConnectorError> {
        let mut origin = token_url.clone();
        origin.set_path("/");
        origin.set_query(None);
        origin.set_fragment(None);
        let mut settings = HttpSettings::new(origin, Auth::None);
        settings.retry = self.retry.clone();
        settings.user_agent = self.user_agent.clone();
        Ok(HttpClient::new(settings)?
            .with_scrubber(self.scrubber.clone())
            .with_clock(self.clock.clone()))
    }

    fn token_answer(
        &self,
        token_url: &Url,
        raw: Result<Vec<u8>, ConnectorError>,
    ) -> Result<TokenResponse, ConnectorError> {
        let raw = raw.map_err(|e| match e {
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
        // Never serde's message: it may quote the body, and the body is the token.
        let parsed: TokenResponse = serde_json::from_slice(&raw).map_err(|_| {
            ConnectorError::malformed(
                token_url.path(),
                "the token response is not the documented JSON (`access_token`, `expires_in`)",
            )
        })?;
        if parsed.access_token.expose().trim().is_empty() {
            return Err(ConnectorError::malformed(
                token_url.path(),
                "the token response has an empty `access_token`",
            ));
        }
        self.scrubber.add_secret(parsed.access_token.expose());
        if let Some(r) = &parsed.refresh_token {
            self.scrubber.add_secret(r.expose());
        }
        Ok(parsed)
    }
}

/// The rate-limit group of token requests (unlimited unless a connector declares it).
pub const TOKEN_GROUP: &str = "oauth";

/// A token endpoint's answer (RFC 6749 §5.1).
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: Secret,
    /// Seconds; a number (RFC 6749) or text (Trustpilot answers `"expires_in": "359999"`).
    #[serde(default, deserialize_with = "seconds")]
    pub expires_in: Option<u64>,
    /// A new refresh token, where the issuer rotates them.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
}

fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Number(u64),
        Text(String),
    }
    match Option::<N>::deserialize(d)? {
        None => Ok(None),
        Some(N::Number(n)) => Ok(Some(n)),
        Some(N::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("`expires_in` is not a number of seconds")),
    }
}

impl TokenResponse {
    pub fn access_token(&self) -> AccessToken {
        AccessToken {
            token: self.access_token.clone(),
            expires_in: self.expires_in.map(Duration::from_secs),
        }
    }
}

/// Where a [`TokenAuth`] gets its tokens.
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync {
    /// A short name for logs and `Debug` ("OAuth2 client credentials").
    fn describe(&self) -> &'static str;
    /// A new token.
    async fn fetch(&self, ctx: &TokenContext) -> Result<AccessToken, ConnectorError>;
}

/// A token cache around a [`TokenProvider`], shared by every clone and every client that
/// uses it (so a source fetches one token, not one per stream).
#[derive(Clone)]
pub struct TokenAuth {
    inner: Arc<TokenState>,
}

struct TokenState {
    provider: Box<dyn TokenProvider>,
    cached: tokio::sync::Mutex<Option<Cached>>,
    scrubbers: Mutex<Vec<Scrubber>>,
    /// Renew this long before the issuer's expiry (at most half the token's life).
    margin: Duration,
}

struct Cached {
    token: Secret,
    expires_at: Option<DateTime<Utc>>,
    generation: u64,
}

impl fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAuth")
            .field("provider", &self.inner.provider.describe())
            .finish_non_exhaustive()
    }
}

/// The default renewal margin: five minutes before the token expires.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

impl TokenAuth {
    pub fn new(provider: impl TokenProvider + 'static) -> Self {
        Self {
            inner: Arc::new(TokenState {
                provider: Box::new(provider),
                cached: tokio::sync::Mutex::new(None),
                scrubbers: Mutex::new(Vec::new()),
                margin: EXPIRY_MARGIN,
            }),
        }
    }

    /// The same provider with another renewal margin (a fresh cache).
    pub fn with_margin(provider: impl TokenProvider + 'static, margin: Duration) -> Self {
        let mut t = Self::new(provider);
        if let Some(s) = Arc::get_mut(&mut t.inner) {
            s.margin = margin;
        }
        t
    }

    /// Registers a client's scrubber: every token obtained (and the current one) is added.
    pub(crate) fn register(&self, scrubber: &Scrubber) {
        let mut all = self
            .inner
            .scrubbers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !all.iter().any(|s| s.same_as(scrubber)) {
            all.push(scrubber.clone());
        }
        if let Ok(c) = self.inner.cached.try_lock()
            && let Some(c) = c.as_ref()
        {
            scrubber.add_secret(c.token.expose());
        }
    }

    /// The current token and its generation: the cached one while it is fresh, else a new
    /// one. `renew` names a generation the API refused (401): if it is still the cached
    /// one, a new one is fetched.
    pub(crate) async fn current(
        &self,
        ctx: &TokenContext,
        renew: Option<u64>,
    ) -> Result<(Secret, u64), ConnectorError> {
        let mut cached = self.inner.cached.lock().await;
        let now = ctx.now();
        if let Some(c) = cached.as_ref() {
            let expired = c.expires_at.is_some_and(|t| now >= t);
            if !expired && renew != Some(c.generation) {
                return Ok((c.token.clone(), c.generation));
            }
        }
        let generation = cached.as_ref().map_or(0, |c| c.generation + 1);
        tracing::debug!(
            provider = self.inner.provider.describe(),
            generation,
            "fetching an access token"
        );
        let t = self.inner.provider.fetch(ctx).await?;
        if t.token.expose().trim().is_empty() {
            return Err(ConnectorError::malformed(
                self.inner.provider.describe(),
                "the issuer gave an empty token",
            ));
        }
        for s in self
            .inner
            .scrubbers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            s.add_secret(t.token.expose());
        }
        ctx.scrubber.add_secret(t.token.expose());
        let expires_at = t.expires_in.map(|life| {
            let margin = self.inner.margin.min(life / 2);
            now + chrono::Duration::from_std(life.saturating_sub(margin))
                .unwrap_or(chrono::Duration::MAX)
        });
        *cached = Some(Cached {
            token: t.token.clone(),
            expires_at,
            generation,
        });
        Ok((t.token, generation))
    }

    pub(crate) fn context(
        clock: &Clock,
        retry: &RetryPolicy,
        scrubber: &Scrubber,
        user_agent: &str,
    ) -> TokenContext {
        TokenContext {
            clock: clock.clone(),
            retry: retry.clone(),
            scrubber: scrubber.clone(),
            user_agent: user_agent.to_owned(),
        }
    }
}

/// How a client authenticates itself to a token endpoint (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    Body,
    /// HTTP Basic `client_id:client_secret` (the RFC's preferred form).
    Basic,
    /// A JSON body with `grant_type`, `client_id` and `client_secret` (Help Scout).
    JsonBody,
}

/// OAuth2 client credentials (RFC 6749 §4.4): `grant_type=client_credentials` at
/// `token_url`.
pub struct ClientCredentials {
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    scope: Option<String>,
    client_auth: ClientAuth,
}

impl ClientCredentials {
    pub fn new(token_url: Url, client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self {
            token_url,
            client_id: client_id.into(),
            client_secret,
            scope: None,
            client_auth: ClientAuth::Body,
        }
    }
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
    pub fn client_auth(mut self, how: ClientAuth) -> Self {
        self.client_auth = how;
        self
    }
}

#[async_trait::async_trait]
impl TokenProvider for ClientCredentials {
    fn describe(&self) -> &'static str {
        "OAuth2 client credentials"
    }

    async fn fetch(&self, ctx: &TokenContext) -> Result<AccessToken, ConnectorError> {
        ctx.scrubber()
            .add_basic(&self.client_id, self.client_secret.expose());
        let answer = match self.client_auth {
            ClientAuth::JsonBody => {
                let mut body = serde_json::json!({
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret.expose(),
                });
                if let Some(s) = &self.scope {
                    body["scope"] = serde_json::json!(s);
                }
                ctx.post_token_json(&self.token_url, &body).await?
            }
            ClientAuth::Body | ClientAuth::Basic => {
                let mut form = vec![("grant_type", "client_credentials")];
                if let Some(s) = &self.scope {
                    form.push(("scope", s));
                }
                if self.client_auth == ClientAuth::Body {
                    form.push(("client_id", &self.client_id));
                    form.push(("client_secret", self.client_secret.expose()));
                    ctx.post_token_form(&self.token_url, &form).await?
                } else {
                    let basic = basic_header(&self.client_id, &self.client_secret);
                    ctx.post_token_form_with(&self.token_url, &form, Some(basic))
                        .await?
                }
            }
        };
        Ok(answer.access_token())
    }
}

fn basic_header(user: &str, password: &Secret) -> Secret {
    use base64::Engine as _;
    Secret::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.expose()))
    ))
}

impl TokenContext {
    /// [`TokenContext::post_token_form`] with an `Authorization` value (client
    /// authentication by HTTP Basic).
    pub async fn post_token_form_with(
        &self,
        token_url: &Url,
        form: &[(&str, &str)],
        authorization: Option<Secret>,
    ) -> Result<TokenResponse, ConnectorError> {
        let mut client = self.client(token_url)?;
        if let Some(a) = authorization {
            client = client.with_authorization(a)?;
        }
        let raw = client
            .post_form(TOKEN_GROUP, token_url.as_str(), form)
            .await;
        self.token_answer(token_url, raw)
    }
}

/// Called with every new refresh token an issuer hands out (rotating refresh tokens): the
/// caller must store it where the next run finds it, or the next run's refresh fails.
pub type OnRotate = Arc<dyn Fn(&Secret) + Send + Sync>;

/// OAuth2 refresh token (RFC 6749 §6): `grant_type=refresh_token` at `token_url`. Google
/// (Business Profile) keeps the refresh token; Trustpilot's business-user tokens may hand out
/// a new one, which this keeps using and reports to [`RefreshToken::on_rotate`].
pub struct RefreshToken {
    token_url: Url,
    client_id: String,
    client_secret: Option<Secret>,
    refresh_token: Arc<Mutex<Secret>>,
    on_rotate: Option<OnRotate>,
    client_auth: ClientAuth,
}

impl RefreshToken {
    pub fn new(
        token_url: Url,
        client_id: impl Into<String>,
        client_secret: Option<Secret>,
        refresh_token: Secret,
    ) -> Self {
        Self {
            token_url,
            client_id: client_id.into(),
            client_secret,
            refresh_token: Arc::new(Mutex::new(refresh_token)),
            on_rotate: None,
            client_auth: ClientAuth::Body,
        }
    }

    /// Tells `f` every new refresh token the issuer hands out.
    pub fn on_rotate(mut self, f: impl Fn(&Secret) + Send + Sync + 'static) -> Self {
        self.on_rotate = Some(Arc::new(f));
        self
    }

    pub fn client_auth(mut self, how: ClientAuth) -> Self {
        self.client_auth = how;
        self
    }

    /// A handle to the refresh token in use (the latest one the issuer handed out).
    pub fn current_refresh_token(&self) -> RefreshTokenHandle {
        RefreshTokenHandle(self.refresh_token.clone())
    }
}

/// Reads the refresh token a [`RefreshToken`] provider currently holds.
#[derive(Clone)]
pub struct RefreshTokenHandle(Arc<Mutex<Secret>>);

impl RefreshTokenHandle {
    pub fn get(&self) -> Secret {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl fmt::Debug for RefreshTokenHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshTokenHandle([REDACTED])")
    }
}

#[async_trait::async_trait]
impl TokenProvider for RefreshToken {
    fn describe(&self) -> &'static str {
        "OAuth2 refresh token"
    }

    async fn fetch(&self, ctx: &TokenContext) -> Result<AccessToken, ConnectorError> {
        let refresh = self.current_refresh_token().get();
        ctx.scrubber().add_secret(refresh.expose());
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose()),
        ];
        let mut authorization = None;
        match (&self.client_secret, self.client_auth) {
            (Some(secret), ClientAuth::Basic) => {
                ctx.scrubber().add_basic(&self.client_id, secret.expose());
                authorization = Some(basic_header(&self.client_id, secret));
            }
            (secret, _) => {
                form.push(("client_id", &self.client_id));
                if let Some(s) = secret {
                    ctx.scrubber().add_secret(s.expose());
                    form.push(("client_secret", s.expose()));
                }
            }
        }
        let answer = ctx
            .post_token_form_with(&self.token_url, &form, authorization)
            .await?;
        if let Some(new) = &answer.refresh_token
            && new.expose() != refresh.expose()
        {
            *self.refresh_token.lock().unwrap_or_else(|e| e.into_inner()) = new.clone();
            tracing::info!("the issuer rotated the refresh token");
            if let Some(f) = &self.on_rotate {
                f(new);
            }
        }
        Ok(answer.access_token())
    }
}

/// App Store Connect API keys: a JWT signed ES256 with the key's `.p8` (PKCS#8) private key,
/// header `kid` = key id, claims `iss` = issuer id, `iat`, `exp` (at most 20 minutes later,
/// Apple's ceiling), `aud: "appstoreconnect-v1"`; sent as the bearer token itself. A new one
/// is signed shortly before it expires.
pub struct AppStoreConnectKey {
    key_id: String,
    issuer_id: String,
    key: JwtKey,
    lifetime: Duration,
}

/// Apple's ceiling on an App Store Connect token's life.
pub const APP_STORE_CONNECT_MAX_LIFETIME: Duration = Duration::from_secs(20 * 60);

impl AppStoreConnectKey {
    /// `private_key_pem` is the `.p8` file's text (`-----BEGIN PRIVATE KEY-----`).
    pub fn new(
        key_id: impl Into<String>,
        issuer_id: impl Into<String>,
        private_key_pem: &Secret,
    ) -> Result<Self, ConnectorError> {
        Ok(Self {
            key_id: key_id.into(),
            issuer_id: issuer_id.into(),
            key: JwtKey::es256_pem(private_key_pem)?,
            lifetime: APP_STORE_CONNECT_MAX_LIFETIME,
        })
    }

    /// A shorter life than Apple's 20 minutes (longer is capped at 20).
    pub fn lifetime(mut self, d: Duration) -> Self {
        self.lifetime = d.min(APP_STORE_CONNECT_MAX_LIFETIME);
        self
    }

    /// The token for `now` (public for tests and for tools that print one).
    pub fn sign_at(&self, now: DateTime<Utc>) -> Result<Secret, ConnectorError> {
        let iat = now.timestamp();
        let claims = serde_json::json!({
            "iss": self.issuer_id,
            "iat": iat,
            "exp": iat + self.lifetime.as_secs() as i64,
            "aud": "appstoreconnect-v1",
        });
        sign_jwt(&self.key, Some(&self.key_id), &claims).map(Secret::new)
    }
}

#[async_trait::async_trait]
impl TokenProvider for AppStoreConnectKey {
    fn describe(&self) -> &'static str {
        "App Store Connect API key (ES256 JWT)"
    }

    async fn fetch(&self, ctx: &TokenContext) -> Result<AccessToken, ConnectorError> {
        Ok(AccessToken {
            token: self.sign_at(ctx.now())?,
            expires_in: Some(self.lifetime),
        })
    }
}

/// A Google service account (its JSON key file), exchanged for an access token with the JWT
/// bearer grant (RFC 7523): an RS256 JWT with `iss` = `client_email`, `scope`, `aud` =
/// `token_uri`, `iat`, `exp` (one hour), POSTed as
/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…` to the key file's
/// `token_uri` (`https://oauth2.googleapis.com/token`). Google Play's scope is
/// [`ANDROID_PUBLISHER_SCOPE`].
pub struct GoogleServiceAccount {
    client_email: String,
    token_uri: Url,
    scope: String,
    key: JwtKey,
    token_url_override: Option<Url>,
}

/// The scope of the Google Play Developer API.
pub const ANDROID_PUBLISHER_SCOPE: &str = "https://www.googleapis.com/auth/androidpublisher";
/// Google's token endpoint, where a key file names none.
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

#[derive(Deserialize)]
struct KeyFile {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    client_email: String,
    private_key: Secret,
    #[serde(default)]
    token_uri: Option<String>,
}

impl GoogleServiceAccount {
    /// From the key file's JSON text (a [`Secret`]: it holds the private key). Errors name
    /// what is missing, never the key. `token_uri` may be replaced (tests, proxies).
    pub fn from_json(key_file: &Secret, scope: impl Into<String>) -> Result<Self, ConnectorError> {
        // Never serde's message: it may quote the key.
        let f: KeyFile = serde_json::from_str(key_file.expose()).map_err(|e| {
            ConnectorError::Settings(format!(
                "the service account key is not a Google key file (JSON with `client_email` and `private_key`; {} at line {}, column {})",
                match e.classify() {
                    serde_json::error::Category::Data => "a field is missing or of the wrong type",
                    _ => "not JSON",
                },
                e.line(),
                e.column()
            ))
        })?;
        if f.kind.as_deref().is_some_and(|k| k != "service_account") {
            return Err(ConnectorError::Settings(
                "the key file is not a service account's (`type` is not `service_account`)".into(),
            ));
        }
        let token_uri = f.token_uri.as_deref().unwrap_or(GOOGLE_TOKEN_URI);
        let token_uri = crate::settings::url("token_uri", token_uri, GOOGLE_TOKEN_URI)?;
        Ok(Self {
            client_email: f.client_email,
            token_uri,
            scope: scope.into(),
            key: JwtKey::rs256_pem(&f.private_key)?,
            token_url_override: None,
        })
    }

    /// Sends the grant to `url` instead of the key file's `token_uri` (tests, proxies); the
    /// JWT's `aud` stays the key file's, as Google requires.
    pub fn token_url(mut self, url: Url) -> Self {
        self.token_url_override = Some(url);
        self
    }

    /// The signed assertion for `now` (public for known-answer tests).
    pub fn assertion_at(&self, now: DateTime<Utc>) -> Result<Secret, ConnectorError> {
        let iat = now.timestamp();
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": self.scope,
            "aud": self.token_uri.as_str(),
            "iat": iat,
            "exp": iat + 3600,
        });
        sign_jwt(&self.key, None, &claims).map(Secret::new)
    }
}

#[async_trait::async_trait]
impl TokenProvider for GoogleServiceAccount {
    fn describe(&self) -> &'static str {
        "Google service account (RS256 JWT bearer grant)"
    }

    async fn fetch(&self, ctx: &TokenContext) -> Result<AccessToken, ConnectorError> {
        let assertion = self.assertion_at(ctx.now())?;
        ctx.scrubber().add_secret(assertion.expose());
        let url = self.token_url_override.as_ref().unwrap_or(&self.token_uri);
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.expose()),
        ];
        Ok(ctx.post_token_form(url, &form).await?.access_token())
    }
}

#[cfg(test)]
mod tests;
