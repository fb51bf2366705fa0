//! Rules 5 and 6: what can be cancelled, and the status derived from shipments and
//! cancellations.

use super::{Ids, at, cancel, cancel_all, cancel_lines, fulfil, ship, two_skus};
use crate::order::{CancelError, CancelReason, FulfilError, OrderStatus};

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
