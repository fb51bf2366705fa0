//! Design section 12: what an order keeps of hostile text, how many children it may have, and
//! that placing units on many distinct SKUs stays linear.

use super::{Ids, at, cancel, cancel_lines, dec, fulfil, refund, refund_request, ship};
use crate::order::allocate::{allocate, steps};
use crate::order::{CancelError, FulfilError, Order, RefundError};
use crate::testing::new_order;
use crate::values::{Address, EventId, OrderId, Quantity, Sku};

fn create(new: crate::order::NewOrder) -> Order {
    Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(7000)),
        EventId::from_uuid(uuid::Uuid::from_u128(7001)),
        at(0),
    )
    .unwrap()
}

/// An order of `n` lines, each of its own SKU with `units` units.
fn distinct_skus(n: usize, units: u32) -> (Order, Vec<(Sku, Quantity)>) {
    let skus: Vec<String> = (0..n).map(|i| format!("SKU-{i:05}")).collect();
    let lines: Vec<(&str, u32, &str)> = skus.iter().map(|s| (s.as_str(), units, "1.00")).collect();
    let order = create(new_order("adm", "big", &lines).unwrap());
    // Asked in reverse line order: a linear search would walk the whole list for each.
    let request = skus
        .iter()
        .rev()
        .map(|s| (Sku::parse(s).unwrap(), Quantity::new(1).unwrap()))
        .collect();
    (order, request)
}

#[test]
fn placing_units_of_a_thousand_distinct_skus_takes_linear_steps_not_quadratic() {
    let mut counted = Vec::new();
    for n in [Order::MAX_LINES / 2, Order::MAX_LINES] {
        let (order, request) = distinct_skus(n, 2);
        steps::take();
        let placed = allocate(order.lines(), &request).unwrap();
        let taken = steps::take();
        assert_eq!(placed.len(), n);
        let n = u64::try_from(n).unwrap();
        // One step per request entry, per line indexed and per line filled: 3n. A search of
        // the lines per SKU would take n² (a million at 1000).
        assert!(taken <= 4 * n, "{taken} steps for {n} distinct SKUs");
        counted.push(taken);
    }
    assert!(
        counted[1] <= 2 * counted[0] + 8,
        "doubling the SKUs doubles the steps: {counted:?}"
    );
}

#[test]
fn an_order_has_at_most_max_children_of_each_kind_and_a_replay_still_answers() {
    let (mut order, _) = distinct_skus(3, 2_000);
    let mut ids = Ids(0);
    for i in 0..Order::MAX_CHILDREN {
        fulfil(
            &mut order,
            &mut ids,
            &ship(&format!("T{i}"), &[("SKU-00000", 1)]),
        )
        .unwrap();
    }
    let before = order.clone();
    assert_eq!(
        fulfil(&mut order, &mut ids, &ship("T-LAST", &[("SKU-00000", 1)])),
        Err(FulfilError::TooMany {
            max: Order::MAX_CHILDREN
        })
    );
    assert_eq!(order, before, "a refused fulfillment changes nothing");
    assert!(
        fulfil(&mut order, &mut ids, &ship("T0", &[("SKU-00000", 1)])).is_ok(),
        "the replay of a recorded one is still recognised"
    );
    for _ in 0..Order::MAX_CHILDREN {
        cancel(&mut order, &mut ids, &cancel_lines(&[("SKU-00001", 1)])).unwrap();
    }
    assert_eq!(
        cancel(&mut order, &mut ids, &cancel_lines(&[("SKU-00001", 1)])),
        Err(CancelError::TooMany {
            max: Order::MAX_CHILDREN
        })
    );
    for _ in 0..Order::MAX_CHILDREN {
        refund(
            &mut order,
            &mut ids,
            &refund_request(None, &[(3, 0, "0.01")]),
        )
        .unwrap();
    }
    assert_eq!(
        refund(
            &mut order,
            &mut ids,
            &refund_request(None, &[(3, 0, "0.01")])
        ),
        Err(RefundError::TooMany {
            max: Order::MAX_CHILDREN
        })
    );
    assert_eq!(order.refunded_total(), dec("5.00"));
}

#[test]
fn a_new_order_keeps_its_free_text_clean_and_bounded() {
    let mut new = new_order("adm", "dirty", &[("A", 1, "1.00")]).unwrap();
    new.shipping_service = Some("Ground\u{0}\u{1b}[31m\nNext Day".to_owned());
    new.lines[0].title = Some(format!("Mug\u{0}{}", "x".repeat(600)));
    new.lines[0].external_line_id = Some("\u{7f}L-1\u{9b}".to_owned());
    new.shipping_address = Some(Address {
        address1: Some("1 Main\u{0} St\r\nBack".to_owned()),
        city: Some("\u{0}\u{1}".to_owned()),
        ..Address::default()
    });
    let order = create(new);
    assert_eq!(order.shipping_service(), Some("Ground[31m Next Day"));
    let line = &order.lines()[0];
    let title = line.title().unwrap();
    assert!(
        title.starts_with("Mugxxx") && title.chars().count() == 500,
        "{title}"
    );
    assert_eq!(line.external_line_id(), Some("L-1"));
    let address = order.shipping_address().unwrap();
    assert_eq!(address.address1.as_deref(), Some("1 Main St  Back"));
    assert_eq!(address.city, None, "nothing left: absent");
}

#[test]
fn notes_keep_their_lines_and_lose_other_control_characters() {
    let (mut order, _) = distinct_skus(2, 2);
    let mut ids = Ids(0);
    let mut request = cancel_lines(&[("SKU-00000", 1)]);
    request.note = Some("line one\r\n\tline two\u{0}\u{1b}".to_owned());
    let id = cancel(&mut order, &mut ids, &request).unwrap();
    let note = order.cancellation(id).and_then(|c| c.note());
    assert_eq!(note, Some("line one\n\tline two"));
    let mut request = refund_request(None, &[(2, 0, "0.50")]);
    request.note = Some("x".repeat(Order::NOTE.max() + 10));
    let refunded = refund(&mut order, &mut ids, &request).unwrap();
    let kept = order.refund_by_id(refunded.id()).and_then(|r| r.note());
    assert_eq!(kept.map(|n| n.chars().count()), Some(Order::NOTE.max()));
}
