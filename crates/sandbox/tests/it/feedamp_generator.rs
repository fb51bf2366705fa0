//! The FeedAMP order generator: deterministic per seed, 18-digit ids, repeated SKUs in some
//! orders, money with at most 2 decimals written as bare numbers, v1 dates, a ship-by date after
//! the purchase (or `""`).

use std::collections::HashSet;

use orderbridge_sandbox::{FeedampOrderGenerator, SandboxOrder};
use serde_json::Value;

use crate::feedamp_support::feedamp;

fn orders(seed: u64, n: usize) -> Vec<SandboxOrder> {
    FeedampOrderGenerator::new(seed).take(n).collect()
}

#[test]
fn the_same_seed_gives_the_same_orders_and_another_seed_others() {
    assert_eq!(orders(7, 50), orders(7, 50));
    assert_ne!(orders(7, 5), orders(8, 5));
    let mut generator = FeedampOrderGenerator::new(7);
    let first = generator.next_order();
    assert_eq!(Some(first), orders(7, 1).pop());
}

#[test]
fn ids_are_consecutive_18_digit_strings() {
    let generated = orders(42, 30);
    let ids: Vec<u64> = generated
        .iter()
        .map(|order| {
            let id = order.order_id().unwrap();
            assert_eq!(id.len(), 18, "{id}");
            id.parse().unwrap()
        })
        .collect();
    assert!(ids.windows(2).all(|pair| pair[1] == pair[0] + 1));
    let start = FeedampOrderGenerator::new(42)
        .starting_at(123_456_789_012_345_678)
        .next_order();
    assert_eq!(start.order_id(), Some("123456789012345678"));
}

#[test]
fn some_orders_repeat_a_sku_and_most_do_not() {
    let generated = orders(1, 300);
    let repeated = generated
        .iter()
        .filter(|order| order.has_repeated_sku())
        .count();
    assert!(repeated > 10 && repeated < 150, "{repeated}");
    let with_extras = generated
        .iter()
        .filter(|order| order.has_extra_fields())
        .count();
    assert!(with_extras > 60 && with_extras < 140, "{with_extras}");
    for order in &generated {
        assert!((1..=4).contains(&order.lines().len()));
        let numbers: HashSet<_> = order
            .lines()
            .iter()
            .map(|line| line.line_number())
            .collect();
        assert_eq!(numbers.len(), order.lines().len(), "distinct line numbers");
    }
}

/// The number's text: digits, at most 2 decimals, no trailing zero after the point.
fn assert_money(value: &Value) -> String {
    let Value::Number(number) = value else {
        panic!("money must be a JSON number: {value}");
    };
    let text = number.to_string();
    match text.split_once('.') {
        None => assert!(text.chars().all(|c| c.is_ascii_digit()), "{text}"),
        Some((units, cents)) => {
            assert!(
                units.chars().all(|c| c.is_ascii_digit()) && !units.is_empty(),
                "{text}"
            );
            assert!(
                (1..=2).contains(&cents.len()) && !cents.ends_with('0'),
                "{text}"
            );
        }
    }
    text
}

#[tokio::test]
async fn generated_orders_serve_money_as_numbers_with_at_most_2_decimals() {
    let sandbox = feedamp().await;
    let ids = sandbox.add_generated(200, 5).unwrap();
    let (mut whole, mut one, mut two) = (0, 0, 0);
    let mut no_ship_by = 0;
    let mut dates = Vec::new();
    let mut currencies = HashSet::new();
    for id in &ids {
        let order = sandbox.order_json(id).unwrap();
        assert_eq!(order["id"], id.as_str());
        let info = &order["order_info"];
        let date = info["purchase_date"].as_str().unwrap().to_owned();
        assert!(date.ends_with(".000Z") && date.len() == 24, "{date}");
        match info["latest_ship_date"].as_str().unwrap() {
            "" => no_ship_by += 1,
            ship_by => {
                assert!(ship_by.ends_with("T23:59:59.000Z"), "{ship_by}");
                assert!(*ship_by > *date.as_str(), "{ship_by} after {date}");
            }
        }
        dates.push(date);
        currencies.insert(info["currency"].as_str().unwrap().to_owned());
        assert_eq!(info["shipping_country_code"].as_str().unwrap().len(), 3);
        for line in info["order_lines"].as_array().unwrap() {
            assert!(line["mp_line_number"].is_string() && line["sku"].is_string());
            assert!(line["quantity"].as_u64().unwrap() >= 1);
            for field in [
                "sales_tax",
                "shipping_price",
                "shipping_tax",
                "discount",
                "shipping_discount",
            ] {
                assert_money(&line[field]);
            }
            let price = assert_money(&line["unit_price"]);
            match price.split_once('.').map(|(_, cents)| cents.len()) {
                None => whole += 1,
                Some(1) => one += 1,
                Some(_) => two += 1,
            }
        }
    }
    assert!(whole > 10 && one > 10 && two > 100, "{whole} {one} {two}");
    assert!(
        (5..=40).contains(&no_ship_by),
        "{no_ship_by} of 200 without a ship-by date"
    );
    assert!(
        dates.windows(2).all(|pair| pair[0] < pair[1]),
        "bought in order"
    );
    assert!(
        currencies.contains("USD") && currencies.contains("CAD"),
        "{currencies:?}"
    );
}

#[tokio::test]
async fn add_generated_serves_the_same_json_for_the_same_seed() {
    let (a, b) = (feedamp().await, feedamp().await);
    let ids = a.add_generated(20, 9).unwrap();
    assert_eq!(b.add_generated(20, 9).unwrap(), ids);
    for id in &ids {
        assert_eq!(a.order_json(id), b.order_json(id));
    }
}
