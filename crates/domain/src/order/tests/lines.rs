//! Rules 1 and 2: an order's lines, and units allocated to them never exceeding what was
//! ordered.

use super::{Ids, adm_example, at, cancel, cancel_lines, fulfil, ship, two_skus};
use crate::order::{AllocationError, CancelError, FulfilError, NewOrderError, Order};
use crate::testing::new_order;
use crate::values::{EventId, LineNo, OrderId, Quantity, Sku};

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
