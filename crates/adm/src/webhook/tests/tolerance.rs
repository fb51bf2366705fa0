//! Design section 11 on ADM's webhook: payloads malformed in a field that only informs are
//! stored as orders with the right flags; an order is refused only for no usable line, a line
//! without SKU, a quantity that is not a whole number of at least 1, or money that cannot be
//! read, with seed 001's 400 body.

use orderbridge_domain::order::OrderFlag;
use serde_json::{Value, json};

use super::{SEED, at, order_from, parsed, received, rejected, seed_with, seed_without};
use crate::webhook::{INVALID_ORDER, INVALID_SKU_OR_QUANTITY};

/// A malformed-but-meaningful payload: what it changes in the seed, and the flags its order
/// carries once stored.
struct Tolerated {
    what: &'static str,
    change: fn(&mut Value),
    flags: &'static [OrderFlag],
}

const TOLERATED: [Tolerated; 14] = [
    Tolerated {
        what: "an email that is not an address",
        change: |v| v["email"] = json!("jane.doe at example"),
        flags: &[OrderFlag::EmailUnreadable],
    },
    Tolerated {
        what: "an email of the wrong JSON type",
        change: |v| v["email"] = json!({"primary": "jane@example.com"}),
        flags: &[OrderFlag::EmailUnreadable],
    },
    Tolerated {
        what: "a three-letter country code",
        change: |v| v["shipping_address"]["country_code"] = json!("USA"),
        flags: &[],
    },
    Tolerated {
        what: "a country name in place of the code",
        change: |v| v["shipping_address"]["country_code"] = json!("United Kingdom"),
        flags: &[],
    },
    Tolerated {
        what: "an unknown country",
        change: |v| v["shipping_address"]["country_code"] = json!("Atlantis"),
        flags: &[OrderFlag::CountryUnknown],
    },
    Tolerated {
        what: "a date-only created_at",
        change: |v| v["created_at"] = json!("2023-12-20"),
        flags: &[],
    },
    Tolerated {
        what: "a date-only deliver_by",
        change: |v| v["deliver_by"] = json!("2023-12-27"),
        flags: &[],
    },
    Tolerated {
        what: "a garbage deliver_by",
        change: |v| v["deliver_by"] = json!("next week"),
        flags: &[OrderFlag::DeliverByUnreadable],
    },
    Tolerated {
        what: "a garbage created_at",
        change: |v| v["created_at"] = json!("20/12/2023 10h15"),
        flags: &[OrderFlag::PlacedAtUnreadable],
    },
    Tolerated {
        what: "a quantity sent as a string of digits",
        change: |v| v["line_items"][0]["quantity"] = json!("2"),
        flags: &[],
    },
    Tolerated {
        what: "a phone with letters",
        change: |v| v["shipping_address"]["phone"] = json!("1-800-FLOWERS ext. 12"),
        flags: &[],
    },
    Tolerated {
        what: "an address line with a tab and a line break",
        change: |v| v["shipping_address"]["address1"] = json!("123\tMain Street\nBack door"),
        flags: &[],
    },
    Tolerated {
        what: "an address field of the wrong JSON type",
        change: |v| v["shipping_address"]["phone"] = json!(["(123) 456-7890"]),
        flags: &[OrderFlag::AddressUnreadable],
    },
    Tolerated {
        what: "a shipping service of the wrong JSON type",
        change: |v| v["shipping_service"] = json!({"name": "Standard Ground"}),
        flags: &[OrderFlag::ShippingServiceUnreadable],
    },
];

#[test]
fn malformed_but_meaningful_payloads_are_stored_with_their_flags() {
    for case in &TOLERATED {
        let body = seed_with(case.change);
        let order = order_from(parsed(&body));
        assert_eq!(order.flags(), case.flags, "{}", case.what);
        assert_eq!(order.lines().len(), 2, "{}", case.what);
        assert_eq!(order.units_ordered(), 4, "{}", case.what);
        let received_entry = &order.events()[0].detail;
        for flag in case.flags {
            assert!(received_entry.contains(flag.as_str()), "{received_entry}");
        }
    }
}

