//! [`BazaarClient`]: the domain's `Marketplace` port for Bazaar. One `POST {base}/shipments`
//! per package, with the delivery's id as `Idempotency-Key` (the same on every attempt); every
//! answer classified into an [`Outcome`].

use std::sync::Arc;

use async_trait::async_trait;
use orderbridge_domain::order::{Fulfillment, Order};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::ports::marketplace::{
    CancellationSupport, Capabilities, FulfillmentMode, Marketplace, Outcome, RefundSupport,
    clip_reason, retry_after,
};
use orderbridge_domain::settings::SettingError;
use orderbridge_domain::values::DeliveryId;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use serde_json::{Value, json};

use crate::config::BazaarConfig;

/// The most of Bazaar's text kept in an outcome's reason, in characters.
const MAX_REASON: usize = 300;

/// The Bazaar adapter of the [`Marketplace`] port.
#[derive(Clone)]
pub struct BazaarClient {
    http: reqwest::Client,
    shipments_url: reqwest::Url,
    auth: HeaderValue,
    clock: Arc<dyn Clock>,
    request_timeout: std::time::Duration,
}

impl std::fmt::Debug for BazaarClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BazaarClient")
            .field("shipments_url", &self.shipments_url.as_str())
            .field("api_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl BazaarClient {
    /// The client of `config`'s account; redirects are not followed.
    ///
    /// # Errors
    /// [`SettingError`] naming the setting at fault (never showing the key).
    pub fn new(config: &BazaarConfig, clock: Arc<dyn Clock>) -> Result<Self, SettingError> {
        let base = config.base_url.trim().trim_end_matches('/');
        let shipments_url = reqwest::Url::parse(&format!("{base}/shipments"))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| SettingError::new("base_url", "must be an https URL"))?;
        // The transport rule every marketplace follows: https, or http to loopback only.
        let host = shipments_url.host_str().unwrap_or_default();
        orderbridge_domain::transport::check(shipments_url.scheme(), host, false)
            .map_err(|e| SettingError::new("base_url", e.to_string()))?;
        let key = config.api_key.expose().trim();
        let mut auth = HeaderValue::from_str(&format!("Bearer {key}"))
            .ok()
            .filter(|_| !key.is_empty())
            .ok_or_else(|| SettingError::new("api_key", "must be a non-empty header value"))?;
        auth.set_sensitive(true);
        // reqwest is built without a default TLS crypto provider; install ring's (an Err means
        // one already is).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SettingError::new("base_url", format!("no HTTP client: {e}")))?;
        Ok(Self {
            http,
            shipments_url,
            auth,
            clock,
            request_timeout: config.request_timeout,
        })
    }

    async fn post(&self, body: &Value, key: DeliveryId) -> Outcome {
        let sent = self
            .http
            .post(self.shipments_url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header("Idempotency-Key", key.to_string())
            .json(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => return send_error(&error),
        };
        let status = response.status();
        let wait = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| retry_after(value, self.clock.now()));
        let text = response.text().await.unwrap_or_default();
        classify(status, wait, &text)
    }
}

/// The shipment body: order id, orderbridge's shipment id, tracking and lines.
fn shipment_body(order: &Order, fulfillment: &Fulfillment) -> Value {
    let lines: Vec<Value> = fulfillment
        .lines()
        .iter()
        .map(|line| json!({ "sku": line.sku.as_str(), "quantity": line.quantity.get() }))
        .collect();
    json!({
        "order_id": order.external_id().as_str(),
        "shipment_id": fulfillment.id().to_string(),
        "tracking_number": fulfillment.tracking_number().as_str(),
        "carrier": fulfillment.carrier().map(|c| c.as_str()),
        "lines": lines,
    })
}

/// Classifies an answer by its status; `wait` is its `Retry-After`.
fn classify(status: StatusCode, wait: Option<std::time::Duration>, text: &str) -> Outcome {
    let json: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if status.is_success() {
        let remote_ref = json.get("id").and_then(Value::as_str).map(str::to_owned);
        return Outcome::Delivered { remote_ref };
    }
    let said = ["error", "message"]
        .iter()
        .filter_map(|key| json.get(key).and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join(": ");
    let said = clip_reason(if said.is_empty() { text } else { &said }, MAX_REASON);
    let reason = if said.is_empty() {
        let phrase = status.canonical_reason().unwrap_or("Unexpected Status");
        format!("{} {phrase}", status.as_u16())
    } else {
        format!("{} {said}", status.as_u16())
    };
    match status.as_u16() {
        401 | 403 => Outcome::AuthFailed { reason },
        408 | 429 | 500..=599 => Outcome::Retry {
            reason,
            retry_after: wait,
        },
        _ => Outcome::Rejected { reason },
    }
}

/// A call that got no answer is passing, unless the request could not even be built.
fn send_error(error: &reqwest::Error) -> Outcome {
    let what = if error.is_timeout() {
        "Bazaar did not answer in time"
    } else if error.is_connect() {
        "could not connect to Bazaar"
    } else {
        "the call to Bazaar failed"
    };
    if error.is_builder() {
        return Outcome::Rejected {
            reason: "the request to Bazaar could not be built".to_owned(),
        };
    }
    Outcome::Retry {
        reason: what.to_owned(),
        retry_after: None,
    }
}

#[async_trait]
impl Marketplace for BazaarClient {
    fn call_timeout(&self) -> std::time::Duration {
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
        let outcome = self.post(&shipment_body(order, fulfillment), key).await;
        let order_id = order.external_id().as_str();
        let tracking = fulfillment.tracking_number().as_str();
        match &outcome {
            Outcome::Delivered { .. } => {
                tracing::debug!(order_id, tracking, "shipment sent to Bazaar")
            }
            Outcome::Retry { reason, .. } => {
                tracing::debug!(order_id, tracking, reason, "Bazaar shipment to be retried")
            }
            Outcome::Rejected { reason } | Outcome::AuthFailed { reason } => {
                tracing::warn!(order_id, tracking, reason, "Bazaar refused a shipment");
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use orderbridge_domain::ports::marketplace::Outcome;
    use reqwest::StatusCode;

    use super::classify;

    #[test]
    fn statuses_are_classified_with_bazaars_words() {
        let status = |code| StatusCode::from_u16(code).unwrap();
        assert_eq!(
            classify(status(201), None, r#"{"id":"S-1"}"#),
            Outcome::Delivered {
                remote_ref: Some("S-1".to_owned())
            }
        );
        assert_eq!(
            classify(status(422), None, r#"{"error":"unknown sku"}"#),
            Outcome::Rejected {
                reason: "422 unknown sku".to_owned()
            }
        );
        assert_eq!(
            classify(status(409), None, "conflict\n"),
            Outcome::Rejected {
                reason: "409 conflict".to_owned()
            }
        );
        let wait = Some(Duration::from_secs(3));
        assert_eq!(
            classify(status(429), wait, ""),
            Outcome::Retry {
                reason: "429 Too Many Requests".to_owned(),
                retry_after: wait
            }
        );
    }
}
