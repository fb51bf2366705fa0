//! Tests of the rows an insert or a save writes: positions, lines, tallies.
use chrono::{DateTime, TimeDelta, Utc};
use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, FulfillmentRequest, Order, RefundLineRequest,
    RefundReason, RefundRequest,
};
use orderbridge_domain::testing::new_order;
use orderbridge_domain::values::{
    CancellationId, Currency, EventId, FulfillmentId, LineNo, Money, OrderId, Quantity, RefundId,
    Sku, TrackingNumber,
};
use uuid::Uuid;

use super::{NewChildren, lines};

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap() + TimeDelta::seconds(seconds)
}

fn order() -> Order {
    let new = new_order("adm", "R-1", &[("RED", 3, "2.50"), ("BLUE", 2, "1.00")]).unwrap();
    Order::create(
        new,
        OrderId::from_uuid(Uuid::now_v7()),
        EventId::from_uuid(Uuid::now_v7()),
        at(0),
    )
    .unwrap()
}

fn ship(order: &mut Order, tracking: &str, sku: &str, units: u32, seconds: i64) {
    let request = FulfillmentRequest {
        tracking_number: TrackingNumber::parse(tracking).unwrap(),
        carrier: None,
        tracking_url: None,
        shipped_at: None,
        lines: vec![(Sku::parse(sku).unwrap(), Quantity::new(units).unwrap())],
    };
    order
        .fulfil(
            &request,
            FulfillmentId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            at(seconds),
        )
        .unwrap();
}

/// The order as a store hands it back: everything it holds is saved, nothing is new.
fn reloaded(order: &Order) -> Order {
    let mut order = Order::restore(order.to_record()).unwrap();
    order.mark_saved(order.version());
    order
}

#[test]
fn a_new_order_writes_every_child_from_position_zero() {
    let mut order = order();
    ship(&mut order, "T1", "RED", 1, 1);
    ship(&mut order, "T2", "BLUE", 2, 2);
    let rows = NewChildren::of(&order);
    let positions: Vec<i32> = rows.fulfillments.iter().map(|f| f.position).collect();
    assert_eq!(positions, [0, 1]);
    assert_eq!(rows.fulfillment_lines.len(), 2);
    assert_eq!(rows.fulfillment_lines[1].line_no, 2);
    assert_eq!(rows.fulfillment_lines[1].quantity, 2);
    assert!(rows.fulfillment_lines.iter().all(|l| l.amount.is_none()));
}

#[test]
fn a_saved_order_writes_only_its_new_children_after_the_saved_ones() {
    let mut order = order();
    ship(&mut order, "T1", "RED", 1, 1);
    let mut order = reloaded(&order);
    assert!(
        NewChildren::of(&order).is_empty(),
        "nothing new after a reload"
    );
    ship(&mut order, "T2", "RED", 1, 2);
    let cancel = CancellationRequest {
        reason: CancelReason::Customer,
        scope: CancelScope::Lines(vec![(
            Sku::parse("BLUE").unwrap(),
            Quantity::new(1).unwrap(),
        )]),
        note: Some("asked by phone".to_owned()),
    };
    order
        .cancel(
            &cancel,
            CancellationId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            at(3),
        )
        .unwrap();
    let refund = RefundRequest {
        reason: RefundReason::Other,
        reference: None,
        note: None,
        lines: vec![RefundLineRequest {
            line: LineNo::new(1).unwrap(),
            quantity: 1,
            amount: Money::new("2.50".parse().unwrap(), Currency::USD),
        }],
    };
    order
        .refund(
            &refund,
            RefundId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            at(4),
        )
        .unwrap();
    let rows = NewChildren::of(&order);
    assert_eq!(rows.fulfillments.len(), 1);
    assert_eq!(rows.fulfillments[0].position, 1, "after the saved shipment");
    assert_eq!(rows.cancellations[0].position, 0);
    assert_eq!(rows.cancellations[0].note, Some("asked by phone"));
    assert_eq!(rows.cancellation_lines[0].line_no, 2);
    assert_eq!(rows.refunds[0].position, 0);
    assert_eq!(rows.refund_lines[0].amount, Some("2.50".parse().unwrap()));
}

#[test]
fn line_rows_carry_each_lines_tallies() {
    let mut order = order();
    ship(&mut order, "T1", "RED", 2, 1);
    let rows = lines(&order);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].tally.line_no, rows[0].tally.shipped), (1, 2));
    assert_eq!((rows[1].tally.line_no, rows[1].tally.shipped), (2, 0));
    assert_eq!(rows[0].unit_price, "2.50".parse().unwrap());
}
