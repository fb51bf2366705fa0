//! ADM's side of the `orders/create` webhook: posting a payload to orderbridge with the API
//! key, and optionally an HMAC-SHA256 signature of the raw body (base64, the scheme of
//! `orderbridge-http`'s `auth::sign`).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::Value;
use sha2::Sha256;

use crate::adm::order::GeneratedOrder;

/// The signature header when none is configured.
pub const DEFAULT_SIGNATURE_HEADER: &str = "x-adm-signature";

/// How long one webhook call may take when not configured.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a webhook could not be sent (an answer, whatever its status, is not an error).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The webhook URL is not an http(s) URL.
    #[error("the webhook URL {0:?} is not an http or https URL")]
    InvalidUrl(String),
    /// A header name is invalid.
    #[error("{0:?} is not a valid HTTP header name")]
    InvalidHeaderName(String),
    /// The key holds characters a header cannot carry.
    #[error("the API key holds characters an HTTP header cannot carry")]
    InvalidApiKey,
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The call failed: no connection, a timeout, a broken answer.
    #[error("the webhook call failed")]
    Request(#[source] reqwest::Error),
}

/// orderbridge's answer to a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookReply {
    /// The HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

impl WebhookReply {
    /// The body as JSON, or `Null` when it is not JSON.
    #[must_use]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Posts `orders/create` payloads to one webhook URL; reuses its connections.
#[derive(Clone)]
pub struct WebhookSender {
    http: reqwest::Client,
    url: reqwest::Url,
    api_key: String,
    key_header: HeaderName,
    key_value: HeaderValue,
    signing_secret: Option<String>,
    signature_header: HeaderName,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("url", &self.url.as_str())
            .field("key_header", &self.key_header)
            .field("signature_header", &self.signature_header)
            .field("signed", &self.signing_secret.is_some())
            .finish_non_exhaustive()
    }
}

impl WebhookSender {
    /// A sender to `webhook_url` with `Authorization: Bearer <api_key>` and a 30 s timeout.
    ///
    /// # Errors
    /// [`SendError`] for a URL that is not http(s), a key a header cannot carry, or a client
    /// that cannot be built.
    pub fn new(webhook_url: &str, api_key: &str) -> Result<Self, SendError> {
        Self::build(webhook_url, api_key, DEFAULT_TIMEOUT)
    }

    fn build(webhook_url: &str, api_key: &str, timeout: Duration) -> Result<Self, SendError> {
        let url = reqwest::Url::parse(webhook_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| SendError::InvalidUrl(webhook_url.to_owned()))?;
        let key_value = sensitive(&format!("Bearer {api_key}"))?;
        // reqwest is built without a default TLS crypto provider; an Err means one is
        // installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("orderbridge-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(SendError::Client)?;
        Ok(Self {
            http,
            url,
            api_key: api_key.to_owned(),
            key_header: AUTHORIZATION,
            key_value,
            signing_secret: None,
            signature_header: HeaderName::from_static(DEFAULT_SIGNATURE_HEADER),
        })
    }

    /// Sends the bare key in `header` instead of `Authorization: Bearer`.
    ///
    /// # Errors
    /// [`SendError::InvalidHeaderName`].
    pub fn with_api_key_header(mut self, header: &str) -> Result<Self, SendError> {
        self.key_header = header_name(header)?;
        self.key_value = sensitive(&self.api_key)?;
        Ok(self)
    }

    /// Signs each body with `secret`, in [`DEFAULT_SIGNATURE_HEADER`] unless
    /// [`WebhookSender::with_signature_header`] names another.
    #[must_use]
    pub fn with_signing_secret(mut self, secret: &str) -> Self {
        self.signing_secret = Some(secret.to_owned());
        self
    }

    /// Puts the signature in `header`.
    ///
    /// # Errors
    /// [`SendError::InvalidHeaderName`].
    pub fn with_signature_header(mut self, header: &str) -> Result<Self, SendError> {
        self.signature_header = header_name(header)?;
        Ok(self)
    }

    /// Another timeout per call.
    ///
    /// # Errors
    /// [`SendError::Client`] when the client cannot be rebuilt.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, SendError> {
        self.http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("orderbridge-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(SendError::Client)?;
        Ok(self)
    }

