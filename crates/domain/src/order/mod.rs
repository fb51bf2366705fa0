//! The order aggregate: lines, shipments, cancellations, refunds and history, with the rules of
//! design section 3 as its operations.

mod allocate;
mod cancellation;
mod debug;
mod erasure;
mod event;
mod flags;
mod fulfillment;
mod line;
mod marketplace;
mod new;
mod record;
mod refund;
mod status;
mod version;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

pub use allocate::{AllocationError, LineAllocation};
pub use cancellation::{CancelError, CancelReason, CancelScope, Cancellation, CancellationRequest};
pub use event::{EventType, OrderEvent};
pub use flags::OrderFlag;
pub use fulfillment::{FulfilError, Fulfilled, Fulfillment, FulfillmentRequest};
pub use line::LineItem;
pub use marketplace::{CancelOrigin, MarketplaceCancel, MarketplaceCancelled, MarketplaceState};
pub use new::{NewLine, NewOrder, NewOrderError, Totals};
pub use record::{CorruptOrder, LineRecord, OrderRecord};
pub use refund::{
    Refund, RefundError, RefundLine, RefundLineRequest, RefundReason, RefundReference,
    RefundRequest, Refunded,
};
pub use status::OrderStatus;
pub use version::Version;

use crate::values::{
    Address, ChannelId, CleanText, Currency, Email, EventId, ExternalOrderId, LineNo, OrderId,
};

/// Counts of children already in storage; what lies beyond them is new since the order was
/// loaded and is what the store writes on save.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Saved {
    fulfillments: usize,
    cancellations: usize,
    refunds: usize,
    events: usize,
}

/// An order and everything that happened to it.
///
/// Operations that change it (`fulfil`, `cancel`, `refund`) check every rule first and change
/// nothing when one fails. `Debug` shows ids, times and counts, never personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Order {
    id: OrderId,
    channel: ChannelId,
    external_id: ExternalOrderId,
    version: Version,
    currency: Currency,
    placed_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deliver_by: Option<DateTime<Utc>>,
    email: Option<Email>,
    shipping_address: Option<Address>,
    shipping_service: Option<String>,
    totals: Totals,
    lines: Vec<LineItem>,
    fulfillments: Vec<Fulfillment>,
    cancellations: Vec<Cancellation>,
    refunds: Vec<Refund>,
    events: Vec<OrderEvent>,
    raw_payload: Option<String>,
    flags: Vec<OrderFlag>,
    marketplace: MarketplaceState,
    erased_at: Option<DateTime<Utc>>,
    saved: Saved,
}

impl Order {
    /// The most lines one order may have.
    pub const MAX_LINES: usize = 1_000;
    /// The most fulfillments, the most cancellations and the most refunds one order may have
    /// (each): a bound on what loading and saving an order costs.
    pub const MAX_CHILDREN: usize = 500;
    /// How a note of a cancellation or a refund is kept: at most 2000 characters, tab and
    /// newline allowed.
    pub const NOTE: CleanText = CleanText::lines(2_000);

