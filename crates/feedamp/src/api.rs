//! The transport every FeedAMP call goes through: one HTTP client, the shared request spacing,
//! the cached token with its refresh on 401 (see `auth.rs`), the three authentication
//! headers (`token`, `client`, HTTP Basic) on every data call, and `Idempotency-Key` on the
//! marketplace calls that carry one (never on the token call).

use orderbridge_domain::values::DeliveryId;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};

use crate::auth::TokenCache;
use crate::config::{FeedampConfig, FeedampConfigError, Secret};
use crate::error::{CallError, Reply, classify_send_error};
use crate::limit::RateLimit;

/// The most of a response body read. A page of 200 orders is a few hundred KiB; the cap only
/// guards memory against a runaway answer.
const MAX_RESPONSE_BODY: usize = 32 * 1024 * 1024;

/// The header carrying the token.
const TOKEN_HEADER: HeaderName = HeaderName::from_static("token");
/// The header carrying the client (account) id.
const CLIENT_HEADER: HeaderName = HeaderName::from_static("client");
/// The header carrying the delivery's id on every attempt of a marketplace call.
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// One data call: method, full URL, optional JSON body, and for a delivery's call its id as
/// the idempotency key (the same on the repeat after a token refresh and on every retry).
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) idempotency_key: Option<DeliveryId>,
}

/// Everything one FeedAMP account's calls share.
pub(crate) struct Api {
    http: reqwest::Client,
    pub(crate) token_url: Url,
    username: String,
    password: Secret,
    client_id: String,
    client_header: HeaderValue,
    pub(crate) tokens: TokenCache,
    limit: RateLimit,
    request_timeout: std::time::Duration,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("password", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl Api {
    /// Builds the transport from checked settings.
    pub(crate) fn new(config: &FeedampConfig) -> Result<Self, FeedampConfigError> {
        config.validate()?;
        let token_url = config.url(&config.token_path, "token_path")?;
        let client_id = config.client_id.trim().to_owned();
        let client_header =
            HeaderValue::from_str(&client_id).map_err(|_| FeedampConfigError::InvalidClientId)?;
        // reqwest is built without a default TLS crypto provider (ring only, see
        // rust-stack.md); it panics unless one is installed. An Err means one already is.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("orderbridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(FeedampConfigError::Client)?;
        Ok(Self {
            http,
            token_url,
            username: config.username.trim().to_owned(),
            password: config.password.clone(),
            client_id,
            client_header,
            tokens: TokenCache::new(),
            limit: RateLimit::new(config.min_interval),
            request_timeout: config.request_timeout,
        })
    }

    /// The whole-request timeout of one call.
    pub(crate) fn request_timeout(&self) -> std::time::Duration {
        self.request_timeout
    }

    /// The configured client id (not a secret; named in 403 messages).
    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Makes a data call with the cached token. On a 401 it fetches a new token (once, shared
    /// with every caller that saw the same token refused) and repeats the call once; a second
    /// 401 is an auth failure. Any other answer is returned for the caller to classify.
    pub(crate) async fn call(&self, call: &Call) -> Result<Reply, CallError> {
        let (token, generation) = self.current_token().await?;
        let reply = self.send(call, &token).await?;
        if reply.status != StatusCode::UNAUTHORIZED {
            return Ok(self.note_forbidden(reply));
        }
        tracing::debug!("FeedAMP refused the token; fetching a new one");
        let token = self.renew_token(generation).await?;
        let reply = self.send(call, &token).await?;
        if reply.status == StatusCode::UNAUTHORIZED {
            tracing::warn!(
                client_id = %self.client_id,
                "FeedAMP refused a freshly fetched token"
            );
        }
        Ok(self.note_forbidden(reply))
    }

    /// Logs a 403 at error level: it is a configuration error no retry will fix.
    fn note_forbidden(&self, reply: Reply) -> Reply {
        if reply.status == StatusCode::FORBIDDEN {
            tracing::error!(
                client_id = %self.client_id,
                "FeedAMP answered 403: the client id is not authorised (check the client id \
                 setting and the IP allowlist)"
            );
        }
        reply
    }

    /// Sends one data call with `token`, after waiting for a slot.
    async fn send(&self, call: &Call, token: &HeaderValue) -> Result<Reply, CallError> {
        self.limit.wait().await;
        let request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .basic_auth(&self.username, Some(self.password.expose()))
            .header(TOKEN_HEADER, token.clone())
            .header(CLIENT_HEADER, self.client_header.clone());
        let request = match call.idempotency_key {
            Some(key) => request.header(IDEMPOTENCY_KEY, key.to_string()),
            None => request,
        };
        let request = match &call.body {
            Some(body) => request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone()),
            // A PUT or POST without a body says so (`Content-Length: 0`): some servers answer
            // 411 Length Required otherwise.
            None if call.method != Method::GET => {
                request.header(CONTENT_LENGTH, "0").body(Vec::new())
            }
            None => request,
        };
        let response = request.send().await.map_err(|e| classify_send_error(&e))?;
        Ok(read_reply(response).await)
    }

    /// GETs the token route with HTTP Basic only, after waiting for a slot.
    pub(crate) async fn send_token_request(&self) -> Result<Reply, CallError> {
        self.limit.wait().await;
        let response = self
            .http
            .get(self.token_url.clone())
            .basic_auth(&self.username, Some(self.password.expose()))
            .send()
            .await
            .map_err(|e| classify_send_error(&e))?;
        Ok(read_reply(response).await)
    }
}

/// Reads the status, `Retry-After` and up to [`MAX_RESPONSE_BODY`] bytes of the body. A body
/// that breaks off is kept as far as it came and marked incomplete.
async fn read_reply(mut response: reqwest::Response) -> Reply {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    let mut complete = true;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_RESPONSE_BODY.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(chunk.get(..room).unwrap_or_default());
                    complete = false;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(_) => {
                complete = false;
                break;
            }
        }
    }
    Reply {
        status,
        retry_after,
        body,
        complete,
    }
}
