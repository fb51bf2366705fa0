//! Unit tests of the rules of design section 3, one or more per rule, named after it.

use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::order::{
    AllocationError, CancelError, CancelReason, CancelScope, CancellationRequest, EventType,
    FulfilError, Fulfilled, FulfillmentRequest, NewOrderError, Order, OrderStatus, RefundError,
    RefundLineRequest, RefundReason, RefundReference, RefundRequest, Refunded,
};
use crate::testing::new_order;
use crate::values::{
    CancellationId, Carrier, Currency, EventId, FulfillmentId, LineNo, Money, OrderId, Quantity,
    RefundId, Sku, TrackingNumber,
};

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

// Rule 1: at least one line; SKU non-empty, quantity >= 1; lines may share a SKU.

#[test]
fn rule_1_an_order_without_lines_is_rejected() {
    let mut new = new_order("adm", "1", &[("A", 1, "1")]).unwrap();
    new.lines.clear();
    let created = Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(1)),
        EventId::from_uuid(uuid::Uuid::from_u128(2)),
        at(0),
    );
    assert_eq!(created, Err(NewOrderError::NoLines));
}

#[test]
fn rule_1_empty_skus_and_zero_quantities_cannot_be_built() {
    assert!(Sku::parse(" ").is_err());
    assert!(Quantity::new(0).is_err());
}

#[test]
fn rule_1_lines_sharing_a_sku_are_filled_in_line_order() {
    let mut order = adm_example();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("ABC-123", 3)])).unwrap();
    assert_eq!(
        (order.lines()[0].shipped(), order.lines()[1].shipped()),
        (2, 1)
    );
    let lines = order.fulfillments()[0].lines();
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0].line.get(), lines[0].quantity.get()), (1, 2));
    assert_eq!((lines[1].line.get(), lines[1].quantity.get()), (2, 1));
}

#[test]
fn rule_1_a_negative_price_is_rejected() {
    let new = new_order("adm", "1", &[("A", 1, "-0.01")]).unwrap();
    let created = Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(1)),
        EventId::from_uuid(uuid::Uuid::from_u128(2)),
        at(0),
    );
    assert_eq!(
        created,
        Err(NewOrderError::NegativePrice {
            line: LineNo::new(1).unwrap()
        })
    );
}

// Rule 2: shipped + cancelled <= ordered per line; a breaking change is rejected whole.

#[test]
fn rule_2_fulfilling_more_than_ordered_is_rejected_and_changes_nothing() {
    let mut order = adm_example();
    let before = order.clone();
    let mut ids = Ids(0);
    let result = fulfil(&mut order, &mut ids, &ship("T1", &[("ABC-123", 5)]));
    assert_eq!(
        result,
        Err(FulfilError::Allocation(AllocationError::ExceedsOpen {
            sku: Sku::parse("ABC-123").unwrap(),
            requested: 5,
            open: 4
        }))
    );
    assert_eq!(order, before);
}

#[test]
fn rule_2_a_fulfillment_with_one_bad_line_is_rejected_whole() {
    let mut order = two_skus();
    let before = order.clone();
    let mut ids = Ids(0);
    let result = fulfil(
        &mut order,
        &mut ids,
        &ship("T1", &[("RED", 1), ("BLUE", 2)]),
    );
    assert!(matches!(
        result,
        Err(FulfilError::Allocation(AllocationError::ExceedsOpen { .. }))
    ));
    assert_eq!(
        order, before,
        "the valid RED line must not be applied either"
    );
}

#[test]
fn rule_2_cancelled_units_cannot_be_shipped() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    cancel(&mut order, &mut ids, &cancel_lines(&[("RED", 2)])).unwrap();
    let result = fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 2)]));
    assert!(matches!(
        result,
        Err(FulfilError::Allocation(AllocationError::ExceedsOpen {
            open: 1,
            ..
        }))
    ));
}