    /// Builds a new, not yet stored order from an adapter's parsed input, with its `received`
    /// history entry. Its free text is cleaned as the adapters clean it (design section 12):
    /// the address by [`Address::FIELD`], the shipping service, titles and line ids by the
    /// constants of [`NewOrder`] and [`NewLine`].
    ///
    /// # Errors
    /// [`NewOrderError`] when the order has no lines, too many, or a negative price.
    pub fn create(
        new: NewOrder,
        id: OrderId,
        event_id: EventId,
        now: DateTime<Utc>,
    ) -> Result<Self, NewOrderError> {
        if new.lines.is_empty() {
            return Err(NewOrderError::NoLines);
        }
        if new.lines.len() > Self::MAX_LINES {
            return Err(NewOrderError::TooManyLines {
                max: Self::MAX_LINES,
            });
        }
        let mut lines = Vec::with_capacity(new.lines.len());
        for (index, line) in new.lines.into_iter().enumerate() {
            let no = LineNo::from_index(index);
            if line.unit_price.is_sign_negative() && !line.unit_price.is_zero() {
                return Err(NewOrderError::NegativePrice { line: no });
            }
            lines.push(LineItem {
                no,
                sku: line.sku,
                quantity: line.quantity,
                unit_price: line.unit_price,
                total_discount: line.total_discount,
                total_tax: line.total_tax,
                external_line_id: NewLine::EXTERNAL_ID.clean_opt(line.external_line_id.as_deref()),
                title: NewLine::TITLE.clean_opt(line.title.as_deref()),
                shipped: 0,
                cancelled: 0,
                refunded: 0,
            });
        }
        let units: u64 = lines.iter().map(|l| u64::from(l.quantity.get())).sum();
        let shipping_address = new
            .shipping_address
            .map(Address::cleaned)
            .filter(|a| *a != Address::default());
        let flags = flags::of_new(new.flags, new.email.as_ref(), shipping_address.as_ref());
        let mut order = Self {
            id,
            channel: new.channel,
            external_id: new.external_id,
            version: Version::NEW,
            currency: new.currency,
            placed_at: new.placed_at,
            received_at: now,
            updated_at: now,
            deliver_by: new.deliver_by,
            email: new.email,
            shipping_address,
            shipping_service: NewOrder::SHIPPING_SERVICE.clean_opt(new.shipping_service.as_deref()),
            totals: new.totals,
            lines,
            fulfillments: Vec::new(),
            cancellations: Vec::new(),
            refunds: Vec::new(),
            events: Vec::new(),
            raw_payload: new.raw_payload,
            flags,
            marketplace: MarketplaceState::default(),
            erased_at: None,
            saved: Saved::default(),
        };
        let detail = flags::received_detail(&order.channel, units, &order.flags);
        order.push_event(event_id, now, EventType::Received, None, detail);
        Ok(order)
    }

    /// Appends a history entry.
    pub(crate) fn push_event(
        &mut self,
        id: EventId,
        at: DateTime<Utc>,
        kind: EventType,
        subject: Option<Uuid>,
        detail: String,
    ) {
        self.events.push(OrderEvent {
            id,
            at,
            kind,
            subject,
            detail,
        });
    }

    /// Appends a history entry that changes nothing else, such as "the marketplace has no
    /// endpoint for cancellations"; it is saved with the order's next save.
    pub fn note(&mut self, event: OrderEvent) {
        self.events.push(event);
    }

    /// Records that the store now holds this order at `version`: everything so far counts as
    /// saved.
    pub fn mark_saved(&mut self, version: Version) {
        self.version = version;
        self.saved = Saved {
            fulfillments: self.fulfillments.len(),
            cancellations: self.cancellations.len(),
            refunds: self.refunds.len(),
            events: self.events.len(),
        };
    }

