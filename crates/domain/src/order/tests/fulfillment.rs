//! Rules 3 and 4: what a fulfillment holds, and its tracking number once per order.

use super::{Ids, at, fulfil, ship, two_skus};
use crate::order::{FulfilError, Fulfilled, OrderStatus};
use crate::values::{Carrier, TrackingNumber};

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