#[test]
fn rule_2_cancelling_more_than_is_open_is_rejected_and_changes_nothing() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 2)])).unwrap();
    let before = order.clone();
    let result = cancel(&mut order, &mut ids, &cancel_lines(&[("RED", 2)]));
    assert!(matches!(
        result,
        Err(CancelError::Allocation(AllocationError::ExceedsOpen {
            open: 1,
            ..
        }))
    ));
    assert_eq!(order, before);
}

#[test]
fn rule_2_an_unknown_sku_is_rejected() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let result = fulfil(&mut order, &mut ids, &ship("T1", &[("GREEN", 1)]));
    assert_eq!(
        result,
        Err(FulfilError::Allocation(AllocationError::UnknownSku(
            Sku::parse("GREEN").unwrap()
        )))
    );
}

#[test]
fn rule_2_entries_for_the_same_sku_are_summed_before_checking() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let result = fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 2), ("RED", 2)]));
    assert!(matches!(
        result,
        Err(FulfilError::Allocation(AllocationError::ExceedsOpen {
            requested: 4,
            open: 3,
            ..
        }))
    ));
}

// Rule 3: one tracking number, optional carrier and URL, one or more lines.

#[test]
fn rule_3_a_fulfillment_needs_at_least_one_line() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let before = order.clone();
    assert_eq!(
        fulfil(&mut order, &mut ids, &ship("T1", &[])),
        Err(FulfilError::NoLines)
    );
    assert_eq!(order, before);
}

#[test]
fn rule_3_a_fulfillment_keeps_its_tracking_details() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let mut request = ship(" 1ZE356F8YW01937117 ", &[("BLUE", 1)]);
    request.tracking_url = Some(
        crate::values::TrackingUrl::parse("https://ups.example/t/1ZE356F8YW01937117").unwrap(),
    );
    request.shipped_at = Some(at(30));
    fulfil(&mut order, &mut ids, &request).unwrap();
    let shipment = &order.fulfillments()[0];
    assert_eq!(shipment.tracking_number().as_str(), "1ZE356F8YW01937117");
    assert_eq!(shipment.carrier().map(Carrier::as_str), Some("UPS"));
    assert!(shipment.tracking_url().is_some());
    assert_eq!(shipment.shipped_at(), at(30));
    assert_eq!(shipment.created_at(), at(60));
}

// Rule 4: a tracking number once per order; replay vs conflict.

#[test]
fn rule_4_the_same_tracking_number_with_the_same_lines_is_a_replay() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let first = fulfil(
        &mut order,
        &mut ids,
        &ship("T1", &[("RED", 1), ("BLUE", 1)]),
    )
    .unwrap();
    let after_first = order.clone();
    let again = fulfil(
        &mut order,
        &mut ids,
        &ship("T1", &[("BLUE", 1), ("RED", 1)]),
    )
    .unwrap();
    assert_eq!(again, Fulfilled::Replayed(first.id()));
    assert_eq!(order, after_first, "a replay changes nothing");
}

#[test]
fn rule_4_the_same_tracking_number_with_other_lines_is_a_conflict() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])).unwrap();
    let before = order.clone();
    let again = fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 2)]));
    assert_eq!(
        again,
        Err(FulfilError::TrackingNumberConflict(
            TrackingNumber::parse("T1").unwrap()
        ))
    );
    assert_eq!(order, before);
}

#[test]
fn rule_4_a_replay_is_recognised_even_after_the_order_is_complete() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let first = fulfil(
        &mut order,
        &mut ids,
        &ship("T1", &[("RED", 3), ("BLUE", 1)]),
    )
    .unwrap();
    assert_eq!(order.status(), OrderStatus::Fulfilled);
    assert_eq!(
        fulfil(
            &mut order,
            &mut ids,
            &ship("T1", &[("RED", 3), ("BLUE", 1)])
        ),
        Ok(Fulfilled::Replayed(first.id()))
    );
}

// Rule 5: cancellation limits.

