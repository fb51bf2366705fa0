//! The ADM order generator, checked the way a receiver would: parse the bytes with serde_json
//! and look at every field seed 001 shows.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use orderbridge_sandbox::{AdmOrderGenerator, GeneratedOrder};
use serde_json::Value;

use crate::support::keys;

/// The keys of seed 001's `orders/create` example.
const ORDER_KEYS: [&str; 12] = [
    "created_at",
    "deliver_by",
    "email",
    "id",
    "line_items",
    "shipping_address",
    "shipping_service",
    "subtotal_price",
    "total_discounts",
    "total_price",
    "total_shipping_price",
    "total_tax",
];
const LINE_KEYS: [&str; 5] = ["price", "quantity", "sku", "total_discount", "total_tax"];
const ADDRESS_KEYS: [&str; 10] = [
    "address1",
    "address2",
    "city",
    "company",
    "country_code",
    "first_name",
    "last_name",
    "phone",
    "province_code",
    "zip",
];

fn is_price(value: &Value) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    let Some((units, cents)) = text.split_once('.') else {
        return false;
    };
    !units.is_empty()
        && units.chars().all(|c| c.is_ascii_digit())
        && cents.len() == 2
        && cents.chars().all(|c| c.is_ascii_digit())
}

fn cents(value: &Value) -> u64 {
    value.as_str().unwrap().replace('.', "").parse().unwrap()
}

fn rfc3339_utc(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().unwrap();
    assert!(text.ends_with('Z'), "{text}");
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn check_shape(order: &GeneratedOrder) {
    let payload: Value = serde_json::from_slice(&order.body()).unwrap();
    assert_eq!(payload, order.payload);
    assert_eq!(keys(&payload), ORDER_KEYS, "{payload}");

    let id = payload["id"].as_str().unwrap();
    assert_eq!(id, order.id);
    assert!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()),
        "{id}"
    );
    let created_at = rfc3339_utc(&payload["created_at"]);
    assert!(rfc3339_utc(&payload["deliver_by"]) > created_at);
    let email = payload["email"].as_str().unwrap();
    assert!(email.contains("@example."), "{email}");
    assert!(
        payload["shipping_service"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    let lines = payload["line_items"].as_array().unwrap();
    assert!((1..=4).contains(&lines.len()), "{}", lines.len());
    assert_eq!(lines.len(), order.lines.len());
    let mut merchandise = 0;
    for (line, (sku, quantity)) in lines.iter().zip(&order.lines) {
        assert_eq!(keys(line), LINE_KEYS, "{line}");
        assert_eq!(line["sku"], sku.as_str());
        assert!(!sku.is_empty());
        assert_eq!(line["quantity"].as_u64(), Some(u64::from(*quantity)));
        assert!(*quantity >= 1);
        for price in ["price", "total_discount", "total_tax"] {
            assert!(is_price(&line[price]), "{price}: {line}");
        }
        merchandise += cents(&line["price"]) * u64::from(*quantity);
    }
    for total in [
        "subtotal_price",
        "total_discounts",
        "total_price",
        "total_shipping_price",
        "total_tax",
    ] {
        assert!(is_price(&payload[total]), "{total}: {payload}");
    }
    assert_eq!(
        cents(&payload["subtotal_price"]),
        merchandise - cents(&payload["total_discounts"])
    );

    let address = &payload["shipping_address"];
    assert_eq!(keys(address), ADDRESS_KEYS, "{address}");
    for field in [
        "address1",
        "city",
        "first_name",
        "last_name",
        "phone",
        "zip",
    ] {
        assert!(
            address[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}"
        );
    }
    assert_eq!(address["country_code"], "US");
    assert_eq!(address["province_code"].as_str().map(str::len), Some(2));
    for optional in ["address2", "company"] {
        assert!(address[optional].is_null() || address[optional].is_string());
    }
}

#[test]
fn generated_orders_have_seed_001s_shape() {
    for order in AdmOrderGenerator::new(42).take(300) {
        check_shape(&order);
    }
}

#[test]
fn the_same_seed_gives_the_same_orders_and_another_seed_others() {
    let first: Vec<GeneratedOrder> = AdmOrderGenerator::new(7).take(50).collect();
    let again: Vec<GeneratedOrder> = AdmOrderGenerator::new(7).take(50).collect();
    assert_eq!(first, again);
    let other: Vec<GeneratedOrder> = AdmOrderGenerator::new(8).take(50).collect();
    assert_ne!(first[0].payload, other[0].payload);
    assert_ne!(first[0].id, other[0].id);
}

#[test]
fn ids_are_unique_and_times_move_forward() {
    let orders: Vec<GeneratedOrder> = AdmOrderGenerator::new(3).take(1_000).collect();
    let ids: HashSet<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids.len(), orders.len());
    for pair in orders.windows(2) {
        assert!(
            rfc3339_utc(&pair[1].payload["created_at"])
                > rfc3339_utc(&pair[0].payload["created_at"])
        );
    }
    let numbered: Vec<String> = AdmOrderGenerator::new(3)
        .starting_at(900)
        .take(2)
        .map(|o| o.id)
        .collect();
    assert_eq!(numbered, ["900", "901"]);
}

#[test]
fn some_orders_repeat_a_sku_across_lines_and_sizes_vary() {
    let orders: Vec<GeneratedOrder> = AdmOrderGenerator::new(11).take(200).collect();
    let repeated = orders.iter().filter(|o| o.has_repeated_sku()).count();
    assert!(
        (5..100).contains(&repeated),
        "{repeated} of 200 repeat a SKU"
    );
    let sizes: HashSet<usize> = orders.iter().map(|o| o.lines.len()).collect();
    assert_eq!(sizes.len(), 4, "{sizes:?}");
    let with_company = orders
        .iter()
        .filter(|o| o.payload["shipping_address"]["company"].is_string())
        .count();
    assert!(with_company > 0 && with_company < 200);
}

#[test]
fn the_creation_time_can_be_set() {
    let start: DateTime<Utc> = "2026-03-01T12:00:00Z".parse().unwrap();
    let order = AdmOrderGenerator::new(1).created_from(start).next_order();
    assert_eq!(order.payload["created_at"], "2026-03-01T12:00:00Z");
}
