//! Tolerance (design section 11): what an order could not read is kept as given or left out,
//! flagged on the order and named in its `received` history entry, never its value.

use super::at;
use crate::order::{EventType, NewOrder, Order, OrderFlag, Version};
use crate::testing::new_order;
use crate::values::{Address, Email, EventId, OrderId};

fn create(new: NewOrder) -> Order {
    Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(1)),
        EventId::from_uuid(uuid::Uuid::from_u128(2)),
        at(0),
    )
    .unwrap()
}

fn sample() -> NewOrder {
    new_order("adm", "1", &[("A", 2, "1")]).unwrap()
}

#[test]
fn a_clean_order_has_no_flags_and_the_usual_received_entry() {
    let order = create(sample());
    assert!(order.flags().is_empty());
    assert_eq!(order.events()[0].detail, "received from adm (2 units)");
}

#[test]
fn an_unreadable_email_and_an_unknown_country_are_kept_and_flagged() {
    let mut new = sample();
    new.email = Email::read("Jane Doe <jane at example>");
    let mut address = Address::default();
    address.set_country("Atlantis");
    new.shipping_address = Some(address);
    let order = create(new);
    assert_eq!(
        order.flags(),
        [OrderFlag::EmailUnreadable, OrderFlag::CountryUnknown]
    );
    assert_eq!(
        order.email().map(Email::as_str),
        Some("Jane Doe <jane at example>")
    );
    let address = order.shipping_address().unwrap();
    assert_eq!(address.country_name.as_deref(), Some("Atlantis"));
    assert_eq!(address.country_code, None);
}

#[test]
fn the_adapters_flags_are_kept_once_each_in_order() {
    let mut new = sample();
    new.flags = vec![
        OrderFlag::DeliverByUnreadable,
        OrderFlag::PlacedAtUnreadable,
        OrderFlag::DeliverByUnreadable,
    ];
    assert_eq!(
        create(new).flags(),
        [
            OrderFlag::PlacedAtUnreadable,
            OrderFlag::DeliverByUnreadable
        ]
    );
}

#[test]
fn the_received_entry_names_the_flags_but_no_value() {
    let mut new = sample();
    new.email = Email::read("jane at example");
    new.flags = vec![OrderFlag::DeliverByUnreadable];
    let order = create(new);
    let received = &order.events()[0];
    assert_eq!(received.kind, EventType::Received);
    assert_eq!(
        received.detail,
        "received from adm (2 units); flagged: email_unreadable, deliver_by_unreadable"
    );
    assert!(!received.detail.contains("jane"));
}

#[test]
fn address_text_is_cleaned_and_an_address_left_empty_is_none() {
    let mut new = sample();
    new.shipping_address = Some(Address {
        address1: Some("1 Main\tStreet".to_owned()),
        phone: Some("555-CALL-NOW\u{0}".to_owned()),
        ..Address::default()
    });
    let order = create(new);
    let address = order.shipping_address().unwrap();
    assert_eq!(address.address1.as_deref(), Some("1 Main Street"));
    assert_eq!(address.phone.as_deref(), Some("555-CALL-NOW"));
    assert!(order.flags().is_empty());

    let mut blank = sample();
    blank.shipping_address = Some(Address {
        city: Some(" \u{7} ".to_owned()),
        ..Address::default()
    });
    assert_eq!(create(blank).shipping_address(), None);
}

#[test]
fn flags_survive_the_storage_round_trip() {
    let mut new = sample();
    new.email = Email::read("jane at example");
    new.flags = vec![OrderFlag::PlacedAtUnreadable];
    let mut order = create(new);
    order.mark_saved(Version::new(1));
    let restored = Order::restore(order.to_record()).unwrap();
    assert_eq!(restored.flags(), order.flags());
    assert_eq!(restored, order);
}
