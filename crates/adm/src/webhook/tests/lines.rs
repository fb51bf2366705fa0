//! Webhook tests of `line_items` (SKU, quantity, prices) and the order totals.

use std::str::FromStr;

use orderbridge_domain::order::Order;
use serde_json::{Value, json};

use super::{SEED, assert_refused, dec, parsed, rejected, seed_setting, seed_with, seed_without};
use crate::webhook::{INVALID_ORDER, INVALID_SKU_OR_QUANTITY};

#[test]
fn missing_empty_or_non_array_line_items_are_an_invalid_sku_or_quantity() {
    assert_refused(
        &seed_without("", "line_items"),
        INVALID_SKU_OR_QUANTITY,
        "line_items",
    );
    for bad in [
        json!(null),
        json!([]),
        json!("ABC-123"),
        json!({"sku": "A"}),
    ] {
        let body = seed_setting("/line_items", bad);
        assert_refused(&body, INVALID_SKU_OR_QUANTITY, "line_items");
    }
}

#[test]
fn an_array_of_fields_in_place_of_an_object_is_refused() {
    let body = seed_setting("/line_items/0", json!(["ABC-123", 2, "12.34"]));
    let rejection = rejected(&body);
    assert_eq!(rejection.error, INVALID_SKU_OR_QUANTITY);
    assert_eq!(
        rejection.message,
        "line_items[0] must be an object, found an array"
    );
    // An address only informs (design section 11): left out and flagged, see `tolerance.rs`.
    let address = seed_setting("/shipping_address", json!(["Jane", "Doe"]));
    assert_eq!(parsed(&address).shipping_address, None);
}

#[test]
fn a_line_item_that_is_not_an_object_is_named_by_its_index() {
    let rejection = rejected(&seed_setting("/line_items/1", json!(5)));
    assert_eq!(rejection.error, INVALID_SKU_OR_QUANTITY);
    assert_eq!(
        rejection.message,
        "line_items[1] must be an object, found a number"
    );
}

#[test]
fn more_than_a_thousand_lines_are_refused() {
    let body = seed_with(|value| {
        let line = value["line_items"][0].clone();
        value["line_items"] = Value::Array(vec![line; Order::MAX_LINES + 1]);
    });
    assert_refused(&body, INVALID_SKU_OR_QUANTITY, "line_items");
    assert_eq!(
        rejected(&body).message,
        "line_items must hold at most 1000 line items"
    );
    let exactly = seed_with(|value| {
        let line = value["line_items"][0].clone();
        value["line_items"] = Value::Array(vec![line; Order::MAX_LINES]);
    });
    assert_eq!(parsed(&exactly).lines.len(), Order::MAX_LINES);
}

#[test]
fn lines_past_the_cap_are_refused_before_they_are_read() {
    // An entry past the cap is not read as a line item: one that is not even an object is
    // not what is reported.
    let mut items = vec!["{}"; Order::MAX_LINES];
    items.push("5");
    let body = seed_with(|value| {
        value["line_items"] = serde_json::from_str(&format!("[{}]", items.join(","))).unwrap();
    });
    let rejection = rejected(&body);
    assert_eq!(rejection.error, INVALID_SKU_OR_QUANTITY);
    assert_eq!(
        rejection.message,
        "line_items must hold at most 1000 line items"
    );
}

#[test]
fn a_bad_sku_is_refused_naming_its_line() {
    let long = "S".repeat(256);
    for bad in [
        json!(""),
        json!("   "),
        json!(long),
        json!(123),
        json!(null),
    ] {
        let body = seed_setting("/line_items/1/sku", bad.clone());
        assert_refused(&body, INVALID_SKU_OR_QUANTITY, "line_items[1].sku");
    }
    assert_refused(
        &seed_without("/line_items/1", "sku"),
        INVALID_SKU_OR_QUANTITY,
        "line_items[1].sku",
    );
    let longest = seed_setting("/line_items/1/sku", json!("S".repeat(255)));
    assert_eq!(parsed(&longest).lines[1].sku.as_str().len(), 255);
}

#[test]
fn a_bad_quantity_is_refused_with_one_message() {
    let expected = "line_items[1].quantity must be an integer from 1 to 1000000";
    let bads = [
        json!(0),
        json!(-1),
        json!(1_000_001),
        json!("1000001"),
        json!(2.5),
        json!("2.0"),
        json!("two"),
        json!("-1"),
        json!("0"),
        json!("+2"),
        json!("2e0"),
        json!(""),
        json!(null),
        json!([2]),
        json!(4_294_967_297_u64),
    ];
    for bad in bads {
        let rejection = rejected(&seed_setting("/line_items/1/quantity", bad.clone()));
        assert_eq!(rejection.error, INVALID_SKU_OR_QUANTITY, "{bad}");
        assert_eq!(rejection.message, expected, "{bad}");
    }
    let rejection = rejected(&seed_without("/line_items/1", "quantity"));
    assert_eq!(rejection.message, expected);
    let exponent = seed_with(|value| {
        value["line_items"][1]["quantity"] =
            Value::Number(serde_json::Number::from_str("2e0").unwrap_or_else(|e| panic!("{e}")));
    });
    assert_eq!(rejected(&exponent).message, expected);
}