#[test]
fn the_tolerated_values_are_read_as_meant() {
    let value = |i: usize| order_from(parsed(&seed_with(TOLERATED[i].change)));
    let email = value(0);
    assert_eq!(
        email.email().map(|e| e.as_str()),
        Some("jane.doe at example")
    );
    let code = |i: usize| {
        value(i)
            .shipping_address()
            .and_then(|a| a.country_code)
            .map(|c| c.to_string())
    };
    assert_eq!(code(2).as_deref(), Some("US"));
    assert_eq!(code(3).as_deref(), Some("GB"));
    assert_eq!(code(4), None);
    let unknown = value(4);
    let kept = unknown
        .shipping_address()
        .and_then(|a| a.country_name.clone());
    assert_eq!(kept.as_deref(), Some("Atlantis"));
    assert_eq!(value(5).placed_at(), at("2023-12-20T00:00:00Z"));
    assert_eq!(value(6).deliver_by(), Some(at("2023-12-27T00:00:00Z")));
    assert_eq!(value(7).deliver_by(), None);
    assert_eq!(value(8).placed_at(), received());
    assert_eq!(value(9).lines()[0].quantity().get(), 2);
    let phone = value(10).shipping_address().and_then(|a| a.phone.clone());
    assert_eq!(phone.as_deref(), Some("1-800-FLOWERS ext. 12"));
    let line = value(11)
        .shipping_address()
        .and_then(|a| a.address1.clone());
    assert_eq!(line.as_deref(), Some("123 Main Street Back door"));
    let no_phone = value(12);
    assert_eq!(
        no_phone.shipping_address().and_then(|a| a.phone.clone()),
        None
    );
    assert_eq!(value(13).shipping_service(), None);
}

#[test]
fn the_flags_name_the_field_but_never_the_value() {
    let body = seed_with(|v| {
        v["email"] = json!("Jane Doe <jane at example>");
        v["shipping_address"]["country_code"] = json!("Doeland");
        v["deliver_by"] = json!("Jane's birthday");
    });
    let order = order_from(parsed(&body));
    assert_eq!(
        order.flags(),
        [
            OrderFlag::EmailUnreadable,
            OrderFlag::CountryUnknown,
            OrderFlag::DeliverByUnreadable
        ]
    );
    let detail = &order.events()[0].detail;
    for personal in ["Jane", "Doe", "birthday"] {
        assert!(!detail.contains(personal), "{detail}");
    }
}

/// Still refused, with seed 001's 400 body: `(what, body, error title, message)`.
fn still_refused() -> Vec<(&'static str, String, &'static str, &'static str)> {
    let quantity = |q: Value| seed_with(move |v| v["line_items"][1]["quantity"] = q);
    let quantity_message = "line_items[1].quantity must be an integer from 1 to 1000000";
    vec![
        (
            "no lines",
            seed_with(|v| v["line_items"] = json!([])),
            INVALID_SKU_OR_QUANTITY,
            "line_items must hold at least one line item",
        ),
        (
            "no line_items at all",
            seed_without("", "line_items"),
            INVALID_SKU_OR_QUANTITY,
            "line_items is required",
        ),
        (
            "a line without SKU",
            seed_without("/line_items/1", "sku"),
            INVALID_SKU_OR_QUANTITY,
            "line_items[1].sku is required",
        ),
        (
            "a fractional quantity",
            quantity(json!("2.5")),
            INVALID_SKU_OR_QUANTITY,
            quantity_message,
        ),
        (
            "a zero quantity",
            quantity(json!(0)),
            INVALID_SKU_OR_QUANTITY,
            quantity_message,
        ),
        (
            "a negative quantity",
            quantity(json!(-1)),
            INVALID_SKU_OR_QUANTITY,
            quantity_message,
        ),
        (
            "a quantity in words",
            quantity(json!("two")),
            INVALID_SKU_OR_QUANTITY,
            quantity_message,
        ),
        (
            "a quantity of 2.0 as text",
            quantity(json!("2.0")),
            INVALID_SKU_OR_QUANTITY,
            quantity_message,
        ),
        (
            "a price that is not money",
            seed_with(|v| v["line_items"][0]["price"] = json!("abc")),
            INVALID_ORDER,
            "line_items[0].price must be a decimal amount such as \"12.34\"",
        ),
    ]
}

#[test]
fn only_lines_quantities_and_money_still_refuse_an_order_with_the_seeds_400_body() {
    for (what, body, error, message) in still_refused() {
        let rejection = rejected(&body);
        assert_eq!(
            rejection.body(),
            json!({"error": error, "message": message}),
            "{what}"
        );
    }
}

#[test]
fn the_seed_itself_carries_no_flag() {
    assert!(order_from(parsed(SEED)).flags().is_empty());
}
