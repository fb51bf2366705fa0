//! The ADM marketplace adapter: ADM's wire formats both ways. [`webhook`] reads the inbound
//! `orders/create` webhook and writes its responses; [`AdmClient`] implements the domain's
//! `Marketplace` port with ADM's Create Fulfillment endpoint.
//!
//! What ADM's API offers (seed documents 000 to 002) and how this crate reads it (design
//! section 4):
//! - ADM pushes each new order to orderbridge once, as an `orders/create` webhook, and expects
//!   `200 {"line_items", "order_id", "status": "created"}`, `400` for an invalid body
//!   (`"Invalid SKU or Quantity"` for line problems), `401` for a bad key, `409` for an order
//!   already created and `500` for a server fault, each with `{"error", "message"}`.
//! - Orders carry no currency: the channel's configured currency applies. Prices are decimal
//!   strings, read exactly. An amount with a fraction cannot be an amount of a currency
//!   without minor units (a `currency` of JPY for an account whose prices are in cents): such
//!   an order is refused and kept in quarantine, to be replayed once the setting is fixed. The order id is typed as a string in orders and as an integer in
//!   fulfillments and responses: ids are kept as text and sent as a JSON integer when they are
//!   all digits and fit `u64`. Addresses come with `country_code`/`province_code` in the
//!   examples and `country`/`province` in the property list: both are read.
//! - ADM takes shipments one package at a time: one Create Fulfillment call per package, with
//!   exactly one tracking number and at most one tracking URL, lines named by SKU and quantity.
//!   The parameter list nests a `line_items_by_fulfillment_order` array, the example is flat;
//!   the flat example shape is sent. It answers `200` (with `created_at`), `400` for invalid
//!   lines, `404` for an unknown order and `500` for a server fault.
//! - ADM has no endpoint to confirm an order, cancel one or refund one, and no field for the
//!   carrier. Those are recorded in orderbridge and not sent.
//! - ADM documents no rate limit, no idempotency key and no `Retry-After`; a repeated call may
//!   create a second fulfillment record at ADM. `Retry-After` is honoured if ADM sends one.
//!   Every attempt still carries the delivery's id as `Idempotency-Key`, the same on each
//!   re-send, so that an ADM honouring it can drop the repeat.
//! - The documents name no authentication scheme beyond "API credentials": the key travels as
//!   `Authorization: Bearer <key>` or in a configured header.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![deny(clippy::float_arithmetic)]

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod config;
#[cfg(feature = "client")]
mod error;
// The outbound half of the wire format is unused without the client.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
mod model;
#[cfg(feature = "client")]
mod settings;
pub mod webhook;

#[cfg(feature = "client")]
pub use client::AdmClient;
#[cfg(feature = "client")]
pub use config::{AdmConfig, AdmConfigError};
pub use orderbridge_domain::values::Secret;
#[cfg(feature = "client")]
pub use settings::{Adm, AdmAccount};
pub use webhook::{
    ALREADY_CREATED, AdmWebhook, ErrorText, SERVER_ERROR, UNAUTHORIZED, WebhookAuth,
    WebhookRejection, WebhookSettings, created_body, parse_order,
};
