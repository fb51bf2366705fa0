//! Design section 11 on FeedAMP's new-orders feed: orders malformed in a field that only
//! informs map and are stored with the right flags; an order is unmappable only for no usable
//! line, a line without SKU, a quantity that is not a whole number of at least 1, or money that
//! cannot be read.

use orderbridge_domain::order::{Order, OrderFlag};
use orderbridge_domain::values::{EventId, OrderId};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{fetched, mapped, minimal_info, one, utc};

/// A malformed-but-meaningful order: what it changes in a minimal order, and the flags the
/// order carries once stored.
struct Tolerated {
    what: &'static str,
    change: fn(&mut Value),
    flags: &'static [OrderFlag],
}

const TOLERATED: [Tolerated; 14] = [
    Tolerated {
        what: "an email that is not an address",
        change: |v| v["customer_email"] = json!("jane.doe at example"),
        flags: &[OrderFlag::EmailUnreadable],
    },
    Tolerated {
        what: "a two-letter country",
        change: |v| v["shipping_country_code"] = json!("de"),
        flags: &[],
    },
    Tolerated {
        what: "a country name",
        change: |v| v["shipping_country_code"] = json!("United Kingdom"),
        flags: &[],
    },
    Tolerated {
        what: "an unknown country name",
        change: |v| v["shipping_country_code"] = json!("Atlantis"),
        flags: &[OrderFlag::CountryUnknown],
    },
    Tolerated {
        what: "an unknown three-letter country",
        change: |v| v["shipping_country_code"] = json!("XYZ"),
        flags: &[OrderFlag::CountryUnknown],
    },
    Tolerated {
        what: "a date-only purchase_date",
        change: |v| v["purchase_date"] = json!("2018-05-01"),
        flags: &[],
    },
    Tolerated {
        what: "a date-only latest_ship_date",
        change: |v| v["latest_ship_date"] = json!("2018-05-10"),
        flags: &[],
    },
    Tolerated {
        what: "a garbage latest_ship_date",
        change: |v| v["latest_ship_date"] = json!("next week"),
        flags: &[OrderFlag::DeliverByUnreadable],
    },
    Tolerated {
        what: "a garbage purchase_date",
        change: |v| v["purchase_date"] = json!("01/05/2018"),
        flags: &[OrderFlag::PlacedAtUnreadable],
    },
    Tolerated {
        what: "no purchase_date",
        change: |v| v["purchase_date"] = Value::Null,
        flags: &[OrderFlag::PlacedAtUnreadable],
    },
    Tolerated {
        what: "a quantity sent as a string of digits",
        change: |v| v["order_lines"][0]["quantity"] = json!("2"),
        flags: &[],
    },
    Tolerated {
        what: "a phone with letters",
        change: |v| v["shipping_phone"] = json!("1-800-FLOWERS ext. 12"),
        flags: &[],
    },
    Tolerated {
        what: "an address line with a tab",
        change: |v| v["shipping_address1"] = json!("123\tMain Street"),
        flags: &[],
    },
    Tolerated {
        what: "an address field of the wrong JSON type",
        change: |v| v["shipping_city"] = json!(["Springfield"]),
        flags: &[OrderFlag::AddressUnreadable],
    },
];