    /// Posts a generated order.
    ///
    /// # Errors
    /// [`SendError::Request`] when no answer came.
    pub async fn send_order(&self, order: &GeneratedOrder) -> Result<WebhookReply, SendError> {
        self.send_raw(order.body()).await
    }

    /// Posts a JSON payload.
    ///
    /// # Errors
    /// [`SendError::Request`] when no answer came.
    pub async fn send(&self, payload: &Value) -> Result<WebhookReply, SendError> {
        self.send_raw(payload.to_string().into_bytes()).await
    }

    /// Cancels order `id` on ADM's side: posts the Order resource's `id`, `cancelled_at` (now)
    /// and `cancel_reason` to the cancellation webhook beside the order webhook
    /// (`<webhook_url>/cancelled`, design section 11's reading).
    ///
    /// # Errors
    /// [`SendError::Request`] when no answer came.
    pub async fn send_cancellation(
        &self,
        id: &str,
        reason: &str,
    ) -> Result<WebhookReply, SendError> {
        let payload = serde_json::json!({
            "id": id,
            "cancelled_at": chrono::Utc::now().to_rfc3339(),
            "cancel_reason": reason,
        });
        let mut url = self.url.clone();
        let path = format!("{}/cancelled", url.path().trim_end_matches('/'));
        url.set_path(&path);
        self.post(url, payload.to_string().into_bytes()).await
    }

    /// Posts `body` exactly as given (signed as given), with `Content-Type: application/json`.
    ///
    /// # Errors
    /// [`SendError::Request`] when no answer came.
    pub async fn send_raw(&self, body: Vec<u8>) -> Result<WebhookReply, SendError> {
        self.post(self.url.clone(), body).await
    }

    async fn post(&self, url: reqwest::Url, body: Vec<u8>) -> Result<WebhookReply, SendError> {
        let mut request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(self.key_header.clone(), self.key_value.clone());
        if let Some(secret) = &self.signing_secret {
            request = request.header(self.signature_header.clone(), sign(secret, &body));
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(SendError::Request)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(SendError::Request)?;
        Ok(WebhookReply { status, body })
    }
}

/// A header value that HTTP/2 and logs treat as secret.
fn sensitive(value: &str) -> Result<HeaderValue, SendError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| SendError::InvalidApiKey)?;
    value.set_sensitive(true);
    Ok(value)
}

fn header_name(name: &str) -> Result<HeaderName, SendError> {
    HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| SendError::InvalidHeaderName(name.to_owned()))
}

/// Posts one payload to `webhook_url` with `Authorization: Bearer <api_key>`, signed with
/// `signing_secret` in [`DEFAULT_SIGNATURE_HEADER`] when one is given. Builds a client per
/// call: for many orders, keep a [`WebhookSender`].
///
/// # Errors
/// [`SendError`] when the URL or key is unusable or no answer came.
pub async fn send_order(
    webhook_url: &str,
    api_key: &str,
    payload: &Value,
    signing_secret: Option<&str>,
) -> Result<WebhookReply, SendError> {
    let mut sender = WebhookSender::new(webhook_url, api_key)?;
    if let Some(secret) = signing_secret {
        sender = sender.with_signing_secret(secret);
    }
    sender.send(payload).await
}

/// The base64 HMAC-SHA256 of `body` with `secret`.
#[must_use]
pub fn sign(secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            STANDARD.encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this arm is never reached.
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{WebhookSender, sign};

    #[test]
    fn the_signature_is_the_rfc_4231_hmac_in_base64() {
        // RFC 4231 test case 2 (key "Jefe"): 5bdcc146...64ec3843 in hex.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
        );
    }

    #[test]
    fn a_url_that_is_not_http_is_refused() {
        for url in ["ftp://x.example/hook", "not a url", ""] {
            assert!(WebhookSender::new(url, "k").is_err(), "{url}");
        }
        assert!(WebhookSender::new("http://127.0.0.1:1/hook", "k\n").is_err());
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let sender = WebhookSender::new("http://127.0.0.1:1/hook", "s3cr3t").unwrap();
        assert!(!format!("{sender:?}").contains("s3cr3t"));
    }
}