#[test]
fn rule_5_nothing_is_fulfilled_on_a_cancelled_order() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    cancel(&mut order, &mut ids, &cancel_all()).unwrap();
    assert_eq!(order.status(), OrderStatus::Cancelled);
    let before = order.clone();
    assert_eq!(
        fulfil(&mut order, &mut ids, &ship("T9", &[("RED", 1)])),
        Err(FulfilError::OrderCancelled)
    );
    assert_eq!(order, before);
}

#[test]
fn rule_5_a_fully_shipped_order_cannot_be_cancelled() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(
        &mut order,
        &mut ids,
        &ship("T1", &[("RED", 3), ("BLUE", 1)]),
    )
    .unwrap();
    let before = order.clone();
    assert_eq!(
        cancel(&mut order, &mut ids, &cancel_all()),
        Err(CancelError::AlreadyFulfilled)
    );
    assert_eq!(order, before);
}

#[test]
fn rule_5_a_cancelled_order_cannot_be_cancelled_again() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    cancel(&mut order, &mut ids, &cancel_all()).unwrap();
    assert_eq!(
        cancel(&mut order, &mut ids, &cancel_all()),
        Err(CancelError::AlreadyCancelled)
    );
}

#[test]
fn rule_5_a_whole_order_cancellation_covers_only_unshipped_units_and_records_reason_and_time() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])).unwrap();
    let id = cancel(&mut order, &mut ids, &cancel_all()).unwrap();
    let cancellation = order.cancellation(id).unwrap();
    assert!(cancellation.whole_order());
    assert_eq!(cancellation.reason(), CancelReason::Customer);
    assert_eq!(cancellation.created_at(), at(120));
    assert_eq!(cancellation.units(), 3, "2 RED and 1 BLUE were still open");
    assert_eq!(
        (order.lines()[0].shipped(), order.lines()[0].cancelled()),
        (1, 2)
    );
    assert_eq!(
        order.status(),
        OrderStatus::Fulfilled,
        "one unit shipped, the rest cancelled"
    );
}

#[test]
fn rule_5_a_cancellation_of_no_lines_is_rejected() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    assert_eq!(
        cancel(&mut order, &mut ids, &cancel_lines(&[])),
        Err(CancelError::NoLines)
    );
}

// Rule 6: status derived.

#[test]
fn rule_6_status_follows_shipments_and_cancellations() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    assert_eq!(order.status(), OrderStatus::Open);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])).unwrap();
    assert_eq!(order.status(), OrderStatus::PartiallyFulfilled);
    cancel(&mut order, &mut ids, &cancel_lines(&[("BLUE", 1)])).unwrap();
    assert_eq!(order.status(), OrderStatus::PartiallyFulfilled);
    fulfil(&mut order, &mut ids, &ship("T2", &[("RED", 2)])).unwrap();
    assert_eq!(order.status(), OrderStatus::Fulfilled);
    assert!(order.is_complete());
}

// Rule 7: refunds.

#[test]
fn rule_7_refunds_never_exceed_the_quantity_ordered() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    refund(
        &mut order,
        &mut ids,
        &refund_request(None, &[(1, 2, "20.00")]),
    )
    .unwrap();
    let before = order.clone();
    let result = refund(
        &mut order,
        &mut ids,
        &refund_request(None, &[(1, 2, "1.00")]),
    );
    assert_eq!(
        result,
        Err(RefundError::ExceedsQuantity {
            line: LineNo::new(1).unwrap(),
            ordered: 3,
            refunded: 2,
            requested: 2
        })
    );
    assert_eq!(order, before);
}

