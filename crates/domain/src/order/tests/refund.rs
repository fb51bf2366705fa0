//! Rules 7 and 8: refunds within what was ordered and paid, and totals stored as given.

use super::{Ids, at, dec, refund, refund_request, two_skus};
use crate::order::{Order, RefundError, RefundReference, Refunded};
use crate::testing::new_order;
use crate::values::{Currency, EventId, LineNo, Money, OrderId};

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
