//! Orders as the warehouse API shows them: listed, and one with its deliveries and history.

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{LineItem, Order, OrderEvent};
use orderbridge_domain::outbox::Delivery;
use orderbridge_domain::values::Address;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::change::{
    CancellationOut, FulfillmentOut, RefundOut, cancellation, fulfillment, refund,
};
use crate::dto::delivery::{DeliveryOut, delivery};
use crate::dto::enums::{EventType, OrderFlag, OrderStatus};

/// Unit counts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitsOut {
    /// Ordered.
    pub ordered: u64,
    /// Shipped.
    pub shipped: u64,
    /// Cancelled.
    pub cancelled: u64,
    /// Neither shipped nor cancelled.
    pub open: u64,
}

/// Order totals as the marketplace gave them (they need not add up).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TotalsOut {
    /// Subtotal.
    #[schema(value_type = Option<String>)]
    pub subtotal: Option<Decimal>,
    /// Discounts.
    #[schema(value_type = Option<String>)]
    pub discounts: Option<Decimal>,
    /// Shipping.
    #[schema(value_type = Option<String>)]
    pub shipping: Option<Decimal>,
    /// Tax.
    #[schema(value_type = Option<String>)]
    pub tax: Option<Decimal>,
    /// Total paid.
    #[schema(value_type = Option<String>)]
    pub total: Option<Decimal>,
}

/// A shipping address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddressOut {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub address3: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub zip: Option<String>,
    /// ISO 3166-1 alpha-2, when the country was given in a form orderbridge knows (a code of
    /// two or three letters, or an English name).
    pub country_code: Option<String>,
    /// The country as given, when it was not a code of two or three letters.
    pub country_name: Option<String>,
    /// ISO 3166-1 alpha-3, where the marketplace sent one.
    pub country_code_alpha3: Option<String>,
    pub phone: Option<String>,
}

/// One order line and what happened to its units.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LineOut {
    /// The line's number, from 1.
    pub line: u32,
    pub sku: String,
    pub title: Option<String>,
    /// The marketplace's own line id.
    pub external_line_id: Option<String>,
    pub quantity: u32,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    #[schema(value_type = String)]
    pub total_discount: Decimal,
    #[schema(value_type = String)]
    pub total_tax: Decimal,
    pub shipped: u32,
    pub cancelled: u32,
    pub refunded: u32,
    pub open: u32,
}

/// An entry of the order's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    pub at: DateTime<Utc>,
    /// What kind of change it records.
    pub kind: EventType,
    /// The fulfillment, cancellation, refund or delivery it is about.
    pub subject: Option<Uuid>,
    pub detail: String,
}

/// An order as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderOut {
    pub id: Uuid,
    pub channel: String,
    /// The marketplace's order id.
    pub external_id: String,
    /// Where the order stands.
    pub status: OrderStatus,
    pub version: u64,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The marketplace's deadline for the order, if it gives one: the time it must be
    /// delivered by (ADM `deliver_by`) or shipped by (FeedAMP `latest_ship_date`).
    pub deliver_by: Option<DateTime<Utc>>,
    /// True when `deliver_by` is past (at the time of the answer) and units are still open.
    pub overdue: bool,
    /// The customer's email as given: an address, or (flagged `email_unreadable`) text that
    /// is not one. Null once erased (`personal_data_erased_at`).
    pub email: Option<String>,
    /// Null once erased (`personal_data_erased_at`).
    pub shipping_address: Option<AddressOut>,
    pub shipping_service: Option<String>,
    /// What the order arrived with that could not be read (usually none). The order was
    /// stored all the same; each flag names the field, which was kept as given, replaced or
    /// left out.
    pub flags: Vec<OrderFlag>,
    /// The marketplace holds the order (FeedAMP's `paused`): shipments get 409 until it is
    /// released.
    pub on_hold: bool,
    /// When the marketplace cancelled the order, if it did: every unit not shipped then is
    /// cancelled (`by: marketplace`), and shipments get 409.
    pub cancelled_by_marketplace_at: Option<DateTime<Utc>>,
    /// When the customer's email, shipping address, raw payload and notes were erased under
    /// `retention.days` (its history says so too); null while they are kept.
    pub personal_data_erased_at: Option<DateTime<Utc>>,
    pub totals: TotalsOut,
    #[schema(value_type = String)]
    pub refunded_total: Decimal,
    pub units: UnitsOut,
    pub lines: Vec<LineOut>,
    pub fulfillments: Vec<FulfillmentOut>,
    pub cancellations: Vec<CancellationOut>,
    pub refunds: Vec<RefundOut>,
}