#[test]
fn rule_7_refunds_never_exceed_the_total_paid() {
    let mut order = two_skus(); // total 35.00
    let mut ids = Ids(0);
    refund(
        &mut order,
        &mut ids,
        &refund_request(None, &[(1, 0, "30.00")]),
    )
    .unwrap();
    let before = order.clone();
    let result = refund(
        &mut order,
        &mut ids,
        &refund_request(None, &[(2, 1, "5.01")]),
    );
    assert_eq!(
        result,
        Err(RefundError::ExceedsPaid {
            paid: dec("35.00"),
            refunded: dec("30.00"),
            requested: dec("5.01")
        })
    );
    assert_eq!(order, before);
    refund(
        &mut order,
        &mut ids,
        &refund_request(None, &[(2, 1, "5.00")]),
    )
    .unwrap();
    assert_eq!(order.refunded_total(), dec("35.00"));
}

#[test]
fn rule_7_refund_amounts_must_be_in_the_order_currency() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let mut request = refund_request(None, &[(1, 1, "1.00")]);
    let eur = Currency::parse("EUR").unwrap();
    request.lines[0].amount = Money::new(dec("1.00"), eur);
    assert_eq!(
        refund(&mut order, &mut ids, &request),
        Err(RefundError::CurrencyMismatch {
            expected: Currency::USD,
            found: eur
        })
    );
}

#[test]
fn rule_7_refund_amounts_are_exact() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    for _ in 0..3 {
        refund(
            &mut order,
            &mut ids,
            &refund_request(None, &[(2, 0, "0.1")]),
        )
        .unwrap();
    }
    assert_eq!(order.refunded_total(), dec("0.3"));
}

#[test]
fn rule_7_a_refund_reference_makes_retries_harmless() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let first = refund(
        &mut order,
        &mut ids,
        &refund_request(Some("R-1"), &[(1, 1, "10.00")]),
    )
    .unwrap();
    let after = order.clone();
    assert_eq!(
        refund(
            &mut order,
            &mut ids,
            &refund_request(Some("R-1"), &[(1, 1, "10.00")])
        ),
        Ok(Refunded::Replayed(first.id()))
    );
    assert_eq!(order, after);
    assert_eq!(
        refund(
            &mut order,
            &mut ids,
            &refund_request(Some("R-1"), &[(1, 1, "9.00")])
        ),
        Err(RefundError::ReferenceConflict(
            RefundReference::parse("R-1").unwrap()
        ))
    );
}

#[test]
fn rule_7_refunds_of_unknown_duplicate_or_zero_lines_are_rejected() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    assert_eq!(
        refund(&mut order, &mut ids, &refund_request(None, &[])),
        Err(RefundError::NoLines)
    );
    assert_eq!(
        refund(&mut order, &mut ids, &refund_request(None, &[(3, 1, "1")])),
        Err(RefundError::UnknownLine(LineNo::new(3).unwrap()))
    );
    assert_eq!(
        refund(
            &mut order,
            &mut ids,
            &refund_request(None, &[(1, 1, "1"), (1, 1, "1")])
        ),
        Err(RefundError::DuplicateLine(LineNo::new(1).unwrap()))
    );
    assert_eq!(
        refund(
            &mut order,
            &mut ids,
            &refund_request(None, &[(1, 1, "0.00")])
        ),
        Err(RefundError::AmountNotPositive(LineNo::new(1).unwrap()))
    );
}

#[test]
fn rule_7_refund_numbers_are_stable_and_differ_per_line() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    let id = refund(
        &mut order,
        &mut ids,
        &refund_request(None, &[(1, 1, "1"), (2, 1, "1")]),
    )
    .unwrap()
    .id();
    let stored = order.refund_by_id(id).unwrap();
    let one = stored.number_for_line(LineNo::new(1).unwrap());
    assert_eq!(one, stored.clone().number_for_line(LineNo::new(1).unwrap()));
    assert_ne!(one, stored.number_for_line(LineNo::new(2).unwrap()));
}

// Rule 8: totals stored as given.