    /// orderbridge's id.
    #[must_use]
    pub fn id(&self) -> OrderId {
        self.id
    }
    /// The channel account it came from.
    #[must_use]
    pub fn channel(&self) -> &ChannelId {
        &self.channel
    }
    /// The marketplace's id.
    #[must_use]
    pub fn external_id(&self) -> &ExternalOrderId {
        &self.external_id
    }
    /// The version it was loaded at ([`Version::NEW`] before its first save).
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }
    /// The currency of every amount.
    #[must_use]
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// When the customer placed it.
    #[must_use]
    pub fn placed_at(&self) -> DateTime<Utc> {
        self.placed_at
    }
    /// When orderbridge received it.
    #[must_use]
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }
    /// When it last changed.
    #[must_use]
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    /// The marketplace's ship or delivery deadline, if it gave one (see
    /// [`NewOrder::deliver_by`]).
    #[must_use]
    pub fn deliver_by(&self) -> Option<DateTime<Utc>> {
        self.deliver_by
    }
    /// Customer email (personal data: never log it).
    #[must_use]
    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }
    /// Shipping address (personal data: never log it).
    #[must_use]
    pub fn shipping_address(&self) -> Option<&Address> {
        self.shipping_address.as_ref()
    }
    /// Requested shipping service.
    #[must_use]
    pub fn shipping_service(&self) -> Option<&str> {
        self.shipping_service.as_deref()
    }
    /// Totals as given.
    #[must_use]
    pub fn totals(&self) -> &Totals {
        &self.totals
    }
    /// The lines, in order.
    #[must_use]
    pub fn lines(&self) -> &[LineItem] {
        &self.lines
    }
    /// One line by number.
    #[must_use]
    pub fn line(&self, no: LineNo) -> Option<&LineItem> {
        self.lines.get(no.index())
    }
    /// Shipments, oldest first.
    #[must_use]
    pub fn fulfillments(&self) -> &[Fulfillment] {
        &self.fulfillments
    }
    /// Cancellations, oldest first.
    #[must_use]
    pub fn cancellations(&self) -> &[Cancellation] {
        &self.cancellations
    }
    /// Refunds, oldest first.
    #[must_use]
    pub fn refunds(&self) -> &[Refund] {
        &self.refunds
    }
    /// History, oldest first.
    #[must_use]
    pub fn events(&self) -> &[OrderEvent] {
        &self.events
    }
    /// The payload as received.
    #[must_use]
    pub fn raw_payload(&self) -> Option<&str> {
        self.raw_payload.as_deref()
    }
    /// What was unreadable when the order arrived, in [`OrderFlag::ALL`] order.
    #[must_use]
    pub fn flags(&self) -> &[OrderFlag] {
        &self.flags
    }
    /// When its personal data was erased under `retention.days`, if it was.
    #[must_use]
    pub fn erased_at(&self) -> Option<DateTime<Utc>> {
        self.erased_at
    }

    /// Fulfillments added since the order was loaded or created.
    #[must_use]
    pub fn new_fulfillments(&self) -> &[Fulfillment] {
        self.fulfillments
            .get(self.saved.fulfillments..)
            .unwrap_or_default()
    }
    /// Cancellations added since the order was loaded or created.
    #[must_use]
    pub fn new_cancellations(&self) -> &[Cancellation] {
        self.cancellations
            .get(self.saved.cancellations..)
            .unwrap_or_default()
    }
    /// Refunds added since the order was loaded or created.
    #[must_use]
    pub fn new_refunds(&self) -> &[Refund] {
        self.refunds.get(self.saved.refunds..).unwrap_or_default()
    }
    /// History entries added since the order was loaded or created.
    #[must_use]
    pub fn new_events(&self) -> &[OrderEvent] {
        self.events.get(self.saved.events..).unwrap_or_default()
    }

    /// Units ordered over all lines.
    #[must_use]
    pub fn units_ordered(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity.get())).sum()
    }
    /// Units shipped over all lines.
    #[must_use]
    pub fn units_shipped(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.shipped)).sum()
    }
    /// Units cancelled over all lines.
    #[must_use]
    pub fn units_cancelled(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.cancelled)).sum()
    }
    /// Units neither shipped nor cancelled.
    #[must_use]
    pub fn units_open(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.open())).sum()
    }
    /// True once every unit is shipped or cancelled.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.units_open() == 0
    }

    /// True when the marketplace's deadline is strictly before `now` and units are still open
    /// (the order is open or partially fulfilled): the seller is late with it.
    #[must_use]
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.deliver_by.is_some_and(|deadline| deadline < now) && !self.is_complete()
    }

    /// The status, derived from the line tallies (design rule 6).
    #[must_use]
    pub fn status(&self) -> OrderStatus {
        OrderStatus::derive(
            self.units_ordered(),
            self.units_shipped(),
            self.units_cancelled(),
        )
    }

    /// The most that may be refunded in all: the total price as given, or, where the
    /// marketplace gave none, what the lines add up to.
    #[must_use]
    pub fn refundable_total(&self) -> Decimal {
        self.totals.total.unwrap_or_else(|| {
            self.lines
                .iter()
                .filter_map(LineItem::amount_paid)
                .fold(Decimal::ZERO, |sum, paid| sum.saturating_add(paid))
        })
    }

    /// Money refunded so far.
    #[must_use]
    pub fn refunded_total(&self) -> Decimal {
        self.refunds
            .iter()
            .fold(Decimal::ZERO, |sum, r| sum.saturating_add(r.total()))
    }
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