#[test]
fn a_quantity_sent_as_a_string_of_digits_is_read() {
    for (given, expected) in [("2", 2), (" 7 ", 7), ("1000000", 1_000_000)] {
        let body = seed_setting("/line_items/1/quantity", json!(given));
        assert_eq!(parsed(&body).lines[1].quantity.get(), expected, "{given:?}");
    }
}

#[test]
fn a_quantity_of_one_million_is_the_most_accepted() {
    let body = seed_setting("/line_items/0/quantity", json!(1_000_000));
    assert_eq!(parsed(&body).lines[0].quantity.get(), 1_000_000);
}

#[test]
fn a_price_keeps_its_scale() {
    let body = seed_setting("/line_items/0/price", json!("1.10"));
    let price = parsed(&body).lines[0].unit_price;
    assert_eq!(price, dec("1.10"));
    assert_eq!(price.scale(), 2);
    assert_eq!(price.to_string(), "1.10");
}

#[test]
fn a_price_sent_as_a_json_number_is_read_from_its_text() {
    let body = SEED.replace("\"price\": \"12.34\"", "\"price\": 1.10");
    let price = parsed(&body).lines[0].unit_price;
    assert_eq!(price.to_string(), "1.10");
    let long = SEED.replace(
        "\"price\": \"12.34\"",
        "\"price\": 0.1000000000000000000000000001",
    );
    assert_eq!(
        parsed(&long).lines[0].unit_price.to_string(),
        "0.1000000000000000000000000001"
    );
}

#[test]
fn a_non_numeric_price_is_refused_naming_the_field() {
    for bad in [
        json!("12,34"),
        json!("abc"),
        json!(""),
        json!("1e3"),
        json!(true),
        json!({}),
    ] {
        let body = seed_setting("/line_items/0/price", bad.clone());
        let rejection = rejected(&body);
        assert_eq!(rejection.error, INVALID_ORDER, "{bad}");
        assert_eq!(
            rejection.message, "line_items[0].price must be a decimal amount such as \"12.34\"",
            "{bad}"
        );
    }
}

#[test]
fn a_negative_or_missing_price_is_refused() {
    assert_refused(
        &seed_setting("/line_items/0/price", json!("-0.01")),
        INVALID_ORDER,
        "line_items[0].price",
    );
    assert_refused(
        &seed_without("/line_items/0", "price"),
        INVALID_ORDER,
        "line_items[0].price",
    );
    let free = seed_setting("/line_items/0/price", json!("0.00"));
    assert!(parsed(&free).lines[0].unit_price.is_zero());
}

#[test]
fn a_missing_line_discount_or_tax_is_zero() {
    let body = seed_with(|value| {
        if let Some(line) = value["line_items"][0].as_object_mut() {
            line.remove("total_discount");
            line.remove("total_tax");
        }
    });
    let order = parsed(&body);
    assert!(order.lines[0].total_discount.is_zero());
    assert!(order.lines[0].total_tax.is_zero());
}

#[test]
fn a_bad_line_discount_or_tax_is_refused_naming_the_field() {
    for field in ["total_discount", "total_tax"] {
        let body = seed_setting(&format!("/line_items/1/{field}"), json!("n/a"));
        assert_refused(&body, INVALID_ORDER, &format!("line_items[1].{field}"));
    }
}

#[test]
fn missing_order_totals_are_none() {
    let body = seed_with(|value| {
        if let Some(map) = value.as_object_mut() {
            for field in [
                "subtotal_price",
                "total_discounts",
                "total_price",
                "total_shipping_price",
                "total_tax",
            ] {
                map.remove(field);
            }
        }
    });
    assert_eq!(parsed(&body).totals, Default::default());
}

#[test]
fn totals_that_do_not_add_up_are_kept_as_given() {
    let order = parsed(&seed_setting("/total_price", json!("1.00")));
    assert_eq!(order.totals.total, Some(dec("1.00")));
}

#[test]
fn a_bad_order_total_is_refused_naming_the_field() {
    for field in [
        "subtotal_price",
        "total_discounts",
        "total_price",
        "total_shipping_price",
        "total_tax",
    ] {
        let body = seed_setting(&format!("/{field}"), json!("85.97 USD"));
        assert_refused(&body, INVALID_ORDER, field);
    }
}
