//! The warehouse API's JSON shapes. Money is written as decimal strings ("12.34") and read from
//! strings or numbers without going through floating point; times are RFC 3339 UTC.

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{
    Cancellation, Fulfillment, LineAllocation, LineItem, Order, OrderEvent, Refund,
};
use orderbridge_domain::outbox::{Delivery, DeliveryKind};
use orderbridge_domain::values::Address;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Units of a SKU, in a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SkuQuantity {
    /// The SKU, as on the order.
    pub sku: String,
    /// Units, at least 1.
    pub quantity: i64,
}

/// `POST /v1/orders/{id}/fulfillments`: one package.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FulfillmentIn {
    /// The package's tracking number (used once per order).
    pub tracking_number: String,
    /// The carrier; some marketplaces require it.
    pub carrier: Option<String>,
    /// An http(s) URL where the package can be tracked.
    pub tracking_url: Option<String>,
    /// When the package left; defaults to now. RFC 3339 with an offset.
    pub shipped_at: Option<String>,
    /// Units shipped, by SKU; units of a SKU on several lines fill them in line order.
    pub line_items: Vec<SkuQuantity>,
}

/// `POST /v1/orders/{id}/cancellations`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CancellationIn {
    /// One of customer, fraud, out_of_stock, payment_declined, unable_to_ship, price_error,
    /// tax_error, shipping_price_error, other.
    pub reason: String,
    /// Units to cancel by SKU; leave out to cancel everything not yet shipped.
    pub line_items: Option<Vec<SkuQuantity>>,
    /// A note for the history.
    pub note: Option<String>,
}

/// One line of a refund request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RefundLineIn {
    /// The order line's number (`lines[].line` of the order).
    pub line: i64,
    /// Units refunded (0 for a money-only refund).
    #[serde(default)]
    pub quantity: i64,
    /// The amount, more than zero, as a decimal string such as "12.34" (a JSON number is read
    /// exactly too).
    #[schema(value_type = String, example = "12.34")]
    pub amount: Decimal,
}

/// `POST /v1/orders/{id}/refunds`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RefundIn {
    /// Your own id for this refund: sending it again with the same lines is a harmless replay.
    pub reference: Option<String>,
    /// One of customer_return, customer_cancelled, damaged, price_adjustment, other.
    pub reason: String,
    /// The currency of the amounts; defaults to the order's, and must equal it.
    pub currency: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// Per-line amounts; each line at most once.
    pub lines: Vec<RefundLineIn>,
}

/// Query of `GET /v1/orders`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Comma-separated statuses: open, partially_fulfilled, fulfilled, cancelled.
    pub status: Option<String>,
    /// Only orders of this channel.
    pub channel: Option<String>,
    /// The marketplace's order id: answers the one order with this id on `channel` (required
    /// with it), or an empty page.
    pub external_id: Option<String>,
    /// Only orders changed after this time (RFC 3339).
    pub updated_after: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Query of `GET /v1/deliveries`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// pending, delivered or dead.
    pub state: Option<String>,
    /// Only deliveries of this order.
    pub order_id: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

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
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
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

/// Units of an order line taken by a fulfillment or cancellation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LineUnitsOut {
    pub line: u32,
    pub sku: String,
    pub quantity: u32,
}

/// A queued report to a marketplace and where it stands.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryOut {
    pub id: Uuid,
    pub order_id: Uuid,
    pub channel: String,
    /// confirm, fulfillment, order_fulfillment, cancellation or refund.
    pub kind: String,
    /// The fulfillment, cancellation or refund it reports.
    pub subject: Option<Uuid>,
    /// The refund line, for per-line refunds.
    pub line: Option<u32>,
    /// pending, delivered or dead.
    pub state: String,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, as the marketplace gave it.
    pub last_error: Option<String>,
    /// The marketplace's reference.
    pub remote_ref: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
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
    pub reason: String,
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
    pub reason: String,
    pub note: Option<String>,
    #[schema(value_type = String)]
    pub total: Decimal,
    pub created_at: DateTime<Utc>,
    pub lines: Vec<RefundLineOut>,
}

