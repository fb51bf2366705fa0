//! Shipments, cancellations and refunds as the warehouse API shows them, and the answers to
//! recording one.

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{Cancellation, Fulfillment, LineAllocation, Refund};
use orderbridge_domain::outbox::{Delivery, DeliveryKind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::delivery::{DeliveryOut, delivery};
use crate::dto::enums::{CancelReason, CancelledBy, OrderStatus, RefundReason};
use crate::dto::order::UnitsOut;

/// Units of an order line taken by a fulfillment or cancellation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LineUnitsOut {
    pub line: u32,
    pub sku: String,
    pub quantity: u32,
}

/// A shipment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FulfillmentOut {
    pub id: Uuid,
    pub tracking_number: String,
    pub carrier: Option<String>,
    pub tracking_url: Option<String>,
    pub shipped_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub line_items: Vec<LineUnitsOut>,
    /// The delivery that reports this shipment to the marketplace: its own, or the whole-order
    /// one that carries it; null until one is queued.
    pub delivery: Option<DeliveryOut>,
}

/// A cancellation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CancellationOut {
    pub id: Uuid,
    /// Who cancelled: the warehouse (reported to the marketplace) or the marketplace itself.
    pub by: CancelledBy,
    pub reason: CancelReason,
    pub whole_order: bool,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub line_items: Vec<LineUnitsOut>,
}

/// One line of a refund.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefundLineOut {
    pub line: u32,
    pub sku: String,
    pub quantity: u32,
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// The stable refund number sent to marketplaces that take one line per call.
    pub refund_number: String,
}

/// A refund.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefundOut {
    pub id: Uuid,
    pub reference: Option<String>,
    pub reason: RefundReason,
    pub note: Option<String>,
    #[schema(value_type = String)]
    pub total: Decimal,
    pub created_at: DateTime<Utc>,
    pub lines: Vec<RefundLineOut>,
}

/// The answer to a recorded (or replayed) fulfillment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FulfillmentRecordedOut {
    /// True when this request replayed a fulfillment already recorded.
    pub replayed: bool,
    pub fulfillment: FulfillmentOut,
    /// The order's status now.
    pub order_status: OrderStatus,
    pub units: UnitsOut,
}

/// The answer to a recorded cancellation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CancellationRecordedOut {
    pub cancellation: CancellationOut,
    /// The order's status now.
    pub order_status: OrderStatus,
    pub units: UnitsOut,
}

/// The answer to a recorded (or replayed) refund.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefundRecordedOut {
    pub replayed: bool,
    pub refund: RefundOut,
    #[schema(value_type = String)]
    pub refunded_total: Decimal,
}

fn line_units(lines: &[LineAllocation]) -> Vec<LineUnitsOut> {
    lines
        .iter()
        .map(|l| LineUnitsOut {
            line: l.line.get(),
            sku: l.sku.to_string(),
            quantity: l.quantity.get(),
        })
        .collect()
}

/// A fulfillment with the delivery that reports it: its own on per-shipment channels, the
/// whole-order one on whole-order channels (it carries every shipment).
#[must_use]
pub fn fulfillment(f: &Fulfillment, deliveries: &[Delivery]) -> FulfillmentOut {
    FulfillmentOut {
        id: f.id().as_uuid(),
        tracking_number: f.tracking_number().to_string(),
        carrier: f.carrier().map(ToString::to_string),
        tracking_url: f.tracking_url().map(ToString::to_string),
        shipped_at: f.shipped_at(),
        created_at: f.created_at(),
        line_items: line_units(f.lines()),
        delivery: deliveries
            .iter()
            .find(|d| d.kind == DeliveryKind::Fulfillment(f.id()))
            .or_else(|| {
                deliveries
                    .iter()
                    .find(|d| d.kind == DeliveryKind::OrderFulfillment)
            })
            .map(delivery),
    }
}

/// A cancellation.
#[must_use]
pub fn cancellation(c: &Cancellation) -> CancellationOut {
    CancellationOut {
        id: c.id().as_uuid(),
        by: c.origin().into(),
        reason: c.reason().into(),
        whole_order: c.whole_order(),
        note: c.note().map(str::to_owned),
        created_at: c.created_at(),
        line_items: line_units(c.lines()),
    }
}

/// A refund.
#[must_use]
pub fn refund(r: &Refund) -> RefundOut {
    RefundOut {
        id: r.id().as_uuid(),
        reference: r.reference().map(ToString::to_string),
        reason: r.reason().into(),
        note: r.note().map(str::to_owned),
        total: r.total(),
        created_at: r.created_at(),
        lines: r
            .lines()
            .iter()
            .map(|l| RefundLineOut {
                line: l.line.get(),
                sku: l.sku.to_string(),
                quantity: l.quantity,
                amount: l.amount,
                refund_number: r.number_for_line(l.line),
            })
            .collect(),
    }
}