fn stored(change: fn(&mut Value)) -> Order {
    let mut info = minimal_info();
    info["shipping_full_name"] = json!("Jane Doe");
    change(&mut info);
    let sourced = one(&info);
    Order::create(
        mapped(&sourced).clone(),
        OrderId::from_uuid(Uuid::from_u128(1)),
        EventId::from_uuid(Uuid::from_u128(2)),
        fetched(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn malformed_but_meaningful_orders_are_stored_with_their_flags() {
    for case in &TOLERATED {
        let order = stored(case.change);
        assert_eq!(order.flags(), case.flags, "{}", case.what);
        assert_eq!(order.lines().len(), 1, "{}", case.what);
        let received = &order.events()[0].detail;
        for flag in case.flags {
            assert!(received.contains(flag.as_str()), "{received}");
        }
    }
}

#[test]
fn the_tolerated_values_are_read_as_meant() {
    let value = |i: usize| stored(TOLERATED[i].change);
    let address = |i: usize| value(i).shipping_address().cloned().unwrap_or_default();
    let code = |i: usize| address(i).country_code.map(|c| c.to_string());
    assert_eq!(
        value(0).email().map(|e| e.as_str()),
        Some("jane.doe at example")
    );
    assert_eq!(code(1).as_deref(), Some("DE"));
    assert_eq!(code(2).as_deref(), Some("GB"));
    assert_eq!(address(2).country_name.as_deref(), Some("United Kingdom"));
    assert_eq!(code(3), None);
    assert_eq!(address(3).country_name.as_deref(), Some("Atlantis"));
    assert_eq!(address(4).country_code_alpha3.as_deref(), Some("XYZ"));
    assert_eq!(value(5).placed_at(), utc("2018-05-01T00:00:00Z"));
    assert_eq!(value(6).deliver_by(), Some(utc("2018-05-10T00:00:00Z")));
    assert_eq!(value(7).deliver_by(), None);
    assert_eq!(value(8).placed_at(), fetched());
    assert_eq!(value(9).placed_at(), fetched());
    assert_eq!(value(10).lines()[0].quantity().get(), 2);
    assert_eq!(address(11).phone.as_deref(), Some("1-800-FLOWERS ext. 12"));
    assert_eq!(address(12).address1.as_deref(), Some("123 Main Street"));
    assert_eq!(address(13).city, None);
    assert_eq!(address(13).full_name.as_deref(), Some("Jane Doe"));
}

#[test]
fn a_blank_ship_date_is_no_deadline_and_no_flag() {
    let order = stored(|v| v["latest_ship_date"] = json!(""));
    assert_eq!(order.deliver_by(), None);
    assert!(order.flags().is_empty());
}

#[test]
fn the_deadline_is_the_latest_ship_date_and_never_a_delivery_date() {
    let order = stored(|v| {
        v["latest_ship_date"] = json!("2018-05-03T17:00:00-07:00");
        v["latest_delivery_date"] = json!("2018-05-10T23:59:59.000Z");
    });
    assert_eq!(order.deliver_by(), Some(utc("2018-05-04T00:00:00Z")));
    let only_delivery = stored(|v| v["latest_delivery_date"] = json!("2018-05-10T23:59:59.000Z"));
    assert_eq!(only_delivery.deliver_by(), None);
    let garbled_delivery = stored(|v| v["latest_delivery_date"] = json!("next week"));
    assert!(
        garbled_delivery.flags().is_empty(),
        "a delivery date is not read"
    );
}

#[test]
fn only_lines_quantities_and_money_still_make_an_order_unmappable() {
    let line = |change: fn(&mut Value)| {
        let mut info = minimal_info();
        change(&mut info["order_lines"][0]);
        one(&info).order.err()
    };
    let quantity = "order_info.order_lines[0].quantity:";
    let cases: [(&str, Option<String>, &str); 8] = [
        (
            "no lines",
            {
                let mut info = minimal_info();
                info["order_lines"] = json!([]);
                one(&info).order.err()
            },
            "order_info.order_lines: an order needs at least one line",
        ),
        (
            "a line without SKU",
            line(|l| l["sku"] = Value::Null),
            "order_info.order_lines[0].sku: missing",
        ),
        (
            "a fractional quantity",
            line(|l| l["quantity"] = json!("2.5")),
            quantity,
        ),
        (
            "a zero quantity",
            line(|l| l["quantity"] = json!(0)),
            quantity,
        ),
        (
            "a negative quantity",
            line(|l| l["quantity"] = json!(-1)),
            quantity,
        ),
        (
            "a quantity in words",
            line(|l| l["quantity"] = json!("two")),
            quantity,
        ),
        (
            "2.0 as text",
            line(|l| l["quantity"] = json!("2.0")),
            quantity,
        ),
        (
            "a price that is not money",
            line(|l| l["unit_price"] = json!("abc")),
            "order_info.order_lines[0].unit_price: expected a decimal number",
        ),
    ];
    for (what, error, expected) in cases {
        let error = error.unwrap_or_else(|| panic!("{what}: mapped"));
        assert!(error.starts_with(expected), "{what}: {error}");
    }
}

/// Design section 12: control characters (NUL first: no store can hold it) are cleaned out of
/// every free-text field, and the order maps.
#[test]
fn control_characters_are_cleaned_out_of_every_free_text_field() {
    let dirty = "a\u{0}b\u{1b}c\td";
    let mut info = minimal_info();
    for field in [
        "shipping_full_name",
        "shipping_address1",
        "shipping_address2",
        "shipping_address3",
        "shipping_city",
        "shipping_state",
        "shipping_postal_code",
        "shipping_phone",
    ] {
        info[field] = json!(dirty);
    }
    info["customer_email"] = json!("jane\u{0}@example.com");
    info["order_lines"][0]["product_name"] = json!(dirty);
    info["order_lines"][0]["mp_line_number"] = json!(dirty);
    info["order_lines"][0]["shipping_method"] = json!(dirty);
    let sourced = one(&info);
    let order = mapped(&sourced);
    let clean = Some("abc d".to_owned());
    let address = order.shipping_address.clone().unwrap();
    for field in [
        &address.full_name,
        &address.address1,
        &address.address2,
        &address.address3,
        &address.city,
        &address.province,
        &address.zip,
        &address.phone,
    ] {
        assert_eq!(field, &clean);
    }
    assert_eq!(
        order.email.as_ref().map(|e| e.as_str()),
        Some("jane@example.com")
    );
    assert_eq!(order.lines[0].title, clean);
    assert_eq!(order.lines[0].external_line_id, clean);
    assert_eq!(order.shipping_service, clean);
    assert!(order.flags.is_empty(), "{:?}", order.flags);
}

#[test]
fn a_cursor_with_control_characters_loses_them() {
    let body = json!({"orders": [], "next_cursor": "c\u{0}1"}).to_string();
    assert_eq!(super::page(&body).1, Some("c1".to_owned()));
}
