//! One line of an order and its running tallies.

use rust_decimal::Decimal;

use crate::values::{LineNo, Quantity, Sku};

/// A line of an order as the marketplace sent it, plus what has happened to its units since.
///
/// The tallies are derived from the order's fulfillments, cancellations and refunds; the order
/// keeps them in step and checks on restore that they agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    pub(crate) no: LineNo,
    pub(crate) sku: Sku,
    pub(crate) quantity: Quantity,
    pub(crate) unit_price: Decimal,
    pub(crate) total_discount: Decimal,
    pub(crate) total_tax: Decimal,
    pub(crate) external_line_id: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) shipped: u32,
    pub(crate) cancelled: u32,
    pub(crate) refunded: u32,
}

impl LineItem {
    /// The line's position in the order, from 1.
    #[must_use]
    pub fn no(&self) -> LineNo {
        self.no
    }
    /// The SKU.
    #[must_use]
    pub fn sku(&self) -> &Sku {
        &self.sku
    }
    /// Units ordered.
    #[must_use]
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }
    /// Price of one unit before discounts, in the order's currency.
    #[must_use]
    pub fn unit_price(&self) -> Decimal {
        self.unit_price
    }
    /// Discount allocated to the whole line.
    #[must_use]
    pub fn total_discount(&self) -> Decimal {
        self.total_discount
    }
    /// Tax allocated to the whole line.
    #[must_use]
    pub fn total_tax(&self) -> Decimal {
        self.total_tax
    }
    /// The marketplace's own line id, where it has one (FeedAMP's `mp_line_number`).
    #[must_use]
    pub fn external_line_id(&self) -> Option<&str> {
        self.external_line_id.as_deref()
    }
    /// Product name, where the marketplace sends one.
    #[must_use]
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }
    /// Units shipped so far.
    #[must_use]
    pub fn shipped(&self) -> u32 {
        self.shipped
    }
    /// Units cancelled so far.
    #[must_use]
    pub fn cancelled(&self) -> u32 {
        self.cancelled
    }
    /// Units refunded so far.
    #[must_use]
    pub fn refunded(&self) -> u32 {
        self.refunded
    }
    /// Units neither shipped nor cancelled.
    #[must_use]
    pub fn open(&self) -> u32 {
        self.quantity
            .get()
            .saturating_sub(self.shipped.saturating_add(self.cancelled))
    }
    /// What the customer paid for the line: unit price times quantity, less discount, plus tax.
    /// `None` only on decimal overflow.
    #[must_use]
    pub fn amount_paid(&self) -> Option<Decimal> {
        self.unit_price
            .checked_mul(Decimal::from(self.quantity.get()))?
            .checked_sub(self.total_discount)?
            .checked_add(self.total_tax)
    }
}
