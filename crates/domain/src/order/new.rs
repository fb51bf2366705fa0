//! What a marketplace adapter parsed, before orderbridge stored it: a new order with its
//! lines and totals as given, and why [`Order::create`](crate::order::Order::create) may refuse
//! it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::order::OrderFlag;
use crate::values::{
    Address, ChannelId, CleanText, Currency, Email, ExternalOrderId, LineNo, Quantity, Sku,
};

/// Order-level totals exactly as the marketplace gave them. They are stored, shown and never
/// checked against the lines (design rule 8: the source documents' own totals disagree).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Price after discounts, before shipping, duties, taxes and tips.
    pub subtotal: Option<Decimal>,
    /// Total discounts.
    pub discounts: Option<Decimal>,
    /// Total shipping price.
    pub shipping: Option<Decimal>,
    /// Total tax.
    pub tax: Option<Decimal>,
    /// What the customer paid in all.
    pub total: Option<Decimal>,
}

/// A line of a new order, parsed by the marketplace adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    /// The SKU.
    pub sku: Sku,
    /// Units ordered.
    pub quantity: Quantity,
    /// Price of one unit before discounts; not negative.
    pub unit_price: Decimal,
    /// Discount allocated to the line.
    pub total_discount: Decimal,
    /// Tax allocated to the line.
    pub total_tax: Decimal,
    /// The marketplace's own line id, if any.
    pub external_line_id: Option<String>,
    /// Product name, if any.
    pub title: Option<String>,
}

impl NewLine {
    /// How a product name is cleaned: one line of at most 500 characters.
    pub const TITLE: CleanText = CleanText::line(500);
    /// How a marketplace's line id is cleaned: one line of at most 255 characters.
    pub const EXTERNAL_ID: CleanText = CleanText::line(255);
}

/// A new order as a marketplace adapter parsed it, before orderbridge has stored it. `Debug`
/// shows no personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// The channel account it came from.
    pub channel: ChannelId,
    /// The marketplace's order id.
    pub external_id: ExternalOrderId,
    /// The currency of every amount in the order.
    pub currency: Currency,
    /// When the customer placed it (UTC).
    pub placed_at: DateTime<Utc>,
    /// The marketplace's deadline for the order, if it gives one: the time it must be delivered
    /// by (ADM `deliver_by`) or shipped by (FeedAMP `latest_ship_date`), whichever the
    /// marketplace holds the seller to. Past it with units still open, the order is overdue
    /// ([`Order::is_overdue`]).
    pub deliver_by: Option<DateTime<Utc>>,
    /// The customer's email.
    pub email: Option<Email>,
    /// Where to ship.
    pub shipping_address: Option<Address>,
    /// Requested shipping service ("Standard Ground").
    pub shipping_service: Option<String>,
    /// Totals as given.
    pub totals: Totals,
    /// The lines, in the marketplace's order.
    pub lines: Vec<NewLine>,
    /// The payload exactly as received, kept for audit and reprocessing.
    pub raw_payload: Option<String>,
    /// What the adapter could not read and replaced or left out (a date, a field of the
    /// wrong type); [`Order::create`] adds what it sees itself (see [`OrderFlag`]).
    pub flags: Vec<OrderFlag>,
}

impl NewOrder {
    /// How the requested shipping service is cleaned: one line of at most 255 characters.
    pub const SHIPPING_SERVICE: CleanText = CleanText::line(255);
}

/// Why a new order was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewOrderError {
    /// The order has no lines (design rule 1).
    #[error("an order needs at least one line item")]
    NoLines,
    /// The order has more lines than orderbridge accepts.
    #[error("an order may have at most {max} line items")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// A line has a negative unit price.
    #[error("line {line}: price must be zero or more")]
    NegativePrice {
        /// The offending line.
        line: LineNo,
    },
}