#[test]
fn rule_8_totals_that_disagree_with_the_lines_are_stored_as_given() {
    let mut new = new_order(
        "adm",
        "987654321",
        &[("ABC-123", 2, "12.34"), ("ABC-123", 2, "43.21")],
    )
    .unwrap();
    // The seed's figures: the lines add up to 111.10 before discounts, the totals say otherwise.
    new.totals.subtotal = Some(dec("79.98"));
    new.totals.discounts = Some(dec("5.00"));
    new.totals.shipping = Some(dec("10.99"));
    new.totals.tax = Some(dec("0.00"));
    new.totals.total = Some(dec("85.97"));
    let order = Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(1)),
        EventId::from_uuid(uuid::Uuid::from_u128(2)),
        at(0),
    )
    .unwrap();
    assert_eq!(order.totals().total, Some(dec("85.97")));
    assert_eq!(order.totals().subtotal, Some(dec("79.98")));
    assert_eq!(
        order.refundable_total(),
        dec("85.97"),
        "the cap is the total as given"
    );
}

#[test]
fn rule_8_without_a_total_the_refund_cap_is_what_the_lines_add_up_to() {
    let mut new = new_order("feedamp", "1", &[("A", 2, "19.99")]).unwrap();
    new.totals.total = None;
    new.lines[0].total_tax = dec("1.60");
    new.lines[0].total_discount = dec("0.50");
    let order = Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(1)),
        EventId::from_uuid(uuid::Uuid::from_u128(2)),
        at(0),
    )
    .unwrap();
    assert_eq!(order.refundable_total(), dec("41.08"));
}

// Rule 9: history.

#[test]
fn rule_9_every_accepted_change_appends_an_event() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])).unwrap();
    cancel(&mut order, &mut ids, &cancel_lines(&[("BLUE", 1)])).unwrap();
    refund(
        &mut order,
        &mut ids,
        &refund_request(None, &[(2, 1, "5.00")]),
    )
    .unwrap();
    let kinds: Vec<EventType> = order.events().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventType::Received,
            EventType::Fulfilled,
            EventType::Cancelled,
            EventType::Refunded
        ]
    );
    assert_eq!(order.new_events().len(), 4, "nothing saved yet");
}

#[test]
fn rule_9_rejected_changes_and_replays_append_no_event() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)])).unwrap();
    let events = order.events().len();
    let _ = fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 1)]));
    let _ = fulfil(&mut order, &mut ids, &ship("T2", &[("RED", 9)]));
    let _ = refund(
        &mut order,
        &mut ids,
        &refund_request(None, &[(1, 1, "999")]),
    );
    assert_eq!(order.events().len(), events);
}

#[test]
fn history_details_carry_no_personal_data() {
    let mut new = new_order("adm", "1", &[("A", 1, "1")]).unwrap();
    new.email = crate::values::Email::parse("jane@example.com").ok();
    let mut order = Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(1)),
        EventId::from_uuid(uuid::Uuid::from_u128(2)),
        at(0),
    )
    .unwrap();
    let mut ids = Ids(10);
    fulfil(&mut order, &mut ids, &ship("T1", &[("A", 1)])).unwrap();
    assert!(order.events().iter().all(|e| !e.detail.contains("jane")));
}

// Storage round trip.

#[test]
fn a_restored_order_equals_the_saved_one() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 2)])).unwrap();
    cancel(&mut order, &mut ids, &cancel_lines(&[("RED", 1)])).unwrap();
    refund(&mut order, &mut ids, &refund_request(None, &[(1, 1, "10")])).unwrap();
    order.mark_saved(crate::order::Version::new(4));
    let restored = Order::restore(order.to_record()).unwrap();
    assert_eq!(restored, order);
    assert!(restored.new_events().is_empty());
}

#[test]
fn a_stored_order_that_ships_more_than_ordered_is_reported_corrupt() {
    let mut order = two_skus();
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("BLUE", 1)])).unwrap();
    let mut record = order.to_record();
    let duplicate = record.fulfillments[0].clone();
    record.fulfillments.push(duplicate);
    let error = Order::restore(record).unwrap_err();
    assert!(
        error.reason.contains("more units settled than ordered"),
        "{error}"
    );
}
