//! The `orders` and `order_lines` rows: what an insert writes of an order's header and
//! lines, and what a save changes of them.

use chrono::{DateTime, Utc};
use orderbridge_domain::order::Order;
use orderbridge_domain::values::Currency;
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use crate::codec::{address_to_json, flags_to_text, int};

/// The `orders` row of a new order (its version is 1).
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct OrderRow<'a> {
    pub id: Uuid,
    pub channel: &'a str,
    pub external_id: &'a str,
    pub status: &'static str,
    pub currency: Currency,
    pub placed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deliver_by: Option<DateTime<Utc>>,
    pub email: Option<&'a str>,
    pub shipping_address: Option<Value>,
    pub shipping_service: Option<&'a str>,
    pub subtotal_price: Option<Decimal>,
    pub total_discounts: Option<Decimal>,
    pub total_shipping: Option<Decimal>,
    pub total_tax: Option<Decimal>,
    pub total_price: Option<Decimal>,
    pub raw_payload: Option<&'a str>,
    pub flags: String,
}

impl<'a> OrderRow<'a> {
    /// The row of `order`.
    #[must_use]
    pub fn of(order: &'a Order) -> Self {
        let totals = order.totals();
        Self {
            id: order.id().as_uuid(),
            channel: order.channel().as_str(),
            external_id: order.external_id().as_str(),
            status: order.status().as_str(),
            currency: order.currency(),
            placed_at: order.placed_at(),
            received_at: order.received_at(),
            updated_at: order.updated_at(),
            deliver_by: order.deliver_by(),
            email: order.email().map(|e| e.as_str()),
            shipping_address: order.shipping_address().map(address_to_json),
            shipping_service: order.shipping_service(),
            subtotal_price: totals.subtotal,
            total_discounts: totals.discounts,
            total_shipping: totals.shipping,
            total_tax: totals.tax,
            total_price: totals.total,
            raw_payload: order.raw_payload(),
            flags: flags_to_text(order.flags()),
        }
    }
}

/// What a save changes on the `orders` row besides its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct HeaderChange<'a> {
    pub status: &'a str,
    pub updated_at: DateTime<Utc>,
    pub on_hold: bool,
    pub marketplace_cancelled_at: Option<DateTime<Utc>>,
}

impl HeaderChange<'_> {
    /// The change of `order`.
    #[must_use]
    pub fn of(order: &Order) -> Self {
        let marketplace = order.marketplace();
        Self {
            status: order.status().as_str(),
            updated_at: order.updated_at(),
            on_hold: marketplace.on_hold,
            marketplace_cancelled_at: marketplace.cancelled_at,
        }
    }
}

/// How much of one line is shipped, cancelled and refunded: what a save updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct Tally {
    pub line_no: i32,
    pub shipped: i32,
    pub cancelled: i32,
    pub refunded: i32,
}

/// One `order_lines` row.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct LineRow<'a> {
    pub tally: Tally,
    pub sku: &'a str,
    pub quantity: i32,
    pub unit_price: Decimal,
    pub total_discount: Decimal,
    pub total_tax: Decimal,
    pub external_line_id: Option<&'a str>,
    pub title: Option<&'a str>,
}

/// The lines of `order`, with their tallies.
#[must_use]
pub fn lines(order: &Order) -> Vec<LineRow<'_>> {
    order
        .lines()
        .iter()
        .map(|l| LineRow {
            tally: Tally {
                line_no: int(l.no().get()),
                shipped: int(l.shipped()),
                cancelled: int(l.cancelled()),
                refunded: int(l.refunded()),
            },
            sku: l.sku().as_str(),
            quantity: int(l.quantity().get()),
            unit_price: l.unit_price(),
            total_discount: l.total_discount(),
            total_tax: l.total_tax(),
            external_line_id: l.external_line_id(),
            title: l.title(),
        })
        .collect()
}
