//! ADM's inbound `orders/create` webhook: parsing the body into a domain [`NewOrder`], and the
//! response bodies of seed 001 (200, 400, 401, 409, 500).
//!
//! Rejections name the field at fault (`line_items[1].quantity`), never a customer's value:
//! names, emails, phones and addresses stay out of messages. SKU values may appear.

mod cancel;
mod convert;
mod dto;
mod endpoint;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
mod tolerant;

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{MarketplaceCancel, NewOrder, Order};
use orderbridge_domain::values::{ChannelId, Currency};
use serde_json::Value;

use crate::model::order_id_json;

pub use cancel::{cancelled_body, parse_cancellation};
pub use endpoint::{AdmWebhook, ORDERS, ORDERS_CANCELLED, WebhookAuth, sign, signature_matches};

/// The 400 title for any problem with `line_items` (seed 001's own wording).
pub const INVALID_SKU_OR_QUANTITY: &str = "Invalid SKU or Quantity";
/// The 400 title for a body that is not JSON (or not UTF-8).
pub const MALFORMED_JSON: &str = "Malformed JSON";
/// The 400 title for every other invalid field.
pub const INVALID_ORDER: &str = "Invalid Order";

/// What the webhook needs to know about the channel account that receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// The channel account the orders are stored under.
    pub channel: ChannelId,
    /// The currency of every amount: ADM payloads carry none.
    pub currency: Currency,
}

/// Why a webhook body was refused: the `400` body `{"error": .., "message": ..}`.
///
/// `error` is one of [`INVALID_SKU_OR_QUANTITY`], [`MALFORMED_JSON`] and [`INVALID_ORDER`];
/// `message` names the field at fault (or the line and column of a JSON syntax error) and never
/// holds customer data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {message}")]
pub struct WebhookRejection {
    /// The short title.
    pub error: &'static str,
    /// What is wrong, naming the field.
    pub message: String,
}

impl WebhookRejection {
    pub(crate) fn new(error: &'static str, message: String) -> Self {
        Self { error, message }
    }

    /// The JSON body `{"error": .., "message": ..}`.
    #[must_use]
    pub fn body(&self) -> Value {
        error_body(self.error, &self.message)
    }
}

/// A fixed error body of seed 001.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorText {
    /// The short title.
    pub error: &'static str,
    /// The sentence under it.
    pub message: &'static str,
}

impl ErrorText {
    /// The JSON body `{"error": .., "message": ..}`.
    #[must_use]
    pub fn body(&self) -> Value {
        error_body(self.error, self.message)
    }
}

/// The `401` body: the key is missing or wrong.
pub const UNAUTHORIZED: ErrorText = ErrorText {
    error: "Unauthorized Request",
    message: "The key provided is invalid.",
};

/// The `409` body: the order is already stored.
pub const ALREADY_CREATED: ErrorText = ErrorText {
    error: "Order Already Created",
    message: "The specified order was already created.",
};

/// The `500` body, with no internals.
pub const SERVER_ERROR: ErrorText = ErrorText {
    error: "Server Error",
    message: "An error occurred on our server. Please try again later.",
};

pub(crate) fn error_body(error: &str, message: &str) -> Value {
    serde_json::json!({ "error": error, "message": message })
}

/// Parses an `orders/create` body (raw bytes, exactly as received) into a domain
/// [`NewOrder`]; `raw_payload` is the body text.
///
/// The order's currency is `settings.currency` (ADM sends none); `placed_at` is `created_at`,
/// or `received_at` when the body has none or it cannot be read. Totals are kept as given and
/// never checked against the lines (design rule 8). Unknown fields, `fulfillments` and
/// `refunds` are ignored; a cancellation the body states is read by [`parse_webhook`].
///
/// The fields that only inform never refuse an order (design section 11): a date alone is
/// midnight UTC; an unreadable time, an email that is not an address, a country the table
/// does not know and an address or shipping service field that is not text are kept as given
/// or left out, and named in the order's flags.
///
/// # Errors
/// [`WebhookRejection`] naming the first field at fault: a body that is not a JSON object, no
/// usable id, no line, a line without SKU, a quantity that is not a whole number from 1, or
/// money that cannot be read (not a decimal, or with a fraction where `settings.currency` has
/// no minor units).
pub fn parse_order(
    body: &[u8],
    settings: &WebhookSettings,
    received_at: DateTime<Utc>,
) -> Result<NewOrder, WebhookRejection> {
    parse_webhook(body, settings, received_at).map(|(order, _)| order)
}

/// As [`parse_order`], with the cancellation the body states when its `cancelled_at` is set
/// (design section 11: ADM cancelled the order).
///
/// # Errors
/// As [`parse_order`].
pub fn parse_webhook(
    body: &[u8],
    settings: &WebhookSettings,
    received_at: DateTime<Utc>,
) -> Result<(NewOrder, Option<MarketplaceCancel>), WebhookRejection> {
    let text = dto::utf8(body)?;
    let parsed = dto::deserialize(text)?;
    let cancel = cancel::stated(&parsed, received_at);
    let order = convert::new_order(parsed, text, settings, received_at)?;
    Ok((order, cancel))
}

/// The `200` body of seed 001: `{"line_items": [{"quantity", "sku"}, ..], "order_id",
/// "status": "created"}`, one entry per order line in order, and the order id as a JSON integer
/// when it is all digits and fits `u64` (a string otherwise).
#[must_use]
pub fn created_body(order: &Order) -> Value {
    let line_items: Vec<Value> = order
        .lines()
        .iter()
        .map(|line| {
            serde_json::json!({
                "quantity": line.quantity().get(),
                "sku": line.sku().as_str(),
            })
        })
        .collect();
    serde_json::json!({
        "line_items": line_items,
        "order_id": order_id_json(order.external_id()),
        "status": "created",
    })
}
