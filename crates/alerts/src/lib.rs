//! Alerts to operators, sent to one webhook (`alerts.webhook_url`) as JSON
//! `{kind, channel, order_id, delivery_id, message, at, text}` (`text` a one-line summary, so
//! that a Slack-style incoming webhook shows it as is).
//!
//! With a signing secret, each request carries the Standard Webhooks headers
//! (<https://www.standardwebhooks.com>): `webhook-id` (the alert's id, the same on every
//! attempt), `webhook-timestamp` (Unix seconds) and `webhook-signature`
//! (`v1,<base64 of HMAC-SHA256 over "{id}.{timestamp}.{body}">`). A secret written
//! `whsec_<base64>` is the base64-decoded key, as the specification says; any other secret is
//! used as its UTF-8 bytes. The signing is the domain's (`standard_webhooks`), the same that
//! checks signed marketplace webhooks.
//!
//! The URL is `https`, or plain `http` to a loopback address or with `allow_insecure_http`
//! (the domain's `transport` rule).
//!
//! Answers: 2xx delivered; 408, 429 (with `Retry-After`), 5xx, timeouts and connection errors
//! retried; any other answer refused for good (parked).

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::alert::Alert;
use orderbridge_domain::ports::alerts::AlertSink;
use orderbridge_domain::ports::marketplace::{Outcome, clip_reason, retry_after};
use orderbridge_domain::standard_webhooks::SigningKey;
use orderbridge_domain::transport::InsecureUrl;
use orderbridge_domain::values::Secret;
use serde::Serialize;

/// Why the alerts webhook cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum AlertsConfigError {
    /// The URL is not an absolute http(s) URL.
    #[error("alerts.webhook_url: expected an http:// or https:// URL, got {0:?}")]
    InvalidUrl(String),
    /// Plain `http` to a host that is not loopback, without `alerts.allow_insecure_http`.
    #[error("alerts.webhook_url: {0}")]
    Insecure(#[source] InsecureUrl),
    /// A `whsec_` secret whose rest is not base64.
    #[error("alerts.signing_secret: a whsec_ secret must be base64 after the prefix")]
    InvalidSecret,
    /// The HTTP client could not be built.
    #[error("alerts webhook client: {0}")]
    Client(#[source] reqwest::Error),
}

/// The alert as sent.
#[derive(Debug, Serialize)]
struct Body<'a> {
    kind: &'static str,
    channel: &'a str,
    order_id: Option<String>,
    delivery_id: Option<String>,
    message: &'a str,
    at: DateTime<Utc>,
    text: String,
}

/// The body of `alert`, as JSON bytes.
#[must_use]
pub fn body(alert: &Alert) -> Vec<u8> {
    let body = Body {
        kind: alert.kind.as_str(),
        channel: alert.channel.as_str(),
        order_id: alert.order_id.map(|id| id.to_string()),
        delivery_id: alert.delivery_id.map(|id| id.to_string()),
        message: &alert.message,
        at: alert.at,
        text: alert.text(),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The alerts webhook.
pub struct WebhookAlerts {
    http: reqwest::Client,
    url: reqwest::Url,
    key: Option<SigningKey>,
}

impl std::fmt::Debug for WebhookAlerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookAlerts")
            .field("host", &self.url.host_str())
            .field("signed", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

impl WebhookAlerts {
    /// Alerts to `url`, signed with `secret` when one is given, each call cut off after
    /// `timeout`; `url` may be plain `http` to a host that is not loopback only with
    /// `allow_insecure_http`.
    ///
    /// # Errors
    /// [`AlertsConfigError`] for a bad or insecure URL or a bad secret.
    pub fn new(
        url: &str,
        secret: Option<&Secret>,
        timeout: Duration,
        allow_insecure_http: bool,
    ) -> Result<Self, AlertsConfigError> {
        let parsed = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .and_then(|u| Some((u.host_str()?.to_owned(), u)))
            .ok_or_else(|| AlertsConfigError::InvalidUrl(url.to_owned()))?;
        let (host, parsed) = parsed;
        orderbridge_domain::transport::check(parsed.scheme(), &host, allow_insecure_http)
            .map_err(AlertsConfigError::Insecure)?;
        let key = secret
            .map(SigningKey::parse)
            .transpose()
            .map_err(|_| AlertsConfigError::InvalidSecret)?;
        // reqwest is built without a default TLS crypto provider (ring only, see
        // rust-stack.md); it panics unless one is installed. An Err means one already is.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("orderbridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(AlertsConfigError::Client)?;
        Ok(Self {
            http,
            url: parsed,
            key,
        })
    }
}

#[async_trait]
impl AlertSink for WebhookAlerts {
    async fn send(&self, alert: &Alert) -> Outcome {
        let body = body(alert);
        let id = alert.id.to_string();
        let timestamp = Utc::now().timestamp();
        let mut request = self
            .http
            .post(self.url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string());
        if let Some(key) = &self.key {
            request = request.header("webhook-signature", key.sign(&id, timestamp, &body));
        }
        let response = match request.body(body).send().await {
            Ok(response) => response,
            Err(error) => {
                return Outcome::Retry {
                    reason: format!(
                        "alerts webhook unreachable: {}",
                        clip_reason(&error.to_string(), 200)
                    ),
                    retry_after: None,
                };
            }
        };
        let status = response.status();
        if status.is_success() {
            return Outcome::Delivered { remote_ref: None };
        }
        let wait = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, Utc::now()));
        let text = response.text().await.unwrap_or_default();
        let reason = format!(
            "alerts webhook answered {status}: {}",
            clip_reason(&text, 200)
        );
        match status.as_u16() {
            408 | 429 | 500..=599 => Outcome::Retry {
                reason,
                retry_after: wait,
            },
            _ => Outcome::Rejected { reason },
        }
    }
}