/// An entry of the order's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    pub at: DateTime<Utc>,
    /// received, confirmed, fulfilled, cancelled, refunded, delivered, delivery_failed,
    /// delivery_requeued or not_reported.
    pub kind: String,
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
    /// open, partially_fulfilled, fulfilled or cancelled.
    pub status: String,
    pub version: u64,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deliver_by: Option<DateTime<Utc>>,
    pub email: Option<String>,
    pub shipping_address: Option<AddressOut>,
    pub shipping_service: Option<String>,
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

/// A page of deliveries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPageOut {
    pub deliveries: Vec<DeliveryOut>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The answer to a recorded (or replayed) fulfillment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FulfillmentRecordedOut {
    /// True when this request replayed a fulfillment already recorded.
    pub replayed: bool,
    pub fulfillment: FulfillmentOut,
    /// The order's status now.
    pub order_status: String,
    pub units: UnitsOut,
}

/// The answer to a recorded cancellation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CancellationRecordedOut {
    pub cancellation: CancellationOut,
    pub order_status: String,
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

/// `/healthz` and `/readyz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
}

fn units(order: &Order) -> UnitsOut {
    UnitsOut {
        ordered: order.units_ordered(),
        shipped: order.units_shipped(),
        cancelled: order.units_cancelled(),
        open: order.units_open(),
    }
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

/// A delivery as the API shows it.
#[must_use]
pub fn delivery(d: &Delivery) -> DeliveryOut {
    DeliveryOut {
        id: d.id.as_uuid(),
        order_id: d.order_id.as_uuid(),
        channel: d.channel.to_string(),
        kind: d.kind.name().to_owned(),
        subject: d.kind.subject(),
        line: d.kind.line().map(|l| l.get()),
        state: d.state.as_str().to_owned(),
        attempts: d.attempts,
        created_at: d.created_at,
        next_attempt_at: d.next_attempt_at,
        last_error: d.last_error.clone(),
        remote_ref: d.remote_ref.clone(),
        delivered_at: d.delivered_at,
    }
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
        reason: c.reason().as_str().to_owned(),
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
        reason: r.reason().as_str().to_owned(),
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

fn event(e: &OrderEvent) -> EventOut {
    EventOut {
        at: e.at,
        kind: e.kind.as_str().to_owned(),
        subject: e.subject,
        detail: e.detail.clone(),
    }
}

/// An order as listed; `deliveries` fills in each fulfillment's delivery.
#[must_use]
pub fn order(o: &Order, deliveries: &[Delivery]) -> OrderOut {
    let totals = o.totals();
    OrderOut {
        id: o.id().as_uuid(),
        channel: o.channel().to_string(),
        external_id: o.external_id().to_string(),
        status: o.status().as_str().to_owned(),
        version: o.version().get(),
        currency: o.currency().to_string(),
        placed_at: o.placed_at(),
        received_at: o.received_at(),
        updated_at: o.updated_at(),
        deliver_by: o.deliver_by(),
        email: o.email().map(|e| e.as_str().to_owned()),
        shipping_address: o.shipping_address().map(address),
        shipping_service: o.shipping_service().map(str::to_owned),
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

/// One order with deliveries (given newest first, shown oldest first) and history.
#[must_use]
pub fn order_detail(o: &Order, deliveries: &[Delivery]) -> OrderDetailOut {
    OrderDetailOut {
        order: order(o, deliveries),
        deliveries: deliveries.iter().rev().map(delivery).collect(),
        history: o.events().iter().map(event).collect(),
    }
}

/// Unit counts of an order.
#[must_use]
pub fn order_units(o: &Order) -> UnitsOut {
    units(o)
}
