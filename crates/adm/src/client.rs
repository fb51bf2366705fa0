//! `AdmClient`: the `Marketplace` port for ADM. It sends one Create Fulfillment call per
//! shipment, with the delivery's id as `Idempotency-Key` (the same on every attempt, so that an
//! ADM honouring it can drop a re-send; ADM documents no idempotency); ADM has no endpoint for
//! confirmations, cancellations or refunds.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use orderbridge_domain::order::{Fulfillment, Order};
use orderbridge_domain::ports::marketplace::{
    CancellationSupport, Capabilities, FulfillmentMode, Marketplace, Outcome, RefundSupport,
};
use orderbridge_domain::values::DeliveryId;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue, RETRY_AFTER};

use crate::config::{AdmConfig, AdmConfigError};
use crate::error::{classify_response, classify_send_error};
use crate::model::fulfillment_body;

/// The most of a response body read: ADM's bodies are a few hundred bytes.
const MAX_RESPONSE_BODY: usize = 64 * 1024;

/// The header carrying the delivery's id on every attempt.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The ADM adapter of the [`Marketplace`] port.
#[derive(Clone)]
pub struct AdmClient {
    http: reqwest::Client,
    fulfillment_url: reqwest::Url,
    auth_header: HeaderName,
    auth_value: HeaderValue,
    request_timeout: Duration,
}

impl std::fmt::Debug for AdmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmClient")
            .field("fulfillment_url", &self.fulfillment_url.as_str())
            .field("auth_header", &self.auth_header)
            .field("api_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl AdmClient {
    /// Builds the client: checks the URL, the key and its header, and sets the timeouts.
    /// Redirects are not followed (a 3xx is a rejection: ADM documents none).
    ///
    /// # Errors
    /// [`AdmConfigError`] naming the setting at fault (never showing the key).
    pub fn new(config: AdmConfig) -> Result<Self, AdmConfigError> {
        let fulfillment_url = config.fulfillment_url()?;
        let AdmConfig {
            api_key,
            api_key_header,
            connect_timeout,
            request_timeout,
            ..
        } = config;
        let key = api_key.expose();
        if key.trim().is_empty() {
            return Err(AdmConfigError::EmptyApiKey);
        }
        let (auth_header, value) = match api_key_header {
            None => (AUTHORIZATION, format!("Bearer {key}")),
            Some(name) => (
                HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| AdmConfigError::InvalidHeaderName(name.clone()))?,
                key.to_owned(),
            ),
        };
        let mut auth_value =
            HeaderValue::from_str(&value).map_err(|_| AdmConfigError::InvalidApiKey)?;
        auth_value.set_sensitive(true);
        if connect_timeout.is_zero() {
            return Err(AdmConfigError::ZeroTimeout("connect"));
        }
        if request_timeout.is_zero() {
            return Err(AdmConfigError::ZeroTimeout("request"));
        }
        // reqwest is built without a default TLS crypto provider (ring only, see
        // rust-stack.md); it panics unless one is installed. An Err means one already is.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("orderbridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(AdmConfigError::Client)?;
        Ok(Self {
            http,
            fulfillment_url,
            auth_header,
            auth_value,
            request_timeout,
        })
    }

    /// POSTs one Create Fulfillment call with `key` as its idempotency key and classifies
    /// the answer.
    async fn post_fulfillment(
        &self,
        order: &Order,
        fulfillment: &Fulfillment,
        key: DeliveryId,
    ) -> Outcome {
        let body = fulfillment_body(order, fulfillment);
        let sent = self
            .http
            .post(self.fulfillment_url.clone())
            .header(self.auth_header.clone(), self.auth_value.clone())
            .header(IDEMPOTENCY_KEY, key.to_string())
            .json(&body)
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return classify_send_error(&error),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = read_body(&mut response).await;
        classify_response(status, retry_after.as_deref(), &body, Utc::now())
    }
}

/// Reads up to [`MAX_RESPONSE_BODY`] bytes of the body. A body that breaks off is used as far
/// as it came: the status has already said what happened.
async fn read_body(response: &mut reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_RESPONSE_BODY.saturating_sub(body.len());
        body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        if body.len() >= MAX_RESPONSE_BODY {
            break;
        }
    }
    body
}

#[async_trait]
impl Marketplace for AdmClient {
    fn call_timeout(&self) -> Duration {
        self.request_timeout
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            confirms_orders: false,
            fulfillment: FulfillmentMode::PerShipment,
            cancellations: CancellationSupport::None,
            refunds: RefundSupport::None,
            requires_carrier: false,
        }
    }

    async fn send_fulfillment(
        &self,
        order: &Order,
        fulfillment: &Fulfillment,
        key: DeliveryId,
    ) -> Outcome {
        let outcome = self.post_fulfillment(order, fulfillment, key).await;
        let order_id = order.external_id().as_str();
        let tracking = fulfillment.tracking_number().as_str();
        match &outcome {
            Outcome::Delivered { .. } => {
                tracing::debug!(order_id, tracking, "fulfillment delivered to ADM");
            }
            Outcome::Retry { reason, .. } => {
                tracing::debug!(order_id, tracking, reason, "ADM fulfillment to be retried");
            }
            Outcome::Rejected { reason } => {
                tracing::warn!(order_id, tracking, reason, "ADM rejected a fulfillment");
            }
            Outcome::AuthFailed { reason } => {
                tracing::warn!(order_id, tracking, reason, "ADM refused the API key");
            }
        }
        outcome
    }
}
