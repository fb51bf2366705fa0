//! An example, not a product: the fictional marketplace Bazaar, as the smallest complete
//! marketplace crate that `docs/adding-a-marketplace.md` walks through. It depends on
//! `orderbridge-domain` only, implements the domain's ports, and hands the app one
//! [`MarketplaceKind`] ([`Bazaar`]); nothing else in the workspace knows it.
//!
//! What Bazaar's (imaginary) API offers and how this crate reads it:
//! - Bazaar pushes each new order once, as `POST /webhooks/bazaar/orders` (event `orders`),
//!   with `Authorization: Bearer <key>` and a body `{"id", "currency", "lines": [{"sku",
//!   "quantity", "price"}]}`. Prices are decimal strings, read exactly. It expects `201
//!   {"received": "<id>"}`, `400 {"error", "field"}` naming the field at fault, `401` for a
//!   wrong key and `409` for an order already received.
//! - Bazaar takes shipments one package at a time: `POST {base_url}/shipments` with the order
//!   id, the tracking number and the lines (SKU and quantity), authenticated with
//!   `Authorization: Bearer <api key>`. `shipment_id` is orderbridge's fulfillment id, so that
//!   a retried call names the same shipment.
//! - Bazaar has no endpoint to confirm, cancel or refund an order: those are recorded in
//!   orderbridge and not sent.
//! - Answers: 2xx delivered; 400, 404, 422 rejected; 401, 403 refused credentials; 408, 429,
//!   5xx and timeouts retried, honouring `Retry-After`.
//!
//! Its orders carry no customer data; logs name order ids and tracking numbers only.

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

mod client;
mod config;
mod webhook;

use std::sync::Arc;

use orderbridge_domain::ports::channel::{ChannelAccount, MarketplaceKind};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::settings::{Section, Setting, SettingError};

pub use client::BazaarClient;
pub use config::{BazaarConfig, BazaarSettings};
pub use webhook::{BazaarWebhook, ORDERS, Rejection, parse_order};

/// The marketplace's name: its settings' prefix (`bazaar.base_url`) and its webhooks' path
/// segment (`/webhooks/bazaar/...`).
pub const NAME: &str = BazaarSettings::NAME;

/// Bazaar, as the app lists it: `&orderbridge_example_marketplace::Bazaar`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bazaar;

impl MarketplaceKind for Bazaar {
    fn name(&self) -> &'static str {
        NAME
    }

    fn settings(&self) -> &'static [Setting] {
        BazaarSettings::SETTINGS
    }

    fn account(
        &self,
        settings: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<ChannelAccount, SettingError> {
        let config = BazaarConfig::from_settings(&BazaarSettings::from_json(settings)?)?;
        account(config, clock)
    }
}

/// One Bazaar account: its shipment client and its order webhook.
///
/// # Errors
/// [`SettingError`] naming the setting at fault (never showing a key).
pub fn account(
    config: BazaarConfig,
    clock: Arc<dyn Clock>,
) -> Result<ChannelAccount, SettingError> {
    let webhook = BazaarWebhook::new(
        config.channel.clone(),
        config.webhook_keys.clone(),
        clock.clone(),
    );
    let client = BazaarClient::new(&config, clock)?;
    Ok(ChannelAccount::push(Arc::new(client), Arc::new(webhook)))
}
