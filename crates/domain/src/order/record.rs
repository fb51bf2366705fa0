//! Rebuilding a stored order, with its rules checked again so that bad rows surface as errors
//! instead of as wrong answers.

use chrono::{DateTime, Utc};

use crate::order::{
    Cancellation, Fulfillment, LineAllocation, LineItem, MarketplaceState, NewLine, Order,
    OrderEvent, OrderFlag, Refund, Saved, Totals, Version,
};
use crate::values::{Address, ChannelId, Currency, Email, ExternalOrderId, LineNo, OrderId};

/// Everything a store keeps of an order, as plain data. Line tallies are not part of it: they
/// are recomputed from the fulfillments, cancellations and refunds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// orderbridge's id.
    pub id: OrderId,
    /// The channel account.
    pub channel: ChannelId,
    /// The marketplace's id.
    pub external_id: ExternalOrderId,
    /// The stored version.
    pub version: Version,
    /// The order's currency.
    pub currency: Currency,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// When orderbridge received it.
    pub received_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Deliver-by date.
    pub deliver_by: Option<DateTime<Utc>>,
    /// Customer email.
    pub email: Option<Email>,
    /// Shipping address.
    pub shipping_address: Option<Address>,
    /// Shipping service.
    pub shipping_service: Option<String>,
    /// Totals as given.
    pub totals: Totals,
    /// Lines in order.
    pub lines: Vec<LineRecord>,
    /// Shipments, oldest first.
    pub fulfillments: Vec<Fulfillment>,
    /// Cancellations, oldest first.
    pub cancellations: Vec<Cancellation>,
    /// Refunds, oldest first.
    pub refunds: Vec<Refund>,
    /// History, oldest first.
    pub events: Vec<OrderEvent>,
    /// The payload as received.
    pub raw_payload: Option<String>,
    /// What was unreadable when it arrived.
    pub flags: Vec<OrderFlag>,
    /// The marketplace's side: on hold, cancelled by it.
    pub marketplace: MarketplaceState,
}

/// A stored line: the same fields as a new one.
pub type LineRecord = NewLine;

/// A stored order breaks a rule; the message says which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored order {order} is inconsistent: {reason}")]
pub struct CorruptOrder {
    /// The order.
    pub order: OrderId,
    /// What is wrong.
    pub reason: String,
}

impl Order {
    /// Rebuilds an order from storage, recomputing line tallies and checking design rules 1, 2
    /// and 7 on the way.
    ///
    /// # Errors
    /// [`CorruptOrder`] when the record breaks a rule.
    pub fn restore(record: OrderRecord) -> Result<Self, CorruptOrder> {
        let corrupt = |reason: String| CorruptOrder {
            order: record.id,
            reason,
        };
        if record.lines.is_empty() {
            return Err(corrupt("no lines".to_owned()));
        }
        let mut lines = restore_lines(&record.lines);
        for fulfillment in &record.fulfillments {
            tally_settled(&mut lines, &fulfillment.lines, Settled::Shipped).map_err(corrupt)?;
        }
        for cancellation in &record.cancellations {
            tally_settled(&mut lines, &cancellation.lines, Settled::Cancelled).map_err(corrupt)?;
        }
        for refund in &record.refunds {
            tally_refunded(&mut lines, refund).map_err(corrupt)?;
        }
        let saved = Saved {
            fulfillments: record.fulfillments.len(),
            cancellations: record.cancellations.len(),
            refunds: record.refunds.len(),
            events: record.events.len(),
        };
        Ok(Self {
            id: record.id,
            channel: record.channel,
            external_id: record.external_id,
            version: record.version,
            currency: record.currency,
            placed_at: record.placed_at,
            received_at: record.received_at,
            updated_at: record.updated_at,
            deliver_by: record.deliver_by,
            email: record.email,
            shipping_address: record.shipping_address,
            shipping_service: record.shipping_service,
            totals: record.totals,
            lines,
            fulfillments: record.fulfillments,
            cancellations: record.cancellations,
            refunds: record.refunds,
            events: record.events,
            raw_payload: record.raw_payload,
            flags: {
                let mut flags = record.flags;
                flags.sort_unstable();
                flags.dedup();
                flags
            },
            marketplace: record.marketplace,
            saved,
        })
    }

    /// The order as plain data, the inverse of [`Order::restore`].
    #[must_use]
    pub fn to_record(&self) -> OrderRecord {
        OrderRecord {
            id: self.id,
            channel: self.channel.clone(),
            external_id: self.external_id.clone(),
            version: self.version,
            currency: self.currency,
            placed_at: self.placed_at,
            received_at: self.received_at,
            updated_at: self.updated_at,
            deliver_by: self.deliver_by,
            email: self.email.clone(),
            shipping_address: self.shipping_address.clone(),
            shipping_service: self.shipping_service.clone(),
            totals: self.totals.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| NewLine {
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    total_discount: l.total_discount,
                    total_tax: l.total_tax,
                    external_line_id: l.external_line_id.clone(),
                    title: l.title.clone(),
                })
                .collect(),
            fulfillments: self.fulfillments.clone(),
            cancellations: self.cancellations.clone(),
            refunds: self.refunds.clone(),
            events: self.events.clone(),
            raw_payload: self.raw_payload.clone(),
            flags: self.flags.clone(),
            marketplace: self.marketplace,
        }
    }
}

/// The stored lines numbered in order, their tallies at zero.
fn restore_lines(records: &[LineRecord]) -> Vec<LineItem> {
    records
        .iter()
        .enumerate()
        .map(|(index, line)| LineItem {
            no: LineNo::from_index(index),
            sku: line.sku.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            total_discount: line.total_discount,
            total_tax: line.total_tax,
            external_line_id: line.external_line_id.clone(),
            title: line.title.clone(),
            shipped: 0,
            cancelled: 0,
            refunded: 0,
        })
        .collect()
}

/// Which tally an allocation adds to.
#[derive(Debug, Clone, Copy)]
enum Settled {
    Shipped,
    Cancelled,
}

/// Adds a shipment's or a cancellation's allocations to the line tallies, checking that each
/// names a line with its SKU and that no line settles more units than were ordered (rule 2).
fn tally_settled(
    lines: &mut [LineItem],
    allocations: &[LineAllocation],
    settled: Settled,
) -> Result<(), String> {
    for allocation in allocations {
        let line = lines
            .get_mut(allocation.line.index())
            .filter(|l| l.sku == allocation.sku)
            .ok_or_else(|| format!("no line {} with SKU {}", allocation.line, allocation.sku))?;
        let count = match settled {
            Settled::Shipped => &mut line.shipped,
            Settled::Cancelled => &mut line.cancelled,
        };
        *count = count.saturating_add(allocation.quantity.get());
        if u64::from(line.shipped) + u64::from(line.cancelled) > u64::from(line.quantity.get()) {
            return Err(format!(
                "line {} has more units settled than ordered",
                line.no
            ));
        }
    }
    Ok(())
}

/// Adds a refund's units to the line tallies, checking that each names a known line and that
/// no line refunds more units than were ordered (rule 7).
fn tally_refunded(lines: &mut [LineItem], refund: &Refund) -> Result<(), String> {
    for refunded in &refund.lines {
        let line = lines
            .get_mut(refunded.line.index())
            .ok_or_else(|| format!("refund of unknown line {}", refunded.line))?;
        line.refunded = line.refunded.saturating_add(refunded.quantity);
        if line.refunded > line.quantity.get() {
            return Err(format!("line {} refunds more than ordered", line.no));
        }
    }
    Ok(())
}
