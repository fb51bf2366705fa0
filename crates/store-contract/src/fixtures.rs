//! Orders and times for the checks.

use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, EventType, FulfillmentRequest, NewOrder, Order,
    OrderEvent, RefundLineRequest, RefundReason, RefundRequest, Version,
};
use orderbridge_domain::outbox::{DeliveryKind, NewDelivery, waits_for};
use orderbridge_domain::ports::marketplace::{
    CancellationSupport, Capabilities, FulfillmentMode, RefundSupport,
};
use orderbridge_domain::ports::store::Store;
use orderbridge_domain::testing::new_order;
use orderbridge_domain::values::{
    Address, CancellationId, Carrier, CountryCode, Currency, DeliveryId, Email, EventId,
    FulfillmentId, LineNo, Money, OrderId, Quantity, RefundId, Sku, TrackingNumber, TrackingUrl,
};
use rust_decimal::Decimal;
use uuid::Uuid;

/// 2024-04-30T12:00:00.123456Z plus `seconds`: whole microseconds, as stores keep them.
pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_714_478_400, 123_456_000).unwrap()
        + TimeDelta::seconds(seconds)
}

pub(crate) fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

pub(crate) fn id() -> Uuid {
    Uuid::now_v7()
}

/// A new order with two lines of the same SKU and one other, a customer and an address.
pub(crate) fn sample(channel: &str, external_id: &str) -> NewOrder {
    let mut new = new_order(
        channel,
        external_id,
        &[
            ("ABC-123", 2, "12.34"),
            ("ABC-123", 2, "43.21"),
            ("XYZ", 1, "0.10"),
        ],
    )
    .unwrap();
    new.email = Some(Email::parse("jane.doe@example.com").unwrap());
    new.shipping_address = Some(Address {
        first_name: Some("Zoë".to_owned()),
        last_name: Some("Ångström".to_owned()),
        address1: Some("123 Main Street".to_owned()),
        city: Some("Anytown".to_owned()),
        province: Some("CA".to_owned()),
        zip: Some("12345".to_owned()),
        country_code: Some(CountryCode::parse("US").unwrap()),
        country_name: Some("United States".to_owned()),
        phone: Some("(123) 456-7890".to_owned()),
        ..Address::default()
    });
    new.shipping_service = Some("Standard Ground".to_owned());
    new.deliver_by = Some(at(7 * 86_400));
    new.placed_at = at(-3_600);
    new.raw_payload = Some(format!("{{\"id\":\"{external_id}\"}}"));
    new
}

/// A new, unsaved order created at `at(seconds)`.
pub(crate) fn create(new: NewOrder, seconds: i64) -> Order {
    Order::create(
        new,
        OrderId::from_uuid(id()),
        EventId::from_uuid(id()),
        at(seconds),
    )
    .unwrap()
}

/// Inserts `order` with the given outbox kinds, returns it as stored (version 1).
pub(crate) async fn insert(store: &dyn Store, mut order: Order, kinds: &[DeliveryKind]) -> Order {
    let rows = deliveries(&order, kinds, order.received_at());
    let version = store.insert(&order, &rows).await.unwrap();
    assert_eq!(version, Version::new(1));
    order.mark_saved(version);
    order
}

/// What the checks' channel can do: it confirms orders and takes whole-order fulfillments and
/// per-line refunds, as FeedAMP does, so that its rows wait as FeedAMP's do.
pub(crate) const CAPS: Capabilities = Capabilities {
    confirms_orders: true,
    fulfillment: FulfillmentMode::WholeOrder,
    cancellations: CancellationSupport::InWholeOrderFulfillment,
    refunds: RefundSupport::PerLine,
    requires_carrier: false,
};

/// New outbox rows of `kinds`, each waiting for what the outbox policy says on [`CAPS`].
pub(crate) fn deliveries(
    order: &Order,
    kinds: &[DeliveryKind],
    at: DateTime<Utc>,
) -> Vec<NewDelivery> {
    kinds
        .iter()
        .map(|kind| NewDelivery {
            id: DeliveryId::from_uuid(id()),
            order_id: order.id(),
            channel: order.channel().clone(),
            kind: *kind,
            created_at: at,
            waits_for: waits_for(*kind, order, &CAPS),
        })
        .collect()
}

pub(crate) fn ship(
    order: &mut Order,
    tracking: &str,
    sku: &str,
    quantity: u32,
    seconds: i64,
) -> FulfillmentId {
    let request = FulfillmentRequest {
        tracking_number: TrackingNumber::parse(tracking).unwrap(),
        carrier: Some(Carrier::parse("UPS").unwrap()),
        tracking_url: Some(
            TrackingUrl::parse(&format!("https://ups.example/track/{tracking}")).unwrap(),
        ),
        lines: vec![(Sku::parse(sku).unwrap(), Quantity::new(quantity).unwrap())],
        shipped_at: Some(at(seconds - 1)),
    };
    order
        .fulfil(
            &request,
            FulfillmentId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(seconds),
        )
        .unwrap()
        .id()
}

pub(crate) fn cancel_one(order: &mut Order, sku: &str, seconds: i64) -> CancellationId {
    let request = CancellationRequest {
        reason: CancelReason::OutOfStock,
        scope: CancelScope::Lines(vec![(Sku::parse(sku).unwrap(), Quantity::new(1).unwrap())]),
        note: Some("bin empty".to_owned()),
    };
    order
        .cancel(
            &request,
            CancellationId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(seconds),
        )
        .unwrap()
}

pub(crate) fn refund(order: &mut Order, lines: &[(u32, u32, &str)], seconds: i64) -> RefundId {
    let request = RefundRequest {
        reference: None,
        reason: RefundReason::CustomerReturn,
        note: None,
        lines: lines
            .iter()
            .map(|(line, quantity, amount)| RefundLineRequest {
                line: LineNo::new(*line).unwrap(),
                quantity: *quantity,
                amount: Money::new(dec(amount), Currency::USD),
            })
            .collect(),
    };
    order
        .refund(
            &request,
            RefundId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(seconds),
        )
        .unwrap()
        .id()
}

pub(crate) fn event(kind: EventType, seconds: i64, detail: &str) -> OrderEvent {
    OrderEvent {
        id: EventId::from_uuid(id()),
        at: at(seconds),
        kind,
        subject: None,
        detail: detail.to_owned(),
    }
}
