//! [`BazaarWebhook`]: one Bazaar account's order webhook behind the domain's `Webhook` port.
//! It checks the bearer key before the body is read, parses Bazaar's JSON into a `NewOrder`
//! (prices exact, from their strings), ingests it and answers in Bazaar's words.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::{NewLine, NewOrder, Order, Totals};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::ports::webhook::{Headers, Webhook, WebhookReply};
use orderbridge_domain::services::{IngestError, Ingested, OrderService};
use orderbridge_domain::values::{ApiKeys, ChannelId, Currency, ExternalOrderId, Quantity, Sku};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::NAME;

/// The webhook's only event: `/webhooks/bazaar/orders`.
pub const ORDERS: &str = "orders";

/// One Bazaar account's inbound webhook.
#[derive(Debug, Clone)]
pub struct BazaarWebhook {
    channel: ChannelId,
    keys: ApiKeys,
    clock: Arc<dyn Clock>,
}

impl BazaarWebhook {
    /// The webhook of `channel`, letting in callers that present one of `keys`.
    #[must_use]
    pub fn new(channel: ChannelId, keys: ApiKeys, clock: Arc<dyn Clock>) -> Self {
        Self {
            channel,
            keys,
            clock,
        }
    }
}

/// A `400`: the field at fault and what is wrong with it (never a customer's value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Rejection {
    /// The field's path, such as `lines[0].price`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn reject(field: impl Into<String>, message: impl Into<String>) -> Rejection {
    Rejection {
        field: field.into(),
        message: message.into(),
    }
}

fn reply(status: u16, body: &Value) -> WebhookReply {
    WebhookReply::new(status, body.to_string())
}

/// Parses Bazaar's order body into a [`NewOrder`] of `channel`, placed at `received_at`
/// (Bazaar sends no time).
///
/// # Errors
/// [`Rejection`] naming the first field at fault.
pub fn parse_order(
    body: &[u8],
    channel: &ChannelId,
    received_at: DateTime<Utc>,
) -> Result<NewOrder, Rejection> {
    let text = std::str::from_utf8(body).map_err(|_| reject("body", "must be UTF-8"))?;
    let Ok(Value::Object(order)) = serde_json::from_str::<Value>(text) else {
        return Err(reject("body", "must be a JSON object"));
    };
    let id = text_field(&order, "id", "id")?;
    let external_id = ExternalOrderId::parse(id).map_err(|e| reject("id", e.to_string()))?;
    let currency = Currency::parse(text_field(&order, "currency", "currency")?)
        .map_err(|_| reject("currency", "must be a three-letter currency code"))?;
    let Some(Value::Array(items)) = order.get("lines") else {
        return Err(reject("lines", "must be an array of lines"));
    };
    if items.is_empty() || items.len() > Order::MAX_LINES {
        let max = Order::MAX_LINES;
        return Err(reject("lines", format!("must hold 1 to {max} lines")));
    }
    let lines = items
        .iter()
        .enumerate()
        .map(|(index, item)| line(&format!("lines[{index}]"), item))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NewOrder {
        channel: channel.clone(),
        external_id,
        currency,
        placed_at: received_at,
        deliver_by: None,
        email: None,
        shipping_address: None,
        shipping_service: None,
        totals: Totals::default(),
        lines,
        raw_payload: Some(text.to_owned()),
        flags: Vec::new(),
    })
}

fn text_field<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a str, Rejection> {
    object
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| reject(path, "must be a string"))
}

fn line(path: &str, item: &Value) -> Result<NewLine, Rejection> {
    let Value::Object(item) = item else {
        return Err(reject(path, "must be an object"));
    };
    let at = |key: &str| format!("{path}.{key}");
    let sku = Sku::parse(text_field(item, "sku", &at("sku"))?)
        .map_err(|e| reject(at("sku"), e.to_string()))?;
    let quantity = item
        .get("quantity")
        .and_then(Value::as_u64)
        .and_then(|q| u32::try_from(q).ok())
        .and_then(|q| Quantity::new(q).ok())
        .ok_or_else(|| reject(at("quantity"), "must be a whole number from 1"))?;
    let unit_price = Decimal::from_str_exact(text_field(item, "price", &at("price"))?)
        .ok()
        .filter(|price| !price.is_sign_negative())
        .ok_or_else(|| reject(at("price"), "must be a decimal string of 0 or more"))?;
    Ok(NewLine {
        sku,
        quantity,
        unit_price,
        total_discount: Decimal::ZERO,
        total_tax: Decimal::ZERO,
        external_line_id: None,
        title: None,
    })
}

#[async_trait]
impl Webhook for BazaarWebhook {
    fn marketplace(&self) -> &str {
        NAME
    }

    fn channel(&self) -> &ChannelId {
        &self.channel
    }

    fn authenticate(&self, headers: &Headers) -> Result<(), WebhookReply> {
        match headers.bearer() {
            Some(key) if self.keys.accepts(key) => Ok(()),
            _ => Err(reply(401, &json!({ "error": "unauthorized" }))),
        }
    }

    async fn receive(
        &self,
        event: &str,
        _headers: &Headers,
        body: &[u8],
        orders: &OrderService,
    ) -> WebhookReply {
        if event != ORDERS {
            return reply(404, &json!({ "error": format!("no event `{event}`") }));
        }
        let new = match parse_order(body, &self.channel, self.clock.now()) {
            Ok(new) => new,
            Err(e) => {
                tracing::info!(channel = %self.channel, field = %e.field, "Bazaar order rejected");
                return reply(400, &json!({ "error": e.message, "field": e.field }));
            }
        };
        let id = new.external_id.as_str().to_owned();
        match orders.ingest(new).await {
            Ok(Ingested::Created(order)) => {
                tracing::info!(order_id = %order.id(), external_id = %id, "Bazaar order received");
                WebhookReply {
                    created: Some(order.id()),
                    ..reply(201, &json!({ "received": id }))
                }
            }
            Ok(Ingested::Duplicate(_)) => {
                reply(409, &json!({ "error": "already received", "received": id }))
            }
            Err(IngestError::Invalid(e)) => {
                reply(400, &json!({ "error": e.to_string(), "field": "lines" }))
            }
            Err(e) => {
                tracing::error!(error = %e, external_id = %id, "could not store a Bazaar order");
                reply(500, &json!({ "error": "server error, try again later" }))
            }
        }
    }
}