/// One order with its deliveries and history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderDetailOut {
    #[serde(flatten)]
    pub order: OrderOut,
    /// Every report queued to the marketplace, oldest first.
    pub deliveries: Vec<DeliveryOut>,
    /// Every accepted change, oldest first.
    pub history: Vec<EventOut>,
}

/// A page of orders.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderPageOut {
    pub orders: Vec<OrderOut>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn units(order: &Order) -> UnitsOut {
    UnitsOut {
        ordered: order.units_ordered(),
        shipped: order.units_shipped(),
        cancelled: order.units_cancelled(),
        open: order.units_open(),
    }
}

fn address(a: &Address) -> AddressOut {
    AddressOut {
        first_name: a.first_name.clone(),
        last_name: a.last_name.clone(),
        full_name: a.full_name.clone(),
        company: a.company.clone(),
        address1: a.address1.clone(),
        address2: a.address2.clone(),
        address3: a.address3.clone(),
        city: a.city.clone(),
        province: a.province.clone(),
        zip: a.zip.clone(),
        country_code: a.country_code.map(|c| c.to_string()),
        country_name: a.country_name.clone(),
        country_code_alpha3: a.country_code_alpha3.clone(),
        phone: a.phone.clone(),
    }
}

fn line(l: &LineItem) -> LineOut {
    LineOut {
        line: l.no().get(),
        sku: l.sku().to_string(),
        title: l.title().map(str::to_owned),
        external_line_id: l.external_line_id().map(str::to_owned),
        quantity: l.quantity().get(),
        unit_price: l.unit_price(),
        total_discount: l.total_discount(),
        total_tax: l.total_tax(),
        shipped: l.shipped(),
        cancelled: l.cancelled(),
        refunded: l.refunded(),
        open: l.open(),
    }
}

fn event(e: &OrderEvent) -> EventOut {
    EventOut {
        at: e.at,
        kind: e.kind.into(),
        subject: e.subject,
        detail: e.detail.clone(),
    }
}

/// An order as listed at `now`; `deliveries` fills in each fulfillment's delivery.
#[must_use]
pub fn order(o: &Order, deliveries: &[Delivery], now: DateTime<Utc>) -> OrderOut {
    let totals = o.totals();
    OrderOut {
        id: o.id().as_uuid(),
        channel: o.channel().to_string(),
        external_id: o.external_id().to_string(),
        status: o.status().into(),
        version: o.version().get(),
        currency: o.currency().to_string(),
        placed_at: o.placed_at(),
        received_at: o.received_at(),
        updated_at: o.updated_at(),
        deliver_by: o.deliver_by(),
        overdue: o.is_overdue(now),
        email: o.email().map(|e| e.as_str().to_owned()),
        shipping_address: o.shipping_address().map(address),
        shipping_service: o.shipping_service().map(str::to_owned),
        flags: o.flags().iter().copied().map(OrderFlag::from).collect(),
        on_hold: o.on_hold(),
        cancelled_by_marketplace_at: o.marketplace().cancelled_at,
        personal_data_erased_at: o.erased_at(),
        totals: TotalsOut {
            subtotal: totals.subtotal,
            discounts: totals.discounts,
            shipping: totals.shipping,
            tax: totals.tax,
            total: totals.total,
        },
        refunded_total: o.refunded_total(),
        units: units(o),
        lines: o.lines().iter().map(line).collect(),
        fulfillments: o
            .fulfillments()
            .iter()
            .map(|f| fulfillment(f, deliveries))
            .collect(),
        cancellations: o.cancellations().iter().map(cancellation).collect(),
        refunds: o.refunds().iter().map(refund).collect(),
    }
}

/// One order at `now` with deliveries (given newest first, shown oldest first) and history.
#[must_use]
pub fn order_detail(o: &Order, deliveries: &[Delivery], now: DateTime<Utc>) -> OrderDetailOut {
    OrderDetailOut {
        order: order(o, deliveries, now),
        deliveries: deliveries.iter().rev().map(delivery).collect(),
        history: o.events().iter().map(event).collect(),
    }
}

/// Unit counts of an order.
#[must_use]
pub fn order_units(o: &Order) -> UnitsOut {
    units(o)
}
