//! Unit tests of the rules of design section 3, one or more per rule, named after it.

use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::order::{
    CancelError, CancelReason, CancelScope, CancellationRequest, FulfilError, Fulfilled,
    FulfillmentRequest, Order, RefundError, RefundLineRequest, RefundReason, RefundReference,
    RefundRequest, Refunded,
};
use crate::testing::new_order;
use crate::values::{
    CancellationId, Carrier, Currency, EventId, FulfillmentId, LineNo, Money, OrderId, Quantity,
    RefundId, Sku, TrackingNumber,
};

mod cancellation;
mod deadline;
mod flags;
mod fulfillment;
mod history;
mod limits;
mod lines;
mod marketplace;
mod refund;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap() + TimeDelta::seconds(seconds)
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// Ids 1, 2, 3… for entities made in one test.
struct Ids(u128);

impl Ids {
    fn next(&mut self) -> uuid::Uuid {
        self.0 += 1;
        uuid::Uuid::from_u128(self.0)
    }
}

/// The ADM example order of seed file 001: two lines of ABC-123, 2 units each.
fn adm_example() -> Order {
    let new = new_order(
        "adm",
        "987654321",
        &[("ABC-123", 2, "12.34"), ("ABC-123", 2, "43.21")],
    )
    .unwrap();
    Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(1000)),
        EventId::from_uuid(uuid::Uuid::from_u128(1001)),
        at(0),
    )
    .unwrap()
}

fn two_skus() -> Order {
    let new = new_order("adm", "A-1", &[("RED", 3, "10.00"), ("BLUE", 1, "5.00")]).unwrap();
    Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(2000)),
        EventId::from_uuid(uuid::Uuid::from_u128(2001)),
        at(0),
    )
    .unwrap()
}

fn ship(tracking: &str, lines: &[(&str, u32)]) -> FulfillmentRequest {
    FulfillmentRequest {
        tracking_number: TrackingNumber::parse(tracking).unwrap(),
        carrier: Some(Carrier::parse("UPS").unwrap()),
        tracking_url: None,
        lines: lines
            .iter()
            .map(|(sku, q)| (Sku::parse(sku).unwrap(), Quantity::new(*q).unwrap()))
            .collect(),
        shipped_at: None,
    }
}

fn fulfil(
    order: &mut Order,
    ids: &mut Ids,
    request: &FulfillmentRequest,
) -> Result<Fulfilled, FulfilError> {
    order.fulfil(
        request,
        FulfillmentId::from_uuid(ids.next()),
        EventId::from_uuid(ids.next()),
        at(60),
    )
}

fn cancel_lines(lines: &[(&str, u32)]) -> CancellationRequest {
    CancellationRequest {
        reason: CancelReason::OutOfStock,
        scope: CancelScope::Lines(
            lines
                .iter()
                .map(|(sku, q)| (Sku::parse(sku).unwrap(), Quantity::new(*q).unwrap()))
                .collect(),
        ),
        note: None,
    }
}

fn cancel_all() -> CancellationRequest {
    CancellationRequest {
        reason: CancelReason::Customer,
        scope: CancelScope::WholeOrder,
        note: Some("customer called".to_owned()),
    }
}

fn cancel(
    order: &mut Order,
    ids: &mut Ids,
    request: &CancellationRequest,
) -> Result<CancellationId, CancelError> {
    order.cancel(
        request,
        CancellationId::from_uuid(ids.next()),
        EventId::from_uuid(ids.next()),
        at(120),
    )
}

fn refund_request(reference: Option<&str>, lines: &[(u32, u32, &str)]) -> RefundRequest {
    RefundRequest {
        reference: reference.map(|r| RefundReference::parse(r).unwrap()),
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
    }
}

fn refund(
    order: &mut Order,
    ids: &mut Ids,
    request: &RefundRequest,
) -> Result<Refunded, RefundError> {
    order.refund(
        request,
        RefundId::from_uuid(ids.next()),
        EventId::from_uuid(ids.next()),
        at(180),
    )
}
