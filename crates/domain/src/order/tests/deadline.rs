//! The ship-by deadline: an order is overdue when its deadline is strictly past and units are
//! still open.

use super::{Ids, at, cancel, cancel_all, cancel_lines, fulfil, ship};
use crate::order::Order;
use crate::testing::new_order;
use crate::values::{EventId, OrderId};

/// RED ×3 and BLUE ×1, due at `at(100)` when `due` is true.
fn due_at_100(due: bool) -> Order {
    let mut new = new_order("adm", "D-1", &[("RED", 3, "10.00"), ("BLUE", 1, "5.00")]).unwrap();
    new.deliver_by = due.then(|| at(100));
    Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(3000)),
        EventId::from_uuid(uuid::Uuid::from_u128(3001)),
        at(0),
    )
    .unwrap()
}

#[test]
fn an_open_order_is_overdue_only_strictly_after_its_deadline() {
    let order = due_at_100(true);
    assert!(!order.is_overdue(at(99)));
    assert!(
        !order.is_overdue(at(100)),
        "at the deadline it is not late yet"
    );
    assert!(order.is_overdue(at(101)));
}

#[test]
fn an_order_without_a_deadline_is_never_overdue() {
    assert!(!due_at_100(false).is_overdue(at(1_000_000)));
}

#[test]
fn a_partially_fulfilled_order_stays_overdue_until_every_unit_is_settled() {
    let mut order = due_at_100(true);
    let mut ids = Ids(0);
    fulfil(&mut order, &mut ids, &ship("T1", &[("RED", 3)])).unwrap();
    assert!(order.is_overdue(at(200)), "BLUE is still open");
    cancel(&mut order, &mut ids, &cancel_lines(&[("BLUE", 1)])).unwrap();
    assert!(!order.is_overdue(at(200)), "fulfilled");
}

#[test]
fn a_cancelled_order_is_not_overdue() {
    let mut order = due_at_100(true);
    cancel(&mut order, &mut Ids(0), &cancel_all()).unwrap();
    assert!(!order.is_overdue(at(200)));
}
