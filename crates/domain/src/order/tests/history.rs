//! Rule 9 and storage: every accepted change appends history, and a stored order restores
//! to the same order or is reported corrupt.

use super::{Ids, at, cancel, cancel_lines, fulfil, refund, refund_request, ship, two_skus};
use crate::order::{EventType, Order};
use crate::testing::new_order;
use crate::values::{EventId, OrderId};

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
