//! Cancellations (design rules 2 and 5): of some units by SKU, or of everything not yet shipped.

use chrono::{DateTime, Utc};

use crate::order::allocate::{all_open, allocate};
use crate::order::{AllocationError, CancelOrigin, EventType, LineAllocation, Order, OrderStatus};
use crate::values::{CancellationId, EventId, InvalidValue, Quantity, Sku};

/// Why units were cancelled: one list for every channel, mapped to each marketplace's own
/// values by its adapter (ADM: customer, fraud, inventory, declined, other; FeedAMP:
/// customer_cancelled, unable_to_ship, out_of_stock, price_error, tax_error,
/// shipping_price_error, other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// The customer asked.
    Customer,
    /// The order was fraudulent.
    Fraud,
    /// The items are out of stock.
    OutOfStock,
    /// The payment was declined.
    PaymentDeclined,
    /// The seller cannot ship for another reason.
    UnableToShip,
    /// The item was mispriced.
    PriceError,
    /// The tax was wrong.
    TaxError,
    /// The shipping price was wrong.
    ShippingPriceError,
    /// Anything else.
    Other,
}

impl CancelReason {
    /// Every reason.
    pub const ALL: [Self; 9] = [
        Self::Customer,
        Self::Fraud,
        Self::OutOfStock,
        Self::PaymentDeclined,
        Self::UnableToShip,
        Self::PriceError,
        Self::TaxError,
        Self::ShippingPriceError,
        Self::Other,
    ];

    /// The snake-case name used in the API and in storage.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Fraud => "fraud",
            Self::OutOfStock => "out_of_stock",
            Self::PaymentDeclined => "payment_declined",
            Self::UnableToShip => "unable_to_ship",
            Self::PriceError => "price_error",
            Self::TaxError => "tax_error",
            Self::ShippingPriceError => "shipping_price_error",
            Self::Other => "other",
        }
    }

    /// Parses a name written by [`CancelReason::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] naming `reason` otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "reason",
                expected: "one of customer, fraud, out_of_stock, payment_declined, \
                           unable_to_ship, price_error, tax_error, shipping_price_error, other",
            })
    }
}

/// What a cancellation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelScope {
    /// Every unit not yet shipped.
    WholeOrder,
    /// These units, by SKU (entries for the same SKU are summed).
    Lines(Vec<(Sku, Quantity)>),
}

/// What the warehouse or seller asks to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationRequest {
    /// Why.
    pub reason: CancelReason,
    /// What.
    pub scope: CancelScope,
    /// A free-text note for the history.
    pub note: Option<String>,
}

/// One recorded cancellation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    pub(crate) id: CancellationId,
    pub(crate) reason: CancelReason,
    pub(crate) whole_order: bool,
    pub(crate) note: Option<String>,
    pub(crate) lines: Vec<LineAllocation>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) origin: CancelOrigin,
}

impl Cancellation {
    /// Rebuilds a stored cancellation (for stores).
    #[must_use]
    pub fn from_parts(
        id: CancellationId,
        reason: CancelReason,
        whole_order: bool,
        note: Option<String>,
        lines: Vec<LineAllocation>,
        created_at: DateTime<Utc>,
        origin: CancelOrigin,
    ) -> Self {
        Self {
            id,
            reason,
            whole_order,
            note,
            lines,
            created_at,
            origin,
        }
    }
    /// Who cancelled: the warehouse (reported to the marketplace) or the marketplace.
    #[must_use]
    pub fn origin(&self) -> CancelOrigin {
        self.origin
    }
    /// orderbridge's id.
    #[must_use]
    pub fn id(&self) -> CancellationId {
        self.id
    }
    /// Why.
    #[must_use]
    pub fn reason(&self) -> CancelReason {
        self.reason
    }
    /// True when it was a whole-order cancellation.
    #[must_use]
    pub fn whole_order(&self) -> bool {
        self.whole_order
    }
    /// The note.
    #[must_use]
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
    /// Units cancelled per order line.
    #[must_use]
    pub fn lines(&self) -> &[LineAllocation] {
        &self.lines
    }
    /// When it was recorded.
    #[must_use]
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// Units cancelled.
    #[must_use]
    pub fn units(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity.get())).sum()
    }
}

/// Why a cancellation was refused. The order is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    /// Every unit is already cancelled.
    #[error("the order is already cancelled")]
    AlreadyCancelled,
    /// Every unit is shipped or cancelled, so nothing is left to cancel (design rule 5).
    #[error("the order is already fulfilled; shipped units cannot be cancelled")]
    AlreadyFulfilled,
    /// The request lists no units.
    #[error("a cancellation of line items needs at least one line item")]
    NoLines,
    /// A SKU is unknown or more units were listed than are open.
    #[error(transparent)]
    Allocation(#[from] AllocationError),
    /// The order already has [`Order::MAX_CHILDREN`] cancellations.
    #[error("the order already has {max} cancellations, the most one order may have")]
    TooMany {
        /// The limit.
        max: usize,
    },
}

impl Order {
    /// Cancels units that are not shipped.
    ///
    /// # Errors
    /// [`CancelError`]; the order is left exactly as it was.
    pub fn cancel(
        &mut self,
        request: &CancellationRequest,
        id: CancellationId,
        event_id: EventId,
        now: DateTime<Utc>,
    ) -> Result<CancellationId, CancelError> {
        match self.status() {
            OrderStatus::Cancelled => return Err(CancelError::AlreadyCancelled),
            OrderStatus::Fulfilled => return Err(CancelError::AlreadyFulfilled),
            OrderStatus::Open | OrderStatus::PartiallyFulfilled => {}
        }
        if self.cancellations.len() >= Self::MAX_CHILDREN {
            return Err(CancelError::TooMany {
                max: Self::MAX_CHILDREN,
            });
        }
        let (allocations, whole_order) = match &request.scope {
            CancelScope::WholeOrder => (all_open(&self.lines), true),
            CancelScope::Lines(lines) if lines.is_empty() => return Err(CancelError::NoLines),
            CancelScope::Lines(lines) => (allocate(&self.lines, lines)?, false),
        };
        for allocation in &allocations {
            if let Some(line) = self.lines.get_mut(allocation.line.index()) {
                line.cancelled += allocation.quantity.get();
            }
        }
        let cancellation = Cancellation {
            id,
            reason: request.reason,
            whole_order,
            note: Self::NOTE.clean_opt(request.note.as_deref()),
            lines: allocations,
            created_at: now,
            origin: CancelOrigin::Warehouse,
        };
        let scope = if whole_order {
            "whole order"
        } else {
            "line items"
        };
        let detail = format!(
            "{scope}: {} units cancelled ({})",
            cancellation.units(),
            request.reason.as_str()
        );
        self.cancellations.push(cancellation);
        self.updated_at = now;
        self.push_event(
            event_id,
            now,
            EventType::Cancelled,
            Some(id.as_uuid()),
            detail,
        );
        Ok(id)
    }

    /// One cancellation by id.
    #[must_use]
    pub fn cancellation(&self, id: CancellationId) -> Option<&Cancellation> {
        self.cancellations.iter().find(|c| c.id == id)
    }
}
